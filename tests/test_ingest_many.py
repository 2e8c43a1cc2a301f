"""Retailer.ingest_many: the same verdicts, store and logs as one ingest per batch.

A stream of daily batches from three meters (Ed25519 and P-256) with bad ones mixed
in (a flipped signature bit, a replay, an omitted batch, an equivocation, garbage, an
unknown meter) is ingested once batch by batch and once in bulk (in one call, and in
several); results, stored batches, rejection log and evidence must agree.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from privbill.errors import PrivbillError
from privbill.intervals import BillingPeriod
from privbill.meter import Meter
from privbill.pedersen import decode_hints
from privbill.retailer import Retailer
from privbill.tariffs import classic_three_band

TZ = "Europe/London"
PERIOD = BillingPeriod(date(2013, 4, 1), date(2013, 4, 6), TZ)


def stream() -> tuple[list[Meter], list[bytes | tuple[bytes, bytes | None]]]:
    meters = [Meter.manufacture(alg=alg) for alg in ("ed25519", "p256", "ed25519")]
    out: list[bytes | tuple[bytes, bytes | None]] = []
    for day in PERIOD.days():
        intervals = PERIOD.day_intervals(day)
        for m, meter in enumerate(meters):
            values = [None if i % 17 == m else 100 + (i * 7 + m) % 300 for i in intervals]
            batch = meter.commit(intervals.start, values)
            # every other batch carries its decoding hints
            out.append(
                (batch.encoded, decode_hints(batch.payload.commitments))
                if day.day % 2
                else batch.encoded
            )
    first = out[0] if isinstance(out[0], bytes) else out[0][0]
    flipped = bytearray(first)
    flipped[-5] ^= 1
    stranger = Meter.manufacture().commit(PERIOD.intervals().start, [1, 2, 3]).encoded
    # meter 0 signs a second, different batch for day 1 with the next counter
    day1 = PERIOD.day_intervals(PERIOD.days()[0])
    equivocating = dataclasses.replace(meters[0]).commit(day1.start, [5] * len(day1)).encoded
    gap_meter = meters[2]
    gap_meter.commit(PERIOD.intervals().stop, [1])  # made but never sent
    omitted = gap_meter.commit(PERIOD.intervals().stop + 1, [2]).encoded
    out[4:4] = [bytes(flipped), first, b"\xd2\x84garbage", stranger]
    out += [equivocating, omitted]
    return meters, out


def ingest_both(
    meters: list[Meter], items: list[bytes | tuple[bytes, bytes | None]], chunk: int
) -> None:
    tariff = classic_three_band(tz=TZ)
    one, bulk = Retailer(), Retailer()
    for r in (one, bulk):
        for meter in meters:
            r.register_meter(meter.identity, tariff)
    serial: list[object] = []
    for item in items:
        batch, hints = item if isinstance(item, tuple) else (item, None)
        try:
            serial.append(one.ingest(batch, hints))
        except PrivbillError as exc:
            serial.append(exc)
    together = [
        r for k in range(0, len(items), chunk) for r in bulk.ingest_many(items[k : k + chunk])
    ]

    def describe(r: object) -> object:
        return (type(r).__name__, str(r)) if isinstance(r, PrivbillError) else r

    assert [describe(r) for r in together] == [describe(r) for r in serial]
    assert bulk.batch_count() == one.batch_count() == 3 * PERIOD.num_days
    strip = [(r.error, r.reason, r.size, r.sha256) for r in one.rejections()]
    assert [(r.error, r.reason, r.size, r.sha256) for r in bulk.rejections()] == strip
    assert {type(r).__name__ for r in serial if isinstance(r, PrivbillError)} == {
        "BadSignatureError",
        "ReplayError",
        "FormatError",
        "UnknownMeterError",
        "EquivocationError",
        "ChainError",
    }
    assert bulk.equivocations() == one.equivocations() != []


@pytest.mark.parametrize("chunk", [1000, 7])
def test_ingest_many_agrees_with_ingest(chunk: int) -> None:
    """In one call, or in calls of 7 batches (so that batches are checked both
    against batches of the same call and against those stored by earlier calls)."""
    meters, items = stream()
    ingest_both(meters, items, chunk)
