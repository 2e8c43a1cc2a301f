"""Interval indices, local days and billing periods (privbill.intervals).

Checks ``index = floor(unix_seconds / period)`` against hand-computed instants, and the
local-day rule against the clock changes of the IANA database: Europe/London had 46
half-hours on 2013-03-31 and 50 on 2013-10-27; zones with 30-minute DST (Lord Howe)
and with the change at midnight (Santiago) are covered by invariants, not by "48".
"""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from privbill.errors import PrivbillError, RangeError
from privbill.intervals import (
    EPOCH,
    BillingPeriod,
    check_period,
    index_of,
    local_day_intervals,
    local_day_of,
    local_start_of,
    period_intervals,
    start_of,
    zone,
    zone_name,
)

LONDON = "Europe/London"
UTC = timezone.utc


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=k) for k in range((date(year + 1, 1, 1) - first).days)]


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [1, 60, 300, 900, 1200, 1800, 3600])
def test_divisors_of_an_hour_are_periods(period: int) -> None:
    assert check_period(period) == period


@pytest.mark.parametrize("period", [0, -1800, 1000, 7200, 86400, 1801])
def test_other_periods_are_refused(period: int) -> None:
    with pytest.raises(RangeError, match="divisor of 3600"):
        check_period(period)


@pytest.mark.parametrize("period", [1800.0, True, "1800", None])
def test_period_must_be_an_int(period: object) -> None:
    with pytest.raises(RangeError):
        check_period(period)  # type: ignore[arg-type]


def test_every_function_checks_the_period() -> None:
    with pytest.raises(RangeError):
        index_of(0, period=1000)
    with pytest.raises(RangeError):
        start_of(0, period=1000)
    with pytest.raises(RangeError):
        local_day_intervals(date(2013, 1, 1), LONDON, period=1000)
    with pytest.raises(RangeError):
        BillingPeriod(date(2013, 1, 1), date(2013, 2, 1), LONDON, period=1000)


# --- index_of / start_of ------------------------------------------------------------------------


def test_index_of_known_instants() -> None:
    # 2013-04-01T00:00Z = 1364774400 s = 758208 * 1800
    assert index_of(datetime(2013, 4, 1, tzinfo=UTC)) == 758208
    assert index_of(1364774400) == 758208
    assert index_of(1364774400, period=900) == 2 * 758208
    assert index_of(datetime(2013, 4, 1, 0, 29, 59, 999999, tzinfo=UTC)) == 758208
    assert index_of(datetime(2013, 4, 1, 0, 30, tzinfo=UTC)) == 758209


def test_index_of_is_floor_for_negative_times() -> None:
    assert index_of(-1) == -1
    assert index_of(-1800) == -1
    assert index_of(-1801) == -2
    assert index_of(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)) == -1


def test_index_of_same_instant_in_any_zone() -> None:
    utc = datetime(2013, 10, 27, 0, 30, tzinfo=UTC)
    for tz in ("Europe/London", "Etc/GMT-10", "America/New_York", "Asia/Kolkata"):
        assert index_of(utc.astimezone(ZoneInfo(tz))) == index_of(utc)


def test_index_of_uses_fold_in_the_repeated_hour() -> None:
    london = ZoneInfo(LONDON)
    first = datetime(2013, 10, 27, 1, 30, tzinfo=london, fold=0)  # BST, 00:30Z
    second = datetime(2013, 10, 27, 1, 30, tzinfo=london, fold=1)  # GMT, 01:30Z
    assert index_of(second) - index_of(first) == 2


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(RangeError, match="naive datetime"):
        index_of(datetime(2013, 4, 1))
    with pytest.raises(PrivbillError):
        index_of(datetime(2013, 4, 1))


@pytest.mark.parametrize("bad", [1.5, "0", None, True, date(2013, 1, 1)])
def test_index_of_refuses_other_types(bad: object) -> None:
    with pytest.raises(RangeError):
        index_of(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("period", [900, 1800])
def test_start_of_round_trips(period: int) -> None:
    for i in (-5, -1, 0, 1, 758208, 758209, 10**7):
        s = start_of(i, period)
        assert s.tzinfo is UTC
        assert index_of(s, period) == i
        assert index_of(s - timedelta(microseconds=1), period) == i - 1
        assert start_of(i + 1, period) - s == timedelta(seconds=period)
        assert (s - EPOCH).total_seconds() == i * period


def test_start_of_refuses_non_int_index() -> None:
    with pytest.raises(RangeError):
        start_of(1.0)  # type: ignore[arg-type]


# --- local days -------------------------------------------------------------------------------


def test_london_clock_changes_2013() -> None:
    spring = local_day_intervals(date(2013, 3, 31), LONDON)
    autumn = local_day_intervals(date(2013, 10, 27), LONDON)
    assert len(spring) == 46
    assert len(autumn) == 50
    assert start_of(spring[0]) == datetime(2013, 3, 31, 0, 0, tzinfo=UTC)  # GMT midnight
    assert start_of(autumn[0]) == datetime(2013, 10, 26, 23, 0, tzinfo=UTC)  # BST midnight
    assert len(local_day_intervals(date(2013, 3, 31), LONDON, period=900)) == 92
    assert len(local_day_intervals(date(2013, 10, 27), LONDON, period=900)) == 100


def test_london_wall_clock_on_clock_change_days() -> None:
    spring = [
        local_start_of(i, LONDON).strftime("%H:%M")
        for i in local_day_intervals(date(2013, 3, 31), LONDON)
    ]
    assert spring[:4] == ["00:00", "00:30", "02:00", "02:30"]  # 01:00-02:00 does not exist
    autumn = [
        (t.strftime("%H:%M"), t.fold)
        for t in (
            local_start_of(i, LONDON) for i in local_day_intervals(date(2013, 10, 27), LONDON)
        )
    ]
    assert autumn[:7] == [
        ("00:00", 0),
        ("00:30", 0),
        ("01:00", 0),
        ("01:30", 0),
        ("01:00", 1),
        ("01:30", 1),
        ("02:00", 0),
    ]
    assert autumn[-1] == ("23:30", 0)


def test_london_2013_every_day() -> None:
    lengths = {d: len(local_day_intervals(d, LONDON)) for d in days_of(2013)}
    assert {d for d, n in lengths.items() if n != 48} == {date(2013, 3, 31), date(2013, 10, 27)}
    assert sum(lengths.values()) == 365 * 48


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/London", {46, 48, 50}),
        ("America/New_York", {46, 48, 50}),
        ("Australia/Sydney", {46, 48, 50}),
        ("America/Santiago", {46, 48, 50}),  # changes at local midnight
        ("Australia/Lord_Howe", {47, 48, 49}),  # half-hour DST
        ("Etc/GMT-10", {48}),  # the SGSC meters' clock
        ("Asia/Kolkata", {48}),  # +05:30, aligned to half-hours
        ("UTC", {48}),
    ],
)
def test_days_tile_the_time_line(tz: str, expected: set[int]) -> None:
    days = days_of(2013)
    ranges = [local_day_intervals(d, tz) for d in days]
    for a, b in pairwise(ranges):
        assert a.stop == b.start  # no gap, no overlap
    assert {len(r) for r in ranges} == expected
    whole = period_intervals(days[0], days[-1] + timedelta(days=1), tz)
    assert whole.start == ranges[0].start and whole.stop == ranges[-1].stop
    for r, d in zip(ranges, days, strict=True):
        assert local_day_of(r[0], tz) == d
        assert local_day_of(r[-1], tz) == d


def test_midnight_gap_day_starts_at_the_transition() -> None:
    tz = ZoneInfo("America/Santiago")
    short = [d for d in days_of(2013) if len(local_day_intervals(d, tz)) == 46]
    assert short, "Santiago sprang forward in 2013"
    first = start_of(local_day_intervals(short[0], tz)[0]).astimezone(tz)
    assert first.date() == short[0] and first.hour == 1  # 00:00 did not exist


def test_local_day_of_every_interval_of_a_week() -> None:
    for d in days_of(2013)[295:302]:  # around 2013-10-27
        for i in local_day_intervals(d, LONDON):
            assert local_day_of(i, LONDON) == d


def test_unknown_zone() -> None:
    with pytest.raises(RangeError, match="unknown time zone"):
        local_day_intervals(date(2013, 1, 1), "Europe/Atlantis")
    with pytest.raises(RangeError):
        zone(3)  # type: ignore[arg-type]


def test_zone_accepts_zoneinfo_and_names() -> None:
    z = ZoneInfo(LONDON)
    assert zone(z) is z
    assert zone(LONDON) is zone(LONDON)
    assert zone_name(z) == LONDON


def test_day_must_be_a_date() -> None:
    with pytest.raises(RangeError):
        local_day_intervals(datetime(2013, 1, 1), LONDON)


def test_period_intervals() -> None:
    march = period_intervals(date(2013, 3, 1), date(2013, 4, 1), LONDON)
    assert len(march) == 31 * 48 - 2
    assert len(period_intervals(date(2013, 3, 1), date(2013, 3, 1), LONDON)) == 0
    with pytest.raises(RangeError, match="before its start"):
        period_intervals(date(2013, 4, 1), date(2013, 3, 1), LONDON)


# --- BillingPeriod ----------------------------------------------------------------------------


def test_billing_period_october() -> None:
    p = BillingPeriod(date(2013, 10, 1), date(2013, 11, 1), LONDON)
    assert p.num_days == 31
    assert len(p.days()) == 31 and p.days()[0] == date(2013, 10, 1)
    assert len(p.intervals()) == 31 * 48 + 2
    assert list(p.intervals()) == [i for d in p.days() for i in p.day_intervals(d)]
    assert p.local_day_of(p.intervals()[0]) == date(2013, 10, 1)
    assert p.local_day_of(p.intervals()[-1]) == date(2013, 10, 31)
    assert p.intervals()[0] in p and p.intervals()[-1] + 1 not in p
    with pytest.raises(RangeError, match="outside"):
        p.local_day_of(p.intervals().stop)
    with pytest.raises(RangeError):
        p.day_intervals(date(2013, 11, 1))


def test_billing_period_900() -> None:
    p = BillingPeriod.month(2013, 3, LONDON, period=900)
    assert len(p.intervals()) == 31 * 96 - 4
    assert p.period == 900


def test_consecutive_periods_tile() -> None:
    months = [BillingPeriod.month(2013, m, LONDON) for m in range(1, 13)]
    for a, b in pairwise(months):
        assert a.intervals().stop == b.intervals().start
    assert sum(len(m.intervals()) for m in months) == 17520
    assert months[11].end == date(2014, 1, 1)


def test_billing_period_validation() -> None:
    with pytest.raises(RangeError, match="after start"):
        BillingPeriod(date(2013, 4, 1), date(2013, 4, 1), LONDON)
    with pytest.raises(RangeError, match=r"datetime\.date"):
        BillingPeriod(datetime(2013, 4, 1), date(2013, 5, 1), LONDON)
    with pytest.raises(RangeError, match="unknown time zone"):
        BillingPeriod(date(2013, 4, 1), date(2013, 5, 1), "Nowhere/Else")
    with pytest.raises(RangeError):
        BillingPeriod(date(2013, 4, 1), date(2013, 5, 1), 10)  # type: ignore[arg-type]


def test_billing_period_value_semantics() -> None:
    p = BillingPeriod(date(2013, 4, 1), date(2013, 5, 1), ZoneInfo(LONDON))  # type: ignore[arg-type]
    assert p.tz == LONDON
    q = BillingPeriod(date(2013, 4, 1), date(2013, 5, 1), LONDON)
    assert p == q and hash(p) == hash(q)
    assert pickle.loads(pickle.dumps(p)) == p
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.tz = "UTC"  # type: ignore[misc]
    assert p.zoneinfo is zone(LONDON)
