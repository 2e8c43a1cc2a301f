"""The household agent's disclosure side: consent enforced before anything leaves the home.

:class:`HouseholdAgent` wraps a :class:`~privbill.household.Household` (its readings and
the meter's commitment secret) with the household's Ed25519 consent key, a
:class:`~privbill.consent.Policy`, an :class:`~privbill.audit.AuditLog` and a clock:

- :meth:`~HouseholdAgent.grant`, :meth:`~HouseholdAgent.revoke`,
  :meth:`~HouseholdAgent.opt_out`, :meth:`~HouseholdAgent.opt_in` change what may flow,
  and are logged;
- :meth:`~HouseholdAgent.disclose` answers a :class:`~privbill.consent.Request` with a
  :class:`Disclosure` (values and aggregated openings) or raises
  :class:`~privbill.errors.ConsentRequired`, :class:`~privbill.errors.ConsentExpired`,
  :class:`~privbill.errors.ConsentRevoked` or :class:`~privbill.errors.QueryTooFine`
  with the reason; either way the decision is logged first;
- :meth:`~HouseholdAgent.statement` is the consent-checked billing statement;
- :meth:`~HouseholdAgent.audit` reads and verifies the log.

A third party checks what it received with :func:`verify_disclosure`, against the
meter's signed commitments, exactly as the retailer verifies a bill: the disclosure must
cover exactly the intervals the store holds, and each value must open the matching
combination of commitments.

>>> from datetime import date
>>> from privbill.consent import FixedClock, Granularity, Request, PROFILES
>>> from privbill.intervals import period_intervals
>>> from privbill.keys import SigningKey
>>> from privbill.meter import Meter
>>> from privbill.retailer import Retailer
>>> meter, retailer = Meter.manufacture(), Retailer()
>>> retailer.register_meter(meter.identity)
>>> home = Household(meter.meter_id, meter.secret)
>>> for day in range(1, 3):
...     hh = period_intervals(date(2013, 6, day), date(2013, 6, day + 1), "Etc/GMT-10")
...     readings = [None if i % 40 == 7 else 100 + i % 9 for i in hh]  # a real gap
...     home.load({i: r for i, r in zip(hh, readings) if r is not None})
...     _ = retailer.ingest(meter.commit(hh.start, readings).encoded)
>>> clock = FixedClock(1_370_000_000)
>>> agent = HouseholdAgent(home, SigningKey.generate(), PROFILES["strict"], clock=clock,
...                        tz="Etc/GMT-10")
>>> g = agent.grant("third-party:watts-up", "energy-advice", "daily",
...                 start=date(2013, 6, 1), end=date(2013, 7, 1))
>>> june = period_intervals(date(2013, 6, 1), date(2013, 6, 3), "Etc/GMT-10")
>>> ask = Request.for_granularity("third-party:watts-up", "energy-advice", meter.meter_id,
...                               Granularity.named("daily", tz="Etc/GMT-10"), june)
>>> verified = verify_disclosure(agent.disclose(ask).encode(), retailer)
>>> verified.values == tuple(sum(home.values()[i] for i in q.support() if i in home.values())
...                          for q in ask.queries)
True
>>> finer = Request.custom("third-party:watts-up", "energy-advice", meter.meter_id,
...                        june[:2], [[1, 0]])
>>> agent.disclose(finer)
Traceback (most recent call last):
    ...
privbill.errors.QueryTooFine: grant ... allows one total per day (Etc/GMT-10), and query 0 ...
>>> [e.fields["outcome"] for e in agent.audit() if e.kind == "decision"]
['allowed', 'refused']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Final, Protocol

from privbill import pedersen
from privbill.audit import AuditEntry, AuditLog
from privbill.consent import (
    GRANT_ID_SIZE,
    MAX_RANGE,
    RETAILER,
    Clock,
    Grant,
    Granularity,
    Policy,
    Query,
    Request,
    Revocation,
    Rule,
    Span,
    _dumps,
    _loads,
    _party_matches,
    _within,
    add_months,
    check_party,
    check_purpose,
    system_clock,
)
from privbill.errors import (
    AuditLogError,
    BadSignatureError,
    ConsentError,
    ConsentExpired,
    ConsentRequired,
    ConsentRevoked,
    CoverageError,
    EncodingError,
    FormatError,
    OpeningError,
    QueryTooFine,
    RangeError,
)
from privbill.group import Scalar
from privbill.household import Household
from privbill.intervals import DEFAULT_PERIOD, BillingPeriod, period_intervals, start_of
from privbill.keys import SigningKey, VerifyingKey
from privbill.pedersen import POINT_SIZE, CommitmentSet, verify_opening
from privbill.retailer import Retailer
from privbill.statement import Mode, Statement, tariff_digest
from privbill.tariffs import Tariff
from privbill.wire import CHANNEL_IMPORT

__all__ = [
    "CommitmentsSource",
    "Decision",
    "Disclosure",
    "HouseholdAgent",
    "RetailerCommitments",
    "VerifiedDisclosure",
    "verify_disclosure",
]

_VALUE_LIMIT: Final = 1 << 64
_DISCLOSURE_TAG: Final = "privbill-disclosure"
_DISCLOSURE_FIELDS: Final = (
    "type",
    "version",
    "meter_id",
    "channel",
    "period",
    "first_index",
    "stop_index",
    "presence",
    "queries",
    "values",
    "party",
    "purpose",
    "grant_id",
    "rule",
)


# --------------------------------------------------------------------------------------
# disclosures
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    """What the household sends a party: per query, a value and its opening.

    For query ``k`` with weights ``w_i``, over the intervals ``i`` the meter recorded
    (``presence``: one bit per interval of ``intervals``, LSB first):
    ``values[k] = (sum w_i r_i, sum w_i o_i mod l)`` (the opening as 32 bytes).
    ``grant_id`` names the grant it was disclosed under (empty under a policy rule),
    ``rule`` the policy rule's label (empty under a grant).

    Encoding (deterministic CBOR, fixed positions)::

        ["privbill-disclosure", 1, meter_id, channel, period, first_index, stop_index,
         presence, [[first, [w, ...]], ...], [[value, opening], ...], party, purpose,
         grant_id, rule]
    """

    meter_id: bytes
    channel: int
    period: int
    intervals: range
    presence: bytes
    queries: tuple[Query, ...]
    values: tuple[tuple[int, bytes], ...]
    party: str
    purpose: str
    grant_id: bytes = b""
    rule: str = ""

    def __post_init__(self) -> None:
        # the request checks (party, purpose, ranges, queries inside the range) apply
        Request(
            self.party,
            self.purpose,
            self.meter_id,
            self.channel,
            self.period,
            self.intervals,
            self.queries,
        )
        if (
            not isinstance(self.presence, bytes)
            or len(self.presence) != (len(self.intervals) + 7) // 8
        ):
            raise RangeError("presence: one bit per interval of the range")
        if int.from_bytes(self.presence, "little") >> len(self.intervals):
            raise RangeError("presence: bits set past the end of the range")
        if not isinstance(self.values, tuple) or len(self.values) != len(self.queries):
            raise RangeError("values: one (value, opening) per query")
        for k, item in enumerate(self.values):
            if not (isinstance(item, tuple) and len(item) == 2):
                raise RangeError(f"values[{k}]: must be a (value, opening) pair")
            value, opening = item
            if isinstance(value, bool) or not isinstance(value, int):
                raise RangeError(f"values[{k}]: value must be an int")
            if not -_VALUE_LIMIT < value < _VALUE_LIMIT:
                raise RangeError(f"values[{k}]: value out of range")
            if not isinstance(opening, bytes):
                raise RangeError(f"values[{k}]: opening must be bytes")
            try:
                Scalar.from_bytes(opening)
            except EncodingError as exc:
                raise RangeError(f"values[{k}]: {exc}") from None
        if not isinstance(self.grant_id, bytes) or len(self.grant_id) not in (0, GRANT_ID_SIZE):
            raise RangeError(f"grant_id: empty or {GRANT_ID_SIZE} bytes")
        if not isinstance(self.rule, str):
            raise RangeError("rule: must be a string")

    def present(self) -> list[int]:
        """The interval indices whose presence bit is set."""
        bits = int.from_bytes(self.presence, "little")
        start = self.intervals.start
        return [start + j for j in range(len(self.intervals)) if bits >> j & 1]

    def encode(self) -> bytes:
        """The deterministic CBOR encoding."""
        return _dumps(
            [
                _DISCLOSURE_TAG,
                1,
                self.meter_id,
                self.channel,
                self.period,
                self.intervals.start,
                self.intervals.stop,
                self.presence,
                [q.to_cbor() for q in self.queries],
                [[v, o] for v, o in self.values],
                self.party,
                self.purpose,
                self.grant_id,
                self.rule,
            ]
        )

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def decode(cls, data: bytes) -> Disclosure:
        """Strict decoding: anything but the one valid encoding raises FormatError."""
        item = _loads(data, "disclosure")
        if not isinstance(item, list) or len(item) != len(_DISCLOSURE_FIELDS):
            raise FormatError(f"disclosure: expected an array of {len(_DISCLOSURE_FIELDS)} items")
        if item[0] != _DISCLOSURE_TAG or item[1] != 1 or type(item[1]) is not int:
            raise FormatError(f"disclosure: not a version 1 {_DISCLOSURE_TAG}")
        (
            _,
            _,
            meter,
            channel,
            period,
            first,
            stop,
            presence,
            queries,
            values,
            party,
            purpose,
            gid,
            rule,
        ) = item
        for name, v in (
            ("channel", channel),
            ("period", period),
            ("first_index", first),
            ("stop_index", stop),
        ):
            if type(v) is not int:
                raise FormatError(f"{name}: must be an integer")
        if not isinstance(queries, list) or not isinstance(values, list):
            raise FormatError("queries, values: must be arrays")
        if not all(isinstance(v, list) and len(v) == 2 for v in values):
            raise FormatError("values: must be an array of [value, opening] pairs")
        parsed = tuple(Query.from_cbor(q, f"queries[{k}]") for k, q in enumerate(queries))
        try:
            d = cls(
                meter,
                channel,
                period,
                range(first, stop),
                presence,
                parsed,
                tuple((v[0], v[1]) for v in values),
                party,
                purpose,
                gid,
                rule,
            )
        except RangeError as exc:
            raise FormatError(str(exc)) from None
        if d.encode() != bytes(data):
            raise FormatError("disclosure: not in deterministic encoding")
        return d


@dataclass(frozen=True)
class VerifiedDisclosure:
    """What a verified disclosure proves: ``values[k]`` is query ``k`` over the
    ``recorded`` intervals (of ``len(intervals)``) the meter signed commitments for."""

    meter_id: bytes
    channel: int
    intervals: range
    recorded: int
    queries: tuple[Query, ...]
    values: tuple[int, ...]
    party: str
    purpose: str
    grant_id: bytes


class CommitmentsSource(Protocol):
    """Where a verifier finds a meter's signed commitments (a retailer's store, or the
    verifier's own store of ingested batches)."""

    def commitments(
        self, meter_id: bytes, channel: int, intervals: range
    ) -> tuple[list[int], CommitmentSet]:
        """The recorded interval indices in ``intervals`` (ascending) and their
        commitments, in the same order."""
        ...


class RetailerCommitments:
    """A :class:`CommitmentsSource` over a :class:`~privbill.retailer.Retailer`'s store,
    whose batches were signature-, counter- and chain-checked at ingest."""

    def __init__(self, retailer: Retailer) -> None:
        self.retailer = retailer

    def commitments(
        self, meter_id: bytes, channel: int, intervals: range
    ) -> tuple[list[int], CommitmentSet]:
        """See :class:`CommitmentsSource`."""
        return self.retailer.stored_commitments(meter_id, channel, intervals)


def _positions(indices: list[int], period: int) -> str:
    shown = ", ".join(f"{i} ({start_of(i, period):%Y-%m-%d %H:%M} UTC)" for i in indices[:3])
    return shown + (f" and {len(indices) - 3} more" if len(indices) > 3 else "")


def verify_disclosure(
    disclosure: Disclosure | bytes,
    commitments: CommitmentsSource | Retailer,
    *,
    grant: Grant | bytes | None = None,
    household_key: VerifyingKey | None = None,
    tariffs: Mapping[bytes, Tariff] | None = None,
) -> VerifiedDisclosure:
    """Verify a disclosure against the meter's signed commitments; raise the specific
    :mod:`privbill.errors` exception, never return False.

    1. Coverage: the disclosure's presence bits must name exactly the intervals of its
       range that the store holds commitments for (CoverageError: it omits or invents).
    2. For each query ``k``: ``sum w_i C_i`` over the recorded intervals must equal
       ``values[k][0]*G + values[k][1]*H`` (OpeningError naming the query).
    3. With ``grant`` (and the ``household_key`` that must have signed it): the grant's
       signature, that it is the grant the disclosure names, for the same meter,
       channel, party and purpose, and that every query lies in its span (what the party
       may hold). ``tariffs`` are needed for ``bands``/``amount`` grants.

    ``commitments`` is a :class:`CommitmentsSource` or a Retailer (wrapped in
    :class:`RetailerCommitments`).
    """
    d = disclosure if isinstance(disclosure, Disclosure) else Disclosure.decode(disclosure)
    source = RetailerCommitments(commitments) if isinstance(commitments, Retailer) else commitments
    stored, points = source.commitments(d.meter_id, d.channel, d.intervals)
    claimed = d.present()
    if claimed != stored:
        held, said = set(stored), set(claimed)
        omitted, invented = sorted(held - said), sorted(said - held)
        if omitted:
            raise CoverageError(
                f"disclosure omits {len(omitted)} interval(s) the store holds:"
                f" {_positions(omitted, d.period)}"
            )
        raise CoverageError(
            f"disclosure claims {len(invented)} interval(s) the store lacks:"
            f" {_positions(invented, d.period)}"
        )
    position = {i: k for k, i in enumerate(stored)}
    raw = b""
    for k, (query, (value, opening)) in enumerate(zip(d.queries, d.values, strict=True)):
        chosen = [(position[i], w) for i, w in query.items() if i in position]
        if all(w == 1 for _, w in chosen):
            combined = points.sum([p for p, _ in chosen])
        else:
            raw = raw or points.to_points()
            sub = CommitmentSet.from_points(
                b"".join(raw[p * POINT_SIZE : (p + 1) * POINT_SIZE] for p, _ in chosen)
            )
            combined = sub.combine([w for _, w in chosen])
        try:
            verify_opening(combined, value, Scalar.from_bytes(opening))
        except OpeningError:
            raise OpeningError(
                f"query {k}: the disclosed value does not open the commitments"
            ) from None
    if grant is not None:
        _check_against_grant(d, grant, household_key, tariffs)
    return VerifiedDisclosure(
        d.meter_id,
        d.channel,
        d.intervals,
        len(stored),
        d.queries,
        tuple(v for v, _ in d.values),
        d.party,
        d.purpose,
        d.grant_id,
    )


def _check_against_grant(
    d: Disclosure,
    grant: Grant | bytes,
    key: VerifyingKey | None,
    tariffs: Mapping[bytes, Tariff] | None,
) -> None:
    g = grant if isinstance(grant, Grant) else Grant.decode(grant)
    if key is None:
        raise RangeError("checking a disclosure against a grant needs the household's key")
    g.verify(key)
    if g.grant_id != d.grant_id:
        raise ConsentRequired(f"the disclosure is not under grant {g.grant_id.hex()}")
    same = (g.meter_id, g.channel, g.party, g.purpose, g.period) == (
        d.meter_id,
        d.channel,
        d.party,
        d.purpose,
        d.period,
    )
    if not same or not _within(d.intervals, g.intervals):
        raise ConsentRequired(
            f"grant {g.grant_id.hex()} is for another meter, channel, party, purpose or range"
        )
    span = g.span(tariffs)
    for k, q in enumerate(d.queries):
        why = span.why_not(q)
        if why is not None:
            raise QueryTooFine(f"query {k} is outside grant {g.grant_id.hex()}: {why}")


# --------------------------------------------------------------------------------------
# the agent
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """An allowed request: under which grant (``grant_id``) or policy rule (``rule``), at
    what time, and the audit entry that records it."""

    request: Request
    grant_id: bytes
    rule: str
    at: int
    entry: int


@dataclass(frozen=True)
class _Allowed:
    grant: Grant | None
    rule: Rule | None
    at: int

    @property
    def grant_id(self) -> bytes:
        return b"" if self.grant is None else self.grant.grant_id

    @property
    def rule_label(self) -> str:
        return "" if self.rule is None else self.rule.label()


#: Refusal precedence: the reason closest to "allowed" is the one reported. "Covering"
#: means the grant or rule would have allowed the query: a revoked or expired grant, an
#: opt-in rule without a grant, an opt-out the household made.
(
    _COVERING_REVOKED,
    _COVERING_EXPIRED,
    _COVERING_NEEDS_CONSENT,
    _TOO_FINE,
    _REVOKED,
    _EXPIRED,
    _REQUIRED,
) = range(7)

_OptOut = tuple[str, str, str]


def _normal_granularity(name: str) -> str:
    return "interval" if name in ("half-hourly", "quarter-hourly") else name


def _utc(seconds: int) -> str:
    return f"{datetime.fromtimestamp(seconds, timezone.utc):%Y-%m-%d %H:%M} UTC"


class HouseholdAgent:
    """The household agent: enforces ``policy`` and the household's grants before it
    discloses anything, and logs every decision. See the module docstring.

    ``signing_key`` is the household's Ed25519 consent key (it signs grants, revocations
    and, when the agent creates the log, the log's entries). ``audit_log`` defaults to a
    fresh in-memory log signed with that key; given an existing log, the agent verifies
    it and restores its grants, revocations and opt-outs from it (AuditLogError if the
    log was tampered with). ``tz`` is the household's zone for daily and monthly queries
    (default: the tariff's zone, else UTC); ``tariff`` is the household's contracted
    tariff (for ``bands`` and ``amount`` queries and :meth:`statement`); ``tariffs``
    more tariffs that grants may name by digest.
    """

    def __init__(
        self,
        household: Household,
        signing_key: SigningKey,
        policy: Policy,
        audit_log: AuditLog | None = None,
        clock: Clock = system_clock,
        *,
        tz: str | None = None,
        period: int | None = None,
        tariff: Tariff | None = None,
        tariffs: Iterable[Tariff] = (),
    ) -> None:
        if signing_key.alg != "ed25519":
            raise RangeError("the household's consent key must be Ed25519")
        self.household = household
        self.signing_key = signing_key
        self.verifying_key = signing_key.verifying_key
        self.policy = policy
        self.clock = clock
        self.tariff = tariff
        self.tz = tz if tz is not None else (tariff.tz if tariff is not None else "UTC")
        self.period = (
            period
            if period is not None
            else (tariff.period if tariff is not None else DEFAULT_PERIOD)
        )
        self.tariffs: dict[bytes, Tariff] = {tariff_digest(t): t for t in tariffs}
        if tariff is not None:
            self.tariffs[tariff_digest(tariff)] = tariff
        self.audit_log = (
            audit_log if audit_log is not None else AuditLog(clock=clock, signing_key=signing_key)
        )
        self._grants: dict[bytes, Grant] = {}
        self._revocations: dict[bytes, Revocation] = {}
        self._opt_outs: set[_OptOut] = set()
        self._spans: dict[bytes, Span] = {}
        self._restore()

    @property
    def meter_id(self) -> bytes:
        """The household's meter."""
        return self.household.meter_id

    # --- state -------------------------------------------------------------------------

    def _restore(self) -> None:
        for entry in self.audit_log.entries():
            f = entry.fields
            try:
                if entry.kind == "grant":
                    g = Grant.decode(f["grant"])
                    g.verify(self.verifying_key)
                    if g.meter_id == self.meter_id:
                        self._grants[g.grant_id] = g
                elif entry.kind == "revocation":
                    r = Revocation.decode(f["revocation"])
                    r.verify(self.verifying_key)
                    if r.meter_id == self.meter_id:
                        self._revocations.setdefault(r.grant_id, r)
                elif entry.kind == "opt-out":
                    self._opt_outs.add((f["party"], f["purpose"], f["granularity"]))
                elif entry.kind == "opt-in":
                    self._opt_outs.discard((f["party"], f["purpose"], f["granularity"]))
            except (FormatError, BadSignatureError) as exc:
                error = AuditLogError(f"audit entry {entry.seq}: {exc}")
                error.entry = entry.seq  # type: ignore[attr-defined]
                raise error from None

    def grants(self) -> list[Grant]:
        """Every grant this household made, oldest first (revoked and expired included)."""
        return sorted(self._grants.values(), key=lambda g: (g.issued_at, g.grant_id))

    def revocation(self, grant_id: bytes) -> Revocation | None:
        """The revocation of ``grant_id``, if it was revoked."""
        return self._revocations.get(grant_id)

    def status(self, grant: Grant, now: int | None = None) -> str:
        """``active``, ``revoked``, ``expired`` or ``pending`` (not yet in force)."""
        now = self.clock() if now is None else now
        rev = self._revocations.get(grant.grant_id)
        if rev is not None and rev.revoked_at <= now:
            return "revoked"
        if now >= grant.expires_at:
            return "expired"
        return "active" if now >= grant.issued_at else "pending"

    def opt_outs(self) -> list[_OptOut]:
        """The household's opt-outs: ``(party, purpose, granularity)``, ``*`` = any."""
        return sorted(self._opt_outs)

    # --- changing consent ----------------------------------------------------------------

    def grant(
        self,
        party: str,
        purpose: str,
        granularity: Granularity | str,
        *,
        start: date | None = None,
        end: date | None = None,
        intervals: range | None = None,
        channel: int = CHANNEL_IMPORT,
        months: int | None = None,
        expires_at: int | None = None,
        grant_id: bytes | None = None,
        combine: bool = False,
    ) -> Grant:
        """Sign, store and log a grant: ``party`` may receive ``granularity`` queries for
        ``purpose`` over local dates ``start`` to ``end`` (exclusive, in :attr:`tz`) or
        over ``intervals``; from now until ``expires_at`` (Unix seconds) or for
        ``months`` months (default: the policy's longest, 12 months).

        Refused (RangeError) if it would last longer than the policy allows. Refused
        (ConsentError) if, combined with another grant or policy allowance for the same
        party, meter and channel whose range overlaps it, neither granularity contains
        the other there: the party could then derive queries finer than either (a daily
        grant and one of morning totals together give afternoon totals). Pass
        ``combine=True`` to grant anyway, knowingly.
        """
        now = self.clock()
        if intervals is None:
            if start is None or end is None:
                raise RangeError("grant: give start and end dates, or intervals")
            intervals = period_intervals(start, end, self.tz, self.period)
        elif start is not None or end is not None:
            raise RangeError("grant: give dates or intervals, not both")
        gran = (
            granularity
            if isinstance(granularity, Granularity)
            else Granularity.named(granularity, tz=self.tz, tariff=self.tariff)
        )
        longest = add_months(now, self.policy.max_grant_months)
        if expires_at is None:
            if months is not None and not (isinstance(months, int) and months >= 1):
                raise RangeError("grant: months must be a positive int")
            expires_at = add_months(now, months or self.policy.max_grant_months)
        if expires_at > longest:
            raise RangeError(
                f"grant: policy {self.policy.name!r} allows grants of at most"
                f" {self.policy.max_grant_months} months (until {_utc(longest)}),"
                f" not until {_utc(expires_at)}"
            )
        gid = grant_id if grant_id is not None else os.urandom(GRANT_ID_SIZE)
        if gid in self._grants:
            raise RangeError(f"grant: id {gid.hex()} is already used")
        g = Grant.issue(
            self.signing_key,
            party=party,
            purpose=purpose,
            meter_id=self.meter_id,
            intervals=intervals,
            granularity=gran,
            issued_at=now,
            expires_at=expires_at,
            grant_id=gid,
            channel=channel,
            period=self.period,
        )
        span = g.span(self.tariffs)  # an unknown tariff fails here, before anything is kept
        if not combine:
            clashes = self._combination_clashes(g, span)
            if clashes:
                raise ConsentError(
                    f"together with {'; '.join(clashes)}, this grant would let {party}"
                    " derive queries finer than either (their differences); grant with"
                    " combine=True to allow that knowingly"
                )
        self.audit_log.append("grant", [g.encode()])
        self._grants[gid] = g
        self._spans[gid] = span
        return g

    def _combination_clashes(self, new: Grant, new_span: Span) -> list[str]:
        """Other grants and policy allowances to the same party, meter and channel that
        overlap ``new`` where neither granularity contains the other."""
        clashes = []
        for g in self.grants():
            if (g.party, g.meter_id, g.channel, g.period) != (
                new.party,
                new.meter_id,
                new.channel,
                new.period,
            ):
                continue
            lo, hi = (
                max(g.intervals.start, new.intervals.start),
                min(g.intervals.stop, new.intervals.stop),
            )
            if lo >= hi:
                continue
            if not _nested(new, new_span, g.granularity, g.intervals, self._span(g), self.tariffs):
                clashes.append(f"grant {g.grant_id.hex()} ({g.granularity.describe(g.period)})")
        for rule in self.policy.rules:
            if (
                rule.consent == "opt-in"
                or rule.households > 1
                or not _party_matches(rule.party, new.party)
                or new.channel not in rule.channels
            ):
                continue
            gran = self._rule_granularity(rule)
            if gran is None:
                continue
            rule_span = gran.span(new.intervals, new.period, self.tariffs)
            if not _nested(new, new_span, gran, new.intervals, rule_span, self.tariffs):
                clashes.append(f"policy rule {rule.label()}")
        return clashes

    def revoke(self, grant_id: bytes) -> Revocation:
        """Sign, store and log the revocation of ``grant_id``, effective now. Revoking
        again returns the first revocation."""
        if grant_id not in self._grants:
            raise RangeError(f"revoke: no grant {grant_id.hex()}")
        existing = self._revocations.get(grant_id)
        if existing is not None:
            return existing
        rev = Revocation.issue(
            self.signing_key, grant_id=grant_id, meter_id=self.meter_id, revoked_at=self.clock()
        )
        self.audit_log.append("revocation", [rev.encode()])
        self._revocations[grant_id] = rev
        return rev

    def opt_out(self, party: str, purpose: str = "*", granularity: str = "*") -> None:
        """Object to what policy rules with consent ``opt-out`` allow ``party`` (``*``:
        anyone, ``third-party:*``) for ``purpose`` (``*``: any) at ``granularity``
        (``*``: any). Logged. Grants the household signs still apply."""
        key = self._opt_key(party, purpose, granularity)
        self.audit_log.append("opt-out", list(key))
        self._opt_outs.add(key)

    def opt_in(self, party: str, purpose: str = "*", granularity: str = "*") -> None:
        """Withdraw an opt-out made with the same arguments. Logged."""
        key = self._opt_key(party, purpose, granularity)
        if key not in self._opt_outs:
            raise RangeError(f"opt-in: no opt-out {key}")
        self.audit_log.append("opt-in", list(key))
        self._opt_outs.discard(key)

    @staticmethod
    def _opt_key(party: str, purpose: str, granularity: str) -> _OptOut:
        if party not in ("*", "third-party:*"):
            check_party(party)
        if purpose != "*":
            check_purpose(purpose)
        gran = _normal_granularity(granularity)
        if gran != "*" and gran not in ("interval", "daily", "monthly", "bands", "amount"):
            raise RangeError(f"opt-out: unknown granularity {granularity!r}")
        return party, purpose, gran

    def _opted_out(self, rule: Rule, request: Request) -> bool:
        gran = _normal_granularity(rule.granularity)
        return any(
            _party_matches(p, request.party) and u in ("*", request.purpose) and g in ("*", gran)
            for p, u, g in self._opt_outs
        )

    # --- deciding ------------------------------------------------------------------------

    def _span(self, g: Grant) -> Span:
        span = self._spans.get(g.grant_id)
        if span is None:
            span = self._spans[g.grant_id] = g.span(self.tariffs)
        return span

    def _rule_granularity(self, rule: Rule) -> Granularity | None:
        if rule.granularity in ("bands", "amount") and self.tariff is None:
            return None  # no contracted tariff: nothing to bill by bands or amount
        return rule.granularity_for(self.tz, self.tariff)

    def _decide(self, request: Request, now: int) -> _Allowed | tuple[type[ConsentError], str]:
        if request.meter_id != self.meter_id:
            return ConsentRequired, f"this agent holds meter {self.meter_id.hex()} only"
        if request.period != self.period:
            return ConsentRequired, f"this household's intervals are {self.period} s long"
        notes: list[tuple[int, type[ConsentError], str]] = []
        wanted = (request.party, request.purpose, request.meter_id, request.channel, request.period)
        candidates = [
            g
            for g in self.grants()
            if (g.party, g.purpose, g.meter_id, g.channel, g.period) == wanted
        ]
        if request.grant is not None:
            try:
                presented = Grant.decode(request.grant)
                presented.verify(self.verifying_key)
            except (FormatError, BadSignatureError) as exc:
                return ConsentRequired, f"the presented grant is not valid: {exc}"
            scope = (
                presented.party,
                presented.purpose,
                presented.meter_id,
                presented.channel,
                presented.period,
            )
            if scope != wanted:
                return ConsentRequired, (
                    f"the presented grant {presented.grant_id.hex()} is for another party,"
                    " purpose, meter, channel or interval length"
                )
            if presented.grant_id not in self._grants:
                candidates.append(presented)
        for g in candidates:
            label = f"grant {g.grant_id.hex()}"
            in_range = _within(request.intervals, g.intervals)
            why = _why_not(self._span(g), request.queries) if in_range else None
            covers = in_range and why is None
            rev = self._revocations.get(g.grant_id)
            if rev is not None and rev.revoked_at <= now:
                notes.append(
                    (
                        _COVERING_REVOKED if covers else _REVOKED,
                        ConsentRevoked,
                        f"{label} was revoked at {_utc(rev.revoked_at)}",
                    )
                )
            elif now >= g.expires_at:
                notes.append(
                    (
                        _COVERING_EXPIRED if covers else _EXPIRED,
                        ConsentExpired,
                        f"{label} expired at {_utc(g.expires_at)}",
                    )
                )
            elif now < g.issued_at:
                notes.append(
                    (
                        _REQUIRED,
                        ConsentRequired,
                        f"{label} is in force only from {_utc(g.issued_at)}",
                    )
                )
            elif not in_range:
                notes.append(
                    (
                        _REQUIRED,
                        ConsentRequired,
                        f"{label} covers intervals {g.intervals.start}.."
                        f"{g.intervals.stop - 1} only",
                    )
                )
            elif why is not None:
                notes.append(
                    (
                        _TOO_FINE,
                        QueryTooFine,
                        f"{label} allows {g.granularity.describe(g.period)}, and {why}",
                    )
                )
            else:
                return _Allowed(g, None, now)
        for rule in self.policy.matching(request.party, request.purpose, request.channel):
            gran = self._rule_granularity(rule)
            if gran is None:
                continue
            why = _why_not(gran.span(request.intervals, self.period, self.tariffs), request.queries)
            if rule.consent == "opt-in" or (
                rule.consent == "opt-out" and self._opted_out(rule, request)
            ):
                rank = _COVERING_NEEDS_CONSENT if why is None else _REQUIRED
                reason = (
                    f"policy {self.policy.name!r} allows {gran.describe(self.period)}"
                    " only with a grant you sign (opt-in)"
                    if rule.consent == "opt-in"
                    else f"you opted out of {rule.label()}"
                )
                notes.append((rank, ConsentRequired, reason))
                continue
            if why is not None:
                notes.append(
                    (
                        _TOO_FINE,
                        QueryTooFine,
                        f"policy rule {rule.label()} allows {gran.describe(self.period)},"
                        f" and {why}",
                    )
                )
            elif rule.households > request.households:
                notes.append(
                    (
                        _TOO_FINE,
                        QueryTooFine,
                        f"policy rule {rule.label()} allows it only in sums over at least"
                        f" {rule.households} households, not {request.households}",
                    )
                )
            else:
                return _Allowed(None, rule, now)
        if not notes:
            return ConsentRequired, (
                f"no grant or policy rule lets {request.party} receive"
                f" {'channel ' + str(request.channel)} data for {request.purpose}"
            )
        best = min(n[0] for n in notes)
        chosen = [n for n in notes if n[0] == best]
        return chosen[0][1], "; ".join(n[2] for n in chosen)

    def _check(self, request: Request) -> _Allowed:
        """Decide; a refusal is logged and raised here, an approval is returned unlogged
        (the caller logs it once the answer is computed, before it is returned)."""
        if not isinstance(request, Request):
            raise TypeError(f"request must be a Request, not {type(request).__name__}")
        now = self.clock()
        outcome = self._decide(request, now)
        if isinstance(outcome, _Allowed):
            return outcome
        cls, reason = outcome
        entry = self.audit_log.append(
            "decision", ["refused", request.to_record(), b"", "", cls.__name__, reason]
        )
        error = cls(f"{reason} (audit entry {entry.seq})")
        raise error

    def _log_allowed(self, request: Request, allowed: _Allowed) -> AuditEntry:
        basis = (
            f"grant {allowed.grant_id.hex()}"
            if allowed.grant is not None
            else f"policy rule {allowed.rule_label}"
        )
        return self.audit_log.append(
            "decision",
            [
                "allowed",
                request.to_record(),
                allowed.grant_id,
                allowed.rule_label,
                "",
                f"allowed under {basis}",
            ],
        )

    def authorize(self, request: Request) -> Decision:
        """Decide and log, without disclosing: for aggregate protocols (settlement, the
        network operator) that send this household's contribution masked. Raises like
        :meth:`disclose`."""
        allowed = self._check(request)
        entry = self._log_allowed(request, allowed)
        return Decision(request, allowed.grant_id, allowed.rule_label, allowed.at, entry.seq)

    def disclose(self, request: Request) -> Disclosure:
        """Answer ``request`` with values and openings, or raise ConsentRequired,
        ConsentExpired, ConsentRevoked or QueryTooFine with the reason. The decision is
        logged either way, and an answer is logged before it is returned.

        Intervals the meter did not record are carried as missing in the disclosure's
        presence bits; each value sums over the recorded ones.
        """
        if request.households != 1:
            raise RangeError(
                "a Disclosure is one household's answer; an aggregate contribution goes"
                " through authorize() and the aggregation protocol"
            )
        allowed = self._check(request)
        disclosure = self._answer(request, allowed)
        self._log_allowed(request, allowed)
        return disclosure

    def _answer(self, request: Request, allowed: _Allowed) -> Disclosure:
        readings = self.household.values(request.channel)
        rng = request.intervals
        present = [i for i in rng if i in readings]
        bits = 0
        for i in present:
            bits |= 1 << (i - rng.start)
        secret = self.household.secret.to_bytes()
        values: list[tuple[int, bytes]] = []
        for k, q in enumerate(request.queries):
            chosen = [(i, w) for i, w in q.items() if i in readings]
            indices = [i for i, _ in chosen]
            weights = [w for _, w in chosen]
            value = sum(w * readings[i] for i, w in chosen)
            if not -_VALUE_LIMIT < value < _VALUE_LIMIT:
                raise RangeError(f"query {k}: the answer does not fit in 64 bits")
            opening = pedersen.combine_blindings(
                secret,
                self.meter_id,
                request.channel,
                indices,
                None if all(w == 1 for w in weights) else weights,
            )
            values.append((value, bytes(opening)))
        return Disclosure(
            self.meter_id,
            request.channel,
            request.period,
            rng,
            bits.to_bytes((len(rng) + 7) // 8, "little"),
            request.queries,
            tuple(values),
            request.party,
            request.purpose,
            allowed.grant_id,
            allowed.rule_label,
        )

    def statement(
        self, period: BillingPeriod, mode: Mode = "bands", channel: int = CHANNEL_IMPORT
    ) -> Statement:
        """The billing statement for ``period`` under the household's tariff, after the
        policy allowed it to the retailer for ``billing`` (and logged)."""
        tariff = self.tariff
        if tariff is None:
            raise RangeError("statement: the agent has no contracted tariff")
        rng = period.intervals()
        if len(rng) > MAX_RANGE:
            raise RangeError("statement: the billing period is too long")
        queries: list[Query] = []
        if mode == "bands":
            bands = tariff.band_indices(rng)
            for b in range(len(tariff.band_names)):
                members = [i for i, x in zip(rng, bands, strict=True) if x == b]
                if members:
                    queries.append(Query.indicator(members))
        elif mode == "amount":
            queries.append(Query.from_dense(rng.start, tariff.price_weights(rng)))
        else:
            queries.append(Query(rng.start, (1,) * len(rng)))
        request = Request(
            RETAILER, "billing", self.meter_id, channel, period.period, rng, tuple(queries)
        )
        allowed = self._check(request)
        st = self.household.statement(period, tariff, mode, channel)
        self._log_allowed(request, allowed)
        return st

    def audit(self, anchor: tuple[int, bytes] | None = None) -> list[AuditEntry]:
        """The audit log, verified (AuditLogError naming the first bad entry)."""
        return self.audit_log.entries(anchor=anchor)


def _why_not(span: Span, queries: Sequence[Query]) -> str | None:
    for k, q in enumerate(queries):
        why = span.why_not(q)
        if why is not None:
            return f"query {k} is finer: {why}"
    return None


def _inside(vectors: Iterable[Query], rng: range) -> list[Query]:
    return [q for q in vectors if _within(q.span_range, rng)]


def _nested(
    new: Grant,
    new_span: Span,
    other: Granularity,
    other_range: range,
    other_span: Span,
    tariffs: Mapping[bytes, Tariff],
) -> bool:
    """Whether, where the two ranges overlap, one granularity contains the other: every
    basis query of one that lies inside the other's range is in the other's span."""
    mine = new.granularity.basis(new.intervals, new.period, tariffs)
    if all(other_span.why_not(q) is None for q in _inside(mine, other_range)):
        return True
    lo = max(other_range.start, new.intervals.start)
    hi = min(other_range.stop, new.intervals.stop)
    theirs = other.basis(range(lo, hi), new.period, tariffs)
    return all(new_span.why_not(q) is None for q in theirs)
