"""Reference expand_message_xmd with SHA-512 (RFC 9380 section 5.3.1). Tests only.

Written step by step from the RFC with hashlib.sha512 (b_in_bytes = 64, s_in_bytes = 128).
Not constant time (nothing here is secret in privbill's use: the inputs are public domain
strings and messages).
"""

from __future__ import annotations

import hashlib

B_IN_BYTES = 64
S_IN_BYTES = 128


def _i2osp(n: int, length: int) -> bytes:
    return n.to_bytes(length, "big")


def _strxor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """Section 5.3.1: len_in_bytes uniformly random-looking bytes from msg and dst."""
    ell = -(-len_in_bytes // B_IN_BYTES)  # ceil(len_in_bytes / b_in_bytes)
    if ell > 255 or len_in_bytes > 65535 or len(dst) > 255:
        raise ValueError("expand_message_xmd: ABORT (ell, len_in_bytes or DST too long)")
    dst_prime = dst + _i2osp(len(dst), 1)
    z_pad = _i2osp(0, S_IN_BYTES)
    l_i_b_str = _i2osp(len_in_bytes, 2)
    msg_prime = z_pad + msg + l_i_b_str + _i2osp(0, 1) + dst_prime
    b_0 = hashlib.sha512(msg_prime).digest()
    b_i = hashlib.sha512(b_0 + _i2osp(1, 1) + dst_prime).digest()
    uniform = b_i
    for i in range(2, ell + 1):
        b_i = hashlib.sha512(_strxor(b_0, b_i) + _i2osp(i, 1) + dst_prime).digest()
        uniform += b_i
    return uniform[:len_in_bytes]


def hash_to_ristretto255_uniform(msg: bytes, dst: bytes) -> bytes:
    """The 64 bytes privbill feeds to the one-way map in hash-to-group."""
    return expand_message_xmd(msg, dst, 64)
