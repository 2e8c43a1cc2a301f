"""The household's statement for one billing period: what it discloses.

A statement names a meter, a channel, a billing period (local dates, in the
tariff's time zone), the tariff (by digest), which intervals it covers (the
intervals the meter recorded) and, per linear query, a value and its opening:

- ``bands``: one query per tariff band (0/1 weights): the band's total Wh;
- ``amount``: one query with the per-interval prices as weights: the
  energy charge before rounding (``sum price_i * Wh_i``), nothing else;
- ``total``: one query with all weights 1 (the export channel's total).

Wire format (protocol version 1, docs/protocol.md "Statements"): the
deterministic CBOR array

    [version, meter_id, channel, start, end, tariff_digest, mode, presence,
     [[value, opening], ...]]

with ``start``/``end`` proleptic Gregorian ordinals (``date.toordinal()``),
``mode`` 0 bands, 1 amount, 2 total, ``presence`` one bit per interval of
the period (LSB first), ``value`` a signed integer in ``(-2^64, 2^64)`` and
``opening`` a canonical 32-byte scalar.

>>> s = Statement(meter_id=bytes(16), channel=0, start=date(2013, 4, 1),
...               end=date(2013, 4, 2), tariff_digest=bytes(32), mode="total",
...               presence=b"\\x01" + bytes(5), values=((120, bytes(32)),))
>>> Statement.decode(s.encode()) == s
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

import cbor2

from privbill._cbor import Malformed, check_input, decode, malformed
from privbill.errors import EncodingError, FormatError
from privbill.group import Scalar
from privbill.tariffs import Tariff, tariff_to_json
from privbill.wire import HASH_SIZE, METER_ID_SIZE, PROTOCOL_VERSION

__all__ = ["MODES", "Mode", "Statement", "tariff_digest"]

Mode = Literal["bands", "amount", "total"]
MODES: Final[tuple[Mode, ...]] = ("bands", "amount", "total")

_FIELDS: Final = (
    "version",
    "meter_id",
    "channel",
    "start",
    "end",
    "tariff_digest",
    "mode",
    "presence",
    "values",
)
_VALUE_LIMIT: Final = 1 << 64
#: The set bits of each byte value, LSB first: presence bitmaps decode a byte at a time.
BITS_OF_BYTE: Final = tuple(tuple(b for b in range(8) if v >> b & 1) for v in range(256))
#: A year of 15-minute intervals with every band line: far below this.
MAX_STATEMENT_SIZE: Final = 1 << 16


@dataclass(frozen=True)
class Statement:
    """A billing statement; see the module docstring. Construction validates."""

    meter_id: bytes
    channel: int
    start: date
    end: date
    tariff_digest: bytes
    mode: Mode
    presence: bytes
    values: tuple[tuple[int, bytes], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.meter_id, bytes) or len(self.meter_id) != METER_ID_SIZE:
            raise EncodingError(f"meter_id: must be {METER_ID_SIZE} bytes")
        if not isinstance(self.channel, int) or not 0 <= self.channel <= 255:
            raise EncodingError("channel: must be an int in [0, 255]")
        if not (isinstance(self.start, date) and isinstance(self.end, date)):
            raise EncodingError("start, end: must be dates")
        if not self.start < self.end:
            raise EncodingError("end: must be after start")
        if not isinstance(self.tariff_digest, bytes) or len(self.tariff_digest) != HASH_SIZE:
            raise EncodingError(f"tariff_digest: must be {HASH_SIZE} bytes")
        if self.mode not in MODES:
            raise EncodingError(f"mode: must be one of {MODES}")
        if not isinstance(self.presence, bytes):
            raise EncodingError("presence: must be bytes")
        if not self.values or (self.mode != "bands" and len(self.values) != 1):
            raise EncodingError(f"values: {self.mode} mode needs exactly one value")
        for i, item in enumerate(self.values):
            if not (isinstance(item, tuple) and len(item) == 2):
                raise EncodingError(f"values[{i}]: must be a (value, opening) pair")
            value, opening = item
            if not isinstance(value, int) or isinstance(value, bool):
                raise EncodingError(f"values[{i}]: value must be an int")
            if not -_VALUE_LIMIT < value < _VALUE_LIMIT:
                raise EncodingError(f"values[{i}]: value out of range")
            if not isinstance(opening, bytes):
                raise EncodingError(f"values[{i}]: opening must be bytes")
            Scalar.from_bytes(opening)  # canonical 32-byte scalar, or EncodingError

    def present_positions(self, count: int) -> list[int]:
        """Positions ``j < count`` in the period whose presence bit is set."""
        return set_bits(self.presence_mask(count))

    def presence_mask(self, count: int) -> int:
        """The presence bitmap of a period of ``count`` intervals as an integer:
        bit ``j`` is set if position ``j`` is present."""
        if len(self.presence) != (count + 7) // 8:
            raise EncodingError(
                f"presence: {len(self.presence)} bytes for a period of {count} intervals"
            )
        if count % 8 and self.presence[-1] >> (count % 8):
            raise EncodingError("presence: bits set past the end of the period")
        return int.from_bytes(self.presence, "little")

    def openings(self) -> list[Scalar]:
        """The disclosed openings as scalars, in value order."""
        return [Scalar.from_bytes(o) for _, o in self.values]

    def encode(self) -> bytes:
        """The deterministic CBOR encoding (docs/protocol.md, "Statements")."""
        return cbor2.dumps(
            [
                PROTOCOL_VERSION,
                self.meter_id,
                self.channel,
                self.start.toordinal(),
                self.end.toordinal(),
                self.tariff_digest,
                MODES.index(self.mode),
                self.presence,
                [[v, o] for v, o in self.values],
            ],
            canonical=True,
        )

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def decode(cls, data: bytes) -> Statement:
        """Strict decoding: anything but the one valid encoding raises FormatError."""
        data = check_input(data, MAX_STATEMENT_SIZE, "statement")
        try:
            item = decode(data)
        except Malformed as exc:
            raise malformed("statement", _FIELDS, exc) from None
        if not isinstance(item, list) or len(item) != len(_FIELDS):
            raise FormatError(f"statement: expected an array of {len(_FIELDS)} items")
        version, meter_id, channel, start, end, digest, mode, presence, values = item
        if version != PROTOCOL_VERSION:
            raise FormatError(f"version: unsupported {version!r}")
        for name, v in (("start", start), ("end", end), ("channel", channel), ("mode", mode)):
            if not isinstance(v, int):
                raise FormatError(f"{name}: must be an unsigned integer")
        assert isinstance(start, int) and isinstance(end, int) and isinstance(mode, int)
        if not (1 <= start <= date.max.toordinal() and 1 <= end <= date.max.toordinal()):
            raise FormatError("start, end: not a valid date ordinal")
        if not 0 <= mode < len(MODES):
            raise FormatError(f"mode: unknown mode {mode}")
        if not isinstance(values, list) or not all(
            isinstance(v, list) and len(v) == 2 for v in values
        ):
            raise FormatError("values: must be an array of [value, opening] pairs")
        try:
            statement = cls(
                meter_id=meter_id,
                channel=channel,
                start=date.fromordinal(start),
                end=date.fromordinal(end),
                tariff_digest=digest,
                mode=MODES[mode],
                presence=presence,
                values=tuple((v[0], v[1]) for v in values),
            )
        except EncodingError as exc:
            raise FormatError(str(exc)) from None
        if statement.encode() != data:
            raise FormatError("statement: not in deterministic encoding")
        return statement


def set_bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask`` (>= 0), ascending.

    >>> set_bits(0b1011_0000_0001)
    [0, 8, 9, 11]
    """
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    return [8 * k + b for k, byte in enumerate(data) for b in BITS_OF_BYTE[byte]]


def tariff_digest(tariff: Tariff) -> bytes:
    """SHA-256 of the tariff's canonical JSON: how a statement names its tariff.

    >>> from privbill.tariffs import classic_three_band
    >>> len(tariff_digest(classic_three_band()))
    32
    """
    return hashlib.sha256(tariff_to_json(tariff).encode("utf-8")).digest()
