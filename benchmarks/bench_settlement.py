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
- ``paillier: encrypt (online)``: a meter's online encryption (3 shares, 3 ciphertexts
  from the precomputed pools; one ciphertext alone for reference) beside one encryption
  by phe (python-paillier) and pypaillier. 3072-bit keys throughout.
- ``paillier: aggregate 1000 + decrypt``: the cryptography of one round over 1,000
  meters: each of the 3 holders multiplies its column mod ``p_j^2`` and decrypts (the
  ``p`` half of CRT), one after another (total CPU), and one holder alone (the round's
  latency when the holders, separate parties, work in parallel); beside phe and
  pypaillier adding 1,000 ciphertexts and decrypting with the whole key.
- ``paillier: protocol, 1000 reports``: what no peer does, measured apart: the meter's
  signature, the aggregator's checks on arrival, one holder's whole answer from the
  wire (decoding, checks, batch signature verification, decryption), the batch
  verification alone, and a whole round.

Every benchmark records the load average (``load_1min``, ``load_5min``) in extra_info.

Group construction (X25519 keys, shares) is setup, not measured.
"""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import dataclass
from typing import Any

import pytest

from privbill.keys import SigningKey, VerifyingKey, verify_many
from privbill.paillier import PackingParams
from privbill.pedersen import commit, derive_blinding
from privbill.settlement import (
    Aggregator,
    CommitmentBook,
    EncryptedReport,
    LocalTransport,
    MeterClient,
    PaillierRound,
    PaillierSettlement,
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
    inbox: dict[bytes, list[Any]] = {m.meter_id: [] for m in meters}
    for m in meters:
        for s in m.join(signed, operator.verifying_key):
            inbox[s.recipient].append(s)  # the aggregator relays each share to its recipient
    for m in meters:
        m.accept_shares(inbox[m.meter_id])
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
HOLDERS = 3


@dataclass
class _Paillier:
    """1,000 meters' reports under 3 holders' 3072-bit keys, and the columns of
    ciphertexts each holder decrypts."""

    setup: PaillierSettlement
    packing: PackingParams
    rns: list[list[Any]]
    columns: list[list[Any]]
    wire: list[bytes]
    agg: Aggregator
    values: list[int]


def _load() -> dict[str, float]:
    one, five, _ = os.getloadavg()
    return {"load_1min": round(one, 2), "load_5min": round(five, 2)}


@pytest.fixture(scope="module")
def ours() -> _Paillier:
    rng = random.Random(4)
    operator = SigningKey.generate()
    meters = [MeterClient(rng.randbytes(16)) for _ in range(N_AGG)]
    signed = Roster.create(b"bench-paillier", [m.member for m in meters]).sign(operator)
    roster = signed.roster
    setup = PaillierSettlement.setup(roster, holders=HOLDERS)  # 3072-bit keys
    pp = setup.packing
    # 16 r^n per key, reused below only as a timing proxy (each costs ~30 ms: the
    # meter's idle-time work, not measured here).
    rns = [[pk.random_rn() for _ in range(16)] for pk in setup.public_keys]
    k = bytes(32)
    book = CommitmentBook()
    values = [rng.randrange(3000) for _ in range(N_AGG)]
    columns: list[list[Any]] = [[] for _ in range(HOLDERS)]
    wire = []
    for i, m in enumerate(meters):
        o = derive_blinding(k, m.meter_id, 0, INDEX)
        book.add(m.meter_id, INDEX, commit(values[i], o))
        shares = pp.split(pp.pack(values[i], int.from_bytes(bytes(o), "little")), HOLDERS)
        cts = tuple(
            pk.encrypt(x, rns[j][i % 16])
            for j, (pk, x) in enumerate(zip(setup.public_keys, shares, strict=True))
        )
        for j, c in enumerate(cts):
            columns[j].append(c)
        rep = EncryptedReport(m.meter_id, roster.digest, setup.keys_digest, INDEX, cts)
        wire.append(rep.signed(m.signing_key.sign(rep.to_be_signed())).encode())
    agg = Aggregator(signed, operator, book, backend="paillier", paillier=setup)
    return _Paillier(setup, pp, rns, columns, wire, agg, values)


def _holder_keys(p: _Paillier) -> list[Any]:
    return [h.key for h in p.setup.holders if h is not None]


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
def test_encrypt_privbill(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    pp, keys = ours.packing, ours.setup.public_keys
    rn = [r[0] for r in ours.rns]
    m = pp.pack(1234, 5678)

    def meter() -> tuple[Any, ...]:  # what PaillierMeterClient.encrypt does, pool aside
        shares = pp.split(m, HOLDERS)
        return tuple(pk.encrypt(x, r) for pk, x, r in zip(keys, shares, rn, strict=True))

    tag("privbill", note="3 holders: 3 shares, 3 ciphertexts", targets={"phe": 10.0}, **_load())
    benchmark(meter)


@bench(group="paillier: encrypt (online)")
def test_encrypt_privbill_one(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    pk, rn = ours.setup.public_keys[0], ours.rns[0][0]
    tag("privbill: one ciphertext", **_load())
    benchmark(pk.encrypt, ours.packing.pack(1234, 5678), rn)


@bench(group="paillier: encrypt (online)")
def test_encrypt_phe(benchmark: Any, tag: Any, phe_keys: Any) -> None:
    pk, _, _ = phe_keys
    tag("phe", **_load())
    benchmark(pk.encrypt, 1234)


@bench(group="paillier: encrypt (online)")
def test_encrypt_pypaillier(benchmark: Any, tag: Any, pyp_keys: Any) -> None:
    pyp, pk, _, _ = pyp_keys
    tag("pypaillier", **_load())
    benchmark(pyp.encrypt_many, pk, [1234])


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """The cryptographic work of a round: each holder's product of its column
    (mod p_j^2) and its decryption (p half of CRT), one after another; then the
    sum of the releases mod 2^K and the unpacking."""
    pp, keys, cols = ours.packing, _holder_keys(ours), ours.columns
    bound, mask = N_AGG << pp.share_bits, (1 << pp.share_bits) - 1

    def run() -> tuple[int, int]:
        return pp.unpack(
            pp.join([k.decrypt_sum(c, bound) & mask for k, c in zip(keys, cols, strict=True)])
        )

    tag("privbill", items=N_AGG, note="3 holders one after another: total CPU",
        targets={"phe": 1.0, "pypaillier": 1.0}, **_load())  # fmt: skip
    assert benchmark(run)[0] == sum(ours.values)


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill_one_holder(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """One holder's part: the latency of a round when the holders (separate
    parties) work in parallel."""
    key, col = _holder_keys(ours)[0], ours.columns[0]
    tag("privbill: one holder", items=N_AGG, note="the latency with holders in parallel",
        **_load())  # fmt: skip
    benchmark(key.decrypt_sum, col, N_AGG << ours.packing.share_bits)


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill_mod_n2(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """For comparison, not used: the aggregator multiplies mod n_j^2, each holder
    decrypts that product by full CRT (and would still have to recompute it)."""
    pp, keys, cols = ours.packing, _holder_keys(ours), ours.columns
    mask = (1 << pp.share_bits) - 1

    def run() -> tuple[int, int]:
        sums = [k.decrypt(k.public.add_many(c)) & mask for k, c in zip(keys, cols, strict=True)]
        return pp.unpack(pp.join(sums))

    tag("privbill: products mod n^2, full CRT", items=N_AGG, **_load())
    assert benchmark(run)[0] == sum(ours.values)


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_phe(benchmark: Any, tag: Any, phe_keys: Any) -> None:
    _pk, sk, cts = phe_keys

    def run() -> int:
        acc = cts[0]
        for c in cts[1:]:
            acc = acc + c
        return int(sk.decrypt(acc))

    tag("phe", items=N_AGG, **_load())
    assert benchmark(run) == sum(range(N_AGG))


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_pypaillier(benchmark: Any, tag: Any, pyp_keys: Any) -> None:
    pyp, pk, sk, cts = pyp_keys

    def run() -> Any:
        return pyp.decrypt(sk, pyp.add_many(pk, cts))

    tag("pypaillier", items=N_AGG, **_load())
    assert int(benchmark(run)) == sum(range(N_AGG))


# The protocol around the cryptography (no peer does this): signatures, checks, decoding.


@bench(group="paillier: protocol, 1000 reports")
def test_protocol_meter_signs(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    rep = EncryptedReport.decode(ours.wire[0])
    key = MeterClient(bytes(16)).signing_key

    def run() -> bytes:  # the digests and the signature of one report
        fresh = EncryptedReport(rep.meter_id, rep.roster_digest, rep.keys_digest, INDEX,
                                rep.ciphertexts)  # fmt: skip
        return key.sign(fresh.to_be_signed())

    tag("privbill: meter signs one report", **_load())
    benchmark(run)


@bench(group="paillier: protocol, 1000 reports")
def test_protocol_aggregator_submits(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """The aggregator on arrival: decode, checks, one signature check per report."""

    def run() -> int:
        rnd = PaillierRound(ours.agg, ours.setup, INDEX)
        for w in ours.wire:
            rnd.submit(w)
        return len(rnd.reports)

    tag("privbill: aggregator receives 1000 reports", items=N_AGG, **_load())
    assert benchmark(run) == N_AGG


@bench(group="paillier: protocol, 1000 reports")
def test_protocol_holder(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """One holder's whole answer from the wire: decode, checks, batch signature
    verification, then its product and decryption (about 9 ms of it)."""
    holder = ours.setup.holders[0]
    assert holder is not None

    def run() -> int:
        holder._done.clear()  # a fresh interval each time
        return holder.partial_decrypt(INDEX, [EncryptedReport.decode(w) for w in ours.wire])

    tag("privbill: one holder, from the wire", items=N_AGG, **_load())
    benchmark(run)


@bench(group="paillier: protocol, 1000 reports")
def test_protocol_holder_signatures(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """Of that, the batch verification of the 1,000 signatures alone."""
    reps = [EncryptedReport.decode(w) for w in ours.wire]
    vk = {m.meter_id: VerifyingKey.from_bytes(m.signing_public) for m in ours.agg.roster.members}
    items = [(vk[r.meter_id], r.to_be_signed(), r.signature) for r in reps]
    tag("privbill: batch signature check", items=N_AGG, **_load())
    assert all(benchmark(verify_many, items))


@bench(group="paillier: protocol, 1000 reports")
def test_protocol_round(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """A whole round: 1,000 reports submitted, 3 holders (one after another), the
    check against the commitments."""
    holders = [h for h in ours.setup.holders if h is not None]

    def run() -> int:
        for h in holders:
            h._done.clear()
        rnd = PaillierRound(ours.agg, ours.setup, INDEX)
        for w in ours.wire:
            rnd.submit(w)
        return rnd.close().sum_wh

    tag("privbill: submit 1000 + close (3 holders)", items=N_AGG, **_load())
    assert benchmark(run) == sum(ours.values)
