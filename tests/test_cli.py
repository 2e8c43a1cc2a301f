"""The ``privbill`` command line and the synthetic load model.

Most tests call :func:`privbill.cli.main` in-process and capture its output; one runs
``python -m privbill demo`` as a subprocess. Every figure a command prints in ``--json``
is checked against a direct computation with the library (:mod:`privbill.billing` over
the same readings and tariff). Error paths must exit with status 2 and one line on
stderr, never a traceback. The real-data demo runs on three SGSC households for one
month, one of them with real gaps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import cbor2
import pytest

from privbill import cli
from privbill.billing import band_totals, bill_from_amount, bill_from_band_totals, weighted_sum
from privbill.errors import FormatError
from privbill.intervals import BillingPeriod, local_day_intervals, period_intervals
from privbill.loadmodel import LoadModel, dynamic_tariff
from privbill.readings import EXPORT, IMPORT, read_sgsc_csv
from privbill.statement import Statement
from privbill.tariffs import (
    classic_three_band,
    load_lcl_dtou,
    load_tariff,
    save_tariff,
    tariff_from_json,
)

REPO = Path(__file__).resolve().parent.parent
OCTOBER = BillingPeriod(date(2013, 10, 1), date(2013, 11, 1), "Europe/London")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``privbill argv...`` in-process: (status, stdout, stderr)."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    assert err == ""  # no progress bar, no warning
    return json.loads(out)


def assert_one_line_error(status: int, err: str, error: str) -> None:
    assert status == 2
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"privbill: {error}: "), err


def solar_household(model: LoadModel) -> int:
    return next(n for n in range(100) if model.params(n).has_solar)


# --- the load model ---------------------------------------------------------------------------


def test_load_model_days_follow_the_clock() -> None:
    model = LoadModel(seed=5)
    spring = model.readings(0, date(2013, 3, 31), date(2013, 4, 1))
    autumn = model.readings(0, date(2013, 10, 27), date(2013, 10, 28))
    assert len(spring.span()) == 46
    assert len(autumn.span()) == 50
    # indices are exactly the local day's UTC intervals
    assert spring.span() == local_day_intervals(date(2013, 3, 31), "Europe/London")


def test_load_model_is_deterministic_per_day() -> None:
    a = LoadModel(seed=9).readings(3, date(2013, 10, 1), date(2013, 10, 8))
    b = LoadModel(seed=9).readings(3, date(2013, 10, 5), date(2013, 10, 6))
    assert a.restrict(b.span()) == b
    assert a != LoadModel(seed=10).readings(3, date(2013, 10, 1), date(2013, 10, 8))


def test_load_model_population() -> None:
    model = LoadModel(seed=2)
    period = period_intervals(date(2013, 10, 1), date(2013, 11, 1), "Europe/London")
    missing = present = 0
    solar = 0
    for n in range(40):
        r = model.readings(n, date(2013, 10, 1), date(2013, 11, 1))
        missing += len(r.missing(period))
        present += len(r)
        assert 4_000 * 31 < r.total() + r.total(channel=EXPORT) < 20_000 * 31
        if model.params(n).has_solar:
            solar += 1
            assert EXPORT in r.channels and r.total(channel=EXPORT) > 0
            # a missing reading is missing on both channels
            assert r.missing(period) == r.missing(period, EXPORT)
        else:
            assert r.channels == (IMPORT,)
    assert 0 < missing < 0.005 * (missing + present)  # about 0.2 %
    assert 2 <= solar <= 16  # about a fifth


def test_load_model_weekend_and_evening_shape() -> None:
    model = LoadModel(seed=4, missing_rate=0)
    evening = night = 0
    for n in range(10):
        r = model.readings(n, date(2013, 10, 1), date(2013, 10, 31))
        bands = classic_three_band().bands_of(r.span())
        for band, v in zip(bands, r.values(r.span()), strict=True):
            if band == "peak":
                evening += v or 0
            elif band == "low":
                night += v or 0
    # 3 evening hours use much more than 6 night hours
    assert evening > 1.5 * night


def test_dynamic_tariff_has_negative_prices() -> None:
    t = dynamic_tariff(date(2013, 10, 1), date(2013, 10, 2), seed=12)
    assert len(t.prices) == 48
    assert min(t.prices.values()) < 0 < max(t.prices.values())
    assert t == dynamic_tariff(date(2013, 10, 1), date(2013, 10, 2), seed=12)


# --- the subcommands, one party after another -----------------------------------------------


@pytest.fixture
def world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Keys, a solar household's October readings, committed batches, tariffs on file."""
    model = LoadModel(seed=1)
    n = solar_household(model)
    keys = run_json(capsys, "keygen", "--out", tmp_path / "keys")
    readings_doc = run_json(
        capsys, "readings", "synth", "--seed", 1, "--household", n, "--out",
        tmp_path / "readings.json",
    )
    commit = run_json(
        capsys, "meter", "commit", "--meter", tmp_path / "keys" / "meter.json",
        "--readings", tmp_path / "readings.json", "--out", tmp_path / "batches.cbor",
    )
    three = classic_three_band().to_dict()
    three["export_price"] = 410
    save_tariff(tariff_from_json(three), tmp_path / "three.json")
    save_tariff(
        dynamic_tariff(date(2013, 10, 1), date(2013, 11, 1), seed=3, export_price=410),
        tmp_path / "dynamic.json",
    )
    return {
        "dir": tmp_path,
        "keys": keys,
        "readings_doc": readings_doc,
        "commit": commit,
        "readings": model.readings(n, date(2013, 10, 1), date(2013, 11, 1)),
    }


def test_keygen_writes_three_files(world: dict[str, Any]) -> None:
    keys = world["keys"]
    assert set(keys["files"]) == {"meter", "meter.pub", "household"}
    meter = json.loads(Path(keys["files"]["meter"]).read_text())
    identity = json.loads(Path(keys["files"]["meter.pub"]).read_text())
    assert meter["format"] == "privbill-meter" and identity["format"] == "privbill-meter-identity"
    assert meter["meter_id"] == identity["meter_id"] == keys["meter_id"]
    assert "signing_key" not in identity and "commitment_secret" not in identity
    assert os.stat(keys["files"]["meter"]).st_mode & 0o077 == 0  # secret: owner only
    assert os.stat(keys["files"]["household"]).st_mode & 0o077 == 0


def test_readings_synth_matches_the_model(world: dict[str, Any]) -> None:
    doc, r = world["readings_doc"], world["readings"]
    assert doc["intervals"] == 1490  # October 2013 in London: one 50-interval day
    assert doc["import_wh"] == r.total() and doc["export_wh"] == r.total(channel=EXPORT)
    assert doc["missing"] == len(r.missing(OCTOBER.intervals()))


def test_meter_commit_one_batch_per_day_and_channel(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    commit, r = world["commit"], world["readings"]
    assert len(commit["batches"]) == 31 * 2
    assert commit["commitments"] == len(r) + len(r.channel(EXPORT))
    days = {b["first_index"]: b["count"] for b in commit["batches"] if b["channel"] == 0}
    assert sorted(days.values()).count(50) == 1 and sum(days.values()) == 1490
    assert [b["counter"] for b in commit["batches"] if b["channel"] == 1] == list(range(1, 32))
    # the file is a CBOR sequence of 62 COSE_Sign1 messages
    data = (world["dir"] / "batches.cbor").read_bytes()
    assert len(cli._split_batches(data, "x")) == 62
    # the meter's state was saved: nothing is committed twice
    again = run_json(
        capsys, "meter", "commit", "--meter", world["dir"] / "keys" / "meter.json",
        "--readings", world["dir"] / "readings.json", "--out", world["dir"] / "again.cbor",
    )
    assert again["batches"] == [] and not (world["dir"] / "again.cbor").exists()


def test_statements_ingest_verify_agree_with_direct_computation(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    d, r = world["dir"], world["readings"]
    ingest = run_json(
        capsys, "retailer", "ingest", "--store", d / "shop.sqlite", "--register",
        d / "keys" / "meter.pub.json", "--tariff", d / "three.json", d / "batches.cbor",
    )
    assert len(ingest["ingested"]) == ingest["batches_in_store"] == 62
    assert ingest["registered"][0]["tariff"] == "classic three-band"

    three = load_tariff(d / "three.json")
    dynamic = load_tariff(d / "dynamic.json")
    period = BillingPeriod(date(2013, 10, 1), date(2013, 11, 1), three.tz)
    iv = period.intervals()
    bands = run_json(
        capsys, "household", "statement", "--household", d / "keys" / "household.json",
        "--readings", d / "readings.json", "--tariff", d / "three.json", "--month", "2013-10",
        "--out", d / "bands.cbor", "--export-out", d / "export.cbor",
    )
    expected_totals = band_totals(three, r.channel(IMPORT), iv)
    assert bands["mode"] == "bands" and bands["disclosed"] == expected_totals
    assert bands["export_wh"] == r.total(iv, EXPORT)
    halves = [("2013-10-01", "2013-10-16"), ("2013-10-16", "2013-11-01")]
    expected_sums = []
    for k, (start, end) in enumerate(halves):
        amount = run_json(
            capsys, "household", "statement", "--household", d / "keys" / "household.json",
            "--readings", d / "readings.json", "--tariff", d / "dynamic.json", "--start",
            start, "--end", end, "--out", d / f"amount{k}.cbor",
        )
        half = BillingPeriod(date.fromisoformat(start), date.fromisoformat(end), dynamic.tz)
        expected_sums.append(weighted_sum(dynamic, r.channel(IMPORT), half.intervals()))
        assert amount["mode"] == "amount"
        assert amount["disclosed"] == {"amount": expected_sums[-1]}

    # bands with the export statement: one bill with an export credit
    verified = run_json(
        capsys, "retailer", "verify", "--store", d / "shop.sqlite", "--export",
        d / "export.cbor", d / "bands.cbor",
    )
    (bill,) = verified["verified"]
    assert bill["band_totals"] == expected_totals and bill["recorded"] == len(r.present(iv))
    direct = bill_from_band_totals(three, period, expected_totals, r.total(iv, EXPORT))
    assert bill["bill"] == direct.to_dict() == bands["bill"]
    assert bill["bill"]["lines"][-1]["kind"] == "export"

    # the customer moves to the dynamic tariff: the bands statement is no longer billable
    run_json(
        capsys, "retailer", "ingest", "--store", d / "shop.sqlite", "--register",
        d / "keys" / "meter.pub.json", "--tariff", d / "dynamic.json",
    )
    status, _, err = run(
        capsys, "retailer", "verify", "--store", d / "shop.sqlite", d / "bands.cbor"
    )
    assert_one_line_error(status, err, "TariffError")
    # two statements on a pool of two processes
    both = run_json(
        capsys, "retailer", "verify", "--store", d / "shop.sqlite", "--workers", "2",
        d / "amount0.cbor", d / "amount1.cbor",
    )
    assert both["refused"] == []
    for v, (start, end), expected in zip(both["verified"], halves, expected_sums, strict=True):
        half = BillingPeriod(date.fromisoformat(start), date.fromisoformat(end), dynamic.tz)
        assert v["mode"] == "amount" and v["weighted_sum"] == expected
        assert v["bill"] == bill_from_amount(dynamic, half, expected).to_dict()


def test_human_output(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d = world["dir"]
    status, out, err = run(
        capsys, "retailer", "ingest", "--store", d / "s.sqlite", "--register",
        d / "keys" / "meter.pub.json", "--tariff", "classic", d / "batches.cbor",
    )
    assert status == 0 and err == ""
    assert "contracted on classic three-band" in out and "62 batches" in out
    status, out, _ = run(
        capsys, "household", "statement", "--household", d / "keys" / "household.json",
        "--readings", d / "readings.json", "--tariff", "classic", "--month", "2013-10",
        "--out", d / "st.cbor",
    )
    assert status == 0 and "discloses 3 number(s)" in out and "your bill" in out
    status, out, _ = run(capsys, "retailer", "verify", "--store", d / "s.sqlite", d / "st.cbor")
    assert status == 0 and "verified" in out and "the retailer learned: low" in out


# --- error paths: status 2, one line ----------------------------------------------------------


def test_tampered_statement(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d = world["dir"]
    run_json(
        capsys, "retailer", "ingest", "--store", d / "s.sqlite", "--register",
        d / "keys" / "meter.pub.json", "--tariff", "classic", d / "batches.cbor",
    )
    run_json(
        capsys, "household", "statement", "--household", d / "keys" / "household.json",
        "--readings", d / "readings.json", "--tariff", "classic", "--month", "2013-10",
        "--out", d / "st.cbor",
    )
    st = Statement.decode((d / "st.cbor").read_bytes())
    values = list(st.values)
    values[2] = (values[2][0] + 1, values[2][1])  # one more Wh in the peak band
    forged = Statement(**{**st.__dict__, "values": tuple(values)})
    (d / "forged.cbor").write_bytes(forged.encode())
    status, out, err = run(
        capsys, "retailer", "verify", "--store", d / "s.sqlite", d / "forged.cbor"
    )
    assert_one_line_error(status, err, "OpeningError")
    assert "peak" in err and out == ""
    # among several statements, each failure gets its line and the good ones still print
    status, out, err = run(
        capsys, "retailer", "verify", "--store", d / "s.sqlite", d / "st.cbor", d / "forged.cbor"
    )
    assert status == 2 and "verified" in out and err.count("\n") == 1
    assert err.startswith(f"privbill: OpeningError: {d / 'forged.cbor'}: peak")


def test_replayed_batches_file(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d = world["dir"]
    args = ("retailer", "ingest", "--store", d / "s.sqlite", d / "batches.cbor")
    status, _, err = run(capsys, *args, "--register", d / "keys" / "meter.pub.json")
    assert status == 0, err
    status, _, err = run(capsys, *args)
    assert status == 2 and err.count("\n") == 1 and "batches.cbor, batch 1: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["retailer", "ingest", "--store", "{d}/s.sqlite", "{d}/batches.cbor"],
         "UnknownMeterError"),
        (["retailer", "verify", "--store", "{d}/s.sqlite", "{d}/nothing.cbor"], "FormatError"),
        (["retailer", "verify", "--store", "{d}/s.sqlite", "{d}/readings.json"], "FormatError"),
        (["retailer", "ingest", "--store", "{d}/s.sqlite", "{d}/readings.json"], "FormatError"),
        (["meter", "commit", "--meter", "{d}/keys/household.json", "--readings",
          "{d}/readings.json", "--out", "{d}/b.cbor"], "FormatError"),
        (["keygen", "--out", "{d}/keys"], "UsageError"),
        (["household", "statement", "--household", "{d}/keys/household.json", "--readings",
          "{d}/readings.json", "--tariff", "classic", "--month", "2013-10", "--out",
          "{d}/st.cbor", "--export-out", "{d}/ex.cbor"], "UsageError"),
        (["household", "statement", "--household", "{d}/keys/household.json", "--readings",
          "{d}/readings.json", "--tariff", "{d}/no-tariff.json", "--month", "2013-10",
          "--out", "{d}/st.cbor"], "FormatError"),
        (["household", "statement", "--household", "{d}/keys/household.json", "--readings",
          "{d}/readings.json", "--tariff", "classic", "--out", "{d}/st.cbor"], "UsageError"),
        (["household", "statement", "--household", "{d}/keys/household.json", "--readings",
          "{d}/readings.json", "--tariff", "{d}/dynamic.json", "--month", "2013-11",
          "--out", "{d}/st.cbor"], "TariffError"),
    ],
)
def test_errors_exit_2_with_one_line(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], argv: list[str], error: str
) -> None:
    d = world["dir"]
    status, out, err = run(capsys, *(a.format(d=d) for a in argv))
    assert_one_line_error(status, err, error)
    assert out == ""


def test_meter_without_contract(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d = world["dir"]
    run_json(
        capsys, "retailer", "ingest", "--store", d / "s.sqlite", "--register",
        d / "keys" / "meter.pub.json", d / "batches.cbor",
    )
    run_json(
        capsys, "household", "statement", "--household", d / "keys" / "household.json",
        "--readings", d / "readings.json", "--tariff", "classic", "--month", "2013-10",
        "--out", d / "st.cbor",
    )
    status, _, err = run(capsys, "retailer", "verify", "--store", d / "s.sqlite", d / "st.cbor")
    assert_one_line_error(status, err, "TariffError")
    assert "no contracted tariff" in err


def test_unopenable_household_file(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    d = world["dir"]
    doc = json.loads((d / "keys" / "household.json").read_text())
    doc["household_key"] = "11" * 32  # another key: the sealed secret does not open
    (d / "other.json").write_text(json.dumps(doc))
    status, _, err = run(
        capsys, "household", "statement", "--household", d / "other.json", "--readings",
        d / "readings.json", "--tariff", "classic", "--month", "2013-10", "--out", d / "s.cbor",
    )
    assert_one_line_error(status, err, "VerificationError")


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert cli.main(["demo", "--households", "0"]) == 2
    assert cli.main(["demo", "--month", "2013-13"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert cli.main(["--version"]) == 0
    assert cli.main(["meter", "commit", "--help"]) == 0


def test_progress_bar() -> None:
    import io

    stream = io.StringIO()
    with cli.Progress(4, "work", enabled=True, stream=stream) as bar:
        for _ in range(4):
            bar.advance()
    text = stream.getvalue()
    assert "work" in text and "4/4" in text and text.endswith("\r")
    silent = io.StringIO()
    with cli.Progress(4, "work", enabled=False, stream=silent) as bar:
        bar.advance(4)
    assert silent.getvalue() == ""


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["demo"], ["keygen"], ["readings", "synth"], ["meter", "commit"],
                    ["household", "statement"], ["retailer", "ingest"], ["retailer", "verify"],
                    ["settlement", "demo"]):
        assert cli.main([*command, "--help"]) == 0
        assert "--json" in capsys.readouterr().out


# --- the demo ---------------------------------------------------------------------------------


def test_demo_figures_agree_with_the_load_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(
        capsys, "demo", "--households", 4, "--out", tmp_path, "--no-plot", "--workers", 1
    )
    counts = doc["counts"]
    assert doc["households"] == 4 and doc["periods"][0]["start"] == "2013-10-01"
    assert counts["bills_verified"] == counts["bills_agreeing_with_household"] == 4
    assert counts["batches_rejected"] == counts["bills_refused"] == 0
    model = LoadModel(seed=1)
    three = load_tariff(tmp_path / "tariff-1-tou.json")
    dynamic = load_tariff(tmp_path / "tariff-2-dynamic.json")
    assert dynamic == dynamic_tariff(
        date(2013, 10, 1), date(2013, 11, 1), seed=1, standing_charge_per_day=2500,
        export_price=410, bill_unit="p",
    )
    iv = OCTOBER.intervals()
    hidden = learned = 0
    solar = [model.params(n).has_solar for n in range(4)]
    for n, row in enumerate(doc["bills"]):
        r = model.readings(n, date(2013, 10, 1), date(2013, 11, 1))
        assert row["intervals"] == 1490 and row["recorded"] == len(r.present(iv))
        if n % 2 == 0:
            assert row["retailer_saw"] == {"band_totals": band_totals(three, r.channel(0), iv)}
            learned += 3
        else:
            assert row["retailer_saw"] == {"weighted_sum": weighted_sum(dynamic, r.channel(0), iv)}
            learned += 1
        assert row["export_wh"] == (r.total(iv, EXPORT) if solar[n] else None)
        learned += solar[n]
        hidden += len(r.present(iv)) + len(r.present(iv, EXPORT))
        assert row["agrees"] and row["bill"] == row["household_bill"]
        assert row["bill"]["lines"][-1]["kind"] == ("export" if solar[n] else "standing")
    assert doc["retailer_learned"]["numbers"] == learned
    assert doc["retailer_did_not_learn"]["interval_values"] == hidden == counts["commitments"]
    assert counts["batches"] == 31 * (4 + sum(solar))
    assert set(doc["timings"]) >= {"meters commit and sign", "retailer ingests", "total"}


def test_demo_shows_the_network_operator_a_feeder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The feeder view: one day, half-hour by half-hour, sums that match the load model
    over the counted households, the last household out from 17:00 to 19:00."""
    doc = run_json(
        capsys, "demo", "--households", 6, "--days", 2, "--out", tmp_path, "--no-plot",
        "--workers", 1,
    )  # fmt: skip
    feeder = doc["feeder"]
    assert feeder["day"] == "2013-10-01" and feeder["households"] == 6
    assert feeder["drops_out"] == "hh06" and len(feeder["intervals"]) == 48
    model = LoadModel(seed=1)
    day = [model.readings(n, date(2013, 10, 1), date(2013, 10, 2)).channel(0) for n in range(6)]
    iv = list(local_day_intervals(date(2013, 10, 1), "Europe/London"))
    for k, row in enumerate(feeder["intervals"]):
        out = 34 <= k < 38
        assert row["verified"] and row["dropped"] == (["hh06"] if out else [])
        assert row["counted"] == (5 if out else 6)
        assert row["sum_wh"] == sum(day[n][iv[k]] for n in range(5 if out else 6))
    assert row["start"].startswith("2013-10-01T23:30") and row["start"].endswith("+01:00")
    # fewer households than the meters' threshold floor: no feeder
    doc = run_json(capsys, "demo", "--households", 4, "--days", 1, "--out", tmp_path,
                   "--no-plot", "--workers", 1)  # fmt: skip
    assert doc["feeder"] is None


def test_demo_human_output_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo", "--households", 2, "--days", 2, "--out", tmp_path)
    assert status == 0, err
    assert "what the retailer learned" in out and "what it did not learn" in out
    assert "hh01" in out and "hh02" in out and "one amount" in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in out
    else:
        assert (tmp_path / "demo-profile.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_without_matplotlib(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cli.importlib.import_module

    def no_matplotlib(name: str, package: str | None = None) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(cli.importlib, "import_module", no_matplotlib)
    doc = run_json(capsys, "demo", "--households", 2, "--days", 1, "--out", tmp_path)
    assert doc["png"] is None and "matplotlib is not installed" in doc["plot_note"]
    assert not (tmp_path / "demo-profile.png").exists()


def test_demo_with_a_pool_and_a_tariff_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(
        capsys, "demo", "--households", 3, "--out", tmp_path, "--no-plot",
        "--workers", 2, "--tariff", "classic", "--month", "2013-03",
    )
    assert doc["workers"] == 2 and doc["counts"]["bills_agreeing_with_household"] == 3
    assert all(row["mode"] == "bands" and row["intervals"] == 31 * 48 - 2 for row in doc["bills"])


def test_demo_as_a_subprocess(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "privbill", "demo", "--households", "3", "--days", "2", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["households"] == 3 and doc["counts"]["bills_agreeing_with_household"] == 3
    assert (tmp_path / "demo-out" / "retailer.sqlite").exists()


# --- the demo on real data ---------------------------------------------------------------------


def test_demo_on_sgsc_readings_with_lcl_dtou(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consumption = data_dir / "consumption" / "sgsc_48hh_2013Q2.csv"
    tariff_file = data_dir / "tariffs" / "lcl_dtou_2013_halfhourly.csv"
    # two complete households and one whose meter missed 20 half-hours in May
    customers = ["10006414", "10006486", "10017626"]
    doc = run_json(
        capsys, "demo", "--consumption", consumption, "--tariff", tariff_file, "--customers",
        ",".join(customers), "--month", "2013-05", "--out", tmp_path, "--no-plot",
    )
    counts = doc["counts"]
    assert doc["source"]["kind"] == "file" and doc["households"] == 3
    assert counts["bills_verified"] == counts["bills_agreeing_with_household"] == 3
    data = read_sgsc_csv(consumption)  # meter clock UTC+10
    tariff = load_lcl_dtou(tariff_file)
    period = BillingPeriod(date(2013, 5, 1), date(2013, 6, 1), tariff.tz)
    iv = period.intervals()
    assert len(iv) == 31 * 48
    gaps = 0
    for row, customer in zip(doc["bills"], customers, strict=True):
        r = data[customer]
        assert row["household"] == customer and row["mode"] == "bands"
        assert row["retailer_saw"] == {"band_totals": band_totals(tariff, r.channel(0), iv)}
        assert row["recorded"] == len(r.present(iv))  # gaps carried, never filled
        gaps += row["intervals"] - row["recorded"]
        assert row["bill"] == bill_from_band_totals(
            tariff, period, row["retailer_saw"]["band_totals"]
        ).to_dict()
    assert gaps == counts["missing_intervals"] == 20


def test_demo_on_sgsc_picks_whole_months(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consumption = data_dir / "consumption" / "sgsc_48hh_2013Q2.csv"
    doc = run_json(
        capsys, "demo", "--consumption", consumption, "--households", 1, "--out", tmp_path,
        "--no-plot", "--workers", 1,
    )
    # the data runs 2013-04-01 00:00 to 2013-06-30 23:30 UTC+10: in London that covers
    # April and May whole, but not June's last hours
    assert [p["start"] for p in doc["periods"]] == ["2013-04-01", "2013-05-01"]
    assert {row["tariff"] for row in doc["bills"]} == {"classic three-band"}


def test_batches_file_round_trip(world: dict[str, Any]) -> None:
    data = (world["dir"] / "batches.cbor").read_bytes()
    items = cli._split_batches(data, "x")
    assert b"".join(items) == data
    assert all(isinstance(cbor2.loads(i), cbor2.CBORTag) for i in items)
    with pytest.raises(FormatError, match="item 62 is not valid CBOR"):
        cli._split_batches(data[:-3], "x")
