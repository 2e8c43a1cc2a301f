"""privbill.group: Scalar and Element as strict value types over the C core.

Checks the API contract (sizes, canonical encodings, types, identity, equality, hashing,
what ``repr`` may show), compares the arithmetic with Python integers mod l and with the
pure-Python reference (``tests/reference``, RFC 9496) on seeded random inputs, and checks
the group laws with hypothesis.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privbill.errors import EncodingError, PrivbillError
from privbill.group import Element, L, Scalar
from reference import ristretto255 as ref

if TYPE_CHECKING:
    from conftest import Native

P_FIELD = 2**255 - 19


def _any(value: object) -> Any:
    """value, typed Any: for calls that deliberately pass the wrong type."""
    return value


def _rand_scalar_int(rng: random.Random) -> int:
    return rng.randrange(L)


def _rand_element(rng: random.Random) -> tuple[Element, bytes]:
    """A random element through the one-way map, with its reference encoding."""
    uniform = rng.randbytes(64)
    return Element.from_uniform_bytes(uniform), ref.from_uniform(uniform)


# --- constants and sizes ------------------------------------------------------------------


def test_group_order() -> None:
    assert L == ref.L == 2**252 + 27742317777372353535851937790883648493


def test_sizes() -> None:
    assert len(bytes(Scalar.random())) == 32
    assert len(bytes(Scalar.from_int(7))) == 32
    assert len(bytes(Element.generator())) == 32
    assert len(bytes(Element.identity())) == 32
    assert len(bytes(Element.from_uniform_bytes(bytes(range(64))))) == 32


@pytest.mark.parametrize("size", [0, 1, 31, 33, 64])
def test_wrong_sizes_are_encoding_errors(size: int) -> None:
    data = bytes(size)
    with pytest.raises(EncodingError):
        Scalar.from_bytes(data)
    with pytest.raises(EncodingError):
        Element.from_bytes(data)


@pytest.mark.parametrize("size", [0, 32, 63, 65])
def test_uniform_bytes_must_be_64(size: int) -> None:
    with pytest.raises(EncodingError):
        Scalar.from_uniform_bytes(bytes(size))
    with pytest.raises(EncodingError):
        Element.from_uniform_bytes(bytes(size))


def test_errors_are_privbill_and_value_errors() -> None:
    with pytest.raises(EncodingError) as info:
        Element.from_bytes(b"\x01" + bytes(31))
    assert isinstance(info.value, PrivbillError)
    assert isinstance(info.value, ValueError)


# --- scalars --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [L, L + 1, L + 2**128, 2**253, 2**255 - 19, 2**256 - 1],
    ids=["l", "l+1", "l+2^128", "2^253", "p", "2^256-1"],
)
def test_non_canonical_scalars_rejected(value: int) -> None:
    with pytest.raises(EncodingError):
        Scalar.from_bytes(value.to_bytes(32, "little"))


@pytest.mark.parametrize("value", [0, 1, 2**64, L - 2, L - 1])
def test_canonical_scalars_round_trip(value: int) -> None:
    data = value.to_bytes(32, "little")
    s = Scalar.from_bytes(data)
    assert bytes(s) == data
    assert s == Scalar.from_int(value)


def test_non_canonical_random_scalars_rejected(rng: random.Random) -> None:
    for _ in range(200):
        value = rng.randrange(L, 2**256)
        with pytest.raises(EncodingError):
            Scalar.from_bytes(value.to_bytes(32, "little"))


@pytest.mark.parametrize(
    "n",
    [-1, -2, -L, -L - 1, -(2**63), -(2**64), -(2**300) - 5, L, L + 1, 2**64, 2**256, 2**600 + 3],
)
def test_from_int_reduces_any_int(n: int) -> None:
    assert bytes(Scalar.from_int(n)) == (n % L).to_bytes(32, "little")


def test_from_int_random(rng: random.Random) -> None:
    for _ in range(200):
        n = rng.randrange(-(2**520), 2**520)
        assert bytes(Scalar.from_int(n)) == (n % L).to_bytes(32, "little")


def test_from_uniform_bytes_is_wide_reduction(rng: random.Random) -> None:
    edge = [bytes(64), b"\xff" * 64, L.to_bytes(64, "little"), (2 * L - 1).to_bytes(64, "little")]
    for data in edge + [rng.randbytes(64) for _ in range(100)]:
        expected = (int.from_bytes(data, "little") % L).to_bytes(32, "little")
        assert bytes(Scalar.from_uniform_bytes(data)) == expected


def test_random_scalars_are_canonical_and_distinct() -> None:
    seen = {bytes(Scalar.random()) for _ in range(64)}
    assert len(seen) == 64
    assert all(int.from_bytes(b, "little") < L for b in seen)


_OPS: list[tuple[str, Callable[[Any, Any], Any], Callable[[int, int], int]]] = [
    ("add", operator.add, lambda a, b: a + b),
    ("sub", operator.sub, lambda a, b: a - b),
    ("mul", operator.mul, lambda a, b: a * b),
]


@pytest.mark.parametrize(("name", "op", "int_op"), _OPS, ids=[o[0] for o in _OPS])
def test_scalar_arithmetic_matches_ints(
    rng: random.Random,
    name: str,
    op: Callable[[Any, Any], Any],
    int_op: Callable[[int, int], int],
) -> None:
    specials = [0, 1, 2, L - 1, L - 2, 2**252, 2**64 - 1]
    pairs = [(a, b) for a in specials for b in specials]
    pairs += [(_rand_scalar_int(rng), _rand_scalar_int(rng)) for _ in range(200)]
    for a, b in pairs:
        got = op(Scalar.from_int(a), Scalar.from_int(b))
        assert isinstance(got, Scalar)
        assert bytes(got) == (int_op(a, b) % L).to_bytes(32, "little"), (name, a, b)


def test_scalar_negation(rng: random.Random) -> None:
    for a in [0, 1, L - 1] + [_rand_scalar_int(rng) for _ in range(50)]:
        assert bytes(-Scalar.from_int(a)) == ((-a) % L).to_bytes(32, "little")


def test_scalar_repr_leaks_nothing(rng: random.Random) -> None:
    for value in [1, 0xDEADBEEF, _rand_scalar_int(rng), L - 1]:
        s = Scalar.from_int(value)
        hexed = bytes(s).hex()
        for text in (repr(s), str(s), f"{s}"):
            assert str(value) not in text
            assert hexed not in text.lower()
            # no window of 4 bytes of the encoding, in either byte order
            low = text.lower()
            for i in range(0, 56, 2):
                assert hexed[i : i + 8] not in low
            assert hex(value)[2:] not in low


WIDE_EDGE = [0, 1, L - 1, L, 2 * L - 1, L * L, 2**512 - 1]


def test_c_scalar_functions_take_any_32_bytes(native: Native, rng: random.Random) -> None:
    """privbill.h: scalar inputs may be any 32 bytes, used mod l; outputs are reduced."""
    lib = native.lib
    edge = [0, 1, L - 1, L, L + 1, 2**255 - 19, 2**256 - 1]
    values = edge + [rng.randrange(2**256) for _ in range(300)]
    for i, a in enumerate(values):
        b = values[-1 - i]
        c = values[(7 * i) % len(values)]
        ab, bb, cb = (native.inp(x.to_bytes(32, "little")) for x in (a, b, c))
        out = native.out(32)
        for fn, expected in (
            (lib.privbill_scalar_add, a + b),
            (lib.privbill_scalar_sub, a - b),
            (lib.privbill_scalar_mul, a * b),
        ):
            fn(out, ab, bb)
            assert int.from_bytes(native.read(out), "little") == expected % L, (fn, a, b)
        lib.privbill_scalar_negate(out, ab)
        assert int.from_bytes(native.read(out), "little") == (-a) % L
        lib.privbill_scalar_muladd(out, ab, bb, cb)
        assert int.from_bytes(native.read(out), "little") == (a * b + c) % L
        assert lib.privbill_scalar_is_canonical(ab) == (1 if a < L else 0)
        wide = WIDE_EDGE[i] if i < len(WIDE_EDGE) else rng.randrange(2**512)
        lib.privbill_scalar_reduce(out, native.inp(wide.to_bytes(64, "little")))
        assert int.from_bytes(native.read(out), "little") == wide % L


@pytest.mark.parametrize("v", [0, 1, -1, 2**63 - 1, -(2**63), 12345, -12345])
def test_c_scalar_from_i64(native: Native, v: int) -> None:
    out = native.out(32)
    native.lib.privbill_scalar_from_i64(out, v)
    assert native.read(out) == (v % L).to_bytes(32, "little")


def test_c_scalarmult_with_unreduced_scalars(native: Native, rng: random.Random) -> None:
    for k in [L, L + 1, 2**256 - 1, rng.randrange(L, 2**256)]:
        _, p_ref = _rand_element(rng)
        out = native.out(32)
        kb = native.inp(k.to_bytes(32, "little"))
        assert native.lib.privbill_ristretto255_scalarmult(out, kb, native.inp(p_ref)) == 0
        assert native.read(out) == ref.scalar_mult_encoded(k, p_ref)
        native.lib.privbill_ristretto255_scalarmult_base(out, kb)
        assert native.read(out) == ref.scalar_mult_base(k)


# --- elements -----------------------------------------------------------------------------------


def test_element_ops_match_reference(rng: random.Random) -> None:
    for _ in range(12):
        p, p_ref = _rand_element(rng)
        q, q_ref = _rand_element(rng)
        assert bytes(p) == p_ref
        assert bytes(p + q) == ref.add_encoded(p_ref, q_ref)
        assert bytes(p - q) == ref.sub_encoded(p_ref, q_ref)
        assert bytes(-p) == ref.encode(ref.neg(ref.must_decode(p_ref)))
        k = _rand_scalar_int(rng)
        assert bytes(Scalar.from_int(k) * p) == ref.scalar_mult_encoded(k, p_ref)


def test_scalarmult_base_matches_reference(rng: random.Random) -> None:
    g = Element.generator()
    for k in [0, 1, 2, L - 1, 2**64 - 1] + [_rand_scalar_int(rng) for _ in range(8)]:
        assert bytes(Scalar.from_int(k) * g) == ref.scalar_mult_base(k)


def test_from_bytes_agrees_with_reference_on_random_strings(rng: random.Random) -> None:
    """Random candidate encodings, most past the cheap checks (s < p, s even)."""
    candidates = [n.to_bytes(32, "little") for n in range(0, 64)]
    candidates += [(P_FIELD + d).to_bytes(32, "little") for d in range(-40, 19)]
    for _ in range(400):
        s = rng.getrandbits(255) & ~1
        candidates.append(s.to_bytes(32, "little"))
    accepted = 0
    for data in candidates:
        valid = ref.is_valid(data)
        if valid:
            accepted += 1
            assert bytes(Element.from_bytes(data)) == data
        else:
            with pytest.raises(EncodingError):
                Element.from_bytes(data)
    assert accepted > 20  # the sample did reach valid encodings


def test_random_valid_encodings_round_trip(rng: random.Random) -> None:
    for _ in range(50):
        _, enc = _rand_element(rng)
        e = Element.from_bytes(enc)
        assert bytes(e) == enc
        assert Element.from_bytes(bytes(e)) == e


def test_equality_semantics(rng: random.Random) -> None:
    p, enc = _rand_element(rng)
    same = Element.from_bytes(enc)
    assert p == same
    assert (p != same) is False
    g = Element.generator()
    assert (g + g) == Scalar.from_int(2) * g
    assert p != p + g
    assert p != enc  # never equal to its bytes
    assert p.__eq__(enc) is NotImplemented
    s = Scalar.from_int(5)
    assert s == Scalar.from_int(5) and s != Scalar.from_int(6)
    assert s != 5  # no implicit int conversion
    assert s.__eq__(5) is NotImplemented
    assert s != bytes(s)
    # differing only in the first or only in the last byte
    a = Scalar.from_bytes(bytes(31) + b"\x01")
    b = Scalar.from_bytes(b"\x01" + bytes(30) + b"\x01")
    c = Scalar.from_bytes(bytes(31) + b"\x02")
    assert a != b and a != c and b != c


def test_element_hashing(rng: random.Random) -> None:
    g = Element.generator()
    two_g = g + g
    assert hash(two_g) == hash(Scalar.from_int(2) * g)
    assert len({two_g, Scalar.from_int(2) * g, Element.from_bytes(bytes(two_g)), g}) == 2
    elements = [_rand_element(rng)[0] for _ in range(20)]
    table = {e: i for i, e in enumerate(elements)}
    for i, e in enumerate(elements):
        assert table[Element.from_bytes(bytes(e))] == i
    assert hash(Element.identity()) == hash(Element.from_bytes(bytes(32)))


def test_identity_valid_everywhere(rng: random.Random) -> None:
    ident = Element.identity()
    assert Element.from_bytes(bytes(32)) == ident
    assert bytes(ident) == bytes(32)
    p, _ = _rand_element(rng)
    assert ident + p == p and p + ident == p
    assert p - p == ident
    assert p - ident == p
    assert ident - p == -p
    assert Scalar.from_int(0) * p == ident
    assert Scalar.from_int(L) * p == ident
    assert Scalar.from_int(123456789) * ident == ident
    assert Scalar.random() * ident == ident
    assert -ident == ident
    assert Element.from_uniform_bytes(bytes(64)) == ident  # MAP(0) + MAP(0) = identity
    assert Scalar.from_int(0) * Element.generator() == ident


def test_int_times_element_is_type_error() -> None:
    """Only Scalar * Element multiplies; no int ever becomes a scalar implicitly."""
    g: Any = Element.generator()
    s: Any = Scalar.from_int(3)
    bad: list[tuple[str, Callable[[], object]]] = [
        ("3 * G", lambda: 3 * g),
        ("G * 3", lambda: g * 3),
        ("G * s", lambda: g * s),
        ("G * G", lambda: g * g),
        ("1.5 * G", lambda: 1.5 * g),
        ("G + 1", lambda: g + 1),
        ("1 + G", lambda: 1 + g),
        ("G - 1", lambda: g - 1),
        ("G + s", lambda: g + s),
        ("s + 1", lambda: s + 1),
        ("1 + s", lambda: 1 + s),
        ("s - 1", lambda: s - 1),
        ("s * 2", lambda: s * 2),
        ("2 * s", lambda: 2 * s),
        ("s + G", lambda: s + g),
        ("s - G", lambda: s - g),
    ]
    for text, expr in bad:
        with pytest.raises(TypeError):
            expr()
            pytest.fail(f"{text} did not raise TypeError")


@pytest.mark.parametrize("value", ["00" * 32, None, 32, 1.5, [0] * 32])
def test_from_bytes_bad_types(value: Any) -> None:
    with pytest.raises(TypeError):
        Scalar.from_bytes(value)
    with pytest.raises(TypeError):
        Element.from_bytes(value)
    with pytest.raises(TypeError):
        Element.from_uniform_bytes(value)
    with pytest.raises(TypeError):
        Scalar.from_uniform_bytes(value)


@pytest.mark.parametrize("value", [1.0, "1", b"\x01", None, True, Scalar.from_int(1)])
def test_from_int_bad_types(value: Any) -> None:
    with pytest.raises(TypeError):
        Scalar.from_int(value)


def test_hash_to_group_bad_types() -> None:
    with pytest.raises(TypeError):
        Element.hash_to_group(_any("msg"), b"dst")
    with pytest.raises(TypeError):
        Element.hash_to_group(b"msg", _any("dst"))


def test_repr_of_element_is_its_public_encoding() -> None:
    g = Element.generator()
    assert bytes(g).hex() in repr(g)


# --- group laws (hypothesis) ----------------------------------------------------------------

scalars = st.integers(min_value=0, max_value=L - 1)
any_ints = st.integers(min_value=-(2**300), max_value=2**300)


def _pt(k: int) -> Element:
    return Scalar.from_int(k) * Element.generator()


@given(scalars, scalars, scalars)
def test_addition_is_associative_and_commutative(a: int, b: int, c: int) -> None:
    p, q, r = _pt(a), _pt(b), _pt(c)
    assert (p + q) + r == p + (q + r)
    assert p + q == q + p
    assert (p - q) + q == p
    assert p + q == _pt(a + b)


@given(scalars, scalars, scalars)
def test_scalars_distribute_over_elements(a: int, b: int, c: int) -> None:
    sa, sb = Scalar.from_int(a), Scalar.from_int(b)
    p, q = _pt(c), _pt(a ^ c)
    assert sa * (p + q) == sa * p + sa * q
    assert (sa + sb) * p == sa * p + sb * p
    assert (sa - sb) * p == sa * p - sb * p
    assert (sa * sb) * p == sa * (sb * p)


@given(any_ints, any_ints)
def test_scalar_ring_matches_int_ring(a: int, b: int) -> None:
    sa, sb = Scalar.from_int(a), Scalar.from_int(b)
    assert sa + sb == Scalar.from_int(a + b)
    assert sa - sb == Scalar.from_int(a - b)
    assert sa * sb == Scalar.from_int(a * b)
    assert -sa == Scalar.from_int(-a)


@given(st.binary(min_size=64, max_size=64), st.binary(min_size=64, max_size=64))
def test_uniform_elements_form_a_group(u: bytes, v: bytes) -> None:
    p, q = Element.from_uniform_bytes(u), Element.from_uniform_bytes(v)
    assert p + q - q == p
    assert Scalar.from_int(L - 1) * p == -p
    assert Element.from_bytes(bytes(p + q)) == q + p
