"""Tariffs, the JSON tariff format and the bill rounding rule.

Real data: ../shared/data/tariffs/lcl_dtou_2013_halfhourly.csv (Low Carbon London dToU
schedule, London Datastore) and uk_tou_tariffs_emoncms.json (Economy 7 windows and ToU
tariffs transcribed from OpenEnergyMonitor's cost comparison app). Expected values are
computed here independently with the csv and json modules, or written out by hand from
the tariff definitions (the classic three-band tariff at every local half-hour).
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from privbill.billing import (
    Bill,
    band_totals,
    bill_from_amount,
    bill_from_band_totals,
    round_half_away_from_zero,
    weighted_sum,
)
from privbill.errors import FormatError, RangeError, TariffError
from privbill.intervals import (
    BillingPeriod,
    index_of,
    local_day_intervals,
    local_start_of,
    period_intervals,
)
from privbill.tariffs import (
    Band,
    DynamicTariff,
    FlatTariff,
    ScheduleTariff,
    Tariff,
    TimeOfUseTariff,
    Unit,
    Window,
    classic_three_band,
    convert_price,
    economy7_tariff,
    load_economy7,
    load_economy7_windows,
    load_emoncms_tariffs,
    load_lcl_dtou,
    load_tariff,
    save_tariff,
    tariff_from_json,
    tariff_to_json,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LONDON = "Europe/London"
UTC = timezone.utc


@pytest.fixture(scope="module")
def data() -> Path:
    if not DATA.is_dir():
        if os.environ.get("PRIVBILL_STRICT") == "1":
            pytest.fail(f"shared data not found at {DATA}")
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


@pytest.fixture(scope="module")
def lcl(data: Path) -> ScheduleTariff:
    return load_lcl_dtou(data / "tariffs" / "lcl_dtou_2013_halfhourly.csv")


@pytest.fixture(scope="module")
def lcl_rows(data: Path) -> list[tuple[str, str, str]]:
    with open(data / "tariffs" / "lcl_dtou_2013_halfhourly.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["datetime_local", "band", "price_p_per_kwh"]
    return [(r[0], r[1], r[2]) for r in rows[1:]]


def london_day(d: date) -> range:
    return local_day_intervals(d, LONDON)


def wall(i: int, tz: str = LONDON) -> str:
    return local_start_of(i, tz).strftime("%H:%M")


# --- units ------------------------------------------------------------------------------------


def test_units() -> None:
    assert Unit.parse("0.01p").value == Fraction(1, 10000)
    assert Unit.parse("p").currency == "GBP"
    assert Unit.parse("0.001ct").value == Fraction(1, 100000)
    assert Unit.parse("AUD").value == 1
    assert Unit.parse("0.01p").ratio_to(Unit.parse("p")) == Fraction(1, 100)
    assert Unit.parse("0.01p").format(-123456) == "-12.3456 GBP"
    assert Unit.parse("p").format(Fraction(1, 3)) == "1/300 GBP"
    for bad in ("", "0.01", "1 p", "0p", "0.01xyz", "-1p", "1e-2p"):
        with pytest.raises(TariffError, match="unit"):
            Unit.parse(bad)
    with pytest.raises(TariffError, match="different currencies"):
        Unit.parse("p").ratio_to(Unit.parse("ct"))


def test_convert_price_is_exact() -> None:
    assert convert_price("11.76", "p", "0.01p") == 1176
    assert convert_price(Decimal("0.08463"), "GBP", "0.0001p") == 84630
    assert convert_price(-5, "p", "0.01p") == -500
    with pytest.raises(TariffError, match="whole number"):
        convert_price("0.226065", "GBP", "0.01p")
    with pytest.raises(TariffError, match="not a number"):
        convert_price("abc", "p", "p")


# --- the classic three-band tariff --------------------------------------------------------------


def classic_band_at(hhmm: str) -> str:
    """The definition: 5p 00:00-06:00, 20p 18:00-21:00, 10p otherwise (local)."""
    if hhmm < "06:00":
        return "low"
    if "18:00" <= hhmm < "21:00":
        return "peak"
    return "normal"


def test_classic_every_half_hour_of_a_day() -> None:
    t = classic_three_band()
    assert t.unit == "0.01p" and t.tz == LONDON
    day = london_day(date(2013, 7, 1))
    assert len(day) == 48
    expected = (["low"] * 12) + (["normal"] * 24) + (["peak"] * 6) + (["normal"] * 6)
    assert t.bands_of(day) == expected
    for i, band in zip(day, expected, strict=True):
        assert t.band_of(i) == band == classic_band_at(wall(i))
        assert t.price_of(i) == {"low": 500, "normal": 1000, "peak": 2000}[band]
    # 18:30 BST is 17:30 UTC
    assert t.band_of(index_of(datetime(2013, 7, 1, 17, 30, tzinfo=UTC))) == "peak"
    # in winter 18:30 local is 18:30 UTC
    assert t.band_of(index_of(datetime(2013, 1, 7, 17, 30, tzinfo=UTC))) == "normal"


@pytest.mark.parametrize(
    ("day", "n", "low"), [(date(2013, 3, 31), 46, 10), (date(2013, 10, 27), 50, 14)]
)
def test_classic_on_clock_change_days(day: date, n: int, low: int) -> None:
    t = classic_three_band()
    r = london_day(day)
    assert len(r) == n
    bands = t.bands_of(r)
    assert Counter(bands) == {"low": low, "normal": 30, "peak": 6}
    for i, b in zip(r, bands, strict=True):
        assert b == classic_band_at(wall(i))


def test_classic_quarter_hours() -> None:
    t = classic_three_band(period=900)
    r = local_day_intervals(date(2013, 10, 27), LONDON, period=900)
    assert Counter(t.bands_of(r)) == {"low": 28, "normal": 60, "peak": 12}


def test_weights() -> None:
    t = classic_three_band()
    r = period_intervals(date(2013, 3, 25), date(2013, 4, 2), LONDON)
    ws = {b: t.weights_for_band(b, r) for b in t.band_names}
    assert all(set(w) <= {0, 1} for w in ws.values())
    assert [sum(col) for col in zip(*ws.values(), strict=True)] == [1] * len(r)
    prices = {b: t.band_price(b) or 0 for b in t.band_names}
    assert t.price_weights(r) == [
        sum(prices[b] * ws[b][k] for b in t.band_names) for k in range(len(r))
    ]
    assert t.weights_for_band("low", list(r)) == ws["low"]  # same without the range cache
    with pytest.raises(TariffError, match="unknown band"):
        t.weights_for_band("night", r)
    with pytest.raises(TariffError, match="unknown band"):
        t.band_price("night")


def test_band_of_refuses_non_int() -> None:
    with pytest.raises(TariffError):
        classic_three_band().band_of(1.0)  # type: ignore[arg-type]


# --- time-of-use validation ---------------------------------------------------------------------


def tou(*bands: Band, **kw: Any) -> TimeOfUseTariff:
    kw.setdefault("unit", "0.01p")
    kw.setdefault("tz", LONDON)
    return TimeOfUseTariff(list(bands), **kw)


def test_gap_is_refused() -> None:
    with pytest.raises(TariffError, match=r"no band covers 06:00-07:00 local time on mon"):
        tou(Band("a", 1, (Window("00:00", "06:00"),)), Band("b", 2, (Window("07:00", "24:00"),)))


def test_overlap_is_refused() -> None:
    with pytest.raises(TariffError, match=r"'a' and 'b' overlap at 05:00"):
        tou(Band("a", 1, (Window("00:00", "06:00"),)), Band("b", 2, (Window("05:00", "24:00"),)))
    with pytest.raises(TariffError, match="overlap"):  # a band overlapping itself
        tou(Band("a", 1, (Window("00:00", "24:00"), Window("10:00", "11:00"))))


def test_window_edges() -> None:
    for start, end in (
        ("6:00", "07:00"),
        ("06:00", "24:30"),
        ("25:00", "24:00"),
        ("06:60", "07:00"),
    ):
        with pytest.raises(TariffError):
            Window(start, end)
    with pytest.raises(TariffError, match="split windows"):
        Window("23:00", "07:00")
    with pytest.raises(TariffError, match="24:00 is not a start"):
        Window("24:00", "24:00")
    with pytest.raises(TariffError, match="days"):
        Window("00:00", "24:00", days="workdays")
    with pytest.raises(TariffError, match="valid_from"):
        Window("00:00", "24:00", valid_from=date(2013, 2, 1), valid_until=date(2013, 1, 1))
    # a window edge must be an interval edge
    quarter = (Band("a", 1, (Window("00:00", "06:15"),)), Band("b", 2, (Window("06:15", "24:00"),)))
    with pytest.raises(TariffError, match=r"bands\[0\].windows\[0\].end: 06:15 is not on a 1800 s"):
        tou(*quarter)
    t = tou(*quarter, period=900)
    assert t.bands_of(local_day_intervals(date(2013, 1, 1), LONDON, 900)).count("a") == 25


def test_duplicate_band_names() -> None:
    with pytest.raises(TariffError, match="duplicate band"):
        tou(Band("a", 1, (Window("00:00", "12:00"),)), Band("a", 2, (Window("12:00", "24:00"),)))
    with pytest.raises(TariffError, match="at least one band"):
        tou()


def test_weekday_and_weekend() -> None:
    t = tou(
        Band("weekend", 700, (Window("00:00", "24:00", days="weekends"),)),
        Band("off-peak", 800, (Window("00:00", "07:00", days="weekdays"),)),
        Band("day", 2000, (Window("07:00", "24:00", days="mon,tue,wed,thu,fri"),)),
    )
    sat = t.bands_of(london_day(date(2013, 4, 6)))
    mon = t.bands_of(london_day(date(2013, 4, 8)))
    assert set(sat) == {"weekend"}
    assert Counter(mon) == {"off-peak": 14, "day": 34}
    with pytest.raises(TariffError, match="no band covers 00:00-07:00 local time on sat"):
        tou(
            Band("off-peak", 800, (Window("00:00", "07:00", days="weekdays"),)),
            Band("day", 2000, (Window("07:00", "24:00"),)),
        )


def test_date_validity() -> None:
    t = tou(
        Band(
            "normal",
            1000,
            (
                Window("00:00", "17:00"),
                Window("20:00", "24:00"),
                Window("17:00", "20:00", valid_from=date(2013, 4, 1)),
            ),
        ),
        Band("winter-peak", 3000, (Window("17:00", "20:00", valid_until=date(2013, 4, 1)),)),
    )
    at = index_of(datetime(2013, 3, 31, 16, 0, tzinfo=UTC))  # 17:00 BST
    assert t.band_of(at) == "winter-peak"
    assert t.band_of(at + 48) == "normal"
    # a window valid for two days only needs to cover the weekdays those days have
    promo = tou(
        Band(
            "normal",
            1000,
            (
                Window("00:00", "24:00", valid_until=date(2013, 4, 1)),
                Window("00:00", "24:00", valid_from=date(2013, 4, 3)),
            ),
        ),
        Band(
            "promo",
            100,
            (
                Window(
                    "00:00",
                    "24:00",
                    days="mon,tue",
                    valid_from=date(2013, 4, 1),
                    valid_until=date(2013, 4, 3),
                ),
            ),
        ),
    )
    assert set(promo.bands_of(london_day(date(2013, 4, 2)))) == {"promo"}
    assert set(promo.bands_of(london_day(date(2013, 4, 3)))) == {"normal"}
    with pytest.raises(TariffError, match=r"on tue \(dates 2013-04-01 to 2013-04-03\)"):
        tou(
            Band(
                "normal",
                1000,
                (
                    Window("00:00", "24:00", valid_until=date(2013, 4, 1)),
                    Window("00:00", "24:00", valid_from=date(2013, 4, 3)),
                ),
            ),
            Band(
                "promo",
                100,
                (
                    Window(
                        "00:00",
                        "24:00",
                        days="mon",
                        valid_from=date(2013, 4, 1),
                        valid_until=date(2013, 4, 3),
                    ),
                ),
            ),
        )


def test_tariff_validity_range() -> None:
    t = tou(
        Band("all", 1000, (Window("00:00", "24:00", valid_from=date(2013, 1, 1)),)),
        valid_from=date(2013, 1, 1),
        valid_until=date(2014, 1, 1),
    )
    assert set(t.bands_of(period_intervals(date(2013, 1, 1), date(2014, 1, 1), LONDON))) == {"all"}
    with pytest.raises(TariffError, match="outside the tariff's validity"):
        t.band_of(london_day(date(2014, 1, 1))[0])
    with pytest.raises(TariffError, match="outside the tariff's validity"):
        t.band_of(london_day(date(2012, 12, 31))[-1])
    with pytest.raises(TariffError, match="no band covers"):  # unbounded: 2012 is uncovered
        tou(Band("all", 1000, (Window("00:00", "24:00", valid_from=date(2013, 1, 1)),)))


def test_zone_offset_not_aligned_with_windows() -> None:
    # Nepal is UTC+05:45: half-hour intervals start at :15 and :45 local time
    t = tou(Band("all", 1, (Window("00:00", "24:00"),)), tz="Asia/Kathmandu")
    with pytest.raises(TariffError, match="does not align"):
        t.band_of(758208)
    assert t.period == 1800


# --- Economy 7 and the emoncms facts file -------------------------------------------------------


def test_economy7_regions(data: Path) -> None:
    path = data / "tariffs" / "uk_tou_tariffs_emoncms.json"
    regions = load_economy7_windows(path)
    raw = json.loads(path.read_text())["economy7_windows_local_time"]
    assert (
        set(regions)
        == {k for k in raw if k != "note"}
        == {
            "MIDLANDS",
            "SOUTHERN",
            "LONDON",
            "SOUTHEAST",
        }
    )
    for region, windows in regions.items():
        t = load_economy7(path, region, 2400, 800, unit="0.01p")
        assert t.band_names == ("day", "night")
        day = london_day(date(2013, 7, 1))
        mask = [1 if b == "night" else 0 for b in t.bands_of(day)]
        assert mask == raw[region]["buckets48"], region  # the file's own 48-slot mask
        assert [list(w) for w in windows] == raw[region]["off_peak"]
        # both passes through the repeated hour take the band of 01:00-02:00 on that clock
        autumn = london_day(date(2013, 10, 27))
        want = ["night" if raw[region]["buckets48"][k] else "day" for k in (2, 3)]
        assert [t.band_of(i) for i in autumn[2:6]] == want * 2
    with pytest.raises(TariffError, match="region"):
        load_economy7(path, "MARS", 1, 1, unit="p")


def test_economy7_london_clock_change_counts(data: Path) -> None:
    t = load_economy7(
        data / "tariffs" / "uk_tou_tariffs_emoncms.json", "LONDON", 2400, 800, unit="0.01p"
    )
    assert Counter(t.bands_of(london_day(date(2013, 10, 27)))) == {"night": 18, "day": 32}
    assert Counter(t.bands_of(london_day(date(2013, 3, 31)))) == {"night": 14, "day": 32}


def test_economy7_on_gmt_all_year() -> None:
    t = economy7_tariff([("00:00", "07:00")], 2400, 800, unit="0.01p", tz="UTC")
    summer = london_day(date(2013, 7, 1))  # local midnight is 23:00 UTC
    assert [t.band_of(i) for i in summer[:4]] == ["day", "day", "night", "night"]


def test_emoncms_tariffs(data: Path) -> None:
    path = data / "tariffs" / "uk_tou_tariffs_emoncms.json"
    tariffs = load_emoncms_tariffs(path)
    raw = {t["identifier"]: t for t in json.loads(path.read_text())["tariffs"]}
    assert set(tariffs) == set(raw)
    for ident, t in tariffs.items():
        spec = raw[ident]
        assert t.unit == "0.0001p"
        assert list(t.band_names) == [b["name"] for b in spec["bands"]]
        for b in spec["bands"]:  # GBP/kWh -> 0.0001p/kWh = * 10^6, exactly
            price = t.band_price(b["name"])
            assert price is not None
            assert Fraction(price) == Fraction(Decimal(repr(b["gbp_per_kwh"]))) * 10**6
        if "buckets48" in spec:
            day = london_day(date(2013, 1, 7))
            assert [t.band_names.index(b) for b in t.bands_of(day)] == spec["buckets48"]
        assert isinstance(t, FlatTariff if len(spec["bands"]) == 1 else TimeOfUseTariff)
    tide = tariffs["GREENENERGYTIDE20170713"]
    assert tide.band_names == ("standard", "peak", "night/low")
    assert tide.band_price("peak") == 299900
    assert tariffs["NPOWERECONOMY7STANDARDVARIABLESOUTHEAST"].standing_charge_per_day == 158235
    assert tariffs["NPOWERECONOMY7STANDARDVARIABLEMIDLANDS"].band_price("day") == 226065
    with pytest.raises(TariffError, match="whole number"):
        load_emoncms_tariffs(path, unit="0.01p")  # 0.226065 GBP is not whole 0.01p


def test_emoncms_mask_mismatch(data: Path, tmp_path: Path) -> None:
    doc = json.loads((data / "tariffs" / "uk_tou_tariffs_emoncms.json").read_text())
    doc["tariffs"][0]["buckets48"][20] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(TariffError, match=r"tariffs\[0\].buckets48: slot 20 \(10:00\)"):
        load_emoncms_tariffs(bad)
    doc = json.loads((data / "tariffs" / "uk_tou_tariffs_emoncms.json").read_text())
    doc["economy7_windows_local_time"]["LONDON"]["off_peak"][0][1] = "06:00"
    bad.write_text(json.dumps(doc))
    with pytest.raises(TariffError, match=r"LONDON\.buckets48: slot 12"):
        load_economy7_windows(bad)
    bad.write_text("{not json")
    with pytest.raises(FormatError):
        load_emoncms_tariffs(bad)


# --- the Low Carbon London schedule --------------------------------------------------------------


def test_lcl_loads_and_covers_2013(
    lcl: ScheduleTariff, lcl_rows: list[tuple[str, str, str]]
) -> None:
    assert lcl.band_names == ("Low", "Normal", "High")
    assert [lcl.band_price(b) for b in lcl.band_names] == [399, 1176, 6720]
    assert lcl.unit == "0.01p" and lcl.tz == LONDON
    assert lcl.dates == [date(2013, 1, 1) + timedelta(days=k) for k in range(365)]
    year = period_intervals(date(2013, 1, 1), date(2014, 1, 1), LONDON)
    assert len(year) == 17520 == len(lcl_rows)
    got = Counter(lcl.bands_of(year))
    # independent: count the file's rows, then apply the wall-clock rule by hand:
    # 2013-03-31 01:00 and 01:30 do not exist; 2013-10-27 01:00 and 01:30 happen twice
    expected = Counter(band for _, band, _ in lcl_rows)
    by_stamp = {stamp: band for stamp, band, _ in lcl_rows}
    for hhmm in ("01:00", "01:30"):
        expected[by_stamp[f"2013-03-31 {hhmm}:00"]] -= 1
        expected[by_stamp[f"2013-10-27 {hhmm}:00"]] += 1
    assert got == expected
    assert sum(got.values()) == 17520
    with pytest.raises(TariffError, match="does not cover"):
        lcl.band_of(year.stop)
    with pytest.raises(TariffError, match="does not cover"):
        lcl.band_of(year.start - 1)


@pytest.mark.parametrize("day", [date(2013, 3, 31), date(2013, 10, 27), date(2013, 7, 15)])
def test_lcl_by_wall_clock_slot(
    lcl: ScheduleTariff, lcl_rows: list[tuple[str, str, str]], day: date
) -> None:
    by_stamp = {stamp: band for stamp, band, _ in lcl_rows}
    r = london_day(day)
    for i in r:
        assert lcl.band_of(i) == by_stamp[f"{day} {wall(i)}:00"]
    assert len(r) == {date(2013, 3, 31): 46, date(2013, 10, 27): 50}.get(day, 48)


def test_lcl_prices_match_the_file(
    lcl: ScheduleTariff, lcl_rows: list[tuple[str, str, str]]
) -> None:
    london = local_day_intervals(date(2013, 1, 1), LONDON)
    for (_stamp, band, price), i in zip(lcl_rows[:48], london, strict=True):
        assert lcl.band_of(i) == band
        assert Decimal(lcl.price_of(i)) / 100 == Decimal(price)


def lcl_copy(lcl_rows: list[tuple[str, str, str]], tmp_path: Path, edit: Any) -> Path:
    lines = ["datetime_local,band,price_p_per_kwh"] + [",".join(r) for r in lcl_rows[:96]]
    lines = edit(lines)
    path = tmp_path / "lcl.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ls: ["when,band,price", *ls[1:]], r":1: unexpected header"),
        (lambda ls: ls[:5] + ls[6:], r":6: .* is not slot 4 of 2013-01-01"),
        (lambda ls: ls[:48], r"2013-01-01 has 47 rows, expected 48"),
        (
            lambda ls: [*ls[:3], ls[3].replace("11.76", "11.77"), *ls[4:]],
            r":4: band 'Normal' priced 11.77",
        ),
        (lambda ls: [*ls[:3], ls[3].replace("11.76", "x"), *ls[4:]], r":4: bad price_p_per_kwh"),
        (
            lambda ls: [*ls[:3], ls[3].replace("2013-01-01", "2013-01-xx"), *ls[4:]],
            r":4: bad datetime",
        ),
        (lambda ls: [*ls[:3], ls[3] + ",extra", *ls[4:]], r":4: expected 3 fields"),
        (lambda ls: [*ls[:3], ls[3].replace("Normal", ""), *ls[4:]], r":4: empty band"),
    ],
)
def test_lcl_malformed(
    lcl_rows: list[tuple[str, str, str]], tmp_path: Path, edit: Any, message: str
) -> None:
    with pytest.raises(FormatError, match=message):
        load_lcl_dtou(lcl_copy(lcl_rows, tmp_path, edit))


def test_lcl_unit_too_coarse(lcl_rows: list[tuple[str, str, str]], tmp_path: Path) -> None:
    with pytest.raises(TariffError, match="whole number of p"):
        load_lcl_dtou(lcl_copy(lcl_rows, tmp_path, lambda ls: ls), unit="p")
    with pytest.raises(FormatError, match="cannot read"):
        load_lcl_dtou(tmp_path / "absent.csv")


# --- schedule tariffs in general ----------------------------------------------------------------


def test_schedule_validation() -> None:
    with pytest.raises(TariffError, match=r"schedule\[2013-01-01\]: 47 slots"):
        ScheduleTariff({"a": 1}, {date(2013, 1, 1): ["a"] * 47}, unit="p", tz=LONDON)
    with pytest.raises(TariffError, match="unknown band 'b'"):
        ScheduleTariff({"a": 1}, {date(2013, 1, 1): ["b"] * 48}, unit="p", tz=LONDON)
    with pytest.raises(TariffError, match="no dates"):
        ScheduleTariff({"a": 1}, {}, unit="p", tz=LONDON)
    with pytest.raises(TariffError, match="slot_seconds"):
        ScheduleTariff({"a": 1}, {date(2013, 1, 1): ["a"] * 48}, unit="p", tz=LONDON, period=3600)
    hourly = ScheduleTariff(
        {"a": 1, "b": 2},
        {date(2013, 1, 1): ["a", "b"] * 12},
        unit="p",
        tz="UTC",
        slot_seconds=3600,
        period=900,
    )
    day = local_day_intervals(date(2013, 1, 1), "UTC", 900)
    assert hourly.bands_of(day)[:8] == ["a"] * 4 + ["b"] * 4


# --- dynamic -------------------------------------------------------------------------------------


def test_dynamic_negative_prices() -> None:
    first = index_of(datetime(2013, 4, 1, tzinfo=UTC))
    prices = [1500, 900, -250, -1000, 0, 3500]
    t = DynamicTariff.from_series(first, prices, unit="0.01p", name="agile-ish")
    r = range(first, first + len(prices))
    assert t.price_weights(r) == prices
    assert [t.price_of(i) for i in r] == prices
    assert t.band_names == ("dynamic",) and t.band_price("dynamic") is None
    assert t.weights_for_band("dynamic", r) == [1] * 6
    with pytest.raises(TariffError, match="no dynamic price"):
        t.price_of(first - 1)
    with pytest.raises(TariffError, match="no dynamic price"):
        t.band_of(first + 6)
    p = BillingPeriod(date(2013, 4, 1), date(2013, 4, 2), "UTC")
    values = {i: 1000 for i in r}  # 1 kWh each
    ws = weighted_sum(t, values, r)
    assert ws == 1000 * sum(prices)
    bill = bill_from_amount(t, p, ws)
    assert bill.total == sum(prices) and bill.mode == "amount"
    only_negative = {first + 2: 3000, first + 3: 500}
    assert weighted_sum(t, only_negative, r) == -250 * 3000 - 1000 * 500
    assert bill_from_amount(t, p, weighted_sum(t, only_negative, r)).total == -1250
    with pytest.raises(TariffError, match="amount mode"):
        bill_from_band_totals(t, p, {"dynamic": 6000})


def test_dynamic_validation() -> None:
    with pytest.raises(TariffError):
        DynamicTariff({0: 1.5}, unit="p")  # type: ignore[dict-item]
    with pytest.raises(TariffError):
        DynamicTariff({"0": 1}, unit="p")  # type: ignore[dict-item]
    with pytest.raises(TariffError, match="unknown band"):
        DynamicTariff({0: 1}, unit="p").band_price("day")


# --- JSON ----------------------------------------------------------------------------------------


def sample_tariffs() -> list[Tariff]:
    return [
        FlatTariff(1423, unit="0.01p", name="flat", standing_charge_per_day=4500, export_price=550),
        classic_three_band(standing_charge_per_day=4000),
        classic_three_band(period=900),
        TimeOfUseTariff(
            [
                Band("weekend", 700, (Window("00:00", "24:00", days="sat,sun"),)),
                Band("off-peak", 800, (Window("00:00", "07:00", days="weekdays"),)),
                Band(
                    "day",
                    2000,
                    (
                        Window("07:00", "24:00", days="weekdays", valid_until=date(2013, 6, 1)),
                        Window("07:00", "24:00", days="weekdays", valid_from=date(2013, 6, 1)),
                    ),
                ),
            ],
            unit="0.001ct",
            bill_unit="ct",
            tz="Europe/Amsterdam",
            name="NL \u00e9t\u00e9",
            valid_from=date(2013, 1, 1),
            valid_until=date(2014, 1, 1),
            export_price=-3,
        ),
        DynamicTariff.from_series(758208, [1500, -250, 0, 7], unit="0.01p", tz=LONDON),
        ScheduleTariff(
            {"L": 1, "H": 9}, {date(2013, 1, 2): ["L"] * 47 + ["H"]}, unit="p", tz="UTC"
        ),
    ]


@pytest.mark.parametrize("t", sample_tariffs(), ids=lambda t: f"{t.kind}-{t.period}")
def test_json_round_trip(t: Tariff, tmp_path: Path) -> None:
    text = tariff_to_json(t)
    back = tariff_from_json(text)
    assert back == t and type(back) is type(t) and hash(back) == hash(t)
    assert tariff_to_json(back) == text  # canonical text is a fixed point
    assert tariff_from_json(json.loads(text)) == t  # a parsed dict is accepted too
    assert tariff_from_json(text.encode()) == t
    path = tmp_path / "t.json"
    save_tariff(t, path)
    assert path.read_text(encoding="utf-8") == text
    assert load_tariff(path) == t
    assert pickle.loads(pickle.dumps(t)) == t
    if isinstance(t, ScheduleTariff):
        r = local_day_intervals(date(2013, 1, 2), "UTC")
    else:
        r = range(758208, 758212)
    assert back.price_weights(r) == t.price_weights(r)


def test_json_round_trip_real_tariffs(lcl: ScheduleTariff, data: Path) -> None:
    text = tariff_to_json(lcl)
    back = tariff_from_json(text)
    assert back == lcl and tariff_to_json(back) == text
    year = period_intervals(date(2013, 1, 1), date(2014, 1, 1), LONDON)
    assert back.band_indices(year) == lcl.band_indices(year)
    for t in load_emoncms_tariffs(data / "tariffs" / "uk_tou_tariffs_emoncms.json").values():
        assert tariff_from_json(tariff_to_json(t)) == t


def test_json_minimal_uses_defaults() -> None:
    t = tariff_from_json(
        {
            "format": "privbill-tariff",
            "version": 1,
            "kind": "tou",
            "unit": "0.01p",
            "tz": LONDON,
            "bands": [{"name": "all", "price": 5, "windows": [{"start": "00:00", "end": "24:00"}]}],
        }
    )
    assert isinstance(t, TimeOfUseTariff)
    assert (t.period, t.standing_charge_per_day, t.export_price, t.bill_unit) == (
        1800,
        0,
        None,
        "0.01p",
    )
    assert t.bands[0].windows[0].days == "all"


def flat_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(tariff_to_json(sample_tariffs()[0]))
    for k, v in changes.items():
        if v is ...:
            del doc[k]
        else:
            doc[k] = v
    return doc


def tou_doc() -> dict[str, Any]:
    return json.loads(tariff_to_json(classic_three_band()))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (flat_doc(unit=...), r"^unit: missing"),
        (flat_doc(price=...), r"^price: missing"),
        (flat_doc(format="other"), r"^format: expected 'privbill-tariff'"),
        (flat_doc(version=2), r"^version: this reader knows version 1"),
        (flat_doc(version=True), r"^version"),
        (flat_doc(kind="spot"), r"^kind: must be one of"),
        (flat_doc(standing_charge=1), r"unknown field 'standing_charge'"),
        (flat_doc(price=14.23), r"^price: must be an integer, got 14.23"),
        (flat_doc(price="1423"), r"^price: must be an integer"),
        (flat_doc(price=True), r"^price: must be an integer"),
        (flat_doc(standing_charge_per_day=-1), r"^standing_charge_per_day: must be >= 0"),
        (flat_doc(export_price=0.5), r"^export_price: must be an integer"),
        (flat_doc(tz="Europe/Atlantis"), r"^tz: unknown time zone"),
        (flat_doc(tz=0), r"^tz: must be an IANA"),
        (flat_doc(period=1000), r"^period: period must be a positive divisor"),
        (flat_doc(unit="0.01 p"), r"^unit: '0.01 p' is not"),
        (flat_doc(bill_unit="ct"), r"^bill_unit: 'ct' is not the currency"),
        (flat_doc(name=3), r"^name: must be a string"),
        ([1, 2], r"^tariff: must be an object"),
    ],
)
def test_json_malformed_fields(doc: Any, message: str) -> None:
    with pytest.raises(TariffError, match=message):
        tariff_from_json(doc)


def test_json_malformed_nested() -> None:
    doc = tou_doc()
    doc["bands"][1]["windows"][0]["start"] = "6am"
    with pytest.raises(TariffError, match=r"bands\[1\].windows\[0\].start: '6am' is not 'HH:MM'"):
        tariff_from_json(doc)
    doc = tou_doc()
    doc["bands"][0]["windows"][0]["valid_from"] = "2013-1-1"
    with pytest.raises(TariffError, match=r"bands\[0\].windows\[0\].valid_from"):
        tariff_from_json(doc)
    doc = tou_doc()
    doc["bands"][1]["name"] = ""
    with pytest.raises(TariffError, match=r"bands\[1\].name: must not be empty"):
        tariff_from_json(doc)
    doc = tou_doc()
    doc["bands"][2]["colour"] = "red"
    with pytest.raises(TariffError, match=r"bands\[2\]: unknown field 'colour'"):
        tariff_from_json(doc)
    doc = tou_doc()
    del doc["bands"][0]["windows"][0]["end"]
    with pytest.raises(TariffError, match=r"bands\[0\].windows\[0\].end: missing"):
        tariff_from_json(doc)
    doc = tou_doc()
    doc["bands"][0]["windows"] = {}
    with pytest.raises(TariffError, match=r"bands\[0\].windows: must be a list"):
        tariff_from_json(doc)
    doc = tou_doc()
    doc["bands"][2]["windows"][0]["end"] = "22:00"
    with pytest.raises(TariffError, match="overlap at 21:00"):
        tariff_from_json(doc)
    doc = json.loads(tariff_to_json(sample_tariffs()[-1]))
    doc["schedule"]["2013-01-02"][5] = 2
    with pytest.raises(
        TariffError, match=r"schedule\[2013-01-02\]\[5\]: band index 2 out of range"
    ):
        tariff_from_json(doc)
    doc = json.loads(tariff_to_json(sample_tariffs()[-1]))
    doc["schedule"]["2013-01-32"] = doc["schedule"]["2013-01-02"]
    with pytest.raises(TariffError, match=r"schedule\[2013-01-32\]"):
        tariff_from_json(doc)
    doc = json.loads(tariff_to_json(sample_tariffs()[4]))
    doc["prices"].append([758208, 5])
    with pytest.raises(TariffError, match=r"prices\[4\]: duplicate interval index 758208"):
        tariff_from_json(doc)
    doc["prices"][-1] = [758300]
    with pytest.raises(TariffError, match=r"prices\[4\]: must be an \[index, price\] pair"):
        tariff_from_json(doc)


def test_json_syntax_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not valid JSON"):
        tariff_from_json('{"format": "privbill-tariff",')
    with pytest.raises(FormatError):
        tariff_from_json(b"\xff\xfe")
    with pytest.raises(FormatError, match="cannot read"):
        load_tariff(tmp_path / "absent.json")
    (tmp_path / "t.json").write_text("[]")
    with pytest.raises(TariffError, match="must be an object"):
        load_tariff(tmp_path / "t.json")


def test_equality() -> None:
    a, b = classic_three_band(), classic_three_band(standing_charge_per_day=1)
    assert a != b and a == classic_three_band()
    assert a != FlatTariff(500, unit="0.01p")
    assert a.__eq__(3) is NotImplemented
    assert "classic three-band" in repr(a)


# --- bills and the rounding rule -----------------------------------------------------------------


def test_round_half_away_from_zero() -> None:
    cases = {
        Fraction(1, 2): 1,
        Fraction(-1, 2): -1,
        Fraction(3, 2): 2,
        Fraction(-3, 2): -2,
        Fraction(5, 2): 3,
        Fraction(-5, 2): -3,
        Fraction(4999, 10000): 0,
        Fraction(-4999, 10000): 0,
        Fraction(5001, 10000): 1,
        Fraction(-5001, 10000): -1,
        Fraction(0): 0,
        Fraction(7): 7,
        Fraction(-7): -7,
    }
    for x, want in cases.items():
        assert round_half_away_from_zero(x) == want, x
    # exhaustively against decimal's ROUND_HALF_UP (which rounds ties away from zero)
    for den in (2, 3, 1000, 10000):
        for num in range(-3 * den, 3 * den + 1):
            want = int((Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            assert round_half_away_from_zero(Fraction(num, den)) == want


def one_day(tz: str = "UTC") -> BillingPeriod:
    return BillingPeriod(date(2013, 4, 1), date(2013, 4, 2), tz)


@pytest.mark.parametrize(
    ("wh", "charge", "credit"),
    [(500, 1, -1), (1500, 2, -2), (2500, 3, -3), (2499, 2, -2), (2501, 3, -3), (0, 0, 0)],
)
def test_line_rounding_at_half_both_signs(wh: int, charge: int, credit: int) -> None:
    # price 1 unit/kWh: a line of wh Wh is wh/1000 units exactly, so x.5 ties appear
    t = FlatTariff(1, unit="0.01p", export_price=1)
    bill = bill_from_band_totals(t, one_day(), {"flat": wh}, export_total_wh=wh)
    energy, export = bill.lines
    assert energy.amount_exact == Fraction(wh, 1000) and energy.amount == charge
    assert export.amount_exact == -Fraction(wh, 1000) and export.amount == credit
    assert export.kind == "export" and export.quantity_wh == wh
    assert bill.total == charge + credit == 0
    assert bill_from_amount(t, one_day(), wh).total == charge
    assert bill_from_amount(t, one_day(), -wh).total == credit


def test_bill_unit_rounds_once() -> None:
    # prices in 0.01p, bill in whole pence: 150 * 0.01p = 1.5p -> 2p, never 1.5 -> 1 -> ...
    t = FlatTariff(150, unit="0.01p", bill_unit="p", export_price=150)
    bill = bill_from_band_totals(t, one_day(), {"flat": 1000}, export_total_wh=1000)
    assert [(ln.amount_exact, ln.amount) for ln in bill.lines] == [
        (Fraction(3, 2), 2),
        (Fraction(-3, 2), -2),
    ]
    assert bill.unit == "p"


def test_standing_charge_counts_local_days() -> None:
    t = classic_three_band(standing_charge_per_day=4567)
    march = BillingPeriod.month(2013, 3, LONDON)  # 1486 half-hours, 31 days
    bill = bill_from_band_totals(t, march, {})
    (line,) = bill.lines
    assert line.kind == "standing" and line.days == 31
    assert line.amount == 31 * 4567 == bill.total and line.label == "standing charge"


@pytest.mark.parametrize("seed", [20130401, 1, 2])
def test_bands_mode_and_amount_mode(seed: int) -> None:
    rnd = random.Random(seed)
    t = classic_three_band(standing_charge_per_day=4500)
    p = BillingPeriod.month(2013, 10, LONDON)
    r = p.intervals()
    values = {i: rnd.randrange(0, 3000) for i in r if rnd.random() > 0.02}  # some missing
    totals = band_totals(t, values, r)
    assert sum(totals.values()) == sum(values.values())
    ws = weighted_sum(t, values, r)
    assert ws == sum(t.price_of(i) * wh for i, wh in values.items())
    bands = bill_from_band_totals(t, p, totals)
    amount = bill_from_amount(t, p, ws)
    energy = [ln for ln in bands.lines if ln.kind == "energy"]
    # exactly the same money before rounding; rounding differs by < 1 unit per band line
    assert sum(ln.amount_exact for ln in energy) == amount.lines[0].amount_exact
    assert abs(bands.total - amount.total) <= len(energy)
    assert bands.lines[-1].amount == amount.lines[-1].amount == 31 * 4500


def test_bill_errors() -> None:
    t = classic_three_band()
    p = BillingPeriod.month(2013, 4, LONDON)
    with pytest.raises(TariffError, match="unknown band 'night'"):
        bill_from_band_totals(t, p, {"night": 1})
    with pytest.raises(RangeError, match="negative"):
        bill_from_band_totals(t, p, {"low": -1})
    with pytest.raises(RangeError):
        bill_from_band_totals(t, p, {"low": 1.5})  # type: ignore[dict-item]
    with pytest.raises(TariffError, match="no export price"):
        bill_from_band_totals(t, p, {"low": 1}, export_total_wh=10)
    with pytest.raises(TariffError, match="interval period"):
        bill_from_band_totals(t, BillingPeriod.month(2013, 4, LONDON, period=900), {"low": 1})
    with pytest.raises(RangeError):
        bill_from_amount(t, p, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TariffError):
        bill_from_amount("flat", p, 1)  # type: ignore[arg-type]


def test_bill_rendering() -> None:
    t = classic_three_band(standing_charge_per_day=4500)
    p = BillingPeriod.month(2013, 4, LONDON)
    bill = bill_from_band_totals(t, p, {"low": 60_001, "normal": 150_000, "peak": 45_000})
    assert isinstance(bill, Bill)
    d = bill.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["total"] == 405001 and d["lines"][0]["amount_exact"] == "60001/2"
    assert bill.line("peak").amount == 90000
    with pytest.raises(KeyError):
        bill.line("night")
    text = bill.format()
    assert "40.5001 GBP" in text and text.count("\n") == 4


# --- the documentation's examples ------------------------------------------------------------


def test_docs_examples_load() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "tariffs.md").read_text()
    blocks = [b.split("```", 1)[0] for b in doc.split("```json\n")[1:]]
    assert len(blocks) == 3
    loaded = [tariff_from_json(b) for b in blocks]
    assert loaded[0] == classic_three_band(standing_charge_per_day=4500)
    assert tariff_to_json(loaded[0]) == blocks[0]  # the example is the canonical text
    assert loaded[1] == FlatTariff(1423, unit="0.01p", tz=LONDON)
    agile = DynamicTariff.from_series(
        758208, [1500, -250], unit="0.01p", tz=LONDON, name="agile-like", export_price=550
    )
    assert loaded[2] == agile and tariff_to_json(agile) == blocks[2]
