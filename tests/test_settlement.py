"""Settlement aggregation (privbill.settlement): correctness on real data, dropout
recovery, and one test per fault, each with its own error.

Real data: ../shared/data/consumption/sgsc_48hh_2013Q2.csv (Ausgrid SGSC, 48 homes,
April to June 2013). The full month runs are marked slow; the quick ones use two days.

The C mask derivation is cross-checked against an independent Python implementation
(hmac/hashlib for HKDF-SHA-512, pyca/cryptography for X25519).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from conftest import missing
from privbill._ffi import ffi, lib
from privbill.errors import AggregationError, FormatError, RangeError, VerificationError
from privbill.group import Element, L, Scalar
from privbill.keys import SigningKey
from privbill.pedersen import commit, derive_blinding
from privbill.readings import read_sgsc_csv
from privbill.settlement import (
    AggregateVerificationError,
    Aggregator,
    CommitmentBook,
    DuplicateReportError,
    LateReportError,
    LocalTransport,
    MalformedReportError,
    MaskedReport,
    MeterClient,
    RecoveryError,
    RecoveryRefusedError,
    RecoveryRequest,
    Roster,
    RosterError,
    RosterMismatchError,
    SignedRoster,
    StaleReportError,
    ThresholdError,
    UnknownReporterError,
    _lagrange_at_zero,
    _shamir_share,
    neighbourhood_graph,
    run_groups,
)
from privbill.settlement_cli import GroupSpec, meter_id_of, settlement_main, simulate_group

SGSC = "consumption/sgsc_48hh_2013Q2.csv"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sgsc(data_dir: Path) -> dict[str, dict[int, int]]:
    data = read_sgsc_csv(data_dir / SGSC)
    return {c: dict(r.channel(0)) for c, r in data.items()}


class Group:
    """A group of n meters with commitments for a few intervals."""

    def __init__(self, n: int, seed: int, degree: int | None = None, threshold: int | None = None):
        self.rng = random.Random(seed)
        self.operator = SigningKey.generate()
        self.meters = [MeterClient(self.rng.randbytes(16), min_threshold=2) for _ in range(n)]
        self.signed = Roster.create(
            b"test-group", [m.member for m in self.meters], threshold=threshold, degree=degree
        ).sign(self.operator)
        shares = [s for m in self.meters for s in m.join(self.signed, self.operator.verifying_key)]
        for m in self.meters:
            m.accept_shares(shares)
        self.k = {m.meter_id: self.rng.randbytes(32) for m in self.meters}
        self.book = CommitmentBook()
        self.values: dict[tuple[bytes, int], int] = {}
        self.transport = LocalTransport(self.meters)
        self.agg = Aggregator(self.signed, self.operator, self.book, self.transport)

    def blinding(self, m: MeterClient, index: int) -> Scalar:
        return derive_blinding(self.k[m.meter_id], m.meter_id, 0, index)

    def commit(self, index: int, values: dict[bytes, int] | None = None) -> None:
        for m in self.meters:
            v = self.rng.randrange(0, 5000) if values is None else values[m.meter_id]
            self.values[(m.meter_id, index)] = v
            self.book.add(m.meter_id, index, commit(v, self.blinding(m, index)))

    def report(self, m: MeterClient, index: int) -> MaskedReport:
        return m.report(index, self.values[(m.meter_id, index)], self.blinding(m, index))


# --------------------------------------------------------------------------
# the C core against an independent implementation
# --------------------------------------------------------------------------


def _hkdf(salt: bytes, ikm: bytes, info: bytes, n: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha512).digest()
    t, okm, i = b"", b"", 1
    while len(okm) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha512).digest()
        okm += t
        i += 1
    return okm[:n]


def test_pair_key_and_mask_match_independent_implementation(rng: random.Random) -> None:
    a_sk, b_sk = rng.randbytes(32), rng.randbytes(32)
    a_id, b_id, digest = rng.randbytes(16), rng.randbytes(16), rng.randbytes(32)
    b_pk = X25519PrivateKey.from_private_bytes(b_sk).public_key().public_bytes_raw()
    shared = X25519PrivateKey.from_private_bytes(a_sk).exchange(
        X25519PublicKey.from_public_bytes(b_pk)
    )
    lo, hi = sorted([a_id, b_id])
    want_key = _hkdf(b"privbill/v1/settlement/pair", shared, digest + lo + hi, 64)
    key = ffi.new("uint8_t[64]")
    assert lib.privbill_mask_pair_key(key, a_sk, b_pk, digest, a_id, b_id) == 0
    assert bytes(key) == want_key
    index = rng.randrange(1 << 40)
    mr, mo = ffi.new("uint8_t[32]"), ffi.new("uint8_t[32]")
    lib.privbill_mask_pair(mr, mo, key, index)
    okm = b""
    t, i = b"", 1
    while len(okm) < 128:
        t = hmac.new(
            want_key, t + b"privbill/v1/settlement/mask" + index.to_bytes(8, "big") + bytes([i]),
            hashlib.sha512,
        ).digest()  # fmt: skip
        okm += t
        i += 1
    assert int.from_bytes(bytes(mr), "little") == int.from_bytes(okm[:64], "little") % L
    assert int.from_bytes(bytes(mo), "little") == int.from_bytes(okm[64:], "little") % L


def _expand_scalars(prk: bytes, domain: bytes, index: int) -> tuple[int, int]:
    """HKDF-Expand(prk, domain || be64(index), 128), halves reduced mod l (RFC 5869)."""
    okm, t, i = b"", b"", 1
    while len(okm) < 128:
        msg = t + domain + index.to_bytes(8, "big") + bytes([i])
        t = hmac.new(prk, msg, hashlib.sha512).digest()
        okm += t
        i += 1
    return int.from_bytes(okm[:64], "little") % L, int.from_bytes(okm[64:128], "little") % L


def test_unmasking_answer_matches_independent_implementation(rng: random.Random) -> None:
    """privbill_mask_unmask: the self mask (hash to group, scalar multiplication, HKDF)
    plus (+/-) the unmasking pair of each counted neighbour, recomputed here from the
    spec in plain Python (the group arithmetic from privbill.group)."""
    secret, digest = Scalar.random(), rng.randbytes(32)
    keys = [rng.randbytes(64) for _ in range(4)]
    subtract, counted = bytes([0, 1, 1, 0]), bytes([1, 1, 0, 1])
    index = rng.randrange(1 << 40)
    zv, zb = ffi.new("uint8_t[32]"), ffi.new("uint8_t[32]")
    rc = lib.privbill_mask_unmask(zv, zb, bytes(secret), digest, index, b"".join(keys),
                                  subtract, counted, 4)  # fmt: skip
    assert rc == 0
    base = Element.hash_to_group(digest + index.to_bytes(8, "big"), b"privbill/v1/settlement/self")
    q = bytes(secret * base)
    prk = hmac.new(b"privbill/v1/settlement/self", q, hashlib.sha512).digest()
    want_v, want_b = _expand_scalars(prk, b"privbill/v1/settlement/mask", index)
    for key, sub, cnt in zip(keys, subtract, counted, strict=True):
        if cnt:
            u_r, u_o = _expand_scalars(key, b"privbill/v1/settlement/unmask", index)
            sign = -1 if sub else 1
            want_v, want_b = want_v + sign * u_r, want_b + sign * u_o
    assert int.from_bytes(bytes(zv), "little") == want_v % L
    assert int.from_bytes(bytes(zb), "little") == want_b % L
    # the unmasking pair alone, and that it differs from the reporting pair
    lib.privbill_mask_pair_unmask(zv, zb, keys[0], index)
    assert (int.from_bytes(bytes(zv), "little"), int.from_bytes(bytes(zb), "little")) == (
        _expand_scalars(keys[0], b"privbill/v1/settlement/unmask", index)
    )
    assert _expand_scalars(keys[0], b"privbill/v1/settlement/mask", index) != (
        _expand_scalars(keys[0], b"privbill/v1/settlement/unmask", index)
    )


def test_x25519_matches_cryptography(rng: random.Random) -> None:
    for _ in range(20):
        sk, peer = rng.randbytes(32), rng.randbytes(32)
        pk = X25519PrivateKey.from_private_bytes(peer).public_key().public_bytes_raw()
        out = ffi.new("uint8_t[32]")
        assert lib.privbill_x25519(out, sk, pk) == 0
        want = X25519PrivateKey.from_private_bytes(sk).exchange(
            X25519PublicKey.from_public_bytes(pk)
        )
        assert bytes(out) == want


def test_shamir_any_s_shares_reconstruct(rng: random.Random) -> None:
    secret = Scalar.random()
    xs = list(range(1, 11))
    shares = _shamir_share(secret, 4, xs)
    for _ in range(5):
        pick = sorted(rng.sample(range(10), 4))
        lam = _lagrange_at_zero([xs[i] for i in pick])
        acc = Scalar.from_int(0)
        for li, i in zip(lam, pick, strict=True):
            acc = acc + Scalar.from_int(li) * shares[i]
        assert acc == secret
    # three shares are not enough
    lam = _lagrange_at_zero(xs[:3])
    acc = Scalar.from_int(0)
    for li, s in zip(lam, shares[:3], strict=True):
        acc = acc + Scalar.from_int(li) * s
    assert acc != secret


def test_graph_is_deterministic_bounded_and_connected() -> None:
    g = neighbourhood_graph(500, 20, b"x")
    assert g == neighbourhood_graph(500, 20, b"x")
    assert g != neighbourhood_graph(500, 20, b"y")
    assert all(2 <= len(nb) <= 20 for nb in g)
    assert all(i in g[j] for i in range(500) for j in g[i])
    seen, todo = {0}, [0]
    while todo:
        for j in g[todo.pop()]:
            if j not in seen:
                seen.add(j)
                todo.append(j)
    assert len(seen) == 500


# --------------------------------------------------------------------------
# correctness on real data
# --------------------------------------------------------------------------


def _check(spec: GroupSpec, results: list[Any]) -> None:
    by_id = {meter_id_of(c): c for c in spec.readings}
    assert [r.interval for r in results] == list(spec.intervals)
    for r in results:
        assert r.verified
        want = sum(spec.readings[by_id[m]][r.interval] for m in r.households)
        assert r.sum_wh == want
        assert set(r.households) | set(r.dropped) == set(by_id)
        assert not set(r.households) & set(r.dropped)


def _groups(
    sgsc: dict[str, dict[int, int]], size: int, count: int, days: int
) -> list[tuple[dict[str, dict[int, int]], list[int]]]:
    """``count`` groups of ``size`` customers with a reading in every interval of
    the first ``days`` days (customers with gaps would only add dropouts)."""
    start = min(min(v) for v in sgsc.values())
    intervals = list(range(start, start + 48 * days))
    names = [c for c, r in sgsc.items() if all(i in r for i in intervals)]
    assert len(names) >= size * count
    return [
        ({c: sgsc[c] for c in names[g * size : (g + 1) * size]}, intervals) for g in range(count)
    ]


@pytest.mark.parametrize("dropout", [0.0, 0.1, 0.3])
def test_two_days_real_data_with_dropouts(sgsc: dict[str, dict[int, int]], dropout: float) -> None:
    ((readings, intervals),) = _groups(sgsc, 12, 1, 2)
    spec = GroupSpec(
        "g", readings, intervals, dropout=dropout, seed=7, threshold=3, min_threshold=2
    )
    results = simulate_group(spec)
    _check(spec, results)
    if dropout:
        assert any(r.dropped for r in results)


@pytest.mark.slow
def test_real_month_every_half_hour(sgsc: dict[str, dict[int, int]]) -> None:
    """April 2013, every half-hour, three groups of 14, 10 % dropout, groups in parallel."""
    groups = _groups(sgsc, 14, 3, 30)
    specs = [
        GroupSpec(f"g{i}", r, iv, dropout=0.1, seed=i, threshold=6)
        for i, (r, iv) in enumerate(groups)
    ]
    with ThreadPoolExecutor(3) as pool:
        all_results = run_groups(simulate_group, specs, pool)
    for spec, results in zip(specs, all_results, strict=True):
        _check(spec, results)


def test_groups_on_a_process_pool(sgsc: dict[str, dict[int, int]]) -> None:
    """Four groups of a real day through a process pool give what they give serially
    (simulate_group is the picklable unit of work)."""
    specs = [
        GroupSpec(f"pool{i}", r, iv[:8], dropout=0.1, seed=i)
        for i, (r, iv) in enumerate(_groups(sgsc, 8, 4, 1))
    ]
    with ProcessPoolExecutor(2) as pool:
        results = run_groups(simulate_group, specs, pool)
    for spec, res in zip(specs, results, strict=True):
        _check(spec, res)
        assert [(r.sum_wh, r.households) for r in res] == [
            (r.sum_wh, r.households) for r in simulate_group(spec)
        ]


@pytest.mark.slow
def test_groups_on_a_dask_cluster(sgsc: dict[str, dict[int, int]]) -> None:
    """The same through dask.distributed (client.get_executor()), two worker processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        missing("dask.distributed is not installed (pip install 'privbill[dask]')")
    specs = [
        GroupSpec(f"dask{i}", r, iv[:6], dropout=0.1, seed=i)
        for i, (r, iv) in enumerate(_groups(sgsc, 6, 3, 1))
    ]
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        results = run_groups(simulate_group, specs, client.get_executor())
    finally:
        client.close()
        cluster.close()
    for spec, res in zip(specs, results, strict=True):
        _check(spec, res)


def test_k_regular_group_with_dropouts() -> None:
    g = Group(80, seed=3, degree=8, threshold=30)
    assert g.signed.roster.degree == 8
    for index in (100, 101, 102):
        g.commit(index)
        rnd = g.agg.open_round(index)
        dropped = set(g.rng.sample(range(80), 24))
        for i, m in enumerate(g.meters):
            if i not in dropped:
                rnd.submit(g.report(m, index))
        res = g.agg.close_round()
        assert res.sum_wh == sum(g.values[(m, index)] for m in res.households)
        # The 24 that did not report, and the meters left with fewer than k - s + 1
        # counted neighbours (they would refuse to answer: MeterClient.recover).
        absent = {g.meters[i].meter_id for i in dropped}
        assert absent <= set(res.dropped)
        roster, counted = g.signed.roster, set(res.households)
        for m in roster.ids:
            nb = roster.graph[roster.position(m)]
            kept = sum(1 for j in nb if roster.ids[j] in counted)
            enough = kept >= len(nb) - roster.share_threshold + 1
            assert enough if m in counted else (m in absent or not enough)


def test_paillier_backend_real_day(sgsc: dict[str, dict[int, int]]) -> None:
    ((readings, intervals),) = _groups(sgsc, 6, 1, 1)
    spec = GroupSpec(
        "p", readings, intervals[:12], dropout=0.2, seed=2, backend="paillier", paillier_bits=2048,
        threshold=3, min_threshold=2,
    )  # fmt: skip
    _check(spec, simulate_group(spec))


# --------------------------------------------------------------------------
# faults: each its own error, nothing revealed
# --------------------------------------------------------------------------


@pytest.fixture
def group() -> Group:
    g = Group(7, seed=11, threshold=4)
    for index in (500, 501):
        g.commit(index)
    return g


def test_duplicate_report(group: Group) -> None:
    rnd = group.agg.open_round(500)
    rep = group.report(group.meters[0], 500)
    rnd.submit(rep)
    with pytest.raises(DuplicateReportError):
        rnd.submit(rep)


def test_replayed_report_from_another_interval(group: Group) -> None:
    old = group.report(group.meters[0], 500)
    group.agg.open_round(501)
    with pytest.raises(StaleReportError):
        group.agg._round.submit(old)


def test_late_report_after_recovery_is_refused(group: Group) -> None:
    rnd = group.agg.open_round(500)
    for m in group.meters[:5]:
        rnd.submit(group.report(m, 500))
    res = group.agg.close_round()
    assert len(res.dropped) == 2
    with pytest.raises(LateReportError):
        rnd.submit(group.report(group.meters[6], 500))
    # and a meter that answered recovery for the interval refuses to report it
    with pytest.raises(LateReportError):
        group.report(group.meters[0], 500)


def test_a_retry_repeats_the_report_and_another_value_is_refused(group: Group) -> None:
    """Masks are a function of the interval: two masked values of one interval
    would give the aggregator their difference. The meter repeats a report (a
    retry), refuses another value or blinding for it, and checks its input
    before its high-water mark moves."""
    group.commit(510)
    m = group.meters[0]
    first = group.report(m, 510)
    assert group.report(m, 510) == first
    v = group.values[(m.meter_id, 510)]
    with pytest.raises(LateReportError, match="another value"):
        m.report(510, v + 1, group.blinding(m, 510))
    with pytest.raises(LateReportError, match="another value"):
        m.report(510, v, group.blinding(m, 511))
    with pytest.raises(RangeError):
        m.report(511, 1 << 64, group.blinding(m, 511))
    assert m.last_reported == 510


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b[:-1],
        lambda b: b + b"\x00",
        lambda b: b"\xff" * 10,
        lambda b: b"",
    ],
)
def test_malformed_report_bytes(group: Group, mutate: Any) -> None:
    rnd = group.agg.open_round(500)
    wire = group.report(group.meters[0], 500).encode()
    with pytest.raises(MalformedReportError) as exc:
        rnd.submit(mutate(wire))
    assert isinstance(exc.value, FormatError)


def test_non_canonical_scalar_in_report(group: Group) -> None:
    rnd = group.agg.open_round(500)
    rep = group.report(group.meters[0], 500)
    bad = MaskedReport(
        rep.meter_id, rep.roster_digest, 500, L.to_bytes(32, "little"), rep.y_blinding
    )
    with pytest.raises(MalformedReportError):
        rnd.submit(bad.encode())
    with pytest.raises(MalformedReportError):
        rnd.submit(bad)


def test_unknown_reporter(group: Group) -> None:
    rnd = group.agg.open_round(500)
    rep = group.report(group.meters[0], 500)
    forged = MaskedReport(bytes(16), rep.roster_digest, 500, rep.y_value, rep.y_blinding)
    with pytest.raises(UnknownReporterError):
        rnd.submit(forged)


def test_tampered_report_fails_verification(group: Group) -> None:
    rnd = group.agg.open_round(500)
    for i, m in enumerate(group.meters):
        rep = group.report(m, 500)
        if i == 2:  # one Wh more, masks intact: the commitments catch it
            y = (Scalar.from_bytes(rep.y_value) + Scalar.from_int(1)).__bytes__()
            rep = MaskedReport(rep.meter_id, rep.roster_digest, 500, y, rep.y_blinding)
        rnd.submit(rep)
    with pytest.raises(AggregateVerificationError) as exc:
        group.agg.close_round()
    assert isinstance(exc.value, VerificationError)


def test_inconsistent_rosters(group: Group) -> None:
    # The aggregator shows one meter a different roster (another threshold).
    other = Roster.create(b"test-group", [m.member for m in group.meters], threshold=5).sign(
        group.operator
    )
    stray = group.meters[0]
    stray.join(other, group.operator.verifying_key)
    rnd = group.agg.open_round(500)
    with pytest.raises(RosterMismatchError):
        rnd.submit(group.report(stray, 500))
    # a roster signed by someone else is refused at join
    with pytest.raises(RosterError):
        MeterClient(group.meters[1].meter_id).join(other, SigningKey.generate().verifying_key)
    # a roster with a substituted key for this meter is refused
    with pytest.raises(RosterError):
        MeterClient(group.meters[1].meter_id).join(group.signed, group.operator.verifying_key)
    assert SignedRoster.decode(group.signed.encode()) == group.signed


def test_fewer_than_t_aborts_without_unmasking(group: Group) -> None:
    rnd = group.agg.open_round(500)
    for m in group.meters[:3]:
        rnd.submit(group.report(m, 500))
    with pytest.raises(ThresholdError):
        group.agg.close_round()
    # no meter was asked anything: all can still report the next interval
    for m in group.meters:
        group.report(m, 501)
    # and a meter asked directly refuses a request below the threshold
    req = _signed_request(group, 500, "unmask", [m.meter_id for m in group.meters[:3]])
    with pytest.raises(RecoveryRefusedError):
        group.meters[0].recover(req)


def _signed_request(group: Group, index: int, kind: Any, counted: list[bytes]) -> RecoveryRequest:
    ids = group.signed.roster.ids
    req = RecoveryRequest(
        group.signed.roster.digest,
        index,
        kind,
        tuple(m for m in ids if m in counted),
        tuple(m for m in ids if m not in counted),
    )
    sig = group.operator.sign(req.to_be_signed())
    return dataclasses.replace(req, signature=sig)


def test_lying_aggregator_cannot_unmask_a_present_meter(group: Group) -> None:
    """The aggregator receives every report, then claims meter 0 dropped to
    get its pairwise masks, then claims it present to get the unmasking
    answers (and so its self mask). Every honest neighbour refuses the second
    request, so meter 0's report stays masked."""
    index = 500
    victim = group.meters[0]
    reports = {m.meter_id: group.report(m, index) for m in group.meters}
    others = [m.meter_id for m in group.meters[1:]]
    req_drop = _signed_request(group, index, "pairwise", others)
    pair = {}
    for m in group.meters[1:]:
        pair.update({(m.meter_id): m.recover(req_drop).pairwise[victim.meter_id]})
    req_present = _signed_request(group, index, "unmask", [m.meter_id for m in group.meters])
    refused = 0
    for m in group.meters[1:]:
        with pytest.raises(RecoveryRefusedError):
            m.recover(req_present)
        refused += 1
    assert refused == 6
    # With every pairwise mask but no self mask, the report is still uniform noise:
    y = Scalar.from_bytes(reports[victim.meter_id].y_value)
    for peer, (mr, _) in pair.items():
        s = Scalar.from_bytes(mr)
        y = y - s if victim.meter_id < peer else y + s
    value = group.values[(victim.meter_id, index)]
    assert y != Scalar.from_int(value)  # what is left is value + self mask
    # the consistent view (meter 0 dropped) still gives the sum over the others
    group.agg.open_round(index)
    for m in group.meters[1:]:
        group.agg._round.submit(reports[m.meter_id])
    res = group.agg.close_round()
    assert res.dropped == (victim.meter_id,)
    assert res.sum_wh == sum(group.values[(m.meter_id, index)] for m in group.meters[1:])


def test_unsigned_recovery_request_refused(group: Group) -> None:
    req = _signed_request(group, 500, "unmask", [m.meter_id for m in group.meters])
    forged = RecoveryRequest(
        req.roster_digest, 500, "unmask", req.counted, req.dropped, signature=bytes(64)
    )
    with pytest.raises(RecoveryRefusedError):
        group.meters[1].recover(forged)


def test_dropout_during_recovery_shrinks_the_count(group: Group) -> None:
    rnd = group.agg.open_round(500)
    for m in group.meters[:6]:
        rnd.submit(group.report(m, 500))
    group.transport.offline.add(group.meters[1].meter_id)  # reported, then went silent
    res = group.agg.close_round()
    assert group.meters[1].meter_id in res.dropped
    assert res.sum_wh == sum(group.values[(m, 500)] for m in res.households)
    assert len(res.households) == 5


def test_late_meter_is_counted_from_its_neighbours_shares(group: Group) -> None:
    """Everyone reported, so nobody is asked for pairwise masks; one meter goes silent
    before its unmasking answer. Its answer is rebuilt from its neighbours' shares of
    its self mask and their unmasking pairs with it, and it stays counted."""
    rnd = group.agg.open_round(500)
    for m in group.meters:
        rnd.submit(group.report(m, 500))
    group.transport.offline.add(group.meters[2].meter_id)
    res = group.agg.close_round()
    assert len(res.households) == 7 and not res.dropped
    assert res.sum_wh == sum(group.values[(m.meter_id, 500)] for m in group.meters)


def test_late_meters_in_a_k_regular_group() -> None:
    g = Group(80, seed=5, degree=8, threshold=30)
    g.commit(100)
    rnd = g.agg.open_round(100)
    for i, m in enumerate(g.meters):
        if i % 10:
            rnd.submit(g.report(m, 100))  # 8 dropped before reporting
    # Three meters with no dropped neighbour (so not asked for pairwise masks) go
    # silent at the unmasking, and one with a dropped neighbour (silent already when
    # asked for its pairwise masks: it joins the dropped side).
    roster = g.signed.roster
    absent = {g.meters[i].meter_id for i in range(0, 80, 10)}
    clear = [
        m
        for m in roster.ids
        if m not in absent
        and not any(roster.ids[j] in absent for j in roster.graph[roster.position(m)])
    ]
    exposed = next(m for m in roster.ids if m not in absent and m not in clear)
    near = {roster.ids[j] for j in roster.graph[roster.position(exposed)]}
    late = {m for m in clear if m not in near}
    late = set(sorted(late)[:3])
    g.transport.offline.update(late | {exposed})
    res = g.agg.close_round()
    assert res.sum_wh == sum(g.values[(m, 100)] for m in res.households)
    assert late <= set(res.households) and exposed in res.dropped


def test_too_few_share_holders_online(group: Group) -> None:
    rnd = group.agg.open_round(500)
    for m in group.meters:
        rnd.submit(group.report(m, 500))
    # everyone reported, then all but three went silent: self masks cannot be removed
    for m in group.meters[3:]:
        group.transport.offline.add(m.meter_id)
    with pytest.raises(RecoveryError):
        group.agg.close_round()


def test_errors_are_aggregation_errors() -> None:
    for cls in (
        DuplicateReportError,
        StaleReportError,
        LateReportError,
        MalformedReportError,
        UnknownReporterError,
        RosterMismatchError,
        ThresholdError,
        RecoveryError,
        RecoveryRefusedError,
        AggregateVerificationError,
    ):
        assert issubclass(cls, AggregationError)


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def test_cli_json(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:

    rc = settlement_main(
        [
            "demo",
            "--consumption",
            str(data_dir / SGSC),
            "--households",
            "8",
            "--days",
            "1",
            "--dropout",
            "0.1",
            "--json",
        ]
    )
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["intervals"]) == 48
    row = doc["intervals"][0]
    assert set(row) == {"start", "sum_wh", "households", "dropped", "verified"}
    assert row["start"].endswith("+00:00") and row["verified"] is True


def test_cli_reports_rounds_below_the_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    """Half the meters out: some rounds have fewer than t = 5 reports. They release
    nothing and say why; every other round is a verified sum over its counted meters."""
    rc = settlement_main(["demo", "--households", "10", "--dropout", "0.5", "--json"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)["intervals"]
    aborted = [r for r in rows if not r["verified"]]
    assert aborted and len(aborted) < len(rows)
    for r in aborted:
        assert r["sum_wh"] is None and r["households"] == [] and len(r["dropped"]) == 10
        assert "threshold 5" in r["error"]
    for r in rows:
        if r["verified"]:
            assert len(r["households"]) >= 5 and "error" not in r
    # the human form says the same
    assert settlement_main(["demo", "--households", "10", "--dropout", "0.5"]) == 0
    assert "released nothing (below the threshold)" in capsys.readouterr().out


def test_cli_error_exit(capsys: pytest.CaptureFixture[str]) -> None:
    assert settlement_main(["demo", "--households", "2"]) == 2
    assert capsys.readouterr().err.startswith("privbill: RangeError")
