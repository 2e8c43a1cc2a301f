"""The ``privbill`` command line: the demo, and one subcommand per party.

::

    privbill demo                        a month of 50 homes end to end (needs no files)
    privbill keygen --out DIR            a meter's keys and identity, and a paired household
    privbill readings synth              synthetic readings from privbill.loadmodel
    privbill meter commit                readings -> signed daily batches
    privbill household statement         readings + tariff -> a billing statement
    privbill retailer ingest             meter identities and batches -> the retailer's store
    privbill retailer verify             statements -> verified bills

Every subcommand takes ``--json`` (one JSON document on stdout and nothing else);
otherwise it prints for a person. Long runs draw a progress bar on stderr, only on a
terminal and never with ``--json`` or ``--quiet``.

Errors: a privbill error (:mod:`privbill.errors`), an unreadable file or a usage
error prints one line on stderr, ``privbill: <ErrorClass>: <message>``, and exits
with status 2; never a traceback. Success is status 0.

The files the subcommands pass between them (meter, identity, household, readings,
batches, statements, tariffs) are specified in docs/cli.md.

The subcommands ``privbill settlement ...`` and ``privbill consent ...`` will be
added through :data:`EXTENSIONS` (see "extension point" below).
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any, Final, cast

import cbor2

from privbill import __version__
from privbill.billing import (
    Bill,
    band_totals,
    bill_from_amount,
    bill_from_band_totals,
    weighted_sum,
)
from privbill.errors import FormatError, PrivbillError, RangeError
from privbill.household import Household
from privbill.intervals import (
    BillingPeriod,
    local_day_intervals,
    local_day_of,
    period_intervals,
    start_of,
    zone,
)
from privbill.keys import ALGORITHMS, CommitmentSecret, HouseholdKey, SigningKey, VerifyingKey
from privbill.loadmodel import LoadModel, dynamic_tariff
from privbill.meter import Meter, MeterIdentity
from privbill.readings import EXPORT, IMPORT, Readings, read_sgsc_csv
from privbill.retailer import Retailer, VerifiedBill
from privbill.statement import MODES, Mode, Statement
from privbill.tariffs import (
    Tariff,
    Unit,
    classic_three_band,
    load_lcl_dtou,
    load_tariff,
    save_tariff,
    tariff_from_json,
)
from privbill.wire import MAX_BATCH_SIZE, METER_ID_SIZE, ZERO_HASH

__all__ = ["EXTENSIONS", "Progress", "UsageError", "build_parser", "main"]

PROG: Final = "privbill"
FILE_VERSION: Final = 1
#: The ``format`` field of each JSON file the CLI writes (docs/cli.md).
FORMATS: Final = {
    "meter": "privbill-meter",
    "identity": "privbill-meter-identity",
    "household": "privbill-household",
    "readings": "privbill-readings",
}
#: Builtin tariff names accepted wherever a tariff file is.
BUILTIN_TARIFFS: Final = ("classic", "classic-three-band")


class UsageError(PrivbillError, ValueError):
    """The command line asks for something impossible (the CLI's own error)."""


# =====================================================================================
# output: JSON or text, and a progress bar
# =====================================================================================


def _out() -> IO[str]:
    return sys.stdout  # looked up at call time, so tests can capture it


def _say(text: str = "") -> None:
    print(text, file=_out())


def _emit_json(document: object) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False), file=_out())


class Progress:
    """A one-line progress bar on stderr; a no-op unless ``enabled``.

    >>> with Progress(3, "work", enabled=False) as bar:
    ...     bar.advance(3)
    """

    def __init__(
        self, total: int, label: str, *, enabled: bool, stream: IO[str] | None = None
    ) -> None:
        self.total = max(total, 0)
        self.label = label
        self.enabled = enabled and self.total > 0
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._start = time.perf_counter()
        self._drawn = 0.0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done."""
        self.done = min(self.done + n, self.total)
        self._draw(force=self.done == self.total)

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        width = 28
        filled = width * self.done // self.total
        bar = "#" * filled + "." * (width - filled)
        line = f"{self.label[:28]:<28} [{bar}] {self.done}/{self.total} {now - self._start:5.1f}s"
        self.stream.write("\r" + line[:79])
        self.stream.flush()


def _progress_enabled(args: argparse.Namespace) -> bool:
    if getattr(args, "json", False) or getattr(args, "quiet", False):
        return False
    return sys.stderr.isatty()


def _short(meter_id: bytes) -> str:
    return meter_id.hex()[:12]


def _kwh(wh: int) -> str:
    return f"{wh / 1000:,.1f}"


# =====================================================================================
# files (docs/cli.md)
# =====================================================================================


def _hex(value: object, name: str, where: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(r"(?:[0-9a-f]{2})*", value):
        raise FormatError(f"{where}: {name} must be lowercase hex")
    data = bytes.fromhex(value)
    if size is not None and len(data) != size:
        raise FormatError(f"{where}: {name} must be {size} bytes, got {len(data)}")
    return data


def _int_field(doc: Mapping[str, Any], name: str, where: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"{where}: {name} must be an integer")
    return value


def _read_json(path: str | Path, kind: str) -> dict[str, Any]:
    """A JSON file of the CLI's ``kind``, with its format and version checked."""
    try:
        doc = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMATS[kind]:
        raise FormatError(f"{path}: not a {FORMATS[kind]} file (its format field)")
    if doc.get("version") != FILE_VERSION:
        raise FormatError(f"{path}: unsupported version {doc.get('version')!r}")
    return doc


def _write_file(path: str | Path, data: bytes, *, secret: bool = False) -> None:
    """Write atomically (temporary file and rename); secrets readable by the owner only."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_json(path: str | Path, doc: Mapping[str, Any], *, secret: bool = False) -> None:
    _write_file(path, (json.dumps(doc, indent=2) + "\n").encode(), secret=secret)


# --- the meter file (secret) and its identity file (public) ------------------------


@dataclass
class _MeterFile:
    meter: Meter
    tz: str
    next_index: dict[int, int] = field(default_factory=dict)


def _meter_doc(mf: _MeterFile) -> dict[str, Any]:
    m = mf.meter
    channels = {}
    for ch, (counter, prev_hash) in m.chain_state().items():
        channels[str(ch)] = {
            "counter": counter,
            "prev_hash": prev_hash.hex(),
            "next_index": mf.next_index.get(ch),
        }
    return {
        "format": FORMATS["meter"],
        "version": FILE_VERSION,
        "meter_id": m.meter_id.hex(),
        "alg": m.signing_key.alg,
        "period": m.period,
        "tz": mf.tz,
        "signing_key": m.signing_key.to_bytes().hex(),
        "commitment_secret": m.secret.to_bytes().hex(),
        "channels": channels,
    }


def _load_meter(path: str | Path) -> _MeterFile:
    doc = _read_json(path, "meter")
    where = str(path)
    alg = doc.get("alg")
    if alg not in ALGORITHMS:
        raise FormatError(f"{where}: alg must be one of {ALGORITHMS}")
    tz = doc.get("tz")
    if not isinstance(tz, str):
        raise FormatError(f"{where}: tz must be an IANA time-zone name")
    zone(tz)
    meter = Meter(
        meter_id=_hex(doc.get("meter_id"), "meter_id", where, METER_ID_SIZE),
        signing_key=SigningKey.from_bytes(_hex(doc.get("signing_key"), "signing_key", where), alg),
        secret=CommitmentSecret.from_bytes(
            _hex(doc.get("commitment_secret"), "commitment_secret", where)
        ),
        period=_int_field(doc, "period", where),
    )
    mf = _MeterFile(meter, tz)
    channels = doc.get("channels", {})
    if not isinstance(channels, dict):
        raise FormatError(f"{where}: channels must be an object")
    for key, state in channels.items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(state, dict)):
            raise FormatError(f"{where}: channels must map channel numbers to objects")
        ch = int(key)
        try:
            meter.restore_chain(
                ch,
                _int_field(state, "counter", where),
                _hex(state.get("prev_hash"), "prev_hash", where, len(ZERO_HASH)),
            )
        except RangeError as exc:
            raise FormatError(f"{where}: channels[{key}]: {exc}") from None
        if state.get("next_index") is not None:
            mf.next_index[ch] = _int_field(state, "next_index", where)
    return mf


def _identity_doc(identity: MeterIdentity, period: int) -> dict[str, Any]:
    return {
        "format": FORMATS["identity"],
        "version": FILE_VERSION,
        "meter_id": identity.meter_id.hex(),
        "alg": identity.verifying_key.alg,
        "public_key": identity.verifying_key.to_bytes().hex(),
        "period": period,
    }


def _load_identity(path: str | Path) -> MeterIdentity:
    doc = _read_json(path, "identity")
    where = str(path)
    alg = doc.get("alg")
    if alg not in ALGORITHMS:
        raise FormatError(f"{where}: alg must be one of {ALGORITHMS}")
    key = VerifyingKey.from_bytes(_hex(doc.get("public_key"), "public_key", where), alg)
    return MeterIdentity(_hex(doc.get("meter_id"), "meter_id", where, METER_ID_SIZE), key)


# --- the household file (secret) ----------------------------------------------------


def _household_doc(meter_id: bytes, key: HouseholdKey, sealed: bytes) -> dict[str, Any]:
    return {
        "format": FORMATS["household"],
        "version": FILE_VERSION,
        "meter_id": meter_id.hex(),
        "household_key": key.to_bytes().hex(),
        "household_public_key": key.public_bytes.hex(),
        "sealed_secret": sealed.hex(),
    }


def _load_household(path: str | Path) -> Household:
    doc = _read_json(path, "household")
    where = str(path)
    key = HouseholdKey.from_bytes(_hex(doc.get("household_key"), "household_key", where, 32))
    return Household.pair(
        _hex(doc.get("meter_id"), "meter_id", where, METER_ID_SIZE),
        _hex(doc.get("sealed_secret"), "sealed_secret", where),
        key,
    )


# --- readings: privbill-readings JSON, or the SGSC CSV layout -----------------------


def _readings_doc(readings: Readings) -> dict[str, Any]:
    channels = []
    for ch in readings.channels:
        span = readings.span(ch)
        if len(span):
            channels.append(
                {"channel": ch, "first_index": span.start, "values": readings.values(span, ch)}
            )
    return {
        "format": FORMATS["readings"],
        "version": FILE_VERSION,
        "period": readings.period,
        "label": readings.meter_id,
        "channels": channels,
    }


def _readings_text(doc: Mapping[str, Any]) -> str:
    """JSON with one channel's values on one line: compact and still diffable."""
    head = {k: v for k, v in doc.items() if k != "channels"}
    lines = [json.dumps(head, indent=2)[:-2] + ',\n  "channels": [']
    rows = [f"    {json.dumps(c, separators=(', ', ': '))}" for c in doc["channels"]]
    lines.append(",\n".join(rows))
    lines.append("  ]\n}\n")
    return "\n".join(lines)


def _load_readings(path: str | Path, customer: str | None, csv_tz: str, period: int) -> Readings:
    """Readings from a privbill-readings JSON file or an SGSC-layout CSV file."""
    if str(path).lower().endswith(".csv"):
        by_customer = read_sgsc_csv(path, tz=csv_tz, period=period)
        if customer is not None:
            if customer not in by_customer:
                raise UsageError(f"{path}: no customer {customer!r}")
            return by_customer[customer]
        if len(by_customer) != 1:
            raise UsageError(
                f"{path} holds {len(by_customer)} customers: choose one with --customer"
            )
        return next(iter(by_customer.values()))
    doc = _read_json(path, "readings")
    where = str(path)
    file_period = _int_field(doc, "period", where)
    channels: dict[int, dict[int, int]] = {}
    items = doc.get("channels")
    if not isinstance(items, list):
        raise FormatError(f"{where}: channels must be a list")
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise FormatError(f"{where}: channels[{n}] must have a values list")
        ch = _int_field(item, "channel", where)
        first = _int_field(item, "first_index", where)
        series = channels.setdefault(ch, {})
        for k, v in enumerate(item["values"]):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int):
                raise FormatError(f"{where}: channels[{n}].values[{k}] must be an integer or null")
            series[first + k] = v
    label = doc.get("label")
    try:
        return Readings(
            channels, period=file_period, meter_id=label if isinstance(label, str) else None
        )
    except RangeError as exc:
        raise FormatError(f"{where}: {exc}") from None


# --- batches: a CBOR sequence of COSE_Sign1 messages -------------------------------


def _split_batches(data: bytes, where: str) -> list[bytes]:
    """The items of a CBOR sequence (RFC 8742), each returned as its exact bytes."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(stream)
    items: list[bytes] = []
    while stream.tell() < len(data):
        start = stream.tell()
        try:
            decoder.decode()
        except (cbor2.CBORDecodeError, ValueError, OverflowError, MemoryError) as exc:
            raise FormatError(f"{where}: item {len(items) + 1} is not valid CBOR: {exc}") from None
        end = stream.tell()
        if end - start > MAX_BATCH_SIZE:
            raise FormatError(f"{where}: item {len(items) + 1} is larger than any batch")
        items.append(data[start:end])
    return items


def _read_batches(path: str | Path) -> list[bytes]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _split_batches(data, str(path))


def _read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None


# --- tariffs ---------------------------------------------------------------------------


def load_tariff_spec(spec: str, tz: str = "Europe/London") -> Tariff:
    """A tariff from a command-line spec: a builtin name, a dToU CSV, or a tariff JSON.

    ``classic`` (or ``classic-three-band``) is :func:`privbill.tariffs.classic_three_band`
    in ``tz``; a ``.csv`` file is read by :func:`privbill.tariffs.load_lcl_dtou`; anything
    else is a tariff file (docs/tariffs.md).
    """
    if spec in BUILTIN_TARIFFS:
        return classic_three_band(tz=tz)
    if spec.lower().endswith(".csv"):
        return load_lcl_dtou(spec)
    return load_tariff(spec)


def _auto_mode(tariff: Tariff) -> Mode:
    """Bands mode when every band has a fixed price, else amount mode."""
    fixed = all(tariff.band_price(b) is not None for b in tariff.band_names)
    return "bands" if fixed else "amount"


def _tariff_label(tariff: Tariff) -> str:
    return tariff.name or tariff.kind


# --- periods -----------------------------------------------------------------------------

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _month(text: str) -> tuple[int, int]:
    m = _MONTH_RE.match(text)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month YYYY-MM")
    return int(m.group(1)), int(m.group(2))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must not be negative")
    return value


def _month_range(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, end


def _period_from_args(args: argparse.Namespace, tariff: Tariff) -> BillingPeriod:
    if args.month is not None:
        if args.start is not None or args.end is not None:
            raise UsageError("give --month or --start/--end, not both")
        start, end = _month_range(*args.month)
    elif args.start is not None and args.end is not None:
        start, end = args.start, args.end
    else:
        raise UsageError("give the billing period: --month YYYY-MM or --start and --end")
    return BillingPeriod(start, end, tariff.tz, tariff.period)


def _period_doc(period: BillingPeriod) -> dict[str, Any]:
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "tz": period.tz,
        "period": period.period,
    }


# =====================================================================================
# meters: readings -> one batch per local day
# =====================================================================================


def _day_series(
    values: Mapping[int, int], span: range, tz: str, period: int
) -> list[tuple[int, list[int | None]]]:
    """``(first_index, readings)`` per local day of ``tz`` over ``span``: one batch each.

    The first and last day are cut to ``span``; an interval without a reading is None
    (the meter did not record it), never filled in.
    """
    if not len(span):
        return []
    out: list[tuple[int, list[int | None]]] = []
    day = local_day_of(span.start, tz, period)
    last = local_day_of(span.stop - 1, tz, period)
    while day <= last:
        intervals = local_day_intervals(day, tz, period)
        lo, hi = max(intervals.start, span.start), min(intervals.stop, span.stop)
        if lo < hi:
            out.append((lo, [values.get(i) for i in range(lo, hi)]))
        day += timedelta(days=1)
    return out


# =====================================================================================
# subcommands
# =====================================================================================


def _cmd_keygen(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.json" for name in ("meter", "meter.pub", "household")}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not args.force:
        raise UsageError(f"{existing[0]} exists; use --force to replace it")
    meter_id = (
        None
        if args.meter_id is None
        else _hex(args.meter_id, "--meter-id", "--meter-id", METER_ID_SIZE)
    )
    zone(args.tz)
    meter = Meter.manufacture(meter_id=meter_id, alg=args.alg, period=args.period)
    key = HouseholdKey.generate()
    sealed = meter.pair(key.public_bytes)
    _write_json(paths["meter"], _meter_doc(_MeterFile(meter, args.tz)), secret=True)
    _write_json(paths["meter.pub"], _identity_doc(meter.identity, meter.period))
    _write_json(paths["household"], _household_doc(meter.meter_id, key, sealed), secret=True)
    public = meter.signing_key.verifying_key.to_bytes().hex()
    if args.json:
        _emit_json(
            {
                "meter_id": meter.meter_id.hex(),
                "alg": meter.signing_key.alg,
                "public_key": public,
                "period": meter.period,
                "tz": args.tz,
                "files": {k: str(v) for k, v in paths.items()},
            }
        )
        return 0
    _say(
        f"meter {meter.meter_id.hex()} ({meter.signing_key.alg}, {meter.period} s intervals,"
        f" days in {args.tz})"
    )
    _say(f"  {paths['meter']}: the meter's signing key and commitment secret (keep secret)")
    _say(f"  {paths['meter.pub']}: the meter's identity, for the retailer")
    _say(f"  {paths['household']}: the household's key and the commitment secret sealed to it")
    return 0


def _cmd_readings_synth(args: argparse.Namespace) -> int:
    start, end = _month_range(*args.month)
    if args.days is not None:
        end = start + timedelta(days=args.days)
    model = LoadModel(seed=args.seed, tz=args.tz)
    readings = model.readings(args.household, start, end)
    doc = _readings_doc(readings)
    _write_file(args.out, _readings_text(doc).encode())
    intervals = period_intervals(start, end, args.tz)
    summary = {
        "out": str(args.out),
        "label": readings.meter_id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "tz": args.tz,
        "intervals": len(intervals),
        "missing": len(readings.missing(intervals)),
        "import_wh": readings.total(channel=IMPORT),
        "export_wh": readings.total(channel=EXPORT) if EXPORT in readings.channels else None,
    }
    if args.json:
        _emit_json(summary)
        return 0
    _say(
        f"{args.out}: household {args.household} of load model seed {args.seed},"
        f" {start} to {end} ({args.tz}), {len(intervals)} intervals"
    )
    _say(
        f"  import {_kwh(summary['import_wh'])} kWh, {summary['missing']} not recorded"
        + (f", export {_kwh(summary['export_wh'])} kWh" if summary["export_wh"] is not None else "")
    )
    return 0


def _cmd_meter_commit(args: argparse.Namespace) -> int:
    mf = _load_meter(args.meter)
    meter = mf.meter
    readings = _load_readings(args.readings, args.customer, args.csv_tz, meter.period)
    if readings.period != meter.period:
        raise UsageError(
            f"readings are {readings.period} s intervals, the meter's {meter.period} s"
        )
    lo_limit = hi_limit = None
    if args.start is not None:
        lo_limit = local_day_intervals(args.start, mf.tz, meter.period).start
    if args.end is not None:
        hi_limit = local_day_intervals(args.end, mf.tz, meter.period).start
    plan: list[tuple[int, int, list[int | None]]] = []
    for ch in readings.channels:
        span = readings.span(ch)
        lo = max(span.start, mf.next_index.get(ch, span.start), lo_limit or span.start)
        hi = min(span.stop, hi_limit if hi_limit is not None else span.stop)
        for first, values in _day_series(
            readings.channel(ch), range(lo, max(lo, hi)), mf.tz, meter.period
        ):
            plan.append((ch, first, values))
    encoded: list[bytes] = []
    rows: list[dict[str, Any]] = []
    with Progress(len(plan), "meter: commit and sign", enabled=_progress_enabled(args)) as bar:
        for ch, first, values in plan:
            batch = meter.commit(first, values, channel=ch)
            encoded.append(batch.encoded)
            p = batch.payload
            rows.append(
                {
                    "channel": ch,
                    "counter": p.counter,
                    "first_index": p.first_index,
                    "count": p.count,
                    "recorded": len(p.present_indices()),
                }
            )
            mf.next_index[ch] = max(mf.next_index.get(ch, 0), p.last_index + 1)
            bar.advance()
    if encoded:
        if args.append and Path(args.out).exists():
            _write_file(args.out, _read_bytes(args.out) + b"".join(encoded))
        else:
            _write_file(args.out, b"".join(encoded))
        _write_json(args.meter, _meter_doc(mf), secret=True)
    commitments = sum(r["recorded"] for r in rows)
    if args.json:
        _emit_json(
            {
                "meter_id": meter.meter_id.hex(),
                "out": str(args.out),
                "batches": rows,
                "commitments": commitments,
                "not_recorded": sum(r["count"] - r["recorded"] for r in rows),
            }
        )
        return 0
    if not rows:
        upto = ", ".join(
            f"channel {ch} up to {local_day_of(i - 1, mf.tz, meter.period)}"
            for ch, i in sorted(mf.next_index.items())
        )
        _say(f"meter {_short(meter.meter_id)}: nothing new to commit ({upto or 'no readings'})")
        return 0
    counters = [r["counter"] for r in rows]
    channels = sorted({r["channel"] for r in rows})
    _say(
        f"meter {_short(meter.meter_id)}: {len(rows)} signed daily batches on channel(s)"
        f" {', '.join(map(str, channels))} (counters {min(counters)}..{max(counters)}),"
        f" {commitments} commitments,"
        f" {sum(r['count'] for r in rows) - commitments} intervals not recorded"
    )
    _say(
        f"  wrote {args.out}{' (appended)' if args.append else ''}; meter state saved to"
        f" {args.meter}"
    )
    return 0


def _bill_lines(bill: Bill) -> list[str]:
    return ["  " + line for line in bill.format().splitlines()]


def _household_bill(
    tariff: Tariff, period: BillingPeriod, readings: Readings, mode: Mode, export: bool
) -> Bill:
    """The bill the household computes from its own readings (the retailer must agree)."""
    intervals = period.intervals()
    imports = readings.channel(IMPORT)
    export_wh = readings.total(intervals, EXPORT) if export else None
    if mode == "bands":
        totals = band_totals(tariff, imports, intervals)
        return bill_from_band_totals(tariff, period, totals, export_wh)
    return bill_from_amount(tariff, period, weighted_sum(tariff, imports, intervals), export_wh)


def _cmd_household_statement(args: argparse.Namespace) -> int:
    home = _load_household(args.household)
    tariff = load_tariff_spec(args.tariff, args.tz)
    readings = _load_readings(args.readings, args.customer, args.csv_tz, tariff.period)
    for ch in readings.channels:
        home.load(readings.channel(ch), channel=ch)
    period = _period_from_args(args, tariff)
    mode: Mode = args.mode or _auto_mode(tariff)
    if args.export_out is not None and EXPORT not in readings.channels:
        raise UsageError(f"{args.readings} has no export channel (channel {EXPORT})")
    if args.export_out is not None and tariff.export_price is None:
        raise UsageError(f"tariff {_tariff_label(tariff)!r} has no export price: no export bill")
    statement = home.statement(period, tariff, mode)
    export_statement = None
    if args.export_out is not None:
        export_statement = home.statement(period, tariff, "total", channel=EXPORT)
    bill = _household_bill(tariff, period, readings, mode, export_statement is not None)
    _write_file(args.out, statement.encode())
    if export_statement is not None:
        _write_file(args.export_out, export_statement.encode())
    intervals = len(period.intervals())
    recorded = len(statement.present_positions(intervals))
    names = tariff.band_names if mode == "bands" else (mode,)
    disclosed = {n: v for n, (v, _) in zip(names, statement.values, strict=True)}
    if args.json:
        _emit_json(
            {
                "out": str(args.out),
                "export_out": None if export_statement is None else str(args.export_out),
                "meter_id": home.meter_id.hex(),
                "tariff": _tariff_label(tariff),
                "period": _period_doc(period),
                "mode": mode,
                "intervals": intervals,
                "recorded": recorded,
                "disclosed": disclosed,
                "export_wh": None if export_statement is None else export_statement.values[0][0],
                "bill": bill.to_dict(),
            }
        )
        return 0
    _say(
        f"statement for meter {_short(home.meter_id)}, {period.start} to {period.end}"
        f" ({period.tz}), {_tariff_label(tariff)}, {mode} mode"
    )
    _say(
        f"  covers {recorded} of {intervals} intervals"
        + (
            f" ({intervals - recorded} not recorded by the meter: carried, not filled)"
            if recorded < intervals
            else ""
        )
    )
    shown = ", ".join(f"{n} {v:,}" for n, v in disclosed.items())
    unit = "Wh" if mode == "bands" else f"{tariff.unit} x Wh/kWh"
    _say(f"  discloses {len(disclosed)} number(s) with their openings: {shown} ({unit})")
    _say(f"  wrote {args.out} ({len(statement.encode())} bytes)")
    if export_statement is not None:
        _say(f"  export: {export_statement.values[0][0]:,} Wh, wrote {args.export_out}")
    _say("your bill (the retailer computes the same from what it verifies):")
    for line in _bill_lines(bill):
        _say(line)
    return 0


def _located(exc: PrivbillError, where: str) -> PrivbillError:
    """The same kind of error, its message prefixed with where it happened."""
    try:
        return type(exc)(f"{where}: {exc}")
    except TypeError:  # pragma: no cover - every privbill error takes one message
        return PrivbillError(f"{where}: {exc}")


def _cmd_retailer_ingest(args: argparse.Namespace) -> int:
    batches = [
        (str(path), n, b)
        for path in args.batches
        for n, b in enumerate(_read_batches(path), start=1)
    ]
    registered: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    with Retailer(args.store, durable=not args.fast) as retailer:
        tariff = load_tariff_spec(args.tariff, args.tz) if args.tariff else None
        if tariff is not None and not args.register:
            retailer.add_tariff(tariff)  # statements may name it; no meter is bound to it
        for path in args.register:
            identity = _load_identity(path)
            retailer.register_meter(identity, tariff)
            registered.append(
                {
                    "meter_id": identity.meter_id.hex(),
                    "alg": identity.verifying_key.alg,
                    "tariff": None if tariff is None else _tariff_label(tariff),
                }
            )
        with Progress(len(batches), "retailer: ingest", enabled=_progress_enabled(args)) as bar:
            for path, n, blob in batches:
                try:
                    r = retailer.ingest(blob)
                except PrivbillError as exc:
                    raise _located(exc, f"{path}, batch {n}") from None
                receipts.append(
                    {
                        "file": path,
                        "item": n,
                        "meter_id": r.meter_id.hex(),
                        "channel": r.channel,
                        "counter": r.counter,
                        "first_index": r.first_index,
                        "count": r.count,
                        "recorded": r.recorded,
                    }
                )
                bar.advance()
        stored = retailer.batch_count()
    if args.json:
        _emit_json(
            {
                "store": str(args.store),
                "registered": registered,
                "ingested": receipts,
                "batches_in_store": stored,
            }
        )
        return 0
    for reg in registered:
        _say(
            f"registered meter {reg['meter_id']} ({reg['alg']})"
            + (
                f", contracted on {reg['tariff']}"
                if reg["tariff"]
                else ": no contracted tariff yet (its bills verify once it has one: --tariff)"
            )
        )
    by_meter: dict[str, list[dict[str, Any]]] = {}
    for rec in receipts:
        by_meter.setdefault(rec["meter_id"], []).append(rec)
    for mid, recs in by_meter.items():
        counters = [r["counter"] for r in recs]
        _say(
            f"ingested {len(recs)} batches of meter {mid[:12]} (counters {min(counters)}.."
            f"{max(counters)}): {sum(r['recorded'] for r in recs)} commitments, signatures,"
            " counters and hash chain checked"
        )
    _say(f"store {args.store}: {stored} batches")
    return 0


def _verified_doc(v: VerifiedBill) -> dict[str, Any]:
    return {
        "meter_id": v.meter_id.hex(),
        "channel": v.channel,
        "period": _period_doc(v.period),
        "mode": v.mode,
        "intervals": v.intervals,
        "recorded": v.recorded,
        "band_totals": v.band_totals,
        "weighted_sum": v.weighted_sum,
        "total_wh": v.total_wh,
        "bill": None if v.bill is None else v.bill.to_dict(),
    }


def _learned(v: VerifiedBill, unit: str) -> str:
    if v.band_totals is not None:
        return ", ".join(f"{b} {wh:,} Wh" for b, wh in v.band_totals.items())
    if v.weighted_sum is not None:
        return f"one amount, {v.weighted_sum:,} ({unit} x Wh/kWh)"
    return f"a total of {v.total_wh:,} Wh"


def _cmd_retailer_verify(args: argparse.Namespace) -> int:
    if args.export is not None and len(args.statements) != 1:
        raise UsageError("--export goes with exactly one statement")
    blobs = [_read_bytes(p) for p in args.statements]
    results: list[VerifiedBill | PrivbillError]
    with Retailer(args.store) as retailer:
        if args.export is not None:
            try:
                results = [retailer.verify(blobs[0], export=_read_bytes(args.export))]
            except PrivbillError as exc:
                results = [exc]
        elif args.workers > 1 and len(blobs) > 1:
            with ProcessPoolExecutor(args.workers) as pool:
                chunk = max(1, math.ceil(len(blobs) / (4 * args.workers)))
                results = retailer.verify_many(blobs, pool, chunk_size=chunk)
        else:
            results = retailer.verify_many(blobs)
    failures = [
        (p, r)
        for p, r in zip(args.statements, results, strict=True)
        if isinstance(r, PrivbillError)
    ]
    if args.json:
        _emit_json(
            {
                "verified": [
                    dict(_verified_doc(r), file=str(p))
                    for p, r in zip(args.statements, results, strict=True)
                    if isinstance(r, VerifiedBill)
                ],
                "refused": [
                    {"file": str(p), "error": type(r).__name__, "reason": str(r)}
                    for p, r in failures
                ],
            }
        )
    else:
        for p, r in zip(args.statements, results, strict=True):
            if isinstance(r, PrivbillError):
                continue
            _say(
                f"{p}: verified: meter {_short(r.meter_id)}, {r.period.start} to"
                f" {r.period.end} ({r.period.tz}), {r.mode} mode, {r.recorded} of"
                f" {r.intervals} intervals recorded"
            )
            _say(f"  the retailer learned: {_learned(r, r.bill.unit if r.bill else 'unit')}")
            if r.bill is not None:
                for line in _bill_lines(r.bill):
                    _say(line)
    if len(failures) == 1 and len(results) == 1:
        raise failures[0][1]
    for p, r in failures:
        _error_line(_located(r, str(p)))
    return 2 if failures else 0


# =====================================================================================
# the demo
# =====================================================================================


@dataclass
class _DemoHome:
    label: str
    readings: Readings
    tariff: Tariff
    mode: Mode
    meter_tz: str
    periods: list[BillingPeriod]
    span: range  # the intervals the meter was in service
    key: HouseholdKey = field(default_factory=HouseholdKey.generate, repr=False)
    meter_id: bytes = b""
    household: Household | None = None
    export: bool = False


@dataclass(frozen=True)
class _MeterJob:
    """What a simulated meter needs: its id, the household to pair with, its days."""

    meter_id: bytes
    household_public: bytes
    period: int
    days: tuple[tuple[int, int, tuple[int | None, ...]], ...]  # (channel, first, values)


@dataclass(frozen=True)
class _MeterOut:
    meter_id: bytes
    alg: str
    public_key: bytes
    sealed_secret: bytes
    batches: tuple[bytes, ...]
    commitments: int


def _run_meter(job: _MeterJob) -> _MeterOut:
    """One meter's life: manufacture (fresh keys), pair, commit and sign every day.

    Runs in a worker process when the demo uses a pool: like a real meter, it hands
    out only its identity, the sealed secret and signed batches.
    """
    meter = Meter.manufacture(meter_id=job.meter_id, period=job.period)
    sealed = meter.pair(job.household_public)
    batches: list[bytes] = []
    commitments = 0
    for channel, first, values in job.days:
        batch = meter.commit(first, values, channel=channel)
        batches.append(batch.encoded)
        commitments += sum(v is not None for v in values)
    vk = meter.signing_key.verifying_key
    return _MeterOut(meter.meter_id, vk.alg, vk.to_bytes(), sealed, tuple(batches), commitments)


def _demo_tariffs(args: argparse.Namespace, start: date, end: date) -> list[Tariff]:
    """``--tariff``, or the demo's pair: the classic three-band tariff and a dynamic one.

    Both builtin tariffs get the standing charge and export price of the options, and
    round bill lines to whole pence.
    """
    if args.tariff is not None:
        return [load_tariff_spec(args.tariff, args.tz)]
    three = classic_three_band(tz=args.tz, standing_charge_per_day=args.standing_charge)
    doc = three.to_dict()
    doc.update(export_price=args.export_price, bill_unit="p")
    dynamic = dynamic_tariff(
        start,
        end,
        seed=args.seed,
        tz=args.tz,
        standing_charge_per_day=args.standing_charge,
        export_price=args.export_price,
        bill_unit="p",
    )
    return [tariff_from_json(doc), dynamic]


def _whole_months(span: range, tz: str, period: int = 1800) -> list[tuple[int, int]]:
    """The calendar months of ``tz`` whose every interval lies in ``span``."""
    if not len(span):
        return []
    first = local_day_of(span.start, tz, period)
    last = local_day_of(span.stop - 1, tz, period)
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        start, end = _month_range(y, m)
        r = period_intervals(start, end, tz, period)
        if span.start <= r.start and r.stop <= span.stop:
            out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _demo_periods(
    months: Sequence[tuple[int, int]], days: int | None, tariff: Tariff
) -> list[BillingPeriod]:
    periods = []
    for y, m in months:
        start, end = _month_range(y, m)
        if days is not None:
            end = start + timedelta(days=days)
        periods.append(BillingPeriod(start, end, tariff.tz, tariff.period))
    return periods


def _months_span(months: Sequence[tuple[int, int]], days: int | None) -> tuple[date, date]:
    """First and last-plus-one local day over the billing periods."""
    starts = [_month_range(y, m)[0] for y, m in months]
    ends = [
        s + timedelta(days=days) if days is not None else _month_range(s.year, s.month)[1]
        for s in starts
    ]
    return min(starts), max(ends)


def _demo_setup(args: argparse.Namespace) -> tuple[list[_DemoHome], dict[str, Any]]:
    """The homes of the demo, from the load model or from a consumption file."""
    if args.consumption is None:
        months = args.month or [(2013, 10)]
        first, last = _months_span(months, args.days)
        tariffs = _demo_tariffs(args, first, last)
        model = LoadModel(seed=args.seed, tz=args.tz)
        span = period_intervals(first, last, args.tz)
        homes = []
        for n in range(args.households):
            tariff = tariffs[n % len(tariffs)]
            homes.append(
                _DemoHome(
                    label=f"hh{n + 1:02d}",
                    readings=model.readings(n, first, last),
                    tariff=tariff,
                    mode=args.mode or _auto_mode(tariff),
                    meter_tz=args.tz,
                    periods=_demo_periods(months, args.days, tariff),
                    span=span,
                )
            )
        source = {
            "kind": "synthetic",
            "load_model": {"seed": args.seed, "tz": args.tz},
            "description": f"the load model (seed {args.seed})",
        }
        return homes, source

    data = read_sgsc_csv(args.consumption, tz=args.meter_tz)
    if args.customers:
        customers = [c.strip() for c in args.customers.split(",") if c.strip()]
        unknown = [c for c in customers if c not in data]
        if unknown:
            raise UsageError(f"{args.consumption}: no customer {unknown[0]!r}")
    else:
        customers = list(data)[: args.households]
    if not customers:
        raise UsageError(f"{args.consumption}: no customers")
    spans = [data[c].span() for c in customers]
    union = range(min(s.start for s in spans), max(s.stop for s in spans))
    tz = load_tariff_spec(args.tariff, args.tz).tz if args.tariff else args.tz
    months = args.month or _whole_months(union, tz)
    if not months:
        raise UsageError(
            f"{args.consumption} covers no whole month in {tz}: choose one with --month"
        )
    first, last = _months_span(months, args.days)
    tariffs = _demo_tariffs(args, first, last)
    homes = []
    for n, customer in enumerate(customers):
        tariff = tariffs[n % len(tariffs)]
        periods = _demo_periods(months, args.days, tariff)
        homes.append(
            _DemoHome(
                label=customer,
                readings=data[customer],
                tariff=tariff,
                mode=args.mode or _auto_mode(tariff),
                meter_tz=args.meter_tz,
                periods=periods,
                span=_in_service(spans[n], periods, args.meter_tz),
            )
        )
    source = {
        "kind": "file",
        "consumption": str(args.consumption),
        "meter_tz": args.meter_tz,
        "description": f"{Path(args.consumption).name} (meter clock {args.meter_tz})",
    }
    return homes, source


def _in_service(span: range, periods: Sequence[BillingPeriod], meter_tz: str) -> range:
    """What the demo's meter commits of its data: the meter days the billing touches."""
    first = min(p.intervals().start for p in periods)
    last = max(p.intervals().stop for p in periods) - 1
    period = periods[0].period
    lo = local_day_intervals(local_day_of(first, meter_tz, period), meter_tz, period).start
    hi = local_day_intervals(local_day_of(last, meter_tz, period), meter_tz, period).stop
    lo, hi = max(lo, span.start), min(hi, span.stop)
    return range(lo, max(lo, hi))


def _meter_job(home: _DemoHome, meter_id: bytes) -> _MeterJob:
    """One batch per local day of the meter's clock over its time in service, per channel."""
    r = home.readings
    days: list[tuple[int, int, tuple[int | None, ...]]] = []
    for ch in r.channels:
        for first, values in _day_series(r.channel(ch), home.span, home.meter_tz, r.period):
            days.append((ch, first, tuple(values)))
    return _MeterJob(meter_id, home.key.public_bytes, r.period, tuple(days))


@dataclass
class _Phase:
    name: str
    seconds: float = 0.0
    note: str = ""


@contextmanager
def _timed(phases: list[_Phase], name: str) -> Iterator[_Phase]:
    phase = _Phase(name)
    start = time.perf_counter()
    try:
        yield phase
    finally:
        phase.seconds = time.perf_counter() - start
        phases.append(phase)


def _reset_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _map(
    executor: Executor | None,
    fn: Callable[[_MeterJob], _MeterOut],
    jobs: Sequence[_MeterJob],
    bar: Progress,
) -> list[_MeterOut]:
    if executor is None:
        results = []
        for job in jobs:
            results.append(fn(job))
            bar.advance()
        return results
    futures = {executor.submit(fn, job): k for k, job in enumerate(jobs)}
    done: dict[int, _MeterOut] = {}
    for f in as_completed(futures):
        done[futures[f]] = f.result()
        bar.advance()
    return [done[k] for k in range(len(jobs))]


#: Fewest statements the demo verifies on its pool unless --workers is given.
_POOL_MIN_STATEMENTS: Final = 200


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.days is not None and args.days > 366:
        raise UsageError("--days is at most 366")
    wall = time.perf_counter()
    progress = _progress_enabled(args)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    phases: list[_Phase] = []

    with _timed(phases, "inputs") as phase:
        homes, source = _demo_setup(args)
        n_intervals = sum(len(p.intervals()) for h in homes for p in h.periods)
        phase.name = "load model" if source["kind"] == "synthetic" else "read consumption file"
        phase.note = f"{len(homes)} households, {n_intervals:,} billed intervals"
    for h in homes:
        h.export = EXPORT in h.readings.channels and h.tariff.export_price is not None
    tariffs: list[Tariff] = []
    for h in homes:
        if h.tariff not in tariffs:
            tariffs.append(h.tariff)
    for k, t in enumerate(tariffs):
        save_tariff(t, out_dir / f"tariff-{k + 1}-{t.kind}.json")

    workers = args.workers if args.workers is not None else min(2, os.cpu_count() or 1)
    pool: ProcessPoolExecutor | None = ProcessPoolExecutor(workers) if workers > 1 else None
    retailer: Retailer | None = None
    try:
        # --- meters ------------------------------------------------------------------
        with _timed(phases, "meters commit and sign") as phase:
            jobs = [_meter_job(h, _demo_meter_id(args.seed, n)) for n, h in enumerate(homes)]
            with Progress(len(jobs), "meters: commit and sign", enabled=progress) as bar:
                outs = _map(pool, _run_meter, jobs, bar)
            n_batches = sum(len(o.batches) for o in outs)
            n_commitments = sum(o.commitments for o in outs)
            phase.note = (
                f"{n_batches:,} daily batches, {n_commitments:,} commitments"
                f" ({f'{workers} processes' if pool else 'serial'})"
            )

        # --- the retailer ingests -----------------------------------------------------
        store = out_dir / "retailer.sqlite"
        _reset_store(store)
        retailer = Retailer(store, durable=args.durable)
        rejected: list[str] = []
        with _timed(phases, "retailer ingests") as phase:
            for h, o in zip(homes, outs, strict=True):
                h.meter_id = o.meter_id
                key = VerifyingKey.from_bytes(o.public_key, cast(Any, o.alg))
                retailer.register_meter(MeterIdentity(o.meter_id, key), h.tariff)
            with Progress(n_batches, "retailer: ingest", enabled=progress) as bar:
                for o in outs:
                    for blob in o.batches:
                        try:
                            retailer.ingest(blob)
                        except PrivbillError as exc:
                            rejected.append(f"{type(exc).__name__}: {exc}")
                        bar.advance()
            phase.note = (
                f"{n_batches - len(rejected):,} accepted, {len(rejected)} rejected; store {store}"
            )

        # --- households ------------------------------------------------------------------
        with _timed(phases, "households make statements") as phase:
            jobs_st: list[tuple[_DemoHome, BillingPeriod, bytes, bytes | None, Bill]] = []
            skipped: list[tuple[str, BillingPeriod]] = []
            n_statements = 0
            with Progress(len(homes), "households: statements", enabled=progress) as bar:
                for h, o in zip(homes, outs, strict=True):
                    home = Household.pair(h.meter_id, o.sealed_secret, h.key)
                    for ch in h.readings.channels:
                        home.load(h.readings.channel(ch), channel=ch)
                    h.household = home
                    for p in h.periods:
                        if not h.readings.present(p.intervals()):
                            skipped.append((h.label, p))  # no meter data in this period
                            continue
                        st = home.statement(p, h.tariff, h.mode).encode()
                        ex = (
                            home.statement(p, h.tariff, "total", channel=EXPORT).encode()
                            if h.export
                            else None
                        )
                        n_statements += 1 + (ex is not None)
                        own = _household_bill(h.tariff, p, h.readings, h.mode, h.export)
                        jobs_st.append((h, p, st, ex, own))
                    bar.advance()
            phase.note = f"{n_statements} statements"

        # --- the retailer verifies --------------------------------------------------------
        with _timed(phases, "retailer verifies") as phase:
            plain = [k for k, j in enumerate(jobs_st) if j[3] is None]
            paired = [k for k, j in enumerate(jobs_st) if j[3] is not None]
            results: dict[int, VerifiedBill | PrivbillError] = {}
            # Verifying one customer-month takes a few ms: below a few hundred statements a
            # pool costs more than it saves, so by default it is used only from there up.
            use_pool = pool is not None and len(plain) >= (
                2 if args.workers is not None else _POOL_MIN_STATEMENTS
            )
            if plain:
                blobs = [jobs_st[k][2] for k in plain]
                chunk = max(1, math.ceil(len(blobs) / (4 * workers)))
                verified = retailer.verify_many(blobs, pool if use_pool else None, chunk_size=chunk)
                results.update(zip(plain, verified, strict=True))
            for k in paired:
                _, _, st_blob, ex_blob, _ = jobs_st[k]
                try:
                    results[k] = retailer.verify(st_blob, export=ex_blob)
                except PrivbillError as exc:
                    results[k] = exc
            refused = [r for r in results.values() if isinstance(r, PrivbillError)]
            how = f"verify_many on {workers} processes" if use_pool else "serial"
            phase.note = (
                f"{len(results) - len(refused)} bills verified, {len(refused)}"
                f" refused ({how}{'; with export: verify()' if paired else ''})"
            )
    finally:
        if retailer is not None:
            retailer.close()
        if pool is not None:
            pool.shutdown()

    # --- what each side knows ---------------------------------------------------------
    rows = []
    for k, (h, p, st_bytes, ex_bytes, own) in enumerate(jobs_st):
        r = results[k]
        statement = Statement.decode(st_bytes)
        row: dict[str, Any] = {
            "household": h.label,
            "meter_id": h.meter_id.hex(),
            "tariff": _tariff_label(h.tariff),
            "mode": h.mode,
            "period": _period_doc(p),
            "intervals": len(p.intervals()),
            "recorded": len(statement.present_positions(len(p.intervals()))),
            "household_bill": own.to_dict(),
        }
        if isinstance(r, PrivbillError):
            row.update(verified=False, error=f"{type(r).__name__}: {r}")
        else:
            assert r.bill is not None
            row.update(
                verified=True,
                retailer_saw=(
                    {"band_totals": r.band_totals}
                    if r.band_totals is not None
                    else {"weighted_sum": r.weighted_sum}
                ),
                export_wh=(r.bill.line("export").quantity_wh if ex_bytes is not None else None),
                bill=r.bill.to_dict(),
                agrees=r.bill.to_dict() == own.to_dict(),
            )
        rows.append(row)

    learned_numbers = sum(
        (len(r["retailer_saw"].get("band_totals") or {}) or 1) + (r["export_wh"] is not None)
        for r in rows
        if r["verified"]
    )
    hidden = 0
    for h, p, *_ in jobs_st:
        iv = p.intervals()
        hidden += sum(len(h.readings.present(iv, ch)) for ch in h.readings.channels)
    missing = sum(len(h.readings.missing(p.intervals())) for h, p, *_ in jobs_st)
    periods = sorted({(p.start, p.end, p.tz) for h in homes for p in h.periods})

    png: str | None = None
    plot_note = None
    if not args.no_plot:
        with _timed(phases, "figure") as phase:
            png, plot_note = _demo_plot(out_dir / "demo-profile.png", jobs_st, results)
            phase.note = png or (plot_note or "")
    with _timed(phases, "network operator: a feeder's day") as phase:
        feeder = _feeder_view(homes, args.seed)
        phase.note = (
            f"{feeder['households']} households, {len(feeder['intervals'])} half-hours"
            if feeder
            else "skipped"
        )
    total = time.perf_counter() - wall
    agree = sum(1 for r in rows if r.get("agrees"))
    counts: dict[str, Any] = {
        "batches": n_batches,
        "batches_rejected": len(rejected),
        "commitments": n_commitments,
        "statements": n_statements,
        "bills_verified": sum(1 for r in rows if r["verified"]),
        "bills_refused": sum(1 for r in rows if not r["verified"]),
        "bills_agreeing_with_household": agree,
        "missing_intervals": missing,
        "skipped_no_data": [{"household": lbl, "period": _period_doc(p)} for lbl, p in skipped],
    }
    document: dict[str, Any] = {
        "source": source,
        "households": len(homes),
        "periods": [
            {"start": s.isoformat(), "end": e.isoformat(), "tz": tz} for s, e, tz in periods
        ],
        "tariffs": [
            {
                "name": _tariff_label(t),
                "kind": t.kind,
                "unit": t.unit,
                "mode": args.mode or _auto_mode(t),
            }
            for t in tariffs
        ],
        "counts": counts,
        "retailer_learned": {"numbers": learned_numbers},
        "retailer_did_not_learn": {"interval_values": hidden},
        "timings": {ph.name: round(ph.seconds, 3) for ph in phases} | {"total": round(total, 3)},
        "workers": workers,
        "store": str(store),
        "png": png,
        "plot_note": plot_note,
        "rejections": rejected,
        "bills": rows,
        "feeder": feeder,
    }
    if args.json:
        _emit_json(document)
    else:
        _print_demo(document, homes, phases, total)
    failed = rejected or any(not r["verified"] or not r.get("agrees") for r in rows)
    if failed:
        raise PrivbillError(
            f"demo: {len(rejected)} batches rejected, {counts['bills_refused']} bills"
            f" refused, {len(rows) - agree} bills disagree with the household's own"
        )
    return 0


#: Households on the demo's feeder, and the evening half-hours its last one drops out.
_FEEDER_SIZE: Final = 12
_FEEDER_DROPOUT: Final = range(34, 38)  # 17:00 to 19:00 on a 48-interval day


def _feeder_view(homes: Sequence[_DemoHome], seed: int) -> dict[str, Any] | None:
    """The network operator's view of one feeder on the first billed day: the sum
    of up to 12 households' readings per half-hour, each checked against their
    commitments (privbill.settlement, masking backend), with the last household
    dropping out in the evening. None if too few households have the whole day."""
    from privbill.settlement import MIN_THRESHOLD
    from privbill.settlement_cli import GroupSpec, meter_id_of, simulate_group

    p = homes[0].periods[0]
    day = p.days()[0]
    iv = list(p.day_intervals(day))
    readings: dict[str, dict[int, int]] = {}
    for h in homes:
        values = dict(h.readings.channel(IMPORT))
        if all(i in values for i in iv):
            readings[h.label] = {i: values[i] for i in iv}
        if len(readings) == _FEEDER_SIZE:
            break
    if len(readings) < MIN_THRESHOLD:
        return None
    leaver = list(readings)[-1]
    for k in _FEEDER_DROPOUT:
        if k < len(iv):
            del readings[leaver][iv[k]]  # no report: the meter is offline
    results = simulate_group(GroupSpec("demo-feeder", readings, iv, seed=seed))
    label = {meter_id_of(c): c for c in readings}
    z = p.zoneinfo
    return {
        "day": day.isoformat(),
        "tz": p.tz,
        "households": len(readings),
        "drops_out": leaver,
        "intervals": [
            {
                "start": r.start.astimezone(z).isoformat(),
                "sum_wh": r.sum_wh,
                "counted": len(r.households),
                "dropped": [label[m] for m in r.dropped],
                "verified": r.verified,
            }
            for r in results
        ],
    }


def _print_feeder(feeder: Mapping[str, Any]) -> None:
    _say(
        f"network operator: one feeder of {feeder['households']} households on"
        f" {feeder['day']} ({feeder['tz']}), the sum of each half-hour, checked against the"
        f" meters' commitments; {feeder['drops_out']} drops out 17:00-19:00"
    )
    rows = feeder["intervals"]
    cols = 4
    height = math.ceil(len(rows) / cols)
    for i in range(height):
        cells = []
        for r in rows[i::height]:
            mark = "*" if r["dropped"] else " "
            cells.append(f"{r['start'][11:16]} {r['sum_wh']:>7,} Wh {r['counted']:>2}{mark}")
        _say("  " + "   ".join(cells))
    _say("  (Wh summed over the counted households; * one household not counted)")


def _demo_meter_id(seed: int, n: int) -> bytes:
    return f"pb{seed % 10**6:06d}{n:08d}".encode()[:METER_ID_SIZE].ljust(METER_ID_SIZE, b"\0")


def _money(amount: int, unit: str) -> str:
    """``amount`` of ``unit`` in the currency's major unit, exactly, with as many decimals
    as the unit has (``p``: 2, ``0.01p``: 4).

    >>> _money(-123456, "0.01p"), _money(4550, "p")
    ('-£12.3456', '£45.50')
    """
    u = Unit.parse(unit)
    decimals = 0
    while (u.value * 10**decimals).denominator != 1 and decimals < 12:
        decimals += 1
    number, _, currency = u.format(amount).rpartition(" ")
    sign = "-" if number.startswith("-") else ""
    whole, _, frac = number.lstrip("-").partition(".")
    frac = frac.ljust(decimals, "0")
    symbol = {"GBP": "£", "EUR": "€"}.get(currency, currency + " ")
    return f"{sign}{symbol}{int(whole):,}" + (f".{frac}" if frac else "")


def _print_demo(
    doc: Mapping[str, Any], homes: Sequence[_DemoHome], phases: Sequence[_Phase], total: float
) -> None:
    src = doc["source"]
    periods = doc["periods"]
    per = ", ".join(f"{p['start']} to {p['end']}" for p in periods)
    tz = periods[0]["tz"] if periods else ""
    exporters = sum(1 for h in homes if h.export)
    _say(
        f"privbill demo: {doc['households']} households from {src['description']};"
        f" billing {per} ({tz}, end exclusive)"
    )
    counts = doc["counts"]
    odd_days = _odd_days(homes)
    _say("  tariffs: " + "; ".join(f"{t['name']} ({t['mode']} mode)" for t in doc["tariffs"]))
    notes = []
    if odd_days:
        notes.append(odd_days)
    if exporters:
        notes.append(f"{exporters} households export solar on channel 1")
    notes.append(
        f"{counts['missing_intervals']:,} billed half-hours have no reading (not recorded, or"
        " no meter yet): carried as gaps, never filled"
    )
    for note in notes:
        _say(f"  {note}")
    if counts["skipped_no_data"]:
        _say(
            "  not billed (no meter data in the period): "
            + ", ".join(
                f"{s['household']} {s['period']['start'][:7]}" for s in counts["skipped_no_data"]
            )
        )
    _say()
    _say(f"{'phase':<28}{'time':>8}   what")
    for ph in phases:
        _say(f"{ph.name:<28}{ph.seconds:>7.2f}s   {ph.note}")
    _say(f"{'total':<28}{total:>7.2f}s")
    _say()

    rows = doc["bills"]
    _say(
        f"bills, as the retailer verified them ({counts['bills_agreeing_with_household']} of"
        f" {len(rows)} identical to the household's own computation):"
    )
    _say(
        f"{'household':<10} {'month':<8} {'tariff':<10} {'the retailer saw: kWh per band,':<38}"
        f" {'export':>6} {'energy':>9} {'standing':>8} {'export':>8} {'total':>9}"
    )
    _say(f"{'':<31}{'or one amount':<38} {'kWh':>6}")
    for r in rows:
        month = r["period"]["start"][:7]
        if not r["verified"]:
            _say(f"{r['household']:<10} {month:<7} REFUSED: {r['error']}")
            continue
        bill = r["bill"]
        unit = bill["unit"]
        saw = r["retailer_saw"]
        if "band_totals" in saw:
            text = "  ".join(f"{b} {_kwh(wh)}" for b, wh in saw["band_totals"].items())
        else:
            text = f"one amount: {saw['weighted_sum']:,}"
        exported = "" if r["export_wh"] is None else _kwh(r["export_wh"])
        lines = bill["lines"]

        def amount(kind: str, lines: list[dict[str, Any]] = lines, unit: str = unit) -> str:
            found = [ln["amount"] for ln in lines if ln["kind"] == kind]
            return _money(sum(found), unit) if found else ""

        partial = "*" if _partial(r) else ""
        _say(
            f"{r['household']:<10} {month + partial:<8} {_tariff_short(r['tariff']):<10}"
            f" {text[:38]:<38} {exported:>6} {amount('energy'):>9} {amount('standing'):>8}"
            f" {amount('export'):>8} {_money(bill['total'], unit):>9}"
        )
    partial_bills = sum(1 for r in rows if _partial(r))
    if partial_bills:
        _say(
            f"  * {partial_bills} bills cover less than 99% of their period's half-hours (the"
            " meter missed them, or was installed"
        )
        _say("    or removed mid-month): billed on what was recorded, gaps carried, never filled")
    if any("weighted_sum" in r.get("retailer_saw", {}) for r in rows):
        _say(
            "  (one amount = sum over half-hours of price x Wh, in 0.01p x Wh/kWh: the energy"
            " charge, nothing else)"
        )
    _say()
    n_bands = sum(1 for r in rows if "band_totals" in r.get("retailer_saw", {}))
    n_amount = sum(1 for r in rows if "weighted_sum" in r.get("retailer_saw", {}))
    n_export = sum(1 for r in rows if r.get("export_wh") is not None)
    parts = []
    if n_bands:
        parts.append(f"{n_bands} sets of band totals")
    if n_amount:
        parts.append(f"{n_amount} single amounts")
    if n_export:
        parts.append(f"{n_export} export totals")
    _say(
        f"what the retailer learned: {', '.join(parts)}:"
        f" {doc['retailer_learned']['numbers']:,} numbers in all."
    )
    _say(
        f"what it did not learn: {doc['retailer_did_not_learn']['interval_values']:,}"
        " half-hourly values. It holds only their commitments, which hide them,"
    )
    _say("and it checked every number above against them.")
    _say(
        f"batches: {counts['batches']:,} signed ({counts['batches_rejected']} rejected);"
        f" statements: {counts['statements']:,}; store: {doc['store']}"
    )
    if doc["feeder"]:
        _print_feeder(doc["feeder"])
    if doc["png"]:
        _say(f"figure: {doc['png']}")
    elif doc["plot_note"]:
        _say(f"figure: {doc['plot_note']}")


def _partial(row: Mapping[str, Any]) -> bool:
    """Whether a bill row covers less than 99% of its period's intervals."""
    return bool(100 * row["recorded"] < 99 * row["intervals"])


def _tariff_short(name: str) -> str:
    """A column-sized tariff name."""
    if name == "classic three-band":
        return "three-band"
    if name.startswith("synthetic dynamic"):
        return "dynamic"
    if "dToU" in name:
        return "dToU"
    return name[:10]


def _odd_days(homes: Sequence[_DemoHome]) -> str:
    seen: dict[date, int] = {}
    for h in homes[:1]:
        for p in h.periods:
            for d in p.days():
                n = len(p.day_intervals(d))
                if n * p.period != 86400:
                    seen[d] = n
    if not seen:
        return ""
    return "clock change: " + ", ".join(f"{d} has {n} intervals" for d, n in sorted(seen.items()))


# --- the figure ----------------------------------------------------------------------------

_BAND_COLOURS: Final = ("#2a9d8f", "#457b9d", "#e76f51", "#e9c46a", "#8d99ae", "#6d597a")


def _demo_plot(
    path: Path,
    jobs: Sequence[tuple[_DemoHome, BillingPeriod, bytes, bytes | None, Bill]],
    results: Mapping[int, VerifiedBill | PrivbillError],
) -> tuple[str | None, str | None]:
    """One household's half-hourly profile beside what the retailer saw: a PNG.

    One row per mode present (a bands-mode and an amount-mode household). Returns
    (path, None), or (None, why) when matplotlib is not installed.
    """
    try:
        mpl = importlib.import_module("matplotlib")
        mpl.use("Agg")
        plt: Any = importlib.import_module("matplotlib.pyplot")
        mdates: Any = importlib.import_module("matplotlib.dates")
    except ImportError:
        return None, "matplotlib is not installed, so no PNG (pip install 'privbill[demo]')"
    chosen: list[int] = []
    for mode in ("bands", "amount"):
        candidates = [
            k
            for k, j in enumerate(jobs)
            if j[0].mode == mode and isinstance(results.get(k), VerifiedBill)
        ]
        if candidates:
            # prefer a household whose meter missed a few half-hours: the gaps show
            def few_gaps(k: int) -> bool:
                h, p = jobs[k][0], jobs[k][1]
                missing = len(h.readings.missing(p.intervals()))
                return (
                    0 < missing <= len(p.intervals()) // 20 and h.readings.total(p.intervals()) > 0
                )

            chosen.append(next((k for k in candidates if few_gaps(k)), candidates[0]))
    if not chosen:
        return None, "no verified bill to plot"
    heights = [1.0 if jobs[k][0].mode == "bands" else 1.3 for k in chosen]
    fig = plt.figure(figsize=(16, 4.6 * sum(heights)), dpi=100, layout="constrained")
    grid = fig.add_gridspec(len(chosen), 2, width_ratios=(3.2, 1), height_ratios=heights)
    for row, k in enumerate(chosen):
        h, period, _, ex_bytes, _ = jobs[k]
        verified = results[k]
        assert isinstance(verified, VerifiedBill) and verified.bill is not None
        if h.mode == "bands":
            ax, price_ax = fig.add_subplot(grid[row, 0]), None
        else:
            left = grid[row, 0].subgridspec(2, 1, height_ratios=(1, 2.4), hspace=0)
            price_ax = fig.add_subplot(left[0])
            ax = fig.add_subplot(left[1], sharex=price_ax)
        _plot_profile(ax, price_ax, mdates, h, period)
        _plot_seen(fig.add_subplot(grid[row, 1]), h, verified, ex_bytes is not None)
    fig.get_layout_engine().set(w_pad=0.25, h_pad=0.3, wspace=0.06)
    fig.suptitle(
        "privbill: each household keeps its half-hourly profile (left);"
        " the retailer sees only the numbers on the right, and verifies them",
        fontsize=13,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return str(path), None


def _plot_profile(
    ax: Any, price_ax: Any | None, mdates: Any, h: _DemoHome, period: BillingPeriod
) -> None:
    """The household's half-hourly import (and export, below zero) as step areas.

    Bands mode colours each half-hour by its band; amount mode draws the price above.
    """
    tz = zone(period.tz)
    intervals = period.intervals()
    edges = [start_of(i, period.period) for i in range(intervals.start, intervals.stop + 1)]
    values = h.readings.values(intervals, IMPORT)
    wh = [0 if v is None else v for v in values]
    tariff = h.tariff

    def area(ys: Sequence[float], **style: Any) -> None:
        ax.fill_between(edges, [*ys, ys[-1]], step="post", linewidth=0, **style)

    if h.mode == "bands":
        bands = tariff.band_indices(intervals)
        for b, name in enumerate(tariff.band_names):
            price = _pence(tariff.band_price(name) or 0, tariff.unit)
            area(
                [v if bb == b else 0 for v, bb in zip(wh, bands, strict=True)],
                color=_BAND_COLOURS[b % 6],
                label=f"{name} ({price}/kWh)",
            )
    else:
        area(wh, color="#6c757d", label="import")
    if h.export:
        ex = [-(v or 0) for v in h.readings.values(intervals, EXPORT)]
        area(ex, color="#f4a261", label="export (solar)")
        ax.axhline(0, color="black", linewidth=0.5)
    gaps = [edges[k] for k, v in enumerate(values) if v is None]
    if gaps:
        ax.plot(
            gaps,
            [0] * len(gaps),
            linestyle="none",
            marker="^",
            color="black",
            markersize=7,
            clip_on=False,
            label=f"not recorded ({len(gaps)}): a gap, never filled",
        )
    ax.set_xlim(edges[0], edges[-1])
    if period.num_days > 10:
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=0, tz=tz))
        ax.xaxis.set_minor_locator(mdates.DayLocator(tz=tz))
    else:
        ax.xaxis.set_major_locator(mdates.DayLocator(tz=tz))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=tz))
    ax.set_ylabel("Wh per half-hour")
    ax.grid(axis="y", linewidth=0.3, alpha=0.6)
    ax.grid(axis="x", which="major", linewidth=0.4, alpha=0.5)
    top = max(wh, default=1)
    ax.set_ylim(top=top * 1.3)
    ax.legend(loc="upper left", fontsize=8, ncol=5, framealpha=0.9)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    recorded = len(intervals) - len(gaps)
    last_day = period.end - timedelta(days=1)
    title = (
        f"household {h.label} ({_tariff_label(tariff)}): {recorded:,} half-hourly readings,"
        f" {period.start:%d %b} to {last_day:%d %b %Y} ({period.tz}), kept at home"
    )
    (price_ax if price_ax is not None else ax).set_title(title, fontsize=11, loc="left")
    if price_ax is not None:
        unit = Unit.parse(tariff.unit)
        pence = [float(p * unit.value * 100) for p in tariff.price_weights(intervals)]
        price_ax.step(
            edges,
            [*pence, pence[-1]],
            where="post",
            color="#d62828",
            linewidth=0.7,
            label="price, p/kWh",
        )
        price_ax.fill_between(
            edges,
            [*pence, pence[-1]],
            step="post",
            where=[p < 0 for p in [*pence, pence[-1]]],
            color="#d62828",
            alpha=0.25,
            linewidth=0,
            label="negative price",
        )
        price_ax.axhline(0, color="black", linewidth=0.5)
        price_ax.set_ylabel("price\np/kWh")
        price_ax.tick_params(axis="x", labelbottom=False)
        price_ax.grid(axis="y", linewidth=0.3, alpha=0.6)
        price_ax.grid(axis="x", which="major", linewidth=0.4, alpha=0.5)
        price_ax.legend(loc="upper left", fontsize=8, ncol=2, framealpha=0.9)
        price_ax.set_ylim(top=max(pence) * 1.45)
        for spine in ("top", "right"):
            price_ax.spines[spine].set_visible(False)


def _pence(price: int, unit: str) -> str:
    """A price per kWh in pence (or cents), exactly: ``500`` of ``0.01p`` is ``5p``."""
    u = Unit.parse(unit)
    minor = price * u.value * 100
    text = (
        f"{float(minor):g}"
        if minor.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100)
        else (str(minor))
    )
    return text + ("p" if u.currency == "GBP" else "c")


def _plot_seen(ax: Any, h: _DemoHome, v: VerifiedBill, export: bool) -> None:
    bill = v.bill
    assert bill is not None
    total = _money(bill.total, bill.unit)
    if v.band_totals is not None:
        names = list(v.band_totals)
        kwh = [v.band_totals[n] / 1000 for n in names]
        colours = [_BAND_COLOURS[k % 6] for k in range(len(names))]
        if export:
            names.append("export")
            kwh.append((bill.line("export").quantity_wh or 0) / 1000)
            colours.append("#f4a261")
        ax.barh(names, kwh, color=colours)
        ax.invert_yaxis()
        for y, value in enumerate(kwh):
            ax.text(value, y, f" {value:,.3f} kWh", va="center", ha="left", fontsize=9)
        ax.set_xlim(0, max(*kwh, 0.001) * 1.75)
        ax.set_xlabel("kWh")
        ax.set_title(
            f"the retailer saw {len(names)} numbers\n(band totals{', export' if export else ''})"
            f" and bills {total}",
            fontsize=11,
        )
    else:
        assert v.weighted_sum is not None
        ax.axis("off")
        lines = [
            "the retailer saw one number:",
            "",
            "sum over half-hours of price x energy",
            f"= {v.weighted_sum:,}",
            f"({h.tariff.unit} x Wh/kWh)",
        ]
        if export:
            lines += ["", f"and the export total, {bill.line('export').quantity_wh:,} Wh"]
        lines += ["", f"it bills {total}"]
        ax.text(
            0.5,
            0.5,
            "\n".join(lines),
            ha="center",
            va="center",
            fontsize=11,
            transform=ax.transAxes,
            wrap=True,
            bbox={"boxstyle": "round,pad=0.8", "facecolor": "#f1f3f5", "edgecolor": "#adb5bd"},
        )
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)


# =====================================================================================
# the parser, the extension point, main
# =====================================================================================

_SubParsers = Any  # argparse._SubParsersAction[argparse.ArgumentParser]

# ---- extension point ------------------------------------------------------------------
# `privbill settlement ...` and `privbill consent ...` are added here by their owners.
# Each entry maps a top-level command name to "module:function"; the module is
# imported only when the parser is built, and the function is called as
#     function(subparsers, common)
# where `subparsers` is the top-level subparsers object and `common` the parent parser
# holding --json and --quiet. It adds its parser(s) and sets `handler=` (a function
# argparse.Namespace -> exit status) with set_defaults; raising a PrivbillError from
# the handler gives the one-line error and exit status 2, like every other command.
EXTENSIONS: dict[str, str] = {
    "settlement": "privbill.settlement_cli:add_parser",
    "consent": "privbill.consent_cli:add_parser",
}
# ---------------------------------------------------------------------------------------


def _add_demo(sub: _SubParsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="a month of 50 homes end to end: meters, households, retailer",
        description="Simulate meters, households and a retailer over a billing month and "
        "print what each learned. Without --consumption it needs no files: readings come "
        "from the load model (privbill.loadmodel).",
    )
    p.add_argument(
        "--households",
        type=_positive,
        default=50,
        metavar="N",
        help="number of households (default 50)",
    )
    p.add_argument(
        "--month",
        type=_month,
        action="append",
        metavar="YYYY-MM",
        help="billing month; repeat for several (default 2013-10, or every whole"
        " month of the consumption file)",
    )
    p.add_argument(
        "--days",
        type=_positive,
        metavar="N",
        help="bill only the first N days of each month (quick runs)",
    )
    p.add_argument("--seed", type=int, default=1, help="load model and price seed (default 1)")
    p.add_argument(
        "--tz",
        default="Europe/London",
        help="time zone of the households and the builtin tariffs (default Europe/London)",
    )
    p.add_argument(
        "--consumption",
        metavar="FILE",
        help="real readings in the SGSC CSV layout instead of the load model",
    )
    p.add_argument(
        "--customers",
        metavar="ID,ID,...",
        help="with --consumption: these customers (default: the first --households)",
    )
    p.add_argument(
        "--meter-tz",
        default="Etc/GMT-10",
        help="clock of the consumption file's meters (default Etc/GMT-10, UTC+10)",
    )
    p.add_argument(
        "--tariff",
        metavar="FILE|classic",
        help="put every household on this tariff (a dToU CSV, a tariff JSON or"
        " 'classic'); default: half on the classic three-band tariff, half on a"
        " generated dynamic tariff",
    )
    p.add_argument(
        "--mode",
        choices=("bands", "amount"),
        help="disclosure mode (default: bands where the tariff has fixed band prices, else amount)",
    )
    p.add_argument(
        "--standing-charge",
        type=_non_negative,
        default=2500,
        metavar="N",
        help="standing charge of the builtin tariffs, 0.01p per day (default 2500)",
    )
    p.add_argument(
        "--export-price",
        type=_non_negative,
        default=410,
        metavar="N",
        help="export price of the builtin tariffs, 0.01p per kWh (default 410)",
    )
    p.add_argument(
        "--out",
        default="demo-out",
        metavar="DIR",
        help="where the store, the tariffs and the PNG go (default ./demo-out)",
    )
    p.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="processes for the meters and bulk verification (default: 2 if there are 2"
        " cores, and verification on them only from 200 statements up)",
    )
    p.add_argument(
        "--durable",
        action="store_true",
        help="fsync every ingest (the library default; the demo's store is"
        " scratch, so off by default)",
    )
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    p.set_defaults(handler=_cmd_demo)


def _add_keygen(sub: _SubParsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "keygen",
        parents=[common],
        help="a meter's keys and identity, and a paired household",
        description="Manufacture a meter (signing key, commitment secret) and pair a new "
        "household with it: writes DIR/meter.json (secret), DIR/meter.pub.json (for the "
        "retailer) and DIR/household.json (secret).",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the three files")
    p.add_argument(
        "--alg", choices=ALGORITHMS, default="ed25519", help="signature algorithm (default ed25519)"
    )
    p.add_argument("--meter-id", metavar="HEX", help="16-byte meter id (default: random)")
    p.add_argument(
        "--period",
        type=int,
        choices=(1800, 900),
        default=1800,
        help="interval length in seconds (default 1800)",
    )
    p.add_argument(
        "--tz",
        default="Europe/London",
        help="time zone of the meter's days: one batch per local day",
    )
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(handler=_cmd_keygen)


def _add_readings(sub: _SubParsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("readings", help="readings files")
    rsub = p.add_subparsers(dest="readings_command", metavar="COMMAND", required=True)
    s = rsub.add_parser(
        "synth",
        parents=[common],
        help="synthetic readings from the load model",
        description="Write one household's readings from privbill.loadmodel as a "
        "privbill-readings file.",
    )
    s.add_argument("--out", required=True, metavar="FILE")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--household", type=_non_negative, default=0, metavar="N")
    s.add_argument("--month", type=_month, default=(2013, 10), metavar="YYYY-MM")
    s.add_argument("--days", type=_positive, metavar="N", help="only the first N days")
    s.add_argument("--tz", default="Europe/London")
    s.set_defaults(handler=_cmd_readings_synth)


def _readings_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--readings",
        required=True,
        metavar="FILE",
        help="a privbill-readings JSON file or an SGSC-layout CSV",
    )
    p.add_argument("--customer", metavar="ID", help="the customer, for a CSV of several")
    p.add_argument(
        "--csv-tz", default="Etc/GMT-10", help="clock of the CSV timestamps (default Etc/GMT-10)"
    )


def _add_meter(sub: _SubParsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("meter", help="what the meter does")
    msub = p.add_subparsers(dest="meter_command", metavar="COMMAND", required=True)
    c = msub.add_parser(
        "commit",
        parents=[common],
        help="commit to readings and sign one batch per day",
        description="Commit to every reading not committed yet and sign one batch per local "
        "day (per channel); write them as a CBOR sequence and save the meter's counters.",
    )
    c.add_argument("--meter", required=True, metavar="FILE", help="the meter file (updated)")
    _readings_options(c)
    c.add_argument("--out", required=True, metavar="FILE", help="batches file to write")
    c.add_argument("--append", action="store_true", help="append to --out instead")
    c.add_argument("--start", type=_date, metavar="DATE", help="first local day to commit")
    c.add_argument("--end", type=_date, metavar="DATE", help="day after the last one")
    c.set_defaults(handler=_cmd_meter_commit)


def _period_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--month", type=_month, metavar="YYYY-MM", help="the billing month")
    p.add_argument("--start", type=_date, metavar="DATE", help="first day of the period")
    p.add_argument("--end", type=_date, metavar="DATE", help="day after the period")


def _add_household(sub: _SubParsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("household", help="what the household does")
    hsub = p.add_subparsers(dest="household_command", metavar="COMMAND", required=True)
    s = hsub.add_parser(
        "statement",
        parents=[common],
        help="make a billing statement",
        description="Open the meter's commitment secret, and disclose for a billing period "
        "only what the bill needs: the band totals, or only the amount.",
    )
    s.add_argument("--household", required=True, metavar="FILE", help="the household file")
    _readings_options(s)
    s.add_argument(
        "--tariff",
        required=True,
        metavar="FILE|classic",
        help="a tariff JSON, a dToU CSV or 'classic'",
    )
    s.add_argument("--tz", default="Europe/London", help="time zone of the builtin tariff")
    _period_options(s)
    s.add_argument(
        "--mode",
        choices=MODES[:2],
        help="bands or amount (default: bands if the tariff has band prices)",
    )
    s.add_argument("--out", required=True, metavar="FILE", help="the statement (CBOR)")
    s.add_argument("--export-out", metavar="FILE", help="also the export channel's total statement")
    s.set_defaults(handler=_cmd_household_statement)


def _add_retailer(sub: _SubParsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("retailer", help="what the retailer does")
    rsub = p.add_subparsers(dest="retailer_command", metavar="COMMAND", required=True)
    i = rsub.add_parser(
        "ingest",
        parents=[common],
        help="register meters, ingest signed batches",
        description="Register meter identities and ingest batches into the retailer's SQLite "
        "store. Stops at the first batch refused (earlier ones stay stored).",
    )
    i.add_argument("--store", required=True, metavar="FILE", help="the SQLite store")
    i.add_argument(
        "--register",
        action="append",
        default=[],
        metavar="FILE",
        help="a meter identity file (repeatable)",
    )
    i.add_argument(
        "--tariff",
        metavar="FILE|classic",
        help="the tariff the registered meters' customers are contracted on",
    )
    i.add_argument("--tz", default="Europe/London", help="time zone of the builtin tariff")
    i.add_argument("--fast", action="store_true", help="no fsync per batch")
    i.add_argument("batches", nargs="*", metavar="BATCHES", help="batches files")
    i.set_defaults(handler=_cmd_retailer_ingest)
    v = rsub.add_parser(
        "verify",
        parents=[common],
        help="verify statements and compute the bills",
        description="Verify statements against the stored commitments and compute the bills.",
    )
    v.add_argument("--store", required=True, metavar="FILE", help="the SQLite store")
    v.add_argument("--export", metavar="FILE", help="the export statement of the same period")
    v.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="verify on N processes (default 1)",
    )
    v.add_argument("statements", nargs="+", metavar="STATEMENT", help="statement files")
    v.set_defaults(handler=_cmd_retailer_verify)


_COMMANDS: Final[tuple[Callable[[_SubParsers, argparse.ArgumentParser], None], ...]] = (
    _add_demo,
    _add_keygen,
    _add_readings,
    _add_meter,
    _add_household,
    _add_retailer,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``privbill`` argument parser, with every registered subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine output: one JSON document")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Privacy-preserving smart-meter billing.",
        epilog="Files and formats: docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in _COMMANDS:
        add(sub, common)
    for name, target in EXTENSIONS.items():
        module, _, func = target.partition(":")
        getattr(importlib.import_module(module), func)(sub, common)
        if name not in sub.choices:  # pragma: no cover - a developer error
            raise RuntimeError(f"extension {target} did not add the command {name!r}")
    return parser


def _error_line(exc: BaseException) -> None:
    message = " ".join(str(exc).split()) or "failed"
    print(f"{PROG}: {type(exc).__name__}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``privbill`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (argparse printed them)
        return exc.code if isinstance(exc.code, int) else 2
    handler = cast(Callable[[argparse.Namespace], int], args.handler)
    try:
        return handler(args)
    except PrivbillError as exc:
        _error_line(exc)
        return 2
    except OSError as exc:
        _error_line(exc)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
