"""Seed corpora for the privbill fuzz harnesses, generated (never committed as binaries).

    python fuzz/make_corpus.py [OUT_DIR]      # default: fuzz/corpus

writes ``OUT_DIR/<target>/seed-NNN`` for every target in :data:`TARGETS`. Everything here
is deterministic: fixed keys (RFC 8032 TEST 1, RFC 6979 A.2.5, and SHA-256 of fixed
labels), a fixed commitment secret and a fixed load profile, so two runs write the same
bytes and a crash found on one machine replays on another.

The harnesses import :func:`world` from here too: the statement harness verifies fuzzed
statements against a store that holds exactly the batches whose statements seed it, so
mutations start from inputs that reach the opening check, not only the decoder.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import gmpy2  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from privbill.household import Household  # noqa: E402
from privbill.intervals import BillingPeriod  # noqa: E402
from privbill.keys import CommitmentSecret, SigningKey  # noqa: E402
from privbill.meter import Meter  # noqa: E402
from privbill.retailer import Retailer  # noqa: E402
from privbill.tariffs import (  # noqa: E402
    DynamicTariff,
    FlatTariff,
    Tariff,
    TimeOfUseTariff,
    classic_three_band,
    tariff_to_json,
)
from privbill.wire import BatchPayload, SignedBatch, sign_batch  # noqa: E402

TZ = "Europe/London"
FIRST_DAY = date(2013, 4, 1)
DAYS = 2
GAP_POSITION = 20
METER_ID = bytes.fromhex("5a" * 16)
#: RFC 8032 section 7.1 TEST 1 seed, RFC 6979 appendix A.2.5 scalar (docs/protocol.md).
ED25519_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
P256_SCALAR = bytes.fromhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")


def _fixed(label: str) -> bytes:
    return hashlib.sha256(b"privbill/fuzz/" + label.encode()).digest()


def reading(index: int) -> int:
    """The load profile of the fuzz world, Wh per half-hour."""
    return 120 + (index * 37) % 300


@dataclass
class World:
    """One registered meter on the classic tariff, two days ingested, export too."""

    tariff: Tariff
    meter: Meter
    home: Household
    retailer: Retailer
    batches: list[SignedBatch]
    period: BillingPeriod


@lru_cache(maxsize=1)
def world() -> World:
    """The fixed world (built once per process; the store is in memory)."""
    tariff = TimeOfUseTariff(
        classic_three_band(tz=TZ).bands, unit="0.01p", tz=TZ, export_price=550,
        standing_charge_per_day=4500,
    )  # fmt: skip
    meter = Meter(
        METER_ID,
        SigningKey.from_bytes(_fixed("meter-ed25519")),
        CommitmentSecret.from_bytes(_fixed("meter-k")),
    )
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, tariff)
    period = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS), TZ)
    batches = []
    for k, day in enumerate(period.days()):
        intervals = period.day_intervals(day)
        values: list[int | None] = [reading(i) for i in intervals]
        if k == 0:
            values[GAP_POSITION] = None
        home.load({i: v for i, v in zip(intervals, values, strict=True) if v is not None})
        batches.append(meter.commit(intervals.start, values))
    exports = [v // 10 for v in (reading(i) for i in period.intervals())]
    home.load(dict(zip(period.intervals(), exports, strict=True)), channel=1)
    batches.append(meter.commit(period.intervals().start, exports, channel=1))
    for b in batches:
        retailer.ingest(b.encoded)
    return World(tariff, meter, home, retailer, batches, period)


# --- corpora --------------------------------------------------------------------------------


def corpus_batch() -> list[bytes]:
    """COSE_Sign1 batches and bare payloads: both algorithms, gaps, empty, 900 s, export."""
    w = world()
    ed = SigningKey.from_bytes(ED25519_SEED)
    p256 = SigningKey.from_bytes(P256_SCALAR, "p256")
    b1, b2, b3 = (bytes.fromhex(h) for h in (
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
        "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
        "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
    ))  # fmt: skip
    example = BatchPayload.from_intervals(
        meter_id=bytes.fromhex("00112233445566778899aabbccddeeff"), channel=0, period=1800,
        first_index=946704, commitments=[b1, b2, None, b3], counter=1, prev_hash=bytes(32),
    )  # fmt: skip
    empty = BatchPayload.from_intervals(
        meter_id=METER_ID, channel=0, period=1800, first_index=758206,
        commitments=[None] * 9, counter=2, prev_hash=_fixed("prev"),
    )  # fmt: skip
    quarter = BatchPayload.from_intervals(
        meter_id=METER_ID, channel=1, period=900, first_index=2**40,
        commitments=[b1 if i % 5 else None for i in range(17)], counter=300,
        prev_hash=_fixed("prev"),
    )  # fmt: skip
    seeds = [sign_batch(p, k).encoded for p in (example, empty, quarter) for k in (ed, p256)]
    seeds += [b.encoded for b in w.batches]
    seeds += [example.encode(), empty.encode(), quarter.encode()]
    return seeds


def corpus_statement() -> list[bytes]:
    """Statements the fuzz world's store verifies (bands, amount, total, export), and
    a one-day period; the harness verifies mutations against the same store."""
    w = world()
    one_day = BillingPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=1), TZ)
    out = [w.home.statement(w.period, w.tariff, mode).encode() for mode in ("bands", "amount")]
    out.append(w.home.statement(w.period, w.tariff, "total", channel=1).encode())
    out.append(w.home.statement(one_day, w.tariff, "bands").encode())
    return out


SGSC_CSV = (
    "customer_id,reading_datetime,general_supply_kwh\n"
    "10006414,2013-04-01 00:00:00,0.223\n"
    "10006414,2013-04-01 00:30:00,0.257\n"
    "10006414,2013-04-01 01:30:00,1.5\n"
    "8273463,2013-04-01 00:00:00,0\n"
)
P1_TELEGRAMS = [
    b"/XMX5LGBBFG1009\r\n\r\n1-3:0.2.8(42)\r\n0-0:1.0.0(130331030000S)\r\n"
    b"0-0:96.1.1(4B384547303034303436333935353037)\r\n"
    b"1-0:1.8.1(000123.456*kWh)\r\n1-0:1.8.2(000002.399*kWh)\r\n"
    b"1-0:2.8.1(000000.007*kWh)\r\n1-0:2.8.2(000000.000*kWh)\r\n"
    b"0-1:24.2.1(101209110000W)(12785.123*m3)\r\n!",
    b"/ISk5\\2MT382-1000\r\n\r\n0-0:1.0.0(130331033000S)\r\n1-0:1.8.0(00032549.5061662*kWh)\r\n"
    b"0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n(00001.001)\r\n!",
]


def _p1_with_crc(body: bytes) -> bytes:
    from privbill.readings import crc16

    return body + f"{crc16(body):04X}\r\n".encode()


def corpus_readings() -> list[bytes]:
    """Selector byte, then input: 0 an SGSC CSV (after a byte choosing zone and
    period), 1 one P1 telegram, 2 telegrams separated by NUL NUL (readings_from_p1)."""
    # after the selector, one byte picks zone and period (fuzz_readings._ZONES, _PERIODS)
    seeds = [b"\x00\x00" + SGSC_CSV.encode(), b"\x00\x05\xef\xbb\xbf" + SGSC_CSV.encode()]
    seeds += [b"\x01" + t for t in P1_TELEGRAMS] + [b"\x01" + _p1_with_crc(P1_TELEGRAMS[0])]
    p1_dir = ROOT.parent / "shared" / "data" / "meter_formats" / "dsmr_p1"
    if p1_dir.is_dir():
        seeds += [b"\x01" + p.read_bytes() for p in sorted(p1_dir.glob("*.txt"))]
    series = [
        _p1_with_crc(
            b"/XMX5LGBBFG1009\r\n\r\n0-0:1.0.0(130401%02d%02d00S)\r\n"
            b"1-0:1.8.1(000100.%03d*kWh)\r\n1-0:2.8.1(000001.%03d*kWh)\r\n!"
            % (h // 2, 30 * (h % 2), 7 * h, h)
        )
        for h in range(5)
    ]
    seeds.append(b"\x02" + b"\x00\x00".join(series))
    return seeds


def corpus_tariff() -> list[bytes]:
    """Tariff JSON: every kind, canonical and minimal forms (docs/tariffs.md examples)."""
    tariffs = [
        classic_three_band(tz=TZ, standing_charge_per_day=4500),
        FlatTariff(1423, unit="0.01p", tz=TZ),
        DynamicTariff({758208: 1500, 758209: -250}, unit="0.01p", tz=TZ, export_price=550),
        world().tariff,
    ]
    seeds = [tariff_to_json(t).encode() for t in tariffs]
    seeds.append(
        b'{"format": "privbill-tariff", "version": 1, "kind": "flat",'
        b' "unit": "0.01p", "tz": "Europe/London", "price": 1423}'
    )
    schedule = {
        "format": "privbill-tariff", "version": 1, "kind": "schedule", "unit": "0.01p",
        "tz": TZ, "slot_seconds": 1800,
        "bands": [{"name": "Low", "price": 399}, {"name": "Normal", "price": 1176},
                  {"name": "High", "price": 6720}],
        "schedule": {"2013-01-01": [1] * 32 + [2] * 6 + [1] * 10},
    }  # fmt: skip
    seeds.append(json.dumps(schedule).encode())
    return seeds


def corpus_decode() -> list[bytes]:
    """Selector byte, then n 32-byte encodings and optionally n 32-byte hints."""
    from privbill import pedersen
    from privbill.group import Scalar

    wire = pedersen.commit_many(
        [0, 1, 2**64 - 1], [Scalar.from_int(7), Scalar.from_int(0), Scalar.from_int(-1)]
    )
    hints = pedersen.decode_hints(wire)
    bad = b"\xff" * 32
    return [
        b"\x00" + wire,
        b"\x01" + wire + hints,
        b"\x01" + wire + bytes(len(hints)),
        b"\x00" + bytes(32),
        b"\x02" + wire[:32] + bad,
        b"\x03" + bytes(range(32)) + hints[:32],
        b"\x04" + (2**255 - 19).to_bytes(32, "little"),
    ]


def corpus_settlement() -> list[bytes]:
    """Selector byte (see fuzz_settlement.SELECTORS), then the message."""
    import fuzz_settlement as fs  # the fixed group lives with its harness

    from privbill.settlement import EncryptedReport

    g = fs.group()
    report = g.masked_report()
    sealed = bytes(12 + g.paillier.ciphertext_bytes + 16)
    enc = EncryptedReport(g.meters[0].meter_id, g.roster.digest, g.paillier.keys_digest,
                          fs.INDEX, sealed, bytes(64))  # fmt: skip
    n = fs.PAILLIER_N
    # a small, valid private key (fixed primes), so mutations reach the key checks
    p = int(gmpy2.next_prime(2**255 + 2**200))
    q = int(gmpy2.next_prime(2**255 + 2**250))
    return [
        bytes([fs.SELECTORS.index("roster")]) + g.roster.encode(),
        bytes([fs.SELECTORS.index("signed_roster")]) + g.signed.encode(),
        bytes([fs.SELECTORS.index("masked_report")]) + report.encode(),
        bytes([fs.SELECTORS.index("encrypted_report")]) + enc.encode(),
        bytes([fs.SELECTORS.index("paillier_public_key")])
        + json.dumps({"type": "paillier-public-key", "n": str(n)}).encode(),
        bytes([fs.SELECTORS.index("paillier_private_key")])
        + json.dumps(
            {"type": "paillier-private-key", "n": str(p * q), "p": str(p), "q": str(q)}
        ).encode(),
        bytes([fs.SELECTORS.index("paillier_ciphertext")])
        + json.dumps({"type": "paillier-ciphertext", "c": "12345"}).encode(),
    ]


TARGETS: dict[str, Callable[[], list[bytes]]] = {
    "batch": corpus_batch,
    "statement": corpus_statement,
    "readings": corpus_readings,
    "tariff": corpus_tariff,
    "decode": corpus_decode,
    "settlement": corpus_settlement,
}


def extra_targets() -> dict[str, Callable[[], list[bytes]]]:
    """Targets whose module may not exist yet (consent is optional)."""
    out: dict[str, Callable[[], list[bytes]]] = {}
    try:
        import fuzz_grants
    except ImportError:
        return out
    out["grants"] = fuzz_grants.corpus
    return out


def write(out_dir: Path, targets: dict[str, Callable[[], list[bytes]]] | None = None) -> int:
    """Write every corpus under ``out_dir``; returns the number of seed files."""
    n = 0
    for name, make in (targets or {**TARGETS, **extra_targets()}).items():
        d = out_dir / name
        d.mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(make()):
            (d / f"seed-{i:03d}").write_bytes(seed)
            n += 1
    return n


if __name__ == "__main__":
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus"
    print(f"{write(out)} seeds written under {out}")
