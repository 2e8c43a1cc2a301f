"""Settlement (issue 4): masking per meter and per aggregator, Paillier against its peers.

- ``masking: meter report (n)``: one meter's masked report for one interval (the C
  call: self mask + one pairwise mask per neighbour), n = 10, 100, 1,000 (10,000 with
  ``PRIVBILL_BENCH_FULL=1``); complete graph up to 64 households, k-regular above.
  Goal: <= 1 ms at n = 1,000.
- ``masking: meter unmasking (n)``: one meter's unmasking answer (its self mask plus
  one unmasking pair per counted neighbour), including checking the signed request.
- ``masking: aggregator (n)``: the aggregator's work for one interval with no dropout,
  the reports received and the meters' answers precomputed: the signed unmasking
  request, the sums of the reports and answers, and the check against the
  commitments (decoded when their batches arrived). Goal: <= 20 ms at n = 10,000.
- ``paillier: encrypt``, ``paillier: aggregate 1000``, ``paillier: decrypt``,
  ``paillier: aggregate 1000 + decrypt``: privbill (3072-bit, online encryption from
  the precomputed pool, 3 key holders) beside phe (python-paillier) and pypaillier.

Group construction (X25519 keys, shares) is setup, not measured.
"""

from __future__ import annotations

import itertools
import os
import random
from typing import Any

import pytest

from privbill.keys import SigningKey
from privbill.paillier import (
    PackingParams,
    RandomnessPool,
    combine,
    deal,
    generate_keypair,
    partial_decrypt,
)
from privbill.pedersen import commit, derive_blinding
from privbill.settlement import (
    Aggregator,
    CommitmentBook,
    LocalTransport,
    MeterClient,
    RecoveryRequest,
    RecoveryResponse,
    Roster,
    Round,
)

bench = pytest.mark.benchmark
SIZES = [10, 100, 1000] + ([10000] if os.environ.get("PRIVBILL_BENCH_FULL") == "1" else [])
INDEX = 760_000


class _Cached:
    """A transport replaying the meters' first answers (so that only the
    aggregator is measured)."""

    def __init__(self, inner: LocalTransport) -> None:
        self.inner = inner
        self.cache: dict[tuple[bytes, str], RecoveryResponse | None] = {}
        self.many: dict[tuple[bytes, str], list[RecoveryResponse | None]] = {}

    def recover(self, meter_id: bytes, request: RecoveryRequest) -> RecoveryResponse | None:
        key = (meter_id, request.kind)
        if key not in self.cache:
            self.cache[key] = self.inner.recover(meter_id, request)
        return self.cache[key]

    def recover_many(
        self, meter_ids: list[bytes], request: RecoveryRequest
    ) -> list[RecoveryResponse | None]:
        key = (b"".join(meter_ids), request.kind)
        if key not in self.many:
            self.many[key] = [self.inner.recover(m, request) for m in meter_ids]
        return self.many[key]


_GROUPS: dict[int, Any] = {}


def _group(n: int) -> Any:
    if n in _GROUPS:
        return _GROUPS[n]
    rng = random.Random(n)
    operator = SigningKey.generate()
    meters = [MeterClient(rng.randbytes(16), min_threshold=2) for _ in range(n)]
    signed = Roster.create(b"bench", [m.member for m in meters]).sign(operator)
    shares = [s for m in meters for s in m.join(signed, operator.verifying_key)]
    for m in meters:
        m.accept_shares(shares)
    k = bytes(32)
    book = CommitmentBook()
    values = {m.meter_id: rng.randrange(3000) for m in meters}
    book.add_many(
        INDEX,
        {
            m.meter_id: bytes(commit(values[m.meter_id], derive_blinding(k, m.meter_id, 0, INDEX)))
            for m in meters
        },
    )
    reports = {
        m.meter_id: m.report(INDEX, values[m.meter_id], derive_blinding(k, m.meter_id, 0, INDEX))
        for m in meters
    }
    transport = _Cached(LocalTransport(meters))
    agg = Aggregator(signed, operator, book, transport)  # type: ignore[arg-type]
    g = (meters, reports, agg, values, k)
    _GROUPS[n] = g
    return g


@bench(group="masking: meter report")
@pytest.mark.parametrize("n", SIZES)
def test_meter_report(benchmark: Any, tag: Any, n: int) -> None:
    meters, _, agg, _values, k = _group(n)
    m = meters[0]
    o = derive_blinding(k, m.meter_id, 0, INDEX + 1)
    later = itertools.count(INDEX + 1)  # a meter reports each interval once
    tag("privbill", n=n, degree=len(agg.roster.graph[agg.roster.position(m.meter_id)]),
        target_max_s=1e-3 if n == 1000 else None)  # fmt: skip
    benchmark(lambda: m.report(next(later), 1234, o))


@bench(group="masking: meter unmasking")
@pytest.mark.parametrize("n", SIZES)
def test_meter_unmasking(benchmark: Any, tag: Any, n: int) -> None:
    meters, _reports, agg, _, _ = _group(n)
    rnd = Round(agg, INDEX)
    req = rnd._request("unmask", list(agg.roster.ids))
    tag("privbill", n=n)
    benchmark(meters[0].recover, req)


@bench(group="masking: aggregator")
@pytest.mark.parametrize("n", SIZES)
def test_aggregator_interval(benchmark: Any, tag: Any, n: int) -> None:
    _meters, reports, agg, values, _ = _group(n)

    def received() -> tuple[tuple[Round], dict[str, Any]]:
        rnd = Round(agg, INDEX)
        for rep in reports.values():
            rnd.submit(rep)
        return (rnd,), {}

    def close(rnd: Round) -> Any:
        return rnd.close()

    close(*received()[0])  # fills the transport cache: the meters' work is not measured
    tag("privbill", n=n, items=n, target_max_s=20e-3 if n == 10000 else None)
    res = benchmark.pedantic(close, setup=received, rounds=max(5, 20_000 // n))
    assert res.sum_wh == sum(values.values())


# --------------------------------------------------------------------------
# Paillier beside phe and pypaillier
# --------------------------------------------------------------------------

N_AGG = 1000


@pytest.fixture(scope="module")
def ours() -> Any:
    pk, sk = generate_keypair(3072)
    shares = deal(sk, 3)
    pp = PackingParams(max_households=N_AGG)
    pool = RandomnessPool(pk, 0)
    pool._pool = [pk.random_rn() for _ in range(16)]  # reused below only as a timing proxy
    cts = [pk.encrypt(pp.pack(i, i * 7), pool._pool[i % 16]) for i in range(N_AGG)]
    return pk, sk, shares, pp, pool, cts


@pytest.fixture(scope="module")
def phe_keys() -> Any:
    phe = pytest.importorskip("phe")
    pk, sk = phe.paillier.generate_paillier_keypair(n_length=3072)
    cts = [pk.encrypt(i) for i in range(N_AGG)]
    return pk, sk, cts


@pytest.fixture(scope="module")
def pyp_keys() -> Any:
    pyp = pytest.importorskip("paillier")
    pk, sk = pyp.generate_keypair(bits=3072)
    cts = pyp.encrypt_many(pk, list(range(N_AGG)))
    return pyp, pk, sk, cts


@bench(group="paillier: encrypt (online)")
def test_encrypt_privbill(benchmark: Any, tag: Any, ours: Any) -> None:
    pk, _, _, pp, pool, _ = ours
    rn = pool._pool[0]
    tag("privbill", targets={"phe": 10.0})
    benchmark(pk.encrypt, pp.pack(1234, 5678), rn)


@bench(group="paillier: encrypt (online)")
def test_encrypt_phe(benchmark: Any, tag: Any, phe_keys: Any) -> None:
    pk, _, _ = phe_keys
    tag("phe")
    benchmark(pk.encrypt, 1234)


@bench(group="paillier: encrypt (online)")
def test_encrypt_pypaillier(benchmark: Any, tag: Any, pyp_keys: Any) -> None:
    pyp, pk, _, _ = pyp_keys
    tag("pypaillier")
    benchmark(pyp.encrypt_many, pk, [1234])


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill(benchmark: Any, tag: Any, ours: Any) -> None:
    pk, _, shares, pp, _, cts = ours

    def run() -> int:
        c = pk.add_many(cts)
        return combine(pk, [partial_decrypt(pk, s, c) for s in shares])

    tag("privbill (3 holders)", items=N_AGG, targets={"phe": 1.0, "pypaillier": 1.0})
    m = benchmark(run)
    assert pp.unpack(m)[0] == sum(range(N_AGG))


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill_crt(benchmark: Any, tag: Any, ours: Any) -> None:
    pk, sk, _, pp, _, cts = ours
    tag("privbill (one key, CRT)", items=N_AGG)
    m = benchmark(lambda: sk.decrypt(pk.add_many(cts)))
    assert pp.unpack(m)[0] == sum(range(N_AGG))


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_phe(benchmark: Any, tag: Any, phe_keys: Any) -> None:
    _pk, sk, cts = phe_keys

    def run() -> int:
        acc = cts[0]
        for c in cts[1:]:
            acc = acc + c
        return int(sk.decrypt(acc))

    tag("phe", items=N_AGG)
    assert benchmark(run) == sum(range(N_AGG))


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_pypaillier(benchmark: Any, tag: Any, pyp_keys: Any) -> None:
    pyp, pk, sk, cts = pyp_keys

    def run() -> Any:
        return pyp.decrypt(sk, pyp.add_many(pk, cts))

    tag("pypaillier", items=N_AGG)
    assert int(benchmark(run)) == sum(range(N_AGG))
