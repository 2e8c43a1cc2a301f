"""Exact-integer tariffs: which band each interval is in, and what it costs.

A tariff maps every UTC interval index (see :mod:`privbill.intervals`) to a
*band* and a *price*. Prices are integers per kWh in the tariff's declared
``unit`` (``"0.01p"``: hundredths of a penny, so 5 p/kWh is ``500``); readings
are integer Wh; so every sum ``sum(price_i * Wh_i)`` is an exact integer in
``unit * Wh / kWh``. Nothing here rounds: bills round once per line, by the
rule in :mod:`privbill.billing`.

Kinds, all behind the :class:`Tariff` interface:

- :class:`FlatTariff`: one band, one price.
- :class:`TimeOfUseTariff`: named bands with local clock windows, optionally
  restricted to weekdays/weekends and to a date range; validated so that every
  interval falls in exactly one band (:func:`classic_three_band`, Economy 7).
- :class:`ScheduleTariff`: an explicit band for every local slot of every date
  (the Low Carbon London dToU schedule, :func:`load_lcl_dtou`).
- :class:`DynamicTariff`: a price per UTC interval index, negative allowed
  (Octopus Agile style); it has no fixed band prices, so it bills in amount mode.

Local time comes from :mod:`zoneinfo`. A band is decided by the local
wall-clock time at which the interval *starts*. On a 50-interval day (clocks
go back) both passes through the repeated hour get that hour's band; on a
46-interval day the skipped hour's slots are simply never used.

Tariffs round-trip exactly through the JSON format of ``docs/tariffs.md``:
:func:`tariff_to_json`, :func:`tariff_from_json`, :func:`save_tariff`,
:func:`load_tariff`.

>>> t = classic_three_band()
>>> t.band_names
('low', 'normal', 'peak')
>>> from datetime import datetime, timezone
>>> from privbill.intervals import index_of
>>> i = index_of(datetime(2013, 7, 1, 17, 30, tzinfo=timezone.utc))  # 18:30 BST
>>> t.band_of(i), t.price_of(i), t.unit
('peak', 2000, '0.01p')
>>> tariff_from_json(tariff_to_json(t)) == t
True
"""

from __future__ import annotations

import csv
import io
import json
import re
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from .errors import FormatError, RangeError, TariffError
from .intervals import DEFAULT_PERIOD, check_period, local_start_of, zone, zone_name

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Band",
    "DynamicTariff",
    "FlatTariff",
    "ScheduleTariff",
    "Tariff",
    "TimeOfUseTariff",
    "Unit",
    "Window",
    "classic_three_band",
    "convert_price",
    "economy7_tariff",
    "load_economy7",
    "load_economy7_windows",
    "load_emoncms_tariffs",
    "load_lcl_dtou",
    "load_tariff",
    "save_tariff",
    "tariff_from_json",
    "tariff_to_json",
]

FORMAT_NAME = "privbill-tariff"
"""The value of the ``format`` field of every tariff file."""

FORMAT_VERSION = 1
"""The tariff file format version this module reads and writes."""

JSONDict = dict[str, Any]

# --------------------------------------------------------------------------
# money units
# --------------------------------------------------------------------------

_MINOR_UNITS: dict[str, tuple[str, Fraction]] = {
    "p": ("GBP", Fraction(1, 100)),  # penny
    "ct": ("EUR", Fraction(1, 100)),  # euro cent
}
_UNIT_RE = re.compile(r"^(?P<mult>[0-9]+(?:\.[0-9]+)?)?(?P<sym>[A-Za-z]+)$")


@dataclass(frozen=True)
class Unit:
    """A money unit such as ``"0.01p"``: a decimal multiple of a currency unit.

    ``text`` is ``[multiplier]symbol``; the symbol is an ISO 4217 code
    (``GBP``, ``EUR``, ``AUD``...) or a minor unit (``p`` = 0.01 GBP,
    ``ct`` = 0.01 EUR). ``value`` is one unit in the currency's major unit.

    >>> u = Unit.parse("0.01p")
    >>> u.currency, u.value
    ('GBP', Fraction(1, 10000))
    >>> u.format(123456)
    '12.3456 GBP'
    >>> Unit.parse("0.01 p")
    Traceback (most recent call last):
    ...
    privbill.errors.TariffError: unit: '0.01 p' is not [decimal]SYMBOL, e.g. '0.01p' or 'GBP'
    """

    text: str
    currency: str
    value: Fraction

    @classmethod
    def parse(cls, text: str, field: str = "unit") -> Unit:
        """Parse a unit string; raises :class:`TariffError` naming ``field``."""
        if not isinstance(text, str):
            raise TariffError(f"{field}: must be a string such as '0.01p', got {text!r}")
        m = _UNIT_RE.match(text)
        if m is None:
            raise TariffError(f"{field}: {text!r} is not [decimal]SYMBOL, e.g. '0.01p' or 'GBP'")
        mult = Fraction(Decimal(m.group("mult"))) if m.group("mult") else Fraction(1)
        if mult <= 0:
            raise TariffError(f"{field}: {text!r} has a zero multiplier")
        sym = m.group("sym")
        if sym in _MINOR_UNITS:
            currency, minor = _MINOR_UNITS[sym]
            return cls(text, currency, mult * minor)
        if len(sym) == 3 and sym.isupper():
            return cls(text, sym, mult)
        raise TariffError(
            f"{field}: unknown currency symbol {sym!r} in {text!r} "
            f"(use an ISO 4217 code or one of {sorted(_MINOR_UNITS)})"
        )

    def ratio_to(self, other: Unit) -> Fraction:
        """How many ``other`` units make one of these (same currency only)."""
        if self.currency != other.currency:
            raise TariffError(f"units {self.text!r} and {other.text!r} are different currencies")
        return self.value / other.value

    def format(self, amount: int | Fraction) -> str:
        """``amount`` of this unit written exactly in the currency's major unit."""
        major = Fraction(amount) * self.value
        den = major.denominator
        k = 0
        while 10**k % den:
            if k > 64:  # not a finite decimal: show the fraction
                return f"{major} {self.currency}"
            k += 1
        digits = str(abs(major.numerator) * (10**k // den)).rjust(k + 1, "0")
        text = f"{digits[:-k]}.{digits[-k:]}" if k else digits
        return f"{'-' if major < 0 else ''}{text} {self.currency}"


def convert_price(
    value: int | str | Decimal | Fraction, from_unit: str, to_unit: str, field: str = "price"
) -> int:
    """``value`` in ``from_unit`` expressed exactly as an integer in ``to_unit``.

    Raises :class:`TariffError` (naming ``field``) when it is not a whole
    number of ``to_unit``: prices are never rounded silently.

    >>> convert_price("0.226065", "GBP", "0.0001p")
    226065
    >>> convert_price("67.20", "p", "0.01p")
    6720
    >>> convert_price("14.228", "p", "0.01p", field="flat")
    Traceback (most recent call last):
    ...
    privbill.errors.TariffError: flat: 14.228 p is not a whole number of 0.01p (use a finer unit)
    """
    src = Unit.parse(from_unit, field)
    dst = Unit.parse(to_unit, field)
    try:
        exact = Fraction(Decimal(value)) if isinstance(value, str) else Fraction(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise TariffError(f"{field}: {value!r} is not a number") from exc
    scaled = exact * src.ratio_to(dst)
    if scaled.denominator != 1:
        raise TariffError(
            f"{field}: {value} {from_unit} is not a whole number of {to_unit} (use a finer unit)"
        )
    return scaled.numerator


# --------------------------------------------------------------------------
# small validators
# --------------------------------------------------------------------------


def _int(value: object, field: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TariffError(f"{field}: must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise TariffError(f"{field}: must be >= {minimum}, got {value}")
    return value


def _str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise TariffError(f"{field}: must be a string, got {value!r}")
    return value


def _nonempty(value: object, field: str) -> str:
    text = _str(value, field)
    if not text:
        raise TariffError(f"{field}: must not be empty")
    return text


def _unknown_band(band: str, names: tuple[str, ...]) -> TariffError:
    return TariffError(f"unknown band {band!r}; the bands are {names}")


def _opt_date(value: object, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TariffError(f"{field}: must be a date, got {value!r}")
    return value


def _parse_date(value: object, field: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TariffError(f"{field}: must be a 'YYYY-MM-DD' string or null, got {value!r}")
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise TariffError(f"{field}: {value!r} is not a 'YYYY-MM-DD' date") from exc


def _date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _tz(value: object, field: str = "tz") -> str:
    if isinstance(value, ZoneInfo):
        value = value.key
    if not isinstance(value, str):
        raise TariffError(f"{field}: must be an IANA time-zone name, got {value!r}")
    try:
        return zone_name(value)
    except RangeError as exc:
        raise TariffError(f"{field}: {exc}") from exc


def _period(value: object, field: str = "period") -> int:
    try:
        return check_period(value)  # type: ignore[arg-type]
    except RangeError as exc:
        raise TariffError(f"{field}: {exc}") from exc


_CLOCK_RE = re.compile(r"^([0-9]{2}):([0-9]{2})$")


def _clock_seconds(text: object, field: str) -> int:
    if not isinstance(text, str):
        raise TariffError(f"{field}: must be an 'HH:MM' string, got {text!r}")
    m = _CLOCK_RE.match(text)
    if m is None:
        raise TariffError(f"{field}: {text!r} is not 'HH:MM'")
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and mi != 0):
        raise TariffError(f"{field}: {text!r} is not a clock time between 00:00 and 24:00")
    return h * 3600 + mi * 60


def _clock_text(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_SETS = {
    "all": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset((5, 6)),
}


def _parse_days(text: object, field: str) -> frozenset[int]:
    if not isinstance(text, str):
        raise TariffError(f"{field}: must be a string, got {text!r}")
    if text in _DAY_SETS:
        return _DAY_SETS[text]
    names = text.split(",")
    if not names or any(n not in _DAY_NAMES for n in names) or len(set(names)) != len(names):
        raise TariffError(
            f"{field}: {text!r} is not 'all', 'weekdays', 'weekends' or a comma list of "
            f"{', '.join(_DAY_NAMES)}"
        )
    return frozenset(_DAY_NAMES.index(n) for n in names)


# --------------------------------------------------------------------------
# the interface
# --------------------------------------------------------------------------


class Tariff(ABC):
    """What every tariff offers to the household, the retailer and the bill.

    Attributes common to every kind:

    - ``name``: free text.
    - ``unit``: the money unit of every price (per kWh) and of the standing
      charge (per day), e.g. ``"0.01p"``.
    - ``bill_unit``: the unit bill lines are rounded to, once per line; by
      default ``unit``. Same currency as ``unit``.
    - ``tz``: IANA name of the zone whose clock the tariff's windows use.
    - ``period``: interval length in seconds; indices are of this period.
    - ``standing_charge_per_day``: integer in ``unit`` per local day.
    - ``export_price``: integer in ``unit`` per kWh paid for the export
      channel, or ``None`` if the tariff does not pay for export.
    """

    kind: ClassVar[str]
    _CACHE_SIZE: ClassVar[int] = 32
    _BLOCKS: ClassVar[int] = 4096

    def __init__(
        self,
        *,
        name: str,
        unit: str,
        tz: str | ZoneInfo,
        period: int = DEFAULT_PERIOD,
        standing_charge_per_day: int = 0,
        export_price: int | None = None,
        bill_unit: str | None = None,
    ) -> None:
        self.name = _str(name, "name")
        self.unit = _str(unit, "unit")
        self.unit_info = Unit.parse(unit, "unit")
        self.bill_unit = self.unit if bill_unit is None else _str(bill_unit, "bill_unit")
        self.bill_unit_info = Unit.parse(self.bill_unit, "bill_unit")
        if self.bill_unit_info.currency != self.unit_info.currency:
            raise TariffError(
                f"bill_unit: {self.bill_unit!r} is not the currency of unit {self.unit!r}"
            )
        self.tz = _tz(tz)
        self.zoneinfo = zone(self.tz)
        self.period = _period(period)
        self.standing_charge_per_day = _int(
            standing_charge_per_day, "standing_charge_per_day", minimum=0
        )
        self.export_price = None if export_price is None else _int(export_price, "export_price")
        self._band_cache: dict[tuple[int, int], tuple[int, ...]] = {}
        self._positions_cache: dict[tuple[int, int, int], tuple[tuple[int, ...], ...]] = {}
        self._blocks: dict[int, tuple[int, ...]] = {}

    # -- what each kind defines --------------------------------------------

    @property
    @abstractmethod
    def band_names(self) -> tuple[str, ...]:
        """The tariff's bands, in their declared order."""

    @abstractmethod
    def _band_index(self, index: int) -> int:
        """Position in :attr:`band_names` of the band of interval ``index``."""

    @abstractmethod
    def band_price(self, band: str) -> int | None:
        """The price per kWh of ``band`` in ``unit``; ``None`` if it varies (dynamic)."""

    @abstractmethod
    def _body(self) -> JSONDict:
        """The kind-specific fields of the JSON form."""

    # -- derived -------------------------------------------------------------

    def band_of(self, index: int) -> str:
        """The band of interval ``index``; :class:`TariffError` if the tariff does not cover it."""
        return self.band_names[self._cached_band_index(_index(index))]

    def price_of(self, index: int) -> int:
        """The price per kWh (in ``unit``) of interval ``index``."""
        price = self.band_price(self.band_of(index))
        assert price is not None  # kinds without fixed band prices override this
        return price

    def _cached_band_index(self, index: int) -> int:
        # Bands are computed a UTC day ("block") at a time and kept: a retailer
        # verifies many customers over the same days with the same tariff.
        per_block = 86400 // self.period
        block, offset = divmod(index, per_block)
        row = self._blocks.get(block)
        if row is None:
            first = block * per_block
            out = []
            for i in range(first, first + per_block):
                try:
                    out.append(self._band_index(i))
                except TariffError:
                    out.append(-1)  # not covered: raise below, with the kind's message
            row = tuple(out)
            if len(self._blocks) >= self._BLOCKS:
                self._blocks.pop(next(iter(self._blocks)))
            self._blocks[block] = row
        band = row[offset]
        return band if band >= 0 else self._band_index(index)

    def band_indices(self, indices: Iterable[int]) -> tuple[int, ...]:
        """Positions in :attr:`band_names` of the bands of ``indices``.

        Lookups are cached per UTC day, and whole results for a contiguous
        ``range``, so repeated queries over the same period are cheap.
        """
        if isinstance(indices, range) and indices.step == 1:
            key = (indices.start, indices.stop)
            hit = self._band_cache.get(key)
            if hit is None:
                hit = tuple(self._cached_band_index(i) for i in indices)
                if len(self._band_cache) >= self._CACHE_SIZE:
                    self._band_cache.pop(next(iter(self._band_cache)))
                self._band_cache[key] = hit
            return hit
        lookup = self._cached_band_index
        return tuple(lookup(_index(i)) for i in indices)

    def band_positions(self, indices: range) -> tuple[tuple[int, ...], ...]:
        """Per band (in :attr:`band_names` order), the positions in ``indices`` of its
        intervals: the band-total queries' 0/1 weights, as the positions of the 1s.

        Cached per range, as :meth:`band_indices` is: a retailer verifies many
        customers over the same period with the same tariff.

        >>> t = FlatTariff(3000, unit="0.01p")
        >>> t.band_positions(range(100, 103))
        ((0, 1, 2),)
        """
        key = (indices.start, indices.stop, indices.step)
        hit = self._positions_cache.get(key)
        if hit is None:
            members: list[list[int]] = [[] for _ in self.band_names]
            for j, b in enumerate(self.band_indices(indices)):
                members[b].append(j)
            hit = tuple(tuple(m) for m in members)
            if len(self._positions_cache) >= self._CACHE_SIZE:
                self._positions_cache.pop(next(iter(self._positions_cache)))
            self._positions_cache[key] = hit
        return hit

    def bands_of(self, indices: Iterable[int]) -> list[str]:
        """The band of each of ``indices``."""
        names = self.band_names
        return [names[b] for b in self.band_indices(indices)]

    def weights_for_band(self, band: str, indices: Iterable[int]) -> list[int]:
        """0/1 weights selecting the intervals of ``band`` among ``indices``.

        These are the public weights of one band-total query.
        """
        try:
            wanted = self.band_names.index(band)
        except ValueError:
            raise _unknown_band(band, self.band_names) from None
        return [1 if b == wanted else 0 for b in self.band_indices(indices)]

    def price_weights(self, indices: Iterable[int]) -> list[int]:
        """The price of each of ``indices``: the weights of the amount-only query."""
        prices = [self.band_price(b) for b in self.band_names]
        out: list[int] = []
        for b in self.band_indices(indices):
            p = prices[b]
            assert p is not None
            out.append(p)
        return out

    # -- JSON ------------------------------------------------------------------

    def to_dict(self) -> JSONDict:
        """The JSON object of this tariff (see ``docs/tariffs.md``)."""
        head: JSONDict = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "kind": self.kind,
            "name": self.name,
            "unit": self.unit,
            "bill_unit": self.bill_unit,
            "tz": self.tz,
            "period": self.period,
            "standing_charge_per_day": self.standing_charge_per_day,
            "export_price": self.export_price,
        }
        head.update(self._body())
        return head

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tariff):
            return NotImplemented
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tariff_to_json(self))

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name!r} bands={self.band_names} "
            f"unit={self.unit!r} tz={self.tz!r} period={self.period}>"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_band_cache"] = {}  # do not ship caches to worker processes
        state["_positions_cache"] = {}
        state["_blocks"] = {}
        return state


def _index(index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise TariffError(f"interval index must be an int, got {index!r}")
    return index


def _local_slot(tariff: Tariff, index: int) -> tuple[date, int]:
    """The local date and second-of-day at which interval ``index`` starts."""
    local = local_start_of(index, tariff.zoneinfo, tariff.period)
    sod = local.hour * 3600 + local.minute * 60 + local.second
    if sod % tariff.period:
        raise TariffError(
            f"interval {index} starts at {local.time()} local time in {tariff.tz}, not on a "
            f"{tariff.period} s boundary: the zone's offset does not align with local windows"
        )
    return local.date(), sod


# --------------------------------------------------------------------------
# flat
# --------------------------------------------------------------------------


class FlatTariff(Tariff):
    """One band, one price per kWh.

    >>> t = FlatTariff(1423, unit="0.01p", standing_charge_per_day=4500)
    >>> t.band_names, t.price_of(758208), t.band_price("flat")
    (('flat',), 1423, 1423)
    """

    kind = "flat"

    def __init__(
        self,
        price: int,
        *,
        unit: str,
        band: str = "flat",
        name: str = "",
        tz: str | ZoneInfo = "UTC",
        period: int = DEFAULT_PERIOD,
        standing_charge_per_day: int = 0,
        export_price: int | None = None,
        bill_unit: str | None = None,
    ) -> None:
        super().__init__(
            name=name,
            unit=unit,
            tz=tz,
            period=period,
            standing_charge_per_day=standing_charge_per_day,
            export_price=export_price,
            bill_unit=bill_unit,
        )
        self.price = _int(price, "price")
        self.band = _nonempty(band, "band")

    @property
    def band_names(self) -> tuple[str, ...]:
        return (self.band,)

    def _band_index(self, index: int) -> int:
        return 0

    def band_price(self, band: str) -> int | None:
        if band != self.band:
            raise _unknown_band(band, self.band_names)
        return self.price

    def _body(self) -> JSONDict:
        return {"band": self.band, "price": self.price}


# --------------------------------------------------------------------------
# time of use
# --------------------------------------------------------------------------


def _check_window(
    start: object, end: object, days: object, vf: object, vu: object, field: str
) -> None:
    s = _clock_seconds(start, f"{field}.start")
    e = _clock_seconds(end, f"{field}.end")
    if s >= 86400:
        raise TariffError(f"{field}.start: 24:00 is not a start time")
    if s >= e:
        raise TariffError(
            f"{field}: start {start} must be before end {end} (split windows that cross midnight)"
        )
    _parse_days(days, f"{field}.days")
    vf = _opt_date(vf, f"{field}.valid_from")
    vu = _opt_date(vu, f"{field}.valid_until")
    if vf is not None and vu is not None and vf >= vu:
        raise TariffError(f"{field}: valid_from {vf} must be before valid_until {vu}")


@dataclass(frozen=True)
class Window:
    """A local clock window ``[start, end)`` of one band.

    ``start``/``end`` are ``"HH:MM"`` (``end`` may be ``"24:00"``); a window
    never wraps past midnight (write ``23:00-24:00`` and ``00:00-07:00``).
    ``days`` is ``"all"``, ``"weekdays"`` (Mon-Fri), ``"weekends"`` or a comma
    list such as ``"sat,sun"``. ``valid_from``/``valid_until`` (exclusive)
    restrict the window to local dates.

    >>> w = Window("00:00", "06:00")
    >>> w.start_seconds, w.end_seconds
    (0, 21600)
    >>> Window("23:00", "07:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    privbill.errors.TariffError: window: start 23:00 must be before end 07:00 (split ...)
    """

    start: str
    end: str
    days: str = "all"
    valid_from: date | None = None
    valid_until: date | None = None

    def __post_init__(self) -> None:
        self.check("window")

    def check(self, field: str) -> None:
        """Validate, naming ``field`` in errors."""
        _check_window(self.start, self.end, self.days, self.valid_from, self.valid_until, field)

    @property
    def start_seconds(self) -> int:
        """Start as seconds after local midnight."""
        return _clock_seconds(self.start, "start")

    @property
    def end_seconds(self) -> int:
        """End as seconds after local midnight."""
        return _clock_seconds(self.end, "end")

    @property
    def weekdays(self) -> frozenset[int]:
        """The weekdays (Monday = 0) on which the window applies."""
        return _parse_days(self.days, "days")

    def to_dict(self) -> JSONDict:
        """JSON form."""
        return {
            "start": self.start,
            "end": self.end,
            "days": self.days,
            "valid_from": _date_text(self.valid_from),
            "valid_until": _date_text(self.valid_until),
        }


@dataclass(frozen=True)
class Band:
    """A named band: a price per kWh and the local windows where it applies."""

    name: str
    price: int
    windows: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TariffError(f"band name: must be a non-empty string, got {self.name!r}")
        _int(self.price, f"bands[{self.name}].price")
        object.__setattr__(self, "windows", tuple(self.windows))
        for w in self.windows:
            if not isinstance(w, Window):
                raise TariffError(f"bands[{self.name}].windows: {w!r} is not a Window")


_Segment = tuple[int, dict[int, tuple[int, ...]]]  # (first date ordinal, weekday -> slot table)


class TimeOfUseTariff(Tariff):
    """Named bands priced per kWh, applying in local clock windows.

    Construction checks that, on every date the tariff is valid for
    (``valid_from`` to ``valid_until`` exclusive, unbounded by default) and
    for every weekday, the windows tile the local day exactly once: a gap or
    an overlap raises :class:`TariffError` naming the bands, weekday and time.
    Window edges must be multiples of ``period``.

    >>> t = TimeOfUseTariff(
    ...     [Band("night", 800, (Window("00:00", "07:00"), Window("23:00", "24:00"))),
    ...      Band("day", 2400, (Window("07:00", "23:00"),))],
    ...     unit="0.01p", tz="Europe/London")
    >>> from privbill.intervals import local_day_intervals
    >>> r = local_day_intervals(date(2013, 10, 27), "Europe/London")
    >>> t.bands_of(r).count("night"), t.bands_of(r).count("day")
    (18, 32)
    >>> TimeOfUseTariff([Band("day", 1, (Window("07:00", "24:00"),))], unit="p", tz="UTC")
    Traceback (most recent call last):
    ...
    privbill.errors.TariffError: bands: no band covers 00:00-07:00 local time on mon
    """

    kind = "tou"

    def __init__(
        self,
        bands: Sequence[Band],
        *,
        unit: str,
        tz: str | ZoneInfo,
        name: str = "",
        period: int = DEFAULT_PERIOD,
        standing_charge_per_day: int = 0,
        export_price: int | None = None,
        bill_unit: str | None = None,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> None:
        super().__init__(
            name=name,
            unit=unit,
            tz=tz,
            period=period,
            standing_charge_per_day=standing_charge_per_day,
            export_price=export_price,
            bill_unit=bill_unit,
        )
        self.bands = tuple(bands)
        if not self.bands:
            raise TariffError("bands: a time-of-use tariff needs at least one band")
        for i, b in enumerate(self.bands):
            if not isinstance(b, Band):
                raise TariffError(f"bands[{i}]: {b!r} is not a Band")
        names = [b.name for b in self.bands]
        for i, b in enumerate(self.bands):
            if names.index(b.name) != i:
                raise TariffError(f"bands[{i}].name: duplicate band {b.name!r}")
            for j, w in enumerate(b.windows):
                field = f"bands[{i}].windows[{j}]"
                w.check(field)
                for edge, secs in (("start", w.start_seconds), ("end", w.end_seconds)):
                    if secs % self.period:
                        raise TariffError(
                            f"{field}.{edge}: {_clock_text(secs)} is not on a "
                            f"{self.period} s interval boundary"
                        )
        self.valid_from = _opt_date(valid_from, "valid_from")
        self.valid_until = _opt_date(valid_until, "valid_until")
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise TariffError("valid_from: must be before valid_until")
        self._names = tuple(names)
        self._prices = {b.name: b.price for b in self.bands}
        self._segments = self._build_segments()
        self._seg_starts = [s for s, _ in self._segments]

    @property
    def band_names(self) -> tuple[str, ...]:
        return self._names

    def band_price(self, band: str) -> int | None:
        try:
            return self._prices[band]
        except KeyError:
            raise _unknown_band(band, self._names) from None

    def _build_segments(self) -> list[_Segment]:
        """Split the time line at every validity boundary; tile each piece per weekday."""
        edges: set[date] = set()
        for b in self.bands:
            for w in b.windows:
                edges.update(d for d in (w.valid_from, w.valid_until) if d is not None)
        if self.valid_from is not None:
            edges = {d for d in edges if d >= self.valid_from} | {self.valid_from}
        if self.valid_until is not None:
            edges = {d for d in edges if d <= self.valid_until} | {self.valid_until}
        cuts: list[date | None] = [None, *sorted(edges), None]
        slots = 86400 // self.period
        segments: list[_Segment] = []
        for lo, hi in pairwise(cuts):
            if (self.valid_from is not None and (lo is None or lo < self.valid_from)) or (
                self.valid_until is not None and (hi is None or hi > self.valid_until)
            ):
                continue  # outside the tariff's validity
            if lo is not None and hi is not None and (hi - lo).days < 7:
                weekdays = sorted(
                    {(lo + timedelta(days=k)).weekday() for k in range((hi - lo).days)}
                )
            else:
                weekdays = list(range(7))
            tables: dict[int, tuple[int, ...]] = {}
            for wd in weekdays:
                owner = [-1] * slots
                for bi, b in enumerate(self.bands):
                    for w in b.windows:
                        if wd not in w.weekdays:
                            continue
                        if w.valid_from is not None and (lo is None or lo < w.valid_from):
                            continue
                        if w.valid_until is not None and (hi is None or hi > w.valid_until):
                            continue
                        for s in range(
                            w.start_seconds // self.period, w.end_seconds // self.period
                        ):
                            if owner[s] != -1:
                                raise TariffError(
                                    f"bands: {self.bands[owner[s]].name!r} and {b.name!r} "
                                    f"overlap at {_clock_text(s * self.period)} local time on "
                                    f"{_DAY_NAMES[wd]}{_when(lo, hi)}"
                                )
                            owner[s] = bi
                if -1 in owner:
                    first = owner.index(-1)
                    last = first
                    while last < slots and owner[last] == -1:
                        last += 1
                    raise TariffError(
                        f"bands: no band covers {_clock_text(first * self.period)}-"
                        f"{_clock_text(last * self.period)} local time on "
                        f"{_DAY_NAMES[wd]}{_when(lo, hi)}"
                    )
                tables[wd] = tuple(owner)
            start = lo.toordinal() if lo is not None else -(10**9)
            segments.append((start, tables))
        return segments

    def _band_index(self, index: int) -> int:
        day, sod = _local_slot(self, index)
        if (self.valid_from is not None and day < self.valid_from) or (
            self.valid_until is not None and day >= self.valid_until
        ):
            raise TariffError(
                f"interval {index} is on {day}, outside the tariff's validity "
                f"{self.valid_from}..{self.valid_until}"
            )
        _, tables = self._segments[bisect_right(self._seg_starts, day.toordinal()) - 1]
        return tables[day.weekday()][sod // self.period]

    def _body(self) -> JSONDict:
        return {
            "valid_from": _date_text(self.valid_from),
            "valid_until": _date_text(self.valid_until),
            "bands": [
                {
                    "name": b.name,
                    "price": b.price,
                    "windows": [w.to_dict() for w in b.windows],
                }
                for b in self.bands
            ],
        }


def _when(lo: date | None, hi: date | None) -> str:
    if lo is None and hi is None:
        return ""
    return f" (dates {lo or '...'} to {hi or '...'})"


def classic_three_band(
    *, tz: str = "Europe/London", period: int = DEFAULT_PERIOD, standing_charge_per_day: int = 0
) -> TimeOfUseTariff:
    """The classic three-band example: 5p/kWh 00:00-06:00, 20p 18:00-21:00, 10p otherwise.

    Prices in ``"0.01p"`` (500, 2000, 1000); local time in ``tz``.

    >>> t = classic_three_band()
    >>> [(n, t.band_price(n)) for n in t.band_names]
    [('low', 500), ('normal', 1000), ('peak', 2000)]
    """
    return TimeOfUseTariff(
        [
            Band("low", 500, (Window("00:00", "06:00"),)),
            Band("normal", 1000, (Window("06:00", "18:00"), Window("21:00", "24:00"))),
            Band("peak", 2000, (Window("18:00", "21:00"),)),
        ],
        unit="0.01p",
        tz=tz,
        name="classic three-band",
        period=period,
        standing_charge_per_day=standing_charge_per_day,
    )


# --------------------------------------------------------------------------
# explicit schedule
# --------------------------------------------------------------------------


class ScheduleTariff(Tariff):
    """A band for every local slot of every date, as the Low Carbon London dToU.

    ``schedule`` maps each local date to its ``86400 // slot_seconds`` band
    names, slot 0 starting at local 00:00. An interval takes the band of the
    slot containing its local start time (wall clock): on a day with 50
    half-hours the repeated hour's two passes both use that hour's slots; on a
    day with 46 the skipped hour's slots go unused. So a 48-row-per-day file
    like the LCL schedule maps onto real days without any adjustment.
    Intervals on dates outside the schedule raise :class:`TariffError`.

    >>> sched = {date(2013, 10, 27): ["low"] * 4 + ["high"] * 44}
    >>> t = ScheduleTariff({"low": 399, "high": 6720}, sched, unit="0.01p", tz="Europe/London")
    >>> from privbill.intervals import local_day_intervals
    >>> t.bands_of(local_day_intervals(date(2013, 10, 27), "Europe/London"))[:7]
    ['low', 'low', 'low', 'low', 'low', 'low', 'high']
    """

    kind = "schedule"

    def __init__(
        self,
        bands: Mapping[str, int],
        schedule: Mapping[date, Sequence[str]],
        *,
        unit: str,
        tz: str | ZoneInfo,
        name: str = "",
        period: int = DEFAULT_PERIOD,
        slot_seconds: int = 1800,
        standing_charge_per_day: int = 0,
        export_price: int | None = None,
        bill_unit: str | None = None,
    ) -> None:
        super().__init__(
            name=name,
            unit=unit,
            tz=tz,
            period=period,
            standing_charge_per_day=standing_charge_per_day,
            export_price=export_price,
            bill_unit=bill_unit,
        )
        if not bands:
            raise TariffError("bands: a schedule tariff needs at least one band")
        self._names = tuple(bands)
        self._prices: dict[str, int] = {}
        for n in self._names:
            if not isinstance(n, str) or not n:
                raise TariffError(f"bands: band name must be a non-empty string, got {n!r}")
            self._prices[n] = _int(bands[n], f"bands[{n}].price")
        self.slot_seconds = _int(slot_seconds, "slot_seconds", minimum=1)
        if 86400 % self.slot_seconds or self.slot_seconds % self.period:
            raise TariffError(
                f"slot_seconds: {self.slot_seconds} must divide a day and be a multiple "
                f"of the period {self.period}"
            )
        per_day = 86400 // self.slot_seconds
        lookup = {n: i for i, n in enumerate(self._names)}
        self._days: dict[date, bytes | tuple[int, ...]] = {}
        for d in sorted(schedule):
            field = f"schedule[{d}]"
            _opt_date(d, field)
            row = schedule[d]
            if len(row) != per_day:
                raise TariffError(f"{field}: {len(row)} slots, expected {per_day}")
            try:
                idx = [lookup[b] for b in row]
            except KeyError as exc:
                raise TariffError(f"{field}: unknown band {exc.args[0]!r}") from None
            self._days[d] = bytes(idx) if len(self._names) < 256 else tuple(idx)
        if not self._days:
            raise TariffError("schedule: no dates")

    @property
    def band_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def dates(self) -> list[date]:
        """The local dates the schedule covers, in order."""
        return list(self._days)

    def band_price(self, band: str) -> int | None:
        try:
            return self._prices[band]
        except KeyError:
            raise _unknown_band(band, self._names) from None

    def _band_index(self, index: int) -> int:
        day, sod = _local_slot(self, index)
        row = self._days.get(day)
        if row is None:
            raise TariffError(f"interval {index} is on {day}, which the schedule does not cover")
        return row[sod // self.slot_seconds]

    def _body(self) -> JSONDict:
        return {
            "slot_seconds": self.slot_seconds,
            "bands": [{"name": n, "price": self._prices[n]} for n in self._names],
            "schedule": {d.isoformat(): list(row) for d, row in self._days.items()},
        }


# --------------------------------------------------------------------------
# dynamic
# --------------------------------------------------------------------------


class DynamicTariff(Tariff):
    """A price per UTC interval index (Octopus Agile style); negative prices allowed.

    It has one pseudo-band, ``"dynamic"``, whose :meth:`band_price` is
    ``None``: a band total says nothing about the amount, so such a tariff
    bills in amount mode (weights = :meth:`price_weights`). Indices without a
    price raise :class:`TariffError`.

    >>> t = DynamicTariff.from_series(758208, [1500, -250, 0], unit="0.01p")
    >>> t.price_weights(range(758208, 758211))
    [1500, -250, 0]
    >>> t.band_price("dynamic") is None
    True
    """

    kind = "dynamic"

    def __init__(
        self,
        prices: Mapping[int, int],
        *,
        unit: str,
        name: str = "",
        band: str = "dynamic",
        tz: str | ZoneInfo = "UTC",
        period: int = DEFAULT_PERIOD,
        standing_charge_per_day: int = 0,
        export_price: int | None = None,
        bill_unit: str | None = None,
    ) -> None:
        super().__init__(
            name=name,
            unit=unit,
            tz=tz,
            period=period,
            standing_charge_per_day=standing_charge_per_day,
            export_price=export_price,
            bill_unit=bill_unit,
        )
        self.band = _nonempty(band, "band")
        self.prices: dict[int, int] = {}
        for i in sorted(prices, key=lambda k: _int(k, "prices: index")):
            self.prices[i] = _int(prices[i], f"prices[{i}]")

    @classmethod
    def from_series(
        cls, first_index: int, prices: Sequence[int], *, unit: str, **kwargs: Any
    ) -> DynamicTariff:
        """Prices for ``first_index``, ``first_index + 1``, ... in order."""
        first = _int(first_index, "first_index")
        return cls({first + k: p for k, p in enumerate(prices)}, unit=unit, **kwargs)

    @property
    def band_names(self) -> tuple[str, ...]:
        return (self.band,)

    def band_price(self, band: str) -> int | None:
        if band != self.band:
            raise _unknown_band(band, self.band_names)
        return None

    def _band_index(self, index: int) -> int:
        if index not in self.prices:
            raise TariffError(f"no dynamic price for interval {index}")
        return 0

    def price_of(self, index: int) -> int:
        try:
            return self.prices[_index(index)]
        except KeyError:
            raise TariffError(f"no dynamic price for interval {index}") from None

    def price_weights(self, indices: Iterable[int]) -> list[int]:
        return [self.price_of(i) for i in indices]

    def _body(self) -> JSONDict:
        return {"band": self.band, "prices": [[i, p] for i, p in self.prices.items()]}


# --------------------------------------------------------------------------
# the JSON file format
# --------------------------------------------------------------------------

_COMMON_REQUIRED = ("format", "version", "kind", "unit", "tz")
_COMMON_OPTIONAL: dict[str, Any] = {
    "name": "",
    "bill_unit": None,
    "period": DEFAULT_PERIOD,
    "standing_charge_per_day": 0,
    "export_price": None,
}
_KIND_FIELDS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "flat": (("price",), {"band": "flat"}),
    "tou": (("bands",), {"valid_from": None, "valid_until": None}),
    "schedule": (("bands", "schedule"), {"slot_seconds": 1800}),
    "dynamic": (("prices",), {"band": "dynamic"}),
}


def _list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise TariffError(f"{field}: must be a list, got {type(value).__name__}")
    return value


def _obj(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TariffError(f"{field}: must be an object, got {type(value).__name__}")
    return value


def _only(obj: Mapping[str, Any], allowed: Iterable[str], field: str) -> None:
    extra = sorted(set(obj) - set(allowed))
    if extra:
        raise TariffError(f"{field}: unknown field {extra[0]!r}")


def _window_from(obj: object, field: str) -> Window:
    d = _obj(obj, field)
    _only(d, ("start", "end", "days", "valid_from", "valid_until"), field)
    for k in ("start", "end"):
        if k not in d:
            raise TariffError(f"{field}.{k}: missing")
    start, end, days = d["start"], d["end"], d.get("days", "all")
    vf = _parse_date(d.get("valid_from"), f"{field}.valid_from")
    vu = _parse_date(d.get("valid_until"), f"{field}.valid_until")
    _check_window(start, end, days, vf, vu, field)  # errors name the field's path
    return Window(start, end, days, vf, vu)


def tariff_from_json(source: str | bytes | Mapping[str, Any]) -> Tariff:
    """Build a tariff from its JSON text (or the parsed object).

    Malformed JSON raises :class:`FormatError`; a well-formed document that
    is not a valid tariff raises :class:`TariffError` naming the field.

    >>> t = tariff_from_json('''{"format": "privbill-tariff", "version": 1,
    ...   "kind": "flat", "unit": "0.01p", "tz": "Europe/London", "price": 1423}''')
    >>> t.price_of(0), t.standing_charge_per_day
    (1423, 0)
    >>> tariff_from_json('{"format": "privbill-tariff", "version": 1, "kind": "flat",'
    ...                  ' "unit": "0.01p", "tz": "UTC", "price": 14.23}')
    Traceback (most recent call last):
    ...
    privbill.errors.TariffError: price: must be an integer, got 14.23
    """
    if isinstance(source, (str, bytes)):
        try:
            doc = json.loads(source)
        except (ValueError, RecursionError) as exc:
            # ValueError covers JSONDecodeError, UnicodeDecodeError and integers past
            # CPython's digit limit; RecursionError, nesting deeper than the stack
            raise FormatError(f"tariff file is not valid JSON: {exc}") from exc
    else:
        doc = source
    d = _obj(doc, "tariff")
    for k in _COMMON_REQUIRED:
        if k not in d:
            raise TariffError(f"{k}: missing")
    if d["format"] != FORMAT_NAME:
        raise TariffError(f"format: expected {FORMAT_NAME!r}, got {d['format']!r}")
    if d["version"] != FORMAT_VERSION or isinstance(d["version"], bool):
        raise TariffError(
            f"version: this reader knows version {FORMAT_VERSION}, got {d['version']!r}"
        )
    kind = d["kind"]
    if not isinstance(kind, str) or kind not in _KIND_FIELDS:
        raise TariffError(f"kind: must be one of {sorted(_KIND_FIELDS)}, got {kind!r}")
    required, optional = _KIND_FIELDS[kind]
    _only(d, (*_COMMON_REQUIRED, *_COMMON_OPTIONAL, *required, *optional), "tariff")
    for k in required:
        if k not in d:
            raise TariffError(f"{k}: missing")
    common: dict[str, Any] = {k: d.get(k, v) for k, v in _COMMON_OPTIONAL.items()}
    common["unit"] = d["unit"]
    common["tz"] = _tz(d["tz"])
    body: dict[str, Any] = {k: d.get(k, v) for k, v in optional.items()}

    if kind == "flat":
        return FlatTariff(d["price"], band=body["band"], **common)
    if kind == "dynamic":
        prices: dict[int, int] = {}
        for n, pair in enumerate(_list(d["prices"], "prices")):
            f = f"prices[{n}]"
            if not isinstance(pair, list) or len(pair) != 2:
                raise TariffError(f"{f}: must be an [index, price] pair")
            i = _int(pair[0], f"{f}[0]")
            if i in prices:
                raise TariffError(f"{f}: duplicate interval index {i}")
            prices[i] = _int(pair[1], f"{f}[1]")
        return DynamicTariff(prices, band=body["band"], **common)
    if kind == "tou":
        bands: list[Band] = []
        for n, b in enumerate(_list(d["bands"], "bands")):
            f = f"bands[{n}]"
            bo = _obj(b, f)
            _only(bo, ("name", "price", "windows"), f)
            for k in ("name", "price", "windows"):
                if k not in bo:
                    raise TariffError(f"{f}.{k}: missing")
            name = _nonempty(bo["name"], f"{f}.name")
            price = _int(bo["price"], f"{f}.price")
            windows = tuple(
                _window_from(w, f"{f}.windows[{j}]")
                for j, w in enumerate(_list(bo["windows"], f"{f}.windows"))
            )
            bands.append(Band(name, price, windows))
        return TimeOfUseTariff(
            bands,
            valid_from=_parse_date(body["valid_from"], "valid_from"),
            valid_until=_parse_date(body["valid_until"], "valid_until"),
            **common,
        )
    # schedule
    band_prices: dict[str, int] = {}
    for n, b in enumerate(_list(d["bands"], "bands")):
        f = f"bands[{n}]"
        bo = _obj(b, f)
        _only(bo, ("name", "price"), f)
        name = _nonempty(bo.get("name"), f"{f}.name")
        if name in band_prices:
            raise TariffError(f"{f}.name: duplicate band {name!r}")
        band_prices[name] = _int(bo.get("price"), f"{f}.price")
    names = list(band_prices)
    schedule: dict[date, list[str]] = {}
    for key, row in _obj(d["schedule"], "schedule").items():
        f = f"schedule[{key}]"
        day = _parse_date(key, f)
        assert day is not None
        slots: list[str] = []
        for j, b in enumerate(_list(row, f)):
            bi = _int(b, f"{f}[{j}]", minimum=0)
            if bi >= len(names):
                raise TariffError(f"{f}[{j}]: band index {bi} out of range")
            slots.append(names[bi])
        schedule[day] = slots
    return ScheduleTariff(
        band_prices, schedule, slot_seconds=_int(body["slot_seconds"], "slot_seconds"), **common
    )


def _dump(value: Any, indent: int) -> str:
    """Deterministic JSON: one field per line, lists of scalars on one line."""
    pad = " " * indent
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_dump(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return json.dumps(value, ensure_ascii=False)
        if all(
            isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v) for v in value
        ):
            rows = [inner + json.dumps(v, ensure_ascii=False) for v in value]
            return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
        rows = [inner + _dump(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def tariff_to_json(tariff: Tariff) -> str:
    """The canonical JSON text of ``tariff`` (UTF-8, ends with a newline).

    ``tariff_from_json(tariff_to_json(t)) == t``, and for a canonical text
    ``s``, ``tariff_to_json(tariff_from_json(s)) == s``.

    >>> print(tariff_to_json(FlatTariff(1423, unit="0.01p", name="flat")))
    {
      "format": "privbill-tariff",
      "version": 1,
      "kind": "flat",
      "name": "flat",
      "unit": "0.01p",
      "bill_unit": "0.01p",
      "tz": "UTC",
      "period": 1800,
      "standing_charge_per_day": 0,
      "export_price": null,
      "band": "flat",
      "price": 1423
    }
    <BLANKLINE>
    """
    return _dump(tariff.to_dict(), 0) + "\n"


def load_tariff(path: str | Path) -> Tariff:
    """Read a tariff file (see ``docs/tariffs.md``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read tariff file {path}: {exc}") from exc
    return tariff_from_json(data)


def save_tariff(tariff: Tariff, path: str | Path) -> None:
    """Write ``tariff`` to ``path`` in the canonical JSON form."""
    Path(path).write_text(tariff_to_json(tariff), encoding="utf-8")


# --------------------------------------------------------------------------
# loaders for published tariffs
# --------------------------------------------------------------------------


def load_lcl_dtou(
    path: str | Path,
    *,
    unit: str = "0.01p",
    tz: str = "Europe/London",
    period: int = DEFAULT_PERIOD,
    standing_charge_per_day: int = 0,
    name: str = "Low Carbon London dToU 2013",
) -> ScheduleTariff:
    """The Low Carbon London dToU price-signal schedule as a :class:`ScheduleTariff`.

    Reads the CSV layout ``datetime_local,band,price_p_per_kwh`` with 48 rows
    per local date (00:00 to 23:30, in order). The file's clock has 48 slots
    even on clock-change days; intervals map onto it by local wall-clock slot
    (see :class:`ScheduleTariff`): on 2013-10-27 the repeated 01:00-02:00 hour
    reuses slots 2 and 3, and on 2013-03-31 slots 2 and 3 go unused. Bands are
    ordered by price (Low, Normal, High); prices are converted exactly from
    p/kWh into ``unit`` (3.99 p is 399 in ``"0.01p"``).
    Malformed rows raise :class:`FormatError` with the line number.
    """
    rows_by_day: dict[date, list[str]] = {}
    band_price: dict[str, int] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != ["datetime_local", "band", "price_p_per_kwh"]:
        raise FormatError(f"{path}:1: unexpected header {header!r}")
    for row in reader:
        line = reader.line_num
        if len(row) != 3:
            raise FormatError(f"{path}:{line}: expected 3 fields, got {len(row)}")
        stamp, band, price_text = row
        try:
            if len(stamp) != 19 or stamp[10] != " ":
                raise ValueError(stamp)
            when = datetime.fromisoformat(stamp)
        except ValueError as exc:
            raise FormatError(f"{path}:{line}: bad datetime_local {stamp!r}") from exc
        day = when.date()
        slots = rows_by_day.setdefault(day, [])
        expected = len(slots) * 1800
        if when.hour * 3600 + when.minute * 60 + when.second != expected:
            raise FormatError(
                f"{path}:{line}: {stamp} is not slot {len(slots)} of {day} "
                "(rows must be consecutive half-hours from 00:00)"
            )
        if not band:
            raise FormatError(f"{path}:{line}: empty band")
        try:
            exact_price = Decimal(price_text)
        except InvalidOperation:
            raise FormatError(f"{path}:{line}: bad price_p_per_kwh {price_text!r}") from None
        if not exact_price.is_finite():
            raise FormatError(f"{path}:{line}: bad price_p_per_kwh {price_text!r}")
        price = convert_price(exact_price, "p", unit, field=f"{path}:{line}: price")
        if band_price.setdefault(band, price) != price:
            raise FormatError(
                f"{path}:{line}: band {band!r} priced {price_text} here but "
                f"{band_price[band]} {unit} before"
            )
        slots.append(band)
    for day, slots in rows_by_day.items():
        if len(slots) != 48:
            raise FormatError(f"{path}: {day} has {len(slots)} rows, expected 48")
    ordered = dict(sorted(band_price.items(), key=lambda kv: (kv[1], kv[0])))
    return ScheduleTariff(
        ordered,
        rows_by_day,
        unit=unit,
        tz=tz,
        name=name,
        period=period,
        slot_seconds=1800,
        standing_charge_per_day=standing_charge_per_day,
    )


def _read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"{path} is not valid JSON: {exc}") from exc


def _pairs(value: object, field: str) -> tuple[tuple[str, str], ...]:
    out = []
    for n, pair in enumerate(_list(value, field)):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(x, str) for x in pair)
        ):
            raise TariffError(f'{field}[{n}]: must be a ["HH:MM", "HH:MM"] pair')
        out.append((pair[0], pair[1]))
    return tuple(out)


def _check_buckets(
    windows_by_value: Mapping[int, Sequence[tuple[str, str]]],
    buckets: object,
    field: str,
    default: int = -1,
) -> None:
    """Cross-check windows against a published 48-slot mask (``default`` where none)."""
    if buckets is None:
        return
    mask = _list(buckets, field)
    if len(mask) != 48:
        raise TariffError(f"{field}: {len(mask)} slots, expected 48")
    derived = [default] * 48
    for value, windows in windows_by_value.items():
        for start, end in windows:
            s = _clock_seconds(start, field) // 1800
            e = _clock_seconds(end, field) // 1800
            for k in range(s, e):
                derived[k] = value
    if derived != mask:
        first = next(k for k in range(48) if derived[k] != mask[k])
        raise TariffError(
            f"{field}: slot {first} ({_clock_text(first * 1800)}) is {mask[first]} in the mask "
            f"but {derived[first]} from the windows"
        )


def load_economy7_windows(path: str | Path) -> dict[str, tuple[tuple[str, str], ...]]:
    """The Economy 7 off-peak windows by region from the emoncms tariff facts file.

    Each region's windows are cross-checked against its 48-slot mask.
    """
    doc = _obj(_read_json(path), "file")
    regions = _obj(doc.get("economy7_windows_local_time"), "economy7_windows_local_time")
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for region, spec in regions.items():
        if region == "note":
            continue
        f = f"economy7_windows_local_time.{region}"
        so = _obj(spec, f)
        windows = _pairs(so.get("off_peak"), f"{f}.off_peak")
        _check_buckets({1: windows}, so.get("buckets48"), f"{f}.buckets48", default=0)
        out[region] = windows
    return out


def _complement(windows: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    spans = sorted((_clock_seconds(s, "window"), _clock_seconds(e, "window")) for s, e in windows)
    out: list[tuple[str, str]] = []
    at = 0
    for s, e in spans:
        if s > at:
            out.append((_clock_text(at), _clock_text(s)))
        at = max(at, e)
    if at < 86400:
        out.append((_clock_text(at), "24:00"))
    return tuple(out)


def economy7_tariff(
    off_peak: Sequence[tuple[str, str]],
    day_price: int,
    night_price: int,
    *,
    unit: str,
    tz: str = "Europe/London",
    name: str = "Economy 7",
    period: int = DEFAULT_PERIOD,
    standing_charge_per_day: int = 0,
    export_price: int | None = None,
) -> TimeOfUseTariff:
    """A two-band Economy 7 tariff: ``night`` in the off-peak windows, ``day`` otherwise.

    Many real Economy 7 meters switch on GMT all year: pass ``tz="UTC"`` for those.

    >>> t = economy7_tariff([("00:00", "07:00"), ("23:00", "24:00")], 2400, 800, unit="0.01p")
    >>> [(b.name, [(w.start, w.end) for w in b.windows]) for b in t.bands]
    [('day', [('07:00', '23:00')]), ('night', [('00:00', '07:00'), ('23:00', '24:00')])]
    """
    return TimeOfUseTariff(
        [
            Band("day", day_price, tuple(Window(s, e) for s, e in _complement(off_peak))),
            Band("night", night_price, tuple(Window(s, e) for s, e in off_peak)),
        ],
        unit=unit,
        tz=tz,
        name=name,
        period=period,
        standing_charge_per_day=standing_charge_per_day,
        export_price=export_price,
    )


def load_economy7(
    path: str | Path,
    region: str,
    day_price: int,
    night_price: int,
    *,
    unit: str,
    tz: str = "Europe/London",
    period: int = DEFAULT_PERIOD,
    standing_charge_per_day: int = 0,
) -> TimeOfUseTariff:
    """Economy 7 for one region of the emoncms facts file, at the given prices."""
    regions = load_economy7_windows(path)
    if region not in regions:
        raise TariffError(f"region: {region!r} is not one of {sorted(regions)}")
    return economy7_tariff(
        regions[region],
        day_price,
        night_price,
        unit=unit,
        tz=tz,
        name=f"Economy 7 ({region})",
        period=period,
        standing_charge_per_day=standing_charge_per_day,
    )


def load_emoncms_tariffs(
    path: str | Path,
    *,
    unit: str = "0.0001p",
    tz: str = "Europe/London",
    period: int = DEFAULT_PERIOD,
) -> dict[str, Tariff]:
    """The tariffs of the emoncms facts file, by identifier.

    Single-band tariffs become :class:`FlatTariff`; the others (the
    three-band Green Energy TIDE, the npower Economy 7 tariffs) become
    :class:`TimeOfUseTariff` with the bands in the file's order. Prices
    (GBP/kWh) and standing charges (GBP/day) convert exactly into ``unit``;
    the default ``"0.0001p"`` is the coarsest unit that holds 0.226065 GBP
    exactly. Windows are cross-checked against each tariff's 48-slot mask.
    """
    doc = _obj(_read_json(path), "file")
    out: dict[str, Tariff] = {}
    for n, spec in enumerate(_list(doc.get("tariffs"), "tariffs")):
        f = f"tariffs[{n}]"
        so = _obj(spec, f)
        ident = _str(so.get("identifier"), f"{f}.identifier")
        name = f"{so.get('supplier', '')} {so.get('label', '')}".strip()
        standing = so.get("daily_standing_charge_gbp")
        sc = 0 if standing is None else convert_price(str(standing), "GBP", unit, f"{f}.standing")
        bands_spec = _list(so.get("bands"), f"{f}.bands")
        parsed: list[tuple[str, int, tuple[tuple[str, str], ...]]] = []
        for j, b in enumerate(bands_spec):
            bf = f"{f}.bands[{j}]"
            bo = _obj(b, bf)
            gbp = bo.get("gbp_per_kwh")
            if isinstance(gbp, bool) or not isinstance(gbp, (int, float)):
                raise TariffError(f"{bf}.gbp_per_kwh: must be a number, got {gbp!r}")
            # JSON numbers are read as floats; repr() gives back the file's digits
            price = convert_price(repr(gbp), "GBP", unit, f"{bf}.gbp_per_kwh")
            parsed.append(
                (_str(bo.get("name"), f"{bf}.name"), price, _pairs(bo.get("windows"), bf))
            )
        if len(parsed) == 1:
            bname, price, windows = parsed[0]
            if windows != (("00:00", "24:00"),):
                raise TariffError(f"{f}: a single band must cover 00:00-24:00")
            out[ident] = FlatTariff(
                price,
                unit=unit,
                band=bname,
                name=name,
                tz=tz,
                period=period,
                standing_charge_per_day=sc,
            )
            continue
        _check_buckets(
            {j: w for j, (_, _, w) in enumerate(parsed)}, so.get("buckets48"), f"{f}.buckets48"
        )
        out[ident] = TimeOfUseTariff(
            [Band(bn, p, tuple(Window(s, e) for s, e in w)) for bn, p, w in parsed],
            unit=unit,
            tz=tz,
            name=name,
            period=period,
            standing_charge_per_day=sc,
        )
    return out
