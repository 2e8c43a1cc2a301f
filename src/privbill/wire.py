"""Meter batches on the wire: a deterministic CBOR payload in a COSE_Sign1 envelope.

This is the low-level layer: bytes in, typed values out, and the reverse. It checks
the *form* of a batch (every field, every length, the deterministic encoding) and, on
request, its signature; whether a batch fits the meter's history (counter, hash
chain, equivocation) is the retailer's job. docs/protocol.md, section "Meter batch", is the
specification; this module implements it.

Payload (protocol version 1): the deterministic CBOR encoding (RFC 8949 section
4.2.1) of an array of ten items::

    [version, meter_id, channel, period, first_index, count,
     presence, commitments, counter, prev_hash]

Envelope: a tagged COSE_Sign1 (RFC 9052 section 4.2)::

    18([h'A10127' / {1: -8} /, {4: meter_id}, payload, signature])

signed over the ``Sig_structure`` ``["Signature1", protected, h'', payload]``.

Decoding is strict. Any deviation from the one valid encoding (trailing bytes,
indefinite lengths, integers or lengths not in shortest form, unsorted or duplicate
map keys, a wrong type, a wrong length, an unknown algorithm, unused presence bits
set, ...) raises :class:`~privbill.errors.FormatError` whose message starts with the
field at fault. Nothing else escapes on arbitrary input. The decoder is written for
hostile input: it accepts only the CBOR subset these messages use (unsigned and
negative integers, byte strings, arrays, maps with integer keys, tag 18 at the top
of a COSE_Sign1), bounds the nesting depth, checks every declared length against
the bytes that remain *before* it slices or loops (so a 9-byte header cannot make
it allocate gigabytes), and refuses input longer than the largest valid message.
As a last check every decoded message is re-encoded and must reproduce its input
byte for byte.

>>> from privbill.keys import SigningKey
>>> key = SigningKey.from_bytes(bytes(32))
>>> payload = BatchPayload.from_intervals(
...     meter_id=bytes(16), channel=CHANNEL_IMPORT, period=1800, first_index=946704,
...     commitments=[bytes(32), None, bytes(32)], counter=1, prev_hash=ZERO_HASH)
>>> payload.present_indices()
[946704, 946706]
>>> batch = sign_batch(payload, key)
>>> again = SignedBatch.decode(batch.encoded)
>>> again.verify(key.verifying_key)          # None, or BadSignatureError
>>> again == batch, again.payload.presence.hex(), len(batch.hash())
(True, '05', 32)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import cbor2

from privbill._cbor import Malformed as _Malformed
from privbill._cbor import Tag as _Tag
from privbill._cbor import check_input as _check_input
from privbill._cbor import decode as _decode_cbor
from privbill._cbor import head as _head
from privbill._cbor import item as _item
from privbill._cbor import malformed as _malformed
from privbill.errors import BadSignatureError, EncodingError, FormatError, RangeError
from privbill.keys import ALG_BY_COSE, COSE_ALG, SIGNATURE_SIZE, Alg, SigningKey, VerifyingKey

__all__ = [
    "CHANNEL_EXPORT",
    "CHANNEL_IMPORT",
    "COMMITMENT_SIZE",
    "COSE_SIGN1_TAG",
    "HASH_SIZE",
    "MAX_BATCH_SIZE",
    "MAX_COUNT",
    "MAX_PAYLOAD_SIZE",
    "METER_ID_SIZE",
    "PERIODS",
    "PROTOCOL_VERSION",
    "ZERO_HASH",
    "BatchPayload",
    "SignedBatch",
    "sign_batch",
]

#: The payload layout this module reads and writes.
PROTOCOL_VERSION: Final = 1
#: A meter id is an opaque 16-byte string (it is also the COSE ``kid``).
METER_ID_SIZE: Final = 16
#: A commitment is a canonical ristretto255 encoding (checked by the C core).
COMMITMENT_SIZE: Final = 32
#: SHA-256 output size, the size of ``prev_hash``.
HASH_SIZE: Final = 32
#: Most intervals one batch may cover.
MAX_COUNT: Final = 4096
#: Interval lengths in seconds: 30 minutes, and 15 minutes for EU settlement.
PERIODS: Final = (900, 1800)
#: Channel numbers defined by protocol version 1 (the wire accepts 0..255).
CHANNEL_IMPORT: Final = 0
CHANNEL_EXPORT: Final = 1
#: ``prev_hash`` of a meter's first batch on a channel (counter 1).
ZERO_HASH: Final = bytes(HASH_SIZE)
#: CBOR tag of a COSE_Sign1 message (RFC 9052 section 2).
COSE_SIGN1_TAG: Final = 18

_UINT64_LIMIT: Final = 1 << 64
_FIELDS: Final = (
    "version",
    "meter_id",
    "channel",
    "period",
    "first_index",
    "count",
    "presence",
    "commitments",
    "counter",
    "prev_hash",
)
_BYTES_FIELDS: Final = frozenset({"meter_id", "presence", "commitments", "prev_hash"})
_COSE_FIELDS: Final = ("protected", "unprotected", "payload", "signature")
_HEADER_ALG: Final = 1  # COSE header label "alg"
_HEADER_KID: Final = 4  # COSE header label "kid"

#: Largest valid payload: array head 1, version 1, meter_id 17, channel 2, period 3,
#: first_index 9, count 3, presence 3+512, commitments 5+131072, counter 9,
#: prev_hash 2+32.
MAX_PAYLOAD_SIZE: Final = 131_671
#: Largest valid COSE_Sign1: tag 1, array head 1, protected 1+3, unprotected 3+16,
#: payload 5+MAX_PAYLOAD_SIZE, signature 2+64.
MAX_BATCH_SIZE: Final = 96 + MAX_PAYLOAD_SIZE


# --- the payload --------------------------------------------------------------------------


def _check_uint(name: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise RangeError(f"{name}: {value} is outside {low}..{high}")
    return value


def _check_bytes(name: str, value: object, size: int | None = None) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
    if size is not None and len(value) != size:
        raise EncodingError(f"{name}: must be {size} bytes, got {len(value)}")
    return value


@dataclass(frozen=True, kw_only=True)
class BatchPayload:
    """The signed content of a meter batch (protocol version 1).

    Fields, in wire order (all integers are unsigned and below 2**64):

    - ``version``: 1.
    - ``meter_id``: 16 bytes.
    - ``channel``: 0..255; 0 import, 1 export, others reserved.
    - ``period``: interval length in seconds, 1800 or 900.
    - ``first_index``: index of the first interval, ``floor(unix_seconds / period)``.
    - ``count``: intervals covered, 1..4096.
    - ``presence``: ``ceil(count/8)`` bytes; bit ``j`` (byte ``j // 8``, bit
      ``j % 8``, least significant first) is 1 if interval ``first_index + j`` was
      recorded. Unused high bits of the last byte are 0.
    - ``commitments``: 32 bytes per recorded interval, in interval order.
    - ``counter``: batch number on this meter and channel, from 1.
    - ``prev_hash``: SHA-256 of the previous batch's COSE_Sign1 encoding on this
      meter and channel; 32 zero bytes exactly when ``counter`` is 1.

    Construction validates every field: a wrong Python type raises ``TypeError``,
    a number out of range :class:`~privbill.errors.RangeError`, bytes of the wrong
    size or inconsistent with the other fields
    :class:`~privbill.errors.EncodingError`. :meth:`decode` turns all of these into
    :class:`~privbill.errors.FormatError`.

    >>> p = BatchPayload(meter_id=bytes(16), channel=0, period=1800, first_index=10,
    ...                  count=3, presence=b"\\x05", commitments=bytes(64), counter=1,
    ...                  prev_hash=bytes(32))
    >>> p.present_indices(), p.last_index
    ([10, 12], 12)
    >>> p.encode()[:8].hex()
    '8a01500000000000'
    >>> BatchPayload.decode(p.encode()) == p
    True
    """

    version: int = PROTOCOL_VERSION
    meter_id: bytes
    channel: int
    period: int
    first_index: int
    count: int
    presence: bytes
    commitments: bytes = field(repr=False)
    counter: int
    prev_hash: bytes

    def __post_init__(self) -> None:
        """Check every field and their consistency (see the class docstring)."""
        if _check_uint("version", self.version, 0, _UINT64_LIMIT - 1) != PROTOCOL_VERSION:
            raise RangeError(f"version: unsupported protocol version {self.version}")
        _check_bytes("meter_id", self.meter_id, METER_ID_SIZE)
        _check_uint("channel", self.channel, 0, 255)
        if _check_uint("period", self.period, 0, _UINT64_LIMIT - 1) not in PERIODS:
            raise RangeError(f"period: {self.period} s is not one of {PERIODS}")
        _check_uint("first_index", self.first_index, 0, _UINT64_LIMIT - 1)
        _check_uint("count", self.count, 1, MAX_COUNT)
        if self.first_index + self.count > _UINT64_LIMIT:
            raise RangeError("first_index: the last interval index does not fit in 64 bits")
        _check_bytes("presence", self.presence, (self.count + 7) // 8)
        unused = self.count % 8
        if unused and self.presence[-1] >> unused:
            raise EncodingError("presence: unused bits of the last byte must be 0")
        present = int.from_bytes(self.presence, "little").bit_count()
        _check_bytes("commitments", self.commitments, COMMITMENT_SIZE * present)
        _check_uint("counter", self.counter, 1, _UINT64_LIMIT - 1)
        _check_bytes("prev_hash", self.prev_hash, HASH_SIZE)
        if (self.counter == 1) != (self.prev_hash == ZERO_HASH):
            raise EncodingError(
                "prev_hash: must be 32 zero bytes if and only if counter is 1"
                f" (counter is {self.counter})"
            )

    @classmethod
    def from_intervals(
        cls,
        *,
        meter_id: bytes,
        channel: int,
        period: int,
        first_index: int,
        commitments: Sequence[bytes | None],
        counter: int,
        prev_hash: bytes,
    ) -> BatchPayload:
        """Build a payload from one entry per interval: a commitment, or None if missing.

        ``count`` is ``len(commitments)``; the presence bitmap follows from the Nones.

        >>> p = BatchPayload.from_intervals(meter_id=bytes(16), channel=1, period=900,
        ...     first_index=0, commitments=[None] * 8 + [bytes(32)], counter=1,
        ...     prev_hash=bytes(32))
        >>> p.count, p.presence.hex(), p.present_indices()
        (9, '0001', [8])
        """
        if not isinstance(commitments, Sequence) or isinstance(commitments, (bytes, str)):
            raise TypeError("commitments must be a sequence of 32-byte strings or None")
        presence = bytearray((len(commitments) + 7) // 8)
        parts: list[bytes] = []
        for j, commitment in enumerate(commitments):
            if commitment is None:
                continue
            parts.append(_check_bytes(f"commitments[{j}]", commitment, COMMITMENT_SIZE))
            presence[j // 8] |= 1 << (j % 8)
        return cls(
            meter_id=meter_id,
            channel=channel,
            period=period,
            first_index=first_index,
            count=len(commitments),
            presence=bytes(presence),
            commitments=b"".join(parts),
            counter=counter,
            prev_hash=prev_hash,
        )

    @property
    def last_index(self) -> int:
        """Index of the last interval covered (recorded or not)."""
        return self.first_index + self.count - 1

    def present_indices(self) -> list[int]:
        """Interval indices the meter recorded, ascending; one per commitment."""
        out: list[int] = []
        for byte_index, byte in enumerate(self.presence):
            base = self.first_index + 8 * byte_index
            for bit in range(8):
                if byte >> bit & 1:
                    out.append(base + bit)
        return out

    def commitment_list(self) -> list[bytes]:
        """The commitments as 32-byte strings, in interval order."""
        c = self.commitments
        return [c[i : i + COMMITMENT_SIZE] for i in range(0, len(c), COMMITMENT_SIZE)]

    def present_commitments(self) -> list[tuple[int, bytes]]:
        """``(interval index, commitment)`` for every recorded interval."""
        return list(zip(self.present_indices(), self.commitment_list(), strict=True))

    def encode(self) -> bytes:
        """The deterministic CBOR encoding: the bytes the meter signs."""
        return cbor2.dumps(
            [
                self.version,
                self.meter_id,
                self.channel,
                self.period,
                self.first_index,
                self.count,
                self.presence,
                self.commitments,
                self.counter,
                self.prev_hash,
            ],
            canonical=True,
        )

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> BatchPayload:
        """Decode a payload strictly; any deviation raises FormatError naming the field.

        >>> BatchPayload.decode(bytes.fromhex("8a02"))
        Traceback (most recent call last):
            ...
        privbill.errors.FormatError: version: unsupported protocol version 2
        """
        data = _check_input(data, MAX_PAYLOAD_SIZE, "payload")
        try:
            return cls._decode(data)
        except FormatError:
            _check_version_first(data)  # an unsupported version is the error to report
            raise

    @classmethod
    def _decode(cls, data: bytes) -> BatchPayload:
        try:
            value = _decode_cbor(data)
        except _Malformed as exc:
            raise _malformed("payload", _FIELDS, exc) from None
        if not isinstance(value, list):
            raise FormatError("payload: expected a CBOR array")
        if len(value) != len(_FIELDS):
            raise FormatError(
                f"payload: expected an array of {len(_FIELDS)} items, got {len(value)}"
            )
        fields: dict[str, object] = {}
        for name, item in zip(_FIELDS, value, strict=True):
            if name in _BYTES_FIELDS:
                if not isinstance(item, bytes):
                    raise FormatError(f"{name}: expected a byte string")
            elif not isinstance(item, int) or item < 0:
                raise FormatError(f"{name}: expected an unsigned integer")
            fields[name] = item
        try:
            payload = cls(**fields)  # type: ignore[arg-type]
        except (RangeError, EncodingError) as exc:
            raise FormatError(str(exc)) from None
        if payload.encode() != data:  # unreachable if the decoder above is right
            raise FormatError("payload: not in deterministic encoding")
        return payload


def _check_version_first(data: bytes) -> None:
    """Raise FormatError if ``data`` is an array whose first item is another version.

    A later protocol version may change the layout after the version field, so an
    unsupported version is reported as such, before anything else is checked.
    """
    try:
        major, _, pos = _head(data, 0, ())
        if major != 4:
            return
        version, _ = _item(data, pos, 1, (0,), None)
    except _Malformed:
        return
    if isinstance(version, int) and version != PROTOCOL_VERSION:
        raise FormatError(f"version: unsupported protocol version {version}")


# --- the COSE_Sign1 envelope --------------------------------------------------------------


def _protected_header(alg: Alg) -> bytes:
    """The protected header bucket: ``{1: alg}`` as deterministic CBOR (3 bytes)."""
    return cbor2.dumps({_HEADER_ALG: COSE_ALG[alg]}, canonical=True)


_PROTECTED: Final[dict[Alg, bytes]] = {alg: _protected_header(alg) for alg in COSE_ALG}


def _sig_structure(protected: bytes, payload_bytes: bytes) -> bytes:
    """RFC 9052 section 4.4: ``["Signature1", protected, h'', payload]``."""
    return cbor2.dumps(["Signature1", protected, b"", payload_bytes], canonical=True)


def _envelope(protected: bytes, kid: bytes, payload_bytes: bytes, signature: bytes) -> bytes:
    """The tagged COSE_Sign1 encoding."""
    return cbor2.dumps(
        cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {_HEADER_KID: kid}, payload_bytes, signature]),
        canonical=True,
    )


def _decode_protected(value: object) -> Alg:
    for alg, encoded in _PROTECTED.items():  # the only two valid headers
        if value == encoded:
            return alg
    if not isinstance(value, bytes):
        raise FormatError("protected: expected a byte string")
    if not value:
        raise FormatError("protected: empty; the alg header (1) is required")
    try:
        header = _decode_cbor(value)
    except _Malformed as exc:
        raise FormatError(f"protected: {exc.reason}") from None
    if not isinstance(header, dict):
        raise FormatError("protected: expected a map")
    if set(header) != {_HEADER_ALG}:
        raise FormatError(
            f"protected: expected exactly the alg header (1), got labels {sorted(header)}"
        )
    alg = header[_HEADER_ALG]
    if not isinstance(alg, int) or alg not in ALG_BY_COSE:
        raise FormatError(f"protected: unsupported alg {alg!r}; expected -8 (EdDSA) or -7 (ES256)")
    return ALG_BY_COSE[alg]


def _decode_unprotected(value: object) -> bytes:
    if not isinstance(value, dict):
        raise FormatError("unprotected: expected a map")
    if set(value) != {_HEADER_KID}:
        raise FormatError(
            f"unprotected: expected exactly the kid header (4), got labels {sorted(value)}"
        )
    kid = value[_HEADER_KID]
    if not isinstance(kid, bytes) or len(kid) != METER_ID_SIZE:
        raise FormatError(f"unprotected: kid must be a byte string of {METER_ID_SIZE} bytes")
    return kid


@dataclass(frozen=True)
class SignedBatch:
    """A meter batch as sent: the payload in a COSE_Sign1 envelope.

    Get one from :func:`sign_batch` or :meth:`decode`; the constructor checks that
    the fields agree (``encoded`` is exactly the envelope of the others) and raises
    :class:`~privbill.errors.FormatError` if they do not. Decoding does not verify
    the signature: call :meth:`verify` with the meter's registered key.

    >>> from privbill.keys import SigningKey
    >>> key = SigningKey.generate("p256")
    >>> p = BatchPayload.from_intervals(meter_id=bytes(16), channel=0, period=1800,
    ...     first_index=0, commitments=[bytes(32)], counter=1, prev_hash=bytes(32))
    >>> b = sign_batch(p, key)
    >>> b.alg, b.cose_alg, SignedBatch.decode(bytes(b)) == b
    ('p256', -7, True)
    >>> b.verify(SigningKey.generate("p256").verifying_key)
    Traceback (most recent call last):
        ...
    privbill.errors.BadSignatureError: p256 signature does not verify
    """

    payload: BatchPayload
    payload_bytes: bytes = field(repr=False)
    alg: Alg
    signature: bytes = field(repr=False)
    encoded: bytes = field(repr=False)

    def __post_init__(self) -> None:
        """Check that the fields describe one and the same message."""
        if not isinstance(self.payload, BatchPayload):
            raise TypeError("payload must be a BatchPayload")
        if self.alg not in COSE_ALG:
            raise FormatError(f"alg: unsupported {self.alg!r}")
        _check_bytes("signature", self.signature)
        if len(self.signature) != SIGNATURE_SIZE:
            raise FormatError(
                f"signature: must be {SIGNATURE_SIZE} bytes, got {len(self.signature)}"
            )
        if _check_bytes("payload_bytes", self.payload_bytes) != self.payload.encode():
            raise FormatError("payload: bytes do not encode the payload")
        expected = _envelope(
            _PROTECTED[self.alg], self.payload.meter_id, self.payload_bytes, self.signature
        )
        if _check_bytes("encoded", self.encoded) != expected:
            raise FormatError("COSE_Sign1: not in deterministic encoding")

    @property
    def cose_alg(self) -> int:
        """The COSE algorithm identifier in the protected header: -8 or -7."""
        return COSE_ALG[self.alg]

    @property
    def protected(self) -> bytes:
        """The protected header bucket (the bytes inside the first bstr)."""
        return _PROTECTED[self.alg]

    @property
    def kid(self) -> bytes:
        """The key id in the unprotected header: always the payload's meter_id."""
        return self.payload.meter_id

    def to_be_signed(self) -> bytes:
        """The Sig_structure bytes the signature covers (RFC 9052 section 4.4)."""
        return _sig_structure(self.protected, self.payload_bytes)

    def hash(self) -> bytes:
        """SHA-256 of :attr:`encoded`: the next batch's ``prev_hash``."""
        return hashlib.sha256(self.encoded).digest()

    def __bytes__(self) -> bytes:
        return self.encoded

    def verify(self, public_key: VerifyingKey) -> None:
        """Check the signature with the meter's key; raise BadSignatureError if it fails.

        A key of the other algorithm than the one in the protected header fails too.
        """
        if not isinstance(public_key, VerifyingKey):
            raise TypeError("public_key must be a privbill.keys.VerifyingKey")
        if public_key.alg != self.alg:
            raise BadSignatureError(f"batch is signed with {self.alg}, key is {public_key.alg}")
        public_key.verify(self.to_be_signed(), self.signature)

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> SignedBatch:
        """Decode a COSE_Sign1 batch strictly; any deviation raises FormatError.

        The message names the field: ``protected``, ``unprotected``, ``signature``,
        or ``payload: <field>`` for the payload's own fields.

        >>> SignedBatch.decode(bytes.fromhex("d28243a10127a0"))
        Traceback (most recent call last):
            ...
        privbill.errors.FormatError: COSE_Sign1: expected an array of 4 items
        """
        data = _check_input(data, MAX_BATCH_SIZE, "COSE_Sign1")
        laid_out = _decode_laid_out(data)  # every valid batch, in a few slices
        if laid_out is not None:
            return cls._of(*laid_out, data)
        return cls._decode_strict(data)

    @classmethod
    def _decode_strict(cls, data: bytes) -> SignedBatch:
        """:meth:`decode` with the general strict CBOR reader, which names what is wrong."""
        if not data or data[0] >> 5 != 6:  # not a tag: do not parse it as a COSE array
            raise FormatError(f"COSE_Sign1: expected CBOR tag {COSE_SIGN1_TAG}")
        try:
            value = _decode_cbor(data, tag=COSE_SIGN1_TAG)
        except _Malformed as exc:
            raise _malformed("COSE_Sign1", _COSE_FIELDS, exc) from None
        if not isinstance(value, _Tag):
            raise FormatError(f"COSE_Sign1: expected CBOR tag {COSE_SIGN1_TAG}")
        if not isinstance(value.value, list) or len(value.value) != len(_COSE_FIELDS):
            raise FormatError("COSE_Sign1: expected an array of 4 items")
        protected, unprotected, payload_bytes, signature = value.value
        alg = _decode_protected(protected)
        kid = _decode_unprotected(unprotected)
        if not isinstance(payload_bytes, bytes):
            raise FormatError("payload: expected a byte string (detached payloads are not allowed)")
        try:
            payload = BatchPayload.decode(payload_bytes)
        except FormatError as exc:
            raise FormatError(f"payload: {exc}") from None
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
            raise FormatError(f"signature: expected a byte string of {SIGNATURE_SIZE} bytes")
        if kid != payload.meter_id:
            raise FormatError("unprotected: kid does not match the payload's meter_id")
        # Every field is now checked, and the payload was re-encoded by BatchPayload.decode;
        # re-encode the envelope once more, then build the object without checking again.
        if _envelope(_PROTECTED[alg], kid, payload_bytes, signature) != data:
            raise FormatError("COSE_Sign1: not in deterministic encoding")  # unreachable
        return cls._of(payload, payload_bytes, alg, signature, data)

    @classmethod
    def _of(
        cls, payload: BatchPayload, payload_bytes: bytes, alg: Alg, signature: bytes, data: bytes
    ) -> SignedBatch:
        """A decoded batch, built without checking again what decoding checked."""
        batch = object.__new__(cls)
        for name, value in (
            ("payload", payload),
            ("payload_bytes", payload_bytes),
            ("alg", alg),
            ("signature", signature),
            ("encoded", data),
        ):
            object.__setattr__(batch, name, value)
        return batch


#: A valid batch's bytes before the kid, per algorithm: tag 18, an array of 4, the
#: protected bucket (a 3-byte string), the unprotected map's head and key, 4, and the
#: kid's head (a 16-byte string).
_ENVELOPE_START: Final[dict[bytes, Alg]] = {
    b"\xd2\x84\x43" + header + b"\xa1\x04\x50": alg for alg, header in _PROTECTED.items()
}


def _bstr(data: bytes, pos: int) -> tuple[bytes, int]:
    major, size, pos = _head(data, pos, ())
    if major != 2 or pos + size > len(data):
        raise _Malformed((), "expected a byte string")
    return data[pos : pos + size], pos + size


def _guess(data: bytes, pos: int) -> tuple[int | bytes, int]:
    """Read an unsigned integer or a byte string at ``pos`` without checking its form
    (the caller re-encodes what it read and compares); IndexError past the end."""
    initial = data[pos]
    info = initial & 0x1F
    pos += 1
    if info < 24:
        arg = info
    else:
        arg = int.from_bytes(data[pos : pos + (1 << (info - 24))], "big")
        pos += 1 << (info - 24)
    if initial >> 5 == 2:
        return data[pos : pos + arg], pos + arg
    return arg, pos


def _decode_laid_out(data: bytes) -> tuple[BatchPayload, bytes, Alg, bytes] | None:
    """The common case of :meth:`SignedBatch.decode` without the general CBOR reader:
    a batch laid out as every valid one is. Returns (payload, payload bytes, alg,
    signature), or None at the first deviation; the strict decoder then decides,
    and names the error.

    It accepts only what the strict decoder accepts. The envelope's fixed bytes
    are compared literally and its two byte strings read by the strict reader,
    up to the end of the input. The payload's fields are guessed at, but taken
    only if :class:`BatchPayload` accepts them and they re-encode to exactly the
    payload bytes: the strict decoder's own last check.
    """
    try:
        alg = _ENVELOPE_START.get(data[:9])
        if alg is None:
            return None
        payload_bytes, pos = _bstr(data, 9 + METER_ID_SIZE)
        signature, pos = _bstr(data, pos)
        if pos != len(data) or len(signature) != SIGNATURE_SIZE:
            return None
        fields: list[int | bytes] = []
        pos = 1  # after the array head, which the re-encoding checks
        for _ in _FIELDS:
            value, pos = _guess(payload_bytes, pos)
            fields.append(value)
        payload = BatchPayload(**dict(zip(_FIELDS, fields, strict=True)))  # type: ignore[arg-type]
    except (_Malformed, IndexError, TypeError, RangeError, EncodingError):
        return None
    if payload.encode() != payload_bytes or data[9 : 9 + METER_ID_SIZE] != payload.meter_id:
        return None
    return payload, payload_bytes, alg, signature


def sign_batch(payload: BatchPayload, signing_key: SigningKey) -> SignedBatch:
    """Encode ``payload``, sign it with the meter's key and wrap it in COSE_Sign1.

    >>> from privbill.keys import SigningKey
    >>> p = BatchPayload.from_intervals(meter_id=bytes(16), channel=0, period=1800,
    ...     first_index=0, commitments=[bytes(32)], counter=1, prev_hash=bytes(32))
    >>> b = sign_batch(p, SigningKey.from_bytes(bytes(32)))
    >>> b.encoded[:6].hex(), len(b.encoded)
    ('d28443a10127', 189)
    """
    if not isinstance(payload, BatchPayload):
        raise TypeError("payload must be a BatchPayload")
    if not isinstance(signing_key, SigningKey):
        raise TypeError("signing_key must be a privbill.keys.SigningKey")
    payload_bytes = payload.encode()
    protected = _PROTECTED[signing_key.alg]
    signature = signing_key.sign(_sig_structure(protected, payload_bytes))
    return SignedBatch(
        payload=payload,
        payload_bytes=payload_bytes,
        alg=signing_key.alg,
        signature=signature,
        encoded=_envelope(protected, payload.meter_id, payload_bytes, signature),
    )
