"""``privbill settlement demo``: the network operator's view of a feeder.

Simulates a group of households end to end for every interval of the chosen
days: meters commit to their readings (the public commitments), enrol in the
aggregator's roster, send masked (or Paillier-encrypted) reports, some drop
out, and the aggregator recovers, unmasks and verifies each half-hour's sum
against the commitments.

::

    privbill settlement demo [--consumption FILE] [--days N] [--households N]
                             [--dropout F] [--backend masking|paillier] [--json]

With ``--json`` it prints ``{"intervals": [{"start", "sum_wh", "households",
"dropped", "verified"}, ...]}`` (``start`` is ISO 8601 with its UTC offset,
household ids are the customer ids of the file or ``home-N`` for the load
model).

:func:`simulate_group` is the picklable unit of work (one group, many
intervals) that :func:`privbill.settlement.run_groups` sends through an
executor; tests and benchmarks use it too.

>>> readings = {name: {10: 5 + n, 11: 6 + n} for n, name in enumerate("abcdef")}
>>> del readings["f"][11]                      # meter f drops out at interval 11
>>> res = simulate_group(GroupSpec("demo", readings, intervals=[10, 11], seed=1))
>>> [(r.interval, r.sum_wh, len(r.households)) for r in res]
[(10, 45, 6), (11, 40, 5)]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from privbill.errors import PrivbillError, RangeError
from privbill.intervals import start_of
from privbill.keys import SigningKey
from privbill.pedersen import commit_batch, derive_blinding
from privbill.settlement import (
    MIN_THRESHOLD,
    Aggregator,
    CommitmentBook,
    IntervalAggregate,
    LocalTransport,
    MeterClient,
    PaillierSettlement,
    RecoveryError,
    Roster,
    ThresholdError,
)

__all__ = [
    "AbortedInterval",
    "GroupSpec",
    "add_parser",
    "meter_id_of",
    "settlement_main",
    "simulate_group",
]


def meter_id_of(customer: str) -> bytes:
    """A 16-byte meter id for a customer id (first bytes of its SHA-256)."""
    return hashlib.sha256(b"privbill-demo-meter/" + customer.encode()).digest()[:16]


@dataclass
class GroupSpec:
    """One group's simulation: readings ``{customer: {index: Wh}}``, the
    intervals to settle, the dropout probability per meter and interval."""

    group_id: str
    readings: Mapping[str, Mapping[int, int]]
    intervals: Sequence[int]
    dropout: float = 0.0
    seed: int = 0
    backend: str = "masking"
    paillier_bits: int = 3072
    threshold: int | None = None
    min_threshold: int = MIN_THRESHOLD  # the meters' floor (MeterClient)
    degree: int | None = None
    pool: bool = True
    keep_aborted: bool = False  # record rounds below the threshold instead of raising
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AbortedInterval:
    """A round that released nothing (fewer than ``t`` reports, or a recovery that
    could not complete): ``reason`` is the error's message."""

    interval: int
    start: datetime
    reason: str
    dropped: tuple[bytes, ...]
    households: tuple[bytes, ...] = ()
    sum_wh: None = None
    verified: bool = False


def simulate_group(spec: GroupSpec) -> list[IntervalAggregate | AbortedInterval]:
    """Run every interval of ``spec`` through a fresh group; the verified
    aggregates, one per interval. An interval with fewer than ``t`` reports
    raises :class:`~privbill.settlement.ThresholdError` (or, with
    ``spec.keep_aborted``, gives an :class:`AbortedInterval`)."""
    if not 0 <= spec.dropout < 1:
        raise RangeError("dropout must be in [0, 1)")
    rng = random.Random(f"privbill-settlement-demo/{spec.seed}/{spec.group_id}")
    customers = sorted(spec.readings)
    operator = SigningKey.generate()
    meters = {c: MeterClient(meter_id_of(c), min_threshold=spec.min_threshold) for c in customers}
    secret = {c: rng.randbytes(32) for c in customers}  # commitment secrets k (demo only)
    roster = Roster.create(
        spec.group_id.encode(),
        [m.member for m in meters.values()],
        threshold=spec.threshold,
        degree=spec.degree,
    ).sign(operator)
    # The public commitments: each meter's batch over the intervals.
    book = CommitmentBook()
    intervals = list(spec.intervals)
    if intervals:
        first, last = min(intervals), max(intervals)
        for c in customers:
            values = [spec.readings[c].get(i) for i in range(first, last + 1)]
            for start in range(0, len(values), 4096):
                chunk = values[start : start + 4096]
                if all(v is None for v in chunk):
                    continue
                cms = commit_batch(secret[c], meters[c].meter_id, 0, first + start, chunk)
                for j, cm in enumerate(cms):
                    if cm is not None:
                        book.add(meters[c].meter_id, first + start + j, cm)
    paillier = None
    clients: dict[str, Any]
    if spec.backend == "paillier":
        paillier = PaillierSettlement.setup(roster.roster, bits=spec.paillier_bits)
        for m in meters.values():  # provisioning: the holders every meter trusts
            m.trusted_holders = paillier.holders_digest
        clients = {c: paillier.client(meters[c], roster, operator.verifying_key) for c in customers}
    else:
        shares = [s for m in meters.values() for s in m.join(roster, operator.verifying_key)]
        for m in meters.values():
            m.accept_shares(shares)
        clients = dict(meters)
    transport = LocalTransport(meters.values())
    agg = Aggregator(roster, operator, book, transport, backend=spec.backend, paillier=paillier)  # type: ignore[arg-type]
    out: list[IntervalAggregate | AbortedInterval] = []
    for index in intervals:
        rnd = agg.open_round(index)
        for c in customers:
            value = spec.readings[c].get(index)
            if value is None or rng.random() < spec.dropout:
                continue  # no reading, or the meter dropped out
            rnd.submit(
                clients[c].report(
                    index, value, derive_blinding(secret[c], meters[c].meter_id, 0, index)
                )
            )
        try:
            out.append(agg.close_round())
        except (ThresholdError, RecoveryError) as exc:
            if not spec.keep_aborted:
                raise
            ids = roster.roster.ids
            out.append(AbortedInterval(index, start_of(index, roster.roster.period), str(exc), ids))
    return out


# --------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------


def _demo_readings(
    households: int, days: int, consumption: str | None, seed: int
) -> tuple[dict[str, dict[int, int]], list[int]]:
    if consumption:
        from privbill.readings import read_sgsc_csv

        data = read_sgsc_csv(consumption)
        names = list(data)[:households]
        readings = {n: dict(data[n].channel(0)) for n in names}
        start = min(min(r) for r in readings.values() if r)
        per_day = 86400 // 1800
        # whole local days of the file's clock (UTC+10): start at its first interval
        intervals = list(range(start, start + days * per_day))
        return readings, intervals
    from privbill.intervals import local_day_intervals
    from privbill.loadmodel import LoadModel

    model = LoadModel(seed=seed)
    first = date(2013, 10, 1)
    readings = {}
    for h in range(households):
        r = model.readings(h, first, first + timedelta(days=days))
        readings[f"home-{h + 1}"] = dict(r.channel(0))
    intervals = []
    for d in range(days):
        intervals.extend(local_day_intervals(first + timedelta(days=d), "Europe/London"))
    return readings, intervals


def _fraction(text: str) -> float:
    v = float(text)
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError("must be in [0, 1)")
    return v


def _positive(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return v


def _configure(p: argparse.ArgumentParser, with_json: bool) -> None:
    p.add_argument("--consumption", metavar="FILE", help="SGSC CSV (default: the load model)")
    p.add_argument("--days", type=_positive, default=1, metavar="N", help="days (default 1)")
    p.add_argument(
        "--households", type=_positive, default=10, metavar="N", help="households (default 10)"
    )
    p.add_argument(
        "--dropout",
        type=_fraction,
        default=0.1,
        metavar="F",
        help="probability that a meter misses an interval (default 0.1)",
    )
    p.add_argument("--backend", choices=("masking", "paillier"), default="masking")
    p.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    p.add_argument(
        "--paillier-bits",
        type=_positive,
        default=3072,
        help="each key holder's Paillier modulus (default 3072, at least 2048)",
    )
    if with_json:  # privbill.cli's common parent parser brings its own --json
        p.add_argument("--json", action="store_true", help="one JSON document on stdout")


def _run(args: argparse.Namespace) -> int:
    readings, intervals = _demo_readings(args.households, args.days, args.consumption, args.seed)
    if len(readings) < MIN_THRESHOLD:
        raise RangeError(
            f"a settlement group needs at least {MIN_THRESHOLD} households (the meters' floor)"
        )
    spec = GroupSpec(
        group_id="feeder-1",
        readings=readings,
        intervals=intervals,
        dropout=args.dropout,
        seed=args.seed,
        backend=args.backend,
        paillier_bits=args.paillier_bits,
        keep_aborted=True,
    )
    results = simulate_group(spec)
    name = {meter_id_of(c): c for c in readings}
    rows = [
        {
            "start": r.start.isoformat(),
            "sum_wh": r.sum_wh,
            "households": [name[m] for m in r.households],
            "dropped": [name[m] for m in r.dropped],
            "verified": r.verified,
        }
        | ({"error": r.reason} if isinstance(r, AbortedInterval) else {})
        for r in results
    ]
    if getattr(args, "json", False):
        json.dump({"intervals": rows}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"network operator, {len(readings)} households, backend {args.backend}")
    print(f"{'interval start (UTC)':<26} {'sum Wh':>9} {'counted':>8}  dropped")
    for row in rows:
        if "error" in row:
            print(f"{row['start']:<26} {'-':>9} {0:>8}  no sum released: {row['error']}")
            continue
        dropped = ", ".join(row["dropped"]) or "-"  # type: ignore[arg-type]
        print(
            f"{row['start']:<26} {row['sum_wh']:>9} {len(row['households']):>8}  {dropped}"  # type: ignore[arg-type]
        )
    aborted = sum(1 for row in rows if "error" in row)
    print(
        f"{len(rows)} intervals, every released sum verified against the meters' commitments"
        + (f"; {aborted} rounds released nothing (below the threshold)" if aborted else "")
    )
    return 0


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``privbill settlement`` extension of privbill.cli (see its EXTENSIONS)."""
    p = sub.add_parser("settlement", parents=[common], help="private aggregation for settlement")
    ssub = p.add_subparsers(dest="settlement_command", required=True)
    d = ssub.add_parser("demo", parents=[common], help="a feeder, half-hour by half-hour")
    _configure(d, with_json=False)
    d.set_defaults(handler=_run)


def settlement_main(argv: Sequence[str] | None = None) -> int:
    """``privbill settlement ...`` on its own: exit status 0, or 2 with one
    error line on stderr."""
    parser = argparse.ArgumentParser(prog="privbill settlement")
    ssub = parser.add_subparsers(dest="settlement_command", required=True)
    d = ssub.add_parser("demo")
    _configure(d, with_json=True)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (PrivbillError, OSError) as exc:
        print(f"privbill: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(settlement_main())
