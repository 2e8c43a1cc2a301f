"""Reference ristretto255 (RFC 9496 section 4) over edwards25519. Tests only.

Slow and not constant time: field elements are Python ints mod p, points are affine
edwards25519 coordinates, and every addition inverts. It is meant to be read next to the RFC:

- section 4.1: the constants (checked against their definitions in the tests);
- section 4.2: ``IS_NEGATIVE``, ``CT_ABS`` and ``SQRT_RATIO_M1``;
- section 4.3.1 decode, 4.3.2 encode, 4.3.3 equals, 4.3.4 the one-way map.

Group arithmetic uses the twisted Edwards addition law for a = -1 (RFC 8032 section 5.1.4,
in affine form), which is complete on edwards25519 because d is not a square mod p:

    x3 = (x1*y2 + x2*y1) / (1 + d*x1*x2*y1*y2)
    y3 = (y1*y2 + x1*x2) / (1 - d*x1*x2*y1*y2)

A ristretto255 element is represented by any of its (eight, of which four reachable here)
Edwards representatives; compare elements with :func:`equals` or by encoding, never by
coordinates.
"""

from __future__ import annotations

from typing import NamedTuple

# --- section 4.1: constants --------------------------------------------------------------

P = 2**255 - 19
"""The field prime."""
L = 2**252 + 27742317777372353535851937790883648493
"""The order of the ristretto255 group (and of the edwards25519 prime-order subgroup)."""
D = (-121665 * pow(121666, -1, P)) % P
"""The edwards25519 curve constant d = -121665/121666."""

SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752
SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235
INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578
ONE_MINUS_D_SQ = 1159843021668779879193775521855586647937357759715417654439879720876111806838
D_MINUS_ONE_SQ = 40440834346308536858101042469323190826248399146238708352240133220865137265952


class Point(NamedTuple):
    """An affine point (x, y) on edwards25519: -x^2 + y^2 = 1 + d*x^2*y^2."""

    x: int
    y: int


IDENTITY = Point(0, 1)


# --- field helpers, section 4.2 ----------------------------------------------------------


def fe(n: int) -> int:
    """Reduce an integer to the canonical field representative in [0, p)."""
    return n % P


def is_negative(x: int) -> bool:
    """IS_NEGATIVE: the canonical representative is odd."""
    return fe(x) & 1 == 1


def ct_abs(x: int) -> int:
    """CT_ABS: the non-negative one of x and -x."""
    return fe(-x) if is_negative(x) else fe(x)


def sqrt_ratio_m1(u: int, v: int) -> tuple[bool, int]:
    """SQRT_RATIO_M1(u, v) of RFC 9496 section 4.2.

    Returns (True, +sqrt(u/v)) if u/v is square, (True, 0) if u is 0,
    (False, 0) if v is 0 and u is not, and (False, +sqrt(SQRT_M1*u/v)) otherwise.
    """
    u, v = fe(u), fe(v)
    r = fe(u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P))
    check = fe(v * r * r)
    correct_sign_sqrt = check == u
    flipped_sign_sqrt = check == fe(-u)
    flipped_sign_sqrt_i = check == fe(-u * SQRT_M1)
    if flipped_sign_sqrt or flipped_sign_sqrt_i:
        r = fe(SQRT_M1 * r)
    r = ct_abs(r)
    was_square = correct_sign_sqrt or flipped_sign_sqrt
    return was_square, r


# --- edwards25519 arithmetic ----------------------------------------------------------------


def on_curve(p: Point) -> bool:
    """Whether p satisfies the edwards25519 equation."""
    x2, y2 = p.x * p.x, p.y * p.y
    return fe(-x2 + y2 - 1 - D * x2 * y2) == 0


def add(p: Point, q: Point) -> Point:
    """p + q by the complete affine addition law (a = -1)."""
    dxy = fe(D * p.x * q.x * p.y * q.y)
    den_x = fe(1 + dxy)
    den_y = fe(1 - dxy)
    # One inversion for both denominators: 1/a = b/(ab), 1/b = a/(ab).
    inv = pow(den_x * den_y, -1, P)
    x3 = fe((p.x * q.y + q.x * p.y) * den_y * inv)
    y3 = fe((p.y * q.y + p.x * q.x) * den_x * inv)
    return Point(x3, y3)


def neg(p: Point) -> Point:
    """-p = (-x, y)."""
    return Point(fe(-p.x), p.y)


def sub(p: Point, q: Point) -> Point:
    """p - q."""
    return add(p, neg(q))


def double(p: Point) -> Point:
    """2p (the addition law is complete, so doubling is p + p)."""
    return add(p, p)


def scalar_mult(k: int, p: Point) -> Point:
    """k*p for any integer k (not reduced: torsion components are kept), double-and-add."""
    if k < 0:
        k, p = -k, neg(p)
    result = IDENTITY
    for bit in bin(k)[2:]:
        result = double(result)
        if bit == "1":
            result = add(result, p)
    return result


def from_projective(x: int, y: int, z: int) -> Point:
    """The affine point (X/Z, Y/Z)."""
    z_inv = pow(fe(z), -1, P)
    return Point(fe(x * z_inv), fe(y * z_inv))


# The edwards25519 base point B of RFC 8032: y = 4/5, x non-negative. It is also the
# ristretto255 generator (RFC 9496 section 4.4).
_BY = fe(4 * pow(5, -1, P))
_BX_SQ = fe((_BY * _BY - 1) * pow(D * _BY * _BY + 1, -1, P))
_ok, _bx = sqrt_ratio_m1(_BX_SQ, 1)
assert _ok
BASE = Point(_bx, _BY)
assert on_curve(BASE)


# --- ristretto255, section 4.3 --------------------------------------------------------------


def decode(data: bytes) -> Point | None:
    """Section 4.3.1: a representative of the encoded element, or None if invalid."""
    if len(data) != 32:
        return None
    s = int.from_bytes(data, "little")
    if s >= P:  # non-canonical field encoding (this includes the top bit)
        return None
    if is_negative(s):
        return None
    ss = fe(s * s)
    u1 = fe(1 - ss)
    u2 = fe(1 + ss)
    u2_sqr = fe(u2 * u2)
    v = fe(-(D * u1 * u1) - u2_sqr)
    was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr)
    den_x = fe(invsqrt * u2)
    den_y = fe(invsqrt * den_x * v)
    x = ct_abs(2 * s * den_x)
    y = fe(u1 * den_y)
    t = fe(x * y)
    if not was_square or is_negative(t) or y == 0:
        return None
    return Point(x, y)


def encode(p: Point) -> bytes:
    """Section 4.3.2 with (x0, y0, z0, t0) = (x, y, 1, x*y)."""
    x0, y0, z0, t0 = p.x, p.y, 1, fe(p.x * p.y)
    u1 = fe((z0 + y0) * (z0 - y0))
    u2 = fe(x0 * y0)
    _, invsqrt = sqrt_ratio_m1(1, u1 * u2 * u2)
    den1 = fe(invsqrt * u1)
    den2 = fe(invsqrt * u2)
    z_inv = fe(den1 * den2 * t0)
    ix0 = fe(x0 * SQRT_M1)
    iy0 = fe(y0 * SQRT_M1)
    enchanted_denominator = fe(den1 * INVSQRT_A_MINUS_D)
    rotate = is_negative(t0 * z_inv)
    if rotate:
        x, y, den_inv = iy0, ix0, enchanted_denominator
    else:
        x, y, den_inv = x0, y0, den2
    if is_negative(x * z_inv):
        y = fe(-y)
    s = ct_abs(den_inv * (z0 - y))
    return s.to_bytes(32, "little")


def equals(p: Point, q: Point) -> bool:
    """Section 4.3.3: x1*y2 == y1*x2 or y1*y2 == x1*x2."""
    return fe(p.x * q.y - p.y * q.x) == 0 or fe(p.y * q.y - p.x * q.x) == 0


def _map(t: int) -> Point:
    """MAP of section 4.3.4 on a field element t."""
    r = fe(SQRT_M1 * t * t)
    u = fe((r + 1) * ONE_MINUS_D_SQ)
    v = fe((-1 - r * D) * (r + D))
    was_square, s = sqrt_ratio_m1(u, v)
    s_prime = fe(-ct_abs(s * t))
    if not was_square:
        s = s_prime
    c = fe(-1) if was_square else r
    n = fe(c * (r - 1) * D_MINUS_ONE_SQ - v)
    w0 = fe(2 * s * v)
    w1 = fe(n * SQRT_AD_MINUS_ONE)
    w2 = fe(1 - s * s)
    w3 = fe(1 + s * s)
    return from_projective(w0 * w3, w2 * w1, w1 * w3)


def _map_bytes(b: bytes) -> Point:
    """Mask the top bit, read little-endian, reduce mod p (non-canonical values accepted)."""
    t = int.from_bytes(b, "little") & ((1 << 255) - 1)
    return _map(fe(t))


def one_way_map(uniform: bytes) -> Point:
    """Section 4.3.4: MAP(b[0:32]) + MAP(b[32:64]) for 64 uniform bytes."""
    if len(uniform) != 64:
        raise ValueError("the one-way map takes 64 bytes")
    return add(_map_bytes(uniform[:32]), _map_bytes(uniform[32:]))


# --- conveniences on encodings ---------------------------------------------------------------


def must_decode(data: bytes) -> Point:
    """decode() that raises ValueError on an invalid encoding."""
    p = decode(data)
    if p is None:
        raise ValueError(f"invalid ristretto255 encoding {data.hex()}")
    return p


def add_encoded(a: bytes, b: bytes) -> bytes:
    """encode(decode(a) + decode(b))."""
    return encode(add(must_decode(a), must_decode(b)))


def sub_encoded(a: bytes, b: bytes) -> bytes:
    """encode(decode(a) - decode(b))."""
    return encode(sub(must_decode(a), must_decode(b)))


def scalar_mult_encoded(k: int, a: bytes) -> bytes:
    """encode(k * decode(a)), k any integer (used mod L)."""
    return encode(scalar_mult(k % L, must_decode(a)))


def scalar_mult_base(k: int) -> bytes:
    """encode(k * G) for the ristretto255 generator G."""
    return encode(scalar_mult(k % L, BASE))


def from_uniform(uniform: bytes) -> bytes:
    """encode(one_way_map(uniform))."""
    return encode(one_way_map(uniform))


def is_valid(data: bytes) -> bool:
    """Whether data is a canonical encoding of an element."""
    return decode(data) is not None
