"""A second verifier for privbill protocol version 1, written apart from the package.

It does not import ``privbill``. It was written from the protocol as the package's module
docstrings and DESIGN.md state it (``privbill.wire``: meter batch; ``privbill.statement``:
statement; ``privbill.retailer``: ingest and verification rules; ``privbill.tariffs`` and
``privbill.billing``: bands, local time, rounding), in plain Python:

- its own minimal CBOR (RFC 8949) decoder for exactly these messages: unsigned and negative
  integers, byte strings, arrays, integer-keyed maps, tag 18 around a COSE_Sign1; every
  head in shortest form, no indefinite lengths, no floats or simple values, no trailing
  bytes; and an encoder for the one structure it must build, the COSE Sig_structure;
- Ed25519 verification from ``tests/reference`` (RFC 8032 with privbill's rule);
- ECDSA P-256 verification written here (SEC 1 section 4.1.4, FIPS 186-5), with privbill's
  two extra rules: ``r || s`` big-endian, and low-S (``s <= (n-1)/2``);
- ristretto255 and the Pedersen generators, commitments and sums from ``tests/reference``;
- the interval and band logic re-derived from the tariff's JSON for the classic three-band
  tariff only (``kind: tou``, windows on ``days: all``, no validity dates), local time from
  :mod:`zoneinfo`; the billing rule (one rounding per line, half away from zero).

Verdicts are the names of privbill's exception classes (``"ok"`` when accepted), so the
two implementations can be compared case by case in ``tests/test_protocol_vectors.py``.
Slow: pure-Python curve arithmetic. Fine for the small vectors it checks.

>>> decode_cbor(bytes.fromhex("83010220"))
[1, 2, -1]
>>> decode_cbor(bytes.fromhex("1817"))
Traceback (most recent call last):
    ...
independent_verifier.Rejected: FormatError: integer or length not in shortest form
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from reference import ed25519 as ref_ed25519
from reference import pedersen as ref_pedersen
from reference import ristretto255 as r255

# --- verdicts ------------------------------------------------------------------------------


class Rejected(Exception):
    """A message is refused; ``verdict`` is the privbill exception class name."""

    def __init__(self, verdict: str, reason: str) -> None:
        super().__init__(f"{verdict}: {reason}")
        self.verdict = verdict


def _fail(verdict: str, reason: str) -> Rejected:
    return Rejected(verdict, reason)


# --- a minimal strict CBOR decoder -----------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    number: int
    value: Any


def _read_head(data: bytes, pos: int) -> tuple[int, int, int]:
    """(major type, argument, next position); shortest form only."""
    if pos >= len(data):
        raise _fail("FormatError", "truncated")
    major, info = data[pos] >> 5, data[pos] & 31
    pos += 1
    if major == 7:
        raise _fail("FormatError", "floats and simple values are not used")
    if info < 24:
        return major, info, pos
    if info > 27:
        raise _fail("FormatError", "indefinite length or reserved additional information")
    size = 1 << (info - 24)
    if pos + size > len(data):
        raise _fail("FormatError", "truncated")
    arg = int.from_bytes(data[pos : pos + size], "big")
    if arg < (24 if size == 1 else 1 << (4 * size)):
        raise _fail("FormatError", "integer or length not in shortest form")
    return major, arg, pos + size


def _read_item(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if depth > 4:
        raise _fail("FormatError", "nested too deeply")
    major, arg, pos = _read_head(data, pos)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major == 2:
        if pos + arg > len(data):
            raise _fail("FormatError", "truncated byte string")
        return data[pos : pos + arg], pos + arg
    if major == 3:
        raise _fail("FormatError", "text strings are not used")
    if major == 4:
        if arg > len(data) - pos:
            raise _fail("FormatError", "array longer than the input")
        items = []
        for _ in range(arg):
            item, pos = _read_item(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == 5:
        if 2 * arg > len(data) - pos:
            raise _fail("FormatError", "map longer than the input")
        entries: dict[int, Any] = {}
        last = b""
        for k in range(arg):
            start = pos
            key, pos = _read_item(data, pos, depth + 1)
            if not isinstance(key, int) or (k and data[start:pos] <= last):
                raise _fail("FormatError", "map keys: integers, sorted, unique")
            last = data[start:pos]
            entries[key], pos = _read_item(data, pos, depth + 1)
        return entries, pos
    if depth != 0 or arg != 18:  # major 6: only COSE_Sign1's tag, only at the top
        raise _fail("FormatError", f"tag {arg} not allowed here")
    value, pos = _read_item(data, pos, depth + 1)
    return Tag(arg, value), pos


def decode_cbor(data: bytes) -> Any:
    """Exactly one data item filling ``data``."""
    item, end = _read_item(data, 0, 0)
    if end != len(data):
        raise _fail("FormatError", "trailing bytes")
    return item


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("too long")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 section 4.4: ["Signature1", protected, h'', payload], CBOR-encoded."""
    context = b"Signature1"
    return (
        _head(4, 4)
        + _head(3, len(context))
        + context
        + _head(2, len(protected))
        + protected
        + _head(2, 0)
        + _head(2, len(payload))
        + payload
    )


# --- signatures ------------------------------------------------------------------------------

P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)
_Affine = tuple[int, int] | None  # None is the point at infinity


def _p256_add(a: _Affine, b: _Affine) -> _Affine:
    if a is None:
        return b
    if b is None:
        return a
    (x1, y1), (x2, y2) = a, b
    if x1 == x2 and (y1 + y2) % P256_P == 0:
        return None
    if a == b:
        lam = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P256_P)
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P256_P)
    x3 = (lam * lam - x1 - x2) % P256_P
    return x3, (lam * (x1 - x3) - y1) % P256_P


def _p256_mul(k: int, a: _Affine) -> _Affine:
    out: _Affine = None
    for bit in bin(k)[2:]:
        out = _p256_add(out, out)
        if bit == "1":
            out = _p256_add(out, a)
    return out


def _p256_point(sec1: bytes) -> tuple[int, int]:
    """SEC 1 section 2.3.4: a compressed (02/03) or uncompressed (04) point on the curve."""
    if len(sec1) == 33 and sec1[0] in (2, 3):
        x = int.from_bytes(sec1[1:], "big")
        rhs = (x**3 - 3 * x + P256_B) % P256_P
        y = pow(rhs, (P256_P + 1) // 4, P256_P)  # p = 3 mod 4
        if x >= P256_P or y * y % P256_P != rhs:
            raise ValueError("not on the curve")
        if y & 1 != sec1[0] & 1:
            y = P256_P - y
        return x, y
    if len(sec1) == 65 and sec1[0] == 4:
        x, y = int.from_bytes(sec1[1:33], "big"), int.from_bytes(sec1[33:], "big")
        if x >= P256_P or y >= P256_P or (y * y - x**3 + 3 * x - P256_B) % P256_P:
            raise ValueError("not on the curve")
        return x, y
    raise ValueError("not a SEC 1 point")


def p256_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """ECDSA P-256 / SHA-256 over ``r || s`` (big-endian), refusing high S."""
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (1 <= r < P256_N and 1 <= s <= (P256_N - 1) // 2):
        return False
    q = _p256_point(public)
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, P256_N)
    x = _p256_add(_p256_mul(e * w % P256_N, P256_G), _p256_mul(r * w % P256_N, q))
    return x is not None and x[0] % P256_N == r


#: COSE algorithm identifiers (RFC 9053) and the protected header bucket of each.
ALGS = {-8: "ed25519", -7: "p256"}
PROTECTED = {"ed25519": bytes.fromhex("a10127"), "p256": bytes.fromhex("a10126")}


def verify_signature(alg: str, public: bytes, message: bytes, signature: bytes) -> bool:
    if alg == "ed25519":
        return ref_ed25519.verify(public, message, signature)
    return p256_verify(public, message, signature)


# --- the meter batch --------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    alg: str
    encoded: bytes
    payload: bytes
    signature: bytes
    meter_id: bytes
    channel: int
    period: int
    first_index: int
    count: int
    presence: bytes
    commitments: list[bytes]
    counter: int
    prev_hash: bytes

    def present(self) -> list[int]:
        bits = int.from_bytes(self.presence, "little")
        return [self.first_index + j for j in range(self.count) if bits >> j & 1]


def _uint(value: Any, name: str, high: int) -> int:
    if not isinstance(value, int) or not 0 <= value <= high:
        raise _fail("FormatError", f"{name}: not an unsigned integer up to {high}")
    return value


def _bstr(value: Any, name: str, size: int | None = None) -> bytes:
    if not isinstance(value, bytes) or (size is not None and len(value) != size):
        raise _fail("FormatError", f"{name}: not a byte string of {size} bytes")
    return value


def parse_batch(data: bytes) -> Batch:
    """COSE_Sign1 around the ten-item payload; form only (FormatError), not the signature."""
    outer = decode_cbor(data)
    if not isinstance(outer, Tag) or not isinstance(outer.value, list) or len(outer.value) != 4:
        raise _fail("FormatError", "not a tagged COSE_Sign1 array of 4")
    protected, unprotected, payload, signature = outer.value
    alg = next((a for a, p in PROTECTED.items() if p == protected), None)
    if alg is None:
        raise _fail("FormatError", "protected header is not exactly {1: -8} or {1: -7}")
    if not isinstance(unprotected, dict) or set(unprotected) != {4}:
        raise _fail("FormatError", "unprotected header is not exactly {4: kid}")
    kid = _bstr(unprotected[4], "kid", 16)
    payload = _bstr(payload, "payload")
    signature = _bstr(signature, "signature", 64)
    fields = decode_cbor(payload)
    if not isinstance(fields, list) or len(fields) != 10:
        raise _fail("FormatError", "payload is not an array of 10")
    version, meter_id, channel, period, first, count, presence, commitments, counter, prev = fields
    if version != 1:
        raise _fail("FormatError", "version is not 1")
    meter_id = _bstr(meter_id, "meter_id", 16)
    if meter_id != kid:
        raise _fail("FormatError", "kid is not the payload's meter_id")
    _uint(channel, "channel", 255)
    if period not in (900, 1800):
        raise _fail("FormatError", "period is not 900 or 1800")
    _uint(first, "first_index", 2**64 - 1)
    if _uint(count, "count", 4096) < 1 or first + count > 2**64:
        raise _fail("FormatError", "count out of range")
    presence = _bstr(presence, "presence", (count + 7) // 8)
    bits = int.from_bytes(presence, "little")
    if bits >> count:
        raise _fail("FormatError", "presence bits set past count")
    commitments = _bstr(commitments, "commitments", 32 * bits.bit_count())
    if _uint(counter, "counter", 2**64 - 1) < 1:
        raise _fail("FormatError", "counter is 0")
    prev = _bstr(prev, "prev_hash", 32)
    if (counter == 1) != (prev == bytes(32)):
        raise _fail("FormatError", "prev_hash is zero exactly when counter is 1")
    return Batch(
        alg,
        data,
        payload,
        signature,
        meter_id,
        channel,
        period,
        first,
        count,
        presence,
        [commitments[k : k + 32] for k in range(0, len(commitments), 32)],
        counter,
        prev,
    )


# --- the statement ----------------------------------------------------------------------------

MODES = ("bands", "amount", "total")


@dataclass(frozen=True)
class StatementMsg:
    meter_id: bytes
    channel: int
    start: date
    end: date
    tariff_digest: bytes
    mode: str
    presence: bytes
    values: list[tuple[int, int]]  # (value, opening as an integer < l)


def parse_statement(data: bytes) -> StatementMsg:
    item = decode_cbor(data)
    if not isinstance(item, list) or len(item) != 9:
        raise _fail("FormatError", "statement is not an array of 9")
    version, meter_id, channel, start, end, digest, mode, presence, values = item
    if version != 1:
        raise _fail("FormatError", "version is not 1")
    _uint(channel, "channel", 255)
    for name, ordinal in (("start", start), ("end", end)):
        _uint(ordinal, name, date.max.toordinal())
        if ordinal < 1:
            raise _fail("FormatError", f"{name}: not a date")
    if not start < end:
        raise _fail("FormatError", "end is not after start")
    if not isinstance(mode, int) or not 0 <= mode < 3:
        raise _fail("FormatError", "unknown mode")
    if not isinstance(values, list) or not values or (mode != 0 and len(values) != 1):
        raise _fail("FormatError", "values: one per band, or exactly one")
    pairs = []
    for v in values:
        if not (isinstance(v, list) and len(v) == 2 and isinstance(v[0], int)):
            raise _fail("FormatError", "values: [int, opening] pairs")
        if not -(2**64) < v[0] < 2**64:
            raise _fail("FormatError", "value out of range")
        opening = int.from_bytes(_bstr(v[1], "opening", 32), "little")
        if opening >= r255.L:
            raise _fail("FormatError", "opening is not a canonical scalar")
        pairs.append((v[0], opening))
    return StatementMsg(
        _bstr(meter_id, "meter_id", 16),
        channel,
        date.fromordinal(start),
        date.fromordinal(end),
        _bstr(digest, "tariff_digest", 32),
        MODES[mode],
        _bstr(presence, "presence"),
        pairs,
    )


# --- the classic three-band tariff, from its JSON ---------------------------------------------


def _clock(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


class ThreeBandTariff:
    """A ``kind: tou`` tariff whose windows apply every day; nothing else is supported."""

    def __init__(self, text: str) -> None:
        self.digest = hashlib.sha256(text.encode("utf-8")).digest()
        doc = json.loads(text)
        if doc["format"] != "privbill-tariff" or doc["version"] != 1 or doc["kind"] != "tou":
            raise ValueError("only the privbill-tariff 'tou' kind is supported here")
        if doc["valid_from"] is not None or doc["valid_until"] is not None:
            raise ValueError("validity dates are not supported here")
        if doc["unit"] != doc["bill_unit"]:
            raise ValueError("bill_unit must equal unit here")
        self.zone = ZoneInfo(doc["tz"])
        self.period: int = doc["period"]
        self.standing: int = doc["standing_charge_per_day"]
        self.names: list[str] = []
        self.prices: list[int] = []
        self.windows: list[tuple[int, int, int]] = []  # (start s, end s, band)
        for b, band in enumerate(doc["bands"]):
            self.names.append(band["name"])
            self.prices.append(band["price"])
            for w in band["windows"]:
                if w["days"] != "all" or w["valid_from"] or w["valid_until"]:
                    raise ValueError("only windows on every day are supported here")
                self.windows.append((_clock(w["start"]), _clock(w["end"]), b))

    def band(self, index: int) -> int:
        """The band of the interval starting at ``index * period`` (local wall clock)."""
        local = datetime.fromtimestamp(index * self.period, timezone.utc).astimezone(self.zone)
        second = local.hour * 3600 + local.minute * 60 + local.second
        matches = [b for s, e, b in self.windows if s <= second < e]
        if len(matches) != 1:
            raise ValueError(f"interval {index} is in {len(matches)} bands")
        return matches[0]

    def intervals(self, start: date, end: date) -> range:
        """Intervals whose start falls on local days start .. end (exclusive)."""

        def first_at_or_after(day: date) -> int:
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
            seconds = int(midnight.timestamp())
            return -(-seconds // self.period)

        return range(first_at_or_after(start), first_at_or_after(end))

    def bill_total(self, start: date, end: date, lines: list[Fraction]) -> int:
        """Round each line once, half away from zero; add the standing charge."""

        def rounded(x: Fraction) -> int:
            q = (2 * abs(x.numerator) + x.denominator) // (2 * x.denominator)
            return q if x >= 0 else -q

        days = (end - start).days
        return sum(rounded(x) for x in lines) + rounded(Fraction(days * self.standing))


# --- the retailer's rules ---------------------------------------------------------------------


@dataclass
class Store:
    """Registered meters, stored intervals, chain heads: what the retailer holds."""

    tariffs: dict[bytes, ThreeBandTariff] = field(default_factory=dict)
    meters: dict[bytes, tuple[str, bytes, bytes]] = field(default_factory=dict)
    chains: dict[tuple[bytes, int], tuple[int, bytes]] = field(default_factory=dict)
    intervals: dict[tuple[bytes, int, int], r255.Point] = field(default_factory=dict)
    encodings: dict[tuple[bytes, int, int], bytes] = field(default_factory=dict)
    #: every interval some stored batch covers, recorded or marked missing
    covered: set[tuple[bytes, int, int]] = field(default_factory=set)

    def register(
        self, meter_id: bytes, alg: str, public_key: bytes, tariff: ThreeBandTariff
    ) -> None:
        self.tariffs[tariff.digest] = tariff
        self.meters[meter_id] = (alg, public_key, tariff.digest)

    def ingest(self, data: bytes) -> str:
        """ "ok", or raise Rejected with the verdict."""
        b = parse_batch(data)
        if b.meter_id not in self.meters:
            raise _fail("UnknownMeterError", "meter not registered")
        alg, public, _ = self.meters[b.meter_id]
        if b.alg != alg or not verify_signature(
            alg, public, sig_structure(PROTECTED[b.alg], b.payload), b.signature
        ):
            raise _fail("BadSignatureError", "signature does not verify")
        points = [r255.decode(c) for c in b.commitments]
        if any(p is None for p in points):
            raise _fail("EncodingError", "a commitment is not a ristretto255 encoding")
        present = b.present()
        keys = [(b.meter_id, b.channel, i) for i in present]
        if any(
            k in self.encodings and self.encodings[k] != c
            for k, c in zip(keys, b.commitments, strict=True)
        ):
            raise _fail("EquivocationError", "a stored interval, committed differently")
        counter, last = self.chains.get((b.meter_id, b.channel), (0, bytes(32)))
        if b.counter <= counter:
            raise _fail("ReplayError", "counter not after the last one")
        if b.counter != counter + 1 or b.prev_hash != last:
            raise _fail("ChainError", "a batch is missing, or prev_hash does not link")
        span = [(b.meter_id, b.channel, b.first_index + j) for j in range(b.count)]
        if any(k in self.covered for k in span):
            raise _fail("BatchError", "overlaps the range of a stored batch")
        self.covered.update(span)
        for k, c, p in zip(keys, b.commitments, points, strict=True):
            self.encodings[k], self.intervals[k] = c, p  # type: ignore[assignment]
        self.chains[(b.meter_id, b.channel)] = (b.counter, hashlib.sha256(data).digest())
        return "ok"

    def verify(self, data: bytes) -> dict[str, Any]:
        """What the retailer learns from a valid statement; or raise Rejected."""
        st = parse_statement(data)
        if st.meter_id not in self.meters:
            raise _fail("UnknownMeterError", "meter not registered")
        tariff = self.tariffs.get(st.tariff_digest)
        if tariff is None:
            raise _fail("TariffError", "unknown tariff")
        if st.tariff_digest != self.meters[st.meter_id][2]:
            raise _fail("TariffError", "not the contracted tariff")
        period = tariff.intervals(st.start, st.end)
        n = len(period)
        bits = int.from_bytes(st.presence, "little")
        if len(st.presence) != (n + 7) // 8 or bits >> n:
            raise _fail("FormatError", "presence does not fit the period")
        if any((st.meter_id, st.channel, i) not in self.covered for i in period):
            raise _fail("CoverageError", "the meter has not reported the whole period yet")
        claimed = [period[j] for j in range(n) if bits >> j & 1]
        held = [i for i in period if (st.meter_id, st.channel, i) in self.intervals]
        if set(held) - set(claimed):
            raise _fail("CoverageError", "omits stored intervals")
        if set(claimed) - set(held):
            raise _fail("CoverageError", "claims intervals the store lacks")
        points = [self.intervals[(st.meter_id, st.channel, i)] for i in claimed]
        out: dict[str, Any] = {"intervals": n, "recorded": len(claimed)}
        if st.mode == "bands":
            if len(st.values) != len(tariff.names):
                raise _fail("FormatError", "one value per band")
            bands = [tariff.band(i) for i in claimed]
            lines = []
            for b, (value, opening) in enumerate(st.values):
                members = [p for p, band in zip(points, bands, strict=True) if band == b]
                _check_opening(members, [1] * len(members), value, opening)
                lines.append(Fraction(tariff.prices[b] * value, 1000))
            out["band_totals"] = {
                name: v for name, (v, _) in zip(tariff.names, st.values, strict=True)
            }
            out["bill_total"] = tariff.bill_total(st.start, st.end, lines)
        elif st.mode == "amount":
            ((value, opening),) = st.values
            weights = [tariff.prices[tariff.band(i)] for i in claimed]
            _check_opening(points, weights, value, opening)
            out["weighted_sum"] = value
            out["bill_total"] = tariff.bill_total(st.start, st.end, [Fraction(value, 1000)])
        else:
            ((value, opening),) = st.values
            _check_opening(points, [1] * len(points), value, opening)
            out["total_wh"] = value
        return out


def _check_opening(points: list[r255.Point], weights: list[int], value: int, opening: int) -> None:
    """sum w_i C_i == value*G + opening*H, compared as ristretto255 elements."""
    total = r255.IDENTITY
    for p, w in zip(points, weights, strict=True):
        total = r255.add(total, r255.scalar_mult(w % r255.L, p))
    if not r255.equals(total, ref_pedersen.commit_point(value, opening)):
        raise _fail("OpeningError", "the value does not open the commitments")
