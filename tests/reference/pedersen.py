"""Reference privbill Pedersen commitments (protocol version 1). Tests only.

Slow and not constant time. Written from DESIGN.md ("The cryptography") on top of
:mod:`.ristretto255` (RFC 9496):

- H = one-way-map(SHA-512(H_DOMAIN)) (RFC 9496 section 4.3.4), G the ristretto255 generator;
- commit(r, o) = r*G + o*H;
- blinding o = SHA-512(BLINDING_DOMAIN || secret(32) || meter_id(16) || channel(1 byte)
  || be64(index)), read as a little-endian integer and reduced mod l (wide reduction);
- linear combinations: sum w_i*C_i for integer weights w_i of any sign.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from . import ristretto255 as r255

H_DOMAIN = b"privbill/v1/pedersen/H"
BLINDING_DOMAIN = b"privbill/v1/blinding"

H_POINT = r255.one_way_map(hashlib.sha512(H_DOMAIN).digest())
H = r255.encode(H_POINT)
"""The second generator, encoded."""
G = r255.encode(r255.BASE)
"""The ristretto255 generator, encoded."""


def commit_point(value: int, blinding: int) -> r255.Point:
    """value*G + blinding*H, both used mod l (value may be any integer)."""
    return r255.add(
        r255.scalar_mult(value % r255.L, r255.BASE),
        r255.scalar_mult(blinding % r255.L, H_POINT),
    )


def commit(value: int, blinding: int) -> bytes:
    """The encoded commitment value*G + blinding*H."""
    return r255.encode(commit_point(value, blinding))


def derive_blinding(secret: bytes, meter_id: bytes, channel: int, index: int) -> int:
    """The blinding of one interval's reading, as an integer in [0, l)."""
    if len(secret) != 32 or len(meter_id) != 16:
        raise ValueError("secret is 32 bytes, meter_id 16")
    if not 0 <= channel < 256 or not 0 <= index < 2**64:
        raise ValueError("channel is one byte, index an unsigned 64-bit integer")
    data = BLINDING_DOMAIN + secret + meter_id + bytes([channel]) + index.to_bytes(8, "big")
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % r255.L


def combine(commitments: Sequence[bytes], weights: Sequence[int]) -> bytes:
    """sum weights[i] * commitments[i], encoded."""
    if len(commitments) != len(weights):
        raise ValueError("one weight per commitment")
    total = r255.IDENTITY
    for c, w in zip(commitments, weights, strict=True):
        total = r255.add(total, r255.scalar_mult(w % r255.L, r255.must_decode(c)))
    return r255.encode(total)


def sum_of(commitments: Sequence[bytes]) -> bytes:
    """sum commitments[i], encoded."""
    total = r255.IDENTITY
    for c in commitments:
        total = r255.add(total, r255.must_decode(c))
    return r255.encode(total)
