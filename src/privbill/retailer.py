"""The retailer: ingests signed meter batches, verifies household statements.

The retailer never sees a half-hourly value. It keeps, per meter and channel,
the signed batches (as evidence) and their commitments, decoded once at ingest
into the C core's internal form; a statement is checked against them with one
multiscalar sum per disclosed value.

Ingest checks, in order: the COSE_Sign1 envelope and CBOR payload (strict),
the meter (registered), the signature (its registered key), the commitments
(valid ristretto255 encodings), equivocation (a different commitment for an
interval already stored: both batches are kept as evidence), the counter
(the next one: no replay, no omitted batch) and the hash chain. Each ingest is
one SQLite transaction: a rejected batch leaves the store as it was and is
written to the rejection log with its reason.

Verification checks that the statement covers exactly the intervals the store
holds for the period (it may neither omit nor invent any), then each disclosed
value against the sum (bands, total) or the price-weighted combination
(amount) of the commitments, and recomputes the bill with the shared rounding
rule.

>>> from datetime import date
>>> from privbill.household import Household
>>> from privbill.intervals import BillingPeriod
>>> from privbill.meter import Meter
>>> from privbill.tariffs import classic_three_band
>>> tariff, period = classic_three_band(), BillingPeriod(date(2013, 4, 1), date(2013, 4, 3),
...                                                     "Europe/London")
>>> meter = Meter.manufacture()
>>> home = Household(meter.meter_id, meter.secret)
>>> retailer = Retailer()
>>> retailer.register_meter(meter.identity, tariff)
>>> for day in period.days():
...     day_intervals = period.day_intervals(day)
...     readings = [150 + i % 7 * 40 for i in day_intervals]
...     home.load(dict(zip(day_intervals, readings)))
...     _ = retailer.ingest(meter.commit(day_intervals.start, readings).encoded)
>>> bill = retailer.verify(home.statement(period, tariff))
>>> bill.band_totals
{'low': 6280, 'normal': 16200, 'peak': 3440}
>>> bill.bill.total
26220
"""

from __future__ import annotations

import bisect
import hashlib
import sqlite3
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from privbill._sqlite import transaction
from privbill.billing import Bill, bill_from_amount, bill_from_band_totals
from privbill.errors import (
    BatchError,
    ChainError,
    CoverageError,
    EquivocationError,
    FormatError,
    OpeningError,
    PrivbillError,
    ReplayError,
    TariffError,
    UnknownMeterError,
)
from privbill.intervals import BillingPeriod, start_of
from privbill.keys import VerifyingKey, verify_many
from privbill.meter import MeterIdentity
from privbill.pedersen import POINT_SIZE, CommitmentSet, verify_opening
from privbill.statement import Mode, Statement, set_bits, tariff_digest
from privbill.tariffs import Tariff, tariff_from_json, tariff_to_json
from privbill.wire import (
    CHANNEL_EXPORT,
    CHANNEL_IMPORT,
    MAX_COUNT,
    ZERO_HASH,
    BatchPayload,
    SignedBatch,
)

__all__ = ["REJECTION_HEAD", "IngestReceipt", "Rejection", "Retailer", "VerifiedBill"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tariffs (
    digest BLOB PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meters (
    meter_id BLOB PRIMARY KEY, alg TEXT NOT NULL, public_key BLOB NOT NULL,
    tariff BLOB REFERENCES tariffs(digest));
CREATE TABLE IF NOT EXISTS chains (
    meter_id BLOB NOT NULL, channel INTEGER NOT NULL, counter INTEGER NOT NULL,
    hash BLOB NOT NULL, period INTEGER NOT NULL, PRIMARY KEY (meter_id, channel));
CREATE TABLE IF NOT EXISTS batches (
    meter_id BLOB NOT NULL, channel INTEGER NOT NULL, counter INTEGER NOT NULL,
    first_index INTEGER NOT NULL, count INTEGER NOT NULL, presence BLOB NOT NULL,
    encoded BLOB NOT NULL, points BLOB NOT NULL,
    PRIMARY KEY (meter_id, channel, counter));
CREATE INDEX IF NOT EXISTS batches_by_time ON batches (meter_id, channel, first_index);
CREATE TABLE IF NOT EXISTS evidence_batches (
    hash BLOB PRIMARY KEY, encoded BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS evidence (
    at REAL NOT NULL, meter_id BLOB NOT NULL, channel INTEGER NOT NULL,
    idx INTEGER NOT NULL, stored_counter INTEGER NOT NULL, batch_hash BLOB NOT NULL
    REFERENCES evidence_batches(hash), PRIMARY KEY (batch_hash, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejections (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, meter_id BLOB, error TEXT NOT NULL,
    reason TEXT NOT NULL, size INTEGER NOT NULL, sha256 BLOB NOT NULL, head BLOB NOT NULL);
"""

#: The rejection log keeps at most this many leading bytes of a refused message
#: (its size and SHA-256 in full): a log entry must not be a way to fill the disk.
REJECTION_HEAD = 4096

# SQLite integers are signed 64-bit; interval indices and counters are < 2^63
# for any date this side of the year 10^11.
_SQLITE_INT_MAX = (1 << 63) - 1


@dataclass(frozen=True)
class IngestReceipt:
    """An acknowledged batch: once returned, it is durably stored."""

    meter_id: bytes
    channel: int
    counter: int
    first_index: int
    count: int
    recorded: int


@dataclass(frozen=True)
class Rejection:
    """One entry of the rejection log: the error, and the refused message's
    size, SHA-256 and first :data:`REJECTION_HEAD` bytes."""

    at: float
    meter_id: bytes | None
    error: str
    reason: str
    size: int
    sha256: bytes
    head: bytes


@dataclass(frozen=True)
class VerifiedBill:
    """What the retailer learns from a verified statement, and the bill.

    ``band_totals`` (bands mode), ``weighted_sum`` (amount mode) or
    ``total_wh`` (total mode) is all it learns about consumption.
    """

    meter_id: bytes
    channel: int
    period: BillingPeriod
    mode: Mode
    intervals: int
    recorded: int
    band_totals: dict[str, int] | None
    weighted_sum: int | None
    total_wh: int | None
    bill: Bill | None


@dataclass(frozen=True)
class _Meter:
    key: VerifyingKey
    tariff: bytes | None


class Retailer:
    """A retailer's store and verifier, on SQLite (``":memory:"`` by default).

    ``durable=True`` (the default) makes every acknowledged ingest survive a
    crash or power loss (WAL with synchronous=FULL on a file store).
    """

    def __init__(
        self, path: str | Path = ":memory:", *, durable: bool = True, readonly: bool = False
    ) -> None:
        self.path = str(path)
        if readonly:
            uri = f"file:{Path(self.path).resolve()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None)
        else:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._db.executescript(_SCHEMA)
        self._meters: dict[bytes, _Meter] = {}
        self._tariffs: dict[bytes, Tariff] = {}

    def close(self) -> None:
        """Close the store."""
        self._db.close()

    def __enter__(self) -> Retailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db)

    # --- registry -----------------------------------------------------------

    def add_tariff(self, tariff: Tariff) -> bytes:
        """Store a tariff; returns the digest statements name it by."""
        digest = tariff_digest(tariff)
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO tariffs VALUES (?, ?)", (digest, tariff_to_json(tariff))
            )
        self._tariffs[digest] = tariff
        return digest

    def register_meter(self, identity: MeterIdentity, tariff: Tariff | None = None) -> None:
        """Register a meter's public key, and the tariff its customer is on.

        Bills are only verified for a meter with a contracted tariff: otherwise a
        household could pick whichever known tariff bills it least.
        """
        key = identity.verifying_key
        # strict decoding again: refuses small-order or non-canonical keys however made
        key = VerifyingKey.from_bytes(key.to_bytes(compressed=False), key.alg)
        digest = self.add_tariff(tariff) if tariff is not None else None
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO meters VALUES (?, ?, ?, ?)",
                (identity.meter_id, key.alg, key.to_bytes(), digest),
            )
        self._meters.pop(identity.meter_id, None)

    def _meter(self, meter_id: bytes) -> _Meter:
        meter = self._meters.get(meter_id)
        if meter is None:
            row = self._db.execute(
                "SELECT alg, public_key, tariff FROM meters WHERE meter_id = ?", (meter_id,)
            ).fetchone()
            if row is None:
                raise UnknownMeterError(f"meter {meter_id.hex()} is not registered")
            meter = _Meter(VerifyingKey.from_bytes(row[1], row[0]), row[2])
            self._meters[meter_id] = meter
        return meter

    def _tariff(self, digest: bytes) -> Tariff:
        tariff = self._tariffs.get(digest)
        if tariff is None:
            row = self._db.execute(
                "SELECT json FROM tariffs WHERE digest = ?", (digest,)
            ).fetchone()
            if row is None:
                raise TariffError(f"unknown tariff {digest.hex()[:16]}")
            tariff = self._tariffs[digest] = tariff_from_json(row[0])
        return tariff

    # --- ingest -------------------------------------------------------------

    def ingest(self, batch: bytes | SignedBatch, hints: bytes | None = None) -> IngestReceipt:
        """Check and store one signed batch; raise the specific error otherwise.

        Returns only once the batch is committed. On any error nothing of the
        batch is stored; it goes to the rejection log, and an equivocating batch
        also to the evidence table. ``hints`` are the optional decoding hints
        for the batch's commitments (:func:`privbill.pedersen.decode_hints`):
        they make ingest faster and can never change its verdict.
        """
        (result,) = self.ingest_many([(batch, hints)])
        if isinstance(result, PrivbillError):
            raise result
        return result

    def ingest_many(
        self, batches: Sequence[bytes | SignedBatch | tuple[bytes | SignedBatch, bytes | None]]
    ) -> list[IngestReceipt | PrivbillError]:
        """Ingest batches in order, each exactly as :meth:`ingest` would: the
        result is its receipt, or the error it raised (and logged).

        Faster than one :meth:`ingest` per batch: the Ed25519 signatures are
        checked together (:func:`privbill.keys.verify_many`), each batch is
        checked against the meter's history as the batches before it leave it,
        and the accepted ones are written together in one transaction (a
        rejected one is never written). Receipts are returned once that
        transaction is committed. An item may be ``(batch, hints)``.
        """
        items = [b if isinstance(b, tuple) else (b, None) for b in batches]
        results: list[IngestReceipt | PrivbillError | None] = [None] * len(items)
        meter_ids: list[bytes | None] = [None] * len(items)
        encoded = [bytes(b) for b, _ in items]
        checked: list[tuple[int, SignedBatch, _Meter]] = []
        for i, data in enumerate(encoded):
            try:
                signed = SignedBatch.decode(data)
                meter_ids[i] = signed.payload.meter_id
                checked.append((i, signed, self._meter(signed.payload.meter_id)))
            except PrivbillError as exc:
                results[i] = exc
        valid = verify_many([(m.key, s.to_be_signed(), s.signature) for _, s, m in checked])
        ready: list[tuple[int, SignedBatch, CommitmentSet]] = []
        for (i, signed, meter), ok in zip(checked, valid, strict=True):
            try:
                if not ok:
                    signed.verify(meter.key)  # raises the precise BadSignatureError
                ready.append((i, signed, self._points(signed, meter, items[i][1])))
            except PrivbillError as exc:
                results[i] = exc
        with self._transaction() as db:
            # Every check runs before any write, against the meter's history as
            # the batches before it in this call leave it; only accepted batches
            # are written, so a rejected one leaves no trace (no savepoints needed).
            history = _History(db, [signed.payload for _, signed, _ in ready])
            rows: list[tuple[object, ...]] = []
            for i, signed, points in ready:
                try:
                    history.check(signed)
                except PrivbillError as exc:
                    results[i] = exc
                    continue
                history.accept(signed)
                p = signed.payload
                rows.append(
                    (
                        p.meter_id,
                        p.channel,
                        p.counter,
                        p.first_index,
                        p.count,
                        p.presence,
                        signed.encoded,
                        points.to_points(),
                    )
                )
                results[i] = IngestReceipt(
                    p.meter_id, p.channel, p.counter, p.first_index, p.count, len(points)
                )
            db.executemany("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT OR REPLACE INTO chains VALUES (?, ?, ?, ?, ?)", history.heads())
        rejected = [(i, r) for i, r in enumerate(results) if isinstance(r, PrivbillError)]
        if rejected:
            with self._transaction() as db:
                for i, error in rejected:
                    self._reject(db, encoded[i], meter_ids[i], error)
        return [r for r in results if r is not None]

    def _points(self, signed: SignedBatch, meter: _Meter, hints: bytes | None) -> CommitmentSet:
        """The batch's commitments, decoded (step 4 of docs/protocol.md, "Ingesting
        a batch"); then the check against the contract that needs no store."""
        payload = signed.payload
        if hints is not None and len(hints) != len(payload.commitments):
            hints = None  # unsigned and optional: malformed hints only cost time
        points = CommitmentSet.from_bytes(payload.commitments, hints)
        if meter.tariff is not None and payload.channel == CHANNEL_IMPORT:
            contracted = self._tariff(meter.tariff).period
            if payload.period != contracted:
                raise BatchError(
                    f"batch period is {payload.period} s, the contracted tariff's {contracted} s"
                )
        if payload.last_index > _SQLITE_INT_MAX or payload.counter > _SQLITE_INT_MAX:
            raise BatchError("first_index/counter: beyond any date this store handles")
        return points

    def _reject(
        self, db: sqlite3.Connection, encoded: bytes, meter_id: bytes | None, exc: PrivbillError
    ) -> None:
        now = time.time()
        digest = hashlib.sha256(encoded).digest()
        db.execute(
            "INSERT INTO rejections (at, meter_id, error, reason, size, sha256, head)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                now,
                meter_id,
                type(exc).__name__,
                str(exc),
                len(encoded),
                digest,
                encoded[:REJECTION_HEAD],
            ),
        )
        conflicts = getattr(exc, "conflicts", ())
        if conflicts:
            # The conflicting batch is kept once, whatever the number of
            # intervals or resubmissions; each row points at it.
            p = SignedBatch.decode(encoded).payload
            db.execute("INSERT OR IGNORE INTO evidence_batches VALUES (?, ?)", (digest, encoded))
            db.executemany(
                "INSERT OR IGNORE INTO evidence VALUES (?, ?, ?, ?, ?, ?)",
                ((now, p.meter_id, p.channel, idx, stored, digest) for idx, stored in conflicts),
            )

    def rejections(self) -> list[Rejection]:
        """The rejection log, oldest first."""
        rows = self._db.execute(
            "SELECT at, meter_id, error, reason, size, sha256, head FROM rejections ORDER BY id"
        ).fetchall()
        return [Rejection(*row) for row in rows]

    def equivocations(self) -> list[tuple[bytes, bytes]]:
        """Evidence of equivocation: (stored batch, conflicting batch) encodings."""
        rows = self._db.execute(
            "SELECT DISTINCT b.encoded, x.encoded FROM evidence e"
            " JOIN batches b ON b.meter_id = e.meter_id AND b.channel = e.channel"
            " AND b.counter = e.stored_counter"
            " JOIN evidence_batches x ON x.hash = e.batch_hash ORDER BY e.at, e.idx"
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def batch_count(self) -> int:
        """How many batches the store holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM batches").fetchone()[0])

    # --- verification -------------------------------------------------------

    def stored_commitments(
        self, meter_id: bytes, channel: int, intervals: range
    ) -> tuple[list[int], CommitmentSet]:
        """The recorded interval indices in ``intervals`` (ascending) and their
        commitments, decoded at ingest: what a statement or a consented
        disclosure over these intervals is checked against.

        Raises :class:`CoverageError` unless stored batches cover every interval
        of the range (recorded or marked missing): before the meter has reported
        a period, nothing about it can be verified.
        """
        recorded, raw = self._stored(meter_id, channel, intervals)
        return [intervals.start + k for k in set_bits(recorded)], CommitmentSet.from_points(raw)

    def _stored(self, meter_id: bytes, channel: int, intervals: range) -> tuple[int, bytes]:
        """The recorded intervals of ``intervals`` as a bitmap (bit ``k``: interval
        ``intervals.start + k``), and their commitments in internal form."""
        lo, hi = intervals.start, intervals.stop
        # A batch covers at most MAX_COUNT intervals: the lower bound on first_index
        # lets the index stop there, not scan the meter's whole history.
        rows = self._db.execute(
            "SELECT first_index, count, presence, points FROM batches WHERE meter_id = ?"
            " AND channel = ? AND first_index BETWEEN ? AND ? AND first_index + count > ?"
            " ORDER BY first_index",
            (meter_id, channel, lo - MAX_COUNT + 1, hi - 1, lo),
        ).fetchall()
        covered = lo  # batches never overlap, so they tile the range in order
        for first, count, _, _ in rows:
            if first > covered:
                break
            covered = max(covered, first + count)
        if covered < hi:
            when = _when(covered, self._period_of(meter_id, channel) or 1800)
            raise CoverageError(
                f"no batch from meter {meter_id.hex()} covers {when} yet:"
                " a period cannot be verified before the meter has reported it"
            )
        recorded = 0
        parts: list[bytes] = []
        size = POINT_SIZE
        for first, count, presence, points in rows:
            # the batch's part in [lo, hi), and how many commitments it holds before
            start, stop = max(first, lo), min(first + count, hi)
            bits = int.from_bytes(presence, "little")
            before = (bits & ((1 << (start - first)) - 1)).bit_count()
            inside = (bits >> (start - first)) & ((1 << (stop - start)) - 1)
            taken = inside.bit_count()
            parts.append(points[before * size : (before + taken) * size])
            recorded |= inside << (start - lo)
        return recorded, b"".join(parts)

    def _period_of(self, meter_id: bytes, channel: int) -> int | None:
        """The interval length of the meter's batches on a channel (None before any)."""
        row = self._db.execute(
            "SELECT period FROM chains WHERE meter_id = ? AND channel = ?", (meter_id, channel)
        ).fetchone()
        return int(row[0]) if row else None

    def verify(
        self, statement: Statement | bytes, export: Statement | bytes | None = None
    ) -> VerifiedBill:
        """Verify a statement (and optionally the export channel's, in total
        mode, for the same period) and compute the bill. Raises the specific
        :mod:`privbill.errors` exception on any mismatch; never returns False.
        """
        st = statement if isinstance(statement, Statement) else Statement.decode(statement)
        verified = self._verify_one(st)
        if export is None:
            return verified
        ex = export if isinstance(export, Statement) else Statement.decode(export)
        if verified.bill is None:
            raise FormatError("an export credit needs an import statement in bands or amount mode")
        if (ex.meter_id, ex.start, ex.end) != (st.meter_id, st.start, st.end):
            raise CoverageError("the export statement is for another meter or period")
        if ex.mode != "total" or ex.channel != CHANNEL_EXPORT:
            raise FormatError("the export statement must be in total mode on the export channel")
        export_wh = self._verify_one(ex).total_wh
        tariff = self._tariff(st.tariff_digest)
        if verified.mode == "bands":
            assert verified.band_totals is not None
            bill = bill_from_band_totals(tariff, verified.period, verified.band_totals, export_wh)
        else:
            assert verified.weighted_sum is not None
            bill = bill_from_amount(tariff, verified.period, verified.weighted_sum, export_wh)
        return VerifiedBill(**{**verified.__dict__, "bill": bill})

    def _verify_one(self, st: Statement) -> VerifiedBill:
        meter = self._meter(st.meter_id)
        if meter.tariff is None:
            raise TariffError(f"meter {st.meter_id.hex()} has no contracted tariff to bill on")
        tariff = self._tariff(st.tariff_digest)
        if st.channel != CHANNEL_IMPORT and st.mode != "total":
            raise FormatError(f"channel {st.channel} is disclosed in total mode only")
        if st.tariff_digest != meter.tariff:
            raise TariffError(
                f"statement is under tariff {st.tariff_digest.hex()[:16]}, but meter"
                f" {st.meter_id.hex()} is contracted on {meter.tariff.hex()[:16]}"
            )
        period = BillingPeriod(st.start, st.end, tariff.tz, tariff.period)
        reported = self._period_of(st.meter_id, st.channel)
        if reported is not None and reported != tariff.period:
            raise TariffError(
                f"the meter reports {reported} s intervals, the tariff bills {tariff.period} s ones"
            )
        intervals = period.intervals()
        n = len(intervals)
        try:
            claimed = st.presence_mask(n)
        except PrivbillError as exc:
            raise FormatError(str(exc)) from None
        stored, raw = self._stored(st.meter_id, st.channel, intervals)
        if claimed != stored:
            omitted = [intervals.start + k for k in set_bits(stored & ~claimed)]
            invented = [intervals.start + k for k in set_bits(claimed & ~stored)]
            if omitted:
                raise CoverageError(
                    f"statement omits {len(omitted)} interval(s) the store holds:"
                    f" {_list(omitted, period.period)}"
                )
            raise CoverageError(
                f"statement claims {len(invented)} interval(s) the store lacks:"
                f" {_list(invented, period.period)}"
            )
        # With every interval recorded (the usual case), the k-th commitment is the
        # k-th interval's and the per-tariff caches give the weights directly.
        complete = stored == (1 << n) - 1
        positions = range(n) if complete else set_bits(stored)
        points = CommitmentSet.from_points(raw)
        openings = st.openings()
        band_totals = weighted = total = None
        bill = None
        if st.mode == "bands":
            names = tariff.band_names
            if len(st.values) != len(names):
                raise FormatError(f"bands mode needs {len(names)} values, got {len(st.values)}")
            members: Sequence[Sequence[int]]
            if complete:
                members = tariff.band_positions(intervals)  # cached per tariff
            else:
                bands = tariff.band_indices(intervals)  # the whole range: cached per tariff
                partial: list[list[int]] = [[] for _ in names]
                for k, j in enumerate(positions):
                    partial[bands[j]].append(k)
                members = partial
            for b, name in enumerate(names):
                _check_opening(points.sum(members[b]), st.values[b][0], openings[b], name)
            band_totals = {name: v for name, (v, _) in zip(names, st.values, strict=True)}
            bill = bill_from_band_totals(tariff, period, band_totals)
        elif st.mode == "amount":
            prices = tariff.price_weights(intervals)
            weights = prices if complete else [prices[j] for j in positions]
            _check_opening(points.combine(weights), st.values[0][0], openings[0], "amount")
            weighted = st.values[0][0]
            bill = bill_from_amount(tariff, period, weighted)
        else:
            _check_opening(points.sum(), st.values[0][0], openings[0], "total")
            total = st.values[0][0]
        return VerifiedBill(
            st.meter_id,
            st.channel,
            period,
            st.mode,
            len(intervals),
            len(positions),
            band_totals,
            weighted,
            total,
            bill,
        )

    def verify_many(
        self,
        statements: Iterable[Statement | bytes | tuple[Statement | bytes, Statement | bytes]],
        executor: Executor | None = None,
        *,
        chunk_size: int = 256,
    ) -> list[VerifiedBill | PrivbillError]:
        """Verify many statements; each result is a VerifiedBill or the error
        that statement raised (bulk verification does not stop at the first).
        An item may be a pair ``(statement, export_statement)``, verified as
        :meth:`verify` does with ``export=``.

        With an ``executor`` (a process pool, ``dask.distributed``'s
        ``client.get_executor()``, ...) chunks are verified in parallel by
        workers that open this store read-only, so it must be file-backed.
        """
        blobs: list[_Item] = [
            (bytes(s[0]), bytes(s[1])) if isinstance(s, tuple) else bytes(s) for s in statements
        ]
        if executor is None:
            return _verify_blobs(self, blobs)
        if self.path == ":memory:":
            raise PrivbillError("parallel verification needs a file-backed store")
        futures = [
            executor.submit(_verify_chunk, self.path, blobs[i : i + chunk_size])
            for i in range(0, len(blobs), chunk_size)
        ]
        return [result for f in futures for result in f.result()]


_Chain = tuple[bytes, int]  # (meter_id, channel)


class _History:
    """The history of the meter channels an ingest transaction touches, as that
    transaction sees it: steps 5 to 8 of docs/protocol.md ("Ingesting a batch")
    check a batch against the chain head and the batches it may overlap.

    Read once per meter and channel when the transaction starts, then kept up to
    date in memory as batches are accepted, so checking a batch costs no SQL
    (except reading a stored batch it overlaps, to look for equivocation).
    """

    def __init__(self, db: sqlite3.Connection, payloads: Iterable[BatchPayload]) -> None:
        self._db = db
        spans: dict[_Chain, tuple[int, int]] = {}
        for p in payloads:
            lo, hi = spans.get((p.meter_id, p.channel), (p.first_index, p.last_index))
            spans[p.meter_id, p.channel] = (min(lo, p.first_index), max(hi, p.last_index))
        #: Per chain: the last accepted (counter, hash, period), or (0, ZERO_HASH, None).
        self._heads: dict[_Chain, tuple[int, bytes, int | None]] = {}
        #: Per chain: the batches near this call's, sorted by first index (they never
        #: overlap, so first indices are distinct): (first_index, count, counter,
        #: encoding, None while only the store has it).
        self._firsts: dict[_Chain, list[int]] = {}
        self._nearby: dict[_Chain, list[tuple[int, int, int, bytes | None]]] = {}
        self._moved: dict[_Chain, None] = {}  # chains whose head moved, in order
        for chain, (lo, hi) in spans.items():
            row = db.execute(
                "SELECT counter, hash, period FROM chains WHERE meter_id = ? AND channel = ?",
                chain,
            ).fetchone()
            self._heads[chain] = (row[0], row[1], row[2]) if row else (0, ZERO_HASH, None)
            # A batch covers at most MAX_COUNT intervals: the lower bound on
            # first_index lets the index stop there, not scan the whole history.
            rows = db.execute(
                "SELECT first_index, count, counter FROM batches WHERE meter_id = ?"
                " AND channel = ? AND first_index BETWEEN ? AND ? AND first_index + count > ?"
                " ORDER BY first_index",
                (*chain, lo - MAX_COUNT + 1, hi, lo),
            ).fetchall()
            self._firsts[chain] = [r[0] for r in rows]
            self._nearby[chain] = [(first, count, counter, None) for first, count, counter in rows]

    def check(self, signed: SignedBatch) -> None:
        """Raise the error of the first of steps 5 to 8 that ``signed`` fails."""
        p = signed.payload
        chain = (p.meter_id, p.channel)
        counter, last_hash, period = self._heads[chain]
        if period is not None and p.period != period:
            # an index means another time under another period: one period per chain
            raise BatchError(f"batch period is {p.period} s, the meter's chain uses {period} s")
        overlaps = self._overlaps(chain, p)
        if overlaps:
            _check_equivocation(signed, overlaps)
        if p.counter <= counter:
            raise ReplayError(f"batch counter {p.counter} is not after {counter}: replayed")
        if p.counter > counter + 1:
            raise ChainError(
                f"batch counter {p.counter} skips {p.counter - counter - 1} batch(es)"
                f" after {counter}: omitted"
            )
        if p.prev_hash != last_hash:
            raise ChainError(f"batch {p.counter} does not link to batch {counter}")
        if overlaps:
            # Each interval belongs to one batch: no back-filling of a batch's
            # missing intervals by a later one (the meter reports what it recorded).
            raise BatchError(
                f"batch {p.counter} overlaps the intervals of stored batch {overlaps[0][0]}"
                f" from {_when(overlaps[0][1], p.period)}"
            )

    def accept(self, signed: SignedBatch) -> None:
        """Record ``signed`` (checked) as its chain's new head."""
        p = signed.payload
        chain = (p.meter_id, p.channel)
        self._heads[chain] = (p.counter, signed.hash(), p.period)
        k = bisect.bisect(self._firsts[chain], p.first_index)
        self._firsts[chain].insert(k, p.first_index)
        self._nearby[chain].insert(k, (p.first_index, p.count, p.counter, signed.encoded))
        self._moved[chain] = None

    def heads(self) -> list[tuple[bytes, int, int, bytes, int | None]]:
        """Rows of the chains table for the chains whose head moved."""
        return [(*chain, *self._heads[chain]) for chain in self._moved]

    def _overlaps(self, chain: _Chain, p: BatchPayload) -> list[tuple[int, int, bytes]]:
        """(counter, first_index, encoding) of the batches overlapping ``p``, in order."""
        firsts, nearby = self._firsts[chain], self._nearby[chain]
        lo = bisect.bisect_left(firsts, p.first_index - MAX_COUNT + 1)
        hi = bisect.bisect_right(firsts, p.last_index)
        return [
            (counter, first, encoded if encoded is not None else self._encoded(chain, counter))
            for first, count, counter, encoded in nearby[lo:hi]
            if first + count > p.first_index
        ]

    def _encoded(self, chain: _Chain, counter: int) -> bytes:
        row = self._db.execute(
            "SELECT encoded FROM batches WHERE meter_id = ? AND channel = ? AND counter = ?",
            (*chain, counter),
        ).fetchone()
        return bytes(row[0])


def _check_equivocation(signed: SignedBatch, overlaps: list[tuple[int, int, bytes]]) -> None:
    """Raise EquivocationError if a stored batch commits differently to an interval
    this batch also commits to; ``.conflicts`` lists (interval, stored counter)."""
    p = signed.payload
    mine = dict(p.present_commitments())
    conflicts = sorted(
        (i, counter)
        for counter, _, encoded in overlaps
        for i, c in SignedBatch.decode(encoded).payload.present_commitments()
        if i in mine and mine[i] != c
    )
    if conflicts:
        error = EquivocationError(
            f"meter {p.meter_id.hex()} signed a different commitment for"
            f" {len(conflicts)} stored interval(s), first {_when(conflicts[0][0], p.period)}"
        )
        error.conflicts = conflicts  # type: ignore[attr-defined]
        raise error


def _check_opening(commitment: object, value: int, opening: object, what: str) -> None:
    try:
        verify_opening(commitment, value, opening)  # type: ignore[arg-type]
    except OpeningError:
        raise OpeningError(f"{what}: the disclosed value does not open the commitments") from None


_Item = bytes | tuple[bytes, bytes]


def _verify_blobs(retailer: Retailer, blobs: Sequence[_Item]) -> list[VerifiedBill | PrivbillError]:
    results: list[VerifiedBill | PrivbillError] = []
    for blob in blobs:
        try:
            if isinstance(blob, tuple):
                results.append(retailer.verify(blob[0], export=blob[1]))
            else:
                results.append(retailer.verify(blob))
        except PrivbillError as exc:
            results.append(exc)
    return results


_WORKER_STORES: dict[str, Retailer] = {}


def _verify_chunk(path: str, blobs: Sequence[_Item]) -> list[VerifiedBill | PrivbillError]:
    """Worker side of :meth:`Retailer.verify_many`: one read-only store per process."""
    retailer = _WORKER_STORES.get(path)
    if retailer is None:
        retailer = _WORKER_STORES[path] = Retailer(path, readonly=True)
    return _verify_blobs(retailer, blobs)


def _when(index: int, period: int) -> str:
    return f"interval {index} ({start_of(index, period).isoformat()})"


def _list(indices: list[int], period: int) -> str:
    shown = ", ".join(_when(i, period) for i in indices[:3])
    return shown + (f" and {len(indices) - 3} more" if len(indices) > 3 else "")
