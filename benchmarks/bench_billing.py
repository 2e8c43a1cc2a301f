"""Billing end to end (issue 3): the meter's day, the retailer's ingest and
verification, one customer-month in CPU time, and bulk verification on a process pool.

- ``meter day``: 48 readings committed, the batch payload encoded and signed,
  through :meth:`privbill.meter.Meter.commit` (the C core's figure for the same job is
  in ``csrc/tests/bench.c``);
- ``retailer ingest``: one day's signed batch into a file-backed store, with
  ``durable=False`` and ``durable=True`` (fsync on every acknowledged batch), with and
  without decoding hints;
- ``retailer ingest_many``: a month's 31 batches in one call (signatures batch-verified,
  each checked before any write, one transaction), per batch;
- ``retailer verify``: one customer-month statement, bands mode (three-band
  tariff) and amount mode (dynamic prices);
- ``customer-month end to end``: 31 daily batches ingested (one by one, or with one
  ``ingest_many``) and the bill verified, in CPU time (``time.process_time``); the
  issue's goal is 5 ms;
- ``bulk verification``: N customer-months (1,000 by default, 10,000 with
  ``PRIVBILL_BENCH_FULL=1``, any number with ``PRIVBILL_BENCH_MONTHS=n``) verified in
  process, and with a process pool of 1 and 2 workers. The store is built once and
  cached under the system's temporary directory (``privbill-bench/``), keyed by the
  sources that define its format, so only the first run pays for it.
"""

from __future__ import annotations

import hashlib
import os
import random
import resource
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import privbill
from conftest import DAY, Tag
from privbill import pedersen
from privbill.errors import PrivbillError
from privbill.household import Household
from privbill.intervals import BillingPeriod
from privbill.keys import Alg, VerifyingKey
from privbill.meter import Meter, MeterIdentity
from privbill.pedersen import POINT_SIZE, decode_hints
from privbill.retailer import Retailer, VerifiedBill
from privbill.statement import Mode
from privbill.tariffs import DynamicTariff, Tariff, classic_three_band
from privbill.wire import SignedBatch

bench = pytest.mark.benchmark

TZ = "Europe/London"
#: May 2013: 31 days of 48 half-hours (no clock change), 1488 intervals.
PERIOD = BillingPeriod(date(2013, 5, 1), date(2013, 6, 1), TZ)
CUSTOMER_MONTH_MAX_CPU_S = 5e-3


def _three_band() -> Tariff:
    return classic_three_band(tz=TZ, standing_charge_per_day=4500)


def _dynamic() -> Tariff:
    first = PERIOD.intervals().start
    prices = [(i * 7919) % 4000 - 400 for i in range(len(PERIOD.intervals()))]
    return DynamicTariff.from_series(first, prices, unit="0.01p", tz=TZ)


def _readings(rng: random.Random, n: int) -> list[int | None]:
    return [rng.randrange(50, 1500) for _ in range(n)]


@dataclass
class CustomerMonth:
    """One meter's month: its identity, the 31 signed batches (with their hints) and
    the household's statement, encoded."""

    identity: MeterIdentity
    tariff: Tariff
    batches: list[bytes]
    hints: list[bytes]
    statement: bytes


def _customer_month(seed: int, tariff: Tariff, mode: Mode) -> CustomerMonth:
    rng = random.Random(seed)
    meter = Meter.manufacture(meter_id=hashlib.sha256(b"meter %d" % seed).digest()[:16])
    home = Household(meter.meter_id, meter.secret)
    batches: list[bytes] = []
    for day in PERIOD.days():
        intervals = PERIOD.day_intervals(day)
        values = _readings(rng, len(intervals))
        home.load({i: v for i, v in zip(intervals, values, strict=True) if v is not None})
        batches.append(meter.commit(intervals.start, values).encoded)
    hints = [decode_hints(SignedBatch.decode(b).payload.commitments) for b in batches]
    statement = home.statement(PERIOD, tariff, mode).encode()
    return CustomerMonth(meter.identity, tariff, batches, hints, statement)


def _store(path: Path, months: list[CustomerMonth], *, durable: bool = False) -> Retailer:
    retailer = Retailer(path, durable=durable)
    for m in months:
        retailer.register_meter(m.identity, m.tariff)
        for b, h in zip(m.batches, m.hints, strict=True):
            retailer.ingest(b, h)
    return retailer


# --- the meter's day ------------------------------------------------------------------------------


@bench(group="meter day (48 readings: commit + payload + sign)")
def test_meter_day_python(benchmark: Any, tag: Tag) -> None:
    tag("privbill Meter.commit", items=DAY)
    meter = Meter.manufacture()
    first = PERIOD.intervals().start
    values = _readings(random.Random(1), DAY)
    batch = benchmark(meter.commit, first, values)
    assert batch.payload.count == DAY


@bench(group="meter day (48 readings: commit + payload + sign)")
def test_meter_day_commit_only(benchmark: Any, tag: Tag) -> None:
    tag("privbill commit_batch only (one C call)", items=DAY)
    meter = Meter.manufacture()
    values = _readings(random.Random(1), DAY)
    out = benchmark(
        pedersen.commit_batch,
        meter.secret.to_bytes(),
        meter.meter_id,
        0,
        PERIOD.intervals().start,
        values,
    )
    assert len(out) == DAY


# --- the retailer's ingest ------------------------------------------------------------------------


INGEST_ROUNDS = 100
INGEST_WARMUP = 5


@dataclass
class Chain:
    identity: MeterIdentity
    batches: list[bytes]
    hints: list[bytes]


@pytest.fixture(scope="module")
def chain() -> Chain:
    """One meter's consecutive daily batches, enough for every round of an ingest run."""
    meter = Meter.manufacture()
    rng = random.Random(2)
    first = PERIOD.intervals().start
    batches = [
        meter.commit(first + DAY * d, _readings(rng, DAY)).encoded
        for d in range(INGEST_ROUNDS + INGEST_WARMUP)
    ]
    hints = [decode_hints(SignedBatch.decode(b).payload.commitments) for b in batches]
    return Chain(meter.identity, batches, hints)


@bench(group="retailer ingest (one day's batch, file store)")
@pytest.mark.parametrize("durable", [False, True], ids=["durable=False", "durable=True"])
@pytest.mark.parametrize("hints", [False, True], ids=["no-hints", "hints"])
def test_ingest(
    benchmark: Any, tag: Tag, tmp_path: Path, chain: Chain, durable: bool, hints: bool
) -> None:
    tag(f"privbill durable={durable}{' + hints' if hints else ''}", items=1)
    retailer = Retailer(tmp_path / "store.sqlite", durable=durable)
    retailer.register_meter(chain.identity)
    feed = iter(zip(chain.batches, chain.hints, strict=True))

    def setup() -> tuple[tuple[bytes, bytes | None], dict[str, Any]]:
        batch, h = next(feed)
        return (batch, h if hints else None), {}

    benchmark.pedantic(
        retailer.ingest, setup=setup, rounds=INGEST_ROUNDS, warmup_rounds=INGEST_WARMUP
    )
    assert retailer.batch_count() == INGEST_ROUNDS + INGEST_WARMUP
    retailer.close()


# --- verifying one customer-month -----------------------------------------------------------------


@pytest.fixture(scope="module")
def bands_month() -> CustomerMonth:
    return _customer_month(10, _three_band(), "bands")


@pytest.fixture(scope="module")
def amount_month() -> CustomerMonth:
    return _customer_month(11, _dynamic(), "amount")


@pytest.fixture(scope="module")
def month_store(
    tmp_path_factory: pytest.TempPathFactory,
    bands_month: CustomerMonth,
    amount_month: CustomerMonth,
) -> Iterator[Retailer]:
    path = tmp_path_factory.mktemp("verify") / "store.sqlite"
    retailer = _store(path, [bands_month, amount_month])
    yield retailer
    retailer.close()


@bench(group="retailer verify (one customer-month, 1488 intervals)")
def test_verify_bands(
    benchmark: Any, tag: Tag, month_store: Retailer, bands_month: CustomerMonth
) -> None:
    tag("privbill bands mode (3 bands)", items=1)
    bill = benchmark(month_store.verify, bands_month.statement)
    assert bill.recorded == len(PERIOD.intervals())


@bench(group="retailer verify (one customer-month, 1488 intervals)")
def test_verify_amount(
    benchmark: Any, tag: Tag, month_store: Retailer, amount_month: CustomerMonth
) -> None:
    tag("privbill amount mode (dynamic prices)", items=1)
    bill = benchmark(month_store.verify, amount_month.statement)
    assert bill.weighted_sum is not None


# --- one customer-month end to end, in CPU time ---------------------------------------------------


class _FreshStores:
    """A new file store per round (registered meter, nothing ingested), made in the
    round's setup so that creating it is not measured."""

    def __init__(self, directory: Path, month: CustomerMonth, durable: bool = True) -> None:
        self.directory, self.month, self.durable = directory, month, durable
        self.stores: list[Retailer] = []

    def setup(self) -> tuple[tuple[Retailer], dict[str, Any]]:
        path = self.directory / f"store-{len(self.stores)}.sqlite"
        retailer = Retailer(path, durable=self.durable)
        retailer.register_meter(self.month.identity, self.month.tariff)
        self.stores.append(retailer)
        return (retailer,), {}

    def close(self) -> None:
        for s in self.stores:
            s.close()


def _month_items(m: CustomerMonth, hints: bool) -> list[tuple[bytes, bytes | None]]:
    return [(b, h if hints else None) for b, h in zip(m.batches, m.hints, strict=True)]


@bench(group="retailer ingest_many (a month: 31 batches, one transaction)")
@pytest.mark.parametrize("durable", [False, True], ids=["durable=False", "durable=True"])
@pytest.mark.parametrize("hints", [False, True], ids=["no-hints", "hints"])
def test_ingest_many_month(
    benchmark: Any, tag: Tag, tmp_path: Path, bands_month: CustomerMonth, durable: bool, hints: bool
) -> None:
    tag(f"privbill durable={durable}{' + hints' if hints else ''}", items=PERIOD.num_days)
    fresh = _FreshStores(tmp_path, bands_month, durable)
    items = _month_items(bands_month, hints)

    def ingest(retailer: Retailer) -> None:
        bad = [r for r in retailer.ingest_many(items) if isinstance(r, PrivbillError)]
        assert not bad, bad[0]

    benchmark.pedantic(ingest, setup=fresh.setup, rounds=15, warmup_rounds=1)
    fresh.close()


# --- one customer-month end to end, in CPU time ---------------------------------------------------


@bench(group="customer-month end to end (31 ingests + verify), CPU time", timer=time.process_time)
@pytest.mark.parametrize("many", [False, True], ids=["ingest", "ingest_many"])
@pytest.mark.parametrize("hints", [False, True], ids=["no-hints", "hints"])
def test_customer_month_cpu(
    benchmark: Any, tag: Tag, tmp_path: Path, bands_month: CustomerMonth, hints: bool, many: bool
) -> None:
    """The retailer's CPU for one customer-month in a durable file store: 31 batches
    ingested one by one (31 transactions) or with one ingest_many, then the bill."""
    tag(
        f"privbill {'ingest_many' if many else '31 x ingest'}{' + hints' if hints else ''}",
        items=1,
        target_max_s=CUSTOMER_MONTH_MAX_CPU_S,
        timer="process_time",
    )
    m = bands_month
    fresh = _FreshStores(tmp_path, m)
    items = _month_items(m, hints)

    def customer_month(retailer: Retailer) -> VerifiedBill:
        if many:
            retailer.ingest_many(items)
        else:
            for b, h in items:
                retailer.ingest(b, h)
        return retailer.verify(m.statement)

    bill = benchmark.pedantic(customer_month, setup=fresh.setup, rounds=10, warmup_rounds=1)
    assert bill.recorded == len(PERIOD.intervals())
    fresh.close()


# --- bulk verification ----------------------------------------------------------------------------


def _bulk_months() -> int:
    if os.environ.get("PRIVBILL_BENCH_MONTHS"):
        return int(os.environ["PRIVBILL_BENCH_MONTHS"])
    return 10_000 if os.environ.get("PRIVBILL_BENCH_FULL") == "1" else 1_000


#: Bumped when the way the cached store is built changes.
_CACHE_VERSION = b"1"
#: The modules that define what a store and a statement are.
_FORMAT_SOURCES = (
    "retailer.py",
    "wire.py",
    "statement.py",
    "pedersen.py",
    "tariffs.py",
    "intervals.py",
    "keys.py",
    "meter.py",
    "household.py",
    "billing.py",
)


def _cache_dir(n: int) -> Path:
    key = hashlib.sha256(_CACHE_VERSION + b"/%d/%d/" % (n, POINT_SIZE))
    src = Path(privbill.__file__).parent
    for name in _FORMAT_SOURCES:
        key.update((src / name).read_bytes())
    return Path(tempfile.gettempdir()) / "privbill-bench" / f"bulk-{n}-{key.hexdigest()[:16]}"


def _make_customer(k: int) -> tuple[bytes, bytes, Alg, list[bytes], list[bytes], bytes]:
    """A worker's job: one customer-month, in picklable pieces. Every fourth customer
    is on the dynamic tariff (amount mode), the others on the three-band one."""
    dynamic = k % 4 == 3
    m = _customer_month(
        1_000_000 + k, _dynamic() if dynamic else _three_band(), "amount" if dynamic else "bands"
    )
    key = m.identity.verifying_key
    return m.identity.meter_id, key.to_bytes(), key.alg, m.batches, m.hints, m.statement


def _write_statements(path: Path, statements: list[bytes]) -> None:
    with path.open("wb") as f:
        for s in statements:
            f.write(struct.pack(">I", len(s)) + s)


def _read_statements(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        out.append(data[pos + 4 : pos + 4 + n])
        pos += 4 + n
    return out


def _build_bulk(target: Path, n: int) -> None:
    """Build the store of n customer-months in a scratch directory, then move it into
    place (a concurrent run either sees the finished cache or builds its own)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    tariffs = {False: _three_band(), True: _dynamic()}
    statements: list[bytes] = []
    started = time.perf_counter()
    with (
        Retailer(scratch / "store.sqlite", durable=False) as retailer,
        ProcessPoolExecutor(2) as pool,
    ):
        for k, (meter_id, pk, alg, batches, hints, statement) in enumerate(
            pool.map(_make_customer, range(n), chunksize=16)
        ):
            identity = MeterIdentity(meter_id, VerifyingKey.from_bytes(pk, alg))
            retailer.register_meter(identity, tariffs[k % 4 == 3])
            for b, h in zip(batches, hints, strict=True):
                retailer.ingest(b, h)
            statements.append(statement)
    _write_statements(scratch / "statements.bin", statements)
    print(f"\nbulk store: {n} customer-months built in {time.perf_counter() - started:.0f} s")
    try:
        scratch.rename(target)
    except OSError:  # another run finished first: use its store
        shutil.rmtree(scratch, ignore_errors=True)
    _prune(target)


def _prune(keep: Path) -> None:
    """Remove stores built from earlier versions of the sources (a few hundred MB each)
    once untouched for ten minutes, and builds abandoned for two hours; a store of the
    current sources stays, whatever its size."""
    now = time.time()
    for old in keep.parent.glob("bulk-*"):
        name, _, scratch = old.name.partition(".")
        try:
            n = int(name.split("-")[1])
            stale = bool(scratch) or _cache_dir(n).name != name
        except (IndexError, ValueError):
            continue
        age = now - old.stat().st_mtime
        if old.is_dir() and stale and age > (7200.0 if scratch else 600.0):
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class Bulk:
    path: Path
    statements: list[bytes]


@pytest.fixture(scope="session")
def bulk() -> Bulk:
    """N customer-months in a file store: built once, cached under the temp directory."""
    n = _bulk_months()
    target = _cache_dir(n)
    if not (target / "statements.bin").is_file():
        _build_bulk(target, n)
    statements = _read_statements(target / "statements.bin")
    assert len(statements) == n
    return Bulk(target / "store.sqlite", statements)


ROUNDS_BULK = 3


def _run_bulk(benchmark: Any, bulk: Bulk, executor: Executor | None) -> None:
    """Warm up (worker imports, their read-only stores), check every statement
    verifies, then time ROUNDS_BULK runs."""
    retailer = Retailer(bulk.path, readonly=True)

    def verify() -> list[VerifiedBill | PrivbillError]:
        return retailer.verify_many(bulk.statements, executor)

    results = verify()
    bad = [r for r in results if not isinstance(r, VerifiedBill)]
    assert not bad, f"{len(bad)} statements failed to verify, first: {bad[0]!r}"
    benchmark.pedantic(verify, rounds=ROUNDS_BULK)
    retailer.close()


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@bench(group="bulk verification (customer-months)")
def test_bulk_in_process(benchmark: Any, tag: Tag, bulk: Bulk) -> None:
    n = len(bulk.statements)
    tag("privbill in process (no executor)", items=n, workers=1)
    cpu = time.process_time()
    _run_bulk(benchmark, bulk, None)
    benchmark.extra_info["cpu_s_per_item"] = (time.process_time() - cpu) / (n * (ROUNDS_BULK + 1))


@bench(group="bulk verification (customer-months)")
@pytest.mark.parametrize("workers", [1, 2])
def test_bulk_pool(benchmark: Any, tag: Tag, bulk: Bulk, workers: int) -> None:
    """The workers' CPU time (read once they have exited) gives the cost per
    customer-month whatever else the machine runs; wall time gives the scaling."""
    n = len(bulk.statements)
    tag(f"privbill process pool, {workers} worker(s)", items=n, workers=workers)
    cpu = _children_cpu()
    with ProcessPoolExecutor(workers) as pool:
        _run_bulk(benchmark, bulk, pool)
    benchmark.extra_info["cpu_s_per_item"] = (_children_cpu() - cpu) / (n * (ROUNDS_BULK + 1))
