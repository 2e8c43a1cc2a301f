"""Pedersen commitments to meter readings, and their linear openings.

A reading ``r`` (Wh, an integer in ``[0, 2^64)``) with blinding ``o`` (a
:class:`~privbill.group.Scalar`) is committed as

    C = r*G + o*H

where ``G`` is the ristretto255 generator and ``H`` is the one-way map
(RFC 9496 section 4.3.4) of ``SHA-512(H_DOMAIN)``, so that nobody knows
``log_G(H)``. ``C`` hides ``r`` perfectly, and binds it unless one can
compute that logarithm.

Commitments are additively homomorphic: for public integer weights ``w_i``,

    sum w_i*C_i == (sum w_i*r_i)*G + (sum w_i*o_i)*H

so a household discloses ``V = sum w_i r_i`` and ``W = sum w_i o_i mod l``
and anyone holding the commitments checks that one equation, without
learning any single ``r_i``. Weights may be negative (prices below zero),
so ``V`` is any integer; it is used mod l in the check.

Blindings need no storage: ``o = wide_reduce(SHA-512(BLINDING_DOMAIN || k ||
meter_id || channel || be64(index)))`` from the meter's commitment secret
``k`` (:func:`derive_blinding`).

>>> k, meter = bytes(range(32)), bytes(16)
>>> readings = [120, 0, 310, 95]
>>> blindings = [derive_blinding(k, meter, 0, 1000 + i) for i in range(4)]
>>> wire = commit_many(readings, blindings)        # what the meter publishes
>>> cs = CommitmentSet.from_bytes(wire)            # what a verifier decodes, once
>>> total = sum(blindings[1:], blindings[0])
>>> verify_opening(cs.sum(range(4)), 525, total)   # None: the total opens
>>> verify_opening(cs.sum(range(4)), 524, total)
Traceback (most recent call last):
    ...
privbill.errors.OpeningError: the value and blinding do not open the commitment
>>> prices = [30, 30, -5, 12]                      # a dynamic tariff, signed
>>> w = sum((Scalar.from_int(p) * o for p, o in zip(prices, blindings)), Scalar.from_int(0))
>>> verify_opening(cs.combine(prices), 30*120 + 30*0 - 5*310 + 12*95, w)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from privbill import _ffi
from privbill._ffi import ffi, lib
from privbill.errors import EncodingError, OpeningError, RangeError
from privbill.group import Element, L, Scalar

__all__ = [
    "BLINDING_DOMAIN",
    "H_DOMAIN",
    "POINT_SIZE",
    "CommitmentSet",
    "G",
    "H",
    "combine_blindings",
    "commit",
    "commit_batch",
    "commit_many",
    "decode_hints",
    "derive_blinding",
    "verify_opening",
]

#: The published bytes whose SHA-512 is mapped to H with the one-way map
#: (the C header's PRIVBILL_H_DOMAIN; a test checks the two agree).
H_DOMAIN = b"privbill/v1/pedersen/H"
#: The domain prefix of the blinding derivation (PRIVBILL_BLINDING_DOMAIN).
BLINDING_DOMAIN = b"privbill/v1/blinding"

#: Bytes of one decoded commitment in the C core's internal form.
POINT_SIZE: int = ffi.sizeof("privbill_point")

_SCALAR = _ffi.SCALARBYTES
_ELEMENT = _ffi.ELEMENTBYTES


def _h() -> Element:
    out = _ffi.out_bytes(_ELEMENT)
    lib.privbill_pedersen_h(out)
    return Element.from_bytes(_ffi.to_bytes(out))


#: The ristretto255 generator.
G = Element.generator()
#: The second generator: from_uniform(SHA-512(H_DOMAIN)).
H = _h()


def _blinding_bytes(blinding: object) -> bytes:
    if not isinstance(blinding, Scalar):
        raise TypeError(f"blinding must be a Scalar, not {type(blinding).__name__}")
    return bytes(blinding)


def commit(value: int, blinding: Scalar) -> Element:
    """``value*G + blinding*H``, constant time in both.

    ``value`` is a reading: an int in ``[0, 2^64)``, else
    :class:`~privbill.errors.RangeError`.

    >>> o = Scalar.random()
    >>> commit(3, o) + commit(4, -o) == commit(7, Scalar.from_int(0)) == Scalar.from_int(7) * G
    True
    """
    v = _ffi.as_uint("value", value, 64)
    b = _blinding_bytes(blinding)
    out = _ffi.out_bytes(_ELEMENT)
    lib.privbill_pedersen_commit(out, v, b)
    return Element._new(_ffi.to_bytes(out))


def commit_many(values: Sequence[int], blindings: Sequence[Scalar]) -> bytes:
    """Commit to many readings in one C call; returns the concatenated
    32-byte encodings (the wire form that :meth:`CommitmentSet.from_bytes`
    reads).

    >>> o = [Scalar.from_int(i) for i in range(3)]
    >>> commit_many([5, 6, 7], o)[32:64] == bytes(commit(6, o[1]))
    True
    """
    vals = list(values)
    blind = list(blindings)
    if len(vals) != len(blind):
        raise RangeError(f"{len(vals)} values but {len(blind)} blindings")
    n = len(vals)
    if n == 0:
        return b""
    varr = _ffi.u64_array("values", vals)
    bbuf = b"".join(_blinding_bytes(o) for o in blind)
    out = _ffi.out_bytes(n * _ELEMENT)
    lib.privbill_pedersen_commit_many(out, varr, bbuf, n)
    return _ffi.to_bytes(out)


def derive_blinding(secret: bytes, meter_id: bytes, channel: int, index: int) -> Scalar:
    """The blinding of one reading:
    ``wide_reduce(SHA-512(BLINDING_DOMAIN || secret || meter_id || channel ||
    be64(index)))``, constant time in ``secret``.

    ``secret`` is the meter's 32-byte commitment secret ``k``, ``meter_id``
    16 bytes, ``channel`` in ``[0, 255]`` (import, export, ...), ``index``
    the interval index in ``[0, 2^64)``.

    >>> k = bytes(32)
    >>> derive_blinding(k, bytes(16), 0, 7) == derive_blinding(k, bytes(16), 0, 7)
    True
    >>> derive_blinding(k, bytes(16), 0, 7) == derive_blinding(k, bytes(16), 1, 7)
    False
    """
    s = _ffi.as_bytes("secret", secret, _ffi.SECRETBYTES)
    m = _ffi.as_bytes("meter_id", meter_id, _ffi.METERIDBYTES)
    c = _ffi.as_uint("channel", channel, 8)
    i = _ffi.as_uint("index", index, 64)
    out = _ffi.out_bytes(_SCALAR)
    lib.privbill_blinding_derive(out, s, m, c, i)
    result = Scalar._new(_ffi.to_bytes(out))
    _ffi.wipe(out)
    return result


class CommitmentSet:
    """Many commitments, decoded once from their wire form and kept in the
    C core's internal representation, for sums and linear combinations.

    All operations are variable time: commitments are public.

    >>> o = [Scalar.from_int(i + 1) for i in range(5)]
    >>> cs = CommitmentSet.from_bytes(commit_many([10, 20, 30, 40, 50], o))
    >>> len(cs), cs.element(2) == commit(30, o[2])
    (5, True)
    >>> cs.sum([0, 4]) == commit(60, o[0] + o[4])
    True
    >>> CommitmentSet.from_bytes(bytes(cs.element(0)) + b"\\xff" * 32)
    Traceback (most recent call last):
        ...
    privbill.errors.EncodingError: commitment 1 is not a valid ristretto255 encoding
    """

    __slots__ = ("_n", "_points")
    _n: int
    _points: Any  # privbill_point[n]

    def __init__(self) -> None:
        raise TypeError("use CommitmentSet.from_bytes")

    @classmethod
    def from_bytes(cls, wire: bytes, hints: bytes | None = None) -> CommitmentSet:
        """Decode ``n`` consecutive 32-byte encodings in one C call.

        ``hints`` (optional, from :func:`decode_hints`: 32 bytes per encoding)
        lets each decoding skip its inverse square root; a wrong hint is
        detected and costs only the time it should have saved, so the result
        never depends on it (docs/protocol.md, "Decoding hints").

        Raises :class:`~privbill.errors.EncodingError` if the length is not
        a multiple of 32, or naming the first index that is not a valid
        ristretto255 encoding.

        >>> wire = commit_many([1, 2], [Scalar.from_int(3), Scalar.from_int(4)])
        >>> cs = CommitmentSet.from_bytes(wire, decode_hints(wire))
        >>> cs.sum() == commit(3, Scalar.from_int(7))
        True
        """
        data = _ffi.as_bytes("wire", wire)
        if len(data) % _ELEMENT:
            raise EncodingError(f"commitments are {_ELEMENT} bytes each; got {len(data)} bytes")
        n = len(data) // _ELEMENT
        if hints is not None and len(_ffi.as_bytes("hints", hints)) != len(data):
            raise EncodingError(f"hints: {len(data)} bytes expected, got {len(hints)}")
        points = ffi.new("privbill_point[]", max(n, 1))
        if n:
            first_bad = ffi.new("size_t *")
            if hints is None:
                rc = lib.privbill_points_decode(points, first_bad, _ffi.in_buffer(data), n)
            else:
                rc = lib.privbill_points_decode_hinted_vartime(
                    points, first_bad, _ffi.in_buffer(data), _ffi.in_buffer(hints), n
                )
            if rc != 0:
                raise EncodingError(
                    f"commitment {first_bad[0]} is not a valid ristretto255 encoding"
                )
        self = object.__new__(cls)
        self._n = n
        self._points = points
        return self

    @classmethod
    def from_points(cls, raw: bytes) -> CommitmentSet:
        """Rebuild a set from :meth:`to_points` output without decoding again.

        ``raw`` is the C core's internal form, as a retailer keeps it in its
        own store after decoding once at ingest. It is trusted: only pass bytes
        that :meth:`to_points` produced on a build with the same field backend.
        """
        data = _ffi.as_bytes("raw", raw)
        size = POINT_SIZE
        if len(data) % size:
            raise EncodingError(f"internal points are {size} bytes each; got {len(data)}")
        n = len(data) // size
        points = ffi.new("privbill_point[]", max(n, 1))
        ffi.memmove(points, data, len(data))
        self = object.__new__(cls)
        self._n = n
        self._points = points
        return self

    def to_points(self) -> bytes:
        """The decoded points in the C core's internal form (see :meth:`from_points`)."""
        return bytes(ffi.buffer(self._points, self._n * ffi.sizeof("privbill_point")))

    def __len__(self) -> int:
        return self._n

    def element(self, i: int) -> Element:
        """Commitment ``i`` as an :class:`~privbill.group.Element`."""
        idx = _ffi.as_int("i", i)
        if not 0 <= idx < self._n:
            raise IndexError(f"commitment index {idx} out of range for {self._n}")
        pt = ffi.new("privbill_point[1]")
        ffi.memmove(pt, self._points + idx, ffi.sizeof("privbill_point"))
        return Element._from_point(pt)

    def sum(self, indices: Iterable[int] | None = None) -> Element:
        """The sum of the commitments at ``indices`` (all of them if
        ``None``), in one C call. An index repeated counts twice.

        Raises :class:`IndexError` for an index outside ``[0, len(self))``.
        """
        out = ffi.new("privbill_point[1]")
        if indices is None:
            rc = lib.privbill_points_sum_vartime(out, self._points, self._n, ffi.NULL, self._n)
        else:
            idx = list(indices)
            if not idx:
                return Element.identity()
            try:
                arr = ffi.new("uint32_t[]", idx)
            except OverflowError:
                raise IndexError(f"an index is out of range for {self._n} commitments") from None
            rc = lib.privbill_points_sum_vartime(out, self._points, self._n, arr, len(idx))
        if rc != 0:
            raise IndexError(f"an index is out of range for {self._n} commitments")
        return Element._from_point(out)

    def combine(self, weights: Sequence[int]) -> Element:
        """``sum weights[i] * C_i`` for one signed 64-bit integer weight per
        commitment, in one C call (a multiscalar multiplication).

        Raises :class:`~privbill.errors.RangeError` if the number of weights
        differs from ``len(self)`` or a weight does not fit in 64 signed bits.

        >>> o = [Scalar.from_int(i + 1) for i in range(3)]
        >>> cs = CommitmentSet.from_bytes(commit_many([10, 20, 30], o))
        >>> cs.combine([2, 1, -1]) == commit(2*10 + 20 - 30, Scalar.from_int(2*1 + 2 - 3))
        True
        """
        w = list(weights)
        if len(w) != self._n:
            raise RangeError(f"{len(w)} weights for {self._n} commitments")
        out = ffi.new("privbill_point[1]")
        if self._n == 0:
            return Element.identity()
        arr = _ffi.i64_array("weights", w)
        lib.privbill_points_combine_vartime(out, self._points, arr, self._n)
        return Element._from_point(out)


def verify_opening(commitment: Element, value: int, blinding: Scalar) -> None:
    """Check ``commitment == value*G + blinding*H``; return ``None`` or raise
    :class:`~privbill.errors.OpeningError`.

    ``value`` is any integer: a disclosed linear combination can be negative
    or exceed 64 bits, so it is taken mod l. Variable time: the value and
    blinding being checked are disclosed, hence public.

    >>> o = Scalar.random()
    >>> verify_opening(commit(42, o), 42, o)
    >>> verify_opening(commit(42, o), 42 + L, o)     # the same integer mod l
    """
    if not isinstance(commitment, Element):
        raise TypeError(f"commitment must be an Element, not {type(commitment).__name__}")
    v = _ffi.as_int("value", value)
    b = _blinding_bytes(blinding)
    rc = lib.privbill_pedersen_verify_vartime(
        commitment._point(), (v % L).to_bytes(_SCALAR, "little"), b
    )
    if rc != 0:
        raise OpeningError("the value and blinding do not open the commitment")


def commit_batch(
    secret: bytes, meter_id: bytes, channel: int, first_index: int, values: Sequence[int | None]
) -> list[bytes | None]:
    """The meter's batch in one C call: for each interval ``first_index + j``
    with a reading, its commitment under the derived blinding; None where
    ``values[j]`` is None (not recorded).

    >>> k, m = bytes(range(32)), bytes(16)
    >>> c = commit_batch(k, m, 0, 100, [5, None, 7])
    >>> c[1] is None, c[2] == bytes(commit(7, derive_blinding(k, m, 0, 102)))
    (True, True)
    """
    s = _ffi.as_bytes("secret", secret, _ffi.SECRETBYTES)
    m = _ffi.as_bytes("meter_id", meter_id, _ffi.METERIDBYTES)
    c = _ffi.as_uint("channel", channel, 8)
    first = _ffi.as_uint("first_index", first_index, 64)
    count = len(values)
    if not 0 < count <= lib.PRIVBILL_BATCH_MAX:
        raise RangeError(f"a batch covers 1 to {lib.PRIVBILL_BATCH_MAX} intervals, got {count}")
    presence = bytearray((count + 7) // 8)
    for j, v in enumerate(values):
        if v is not None:
            presence[j // 8] |= 1 << (j % 8)
    varr = _ffi.u64_array("values", [0 if v is None else v for v in values])
    out = _ffi.out_bytes(count * _ELEMENT)
    n_out = ffi.new("size_t *")
    _ffi.check(
        lib.privbill_meter_commit_batch(out, n_out, s, m, c, first, count, bytes(presence), varr),
        RangeError,
        "the interval range overflows 64 bits",
    )
    wire = _ffi.to_bytes(out, n_out[0] * _ELEMENT)
    it = iter(range(0, len(wire), _ELEMENT))
    return [None if v is None else wire[(k := next(it)) : k + _ELEMENT] for v in values]


def combine_blindings(
    secret: bytes,
    meter_id: bytes,
    channel: int,
    indices: Sequence[int],
    weights: Sequence[int] | None = None,
) -> Scalar:
    """The opening of a linear query, in one C call: ``sum w_i * o_i mod l``
    over the blindings of ``indices`` (all weights 1 if ``weights`` is None).

    >>> k, m = bytes(range(32)), bytes(16)
    >>> o = [derive_blinding(k, m, 0, i) for i in (3, 4)]
    >>> combine_blindings(k, m, 0, [3, 4], [2, -1]) == Scalar.from_int(2) * o[0] - o[1]
    True
    """
    s = _ffi.as_bytes("secret", secret, _ffi.SECRETBYTES)
    m = _ffi.as_bytes("meter_id", meter_id, _ffi.METERIDBYTES)
    c = _ffi.as_uint("channel", channel, 8)
    idx = list(indices)
    if weights is not None and len(weights) != len(idx):
        raise RangeError(f"{len(weights)} weights for {len(idx)} indices")
    out = _ffi.out_bytes(_SCALAR)
    lib.privbill_blinding_combine(
        out,
        s,
        m,
        c,
        _ffi.u64_array("indices", idx) if idx else ffi.NULL,
        ffi.NULL if weights is None or not idx else _ffi.i64_array("weights", weights),
        len(idx),
    )
    result = Scalar._new(_ffi.to_bytes(out))
    _ffi.wipe(out)
    return result


def decode_hints(wire: bytes) -> bytes:
    """Decoding hints for concatenated 32-byte encodings: 32 bytes each, the
    inverse square root their decoding needs (docs/protocol.md, "Decoding
    hints"). A sender that computes them spares every verifier that work.

    >>> wire = commit_many([5], [Scalar.from_int(1)])
    >>> len(decode_hints(wire))
    32
    """
    data = _ffi.as_bytes("wire", wire)
    if len(data) % _ELEMENT:
        raise EncodingError(f"commitments are {_ELEMENT} bytes each; got {len(data)} bytes")
    n = len(data) // _ELEMENT
    if n == 0:
        return b""
    out = _ffi.out_bytes(len(data))
    first_bad = ffi.new("size_t *")
    if lib.privbill_decode_hints(out, first_bad, _ffi.in_buffer(data), n) != 0:
        raise EncodingError(f"commitment {first_bad[0]} is not a valid ristretto255 encoding")
    return _ffi.to_bytes(out)
