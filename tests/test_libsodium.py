"""Cross-check with libsodium's ristretto255, an independent implementation (ctypes).

Seeded random inputs; each operation is compared byte for byte: add, sub, the one-way map
(libsodium's ``crypto_core_ristretto255_from_hash``), scalar multiplication, scalar wide
reduction, point validation, and a whole Pedersen commitment computed by libsodium as
``scalarmult_ristretto255_base(r) + scalarmult_ristretto255(o, H)``.

libsodium refuses an identity result in scalar multiplication (returns -1); privbill accepts
the identity everywhere, and the tests check both behaviours where they meet.
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING

import pytest

from privbill.errors import EncodingError
from privbill.group import Element, L, Scalar
from privbill.pedersen import H, commit
from reference import ristretto255 as ref

if TYPE_CHECKING:
    from conftest import Libsodium, Native

N = 200


def _scalar_bytes(k: int) -> bytes:
    return (k % L).to_bytes(32, "little")


def _rand_element(rng: random.Random) -> Element:
    return Element.from_uniform_bytes(rng.randbytes(64))


def test_libsodium_is_the_real_thing(libsodium: Libsodium) -> None:
    """The wrapper talks to a working libsodium (RFC 9496 generator and one vector)."""
    g = libsodium.scalarmult_base(_scalar_bytes(1))
    assert g is not None and g.hex().startswith("e2f2ae0a")
    label = b"Ristretto is traditionally a short shot of espresso coffee"
    mapped = libsodium.from_hash(hashlib.sha512(label).digest())
    assert mapped.hex() == "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46"


def test_one_way_map(libsodium: Libsodium, rng: random.Random) -> None:
    inputs = [bytes(64), b"\xff" * 64, bytes(32) + b"\xff" * 32]
    inputs += [rng.randbytes(64) for _ in range(N)]
    for uniform in inputs:
        assert bytes(Element.from_uniform_bytes(uniform)) == libsodium.from_hash(uniform), (
            uniform.hex()
        )


def test_add_and_sub(libsodium: Libsodium, rng: random.Random) -> None:
    ident = bytes(32)
    for _ in range(N):
        p, q = _rand_element(rng), _rand_element(rng)
        bp, bq = bytes(p), bytes(q)
        assert bytes(p + q) == libsodium.add(bp, bq)
        assert bytes(p - q) == libsodium.sub(bp, bq)
        assert bytes(p - p) == libsodium.sub(bp, bp) == ident
        assert bytes(p + Element.identity()) == libsodium.add(bp, ident) == bp


def test_scalarmult(libsodium: Libsodium, rng: random.Random, native: Native) -> None:
    specials = [1, 2, L - 1, 2**252, 2**64 - 1]
    for i in range(N):
        k = specials[i] if i < len(specials) else rng.randrange(1, L)
        p = _rand_element(rng)
        sk = _scalar_bytes(k)
        theirs = libsodium.scalarmult(sk, bytes(p))
        assert theirs is not None
        assert bytes(Scalar.from_bytes(sk) * p) == theirs, k
        out = native.out(32)
        assert (
            native.lib.privbill_ristretto255_scalarmult(out, native.inp(sk), native.inp(bytes(p)))
            == 0
        )
        assert native.read(out) == theirs


def test_scalarmult_base(libsodium: Libsodium, rng: random.Random, native: Native) -> None:
    g = Element.generator()
    for _ in range(N):
        k = rng.randrange(1, L)
        theirs = libsodium.scalarmult_base(_scalar_bytes(k))
        assert theirs is not None
        assert bytes(Scalar.from_int(k) * g) == theirs
        out = native.out(32)
        native.lib.privbill_ristretto255_scalarmult_base(out, native.inp(_scalar_bytes(k)))
        assert native.read(out) == theirs


@pytest.mark.parametrize("k", [0, L], ids=["zero", "l"])
def test_identity_result_refused_by_libsodium_accepted_by_us(
    libsodium: Libsodium, rng: random.Random, native: Native, k: int
) -> None:
    p = _rand_element(rng)
    kb = _scalar_bytes(k)
    assert libsodium.scalarmult(kb, bytes(p)) is None
    assert libsodium.scalarmult_base(kb) is None
    assert Scalar.from_int(k) * p == Element.identity()
    out = native.out(32)
    out[0] = 0xAA
    assert (
        native.lib.privbill_ristretto255_scalarmult(out, native.inp(kb), native.inp(bytes(p))) == 0
    )
    assert native.read(out) == bytes(32)
    # the identity as an input, which libsodium also refuses as a scalarmult base point
    assert libsodium.scalarmult(_scalar_bytes(5), bytes(32)) is None
    assert Scalar.from_int(5) * Element.identity() == Element.identity()


def test_scalar_reduce(libsodium: Libsodium, rng: random.Random) -> None:
    inputs = [bytes(64), b"\xff" * 64, L.to_bytes(64, "little")]
    inputs += [rng.randbytes(64) for _ in range(N)]
    for data in inputs:
        assert bytes(Scalar.from_uniform_bytes(data)) == libsodium.scalar_reduce(data)


def test_validation_agrees(libsodium: Libsodium, rng: random.Random) -> None:
    """Random candidate encodings below 2^255, most of them past the cheap check (s even)."""
    candidates = [(rng.getrandbits(255) & ~1).to_bytes(32, "little") for _ in range(1000)]
    candidates += [rng.getrandbits(255).to_bytes(32, "little") for _ in range(200)]
    candidates += [bytes(_rand_element(rng)) for _ in range(50)]
    agreed_valid = 0
    for data in candidates:
        theirs = libsodium.is_valid_point(data)
        if theirs:
            agreed_valid += 1
            assert bytes(Element.from_bytes(data)) == data
        else:
            with pytest.raises(EncodingError):
                Element.from_bytes(data)
        assert ref.is_valid(data) == theirs
    assert agreed_valid > 100


def test_top_bit_set_always_rejected(libsodium: Libsodium, rng: random.Random) -> None:
    """RFC 9496 decodes all 256 bits, so s >= 2^255 is non-canonical and fails.

    libsodium 1.0.18 (Debian's libsodium23) masks bit 255 before its checks and accepts
    such strings when the low 255 bits are a valid encoding; privbill follows the RFC, as
    the RFC's own invalid vector 00ff..ff also requires. libsodium is not asserted here.
    """
    for _ in range(100):
        p = bytes(_rand_element(rng))
        flipped = p[:31] + bytes([p[31] | 0x80])
        assert not ref.is_valid(flipped)
        with pytest.raises(EncodingError):
            Element.from_bytes(flipped)
        libsodium.is_valid_point(flipped)  # callable; its answer depends on the version


def test_pedersen_commitment_by_libsodium(libsodium: Libsodium, rng: random.Random) -> None:
    """C = r*G + o*H, with both products and the sum computed by libsodium."""
    h = bytes(H)
    assert libsodium.from_hash(hashlib.sha512(b"privbill/v1/pedersen/H").digest()) == h
    for i in range(N):
        value = [1, 2**64 - 1][i] if i < 2 else rng.randrange(1, 2**64)
        o = rng.randrange(1, L)
        r_g = libsodium.scalarmult_base(_scalar_bytes(value))
        o_h = libsodium.scalarmult(_scalar_bytes(o), h)
        assert r_g is not None and o_h is not None
        theirs = libsodium.add(r_g, o_h)
        assert bytes(commit(value, Scalar.from_int(o))) == theirs, (value, o)
