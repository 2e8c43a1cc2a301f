"""The ristretto255 group: :class:`Scalar` and :class:`Element`.

This is the low-level ("hazmat") layer: strict value types over the C core,
for code that builds protocols. Billing code uses the recipes built on top
(meters, households, retailers) and never needs these directly.

ristretto255 (RFC 9496) is a prime-order group of order

    l = 2^252 + 27742317777372353535851937790883648493

built from Curve25519: every element has exactly one 32-byte encoding, and
there is no cofactor. Scalars are the integers mod l, written as 32 bytes
little-endian. The group is written additively: ``a * P`` is P added to
itself a times, and ``n * P`` (scalar on the left) is the only
multiplication there is; an ``int`` never becomes a scalar by accident.

>>> a, b = Scalar.from_int(6), Scalar.from_int(7)
>>> G = Element.generator()
>>> (a * b) * G == a * (b * G) == Scalar.from_int(42) * G
True
>>> a * G + b * G == (a + b) * G
True
>>> Scalar.from_int(L) == Scalar.from_int(0)
True
>>> 6 * G
Traceback (most recent call last):
    ...
TypeError: unsupported operand type(s) for *: 'int' and 'Element'

Equality is constant time. Secret scalars are kept as bytes (never as a
Python ``int``) and their ``repr`` shows no value.
"""

from __future__ import annotations

import hmac
import os
from typing import Any, overload

from privbill import _ffi
from privbill._ffi import ffi, lib
from privbill.errors import EncodingError

__all__ = ["Element", "L", "Scalar"]

#: The order of ristretto255 (a public constant).
L = 2**252 + 27742317777372353535851937790883648493

_SCALAR = _ffi.SCALARBYTES
_ELEMENT = _ffi.ELEMENTBYTES
_UNIFORM = _ffi.UNIFORMBYTES
_DST_MAX = 255  # RFC 9380 section 5.3.1: len(DST) <= 255


class Scalar:
    """An integer mod l: a value type, kept as 32 canonical bytes.

    Build one with :meth:`from_bytes`, :meth:`from_int`, :meth:`random` or
    :meth:`from_uniform_bytes`; combine with ``+``, ``-``, unary ``-`` and
    ``*`` (another Scalar, or an :class:`Element` on the right).

    >>> s = Scalar.from_int(-1)
    >>> bytes(s + Scalar.from_int(1)) == bytes(32)
    True
    >>> Scalar.from_bytes(bytes(s)) == s
    True
    >>> s
    Scalar(<secret>)
    """

    __slots__ = ("_b",)
    _b: bytes

    def __init__(self) -> None:
        raise TypeError(
            "use Scalar.from_bytes, Scalar.from_int, Scalar.random or Scalar.from_uniform_bytes"
        )

    @classmethod
    def _new(cls, b: bytes) -> Scalar:
        self = object.__new__(cls)
        object.__setattr__(self, "_b", b)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Scalar is immutable")

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (Scalar.from_bytes, (self._b,))

    # --- construction ------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes) -> Scalar:
        """The scalar whose canonical encoding is ``data``: 32 bytes,
        little-endian, less than l. Anything else raises
        :class:`~privbill.errors.EncodingError`.

        >>> Scalar.from_bytes(L.to_bytes(32, "little"))
        Traceback (most recent call last):
            ...
        privbill.errors.EncodingError: scalar encoding is not canonical (not below l)
        """
        b = _ffi.as_bytes("scalar", data, _SCALAR)
        if lib.privbill_scalar_is_canonical(b) != 1:
            raise EncodingError("scalar encoding is not canonical (not below l)")
        return cls._new(b)

    @classmethod
    def from_int(cls, n: int) -> Scalar:
        """``n mod l`` for any Python int, negative ones included.

        The reduction is Python's, so the int you pass is not handled in
        constant time: use it for public values (readings being disclosed,
        weights, test values); secrets come from :meth:`random`,
        :meth:`from_uniform_bytes` or a derivation, and stay bytes.

        >>> Scalar.from_int(-5) + Scalar.from_int(5) == Scalar.from_int(0)
        True
        """
        v = _ffi.as_int("n", n)
        return cls._new((v % L).to_bytes(_SCALAR, "little"))

    @classmethod
    def from_uniform_bytes(cls, data: bytes) -> Scalar:
        """``int.from_bytes(data, "little") mod l`` for 64 bytes (wide
        reduction): uniform when ``data`` is, with bias below 2^-250.

        >>> Scalar.from_uniform_bytes(bytes(64)) == Scalar.from_int(0)
        True
        """
        b = _ffi.as_bytes("uniform bytes", data, _UNIFORM)
        out = _ffi.out_bytes(_SCALAR)
        lib.privbill_scalar_reduce(out, b)
        return cls._new(_ffi.to_bytes(out))

    @classmethod
    def random(cls) -> Scalar:
        """A uniformly random scalar: 64 bytes of ``os.urandom``, reduced.

        >>> Scalar.random() == Scalar.random()
        False
        """
        return cls.from_uniform_bytes(os.urandom(_UNIFORM))

    # --- arithmetic mod l --------------------------------------------

    def __add__(self, other: object) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        out = _ffi.out_bytes(_SCALAR)
        lib.privbill_scalar_add(out, self._b, other._b)
        return Scalar._new(_ffi.to_bytes(out))

    def __sub__(self, other: object) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        out = _ffi.out_bytes(_SCALAR)
        lib.privbill_scalar_sub(out, self._b, other._b)
        return Scalar._new(_ffi.to_bytes(out))

    def __neg__(self) -> Scalar:
        out = _ffi.out_bytes(_SCALAR)
        lib.privbill_scalar_negate(out, self._b)
        return Scalar._new(_ffi.to_bytes(out))

    @overload
    def __mul__(self, other: Scalar) -> Scalar: ...
    @overload
    def __mul__(self, other: Element) -> Element: ...
    def __mul__(self, other: object) -> Scalar | Element:
        """``a * b`` mod l for a Scalar ``b``; the point ``a * P`` for an
        Element ``P`` (constant time in ``a``)."""
        if isinstance(other, Scalar):
            out = _ffi.out_bytes(_SCALAR)
            lib.privbill_scalar_mul(out, self._b, other._b)
            return Scalar._new(_ffi.to_bytes(out))
        if isinstance(other, Element):
            out = _ffi.out_bytes(_ELEMENT)
            rc = lib.privbill_ristretto255_scalarmult(out, self._b, other._b)
            _ffi.check(rc, EncodingError, "not a valid ristretto255 element")
            return Element._new(_ffi.to_bytes(out))
        return NotImplemented

    # --- value-type behaviour ----------------------------------------

    def __bytes__(self) -> bytes:
        """The canonical 32-byte little-endian encoding."""
        return self._b

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scalar):
            return NotImplemented
        return hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash((Scalar, self._b))

    def __repr__(self) -> str:
        return "Scalar(<secret>)"


class Element:
    """An element of ristretto255: a value type, kept as its canonical
    32-byte encoding (RFC 9496 section 4.3.2).

    ``+`` and ``-`` are the group law; ``s * P`` for a :class:`Scalar` ``s``
    is scalar multiplication. The identity (32 zero bytes) is a valid
    element.

    >>> G = Element.generator()
    >>> G - G == Element.identity()
    True
    >>> Element.from_bytes(bytes(G)) == G
    True
    >>> G
    Element('e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76')
    """

    __slots__ = ("_b", "_pt")
    _b: bytes
    _pt: Any  # privbill_point[1], decoded on first use

    def __init__(self) -> None:
        raise TypeError(
            "use Element.from_bytes, Element.generator, Element.identity, "
            "Element.from_uniform_bytes or Element.hash_to_group"
        )

    @classmethod
    def _new(cls, b: bytes, pt: Any = None) -> Element:
        self = object.__new__(cls)
        object.__setattr__(self, "_b", b)
        object.__setattr__(self, "_pt", pt)
        return self

    @classmethod
    def _from_point(cls, pt: Any) -> Element:
        """From a decoded ``privbill_point[1]`` (kept, so that passing the
        element back to C does not decode it again)."""
        out = _ffi.out_bytes(_ELEMENT)
        lib.privbill_point_encode(out, pt)
        return cls._new(_ffi.to_bytes(out), pt)

    def _point(self) -> Any:
        """This element as a decoded ``privbill_point[1]`` (cached)."""
        if self._pt is None:
            pt = ffi.new("privbill_point[1]")
            rc = lib.privbill_point_decode(pt, self._b)
            _ffi.check(rc, EncodingError, "not a valid ristretto255 element")
            object.__setattr__(self, "_pt", pt)
        return self._pt

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Element is immutable")

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (Element.from_bytes, (self._b,))

    # --- construction ------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes) -> Element:
        """The element encoded by ``data``. Raises
        :class:`~privbill.errors.EncodingError` unless ``data`` is exactly 32
        bytes and the canonical encoding of an element (RFC 9496 section
        4.3.1: s < p, s even, and the decoding equations hold).

        >>> Element.from_bytes(b"\\x01" + bytes(31))
        Traceback (most recent call last):
            ...
        privbill.errors.EncodingError: not a valid ristretto255 element encoding
        """
        b = _ffi.as_bytes("element", data, _ELEMENT)
        _ffi.check(
            lib.privbill_ristretto255_validate(b),
            EncodingError,
            "not a valid ristretto255 element encoding",
        )
        return cls._new(b)

    @classmethod
    def generator(cls) -> Element:
        """The ristretto255 generator G (RFC 9496 section 4.4)."""
        return _GENERATOR

    @classmethod
    def identity(cls) -> Element:
        """The identity: 32 zero bytes.

        >>> bytes(Element.identity()) == bytes(32)
        True
        """
        return _IDENTITY

    @classmethod
    def from_uniform_bytes(cls, data: bytes) -> Element:
        """RFC 9496 section 4.3.4: the one-way map from 64 uniform bytes to
        an element. Nobody learns the discrete logarithm of the result,
        which is how the Pedersen generator H is made.

        >>> Element.from_uniform_bytes(bytes(64)) == Element.identity()
        True
        """
        b = _ffi.as_bytes("uniform bytes", data, _UNIFORM)
        out = _ffi.out_bytes(_ELEMENT)
        lib.privbill_ristretto255_from_uniform(out, b)
        return cls._new(_ffi.to_bytes(out))

    @classmethod
    def hash_to_group(cls, msg: bytes, dst: bytes) -> Element:
        """Hash ``msg`` to an element under the domain-separation tag ``dst``:
        ``from_uniform(expand_message_xmd(msg, dst, 64))`` with SHA-512
        (RFC 9380 section 5.3.1). ``dst`` is 1 to 255 bytes.

        >>> P = Element.hash_to_group(b"meter 42", b"privbill-example")
        >>> P == Element.hash_to_group(b"meter 42", b"privbill-example")
        True
        >>> P == Element.hash_to_group(b"meter 43", b"privbill-example")
        False
        """
        m = _ffi.as_bytes("msg", msg)
        d = _ffi.as_bytes("dst", dst)
        if not 0 < len(d) <= _DST_MAX:
            raise EncodingError(f"dst must be 1 to {_DST_MAX} bytes, got {len(d)}")
        out = _ffi.out_bytes(_ELEMENT)
        rc = lib.privbill_ristretto255_hash_to_group(out, m, len(m), d, len(d))
        _ffi.check(rc, EncodingError, "hash_to_group rejected its arguments")
        return cls._new(_ffi.to_bytes(out))

    # --- group law ---------------------------------------------------

    def __add__(self, other: object) -> Element:
        if not isinstance(other, Element):
            return NotImplemented
        out = _ffi.out_bytes(_ELEMENT)
        rc = lib.privbill_ristretto255_add(out, self._b, other._b)
        _ffi.check(rc, EncodingError, "not a valid ristretto255 element")
        return Element._new(_ffi.to_bytes(out))

    def __sub__(self, other: object) -> Element:
        if not isinstance(other, Element):
            return NotImplemented
        out = _ffi.out_bytes(_ELEMENT)
        rc = lib.privbill_ristretto255_sub(out, self._b, other._b)
        _ffi.check(rc, EncodingError, "not a valid ristretto255 element")
        return Element._new(_ffi.to_bytes(out))

    def __neg__(self) -> Element:
        return _IDENTITY - self

    # --- value-type behaviour ----------------------------------------

    def __bytes__(self) -> bytes:
        """The canonical 32-byte encoding."""
        return self._b

    def __eq__(self, other: object) -> bool:
        # Canonical encodings are unique, so equal elements have equal bytes.
        if not isinstance(other, Element):
            return NotImplemented
        return hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash((Element, self._b))

    def __repr__(self) -> str:
        return f"Element('{self._b.hex()}')"


def _make_generator() -> Element:
    one = _ffi.out_bytes(_SCALAR)
    one[0] = 1
    out = _ffi.out_bytes(_ELEMENT)
    lib.privbill_ristretto255_scalarmult_base(out, one)
    return Element._new(_ffi.to_bytes(out))


_IDENTITY = Element._new(bytes(_ELEMENT))
_GENERATOR = _make_generator()
