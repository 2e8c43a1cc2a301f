"""Stateful tests (hypothesis RuleBasedStateMachine) of the retailer's store and of
settlement aggregation rounds: random interleavings of honest and faulty operations,
checked after every step against a simple model.

Retailer store. Two meters (Ed25519 and P-256; the first also on the export channel)
have their honest batches signed in advance. Rules: ingest the next honest batch;
ingest a bad one of every kind (replay, skipped counter, wrong key, tampered signature,
truncated, unknown meter, equivocation, invalid commitment, wrong prev_hash, overlap);
several at once through ``ingest_many``; verify a statement (honest, tampered, or over
days not reported yet); close and re-open the file-backed store. Invariants: the batch
count is the number of acknowledged batches; each acknowledged batch is present with its
commitments (read back through ``stored_commitments``); the chain table holds, per meter
and channel, the counter and hash of the last acknowledged batch; the rejection log grows
by one entry per refused batch, naming its error; verification gives the model's band
totals.

Aggregation rounds. A group of six meters (threshold 3, complete graph, Shamir
threshold 3): open a round for a new interval, submit honest, duplicate, stale and
malformed reports, take meters off- and online, close. The model predicts the outcome:
ThresholdError below t reports, RecoveryError when some counted meter has fewer than s
online neighbours to rebuild its self mask, else the verified sum over exactly the
counted meters (the reporters, less those that went silent during recovery).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

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
    UnknownMeterError,
)
from privbill.group import Scalar
from privbill.household import Household
from privbill.intervals import BillingPeriod
from privbill.keys import CommitmentSecret, SigningKey
from privbill.meter import Meter
from privbill.pedersen import commit, derive_blinding
from privbill.retailer import Retailer
from privbill.settlement import (
    AggregationError,
    Aggregator,
    CommitmentBook,
    DuplicateReportError,
    LateReportError,
    LocalTransport,
    MalformedReportError,
    MaskedReport,
    MeterClient,
    RecoveryError,
    Roster,
    StaleReportError,
    ThresholdError,
)
from privbill.tariffs import classic_three_band
from privbill.wire import ZERO_HASH, SignedBatch, sign_batch

TZ = "Europe/London"
FIRST_DAY = date(2013, 4, 1)
DAYS = 5
TARIFF = classic_three_band(tz=TZ)


def reading(index: int, salt: int) -> int:
    return 100 + (index * 37 + salt * 11) % 400


@dataclasses.dataclass
class Line:
    """A meter's honest batches on one channel, and what the household knows."""

    meter: Meter
    channel: int
    batches: list[SignedBatch]


@dataclasses.dataclass
class Fleet:
    meters: list[Meter]
    homes: dict[bytes, Household]
    lines: list[Line]
    stranger: Meter


@lru_cache(maxsize=1)
def fleet() -> Fleet:
    """Signed once per process: the machine replays these bytes in every example."""
    meters = [
        Meter(bytes([0xA0 + k]) * 16, SigningKey.from_bytes(bytes([k + 1]) * 32, alg),
              CommitmentSecret.from_bytes(bytes([k + 7]) * 32))
        for k, alg in enumerate(("ed25519", "p256"))
    ]  # fmt: skip
    homes = {m.meter_id: Household(m.meter_id, m.secret) for m in meters}
    period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS), TZ)
    lines = []
    for k, m in enumerate(meters):
        channels = (0, 1) if k == 0 else (0,)
        for ch in channels:
            batches = []
            for d, day in enumerate(period.days()):
                iv = period.day_intervals(day)
                values: list[int | None] = [reading(i, k + ch) for i in iv]
                if d == 1:
                    values[10] = None  # one unrecorded half-hour
                homes[m.meter_id].load(
                    {i: v for i, v in zip(iv, values, strict=True) if v is not None}, ch
                )
                batches.append(m.commit(iv.start, values, channel=ch))
                if ch == 1 and d == 2:
                    break  # the export line is shorter
            lines.append(Line(m, ch, batches))
    stranger = Meter(b"\xee" * 16, SigningKey.from_bytes(b"\x33" * 32),
                     CommitmentSecret.from_bytes(b"\x44" * 32))  # fmt: skip
    return Fleet(meters, homes, lines, stranger)


def resign(line: Line, batch: SignedBatch, key: SigningKey | None = None, **changes: Any) -> bytes:
    payload = dataclasses.replace(batch.payload, **changes)
    return sign_batch(payload, key or line.meter.signing_key).encoded


BAD_KINDS = (
    "replay", "skip", "wrong-key", "tampered-signature", "truncated", "unknown-meter",
    "equivocation", "invalid-commitment", "wrong-prev-hash", "overlap",
)  # fmt: skip


class RetailerStore(RuleBasedStateMachine):
    """See the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.fleet = fleet()
        self.dir = Path(mkdtemp(prefix="privbill-stateful-"))
        self.path = self.dir / "store.sqlite"
        self.retailer = Retailer(self.path, durable=False)
        for m in self.fleet.meters:
            self.retailer.register_meter(m.identity, TARIFF)
        self.next = [0] * len(self.fleet.lines)  # per line: honest batches acknowledged
        self.rejections = 0

    def teardown(self) -> None:
        self.retailer.close()
        for p in self.dir.iterdir():
            p.unlink()
        self.dir.rmdir()

    # --- helpers -------------------------------------------------------------------------

    def expect_rejected(self, data: bytes, error: type[PrivbillError]) -> None:
        with pytest.raises(PrivbillError) as info:
            self.retailer.ingest(data)
        assert type(info.value) is error, f"expected {error.__name__}: {info.value!r}"
        self.rejections += 1

    def bad_batch(self, kind: str, n: int) -> tuple[bytes, type[PrivbillError]] | None:
        """A bad batch of ``kind`` for line ``n`` in its current state, or None if the
        state does not allow that kind (e.g. a replay before anything was stored)."""
        line = self.fleet.lines[n]
        k = self.next[n]
        done = k == len(line.batches)
        nxt = line.batches[min(k, len(line.batches) - 1)]
        prev_hash = line.batches[k - 1].hash() if k else ZERO_HASH
        if kind == "replay":
            return (line.batches[k - 1].encoded, ReplayError) if k else None
        if kind == "skip":
            return (line.batches[k + 1].encoded, ChainError) if k + 1 < len(line.batches) else None
        if kind == "wrong-key":
            return resign(line, nxt, SigningKey.generate(line.meter.signing_key.alg)), (
                BadSignatureError
            )
        if kind == "tampered-signature":
            data = bytearray(nxt.encoded)
            data[-5] ^= 0x40
            return bytes(data), BadSignatureError
        if kind == "truncated":
            return nxt.encoded[: len(nxt.encoded) // 2], FormatError
        if kind == "unknown-meter":
            return self.fleet.stranger.commit(nxt.payload.first_index, [1, 2, 3]).encoded, (
                UnknownMeterError
            )
        if kind == "equivocation":
            if not k:
                return None
            stored = line.batches[k - 1]
            cs = stored.payload.commitment_list()
            cs[0] = bytes(commit(7, Scalar.from_int(7)))
            return resign(line, stored, commitments=b"".join(cs), counter=k + 1,
                          prev_hash=prev_hash), EquivocationError  # fmt: skip
        if kind == "invalid-commitment":
            if done:
                return None
            cs = nxt.payload.commitment_list()
            cs[-1] = b"\xff" * 32
            return resign(line, nxt, commitments=b"".join(cs)), EncodingError
        if kind == "wrong-prev-hash":
            if done or not k:  # counter 1 must carry the zero hash: the decoder's rule
                return None
            return resign(line, nxt, prev_hash=b"\x5a" * 32), ChainError
        if kind == "overlap":
            if not k:
                return None
            return resign(line, line.batches[k - 1], counter=k + 1, prev_hash=prev_hash), (
                BatchError
            )
        raise AssertionError(kind)

    # --- rules ---------------------------------------------------------------------------

    @rule(n=st.integers(0, 2))
    def ingest_honest(self, n: int) -> None:
        line = self.fleet.lines[n]
        k = self.next[n]
        if k == len(line.batches):
            self.expect_rejected(line.batches[-1].encoded, ReplayError)
            return
        receipt = self.retailer.ingest(line.batches[k].encoded)
        assert (receipt.meter_id, receipt.channel, receipt.counter) == (
            line.meter.meter_id, line.channel, k + 1
        )  # fmt: skip
        self.next[n] = k + 1

    @rule(n=st.integers(0, 2), kind=st.sampled_from(BAD_KINDS))
    def ingest_bad(self, n: int, kind: str) -> None:
        bad = self.bad_batch(kind, n)
        if bad is not None:
            self.expect_rejected(*bad)

    @rule(n=st.integers(0, 2), kinds=st.lists(st.sampled_from(BAD_KINDS), max_size=3))
    def ingest_many_mixed(self, n: int, kinds: list[str]) -> None:
        """The next honest batch surrounded by bad ones, in one ingest_many call: the
        honest one is stored exactly when it is next, the bad ones all refused."""
        line = self.fleet.lines[n]
        k = self.next[n]
        bads = [b for b in (self.bad_batch(kind, n) for kind in kinds) if b is not None]
        # Only kinds whose verdict does not depend on their position (each of these
        # is refused before or after the honest batch alike).
        bads = [b for b in bads if b[1] in (BadSignatureError, FormatError, UnknownMeterError,
                                            EncodingError, ReplayError)]  # fmt: skip
        items = [b for b, _ in bads]
        honest_at = None
        if k < len(line.batches):
            honest_at = len(items) // 2
            items.insert(honest_at, line.batches[k].encoded)
        results = self.retailer.ingest_many(items)
        errors = iter(e for _, e in bads)
        for i, r in enumerate(results):
            if i == honest_at:
                assert not isinstance(r, PrivbillError), r
                self.next[n] = k + 1
            else:
                assert type(r) is next(errors), r
                self.rejections += 1

    @rule(m=st.integers(0, 1), days=st.integers(1, DAYS), tamper=st.booleans())
    def verify(self, m: int, days: int, tamper: bool) -> None:
        meter = self.fleet.meters[m]
        n = 0 if m == 0 else 2  # the import line of meter m
        period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=days), TZ)
        home = self.fleet.homes[meter.meter_id]
        statement = home.statement(period, TARIFF)
        if tamper:
            (v, o), *rest = statement.values
            statement = dataclasses.replace(statement, values=((v + 1, o), *rest))
        before = (self.retailer.batch_count(), len(self.retailer.rejections()))
        if days > self.next[n]:
            with pytest.raises(CoverageError):
                self.retailer.verify(statement.encode())
        elif tamper:
            with pytest.raises(OpeningError):
                self.retailer.verify(statement.encode())
        else:
            verified = self.retailer.verify(statement.encode())
            assert verified.band_totals == band_totals(TARIFF, home.values(), period.intervals())
        assert (self.retailer.batch_count(), len(self.retailer.rejections())) == before

    @rule()
    def reopen(self) -> None:
        """Close the store and open it again: nothing acknowledged is lost, and the
        re-opened store (empty caches) goes on from the same chain state."""
        self.retailer.close()
        self.retailer = Retailer(self.path, durable=False)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def batch_count_is_the_acknowledged_batches(self) -> None:
        assert self.retailer.batch_count() == sum(self.next)

    @invariant()
    def every_acknowledged_batch_is_present(self) -> None:
        for line, k in zip(self.fleet.lines, self.next, strict=True):
            for b in line.batches[:k]:
                p = b.payload
                indices, cs = self.retailer.stored_commitments(
                    p.meter_id, p.channel, range(p.first_index, p.last_index + 1)
                )
                assert indices == p.present_indices()
                assert [bytes(cs.element(j)) for j in range(len(cs))] == p.commitment_list()

    @invariant()
    def chain_state_is_the_last_acknowledged_batch(self) -> None:
        rows = self.retailer._db.execute("SELECT meter_id, channel, counter, hash FROM chains")
        chains = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        expected = {
            (line.meter.meter_id, line.channel): (k, line.batches[k - 1].hash())
            for line, k in zip(self.fleet.lines, self.next, strict=True)
            if k
        }
        assert chains == expected

    @invariant()
    def every_refusal_is_logged(self) -> None:
        assert len(self.retailer.rejections()) == self.rejections


TestRetailerStore = RetailerStore.TestCase
TestRetailerStore.settings = settings(
    max_examples=50, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


# ===========================================================================================
# Aggregation rounds
# ===========================================================================================

N_METERS, THRESHOLD = 6, 3


@lru_cache(maxsize=1)
def _operator() -> SigningKey:
    return SigningKey.from_bytes(b"\x55" * 32)


class AggregationRounds(RuleBasedStateMachine):
    """See the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        op = _operator()
        self.meters = [MeterClient(bytes([0x10 + i]) * 16, bytes([0x20 + i]) * 32,
                                   min_threshold=2)
                       for i in range(N_METERS)]  # fmt: skip
        self.signed = Roster.create(b"stateful", [m.member for m in self.meters],
                                    threshold=THRESHOLD).sign(op)  # fmt: skip
        shares = [s for m in self.meters for s in m.join(self.signed, op.verifying_key)]
        for m in self.meters:
            m.accept_shares(shares)
        self.roster = self.signed.roster
        self.s = self.roster.share_threshold
        self.book = CommitmentBook()
        self.transport = LocalTransport(self.meters)
        self.agg = Aggregator(self.signed, op, self.book, self.transport)
        self.index = 1000
        self.round: Any = None
        self.values: dict[bytes, int] = {}
        self.reported: set[bytes] = set()
        self.closed_rounds: list[Any] = []
        self.outcomes: list[str] = []

    def blinding(self, m: MeterClient, index: int) -> Scalar:
        return derive_blinding(b"\x66" * 32, m.meter_id, 0, index)

    def ensure_round(self) -> None:
        if self.round is None:
            self.open_round([(self.index * 37 + 101 * i) % 10_000 for i in range(N_METERS)])

    @rule(values=st.lists(st.integers(0, 10_000), min_size=N_METERS, max_size=N_METERS))
    def open_round(self, values: list[int]) -> None:
        """Open the next interval's round (closing an open one first, as a new interval
        begins whatever happened to the last)."""
        if self.round is not None:
            self.close()
        self.index += 1
        self.values = {m.meter_id: v for m, v in zip(self.meters, values, strict=True)}
        for m in self.meters:
            self.book.add(m.meter_id, self.index, commit(self.values[m.meter_id],
                                                         self.blinding(m, self.index)))  # fmt: skip
        self.round = self.agg.open_round(self.index)
        self.reported = set()

    @rule(i=st.integers(0, N_METERS - 1), times=st.integers(1, 2))
    def report(self, i: int, times: int) -> None:
        self.ensure_round()
        m = self.meters[i]
        for _ in range(times):
            rep = m.report(self.index, self.values[m.meter_id], self.blinding(m, self.index))
            if m.meter_id in self.reported:
                with pytest.raises(DuplicateReportError):
                    self.round.submit(rep.encode())
                continue
            self.round.submit(rep.encode())
            self.reported.add(m.meter_id)

    @rule(i=st.integers(0, N_METERS - 1), kind=st.sampled_from(["stale", "malformed"]))
    def bad_report(self, i: int, kind: str) -> None:
        self.ensure_round()
        m = self.meters[i]
        if kind == "stale":
            # A replayed report of an interval this group never aggregates here (the
            # meter itself reports each interval once: see MeterClient.report).
            rep = MaskedReport(m.meter_id, self.roster.digest, self.index + 1000,
                               bytes(32), bytes(32))  # fmt: skip
            with pytest.raises(StaleReportError):
                self.round.submit(rep.encode())
        else:
            rep = m.report(self.index, self.values[m.meter_id], self.blinding(m, self.index))
            with pytest.raises(MalformedReportError):
                self.round.submit(rep.encode()[:-1])

    @rule(i=st.integers(0, N_METERS - 1), online=st.booleans())
    def set_online(self, i: int, online: bool) -> None:
        (self.transport.offline.discard if online else self.transport.offline.add)(
            self.meters[i].meter_id
        )

    def expected(self) -> tuple[str, set[bytes]]:
        """The model of Round.close (complete graph, honest meters): with dropouts,
        the offline reporters join the dropped side while the pairwise masks are
        asked; with none, offline meters are late at the unmasking and their answers
        are rebuilt from the shares of the s others' (all counted, all online)."""
        ids = set(self.roster.ids)
        online = ids - self.transport.offline
        if len(self.reported) < THRESHOLD:
            return "threshold", set()
        if self.reported != ids:
            counted, late = set(self.reported) & online, set()
        else:
            counted, late = set(self.reported), ids - online
        if len(counted) < THRESHOLD:
            return "threshold", set()
        if late and len(counted - late) < self.s:
            return "recovery", set()
        return "ok", counted

    @rule()
    def close(self) -> None:
        self.ensure_round()
        outcome, counted = self.expected()
        rnd, self.round = self.round, None
        self.closed_rounds.append(rnd)
        self.outcomes.append(outcome)
        if outcome == "threshold":
            with pytest.raises(ThresholdError):
                self.agg.close_round()
            return
        if outcome == "recovery":
            with pytest.raises(RecoveryError):
                self.agg.close_round()
            return
        result = self.agg.close_round()
        assert set(result.households) == counted
        assert set(result.dropped) == set(self.roster.ids) - counted
        assert result.sum_wh == sum(self.values[m] for m in counted)
        assert result.verified and len(result.households) >= THRESHOLD

    @precondition(lambda self: self.closed_rounds)
    @rule(i=st.integers(0, N_METERS - 1))
    def late_report(self, i: int) -> None:
        """A report after its round closed is refused, and a closed interval is never
        opened again."""
        rnd = self.closed_rounds[-1]
        m = self.meters[i]
        rep = MaskedReport(m.meter_id, self.roster.digest, rnd.index, bytes(32), bytes(32))
        with pytest.raises(LateReportError):
            rnd.submit(rep.encode())
        if self.round is None:
            with pytest.raises(AggregationError):
                self.agg.open_round(rnd.index)


TestAggregationRounds = AggregationRounds.TestCase
TestAggregationRounds.settings = settings(
    max_examples=30, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


def test_model_covers_every_outcome() -> None:
    """The aggregation model is not vacuous: a scripted run reaches each outcome."""
    machine = AggregationRounds()
    machine.open_round([5] * N_METERS)
    for i in range(2):
        machine.report(i, 2)
    machine.close()
    machine.open_round([7] * N_METERS)
    for i in range(N_METERS):
        machine.report(i, 1)
    for i in range(3):
        machine.set_online(i, False)
    machine.close()
    for i in range(3):
        machine.set_online(i, True)
    machine.open_round([9] * N_METERS)
    for i in range(4):
        machine.report(i, 1)
    machine.set_online(5, False)
    machine.close()
    assert machine.outcomes == ["threshold", "recovery", "ok"]
