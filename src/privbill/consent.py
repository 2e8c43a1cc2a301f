"""Consent: who may receive which linear query about a household, for what, and for how long.

The model (docs/consent.md is the full account):

- **Parties.** ``retailer`` (the household's supplier), ``network-operator``,
  ``settlement`` and third parties by name, ``third-party:NAME``.
- **Purposes.** Lower-case tokens: ``billing``, ``grid-operation``,
  ``settlement``, ``energy-advice``, ``research``, ``marketing``... (any
  ``[a-z][a-z0-9-]*``).
- **Queries.** A :class:`Query` is a linear query over the interval readings of
  one meter and channel: integer weights ``w_i`` over interval indices, answered
  by ``V = sum w_i r_i`` and its opening ``W = sum w_i o_i`` (docs/protocol.md).
  A :class:`Request` names a party, a purpose, a meter, a channel, an interval
  range and a list of queries inside it.
- **Granularity.** A :class:`Granularity` is a set of *basis queries*: one 0/1
  query per interval (``half-hourly``: the identity basis), per local day
  (``daily``), per local calendar month (``monthly``), per month and tariff band
  (``bands``), one price-weighted query per month (``amount``), or explicit
  ``custom`` vectors.
- **Grants.** A :class:`Grant` is signed by the household's Ed25519 key and names
  a party, a purpose, a meter and channel, an interval range, a granularity, when
  it was issued and when it expires (12 months at most unless the policy allows
  longer). A :class:`Revocation`, also signed, names the grant it ends; renewal
  is a new grant. Both have one deterministic CBOR encoding and decode strictly.
- **Policies.** A :class:`Policy` says what flows without a grant: ``none``
  (no consent needed), ``opt-out`` (allowed unless the household objected) or
  ``opt-in`` (only with a grant). Built-in profiles: ``strict`` and ``uk-slc47``
  (:data:`PROFILES`); custom ones load from JSON (:func:`load_policy`).

**The span rule.** A request is allowed under a grant (or a policy rule) only if
every requested weight vector lies in the linear span of the granted basis
restricted to the granted range (:meth:`Granularity.span`), computed exactly:
a fast path for bases of 0/1 queries with disjoint supports (a weight vector is
in their span iff it is constant on every block and zero outside them) and
Gaussian elimination over :class:`~fractions.Fraction` for anything else. The
span is a vector space, so whatever the party computes from any number of
allowed answers (sums, differences, any linear combination) is again in it:
no sequence of allowed answers reveals anything finer than the grant.

>>> from datetime import date
>>> from privbill.keys import SigningKey
>>> from privbill.intervals import period_intervals
>>> key = SigningKey.from_bytes(bytes(32))
>>> april = period_intervals(date(2013, 4, 1), date(2013, 5, 1), "Europe/London")
>>> daily = Granularity.named("daily", tz="Europe/London")
>>> g = Grant.issue(key, party="third-party:watts-up", purpose="energy-advice",
...                 meter_id=bytes(16), intervals=april, granularity=daily,
...                 issued_at=1364774400, expires_at=1396310400, grant_id=bytes(16))
>>> Grant.decode(g.encode()) == g
True
>>> g.verify(key.verifying_key)           # None, or BadSignatureError
>>> span = daily.span(april, 1800)
>>> day1, day2 = april[0:48], april[48:96]
>>> span.why_not(Query.indicator(day1)) is None          # a whole local day
True
>>> shifted = Query.indicator(april[1:49])               # a 24-hour window, off by 30 min
>>> print(span.why_not(shifted))
it covers only 47 of the 48 intervals of 2013-04-01 (Europe/London)
"""

from __future__ import annotations

import io
import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, Final, Literal, cast

import cbor2

from privbill.errors import (
    BadSignatureError,
    EncodingError,
    FormatError,
    RangeError,
    TariffError,
)
from privbill.intervals import (
    DEFAULT_PERIOD,
    check_period,
    local_day_intervals,
    local_day_of,
    local_start_of,
    period_intervals,
    start_of,
    zone_name,
)
from privbill.keys import SigningKey, VerifyingKey
from privbill.statement import tariff_digest
from privbill.tariffs import Tariff
from privbill.wire import CHANNEL_EXPORT, CHANNEL_IMPORT, METER_ID_SIZE

__all__ = [
    "CHANNEL_NAMES",
    "GRANT_ID_SIZE",
    "GRANULARITIES",
    "MAX_QUERIES",
    "MAX_RANGE",
    "MAX_WEIGHTS",
    "NETWORK_OPERATOR",
    "PROFILES",
    "RETAILER",
    "SETTLEMENT",
    "Clock",
    "Consent",
    "FixedClock",
    "Grant",
    "Granularity",
    "Policy",
    "Query",
    "Request",
    "Revocation",
    "Rule",
    "Span",
    "add_months",
    "check_party",
    "check_purpose",
    "load_policy",
    "party_label",
    "policy_from_json",
    "policy_to_json",
    "system_clock",
    "third_party",
]

# --------------------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------------------

#: A clock: the current time in whole Unix seconds. Injected everywhere a decision or a
#: log entry needs the time, so that tests control it.
Clock = Callable[[], int]


def system_clock() -> int:
    """The system's wall clock, in whole Unix seconds."""
    return int(time.time())


class FixedClock:
    """A clock that moves only when told: for tests and examples.

    >>> clock = FixedClock(1_364_774_400)
    >>> clock(), clock.advance(60), clock()
    (1364774400, 1364774460, 1364774460)
    """

    def __init__(self, now: int) -> None:
        self.now = _uint("now", now)

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> int:
        """Move forward (or back, with a negative ``seconds``); returns the new time."""
        self.now = _uint("now", self.now + seconds)
        return self.now

    def set(self, now: int) -> None:
        """Jump to ``now``."""
        self.now = _uint("now", now)


def add_months(unix_seconds: int, months: int) -> int:
    """``unix_seconds`` plus ``months`` calendar months, in UTC; the day is clamped to the
    month's length (31 January + 1 month = 28 or 29 February).

    >>> datetime.fromtimestamp(add_months(1359590400, 1), timezone.utc).date()  # 2013-01-31
    datetime.date(2013, 2, 28)
    """
    moment = datetime.fromtimestamp(unix_seconds, timezone.utc)
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    moved = moment.replace(year=year, month=month, day=min(moment.day, last))
    return int(moved.timestamp())


# --------------------------------------------------------------------------------------
# parties, purposes, channels
# --------------------------------------------------------------------------------------

RETAILER: Final = "retailer"
NETWORK_OPERATOR: Final = "network-operator"
SETTLEMENT: Final = "settlement"
_ROLES: Final = (RETAILER, NETWORK_OPERATOR, SETTLEMENT)
_THIRD: Final = "third-party:"
_PARTY_RE: Final = re.compile(r"^third-party:[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PURPOSE_RE: Final = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
#: What a person reads for each channel number.
CHANNEL_NAMES: Final = {CHANNEL_IMPORT: "import", CHANNEL_EXPORT: "export"}


def check_party(party: object) -> str:
    """Return ``party`` if it names a party, else raise RangeError.

    >>> check_party("third-party:watts-up")
    'third-party:watts-up'
    >>> check_party("third-party:")
    Traceback (most recent call last):
    ...
    privbill.errors.RangeError: party: 'third-party:' is not retailer, network-operator, \
settlement or third-party:NAME
    """
    if isinstance(party, str) and (party in _ROLES or _PARTY_RE.match(party)):
        return party
    raise RangeError(
        f"party: {party!r} is not retailer, network-operator, settlement or third-party:NAME"
    )


def third_party(name: str) -> str:
    """The party string of a third party: ``third_party("watts-up")``."""
    return check_party(_THIRD + name)


def check_purpose(purpose: object) -> str:
    """Return ``purpose`` if it is a purpose token (``[a-z][a-z0-9-]*``), else raise."""
    if isinstance(purpose, str) and _PURPOSE_RE.match(purpose):
        return purpose
    raise RangeError(f"purpose: {purpose!r} is not a lower-case token such as 'energy-advice'")


def party_label(party: str) -> str:
    """How a person reads a party (or a rule's party pattern)."""
    labels = {
        RETAILER: "your energy retailer",
        NETWORK_OPERATOR: "the network operator",
        SETTLEMENT: "market settlement",
        "*": "anyone",
        _THIRD + "*": "any third party",
    }
    if party in labels:
        return labels[party]
    return f"the third party {party[len(_THIRD) :]!r}"


def _party_matches(pattern: str, party: str) -> bool:
    if pattern in ("*", party):
        return True
    return pattern == _THIRD + "*" and party.startswith(_THIRD)


# --------------------------------------------------------------------------------------
# small validators
# --------------------------------------------------------------------------------------

#: Largest interval range a grant or request may cover: two years of 15-minute intervals.
MAX_RANGE: Final = 2 * 366 * 96
#: Most queries one request (or one custom basis) may carry.
MAX_QUERIES: Final = MAX_RANGE
#: Most weights (summed over its queries) one request or custom basis may carry: bounds
#: the work and memory a request can cause (a year of daily or half-hourly queries needs
#: 17 568; dense custom vectors over a month, 1488 each).
MAX_WEIGHTS: Final = 1 << 22
#: Size of a grant id.
GRANT_ID_SIZE: Final = 16
_WEIGHT_LIMIT: Final = 1 << 63
_UINT64: Final = (1 << 64) - 1
_INDEX_LIMIT: Final = (1 << 63) - 1


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _uint(name: str, value: object, high: int = _UINT64) -> int:
    if not _is_int(value):
        raise RangeError(f"{name}: must be an int, got {value!r}")
    v = cast(int, value)
    if not 0 <= v <= high:
        raise RangeError(f"{name}: {v} is outside 0..{high}")
    return v


def _bytes(name: str, value: object, size: int) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        raise RangeError(f"{name}: must be {size} bytes")
    return value


def _channel(value: object) -> int:
    return _uint("channel", value, 255)


def _range(name: str, value: object) -> range:
    if not isinstance(value, range) or value.step != 1:
        raise RangeError(f"{name}: must be a range of interval indices with step 1")
    if not 0 <= value.start < value.stop <= _INDEX_LIMIT:
        raise RangeError(f"{name}: must be a non-empty range of non-negative indices")
    if len(value) > MAX_RANGE:
        raise RangeError(f"{name}: {len(value)} intervals is more than {MAX_RANGE}")
    return value


def _within(inner: range, outer: range) -> bool:
    return outer.start <= inner.start and inner.stop <= outer.stop


def _when(index: int, period: int) -> str:
    return start_of(index, period).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------------------
# queries
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A linear query: integer weights over consecutive intervals from ``first``.

    Weight ``weights[j]`` applies to interval ``first + j``; every other interval has
    weight 0. The form is canonical: the first and last weights are non-zero, and every
    weight is a signed 64-bit integer (what the C core's multiscalar sum takes).

    >>> q = Query.from_dense(100, [0, 1, 1, 0])
    >>> q, q.support()
    (Query(first=101, weights=(1, 1)), [101, 102])
    >>> Query.indicator([5, 7]).weights
    (1, 0, 1)
    """

    first: int
    weights: tuple[int, ...]

    def __post_init__(self) -> None:
        _uint("query first index", self.first, _INDEX_LIMIT)
        w = self.weights
        if not isinstance(w, tuple) or not w:
            raise RangeError("query: needs at least one weight")
        if len(w) > MAX_RANGE:
            raise RangeError(f"query: spans {len(w)} intervals, more than {MAX_RANGE}")
        for x in w:
            if not _is_int(x) or not -_WEIGHT_LIMIT <= x < _WEIGHT_LIMIT:
                raise RangeError(f"query: weight {x!r} is not a signed 64-bit integer")
        if w[0] == 0 or w[-1] == 0:
            raise RangeError("query: not trimmed (first and last weights must be non-zero)")
        if self.first + len(w) - 1 > _INDEX_LIMIT:
            raise RangeError("query: runs past the largest interval index")

    @classmethod
    def from_dense(cls, first: int, weights: Sequence[int]) -> Query:
        """The query with ``weights`` over ``first, first + 1, ...``; zeros at either end
        are trimmed. All-zero weights are refused (a query must ask something)."""
        w = list(weights)
        nz = [j for j, x in enumerate(w) if x != 0]
        if not nz:
            raise RangeError("query: all weights are zero")
        return cls(first + nz[0], tuple(w[nz[0] : nz[-1] + 1]))

    @classmethod
    def from_items(cls, items: Mapping[int, int] | Iterable[tuple[int, int]]) -> Query:
        """The query with weight ``w`` at index ``i`` for each ``(i, w)`` (zeros ignored)."""
        pairs = dict(items.items() if isinstance(items, Mapping) else items)
        nz = {i: w for i, w in pairs.items() if w != 0}
        if not nz:
            raise RangeError("query: all weights are zero")
        lo, hi = min(nz), max(nz)
        if hi - lo >= MAX_RANGE:
            raise RangeError(f"query: spans more than {MAX_RANGE} intervals")
        return cls(lo, tuple(nz.get(i, 0) for i in range(lo, hi + 1)))

    @classmethod
    def indicator(cls, indices: Iterable[int]) -> Query:
        """The 0/1 query that sums the readings of ``indices``."""
        return cls.from_items((i, 1) for i in indices)

    @property
    def stop(self) -> int:
        """One past the last interval with a non-zero weight."""
        return self.first + len(self.weights)

    @property
    def span_range(self) -> range:
        """The intervals from the first to the last non-zero weight."""
        return range(self.first, self.stop)

    def items(self) -> Iterator[tuple[int, int]]:
        """``(index, weight)`` for every non-zero weight, in index order."""
        first = self.first
        return ((first + j, w) for j, w in enumerate(self.weights) if w)

    def support(self) -> list[int]:
        """The indices with a non-zero weight."""
        return [i for i, _ in self.items()]

    def is_indicator(self) -> bool:
        """Whether every non-zero weight is 1 (a plain sum)."""
        return all(w in (0, 1) for w in self.weights)

    def to_cbor(self) -> list[Any]:
        """``[first, [w, ...]]``."""
        return [self.first, list(self.weights)]

    @classmethod
    def from_cbor(cls, item: object, where: str) -> Query:
        """Strictly from ``[first, [w, ...]]``; FormatError naming ``where``."""
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)):
            raise FormatError(f"{where}: a query is [first, [weights]]")
        if not _is_int(item[0]) or not all(_is_int(w) for w in item[1]):
            raise FormatError(f"{where}: query fields must be integers")
        try:
            return cls(item[0], tuple(item[1]))
        except RangeError as exc:
            raise FormatError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------------------
# spans: the exact membership test
# --------------------------------------------------------------------------------------


class Span(ABC):
    """The span of a basis of queries restricted to an interval range.

    :meth:`why_not` returns ``None`` when a query lies in the span, else the reason in
    words. Basis queries that reach outside the range are not part of the span (the
    restriction to the range drops them, so a block cut by the range's edge is not
    disclosed in part).
    """

    def __init__(self, rng: range, period: int = DEFAULT_PERIOD) -> None:
        self.range = rng
        self.period = period

    def why_not(self, query: Query) -> str | None:
        """``None`` if ``query`` is in the span; otherwise why not."""
        if not _within(query.span_range, self.range):
            return f"it reaches outside the range {self.range.start}..{self.range.stop - 1}"
        return self._why_not(query)

    @abstractmethod
    def _why_not(self, query: Query) -> str | None: ...

    def __contains__(self, query: object) -> bool:
        return isinstance(query, Query) and self.why_not(query) is None


class _IntervalSpan(Span):
    """The identity basis: every query inside the range."""

    def _why_not(self, query: Query) -> str | None:
        return None


@dataclass(frozen=True)
class _Block:
    key: Hashable
    members: Sequence[int]  # sorted; a range for contiguous blocks
    label: str


class _Blocks(ABC):
    """A partition of (part of) the time line into blocks: a 0/1 disjoint-support basis."""

    @abstractmethod
    def block(self, index: int) -> _Block | None:
        """The block holding ``index``, or None if no basis query touches it."""


class _BlockSpan(Span):
    """Fast path: a query is in the span of disjoint 0/1 blocks iff it is constant on each
    block it touches, covers that whole block, and touches nothing outside the blocks."""

    def __init__(self, rng: range, period: int, blocks: _Blocks) -> None:
        super().__init__(rng, period)
        self._blocks = blocks
        self._last: _Block | None = None  # consecutive queries mostly hit the same block

    def _why_not(self, query: Query) -> str | None:
        seen: dict[Hashable, list[Any]] = {}  # key -> [weight, count, block]
        for i, w in query.items():
            last = self._last
            blk = last if last is not None and _member(last.members, i) else None
            if blk is None:
                blk = self._blocks.block(i)
                if blk is None:
                    return f"interval {i} ({_when(i, self.period)}) is in no granted query"
                self._last = blk
            entry = seen.get(blk.key)
            if entry is None:
                if not (blk.members[0] >= self.range.start and blk.members[-1] < self.range.stop):
                    return f"{blk.label} is not wholly inside the granted range"
                seen[blk.key] = [w, 1, blk]
            elif entry[0] != w:
                return f"its weights differ inside {blk.label}"
            else:
                entry[1] += 1
        for _, count, blk in seen.values():
            if count != len(blk.members):
                return f"it covers only {count} of the {len(blk.members)} intervals of {blk.label}"
        return None


def _member(members: Sequence[int], i: int) -> bool:
    if isinstance(members, range):
        return i in members
    return False  # non-contiguous blocks: always look up


class _DayBlocks(_Blocks):
    def __init__(self, tz: str, period: int) -> None:
        self.tz, self.period = tz, period

    def block(self, index: int) -> _Block:
        day = local_day_of(index, self.tz, self.period)
        return _Block(day, local_day_intervals(day, self.tz, self.period), f"{day} ({self.tz})")


class _MonthBlocks(_Blocks):
    def __init__(self, tz: str, period: int) -> None:
        self.tz, self.period = tz, period

    def block(self, index: int) -> _Block:
        day = local_day_of(index, self.tz, self.period)
        members = _month_range(day.year, day.month, self.tz, self.period)
        return _Block((day.year, day.month), members, f"{day:%Y-%m} ({self.tz})")


def _month_range(year: int, month: int, tz: str, period: int) -> range:
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return period_intervals(start, end, tz, period)


class _BandBlocks(_Blocks):
    """One block per (local month, tariff band): the band totals of a monthly bill."""

    def __init__(self, tz: str, period: int, tariff: Tariff) -> None:
        self.tz, self.period, self.tariff = tz, period, tariff
        self._months: dict[tuple[int, int], dict[int, _Block]] = {}
        self._band_of: dict[tuple[int, int], tuple[range, tuple[int, ...]]] = {}

    def block(self, index: int) -> _Block | None:
        day = local_day_of(index, self.tz, self.period)
        ym = (day.year, day.month)
        if ym not in self._months:
            rng = _month_range(day.year, day.month, self.tz, self.period)
            bands = self.tariff.band_indices(rng)
            members: dict[int, list[int]] = {}
            for i, b in zip(rng, bands, strict=True):
                members.setdefault(b, []).append(i)
            names = self.tariff.band_names
            self._months[ym] = {
                b: _Block((*ym, b), m, f"band {names[b]!r} of {day:%Y-%m} ({self.tz})")
                for b, m in members.items()
            }
            self._band_of[ym] = (rng, bands)
        rng, bands = self._band_of[ym]
        return self._months[ym].get(bands[index - rng.start])


class _ExplicitBlocks(_Blocks):
    def __init__(self, blocks: Sequence[Query]) -> None:
        self._of: dict[int, _Block] = {}
        for k, q in enumerate(blocks):
            members = q.support()
            blk = _Block(k, members, f"custom query {k}")
            for i in members:
                self._of[i] = blk

    def block(self, index: int) -> _Block | None:
        return self._of.get(index)


class _GeneralSpan(Span):
    """General path: Gaussian elimination over the rationals on sparse rows.

    Every stored row has a distinct pivot, its smallest index, with coefficient 1. A
    vector is in the span iff repeatedly cancelling its smallest index against the row
    with that pivot empties it: any non-zero combination of the rows has, as its smallest
    index, the smallest pivot among the rows it uses, so a vector whose smallest index is
    no pivot cannot be one.
    """

    def __init__(self, rng: range, period: int, basis: Iterable[Query]) -> None:
        super().__init__(rng, period)
        self._rows: dict[int, dict[int, Fraction]] = {}
        for q in basis:
            if _within(q.span_range, rng):
                self._insert({i: Fraction(w) for i, w in q.items()})

    def _reduce(self, v: dict[int, Fraction]) -> dict[int, Fraction]:
        while v:
            p = min(v)
            row = self._rows.get(p)
            if row is None:
                return v
            c = v[p]
            for i, x in row.items():
                y = v.get(i, Fraction(0)) - c * x
                if y:
                    v[i] = y
                else:
                    v.pop(i, None)
        return v

    def _insert(self, v: dict[int, Fraction]) -> None:
        v = self._reduce(v)
        if v:
            p = min(v)
            c = v[p]
            self._rows[p] = {i: x / c for i, x in v.items()}

    @property
    def rank(self) -> int:
        """The dimension of the span."""
        return len(self._rows)

    def _why_not(self, query: Query) -> str | None:
        rest = self._reduce({i: Fraction(w) for i, w in query.items()})
        if not rest:
            return None
        i = min(rest)
        return (
            f"it is no linear combination of the granted queries (it cannot be built"
            f" from them at interval {i}, {_when(i, self.period)})"
        )


def _disjoint_indicators(vectors: Sequence[Query]) -> bool:
    """Whether ``vectors`` are constant on their supports, with pairwise disjoint supports
    (then the span is that of their 0/1 indicators, and the fast path applies)."""
    seen: set[int] = set()
    for q in vectors:
        values = {w for _, w in q.items()}
        if len(values) != 1:
            return False
        support = q.support()
        if seen.intersection(support):
            return False
        seen.update(support)
    return True


# --------------------------------------------------------------------------------------
# granularity
# --------------------------------------------------------------------------------------

GranularityKind = Literal["interval", "daily", "monthly", "bands", "amount", "custom"]
#: Every kind, finest first; names accepted by :meth:`Granularity.named` also include the
#: aliases ``half-hourly`` and ``quarter-hourly`` for ``interval``.
GRANULARITIES: Final[tuple[GranularityKind, ...]] = (
    "interval",
    "daily",
    "monthly",
    "bands",
    "amount",
    "custom",
)
_ALIASES: Final[dict[str, GranularityKind]] = {
    "half-hourly": "interval",
    "quarter-hourly": "interval",
    "interval": "interval",
    "daily": "daily",
    "monthly": "monthly",
    "bands": "bands",
    "amount": "amount",
}


@dataclass(frozen=True)
class Granularity:
    """A granularity: the basis queries a grant or a policy rule allows, and everything
    in their span.

    - ``interval``: one query per interval (the identity basis: half-hourly values);
    - ``daily``: one 0/1 query per local day of ``tz`` (46, 48 or 50 half-hours);
    - ``monthly``: one 0/1 query per local calendar month of ``tz`` (a billing period);
    - ``bands``: one 0/1 query per local month and band of the tariff whose digest is
      ``tariff`` (the band totals of a monthly bill);
    - ``amount``: one query per local month weighted by that tariff's prices (the
      amount-only bill);
    - ``custom``: the explicit queries ``vectors``.

    >>> g = Granularity.named("daily", tz="Etc/GMT-10")
    >>> g.describe(1800)
    'one total per day (Etc/GMT-10)'
    >>> len(g.basis(period_intervals(date(2013, 6, 1), date(2013, 7, 1), "Etc/GMT-10"), 1800))
    30
    """

    kind: GranularityKind
    tz: str = "UTC"
    tariff: bytes = b""
    vectors: tuple[Query, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in GRANULARITIES:
            raise RangeError(f"granularity: unknown kind {self.kind!r}")
        try:
            zone_name(self.tz)
        except RangeError as exc:
            raise RangeError(f"granularity tz: {exc}") from None
        if self.kind in ("bands", "amount"):
            if not isinstance(self.tariff, bytes) or len(self.tariff) != 32:
                raise RangeError(f"granularity: {self.kind} needs a 32-byte tariff digest")
        elif self.tariff != b"":
            raise RangeError(f"granularity: {self.kind} takes no tariff")
        if self.kind == "custom":
            if not self.vectors or len(self.vectors) > MAX_QUERIES:
                raise RangeError(f"granularity: custom needs 1 to {MAX_QUERIES} queries")
            if not all(isinstance(q, Query) for q in self.vectors):
                raise RangeError("granularity: custom vectors must be Query objects")
            if sum(len(q.weights) for q in self.vectors) > MAX_WEIGHTS:
                raise RangeError(f"granularity: more than {MAX_WEIGHTS} weights in all")
        elif self.vectors:
            raise RangeError(f"granularity: {self.kind} takes no vectors")

    @classmethod
    def named(
        cls, name: str, *, tz: str = "UTC", tariff: Tariff | bytes | None = None
    ) -> Granularity:
        """``half-hourly``/``quarter-hourly``/``interval``, ``daily``, ``monthly``,
        ``bands`` or ``amount`` (the last two need ``tariff``)."""
        kind = _ALIASES.get(name)
        if kind is None:
            raise RangeError(
                f"granularity: unknown name {name!r}; expected one of {sorted(_ALIASES)}"
            )
        digest = b""
        if kind in ("bands", "amount"):
            if tariff is None:
                raise RangeError(f"granularity: {name} needs the household's tariff")
            digest = tariff if isinstance(tariff, bytes) else tariff_digest(tariff)
        return cls(kind, zone_name(tz), digest)

    @classmethod
    def custom(cls, vectors: Iterable[Query], tz: str = "UTC") -> Granularity:
        """The explicit basis ``vectors``."""
        return cls("custom", zone_name(tz), b"", tuple(vectors))

    def _tariff(self, tariffs: Mapping[bytes, Tariff], period: int) -> Tariff:
        tariff = tariffs.get(self.tariff)
        if tariff is None:
            raise TariffError(
                f"granularity {self.kind} names tariff {self.tariff.hex()[:16]}, which is unknown"
            )
        if tariff.period != period:
            raise TariffError(f"tariff is for {tariff.period}s intervals, not {period}s")
        return tariff

    def span(self, rng: range, period: int, tariffs: Mapping[bytes, Tariff] | None = None) -> Span:
        """The span of this granularity's basis restricted to ``rng`` (see :class:`Span`)."""
        check_period(period)
        tariffs = tariffs or {}
        if self.kind == "interval":
            return _IntervalSpan(rng, period)
        if self.kind == "daily":
            return _BlockSpan(rng, period, _DayBlocks(self.tz, period))
        if self.kind == "monthly":
            return _BlockSpan(rng, period, _MonthBlocks(self.tz, period))
        if self.kind == "bands":
            blocks = _BandBlocks(self.tz, period, self._tariff(tariffs, period))
            return _BlockSpan(rng, period, blocks)
        vectors = self.basis(rng, period, tariffs)
        if self.kind == "custom" and _disjoint_indicators(vectors):
            return _BlockSpan(rng, period, _ExplicitBlocks(vectors))
        return _GeneralSpan(rng, period, vectors)

    def basis(
        self, rng: range, period: int, tariffs: Mapping[bytes, Tariff] | None = None
    ) -> list[Query]:
        """The basis queries that lie wholly inside ``rng``, in time order."""
        check_period(period)
        tariffs = tariffs or {}
        if self.kind == "interval":
            return [Query(i, (1,)) for i in rng]
        if self.kind == "custom":
            return [q for q in self.vectors if _within(q.span_range, rng)]
        out: list[Query] = []
        if self.kind == "daily":
            day = local_day_of(rng.start, self.tz, period)
            while True:
                members = local_day_intervals(day, self.tz, period)
                if members.start >= rng.stop:
                    break
                if members and _within(members, rng):
                    out.append(Query(members.start, (1,) * len(members)))
                day += timedelta(days=1)
            return out
        tariff = self._tariff(tariffs, period) if self.kind in ("bands", "amount") else None
        day = local_day_of(rng.start, self.tz, period)
        y, m = day.year, day.month
        while True:
            members = _month_range(y, m, self.tz, period)
            if members.start >= rng.stop:
                break
            if members and _within(members, rng):
                if tariff is None:
                    out.append(Query(members.start, (1,) * len(members)))
                elif self.kind == "bands":
                    bands = tariff.band_indices(members)
                    for b in range(len(tariff.band_names)):
                        chosen = [i for i, x in zip(members, bands, strict=True) if x == b]
                        if chosen:
                            out.append(Query.indicator(chosen))
                else:
                    weights = tariff.price_weights(members)
                    if any(weights):
                        out.append(Query.from_dense(members.start, weights))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def describe(self, period: int = DEFAULT_PERIOD) -> str:
        """The granularity in words, for a person."""
        if self.kind == "interval":
            size = {1800: "half-hour", 900: "quarter-hour"}.get(period, f"{period}-second")
            return f"every {size} value"
        if self.kind == "daily":
            return f"one total per day ({self.tz})"
        if self.kind == "monthly":
            return f"one total per calendar month ({self.tz})"
        if self.kind == "bands":
            return f"one total per tariff band per month ({self.tz})"
        if self.kind == "amount":
            return f"one price-weighted total per month ({self.tz})"
        return f"{len(self.vectors)} custom linear queries (and their combinations)"

    @property
    def name(self) -> str:
        """The short name (``interval`` reads as ``half-hourly`` only with its period)."""
        return self.kind

    def to_cbor(self) -> list[Any]:
        """``[kind, tz, tariff_digest, [query, ...]]``."""
        return [self.kind, self.tz, self.tariff, [q.to_cbor() for q in self.vectors]]

    @classmethod
    def from_cbor(cls, item: object, where: str = "granularity") -> Granularity:
        """Strictly from :meth:`to_cbor`'s form."""
        if not (isinstance(item, list) and len(item) == 4):
            raise FormatError(f"{where}: expected [kind, tz, tariff, vectors]")
        kind, tz, tariff, vectors = item
        if not (isinstance(kind, str) and isinstance(tz, str) and isinstance(tariff, bytes)):
            raise FormatError(f"{where}: kind and tz must be text, tariff bytes")
        if not isinstance(vectors, list) or len(vectors) > MAX_QUERIES:
            raise FormatError(f"{where}: vectors must be an array of queries")
        queries = tuple(Query.from_cbor(v, f"{where}.vectors[{k}]") for k, v in enumerate(vectors))
        try:
            return cls(cast(GranularityKind, kind), tz, tariff, queries)
        except RangeError as exc:
            raise FormatError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A request for linear queries about one meter and channel over an interval range.

    ``queries`` must lie inside ``intervals``. ``households`` is the number of households
    the answer is aggregated over (1: this household alone; settlement and the network
    operator ask with their group size, and a policy can allow a query only in groups of
    at least ``t``). ``grant`` is optionally the encoded grant the party relies on.

    >>> from privbill.intervals import period_intervals
    >>> june = period_intervals(date(2013, 6, 1), date(2013, 7, 1), "Etc/GMT-10")
    >>> r = Request.for_granularity("third-party:watts-up", "energy-advice", bytes(16),
    ...                             Granularity.named("daily", tz="Etc/GMT-10"), june)
    >>> len(r.queries), len(r.intervals)
    (30, 1440)
    """

    party: str
    purpose: str
    meter_id: bytes
    channel: int
    period: int
    intervals: range
    queries: tuple[Query, ...]
    households: int = 1
    grant: bytes | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check_party(self.party)
        check_purpose(self.purpose)
        _bytes("meter_id", self.meter_id, METER_ID_SIZE)
        _channel(self.channel)
        check_period(self.period)
        _range("intervals", self.intervals)
        if not isinstance(self.queries, tuple) or not self.queries:
            raise RangeError("request: needs at least one query")
        if len(self.queries) > MAX_QUERIES:
            raise RangeError(f"request: more than {MAX_QUERIES} queries")
        if sum(len(q.weights) for q in self.queries if isinstance(q, Query)) > MAX_WEIGHTS:
            raise RangeError(f"request: more than {MAX_WEIGHTS} weights in all")
        for k, q in enumerate(self.queries):
            if not isinstance(q, Query):
                raise RangeError(f"request: query {k} is not a Query")
            if not _within(q.span_range, self.intervals):
                raise RangeError(f"request: query {k} reaches outside the requested range")
        if not _is_int(self.households) or self.households < 1:
            raise RangeError("request: households must be an int >= 1")
        if self.grant is not None and not isinstance(self.grant, bytes):
            raise RangeError("request: grant must be the encoded grant (bytes)")

    @classmethod
    def custom(
        cls,
        party: str,
        purpose: str,
        meter_id: bytes,
        intervals: range,
        vectors: Sequence[Sequence[int]],
        *,
        channel: int = CHANNEL_IMPORT,
        period: int = DEFAULT_PERIOD,
        households: int = 1,
        grant: bytes | None = None,
    ) -> Request:
        """A request from dense weight vectors, each with one weight per interval of
        ``intervals``.

        >>> r = Request.custom("third-party:x", "research", bytes(16), range(10, 14),
        ...                    [[1, 1, 0, 0], [0, 0, 2, -1]])
        >>> r.queries
        (Query(first=10, weights=(1, 1)), Query(first=12, weights=(2, -1)))
        """
        _range("intervals", intervals)
        queries = []
        for k, v in enumerate(vectors):
            if len(v) != len(intervals):
                raise RangeError(f"request: vector {k} has {len(v)} weights, not {len(intervals)}")
            queries.append(Query.from_dense(intervals.start, v))
        return cls(
            party, purpose, meter_id, channel, period, intervals, tuple(queries), households, grant
        )

    @classmethod
    def for_granularity(
        cls,
        party: str,
        purpose: str,
        meter_id: bytes,
        granularity: Granularity,
        intervals: range,
        *,
        channel: int = CHANNEL_IMPORT,
        period: int = DEFAULT_PERIOD,
        tariffs: Mapping[bytes, Tariff] | None = None,
        households: int = 1,
        grant: bytes | None = None,
    ) -> Request:
        """A request for every basis query of ``granularity`` inside ``intervals``
        (every daily total of a month, every half-hour value of a week, ...)."""
        queries = tuple(granularity.basis(_range("intervals", intervals), period, tariffs))
        if not queries:
            raise RangeError(f"request: no {granularity.kind} query fits wholly in the range")
        return cls(party, purpose, meter_id, channel, period, intervals, queries, households, grant)

    def to_record(self) -> list[Any]:
        """The request as written to the audit log (docs/consent.md, "Audit log"):
        ``[party, purpose, meter_id, channel, period, first, stop, households,
        [query, ...], presented_grant_id]``."""
        presented = b""
        if self.grant is not None:
            try:
                presented = Grant.decode(self.grant).grant_id
            except FormatError:
                presented = b"?"
        return [
            self.party,
            self.purpose,
            self.meter_id,
            self.channel,
            self.period,
            self.intervals.start,
            self.intervals.stop,
            self.households,
            [q.to_cbor() for q in self.queries],
            presented,
        ]


# --------------------------------------------------------------------------------------
# deterministic CBOR, decoded strictly
# --------------------------------------------------------------------------------------

_MAX_MESSAGE: Final = 1 << 22  # a custom basis of MAX_QUERIES small queries fits


def _dumps(item: object) -> bytes:
    return cbor2.dumps(item, canonical=True)


def _loads(data: object, what: str, limit: int = _MAX_MESSAGE) -> object:
    """One CBOR item filling ``data``, or FormatError. The caller validates the types and
    checks that re-encoding reproduces ``data`` (one valid encoding per message)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(data).__name__}")
    raw = bytes(data)
    if len(raw) > limit:
        raise FormatError(f"{what}: {len(raw)} bytes is longer than any valid one ({limit})")
    stream = io.BytesIO(raw)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except (
        cbor2.CBORDecodeError,
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        KeyError,
        IndexError,
        UnicodeDecodeError,
    ) as exc:
        raise FormatError(f"{what}: not valid CBOR ({exc})") from None
    if stream.tell() != len(raw):
        raise FormatError(f"{what}: {len(raw) - stream.tell()} trailing bytes after the message")
    return item


def _sign_body(key: SigningKey, body: list[Any]) -> bytes:
    if key.alg != "ed25519":
        raise RangeError("the household signs consent with an Ed25519 key")
    return key.sign(_dumps(body))


def _verify_body(
    body: list[Any], signer: bytes, signature: bytes, key: VerifyingKey, what: str
) -> None:
    if key.alg != "ed25519" or key.to_bytes() != signer:
        raise BadSignatureError(f"{what}: signed by another key than the household's")
    try:
        key.verify(_dumps(body), signature)
    except BadSignatureError:
        raise BadSignatureError(f"{what}: the signature does not verify") from None


# --------------------------------------------------------------------------------------
# grants and revocations
# --------------------------------------------------------------------------------------

_GRANT_TAG: Final = "privbill-grant"
_REVOCATION_TAG: Final = "privbill-revocation"
_CONSENT_VERSION: Final = 1
_GRANT_FIELDS: Final = (
    "type",
    "version",
    "grant_id",
    "meter_id",
    "channel",
    "party",
    "purpose",
    "period",
    "first_index",
    "stop_index",
    "granularity",
    "issued_at",
    "expires_at",
    "signer",
    "signature",
)
_REVOCATION_FIELDS: Final = (
    "type",
    "version",
    "grant_id",
    "meter_id",
    "revoked_at",
    "signer",
    "signature",
)


@dataclass(frozen=True)
class Grant:
    """A household's signed consent (see the module docstring and docs/consent.md).

    Encoding (deterministic CBOR, one array with fixed positions)::

        ["privbill-grant", 1, grant_id, meter_id, channel, party, purpose, period,
         first_index, stop_index, granularity, issued_at, expires_at, signer, signature]

    ``signature`` is Ed25519 by ``signer`` over the deterministic encoding of the same
    array without its last element. The grant covers intervals ``first_index`` to
    ``stop_index - 1`` and is in force for ``issued_at <= now < expires_at`` (Unix
    seconds) unless revoked.
    """

    grant_id: bytes
    meter_id: bytes
    channel: int
    party: str
    purpose: str
    period: int
    intervals: range
    granularity: Granularity
    issued_at: int
    expires_at: int
    signer: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _bytes("grant_id", self.grant_id, GRANT_ID_SIZE)
        _bytes("meter_id", self.meter_id, METER_ID_SIZE)
        _channel(self.channel)
        check_party(self.party)
        check_purpose(self.purpose)
        check_period(self.period)
        _range("intervals", self.intervals)
        if not isinstance(self.granularity, Granularity):
            raise RangeError("granularity: must be a Granularity")
        _uint("issued_at", self.issued_at, _INDEX_LIMIT)
        _uint("expires_at", self.expires_at, _INDEX_LIMIT)
        if not self.issued_at < self.expires_at:
            raise RangeError("expires_at: must be after issued_at")
        _bytes("signer", self.signer, 32)
        _bytes("signature", self.signature, 64)

    @classmethod
    def issue(
        cls,
        key: SigningKey,
        *,
        party: str,
        purpose: str,
        meter_id: bytes,
        intervals: range,
        granularity: Granularity,
        issued_at: int,
        expires_at: int,
        grant_id: bytes,
        channel: int = CHANNEL_IMPORT,
        period: int = DEFAULT_PERIOD,
    ) -> Grant:
        """Sign a grant with the household's Ed25519 ``key``. Policy limits (the longest
        validity) are the agent's to check: :meth:`privbill.agent.HouseholdAgent.grant`."""
        unsigned = cls(
            grant_id,
            meter_id,
            channel,
            party,
            purpose,
            period,
            intervals,
            granularity,
            issued_at,
            expires_at,
            key.verifying_key.to_bytes(),
            bytes(64),
        )
        signature = _sign_body(key, unsigned._body())
        return cls(**{**unsigned.__dict__, "signature": signature})

    def _body(self) -> list[Any]:
        return [
            _GRANT_TAG,
            _CONSENT_VERSION,
            self.grant_id,
            self.meter_id,
            self.channel,
            self.party,
            self.purpose,
            self.period,
            self.intervals.start,
            self.intervals.stop,
            self.granularity.to_cbor(),
            self.issued_at,
            self.expires_at,
            self.signer,
        ]

    def encode(self) -> bytes:
        """The deterministic CBOR encoding."""
        return _dumps([*self._body(), self.signature])

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def decode(cls, data: bytes) -> Grant:
        """Strict decoding: anything but the one valid encoding raises FormatError. The
        signature is not checked here: call :meth:`verify` with the household's key."""
        item = _loads(data, "grant")
        if not isinstance(item, list) or len(item) != len(_GRANT_FIELDS):
            raise FormatError(f"grant: expected an array of {len(_GRANT_FIELDS)} items")
        if item[0] != _GRANT_TAG or item[1] != _CONSENT_VERSION or type(item[1]) is not int:
            raise FormatError(f"grant: not a version {_CONSENT_VERSION} {_GRANT_TAG}")
        (
            _,
            _,
            gid,
            meter,
            channel,
            party,
            purpose,
            period,
            first,
            stop,
            gran,
            issued,
            expires,
            signer,
            signature,
        ) = item
        for name, v in (
            ("channel", channel),
            ("period", period),
            ("first_index", first),
            ("stop_index", stop),
            ("issued_at", issued),
            ("expires_at", expires),
        ):
            if type(v) is not int:
                raise FormatError(f"{name}: must be an integer")
        try:
            grant = cls(
                gid,
                meter,
                channel,
                party,
                purpose,
                period,
                range(first, stop),
                Granularity.from_cbor(gran),
                issued,
                expires,
                signer,
                signature,
            )
        except (RangeError, EncodingError) as exc:
            raise FormatError(str(exc)) from None
        if grant.encode() != bytes(data):
            raise FormatError("grant: not in deterministic encoding")
        return grant

    def verify(self, key: VerifyingKey) -> None:
        """Check the household's signature; return None or raise BadSignatureError."""
        _verify_body(self._body(), self.signer, self.signature, key, f"grant {self.grant_id.hex()}")

    def in_force(self, now: int) -> bool:
        """Whether ``now`` is within ``[issued_at, expires_at)`` (revocation aside)."""
        return self.issued_at <= now < self.expires_at

    def span(self, tariffs: Mapping[bytes, Tariff] | None = None) -> Span:
        """The granted span: the granularity's basis restricted to the granted range."""
        return self.granularity.span(self.intervals, self.period, tariffs)

    def describe(self) -> str:
        """One line for a person (dates in the granularity's zone).

        >>> g = Grant.issue(SigningKey.from_bytes(bytes(32)), party="third-party:x",
        ...     purpose="research", meter_id=bytes(16), grant_id=bytes(16),
        ...     intervals=period_intervals(date(2013, 6, 1), date(2013, 7, 1), "Etc/GMT-10"),
        ...     granularity=Granularity.named("daily", tz="Etc/GMT-10"),
        ...     issued_at=1372636800, expires_at=1375315200)
        >>> print(g.describe())  # doctest: +NORMALIZE_WHITESPACE
        the third party 'x' may receive one total per day (Etc/GMT-10) of import readings
        for 2013-06-01 to 2013-06-30, for research, until 2013-08-01 00:00 UTC
        """
        tz = self.granularity.tz
        first = local_start_of(self.intervals.start, tz, self.period)
        stop = local_start_of(self.intervals.stop, tz, self.period)
        if first.time() == stop.time() == datetime.min.time():
            span = f"for {first:%Y-%m-%d} to {(stop - timedelta(days=1)):%Y-%m-%d}"
        else:
            span = f"from {first:%Y-%m-%d %H:%M} to {stop:%Y-%m-%d %H:%M} ({tz})"
        until = datetime.fromtimestamp(self.expires_at, timezone.utc)
        return (
            f"{party_label(self.party)} may receive {self.granularity.describe(self.period)}"
            f" of {CHANNEL_NAMES.get(self.channel, f'channel {self.channel}')} readings"
            f" {span}, for {self.purpose}, until {until:%Y-%m-%d %H:%M} UTC"
        )


@dataclass(frozen=True)
class Revocation:
    """A household's signed revocation of one grant.

    Encoding::

        ["privbill-revocation", 1, grant_id, meter_id, revoked_at, signer, signature]

    signed like a grant (over the array without its signature). It takes effect at
    ``revoked_at`` and cannot be undone: renewal is a new grant.
    """

    grant_id: bytes
    meter_id: bytes
    revoked_at: int
    signer: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _bytes("grant_id", self.grant_id, GRANT_ID_SIZE)
        _bytes("meter_id", self.meter_id, METER_ID_SIZE)
        _uint("revoked_at", self.revoked_at, _INDEX_LIMIT)
        _bytes("signer", self.signer, 32)
        _bytes("signature", self.signature, 64)

    @classmethod
    def issue(
        cls, key: SigningKey, *, grant_id: bytes, meter_id: bytes, revoked_at: int
    ) -> Revocation:
        """Sign a revocation of ``grant_id`` with the household's key."""
        unsigned = cls(grant_id, meter_id, revoked_at, key.verifying_key.to_bytes(), bytes(64))
        return cls(
            grant_id, meter_id, revoked_at, unsigned.signer, _sign_body(key, unsigned._body())
        )

    def _body(self) -> list[Any]:
        return [
            _REVOCATION_TAG,
            _CONSENT_VERSION,
            self.grant_id,
            self.meter_id,
            self.revoked_at,
            self.signer,
        ]

    def encode(self) -> bytes:
        """The deterministic CBOR encoding."""
        return _dumps([*self._body(), self.signature])

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def decode(cls, data: bytes) -> Revocation:
        """Strict decoding (FormatError); the signature is checked by :meth:`verify`."""
        item = _loads(data, "revocation", 1024)
        if not isinstance(item, list) or len(item) != len(_REVOCATION_FIELDS):
            raise FormatError(f"revocation: expected an array of {len(_REVOCATION_FIELDS)} items")
        if item[0] != _REVOCATION_TAG or item[1] != _CONSENT_VERSION or type(item[1]) is not int:
            raise FormatError(f"revocation: not a version {_CONSENT_VERSION} {_REVOCATION_TAG}")
        _, _, gid, meter, at, signer, signature = item
        if type(at) is not int:
            raise FormatError("revoked_at: must be an integer")
        try:
            rev = cls(gid, meter, at, signer, signature)
        except RangeError as exc:
            raise FormatError(str(exc)) from None
        if rev.encode() != bytes(data):
            raise FormatError("revocation: not in deterministic encoding")
        return rev

    def verify(self, key: VerifyingKey) -> None:
        """Check the household's signature; return None or raise BadSignatureError."""
        _verify_body(
            self._body(), self.signer, self.signature, key, f"revocation of {self.grant_id.hex()}"
        )


# --------------------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------------------

Consent = Literal["none", "opt-out", "opt-in"]
_CONSENTS: Final[tuple[Consent, ...]] = ("none", "opt-out", "opt-in")
_RULE_GRANULARITIES: Final = (
    "half-hourly",
    "quarter-hourly",
    "interval",
    "daily",
    "monthly",
    "bands",
    "amount",
)
_POLICY_FORMAT: Final = "privbill-consent-policy"
_POLICY_KEYS: Final = {"format", "version", "name", "description", "max_grant_months", "rules"}
_RULE_KEYS: Final = {
    "party",
    "purpose",
    "granularity",
    "consent",
    "channels",
    "households",
    "basis",
    "note",
}


@dataclass(frozen=True)
class Rule:
    """One line of a policy: ``party`` may receive ``granularity`` queries for
    ``purpose`` on ``channels``, with ``consent`` ``none`` (no consent needed),
    ``opt-out`` (unless the household objected) or ``opt-in`` (only with a grant: listed
    so that a person sees it). ``households`` > 1 allows the query only aggregated over
    at least that many households. ``basis`` says why, for a person.

    ``party`` may be ``*`` or ``third-party:*``; ``purpose`` may be ``*``.
    """

    party: str
    purpose: str
    granularity: str
    consent: Consent
    channels: tuple[int, ...] = (CHANNEL_IMPORT, CHANNEL_EXPORT)
    households: int = 1
    basis: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.party not in ("*", _THIRD + "*"):
            check_party(self.party)
        if self.purpose != "*":
            check_purpose(self.purpose)
        if self.granularity not in _RULE_GRANULARITIES:
            raise RangeError(
                f"rule granularity: {self.granularity!r} is not one of {_RULE_GRANULARITIES}"
            )
        if self.consent not in _CONSENTS:
            raise RangeError(f"rule consent: {self.consent!r} is not one of {_CONSENTS}")
        if not isinstance(self.channels, tuple) or not self.channels:
            raise RangeError("rule channels: at least one channel")
        for c in self.channels:
            _channel(c)
        if not _is_int(self.households) or self.households < 1:
            raise RangeError("rule households: must be an int >= 1")

    def matches(self, party: str, purpose: str, channel: int) -> bool:
        """Whether this rule speaks about ``party`` asking for ``purpose`` on ``channel``."""
        return (
            _party_matches(self.party, party)
            and self.purpose in ("*", purpose)
            and channel in self.channels
        )

    def granularity_for(self, tz: str, tariff: Tariff | None) -> Granularity:
        """This rule's granularity in the household's zone and tariff."""
        return Granularity.named(self.granularity, tz=tz, tariff=tariff)

    def label(self) -> str:
        """A short name for logs and errors: ``retailer/billing/bands (none)``."""
        agg = f", aggregated over >= {self.households} households" if self.households > 1 else ""
        return f"{self.party}/{self.purpose}/{self.granularity} ({self.consent}{agg})"


@dataclass(frozen=True)
class Policy:
    """A named set of rules; anything no rule allows needs a grant.

    ``max_grant_months`` bounds how long a grant may last (12 by default: longer grants
    are refused unless the policy raises it).
    """

    name: str
    rules: tuple[Rule, ...]
    description: str = ""
    max_grant_months: int = 12

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise RangeError("policy name: must be a non-empty string")
        if not _is_int(self.max_grant_months) or not 1 <= self.max_grant_months <= 120:
            raise RangeError("policy max_grant_months: must be an int in 1..120")

    def matching(self, party: str, purpose: str, channel: int) -> list[Rule]:
        """The rules about ``party``/``purpose``/``channel``, in policy order."""
        return [r for r in self.rules if r.matches(party, purpose, channel)]


_T: Final = 5  # smallest aggregate for the grid and settlement in the built-in profiles

# Rules both built-in profiles state alike.
_BILLING: Final = (
    Rule(RETAILER, "billing", "bands", "none", basis="needed to bill you (your supply contract)"),
    Rule(RETAILER, "billing", "amount", "none", basis="needed to bill you (your supply contract)"),
)
_AGGREGATES: Final = (
    Rule(
        NETWORK_OPERATOR,
        "grid-operation",
        "half-hourly",
        "none",
        households=_T,
        basis=f"running the grid; only sums over at least {_T} households",
    ),
    Rule(
        SETTLEMENT,
        "settlement",
        "half-hourly",
        "none",
        households=_T,
        basis=f"settling the market; only sums over at least {_T} households",
    ),
)

_STRICT: Final = Policy(
    name="strict",
    description=(
        "Only what billing and grid operation need leaves the home: the total per tariff"
        " band (or only the amount) for each monthly bill to your retailer, and half-hourly"
        " values to the network operator and settlement only inside sums over at least"
        f" {_T} households. Everything else only with a grant you sign."
    ),
    rules=(
        *_BILLING,
        Rule(
            RETAILER,
            "billing",
            "monthly",
            "none",
            basis="needed to bill you (your supply contract)",
        ),
        *_AGGREGATES,
    ),
)

_UK_SLC47: Final = Policy(
    name="uk-slc47",
    description=(
        "Modelled on Great Britain's supply licence condition 47 (smart meter consumption"
        " data): monthly (or coarser) data needs no consent, daily data flows unless you"
        " opt out, half-hourly data only if you opt in. Network operator and settlement"
        f" receive half-hourly values only inside sums over at least {_T} households."
    ),
    rules=(
        Rule(RETAILER, "*", "monthly", "none", basis="monthly or coarser: no consent needed"),
        *_BILLING,
        Rule(RETAILER, "*", "daily", "opt-out", basis="daily data: allowed unless you opt out"),
        Rule(
            RETAILER,
            "*",
            "half-hourly",
            "opt-in",
            basis="half-hourly data: only with your explicit consent",
        ),
        *_AGGREGATES,
    ),
)

#: The built-in policy profiles by name.
PROFILES: Final[dict[str, Policy]] = {"strict": _STRICT, "uk-slc47": _UK_SLC47}


def _json_channel(value: object, where: str) -> int:
    if value in CHANNEL_NAMES.values():
        return next(k for k, v in CHANNEL_NAMES.items() if v == value)
    if _is_int(value) and 0 <= cast(int, value) <= 255:
        return cast(int, value)
    raise FormatError(f"{where}: a channel is 'import', 'export' or 0..255, got {value!r}")


def policy_from_json(source: str | bytes | Mapping[str, Any]) -> Policy:
    """A policy from its JSON form (docs/consent.md, "Custom policies"); unknown keys,
    missing keys and wrong types raise FormatError naming the field.

    >>> p = policy_from_json('''{"format": "privbill-consent-policy", "version": 1,
    ...   "name": "landlord", "rules": [{"party": "third-party:landlord",
    ...   "purpose": "heating-check", "granularity": "daily", "consent": "opt-out"}]}''')
    >>> p.rules[0].label(), p.max_grant_months
    ('third-party:landlord/heating-check/daily (opt-out)', 12)
    """
    if isinstance(source, Mapping):
        doc: object = dict(source)
    else:
        try:
            doc = json.loads(source)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"policy: not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise FormatError("policy: must be a JSON object")
    unknown = set(doc) - _POLICY_KEYS
    if unknown:
        raise FormatError(f"policy: unknown field(s) {sorted(unknown)}")
    if doc.get("format") != _POLICY_FORMAT:
        raise FormatError(f"policy: format must be {_POLICY_FORMAT!r}")
    if doc.get("version") != 1 or type(doc.get("version")) is not int:
        raise FormatError(f"policy: unsupported version {doc.get('version')!r}")
    rules_doc = doc.get("rules")
    if not isinstance(rules_doc, list):
        raise FormatError("policy.rules: must be an array")
    rules = []
    for k, r in enumerate(rules_doc):
        where = f"policy.rules[{k}]"
        if not isinstance(r, dict):
            raise FormatError(f"{where}: must be an object")
        unknown = set(r) - _RULE_KEYS
        if unknown:
            raise FormatError(f"{where}: unknown field(s) {sorted(unknown)}")
        for key in ("party", "purpose", "granularity", "consent"):
            if not isinstance(r.get(key), str):
                raise FormatError(f"{where}.{key}: must be a string")
        channels = r.get("channels", ["import", "export"])
        if not isinstance(channels, list):
            raise FormatError(f"{where}.channels: must be an array")
        for key in ("basis", "note"):
            if not isinstance(r.get(key, ""), str):
                raise FormatError(f"{where}.{key}: must be a string")
        try:
            rules.append(
                Rule(
                    r["party"],
                    r["purpose"],
                    r["granularity"],
                    r["consent"],
                    tuple(_json_channel(c, f"{where}.channels") for c in channels),
                    r.get("households", 1),
                    r.get("basis", ""),
                    r.get("note", ""),
                )
            )
        except RangeError as exc:
            raise FormatError(f"{where}: {exc}") from None
    for key in ("name", "description"):
        if not isinstance(doc.get(key, ""), str):
            raise FormatError(f"policy.{key}: must be a string")
    try:
        return Policy(
            doc.get("name", ""),
            tuple(rules),
            doc.get("description", ""),
            doc.get("max_grant_months", 12),
        )
    except RangeError as exc:
        raise FormatError(f"policy: {exc}") from None


def policy_to_json(policy: Policy) -> str:
    """The JSON form of ``policy`` (round-trips through :func:`policy_from_json`).

    >>> policy_from_json(policy_to_json(PROFILES["uk-slc47"])) == PROFILES["uk-slc47"]
    True
    """
    doc = {
        "format": _POLICY_FORMAT,
        "version": 1,
        "name": policy.name,
        "description": policy.description,
        "max_grant_months": policy.max_grant_months,
        "rules": [
            {
                "party": r.party,
                "purpose": r.purpose,
                "granularity": r.granularity,
                "consent": r.consent,
                "channels": [CHANNEL_NAMES.get(c, c) for c in r.channels],
                "households": r.households,
                "basis": r.basis,
                "note": r.note,
            }
            for r in policy.rules
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def load_policy(name_or_path: str | Path) -> Policy:
    """A built-in profile (``strict``, ``uk-slc47``) by name, or a JSON policy file."""
    if isinstance(name_or_path, str) and name_or_path in PROFILES:
        return PROFILES[name_or_path]
    path = Path(name_or_path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise FormatError(
            f"policy {str(name_or_path)!r} is neither a built-in profile"
            f" ({', '.join(PROFILES)}) nor a readable file: {exc.strerror or exc}"
        ) from None
    return policy_from_json(text)
