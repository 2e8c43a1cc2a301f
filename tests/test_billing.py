"""Billing end to end, on real half-hourly readings (issue 3).

A meter commits and signs one batch per local day; the household, holding the readings
and the commitment secret, makes its statement for the month; the retailer ingests every
batch and verifies every statement. What is checked, and against what:

- The verified band totals, amount and bill equal what :mod:`privbill.billing` computes
  directly from the readings (``band_totals``, ``weighted_sum``, ``bill_from_band_totals``,
  ``bill_from_amount``): the cryptographic path and the plain path agree.
- Readings: the Ausgrid Smart Grid Smart City sample in
  ``../shared/data/consumption/sgsc_48hh_2013Q2.csv`` (read with
  :func:`privbill.readings.read_sgsc_csv`), including its real gaps, which must come
  out as presence bits 0 in the meter's batches and in the statement, and as
  ``recorded < intervals`` in the verified bill; never filled in.
- Tariffs: the classic three-band example, the Low Carbon London dToU schedule
  (``../shared/data/tariffs/lcl_dtou_2013_halfhourly.csv``) and a DynamicTariff with
  negative prices; an export channel in total mode.
- Both signature algorithms (Ed25519, ECDSA P-256); 900-second periods; the Europe/London
  clock-change months of 2013 (March: 1486 half-hours, October: 1490), the readings being
  moved there from the spring quarter, gaps and all.
- The retailer's VerifiedBill carries no per-interval value, and two profiles with equal
  band totals give identical VerifiedBills.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from conftest import missing
from privbill.billing import (
    Bill,
    band_totals,
    bill_from_amount,
    bill_from_band_totals,
    round_half_away_from_zero,
    weighted_sum,
)
from privbill.errors import TariffError
from privbill.household import Household
from privbill.intervals import BillingPeriod, local_day_intervals, local_start_of
from privbill.keys import Alg
from privbill.meter import Meter
from privbill.readings import Readings, read_sgsc_csv
from privbill.retailer import IngestReceipt, Retailer, VerifiedBill
from privbill.statement import Mode, Statement
from privbill.tariffs import (
    DynamicTariff,
    Tariff,
    TimeOfUseTariff,
    classic_three_band,
    load_lcl_dtou,
    tariff_from_json,
    tariff_to_json,
)
from privbill.wire import CHANNEL_EXPORT, CHANNEL_IMPORT, SignedBatch

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SGSC = DATA / "consumption" / "sgsc_48hh_2013Q2.csv"
LCL = DATA / "tariffs" / "lcl_dtou_2013_halfhourly.csv"
TZ = "Europe/London"
ALGS: tuple[Alg, ...] = ("ed25519", "p256")

#: A household with every half-hour of April 2013 (London) recorded.
FULL = "10006414"
#: A household whose meter recorded nothing for one day of April 2013 (48 half-hours).
GAPPY = "10017618"
#: A household with a run of 20 missing half-hours in May 2013.
GAPPY_MAY = "10017626"

APRIL = BillingPeriod(date(2013, 4, 1), date(2013, 5, 1), TZ)
MAY = BillingPeriod(date(2013, 5, 1), date(2013, 6, 1), TZ)


# --- data -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sgsc() -> dict[str, Readings]:
    """The SGSC sample, by customer (meter clocks on AEST, read as Etc/GMT-10)."""
    if not SGSC.is_file():
        missing(f"SGSC sample not found at {SGSC}")
    return read_sgsc_csv(SGSC)


@pytest.fixture(scope="module")
def lcl() -> Tariff:
    """The Low Carbon London dToU schedule for 2013, prices in 0.01p/kWh."""
    if not LCL.is_file():
        missing(f"LCL dToU schedule not found at {LCL}")
    return load_lcl_dtou(LCL)


def tariff_named(name: str, lcl: Tariff, period: int = 1800) -> Tariff:
    if name == "classic":
        return classic_three_band(tz=TZ, period=period, standing_charge_per_day=4500)
    assert name == "lcl"
    if period == lcl.period:
        return lcl
    return load_lcl_dtou(LCL, period=period)


def shifted(values: Mapping[int, int], source: range, target_start: int) -> dict[int, int]:
    """The readings of ``source`` moved to start at ``target_start`` (gaps move with them)."""
    return {i - source.start + target_start: v for i, v in values.items() if i in source}


def split_quarter_hours(values: Mapping[int, int]) -> dict[int, int]:
    """Each half-hour reading as two quarter-hour readings (a gap stays a gap, twice)."""
    out: dict[int, int] = {}
    for i, wh in values.items():
        out[2 * i] = wh // 2
        out[2 * i + 1] = wh - wh // 2
    return out


# --- the parties ------------------------------------------------------------------------------


@dataclasses.dataclass
class Customer:
    """One household, its meter, and what went over the wire."""

    meter: Meter
    home: Household
    values: dict[int, dict[int, int]]
    batches: list[SignedBatch]
    receipts: list[IngestReceipt]


def run_month(
    retailer: Retailer,
    period: BillingPeriod,
    tariff: Tariff | None,
    channels: Mapping[int, Mapping[int, int]],
    alg: Alg = "ed25519",
    meter_id: bytes | None = None,
) -> Customer:
    """A meter commits and signs one batch per local day per channel; the retailer ingests."""
    meter = Meter.manufacture(meter_id=meter_id, alg=alg, period=period.period)
    home = Household(meter.meter_id, meter.secret)
    retailer.register_meter(meter.identity, tariff)
    customer = Customer(meter, home, {}, [], [])
    for channel, values in channels.items():
        customer.values[channel] = {i: v for i, v in values.items() if i in period}
        for day in period.days():
            day_intervals = period.day_intervals(day)
            readings = [values.get(i) for i in day_intervals]
            recorded = zip(day_intervals, readings, strict=True)
            home.load({i: v for i, v in recorded if v is not None}, channel)
            batch = meter.commit(day_intervals.start, readings, channel)
            customer.batches.append(batch)
            customer.receipts.append(retailer.ingest(batch.encoded))
    return customer


def statement(
    c: Customer, period: BillingPeriod, tariff: Tariff, mode: Mode, channel: int = CHANNEL_IMPORT
) -> bytes:
    """The household's statement, as the bytes it sends (checked to round-trip)."""
    st = c.home.statement(period, tariff, mode, channel)
    encoded = st.encode()
    assert Statement.decode(encoded) == st
    return encoded


def check_gaps_carried(c: Customer, period: BillingPeriod, encoded: bytes) -> None:
    """Missing readings are presence bits 0 in the batches and in the statement."""
    intervals = period.intervals()
    values = c.values[CHANNEL_IMPORT]
    gaps = [i for i in intervals if i not in values]
    in_batches = sorted(
        i
        for b in c.batches
        if b.payload.channel == CHANNEL_IMPORT
        for i in b.payload.present_indices()
    )
    assert in_batches == sorted(values)
    assert sum(r.recorded for r in c.receipts if r.channel == CHANNEL_IMPORT) == len(values)
    assert sum(r.count for r in c.receipts if r.channel == CHANNEL_IMPORT) == len(intervals)
    st = Statement.decode(encoded)
    present = st.present_positions(len(intervals))
    assert [intervals[j] for j in present] == sorted(values)
    absent = sorted(set(range(len(intervals))) - set(present))
    assert [intervals[j] for j in absent] == gaps


def expected_bands_bill(
    tariff: Tariff, period: BillingPeriod, values: Mapping[int, int], export_wh: int | None = None
) -> tuple[dict[str, int], Bill]:
    totals = band_totals(tariff, values, period.intervals())
    return totals, bill_from_band_totals(tariff, period, totals, export_wh)


def expected_amount_bill(
    tariff: Tariff, period: BillingPeriod, values: Mapping[int, int], export_wh: int | None = None
) -> tuple[int, Bill]:
    amount = weighted_sum(tariff, values, period.intervals())
    return amount, bill_from_amount(tariff, period, amount, export_wh)


# --- a month of real readings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tariff_name", "alg"), [("classic", "ed25519"), ("lcl", "p256"), ("lcl", "ed25519")]
)
def test_month_of_real_readings(
    sgsc: dict[str, Readings], lcl: Tariff, tariff_name: str, alg: Alg
) -> None:
    """April 2013 for a complete and a gappy household: bands and amount mode verify to
    exactly the plain computation, and the real gaps are carried, never filled."""
    tariff = tariff_named(tariff_name, lcl)
    retailer = Retailer()
    customers = {
        cid: run_month(retailer, APRIL, tariff, {CHANNEL_IMPORT: sgsc[cid].channel()}, alg)
        for cid in (FULL, GAPPY)
    }
    assert retailer.batch_count() == 2 * APRIL.num_days
    n = len(APRIL.intervals())
    assert n == 1440
    for cid, c in customers.items():
        values = c.values[CHANNEL_IMPORT]
        gaps = n - len(values)
        assert gaps == (48 if cid == GAPPY else 0), "the sample's real gaps have moved"

        encoded = statement(c, APRIL, tariff, "bands")
        check_gaps_carried(c, APRIL, encoded)
        verified = retailer.verify(encoded)
        totals, bill = expected_bands_bill(tariff, APRIL, values)
        assert verified.band_totals == totals
        assert sum(totals.values()) == sum(values.values())
        assert verified.bill == bill
        assert (verified.intervals, verified.recorded) == (n, n - gaps)
        assert verified.mode == "bands" and verified.meter_id == c.meter.meter_id
        assert verified.weighted_sum is None and verified.total_wh is None

        encoded = statement(c, APRIL, tariff, "amount")
        check_gaps_carried(c, APRIL, encoded)
        verified = retailer.verify(encoded)
        amount, bill = expected_amount_bill(tariff, APRIL, values)
        assert verified.weighted_sum == amount
        assert verified.bill == bill
        assert verified.band_totals is None and verified.recorded == n - gaps
        # the two modes round at different places: at most half a unit per band line apart
        bands_bill = expected_bands_bill(tariff, APRIL, values)[1]
        assert abs(bill.total - bands_bill.total) <= len(tariff.band_names)

        encoded = statement(c, APRIL, tariff, "total")
        verified = retailer.verify(encoded)
        assert verified.total_wh == sum(values.values())
        assert verified.bill is None


def test_may_gap_of_twenty_half_hours(sgsc: dict[str, Readings], lcl: Tariff) -> None:
    """A run of 20 missing half-hours in May, under the LCL schedule, on a P-256 meter."""
    retailer = Retailer()
    c = run_month(retailer, MAY, lcl, {CHANNEL_IMPORT: sgsc[GAPPY_MAY].channel()}, "p256")
    values = c.values[CHANNEL_IMPORT]
    assert len(MAY.intervals()) - len(values) == 20
    for mode in ("bands", "amount"):
        encoded = statement(c, MAY, lcl, mode)
        check_gaps_carried(c, MAY, encoded)
        verified = retailer.verify(encoded)
        assert verified.recorded == len(values)
        if mode == "bands":
            assert verified.bill == expected_bands_bill(lcl, MAY, values)[1]
        else:
            assert verified.bill == expected_amount_bill(lcl, MAY, values)[1]


# --- dynamic prices, negative too -----------------------------------------------------------


def agile_prices(intervals: range, tz: str = TZ, period: int = 1800) -> dict[int, int]:
    """Agile-style prices in 0.01p/kWh: an evening peak, and below zero overnight and on
    sunny afternoons (a documented, deterministic pattern, not real prices)."""
    prices: dict[int, int] = {}
    for i in intervals:
        t = local_start_of(i, tz, period)
        price = 1200 + 150 * (i % 5)
        if 16 <= t.hour < 19:
            price += 2000
        if 2 <= t.hour < 5:
            price = -120 * (i % 3)
        if t.day % 7 == 3 and 10 <= t.hour < 15:
            price = -300 - 50 * (i % 4)
        prices[i] = price
    return prices


@pytest.mark.parametrize("alg", ALGS)
def test_dynamic_tariff_with_negative_prices(sgsc: dict[str, Readings], alg: Alg) -> None:
    """Amount mode with per-interval prices as weights, some below zero."""
    prices = agile_prices(APRIL.intervals())
    tariff = DynamicTariff(
        prices, unit="0.01p", tz=TZ, name="agile-like", standing_charge_per_day=3000
    )
    assert tariff_from_json(tariff_to_json(tariff)) == tariff
    retailer = Retailer()
    for cid in (FULL, GAPPY):
        c = run_month(retailer, APRIL, tariff, {CHANNEL_IMPORT: sgsc[cid].channel()}, alg)
        values = c.values[CHANNEL_IMPORT]
        negative = sum(prices[i] * wh for i, wh in values.items() if prices[i] < 0)
        assert negative < 0, "the month must exercise negative weights"
        encoded = statement(c, APRIL, tariff, "amount")
        check_gaps_carried(c, APRIL, encoded)
        verified = retailer.verify(encoded)
        amount, bill = expected_amount_bill(tariff, APRIL, values)
        assert verified.weighted_sum == amount
        assert verified.bill == bill
        assert bill.line("standing charge").amount == 30 * 3000
        # a dynamic tariff has no fixed band price: bands mode verifies the opening but
        # cannot be billed
        with pytest.raises(TariffError, match="amount mode"):
            retailer.verify(statement(c, APRIL, tariff, "bands"))


def test_negative_day_is_a_credit(sgsc: dict[str, Readings]) -> None:
    """A day of prices all below zero: the verified bill is a credit, rounded half away
    from zero exactly as billing.bill_from_amount rounds it."""
    day = BillingPeriod(date(2013, 4, 14), date(2013, 4, 15), TZ)
    prices = {i: -(150 + i % 7 * 25) for i in day.intervals()}
    tariff = DynamicTariff(prices, unit="0.01p", tz=TZ, name="glut")
    retailer = Retailer()
    c = run_month(retailer, day, tariff, {CHANNEL_IMPORT: sgsc[FULL].channel()})
    verified = retailer.verify(statement(c, day, tariff, "amount"))
    amount, bill = expected_amount_bill(tariff, day, c.values[CHANNEL_IMPORT])
    assert verified.weighted_sum == amount < 0
    assert verified.bill == bill
    assert bill.total == round_half_away_from_zero(Fraction(amount, 1000)) < 0


# --- export, total mode ---------------------------------------------------------------------


def with_export_price(tariff: Tariff, export_price: int) -> Tariff:
    """The same tariff, paying ``export_price`` per exported kWh."""
    data = tariff.to_dict()
    data["export_price"] = export_price
    out = tariff_from_json(data)
    assert isinstance(out, TimeOfUseTariff)
    return out


def solar_export(values: Mapping[int, int], tz: str = TZ) -> dict[int, int]:
    """A synthetic export profile: midday intervals export, where the import reading exists."""
    out: dict[int, int] = {}
    for i, wh in values.items():
        hour = local_start_of(i, tz).hour
        if 10 <= hour < 16:
            out[i] = 40 + (i * 37 + wh) % 400
    return out


@pytest.mark.parametrize(("mode", "alg"), [("bands", "ed25519"), ("amount", "p256")])
def test_export_channel_in_total_mode(sgsc: dict[str, Readings], mode: Mode, alg: Alg) -> None:
    """Import in bands or amount mode plus the export channel's total: one bill, with the
    export credit line computed by the shared rounding rule."""
    tariff = with_export_price(classic_three_band(tz=TZ, standing_charge_per_day=4500), 550)
    retailer = Retailer()
    imported = sgsc[GAPPY].channel()
    exported = solar_export(imported)
    c = run_month(
        retailer, APRIL, tariff, {CHANNEL_IMPORT: imported, CHANNEL_EXPORT: exported}, alg
    )
    assert retailer.batch_count() == 2 * APRIL.num_days
    export_wh = sum(c.values[CHANNEL_EXPORT].values())
    ex = statement(c, APRIL, tariff, "total", CHANNEL_EXPORT)
    verified = retailer.verify(statement(c, APRIL, tariff, mode), ex)
    values = c.values[CHANNEL_IMPORT]
    if mode == "bands":
        totals, bill = expected_bands_bill(tariff, APRIL, values, export_wh)
        assert verified.band_totals == totals
    else:
        amount, bill = expected_amount_bill(tariff, APRIL, values, export_wh)
        assert verified.weighted_sum == amount
    assert verified.bill == bill
    line = bill.line("export")
    assert line.quantity_wh == export_wh
    assert line.amount == -round_half_away_from_zero(Fraction(550 * export_wh, 1000)) < 0
    # the export total alone, as the retailer verifies it
    assert retailer.verify(ex).total_wh == export_wh


# --- 15-minute settlement -------------------------------------------------------------------


@pytest.mark.parametrize("tariff_name", ["classic", "lcl"])
def test_quarter_hour_periods(sgsc: dict[str, Readings], lcl: Tariff, tariff_name: str) -> None:
    """900-second intervals: 96 a day, 2880 in April. Splitting each half-hour in two keeps
    every band total (all band edges are on half-hours), so the 900 s bill equals the
    1800 s bill of the same readings."""
    period = BillingPeriod(APRIL.start, APRIL.end, TZ, 900)
    tariff = tariff_named(tariff_name, lcl, 900)
    half_hourly = tariff_named(tariff_name, lcl, 1800)
    retailer = Retailer()
    values = split_quarter_hours(sgsc[GAPPY].channel())
    c = run_month(retailer, period, tariff, {CHANNEL_IMPORT: values}, "ed25519")
    assert len(period.intervals()) == 2880
    assert {b.payload.count for b in c.batches} == {96}
    assert {b.payload.period for b in c.batches} == {900}
    encoded = statement(c, period, tariff, "bands")
    check_gaps_carried(c, period, encoded)
    verified = retailer.verify(encoded)
    totals, bill = expected_bands_bill(tariff, period, c.values[CHANNEL_IMPORT])
    assert verified.band_totals == totals
    assert verified.recorded == 2880 - 96
    assert verified.bill == bill
    assert totals == band_totals(half_hourly, sgsc[GAPPY].channel(), APRIL.intervals())
    verified = retailer.verify(statement(c, period, tariff, "amount"))
    assert verified.bill == expected_amount_bill(tariff, period, c.values[CHANNEL_IMPORT])[1]


# --- clock changes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "intervals", "change_day", "change_len"),
    [(3, 1486, date(2013, 3, 31), 46), (10, 1490, date(2013, 10, 27), 50)],
    ids=["march-46", "october-50"],
)
@pytest.mark.parametrize("tariff_name", ["classic", "lcl"])
def test_clock_change_month(
    sgsc: dict[str, Readings],
    lcl: Tariff,
    tariff_name: str,
    month: int,
    intervals: int,
    change_day: date,
    change_len: int,
) -> None:
    """Europe/London 2013: the gappy household's spring readings moved onto March or
    October. The clock-change day is one batch of 46 or 50 intervals, the month has 1486
    or 1490, and the bill (standing charge: 31 days) matches the plain computation."""
    period = BillingPeriod.month(2013, month, TZ)
    n = len(period.intervals())
    assert n == intervals
    assert len(period.day_intervals(change_day)) == change_len
    source = range(APRIL.intervals().start, APRIL.intervals().start + n)
    values = shifted(sgsc[GAPPY].channel(), source, period.intervals().start)
    tariff = tariff_named(tariff_name, lcl)
    retailer = Retailer()
    c = run_month(retailer, period, tariff, {CHANNEL_IMPORT: values}, "p256")
    counts = [b.payload.count for b in c.batches]
    assert sum(counts) == n and counts.count(change_len) == 1
    assert counts[change_day.day - 1] == change_len
    encoded = statement(c, period, tariff, "bands")
    check_gaps_carried(c, period, encoded)
    verified = retailer.verify(encoded)
    totals, bill = expected_bands_bill(tariff, period, c.values[CHANNEL_IMPORT])
    assert verified.band_totals == totals
    assert (verified.intervals, verified.recorded) == (n, n - 48)
    assert verified.bill == bill
    if tariff_name == "classic":
        assert bill.line("standing charge").amount == 31 * 4500
    verified = retailer.verify(statement(c, period, tariff, "amount"))
    assert verified.bill == expected_amount_bill(tariff, period, c.values[CHANNEL_IMPORT])[1]


# --- what the retailer learns ---------------------------------------------------------------

VERIFIED_BILL_FIELDS = {
    "meter_id",
    "channel",
    "period",
    "mode",
    "intervals",
    "recorded",
    "band_totals",
    "weighted_sum",
    "total_wh",
    "bill",
}


def numbers_in(value: Any) -> Iterator[int | Fraction]:
    """Every number reachable in a VerifiedBill (through dataclasses, dicts, tuples)."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes, date)):
        return
    if isinstance(value, (int, Fraction)):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from numbers_in(getattr(value, f.name))
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from numbers_in(v)
    elif isinstance(value, (tuple, list)):
        assert len(value) < 46, "a sequence as long as a day of intervals"
        for v in value:
            yield from numbers_in(v)
    else:
        raise AssertionError(f"unexpected {type(value).__name__} in a VerifiedBill")


def permuted_within_bands(
    tariff: Tariff, period: BillingPeriod, values: Mapping[int, int]
) -> dict[int, int]:
    """Another profile with the same band totals: each band's readings in reverse order."""
    out: dict[int, int] = {}
    present = [i for i in period.intervals() if i in values]
    for band in tariff.band_names:
        members = [i for i, b in zip(present, tariff.bands_of(present), strict=True) if b == band]
        out.update(zip(members, reversed([values[i] for i in members]), strict=True))
    return out


@pytest.mark.parametrize("mode", ["bands", "amount"])
def test_verified_bill_reveals_no_interval_value(sgsc: dict[str, Readings], mode: Mode) -> None:
    """A VerifiedBill holds the period's aggregates and the bill, nothing per interval:
    its fields are exactly these, it holds only a handful of numbers, and a different
    profile with the same band totals yields an identical VerifiedBill."""
    assert {f.name for f in dataclasses.fields(VerifiedBill)} == VERIFIED_BILL_FIELDS
    tariff = classic_three_band(tz=TZ, standing_charge_per_day=4500)
    values = dict(sgsc[GAPPY].channel())
    other = permuted_within_bands(tariff, APRIL, values)
    assert other != {i: v for i, v in values.items() if i in APRIL}
    meter_id = bytes(range(16))
    bills: list[VerifiedBill] = []
    for profile in (values, other):
        retailer = Retailer()
        c = run_month(retailer, APRIL, tariff, {CHANNEL_IMPORT: profile}, meter_id=meter_id)
        bills.append(retailer.verify(statement(c, APRIL, tariff, mode)))
    assert bills[0] == bills[1]
    numbers = list(numbers_in(bills[0]))
    assert len(numbers) <= 8 * (len(tariff.band_names) + 1) + 4
    if mode == "bands":
        assert bills[0].band_totals is not None
        assert set(bills[0].band_totals) == set(tariff.band_names)
        energy = [line for line in bills[0].bill.lines if line.kind == "energy"]  # type: ignore[union-attr]
        assert {line.quantity_wh for line in energy} == set(bills[0].band_totals.values())
    else:
        assert bills[0].band_totals is None and bills[0].weighted_sum is not None
        assert all(line.quantity_wh in (None, 0) for line in bills[0].bill.lines)  # type: ignore[union-attr]


def test_many_households_one_retailer(sgsc: dict[str, Readings]) -> None:
    """Six households, both key types, one store: every statement verifies, and each
    verified bill is its own household's."""
    tariff = classic_three_band(tz=TZ, standing_charge_per_day=4500)
    period = BillingPeriod(date(2013, 4, 1), date(2013, 4, 8), TZ)
    retailer = Retailer()
    chosen = [cid for cid in sgsc if len(sgsc[cid].present(period.intervals())) > 0][:6]
    assert len(chosen) == 6
    customers = [
        run_month(retailer, period, tariff, {CHANNEL_IMPORT: sgsc[cid].channel()}, ALGS[k % 2])
        for k, cid in enumerate(chosen)
    ]
    assert retailer.batch_count() == 6 * 7
    results = retailer.verify_many(statement(c, period, tariff, "bands") for c in customers)
    for c, verified in zip(customers, results, strict=True):
        assert isinstance(verified, VerifiedBill)
        assert verified.meter_id == c.meter.meter_id
        assert (
            verified.band_totals == expected_bands_bill(tariff, period, c.values[CHANNEL_IMPORT])[0]
        )


def test_uploads_by_utc_day_straddle_local_days(sgsc: dict[str, Readings]) -> None:
    """A meter that uploads per UTC day, billed per London day in summer time: each batch
    straddles two local days, the first one the month's start (its first 46 intervals are
    March's). The retailer takes exactly the part of each batch inside the period, for the
    month and for any run of days within it."""
    tariff = classic_three_band(tz=TZ, standing_charge_per_day=4500)
    values = sgsc[GAPPY].channel()
    meter = Meter.manufacture(alg="p256")
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    for day in range(31):
        utc_day = local_day_intervals(date(2013, 3, 31) + timedelta(days=day), "UTC")
        readings = [values.get(i) for i in utc_day]
        home.load({i: v for i, v in zip(utc_day, readings, strict=True) if v is not None})
        retailer.ingest(meter.commit(utc_day.start, readings).encoded)
    for period in (APRIL, BillingPeriod(date(2013, 4, 10), date(2013, 4, 21), TZ)):
        verified = retailer.verify(home.statement(period, tariff).encode())
        totals, bill = expected_bands_bill(tariff, period, values)
        assert verified.band_totals == totals
        assert verified.bill == bill
        assert verified.recorded == len(sgsc[GAPPY].present(period.intervals()))
