"""Private aggregation for market settlement and the network operator.

Per interval and group of households, the aggregator learns the sum of the
readings over the meters it counted, checks it against those meters'
commitments, and learns nothing about any single household
(docs/settlement.md is the specification and the security argument).

The check: meter ``i`` committed ``C_i = r_i*G + o_i*H`` in its signed batch.
The aggregator ends a round with ``R = sum r_i`` and ``O = sum o_i mod l``
over the counted set ``S`` and verifies

    sum_{i in S} C_i == R*G + O*H

or raises :class:`~privbill.errors.VerificationError`. A returned
:class:`IntervalAggregate` is always verified.

Two backends behind one interface:

- ``"masking"`` (the default, no trusted party): each meter reports
  ``(r_i + M_i, o_i + M'_i) mod l`` where the masks are pairwise masks with
  its neighbours (from X25519 + HKDF-SHA-512: they cancel in the sum) plus a
  self mask whose secret is Shamir-shared among its neighbours (double
  masking, Bonawitz et al. 2017). The meter side is in the C core
  (``privbill_mask_report``).
- ``"paillier"``: each meter packs ``(r_i, o_i)`` into one integer, takes
  off one share per seed holder (derived from a seed it agreed with that
  holder) and encrypts the rest under the decryption holder's Paillier key
  (:mod:`privbill.paillier`); every holder releases only its sum over the
  counted reports, and all of them are needed for the aggregate.

A whole group in a few lines (meters, roster, one interval, one dropout):

>>> from privbill.keys import SigningKey
>>> from privbill.pedersen import commit, derive_blinding
>>> operator = SigningKey.generate()
>>> meters = [MeterClient(bytes([i]) * 16) for i in range(1, 7)]
>>> roster = Roster.create(b"feeder-7", [m.member for m in meters]).sign(operator)
>>> roster.roster.threshold                          # no sum over fewer than 5 households
5
>>> shares = [s for m in meters for s in m.join(roster, operator.verifying_key)]
>>> for m in meters:
...     m.accept_shares(shares)
>>> k, index = bytes(32), 760_000
>>> readings = {m.meter_id: 100 * n for n, m in enumerate(meters, 1)}
>>> def blinding(m):                                # the meter's derived blinding
...     return derive_blinding(k, m.meter_id, 0, index)
>>> book = CommitmentBook()                          # the public commitments
>>> for m in meters:
...     book.add(m.meter_id, index, commit(readings[m.meter_id], blinding(m)))
>>> agg = Aggregator(roster, operator, book, LocalTransport(meters))
>>> rnd = agg.open_round(index)
>>> for m in meters[:5]:                             # the sixth meter drops out
...     rnd.submit(m.report(index, readings[m.meter_id], blinding(m)))
>>> result = agg.close_round()
>>> result.sum_wh, len(result.households), result.dropped == (meters[5].meter_id,), result.verified
(1500, 5, True, True)
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import json
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, Protocol

import cbor2
import gmpy2  # type: ignore[import-untyped]
import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from privbill import _cbor as _cbor_reader
from privbill import _ffi
from privbill._ffi import ffi, lib
from privbill.errors import (
    AggregationError,
    BadSignatureError,
    EncodingError,
    FormatError,
    PrivbillError,
    RangeError,
    VerificationError,
)
from privbill.group import Element, L, Scalar
from privbill.intervals import DEFAULT_PERIOD, check_period, start_of
from privbill.keys import SigningKey, VerifyingKey, verify_many
from privbill.paillier import (
    DEFAULT_BITS,
    KeyHolderError,
    PackingParams,
    PaillierPrivateKey,
    PaillierPublicKey,
    RandomnessPool,
    generate_keypair,
    is_ciphertext_int,
)
from privbill.paillier import _fields as _json_fields
from privbill.paillier import _int as _json_decimal
from privbill.paillier import _load as _json_object
from privbill.pedersen import CommitmentSet, verify_opening

#: A canonical decimal string (ASCII digits, no leading zeros): one encoding per integer.
_DECIMAL = re.compile(r"0|[1-9][0-9]*")

__all__ = [
    "MAX_READING",
    "MIN_THRESHOLD",
    "SETTLEMENT_VERSION",
    "AggregateVerificationError",
    "Aggregator",
    "CommitmentBook",
    "CommitmentSource",
    "DecryptionHolder",
    "DuplicateReportError",
    "EncryptedReport",
    "EncryptedShare",
    "IntervalAggregate",
    "KeyHolder",
    "KeyHolderError",
    "LateReportError",
    "LocalTransport",
    "MalformedReportError",
    "MaskedReport",
    "MeterClient",
    "PaillierMeterClient",
    "PaillierRound",
    "PaillierSettlement",
    "RecoveryError",
    "RecoveryRefusedError",
    "RecoveryRequest",
    "RecoveryResponse",
    "RecoveryTransport",
    "ReportError",
    "Roster",
    "RosterError",
    "RosterMember",
    "RosterMismatchError",
    "Round",
    "SeedHolder",
    "SignedRoster",
    "StaleReportError",
    "ThresholdError",
    "UnknownReporterError",
    "default_degree",
    "neighbourhood_graph",
    "run_groups",
]

# --------------------------------------------------------------------------
# errors (subclasses of AggregationError; see docs/settlement.md)
# --------------------------------------------------------------------------


class RosterError(AggregationError, ValueError):
    """A roster is malformed, badly signed, or does not include this meter."""


class RosterMismatchError(RosterError):
    """Two parties hold different rosters for the same group (digests differ)."""


class ReportError(AggregationError, ValueError):
    """A report cannot be counted in this round."""


class MalformedReportError(ReportError, FormatError):
    """A report is not a valid encoding (wrong type, size, scalar, CBOR)."""


class UnknownReporterError(ReportError):
    """A report names a meter that is not in the roster."""


class DuplicateReportError(ReportError):
    """A second report from the same meter in the same round."""


class StaleReportError(ReportError):
    """A report for another interval: replayed, or sent to the wrong round."""


class LateReportError(ReportError):
    """A report that arrived after the round was closed (recovery started)."""


class ThresholdError(AggregationError):
    """Fewer than ``t`` households could be counted: the round is aborted and
    nobody's masks are revealed."""


class RecoveryError(AggregationError):
    """Dropout recovery could not remove every mask (too few answers)."""


class RecoveryRefusedError(AggregationError, PermissionError):
    """A meter refuses a recovery request that would make it reveal both the
    pairwise masks and a self-mask share of the same meter, or that is
    otherwise inconsistent (wrong roster, fewer than ``t`` counted)."""


class AggregateVerificationError(VerificationError, AggregationError):
    """The recovered sum does not open the sum of the counted commitments."""


# --------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------

#: Version of the settlement messages below.
SETTLEMENT_VERSION: Final = 1
_DIGEST = lib.PRIVBILL_ROSTER_DIGESTBYTES
_MASK_KEY = lib.PRIVBILL_MASK_KEYBYTES
_X25519 = lib.PRIVBILL_X25519_BYTES
_SCALAR = _ffi.SCALARBYTES
_ID = _ffi.METERIDBYTES
_ROSTER_DOMAIN: Final = b"privbill/v1/settlement/roster"
_GRAPH_DOMAIN: Final = b"privbill/v1/settlement/graph"
_SHARE_DOMAIN: Final = b"privbill/v1/settlement/share"
_SELF_DOMAIN: Final = b"privbill/v1/settlement/self"  # PRIVBILL_MASK_SELF_DOMAIN
_REQUEST_DOMAIN: Final = b"privbill/v1/settlement/recovery"
_MAX_GROUP: Final = 1 << 20
#: The regulator's floor by default: no meter joins a roster whose threshold
#: (the fewest households any released sum covers) is lower.
MIN_THRESHOLD: Final = 5
#: Largest value one household may report in one interval (the C core's u64).
MAX_READING: Final = (1 << 64) - 1

Backend = Literal["masking", "paillier"]


def _cbor(obj: object) -> bytes:
    return cbor2.dumps(obj, canonical=True)


def _uncbor(data: object, what: str, error: type[PrivbillError]) -> Any:
    """The strict reader (bounded depth, integers, byte and text strings, arrays
    and integer-keyed maps only), then re-encoding: one encoding per message."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise error(f"{what} must be bytes, not {type(data).__name__}")
    raw = bytes(data)
    try:
        obj = _cbor_reader.decode(raw, text=True)
    except _cbor_reader.Malformed as exc:
        raise error(f"{what}: {exc.reason}") from None
    if _cbor(obj) != raw:
        raise error(f"{what}: not in deterministic CBOR encoding")
    return obj


def _bytes_field(obj: object, size: int | None, what: str, error: type[PrivbillError]) -> bytes:
    if not isinstance(obj, bytes) or (size is not None and len(obj) != size):
        raise error(f"{what} must be {size} bytes")
    return obj


def _uint_field(obj: object, what: str, error: type[PrivbillError], high: int) -> int:
    if isinstance(obj, bool) or not isinstance(obj, int) or not 0 <= obj <= high:
        raise error(f"{what} must be an integer in [0, {high}]")
    return obj


# --------------------------------------------------------------------------
# roster and neighbourhood graph
# --------------------------------------------------------------------------


def default_degree(n: int) -> int:
    """The neighbourhood degree for a group of ``n``: 0 (the complete graph)
    up to 64 households, else the even ``k = 2*ceil(1.5*log2 n)`` (30 at
    1,000, 40 at 10,000). docs/settlement.md gives the argument.

    >>> default_degree(50), default_degree(1000), default_degree(10000)
    (0, 30, 40)
    """
    if n <= 64:
        return 0
    return 2 * math.ceil(1.5 * math.log2(n))


class _Prg:
    """Deterministic bytes from a seed: SHA-512(domain || seed || be64(block))."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._block = 0
        self._buf = b""

    def take(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._buf += hashlib.sha512(
                _GRAPH_DOMAIN + self._seed + self._block.to_bytes(8, "big")
            ).digest()
            self._block += 1
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def below(self, bound: int) -> int:
        """Uniform in [0, bound) by rejection from 64-bit draws."""
        limit = (1 << 64) - (1 << 64) % bound
        while True:
            v = int.from_bytes(self.take(8), "big")
            if v < limit:
                return v % bound


def neighbourhood_graph(n: int, degree: int, seed: bytes) -> tuple[tuple[int, ...], ...]:
    """Neighbours of each of ``n`` members (by roster position).

    ``degree`` 0 (or ``>= n - 1``) is the complete graph. Otherwise the union
    of ``degree/2`` Hamiltonian cycles through random permutations drawn from
    ``seed`` (Fisher-Yates over a SHA-512 counter-mode stream): every member
    has at most ``degree`` neighbours and at least 2, and the graph is
    connected (it contains a Hamiltonian cycle) and an expander with high
    probability.

    >>> neighbourhood_graph(4, 0, b"")
    ((1, 2, 3), (0, 2, 3), (0, 1, 3), (0, 1, 2))
    >>> g = neighbourhood_graph(100, 10, b"seed")
    >>> all(2 <= len(nb) <= 10 for nb in g), all(0 in g[j] for j in g[0])
    (True, True)
    """
    if degree == 0 or degree >= n - 1:
        return tuple(tuple(j for j in range(n) if j != i) for i in range(n))
    if degree < 2 or degree % 2:
        raise RangeError(f"degree must be 0 or an even number >= 2, got {degree}")
    prg = _Prg(seed)
    adj: list[set[int]] = [set() for _ in range(n)]
    for _ in range(degree // 2):
        perm = list(range(n))
        for i in range(n - 1, 0, -1):
            j = prg.below(i + 1)
            perm[i], perm[j] = perm[j], perm[i]
        for i in range(n):
            a, b = perm[i], perm[(i + 1) % n]
            adj[a].add(b)
            adj[b].add(a)
    return tuple(tuple(sorted(s)) for s in adj)


@dataclass(frozen=True)
class RosterMember:
    """One enrolled meter: id, X25519 key for masking, Ed25519 key for
    signing reports (Paillier backend)."""

    meter_id: bytes
    x25519_public: bytes
    signing_public: bytes

    def __post_init__(self) -> None:
        _bytes_field(self.meter_id, _ID, "meter_id", RosterError)
        _bytes_field(self.x25519_public, _X25519, "x25519_public", RosterError)
        _bytes_field(self.signing_public, 32, "signing_public", RosterError)


@dataclass(frozen=True)
class Roster:
    """A group: its members (sorted by meter id), the threshold ``t`` (no
    sum over fewer than ``t`` households is ever released), the
    neighbourhood degree (0: complete graph) and the Shamir threshold ``s``
    of the self-mask shares among neighbours.

    The roster digest (SHA-512 of the deterministic CBOR encoding, first 32
    bytes) enters every key and mask derivation: meters that disagree on the
    roster cannot produce masks that cancel.
    """

    group_id: bytes
    members: tuple[RosterMember, ...]
    threshold: int
    degree: int
    share_threshold: int
    period: int = DEFAULT_PERIOD

    def __post_init__(self) -> None:
        if not isinstance(self.group_id, bytes) or not 1 <= len(self.group_id) <= 64:
            raise RosterError("group_id must be 1 to 64 bytes")
        n = len(self.members)
        if not 3 <= n <= _MAX_GROUP:
            raise RosterError(f"a group has 3 to {_MAX_GROUP} members, got {n}")
        ids = [m.meter_id for m in self.members]
        if ids != sorted(ids) or len(set(ids)) != n:
            raise RosterError("members must be sorted by meter id, without repeats")
        if len({m.x25519_public for m in self.members}) != n:
            raise RosterError("two members share an X25519 key")
        if not 2 <= self.threshold <= n:
            raise RosterError(f"threshold must be in [2, {n}], got {self.threshold}")
        if self.degree != 0 and (self.degree < 2 or self.degree % 2 or self.degree >= n - 1):
            raise RosterError(f"degree must be 0 or even in [2, {n - 2}], got {self.degree}")
        k = n - 1 if self.degree == 0 else self.degree
        if not 1 <= self.share_threshold <= k:
            raise RosterError(f"share_threshold must be in [1, {k}], got {self.share_threshold}")
        try:
            check_period(self.period)
        except RangeError as exc:
            raise RosterError(str(exc)) from None

    @classmethod
    def create(
        cls,
        group_id: bytes,
        members: Iterable[RosterMember],
        threshold: int | None = None,
        degree: int | None = None,
        share_threshold: int | None = None,
        period: int = DEFAULT_PERIOD,
    ) -> Roster:
        """A roster with defaults: ``t = ceil(n/2)``, at least :data:`MIN_THRESHOLD`
        (or ``n`` if smaller), degree from :func:`default_degree`, and
        ``s = n - t + 1`` on the complete graph, ``s = floor(k/2) + 1`` for
        ``k`` neighbours otherwise."""
        ms = tuple(sorted(members, key=lambda m: m.meter_id))
        n = len(ms)
        deg = default_degree(n) if degree is None else degree
        complete = deg == 0 or deg >= n - 1
        k = n - 1 if complete else deg
        t = min(n, max(MIN_THRESHOLD, (n + 1) // 2)) if threshold is None else threshold
        if share_threshold is None:
            # Complete graph: s = n - t + 1, so that any t counted meters keep the
            # k - s + 1 counted neighbours each needs to answer (MeterClient.recover).
            share_threshold = min(k, max(1, n - t + 1)) if complete else k // 2 + 1
        return cls(
            group_id=group_id,
            members=ms,
            threshold=t,
            degree=0 if complete else deg,
            share_threshold=share_threshold,
            period=period,
        )

    def _obj(self) -> list[object]:
        return [
            SETTLEMENT_VERSION,
            self.group_id,
            self.period,
            self.threshold,
            self.degree,
            self.share_threshold,
            [[m.meter_id, m.x25519_public, m.signing_public] for m in self.members],
        ]

    def encode(self) -> bytes:
        """The deterministic CBOR encoding (what the aggregator signs)."""
        return _cbor(self._obj())

    @classmethod
    def decode(cls, data: bytes) -> Roster:
        """Strict inverse of :meth:`encode`; :class:`RosterError` on anything else."""
        obj = _uncbor(data, "roster", RosterError)
        if not isinstance(obj, list) or len(obj) != 7 or obj[0] != SETTLEMENT_VERSION:
            raise RosterError("roster: not a version-1 roster")
        _, gid, period, t, deg, s, members = obj
        if not isinstance(members, list):
            raise RosterError("roster: members must be a list")
        ms = []
        for m in members:
            if not isinstance(m, list) or len(m) != 3:
                raise RosterError("roster: a member is [meter_id, x25519, ed25519]")
            ms.append(RosterMember(*m))
        for name, v in (("period", period), ("threshold", t), ("degree", deg), ("s", s)):
            _uint_field(v, name, RosterError, _MAX_GROUP * 4)
        return cls(gid, tuple(ms), t, deg, s, period)

    @property
    def digest(self) -> bytes:
        """32 bytes: SHA-512(ROSTER_DOMAIN || encoding), truncated."""
        cached: bytes | None = self.__dict__.get("_digest")
        if cached is None:
            cached = hashlib.sha512(_ROSTER_DOMAIN + self.encode()).digest()[:_DIGEST]
            object.__setattr__(self, "_digest", cached)
        return cached

    @property
    def ids(self) -> tuple[bytes, ...]:
        ids: tuple[bytes, ...] | None = self.__dict__.get("_ids")
        if ids is None:
            ids = tuple(m.meter_id for m in self.members)
            object.__setattr__(self, "_ids", ids)
        return ids

    def position(self, meter_id: bytes) -> int:
        """Roster position of a member; its Shamir x-coordinate is position + 1."""
        pos: dict[bytes, int] | None = self.__dict__.get("_pos")
        if pos is None:
            pos = {m.meter_id: i for i, m in enumerate(self.members)}
            object.__setattr__(self, "_pos", pos)
        try:
            return pos[meter_id]
        except (KeyError, TypeError):
            raise UnknownReporterError("meter is not in the roster") from None

    @property
    def graph(self) -> tuple[tuple[int, ...], ...]:
        """The neighbourhood graph, derived from the digest (see
        :func:`neighbourhood_graph`)."""
        g: tuple[tuple[int, ...], ...] | None = self.__dict__.get("_graph")
        if g is None:
            g = neighbourhood_graph(len(self.members), self.degree, self.digest)
            object.__setattr__(self, "_graph", g)
        return g

    def sign(self, key: SigningKey) -> SignedRoster:
        """The roster signed by the aggregator."""
        return SignedRoster(self, key.sign(_ROSTER_DOMAIN + self.encode()))


@dataclass(frozen=True)
class SignedRoster:
    """A roster and the aggregator's signature over its encoding."""

    roster: Roster
    signature: bytes

    def verify(self, key: VerifyingKey) -> Roster:
        """The roster if the signature verifies, else :class:`RosterError`."""
        try:
            key.verify(_ROSTER_DOMAIN + self.roster.encode(), self.signature)
        except BadSignatureError:
            raise RosterError("the roster's signature does not verify") from None
        return self.roster

    def encode(self) -> bytes:
        return _cbor([self.roster.encode(), self.signature])

    @classmethod
    def decode(cls, data: bytes) -> SignedRoster:
        obj = _uncbor(data, "signed roster", RosterError)
        if not isinstance(obj, list) or len(obj) != 2:
            raise RosterError("signed roster: [roster, signature] expected")
        return cls(Roster.decode(obj[0]), _bytes_field(obj[1], 64, "signature", RosterError))


# --------------------------------------------------------------------------
# Shamir over GF(l)
# --------------------------------------------------------------------------


def _shamir_share(secret: Scalar, threshold: int, xs: Sequence[int]) -> list[Scalar]:
    """Shares ``f(x)`` for ``x`` in ``xs`` of a random polynomial of degree
    ``threshold - 1`` with ``f(0) = secret``; Horner with Scalar arithmetic
    (the coefficients are secret and never become Python ints)."""
    coeffs = [Scalar.random() for _ in range(threshold - 1)]
    out = []
    for x in xs:
        xx = Scalar.from_int(x)  # x is public
        acc = Scalar.from_int(0)
        for c in reversed(coeffs):
            acc = (acc + c) * xx
        out.append(acc + secret)
    return out


def _lagrange_at_zero(xs: Sequence[int]) -> list[int]:
    """Lagrange coefficients at 0 for distinct public points ``xs`` (mod l)."""
    out = []
    for i, xi in enumerate(xs):
        num, den = 1, 1
        for j, xj in enumerate(xs):
            if j != i:
                num = num * xj % L
                den = den * (xj - xi) % L
        out.append(num * pow(den, -1, L) % L)
    return out


# --------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedShare:
    """A Shamir share of ``sender``'s self-mask secret, for ``recipient``,
    encrypted with ChaCha20-Poly1305 under a key derived from their pairwise
    mask key. The aggregator relays it and cannot read it."""

    roster_digest: bytes
    sender: bytes
    recipient: bytes
    ciphertext: bytes


@dataclass(frozen=True)
class MaskedReport:
    """One meter's masked ``(value, blinding)`` for one interval: two
    canonical scalars mod l."""

    meter_id: bytes
    roster_digest: bytes
    index: int
    y_value: bytes
    y_blinding: bytes

    def encode(self) -> bytes:
        """``[1, meter_id, roster_digest, index, y_value, y_blinding]`` in CBOR."""
        return _cbor(
            [
                SETTLEMENT_VERSION,
                self.meter_id,
                self.roster_digest,
                self.index,
                self.y_value,
                self.y_blinding,
            ]
        )

    @classmethod
    def decode(cls, data: bytes) -> MaskedReport:
        """Strict; :class:`MalformedReportError` on anything but :meth:`encode` output."""
        obj = _uncbor(data, "report", MalformedReportError)
        if not isinstance(obj, list) or len(obj) != 6 or obj[0] != SETTLEMENT_VERSION:
            raise MalformedReportError("report: not a version-1 masked report")
        rep = cls(
            _bytes_field(obj[1], _ID, "meter_id", MalformedReportError),
            _bytes_field(obj[2], _DIGEST, "roster_digest", MalformedReportError),
            _uint_field(obj[3], "index", MalformedReportError, (1 << 64) - 1),
            _bytes_field(obj[4], _SCALAR, "y_value", MalformedReportError),
            _bytes_field(obj[5], _SCALAR, "y_blinding", MalformedReportError),
        )
        rep.check()
        return rep

    def check(self) -> None:
        """Field sizes and canonical scalars, else :class:`MalformedReportError`."""
        _bytes_field(self.meter_id, _ID, "meter_id", MalformedReportError)
        _bytes_field(self.roster_digest, _DIGEST, "roster_digest", MalformedReportError)
        _uint_field(self.index, "index", MalformedReportError, (1 << 64) - 1)
        for name in ("y_value", "y_blinding"):
            b = _bytes_field(getattr(self, name), _SCALAR, name, MalformedReportError)
            if lib.privbill_scalar_is_canonical(b) != 1:
                raise MalformedReportError(f"{name} is not a canonical scalar")


RequestKind = Literal["pairwise", "unmask", "late"]


@dataclass(frozen=True)
class RecoveryRequest:
    """The aggregator's signed request for one interval; ``counted`` and
    ``dropped`` partition the roster (docs/settlement.md, "Unmasking").

    - ``"pairwise"``: counted meters reveal their pairwise masks with their
      ``dropped`` neighbours;
    - ``"unmask"``: every counted meter answers its unmasking value: its self
      mask plus the unmasking pairs with its counted neighbours, which cancel
      in the sum over the counted set;
    - ``"late"``: the neighbours of the counted meters in ``late`` (silent at
      ``"unmask"``) reveal their share of each late meter's self-mask point
      and their unmasking pair with it.
    """

    roster_digest: bytes
    index: int
    kind: RequestKind
    counted: tuple[bytes, ...]
    dropped: tuple[bytes, ...]
    late: tuple[bytes, ...] = ()
    signature: bytes = b""

    def to_be_signed(self) -> bytes:
        return _REQUEST_DOMAIN + _cbor(
            [
                self.roster_digest,
                self.index,
                self.kind,
                list(self.counted),
                list(self.dropped),
                list(self.late),
            ]
        )


@dataclass(frozen=True)
class RecoveryResponse:
    """A meter's answer for one interval. ``"pairwise"``: ``pairwise`` holds
    the pairwise masks ``{dropped neighbour: (m_r, m_o)}``; ``"unmask"``:
    ``unmask`` is ``z_value || z_blinding`` (64 bytes); ``"late"``:
    ``self_points`` holds ``{late neighbour: share point}`` and ``pairwise``
    the unmasking pairs ``{late neighbour: (u_r, u_o)}``."""

    meter_id: bytes
    index: int
    kind: RequestKind
    pairwise: Mapping[bytes, tuple[bytes, bytes]] = field(default_factory=dict)
    self_points: Mapping[bytes, bytes] = field(default_factory=dict)
    unmask: bytes = b""


# --------------------------------------------------------------------------
# the meter
# --------------------------------------------------------------------------


def _self_base(roster_digest: bytes, index: int) -> Element:
    """The self-mask base point of an interval (as in privbill_mask_self_point)."""
    return Element.hash_to_group(roster_digest + index.to_bytes(8, "big"), _SELF_DOMAIN)


def _share_key(pair_key: bytes, sender: bytes, recipient: bytes) -> bytes:
    info = _SHARE_DOMAIN + sender + recipient
    out = _ffi.out_bytes(32)
    rc = lib.privbill_hkdf_sha512_expand(out, 32, pair_key, len(pair_key), info, len(info))
    _ffi.check(rc, RangeError, "hkdf")
    return _ffi.to_bytes(out)


@dataclass
class _Answered:
    """What a meter revealed for one interval (the rules of :meth:`MeterClient.recover`)."""

    view: frozenset[bytes] | None = None  # the counted set of its last pairwise answer
    revealed: frozenset[bytes] = frozenset()  # neighbours whose pairwise masks it revealed
    unmasked: frozenset[bytes] | None = None  # the counted set of its unmasking answer


@dataclass
class _Enrolment:
    roster: Roster
    position: int
    neighbours: tuple[bytes, ...]  # ids, in graph order
    keys: bytes  # 64 bytes per neighbour, in neighbour order
    subtract: bytes  # one flag per neighbour
    self_secret: bytes
    min_kept: int  # fewest counted neighbours this meter answers with
    shares_held: dict[bytes, bytes]  # sender id -> share (32-byte scalar)
    answered: dict[int, _Answered]


class MeterClient:
    """The meter (or its head-end proxy) in the masking protocol.

    Holds an X25519 key (for pairwise masks) and an Ed25519 key (for
    Paillier reports and enrolment). :meth:`join` a signed roster, relay the
    returned encrypted shares, :meth:`accept_shares` from the neighbours,
    then :meth:`report` once per interval and answer :meth:`recover`.

    ``min_threshold`` is the smallest roster threshold the meter accepts
    (the regulator's floor, :data:`MIN_THRESHOLD` by default).
    ``last_reported`` restores the highest interval the meter has reported,
    which it must keep in non-volatile memory across rosters: it never
    reports an interval twice (:attr:`last_reported`). ``trusted_holders``
    is the Paillier key holders' digest it was provisioned with
    (:attr:`PaillierSettlement.holders_digest`): it encrypts for no others.
    """

    def __init__(
        self,
        meter_id: bytes,
        x25519_secret: bytes | None = None,
        signing_key: SigningKey | None = None,
        *,
        min_threshold: int = 0,
        last_reported: int | None = None,
        trusted_holders: bytes | None = None,
    ) -> None:
        self.meter_id = _ffi.as_bytes("meter_id", meter_id, _ID)
        self._sk = (
            os.urandom(_X25519)
            if x25519_secret is None
            else _ffi.as_bytes("x25519_secret", x25519_secret, _X25519)
        )
        self.signing_key = signing_key or SigningKey.generate()
        self.min_threshold = MIN_THRESHOLD if min_threshold == 0 else min_threshold
        self.trusted_holders = (
            None
            if trusted_holders is None
            else _ffi.as_bytes("trusted_holders", trusted_holders, 32)
        )
        if isinstance(self.min_threshold, bool) or not 2 <= self.min_threshold <= _MAX_GROUP:
            raise RosterError(f"min_threshold must be in [2, {_MAX_GROUP}]")
        # (interval, roster digest) of the last report; b"" digest: restored.
        # (interval, context, inputs) of the last report; b"" context: restored.
        self._last: tuple[int, bytes, bytes] | None = None
        if last_reported is not None:
            self._last = (_ffi.as_uint("last_reported", last_reported, 64), b"", b"")
        self.public_key = _x25519_public(self._sk)
        self._enrolment: _Enrolment | None = None
        self._aggregator_key: VerifyingKey | None = None

    def __repr__(self) -> str:
        return f"MeterClient({self.meter_id.hex()})"

    @property
    def member(self) -> RosterMember:
        """What the meter contributes to a roster."""
        return RosterMember(
            self.meter_id, self.public_key, self.signing_key.verifying_key.to_bytes()
        )

    @property
    def roster(self) -> Roster:
        return self._state().roster

    @property
    def last_reported(self) -> int | None:
        """The highest interval this meter has reported, under any roster."""
        return None if self._last is None else self._last[0]

    def _accept(self, signed: SignedRoster, aggregator_key: VerifyingKey) -> Roster:
        """The roster, if signed by the aggregator, at or above this meter's
        threshold floor and listing this meter's keys; else RosterError."""
        roster = signed.verify(aggregator_key)
        if roster.threshold < self.min_threshold:
            raise RosterError(
                f"threshold {roster.threshold} is below this meter's floor {self.min_threshold}"
            )
        if roster.members[roster.position(self.meter_id)] != self.member:
            raise RosterError("the roster lists another key for this meter")
        return roster

    def _agree(self, peer_public: bytes, what: str) -> bytes:
        """The X25519 shared secret with ``peer_public`` (RosterError if it has small order)."""
        return _x25519(self._sk, peer_public, what)

    def _state(self) -> _Enrolment:
        if self._enrolment is None:
            raise RosterError("this meter has not joined a roster")
        return self._enrolment

    # --- enrolment ------------------------------------------------------

    def join(self, signed: SignedRoster, aggregator_key: VerifyingKey) -> list[EncryptedShare]:
        """Verify the roster, derive the pairwise keys with the neighbours,
        draw the self-mask secret and return its shares, encrypted to each
        neighbour (for the aggregator to relay). A roster whose threshold is
        below this meter's ``min_threshold`` is refused (:class:`RosterError`)."""
        roster = self._accept(signed, aggregator_key)
        pos = roster.position(self.meter_id)
        digest = roster.digest
        nbrs = roster.graph[pos]
        keys = bytearray()
        flags = bytearray()
        kbuf = _ffi.out_bytes(_MASK_KEY)
        for j in nbrs:
            peer = roster.members[j]
            rc = lib.privbill_mask_pair_key(
                kbuf, self._sk, peer.x25519_public, digest, self.meter_id, peer.meter_id
            )
            _ffi.check(rc, RosterError, f"X25519 key of {peer.meter_id.hex()} has small order")
            keys += _ffi.to_bytes(kbuf)
            flags.append(1 if self.meter_id > peer.meter_id else 0)
        _ffi.wipe(kbuf)
        secret = Scalar.random()
        shares = _shamir_share(secret, roster.share_threshold, [j + 1 for j in nbrs])
        out = []
        for n, (j, share) in enumerate(zip(nbrs, shares, strict=True)):
            to = roster.members[j].meter_id
            key = _share_key(bytes(keys[64 * n : 64 * n + 64]), self.meter_id, to)
            ct = nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt(
                bytes(share), digest + self.meter_id + to, bytes(12), key
            )
            out.append(EncryptedShare(digest, self.meter_id, to, ct))
        self._enrolment = _Enrolment(
            roster,
            pos,
            tuple(roster.members[j].meter_id for j in nbrs),
            bytes(keys),
            bytes(flags),
            bytes(secret),
            max(1, len(nbrs) - roster.share_threshold + 1),
            {},
            {},
        )
        self._aggregator_key = aggregator_key
        return out

    def accept_shares(self, shares: Iterable[EncryptedShare]) -> None:
        """Keep the shares addressed to this meter (others are ignored).
        Raises :class:`RosterError` for a share that does not decrypt or
        comes from a non-neighbour."""
        st = self._state()
        digest = st.roster.digest
        index_of = {m: n for n, m in enumerate(st.neighbours)}
        for s in shares:
            if s.recipient != self.meter_id:
                continue
            if s.roster_digest != digest:
                raise RosterMismatchError("a share was made under another roster")
            n = index_of.get(s.sender)
            if n is None:
                raise RosterError("a share from a meter that is not a neighbour")
            key = _share_key(st.keys[64 * n : 64 * n + 64], s.sender, self.meter_id)
            try:
                share = nacl.bindings.crypto_aead_chacha20poly1305_ietf_decrypt(
                    s.ciphertext, digest + s.sender + self.meter_id, bytes(12), key
                )
            except nacl.exceptions.CryptoError:
                raise RosterError("a share does not decrypt") from None
            if len(share) != _SCALAR or lib.privbill_scalar_is_canonical(share) != 1:
                raise RosterError("a share is not a scalar")
            st.shares_held[s.sender] = share

    @property
    def ready(self) -> bool:
        """True once shares from every neighbour arrived."""
        st = self._state()
        return len(st.shares_held) == len(st.neighbours)

    # --- per interval ---------------------------------------------------

    def report(self, index: int, value: int, blinding: Scalar) -> MaskedReport:
        """The masked report of ``(value, blinding)`` for interval ``index``
        (one C call: the self mask and every pairwise mask).

        Refused with :class:`LateReportError` for an interval this meter has
        answered a recovery request for, and for any interval at or before
        the last one it reported under another roster (so that no aggregator
        can difference two sums of one interval over different groups).
        Asking again for the last interval under the same roster with the
        same value and blinding gives the same report (a retry); with others
        it is refused (two masked values under one mask give their difference).
        """
        st = self._state()
        idx = _ffi.as_uint("index", index, 64)
        v = _ffi.as_uint("value", value, 64)
        if not isinstance(blinding, Scalar):
            raise TypeError("blinding must be a Scalar")
        digest = st.roster.digest
        if idx in st.answered:
            raise LateReportError(f"interval {idx} is already in recovery")
        self._claim(idx, digest, v.to_bytes(8, "little") + bytes(blinding))
        yv, yb = _ffi.out_bytes(_SCALAR), _ffi.out_bytes(_SCALAR)
        n = len(st.neighbours)
        rc = lib.privbill_mask_report(
            yv, yb, v, bytes(blinding), st.self_secret, digest, idx,
            st.keys if n else ffi.NULL, st.subtract if n else ffi.NULL, n,
        )  # fmt: skip
        _ffi.check(rc, RangeError, "bad subtract flag")
        return MaskedReport(self.meter_id, digest, idx, _ffi.to_bytes(yv), _ffi.to_bytes(yb))

    def _claim(self, idx: int, context: bytes, inputs: bytes) -> None:
        """Record a report of interval ``idx`` under ``context`` (the roster, and the
        keys for Paillier) of ``inputs`` (value and blinding), or raise
        LateReportError for an earlier interval, or for the same one under another
        context or of other inputs (the same context and inputs are a retry)."""
        last = self._last
        if last is not None and (idx < last[0] or (idx == last[0] and context != last[1])):
            raise LateReportError(
                f"interval {idx}: this meter has reported up to interval {last[0]}"
            )
        if last is not None and idx == last[0] and inputs != last[2]:
            raise LateReportError(
                f"interval {idx} was reported with another value: a retry repeats it"
            )
        self._last = (idx, context, inputs)

    def _check_request(self, request: RecoveryRequest) -> frozenset[bytes]:
        """The counted set of a request this meter may answer, or RecoveryRefusedError."""
        st = self._state()
        roster = st.roster
        assert self._aggregator_key is not None  # set by join with the roster
        try:
            self._aggregator_key.verify(request.to_be_signed(), request.signature)
        except BadSignatureError:
            raise RecoveryRefusedError("the recovery request is not signed") from None
        if request.roster_digest != roster.digest:
            raise RecoveryRefusedError("the recovery request is for another roster")
        counted, dropped = frozenset(request.counted), frozenset(request.dropped)
        if (
            len(counted) != len(request.counted)
            or len(dropped) != len(request.dropped)
            or counted & dropped
            or counted | dropped != set(roster.ids)
        ):
            raise RecoveryRefusedError("counted and dropped do not partition the roster")
        if len(counted) < roster.threshold:
            raise RecoveryRefusedError(
                f"{len(counted)} counted is below the threshold {roster.threshold}"
            )
        if self.meter_id not in counted:
            raise RecoveryRefusedError("this meter is not counted: it reveals nothing")
        if request.kind != "late" and request.late:
            raise RecoveryRefusedError("only a late request names late meters")
        if not counted.issuperset(request.late):
            raise RecoveryRefusedError("a late meter must be counted")
        kept = sum(1 for m in st.neighbours if m in counted)
        if kept < st.min_kept:
            raise RecoveryRefusedError(
                f"only {kept} of {len(st.neighbours)} neighbours counted: fewer than "
                f"{st.min_kept} would let the aggregator strip this meter's masks"
            )
        return counted

    def recover(self, request: RecoveryRequest) -> RecoveryResponse:
        """Answer a recovery request, or raise :class:`RecoveryRefusedError`.

        Rules (docs/settlement.md, "What a meter reveals"): the request is
        signed by the aggregator that signed the roster, is for this roster,
        ``counted`` and ``dropped`` partition it, ``|counted| >= t``, this
        meter is counted, and at least ``k - s + 1`` of its ``k`` neighbours
        are counted. Per interval the counted sets a meter answers only
        shrink; it reveals pairwise masks only with neighbours outside them,
        answers the unmasking once (for one counted set, after the pairwise
        masks of every dropped neighbour), and reveals its share of a late
        neighbour's self mask, and their unmasking pair, only under the
        counted set of its own unmasking answer.
        """
        st = self._state()
        counted = self._check_request(request)
        idx = request.index
        ans = st.answered.setdefault(idx, _Answered())
        nb = st.neighbours
        if ans.view is not None and not counted <= ans.view:
            raise RecoveryRefusedError("a meter dropped in an earlier answer is counted again")
        dropped_nb = frozenset(m for m in nb if m not in counted)
        mr, mo = _ffi.out_bytes(_SCALAR), _ffi.out_bytes(_SCALAR)
        if request.kind == "pairwise":
            if ans.unmasked is not None:
                raise RecoveryRefusedError(f"interval {idx} is already unmasked")
            pair: dict[bytes, tuple[bytes, bytes]] = {}
            for n, m in enumerate(nb):
                if m in dropped_nb:
                    lib.privbill_mask_pair(mr, mo, st.keys[64 * n : 64 * n + 64], idx)
                    pair[m] = (_ffi.to_bytes(mr), _ffi.to_bytes(mo))
            ans.view, ans.revealed = counted, dropped_nb
            return RecoveryResponse(self.meter_id, idx, "pairwise", pairwise=pair)
        if request.kind == "unmask":
            if ans.unmasked is not None and ans.unmasked != counted:
                raise RecoveryRefusedError(f"interval {idx} was unmasked for another counted set")
            if dropped_nb != ans.revealed:
                raise RecoveryRefusedError(
                    "the pairwise masks with the dropped neighbours come first"
                )
            flags = bytes(1 if m in counted else 0 for m in nb)
            n = len(nb)
            rc = lib.privbill_mask_unmask(
                mr, mo, st.self_secret, st.roster.digest, idx,
                st.keys if n else ffi.NULL, st.subtract if n else ffi.NULL, flags, n,
            )  # fmt: skip
            _ffi.check(rc, RangeError, "bad flag")
            ans.view = ans.unmasked = counted
            z = _ffi.to_bytes(mr) + _ffi.to_bytes(mo)
            return RecoveryResponse(self.meter_id, idx, "unmask", unmask=z)
        if request.kind == "late":
            if ans.unmasked != counted:
                raise RecoveryRefusedError(
                    "a late request must follow this meter's unmasking of the same set"
                )
            late = frozenset(request.late)
            pts: dict[bytes, bytes] = {}
            pairs: dict[bytes, tuple[bytes, bytes]] = {}
            q = _ffi.out_bytes(_ffi.ELEMENTBYTES)
            # P = hash_to_group(digest || be64(index), SELF_DOMAIN), hashed once;
            # share * P for each late neighbour, exactly privbill_mask_self_point.
            base = bytes(_self_base(st.roster.digest, idx))
            for n, m in enumerate(nb):
                if m not in late:
                    continue
                share = st.shares_held.get(m)
                if share is not None:
                    rc = lib.privbill_ristretto255_scalarmult(q, share, base)
                    _ffi.check(rc, EncodingError, "self-mask base")
                    pts[m] = _ffi.to_bytes(q)
                lib.privbill_mask_pair_unmask(mr, mo, st.keys[64 * n : 64 * n + 64], idx)
                pairs[m] = (_ffi.to_bytes(mr), _ffi.to_bytes(mo))
            return RecoveryResponse(self.meter_id, idx, "late", pairs, pts)
        raise RecoveryRefusedError(f"unknown request kind {request.kind!r}")


# --------------------------------------------------------------------------
# commitments and transport
# --------------------------------------------------------------------------


class CommitmentSource(Protocol):
    """Where the aggregator finds the public commitments: the sum over the
    counted meters of their commitments for one interval."""

    def sum(self, index: int, meter_ids: Sequence[bytes]) -> Element: ...


class CommitmentBook:
    """Commitments by (meter, interval), kept decoded per interval (one
    :class:`~privbill.pedersen.CommitmentSet` each, built on first use), so
    that a round's check is one C call over the counted meters.

    Fill it from signed meter batches (:meth:`add_batch`, after the data hub
    verified them) or directly (:meth:`add`).
    """

    def __init__(self) -> None:
        self._raw: dict[int, dict[bytes, bytes]] = {}
        self._decoded: dict[int, tuple[CommitmentSet, dict[bytes, int], Element]] = {}

    def add(self, meter_id: bytes, index: int, commitment: Element | bytes) -> None:
        c = bytes(commitment)
        self._raw.setdefault(index, {})[meter_id] = c
        self._decoded.pop(index, None)

    def add_many(self, index: int, items: Mapping[bytes, bytes]) -> None:
        """All commitments of one interval at once: ``{meter_id: 32 bytes}``."""
        self._raw.setdefault(index, {}).update(items)
        self._decoded.pop(index, None)

    def add_batch(self, batch: Any) -> None:
        """Every present commitment of a :class:`~privbill.wire.SignedBatch`
        (whose signature and chain the caller has verified)."""
        p = batch.payload
        for idx, c in p.present_commitments():
            self.add(p.meter_id, idx, c)

    def get(self, meter_id: bytes, index: int) -> bytes | None:
        return self._raw.get(index, {}).get(meter_id)

    def sum(self, index: int, meter_ids: Sequence[bytes]) -> Element:
        """The sum of the commitments of ``meter_ids`` (distinct) for ``index``.

        The interval's commitments are decoded and summed once, on first use
        (in effect when their batches arrive); a round then costs the sum of
        the few commitments it leaves out, or of the ones it counts if fewer.
        """
        dec = self._decoded.get(index)
        if dec is None:
            raw = self._raw.get(index, {})
            order = list(raw)
            cs = CommitmentSet.from_bytes(b"".join(raw[m] for m in order))
            dec = (cs, {m: i for i, m in enumerate(order)}, cs.sum())
            self._decoded[index] = dec
        cs, pos, total = dec
        wanted = set(meter_ids)
        unknown = wanted - pos.keys()
        if unknown:
            raise AggregateVerificationError(
                f"no commitment of meter {min(unknown).hex()} for interval {index}"
            )
        if 2 * len(wanted) < len(pos):
            return cs.sum([pos[m] for m in wanted])
        return total - cs.sum([i for m, i in pos.items() if m not in wanted])


class RecoveryTransport(Protocol):
    """Delivers a recovery request to one meter; None if it does not answer
    (or refuses). A transport may also offer ``recover_many(meter_ids,
    request)``, answers in order, which the aggregator then uses."""

    def recover(self, meter_id: bytes, request: RecoveryRequest) -> RecoveryResponse | None: ...


class LocalTransport:
    """In-process delivery to :class:`MeterClient` objects; meters in
    ``offline`` do not answer (a dropout during recovery), and a meter that
    refuses (:class:`RecoveryRefusedError`) counts as not answering."""

    def __init__(self, meters: Iterable[MeterClient]) -> None:
        self.meters = {m.meter_id: m for m in meters}
        self.offline: set[bytes] = set()

    def recover(self, meter_id: bytes, request: RecoveryRequest) -> RecoveryResponse | None:
        m = self.meters.get(meter_id)
        if m is None or meter_id in self.offline:
            return None
        try:
            return m.recover(request)
        except RecoveryRefusedError:
            return None

    def recover_many(
        self, meter_ids: Sequence[bytes], request: RecoveryRequest
    ) -> list[RecoveryResponse | None]:
        return [self.recover(m, request) for m in meter_ids]


# --------------------------------------------------------------------------
# the aggregator
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class IntervalAggregate:
    """The verified result of one round."""

    interval: int
    start: datetime
    sum_wh: int
    households: tuple[bytes, ...]
    dropped: tuple[bytes, ...]
    verified: bool

    def to_json(self) -> dict[str, object]:
        """The CLI's JSON form (ids as hex)."""
        return {
            "start": self.start.isoformat(),
            "sum_wh": self.sum_wh,
            "households": [m.hex() for m in self.households],
            "dropped": [m.hex() for m in self.dropped],
            "verified": self.verified,
        }


def _check_sum(
    commitments: CommitmentSource, index: int, counted: Sequence[bytes], r: int, o: bytes
) -> None:
    """``sum C_i == R*G + O*H`` over ``counted``, or AggregateVerificationError."""
    n = len(counted)
    if not 0 <= r <= n * MAX_READING:
        raise AggregateVerificationError(
            f"interval {index}: the recovered sum is not a sum of {n} readings"
        )
    total = commitments.sum(index, counted)
    try:
        verify_opening(total, r, Scalar.from_bytes(o))
    except VerificationError:
        raise AggregateVerificationError(
            f"interval {index}: the aggregate does not open the counted commitments"
        ) from None


def _sum_blob(blob: bytes, count: int) -> tuple[int, int, int | None]:
    """Sums mod l of ``count`` 64-byte (value, blinding) pairs laid end to end, in
    one C call, and the position of the first pair that is not two canonical
    scalars (or None)."""
    if not count:
        return 0, 0, None
    sv, sb = _ffi.out_bytes(_SCALAR), _ffi.out_bytes(_SCALAR)
    bad = ffi.new("size_t *")
    if lib.privbill_mask_sum(sv, sb, _ffi.in_buffer(blob), count, bad) != 0:
        return 0, 0, int(bad[0])
    return (
        int.from_bytes(_ffi.to_bytes(sv), "little"),
        int.from_bytes(_ffi.to_bytes(sb), "little"),
        None,
    )


def _sum_pairs(pairs: Sequence[bytes]) -> tuple[int, int, int | None]:
    """:func:`_sum_blob` of separate pairs (one of the wrong length is bad)."""
    blob = b"".join(pairs)
    if len(blob) != 64 * len(pairs):
        return 0, 0, next(i for i, p in enumerate(pairs) if len(p) != 64)
    return _sum_blob(blob, len(pairs))


def _pair_int(masks: object) -> tuple[int, int] | None:
    """A revealed (m_r, m_o) as two ints, or None if it is not two canonical scalars."""
    if not isinstance(masks, tuple) or len(masks) != 2:
        return None
    out = []
    for b in masks:
        if not isinstance(b, bytes) or len(b) != _SCALAR:
            return None
        v = int.from_bytes(b, "little")
        if v >= L:
            return None
        out.append(v)
    return out[0], out[1]


class Round:
    """One interval of the masking protocol, on the aggregator's side."""

    def __init__(self, agg: Aggregator, index: int) -> None:
        self.aggregator = agg
        self.index = index
        self.state: Literal["collecting", "recovery", "done", "aborted"] = "collecting"
        self.reports: dict[bytes, MaskedReport] = {}
        self._ys = bytearray()  # y_value || y_blinding of every accepted report

    def submit(self, report: MaskedReport | bytes) -> None:
        """Accept one report, or raise the :class:`ReportError` subclass that
        says why not."""
        roster = self.aggregator.roster
        rep = MaskedReport.decode(report) if not isinstance(report, MaskedReport) else report
        if isinstance(report, MaskedReport):
            rep.check()
        if self.state != "collecting":
            raise LateReportError(f"interval {self.index}: the round is closed")
        if rep.roster_digest != roster.digest:
            raise RosterMismatchError("the report was made under another roster")
        if rep.index != self.index:
            raise StaleReportError(
                f"a report for interval {rep.index} sent to the round of {self.index}"
            )
        roster.position(rep.meter_id)  # UnknownReporterError
        if rep.meter_id in self.reports:
            raise DuplicateReportError(f"a second report from {rep.meter_id.hex()}")
        self.reports[rep.meter_id] = rep
        self._ys += rep.y_value + rep.y_blinding

    def _request(
        self, kind: RequestKind, counted: Sequence[bytes], late: Sequence[bytes] = ()
    ) -> RecoveryRequest:
        ids = self.aggregator.roster.ids
        cs = set(counted)
        req = RecoveryRequest(
            self.aggregator.roster.digest,
            self.index,
            kind,
            tuple(filter(cs.__contains__, ids)),
            tuple(itertools.filterfalse(cs.__contains__, ids)),
            tuple(late),
        )
        sig = self.aggregator.signing_key.sign(req.to_be_signed())
        return dataclasses.replace(req, signature=sig)

    def _ask(
        self, meter_ids: Sequence[bytes], request: RecoveryRequest
    ) -> Sequence[RecoveryResponse | None]:
        transport = self.aggregator.transport
        if transport is None:
            return [None] * len(meter_ids)
        many = getattr(transport, "recover_many", None)
        if many is not None:
            answers = list(many(meter_ids, request))
            if len(answers) != len(meter_ids):
                raise RecoveryError("the transport answered for another number of meters")
            return answers
        return [transport.recover(m, request) for m in meter_ids]

    def _enough(self, counted: Sequence[bytes], when: str) -> None:
        t = self.aggregator.roster.threshold
        if len(counted) < t:
            raise ThresholdError(f"interval {self.index}: {len(counted)} {when}, threshold {t}")

    def close(self) -> IntervalAggregate:
        """Stop accepting reports, recover, unmask, verify. Any failure aborts
        the round (its error says why); nothing is released then."""
        if self.state != "collecting":
            raise AggregationError(f"interval {self.index}: the round is {self.state}")
        self.state = "recovery"
        try:
            result = self._unmask()
        except BaseException:
            self.state = "aborted"
            raise
        self.state = "done"
        return result

    def _viable(self, counted: list[bytes]) -> list[bytes]:
        """Leave out the meters that would refuse to answer: those with fewer
        than ``k - s + 1`` counted neighbours (and, in turn, those that lose
        too many neighbours that way)."""
        roster = self.aggregator.roster
        ids, graph, pos, s = roster.ids, roster.graph, roster.position, roster.share_threshold
        cset = set(counted)
        # Only the neighbours of meters outside the counted set can lack counted neighbours.
        todo = [ids[j] for w in ids if w not in cset for j in graph[pos(w)]]
        while todo:
            out = {
                m
                for m in todo
                if m in cset
                and sum(1 for j in graph[pos(m)] if ids[j] in cset)
                < max(1, len(graph[pos(m)]) - s + 1)
            }
            cset.difference_update(out)
            todo = [ids[j] for m in out for j in graph[pos(m)]]
        counted = [m for m in counted if m in cset]
        self._enough(counted, "counted with enough counted neighbours")
        return counted

    def _pairwise(self, counted: list[bytes]) -> tuple[list[bytes], int, int]:
        """Phase 1: the pairwise masks of counted meters with their dropped
        neighbours. A meter that does not answer, or leaves a requested mask
        out, joins the dropped side and its neighbours are asked again (no
        unmasking has been answered yet). Returns the counted set and the
        sums (mod l) to subtract."""
        roster = self.aggregator.roster
        ids, graph, pos = roster.ids, roster.graph, roster.position
        masks: dict[tuple[bytes, bytes], tuple[int, int]] = {}
        answered_for: dict[bytes, frozenset[bytes]] = {}
        while True:
            cset = set(counted)
            need: dict[bytes, frozenset[bytes]] = {}
            for w in ids:
                if w in cset:
                    continue
                for j in graph[pos(w)]:
                    m = ids[j]
                    if m in cset and m not in need:
                        dn = frozenset(ids[x] for x in graph[pos(m)] if ids[x] not in cset)
                        if answered_for.get(m) != dn:
                            need[m] = dn
            if not need:
                break
            req = self._request("pairwise", counted)
            silent = set()
            for m, resp in zip(need, self._ask(list(need), req), strict=True):
                got = {} if resp is None or resp.kind != "pairwise" else resp.pairwise
                vals = {p: _pair_int(v) for p, v in got.items()}
                if set(vals) != need[m] or any(v is None for v in vals.values()):
                    silent.add(m)  # no answer, or not the masks asked for
                    continue
                for peer, v in vals.items():
                    masks[(m, peer)] = v  # type: ignore[assignment]
                answered_for[m] = need[m]
            if silent:
                counted = [m for m in counted if m not in silent]
                self._enough(counted, "counted after recovery dropouts")
        cset = set(counted)
        r = o = 0
        for (m, peer), (mr, mo) in masks.items():
            if m in cset and peer not in cset:
                sign = 1 if m < peer else -1  # m added the mask if its id is the smaller
                r, o = r + sign * mr, o + sign * mo
        return counted, r % L, o % L

    def _late(self, counted: list[bytes], late: list[bytes]) -> tuple[int, int]:
        """Phase 3, only for meters silent at the unmasking: what their answers
        would have been, from their neighbours' self-mask shares (Lagrange in
        the exponent) and unmasking pairs; RecoveryError if some are missing."""
        roster = self.aggregator.roster
        ids, graph, pos = roster.ids, roster.graph, roster.position
        cset, lset = set(counted), set(late)
        req = self._request("late", counted, late)
        holders = sorted(
            {ids[j] for u in late for j in graph[pos(u)] if ids[j] in cset and ids[j] not in lset}
        )
        points: dict[bytes, dict[int, bytes]] = {u: {} for u in late}
        pairs: dict[tuple[bytes, bytes], tuple[int, int]] = {}
        for h, resp in zip(holders, self._ask(holders, req), strict=True):
            if resp is None or resp.kind != "late":
                continue
            nb = {ids[j] for j in graph[pos(h)]}
            for u, pt in resp.self_points.items():
                if u in lset and u in nb and isinstance(pt, bytes):
                    points[u][pos(h) + 1] = pt
            for u, masks in resp.pairwise.items():
                got = _pair_int(masks)
                if u in lset and u in nb and got is not None:
                    pairs[(h, u)] = got
        sr, so = _self_masks(points, roster.share_threshold, self.index)
        r, o = int.from_bytes(bytes(sr), "little"), int.from_bytes(bytes(so), "little")
        for u in late:
            for j in graph[pos(u)]:
                v = ids[j]
                if v not in cset or v in lset:
                    continue  # dropped, or late too: the two terms cancel
                pair = pairs.get((v, u))
                if pair is None:
                    raise RecoveryError(
                        f"interval {self.index}: the unmasking pair of late meter "
                        f"{u.hex()} with {v.hex()} did not arrive"
                    )
                sign = 1 if u < v else -1  # as u would have added it
                r, o = r + sign * pair[0], o + sign * pair[1]
        return r % L, o % L

    def _report_sums(self, counted: list[bytes]) -> tuple[int, int]:
        """Sums of the counted reports: of all accepted ones (one C call over the
        running buffer) less those left out, when that is the shorter way."""
        reps = self.reports
        if len(self._ys) == 64 * len(reps) and 2 * len(counted) > len(reps):
            cset = set(counted)
            out = [m for m in reps if m not in cset]
            yr, yo, bad = _sum_blob(bytes(self._ys), len(reps))
            xr, xo, bad2 = _sum_pairs([reps[m].y_value + reps[m].y_blinding for m in out])
            if bad is None and bad2 is None:
                return (yr - xr) % L, (yo - xo) % L
        yr, yo, bad = _sum_pairs([reps[m].y_value + reps[m].y_blinding for m in counted])
        if bad is not None:
            raise MalformedReportError(f"the report of {counted[bad].hex()} is malformed")
        return yr, yo

    def _unmask(self) -> IntervalAggregate:
        agg = self.aggregator
        roster = agg.roster
        counted = [m for m in roster.ids if m in self.reports]
        self._enough(counted, "reports")
        counted = self._viable(counted)
        counted, pr, po = self._pairwise(counted)
        # Phase 2: one unmasking answer per counted meter (a 64-byte value).
        answers = self._ask(counted, self._request("unmask", counted))
        zs = [a.unmask if a is not None and a.kind == "unmask" else b"" for a in answers]
        present = [i for i, z in enumerate(zs) if z]
        while True:
            zr, zo, bad = _sum_pairs([zs[i] for i in present])
            if bad is None:
                break
            zs[present.pop(bad)] = b""  # a malformed answer counts as none
        late = [m for m, z in zip(counted, zs, strict=True) if not z]
        if late:
            lr, lo = self._late(counted, late)
            zr, zo = zr + lr, zo + lo
        yr, yo = self._report_sums(counted)
        total = (yr - zr - pr) % L
        blinding = (yo - zo - po) % L
        _check_sum(agg.commitments, self.index, counted, total, blinding.to_bytes(32, "little"))
        cset = set(counted)
        return IntervalAggregate(
            self.index,
            start_of(self.index, roster.period),
            total,
            tuple(counted),
            tuple(m for m in roster.ids if m not in cset),
            True,
        )


def _self_masks(
    points: Mapping[bytes, Mapping[int, bytes]], s: int, index: int
) -> tuple[Scalar, Scalar]:
    """Sum of the self masks of the counted meters, each from ``s`` share
    points interpolated in the exponent (public data: variable time MSM)."""
    acc_r, acc_o = Scalar.from_int(0), Scalar.from_int(0)
    mr, mo = _ffi.out_bytes(_SCALAR), _ffi.out_bytes(_SCALAR)
    out = ffi.new("privbill_point[1]")
    q = _ffi.out_bytes(_ffi.ELEMENTBYTES)
    first_bad = ffi.new("size_t *")
    for target, pts in points.items():
        if len(pts) < s:
            raise RecoveryError(
                f"only {len(pts)} of {s} self-mask shares of {target.hex()} arrived"
            )
        xs = sorted(pts)[:s]
        lam = _lagrange_at_zero(xs)
        wire = b"".join(pts[x] for x in xs)
        decoded = ffi.new("privbill_point[]", s)
        if lib.privbill_points_decode(decoded, first_bad, _ffi.in_buffer(wire), s) != 0:
            raise RecoveryError(f"a self-mask share of {target.hex()} is not a valid point")
        scal = b"".join(v.to_bytes(32, "little") for v in lam)
        lib.privbill_points_msm_vartime(out, decoded, scal, s)
        lib.privbill_point_encode(q, out)
        lib.privbill_mask_self_from_point(mr, mo, q, index)
        acc_r = acc_r + Scalar._new(_ffi.to_bytes(mr))
        acc_o = acc_o + Scalar._new(_ffi.to_bytes(mo))
    return acc_r, acc_o


class Aggregator:
    """The aggregator of one group: opens and closes rounds, one per interval.

    ``backend="masking"`` needs a ``transport`` to reach meters for dropout
    recovery; ``backend="paillier"`` needs ``paillier`` (a
    :class:`PaillierSettlement`: the holders' public keys and the key
    holders; meters' signing keys come from the roster).
    """

    def __init__(
        self,
        roster: SignedRoster,
        signing_key: SigningKey,
        commitments: CommitmentSource,
        transport: RecoveryTransport | None = None,
        backend: Backend = "masking",
        paillier: Any = None,
    ) -> None:
        self.roster = roster.verify(signing_key.verifying_key)
        self.signed_roster = roster
        self.signing_key = signing_key
        self.commitments = commitments
        self.transport = transport
        if backend not in ("masking", "paillier"):
            raise AggregationError(f"unknown backend {backend!r}")
        if backend == "paillier" and paillier is None:
            raise AggregationError("the paillier backend needs its key holders")
        self.backend: Backend = backend
        self.paillier = paillier
        self._round: Any = None
        self._closed: set[int] = set()

    def open_round(self, index: int) -> Any:
        """Open the round of interval ``index`` (one at a time per aggregator;
        an interval is never opened twice)."""
        idx = _ffi.as_uint("index", index, 64)
        if idx in self._closed or (self._round is not None and self._round.index == idx):
            raise AggregationError(f"interval {idx} was already aggregated")
        if self.backend == "paillier":
            self._round = self.paillier.open_round(self, idx)
        else:
            self._round = Round(self, idx)
        return self._round

    def close_round(self) -> IntervalAggregate:
        """Close the open round: recover, unmask (or decrypt), verify."""
        rnd = self._round
        if rnd is None:
            raise AggregationError("no open round")
        self._round = None
        self._closed.add(rnd.index)
        try:
            return rnd.close()  # type: ignore[no-any-return]
        except BaseException:
            if getattr(rnd, "reopenable", False):  # nothing was released: it may run again
                self._closed.discard(rnd.index)
            raise


# --------------------------------------------------------------------------
# many groups through an Executor
# --------------------------------------------------------------------------


def run_groups(
    work: Callable[[Any], list[IntervalAggregate]],
    groups: Sequence[Any],
    executor: Executor | None = None,
) -> list[list[IntervalAggregate]]:
    """Run ``work(group)`` for each group, through ``executor`` when given
    (any :class:`concurrent.futures.Executor`: a process pool, Dask's
    ``client.get_executor()``); results in the order of ``groups``.
    ``work`` must be picklable for a process pool (a module-level function).

    >>> run_groups(lambda g: [g], [1, 2])
    [[1], [2]]
    """
    if executor is None:
        return [work(g) for g in groups]
    return list(executor.map(work, groups))


# --------------------------------------------------------------------------
# the Paillier backend
# --------------------------------------------------------------------------
#
# k key holders: holder 1 owns a Paillier key pair (and an X25519 key pair
# for sealing), holders 2..k an X25519 key pair each. A meter packs (value,
# blinding) into m, derives one share x_j of it per seed holder from a seed it
# agrees with that holder (X25519 + HKDF, fresh per interval), encrypts the
# rest y = m - sum x_j mod 2^K under holder 1's Paillier key and seals that
# ciphertext to holder 1 (ChaCha20-Poly1305): one ciphertext per report,
# whatever k, and nobody but holder 1 sees it (else a meter could sign one
# that cancels the others' out of the product). Holder 1 multiplies the
# ciphertexts of >= t genuine reports, once per interval, decrypts and
# releases sum y mod 2^K; seed holder j releases sum x_j mod 2^K over the same
# reports; the aggregator adds the k releases mod 2^K (docs/settlement.md
# section 3 has the argument).

_PAILLIER_REPORT_DOMAIN: Final = b"privbill/v1/settlement/paillier-report"
_PAILLIER_KEYS_DOMAIN: Final = b"privbill/v1/settlement/paillier-keys"
_PAILLIER_HOLDERS_DOMAIN: Final = b"privbill/v1/settlement/paillier-holders"
_PAILLIER_SEALED_DOMAIN: Final = b"privbill/v1/settlement/paillier-sealed"
_PAILLIER_SEAL_DOMAIN: Final = b"privbill/v1/settlement/paillier-seal"
_PAILLIER_SEED_DOMAIN: Final = b"privbill/v1/settlement/paillier-seed"
_PAILLIER_SHARE_DOMAIN: Final = b"privbill/v1/settlement/paillier-share"
_MAX_HOLDERS: Final = 64
_HEX_KEY = re.compile(r"[0-9a-f]{64}")
_NONCE: Final = 12  # ChaCha20-Poly1305 (RFC 8439): a random 96-bit nonce per seal
_TAG: Final = 16
#: Longest sealed ciphertext: keys up to 8192 bits, so n^2 fits in 2048 bytes.
_MAX_SEALED: Final = _NONCE + 2048 + _TAG


def _paillier_keys_digest(
    public_key: PaillierPublicKey,
    sealing_key: bytes,
    seed_keys: Sequence[bytes],
    packing: PackingParams,
) -> bytes:
    """32 bytes naming holder 1's Paillier and sealing keys, the seed holders'
    X25519 keys (in order) and the packing. Reports carry it, so a report made
    for other holders is refused before anyone decrypts; seeds are bound to it."""
    obj = [
        packing.value_bits,
        packing.max_households,
        str(public_key.n),
        sealing_key,
        list(seed_keys),
    ]
    return hashlib.sha512(_PAILLIER_KEYS_DOMAIN + _cbor(obj)).digest()[:32]


def _paillier_holders_digest(
    public_key: PaillierPublicKey, sealing_key: bytes, seed_keys: Sequence[bytes]
) -> bytes:
    """32 bytes naming the holders' public keys alone: what a meter is
    provisioned with, so that nobody can hand it keys of their own."""
    obj = [str(public_key.n), sealing_key, list(seed_keys)]
    return hashlib.sha512(_PAILLIER_HOLDERS_DOMAIN + _cbor(obj)).digest()[:32]


def _hkdf(salt: bytes, ikm: bytes, info: bytes) -> bytes:
    """HKDF-SHA-512 (RFC 5869) with L = 64, by the C core."""
    prk, out = _ffi.out_bytes(64), _ffi.out_bytes(64)
    lib.privbill_hkdf_sha512_extract(prk, salt, len(salt), ikm, len(ikm))
    rc = lib.privbill_hkdf_sha512_expand(out, 64, prk, 64, info, len(info))
    _ffi.wipe(prk)
    _ffi.check(rc, RangeError, "hkdf")
    return _ffi.to_bytes(out)


def _seal_key(
    shared: bytes, roster_digest: bytes, keys_digest: bytes, meter_id: bytes
) -> ChaCha20Poly1305:
    """The AEAD a meter seals its ciphertexts with for holder 1, keyed with the
    first 32 bytes of ``HKDF-SHA-512(salt = SEAL_DOMAIN, ikm = X25519(meter,
    holder 1), info = roster_digest || keys_digest || meter_id)``."""
    info = roster_digest + keys_digest + meter_id
    return ChaCha20Poly1305(_hkdf(_PAILLIER_SEAL_DOMAIN, shared, info)[:32])


def _seal_ad(meter_id: bytes, roster_digest: bytes, keys_digest: bytes, index: int) -> bytes:
    return meter_id + roster_digest + keys_digest + index.to_bytes(8, "big")


def _seed(
    shared: bytes, roster_digest: bytes, keys_digest: bytes, meter_id: bytes, holder: int
) -> hmac.HMAC:
    """The seed of one meter and seed holder ``holder`` (2..k), from their
    X25519 shared secret: ``HKDF-SHA-512(salt = SEED_DOMAIN, ikm = shared,
    info = roster_digest || keys_digest || meter_id || u8(holder), L = 64)``,
    returned keyed for :func:`_seed_shares` (HMAC-SHA-512 with the seed as key)."""
    info = roster_digest + keys_digest + meter_id + bytes([holder])
    return hmac.new(_hkdf(_PAILLIER_SEED_DOMAIN, shared, info), digestmod="sha512")


def _seed_shares(seeds: Iterable[hmac.HMAC], index: int, nbytes: int) -> Iterator[int]:
    """For each seed, ``HKDF-Expand(seed, SHARE_DOMAIN || be64(index), nbytes)``
    as a little-endian integer: a seed holder's share of one report (the caller
    reduces it mod ``2^K``). Each seed is keyed once: each block is a copy."""
    info = _PAILLIER_SHARE_DOMAIN + index.to_bytes(8, "big")
    first, blocks = info + b"\x01", -(-nbytes // 64)
    for seed in seeds:
        h = seed.copy()
        h.update(first)
        out = block = h.digest()
        if blocks > 1:  # K > 512: rare, and the hot loop stays one block per seed
            for counter in range(2, blocks + 1):
                h = seed.copy()
                h.update(block + info + bytes([counter]))
                block = h.digest()
                out += block
        yield int.from_bytes(out[:nbytes], "little")


def _x25519_public(secret: bytes) -> bytes:
    """X25519(secret, 9): the public key of a secret key."""
    out = _ffi.out_bytes(_X25519)
    lib.privbill_x25519_public_key(out, secret)
    return _ffi.to_bytes(out)


def _x25519(secret: bytes, peer: bytes, what: str) -> bytes:
    """X25519(secret, peer), or RosterError if ``peer`` has small order."""
    out = _ffi.out_bytes(_X25519)
    _ffi.check(lib.privbill_x25519(out, secret, peer), RosterError, f"{what}: key of small order")
    return _ffi.to_bytes(out)


@dataclass(frozen=True)
class EncryptedReport:
    """One meter's report for one interval: the rest of its packed
    ``(value, blinding)`` once the seed holders' shares are taken off,
    encrypted under holder 1's Paillier key and sealed to holder 1, signed
    with the meter's Ed25519 key (holders check it: they release only sums
    over genuine reports).

    Wire format, deterministic CBOR (docs/settlement.md, "Paillier backend")::

        [1, meter_id (16 bytes), roster_digest (32), keys_digest (32), index,
         sealed (bytes), signature (64)]

    ``sealed`` is ``nonce (12) || ChaCha20-Poly1305(seal key, nonce, c as
    big-endian bytes of n^2's length, ad = meter_id || roster_digest ||
    keys_digest || be64(index))``. The signature covers ``DOMAIN ||
    CBOR([meter_id, roster_digest, keys_digest, index, d])`` with ``d`` the
    first 32 bytes of SHA-512(SEALED_DOMAIN || sealed): short to verify
    whatever the key size.

    Decoding is strict (one encoding per report, every field checked) and
    raises :class:`MalformedReportError`.
    """

    meter_id: bytes
    roster_digest: bytes
    keys_digest: bytes
    index: int
    sealed: bytes
    signature: bytes = b""
    # The signed bytes, computed once.
    _tbs: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        err = MalformedReportError
        _bytes_field(self.meter_id, _ID, "meter_id", err)
        _bytes_field(self.roster_digest, _DIGEST, "roster_digest", err)
        _bytes_field(self.keys_digest, 32, "keys_digest", err)
        _uint_field(self.index, "index", err, (1 << 64) - 1)
        sealed = self.sealed
        if not isinstance(sealed, bytes) or not _NONCE + _TAG < len(sealed) <= _MAX_SEALED:
            raise err(f"report: the sealed ciphertext is {_NONCE + _TAG + 1}..{_MAX_SEALED} bytes")
        if not isinstance(self.signature, bytes) or len(self.signature) not in (0, 64):
            raise err("signature must be 64 bytes (or empty until signed)")

    def to_be_signed(self) -> bytes:
        if self._tbs is None:
            d = hashlib.sha512(_PAILLIER_SEALED_DOMAIN + self.sealed).digest()[:32]
            fields = [self.meter_id, self.roster_digest, self.keys_digest, self.index, d]
            object.__setattr__(self, "_tbs", _PAILLIER_REPORT_DOMAIN + _cbor(fields))
        assert self._tbs is not None
        return self._tbs

    def signed(self, signature: bytes) -> EncryptedReport:
        """This report with ``signature`` (keeping the signed bytes computed so far)."""
        rep = dataclasses.replace(self, signature=signature)
        object.__setattr__(rep, "_tbs", self._tbs)
        return rep

    def encode(self) -> bytes:
        return _cbor(
            [
                SETTLEMENT_VERSION,
                self.meter_id,
                self.roster_digest,
                self.keys_digest,
                self.index,
                self.sealed,
                self.signature,
            ]
        )

    @classmethod
    def decode(cls, data: bytes) -> EncryptedReport:
        """Strict inverse of :meth:`encode`; :class:`MalformedReportError` on anything else."""
        obj = _uncbor(data, "report", MalformedReportError)
        if not isinstance(obj, list) or len(obj) != 7 or obj[0] != SETTLEMENT_VERSION:
            raise MalformedReportError("report: not a version-1 encrypted report")
        _, meter_id, roster_digest, keys_digest, index, sealed, signature = obj
        _bytes_field(signature, 64, "signature", MalformedReportError)  # present on the wire
        return cls(meter_id, roster_digest, keys_digest, index, sealed, signature)


class _MemberKeys:
    """Roster members' Ed25519 keys, decoded once."""

    def __init__(self) -> None:
        self._keys: dict[bytes, VerifyingKey] = {}

    def get(self, roster: Roster, meter_id: bytes) -> VerifyingKey:
        raw = roster.members[roster.position(meter_id)].signing_public
        vk = self._keys.get(raw)
        if vk is None:
            try:
                vk = VerifyingKey.from_bytes(raw)
            except EncodingError:
                raise MalformedReportError(f"{meter_id.hex()} has no valid signing key") from None
            self._keys[raw] = vk
        return vk

    def verify(self, roster: Roster, reports: Sequence[EncryptedReport]) -> None:
        """All signatures (batch verification: privbill.keys.verify_many), or
        MalformedReportError naming the first meter whose signature fails."""
        items = [(self.get(roster, r.meter_id), r.to_be_signed(), r.signature) for r in reports]
        ok = verify_many(items) if len(items) > 1 else [_verify_one(*items[0])]
        for rep, good in zip(reports, ok, strict=True):
            if not good:
                raise MalformedReportError(
                    f"the report of {rep.meter_id.hex()} is not signed by its meter"
                )


def _verify_one(key: VerifyingKey, message: bytes, signature: bytes) -> bool:
    try:
        key.verify(message, signature)
    except BadSignatureError:
        return False
    return True


def _check_report(
    roster: Roster, setup: PaillierSettlement, keys_digest: bytes, index: int, rep: EncryptedReport
) -> None:
    """What can be checked without the signature and the seal: this roster,
    these keys and this interval, a member, a sealed ciphertext of the right
    length for holder 1's key."""
    if rep.roster_digest != roster.digest:
        raise RosterMismatchError("the report was made under another roster")
    if rep.keys_digest != keys_digest:
        raise RosterMismatchError("the report was made for other key holders' keys")
    if rep.index != index:
        raise StaleReportError(f"a report for interval {rep.index} in the round of {index}")
    roster.position(rep.meter_id)
    if len(rep.sealed) != _NONCE + setup.ciphertext_bytes + _TAG:
        raise MalformedReportError("the sealed ciphertext has the wrong length for these keys")


def _check_size(roster: Roster, packing: PackingParams) -> None:
    if len(roster.members) > packing.max_households:
        raise RosterError(
            f"{len(roster.members)} members, but the packing holds {packing.max_households}"
        )


class PaillierMeterClient:
    """A meter in the Paillier backend: takes one share per seed holder off
    its packed value, encrypts the rest under holder 1's key from a
    precomputed pool and seals it to holder 1 (online: ``k - 1`` HMACs, one
    multiplication mod ``n^2``, one AEAD and one signature).

    It checks the roster's signature (as :meth:`MeterClient.join` does) and
    that the holders' keys are the ones it was provisioned with
    (``MeterClient(trusted_holders=...)``): whoever hands out the setup could
    otherwise give it keys of its own."""

    def __init__(
        self,
        meter: MeterClient,
        signed: SignedRoster,
        aggregator_key: VerifyingKey,
        setup: PaillierSettlement,
        pool_size: int = 0,
    ) -> None:
        if meter.trusted_holders is None:
            raise RosterError("this meter was provisioned with no Paillier key holders")
        if setup.holders_digest != meter.trusted_holders:
            raise RosterError("these are not the key holders this meter was provisioned with")
        roster = meter._accept(signed, aggregator_key)
        _check_size(roster, setup.packing)
        self.meter = meter
        self.meter_id = meter.meter_id
        self.roster = roster
        self.packing = setup.packing
        self.public_key = setup.public_key
        self.keys_digest = kd = setup.keys_digest
        self._ct_bytes = setup.ciphertext_bytes
        self._seal = _seal_key(
            meter._agree(setup.sealing_key, "holder 1"), roster.digest, kd, meter.meter_id
        )
        self._seeds = [
            _seed(meter._agree(pk, f"seed holder {j}"), roster.digest, kd, meter.meter_id, j)
            for j, pk in enumerate(setup.seed_keys, 2)
        ]
        self.pool = RandomnessPool(setup.public_key, pool_size)

    def encrypt(self, index: int, value: int, blinding: Scalar) -> Any:
        """The ciphertext of ``pack(value, blinding)`` less the seed holders'
        shares for interval ``index``, mod ``2^K``."""
        idx = _ffi.as_uint("index", index, 64)
        v = _ffi.as_uint("value", value, 64)
        if not isinstance(blinding, Scalar):
            raise TypeError("blinding must be a Scalar")
        pp = self.packing
        m = pp.pack(v, int.from_bytes(bytes(blinding), "little"))
        nbytes = -(-pp.share_bits // 8)
        draws = list(_seed_shares(self._seeds, idx, nbytes))
        return self.pool.encrypt(pp.remainder(m, draws))

    def seal(self, index: int, ciphertext: Any) -> bytes:
        """``ciphertext`` sealed to holder 1 for interval ``index`` (a fresh random nonce)."""
        idx = _ffi.as_uint("index", index, 64)
        if not is_ciphertext_int(ciphertext) or not 0 < ciphertext < self.public_key.nsquare:
            raise RangeError("a ciphertext is an integer in [1, n^2)")
        return self._seal_body(idx, int(ciphertext).to_bytes(self._ct_bytes, "big"))

    def _seal_body(self, idx: int, body: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        ad = _seal_ad(self.meter_id, self.roster.digest, self.keys_digest, idx)
        return nonce + self._seal.encrypt(nonce, body, ad)

    def report(self, index: int, value: int, blinding: Scalar) -> EncryptedReport:
        """The signed report of interval ``index``; the meter's high-water mark
        applies as in :meth:`MeterClient.report` (LateReportError)."""
        idx = _ffi.as_uint("index", index, 64)
        c = self.encrypt(idx, value, blinding)  # checks the inputs before the claim
        inputs = int(value).to_bytes(8, "little") + bytes(blinding)
        self.meter._claim(idx, self.roster.digest + self.keys_digest, inputs)
        rep = EncryptedReport(
            self.meter_id, self.roster.digest, self.keys_digest, idx, self.seal(idx, c)
        )
        return rep.signed(self.meter.signing_key.sign(rep.to_be_signed()))


class _Refused(Exception):
    """A holder's refusal to release, raised inside its lock and explained outside it."""

    def __init__(self, error: KeyHolderError) -> None:
        self.error = error


class KeyHolder:
    """The rules every key holder keeps, whatever its key.

    It releases a sum only over at least ``t`` genuine reports (signed by
    their roster meters, for this roster, these keys and this interval) of
    distinct members, and over at most one set per interval: two would let
    the aggregator difference out one household, and all ``k`` holders
    releasing over one report would open it. It releases its sum mod ``2^K``,
    not the integer sum: the ``k`` released values are then uniform subject
    to adding up to the aggregate, which is all they reveal.

    A round asks every holder to :meth:`prepare` (every check, nothing
    released) before it asks any to :meth:`release`, so that a check failing
    at one holder does not leave another's interval spent. The record of
    released intervals must survive a restart (:attr:`released`).
    """

    def __init__(self, position: int, setup: PaillierSettlement, roster: Roster) -> None:
        if not 0 <= position < setup.holder_count:
            raise KeyHolderError(f"no holder {position + 1} among {setup.holder_count}")
        _check_size(roster, setup.packing)
        self.position = position
        self.setup = setup
        self.roster = roster
        self.keys_digest = setup.keys_digest
        self._members = _MemberKeys()
        self._done: dict[int, tuple[frozenset[bytes], int | None]] = {}
        self._ready: tuple[int, tuple[tuple[bytes, bytes, bytes], ...], Any] | None = None
        self._secret = b""  # the holder's X25519 secret key, set by the subclass
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.position + 1})"

    @property
    def released(self) -> dict[int, tuple[frozenset[bytes], int | None]]:
        """Interval -> (the set released over, the value; None if the release
        failed after the interval was spent). A deployment keeps it in durable
        storage, written before a value leaves the holder: a holder that
        forgot it would release a second set for an interval."""
        return self._done

    def prepare(self, index: int, reports: Sequence[EncryptedReport]) -> None:
        """Every check :meth:`release` makes, and the work that may fail
        (signatures, seals, key agreement, ciphertexts in ``[1, n^2)``),
        without spending the interval. What it cannot check is the range of
        the decrypted sum: a ciphertext of an out-of-range value (a malicious
        meter's) makes holder 1's release fail, and that interval is spent."""
        with self._lock:
            self._check(index, reports)

    def _check(self, index: int, reports: Sequence[EncryptedReport]) -> Any:
        index = _ffi.as_uint("index", index, 64)
        if not all(isinstance(r, EncryptedReport) for r in reports):
            raise TypeError("reports must be EncryptedReport objects")
        roster = self.roster
        if len(reports) < roster.threshold:
            raise ThresholdError(f"{len(reports)} reports, threshold {roster.threshold}")
        who = frozenset(r.meter_id for r in reports)
        if len(who) != len(reports):
            raise DuplicateReportError("two reports from one meter")
        for rep in reports:
            _check_report(roster, self.setup, self.keys_digest, index, rep)
        prev = self._done.get(index)
        if prev is not None and prev[0] != who:
            raise RecoveryRefusedError(f"interval {index} was released for another set")
        if prev is not None and prev[1] is None:
            raise KeyHolderError(f"interval {index}: the sum was not released")
        # The cache of prepare is for these very reports (signed bytes,
        # signatures and seals), not just for these meters.
        exact = tuple((r.to_be_signed(), r.signature, r.sealed) for r in reports)
        ready = self._ready
        if ready is not None and ready[:2] == (index, exact):
            return ready[2]
        self._members.verify(roster, reports)
        data = self._open(index, reports)
        self._ready = (index, exact, data)
        return data

    def release(self, index: int, reports: Sequence[EncryptedReport]) -> int:
        """This holder's sum mod ``2^K`` over ``reports`` (all of one interval)."""
        with self._lock:  # one release at a time: the record is read, then written
            data = self._check(index, reports)
            idx = int(index)
            prev = self._done.get(idx)
            if prev is not None:
                assert prev[1] is not None  # _check refuses a spent, unreleased interval
                return prev[1]
            who = frozenset(r.meter_id for r in reports)
            self._done[idx] = (who, None)  # the interval is used, whatever happens next
            try:
                out = self._sum(idx, reports, data)
            except _Refused as refused:
                error = refused.error
            else:
                out &= (1 << self.setup.packing.share_bits) - 1
                self._done[idx] = (who, out)
                return out
        raise self._explain(error, reports, data)  # outside the lock: may take long

    def _explain(
        self, error: KeyHolderError, reports: Sequence[EncryptedReport], data: Any
    ) -> KeyHolderError:
        """The error of a refused release, with what the holder can say about it."""
        return error

    def _agree(self, meter_id: bytes) -> bytes:
        """The X25519 secret of this holder's key and a member's (RosterError if
        the member's key has small order)."""
        member = self.roster.members[self.roster.position(meter_id)]
        return _x25519(self._secret, member.x25519_public, meter_id.hex())

    def _open(self, index: int, reports: Sequence[EncryptedReport]) -> Any:
        """What this holder needs from the reports (may fail: nothing is spent yet)."""
        raise NotImplementedError

    def _sum(self, index: int, reports: Sequence[EncryptedReport], data: Any) -> int:
        raise NotImplementedError


class DecryptionHolder(KeyHolder):
    """Holder 1: opens the sealed ciphertexts and decrypts their product (the
    p half of CRT, :meth:`PaillierPrivateKey.decrypt_sum`)."""

    def __init__(
        self,
        key: PaillierPrivateKey,
        sealing_secret: bytes,
        setup: PaillierSettlement,
        roster: Roster,
    ) -> None:
        if key.public != setup.public_key or _x25519_public(sealing_secret) != setup.sealing_key:
            raise KeyHolderError("the key pairs are not holder 1's")
        setup.packing.check(key.public)
        super().__init__(0, setup, roster)
        self.key = key
        self._secret = sealing_secret
        self._seals: dict[bytes, ChaCha20Poly1305] = {}

    def _open(self, index: int, reports: Sequence[EncryptedReport]) -> list[Any]:
        roster, nsquare, out = self.roster, self.setup.public_key.nsquare, []
        for rep in reports:
            key = self._seals.get(rep.meter_id)
            if key is None:
                shared = self._agree(rep.meter_id)
                key = _seal_key(shared, roster.digest, self.keys_digest, rep.meter_id)
                self._seals[rep.meter_id] = key
            ad = _seal_ad(rep.meter_id, roster.digest, self.keys_digest, index)
            try:
                body = key.decrypt(rep.sealed[:_NONCE], rep.sealed[_NONCE:], ad)
            except InvalidTag:
                raise MalformedReportError(
                    f"the ciphertext of {rep.meter_id.hex()} is not sealed to holder 1"
                ) from None
            c = gmpy2.mpz.from_bytes(body, "big")
            if not 0 < c < nsquare:
                raise MalformedReportError(
                    f"the ciphertext of {rep.meter_id.hex()} is not in [1, n^2)"
                )
            out.append(c)
        return out

    def _sum(self, index: int, reports: Sequence[EncryptedReport], data: Any) -> int:
        try:
            return self.key.decrypt_sum(data, len(reports) << self.setup.packing.share_bits)
        except RangeError as exc:
            raise _Refused(KeyHolderError(f"interval {index}: holder 1 refuses: {exc}")) from None

    def _explain(
        self, error: KeyHolderError, reports: Sequence[EncryptedReport], data: Any
    ) -> KeyHolderError:
        """Name the meters whose rest, decrypted alone, is out of range (one
        decryption each, on this failure path only). Each verdict depends on one
        ciphertext alone, known to the meter that made it, and a rest alone is
        uniform to holder 1: nothing about an honest meter is revealed. (Testing
        parts of the set instead would make the verdicts depend on honest sums.)
        A meter whose wrong value keeps the sum in range is not caught here."""
        k = self.setup.packing.share_bits
        bad = [r.meter_id.hex() for r, c in zip(reports, data, strict=True)
               if not self._in_range(c, k)]  # fmt: skip
        return KeyHolderError(f"{error}; out of range: {bad or 'none'}")

    def _in_range(self, ciphertext: Any, bits: int) -> bool:
        try:
            self.key.decrypt_sum([ciphertext], 1 << bits)
        except RangeError:
            return False
        return True


class SeedHolder(KeyHolder):
    """Holder ``j`` of 2..k: an X25519 key pair; it derives each meter's seed
    once and releases the sum of its shares over the reports."""

    def __init__(
        self, position: int, secret: bytes, setup: PaillierSettlement, roster: Roster
    ) -> None:
        super().__init__(position, setup, roster)
        if position < 1 or _x25519_public(secret) != setup.seed_keys[position - 1]:
            raise KeyHolderError(f"the key pair is not holder {position + 1}'s")
        self._secret = secret
        self._seeds: dict[bytes, hmac.HMAC] = {}

    def _open(self, index: int, reports: Sequence[EncryptedReport]) -> None:
        roster = self.roster
        for rep in reports:
            if rep.meter_id not in self._seeds:
                shared = self._agree(rep.meter_id)
                self._seeds[rep.meter_id] = _seed(
                    shared, roster.digest, self.keys_digest, rep.meter_id, self.position + 1
                )

    def _sum(self, index: int, reports: Sequence[EncryptedReport], data: Any) -> int:
        nbytes = -(-self.setup.packing.share_bits // 8)
        return sum(_seed_shares((self._seeds[r.meter_id] for r in reports), index, nbytes))


@dataclass
class PaillierSettlement:
    """The Paillier backend's parties: holder 1's Paillier public key and
    X25519 sealing key, the seed holders' X25519 public keys (holders 2..k, in
    order), the packing, and the key holders (all of them are needed for a sum).

    >>> from privbill.keys import SigningKey
    >>> from privbill.pedersen import commit, derive_blinding
    >>> operator = SigningKey.generate()
    >>> meters = [MeterClient(bytes([i]) * 16, min_threshold=3) for i in range(1, 5)]
    >>> signed = Roster.create(b"feeder-9", [m.member for m in meters], threshold=3).sign(operator)
    >>> setup = PaillierSettlement.setup(signed.roster, holders=3, bits=2048)  # 3072 by default
    >>> for m in meters:                                     # provisioning
    ...     m.trusted_holders = setup.holders_digest
    >>> k, index = bytes(32), 760_000
    >>> def blinding(m):
    ...     return derive_blinding(k, m.meter_id, 0, index)
    >>> book = CommitmentBook()
    >>> for n, m in enumerate(meters, 1):
    ...     book.add(m.meter_id, index, commit(100 * n, blinding(m)))
    >>> agg = Aggregator(signed, operator, book, backend="paillier", paillier=setup)
    >>> rnd = agg.open_round(index)
    >>> for n, m in enumerate(meters[:3], 1):                # the fourth meter drops out
    ...     client = setup.client(m, signed, operator.verifying_key)
    ...     rnd.submit(client.report(index, 100 * n, blinding(m)).encode())
    >>> result = agg.close_round()
    >>> result.sum_wh, len(result.households), result.verified
    (600, 3, True)
    """

    public_key: PaillierPublicKey
    sealing_key: bytes
    seed_keys: tuple[bytes, ...]
    packing: PackingParams
    holders: list[KeyHolder | None] = field(default_factory=list)
    _members: _MemberKeys = field(default_factory=_MemberKeys, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, PaillierPublicKey):
            raise TypeError("public_key must be a PaillierPublicKey")
        self.seed_keys = tuple(self.seed_keys)
        if not 1 <= len(self.seed_keys) < _MAX_HOLDERS:
            raise RangeError(f"between 2 and {_MAX_HOLDERS} key holders")
        for pk in (self.sealing_key, *self.seed_keys):
            _bytes_field(pk, _X25519, "holder X25519 key", RangeError)
            if int.from_bytes(pk, "little") >= 2**255 - 19:  # one encoding per key
                raise RangeError("a holder X25519 key must be canonical (u < 2^255 - 19)")
            if lib.privbill_x25519(_ffi.out_bytes(_X25519), bytes([9]) * 32, pk) != 0:
                raise RangeError("a holder X25519 key has small order")
        if len({self.sealing_key, *self.seed_keys}) != 1 + len(self.seed_keys):
            raise RangeError("two holders with one key")

    @property
    def holder_count(self) -> int:
        return 1 + len(self.seed_keys)

    def public_json(self) -> str:
        """The public half, as the holders publish it and meters are provisioned
        from: JSON, the modulus in decimal, X25519 keys in lowercase hex.

        >>> setup = PaillierSettlement(PaillierPublicKey(2**2047 + 1), bytes([9]) + bytes(31),
        ...                            (bytes([5]) + bytes(31),), PackingParams(8))
        >>> back = PaillierSettlement.from_public_json(setup.public_json())
        >>> back.holders_digest == setup.holders_digest, back.keys_digest == setup.keys_digest
        (True, True)
        """
        return json.dumps(
            {
                "type": "paillier-settlement",
                "n": str(self.public_key.n),
                "sealing_key": self.sealing_key.hex(),
                "seed_keys": [k.hex() for k in self.seed_keys],
                "value_bits": self.packing.value_bits,
                "max_households": self.packing.max_households,
            }
        )

    @classmethod
    def from_public_json(cls, text: str) -> PaillierSettlement:
        """Strict inverse of :meth:`public_json` (no holders attached);
        :class:`~privbill.errors.FormatError` on anything else."""
        obj = _json_object(text, "paillier-settlement")
        _json_fields(obj, {"n", "sealing_key", "seed_keys", "value_bits", "max_households"})
        seeds = obj["seed_keys"]
        if not isinstance(seeds, list) or not 1 <= len(seeds) < _MAX_HOLDERS:
            raise FormatError(f"seed_keys must be a list of 1 to {_MAX_HOLDERS - 1} keys")
        keys = [obj["sealing_key"], *seeds]
        if not all(isinstance(k, str) and _HEX_KEY.fullmatch(k) for k in keys):
            raise FormatError("X25519 keys must be 64 lowercase hex digits")
        bits, size = obj["value_bits"], obj["max_households"]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (bits, size)):
            raise FormatError("value_bits and max_households must be integers")
        if bits != 64 or not 1 <= size <= _MAX_GROUP:
            raise FormatError(f"value_bits must be 64 and max_households in [1, {_MAX_GROUP}]")
        try:
            setup = cls(
                PaillierPublicKey(int(_json_decimal(obj, "n"))),
                bytes.fromhex(keys[0]),
                tuple(bytes.fromhex(k) for k in keys[1:]),
                PackingParams(max_households=size),
            )
            setup.packing.check(setup.public_key)  # holder 1 can serve this packing
        except RangeError as exc:
            raise FormatError(str(exc)) from None
        return setup

    @property
    def holders_digest(self) -> bytes:
        """What meters are provisioned with (``MeterClient(trusted_holders=...)``)."""
        return _paillier_holders_digest(self.public_key, self.sealing_key, self.seed_keys)

    @property
    def keys_digest(self) -> bytes:
        return _paillier_keys_digest(
            self.public_key, self.sealing_key, self.seed_keys, self.packing
        )

    @property
    def ciphertext_bytes(self) -> int:
        """Bytes of a ciphertext inside a seal (those of ``n^2``)."""
        return (2 * self.public_key.bits + 7) // 8

    @classmethod
    def setup(cls, roster: Roster, holders: int = 3, bits: int | None = None) -> PaillierSettlement:
        """``holders`` key holders, each generating its own key pairs: a
        Paillier and an X25519 key for holder 1, an X25519 key for the others.
        (Here in one process; in a deployment each holder generates its keys
        and publishes the public halves: there is no dealer and no shared
        secret.)"""
        if not 2 <= holders <= _MAX_HOLDERS:
            raise RangeError(f"between 2 and {_MAX_HOLDERS} key holders")
        packing = PackingParams(max_households=len(roster.members))
        nbits = DEFAULT_BITS if bits is None else bits
        packing.check_bits(nbits)
        pk, sk = generate_keypair(nbits)
        secrets_ = [os.urandom(_X25519) for _ in range(holders)]
        publics = [_x25519_public(s) for s in secrets_]
        setup = cls(pk, publics[0], tuple(publics[1:]), packing)
        setup.holders = [
            DecryptionHolder(sk, secrets_[0], setup, roster),
            *(SeedHolder(j, s, setup, roster) for j, s in enumerate(secrets_[1:], 1)),
        ]
        return setup

    def open_round(self, agg: Aggregator, index: int) -> PaillierRound:
        return PaillierRound(agg, self, index)

    def client(
        self,
        meter: MeterClient,
        signed: SignedRoster,
        aggregator_key: VerifyingKey,
        pool_size: int = 0,
    ) -> PaillierMeterClient:
        """The meter's client for this setup (see :class:`PaillierMeterClient`)."""
        return PaillierMeterClient(meter, signed, aggregator_key, self, pool_size)


class PaillierRound:
    """One interval of the Paillier backend on the aggregator's side."""

    def __init__(self, agg: Aggregator, setup: PaillierSettlement, index: int) -> None:
        self.aggregator = agg
        self.setup = setup
        self.index = index
        self.state: Literal["collecting", "decrypting", "done", "aborted"] = "collecting"
        self.reports: dict[bytes, EncryptedReport] = {}
        self._keys_digest = setup.keys_digest
        self._releasing = False

    @property
    def reopenable(self) -> bool:
        """Whether the round failed before any holder was asked to release
        (too few reports, a holder missing, a check failing in a holder's
        preparation): then no holder has spent the interval, and the
        aggregator may open it again (without the meter named in the error)."""
        return (
            self.state == "aborted"
            and not self._releasing
            and not any(self.index in h.released for h in self.setup.holders if h is not None)
        )

    def submit(self, report: EncryptedReport | bytes) -> None:
        rep = report if isinstance(report, EncryptedReport) else EncryptedReport.decode(report)
        if self.state != "collecting":
            raise LateReportError(f"interval {self.index}: the round is closed")
        if rep.meter_id in self.reports:
            raise DuplicateReportError(f"a second report from {rep.meter_id.hex()}")
        roster = self.aggregator.roster
        _check_report(roster, self.setup, self._keys_digest, self.index, rep)
        self.setup._members.verify(roster, [rep])
        self.reports[rep.meter_id] = rep

    def close(self) -> IntervalAggregate:
        self.state = "decrypting"
        try:
            result = self._close()
        except BaseException:
            self.state = "aborted"
            raise
        self.state = "done"
        return result

    def _close(self) -> IntervalAggregate:
        agg = self.aggregator
        roster = agg.roster
        counted = [m for m in roster.ids if m in self.reports]
        if len(counted) < roster.threshold:
            raise ThresholdError(
                f"interval {self.index}: {len(counted)} reports, threshold {roster.threshold}"
            )
        holders = self.setup.holders
        missing = [j + 1 for j, h in enumerate(holders) if h is None]
        missing += range(len(holders) + 1, self.setup.holder_count + 1)
        if missing:
            # asked before anyone releases: no holder spends this interval in vain
            raise KeyHolderError(f"key holder(s) {missing} missing: all are needed")
        reps = [self.reports[m] for m in counted]
        present = [h for h in holders if h is not None]
        for h in present:  # every holder checks everything before any releases
            h.prepare(self.index, reps)
        self._releasing = True
        sums = [h.release(self.index, reps) for h in present]
        r, o = self.setup.packing.unpack(self.setup.packing.join(sums))
        _check_sum(agg.commitments, self.index, counted, r, o.to_bytes(32, "little"))
        cset = set(counted)
        return IntervalAggregate(
            self.index,
            start_of(self.index, roster.period),
            r,
            tuple(counted),
            tuple(x for x in roster.ids if x not in cset),
            True,
        )
