"""Reference Ed25519 (RFC 8032 section 5.1) with privbill's verification rule. Tests only.

Slow and not constant time; the curve arithmetic is :mod:`.ristretto255`'s affine
edwards25519. Follows RFC 8032:

- 5.1.2 point encoding, 5.1.3 point decoding (which already rejects y >= p and the
  encodings of x = 0 with the sign bit set),
- 5.1.5 key generation (SHA-512 of the 32-byte secret, clamped low half),
- 5.1.6 signing (deterministic nonce from the high half),
- 5.1.7 verification, with the rule privbill documents in ``privbill.h``:
  S must be canonical (S < L); A and R must be canonical point encodings (decoded per
  5.1.3); the cofactored equation [8][S]B = [8]R + [8][k]A must hold.
"""

from __future__ import annotations

import hashlib

from .ristretto255 import (
    BASE,
    IDENTITY,
    SQRT_M1,
    D,
    L,
    P,
    Point,
    add,
    fe,
    scalar_mult,
)


def _sha512(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def encode_point(p: Point) -> bytes:
    """Section 5.1.2: y little-endian, with the low bit of x in bit 255."""
    return (p.y | ((p.x & 1) << 255)).to_bytes(32, "little")


def decode_point(data: bytes) -> Point | None:
    """Section 5.1.3, or None if the encoding is rejected."""
    if len(data) != 32:
        return None
    n = int.from_bytes(data, "little")
    x_0 = n >> 255
    y = n & ((1 << 255) - 1)
    if y >= P:
        return None
    u = fe(y * y - 1)
    v = fe(D * y * y + 1)
    x = fe(u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P))
    vx2 = fe(v * x * x)
    if vx2 == u:
        pass
    elif vx2 == fe(-u):
        x = fe(x * SQRT_M1)
    else:
        return None
    if x == 0 and x_0 == 1:
        return None
    if x & 1 != x_0:
        x = fe(-x)
    return Point(x, y)


def _expand(secret: bytes) -> tuple[int, bytes]:
    """Section 5.1.5: the clamped scalar s and the nonce prefix."""
    if len(secret) != 32:
        raise ValueError("an Ed25519 secret key is 32 bytes")
    h = _sha512(secret)
    a = bytearray(h[:32])
    a[0] &= 248  # clear the three lowest bits
    a[31] &= 127  # clear the highest bit
    a[31] |= 64  # set the second highest bit
    return int.from_bytes(a, "little"), h[32:]


def public_key(secret: bytes) -> bytes:
    """Section 5.1.5: A = [s]B, encoded."""
    s, _ = _expand(secret)
    return encode_point(scalar_mult(s, BASE))


def sign(secret: bytes, msg: bytes) -> bytes:
    """Section 5.1.6: R || S."""
    s, prefix = _expand(secret)
    a_enc = encode_point(scalar_mult(s, BASE))
    r = int.from_bytes(_sha512(prefix + msg), "little") % L
    r_enc = encode_point(scalar_mult(r, BASE))
    k = int.from_bytes(_sha512(r_enc + a_enc + msg), "little") % L
    big_s = (r + k * s) % L
    return r_enc + big_s.to_bytes(32, "little")


def verify(public: bytes, msg: bytes, sig: bytes) -> bool:
    """Section 5.1.7 with privbill's rule (canonical S, A, R; cofactored equation)."""
    if len(sig) != 64 or len(public) != 32:
        return False
    r_enc, s_enc = sig[:32], sig[32:]
    big_s = int.from_bytes(s_enc, "little")
    if big_s >= L:
        return False
    a = decode_point(public)
    r = decode_point(r_enc)
    if a is None or r is None:
        return False
    k = int.from_bytes(_sha512(r_enc + public + msg), "little") % L
    lhs = scalar_mult(8 * big_s, BASE)
    rhs = scalar_mult(8, add(r, scalar_mult(k, a)))
    return lhs == rhs


def torsion_points() -> list[Point]:
    """The eight points T with 8T = identity (the edwards25519 torsion subgroup).

    For a curve point Q of order 8L, L*Q has order 8 and its multiples are all eight.
    Q is found by decoding small y values in turn; used to build edge cases in tests.
    """
    for y in range(2, 1000):
        q = decode_point(y.to_bytes(32, "little"))
        if q is None:
            continue
        t = scalar_mult(L, q)
        points = [IDENTITY]
        cur = t
        while cur != IDENTITY:
            points.append(cur)
            cur = add(cur, t)
        if len(points) == 8:
            return points
    raise AssertionError("no point of order 8L found")
