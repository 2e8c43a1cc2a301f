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
- ``paillier: encrypt (online)``: a meter's online encryption (2 seed holders' shares
  taken off, 1 ciphertext from the precomputed pool, sealed to holder 1; the
  ciphertext alone for reference) beside one encryption by phe (python-paillier) and
  pypaillier. 3072-bit keys throughout.
- ``paillier: aggregate 1000 + decrypt``: the cryptography of one round over 1,000
  meters and 3 holders: holder 1 multiplies the ciphertexts mod ``p^2`` and decrypts
  (the ``p`` half of CRT), each seed holder adds its 1,000 shares, one after another
  (total CPU); the same with holder 1 opening the seals first; holder 1 alone (the
  round's latency when the holders, separate parties, work in parallel); beside phe
  and pypaillier adding 1,000 ciphertexts and decrypting with the whole key.
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
from privbill.pedersen import commit, derive_blinding
from privbill.settlement import (
    Aggregator,
    CommitmentBook,
    DecryptionHolder,
    EncryptedReport,
    KeyHolder,
    LocalTransport,
    MeterClient,
    PaillierMeterClient,
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
    """1,000 meters' reports for holder 1's 3072-bit key and 2 seed holders."""

    setup: PaillierSettlement
    clients: list[PaillierMeterClient]
    reports: list[EncryptedReport]
    wire: list[bytes]
    agg: Aggregator
    values: list[int]
    opened: list[Any]  # what each holder's preparation returns (holder 1: the ciphertexts)


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
    setup = PaillierSettlement.setup(roster, holders=HOLDERS)  # 3072-bit key
    # 16 r^n, shared by all meters' pools, only as a timing proxy (each costs ~30 ms:
    # the meter's idle-time work, not measured here).
    rns = [setup.public_key.random_rn() for _ in range(16)]
    clients = []
    for i, m in enumerate(meters):
        m.trusted_holders = setup.holders_digest  # provisioning
        c = setup.client(m, signed, operator.verifying_key)
        c.pool._pool = [rns[i % 16]] * 2
        clients.append(c)
    k = bytes(32)
    book = CommitmentBook()
    values = [rng.randrange(3000) for _ in range(N_AGG)]
    reports = []
    for i, (m, c) in enumerate(zip(meters, clients, strict=True)):
        o = derive_blinding(k, m.meter_id, 0, INDEX)
        book.add(m.meter_id, INDEX, commit(values[i], o))
        reports.append(c.report(INDEX, values[i], o))
    agg = Aggregator(signed, operator, book, backend="paillier", paillier=setup)
    # Each holder's preparation: signatures, and holder 1 opens the sealed
    # ciphertexts (measured under "protocol"); the seed holders derive their
    # 1,000 seeds, once per roster.
    opened = [h._check(INDEX, reports) for h in setup.holders if h is not None]
    wire = [r.encode() for r in reports]
    return _Paillier(setup, clients, reports, wire, agg, values, opened)


def _holders(p: _Paillier) -> list[KeyHolder]:
    return [h for h in p.setup.holders if h is not None]


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
    client = ours.clients[0]
    rn = client.pool._pool[0]
    o = derive_blinding(bytes(32), client.meter_id, 0, INDEX)

    def meter() -> bytes:  # PaillierMeterClient.encrypt and seal, with its pool kept full
        client.pool._pool.append(rn)
        return client.seal(INDEX, client.encrypt(INDEX, 1234, o))

    tag("privbill", note="2 seed shares, 1 ciphertext, sealed", targets={"phe": 10.0},
        **_load())  # fmt: skip
    benchmark(meter)


@bench(group="paillier: encrypt (online)")
def test_encrypt_privbill_one(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    pk, rn = ours.setup.public_key, ours.clients[0].pool._pool[0]
    pp = ours.setup.packing
    tag("privbill: the ciphertext alone", **_load())
    benchmark(pk.encrypt, pp.pack(1234, 5678), rn)


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
    """The cryptographic work of a round, every holder one after another (total
    CPU): holder 1 multiplies the 1,000 ciphertexts mod p^2 and decrypts (p half of
    CRT), each seed holder adds its 1,000 shares of the interval; then the sum of
    the releases mod 2^K and the unpacking. (The holders' rules and the signature
    checks are the protocol, measured below.)"""
    pp, holders, reps = ours.setup.packing, _holders(ours), ours.reports
    mask = (1 << pp.share_bits) - 1
    work = list(zip(holders, ours.opened, strict=True))

    def run() -> tuple[int, int]:
        return pp.unpack(pp.join([h._sum(INDEX, reps, d) & mask for h, d in work]))

    tag("privbill", items=N_AGG, note="3 holders one after another: total CPU",
        targets={"phe": 1.0, "pypaillier": 1.0}, **_load())  # fmt: skip
    assert benchmark(run)[0] == sum(ours.values)


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill_holder_1(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """Holder 1's part: the latency of a round when the holders (separate parties)
    work in parallel."""
    holder = _holders(ours)[0]
    tag("privbill: holder 1", items=N_AGG, note="the latency with holders in parallel",
        **_load())  # fmt: skip
    benchmark(holder._sum, INDEX, ours.reports, ours.opened[0])


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill_seed_holder(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """One seed holder's part: 1,000 HKDF-Expand from its cached seeds."""
    holder = _holders(ours)[1]
    tag("privbill: one seed holder", items=N_AGG, **_load())
    benchmark(holder._sum, INDEX, ours.reports, ours.opened[1])


@bench(group="paillier: aggregate 1000 + decrypt")
def test_agg_decrypt_privbill_with_opening(benchmark: Any, tag: Any, ours: _Paillier) -> None:
    """The same as the first, with holder 1 opening the 1,000 sealed ciphertexts
    (ChaCha20-Poly1305, its per-meter keys cached): the whole cryptographic work
    of a round but the signatures."""
    pp, holders, reps = ours.setup.packing, _holders(ours), ours.reports
    mask = (1 << pp.share_bits) - 1
    holder_1 = holders[0]
    assert isinstance(holder_1, DecryptionHolder)
    work = list(zip(holders[1:], ours.opened[1:], strict=True))

    def run() -> tuple[int, int]:
        y = holder_1._sum(INDEX, reps, holder_1._open(INDEX, reps)) & mask
        return pp.unpack(pp.join([y, *(h._sum(INDEX, reps, d) & mask for h, d in work)]))

    tag("privbill: with holder 1 opening the seals", items=N_AGG, **_load())
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
                                rep.sealed)  # fmt: skip
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
    """Holder 1's whole answer from the wire: decode, checks, batch signature
    verification, opening the seals, then its product and decryption."""
    holder = _holders(ours)[0]

    def run() -> int:
        holder._done.clear()  # a fresh interval each time, nothing checked yet
        holder._ready = None
        return holder.release(INDEX, [EncryptedReport.decode(w) for w in ours.wire])

    tag("privbill: holder 1, from the wire", items=N_AGG, **_load())
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
    holders = _holders(ours)

    def run() -> int:
        for h in holders:
            h._done.clear()
            h._ready = None
        rnd = PaillierRound(ours.agg, ours.setup, INDEX)
        for w in ours.wire:
            rnd.submit(w)
        return rnd.close().sum_wh

    tag("privbill: submit 1000 + close (3 holders)", items=N_AGG, **_load())
    assert benchmark(run) == sum(ours.values)
