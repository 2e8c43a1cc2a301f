"""Crash safety of the retailer's store: SIGKILL in the middle of ingests, many times.

A child process ingests batches into a file-backed, durable ``Retailer`` (WAL,
``synchronous=FULL``) as fast as it can: three meters (two Ed25519, one P-256) upload a
day at a time, one batch per ``ingest`` or several per ``ingest_many``, with a replayed
and a malformed batch now and then so that rejection-log transactions are killed too.
After each ``ingest`` returns, the child prints ``ACK <meter> <channel> <counter>`` and
flushes: that batch is acknowledged. The parent kills the child with SIGKILL at a random
moment, then opens the store and checks:

- ``PRAGMA integrity_check`` is ``ok`` (the database opens consistent);
- no batch is half-stored: every stored row decodes to a batch whose meter, channel,
  counter, first index, count and presence are the row's, and whose commitments decode
  to exactly the row's points (the decoded form kept for verification);
- per meter and channel the counters are 1, 2, ..., n with no gap, each batch links to
  the previous one's hash, and the chain table holds n and the hash of batch n;
- every acknowledged batch is there (nothing acknowledged is lost);
- the store still works: the parent verifies a statement over the first stored day.

The next child resumes where the store is (meters continue their chains from the
retailer's chain table, as a meter resumes from non-volatile memory), so the trials
build one growing store. Default run: 5 trials; slow run: 50. The seed is printed
(``PRIVBILL_SEED`` replays the kill times).
"""

from __future__ import annotations

import hashlib
import os
import random
import select
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from privbill.household import Household
from privbill.intervals import BillingPeriod, local_day_intervals
from privbill.keys import CommitmentSecret, SigningKey
from privbill.meter import Meter
from privbill.pedersen import CommitmentSet
from privbill.retailer import Retailer
from privbill.tariffs import classic_three_band
from privbill.wire import ZERO_HASH, SignedBatch

REPO = Path(__file__).resolve().parent.parent
TZ = "Europe/London"
FIRST_DAY = date(2013, 1, 1)
SPECS = (("ed25519", 0x11), ("ed25519", 0x22), ("p256", 0x33))


def day_readings(meter_seed: int, day: int) -> list[int | None]:
    """Deterministic readings of one meter's day: parent and child agree."""
    values: list[int | None] = [100 + (meter_seed * 7 + day * 13 + j * 29) % 500 for j in range(48)]
    if day % 5 == 3:
        values[17] = None
    return values


def fleet() -> list[Meter]:
    return [
        Meter(bytes([seed]) * 16, SigningKey.from_bytes(bytes([seed]) * 32, alg),
              CommitmentSecret.from_bytes(bytes([seed ^ 0xFF]) * 32))
        for alg, seed in SPECS
    ]  # fmt: skip


#: Batch n covers the 48 half-hours from FIRST_INDEX + 48 * (n - 1): consecutive blocks
#: (local days until the clocks change, which only the first day's statement needs).
FIRST_INDEX = local_day_intervals(FIRST_DAY, TZ).start

CHILD = r"""
import os, sys
from privbill.errors import PrivbillError
from privbill.retailer import Retailer
from test_crash import FIRST_INDEX, SPECS, day_readings, fleet, tariff

path, seed = sys.argv[1], int(sys.argv[2])
import random
rng = random.Random(seed)
retailer = Retailer(path, durable=True)
meters = fleet()
for m in meters:
    retailer.register_meter(m.identity, tariff())
chains = {r[0]: (r[2], r[3]) for r in retailer._db.execute(
    "SELECT meter_id, channel, counter, hash FROM chains WHERE channel = 0")}
for m in meters:
    if m.meter_id in chains:
        m.restore_chain(0, *chains[m.meter_id])
last = {}
print("READY", flush=True)

def next_batch(m):
    counter = m.chain_state().get(0, (0, b""))[0]
    day = counter  # batch n covers day n - 1
    seed = m.meter_id[0]
    return m.commit(FIRST_INDEX + 48 * day, day_readings(seed, day))

def ack(b):
    p = b.payload
    last[p.meter_id] = b
    print(f"ACK {p.meter_id.hex()} {p.channel} {p.counter}", flush=True)

while True:
    m = rng.choice(meters)
    op = rng.random()
    if op < 0.08 and m.meter_id in last:
        try:
            retailer.ingest(last[m.meter_id].encoded)  # a replay: refused and logged
        except PrivbillError:
            pass
    elif op < 0.12:
        try:
            retailer.ingest(os.urandom(rng.randrange(1, 300)))  # garbage: refused and logged
        except PrivbillError:
            pass
    elif op < 0.3:
        batches = [next_batch(m) for _ in range(rng.randrange(2, 5))]
        for b, r in zip(batches, retailer.ingest_many([b.encoded for b in batches])):
            if isinstance(r, PrivbillError):
                raise SystemExit(f"honest batch refused: {r!r}")
            ack(b)
    else:
        b = next_batch(m)
        retailer.ingest(b.encoded)
        ack(b)
"""


def tariff():  # type: ignore[no-untyped-def]
    return classic_three_band(tz=TZ)


def run_child(path: Path, seed: int, kill_after: float) -> tuple[set[tuple[str, int, int]], bool]:
    """Start the child, let it ingest for ``kill_after`` seconds after READY, SIGKILL it.
    Returns the acknowledged batches and whether it was still running when killed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tests")])}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    out = b""
    deadline = None
    try:
        while True:
            timeout = 60.0 if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([proc.stdout], [], [], timeout)
            if not ready:
                break  # time to kill
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break  # the child exited by itself
            out += chunk
            if deadline is None and b"READY\n" in out:
                deadline = time.monotonic() + kill_after
        running = proc.poll() is None
        proc.kill()  # SIGKILL, to this child only
    finally:
        proc.wait(timeout=30)
    out += proc.stdout.read()
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert b"READY\n" in out, f"the child did not start: {err[-2000:]}"
    assert running, f"the child stopped by itself before the kill: {err[-2000:]}"
    acked = set()
    for line in out.split(b"\n")[:-1]:  # a last line without its newline was cut by the kill
        if line.startswith(b"ACK "):
            _, meter, channel, counter = line.decode().split()
            acked.add((meter, int(channel), int(counter)))
    return acked, running


def check_store(path: Path, acked: set[tuple[str, int, int]]) -> int:
    """The checks of the module docstring; returns the number of stored batches."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute(
            "SELECT meter_id, channel, counter, first_index, count, presence, encoded, points"
            " FROM batches ORDER BY meter_id, channel, counter"
        ).fetchall()
        chains = {(r[0], r[1]): (r[2], r[3]) for r in
                  db.execute("SELECT meter_id, channel, counter, hash FROM chains")}  # fmt: skip
    finally:
        db.close()
    by_line: dict[tuple[bytes, int], list[tuple[int, bytes]]] = {}
    for meter_id, channel, counter, first, count, presence, encoded, points in rows:
        b = SignedBatch.decode(encoded)
        p = b.payload
        assert (p.meter_id, p.channel, p.counter, p.first_index, p.count, p.presence) == (
            meter_id, channel, counter, first, count, presence
        ), "a row disagrees with its own signed batch"  # fmt: skip
        assert CommitmentSet.from_bytes(p.commitments).to_points() == points, "half-stored points"
        by_line.setdefault((meter_id, channel), []).append((counter, encoded))
    for line, batches in by_line.items():
        counters = [c for c, _ in batches]
        assert counters == list(range(1, len(counters) + 1)), f"gap in {line}: {counters}"
        prev = ZERO_HASH
        for _, encoded in batches:
            assert SignedBatch.decode(encoded).payload.prev_hash == prev
            prev = hashlib.sha256(encoded).digest()
        assert chains.get(line) == (len(counters), prev), "chain table != last stored batch"
    assert set(chains) == set(by_line)
    stored = {(m.hex(), ch, c) for (m, ch), bs in by_line.items() for c, _ in bs}
    lost = acked - stored
    assert not lost, f"acknowledged but not stored: {sorted(lost)[:5]}"
    return len(rows)


def check_still_works(path: Path) -> None:
    """The re-opened store verifies a statement over the first day of a stored meter."""
    with Retailer(path) as retailer:
        meters = fleet()
        m = next((m for m in meters if retailer._period_of(m.meter_id, 0)), None)
        if m is None:
            return
        home = Household(m.meter_id, m.secret)
        period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=1), TZ)
        values = day_readings(m.meter_id[0], 0)
        home.load({i: v for i, v in zip(period.intervals(), values, strict=True) if v is not None})
        verified = retailer.verify(home.statement(period, tariff()))
        assert verified.recorded == sum(v is not None for v in values)


def crash_trials(tmp_path: Path, trials: int) -> None:
    from conftest import SESSION_SEED  # here: the child imports this module, not pytest's

    path = tmp_path / "store.sqlite"
    rng = random.Random(f"{SESSION_SEED}/crash")
    acked: set[tuple[str, int, int]] = set()
    stored = 0
    for trial in range(trials):
        kill_after = rng.choice([0.0, 0.001, 0.005]) if trial % 4 == 0 else rng.uniform(0, 0.4)
        new, _ = run_child(path, rng.randrange(2**31), kill_after)
        acked |= new
        stored = check_store(path, acked)
        check_still_works(path)
    print(
        f"{trials} SIGKILL trials (PRIVBILL_SEED={SESSION_SEED}): {len(acked)} batches"
        f" acknowledged, {stored} stored, none lost, store consistent after each kill"
    )
    assert stored >= len(acked) > 0


def test_sigkill_during_ingest(tmp_path: Path) -> None:
    crash_trials(tmp_path, 5)


@pytest.mark.slow
def test_sigkill_during_ingest_many_times(tmp_path: Path) -> None:
    crash_trials(tmp_path, 50)
