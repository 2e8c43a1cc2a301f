"""The thin binding layer over the C core (``privbill._native``).

Everything that talks to C goes through here: the ``ffi``/``lib`` pair of
the compiled extension, and helpers that check Python arguments before they
reach C and turn C's ``-1`` into the right :mod:`privbill.errors` exception.
Sizes come from the C header (``lib.PRIVBILL_*``), never from literals
typed again in Python.

This is the FFI layer: it is not checked by mypy's strict mode, and nothing
outside privbill should import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from privbill._native import ffi as _ffi_obj
from privbill._native import lib as _lib_obj
from privbill.errors import EncodingError, PrivbillError, RangeError

ffi: Any = _ffi_obj
lib: Any = _lib_obj

SCALARBYTES: int = lib.PRIVBILL_SCALARBYTES
ELEMENTBYTES: int = lib.PRIVBILL_ELEMENTBYTES
UNIFORMBYTES: int = lib.PRIVBILL_UNIFORMBYTES
SHA512BYTES: int = lib.PRIVBILL_SHA512BYTES
SECRETBYTES: int = lib.PRIVBILL_SECRETBYTES
METERIDBYTES: int = lib.PRIVBILL_METERIDBYTES
ED25519_SEEDBYTES: int = lib.PRIVBILL_ED25519_SEEDBYTES
ED25519_PUBLICKEYBYTES: int = lib.PRIVBILL_ED25519_PUBLICKEYBYTES
ED25519_SECRETKEYBYTES: int = lib.PRIVBILL_ED25519_SECRETKEYBYTES
ED25519_SIGNATUREBYTES: int = lib.PRIVBILL_ED25519_SIGNATUREBYTES
ED25519_BATCH_MAX: int = lib.PRIVBILL_ED25519_BATCH_MAX
PROTOCOL_VERSION: int = lib.PRIVBILL_PROTOCOL_VERSION

U64_MAX = (1 << 64) - 1
I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
#: Largest count size_t/uint32 arguments carry (indices are uint32_t).
U32_MAX = (1 << 32) - 1


def as_bytes(name: str, value: object, size: int | None = None) -> bytes:
    """``value`` as bytes, of exactly ``size`` bytes when a size is given.

    Accepts bytes-like objects (bytes, bytearray, memoryview); anything else
    is a TypeError. A wrong length is an :class:`EncodingError`.
    """
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, (bytearray, memoryview)):
        data = bytes(value)
    else:
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
    if size is not None and len(data) != size:
        raise EncodingError(f"{name} must be {size} bytes, got {len(data)}")
    return data


def as_int(name: str, value: object) -> int:
    """``value`` as an int; bool and non-integers are a TypeError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def as_uint(name: str, value: object, bits: int) -> int:
    """An int in ``[0, 2**bits)``; outside it a :class:`RangeError`."""
    v = as_int(name, value)
    if not 0 <= v < (1 << bits):
        raise RangeError(f"{name} must be in [0, 2**{bits}), got {v}")
    return v


def check(rc: int, error: type[PrivbillError], message: str) -> None:
    """Raise ``error(message)`` unless the C call returned 0."""
    if rc != 0:
        raise error(message)


def out_bytes(n: int) -> Any:
    """A zeroed C output buffer of n bytes."""
    return ffi.new("uint8_t[]", n)


def to_bytes(buf: Any, n: int | None = None) -> bytes:
    """Copy a C buffer out as bytes."""
    if n is None:
        return bytes(ffi.buffer(buf))
    return bytes(ffi.buffer(buf, n))


def in_buffer(data: bytes) -> Any:
    """A read-only view of ``data`` as ``const uint8_t *`` (no copy)."""
    return ffi.from_buffer("uint8_t[]", data)


def u64_array(name: str, values: Iterable[object]) -> Any:
    """A ``uint64_t[]`` from Python ints; RangeError names the first bad one."""
    items = list(values)
    try:
        return ffi.new("uint64_t[]", items)
    except (OverflowError, TypeError):
        pass
    for i, v in enumerate(items):
        as_uint(f"{name}[{i}]", v, 64)
    return ffi.new("uint64_t[]", items)


def i64_array(name: str, values: Iterable[object]) -> Any:
    """An ``int64_t[]`` from Python ints; RangeError names the first bad one."""
    items = list(values)
    try:
        return ffi.new("int64_t[]", items)
    except (OverflowError, TypeError):
        pass
    for i, v in enumerate(items):
        iv = as_int(f"{name}[{i}]", v)
        if not I64_MIN <= iv <= I64_MAX:
            raise RangeError(f"{name}[{i}] = {iv} does not fit in a signed 64-bit integer")
    return ffi.new("int64_t[]", items)


def wipe(buf: Any) -> None:
    """Zero a C buffer that held a secret (best effort: Python copies remain
    wherever bytes objects were made, which is why secrets stay in as few
    of them as possible)."""
    ffi.memmove(buf, b"\0" * ffi.sizeof(buf), ffi.sizeof(buf))
