"""Readings and their readers: the SGSC CSV layout and DSMR P1 telegrams.

Real data: ../shared/data/consumption/sgsc_48hh_2013Q2.csv (Ausgrid Smart Grid Smart City,
48 households, 2013-04-01..06-30, AEST meter clocks) and the 13 telegrams of
../shared/data/meter_formats/dsmr_p1 (ndokter/dsmr_parser test suite, MIT). Totals and gaps
are recomputed here independently with the csv module, strptime and Fraction; the CRC is
recomputed with a table-driven CRC-16/ARC written here (catalogue check value 0xBB3D).
"""

from __future__ import annotations

import calendar
import csv
import json
import os
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from privbill.errors import FormatError, PrivbillError, RangeError
from privbill.intervals import BillingPeriod, index_of, start_of
from privbill.readings import (
    EXPORT,
    IMPORT,
    P1Telegram,
    Readings,
    crc16,
    kwh_to_wh,
    parse_p1_telegram,
    read_sgsc_csv,
    readings_from_p1,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
UTC = timezone.utc
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def data() -> Path:
    if not DATA.is_dir():
        if os.environ.get("PRIVBILL_STRICT") == "1":
            pytest.fail(f"shared data not found at {DATA}")
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


# --- Readings ----------------------------------------------------------------------------------


def test_readings_basics() -> None:
    r = Readings({IMPORT: {10: 5, 12: 0, 11: 7}, EXPORT: {11: 3}}, period=900, meter_id="m")
    assert r.channels == (0, 1)
    assert list(r.channel(IMPORT)) == [10, 11, 12]  # kept sorted
    assert r.get(12) == 0 and r.get(13) is None and r.get(11, EXPORT) == 3
    assert r.missing(range(9, 14)) == [9, 13]
    assert r.present(range(9, 14)) == [10, 11, 12]
    assert r.missing(range(10, 13), EXPORT) == [10, 12]
    assert r.values(range(9, 13)) == [None, 5, 7, 0]
    assert r.total() == 12 and r.total(range(11, 20)) == 7 and r.total(channel=EXPORT) == 3
    assert r.span() == range(10, 13) and r.span(5) == range(0)
    assert r.channel(7) == {} and r.missing([1], channel=7) == [1]
    assert len(r) == 3
    assert r.restrict([11]) == Readings(
        {IMPORT: {11: 7}, EXPORT: {11: 3}}, period=900, meter_id="m"
    )
    assert r != Readings({IMPORT: {10: 5}}, period=900, meter_id="m")
    assert "meter_id='m'" in repr(r)
    with pytest.raises(TypeError):
        r.channel(IMPORT)[10] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        hash(r)


def test_readings_from_series() -> None:
    r = Readings.from_series(100, [1, None, 3], channel=EXPORT, meter_id="x")
    assert dict(r.channel(EXPORT)) == {100: 1, 102: 3}
    assert r.channels == (EXPORT,) and r.period == 1800
    assert Readings.from_series(5, []) == Readings()


@pytest.mark.parametrize(
    "channels",
    [{0: {1: -1}}, {0: {1: 1.0}}, {0: {1: True}}, {0: {1.0: 1}}, {-1: {1: 1}}, {True: {1: 1}}],
)
def test_readings_validation(channels: dict[int, dict[int, int]]) -> None:
    with pytest.raises(RangeError):
        Readings(channels)


def test_readings_period() -> None:
    with pytest.raises(RangeError):
        Readings(period=1000)


def test_kwh_to_wh() -> None:
    assert kwh_to_wh("0.223") == 223
    assert kwh_to_wh("1.317") == 1317
    assert kwh_to_wh("0") == 0
    assert kwh_to_wh(" 2.5 ") == 2500
    for bad in ("-0.001", "0.0005", "abc", "", "nan", "inf"):
        with pytest.raises(ValueError):
            kwh_to_wh(bad)


# --- SGSC CSV ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sgsc_path(data: Path) -> Path:
    return data / "consumption" / "sgsc_48hh_2013Q2.csv"


@pytest.fixture(scope="module")
def sgsc(sgsc_path: Path) -> dict[str, Readings]:
    return read_sgsc_csv(sgsc_path)


@pytest.fixture(scope="module")
def sgsc_independent(sgsc_path: Path) -> dict[str, dict[int, int]]:
    """customer -> {unix seconds of the interval start: Wh}, computed without privbill."""
    out: dict[str, dict[int, int]] = defaultdict(dict)
    with open(sgsc_path, newline="") as f:
        for row in csv.DictReader(f):
            day, clock = row["reading_datetime"].split(" ")
            y, mo, d = (int(x) for x in day.split("-"))
            h, mi, sec = (int(x) for x in clock.split(":"))
            # AEST (UTC+10, no daylight saving) to Unix seconds by calendar arithmetic
            unix = calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0)) - 10 * 3600
            whole, frac = row["general_supply_kwh"].split(".")
            assert len(frac) == 3  # "kWh with 3 decimals": the digits are Wh
            out[row["customer_id"]][unix] = int(whole) * 1000 + int(frac)
    return dict(out)


QUARTER = BillingPeriod(date(2013, 4, 1), date(2013, 7, 1), "Etc/GMT-10")


def test_sgsc_shape(sgsc: dict[str, Readings]) -> None:
    assert len(sgsc) == 48
    assert sum(len(r) for r in sgsc.values()) == 194_899
    intervals = QUARTER.intervals()
    assert len(intervals) == 4368
    complete = [c for c, r in sgsc.items() if not r.missing(intervals)]
    assert len(complete) == 39
    for customer, r in sgsc.items():
        assert r.meter_id == customer and r.period == 1800 and r.channels == (IMPORT,)
        assert r.span().start >= intervals.start and r.span().stop <= intervals.stop
    # the first row of the file: 10006414, 2013-04-01 00:00 AEST = 2013-03-31 14:00 UTC
    first = index_of(datetime(2013, 3, 31, 14, 0, tzinfo=UTC))
    assert intervals.start == first
    assert sgsc["10006414"].get(first) == 223
    assert sgsc["10006414"].get(first + 1) == 257


def test_sgsc_totals_match_an_independent_reading(
    sgsc: dict[str, Readings], sgsc_independent: dict[str, dict[int, int]], sgsc_path: Path
) -> None:
    assert list(sgsc) == list(sgsc_independent)  # order of first appearance
    for customer, expected in sgsc_independent.items():
        got = sgsc[customer]
        assert got.total() == sum(expected.values()), customer
        assert {start_of(i).timestamp(): wh for i, wh in got.channel().items()} == expected
    # one customer spelled out
    assert sgsc["10006414"].total() == sum(sgsc_independent["10006414"].values())
    # the same total once more through Fraction, straight from the text
    with open(sgsc_path, newline="") as f:
        total = sum(Fraction(row[2]) * 1000 for row in csv.reader(f) if row[0] == "10006414")
    assert total == sgsc["10006414"].total()


def test_sgsc_real_gaps(
    sgsc: dict[str, Readings], sgsc_independent: dict[str, dict[int, int]]
) -> None:
    intervals = QUARTER.intervals()
    all_starts = {i * 1800 for i in intervals}
    gappy = {
        c: sorted(all_starts - set(v)) for c, v in sgsc_independent.items() if all_starts - set(v)
    }
    assert len(gappy) == 9
    for customer, starts in gappy.items():
        missing = sgsc[customer].missing(intervals)
        assert [i * 1800 for i in missing] == starts, customer
        assert all(sgsc[customer].get(i) is None for i in missing)  # never filled
    assert len(sgsc["10017572"].missing(intervals)) == 1


SGSC_HEADER = "customer_id,reading_datetime,general_supply_kwh"


def write_csv(tmp_path: Path, rows: list[str], header: str = SGSC_HEADER) -> Path:
    path = tmp_path / "sgsc.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ["1,2013-04-01 00:00:00,0.1", "1,2013-04-01 00:00:00,0.2"],
            r":3: duplicate reading .* line 2",
        ),
        (["1,2013-04-01 00:00:00,abc"], r":2: general_supply_kwh: 'abc' is not a number"),
        (["1,2013-04-01 00:00:00,-0.1"], r":2: general_supply_kwh: .* negative"),
        (["1,2013-04-01 00:00:00,0.0005"], r":2: .* not a whole number of Wh"),
        (["1,2013-04-01 00:00:00,"], r":2: general_supply_kwh"),
        (["1,2013-04-01 00:15:00,0.1"], r":2: .* not the start of a 1800 s interval"),
        (["1,2013-04-01T00:00:00,0.1"], r":2: reading_datetime"),
        (["1,2013-04-31 00:00:00,0.1"], r":2: reading_datetime"),
        (["1,2013-04-01 00:00:00"], r":2: expected 3 fields"),
        ([",2013-04-01 00:00:00,0.1"], r":2: empty customer_id"),
    ],
)
def test_sgsc_malformed(tmp_path: Path, rows: list[str], message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_sgsc_csv(write_csv(tmp_path, rows))


def test_sgsc_header_and_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="lacks one of the columns"):
        read_sgsc_csv(write_csv(tmp_path, [], header="id,when,kwh"))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(FormatError, match="empty file"):
        read_sgsc_csv(tmp_path / "empty.csv")
    with pytest.raises(FormatError, match="cannot read"):
        read_sgsc_csv(tmp_path / "absent.csv")


def test_sgsc_other_column_order_and_period(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        ["2013-04-01 00:15:00,0.5,7,x", "2013-04-01 00:00:00,0.25,7,y"],
        header="reading_datetime,general_supply_kwh,customer_id,comment",
    )
    r = read_sgsc_csv(path, tz="UTC", period=900)["7"]
    base = index_of(datetime(2013, 4, 1, tzinfo=UTC), 900)
    assert dict(r.channel()) == {base: 250, base + 1: 500}


def test_sgsc_clock_change_zone(tmp_path: Path) -> None:
    # a meter on London clock time: the repeated hour appears twice, the first pass first
    stamps = ["00:30", "01:00", "01:30", "01:00", "01:30", "02:00"]
    rows = [f"9,2013-10-27 {s}:00,0.{k + 1}00" for k, s in enumerate(stamps)]
    r = read_sgsc_csv(write_csv(tmp_path, rows), tz="Europe/London")["9"]
    first = index_of(datetime(2013, 10, 26, 23, 30, tzinfo=UTC))
    assert dict(r.channel()) == {first + k: (k + 1) * 100 for k in range(6)}
    rows.append("9,2013-10-27 01:00:00,0.1")  # a third pass is a duplicate
    with pytest.raises(FormatError, match=r":8: duplicate"):
        read_sgsc_csv(write_csv(tmp_path, rows), tz="Europe/London")
    with pytest.raises(FormatError, match=r":2: .* does not exist on the clock of Europe/London"):
        read_sgsc_csv(write_csv(tmp_path, ["9,2013-03-31 01:30:00,0.1"]), tz="Europe/London")


# --- DSMR P1: the real telegrams --------------------------------------------------------------


def crc16_arc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = crc16_arc_table()


def crc_reference(data: bytes) -> int:
    """Table-driven CRC-16/ARC, written here as an independent check."""
    c = 0
    for b in data:
        c = (c >> 8) ^ CRC_TABLE[(c ^ b) & 0xFF]
    return c


def test_crc16_check_value() -> None:
    assert crc_reference(b"123456789") == 0xBB3D == crc16(b"123456789")  # CRC catalogue
    assert crc16(b"") == 0


# file -> (timestamp UTC or None, dst, import Wh, export Wh, has CRC)
TELEGRAMS: dict[str, tuple[str | None, bool | None, int | None, int | None, bool]] = {
    "TELEGRAM_V2_2.txt": (None, None, 2002, 2002, False),
    "TELEGRAM_V3.txt": (None, None, 24691356, 24691356, False),
    "TELEGRAM_V4_2.txt": ("2016-11-13T19:57:57+00:00", False, 3016829, 0, True),
    "TELEGRAM_V5.txt": ("2017-01-02T18:20:02+00:00", False, 6825, 2444, True),
    "TELEGRAM_V5_TWO_MBUS.txt": ("2020-04-26T20:33:25+00:00", True, 2375582, 0, True),
    "TELEGRAM_UNPADDED_CRC.txt": ("2026-02-15T19:05:23+00:00", False, None, None, True),
    "TELEGRAM_FLUVIUS_V171.txt": ("2020-05-12T11:54:09+00:00", True, 15792, 11, True),
    "TELEGRAM_FLUVIUS_V171_ALT.txt": ("2023-11-02T11:15:48+00:00", False, 571562, 5, True),
    "TELEGRAM_ESY5Q3DB1024_V304.txt": (None, None, 52185782, 19949322, False),
    "TELEGRAM_ESY5Q3DA1004_V304.txt": (None, None, 32549506, None, False),
    "TELEGRAM_SAGEMCOM_T210_D_R.txt": ("2022-10-06T13:50:14+00:00", True, 6545766, 58, True),
    "TELEGRAM_ISKRA_IE.txt": ("2023-02-02T12:27:47+00:00", True, 20363, 20563, True),
    "TELEGRAM_V5_EON_HU.txt": ("2023-07-24T13:07:30+00:00", True, 173640, 627177, True),
}
WITH_CRC = sorted(name for name, v in TELEGRAMS.items() if v[4])


@pytest.fixture(scope="module")
def p1_dir(data: Path) -> Path:
    return data / "meter_formats" / "dsmr_p1"


def test_telegram_list_is_complete(p1_dir: Path) -> None:
    assert sorted(p.name for p in p1_dir.glob("*.txt")) == sorted(TELEGRAMS)
    index = {e["file"]: e for e in json.loads((p1_dir / "index.json").read_text())}
    assert set(index) == set(TELEGRAMS)
    for name, entry in index.items():
        assert entry["crc"].startswith("CRC16 OK") == TELEGRAMS[name][4]
        assert entry["bytes"] == (p1_dir / name).stat().st_size
    # the README's count: 9 of the 13 carry a CRC, and every one of those matches
    assert len(WITH_CRC) == 9


@pytest.mark.parametrize("name", sorted(TELEGRAMS))
def test_every_telegram_parses(p1_dir: Path, name: str) -> None:
    raw = (p1_dir / name).read_bytes()
    t = parse_p1_telegram(raw)
    stamp, dst, imp, exp, has_crc = TELEGRAMS[name]
    assert isinstance(t, P1Telegram)
    assert t.header == raw[1 : raw.index(b"\r\n")].decode("latin-1")
    assert (t.timestamp.astimezone(UTC).isoformat() if t.timestamp else None) == stamp
    assert t.dst is dst
    assert t.import_wh == imp and t.export_wh == exp
    if has_crc:
        bang = raw.index(b"\r\n!") + 2
        assert (
            t.crc
            == crc_reference(raw[: bang + 1])
            == int(raw[bang + 1 : raw.index(b"\r\n", bang)], 16)
        )
    else:
        assert t.crc is None


@pytest.mark.parametrize("name", WITH_CRC)
def test_tampered_telegrams_fail_the_crc(p1_dir: Path, name: str) -> None:
    raw = (p1_dir / name).read_bytes()
    # change one digit of the content (the first digit of the first object's value)
    lines = raw.split(b"\r\n")
    k = next(n for n, ln in enumerate(lines) if n >= 2 and b"(" in ln)
    at = lines[k].index(b"(") + 1
    digit = lines[k][at : at + 1]
    assert digit.isdigit()
    lines[k] = lines[k][:at] + (b"1" if digit != b"1" else b"2") + lines[k][at + 1 :]
    with pytest.raises(FormatError, match="CRC"):
        parse_p1_telegram(b"\r\n".join(lines))
    # and a wrong CRC on untouched content
    bang = raw.index(b"\r\n!") + 3
    wrong = b"%04X" % (int(raw[bang : raw.index(b"\r\n", bang)], 16) ^ 0x0100)
    with pytest.raises(FormatError, match="CRC mismatch"):
        parse_p1_telegram(raw[:bang] + wrong + b"\r\n")


def test_telegram_details(p1_dir: Path) -> None:
    esy = parse_p1_telegram((p1_dir / "TELEGRAM_ESY5Q3DA1004_V304.txt").read_bytes())
    assert esy.registers["1-0:1.8.0"] == Decimal("32549506.1662")  # exact, sub-Wh kept
    assert esy.import_wh == 32549506  # whole Wh, truncated
    assert esy.equipment_id == "1ESY1336001560"
    sag = parse_p1_telegram((p1_dir / "TELEGRAM_SAGEMCOM_T210_D_R.txt").read_bytes())
    assert sag.registers["1-0:1.8.1"] + sag.registers["1-0:1.8.2"] == sag.registers["1-0:1.8.0"]
    assert sag.registers["1-0:1.8.1"] == 5017120  # "*Wh" registers are kept as Wh
    assert sag.version == "50"
    hu = parse_p1_telegram((p1_dir / "TELEGRAM_V5_EON_HU.txt").read_bytes())
    parts = sum(hu.registers[f"1-0:1.8.{k}"] for k in range(1, 5))
    assert parts == hu.registers["1-0:1.8.0"] == Decimal("173640.000")
    v5 = parse_p1_telegram((p1_dir / "TELEGRAM_V5.txt").read_bytes())
    assert v5.equipment_id == "4B384547303034303436333935353037"
    assert v5.equipment_id_text == "K8EG004046395507"
    assert v5.registers == {
        "1-0:1.8.1": Decimal("4426"),
        "1-0:1.8.2": Decimal("2399"),
        "1-0:2.8.1": Decimal("2444"),
        "1-0:2.8.2": Decimal("0"),
    }
    assert v5.objects["0-1:24.2.1"] == ("170102161005W", "00000.107*m3")
    v22 = parse_p1_telegram((p1_dir / "TELEGRAM_V2_2.txt").read_bytes())
    # the continuation line "(00001.001)" belongs to the gas object above it
    assert v22.objects["0-1:24.3.0"][-1] == "00001.001"
    assert v22.version is None and v22.timestamp is None
    unpadded = parse_p1_telegram((p1_dir / "TELEGRAM_UNPADDED_CRC.txt").read_bytes())
    assert unpadded.crc == 0x0B9F
    ie = parse_p1_telegram((p1_dir / "TELEGRAM_ISKRA_IE.txt").read_bytes(), tz="Europe/Dublin")
    assert ie.timestamp is not None and ie.timestamp.utcoffset() == timedelta(0)


# --- DSMR P1: synthetic telegrams ------------------------------------------------------------


def telegram(
    stamp: str | None,
    imp: tuple[str, str] = ("000001.000", "000002.000"),
    exp: tuple[str, str] | None = ("000000.000", "000000.000"),
    *,
    equipment: str = "4B384547303034303436333935353037",
    crc: bool = True,
    extra: list[str] | None = None,
) -> bytes:
    lines = ["/ISk5\\2MT382-1000", "", "1-3:0.2.8(50)"]
    if stamp is not None:
        lines.append(f"0-0:1.0.0({stamp})")
    lines.append(f"0-0:96.1.1({equipment})")
    lines += [f"1-0:1.8.1({imp[0]}*kWh)", f"1-0:1.8.2({imp[1]}*kWh)"]
    if exp is not None:
        lines += [f"1-0:2.8.1({exp[0]}*kWh)", f"1-0:2.8.2({exp[1]}*kWh)"]
    lines += extra or []
    body = ("\r\n".join(lines) + "\r\n!").encode("ascii")
    return body + (b"%04X" % crc_reference(body) if crc else b"") + b"\r\n"


def test_synthetic_telegram_round_trip() -> None:
    t = parse_p1_telegram(telegram("130401120000S", ("000010.123", "000000.001")))
    assert t.import_wh == 10124 and t.export_wh == 0
    assert t.timestamp == datetime(2013, 4, 1, 10, 0, tzinfo=UTC)
    assert t.crc is not None
    assert parse_p1_telegram(telegram(None, crc=False)).crc is None


def test_dst_flag_resolves_the_repeated_hour() -> None:
    s = parse_p1_telegram(telegram("131027023000S"))
    w = parse_p1_telegram(telegram("131027023000W"))
    assert s.utc == datetime(2013, 10, 27, 0, 30, tzinfo=UTC)
    assert w.utc == datetime(2013, 10, 27, 1, 30, tzinfo=UTC)
    assert s.timestamp is not None and w.timestamp is not None
    assert (s.timestamp.fold, w.timestamp.fold) == (0, 1)  # local 02:30 both times
    with pytest.raises(FormatError, match="ambiguous and has no S/W flag"):
        parse_p1_telegram(telegram("131027023000"))
    with pytest.raises(FormatError, match="does not exist"):
        parse_p1_telegram(telegram("130331023000W"))
    with pytest.raises(FormatError, match=r"0-0:1\.0\.0"):
        parse_p1_telegram(telegram("131327023000W"))
    with pytest.raises(FormatError, match=r"0-0:1\.0\.0"):
        parse_p1_telegram(telegram("1310270230W"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "does not start with '/'"),
        (b"XYZ\r\n", "does not start with '/'"),
        (b"/ISK5\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n", "no '!' end line"),
        (b"/ISK5\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!ZZZZ\r\n", "1-4 hex digits"),
        (b"/ISK5\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!12345\r\n", "1-4 hex digits"),
        (b"/ISK5\r\n\r\nhello world\r\n!\r\n", "line 3: 'hello world' is not an OBIS object"),
        (b"/ISK5\r\n\r\n1-0:1.8.1(1.0*kWh)\r\n1-0:1.8.1(2.0*kWh)\r\n!\r\n", "duplicate object"),
        (b"/ISK5\r\n\r\n1-0:1.8.1(000001.000*m3)\r\n!\r\n", "1-0:1.8.1"),
        (b"/ISK5\r\n\r\n1-0:1.8.1(-1.000*kWh)\r\n!\r\n", "1-0:1.8.1"),
        (b"/\r\n\r\n!\r\n", "header line is empty"),
    ],
)
def test_malformed_telegrams(raw: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_p1_telegram(raw)


def test_telegram_must_be_bytes() -> None:
    with pytest.raises(FormatError):
        parse_p1_telegram("/ISK5\r\n!\r\n")  # type: ignore[arg-type]
    with pytest.raises(PrivbillError):
        parse_p1_telegram(telegram("130401120000S")[:-12])  # truncated: no '!'


def series(
    start: datetime, count: int, step_s: int, wh_per_step: int, *, offset_s: int = 0
) -> list[P1Telegram]:
    """Telegrams every step_s seconds with import rising wh_per_step each (Amsterdam clock)."""
    out = []
    for k in range(count):
        when = (start + timedelta(seconds=offset_s + k * step_s)).astimezone(AMS)
        flag = "S" if when.dst() else "W"
        total = Decimal(k * wh_per_step) / 1000
        exp = Decimal(k * 2) / 1000
        raw = telegram(
            when.strftime("%y%m%d%H%M%S") + flag,
            (f"{total:010.3f}", "000000.000"),
            (f"{exp:010.3f}", "000000.000"),
        )
        out.append(parse_p1_telegram(raw))
    return out


def test_readings_from_p1_boundaries() -> None:
    start = datetime(2013, 4, 1, 10, 0, tzinfo=UTC)
    tgs = series(start, 2 * 360 + 1, 10, 1)  # two hours, every 10 s, 1 Wh per 10 s
    r = readings_from_p1(tgs)
    first = index_of(start)
    assert dict(r.channel(IMPORT)) == {first + k: 180 for k in range(4)}
    assert dict(r.channel(EXPORT)) == {first + k: 360 for k in range(4)}
    assert r.meter_id == "4B384547303034303436333935353037"
    assert readings_from_p1(list(reversed(tgs))) == r  # order does not matter
    r900 = readings_from_p1(tgs, period=900)
    assert dict(r900.channel()) == {2 * first + k: 90 for k in range(8)}


def test_readings_from_p1_gap_is_missing_not_spread() -> None:
    start = datetime(2013, 4, 1, 10, 0, tzinfo=UTC)
    tgs = [t for t in series(start, 5, 1800, 100) if t.timestamp != start + timedelta(hours=1)]
    r = readings_from_p1(tgs)
    first = index_of(start)
    assert dict(r.channel()) == {first: 100, first + 3: 100}
    assert r.missing(range(first, first + 4)) == [first + 1, first + 2]


def test_readings_from_p1_tolerance() -> None:
    start = datetime(2013, 4, 1, 10, 0, tzinfo=UTC)
    late = series(start, 3, 1800, 100, offset_s=5)  # every telegram 5 s after the boundary
    assert readings_from_p1(late).channel() == {}
    r = readings_from_p1(late, tolerance=10)
    assert dict(r.channel()) == {index_of(start): 100, index_of(start) + 1: 100}
    for bad in (-1, 1800, 1.5):
        with pytest.raises(RangeError):
            readings_from_p1(late, tolerance=bad)  # type: ignore[arg-type]


def test_readings_from_p1_across_the_autumn_clock_change() -> None:
    stamps = ["131027013000S", "131027020000S", "131027023000S", "131027020000W", "131027023000W"]
    tgs = [
        parse_p1_telegram(telegram(s, (f"{k:06d}.100", "000000.000"))) for k, s in enumerate(stamps)
    ]
    r = readings_from_p1(tgs)
    first = index_of(datetime(2013, 10, 26, 23, 30, tzinfo=UTC))
    assert dict(r.channel()) == {first + k: 1000 for k in range(4)}


def test_readings_from_p1_truncates_registers_consistently() -> None:
    # sub-Wh registers (as the ESY meters send): interval readings telescope exactly
    base = datetime(2013, 4, 1, 8, 0)  # Amsterdam summer time, 06:00 UTC
    values = ["000001.0004", "000001.0019", "000001.0021", "000001.0050"]
    tgs = [
        parse_p1_telegram(
            telegram((base + timedelta(minutes=30 * k)).strftime("%y%m%d%H%M%S") + "S", (v, "0"))
        )
        for k, v in enumerate(values)
    ]
    r = readings_from_p1(tgs)
    assert list(r.channel().values()) == [1001 - 1000, 1002 - 1001, 1005 - 1002]
    assert r.total() == tgs[-1].import_wh - tgs[0].import_wh == 1005 - 1000  # type: ignore[operator]


def test_readings_from_p1_errors(p1_dir: Path) -> None:
    start = datetime(2013, 4, 1, 10, 0, tzinfo=UTC)
    tgs = series(start, 3, 1800, 100)
    later = (start + timedelta(hours=1, minutes=30)).astimezone(AMS)
    down = parse_p1_telegram(telegram(later.strftime("%y%m%d%H%M%SS"), ("000000.050", "0")))
    with pytest.raises(RangeError, match="went backwards"):
        readings_from_p1([*tgs, down])
    v3 = parse_p1_telegram((p1_dir / "TELEGRAM_V3.txt").read_bytes())
    with pytest.raises(FormatError, match="no timestamp"):
        readings_from_p1([*tgs, v3])
    other = parse_p1_telegram(telegram("130401120000S", equipment="4142"))
    with pytest.raises(FormatError, match="from '4142'"):
        readings_from_p1([*tgs, other])
    twin = parse_p1_telegram(telegram("130401120000S", ("000000.099", "000000.000")))
    with pytest.raises(FormatError, match="disagree"):
        readings_from_p1([*tgs, twin])
    assert readings_from_p1([*tgs, tgs[0]]) == readings_from_p1(tgs)  # an exact repeat is fine
    no_import = parse_p1_telegram(b"/X\r\n\r\n0-0:1.0.0(130401120000S)\r\n!\r\n")
    with pytest.raises(FormatError, match="no import register"):
        readings_from_p1([no_import])
    no_export = [
        parse_p1_telegram(telegram(f"1304011{k}0000S", exp=None)) for k in (2, 3)
    ]  # 12:00 and 13:00 local: one hour apart, so no interval between boundaries... yet
    no_export.insert(1, parse_p1_telegram(telegram("130401123000S", exp=None)))
    assert readings_from_p1(no_export).channels == (IMPORT,)
    assert readings_from_p1([]) == Readings()
