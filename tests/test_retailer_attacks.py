"""Attacks on the retailer: every one refused with its own exception, nothing half-written.

Issue 3, "every attack a test". The setting: a registered Ed25519 meter on the classic
three-band tariff has uploaded day 1 of April 2013 (counter 1; one half-hour unrecorded);
days 2 to 4 are signed and waiting. The household holds all four days of readings.

For every attack on ingest the test checks:
- the exact exception class from :mod:`privbill.errors` (not merely a parent class);
- the store is as it was: ``batch_count()`` unchanged, and an honest next batch still
  ingests (so counter and hash chain did not move) and an honest statement still
  verifies to the household's band totals (so no interval of the rejected batch was
  stored);
- one new rejection-log entry with the error's class name, its message and the bytes.

Attacks on verification (statements) are checked the same way, except that the
rejection log is for batches only: ``verify`` is read-only and logs nothing, so the test
checks that the log did not grow either.

Findings kept here as strict xfails (BUG: ...) fail loudly once fixed, so the marker
goes with the fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import cbor2
import pytest

from privbill import pedersen
from privbill.billing import band_totals
from privbill.errors import (
    BadSignatureError,
    BatchError,
    ChainError,
    CoverageError,
    EncodingError,
    EquivocationError,
    FormatError,
    OpeningError,
    PrivbillError,
    ReplayError,
    TariffError,
    UnknownMeterError,
)
from privbill.group import Scalar
from privbill.household import Household
from privbill.intervals import BillingPeriod, start_of
from privbill.keys import Alg, SigningKey
from privbill.meter import Meter
from privbill.retailer import REJECTION_HEAD, Retailer, VerifiedBill
from privbill.statement import Mode, Statement
from privbill.tariffs import FlatTariff, Tariff, TimeOfUseTariff, classic_three_band
from privbill.wire import (
    CHANNEL_EXPORT,
    CHANNEL_IMPORT,
    MAX_BATCH_SIZE,
    BatchPayload,
    SignedBatch,
    sign_batch,
)

TZ = "Europe/London"
FIRST_DAY = date(2013, 4, 1)
DAYS = 4
#: Position in day 1 of the half-hour the meter failed to record (10:00 local: normal band).
GAP_POSITION = 20


def reading(index: int) -> int:
    """A deterministic load profile, Wh per half-hour."""
    return 120 + (index * 37) % 300


# --- the setting ------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    """A retailer, one meter and its household; ``batches[k]`` is day k+1, counter k+1."""

    tariff: Tariff
    meter: Meter
    home: Household
    retailer: Retailer
    batches: list[SignedBatch]
    ingested: int = 0

    def period(self, days: int | None = None, first: int = 0) -> BillingPeriod:
        """Days ``first + 1`` .. ``first + days`` (default: every ingested day)."""
        n = self.ingested - first if days is None else days
        start = FIRST_DAY + timedelta(days=first)
        return BillingPeriod(start, start + timedelta(days=n), TZ)

    def ingest_next(self) -> None:
        receipt = self.retailer.ingest(self.batches[self.ingested].encoded)
        self.ingested += 1
        assert receipt.counter == self.ingested

    def statement(self, mode: Mode = "bands", days: int | None = None, first: int = 0) -> bytes:
        return self.home.statement(self.period(days, first), self.tariff, mode).encode()

    def snapshot(self) -> tuple[int, int]:
        return self.retailer.batch_count(), len(self.retailer.rejections())

    def check_still_honest(self) -> None:
        """An honest next batch ingests and an honest statement verifies exactly."""
        if self.ingested < len(self.batches):
            self.ingest_next()
        period = self.period()
        verified = self.retailer.verify(self.statement())
        expected = band_totals(self.tariff, self.home.values(), period.intervals())
        assert verified.band_totals == expected
        assert verified.recorded == len(period.intervals()) - 1  # the one real gap


def make_world(alg: Alg = "ed25519", ingest: int = 1) -> World:
    tariff = classic_three_band(tz=TZ, standing_charge_per_day=4500)
    meter = Meter.manufacture(meter_id=bytes.fromhex("a1" * 16), alg=alg)
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    batches: list[SignedBatch] = []
    period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS), TZ)
    for k, day in enumerate(period.days()):
        intervals = period.day_intervals(day)
        values: list[int | None] = [reading(i) for i in intervals]
        if k == 0:
            values[GAP_POSITION] = None
        home.load({i: v for i, v in zip(intervals, values, strict=True) if v is not None})
        batches.append(meter.commit(intervals.start, values))
    world = World(tariff, meter, home, retailer, batches)
    for _ in range(ingest):
        world.ingest_next()
    return world


@pytest.fixture
def world() -> World:
    return make_world()


def gap_index(w: World) -> int:
    return w.period(1).intervals()[GAP_POSITION]


def rejected(
    w: World, data: bytes, error: type[PrivbillError], match: str | None = None
) -> PrivbillError:
    """Ingest ``data``; it must raise exactly ``error``, leave the store as it was, and
    add one entry to the rejection log. Then the honest path must still work."""
    count, logged = w.snapshot()
    with pytest.raises(error, match=match) as info:
        w.retailer.ingest(data)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert w.retailer.batch_count() == count
    log = w.retailer.rejections()
    assert len(log) == logged + 1
    entry = log[-1]
    assert (entry.error, entry.reason) == (error.__name__, str(info.value))
    assert (entry.size, entry.sha256) == (len(data), hashlib.sha256(data).digest())
    assert entry.head == data[:REJECTION_HEAD]
    w.check_still_honest()
    return info.value


def refused(
    w: World,
    data: bytes | Statement,
    error: type[PrivbillError],
    match: str | None = None,
) -> PrivbillError:
    """Verify ``data``; it must raise exactly ``error`` and change nothing."""
    before = w.snapshot()
    with pytest.raises(error, match=match) as info:
        w.retailer.verify(data)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert w.snapshot() == before
    w.check_still_honest()
    return info.value


def resign(
    w: World, batch: SignedBatch, key: SigningKey | None = None, /, **changes: object
) -> bytes:
    """The batch with payload fields changed, signed by ``key`` (default: the meter's)."""
    payload = dataclasses.replace(batch.payload, **changes)  # type: ignore[arg-type]
    return sign_batch(payload, key or w.meter.signing_key).encoded


def other_commitment(w: World, batch: SignedBatch, position: int, wh: int) -> bytes:
    """The commitments of ``batch`` with the one at ``position`` committing to ``wh``."""
    commitments = batch.payload.commitment_list()
    index = batch.payload.present_indices()[position]
    o = pedersen.derive_blinding(w.meter.secret.to_bytes(), w.meter.meter_id, 0, index)
    commitments[position] = bytes(pedersen.commit(wh, o))
    return b"".join(commitments)


def test_the_setting_is_honest(world: World) -> None:
    world.check_still_honest()
    world.check_still_honest()
    assert world.retailer.rejections() == []


# --- forged and tampered batches -----------------------------------------------------------


def test_tampered_commitment_resigned_by_wrong_key(world: World) -> None:
    batch = world.batches[1]
    forged = resign(
        world, batch, SigningKey.generate(), commitments=other_commitment(world, batch, 5, 0)
    )
    rejected(world, forged, BadSignatureError)


def test_tampered_commitment_not_resigned(world: World) -> None:
    """A network attacker swaps one commitment's bytes; the signature no longer covers it."""
    batch = world.batches[1]
    old = batch.payload.commitment_list()[5]
    new = other_commitment(world, batch, 5, 0)[5 * 32 : 6 * 32]
    assert batch.encoded.count(old) == 1
    rejected(world, batch.encoded.replace(old, new), BadSignatureError)


@pytest.mark.parametrize(
    "bad",
    [
        b"\xff" * 32,  # field element not canonical (>= p, and the top bit set)
        (2**255 - 19).to_bytes(32, "little"),  # p itself: non-canonical zero
        (1).to_bytes(32, "little"),  # s = 1 is odd, i.e. negative: never an encoding
        bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ],
    ids=["all-ff", "p", "negative", "p-1"],
)
def test_invalid_commitment_encoding_signed_by_the_meter(world: World, bad: bytes) -> None:
    """The meter's own key signs a batch with a commitment that is no ristretto255
    encoding: the form is fine (FormatError would be wrong), the point is not."""
    batch = world.batches[1]
    commitments = batch.payload.commitment_list()
    commitments[7] = bad
    forged = resign(world, batch, commitments=b"".join(commitments))
    error = rejected(world, forged, EncodingError, match="commitment 7")
    assert not isinstance(error, FormatError)


def test_identity_commitment_is_valid(world: World) -> None:
    """Reading 0 with blinding 0 is the identity: a valid commitment, not an attack. The
    batch is accepted (the household then cannot open it, which is its problem)."""
    batch = world.batches[1]
    commitments = batch.payload.commitment_list()
    commitments[0] = bytes(32)
    world.retailer.ingest(resign(world, batch, commitments=b"".join(commitments)))
    assert world.retailer.batch_count() == 2


def test_wrong_key(world: World) -> None:
    """A cloned meter: same id, same chain position, its own Ed25519 key."""
    rejected(world, resign(world, world.batches[1], SigningKey.generate()), BadSignatureError)


def test_wrong_algorithm(world: World) -> None:
    """A P-256 signature for a meter registered with an Ed25519 key."""
    forged = resign(world, world.batches[1], SigningKey.generate("p256"))
    rejected(world, forged, BadSignatureError, match="p256")


def test_unknown_meter(world: World) -> None:
    stranger = Meter.manufacture(meter_id=bytes.fromhex("b2" * 16))
    data = stranger.commit(world.batches[1].payload.first_index, [100] * 48).encoded
    rejected(world, data, UnknownMeterError, match="b2b2")
    assert world.retailer.rejections()[0].meter_id == stranger.meter_id


# --- the chain: replay, reordering, omission ------------------------------------------------


def test_replayed_batch(world: World) -> None:
    rejected(world, world.batches[0].encoded, ReplayError, match="replayed")


def test_replayed_batch_without_recorded_intervals() -> None:
    """A replayed batch that recorded nothing cannot overlap: the counter catches it."""
    tariff = classic_three_band(tz=TZ)
    meter = Meter.manufacture()
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    empty = meter.commit(758206, [None] * 48)
    retailer.ingest(empty.encoded)
    retailer.ingest(meter.commit(758254, [1] * 48).encoded)
    with pytest.raises(ReplayError, match="replayed"):
        retailer.ingest(empty.encoded)
    assert retailer.batch_count() == 2
    assert retailer.rejections()[-1].error == "ReplayError"


def test_stale_counter_for_new_intervals(world: World) -> None:
    """Counter 1 again, for day 2's intervals, properly signed: a replayed counter."""
    forged = resign(world, world.batches[1], counter=1, prev_hash=bytes(32))
    rejected(world, forged, ReplayError, match="replayed")


def test_reordered_batches() -> None:
    """Counter 3 arrives before counter 2: refused; then 2 and 3 in order are accepted."""
    w = make_world(ingest=1)
    count = w.retailer.batch_count()
    with pytest.raises(ChainError, match="skips 1") as info:
        w.retailer.ingest(w.batches[2].encoded)
    assert type(info.value) is ChainError
    assert w.retailer.batch_count() == count
    assert w.retailer.rejections()[-1].error == "ChainError"
    w.ingest_next()
    w.ingest_next()
    w.check_still_honest()


def test_omitted_batch(world: World) -> None:
    """Batch 2 never arrives; batch 3 cannot be accepted after batch 1."""
    rejected(world, world.batches[2].encoded, ChainError, match="omitted")


def test_wrong_prev_hash(world: World) -> None:
    forged = resign(world, world.batches[1], prev_hash=bytes(range(32)))
    rejected(world, forged, ChainError, match="does not link")


def test_chain_links_to_the_envelope_not_the_payload(world: World) -> None:
    """prev_hash is SHA-256 of the previous COSE_Sign1 bytes: the payload's hash is wrong."""
    forged = resign(
        world, world.batches[1], prev_hash=hashlib.sha256(world.batches[0].payload_bytes).digest()
    )
    rejected(world, forged, ChainError)


def test_overlapping_batch_with_identical_commitments(world: World) -> None:
    """The meter re-sends day 1 under the next counter: no conflict, but an overlap."""
    batch = world.batches[0]
    forged = resign(world, batch, counter=2, prev_hash=batch.hash())
    rejected(world, forged, BatchError, match="overlaps")


# --- equivocation ---------------------------------------------------------------------------


@pytest.mark.parametrize("counter", ["next", "same"])
def test_equivocation(world: World, counter: str) -> None:
    """The meter's key signs a second batch for day 1 with one reading changed."""
    batch = world.batches[0]
    changes: dict[str, object] = {"commitments": other_commitment(world, batch, 30, 1)}
    if counter == "next":
        changes |= {"counter": 2, "prev_hash": batch.hash()}
    forged = resign(world, batch, **changes)
    error = rejected(world, forged, EquivocationError, match="different commitment")
    assert len(error.conflicts) == 1  # type: ignore[attr-defined]
    assert world.retailer.equivocations() == [(batch.encoded, forged)]


@pytest.mark.parametrize("conflict", [False, True], ids=["same commitments", "one differs"])
def test_batch_starting_inside_a_stored_batch(world: World, conflict: bool) -> None:
    """The next batch covers the second half of day 1 and the first of day 2: an
    overlap, or equivocation if one overlapping commitment differs. The stored batch
    starts before the new one, so a search from the new batch's start misses it."""
    day1, day2 = world.batches[0].payload, world.batches[1].payload
    half = day1.count // 2
    stored = dict(day1.present_commitments()) | dict(day2.present_commitments())
    first = day1.first_index + half
    commitments = [stored.get(i) for i in range(first, first + day1.count)]
    if conflict:
        o = pedersen.derive_blinding(world.meter.secret.to_bytes(), world.meter.meter_id, 0, first)
        commitments[0] = bytes(pedersen.commit(reading(first) + 1, o))
    payload = BatchPayload.from_intervals(
        meter_id=world.meter.meter_id, channel=0, period=day1.period, first_index=first,
        commitments=commitments, counter=2, prev_hash=world.batches[0].hash(),
    )  # fmt: skip
    forged = sign_batch(payload, world.meter.signing_key).encoded
    if conflict:
        rejected(world, forged, EquivocationError, match="different commitment")
    else:
        rejected(world, forged, BatchError, match="overlaps the intervals of stored batch 1")


# --- malformed and truncated input ----------------------------------------------------------


def _cose(batch: SignedBatch) -> list[object]:
    return [batch.protected, {4: batch.kid}, batch.payload_bytes, batch.signature]


def _tagged(items: object, tag: int = 18) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(tag, items), canonical=True)


MALFORMED: dict[str, Callable[[SignedBatch], bytes]] = {
    "empty": lambda b: b"",
    "untagged": lambda b: cbor2.dumps(_cose(b), canonical=True),
    "tag 17 (COSE_Mac0)": lambda b: _tagged(_cose(b), 17),
    "trailing byte": lambda b: b.encoded + b"\x00",
    "indefinite array": lambda b: b"\xd2\x9f" + b.encoded[2:] + b"\xff",
    "long-form length": lambda b: b"\xd2\x84\x58\x03" + b.encoded[3:],
    "three items": lambda b: _tagged(_cose(b)[:3]),
    "unknown alg -35": lambda b: _tagged([cbor2.dumps({1: -35}), *_cose(b)[1:]]),
    "extra protected header": lambda b: _tagged([cbor2.dumps({1: -8, 3: 0}), *_cose(b)[1:]]),
    "no kid": lambda b: _tagged([b.protected, {}, *_cose(b)[2:]]),
    "kid of another meter": lambda b: _tagged([b.protected, {4: bytes(16)}, *_cose(b)[2:]]),
    "detached payload": lambda b: _tagged([*_cose(b)[:2], None, b.signature]),
    "text payload": lambda b: _tagged([*_cose(b)[:2], "payload", b.signature]),
    "short signature": lambda b: _tagged([*_cose(b)[:3], b.signature[:63]]),
    "payload version 2": lambda b: _tagged(
        [*_cose(b)[:2], b"\x8a\x02" + b.payload_bytes[2:], b.signature]
    ),
    "payload of 11 items": lambda b: _tagged(
        [*_cose(b)[:2], b"\x8b" + b.payload_bytes[1:] + b"\x00", b.signature]
    ),
    "payload not deterministic": lambda b: _tagged(
        [*_cose(b)[:2], b"\x8a\x18\x01" + b.payload_bytes[2:], b.signature]
    ),
    "float in payload": lambda b: _tagged(
        [*_cose(b)[:2], b"\x8a\xf9\x3c\x00" + b.payload_bytes[2:], b.signature]
    ),
    "huge declared length": lambda b: b"\xd2\x84\x5b" + b"\xff" * 8,
    "too long": lambda b: b.encoded + bytes(MAX_BATCH_SIZE),
    "random bytes": lambda b: random.Random(7).randbytes(len(b.encoded)),
    "a statement": lambda b: Statement(
        meter_id=b.kid,
        channel=0,
        start=FIRST_DAY,
        end=FIRST_DAY + timedelta(days=1),
        tariff_digest=bytes(32),
        mode="total",
        presence=bytes(6),
        values=((0, bytes(32)),),
    ).encode(),
}


@pytest.mark.parametrize("mutation", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_batch(world: World, mutation: str) -> None:
    data = MALFORMED[mutation](world.batches[1])
    rejected(world, data, FormatError)
    assert world.retailer.rejections()[-1].meter_id is None


def test_every_prefix_of_a_batch(world: World) -> None:
    """Truncated anywhere (including to nothing), a batch is a FormatError, logged, and
    the store does not change."""
    data = world.batches[1].encoded
    count, logged = world.snapshot()
    for n in range(len(data)):
        with pytest.raises(FormatError):
            world.retailer.ingest(data[:n])
    assert world.retailer.batch_count() == count
    log = world.retailer.rejections()
    assert len(log) == logged + len(data)
    assert {e.error for e in log} == {"FormatError"}
    assert [e.size for e in log[logged:]] == list(range(len(data)))
    assert [e.head for e in log[logged:]] == [data[:n][:REJECTION_HEAD] for n in range(len(data))]
    world.check_still_honest()


def test_every_prefix_of_a_statement(world: World) -> None:
    data = world.statement()
    before = world.snapshot()
    for n in range(len(data)):
        with pytest.raises(FormatError):
            world.retailer.verify(data[:n])
    assert world.snapshot() == before
    world.check_still_honest()


def test_malformed_statements(world: World) -> None:
    """Statements that decode but cannot be checked: a presence bitmap too long or too
    short for the period, a band missing."""
    st = Statement.decode(world.statement())
    for bad in (
        dataclasses.replace(st, presence=st.presence + b"\x00"),
        dataclasses.replace(st, presence=st.presence[:-1]),
        dataclasses.replace(st, values=st.values[:2]),
    ):
        refused(world, bad.encode(), FormatError)
    refused(world, b"\xa0", FormatError)  # an empty map: not a statement at all
    refused(world, world.batches[0].encoded, FormatError)  # a batch is not a statement


# --- dishonest statements -------------------------------------------------------------------


def _values(st: Statement, values: list[tuple[int, bytes]]) -> bytes:
    return dataclasses.replace(st, values=tuple(values)).encode()


@pytest.mark.parametrize("band", [0, 1, 2], ids=["low", "normal", "peak"])
def test_wrong_totals(world: World, band: int) -> None:
    st = Statement.decode(world.statement())
    values = list(st.values)
    values[band] = (values[band][0] - 1, values[band][1])
    refused(world, _values(st, values), OpeningError)


def test_readings_moved_between_bands(world: World) -> None:
    """The household moves one peak reading, with its blinding, into the low band. The
    sum over all bands still opens (the total is right), the per-band sums do not."""
    period = world.period()
    st = Statement.decode(world.statement())
    peak = next(i for i in period.intervals() if world.tariff.band_of(i) == "peak")
    wh = world.home.values()[peak]
    o = pedersen.derive_blinding(world.meter.secret.to_bytes(), world.meter.meter_id, 0, peak)
    (low, o_low), normal, (hi, o_hi) = st.values
    moved = [
        (low + wh, bytes(Scalar.from_bytes(o_low) + o)),
        normal,
        (hi - wh, bytes(Scalar.from_bytes(o_hi) - o)),
    ]
    total = Statement.decode(world.statement("total")).values[0]
    assert sum(v for v, _ in moved) == total[0]
    assert bytes(sum((Scalar.from_bytes(w) for _, w in moved), Scalar.from_int(0))) == total[1]
    error = refused(world, _values(st, moved), OpeningError)
    assert str(error).startswith("low:")


def test_amount_mode_wrong_amount(world: World) -> None:
    st = Statement.decode(world.statement("amount"))
    ((value, opening),) = st.values
    refused(world, _values(st, [(value - 1000, opening)]), OpeningError, match="amount")


def test_amount_computed_at_cheaper_prices(world: World) -> None:
    """A consistent amount-mode opening under a cheaper tariff's prices, relabelled with
    the contracted tariff's digest: the retailer weighs with the contracted prices."""
    cheap = FlatTariff(100, unit="0.01p", tz=TZ)
    st = world.home.statement(world.period(), cheap, "amount")
    contracted = Statement.decode(world.statement("amount"))
    forged = dataclasses.replace(st, tariff_digest=contracted.tariff_digest)
    refused(world, forged.encode(), OpeningError)


def test_omitted_intervals(world: World) -> None:
    """The household leaves out two peak half-hours: refused, naming both."""
    period = world.period()
    peaks = [i for i in period.intervals() if world.tariff.band_of(i) == "peak"][:2]
    kept = {i: world.home.values()[i] for i in peaks}
    for i in peaks:
        world.home.record(i, None)
    data = world.statement()
    world.home.load(kept)
    error = refused(world, data, CoverageError, match="omits 2 interval")
    for i in peaks:
        assert f"interval {i} ({start_of(i).isoformat()})" in str(error)


def test_claims_intervals_the_store_lacks(world: World) -> None:
    """A statement for days 1-2 when only day 1 is stored: the meter has not reported
    day 2, so nothing about it (nor the period) can be verified yet."""
    error = refused(world, world.statement(days=2), CoverageError, match="covers .* yet")
    first = world.period(1, first=1).intervals()[0]
    assert f"interval {first} ({start_of(first).isoformat()})" in str(error)


def test_claims_a_reading_the_meter_did_not_record(world: World) -> None:
    """The household fills the meter's gap with a reading of its own."""
    gap = gap_index(world)
    world.home.record(gap, 0)
    data = world.statement()
    world.home.record(gap, None)
    refused(world, data, CoverageError, match=f"claims 1 interval.*interval {gap} ")


def test_unknown_meter_statement(world: World) -> None:
    st = Statement.decode(world.statement())
    forged = dataclasses.replace(st, meter_id=bytes(16)).encode()
    refused(world, forged, UnknownMeterError)


def test_wrong_tariff(world: World) -> None:
    """A statement under a tariff the retailer knows, but not the one the meter's customer
    is contracted on."""
    flat = FlatTariff(100, unit="0.01p", tz=TZ)
    world.retailer.add_tariff(flat)
    data = world.home.statement(world.period(), flat, "bands").encode()
    refused(world, data, TariffError, match="contracted")


def test_unknown_tariff_digest(world: World) -> None:
    st = Statement.decode(world.statement())
    forged = dataclasses.replace(st, tariff_digest=bytes(range(32))).encode()
    refused(world, forged, TariffError, match="unknown tariff")


@pytest.mark.parametrize(
    ("redate", "error"),
    [
        ("day 1 as day 2", CoverageError),
        ("day 2 as day 3", OpeningError),
        ("day 2 as the clock-change day", FormatError),
    ],
)
def test_replayed_old_statement_for_another_period(redate: str, error: type[PrivbillError]) -> None:
    """An old statement, re-dated to another billing period (statements are not signed,
    so the dates are the household's to change). Which error comes out depends on the
    shape of the two periods, and is documented here:

    - the store's recorded intervals differ (day 1 has a gap, day 2 none): CoverageError,
      from the presence bitmap, before any opening is checked;
    - same length, same recorded intervals (day 2 and day 3): OpeningError, because the
      old openings are over other commitments;
    - a different number of intervals (a 48-interval day as the 50-interval 27 October):
      the presence bitmap has the wrong length, FormatError.

    Replayed *unchanged*, an old statement verifies again as the old period's bill: the
    VerifiedBill names its period, and billing must match it to the period it bills
    (see test_replayed_statement_verifies_as_its_own_period)."""
    w = make_world(ingest=3)
    if redate == "day 1 as day 2":
        st = Statement.decode(w.statement(days=1))
        new_start = FIRST_DAY + timedelta(days=1)
    elif redate == "day 2 as day 3":
        st = Statement.decode(w.statement(days=1, first=1))
        new_start = FIRST_DAY + timedelta(days=2)
    else:
        st = Statement.decode(w.statement(days=1, first=1))
        new_start = date(2013, 10, 27)
    forged = dataclasses.replace(st, start=new_start, end=new_start + timedelta(days=1))
    refused(w, forged.encode(), error)


def test_replayed_statement_verifies_as_its_own_period() -> None:
    w = make_world(ingest=2)
    old = w.statement(days=1)
    w.ingest_next()
    verified = w.retailer.verify(old)
    assert isinstance(verified, VerifiedBill)
    assert (verified.period.start, verified.period.end) == (FIRST_DAY, FIRST_DAY + timedelta(1))


# --- findings -------------------------------------------------------------------------------


def test_batches_of_another_period_than_the_tariff() -> None:
    tariff = classic_three_band(tz=TZ)
    meter = Meter.manufacture(period=900)
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    quarter_hours = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=1), TZ, 900)
    refused_at_ingest = False
    try:
        retailer.ingest(meter.commit(quarter_hours.intervals().start, [100] * 96).encoded)
    except (BatchError, TariffError):
        refused_at_ingest = True
    if not refused_at_ingest:
        st = home.statement(BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=1), TZ), tariff)
        assert [v for v, _ in st.values] == [0, 0, 0]
        with pytest.raises((CoverageError, TariffError, BatchError)):
            retailer.verify(st.encode())


def _export_world() -> tuple[World, bytes]:
    tariff = TimeOfUseTariff(classic_three_band(tz=TZ).bands, unit="0.01p", tz=TZ, export_price=550)
    meter = Meter.manufacture()
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=1), TZ)
    intervals = period.intervals()
    for channel, wh in ((CHANNEL_IMPORT, 100), (CHANNEL_EXPORT, 10)):
        home.load(dict.fromkeys(intervals, wh), channel)
        retailer.ingest(meter.commit(intervals.start, [wh] * len(intervals), channel).encoded)
    w = World(tariff, meter, home, retailer, [], ingested=1)
    return w, home.statement(period, tariff, "total", CHANNEL_EXPORT).encode()


def test_export_statement_must_be_total_mode_on_another_channel() -> None:
    w, export = _export_world()
    bands = w.statement()
    bill = w.retailer.verify(bands, export).bill
    assert bill is not None and bill.line("export").amount == -(550 * 48 * 10 // 1000)
    with pytest.raises(FormatError):
        w.retailer.verify(bands, bands)
    other_day = Statement.decode(export)
    shifted = dataclasses.replace(other_day, start=date(2013, 4, 2), end=date(2013, 4, 3))
    with pytest.raises(CoverageError):
        w.retailer.verify(bands, shifted.encode())


def test_total_mode_import_with_an_export_statement() -> None:
    w, export = _export_world()
    with pytest.raises(PrivbillError):
        w.retailer.verify(w.statement("total"), export)


def test_export_channel_billed_as_import() -> None:
    w, _ = _export_world()
    data = w.home.statement(w.period(1), w.tariff, "bands", CHANNEL_EXPORT).encode()
    try:
        verified = w.retailer.verify(data)
    except PrivbillError:
        return
    assert verified.bill is None, "an import bill computed from the export channel"


def test_import_and_export_channels_swapped() -> None:
    w, _ = _export_world()
    period = w.period(1)
    honest = w.retailer.verify(
        w.statement(), w.home.statement(period, w.tariff, "total", CHANNEL_EXPORT).encode()
    )
    assert honest.bill is not None and honest.bill.total == 4800 - 264
    swapped = w.home.statement(period, w.tariff, "bands", CHANNEL_EXPORT).encode()
    export = w.home.statement(period, w.tariff, "total", CHANNEL_IMPORT).encode()
    with pytest.raises(PrivbillError):
        bill = w.retailer.verify(swapped, export).bill
        assert bill is not None
        print(f"swapped channels: {bill.total} instead of {honest.bill.total}")  # -2160


def _store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def test_equivocation_evidence_is_stored_once(tmp_path: Path) -> None:
    meter = Meter.manufacture()
    retailer = Retailer(tmp_path / "store.sqlite", durable=False)
    retailer.register_meter(meter.identity)
    retailer.ingest(meter.commit(758206, [100] * 512).encoded)
    conflicting = meter.commit(758206, [101] * 512).encoded
    before = _store_bytes(tmp_path / "store.sqlite")
    with pytest.raises(EquivocationError):
        retailer.ingest(conflicting)
    assert len(retailer.equivocations()) == 1
    growth = _store_bytes(tmp_path / "store.sqlite") - before
    assert growth < 10 * len(conflicting) + (256 << 10), f"{growth} bytes for one batch"
