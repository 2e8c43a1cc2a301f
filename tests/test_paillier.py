"""Paillier (privbill.paillier) and the Paillier settlement backend: homomorphism, CRT
decryption and holder 1's p-half decryption, the additive k-of-k sharing (exhaustively
on a small modulus: any k - 1 shares are independent of the value), the seed holders'
shares against an independent HKDF and X25519 (the cryptography package), packing
bounds, serialisation, and the faults of issue 4 (missing key holder, overflow, forged,
tampered, truncated, duplicated or wrong-key reports, a second release of one interval,
a member key of small order).

Raw Paillier tests use 1024-bit keys; the settlement backend needs 2048 bits at least
(holder 1's sum of rests must stay below 2^(bits/4): PackingParams.check). One test
generates the default 3072-bit key (slow).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import random
from collections import Counter

import cbor2
import gmpy2  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from hypothesis import given
from hypothesis import strategies as st

from privbill.errors import AggregationError, FormatError, RangeError
from privbill.keys import SigningKey
from privbill.paillier import (
    DEFAULT_BITS,
    KeyHolderError,
    PackingParams,
    PaillierPrivateKey,
    PaillierPublicKey,
    RandomnessPool,
    _shares,
    ciphertext_from_json,
    generate_keypair,
    private_key_from_json,
    public_key_from_json,
    to_json,
)
from privbill.pedersen import commit, derive_blinding
from privbill.settlement import (
    AggregateVerificationError,
    Aggregator,
    CommitmentBook,
    DecryptionHolder,
    DuplicateReportError,
    EncryptedReport,
    KeyHolder,
    LateReportError,
    MalformedReportError,
    MeterClient,
    PaillierMeterClient,
    PaillierSettlement,
    RecoveryRefusedError,
    Roster,
    RosterError,
    RosterMember,
    RosterMismatchError,
    SeedHolder,
    SignedRoster,
    StaleReportError,
    ThresholdError,
    UnknownReporterError,
    _seed_shares,
)

L = 2**252 + 27742317777372353535851937790883648493
SETTLEMENT_BITS = 2048


@pytest.fixture(scope="module")
def keypair():  # type: ignore[no-untyped-def]
    return generate_keypair(bits=1024)


def test_homomorphism_and_crt_decryption(keypair, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    assert pk.bits == 1024 and sk.p < sk.q
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


def test_decrypt_sum_is_the_p_half_of_crt(keypair, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    ms = [rng.randrange(1 << 200) for _ in range(30)]
    cts = [pk.encrypt(m) for m in ms]
    bound = 1 << 240  # <= 2^(1024/4)
    assert sk.decrypt_sum(cts, bound) == sum(ms) == sk.decrypt(pk.add_many(cts))
    assert sk.decrypt_sum([int(c) for c in cts[:3]], bound) == sum(ms[:3])  # plain ints too
    assert sk.decrypt_sum([], bound) == 0
    with pytest.raises(RangeError, match="bound"):
        sk.decrypt_sum(cts, 1 << 257)  # above 2^(bits/4): a result could depend on p
    with pytest.raises(RangeError, match="out of range"):
        sk.decrypt_sum(cts, sum(ms))  # a sum at the bound is refused, not returned
    # An out-of-range plaintext (n - 1: its value mod p depends on p) is never returned.
    with pytest.raises(RangeError, match="out of range"):
        sk.decrypt_sum([pk.encrypt(pk.n - 1)], bound)
    with pytest.raises(RangeError, match="unit"):
        sk.decrypt_sum([gmpy2.mpz(sk.p)], bound)


def test_private_key_is_checked(keypair) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    bad = [(sk.q, sk.p), (sk.p, sk.q + 2), (1, pk.n), (sk.p, sk.p), (3, pk.n // 3)]
    for p, q in bad:
        with pytest.raises(RangeError):
            PaillierPrivateKey(pk, p, q)
    assert PaillierPrivateKey(pk, sk.p, sk.q) == sk
    assert "secret" in repr(sk) and str(sk.p) not in repr(sk)


# --------------------------------------------------------------------------
# the additive sharing and the packing
# --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3])
def test_any_k_minus_1_shares_are_independent_of_the_value(k: int) -> None:
    """Exhaustive over shares mod 2^4: for every value m, every coalition of k - 1
    holders sees each possible share tuple exactly once over all draws (uniform and the
    same for every m: perfect hiding), and the k shares always add up to m."""
    bits = 4
    size = 1 << bits
    for coalition in itertools.combinations(range(k), k - 1):
        views = set()
        for m in range(size):
            seen: Counter[tuple[int, ...]] = Counter()
            for draws in itertools.product(range(size), repeat=k - 1):
                shares = _shares(m, draws, bits)
                assert sum(shares) % size == m and all(0 <= x < size for x in shares)
                seen[tuple(shares[j] for j in coalition)] += 1
            assert len(seen) == size ** (k - 1) and set(seen.values()) == {1}
            views.add(frozenset(seen))
        assert len(views) == 1  # the same view for every m


@given(
    st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, L - 1)), min_size=1, max_size=40),
    st.integers(2, 6),
    st.randoms(use_true_random=False),
)
def test_remainder_and_join_add_up(
    values: list[tuple[int, int]], k: int, rng: random.Random
) -> None:
    pp = PackingParams(max_households=40)
    columns = [0] * k
    for r, o in values:
        draws = [rng.getrandbits(pp.share_bits) for _ in range(k - 1)]
        y = pp.remainder(pp.pack(r, o), draws)
        for j, x in enumerate([y, *draws]):
            assert 0 <= x < 1 << pp.share_bits
            columns[j] += x
    assert all(c < pp.sum_bound for c in columns)
    released = [c % (1 << pp.share_bits) for c in columns]
    expected = (sum(r for r, _ in values), sum(o for _, o in values) % L)
    assert pp.unpack(pp.join(released)) == expected


def test_packing_bounds_and_key_size() -> None:
    pp = PackingParams(max_households=1000)
    assert (pp.shift, pp.width, pp.share_bits) == (74, 327, 465)
    assert pp.sum_bound.bit_length() == 475
    top = (1 << 64) - 1
    rng = random.Random(5)
    # 1000 readings at the largest value and openings at l - 1: the holders' sums
    # (here in the clear) stay below the bound and add up exactly mod 2^K.
    columns = [0, 0, 0]
    for _ in range(1000):
        draws = [rng.getrandbits(pp.share_bits) for _ in range(2)]
        for j, x in enumerate([pp.remainder(pp.pack(top, L - 1), draws), *draws]):
            columns[j] += x
    assert max(columns) < pp.sum_bound
    total = pp.join([c % (1 << pp.share_bits) for c in columns])
    assert pp.unpack(total) == (1000 * top, (1000 * (L - 1)) % L)
    with pytest.raises(RangeError):
        pp.pack(1 << 64, 0)
    with pytest.raises(RangeError):
        pp.pack(-1, 0)
    with pytest.raises(RangeError):
        pp.pack(0, L)
    with pytest.raises(RangeError):
        pp.remainder(1 << pp.width, [1, 2])
    # 2048-bit keys hold any roster (up to 2^20); smaller ones are refused at setup.
    PackingParams(max_households=1 << 20).check_bits(2048)
    PackingParams(max_households=1000).check(PaillierPublicKey((1 << 2047) + 1))
    with pytest.raises(RangeError, match="needs >= "):
        PackingParams(max_households=1000).check_bits(1024)


def test_encrypted_column_at_the_packing_bounds() -> None:
    """The same through a key: the largest values, holder 1's rests decrypted by its
    path, the other shares added in the clear."""
    pp = PackingParams(max_households=8)
    pk, sk = generate_keypair(SETTLEMENT_BITS)
    top = (1 << 64) - 1
    cts, xs = [], 0
    for _ in range(8):
        draws = [(1 << pp.share_bits) - 1]  # the largest share: the rest wraps
        cts.append(pk.encrypt(pp.remainder(pp.pack(top, L - 1), draws)))
        xs += draws[0]
    y = sk.decrypt_sum(cts, 8 << pp.share_bits)
    assert pp.unpack(pp.join([y, xs])) == (8 * top, (8 * (L - 1)) % L)


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------


def test_json_round_trip_and_strictness(keypair) -> None:  # type: ignore[no-untyped-def]
    pk, sk = keypair
    assert public_key_from_json(to_json(pk)) == pk
    assert private_key_from_json(to_json(sk)) == sk
    c = pk.encrypt(5)
    assert ciphertext_from_json(to_json(c), pk) == c
    assert ciphertext_from_json(to_json(int(c)), pk) == c
    assert json.loads(to_json(pk))["n"] == str(pk.n)  # big integers as decimal strings
    assert json.loads(to_json(c))["c"] == str(int(c))
    for bad in (
        "[]",
        "nope",
        '{"type": "paillier-public-key", "n": 5}',
        '{"type": "paillier-public-key", "n": "05"}',
        '{"type": "paillier-public-key", "n": "-5"}',
        json.dumps({"type": "paillier-public-key", "n": str(pk.n), "g": "1"}),
        json.dumps({"type": "paillier-public-key", "n": str(pk.n + 1)}),  # even
        json.dumps({"type": "paillier-public-key", "n": "9" * 5001}),
    ):
        with pytest.raises(FormatError):
            public_key_from_json(bad)
    fields = json.loads(to_json(sk))
    for change in (
        {"p": str(sk.q), "q": str(sk.p)},  # p < q: one encoding per key
        {"p": str(sk.p + 2)},
        {"n": str(pk.n + 2)},
        {"q": str(sk.q) + " "},
        {"extra": "1"},
    ):
        with pytest.raises(FormatError):
            private_key_from_json(json.dumps({**fields, **change}))
    # p*q = n with composite factors is refused too
    with pytest.raises(FormatError, match="prime"):
        p = int(gmpy2.next_prime(2**66) * gmpy2.next_prime(2**67))
        q = int(gmpy2.next_prime(2**66 + 2**64) * gmpy2.next_prime(2**67 + 2**65))
        private_key_from_json(json.dumps({**fields, "n": str(p * q), "p": str(p), "q": str(q)}))
    for bad_c in (str(pk.nsquare), "0", str(sk.p), "012"):
        with pytest.raises(FormatError):
            ciphertext_from_json(json.dumps({"type": "paillier-ciphertext", "c": bad_c}), pk)
    with pytest.raises(TypeError):
        to_json(1.5)


@pytest.mark.slow
def test_default_modulus_is_3072_bits() -> None:
    pk, sk = generate_keypair()
    assert pk.bits == DEFAULT_BITS == 3072
    assert sk.decrypt(pk.encrypt(42)) == 42
    PackingParams(max_households=1 << 20).check(pk)


# --------------------------------------------------------------------------
# the settlement backend
# --------------------------------------------------------------------------


def _client(
    setup: PaillierSettlement, meter: MeterClient, signed: SignedRoster, operator: SigningKey,
    pool_size: int = 0,
) -> PaillierMeterClient:  # fmt: skip
    """Provision ``meter`` with ``setup``'s holders, then make its client."""
    meter.trusted_holders = setup.holders_digest
    return setup.client(meter, signed, operator.verifying_key, pool_size)


class PGroup:
    def __init__(self, n: int = 6, threshold: int = 3, holders: int = 3) -> None:
        self.operator = SigningKey.generate()
        self.meters = [MeterClient(bytes([i + 1]) * 16, min_threshold=2) for i in range(n)]
        self.signed = Roster.create(
            b"paillier", [m.member for m in self.meters], threshold=threshold
        ).sign(self.operator)
        self.roster = self.signed.roster
        self.setup = PaillierSettlement.setup(self.roster, holders=holders, bits=SETTLEMENT_BITS)
        self.clients = [_client(self.setup, m, self.signed, self.operator, 2) for m in self.meters]
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
            self.book.add(m.meter_id, index, commit(v, self.blinding(i, index)))

    def blinding(self, i: int, index: int):  # type: ignore[no-untyped-def]
        return derive_blinding(self.k, self.meters[i].meter_id, 0, index)

    def report(self, i: int, index: int) -> EncryptedReport:
        m = self.meters[i]
        return self.clients[i].report(
            index, self.values[(m.meter_id, index)], self.blinding(i, index)
        )

    def signed_report(self, i: int, index: int, ct: int) -> EncryptedReport:
        """A report with a chosen ciphertext, sealed and signed by meter i (a
        malicious meter)."""
        client = self.clients[i]  # sealed as is: seal() itself refuses out-of-range values
        sealed = client._seal_body(index, ct.to_bytes(self.setup.ciphertext_bytes, "big"))
        rep = EncryptedReport(self.meters[i].meter_id, self.roster.digest,
                              self.setup.keys_digest, index, sealed)  # fmt: skip
        return rep.signed(self.meters[i].signing_key.sign(rep.to_be_signed()))

    def opened(self, index: int, reps: list[EncryptedReport]) -> list[int]:
        """The ciphertexts inside the seals, as holder 1 opens them."""
        return [int(c) for c in self.holder(0)._open(index, reps)]

    def holder(self, j: int) -> KeyHolder:
        h = self.setup.holders[j]
        assert h is not None and h.position == j
        return h


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


def test_holders_release_their_sums_mod_2k(pgroup: PGroup) -> None:
    pgroup.commit(11)
    reps = [pgroup.report(i, 11) for i in range(6)]
    pp = pgroup.setup.packing
    assert isinstance(pgroup.holder(0), DecryptionHolder)
    assert all(isinstance(pgroup.holder(j), SeedHolder) for j in (1, 2))
    released = []
    for j in range(3):
        s = pgroup.holder(j).release(11, reps)
        assert 0 <= s < 1 << pp.share_bits
        released.append(s)
    r, o = pp.unpack(pp.join(released))
    assert r == sum(pgroup.values[(m.meter_id, 11)] for m in pgroup.meters)
    assert o == sum(int.from_bytes(bytes(pgroup.blinding(i, 11)), "little") for i in range(6)) % L


# --- the seeds, against an independent X25519 and HKDF -------------------------------


def _independent_share(
    meter_secret: bytes, holder_public: bytes, roster_digest: bytes, keys_digest: bytes,
    meter_id: bytes, holder: int, index: int, bits: int,
) -> int:  # fmt: skip
    """A seed holder's share of one report as docs/settlement.md §3 defines it,
    computed with the cryptography package's X25519, HKDF and HKDF-Expand."""
    shared = X25519PrivateKey.from_private_bytes(meter_secret).exchange(
        X25519PublicKey.from_public_bytes(holder_public)
    )
    seed = HKDF(
        algorithm=hashes.SHA512(), length=64, salt=b"privbill/v1/settlement/paillier-seed",
        info=roster_digest + keys_digest + meter_id + bytes([holder]),
    ).derive(shared)  # fmt: skip
    nbytes = -(-bits // 8)
    okm = HKDFExpand(
        algorithm=hashes.SHA512(), length=nbytes,
        info=b"privbill/v1/settlement/paillier-share" + index.to_bytes(8, "big"),
    ).derive(seed)  # fmt: skip
    return int.from_bytes(okm, "little") % (1 << bits)


@pytest.mark.parametrize("max_households", [6, 1 << 60])  # K = 451, then 565 (> 512) bits
def test_seed_shares_match_an_independent_implementation(max_households: int) -> None:
    """Holder 1 decrypts one meter's report (as a curious holder 1 could): the rest y;
    the seed shares computed independently complete it to the packed value mod 2^K.
    The same value in another interval gives another y (fresh shares)."""
    secret = bytes(range(32))
    meters = [MeterClient(bytes([i + 1]) * 16, secret if i == 0 else None, min_threshold=2)
              for i in range(6)]  # fmt: skip
    operator = SigningKey.generate()
    signed = Roster.create(b"seeds", [m.member for m in meters], threshold=3).sign(operator)
    roster = signed.roster
    pk, sk = generate_keypair(3072 if max_households > 1 << 20 else SETTLEMENT_BITS)
    holder_secrets = [bytes([7 + j]) * 32 for j in range(3)]  # holder 1's sealing key, 2, 3
    publics = [
        X25519PrivateKey.from_private_bytes(h).public_key().public_bytes_raw()
        for h in holder_secrets
    ]
    seed_keys = tuple(publics[1:])
    pp = PackingParams(max_households=max_households)
    setup = PaillierSettlement(pk, publics[0], seed_keys, pp)
    client = _client(setup, meters[0], signed, operator)
    rests = []
    for index in (12, 13):
        o = derive_blinding(bytes(32), meters[0].meter_id, 0, index)
        y = sk.decrypt_sum([client.encrypt(index, 777, o)], 1 << pp.share_bits)
        xs = [
            _independent_share(secret, seed_keys[j], roster.digest, setup.keys_digest,
                               meters[0].meter_id, j + 2, index, pp.share_bits)
            for j in range(2)
        ]  # fmt: skip
        assert pp.join([y, *xs]) == pp.pack(777, int.from_bytes(bytes(o), "little"))
        rests.append(y)
    assert rests[0] != rests[1]  # fresh shares: equal with chance 2^-K
    # and the seed holders derive the same shares from their side
    holders = [SeedHolder(j, h, setup, roster) for j, h in enumerate(holder_secrets[1:], 1)]
    reps = []
    for i, m in enumerate(meters[:3]):
        c = _client(setup, m, signed, operator)
        reps.append(c.report(14, 10 * i, derive_blinding(bytes(32), m.meter_id, 0, 14)))
    opened = DecryptionHolder(sk, holder_secrets[0], setup, roster)._open(14, reps)
    y = sk.decrypt_sum(opened, 3 << pp.share_bits)
    released = [y % (1 << pp.share_bits)] + [h.release(14, reps) for h in holders]
    # the seal, against an independent HKDF and ChaCha20-Poly1305 (RFC 8439)
    shared = X25519PrivateKey.from_private_bytes(secret).exchange(
        X25519PublicKey.from_public_bytes(publics[0])
    )
    seal_key = HKDF(
        algorithm=hashes.SHA512(), length=64, salt=b"privbill/v1/settlement/paillier-seal",
        info=roster.digest + setup.keys_digest + meters[0].meter_id,
    ).derive(shared)[:32]  # fmt: skip
    ad = meters[0].meter_id + roster.digest + setup.keys_digest + (14).to_bytes(8, "big")
    body = ChaCha20Poly1305(seal_key).decrypt(reps[0].sealed[:12], reps[0].sealed[12:], ad)
    assert int.from_bytes(body, "big") == opened[0] and len(body) == setup.ciphertext_bytes
    assert pp.unpack(pp.join(released))[0] == 0 + 10 + 20


def test_a_member_key_of_small_order_stops_the_round_before_anyone_releases() -> None:
    """A roster member whose X25519 key has small order (the shared secrets would be
    all zero, so its seeds and seal public): the holders refuse, and since a round
    asks every holder to prepare before any releases, no interval is spent."""
    signer = SigningKey.generate()
    meters = [MeterClient(bytes([i + 1]) * 16, min_threshold=2) for i in range(3)]
    bad = RosterMember(b"\xbb" * 16, bytes(32), signer.verifying_key.to_bytes())
    operator = SigningKey.generate()
    members = [*(m.member for m in meters), bad]
    signed = Roster.create(b"small", members, threshold=3).sign(operator)
    roster = signed.roster
    setup = PaillierSettlement.setup(roster, holders=3, bits=SETTLEMENT_BITS)
    agg = Aggregator(signed, operator, CommitmentBook(), backend="paillier", paillier=setup)
    rnd = agg.open_round(1)
    for m in meters[:2]:
        o = derive_blinding(bytes(32), m.meter_id, 0, 1)
        rnd.submit(_client(setup, m, signed, operator).report(1, 5, o))
    sealed = bytes(12 + setup.ciphertext_bytes + 16)
    rep = EncryptedReport(bad.meter_id, roster.digest, setup.keys_digest, 1, sealed)
    rnd.submit(rep.signed(signer.sign(rep.to_be_signed())))
    with pytest.raises(RosterError, match="small order"):
        agg.close_round()
    for holder in setup.holders:
        assert holder is not None and 1 not in holder.released
    seed_holder = setup.holders[2]
    assert isinstance(seed_holder, SeedHolder)
    with pytest.raises(RosterError, match="small order"):  # a seed holder alone, too
        seed_holder.release(1, list(rnd.reports.values()))
    assert 1 not in seed_holder.released
    # and a holder key of small order is refused with the setup
    with pytest.raises(RangeError, match="small order"):
        PaillierSettlement(setup.public_key, setup.sealing_key, (bytes(32),), setup.packing)


def test_values_near_overflow_bound() -> None:
    g = PGroup(n=4, threshold=2)
    g.commit(1, value=(1 << 64) - 1)
    rnd = g.agg.open_round(1)
    for i in range(4):
        rnd.submit(g.report(i, 1))
    assert g.agg.close_round().sum_wh == 4 * ((1 << 64) - 1)
    g.commit(2, value=0)
    rnd = g.agg.open_round(2)
    for i in range(4):
        rnd.submit(g.report(i, 2))
    assert g.agg.close_round().sum_wh == 0
    with pytest.raises(RangeError):
        g.clients[0].report(3, 1 << 64, g.blinding(0, 3))


def test_missing_key_holder(pgroup: PGroup) -> None:
    pgroup.commit(20)
    saved = pgroup.setup.holders[1]
    pgroup.setup.holders[1] = None
    try:
        rnd = pgroup.agg.open_round(20)
        for i in range(6):
            rnd.submit(pgroup.report(i, 20))
        with pytest.raises(KeyHolderError, match=r"\[2\] missing"):
            pgroup.agg.close_round()
        assert rnd.state == "aborted"
        # nobody released: the present holders did not spend the interval
        assert all(20 not in h._done for h in pgroup.setup.holders if h is not None)
    finally:
        pgroup.setup.holders[1] = saved


@pytest.mark.parametrize("holders", [2, 3, 5])
def test_all_holders_are_needed_and_fewer_cannot(holders: int) -> None:
    g = PGroup(n=4, threshold=2, holders=holders)
    assert g.setup.holder_count == holders
    assert len(set(g.setup.seed_keys)) == holders - 1  # a key pair each
    g.commit(1)
    rnd = g.agg.open_round(1)
    for i in range(4):
        rnd.submit(g.report(i, 1))
    assert g.agg.close_round().sum_wh == sum(g.values[(m.meter_id, 1)] for m in g.meters)
    for j in range(holders):
        g.commit(2 + j)
        saved, g.setup.holders[j] = g.setup.holders[j], None
        rnd = g.agg.open_round(2 + j)
        for i in range(4):
            rnd.submit(g.report(i, 2 + j))
        with pytest.raises(KeyHolderError):
            g.agg.close_round()
        g.setup.holders[j] = saved
        # and the k - 1 others' releases do not add up to the packed sum
        reps = [g.report(i, 2 + j) for i in range(4)]
        partial = [h.release(2 + j, reps) for h in g.setup.holders if h is not saved]
        r, _ = g.setup.packing.unpack(g.setup.packing.join(partial))
        assert r != sum(g.values[(m.meter_id, 2 + j)] for m in g.meters)


@pytest.mark.parametrize("j", [0, 1, 2])
def test_holder_releases_one_aggregate_per_interval(pgroup: PGroup, j: int) -> None:
    """Two releases of one interval over sets differing in one meter would reveal
    that meter's share: every holder, decryption or seed, refuses the second."""
    index = 24 + 2 * j
    pgroup.commit(index)
    reps = [pgroup.report(i, index) for i in range(6)]
    holder = pgroup.holder(j)
    first = holder.release(index, reps)
    assert holder.release(index, reps) == first  # the same request again is fine
    with pytest.raises(RecoveryRefusedError):
        holder.release(index, reps[1:])
    with pytest.raises(ThresholdError):
        holder.release(index, reps[:2])  # fewer than t: also a single household
    with pytest.raises(DuplicateReportError):
        holder.release(index + 1, [reps[0], reps[0], reps[1]])
    with pytest.raises(StaleReportError):
        holder.release(index + 1, reps)  # reports of one interval sent as the next


@pytest.mark.parametrize("j", [0, 2])
def test_holder_checks_every_signature(pgroup: PGroup, j: int) -> None:
    """A holder does not trust the aggregator: one bad signature in the set and it
    releases nothing (batch verification, naming the meter)."""
    index = 34 + j
    pgroup.commit(index)
    reps = [pgroup.report(i, index) for i in range(6)]
    bad = reps[4]
    reps[4] = dataclasses.replace(bad, signature=bytes(64))
    holder = pgroup.holder(j)
    with pytest.raises(MalformedReportError, match=bad.meter_id.hex()):
        holder.release(index, reps)
    assert index not in holder._done  # a refused set does not use up the interval


def test_forged_duplicated_replayed_late_reports(pgroup: PGroup) -> None:
    pgroup.commit(40)
    pgroup.commit(41)
    rnd = pgroup.agg.open_round(41)
    rep = pgroup.report(0, 41)
    forged = dataclasses.replace(rep, sealed=rep.sealed[:-1] + bytes([rep.sealed[-1] ^ 1]))
    with pytest.raises(MalformedReportError, match="not signed"):
        rnd.submit(forged)
    with pytest.raises(StaleReportError):
        rnd.submit(pgroup.report(1, 40))
    rnd.submit(rep)
    with pytest.raises(DuplicateReportError):
        rnd.submit(rep)
    with pytest.raises(MalformedReportError):
        rnd.submit(b"\x00\x01")
    stranger = MeterClient(b"\xee" * 16)
    alien = dataclasses.replace(rep, meter_id=stranger.meter_id)
    with pytest.raises(UnknownReporterError):
        rnd.submit(alien)
    for i in range(1, 6):
        rnd.submit(pgroup.report(i, 41))
    pgroup.agg.close_round()
    with pytest.raises(LateReportError):
        rnd.submit(pgroup.report(2, 41))


def test_wrong_key_ciphertexts(pgroup: PGroup) -> None:
    # A meter provisioned with another set of holder keys: refused on arrival.
    other = PaillierSettlement.setup(pgroup.roster, holders=3, bits=SETTLEMENT_BITS)
    stale = _client(other, pgroup.meters[0], pgroup.signed, pgroup.operator)
    pgroup.meters[0].trusted_holders = pgroup.setup.holders_digest  # back to its own
    pgroup.commit(50)
    rnd = pgroup.agg.open_round(50)
    with pytest.raises(RosterMismatchError, match="keys"):
        rnd.submit(stale.report(50, 150, pgroup.blinding(0, 50)))
    # A malicious meter that signs, under the right key digest, a value encrypted
    # under a key of its own: accepted (it is signed), but the product no longer
    # decrypts to a sum of rests, and holder 1 refuses to release it.
    ct = other.public_key.encrypt(5) % pgroup.setup.public_key.nsquare
    rnd.submit(pgroup.signed_report(0, 50, ct))
    for i in range(1, 6):
        rnd.submit(pgroup.report(i, 50))
    with pytest.raises(KeyHolderError, match="holder 1 refuses") as err:
        pgroup.agg.close_round()
    # detected and identified: the meter whose value is out of range, and only it
    assert f"out of range: ['{pgroup.meters[0].meter_id.hex()}']" in str(err.value)
    # The range of a decrypted sum is known only at release: holder 1 has spent the
    # interval (another set would make its answer an oracle), and the round cannot
    # be opened again (settlement.md §3.4: a malicious meter can block its intervals).
    assert pgroup.holder(0).released[50][1] is None
    with pytest.raises(AggregationError, match="already aggregated"):
        pgroup.agg.open_round(50)
    # an aggregator that restarts (and forgot) gets no further: the holders remember
    fresh = Aggregator(pgroup.signed, pgroup.operator, pgroup.book, backend="paillier",
                       paillier=pgroup.setup)  # fmt: skip
    again = fresh.open_round(50)
    for i in range(1, 6):
        again.submit(pgroup.report(i, 50))
    with pytest.raises(AggregationError):  # another set, or the same: refused either way
        fresh.close_round()
    assert not again.reopenable


def test_wrong_but_in_range_value_fails_the_commitment_check(pgroup: PGroup) -> None:
    """A malicious meter whose rest is in range but for another value: the round
    releases and the check against the commitments fails (detected, not identified:
    as in the masking backend)."""
    pgroup.commit(51)
    rnd = pgroup.agg.open_round(51)
    ct = pgroup.clients[0].encrypt(51, 999, pgroup.blinding(0, 51))  # committed 152
    rnd.submit(pgroup.signed_report(0, 51, ct))
    for i in range(1, 6):
        rnd.submit(pgroup.report(i, 51))
    with pytest.raises(AggregateVerificationError):
        pgroup.agg.close_round()


def test_ciphertext_out_of_range_is_refused_before_anyone_releases(pgroup: PGroup) -> None:
    """Only holder 1 sees the ciphertext (sealed): it refuses one outside [1, n^2) in
    its preparation, so no holder spends the interval."""
    n2 = int(pgroup.setup.public_key.nsquare)
    for index, ct in ((52, n2), (53, 0), (54, (1 << 8 * pgroup.setup.ciphertext_bytes) - 1)):
        pgroup.commit(index)
        rnd = pgroup.agg.open_round(index)
        rnd.submit(pgroup.signed_report(0, index, ct))
        for i in range(1, 6):
            rnd.submit(pgroup.report(i, index))
        with pytest.raises(MalformedReportError, match=r"not in \[1, n\^2\)"):
            pgroup.agg.close_round()
        assert all(index not in h.released for h in pgroup.setup.holders if h is not None)


def test_a_sealed_ciphertext_opens_only_for_holder_1(pgroup: PGroup) -> None:
    """The aggregator relays sealed ciphertexts it cannot read; a meter cannot pass
    off another meter's sealed ciphertext as its own (the seal is per meter and
    interval), and a wrong seal is refused before anyone releases."""
    pgroup.commit(55)
    reps = [pgroup.report(i, 55) for i in range(6)]
    (c0,) = pgroup.opened(55, reps[:1])
    assert c0.to_bytes(pgroup.setup.ciphertext_bytes, "big")[:64] not in reps[0].encode()
    # meter 1 signs a report carrying meter 0's sealed ciphertext
    stolen = EncryptedReport(pgroup.meters[1].meter_id, pgroup.roster.digest,
                             pgroup.setup.keys_digest, 55, reps[0].sealed)  # fmt: skip
    stolen = stolen.signed(pgroup.meters[1].signing_key.sign(stolen.to_be_signed()))
    rnd = pgroup.agg.open_round(55)
    for rep in [reps[0], stolen, *reps[2:]]:
        rnd.submit(rep)
    with pytest.raises(MalformedReportError, match="not sealed to holder 1"):
        pgroup.agg.close_round()
    assert all(55 not in h.released for h in pgroup.setup.holders if h is not None)
    # and a seal made for one interval does not open in another
    moved = EncryptedReport(pgroup.meters[2].meter_id, pgroup.roster.digest,
                            pgroup.setup.keys_digest, 56, reps[2].sealed)  # fmt: skip
    with pytest.raises(MalformedReportError, match="not sealed"):
        pgroup.opened(56, [moved])


def test_a_meter_cannot_cancel_the_others_out_of_the_sum(pgroup: PGroup) -> None:
    """The attack the seal stops: a roster meter w (with the aggregator) signs
    E(a) * prod c_h^-1, so that the product over {v, w, h...} is E(y_v + a) and
    the releases isolate the victim v. It needs the others' ciphertexts c_h, which
    only holder 1 sees. Even given them (holder 1 colluding too), one honest seed
    holder's shares of the h keep v hidden: the coalition's best guess is wrong."""
    index = 57
    pgroup.commit(index)
    pp, setup = pgroup.setup.packing, pgroup.setup
    n2 = int(setup.public_key.nsquare)
    honest = [pgroup.report(i, index) for i in range(2, 6)]  # h = meters 2..5, victim 0
    victim = pgroup.report(0, index)
    c_h = pgroup.opened(index, honest)  # what holder 1 (colluding) hands over
    a = 12345
    c_w = int(setup.public_key.encrypt(a))
    for c in c_h:
        c_w = c_w * pow(c, -1, n2) % n2
    reps = [victim, pgroup.signed_report(1, index, c_w), *honest]
    released = [h.release(index, reps) for h in setup.holders if h is not None]
    # The coalition: holder 1's release and a; the seed holders' releases (the
    # aggregator gets them); w's own seed shares.
    nbytes = -(-pp.share_bits // 8)
    x_w = sum(_seed_shares(pgroup.clients[1]._seeds, index, nbytes))
    guess = (released[0] - a + sum(released[1:]) - x_w) % (1 << pp.share_bits)
    o_v = int.from_bytes(bytes(pgroup.blinding(0, index)), "little")
    truth = pp.pack(pgroup.values[(pgroup.meters[0].meter_id, index)], o_v)
    assert guess != truth
    # what hides it: the honest meters' shares, known only to the seed holders
    x_h = sum(x for i in range(2, 6) for x in _seed_shares(pgroup.clients[i]._seeds, index, nbytes))
    assert (guess - x_h) % (1 << pp.share_bits) == truth


# --------------------------------------------------------------------------
# the report's encoding
# --------------------------------------------------------------------------


def test_report_encoding_round_trip_and_layout(pgroup: PGroup) -> None:
    pgroup.commit(60)
    rep = pgroup.report(2, 60)
    data = rep.encode()
    back = EncryptedReport.decode(data)
    assert back == rep and back.encode() == data
    assert back.to_be_signed() == rep.to_be_signed()
    obj = cbor2.loads(data)
    assert obj[:5] == [1, rep.meter_id, pgroup.roster.digest, pgroup.setup.keys_digest, 60]
    assert obj[5] == rep.sealed and len(rep.sealed) == 12 + 2 * SETTLEMENT_BITS // 8 + 16
    assert obj[6] == rep.signature and len(obj) == 7
    assert cbor2.dumps(obj, canonical=True) == data
    # the signed bytes: the domain, then the fields with a digest of the sealed ciphertext
    assert rep.to_be_signed().startswith(b"privbill/v1/settlement/paillier-report")
    assert len(rep.to_be_signed()) < 200
    # the keys digest, computed independently from the layout in settlement.md §3.3
    s = pgroup.setup
    fields = [64, 6, str(s.public_key.n), s.sealing_key, list(s.seed_keys)]
    expected = hashlib.sha512(
        b"privbill/v1/settlement/paillier-keys" + cbor2.dumps(fields, canonical=True)
    ).digest()[:32]
    assert s.keys_digest == expected


def test_tampered_and_truncated_reports(pgroup: PGroup) -> None:
    pgroup.commit(61)
    rep = pgroup.report(3, 61)
    data = rep.encode()
    for cut in range(len(data)):
        with pytest.raises(MalformedReportError):
            EncryptedReport.decode(data[:cut])
    with pytest.raises(MalformedReportError):
        EncryptedReport.decode(data + b"\x00")
    rnd = pgroup.agg.open_round(61)
    start = data.index(rep.sealed)
    for i in random.Random(61).sample(range(start, start + len(rep.sealed)), 20):
        tampered = data[:i] + bytes([data[i] ^ 0x40]) + data[i + 1 :]  # a sealed byte changed
        with pytest.raises(MalformedReportError):
            rnd.submit(tampered)
    rnd.submit(data)


def _reencode(obj: list[object]) -> bytes:
    return cbor2.dumps(obj, canonical=True)


def test_report_decoding_is_strict(pgroup: PGroup) -> None:
    pgroup.commit(62)
    data = pgroup.report(0, 62).encode()
    obj = cbor2.loads(data)
    sealed = obj[5]
    bad: list[bytes] = [
        _reencode([2, *obj[1:]]),  # version
        _reencode(obj[:6]),  # a field missing
        _reencode([*obj, b""]),  # one too many
        _reencode([*obj[:5], sealed[:28], obj[6]]),  # no room for a ciphertext
        _reencode([*obj[:5], bytes(12 + 2048 + 17), obj[6]]),  # too long for any key
        _reencode([*obj[:5], str(int.from_bytes(sealed, "big")), obj[6]]),  # a text string
        _reencode([*obj[:5], int.from_bytes(sealed[:8], "big"), obj[6]]),  # an integer
        _reencode([*obj[:5], [sealed], obj[6]]),  # an array
        _reencode([*obj[:1], obj[1][:15], *obj[2:]]),  # short meter id
        _reencode([*obj[:4], -1, *obj[5:]]),  # negative index
        _reencode([*obj[:6], obj[6][:63]]),  # short signature
        b"\xf5" + data[1:],  # not an array
        data[:1] + b"\xf5" + data[2:],  # version true, equal to 1 for cbor2
        data[:1] + b"\xf9\x3c\x00" + data[2:],  # version 1.0
        data[:1] + b"\x18\x01" + data[2:],  # version not in shortest form
        b"\x9f" + data[1:] + b"\xff",  # indefinite-length array
        bytearray(data[:-1]),  # truncated (bytearray accepted as bytes)
    ]
    for b in bad:
        with pytest.raises(MalformedReportError):
            EncryptedReport.decode(b)
    with pytest.raises(MalformedReportError):
        EncryptedReport.decode("text")  # type: ignore[arg-type]
    assert EncryptedReport.decode(bytearray(data)).encode() == data


def test_meter_floor_and_high_water_mark_hold_for_paillier(pgroup: PGroup) -> None:
    """The meter-side rules of the masking backend hold here too: no roster below the
    meter's threshold floor, and no interval reported twice under two sets of holder
    keys (which would let a new set of holders difference one household out)."""
    signed, operator = pgroup.signed, pgroup.operator
    floor = MeterClient(bytes(16))  # MIN_THRESHOLD by default; pgroup's t is 3
    with pytest.raises(RosterError, match="floor"):
        _client(pgroup.setup, floor, signed, operator)
    with pytest.raises(RosterError, match="another key"):  # not the roster's key for it
        _client(pgroup.setup, MeterClient(pgroup.meters[0].meter_id, min_threshold=2),
                signed, operator)  # fmt: skip
    meter = pgroup.meters[0]
    pgroup.clients[0].report(70, 5, pgroup.blinding(0, 70))
    pgroup.clients[0].report(70, 5, pgroup.blinding(0, 70))  # a retry: same keys, same value
    with pytest.raises(LateReportError, match="another value"):  # holder 1 would see 6 - 5
        pgroup.clients[0].report(70, 6, pgroup.blinding(0, 70))
    other = PaillierSettlement.setup(pgroup.roster, holders=2, bits=SETTLEMENT_BITS)
    with pytest.raises(LateReportError):  # re-provisioned with new holders: still no
        _client(other, meter, signed, operator).report(70, 5, pgroup.blinding(0, 70))
    meter.trusted_holders = pgroup.setup.holders_digest
    assert meter.last_reported == 70
    # bad input is refused before the high-water mark moves
    with pytest.raises(RangeError):
        pgroup.clients[0].report(80, 1 << 64, pgroup.blinding(0, 80))
    with pytest.raises(RangeError):
        pgroup.clients[0].encrypt(-1, 5, pgroup.blinding(0, 80))
    assert meter.last_reported == 70


def test_setup_is_checked(pgroup: PGroup) -> None:
    s = pgroup.setup
    with pytest.raises(RangeError):
        PaillierSettlement(s.public_key, s.sealing_key, (), s.packing)  # one holder alone
    with pytest.raises(RangeError):  # one key twice
        PaillierSettlement(s.public_key, s.sealing_key, (s.seed_keys[0],) * 2, s.packing)
    with pytest.raises(RangeError):
        PaillierSettlement(s.public_key, s.sealing_key, (s.sealing_key,), s.packing)
    with pytest.raises(RangeError):
        PaillierSettlement(s.public_key, s.sealing_key, (b"short",), s.packing)
    with pytest.raises(TypeError):
        PaillierSettlement(s.public_key.n, s.sealing_key, s.seed_keys, s.packing)  # type: ignore[arg-type]
    with pytest.raises(KeyHolderError):
        SeedHolder(1, bytes(32), s, pgroup.roster)  # not holder 2's secret
    holder_1 = pgroup.holder(0)
    assert isinstance(holder_1, DecryptionHolder)
    other_key = generate_keypair(SETTLEMENT_BITS)[1]
    with pytest.raises(KeyHolderError):
        DecryptionHolder(other_key, holder_1._secret, s, pgroup.roster)
    with pytest.raises(KeyHolderError):
        DecryptionHolder(holder_1.key, bytes(32), s, pgroup.roster)
    # a packing too small for the roster: refused by holders and meters alike
    small = PaillierSettlement(s.public_key, s.sealing_key, s.seed_keys, PackingParams(5))
    with pytest.raises(RosterError, match="the packing holds 5"):
        SeedHolder(1, bytes(32), small, pgroup.roster)
    with pytest.raises(RosterError, match="the packing holds 5"):
        _client(small, pgroup.meters[0], pgroup.signed, pgroup.operator)
    pgroup.meters[0].trusted_holders = s.holders_digest
    # holder keys have one encoding each (u < 2^255 - 19): no holder fills two places
    twin = (int.from_bytes(s.seed_keys[0], "little") | 1 << 255).to_bytes(32, "little")
    with pytest.raises(RangeError, match="canonical"):
        PaillierSettlement(s.public_key, s.sealing_key, (s.seed_keys[0], twin), s.packing)


def test_a_meter_encrypts_only_for_the_holders_it_was_provisioned_with(pgroup: PGroup) -> None:
    """Whoever hands the setup to meters could hand them keys of its own: a meter
    checks the holders' digest it was provisioned with, and the roster's signature."""
    m = MeterClient(b"\x01" * 16, pgroup.meters[0]._sk, pgroup.meters[0].signing_key,
                    min_threshold=2)  # fmt: skip
    with pytest.raises(RosterError, match="no Paillier key holders"):
        pgroup.setup.client(m, pgroup.signed, pgroup.operator.verifying_key)
    m.trusted_holders = pgroup.setup.holders_digest
    forged = PaillierSettlement.setup(pgroup.roster, holders=3, bits=SETTLEMENT_BITS)
    with pytest.raises(RosterError, match="not the key holders"):
        forged.client(m, pgroup.signed, pgroup.operator.verifying_key)
    with pytest.raises(RosterError):  # a roster signed by someone else
        pgroup.setup.client(m, pgroup.signed, SigningKey.generate().verifying_key)
    assert pgroup.setup.client(m, pgroup.signed, pgroup.operator.verifying_key).meter is m


def test_release_checks_the_very_reports_it_prepared(pgroup: PGroup) -> None:
    """prepare caches its work for the reports it checked, not for their meters: a
    release over the same meters with other bytes checks everything again."""
    pgroup.commit(90)
    reps = [pgroup.report(i, 90) for i in range(6)]
    for j in range(3):
        holder = pgroup.holder(j)
        holder.prepare(90, reps)
        unsigned = [dataclasses.replace(r, signature=bytes(64)) for r in reps]
        with pytest.raises(MalformedReportError, match="not signed"):
            holder.release(90, unsigned)
        assert 90 not in holder.released
        with pytest.raises(RangeError):
            holder.release(-1, reps)
        with pytest.raises(TypeError):
            holder.release(90, [*reps[:5], b"report"])  # type: ignore[list-item]
    with pytest.raises(MalformedReportError):  # a report object is checked when made
        EncryptedReport(b"\x01" * 15, bytes(32), bytes(32), 90, bytes(40))
    with pytest.raises(MalformedReportError):
        EncryptedReport(b"\x01" * 16, bytes(32), bytes(32), 90, "sealed")  # type: ignore[arg-type]
    with pytest.raises(MalformedReportError):
        EncryptedReport(b"\x01" * 16, bytes(32), bytes(32), 90, bytes(40), None)  # type: ignore[arg-type]
    with pytest.raises(RangeError):
        pgroup.clients[0].seal(-1, 5)
    with pytest.raises(RangeError):
        pgroup.clients[0].seal(90, pgroup.setup.public_key.nsquare)


def test_a_round_failing_before_any_release_can_run_again(pgroup: PGroup) -> None:
    """A check failing in a holder's preparation (here a seal that does not open)
    spends nothing: the aggregator opens the interval again without that meter."""
    pgroup.commit(92)
    reps = [pgroup.report(i, 92) for i in range(6)]
    bad = dataclasses.replace(reps[3], sealed=reps[2].sealed)
    bad = bad.signed(pgroup.meters[3].signing_key.sign(bad.to_be_signed()))
    rnd = pgroup.agg.open_round(92)
    for rep in [*reps[:3], bad, *reps[4:]]:
        rnd.submit(rep)
    with pytest.raises(MalformedReportError, match=pgroup.meters[3].meter_id.hex()):
        pgroup.agg.close_round()
    assert rnd.reopenable
    rnd = pgroup.agg.open_round(92)
    for rep in [*reps[:3], *reps[4:]]:
        rnd.submit(rep)
    res = pgroup.agg.close_round()
    assert res.verified and len(res.households) == 5


def test_setup_public_json_round_trip_and_strictness(pgroup: PGroup) -> None:
    """The public half of a setup as JSON (what meters are provisioned from): the
    same digests after a round trip, and nothing but the exact layout accepted."""
    s = pgroup.setup
    text = s.public_json()
    back = PaillierSettlement.from_public_json(text)
    assert (back.holders_digest, back.keys_digest) == (s.holders_digest, s.keys_digest)
    assert back.holders == [] and str(s.public_key.n) in text
    obj = json.loads(text)
    assert obj["seed_keys"] == [k.hex() for k in s.seed_keys]

    def variant(**change: object) -> str:
        return json.dumps({**obj, **change})

    bad = [
        "not json",
        json.dumps([obj]),
        variant(type="paillier-public-key"),
        variant(extra=1),
        variant(n="0" + obj["n"]),
        variant(n=int(obj["n"])),
        variant(sealing_key=obj["sealing_key"].upper()),
        variant(sealing_key=obj["sealing_key"][:62]),
        variant(seed_keys=obj["seed_keys"][0]),
        variant(seed_keys=[]),
        variant(seed_keys=[obj["sealing_key"]]),  # one key twice
        variant(seed_keys=["ff" * 32]),  # not canonical
        variant(seed_keys=["09" + "00" * 31] * 64),  # too many holders
        variant(seed_keys=["00" * 32]),  # small order
        variant(value_bits=32),
        variant(max_households=True),
        variant(max_households=0),
        variant(n=str((1 << 1023) + 1)),  # too small a modulus for the packing
        text[:-1] + ', "max_households": 7}',  # a name twice
        "[" * 100_000 + "]" * 100_000,  # nested too deep for the parser
    ]
    for b in bad:
        with pytest.raises(FormatError):
            PaillierSettlement.from_public_json(b)
    with pytest.raises(FormatError):
        PaillierSettlement.from_public_json(text.encode())  # type: ignore[arg-type]
