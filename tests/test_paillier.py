"""Paillier with split decryption (privbill.paillier) and the Paillier settlement
backend: homomorphism, CRT decryption, the k-of-k key holders, packing bounds,
serialisation, and the faults of issue 4 (missing key holder, overflow, forged or
duplicated reports, a second decryption of one interval).

Small moduli keep the tests fast; one test generates the default 3072-bit key (slow).
"""

from __future__ import annotations

import json
import random

import pytest

from privbill.errors import FormatError, RangeError
from privbill.keys import SigningKey
from privbill.paillier import (
    DEFAULT_BITS,
    KeyHolderError,
    PackingParams,
    RandomnessPool,
    ciphertext_from_json,
    combine,
    deal,
    generate_keypair,
    key_share_from_json,
    partial_decrypt,
    public_key_from_json,
    to_json,
)
from privbill.pedersen import commit, derive_blinding
from privbill.settlement import (
    Aggregator,
    CommitmentBook,
    DuplicateReportError,
    EncryptedReport,
    LateReportError,
    MalformedReportError,
    MeterClient,
    PaillierSettlement,
    RecoveryRefusedError,
    Roster,
    StaleReportError,
    ThresholdError,
)

L = 2**252 + 27742317777372353535851937790883648493


@pytest.fixture(scope="module")
def keypair():  # type: ignore[no-untyped-def]
    return generate_keypair(bits=1024)


def test_homomorphism_and_crt_decryption(keypair, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    assert pk.bits == 1024
    ms = [rng.randrange(pk.n // 100) for _ in range(20)]
    cts = [pk.encrypt(m) for m in ms]
    assert sk.decrypt(pk.add_many(cts)) == sum(ms) % pk.n
    assert sk.decrypt(pk.encrypt(0)) == 0
    assert sk.decrypt(pk.encrypt(pk.n - 1)) == pk.n - 1
    with pytest.raises(RangeError):
        pk.encrypt(pk.n)
    with pytest.raises(RangeError):
        pk.encrypt(-1)


def test_pool_encryption_is_probabilistic_and_correct(keypair) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    pool = RandomnessPool(pk, 4)
    assert len(pool) == 4
    a, b = pool.encrypt(7), pool.encrypt(7)
    assert a != b and sk.decrypt(a) == sk.decrypt(b) == 7
    assert len(pool) == 2


@pytest.mark.parametrize("holders", [2, 3, 5])
def test_all_holders_decrypt_and_fewer_cannot(keypair, holders: int) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    shares = deal(sk, holders)
    c = pk.add(pk.encrypt(123456), pk.encrypt(654321))
    parts = [partial_decrypt(pk, s, c) for s in shares]
    assert combine(pk, parts) == 777777
    with pytest.raises(KeyHolderError):
        combine(pk, parts[:-1])
    with pytest.raises(KeyHolderError):
        combine(pk, parts[1:])


def test_packing_bounds(keypair) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    pp = PackingParams(max_households=1000)
    pp.check(pk)
    top = (1 << 64) - 1
    # 1000 readings at the largest value and openings at l - 1 sum without wrapping
    m = pp.pack(top, L - 1)
    total = sk.decrypt(pk.add_many(pk.encrypt(m) for _ in range(1000)))
    assert pp.unpack(total) == (1000 * top, (1000 * (L - 1)) % L)
    with pytest.raises(RangeError):
        pp.pack(1 << 64, 0)
    with pytest.raises(RangeError):
        pp.pack(-1, 0)
    with pytest.raises(RangeError):
        pp.pack(0, L)
    # a modulus too small for the group is refused at setup
    small, _ = generate_keypair(bits=256)
    with pytest.raises(RangeError):
        PackingParams(max_households=1000).check(small)


def test_json_round_trip_and_strictness(keypair) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    assert public_key_from_json(to_json(pk)) == pk
    share = deal(sk, 2)[1]
    assert key_share_from_json(to_json(share)) == share
    c = pk.encrypt(5)
    assert ciphertext_from_json(to_json(c), pk) == c
    assert json.loads(to_json(pk))["n"] == str(pk.n)  # big integers as decimal strings
    for bad in ("[]", '{"type": "paillier-public-key", "n": 5}', "nope"):
        with pytest.raises(FormatError):
            public_key_from_json(bad)
    with pytest.raises(FormatError):
        ciphertext_from_json(json.dumps({"type": "paillier-ciphertext", "c": str(pk.n)}), pk)


@pytest.mark.slow
def test_default_modulus_is_3072_bits() -> None:
    pk, sk = generate_keypair()
    assert pk.bits == DEFAULT_BITS == 3072
    assert sk.decrypt(pk.encrypt(42)) == 42


# --------------------------------------------------------------------------
# the settlement backend
# --------------------------------------------------------------------------


class PGroup:
    def __init__(self, n: int = 6, threshold: int = 3) -> None:
        self.operator = SigningKey.generate()
        self.meters = [MeterClient(bytes([i + 1]) * 16) for i in range(n)]
        self.signed = Roster.create(
            b"paillier", [m.member for m in self.meters], threshold=threshold
        ).sign(self.operator)
        self.setup = PaillierSettlement.setup(self.signed.roster, holders=3, bits=1024)
        self.clients = [self.setup.client(m, self.signed.roster, pool_size=2) for m in self.meters]
        self.book = CommitmentBook()
        self.k = bytes(32)
        self.values: dict[tuple[bytes, int], int] = {}
        self.agg = Aggregator(
            self.signed, self.operator, self.book, backend="paillier", paillier=self.setup
        )

    def commit(self, index: int, value: int | None = None) -> None:
        for i, m in enumerate(self.meters):
            v = 100 * (i + 1) + index if value is None else value
            self.values[(m.meter_id, index)] = v
            self.book.add(
                m.meter_id, index, commit(v, derive_blinding(self.k, m.meter_id, 0, index))
            )

    def report(self, i: int, index: int) -> EncryptedReport:
        m = self.meters[i]
        o = derive_blinding(self.k, m.meter_id, 0, index)
        return self.clients[i].report(index, self.values[(m.meter_id, index)], o)


@pytest.fixture(scope="module")
def pgroup() -> PGroup:
    return PGroup()


def test_paillier_round_with_dropout(pgroup: PGroup) -> None:
    pgroup.commit(10)
    rnd = pgroup.agg.open_round(10)
    for i in (0, 1, 3, 4):
        rnd.submit(pgroup.report(i, 10).encode())
    res = pgroup.agg.close_round()
    assert res.verified and len(res.dropped) == 2
    assert res.sum_wh == sum(pgroup.values[(m, 10)] for m in res.households)


def test_values_near_overflow_bound() -> None:
    g = PGroup(n=4, threshold=2)
    g.commit(1, value=(1 << 64) - 1)
    rnd = g.agg.open_round(1)
    for i in range(4):
        rnd.submit(g.report(i, 1))
    assert g.agg.close_round().sum_wh == 4 * ((1 << 64) - 1)
    with pytest.raises(RangeError):
        g.clients[0].report(2, 1 << 64, derive_blinding(g.k, g.meters[0].meter_id, 0, 2))


def test_missing_key_holder(pgroup: PGroup) -> None:
    pgroup.commit(20)
    saved = pgroup.setup.holders[1]
    pgroup.setup.holders[1] = None
    try:
        rnd = pgroup.agg.open_round(20)
        for i in range(6):
            rnd.submit(pgroup.report(i, 20))
        with pytest.raises(KeyHolderError):
            pgroup.agg.close_round()
    finally:
        pgroup.setup.holders[1] = saved


def test_holder_decrypts_one_aggregate_per_interval(pgroup: PGroup) -> None:
    """Two decryptions of one interval over sets differing in one meter would
    reveal that meter's reading: the holder refuses the second."""
    pgroup.commit(30)
    reps = [pgroup.report(i, 30) for i in range(6)]
    holder = pgroup.setup.holders[0]
    assert holder is not None
    holder.partial_decrypt(30, reps)
    holder.partial_decrypt(30, reps)  # the same request again is fine
    with pytest.raises(RecoveryRefusedError):
        holder.partial_decrypt(30, reps[1:])
    with pytest.raises(ThresholdError):
        holder.partial_decrypt(30, reps[:2])


def test_forged_duplicated_replayed_late_reports(pgroup: PGroup) -> None:
    pgroup.commit(40)
    pgroup.commit(41)
    rnd = pgroup.agg.open_round(41)
    rep = pgroup.report(0, 41)
    forged = EncryptedReport(rep.meter_id, rep.roster_digest, 41, rep.ciphertext + 1, rep.signature)
    with pytest.raises(MalformedReportError):
        rnd.submit(forged)
    with pytest.raises(StaleReportError):
        rnd.submit(pgroup.report(1, 40))
    rnd.submit(rep)
    with pytest.raises(DuplicateReportError):
        rnd.submit(rep)
    with pytest.raises(MalformedReportError):
        rnd.submit(b"\x00\x01")
    for i in range(1, 6):
        rnd.submit(pgroup.report(i, 41))
    pgroup.agg.close_round()
    with pytest.raises(LateReportError):
        rnd.submit(pgroup.report(2, 41))
