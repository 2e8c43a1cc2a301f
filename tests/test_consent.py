"""Consent, selective disclosure and the audit log (issue 5).

What is checked, and against what:

- The span rule (:mod:`privbill.consent`): whole local days are in the span of a daily
  grant, a 24-hour window shifted by one half-hour is not, and so two overlapping daily
  windows whose difference is one half-hour are refused unless half-hourly is granted.
  The fast path (disjoint 0/1 blocks) and the general path (Gaussian elimination over
  Fractions) are checked against an independent dense rank computation, with hypothesis.
- Every refusal path of :meth:`HouseholdAgent.disclose`: ConsentRequired (no grant, out
  of range, not yet in force, opted out, opt-in only, a forged or altered presented grant,
  another meter), ConsentExpired (a controlled clock passes the expiry), ConsentRevoked,
  QueryTooFine (finer than the grant or the policy; aggregate-only), each logged.
- Grants and revocations: deterministic CBOR, strict decoding, a forged signature and an
  altered field both fail verification.
- The audit log: an edited, deleted, reordered or inserted entry, and a truncated log,
  are each detected and the first bad entry named.
- A third party verifies a disclosure against the retailer's store of signed
  commitments, on real readings: the Ausgrid Smart Grid Smart City sample
  ``../shared/data/consumption/sgsc_48hh_2013Q2.csv`` (customer 10017572, June 2013 on
  the trial's AEST clock, Etc/GMT-10), with its real gap of one half-hour on 2013-06-22.
- The ``privbill consent`` commands, in process.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from pathlib import Path

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import missing
from privbill.agent import (
    Disclosure,
    HouseholdAgent,
    RetailerCommitments,
    verify_disclosure,
)
from privbill.audit import AuditLog, _encode_body
from privbill.consent import (
    PROFILES,
    RETAILER,
    FixedClock,
    Grant,
    Granularity,
    Policy,
    Query,
    Request,
    Revocation,
    Rule,
    add_months,
    load_policy,
    policy_from_json,
    policy_to_json,
)
from privbill.consent_cli import consent_main
from privbill.errors import (
    AuditLogError,
    BadSignatureError,
    ConsentError,
    ConsentExpired,
    ConsentRequired,
    ConsentRevoked,
    CoverageError,
    FormatError,
    OpeningError,
    QueryTooFine,
    RangeError,
)
from privbill.household import Household
from privbill.intervals import BillingPeriod, local_day_intervals, period_intervals
from privbill.keys import HouseholdKey, SigningKey
from privbill.meter import Meter
from privbill.pedersen import CommitmentSet
from privbill.readings import Readings, read_sgsc_csv
from privbill.retailer import Retailer
from privbill.tariffs import DynamicTariff, classic_three_band

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SGSC = DATA / "consumption" / "sgsc_48hh_2013Q2.csv"
TZ = "Etc/GMT-10"  # the SGSC trial's meters kept AEST all year
#: A household whose meter missed exactly one half-hour in the quarter: 2013-06-22.
CUSTOMER = "10017572"
JUNE = period_intervals(date(2013, 6, 1), date(2013, 7, 1), TZ)
GAP_DAY = date(2013, 6, 22)
#: 2013-07-01 00:00 UTC: the day after the data, when the third party asks.
NOW = 1_372_636_800
APP = "third-party:watts-up"
DAILY = Granularity.named("daily", tz=TZ)


# --- real data, a meter, a retailer ------------------------------------------------------


@dataclass
class World:
    meter: Meter
    retailer: Retailer
    values: dict[int, int]


@pytest.fixture(scope="module")
def sgsc() -> dict[str, Readings]:
    if not SGSC.is_file():
        missing(f"SGSC sample not found at {SGSC}")
    return read_sgsc_csv(SGSC)


@pytest.fixture(scope="module")
def world(sgsc: dict[str, Readings]) -> World:
    """June 2013 of one SGSC household: one signed batch per local day, in the retailer's
    store. The meter records nothing where the CSV has no row."""
    values = {i: v for i, v in sgsc[CUSTOMER].channel().items() if i in JUNE}
    meter = Meter.manufacture(meter_id=bytes.fromhex("5a" * 16))
    retailer = Retailer()
    retailer.register_meter(meter.identity)
    day = date(2013, 6, 1)
    while day < date(2013, 7, 1):
        hh = local_day_intervals(day, TZ)
        retailer.ingest(meter.commit(hh.start, [values.get(i) for i in hh]).encoded)
        day = date.fromordinal(day.toordinal() + 1)
    return World(meter, retailer, values)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.from_bytes(bytes(range(32)))


def make_agent(world: World, key: SigningKey, clock: FixedClock, policy: str = "strict",
               log: AuditLog | None = None) -> HouseholdAgent:
    home = Household(world.meter.meter_id, world.meter.secret)
    home.load(world.values)
    tariff = classic_three_band(tz=TZ)
    return HouseholdAgent(home, key, PROFILES[policy], log, clock, tz=TZ, tariff=tariff)


@pytest.fixture
def agent(world: World, key: SigningKey, clock: FixedClock) -> HouseholdAgent:
    return make_agent(world, key, clock)


def daily_request(world: World, rng: range = JUNE, party: str = APP,
                  purpose: str = "energy-advice", grant: bytes | None = None) -> Request:
    return Request.for_granularity(party, purpose, world.meter.meter_id, DAILY, rng,
                                   grant=grant)


def one(query: Query, world: World, party: str = APP, purpose: str = "energy-advice",
        rng: range | None = None, households: int = 1) -> Request:
    return Request(party, purpose, world.meter.meter_id, 0, 1800,
                   rng if rng is not None else query.span_range, (query,), households)


def last_decision(agent: HouseholdAgent) -> dict[str, object]:
    entry = [e for e in agent.audit() if e.kind == "decision"][-1]
    return entry.fields


# --- the span rule --------------------------------------------------------------------------


def test_daily_span_and_the_shifted_window() -> None:
    """Whole local days (48 half-hours, 46 or 50 on clock-change days) are in the daily
    span; a 24-hour window shifted by one half-hour is not."""
    span = DAILY.span(JUNE, 1800)
    day1 = local_day_intervals(date(2013, 6, 1), TZ)
    assert span.why_not(Query.indicator(day1)) is None
    assert span.why_not(Query.from_dense(day1.start, [3] * 48)) is None  # 3 x a day: same span
    shifted = Query.indicator(range(day1.start + 1, day1.stop + 1))
    assert "covers only 47 of the 48" in str(span.why_not(shifted))
    two_days = Query.indicator(range(day1.start, day1.stop + 48))
    assert span.why_not(two_days) is None  # the sum of two granted queries
    uneven = Query.from_items({day1.start: 1, day1.start + 1: 2})
    assert span.why_not(uneven) is not None
    outside = Query.indicator(local_day_intervals(date(2013, 7, 1), TZ))
    assert "outside the range" in str(span.why_not(outside))
    london = Granularity.named("daily", tz="Europe/London")
    march = period_intervals(date(2013, 3, 1), date(2013, 4, 1), "Europe/London")
    short = local_day_intervals(date(2013, 3, 31), "Europe/London")
    assert len(short) == 46 and london.span(march, 1800).why_not(Query.indicator(short)) is None


def test_block_cut_by_the_range_is_not_granted() -> None:
    """Restricting to the granted range drops a day the range cuts: a partial day would
    be finer than daily."""
    cut = range(JUNE.start + 24, JUNE.stop)
    span = DAILY.span(cut, 1800)
    day1 = local_day_intervals(date(2013, 6, 1), TZ)
    half = Query.indicator(range(cut.start, day1.stop))
    assert "not wholly inside the granted range" in str(span.why_not(half))
    assert len(DAILY.basis(cut, 1800)) == 29


def test_differencing_two_overlapping_daily_windows(
    agent: HouseholdAgent, world: World, clock: FixedClock
) -> None:
    """Two 24-hour windows that differ by one half-hour: under a daily grant the shifted
    one is refused (alone, after the first, or together), so their difference (one
    half-hour) never leaves; under a half-hourly grant both are allowed."""
    day1 = local_day_intervals(date(2013, 6, 1), TZ)
    w1 = Query.indicator(day1)
    w2 = Query.indicator(range(day1.start + 1, day1.stop + 1))
    rng = range(day1.start, day1.stop + 1)
    agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 7, 1))
    agent.disclose(one(w1, world, rng=rng))
    with pytest.raises(QueryTooFine, match="covers only 47 of the 48"):
        agent.disclose(one(w2, world, rng=rng))
    both = Request(APP, "energy-advice", world.meter.meter_id, 0, 1800, rng, (w1, w2))
    with pytest.raises(QueryTooFine):
        agent.disclose(both)
    assert last_decision(agent)["outcome"] == "refused"
    clock.advance(60)
    agent.grant(APP, "research", "half-hourly", start=date(2013, 6, 1), end=date(2013, 6, 3))
    d = agent.disclose(replace(both, purpose="research"))
    difference = d.values[0][0] - d.values[1][0]
    assert difference == world.values[day1.start] - world.values[day1.stop]


def test_custom_basis_span_includes_differences(
    agent: HouseholdAgent, world: World
) -> None:
    """A custom grant of two overlapping windows grants their span, so their difference
    (a single half-hour) is allowed: answers already disclosed under the grant add
    nothing outside it. One of the two alone grants neither the other nor the difference."""
    day1 = local_day_intervals(date(2013, 6, 1), TZ)
    w1 = Query.indicator(day1)
    w2 = Query.indicator(day1[1:])
    single = Query(day1.start, (1,))
    rng = range(day1.start, day1.stop)
    g1 = agent.grant(APP, "research", Granularity.custom([w1], TZ), intervals=rng)
    assert g1.span().why_not(w2) is not None and g1.span().why_not(single) is not None
    with pytest.raises(QueryTooFine):
        agent.disclose(one(single, world, purpose="research", rng=rng))
    g2 = agent.grant(APP, "science", Granularity.custom([w1, w2], TZ), intervals=rng,
                     combine=True)
    assert g2.span().why_not(single) is None
    d = agent.disclose(one(single, world, purpose="science", rng=rng))
    assert d.values[0][0] == world.values[day1.start] and d.grant_id == g2.grant_id


def _dense_rank(rows: list[list[Fraction]]) -> int:
    """Rank by textbook dense Gaussian elimination (independent of the sparse code)."""
    m = [r[:] for r in rows]
    rank, cols = 0, len(m[0]) if m else 0
    for c in range(cols):
        pivot = next((r for r in range(rank, len(m)) if m[r][c] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for r in range(len(m)):
            if r != rank and m[r][c] != 0:
                f = m[r][c] / m[rank][c]
                m[r] = [a - f * b for a, b in zip(m[r], m[rank], strict=True)]
        rank += 1
    return rank


vectors = st.lists(st.integers(-3, 3), min_size=6, max_size=6).filter(any)


@given(st.lists(vectors, min_size=1, max_size=5), vectors)
def test_general_path_matches_dense_rank(basis: list[list[int]], v: list[int]) -> None:
    """v is in span(basis) iff rank(basis + [v]) == rank(basis)."""
    start = 1000
    gran = Granularity.custom([Query.from_dense(start, b) for b in basis])
    span = gran.span(range(start, start + 6), 1800)
    rows = [[Fraction(x) for x in b] for b in basis]
    expected = _dense_rank([*rows, [Fraction(x) for x in v]]) == _dense_rank(rows)
    assert (span.why_not(Query.from_dense(start, v)) is None) == expected


@given(st.lists(st.integers(0, 3), min_size=8, max_size=8), vectors, st.integers(1, 3))
def test_fast_path_matches_general_path(labels: list[int], v6: list[int], scale: int) -> None:
    """Disjoint 0/1 blocks (the fast path) and the same basis by elimination agree."""
    start = 5000
    blocks = [[start + j for j, lab in enumerate(labels) if lab == k] for k in (1, 2, 3)]
    basis = [Query.indicator(b) for b in blocks if b]
    if not basis:
        return
    fast = Granularity.custom(basis).span(range(start, start + 8), 1800)
    weighted = [Query(q.first, tuple(scale * w for w in q.weights)) for q in basis]
    weighted.append(basis[0])  # dependent, and not 0/1 scaled: forces elimination
    general = Granularity.custom(weighted).span(range(start, start + 8), 1800)
    assert type(fast).__name__ == "_BlockSpan" and type(general).__name__ == "_GeneralSpan"
    for v in ([*v6, 0, 1], [labels[j] for j in range(8)], [1 if x else 0 for x in labels]):
        if not any(v):
            continue
        q = Query.from_dense(start, v)
        assert (fast.why_not(q) is None) == (general.why_not(q) is None)


def test_monthly_bands_and_amount_spans() -> None:
    """Monthly totals, band totals and the price-weighted amount of a month."""
    tariff = classic_three_band(tz=TZ)
    tariffs = {Granularity.named("bands", tariff=tariff).tariff: tariff}
    monthly = Granularity.named("monthly", tz=TZ).span(JUNE, 1800)
    bands = Granularity.named("bands", tz=TZ, tariff=tariff).span(JUNE, 1800, tariffs)
    amount = Granularity.named("amount", tz=TZ, tariff=tariff).span(JUNE, 1800, tariffs)
    total = Query(JUNE.start, (1,) * len(JUNE))
    prices = Query.from_dense(JUNE.start, tariff.price_weights(JUNE))
    peak = Query.indicator(i for i in JUNE if tariff.band_of(i) == "peak")
    day1 = Query.indicator(local_day_intervals(date(2013, 6, 1), TZ))
    assert monthly.why_not(total) is None and monthly.why_not(day1) is not None
    assert bands.why_not(total) is None and bands.why_not(prices) is None
    assert bands.why_not(peak) is None and bands.why_not(day1) is not None
    assert amount.why_not(prices) is None
    assert amount.why_not(Query(prices.first, tuple(-2 * w for w in prices.weights))) is None
    assert "no linear combination" in str(amount.why_not(peak))
    assert amount.why_not(total) is not None


# --- grants and revocations on the wire ----------------------------------------------------


def issue(key: SigningKey, **changes: object) -> Grant:
    fields: dict[str, object] = {
        "party": APP, "purpose": "energy-advice", "meter_id": bytes(16), "intervals": JUNE,
        "granularity": DAILY, "issued_at": NOW, "expires_at": add_months(NOW, 12),
        "grant_id": bytes(range(16)),
    }
    fields.update(changes)
    return Grant.issue(key, **fields)  # type: ignore[arg-type]


def test_grant_round_trip_and_strict_decoding(key: SigningKey) -> None:
    g = issue(key, granularity=Granularity.custom([Query(5, (1, -2, 3))], TZ))
    data = g.encode()
    assert Grant.decode(data) == g and bytes(g) == data
    g.verify(key.verifying_key)
    item = cbor2.loads(data)
    with pytest.raises(FormatError, match=r"trailing|not valid CBOR"):
        Grant.decode(data + b"\x00")
    with pytest.raises(FormatError, match="expected an array"):
        Grant.decode(cbor2.dumps(item[:-1], canonical=True))
    with pytest.raises(FormatError, match="not a version 1 privbill-grant"):
        Grant.decode(cbor2.dumps(["privbill-revocation", *item[1:]], canonical=True))
    # the same array with one integer in a longer form than needed: not deterministic
    channel_at = data.index(bytes([0x50]) + g.meter_id) + 17
    assert data[channel_at] == 0x00
    longer = data[:channel_at] + b"\x18\x00" + data[channel_at + 1 :]
    assert cbor2.loads(longer) == item
    with pytest.raises(FormatError, match="deterministic"):
        Grant.decode(longer)
    for k, bad in ((4, True), (5, "retailer:x"), (7, 1000), (10, ["weekly", TZ, b"", []]),
                   (11, 1.5), (2, bytes(15))):
        mutated = list(item)
        mutated[k] = bad
        with pytest.raises(FormatError):
            Grant.decode(cbor2.dumps(mutated, canonical=True))


def test_forged_and_altered_grants(key: SigningKey) -> None:
    """A grant signed by another key, and a validly encoded grant with one field changed
    (the household's signature kept), both fail verification."""
    g = issue(key)
    other = SigningKey.from_bytes(bytes(32))
    forged = issue(other)
    with pytest.raises(BadSignatureError, match="another key"):
        forged.verify(key.verifying_key)
    impostor = replace(forged, signer=g.signer)  # claims the household's key
    with pytest.raises(BadSignatureError, match="does not verify"):
        Grant.decode(impostor.encode()).verify(key.verifying_key)
    for change in ({"party": "third-party:data-broker"}, {"granularity": Granularity(
            "interval", TZ)}, {"expires_at": g.expires_at + 86400},
            {"intervals": range(JUNE.start - 48, JUNE.stop)}):
        altered = Grant.decode(replace(g, **change).encode())
        with pytest.raises(BadSignatureError):
            altered.verify(key.verifying_key)


def test_revocation_round_trip_and_tamper(key: SigningKey) -> None:
    r = Revocation.issue(key, grant_id=bytes(16), meter_id=bytes(16), revoked_at=NOW)
    assert Revocation.decode(r.encode()) == r
    r.verify(key.verifying_key)
    with pytest.raises(BadSignatureError):
        replace(r, revoked_at=NOW + 1).verify(key.verifying_key)
    with pytest.raises(FormatError):
        Revocation.decode(r.encode()[:-1])
    # a grant's signature is no revocation's: the type string separates them
    g = issue(key)
    with pytest.raises(FormatError):
        Revocation.decode(g.encode())


# --- every refusal path, each logged ----------------------------------------------------------


def test_request_limits(world: World) -> None:
    """Requests are bounded before any work: range, query count, total weights."""
    day = JUNE[:48]
    with pytest.raises(RangeError, match="weights in all"):
        Request(APP, "research", world.meter.meter_id, 0, 1800, JUNE,
                tuple(Query(JUNE.start, (1,) * len(JUNE)) for _ in range(3000)))
    with pytest.raises(RangeError, match="outside the requested range"):
        Request(APP, "research", world.meter.meter_id, 0, 1800, day, (Query(day.stop, (1,)),))
    with pytest.raises(RangeError, match="all weights are zero"):
        Request.custom(APP, "research", world.meter.meter_id, day, [[0] * 48])
    with pytest.raises(RangeError, match="party"):
        Request.custom("retailer:x", "research", world.meter.meter_id, day, [[1] * 48])
    with pytest.raises(RangeError, match="signed 64-bit"):
        Query(0, (1 << 63,))


def test_no_grant_is_consent_required(agent: HouseholdAgent, world: World) -> None:
    with pytest.raises(ConsentRequired, match="no grant or policy rule") as exc:
        agent.disclose(daily_request(world))
    assert "audit entry 1" in str(exc.value)
    fields = last_decision(agent)
    assert fields["outcome"] == "refused" and fields["error"] == "ConsentRequired"
    assert fields["request"][0] == APP  # type: ignore[index]


def test_allowed_daily_grant_and_its_log(
    agent: HouseholdAgent, world: World, clock: FixedClock
) -> None:
    g = agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 7, 1))
    clock.advance(5)
    d = agent.disclose(daily_request(world))
    assert d.grant_id == g.grant_id and len(d.values) == 30
    fields = last_decision(agent)
    assert fields["outcome"] == "allowed" and fields["grant_id"] == g.grant_id
    entries = agent.audit()
    assert [e.kind for e in entries] == ["grant", "decision"]
    assert [e.at for e in entries] == [NOW, NOW + 5]


def test_out_of_range_and_wrong_purpose_party_channel(
    agent: HouseholdAgent, world: World
) -> None:
    agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 6, 15))
    with pytest.raises(ConsentRequired, match="covers intervals"):
        agent.disclose(daily_request(world))
    first_week = period_intervals(date(2013, 6, 1), date(2013, 6, 8), TZ)
    agent.disclose(daily_request(world, first_week))
    for kwargs in ({"purpose": "marketing"}, {"party": "third-party:data-broker"}):
        with pytest.raises(ConsentRequired):
            agent.disclose(daily_request(world, first_week, **kwargs))  # type: ignore[arg-type]
    export = replace(daily_request(world, first_week), channel=1)
    with pytest.raises(ConsentRequired):
        agent.disclose(export)
    other_meter = replace(daily_request(world, first_week), meter_id=bytes(16))
    with pytest.raises(ConsentRequired, match="holds meter"):
        agent.disclose(other_meter)


def test_expiry_against_a_controlled_clock(
    agent: HouseholdAgent, world: World, clock: FixedClock
) -> None:
    g = agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1),
                    end=date(2013, 7, 1), months=1)
    assert g.expires_at == NOW + 31 * 86400
    clock.set(g.expires_at - 1)
    agent.disclose(daily_request(world))
    clock.set(g.expires_at)
    with pytest.raises(ConsentExpired, match="expired at 2013-08-01 00:00 UTC"):
        agent.disclose(daily_request(world))
    assert agent.status(g) == "expired"
    renewed = agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1),
                          end=date(2013, 7, 1))
    assert agent.disclose(daily_request(world)).grant_id == renewed.grant_id


def test_grants_last_twelve_months_at_most(
    agent: HouseholdAgent, world: World, key: SigningKey, clock: FixedClock
) -> None:
    kwargs = {"start": date(2013, 6, 1), "end": date(2013, 7, 1)}
    g = agent.grant(APP, "energy-advice", "daily", **kwargs)  # type: ignore[arg-type]
    assert g.expires_at == add_months(NOW, 12) == 1_404_172_800  # 2014-07-01
    with pytest.raises(RangeError, match="at most 12 months"):
        agent.grant(APP, "research", "daily", months=13, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(RangeError, match="at most 12 months"):
        agent.grant(APP, "research", "daily", expires_at=g.expires_at + 1,
                    **kwargs)  # type: ignore[arg-type]
    lenient = Policy("lenient", PROFILES["strict"].rules, max_grant_months=24)
    home = Household(world.meter.meter_id, world.meter.secret)
    longer = HouseholdAgent(home, key, lenient, clock=clock, tz=TZ).grant(
        APP, "research", "daily", months=18, **kwargs)  # type: ignore[arg-type]
    assert longer.expires_at == add_months(NOW, 18)


def test_revocation(agent: HouseholdAgent, world: World, clock: FixedClock) -> None:
    g = agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 7, 1))
    agent.disclose(daily_request(world))
    clock.advance(3600)
    rev = agent.revoke(g.grant_id)
    rev.verify(agent.verifying_key)
    assert agent.revoke(g.grant_id) == rev  # idempotent
    with pytest.raises(ConsentRevoked, match=f"grant {g.grant_id.hex()} was revoked"):
        agent.disclose(daily_request(world))
    with pytest.raises(ConsentRevoked):  # presenting the revoked grant changes nothing
        agent.disclose(daily_request(world, grant=g.encode()))
    with pytest.raises(RangeError, match="no grant"):
        agent.revoke(bytes(16))
    assert [e.kind for e in agent.audit()] == ["grant", "decision", "revocation", "decision",
                                               "decision"]


def test_query_too_fine(agent: HouseholdAgent, world: World) -> None:
    agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 7, 1))
    half_hours = Request.for_granularity(APP, "energy-advice", world.meter.meter_id,
                                         Granularity("interval", TZ), JUNE[:96])
    with pytest.raises(QueryTooFine, match="allows one total per day"):
        agent.disclose(half_hours)
    assert last_decision(agent)["error"] == "QueryTooFine"


def test_strict_policy_without_grants(agent: HouseholdAgent, world: World) -> None:
    """strict: the retailer gets monthly band totals for billing, nothing daily; the grid
    gets half-hours only inside sums over at least 5 households."""
    monthly = Request.for_granularity(RETAILER, "billing", world.meter.meter_id,
                                      Granularity.named("monthly", tz=TZ), JUNE)
    d = agent.disclose(monthly)
    assert d.rule.startswith("retailer/billing/") and d.grant_id == b""
    with pytest.raises(QueryTooFine, match="retailer/billing"):
        agent.disclose(daily_request(world, party=RETAILER, purpose="billing"))
    with pytest.raises(ConsentRequired):
        agent.disclose(daily_request(world, party=RETAILER, purpose="marketing"))
    hh = Query(JUNE.start, (1,))
    with pytest.raises(QueryTooFine, match="at least 5 households, not 1"):
        agent.authorize(one(hh, world, party="network-operator", purpose="grid-operation"))
    decision = agent.authorize(one(hh, world, party="network-operator",
                                   purpose="grid-operation", households=5))
    assert decision.rule.startswith("network-operator/grid-operation")
    with pytest.raises(RangeError, match="one household"):
        agent.disclose(one(hh, world, party="network-operator", purpose="grid-operation",
                           households=5))


def test_uk_slc47_opt_out_and_opt_in(
    world: World, key: SigningKey, clock: FixedClock
) -> None:
    agent = make_agent(world, key, clock, "uk-slc47")
    agent.disclose(daily_request(world, party=RETAILER, purpose="tariff-advice"))
    half_hours = Request.for_granularity(RETAILER, "tariff-advice", world.meter.meter_id,
                                         Granularity("interval", TZ), JUNE[:48])
    with pytest.raises(ConsentRequired, match="only with a grant you sign"):
        agent.disclose(half_hours)
    agent.opt_out(RETAILER, "*", "daily")
    with pytest.raises(ConsentRequired, match="you opted out"):
        agent.disclose(daily_request(world, party=RETAILER, purpose="tariff-advice"))
    monthly = Request.for_granularity(RETAILER, "tariff-advice", world.meter.meter_id,
                                      Granularity.named("monthly", tz=TZ), JUNE)
    agent.disclose(monthly)  # monthly needs no consent
    agent.opt_in(RETAILER, "*", "daily")
    agent.disclose(daily_request(world, party=RETAILER, purpose="tariff-advice"))
    agent.grant(RETAILER, "tariff-advice", "half-hourly", start=date(2013, 6, 1),
                end=date(2013, 7, 1))
    agent.disclose(half_hours)
    with pytest.raises(RangeError):
        agent.opt_in(RETAILER, "*", "monthly")


def test_presented_grants(
    agent: HouseholdAgent, world: World, key: SigningKey, clock: FixedClock
) -> None:
    """A party may present the grant it holds. A valid one signed by this household
    counts even if this agent did not make it; a forged, altered or garbled one is
    refused (and logged); one not yet in force is not used."""
    elsewhere = issue(key, meter_id=world.meter.meter_id)  # same key, another device
    assert agent.disclose(daily_request(world, grant=elsewhere.encode())).grant_id == bytes(
        range(16))
    forged = issue(SigningKey.from_bytes(bytes(32)), meter_id=world.meter.meter_id)
    altered = Grant.decode(replace(elsewhere, granularity=Granularity("interval", TZ)).encode())
    for bad in (forged.encode(), altered.encode(), b"\xa0"):
        with pytest.raises(ConsentRequired, match="presented grant is not valid"):
            agent.disclose(daily_request(world, grant=bad))
        assert last_decision(agent)["outcome"] == "refused"
    theirs = issue(key, meter_id=world.meter.meter_id, grant_id=bytes(range(1, 17)))
    with pytest.raises(ConsentRequired, match="for another party"):  # valid, not theirs
        agent.disclose(daily_request(world, party="third-party:other", grant=theirs.encode()))
    future = issue(key, meter_id=world.meter.meter_id, issued_at=NOW + 86400,
                   expires_at=NOW + 2 * 86400, grant_id=bytes(16))
    with pytest.raises(ConsentRequired, match="in force only from"):
        agent.disclose(daily_request(world, grant=future.encode()))


def test_combining_grants_is_refused_unless_acknowledged(
    agent: HouseholdAgent, world: World
) -> None:
    """Daily totals and morning totals together give afternoon totals: neither contains
    the other, so the second grant needs combine=True. Monthly after daily is nested."""
    dates = {"start": date(2013, 6, 1), "end": date(2013, 7, 1)}
    daily = agent.grant(APP, "energy-advice", "daily", **dates)  # type: ignore[arg-type]
    agent.grant(APP, "research", "monthly", **dates)  # type: ignore[arg-type]
    mornings = Granularity.custom(
        [Query.indicator(local_day_intervals(d, TZ)[:24]) for d in
         (date(2013, 6, k) for k in range(1, 31))], TZ)
    with pytest.raises(ConsentError, match=daily.grant_id.hex()):
        agent.grant(APP, "science", mornings, intervals=JUNE)
    agent.grant(APP, "science", mornings, intervals=JUNE, combine=True)
    agent.grant("third-party:other", "science", mornings, intervals=JUNE)  # another party
    agent.grant(APP, "science", "half-hourly", start=date(2013, 6, 1),
                end=date(2013, 6, 2))  # contains everything it overlaps


def test_statement_through_the_agent(agent: HouseholdAgent, world: World) -> None:
    """Billing goes through consent too: a calendar month's band totals and amount are
    allowed to the retailer by strict; a two-day billing period is finer than monthly."""
    tariff = classic_three_band(tz=TZ)
    retailer = Retailer()
    retailer.register_meter(world.meter.identity, tariff)
    for batch in world.retailer._db.execute("SELECT encoded FROM batches ORDER BY counter"):
        retailer.ingest(batch[0])
    june = BillingPeriod.month(2013, 6, TZ)
    bill = retailer.verify(agent.statement(june))
    assert sum(bill.band_totals.values()) == sum(world.values.values())  # type: ignore[union-attr]
    assert retailer.verify(agent.statement(june, "amount")).recorded == len(JUNE) - 1
    with pytest.raises(QueryTooFine):
        agent.statement(BillingPeriod(date(2013, 6, 1), date(2013, 6, 3), TZ))


# --- third parties verify against the meter's signed commitments ----------------------------


def test_third_party_verifies_on_real_data_with_a_gap(
    agent: HouseholdAgent, world: World, key: SigningKey
) -> None:
    gap = [i for i in JUNE if i not in world.values]
    assert len(gap) == 1 and gap[0] in local_day_intervals(GAP_DAY, TZ)
    g = agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 7, 1))
    request = daily_request(world)
    d = agent.disclose(request)
    v = verify_disclosure(Disclosure.decode(d.encode()).encode(), world.retailer,
                          grant=g.encode(), household_key=key.verifying_key)
    assert v.recorded == len(JUNE) - 1 and len(v.intervals) == len(JUNE)
    expected = tuple(sum(world.values.get(i, 0) for i in q.support()) for q in request.queries)
    assert v.values == expected
    gap_day = (GAP_DAY - date(2013, 6, 1)).days
    assert gap[0] not in d.present() and len(request.queries[gap_day].support()) == 48

    # tampering, each caught
    bumped = replace(d, values=((d.values[0][0] + 1, d.values[0][1]), *d.values[1:]))
    with pytest.raises(OpeningError, match="query 0"):
        verify_disclosure(bumped, world.retailer)
    j = gap[0] - JUNE.start
    filled = bytearray(d.presence)
    filled[j // 8] |= 1 << (j % 8)
    with pytest.raises(CoverageError, match="claims 1 interval"):
        verify_disclosure(replace(d, presence=bytes(filled)), world.retailer)
    dropped = bytearray(d.presence)
    dropped[0] &= 0xFE
    with pytest.raises(CoverageError, match="omits 1 interval"):
        verify_disclosure(replace(d, presence=bytes(dropped)), world.retailer)
    other = issue(key, meter_id=world.meter.meter_id, party="third-party:other")
    with pytest.raises(ConsentRequired):
        verify_disclosure(d, world.retailer, grant=other, household_key=key.verifying_key)
    with pytest.raises(BadSignatureError):
        verify_disclosure(d, world.retailer, grant=g,
                          household_key=SigningKey.from_bytes(bytes(32)).verifying_key)


def test_weighted_custom_queries_verify(
    agent: HouseholdAgent, world: World, rng: random.Random
) -> None:
    """Signed weights (prices below zero) over a day with the gap, under a half-hourly
    grant, through a CommitmentsSource other than the retailer."""
    day = local_day_intervals(GAP_DAY, TZ)
    agent.grant(APP, "research", "half-hourly", start=GAP_DAY, end=date(2013, 6, 23))
    weights = [[rng.randint(-500, 2000) for _ in day] for _ in range(3)]
    d = agent.disclose(Request.custom(APP, "research", world.meter.meter_id, day, weights))
    for w, (value, _) in zip(weights, d.values, strict=True):
        assert value == sum(wi * world.values.get(i, 0) for wi, i in zip(w, day, strict=True))

    class Source:
        def commitments(self, meter_id: bytes, channel: int,
                        intervals: range) -> tuple[list[int], CommitmentSet]:
            return RetailerCommitments(world.retailer).commitments(meter_id, channel,
                                                                   intervals)

    assert verify_disclosure(d, Source()).recorded == len(day) - 1
    # the missing half-hour alone: nothing recorded, so the answer is 0 with opening 0
    gap = next(i for i in day if i not in world.values)
    empty = agent.disclose(one(Query(gap, (1,)), world, purpose="research"))
    assert empty.values[0][0] == 0 and empty.present() == []
    assert verify_disclosure(empty, world.retailer).recorded == 0


def test_disclosure_strict_decoding(agent: HouseholdAgent, world: World) -> None:
    agent.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 7, 1))
    data = agent.disclose(daily_request(world, JUNE[:96])).encode()
    assert Disclosure.decode(data).encode() == data
    item = cbor2.loads(data)
    with pytest.raises(FormatError):
        Disclosure.decode(data + b"\x00")
    for k, bad in ((7, b"\x00"), (9, [[1, b"\x00" * 32]]), (9, [[1, b"\xff" * 32]] * 2)):
        mutated = list(item)
        mutated[k] = bad
        with pytest.raises(FormatError):
            Disclosure.decode(cbor2.dumps(mutated, canonical=True))


# --- the audit log ---------------------------------------------------------------------------


@pytest.fixture
def filled_log(key: SigningKey) -> Iterator[AuditLog]:
    log = AuditLog(clock=FixedClock(NOW), signing_key=key)
    for k in range(5):
        log.append("opt-out", [APP, f"purpose-{k}", "daily"])
    yield log
    log.close()


def _rows(log: AuditLog) -> list[tuple[int, bytes, bytes, bytes]]:
    return list(log._db.execute("SELECT seq, body, hash, signature FROM entries ORDER BY seq"))


def _bad_entry(log: AuditLog, anchor: tuple[int, bytes] | None = None) -> int:
    with pytest.raises(AuditLogError) as exc:
        log.verify(anchor)
    entry: int = exc.value.entry  # type: ignore[attr-defined]
    assert str(exc.value).startswith(f"audit entry {entry}:")
    return entry


def test_audit_log_verifies(filled_log: AuditLog) -> None:
    assert filled_log.verify() == 5
    entries = filled_log.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == bytes(32)
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


def test_audit_log_edited(filled_log: AuditLog) -> None:
    db = filled_log._db
    body = _rows(filled_log)[2][1]
    edited = body.replace(b"purpose-2", b"purpose-x")
    db.execute("UPDATE entries SET body = ? WHERE seq = 3", (edited,))
    assert _bad_entry(filled_log) == 3
    # rewritten with its hash recomputed: the signature gives it away
    db.execute("UPDATE entries SET hash = ? WHERE seq = 3", (hashlib.sha256(edited).digest(),))
    assert _bad_entry(filled_log) == 3


def test_unsigned_audit_log_edited_and_rehashed(tmp_path: Path) -> None:
    """Without signatures, an entry rewritten with its hash recomputed shows up as the
    next entry's broken link."""
    log = AuditLog(tmp_path / "audit.sqlite", clock=FixedClock(NOW))
    for k in range(4):
        log.append("opt-out", [APP, f"purpose-{k}", "daily"])
    body = _rows(log)[2][1].replace(b"purpose-2", b"purpose-x")
    log._db.execute("UPDATE entries SET body = ?, hash = ? WHERE seq = 3",
                    (body, hashlib.sha256(body).digest()))
    with pytest.raises(AuditLogError, match="audit entry 4: does not link to entry 3"):
        log.verify()


def test_audit_log_deleted(filled_log: AuditLog) -> None:
    filled_log._db.execute("DELETE FROM entries WHERE seq = 2")
    assert _bad_entry(filled_log) == 2
    filled_log._db.execute("UPDATE entries SET seq = seq - 1 WHERE seq > 2")  # renumbered
    assert _bad_entry(filled_log) == 2


def test_audit_log_reordered(filled_log: AuditLog) -> None:
    rows = _rows(filled_log)
    db = filled_log._db
    for seq, other in ((2, rows[3]), (4, rows[1])):
        db.execute("UPDATE entries SET body = ?, hash = ?, signature = ? WHERE seq = ?",
                   (other[1], other[2], other[3], seq))
    with pytest.raises(AuditLogError, match="audit entry 2: holds entry 4"):
        filled_log.verify()


def test_audit_log_inserted(filled_log: AuditLog, key: SigningKey) -> None:
    """An entry appended with a correct link and hash by someone without the key fails
    its signature; one inserted in the middle breaks the numbering or the chain."""
    head_seq, head_hash = filled_log.head()
    body = _encode_body(head_seq + 1, NOW, "opt-in", [APP, "purpose-0", "daily"], head_hash)
    filled_log._db.execute("INSERT INTO entries VALUES (?, ?, ?, ?)",
                           (head_seq + 1, body, hashlib.sha256(body).digest(), bytes(64)))
    assert _bad_entry(filled_log) == 6
    filled_log._db.execute("DELETE FROM entries WHERE seq = 6")
    rows = _rows(filled_log)
    filled_log._db.execute("DELETE FROM entries WHERE seq >= 3")
    middle = _encode_body(3, NOW, "opt-in", [APP, "x", "daily"], rows[1][2])
    filled_log._db.execute("INSERT INTO entries VALUES (3, ?, ?, ?)",
                           (middle, hashlib.sha256(middle).digest(),
                            key.sign(hashlib.sha256(b"not it").digest())))
    for seq, body, digest, sig in rows[2:]:
        filled_log._db.execute("INSERT INTO entries VALUES (?, ?, ?, ?)",
                               (seq + 1, body, digest, sig))
    assert _bad_entry(filled_log) == 3


def test_audit_log_truncated(filled_log: AuditLog) -> None:
    anchor = filled_log.head()
    filled_log._db.execute("DELETE FROM entries WHERE seq = 5")
    assert _bad_entry(filled_log) == 5  # this object appended entry 5 itself
    assert _bad_entry(filled_log, anchor) == 5
    assert filled_log.verify((3, filled_log.entries(anchor=(0, bytes(32)))[2].hash)) == 4
    assert _bad_entry(filled_log, (3, bytes(32))) == 3


def test_agent_restores_and_refuses_a_tampered_log(
    world: World, key: SigningKey, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "audit.sqlite"
    first = make_agent(world, key, clock, log=AuditLog(path, clock=clock, signing_key=key))
    g = first.grant(APP, "energy-advice", "daily", start=date(2013, 6, 1), end=date(2013, 7, 1))
    first.opt_out("third-party:*", "marketing")
    first.revoke(g.grant_id)
    first.audit_log.close()
    again = make_agent(world, key, clock, log=AuditLog(path, clock=clock, signing_key=key))
    assert again.grants() == [g] and again.status(g) == "revoked"
    assert again.opt_outs() == [("third-party:*", "marketing", "*")]
    with pytest.raises(ConsentRevoked):
        again.disclose(daily_request(world))
    again.audit_log._db.execute("DELETE FROM entries WHERE seq = 2")
    again.audit_log.close()
    with pytest.raises(AuditLogError, match="audit entry 2"):
        make_agent(world, key, clock, log=AuditLog(path, clock=clock, signing_key=key))


# --- policies ----------------------------------------------------------------------------------


def test_policy_files(tmp_path: Path) -> None:
    for name, policy in PROFILES.items():
        assert load_policy(name) is policy
        assert policy_from_json(policy_to_json(policy)) == policy
    path = tmp_path / "policy.json"
    custom = Policy("coop", (Rule("third-party:*", "research", "monthly", "opt-out",
                                  channels=(0,)),), max_grant_months=6)
    path.write_text(policy_to_json(custom))
    assert load_policy(path) == custom
    doc = json.loads(policy_to_json(custom))
    for where, field, value, match in (
        ("policy", "extra", 1, "unknown field"),
        ("rule", "consent", "maybe", "consent"),
        ("rule", "granularity", "weekly", "granularity"),
        ("rule", "channels", ["solar"], "channel"),
        ("policy", "max_grant_months", 0, "max_grant_months"),
        ("policy", "format", "other", "format"),
    ):
        bad = json.loads(json.dumps(doc))
        (bad if where == "policy" else bad["rules"][0])[field] = value
        with pytest.raises(FormatError, match=match):
            policy_from_json(json.dumps(bad))
    with pytest.raises(FormatError, match="neither a built-in profile"):
        load_policy(tmp_path / "absent.json")


def test_dynamic_tariff_amount(world: World, key: SigningKey, clock: FixedClock) -> None:
    """With a dynamic tariff (prices vary inside its one band) the amount-only statement
    is allowed by strict's amount rule, by Gaussian elimination (no 0/1 fast path)."""
    tariff = DynamicTariff.from_series(
        name="agile", unit="0.01p", tz=TZ, first_index=JUNE.start,
        prices=[(i * 37) % 3000 - 500 for i in range(len(JUNE))])
    home = Household(world.meter.meter_id, world.meter.secret)
    home.load(world.values)
    agent = HouseholdAgent(home, key, PROFILES["strict"], clock=clock, tariff=tariff)
    st_amount = agent.statement(BillingPeriod.month(2013, 6, TZ), "amount")
    assert st_amount.mode == "amount"


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def household_file(tmp_path: Path, world: World) -> Path:
    hk = HouseholdKey.from_bytes(bytes(range(32, 64)))
    path = tmp_path / "household.json"
    path.write_text(json.dumps({
        "format": "privbill-household", "version": 1, "meter_id": world.meter.meter_id.hex(),
        "household_key": hk.to_bytes().hex(), "household_public_key": hk.public_bytes.hex(),
        "sealed_secret": world.meter.pair(hk.public_bytes).hex(),
    }))
    return path


def run(capsys: pytest.CaptureFixture[str], clock: FixedClock, *argv: str) -> tuple[int, str,
                                                                                    str]:
    status = consent_main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_show(capsys: pytest.CaptureFixture[str], clock: FixedClock, tmp_path: Path) -> None:
    status, out, _ = run(capsys, clock, "show", "--policy", "strict")
    assert status == 0 and "your energy retailer receives one total per tariff band" in out
    assert "only with a grant you sign, for at most 12" in out
    status, out, _ = run(capsys, clock, "show", "--policy", "uk-slc47", "--json")
    doc = json.loads(out)
    assert status == 0 and doc["policy"] == "uk-slc47"
    assert {r["consent"] for r in doc["rules"]} == {"none", "opt-out", "opt-in"}
    path = tmp_path / "p.json"
    path.write_text(policy_to_json(Policy("coop", (Rule("third-party:*", "research",
                                                        "monthly", "opt-out"),))))
    status, out, _ = run(capsys, clock, "show", "--policy", str(path))
    assert status == 0 and "Unless you opt out" in out and "any third party" in out
    status, _, err = run(capsys, clock, "show", "--policy", str(tmp_path / "nope"))
    assert status == 2 and err.startswith("privbill: FormatError: policy")
    assert run(capsys, clock, "show")[0] == 2


def test_cli_grant_revoke_audit(
    capsys: pytest.CaptureFixture[str], clock: FixedClock, tmp_path: Path,
    household_file: Path,
) -> None:
    home = tmp_path / "home"
    h = str(home)
    status, out, err = run(capsys, clock, "init", "--home", h, "--household",
                           str(household_file), "--policy", "uk-slc47", "--tz", TZ)
    assert status == 0, err
    assert (home / "consent.json").stat().st_mode & 0o777 == 0o600
    assert (home / "audit.sqlite").stat().st_mode & 0o777 == 0o600
    assert run(capsys, clock, "init", "--home", h, "--household", str(household_file))[0] == 2

    status, out, err = run(capsys, clock, "grant", "--home", h, "--party", APP, "--purpose",
                           "energy-advice", "--granularity", "daily", "--from", "2013-06-01",
                           "--to", "2013-07-01", "--json", "--out", str(tmp_path / "g.cbor"))
    assert status == 0, err
    doc = json.loads(out)
    gid = doc["grant_id"]
    assert doc["status"] == "active" and doc["expires_at"] == add_months(NOW, 12)
    config = json.loads((home / "consent.json").read_text())
    key = SigningKey.from_bytes(bytes.fromhex(config["signing_key"]))
    for path in (home / "grants" / f"{gid}.cbor", tmp_path / "g.cbor"):
        Grant.decode(path.read_bytes()).verify(key.verifying_key)

    status, _, err = run(capsys, clock, "grant", "--home", h, "--party", APP, "--purpose",
                         "research", "--granularity", "daily", "--from", "2013-06-01",
                         "--to", "2013-07-01", "--months", "13")
    assert status == 2 and err.startswith("privbill: RangeError: grant: policy 'uk-slc47'")
    assert run(capsys, clock, "opt-out", "--home", h, "--party", RETAILER,
               "--granularity", "daily")[0] == 0
    status, out, _ = run(capsys, clock, "show", "--home", h)
    assert status == 0 and gid in out and "active" in out and "You opted out of" in out

    clock.advance(60)
    status, out, _ = run(capsys, clock, "revoke", "--home", h, gid)
    assert status == 0 and "Revoked" in out
    Revocation.decode((home / "revocations" / f"{gid}.cbor").read_bytes()).verify(
        key.verifying_key)
    assert run(capsys, clock, "revoke", "--home", h, "00" * 16)[0] == 2
    assert run(capsys, clock, "revoke", "--home", h, "zz")[0] == 2

    status, out, _ = run(capsys, clock, "audit", "--home", h)
    assert status == 0 and "verified" in out
    assert "GRANT" in out and "REVOKE" in out and "OPT-OUT" in out
    status, out, _ = run(capsys, clock, "audit", "--home", h, "--json")
    kinds = [e["kind"] for e in json.loads(out)["entries"]]
    assert kinds == ["grant", "opt-out", "revocation"]
    status, out, _ = run(capsys, clock, "show", "--home", h, "--json")
    assert json.loads(out)["grants"][0]["status"] == "revoked"

    # a tampered log stops every command that reads it
    db = sqlite3.connect(home / "audit.sqlite")
    body = db.execute("SELECT body FROM entries WHERE seq = 2").fetchone()[0]
    db.execute("UPDATE entries SET body = ? WHERE seq = 2",
               (body.replace(b"daily", b"month"),))
    db.commit()
    status, _, err = run(capsys, clock, "audit", "--home", h)
    assert status == 2 and err.startswith("privbill: AuditLogError: audit entry 2: altered")
    db.execute("UPDATE entries SET body = ? WHERE seq = 2", (body,))
    db.execute("DELETE FROM entries WHERE seq = 3")
    db.commit()
    db.close()
    status, _, err = run(capsys, clock, "audit", "--home", h)
    assert status == 2 and "removed from the end" in err


def test_cli_as_a_privbill_extension(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry point privbill.cli.EXTENSIONS takes: `privbill consent ...`."""
    from privbill import cli

    monkeypatch.setitem(cli.EXTENSIONS, "consent", "privbill.consent_cli:add_parser")
    assert cli.main(["consent", "show", "--policy", "uk-slc47", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"] == "uk-slc47"
    assert cli.main(["consent", "show", "--policy", "nope"]) == 2
    assert capsys.readouterr().err.startswith("privbill: FormatError: policy 'nope'")
