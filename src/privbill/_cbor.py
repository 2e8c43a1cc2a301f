"""A strict decoder for the small CBOR subset privbill's messages use.

Shared by the meter batch (:mod:`privbill.wire`), statements
(:mod:`privbill.statement`) and the other message formats. It accepts only
unsigned and negative integers, byte strings, arrays, maps with integer keys
and, where the caller asks for them, UTF-8 text strings and one tag around the
whole message; it
bounds the nesting depth and checks every declared length against the bytes
that remain before it slices or loops, so hostile input cannot make it
allocate or recurse without bound. Callers re-encode what they decoded and
require the input bytes back, which makes every message's encoding unique.

>>> decode(bytes.fromhex("8201820203"))
[1, [2, 3]]
>>> decode(bytes.fromhex("1800"))
Traceback (most recent call last):
    ...
privbill._cbor.Malformed: integer or length not in shortest form
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple

from privbill.errors import FormatError


class Tag(NamedTuple):
    tag: int
    value: object


_Path = tuple[int | str, ...]


class Malformed(Exception):
    """Internal: where and why decoding failed.

    The path holds array indices as ints and map keys as strings, so that only an
    array index can name a field.
    """

    def __init__(self, path: _Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


#: Deepest nesting any message here needs: tag 18 > array > unprotected map > kid.
_MAX_DEPTH: Final = 3


#: Smallest argument each long form may carry: anything smaller has a shorter form.
_MIN_ARGUMENT: Final = {24: 24, 25: 1 << 8, 26: 1 << 16, 27: 1 << 32}


def head(data: bytes, pos: int, path: _Path) -> tuple[int, int, int]:
    """Read one CBOR head at ``pos``: (major type, argument, position after the head)."""
    if pos >= len(data):
        raise Malformed(path, "truncated")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        raise Malformed(path, "floats, simple values and break codes are not allowed")
    if info < 24:
        return major, info, pos + 1
    if info == 31:
        raise Malformed(path, "indefinite-length encoding is not allowed")
    if info > 27:
        raise Malformed(path, f"reserved additional information {info}")
    end = pos + 1 + (1 << (info - 24))
    if end > len(data):
        raise Malformed(path, "truncated")
    argument = int.from_bytes(data[pos + 1 : end], "big")
    if argument < _MIN_ARGUMENT[info]:
        raise Malformed(path, "integer or length not in shortest form")
    return major, argument, end


def item(
    data: bytes, pos: int, depth: int, path: _Path, tag: int | None, text: bool = False
) -> tuple[object, int]:
    """Decode one data item at ``pos`` at nesting ``depth``; return it and the next position.

    Recursion is bounded by ``_MAX_DEPTH``; every loop is bounded by the input
    length, because each declared element count is checked against the bytes left.
    """
    if depth > _MAX_DEPTH:
        raise Malformed(path, "nested deeper than this message allows")
    major, arg, pos = head(data, pos, path)
    left = len(data) - pos
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major == 2:
        if arg > left:
            raise Malformed(path, f"byte string of {arg} bytes runs past the end")
        return data[pos : pos + arg], pos + arg
    if major == 3:
        if not text:
            raise Malformed(path, "text strings are not allowed")
        if arg > left:
            raise Malformed(path, f"text string of {arg} bytes runs past the end")
        try:
            return data[pos : pos + arg].decode("utf-8"), pos + arg
        except UnicodeDecodeError:
            raise Malformed(path, "text string is not UTF-8") from None
    if major == 4:
        if arg > left:  # every element takes at least one byte
            raise Malformed(path, f"array of {arg} items runs past the end")
        items: list[object] = []
        for i in range(arg):
            value, pos = item(data, pos, depth + 1, (*path, i), None, text)
            items.append(value)
        return items, pos
    if major == 5:
        if arg > left // 2:  # every entry takes at least two bytes
            raise Malformed(path, f"map of {arg} entries runs past the end")
        entries: dict[int, object] = {}
        previous_key = b""
        for i in range(arg):
            start = pos
            key, pos = item(data, pos, depth + 1, (*path, f"key {i}"), None, text)
            if not isinstance(key, int):
                raise Malformed(path, "map keys must be integers")
            encoded_key = data[start:pos]
            # RFC 8949 4.2.1: keys sorted by their encodings, bytewise; no duplicates.
            if i and encoded_key <= previous_key:
                raise Malformed(path, "map keys duplicated or not in deterministic order")
            previous_key = encoded_key
            entries[key], pos = item(data, pos, depth + 1, (*path, str(key)), None, text)
        return entries, pos
    # major == 6: a tag; only the expected one, and only around the whole message.
    if tag is None or depth != 0 or arg != tag:
        raise Malformed(path, f"CBOR tag {arg} is not allowed here")
    value, pos = item(data, pos, depth + 1, path, None, text)
    return Tag(arg, value), pos


def decode(data: bytes, *, tag: int | None = None, text: bool = False) -> object:
    """Decode exactly one data item that fills ``data``; raise Malformed otherwise.
    ``text`` admits UTF-8 text strings (settlement messages carry decimal numbers)."""
    value, end = item(data, 0, 0, (), tag, text)
    if end != len(data):
        raise Malformed((), f"{len(data) - end} trailing bytes after the message")
    return value


def malformed(message: str, names: Sequence[str], exc: Malformed) -> FormatError:
    """A FormatError naming where decoding failed: ``count``, ``unprotected[4]``, ..."""
    path = exc.path
    if path and isinstance(path[0], int) and path[0] < len(names):
        where, rest = names[path[0]], path[1:]
    else:
        where, rest = message, path
    where += "".join(f"[{p}]" for p in rest)
    return FormatError(f"{where}: {exc.reason}")


def check_input(data: object, limit: int, what: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > limit:
        raise FormatError(f"{what}: {len(data)} bytes is longer than any valid one ({limit})")
    return data
