"""Retailer.verify_many: serially, on a process pool, and on a dask.distributed cluster.

A file-backed store (``tmp_path``) holds a week of daily batches for a dozen households,
Ed25519 and P-256 meters alike. Their statements (bands and amount mode, as bytes and as
Statement objects) are verified in bulk, with three bad ones among them: wrong totals, an
unknown meter and a truncated statement. What is checked:

- without an executor, each result is the VerifiedBill that ``verify`` returns, or the
  exception it raises, in input order (bulk verification does not stop at an error);
- with ``concurrent.futures.ProcessPoolExecutor(2)`` and with a dask LocalCluster of two
  worker processes (``client.get_executor()``), the results equal the serial ones,
  chunk boundaries falling anywhere;
- parallel verification refuses an in-memory store, whose workers could not open it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import missing
from privbill.errors import FormatError, OpeningError, PrivbillError, UnknownMeterError
from privbill.household import Household
from privbill.intervals import BillingPeriod
from privbill.meter import Meter
from privbill.retailer import Retailer, VerifiedBill
from privbill.statement import Statement
from privbill.tariffs import classic_three_band, tariff_from_json

TZ = "Europe/London"
PERIOD = BillingPeriod(date(2013, 4, 1), date(2013, 4, 8), TZ)
HOUSEHOLDS = 12
#: Positions of the bad statements in the input, and what each must yield.
BAD = {4: OpeningError, 7: UnknownMeterError, 9: FormatError}

Result = VerifiedBill | PrivbillError


@dataclasses.dataclass
class Bulk:
    path: Path
    statements: list[bytes | Statement]
    serial: list[Result]


def load(index: int, household: int) -> int:
    return 80 + (index * 31 + household * 977) % 420


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bulk]:
    """The store on disk, the statements, and the serial results."""
    path = tmp_path_factory.mktemp("bulk") / "retailer.sqlite"
    tariff = classic_three_band(tz=TZ, standing_charge_per_day=4500)
    statements: list[bytes | Statement] = []
    with Retailer(path) as retailer:
        for h in range(HOUSEHOLDS):
            meter = Meter.manufacture(alg="p256" if h % 3 == 2 else "ed25519")
            home = Household(meter.meter_id, meter.secret)
            retailer.register_meter(meter.identity, tariff)
            for day in PERIOD.days():
                intervals = PERIOD.day_intervals(day)
                values = [None if (i + h) % 29 == 0 else load(i, h) for i in intervals]
                home.load({i: v for i, v in zip(intervals, values, strict=True) if v})
                retailer.ingest(meter.commit(intervals.start, values).encoded)
            st = home.statement(PERIOD, tariff, "amount" if h % 2 else "bands")
            statements.append(st if h % 4 == 1 else st.encode())
        assert retailer.batch_count() == HOUSEHOLDS * PERIOD.num_days

        honest = Statement.decode(bytes(statements[4]))
        (value, opening), *rest = honest.values
        statements[4] = dataclasses.replace(honest, values=((value + 1, opening), *rest))
        stranger = Statement.decode(bytes(statements[7]))
        statements[7] = dataclasses.replace(stranger, meter_id=bytes(16)).encode()
        statements[9] = bytes(statements[9])[:-1]

        serial = retailer.verify_many(statements)
    yield Bulk(path, statements, serial)


def same(a: Sequence[Result], b: Sequence[Result]) -> None:
    """Equal results: equal VerifiedBills, errors of the same class and message."""
    assert len(a) == len(b)
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        if isinstance(x, VerifiedBill):
            assert x == y, f"result {k}"
        else:
            assert type(x) is type(y) and str(x) == str(y), f"result {k}: {x!r} != {y!r}"


def test_serial_results(bulk: Bulk) -> None:
    """Each result is what verify() gives for that statement, in input order."""
    with Retailer(bulk.path) as retailer:
        for k, (st, result) in enumerate(zip(bulk.statements, bulk.serial, strict=True)):
            if k in BAD:
                assert type(result) is BAD[k]
                with pytest.raises(BAD[k]):
                    retailer.verify(st)
            else:
                assert isinstance(result, VerifiedBill)
                assert result == retailer.verify(st)
                assert result.bill is not None
                assert result.recorded < result.intervals == 7 * 48
    assert sum(isinstance(r, VerifiedBill) for r in bulk.serial) == HOUSEHOLDS - len(BAD)


def test_in_memory_store_refuses_an_executor() -> None:
    with Retailer() as retailer, ProcessPoolExecutor(1) as pool:
        assert retailer.verify_many([]) == []
        with pytest.raises(PrivbillError, match="file-backed"):
            retailer.verify_many([b"\x80"], executor=pool)


@pytest.mark.parametrize("chunk_size", [1, 5, 256])
def test_process_pool(bulk: Bulk, chunk_size: int) -> None:
    with Retailer(bulk.path) as retailer, ProcessPoolExecutor(2) as pool:
        results = retailer.verify_many(iter(bulk.statements), pool, chunk_size=chunk_size)
    same(results, bulk.serial)


def _dask_client() -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        missing("dask.distributed is not installed (pip install 'privbill[dask]')")
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster  # type: ignore[no-untyped-call]


@pytest.mark.slow
def test_dask_local_cluster(bulk: Bulk) -> None:
    """Two dask worker processes through client.get_executor(). Starting the cluster
    takes several seconds, hence the slow mark."""
    started = time.perf_counter()
    client, cluster = _dask_client()
    try:
        executor: Executor = client.get_executor()
        with Retailer(bulk.path) as retailer:
            results = retailer.verify_many(bulk.statements, executor, chunk_size=3)
        same(results, bulk.serial)
        assert len(client.scheduler_info()["workers"]) == 2
    finally:
        client.close()
        cluster.close()
    print(f"dask verify_many with cluster start-up: {time.perf_counter() - started:.1f} s")


def test_import_and_export_pairs_in_bulk(tmp_path: Path) -> None:
    """An item may be (statement, export statement): verified as verify(st, export=...)."""
    path = tmp_path / "retailer.sqlite"
    three_band = classic_three_band(tz=TZ, standing_charge_per_day=4500)
    tariff = tariff_from_json({**three_band.to_dict(), "export_price": 500})
    week = BillingPeriod(date(2013, 4, 1), date(2013, 4, 3), TZ)
    items: list[Any] = []
    with Retailer(path) as retailer:
        for h in range(3):
            meter = Meter.manufacture()
            home = Household(meter.meter_id, meter.secret)
            retailer.register_meter(meter.identity, tariff)
            for day in week.days():
                intervals = week.day_intervals(day)
                for channel, scale in ((0, 1), (1, 3)):
                    values = [load(i, h) // scale for i in intervals]
                    home.load(dict(zip(intervals, values, strict=True)), channel)
                    retailer.ingest(meter.commit(intervals.start, values, channel).encoded)
            items.append(
                (home.statement(week, tariff), home.statement(week, tariff, "total", channel=1))
            )
        serial = retailer.verify_many(items)
        expected = [retailer.verify(st, export=ex) for st, ex in items]
        with ProcessPoolExecutor(2) as pool:
            parallel = retailer.verify_many(items, pool, chunk_size=2)
    for got in (serial, parallel):
        assert [r.bill for r in got] == [e.bill for e in expected]  # type: ignore[union-attr]
    assert all(e.bill is not None and e.bill.lines[-1].kind == "export" for e in expected)
