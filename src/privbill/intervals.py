"""Interval indices: the one clock of privbill.

Every reading, commitment and price is attached to an *interval index*::

    index = floor(unix_seconds / period)

so index ``i`` covers the UTC instants ``[i * period, (i + 1) * period)``.
Indices are UTC and never ambiguous; local time exists only to decide which
indices make up a local day, a billing period or a tariff band, and it always
comes from the IANA time-zone database (:mod:`zoneinfo`).

The protocol uses ``period = 1800`` (half-hours) and supports ``900``
(quarter-hours, the EU settlement period since 2025). This module accepts any
positive divisor of 3600 seconds: such a period tiles every UTC hour, and so
every local hour of any zone whose offset is a whole number of hours, and a
day has a whole number of intervals. Anything else raises
:class:`~privbill.errors.RangeError`.

A local day has as many intervals as it has hours, never "48 by assumption":
in Europe/London 2013-03-31 had 46 half-hours and 2013-10-27 had 50.

>>> from datetime import date
>>> len(local_day_intervals(date(2013, 3, 31), "Europe/London"))
46
>>> len(local_day_intervals(date(2013, 10, 27), "Europe/London"))
50
>>> index_of(0), index_of(1799), index_of(1800)
(0, 0, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import RangeError

__all__ = [
    "DEFAULT_PERIOD",
    "EPOCH",
    "BillingPeriod",
    "check_period",
    "index_of",
    "local_day_intervals",
    "local_day_of",
    "local_start_of",
    "period_intervals",
    "start_of",
    "zone",
    "zone_name",
]

DEFAULT_PERIOD = 1800
"""The protocol's interval length in seconds (half an hour)."""

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""The Unix epoch, start of interval 0 for every period."""


def check_period(period: int) -> int:
    """Return ``period`` if it is a supported interval length, else raise.

    Supported: every positive divisor of 3600 seconds (1800 and 900 are the
    ones the protocol names).

    >>> check_period(900)
    900
    >>> check_period(1000)
    Traceback (most recent call last):
    ...
    privbill.errors.RangeError: period must be a positive divisor of 3600 seconds, got 1000
    """
    if isinstance(period, bool) or not isinstance(period, int):
        raise RangeError(f"period must be an int number of seconds, got {period!r}")
    if period <= 0 or 3600 % period != 0:
        raise RangeError(f"period must be a positive divisor of 3600 seconds, got {period}")
    return period


@lru_cache(maxsize=256)
def _zone_by_name(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: a name that is a directory of the zone database ("Europe")
        raise RangeError(f"unknown time zone {name!r}") from exc


def zone(tz: str | ZoneInfo) -> ZoneInfo:
    """The :class:`~zoneinfo.ZoneInfo` for an IANA name (cached), or ``tz`` itself.

    >>> zone("Europe/London").key
    'Europe/London'
    >>> zone("Mars/Olympus_Mons")
    Traceback (most recent call last):
    ...
    privbill.errors.RangeError: unknown time zone 'Mars/Olympus_Mons'
    """
    if isinstance(tz, ZoneInfo):
        return tz
    if isinstance(tz, str):
        return _zone_by_name(tz)
    raise RangeError(f"time zone must be an IANA name or a ZoneInfo, got {type(tz).__name__}")


def zone_name(tz: str | ZoneInfo) -> str:
    """The IANA name of ``tz``; a ZoneInfo built from a file (no key) is refused.

    >>> zone_name(ZoneInfo("Etc/GMT-10"))
    'Etc/GMT-10'
    """
    z = zone(tz)
    if z.key is None:
        raise RangeError("a ZoneInfo without an IANA key cannot be named; pass the name")
    return z.key


def _check_index(index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise RangeError(f"interval index must be an int, got {index!r}")
    return index


def index_of(moment: datetime | int, period: int = DEFAULT_PERIOD) -> int:
    """The interval index containing ``moment``: ``floor(unix_seconds / period)``.

    ``moment`` is an aware :class:`~datetime.datetime` (any zone) or an integer
    number of Unix seconds. Naive datetimes are refused: a wall-clock time
    without a zone names no instant. The computation is exact (no floats).

    >>> index_of(datetime(2013, 4, 1, 0, 30, tzinfo=timezone.utc))
    758209
    >>> index_of(datetime(2013, 4, 1, 10, 30, tzinfo=ZoneInfo("Etc/GMT-10")))
    758209
    >>> index_of(-1)
    -1
    >>> index_of(datetime(2013, 4, 1))
    Traceback (most recent call last):
    ...
    privbill.errors.RangeError: naive datetime 2013-04-01 00:00:00: attach a tzinfo
    """
    check_period(period)
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise RangeError(f"naive datetime {moment}: attach a tzinfo")
        return (moment - EPOCH) // timedelta(seconds=period)
    if isinstance(moment, bool) or not isinstance(moment, int):
        raise RangeError(f"moment must be an aware datetime or int Unix seconds, got {moment!r}")
    return moment // period


def start_of(index: int, period: int = DEFAULT_PERIOD) -> datetime:
    """The first instant of interval ``index``, as an aware UTC datetime.

    >>> start_of(758209)
    datetime.datetime(2013, 4, 1, 0, 30, tzinfo=datetime.timezone.utc)
    >>> start_of(758208 * 2, period=900)
    datetime.datetime(2013, 4, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    check_period(period)
    return EPOCH + timedelta(seconds=_check_index(index) * period)


def local_start_of(index: int, tz: str | ZoneInfo, period: int = DEFAULT_PERIOD) -> datetime:
    """The first instant of interval ``index`` on the local clock of ``tz``.

    In a repeated hour the result carries ``fold=1`` for the second pass.

    >>> local_start_of(758209, "Etc/GMT-10").isoformat()
    '2013-04-01T10:30:00+10:00'
    """
    return start_of(index, period).astimezone(zone(tz))


def local_day_of(index: int, tz: str | ZoneInfo, period: int = DEFAULT_PERIOD) -> date:
    """The local date on which interval ``index`` starts.

    >>> local_day_of(758209, "Europe/London")
    datetime.date(2013, 4, 1)
    >>> local_day_of(758206, "Europe/London")
    datetime.date(2013, 4, 1)
    """
    return local_start_of(index, tz, period).date()


def _local_midnight_unix(day: date, tz: ZoneInfo) -> int:
    # fold=0 on both ends of every day, so consecutive days share their boundary
    # and partition the time line. Where midnight does not exist (a gap at
    # 00:00), fold=0 reads it with the offset in force before the gap, which
    # is exactly the instant the gap starts: the day begins at the transition.
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    return (local - EPOCH) // timedelta(seconds=1)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def local_day_intervals(day: date, tz: str | ZoneInfo, period: int = DEFAULT_PERIOD) -> range:
    """The indices of the intervals that *start* on local ``day`` in ``tz``.

    Days start at local midnight (or, where midnight falls in a clock-change
    gap, at the first instant that exists). Europe/London has 46 half-hours on
    the last Sunday of March and 50 on the last Sunday of October.

    >>> r = local_day_intervals(date(2013, 4, 1), "Europe/London")
    >>> len(r), start_of(r[0]).isoformat()
    (48, '2013-03-31T23:00:00+00:00')
    >>> len(local_day_intervals(date(2013, 10, 27), "Europe/London", period=900))
    100
    """
    check_period(period)
    if isinstance(day, datetime) or not isinstance(day, date):
        raise RangeError(f"day must be a datetime.date, got {day!r}")
    z = zone(tz)
    first = _ceil_div(_local_midnight_unix(day, z), period)
    stop = _ceil_div(_local_midnight_unix(day + timedelta(days=1), z), period)
    return range(first, stop)


def period_intervals(
    start: date, end: date, tz: str | ZoneInfo, period: int = DEFAULT_PERIOD
) -> range:
    """The indices of the intervals starting on local days ``start`` .. ``end`` (exclusive).

    >>> r = period_intervals(date(2013, 3, 1), date(2013, 4, 1), "Europe/London")
    >>> len(r) == 31 * 48 - 2
    True
    """
    check_period(period)
    if end < start:
        raise RangeError(f"period end {end} is before its start {start}")
    z = zone(tz)
    first = _ceil_div(_local_midnight_unix(start, z), period)
    stop = _ceil_div(_local_midnight_unix(end, z), period)
    return range(first, stop)


@dataclass(frozen=True)
class BillingPeriod:
    """A billing period: local dates ``start`` (inclusive) to ``end`` (exclusive).

    The period is defined in the household's local time zone ``tz`` (an IANA
    name) and covers the UTC interval indices whose start falls on one of its
    local days. Periods built from consecutive dates tile the time line with
    no overlap and no gap.

    >>> p = BillingPeriod(date(2013, 10, 1), date(2013, 11, 1), "Europe/London")
    >>> len(p.intervals()), len(p.days())
    (1490, 31)
    >>> p.local_day_of(p.intervals()[-1])
    datetime.date(2013, 10, 31)
    >>> BillingPeriod.month(2013, 3, "Europe/London").num_days
    31
    """

    start: date
    end: date
    tz: str
    period: int = DEFAULT_PERIOD

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime) or not isinstance(value, date):
                raise RangeError(f"BillingPeriod.{name} must be a datetime.date, got {value!r}")
        if not self.start < self.end:
            raise RangeError(f"BillingPeriod end {self.end} must be after start {self.start}")
        if isinstance(self.tz, ZoneInfo):  # accept a ZoneInfo, store its name
            object.__setattr__(self, "tz", zone_name(self.tz))
        if not isinstance(self.tz, str):
            raise RangeError(f"BillingPeriod.tz must be an IANA name, got {self.tz!r}")
        zone(self.tz)
        check_period(self.period)

    @classmethod
    def month(
        cls, year: int, month: int, tz: str | ZoneInfo, period: int = DEFAULT_PERIOD
    ) -> BillingPeriod:
        """The calendar month ``year-month`` in ``tz``.

        >>> BillingPeriod.month(2013, 12, "UTC").end
        datetime.date(2014, 1, 1)
        """
        start = date(year, month, 1)
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls(start, end, zone_name(tz), period)

    @property
    def zoneinfo(self) -> ZoneInfo:
        """The period's time zone."""
        return zone(self.tz)

    @property
    def num_days(self) -> int:
        """The number of local days in the period (what the standing charge counts)."""
        return (self.end - self.start).days

    def intervals(self) -> range:
        """All interval indices of the period, in order."""
        return period_intervals(self.start, self.end, self.tz, self.period)

    def days(self) -> list[date]:
        """The local dates of the period, in order."""
        return [self.start + timedelta(days=i) for i in range(self.num_days)]

    def day_intervals(self, day: date) -> range:
        """The interval indices of one local day of the period."""
        if not self.start <= day < self.end:
            raise RangeError(f"{day} is not in the billing period {self.start}..{self.end}")
        return local_day_intervals(day, self.tz, self.period)

    def local_day_of(self, index: int) -> date:
        """The local date on which interval ``index`` starts; it must be in the period."""
        day = local_day_of(index, self.tz, self.period)
        if not self.start <= day < self.end:
            raise RangeError(f"interval {index} ({day}) is outside the period")
        return day

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and index in self.intervals()
