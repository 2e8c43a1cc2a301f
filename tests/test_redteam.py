"""Red team: each party of docs/threat-model.md tries what it would gain from.

- the household tries to lower its bill;
- the retailer tries to learn half-hourly data;
- the aggregator tries to isolate one household;
- a network attacker replays, reorders, truncates and splices messages.

Every attempt must fail with its specific exception (``type(e) is X``, not a parent), and
leave the honest path working. tests/test_retailer_attacks.py and tests/test_settlement.py
hold the first round of these attacks (wrong totals by one, one reading moved between
bands, omitted intervals, re-dated statements, equivocation, replays, one lying
aggregator...); this module adds what they do not try, and does not repeat them.
Attacks that succeed are strict xfails: each is a reported bug with its fix. Attacks on
consent (requests beyond policy, differencing through the household agent) are in
tests/test_consent.py; the threat model maps them.

Random choices print their seed (``PRIVBILL_SEED`` replays them).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import cbor2
import pytest

from privbill import pedersen
from privbill.agent import HouseholdAgent
from privbill.audit import AuditLog
from privbill.billing import band_totals
from privbill.consent import PROFILES, RETAILER, FixedClock, Request
from privbill.errors import (
    BadSignatureError,
    ChainError,
    ConsentRequired,
    CoverageError,
    EncodingError,
    FormatError,
    OpeningError,
    PrivbillError,
    QueryTooFine,
    ReplayError,
)
from privbill.group import Element, L, Scalar
from privbill.household import Household
from privbill.intervals import BillingPeriod
from privbill.keys import SigningKey
from privbill.meter import Meter
from privbill.pedersen import commit, derive_blinding
from privbill.retailer import Retailer
from privbill.settlement import (
    AggregateVerificationError,
    Aggregator,
    CommitmentBook,
    LocalTransport,
    MeterClient,
    RecoveryError,
    RecoveryRefusedError,
    RecoveryRequest,
    RecoveryResponse,
    Roster,
    RosterError,
    ThresholdError,
)
from privbill.statement import Statement
from privbill.tariffs import DynamicTariff, TimeOfUseTariff, classic_three_band
from privbill.wire import CHANNEL_EXPORT, SignedBatch, sign_batch

TZ = "Europe/London"
FIRST_DAY = date(2013, 4, 1)
DAYS = 3


F = TypeVar("F", bound=Callable[..., Any])


def fixed(reason: str) -> Callable[[F], F]:
    """A bug this test found, since fixed: the test stays as its regression test, and
    ``reason`` says what was wrong and how it was fixed (docs/threat-model.md lists them)."""

    def mark(fn: F) -> F:
        fn.fixed_bug = reason  # type: ignore[attr-defined]
        return fn

    return mark


def profile(index: int) -> int:
    """Wh per half-hour: a load profile with a heavy evening peak."""
    local_hour = (index % 48) // 2
    return 150 + (index * 31) % 200 + (900 if 17 <= local_hour <= 20 else 0)


@dataclasses.dataclass
class Home:
    """One meter, its household and a retailer holding ``DAYS`` days (import and export)."""

    tariff: TimeOfUseTariff
    meter: Meter
    home: Household
    retailer: Retailer
    batches: list[SignedBatch]

    def period(self, days: int = DAYS, first: int = 0) -> BillingPeriod:
        start = FIRST_DAY + timedelta(days=first)
        return BillingPeriod(start, start + timedelta(days=days), TZ)

    def statement(self, mode: str = "bands", days: int = DAYS, first: int = 0,
                  channel: int = 0) -> Statement:  # fmt: skip
        return self.home.statement(self.period(days, first), self.tariff, mode, channel)  # type: ignore[arg-type]

    def honest_bill(self) -> int:
        bill = self.retailer.verify(self.statement()).bill
        assert bill is not None
        return bill.total

    def refused(self, data: Statement | bytes, error: type[PrivbillError],
                export: Statement | None = None) -> PrivbillError:  # fmt: skip
        """Verification raises exactly ``error``; the honest statement still verifies."""
        with pytest.raises(PrivbillError) as info:
            self.retailer.verify(data, export)
        assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
        assert self.honest_bill() > 0
        return info.value

    def rejected(self, data: bytes, error: type[PrivbillError]) -> PrivbillError:
        """Ingest raises exactly ``error`` and stores nothing."""
        before = self.retailer.batch_count()
        with pytest.raises(PrivbillError) as info:
            self.retailer.ingest(data)
        assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
        assert self.retailer.batch_count() == before
        return info.value


def make_home(meter_id: bytes = bytes.fromhex("d4" * 16), export: bool = True) -> Home:
    base = classic_three_band(tz=TZ, standing_charge_per_day=4500)
    tariff = TimeOfUseTariff(base.bands, unit="0.01p", tz=TZ, export_price=550)
    meter = Meter.manufacture(meter_id=meter_id)
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    batches = []
    period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS), TZ)
    for day in period.days():
        intervals = period.day_intervals(day)
        values = [profile(i) for i in intervals]
        home.load(dict(zip(intervals, values, strict=True)))
        batches.append(meter.commit(intervals.start, values))
    if export:
        solar = {i: (i * 7) % 40 for i in period.intervals()}
        home.load(solar, CHANNEL_EXPORT)
        batches.append(meter.commit(period.intervals().start, list(solar.values()), CHANNEL_EXPORT))
    for b in batches:
        retailer.ingest(b.encoded)
    return Home(tariff, meter, home, retailer, batches)


@pytest.fixture
def h() -> Home:
    return make_home()


def with_values(st: Statement, values: list[tuple[int, bytes]]) -> Statement:
    return dataclasses.replace(st, values=tuple(values))


# ===========================================================================================
# The household lowers its bill
# ===========================================================================================


def test_peak_total_reported_as_low(h: Home) -> None:
    """Swap the peak and low band values, openings left in place (the total is the same,
    and the bill would drop by the price difference times the peak energy)."""
    st = h.statement()
    (low, o_low), normal, (peak, o_peak) = st.values
    assert peak > 0
    h.refused(with_values(st, [(peak, o_low), normal, (low, o_peak)]), OpeningError)
    h.refused(with_values(st, [(peak, o_peak), normal, (low, o_low)]), OpeningError)


def test_band_claimed_empty(h: Home) -> None:
    """Claim the peak band was empty: value 0 with the zero opening."""
    st = h.statement()
    low, normal, _ = st.values
    h.refused(with_values(st, [low, normal, (0, bytes(32))]), OpeningError)


def test_negative_consumption(h: Home) -> None:
    """A negative band total (values are signed on the wire, for prices below zero)."""
    st = h.statement()
    (low, o_low), normal, peak = st.values
    h.refused(with_values(st, [(-low, o_low), normal, peak]), OpeningError)


def test_forged_opening_guessing_the_trapdoor(h: Home, rng: random.Random) -> None:
    """value - 1 with the opening adjusted by +x: ``(V-1)G + (W+x)H == VG + WH`` holds only
    if ``x*H == G``, i.e. x = log_H(G), which nobody knows (H is a hash to the group).
    Structured guesses and 2000 random ones all fail with OpeningError."""
    st = h.statement()
    (low, o_low), normal, (peak, o_peak) = st.values
    w = Scalar.from_bytes(o_peak)
    guesses = [Scalar.from_int(x) for x in (0, 1, -1, 2, -2, 1000, L - 1, (L + 1) // 2)]
    guesses += [Scalar.from_uniform_bytes(rng.randbytes(64)) for _ in range(2000)]
    # The check the retailer makes, done here directly for speed; then through verify.
    indices, cs = h.retailer.stored_commitments(h.meter.meter_id, 0, h.period().intervals())
    members = [k for k, i in enumerate(indices) if h.tariff.band_of(i) == "peak"]
    peak_sum = cs.sum(members)
    pedersen.verify_opening(peak_sum, peak, w)  # the honest opening opens
    for x in guesses:
        with pytest.raises(OpeningError):
            pedersen.verify_opening(peak_sum, peak - 1, w + x)
    for x in guesses[:5]:
        h.refused(with_values(st, [(low, o_low), normal, (peak - 1, bytes(w + x))]), OpeningError)
    g = Element.generator()
    assert all(x * pedersen.H != g for x in guesses)


def test_intervals_dropped_from_the_sum_but_claimed_present(h: Home) -> None:
    """The presence bitmap stays honest (coverage passes) but the two most expensive
    half-hours are left out of the peak sum, value and opening both."""
    st = h.statement()
    intervals = h.period().intervals()
    values = h.home.values()
    top = sorted((i for i in intervals if h.tariff.band_of(i) == "peak"),
                 key=lambda i: -values[i])[:2]  # fmt: skip
    low, normal, (peak, o_peak) = st.values
    o = pedersen.combine_blindings(h.meter.secret.to_bytes(), h.meter.meter_id, 0, top)
    forged = (peak - sum(values[i] for i in top), bytes(Scalar.from_bytes(o_peak) - o))
    error = h.refused(with_values(st, [low, normal, forged]), OpeningError)
    assert str(error).startswith("peak:")


def test_readings_edited_before_the_statement(h: Home) -> None:
    """The household shifts its own stored profile three hours earlier (evening peak into
    the normal band) and computes an honest-looking statement from the edited data."""
    edited = Household(h.meter.meter_id, h.meter.secret)
    values = h.home.values()
    edited.load({i: values.get(i + 6, values[i]) for i in values})
    st = edited.statement(h.period(), h.tariff)
    honest = h.statement()
    assert st.values[2][0] < honest.values[2][0]  # the forged peak total is lower
    h.refused(st, OpeningError)


def test_amount_mode_opening_with_flat_weights(h: Home) -> None:
    """In amount mode, open the sum with weight 1 everywhere (total Wh) and report
    it times the cheapest price: a consistent-looking amount, but not the price-weighted
    combination the retailer checks."""
    st = h.statement("amount")
    total = h.statement("total")
    ((wh, o),) = total.values
    cheapest = min(b.price for b in h.tariff.bands)
    h.refused(with_values(st, [(wh * cheapest, o)]), OpeningError)


def test_inflated_export_credit(h: Home) -> None:
    """The export statement (total mode, channel 1) claims more export than metered."""
    st = h.statement()
    ex = h.statement("total", channel=CHANNEL_EXPORT)
    ((wh, o),) = ex.values
    bill = h.retailer.verify(st, ex).bill
    assert bill is not None and bill.line("export").amount < 0
    h.refused(st, OpeningError, export=with_values(ex, [(wh + 1000, o)]))


def test_export_statement_of_another_household(h: Home) -> None:
    """A neighbour with more solar lends its export statement (same period, total mode):
    it names the neighbour's meter, refused before any opening is checked."""
    neighbour = make_home(bytes.fromhex("e5" * 16))
    ex = neighbour.statement("total", channel=CHANNEL_EXPORT)
    h.refused(h.statement(), CoverageError, export=ex)
    relabelled = dataclasses.replace(ex, meter_id=h.meter.meter_id)
    h.refused(h.statement(), OpeningError, export=relabelled)


def test_import_in_total_mode_yields_no_bill(h: Home) -> None:
    """Total mode on import verifies (it is a true figure) but carries no bill: a
    household cannot dodge time-of-use pricing by sending a total instead of bands."""
    verified = h.retailer.verify(h.statement("total"))
    assert verified.bill is None and verified.band_totals is None
    with pytest.raises(FormatError):
        h.retailer.verify(h.statement("total"), h.statement("total", channel=CHANNEL_EXPORT))


def test_old_statement_replayed_for_a_shorter_period(h: Home) -> None:
    """The cheapest single day's statement is replayed as is: it verifies, as what it is.
    The VerifiedBill names its period, so a biller that matches the period to the
    month it bills cannot be fooled (docs/threat-model.md, residual risks)."""
    totals = [h.retailer.verify(h.statement(days=1, first=d)).bill for d in range(DAYS)]
    cheapest = min(range(DAYS), key=lambda d: totals[d].total)  # type: ignore[union-attr]
    v = h.retailer.verify(h.statement(days=1, first=cheapest))
    assert (v.period.start, v.period.end) != (h.period().start, h.period().end)
    assert v.intervals == 48 and v.period.num_days == 1


# ===========================================================================================
# The retailer tries to learn half-hourly data
# ===========================================================================================


def test_verified_bill_holds_only_band_totals(h: Home) -> None:
    """All a verified statement gives the retailer is per-band totals (the store holds
    commitments, which hide every reading perfectly)."""
    v = h.retailer.verify(h.statement())
    fields = {f.name: getattr(v, f.name) for f in dataclasses.fields(v)}
    assert fields["band_totals"] == band_totals(h.tariff, h.home.values(), h.period().intervals())
    assert fields["weighted_sum"] is None and fields["total_wh"] is None
    assert set(fields) == {"meter_id", "channel", "period", "mode", "intervals", "recorded",
                           "band_totals", "weighted_sum", "total_wh", "bill"}  # fmt: skip


def test_commitments_do_not_reveal_readings_by_search(h: Home) -> None:
    """A retailer that tries every reading 0..5000 with the blindings it can guess (zero,
    small, the index itself) matches no stored commitment: blindings come from the
    household's 32-byte secret."""
    indices, cs = h.retailer.stored_commitments(h.meter.meter_id, 0, h.period(1).intervals())
    target = {bytes(cs.element(k)) for k in range(4)}
    for guess in (0, 1, indices[0]):
        o = Scalar.from_int(guess)
        for r in range(0, 5001, 1):
            assert bytes(commit(r, o)) not in target


def test_residual_overlapping_statements_reveal_a_difference(h: Home) -> None:
    """Residual risk, documented: statements are the household's to send, and two honest
    ones over overlapping periods (days 1-3 and days 1-2) give the band totals of day 3 by
    subtraction. The household agent's consent rules stop this for third parties
    (docs/consent.md, the span rule); Household.statement itself has no policy."""
    a = h.retailer.verify(h.statement(days=3)).band_totals
    b = h.retailer.verify(h.statement(days=2)).band_totals
    assert a is not None and b is not None
    day3 = {k: a[k] - b[k] for k in a}
    assert day3 == band_totals(h.tariff, h.home.values(), h.period(1, first=2).intervals())


def test_residual_one_interval_band_reveals_its_reading() -> None:
    """Residual risk, documented: a band that covers one half-hour per billing period
    discloses that reading. A tariff is public and checked by the household's agent; the
    retailer's verifier does not refuse it (docs/threat-model.md)."""
    from privbill.tariffs import Band, Window

    windows_rest = (Window("00:00", "18:00"), Window("18:30", "24:00"))
    spy = TimeOfUseTariff(
        [Band("rest", 1000, windows_rest), Band("spy", 1000, (Window("18:00", "18:30"),))],
        unit="0.01p", tz=TZ,
    )  # fmt: skip
    meter = Meter.manufacture()
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, spy)
    period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=1), TZ)
    values = [profile(i) for i in period.intervals()]
    home.load(dict(zip(period.intervals(), values, strict=True)))
    retailer.ingest(meter.commit(period.intervals().start, values).encoded)
    totals = retailer.verify(home.statement(period, spy)).band_totals
    assert totals is not None
    at_six = next(i for i in period.intervals() if spy.band_of(i) == "spy")
    assert totals["spy"] == home.values()[at_six]


# --- through the household agent (docs/consent.md) -------------------------------------------

APRIL = BillingPeriod.month(2013, 4, TZ)
#: 2013-05-01 00:00 UTC: the agent answers after the month.
MAY_1 = 1_367_366_400


@dataclasses.dataclass
class Month:
    meter: Meter
    home: Household
    retailer: Retailer
    agent: HouseholdAgent
    tariff: Any


def make_month(tariff: Any = None) -> Month:
    """April 2013 in London, one batch per day, the household behind an agent with the
    strict policy (the retailer gets monthly band totals or the amount, for billing)."""
    tariff = tariff or classic_three_band(tz=TZ)
    meter = Meter.manufacture()
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    for day in APRIL.days():
        iv = APRIL.day_intervals(day)
        values = [profile(i) for i in iv]
        home.load(dict(zip(iv, values, strict=True)))
        retailer.ingest(meter.commit(iv.start, values).encoded)
    agent = HouseholdAgent(home, SigningKey.generate(), PROFILES["strict"], AuditLog(),
                           FixedClock(MAY_1), tz=TZ, tariff=tariff)  # fmt: skip
    return Month(meter, home, retailer, agent, tariff)


def refused_by_agent(month: Month, error: type[PrivbillError], request: Any) -> None:
    """The agent refuses with exactly ``error``, and logs the refusal first."""
    before = len(month.agent.audit())
    with pytest.raises(PrivbillError) as info:
        month.agent.disclose(request)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    entries = month.agent.audit()
    assert len(entries) == before + 1
    assert entries[-1].kind == "decision" and entries[-1].fields["outcome"] == "refused"


def test_retailer_differencing_through_the_agent() -> None:
    """The retailer has April's statement (allowed by the policy). It then asks for the
    month less its last day, and for custom queries that would isolate one half-hour:
    "the month minus one half-hour", and a weighted "packing" query (weights 1, 2^16,
    2^32 on three half-hours, which would give three readings in one value). All are
    outside the span of what billing allows (one vector per band per month): refused
    (QueryTooFine), each logged; the readings they aim at never leave the home."""
    month = make_month()
    bill = month.retailer.verify(month.agent.statement(APRIL))
    assert bill.bill is not None
    with pytest.raises(QueryTooFine):
        month.agent.statement(BillingPeriod(APRIL.start, APRIL.end - timedelta(days=1), TZ))
    rng = APRIL.intervals()
    minus_one = [1] * len(rng)
    minus_one[100] = 0
    packing = [0] * len(rng)
    packing[500], packing[501], packing[502] = 1, 1 << 16, 1 << 32
    for weights in (minus_one, packing):
        refused_by_agent(month, QueryTooFine, Request.custom(
            RETAILER, "billing", month.meter.meter_id, rng, [weights]))  # fmt: skip
    refused_by_agent(month, ConsentRequired, Request.custom(
        RETAILER, "marketing", month.meter.meter_id, rng, [minus_one]))  # fmt: skip


def test_residual_crafted_dynamic_tariff_packs_readings_into_the_amount() -> None:
    """Residual risk, documented: a tariff is a linear query that the retailer writes. A
    dynamic tariff priced 1, 2^16 and 2^32 (in a tiny unit) at three half-hours and 0
    elsewhere makes the amount, which the strict policy allows for billing without
    consent, carry those three readings exactly. Neither the retailer's verifier nor the
    agent vets the tariff's shape; docs/threat-model.md says who must (the household's
    agent, before it accepts a tariff)."""
    rng = APRIL.intervals()
    spied = (rng.start + 500, rng.start + 501, rng.start + 502)
    prices = dict.fromkeys(rng, 0)
    for k, i in enumerate(spied):
        prices[i] = 1 << (16 * k)
    spy = DynamicTariff(prices, unit="0.000000001p", tz=TZ)
    month = make_month(spy)
    verified = month.retailer.verify(month.agent.statement(APRIL, "amount"))
    assert verified.weighted_sum is not None
    unpacked = [verified.weighted_sum >> (16 * k) & 0xFFFF for k in range(3)]
    assert unpacked == [month.home.values()[i] for i in spied]


# ===========================================================================================
# The aggregator tries to isolate one household
# ===========================================================================================


class Group:
    """n meters with commitments for interval 500; the aggregator is the test."""

    def __init__(self, n: int = 7, threshold: int = 4, seed: int = 5) -> None:
        self.rng = random.Random(seed)
        self.operator = SigningKey.generate()
        self.meters = [MeterClient(bytes([i + 1]) * 16, min_threshold=2) for i in range(n)]
        self.k = {m.meter_id: self.rng.randbytes(32) for m in self.meters}
        self.values = {m.meter_id: self.rng.randrange(100, 5000) for m in self.meters}
        self.book = CommitmentBook()
        for m in self.meters:
            self.book.add(m.meter_id, 500, commit(self.values[m.meter_id], self.blinding(m)))
        self.signed = self.enrol(self.meters, b"feeder", threshold)
        self.transport = LocalTransport(self.meters)

    def blinding(self, m: MeterClient, index: int = 500) -> Scalar:
        return derive_blinding(self.k[m.meter_id], m.meter_id, 0, index)

    def enrol(self, members: list[MeterClient], group_id: bytes, threshold: int) -> Any:
        signed = Roster.create(group_id, [m.member for m in members], threshold=threshold).sign(
            self.operator
        )
        shares = [s for m in members for s in m.join(signed, self.operator.verifying_key)]
        for m in members:
            m.accept_shares(shares)
        return signed

    def request(self, kind: str, counted: list[bytes], index: int = 500,
                roster: Any = None) -> RecoveryRequest:  # fmt: skip
        ids = (roster or self.signed).roster.ids
        req = RecoveryRequest((roster or self.signed).roster.digest, index, kind,  # type: ignore[arg-type]
                              tuple(m for m in ids if m in counted),
                              tuple(m for m in ids if m not in counted))  # fmt: skip
        sig = self.operator.sign(req.to_be_signed())
        return dataclasses.replace(req, signature=sig)

    def aggregate(self, members: list[MeterClient], transport: Any = None) -> int:
        agg = Aggregator(self.signed, self.operator, self.book, transport or self.transport)
        rnd = agg.open_round(500)
        for m in members:
            rnd.submit(m.report(500, self.values[m.meter_id], self.blinding(m)))
        return agg.close_round().sum_wh


def test_aggregator_unmasks_then_claims_the_victim_dropped() -> None:
    """The other order of test_settlement's lying aggregator: every report arrives, the
    aggregator asks for the unmasking answers of all (claiming all present), then claims
    the victim dropped to get its pairwise masks. Every honest neighbour refuses."""
    g = Group()
    victim, others = g.meters[0], g.meters[1:]
    for m in g.meters:
        m.report(500, g.values[m.meter_id], g.blinding(m))
    everyone = [m.meter_id for m in g.meters]
    for m in others:
        m.recover(g.request("unmask", everyone))
    for m in others:
        with pytest.raises(RecoveryRefusedError, match=r"counted again|already unmasked"):
            m.recover(g.request("pairwise", [x.meter_id for x in others]))
    assert victim.meter_id not in {x.meter_id for x in others}


def test_aggregator_shows_the_victim_two_views_of_who_dropped() -> None:
    """The victim is counted in both requests, but each claims a different half of its
    neighbours dropped: answering both would reveal every pairwise mask of the victim,
    and its neighbours (told that it is counted) would then give the shares of its self
    mask. (Before the counted sets a meter answers were required to shrink, this attack
    recovered the reading.) The victim refuses the second view, and with the first alone
    its reading stays masked by the pairwise masks of the counted half."""
    g = Group()
    victim = g.meters[0]
    for m in g.meters:
        m.report(500, g.values[m.meter_id], g.blinding(m))
    ids = [m.meter_id for m in g.meters]
    first = victim.recover(g.request("pairwise", [ids[0], *ids[1:4]]))
    assert set(first.pairwise) == set(ids[4:])
    with pytest.raises(RecoveryRefusedError, match="counted again"):
        victim.recover(g.request("pairwise", [ids[0], *ids[4:]]))
    # With s = 2 of k = 6 a meter needs k - s + 1 = 5 counted neighbours: a view
    # with 3 (t = 4 counted in all) is refused outright.
    h = Group()
    roster = Roster.create(b"s2", [m.member for m in h.meters], threshold=4, share_threshold=2)
    signed = roster.sign(h.operator)
    meter = MeterClient(b"\x01" * 16, min_threshold=2)
    meter._sk, meter.signing_key = h.meters[0]._sk, h.meters[0].signing_key
    meter.public_key = h.meters[0].public_key
    meter.join(signed, h.operator.verifying_key)
    with pytest.raises(RecoveryRefusedError, match="neighbours counted"):
        meter.recover(h.request("pairwise", ids[:4], roster=signed))


def test_aggregator_claims_so_many_dropouts_that_fewer_than_t_remain() -> None:
    """A request that counts fewer than t meters is refused by every meter, even a
    correctly signed one: no masks of an interval are revealed for a small sum."""
    g = Group(threshold=4)
    few = [m.meter_id for m in g.meters[:3]]
    for m in g.meters:
        for kind in ("pairwise", "unmask", "late"):
            with pytest.raises(RecoveryRefusedError, match="below the threshold"):
                m.recover(g.request(kind, few))


def test_aggregator_request_for_another_roster_or_overlapping_sets() -> None:
    g = Group()
    other = Roster.create(b"other", [m.member for m in g.meters], threshold=4).sign(g.operator)
    m = g.meters[1]
    with pytest.raises(RecoveryRefusedError, match="another roster"):
        m.recover(g.request("unmask", [x.meter_id for x in g.meters], roster=other))
    req = g.request("unmask", [x.meter_id for x in g.meters])
    overlapping = dataclasses.replace(req, dropped=req.counted[:1])
    overlapping = dataclasses.replace(
        overlapping, signature=g.operator.sign(overlapping.to_be_signed())
    )
    with pytest.raises(RecoveryRefusedError, match="partition"):
        m.recover(overlapping)


def test_tiny_groups_are_refused() -> None:
    """A roster of two, or a threshold of one, cannot be made; a round with fewer than t
    reports aborts before any request (ThresholdError)."""
    ms = [MeterClient(bytes([i + 1]) * 16) for i in range(3)]
    with pytest.raises(RosterError):
        Roster.create(b"pair", [m.member for m in ms[:2]])
    with pytest.raises(RosterError):
        Roster.create(b"one", [m.member for m in ms], threshold=1)
    g = Group(n=5, threshold=3)
    agg = Aggregator(g.signed, g.operator, g.book, g.transport)
    rnd = agg.open_round(500)
    for m in g.meters[:2]:
        rnd.submit(m.report(500, g.values[m.meter_id], g.blinding(m)))
    with pytest.raises(ThresholdError):
        agg.close_round()


@fixed(
    "privacy: a meter joined any roster the aggregator signed, down to 3 members with "
    "t = 2. An aggregator that fills a roster with its own meters (or colludes with t - 1 "
    "members) learns the victim's reading from the 'sum'. Fixed: a meter-side floor on the "
    "threshold (MeterClient(min_threshold=...), settlement.MIN_THRESHOLD = 5 by default), "
    "refused at join with RosterError. Rosters whose members a registry certifies remain a "
    "deployment matter (docs/threat-model.md, residual risks)."
)
def test_meter_refuses_a_roster_with_a_tiny_threshold() -> None:
    victim = MeterClient(b"\x01" * 16)
    sybils = [MeterClient(bytes([i]) * 16) for i in (2, 3)]
    operator = SigningKey.generate()
    tiny = Roster.create(b"tiny", [m.member for m in [victim, *sybils]], threshold=2)
    with pytest.raises(RosterError):
        victim.join(tiny.sign(operator), operator.verifying_key)


@fixed(
    "privacy: differencing across re-enrolment. A meter's record of what it revealed and "
    "reported lived in its enrolment; after joining a new roster it reported an interval it "
    "had already reported. The aggregator aggregates interval j under roster R (all "
    "members), re-enrols everyone but the victim under R' and aggregates j again: the "
    "difference is the victim's reading. Fixed: the meter keeps a high-water mark of the "
    "intervals it reported, across rosters (MeterClient.last_reported, to be kept in "
    "non-volatile memory), and refuses an earlier or repeated interval under another "
    "roster with LateReportError."
)
def test_differencing_across_re_enrolment() -> None:
    g = Group()
    victim = g.meters[0]
    total = g.aggregate(g.meters)
    g.signed = g.enrol(g.meters[1:], b"feeder-without-the-victim", 4)
    g.transport = LocalTransport(g.meters[1:])
    try:
        rest = g.aggregate(g.meters[1:])
    except PrivbillError:
        return  # refused: the fixed behaviour
    assert total - rest != g.values[victim.meter_id], "the victim's reading was differenced out"


# ===========================================================================================
# A network attacker: replay, reorder, truncate, splice
# ===========================================================================================


def _envelope(protected: bytes, kid: bytes, payload: bytes, signature: bytes) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {4: kid}, payload, signature]),
                       canonical=True)  # fmt: skip


def fresh_store(h: Home) -> Retailer:
    r = Retailer()
    r.register_meter(h.meter.identity, h.tariff)
    return r


def test_splice_payload_of_one_batch_with_the_signature_of_another(h: Home) -> None:
    r = fresh_store(h)
    b1, b2 = h.batches[0], h.batches[1]
    spliced = _envelope(b1.protected, b1.kid, b1.payload_bytes, b2.signature)
    with pytest.raises(BadSignatureError):
        r.ingest(spliced)
    assert r.batch_count() == 0
    r.ingest(b1.encoded)  # the real batch 1 still goes in


def test_splice_a_batch_across_meters(h: Home) -> None:
    """Meter B's batch presented as meter A's: with only the kid changed it is malformed
    (kid != meter_id); with the payload's meter_id changed too, the signature fails."""
    other = make_home(bytes.fromhex("e5" * 16), export=False)
    r = fresh_store(h)
    b = other.batches[0]
    with pytest.raises(FormatError, match="kid"):
        r.ingest(_envelope(b.protected, h.meter.meter_id, b.payload_bytes, b.signature))
    moved = dataclasses.replace(b.payload, meter_id=h.meter.meter_id)
    with pytest.raises(BadSignatureError):
        r.ingest(_envelope(b.protected, h.meter.meter_id, moved.encode(), b.signature))
    assert r.batch_count() == 0


def test_splice_channels_and_algorithms(h: Home) -> None:
    """The export batch relabelled as import, and an Ed25519 batch relabelled ES256
    (an algorithm downgrade/confusion): both break the signature."""
    r = fresh_store(h)
    export = h.batches[-1]
    as_import = dataclasses.replace(export.payload, channel=0)
    with pytest.raises(BadSignatureError):
        r.ingest(_envelope(export.protected, export.kid, as_import.encode(), export.signature))
    b = h.batches[0]
    with pytest.raises(BadSignatureError, match="p256"):
        r.ingest(_envelope(bytes.fromhex("a10126"), b.kid, b.payload_bytes, b.signature))


def test_splice_statements_across_meters(h: Home) -> None:
    """A neighbour's (lower) statement relabelled with this meter's id: same period,
    same presence, other commitments."""
    neighbour = make_home(bytes.fromhex("e5" * 16), export=False)
    st = neighbour.statement()
    h.refused(dataclasses.replace(st, meter_id=h.meter.meter_id), OpeningError)


def test_splice_values_of_one_period_into_another(h: Home) -> None:
    """Day 1's values and openings under day 2's dates (same shape, no gaps)."""
    d1, d2 = h.statement(days=1), h.statement(days=1, first=1)
    h.refused(dataclasses.replace(d2, values=d1.values), OpeningError)


def test_reorder_within_one_ingest_call(h: Home) -> None:
    """ingest_many with batch 2 before batch 1: 2 is refused (ChainError), 1 is stored;
    sent again in order, 2 goes in."""
    r = fresh_store(h)
    b1, b2 = h.batches[0], h.batches[1]
    results = r.ingest_many([b2.encoded, b1.encoded])
    assert type(results[0]) is ChainError and not isinstance(results[1], PrivbillError)
    (again,) = r.ingest_many([b2.encoded])
    assert not isinstance(again, PrivbillError) and r.batch_count() == 2


def test_replay_after_key_rotation(h: Home) -> None:
    """The meter is re-registered with a new key (rotation, docs/security-policy.md):
    batches signed with the old key, replayed or new, are refused."""
    r = fresh_store(h)
    r.ingest(h.batches[0].encoded)
    old = h.meter.signing_key
    h.meter.signing_key = SigningKey.generate()
    r.register_meter(h.meter.identity, h.tariff)
    with pytest.raises(BadSignatureError):
        r.ingest(h.batches[1].encoded)  # signed with the old key, next in the chain
    second = sign_batch(h.batches[1].payload, h.meter.signing_key).encoded
    r.ingest(second)
    assert old != h.meter.signing_key and r.batch_count() == 2
    with pytest.raises(BadSignatureError):  # the old key no longer counts, even for old data
        r.ingest(h.batches[0].encoded)
    with pytest.raises(ReplayError):
        r.ingest(second)


class TamperedAnswers(LocalTransport):
    """Between the aggregator and the meters: drops half of each pairwise recovery
    answer ("truncate") or replaces its masks by stale ones ("replay"). Counts the
    requests it relays and gives up (RuntimeError) after ``limit``."""

    def __init__(self, meters: list[MeterClient], mode: str, limit: int = 200) -> None:
        super().__init__(meters)
        self.mode, self.limit, self.calls = mode, limit, 0

    def recover(self, meter_id: bytes, request: RecoveryRequest) -> RecoveryResponse | None:
        self.calls += 1
        if self.calls > self.limit:
            raise RuntimeError(f"the aggregator sent {self.limit} recovery requests")
        resp = super().recover(meter_id, request)
        if resp is None or resp.kind != "pairwise" or not resp.pairwise:
            return resp
        items = sorted(resp.pairwise.items())
        if self.mode == "truncate":
            return dataclasses.replace(resp, pairwise=dict(items[: len(items) // 2]))
        stale = {p: (bytes(Scalar.from_int(7)), bytes(Scalar.from_int(9))) for p, _ in items}
        return dataclasses.replace(resp, pairwise=stale)


def test_replayed_recovery_answers() -> None:
    """Stale pairwise masks (another interval's, or made up) in the recovery answers: the
    aggregate no longer opens the commitments (AggregateVerificationError) and no wrong
    sum is released; untampered, the same round gives the right sum."""
    g = Group()
    with pytest.raises(AggregateVerificationError):
        g.aggregate(g.meters[:-2], TamperedAnswers(g.meters, "replay"))
    g = Group()
    assert g.aggregate(g.meters[:-2]) == sum(g.values[m.meter_id] for m in g.meters[:-2])


@fixed(
    "denial of service: Round.close asked counted meters for their pairwise masks with "
    "dropped neighbours 'until every counted-to-dropped edge is known'; an answer that "
    "left some out (a network attacker truncating it, or one faulty or malicious meter) "
    "made it ask again forever, so the aggregator hung. Fixed: a meter whose answer lacks a "
    "requested mask is treated as silent (moved to the dropped side, as for no answer); "
    "each re-ask shrinks the counted set, so the round ends."
)
def test_truncated_recovery_answers_do_not_hang_the_aggregator() -> None:
    g = Group()
    with pytest.raises((AggregateVerificationError, ThresholdError, RecoveryError)):
        g.aggregate(g.meters[:-2], TamperedAnswers(g.meters, "truncate"))


@fixed(
    "decoding hints travel outside the signed batch, and protocol.md says a "
    "hint 'can never change its verdict'; but hints of the wrong length (a network "
    "attacker truncates them) make Retailer.ingest refuse a valid batch with EncodingError "
    "(and log it as rejected). Fix: ignore hints whose length is not 32 per commitment "
    "(decode without them), as a failed hint is ignored."
)
def test_truncated_hints_do_not_change_the_verdict(h: Home) -> None:
    r = fresh_store(h)
    b = h.batches[0]
    hints = pedersen.decode_hints(b.payload.commitments)
    r.ingest(b.encoded, hints[:-1])
    assert r.batch_count() == 1


def test_truncated_hints_never_store_a_bad_batch(h: Home) -> None:
    """Whatever the hints, nothing wrong is stored: a refused batch leaves no trace and
    the honest batch goes in afterwards."""
    r = fresh_store(h)
    b = h.batches[0]
    hints = pedersen.decode_hints(b.payload.commitments)
    for bad in (hints[:-1], hints + b"\x00", b""):
        try:
            r.ingest(b.encoded, bad)
        except EncodingError:
            assert r.batch_count() == 0
        else:
            break
    if r.batch_count() == 0:
        r.ingest(b.encoded, hints)
    assert r.batch_count() == 1
