"""privbill.pedersen: commitments, blinding derivation, sums, linear combinations, openings.

Everything is compared with the pure-Python reference (``tests/reference/pedersen.py``,
written from DESIGN.md on top of RFC 9496) on seeded random inputs, and the additive
homomorphism is swept exhaustively over every 16-bit reading, as issue 2 requires.
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import TYPE_CHECKING, Any

import pytest

from privbill import pedersen
from privbill.errors import EncodingError, OpeningError, PrivbillError, RangeError
from privbill.group import Element, L, Scalar
from privbill.pedersen import (
    CommitmentSet,
    commit,
    commit_many,
    derive_blinding,
    verify_opening,
)
from reference import pedersen as ref_pedersen

if TYPE_CHECKING:
    from conftest import Native

U64_MAX = 2**64 - 1
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


def _any(value: object) -> Any:
    return value


def _rand_blinding(rng: random.Random) -> tuple[Scalar, int]:
    o = rng.randrange(L)
    return Scalar.from_int(o), o


def _rand_value(rng: random.Random) -> int:
    """Readings of every magnitude: small, typical Wh, and up to 2^64 - 1."""
    return rng.choice([rng.randrange(2**8), rng.randrange(10**6), rng.randrange(2**64)])


def _raises_value_error(fn: Any, *args: Any) -> PrivbillError:
    """fn(*args) raises an error that is both a PrivbillError and a ValueError."""
    with pytest.raises(ValueError) as info:
        fn(*args)
    assert isinstance(info.value, PrivbillError), type(info.value)
    return info.value


# --- generators -----------------------------------------------------------------------------


def test_h_domain() -> None:
    assert pedersen.H_DOMAIN == b"privbill/v1/pedersen/H"


def test_h_is_one_way_map_of_sha512_of_domain(native: Native) -> None:
    uniform = hashlib.sha512(pedersen.H_DOMAIN).digest()
    assert Element.from_uniform_bytes(uniform) == pedersen.H
    assert bytes(pedersen.H) == ref_pedersen.H
    out = native.out(32)
    native.lib.privbill_pedersen_h(out)
    assert native.read(out) == ref_pedersen.H


def test_g_is_the_generator() -> None:
    assert Element.generator() == pedersen.G
    assert bytes(pedersen.G) == ref_pedersen.G
    assert pedersen.G != pedersen.H


# --- commit -------------------------------------------------------------------------------------


def test_commit_matches_reference(rng: random.Random) -> None:
    cases = [(0, 0), (1, 0), (0, 1), (U64_MAX, L - 1), (U64_MAX, 0), (2**63, 1)]
    cases += [(_rand_value(rng), rng.randrange(L)) for _ in range(14)]
    for value, o in cases:
        expected = ref_pedersen.commit(value, o)
        assert bytes(commit(value, Scalar.from_int(o))) == expected, (value, o)


def test_commit_is_value_g_plus_blinding_h(rng: random.Random) -> None:
    for _ in range(20):
        value = _rand_value(rng)
        blinding, _ = _rand_blinding(rng)
        expected = Scalar.from_int(value) * pedersen.G + blinding * pedersen.H
        assert commit(value, blinding) == expected


def test_commit_of_zero_with_zero_blinding_is_identity() -> None:
    assert commit(0, Scalar.from_int(0)) == Element.identity()


@pytest.mark.parametrize("value", [-1, 2**64, -(2**64), 2**100])
def test_commit_out_of_range_value(value: int) -> None:
    with pytest.raises(RangeError):
        commit(value, Scalar.from_int(1))
    with pytest.raises(RangeError):
        commit_many([1, value, 2], [Scalar.from_int(i) for i in range(3)])


@pytest.mark.parametrize("value", [1.0, "1", None, b"\x01"])
def test_commit_bad_value_type(value: Any) -> None:
    with pytest.raises(TypeError):
        commit(value, Scalar.from_int(1))


@pytest.mark.parametrize("blinding", [1, b"\x01" * 32, None])
def test_commit_bad_blinding_type(blinding: Any) -> None:
    with pytest.raises(TypeError):
        commit(1, blinding)


def test_commit_many_equals_repeated_commit(rng: random.Random) -> None:
    n = 300
    values = [_rand_value(rng) for _ in range(n)] + [0, U64_MAX]
    blindings = [_rand_blinding(rng)[0] for _ in range(n)] + [Scalar.from_int(0)] * 2
    wire = commit_many(values, blindings)
    assert isinstance(wire, bytes) and len(wire) == 32 * len(values)
    for i, (value, blinding) in enumerate(zip(values, blindings, strict=True)):
        assert wire[32 * i : 32 * i + 32] == bytes(commit(value, blinding)), i


def test_commit_many_matches_reference(rng: random.Random) -> None:
    values = [_rand_value(rng) for _ in range(5)]
    os_ = [rng.randrange(L) for _ in range(5)]
    wire = commit_many(values, [Scalar.from_int(o) for o in os_])
    expected = b"".join(ref_pedersen.commit(v, o) for v, o in zip(values, os_, strict=True))
    assert wire == expected


def test_commit_many_empty_and_mismatched() -> None:
    assert commit_many([], []) == b""
    _raises_value_error(commit_many, [1, 2], [Scalar.from_int(1)])
    _raises_value_error(commit_many, [1], [Scalar.from_int(1)] * 2)


# --- blinding derivation ------------------------------------------------------------------------


def test_derive_blinding_matches_reference(rng: random.Random) -> None:
    cases = [
        (bytes(32), bytes(16), 0, 0),
        (b"\xff" * 32, b"\xff" * 16, 255, U64_MAX),
        (bytes(range(32)), bytes(range(16)), 1, 2**32),
    ]
    cases += [
        (rng.randbytes(32), rng.randbytes(16), rng.randrange(256), rng.randrange(2**64))
        for _ in range(100)
    ]
    for secret, meter_id, channel, index in cases:
        expected = ref_pedersen.derive_blinding(secret, meter_id, channel, index)
        got = derive_blinding(secret, meter_id, channel, index)
        assert bytes(got) == expected.to_bytes(32, "little"), (secret.hex(), index)


def test_derive_blinding_known_layout() -> None:
    """The hash input is exactly domain || secret || meter_id || channel || be64(index)."""
    secret, meter_id, channel, index = bytes(range(32)), bytes(range(100, 116)), 7, 0x0102030405
    data = b"privbill/v1/blinding" + secret + meter_id + b"\x07" + index.to_bytes(8, "big")
    expected = int.from_bytes(hashlib.sha512(data).digest(), "little") % L
    assert bytes(derive_blinding(secret, meter_id, channel, index)) == expected.to_bytes(
        32, "little"
    )


def test_derive_blinding_varies_with_each_field(rng: random.Random) -> None:
    secret, meter_id = rng.randbytes(32), rng.randbytes(16)
    channel, index = 0, 1_000_000
    base = derive_blinding(secret, meter_id, channel, index)
    assert derive_blinding(secret, meter_id, channel, index) == base
    flipped_secret = bytes([secret[0] ^ 1]) + secret[1:]
    flipped_meter = meter_id[:15] + bytes([meter_id[15] ^ 0x80])
    variants = {
        "secret": derive_blinding(flipped_secret, meter_id, channel, index),
        "meter_id": derive_blinding(secret, flipped_meter, channel, index),
        "channel": derive_blinding(secret, meter_id, 1, index),
        "index+1": derive_blinding(secret, meter_id, channel, index + 1),
        "index high byte": derive_blinding(secret, meter_id, channel, index | 2**56),
    }
    for field, value in variants.items():
        assert value != base, field
    assert len({bytes(v) for v in variants.values()}) == len(variants)


@pytest.mark.parametrize(
    ("secret", "meter_id", "channel", "index"),
    [
        (bytes(31), bytes(16), 0, 0),
        (bytes(33), bytes(16), 0, 0),
        (bytes(32), bytes(15), 0, 0),
        (bytes(32), bytes(17), 0, 0),
        (bytes(32), bytes(16), -1, 0),
        (bytes(32), bytes(16), 256, 0),
        (bytes(32), bytes(16), 0, -1),
        (bytes(32), bytes(16), 0, 2**64),
    ],
    ids=[
        "secret31",
        "secret33",
        "meter15",
        "meter17",
        "channel-1",
        "channel256",
        "index-1",
        "index2^64",
    ],
)
def test_derive_blinding_rejects_bad_sizes_and_ranges(
    secret: bytes, meter_id: bytes, channel: int, index: int
) -> None:
    _raises_value_error(derive_blinding, secret, meter_id, channel, index)


def test_derive_blinding_bad_types() -> None:
    with pytest.raises(TypeError):
        derive_blinding(_any("k" * 32), bytes(16), 0, 0)
    with pytest.raises(TypeError):
        derive_blinding(bytes(32), bytes(16), _any(0.0), 0)
    with pytest.raises(TypeError):
        derive_blinding(bytes(32), bytes(16), 0, _any("0"))


# --- CommitmentSet ------------------------------------------------------------------------------


def _commitments(rng: random.Random, n: int) -> tuple[list[int], list[int], bytes]:
    values = [_rand_value(rng) for _ in range(n)]
    os_ = [rng.randrange(L) for _ in range(n)]
    wire = commit_many(values, [Scalar.from_int(o) for o in os_])
    return values, os_, wire


def test_commitment_set_decodes_every_element(rng: random.Random) -> None:
    _, _, wire = _commitments(rng, 40)
    cs = CommitmentSet.from_bytes(wire)
    assert len(cs) == 40
    for i in range(40):
        assert bytes(cs.element(i)) == wire[32 * i : 32 * i + 32]
    with pytest.raises(IndexError):
        cs.element(40)
    assert len(CommitmentSet.from_bytes(b"")) == 0


@pytest.mark.parametrize("bad_index", [0, 5, 11])
def test_commitment_set_names_the_bad_element(rng: random.Random, bad_index: int) -> None:
    _, _, wire = _commitments(rng, 12)
    bad = bytes.fromhex("f3" + "ff" * 30 + "7f")  # non-canonical field encoding
    wire = wire[: 32 * bad_index] + bad + wire[32 * bad_index + 32 :]
    with pytest.raises(EncodingError) as info:
        CommitmentSet.from_bytes(wire)
    numbers = [int(n) for n in re.findall(r"\d+", str(info.value))]
    assert bad_index in numbers, str(info.value)


def test_commitment_set_reports_the_first_of_several_bad(rng: random.Random) -> None:
    _, _, wire = _commitments(rng, 10)
    bad = (1).to_bytes(32, "little")  # negative field element
    wire = wire[:96] + bad + wire[128:224] + bad + wire[256:]
    with pytest.raises(EncodingError) as info:
        CommitmentSet.from_bytes(wire)
    assert re.search(r"\b3\b", str(info.value)), str(info.value)


@pytest.mark.parametrize("length", [1, 31, 33, 65])
def test_commitment_set_rejects_ragged_wire(length: int) -> None:
    with pytest.raises(EncodingError):
        CommitmentSet.from_bytes(bytes(length))


def test_commitment_set_accepts_identity() -> None:
    cs = CommitmentSet.from_bytes(bytes(64))
    assert cs.sum([0, 1]) == Element.identity()
    assert cs.combine([I64_MAX, I64_MIN]) == Element.identity()


def test_sum_matches_reference(rng: random.Random) -> None:
    _, _, wire = _commitments(rng, 30)
    cs = CommitmentSet.from_bytes(wire)
    chunks = [wire[32 * i : 32 * i + 32] for i in range(30)]
    subsets = [[], [0], [29], list(range(30)), [3, 7, 7, 1]]
    subsets += [rng.sample(range(30), rng.randrange(1, 30)) for _ in range(4)]
    for idx in subsets:
        expected = ref_pedersen.sum_of([chunks[i] for i in idx])
        assert bytes(cs.sum(idx)) == expected, idx
    assert bytes(cs.sum()) == ref_pedersen.sum_of(chunks)


def test_sum_rejects_out_of_range_index(rng: random.Random) -> None:
    _, _, wire = _commitments(rng, 4)
    cs = CommitmentSet.from_bytes(wire)
    for idx in ([4], [0, 1, 99], [-1], [2**32]):
        with pytest.raises((IndexError, PrivbillError)):
            cs.sum(idx)


def test_combine_matches_reference(rng: random.Random) -> None:
    n = 12
    _, _, wire = _commitments(rng, n)
    cs = CommitmentSet.from_bytes(wire)
    chunks = [wire[32 * i : 32 * i + 32] for i in range(n)]
    weight_sets = [
        [0] * n,
        [1] * n,
        [-1] * n,
        [I64_MIN] * n,
        [I64_MAX] * n,
        [I64_MIN, I64_MAX, -1, 1, 0, 2**62, -(2**62), 3, -3, 12, -1000, 2**32],
    ]
    weight_sets += [[rng.randrange(I64_MIN, I64_MAX + 1) for _ in range(n)] for _ in range(3)]
    weight_sets += [[rng.randrange(-500, 500) for _ in range(n)] for _ in range(2)]
    for weights in weight_sets:
        assert bytes(cs.combine(weights)) == ref_pedersen.combine(chunks, weights), weights


def test_combine_rejects_bad_weights(rng: random.Random) -> None:
    _, _, wire = _commitments(rng, 3)
    cs = CommitmentSet.from_bytes(wire)
    for weights in ([1, 2], [1, 2, 3, 4]):
        _raises_value_error(cs.combine, weights)
    for weights in ([0, 2**63, 0], [0, 0, I64_MIN - 1], [2**200, 0, 0]):
        with pytest.raises(RangeError):
            cs.combine(weights)
    with pytest.raises(TypeError):
        cs.combine(_any([1.5, 0, 0]))


# --- openings -----------------------------------------------------------------------------------


def _opening(values: list[int], os_: list[int], weights: list[int]) -> tuple[int, Scalar]:
    total = sum(w * v for w, v in zip(weights, values, strict=True))
    blinding = sum(w * o for w, o in zip(weights, os_, strict=True)) % L
    return total, Scalar.from_int(blinding)


def test_verify_opening_single(rng: random.Random) -> None:
    for _ in range(10):
        value = _rand_value(rng)
        blinding, _ = _rand_blinding(rng)
        c = commit(value, blinding)
        verify_opening(c, value, blinding)
        verify_opening(c, value + L, blinding)  # the same value mod l
        with pytest.raises(OpeningError):
            verify_opening(c, value + 1, blinding)
        with pytest.raises(OpeningError):
            verify_opening(c, value, blinding + Scalar.from_int(1))


def test_verify_opening_of_sums(rng: random.Random) -> None:
    values = [rng.randrange(5000) for _ in range(48)]
    secret, meter = rng.randbytes(32), rng.randbytes(16)
    blindings = [derive_blinding(secret, meter, 0, 17_000 + i) for i in range(48)]
    os_ = [int.from_bytes(bytes(b), "little") for b in blindings]
    cs = CommitmentSet.from_bytes(commit_many(values, blindings))
    for idx in [list(range(48)), list(range(0, 48, 2)), [5], []]:
        weights = [1 if i in idx else 0 for i in range(48)]
        total, blinding = _opening(values, os_, weights)
        c = cs.sum(idx)
        verify_opening(c, total, blinding)
        with pytest.raises(OpeningError):
            verify_opening(c, total - 1, blinding)
        with pytest.raises(OpeningError):
            verify_opening(c, total, blinding - Scalar.from_int(1))
        # and the combine path gives the same element
        assert cs.combine(weights) == c


@pytest.mark.parametrize(
    "kind", ["negative-total", "beyond-2^64", "int64-extremes", "random-signed"]
)
def test_verify_opening_of_linear_combinations(rng: random.Random, kind: str) -> None:
    n = 16
    if kind == "negative-total":
        values = [rng.randrange(1000) for _ in range(n)]
        weights = [-rng.randrange(1, 100) for _ in range(n)]
    elif kind == "beyond-2^64":
        values = [U64_MAX - rng.randrange(1000) for _ in range(n)]
        weights = [rng.randrange(2**40, 2**62) for _ in range(n)]
    elif kind == "int64-extremes":
        values = [U64_MAX] * (n // 2) + [rng.randrange(2**64) for _ in range(n // 2)]
        weights = [I64_MIN, I64_MAX] * (n // 2)
    else:
        values = [_rand_value(rng) for _ in range(n)]
        weights = [rng.randrange(I64_MIN, I64_MAX + 1) for _ in range(n)]
    os_ = [rng.randrange(L) for _ in range(n)]
    cs = CommitmentSet.from_bytes(commit_many(values, [Scalar.from_int(o) for o in os_]))
    total, blinding = _opening(values, os_, weights)
    if kind == "negative-total":
        assert total < 0
    if kind == "beyond-2^64":
        assert total >= 2**64
    c = cs.combine(weights)
    chunks = [bytes(cs.element(i)) for i in range(n)]
    assert bytes(c) == ref_pedersen.combine(chunks, weights)
    assert bytes(c) == ref_pedersen.commit(total, int.from_bytes(bytes(blinding), "little"))
    verify_opening(c, total, blinding)
    with pytest.raises(OpeningError):
        verify_opening(c, total + 1, blinding)
    with pytest.raises(OpeningError):
        verify_opening(c, -total, blinding)
    with pytest.raises(OpeningError):
        verify_opening(c, total, Scalar.from_int(int.from_bytes(bytes(blinding), "little") + 1))


def test_verify_opening_errors_are_verification_errors() -> None:
    from privbill.errors import VerificationError

    with pytest.raises(VerificationError):
        verify_opening(commit(1, Scalar.from_int(1)), 2, Scalar.from_int(1))


def test_verify_opening_bad_types() -> None:
    c = commit(5, Scalar.from_int(9))
    with pytest.raises(TypeError):
        verify_opening(_any(bytes(c)), 5, Scalar.from_int(9))
    with pytest.raises(TypeError):
        verify_opening(c, _any(5.0), Scalar.from_int(9))
    with pytest.raises(TypeError):
        verify_opening(c, 5, _any(9))


# --- the homomorphism, exhaustively over 16-bit readings -----------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("b", [0xBEEF, 2**64 - 2**16], ids=["b=0xbeef", "b=2^64-2^16"])
def test_homomorphism_every_16_bit_reading(rng: random.Random, b: int) -> None:
    """commit(a, o) + commit(b, o') == commit(a + b, o + o') for every a < 2^16."""
    n = 2**16
    values = list(range(n))
    blindings = [Scalar.from_uniform_bytes(rng.randbytes(64)) for _ in range(n)]
    o_b = Scalar.from_uniform_bytes(rng.randbytes(64))
    c_b = commit(b, o_b)

    lhs_set = CommitmentSet.from_bytes(commit_many(values, blindings) + bytes(c_b))
    rhs_wire = commit_many([a + b for a in values], [o + o_b for o in blindings])

    mismatches = [a for a in values if bytes(lhs_set.sum([a, n])) != rhs_wire[32 * a : 32 * a + 32]]
    assert not mismatches, f"homomorphism fails for a in {mismatches[:10]} (b = {b})"
    # and one opening of everything at once: sum_a C(a) + n*C(b) opens to the totals
    total_value = n * (n - 1) // 2 + n * b
    total_blinding = Scalar.from_int(0)
    for o in blindings:
        total_blinding = total_blinding + o
    total_blinding = total_blinding + Scalar.from_int(n) * o_b
    weights = [1] * n + [n]
    verify_opening(lhs_set.combine(weights), total_value, total_blinding)


# --- the meter's and the household's batch entry points in C ------------------------------------


def _present(presence: bytes, j: int) -> bool:
    return bool(presence[j // 8] >> (j % 8) & 1)  # bit j, least significant bit first


def test_c_blinding_combine_matches_reference(native: Native, rng: random.Random) -> None:
    """out = sum w_i * o_i mod l over derived blindings (all weights 1 for NULL weights)."""
    ffi, lib = native.ffi, native.lib
    secret, meter_id, channel = rng.randbytes(32), rng.randbytes(16), rng.randrange(256)
    for trial in range(6):
        n = [0, 1, 5, 48, 48, 200][trial]
        indices = [rng.randrange(2**64) for _ in range(n)]
        if trial == 3:
            indices = [1000 + i for i in range(n)]
        weights = [
            rng.choice([I64_MIN, I64_MAX, -1, 0, 1, rng.randrange(I64_MIN, 2**63)])
            for _ in range(n)
        ]
        derived = [ref_pedersen.derive_blinding(secret, meter_id, channel, i) for i in indices]
        idx_arr = ffi.new("uint64_t[]", indices or [0])
        for use_weights in (True, False):
            out = native.out(32)
            w_arr = ffi.new("int64_t[]", weights or [0]) if use_weights else ffi.NULL
            lib.privbill_blinding_combine(
                out, native.inp(secret), native.inp(meter_id), channel, idx_arr, w_arr, n
            )
            ws = weights if use_weights else [1] * n
            expected = sum(w * o for w, o in zip(ws, derived, strict=True)) % L
            assert native.read(out) == expected.to_bytes(32, "little"), (trial, use_weights)


@pytest.mark.parametrize("count", [1, 8, 9, 20])
def test_c_meter_commit_batch_matches_reference(
    native: Native, rng: random.Random, count: int
) -> None:
    ffi, lib = native.ffi, native.lib
    secret, meter_id, channel = rng.randbytes(32), rng.randbytes(16), rng.randrange(256)
    first_index = rng.randrange(2**63)
    presence = bytearray(rng.randbytes((count + 7) // 8))
    if count % 8:
        presence[-1] &= (1 << (count % 8)) - 1  # no bits past count
    values = [_rand_value(rng) for _ in range(count)]
    out = native.out(32 * count)
    n_out = ffi.new("size_t *")
    rc = lib.privbill_meter_commit_batch(
        out,
        n_out,
        native.inp(secret),
        native.inp(meter_id),
        channel,
        first_index,
        count,
        native.inp(bytes(presence)),
        ffi.new("uint64_t[]", values),
    )
    assert rc == 0
    present = [j for j in range(count) if _present(bytes(presence), j)]
    assert n_out[0] == len(present)
    expected = b"".join(
        ref_pedersen.commit(
            values[j],
            ref_pedersen.derive_blinding(secret, meter_id, channel, first_index + j),
        )
        for j in present
    )
    assert native.read(out, 32 * len(present)) == expected


def test_c_meter_commit_batch_full_day_matches_python(native: Native, rng: random.Random) -> None:
    """A day and more of intervals, all or partly present, against commit(derive_blinding)."""
    ffi, lib = native.ffi, native.lib
    secret, meter_id = rng.randbytes(32), rng.randbytes(16)
    count, first_index = 1488, 950_000
    for presence in (b"\xff" * (count // 8), rng.randbytes(count // 8)):
        values = [rng.randrange(2**16) for _ in range(count)]
        out = native.out(32 * count)
        n_out = ffi.new("size_t *")
        rc = lib.privbill_meter_commit_batch(
            out,
            n_out,
            native.inp(secret),
            native.inp(meter_id),
            1,
            first_index,
            count,
            native.inp(presence),
            ffi.new("uint64_t[]", values),
        )
        assert rc == 0
        present = [j for j in range(count) if _present(presence, j)]
        assert n_out[0] == len(present)
        blindings = [derive_blinding(secret, meter_id, 1, first_index + j) for j in present]
        expected = commit_many([values[j] for j in present], blindings)
        assert native.read(out, 32 * len(present)) == expected


@pytest.mark.parametrize(
    ("first_index", "count"),
    [(2**64 - 5, 10), (0, 4097)],
    ids=["index-overflow", "count>BATCH_MAX"],
)
def test_c_meter_commit_batch_rejects(native: Native, first_index: int, count: int) -> None:
    ffi = native.ffi
    out = native.out(32 * count)
    n_out = ffi.new("size_t *")
    rc = native.lib.privbill_meter_commit_batch(
        out,
        n_out,
        native.inp(bytes(32)),
        native.inp(bytes(16)),
        0,
        first_index,
        count,
        native.inp(b"\xff" * ((count + 7) // 8)),
        ffi.new("uint64_t[]", count),
    )
    assert rc == -1
