"""A household's readings, and readers for the formats meters and trials publish.

:class:`Readings` holds integer Wh per interval index, per channel (channel 0
is import, channel 1 export). Missing intervals are simply absent: nothing
here fills, interpolates or spreads a gap, and :meth:`Readings.missing` says
which intervals of a period have no reading.

Readers:

- :func:`read_sgsc_csv`: the Ausgrid Smart Grid Smart City layout
  (``customer_id,reading_datetime,general_supply_kwh``; kWh with 3 decimals,
  timestamps are interval starts on the meter's clock).
- :func:`parse_p1_telegram`: one DSMR P1 telegram (v2.2 to v5), CRC16 checked
  when the telegram carries one; :func:`readings_from_p1` turns a series of
  telegrams into interval readings by differencing cumulative registers.

Energy is converted from decimal kWh to Wh with :class:`~decimal.Decimal`,
never through floats.

>>> r = Readings({IMPORT: {100: 250, 101: 300}}, period=1800)
>>> r.missing(range(99, 103))
[99, 102]
>>> r.total(range(99, 103))
550
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from .errors import FormatError, RangeError
from .intervals import DEFAULT_PERIOD, EPOCH, check_period, zone

__all__ = [
    "EXPORT",
    "IMPORT",
    "P1Telegram",
    "Readings",
    "crc16",
    "parse_p1_telegram",
    "read_sgsc_csv",
    "readings_from_p1",
]

IMPORT = 0
"""Channel number of energy taken from the grid."""

EXPORT = 1
"""Channel number of energy fed into the grid."""

_EMPTY: Mapping[int, int] = MappingProxyType({})


def _wh_value(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RangeError(f"{where}: a reading must be an int number of Wh, got {value!r}")
    if value < 0:
        raise RangeError(f"{where}: a reading must not be negative, got {value}")
    if value >= 1 << 64:  # docs/protocol.md: a committed reading is below 2^64 Wh
        raise RangeError(f"{where}: a reading must be below 2^64 Wh, got {value}")
    return value


class Readings:
    """Integer Wh per UTC interval index, per channel.

    ``channels`` maps a channel number (:data:`IMPORT` = 0, :data:`EXPORT` =
    1) to ``{interval index: Wh}``. Values are non-negative ints; an interval
    without a reading is absent (never 0 by default). Instances are
    immutable; ``meter_id`` is an optional label (the CSV customer id, the P1
    equipment id).

    >>> r = Readings.from_series(758208, [120, None, 80])
    >>> dict(r.channel(IMPORT)), r.get(758209), r.span()
    ({758208: 120, 758210: 80}, None, range(758208, 758211))
    """

    __slots__ = ("_data", "meter_id", "period")

    def __init__(
        self,
        channels: Mapping[int, Mapping[int, int]] | None = None,
        *,
        period: int = DEFAULT_PERIOD,
        meter_id: str | None = None,
    ) -> None:
        self.period = check_period(period)
        self.meter_id = meter_id
        data: dict[int, dict[int, int]] = {}
        for ch, values in (channels or {}).items():
            if isinstance(ch, bool) or not isinstance(ch, int) or ch < 0:
                raise RangeError(f"channel must be a non-negative int, got {ch!r}")
            checked: dict[int, int] = {}
            for i in sorted(values, key=lambda k: _index(k)):
                checked[i] = _wh_value(values[i], f"channel {ch}, interval {i}")
            data[ch] = checked
        self._data = data

    @classmethod
    def from_series(
        cls,
        first_index: int,
        values: Sequence[int | None],
        *,
        channel: int = IMPORT,
        period: int = DEFAULT_PERIOD,
        meter_id: str | None = None,
    ) -> Readings:
        """Readings for consecutive intervals from ``first_index``; ``None`` is a gap."""
        first = _index(first_index)
        series = {first + k: v for k, v in enumerate(values) if v is not None}
        return cls({channel: series}, period=period, meter_id=meter_id)

    @property
    def channels(self) -> tuple[int, ...]:
        """The channel numbers present, in order."""
        return tuple(sorted(self._data))

    def channel(self, channel: int = IMPORT) -> Mapping[int, int]:
        """A read-only ``{index: Wh}`` view of one channel (empty if absent)."""
        data = self._data.get(channel)
        return _EMPTY if data is None else MappingProxyType(data)

    def get(self, index: int, channel: int = IMPORT) -> int | None:
        """The reading of interval ``index``, or ``None`` if it is missing."""
        return self._data.get(channel, {}).get(index)

    def values(self, intervals: Iterable[int], channel: int = IMPORT) -> list[int | None]:
        """The reading of each of ``intervals`` (``None`` where missing)."""
        data = self._data.get(channel, {})
        return [data.get(i) for i in intervals]

    def missing(self, intervals: Iterable[int], channel: int = IMPORT) -> list[int]:
        """The indices among ``intervals`` that have no reading on ``channel``."""
        data = self._data.get(channel, {})
        return [i for i in intervals if i not in data]

    def present(self, intervals: Iterable[int], channel: int = IMPORT) -> list[int]:
        """The indices among ``intervals`` that have a reading on ``channel``."""
        data = self._data.get(channel, {})
        return [i for i in intervals if i in data]

    def total(self, intervals: Iterable[int] | None = None, channel: int = IMPORT) -> int:
        """Sum of the readings present among ``intervals`` (all of them by default)."""
        data = self._data.get(channel, {})
        if intervals is None:
            return sum(data.values())
        return sum(data.get(i, 0) for i in intervals)

    def span(self, channel: int = IMPORT) -> range:
        """``range(first, last + 1)`` over the readings of ``channel`` (empty if none)."""
        data = self._data.get(channel)
        if not data:
            return range(0)
        keys = list(data)  # kept sorted
        return range(keys[0], keys[-1] + 1)

    def restrict(self, intervals: Iterable[int]) -> Readings:
        """The readings of ``intervals`` only, all channels."""
        wanted = set(intervals)
        return Readings(
            {ch: {i: v for i, v in d.items() if i in wanted} for ch, d in self._data.items()},
            period=self.period,
            meter_id=self.meter_id,
        )

    def __len__(self) -> int:
        """Number of readings on the import channel."""
        return len(self._data.get(IMPORT, {}))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Readings):
            return NotImplemented
        return (
            self.period == other.period
            and self.meter_id == other.meter_id
            and {c: d for c, d in self._data.items() if d}
            == {c: d for c, d in other._data.items() if d}
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        counts = ", ".join(f"{c}: {len(d)}" for c, d in sorted(self._data.items()))
        return f"<Readings meter_id={self.meter_id!r} period={self.period} {{{counts}}}>"


def _index(index: object) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise RangeError(f"interval index must be an int, got {index!r}")
    return index


# --------------------------------------------------------------------------
# SGSC CSV
# --------------------------------------------------------------------------

SGSC_COLUMNS = ("customer_id", "reading_datetime", "general_supply_kwh")
"""The columns :func:`read_sgsc_csv` needs (in any order; others are ignored)."""

_KWH_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")


#: A non-negative plain decimal of at most 20 digits before and 20 after the point.
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,20}(?:\.[0-9]{0,20})?")


def kwh_to_wh(text: str) -> int:
    """A decimal kWh string as an exact int number of Wh.

    Raises :class:`ValueError` if it is negative or not a plain decimal (digits,
    at most one point, no exponent: an exponent would let a short string stand
    for a number of any size), or not a whole number of Wh.

    >>> kwh_to_wh("0.223"), kwh_to_wh("12"), kwh_to_wh("0.500")
    (223, 12000, 500)
    >>> kwh_to_wh("0.2235")
    Traceback (most recent call last):
    ...
    ValueError: 0.2235 kWh is not a whole number of Wh
    """
    stripped = text.strip()
    if not _PLAIN_DECIMAL.fullmatch(stripped):
        if _PLAIN_DECIMAL.fullmatch(stripped.removeprefix("-")):
            raise ValueError(f"{text} kWh is negative")
        raise ValueError(f"{text!r} is not a number (a plain decimal of kWh)")
    value = Decimal(stripped)  # exact: at most 40 digits, no exponent
    wh = value * 1000
    if wh >= 1 << 64:
        raise ValueError(f"{text} kWh is more than a reading can be (2^64 Wh)")
    if wh != wh.to_integral_value():
        raise ValueError(f"{text} kWh is not a whole number of Wh")
    return int(wh)


def _local_to_unix(naive: datetime, tz: ZoneInfo, where: str) -> tuple[int, int, bool]:
    """Unix seconds of both passes of a local wall-clock time, and whether they differ."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    try:
        back = first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    except OverflowError:  # within hours of year 1 or 9999, the UTC instant does not exist
        raise FormatError(f"{where}: {naive} is out of range on the clock of {tz.key}") from None
    if back != naive:
        raise FormatError(f"{where}: {naive} does not exist on the clock of {tz.key}")
    t0 = (first - EPOCH) // timedelta(seconds=1)
    t1 = (second - EPOCH) // timedelta(seconds=1)
    return t0, t1, t0 != t1


def read_sgsc_csv(
    path: str | Path, tz: str | ZoneInfo = "Etc/GMT-10", period: int = DEFAULT_PERIOD
) -> dict[str, Readings]:
    """Readings per customer from a CSV in the SGSC layout.

    - ``reading_datetime`` (``YYYY-MM-DD HH:MM:SS``) is the *start* of the
      interval on the meter's clock, in ``tz``. The SGSC trial's meters kept
      Australian Eastern Standard Time all year, hence the default
      ``Etc/GMT-10`` (UTC+10; POSIX signs are inverted). It must fall on an
      interval boundary of ``period``. With a zone that has clock changes, a
      time that does not exist is an error, and a repeated time is read as
      its first pass the first time it appears for a customer and as its
      second pass the next time.
    - ``general_supply_kwh`` is decimal kWh, converted exactly to int Wh;
      negative or sub-Wh values are errors.
    - Intervals without a row are missing in the result, never filled.
    - A duplicate (customer, interval), a bad value or a bad timestamp raises
      :class:`FormatError` naming the line.

    Returns ``{customer_id: Readings}`` (import channel only), customers in
    order of first appearance.
    """
    check_period(period)
    z = zone(tz)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _read_sgsc_rows(reader, path, z, period)
    except csv.Error as exc:  # a field past csv's size limit, a stray quote, ...
        raise FormatError(f"{path}:{reader.line_num}: {exc}") from None


def _read_sgsc_rows(
    reader: Any, path: str | Path, z: ZoneInfo, period: int
) -> dict[str, Readings]:
    header = next(reader, None)
    if header is None:
        raise FormatError(f"{path}: empty file")
    header = [h.strip() for h in header]
    try:
        c_id, c_when, c_kwh = (header.index(c) for c in SGSC_COLUMNS)
    except ValueError:
        raise FormatError(
            f"{path}:1: header {header!r} lacks one of the columns {', '.join(SGSC_COLUMNS)}"
        ) from None
    width = max(c_id, c_when, c_kwh) + 1
    # timestamp text -> (unix seconds for fold 0, for fold 1, ambiguous?)
    stamps: dict[str, tuple[int, int, bool]] = {}
    values: dict[str, dict[int, int]] = {}
    seen_line: dict[str, dict[int, int]] = {}
    for row in reader:
        line = reader.line_num
        where = f"{path}:{line}"
        if not row or row == [""]:
            continue
        if len(row) < width:
            raise FormatError(f"{where}: expected {len(header)} fields, got {len(row)}")
        customer = row[c_id].strip()
        if not customer:
            raise FormatError(f"{where}: empty customer_id")
        when = row[c_when].strip()
        stamp = stamps.get(when)
        if stamp is None:
            try:
                if len(when) != 19 or when[10] != " ":
                    raise ValueError(when)
                naive = datetime.fromisoformat(when)
            except ValueError:
                raise FormatError(
                    f"{where}: reading_datetime {when!r} is not 'YYYY-MM-DD HH:MM:SS'"
                ) from None
            t0, t1, ambiguous = _local_to_unix(naive, z, where)
            if t0 % period or t1 % period:
                raise FormatError(
                    f"{where}: {when} is not the start of a {period} s interval in {z.key}"
                )
            stamp = (t0, t1, ambiguous)
            stamps[when] = stamp
        try:
            wh = kwh_to_wh(row[c_kwh])
        except ValueError as exc:
            raise FormatError(f"{where}: general_supply_kwh: {exc}") from None
        series = values.get(customer)
        if series is None:
            series = values[customer] = {}
            seen_line[customer] = {}
        lines = seen_line[customer]
        index = stamp[0] // period
        if index in lines and stamp[2]:
            index = stamp[1] // period  # second pass through a repeated hour
        if index in lines:
            raise FormatError(
                f"{where}: duplicate reading for customer {customer} at {when} "
                f"(first on line {lines[index]})"
            )
        lines[index] = line
        series[index] = wh
    return {
        customer: Readings({IMPORT: series}, period=period, meter_id=customer)
        for customer, series in values.items()
    }


# --------------------------------------------------------------------------
# DSMR P1
# --------------------------------------------------------------------------


def crc16(data: bytes) -> int:
    """CRC-16/ARC as DSMR P1 uses it: polynomial 0xA001 (reflected 0x8005), init 0.

    >>> hex(crc16(b"123456789"))
    '0xbb3d'
    """
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@dataclass(frozen=True)
class P1Telegram:
    """One parsed DSMR P1 telegram.

    - ``header``: the identification line without its ``/``.
    - ``timestamp``: ``0-0:1.0.0`` as an aware datetime in the zone given to
      the parser (``None`` in DSMR 2.2/3 telegrams, which carry none);
      ``dst`` is its flag (``S`` = True, summer; ``W`` = False, winter).
    - ``equipment_id``: the raw value of ``0-0:96.1.1`` (or ``0-0:96.1.0``,
      ``0-0:96.1.255`` where a meter uses those), usually hex-coded ASCII.
    - ``version``: ``1-3:0.2.8`` (``None`` before DSMR 4).
    - ``registers``: every energy register ``1-0:1.8.x`` (import) and
      ``1-0:2.8.x`` (export), in **Wh** as exact Decimals (``*kWh`` values are
      multiplied by 1000, ``*Wh`` kept).
    - ``objects``: every COSEM object's raw values, by OBIS code (a ``*255``
      suffix is dropped).
    - ``crc``: the transmitted CRC (verified at parse time), or ``None``.
    """

    header: str
    timestamp: datetime | None
    dst: bool | None
    equipment_id: str | None
    version: str | None
    registers: Mapping[str, Decimal]
    objects: Mapping[str, tuple[str, ...]] = field(repr=False)
    crc: int | None

    def _sum(self, kind: str) -> int | None:
        tariff_regs = [
            v
            for k, v in self.registers.items()
            if k.startswith(f"1-0:{kind}.8.") and k[-2:] != ".0"
        ]
        if tariff_regs:
            total = sum(tariff_regs, Decimal(0))
        elif f"1-0:{kind}.8.0" in self.registers:
            total = self.registers[f"1-0:{kind}.8.0"]
        else:
            return None
        return int(total.to_integral_value(rounding=ROUND_FLOOR))

    @property
    def utc(self) -> datetime | None:
        """:attr:`timestamp` in UTC (compare instants in UTC: a local time in the
        repeated hour never compares equal across zones, PEP 495)."""
        return None if self.timestamp is None else self.timestamp.astimezone(timezone.utc)

    @property
    def import_wh(self) -> int | None:
        """Cumulative import in whole Wh (floor): the sum of ``1-0:1.8.1``,
        ``1-0:1.8.2``, ... or, on meters with no tariff registers, ``1-0:1.8.0``."""
        return self._sum("1")

    @property
    def export_wh(self) -> int | None:
        """Cumulative export in whole Wh (floor), as :attr:`import_wh` for ``2.8.x``."""
        return self._sum("2")

    @property
    def equipment_id_text(self) -> str | None:
        """:attr:`equipment_id` decoded from hex ASCII where it is that, else raw."""
        eid = self.equipment_id
        if eid and len(eid) % 2 == 0 and re.fullmatch(r"[0-9A-Fa-f]+", eid):
            decoded = bytes.fromhex(eid)
            if all(0x20 <= b < 0x7F for b in decoded):
                return decoded.decode("ascii")
        return eid


_OBJECT_RE = re.compile(r"^(\d+-\d+:\d+\.\d+\.\d+)(?:\*(\d+))?((?:\([^()]*\))+)$")
_VALUES_RE = re.compile(r"^(?:\([^()]*\))+$")
_VALUE_RE = re.compile(r"\(([^()]*)\)")
_REGISTER_RE = re.compile(r"^1-0:[12]\.8\.\d+$")
_QUANTITY_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\*(kWh|Wh)$")
_STAMP_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([SW]?)$")


def _p1_timestamp(text: str, tz: ZoneInfo) -> tuple[datetime, bool | None]:
    m = _STAMP_RE.match(text)
    if m is None:
        raise FormatError(f"0-0:1.0.0: {text!r} is not YYMMDDhhmmss[S|W]")
    yy, mo, dd, hh, mi, ss = (int(g) for g in m.groups()[:6])
    try:
        naive = datetime(2000 + yy, mo, dd, hh, mi, ss)
    except ValueError:
        raise FormatError(f"0-0:1.0.0: {text!r} is not a valid date and time") from None
    flag = m.group(7)
    dst = None if not flag else flag == "S"
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != naive:
        raise FormatError(f"0-0:1.0.0: {text!r} does not exist on the clock of {tz.key}")
    o1, o2 = first.utcoffset(), second.utcoffset()
    assert o1 is not None and o2 is not None
    if o1 != o2:  # the repeated hour: S is the pass with the larger (summer) offset
        if dst is None:
            raise FormatError(f"0-0:1.0.0: {text!r} is ambiguous and has no S/W flag")
        summer, winter = (first, second) if o1 > o2 else (second, first)
        return (summer if dst else winter), dst
    return first, dst


def parse_p1_telegram(data: bytes, tz: str | ZoneInfo = "Europe/Amsterdam") -> P1Telegram:
    """Parse one DSMR P1 telegram (bytes from ``/`` to the ``!`` line).

    The CRC16 after ``!`` (CRC-16/ARC over every byte from ``/`` through
    ``!``; up to four hex digits, leading zeros may be omitted) is checked
    when present; a mismatch raises :class:`FormatError` mentioning "CRC".
    DSMR 2.2/3 telegrams have none. Bytes after the ``!`` line (some meters
    pad) are ignored. ``tz`` is the meter's zone, used to read the
    timestamp; its S/W flag decides which pass of a repeated hour is meant
    and is otherwise only recorded.

    >>> t = parse_p1_telegram(
    ...     b"/XMX5LGBBFG1009\\r\\n\\r\\n0-0:1.0.0(130331030000S)\\r\\n"
    ...     b"1-0:1.8.1(000123.456*kWh)\\r\\n1-0:2.8.1(000000.007*kWh)\\r\\n!")
    >>> t.timestamp.isoformat(), t.import_wh, t.export_wh, t.crc
    ('2013-03-31T03:00:00+02:00', 123456, 7, None)
    """
    if not isinstance(data, (bytes, bytearray)):
        raise FormatError(f"a P1 telegram is bytes, got {type(data).__name__}")
    data = bytes(data)
    start = 0
    while start < len(data) and data[start] in b"\r\n":
        start += 1
    if not data[start : start + 1] == b"/":
        raise FormatError("P1 telegram does not start with '/'")
    bang = -1
    for marker in (b"\r\n!", b"\n!"):
        pos = data.find(marker, start)
        if pos != -1 and (bang == -1 or pos + len(marker) - 1 < bang):
            bang = pos + len(marker) - 1
    if bang == -1:
        raise FormatError("P1 telegram has no '!' end line (truncated?)")
    eol = data.find(b"\n", bang)
    tail = data[bang + 1 : len(data) if eol == -1 else eol].rstrip(b"\r").strip(b" ")
    crc: int | None = None
    if tail:
        if not re.fullmatch(rb"[0-9A-Fa-f]{1,4}", tail):
            raise FormatError(f"P1 telegram CRC field {tail!r} is not 1-4 hex digits")
        crc = int(tail, 16)
        computed = crc16(data[start : bang + 1])
        if computed != crc:
            raise FormatError(
                f"P1 telegram CRC mismatch: telegram says {crc:04X}, content gives {computed:04X}"
            )
    body = data[start + 1 : bang].decode("latin-1")
    lines = body.replace("\r\n", "\n").split("\n")
    header = lines[0]
    if not header:
        raise FormatError("P1 telegram header line is empty")
    objects: dict[str, list[str]] = {}
    last: str | None = None
    for n, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line:
            continue
        m = _OBJECT_RE.match(line)
        if m is not None:
            obis = m.group(1)
            if m.group(2) not in (None, "255"):
                obis = f"{obis}*{m.group(2)}"
            if obis in objects:
                raise FormatError(f"P1 telegram line {n}: duplicate object {obis}")
            objects[obis] = _VALUE_RE.findall(m.group(3))
            last = obis
        elif _VALUES_RE.match(line) and last is not None:
            objects[last].extend(_VALUE_RE.findall(line))  # continuation (DSMR 2/3 gas)
        else:
            raise FormatError(f"P1 telegram line {n}: {line[:40]!r} is not an OBIS object")
    registers: dict[str, Decimal] = {}
    for obis, vals in objects.items():
        if not _REGISTER_RE.match(obis):
            continue
        q = _QUANTITY_RE.match(vals[0]) if len(vals) == 1 else None
        if q is None:
            raise FormatError(f"P1 register {obis}: {vals!r} is not one '<number>*kWh' value")
        amount = Decimal(q.group(1))
        registers[obis] = amount * 1000 if q.group(2) == "kWh" else amount
    timestamp: datetime | None = None
    dst: bool | None = None
    if "0-0:1.0.0" in objects:
        vals = objects["0-0:1.0.0"]
        if len(vals) != 1:
            raise FormatError(f"0-0:1.0.0: expected one value, got {vals!r}")
        timestamp, dst = _p1_timestamp(vals[0], zone(tz))
    equipment = next(
        (objects[k][0] for k in ("0-0:96.1.1", "0-0:96.1.0", "0-0:96.1.255") if objects.get(k)),
        None,
    )
    version = objects["1-3:0.2.8"][0] if objects.get("1-3:0.2.8") else None
    return P1Telegram(
        header=header,
        timestamp=timestamp,
        dst=dst,
        equipment_id=equipment,
        version=version,
        registers=MappingProxyType(registers),
        objects=MappingProxyType({k: tuple(v) for k, v in objects.items()}),
        crc=crc,
    )


def readings_from_p1(
    telegrams: Iterable[P1Telegram], period: int = DEFAULT_PERIOD, *, tolerance: int = 0
) -> Readings:
    """Interval readings from a series of P1 telegrams of one meter.

    The rule: a telegram whose timestamp is exactly on an interval boundary
    (``unix_seconds % period == 0``; with ``tolerance`` > 0, the first
    telegram at most ``tolerance`` seconds after it) gives the cumulative
    registers at that boundary. Interval ``i`` gets
    ``import(boundary i + 1) - import(boundary i)`` on channel 0, and the
    same for export on channel 1, only when **both** of its boundaries have a
    telegram. Registers are truncated to whole Wh before differencing, so the
    readings of consecutive intervals add up exactly to the register change
    over the whole span. Intervals without both boundaries are missing: never
    interpolated or spread. Telegrams between boundaries are not used.

    Telegrams must all carry a timestamp (DSMR 4+) and come from one
    equipment id (else :class:`FormatError`); a register that goes backwards
    raises :class:`RangeError`. Order does not matter.
    """
    check_period(period)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int):
        raise RangeError(f"tolerance must be an int number of seconds, got {tolerance!r}")
    if not 0 <= tolerance < period:
        raise RangeError(f"tolerance must be in [0, {period}) seconds, got {tolerance}")
    at_boundary: dict[int, tuple[int, int, int | None]] = {}  # boundary -> (t, import, export)
    meter: str | None = None
    for n, tg in enumerate(telegrams):
        if tg.timestamp is None:
            raise FormatError(f"telegram {n} has no timestamp (DSMR 2.2/3): cannot place it")
        imp = tg.import_wh
        if imp is None:
            raise FormatError(f"telegram {n} has no import register 1-0:1.8.x")
        if tg.equipment_id is not None:
            if meter is None:
                meter = tg.equipment_id
            elif meter != tg.equipment_id:
                raise FormatError(
                    f"telegram {n} is from {tg.equipment_id!r}, the others from {meter!r}"
                )
        t = (tg.timestamp - EPOCH) // timedelta(seconds=1)
        if t % period > tolerance:
            continue
        boundary = t // period
        snapshot = (t, imp, tg.export_wh)
        held = at_boundary.get(boundary)
        if held is None or t < held[0]:
            at_boundary[boundary] = snapshot
        elif held[0] == t and held != snapshot:
            raise FormatError(f"two telegrams at {tg.timestamp} disagree on the registers")
    imports: dict[int, int] = {}
    exports: dict[int, int] = {}
    for b in sorted(at_boundary):
        nxt = at_boundary.get(b + 1)
        if nxt is None:
            continue
        _, imp0, exp0 = at_boundary[b]
        _, imp1, exp1 = nxt
        if imp1 < imp0:
            raise RangeError(f"import register went backwards in interval {b}: {imp0} -> {imp1}")
        imports[b] = imp1 - imp0
        if exp0 is not None and exp1 is not None:
            if exp1 < exp0:
                raise RangeError(
                    f"export register went backwards in interval {b}: {exp0} -> {exp1}"
                )
            exports[b] = exp1 - exp0
    channels = {IMPORT: imports, EXPORT: exports} if exports else {IMPORT: imports}
    return Readings(channels, period=period, meter_id=meter)
