"""The benchmark suite: privbill measured beside its peers, in the same run.

Run it with ``make bench`` (the C benchmark, then this suite), or::

    PYTHONPATH=src pytest benchmarks --benchmark-only -o addopts= \\
        --benchmark-json=bench.json
    python benchmarks/report.py bench.json        # the Markdown table of docs/performance.md

The files are ``bench_*.py``, so a plain ``pytest`` never collects them; and a
``pytest benchmarks`` without ``--benchmark-only`` skips them all unless it runs
under ``make`` (``MAKELEVEL`` set, as in ``make bench``) or with
``PRIVBILL_BENCH=1``. Benchmarks are slow, and as plain tests they prove nothing.

Every benchmark says, in ``extra_info``, which implementation it measures
(``impl``: privbill, libsodium, coincurve or cryptography), how many items one
call handles (``items``) and, for privbill, the issue's targets: ``targets``
maps a peer to the speed-up privbill must reach over it, ``target_max_s`` is an
absolute bound. :mod:`report` turns them into ratios and verdicts. Each
pytest-benchmark group holds one task, privbill first, then its peers.

Peers: libsodium's ristretto255 through pysodium (a Pedersen commitment is
``scalarmult_base(r) + scalarmult(o, H)``, the same bytes as ours, checked);
libsecp256k1 through coincurve (a Pedersen commitment on secp256k1:
``PublicKey.from_secret(r)`` combined with ``H.multiply(o)``); and pyca
``cryptography`` for Ed25519.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from privbill.group import L, Scalar
from privbill.pedersen import H_DOMAIN, CommitmentSet, H, commit_many, decode_hints

BENCH_DIR = Path(__file__).resolve().parent
#: A month of half-hourly readings: 31 days x 48.
MONTH = 31 * 48
DAY = 48
#: secp256k1's group order.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SEED = 20130401


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect ``benchmarks/bench_*.py`` (pytest's default pattern is ``test_*.py``)."""
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        and file_path.parent == BENCH_DIR
        and not parent.session.isinitpath(file_path)  # named on the command line: already
    ):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def _enabled(config: pytest.Config) -> bool:
    return bool(
        config.getoption("benchmark_only", default=False)
        or os.environ.get("PRIVBILL_BENCH") == "1"
        or os.environ.get("MAKELEVEL")
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _enabled(config):
        return
    skip = pytest.mark.skip(
        reason="benchmarks run with --benchmark-only, PRIVBILL_BENCH=1 or `make bench`"
    )
    for item in items:
        if BENCH_DIR in Path(str(item.path)).parents:
            item.add_marker(skip)


# --- tagging --------------------------------------------------------------------------------------


class Tag(Protocol):
    def __call__(
        self,
        impl: str,
        items: int = 1,
        targets: dict[str, float] | None = None,
        target_max_s: float | None = None,
        **extra: object,
    ) -> None: ...


@pytest.fixture
def tag(benchmark: Any) -> Tag:
    """Record what a benchmark measures, for ``report.py``."""

    def set_info(
        impl: str,
        items: int = 1,
        targets: dict[str, float] | None = None,
        target_max_s: float | None = None,
        **extra: object,
    ) -> None:
        benchmark.extra_info["impl"] = impl
        benchmark.extra_info["items"] = items
        if targets:
            benchmark.extra_info["targets"] = targets
        if target_max_s is not None:
            benchmark.extra_info["target_max_s"] = target_max_s
        benchmark.extra_info.update(extra)

    return set_info


# --- a month of commitments, for privbill and for each peer ---------------------------------------


def band_of_slot(slot: int) -> int:
    """The classic three-band tariff on UTC half-hours: 0 low 00:00-06:00, 2 peak
    18:00-21:00, 1 normal otherwise."""
    if slot < 12:
        return 0
    return 2 if 36 <= slot < 42 else 1


@dataclass(frozen=True)
class Month:
    """1488 readings, their privbill commitments, and the openings a household discloses:
    three band totals (classic three-band tariff) and one price-weighted amount."""

    values: list[int]
    blindings: list[Scalar]
    wire: bytes
    hints: bytes
    points: CommitmentSet
    bands: list[list[int]]
    band_values: list[int]
    band_openings: list[Scalar]
    weights: list[int]
    amount: int
    amount_opening: Scalar


def _scalar_sum(terms: list[Scalar]) -> Scalar:
    acc = Scalar.from_int(0)
    for t in terms:
        acc = acc + t
    return acc


@pytest.fixture(scope="session")
def month() -> Month:
    rng = random.Random(SEED)
    # Readings from 1 Wh (libsodium and libsecp256k1 refuse a zero scalar where we do not).
    values = [rng.randrange(1, 2500) for _ in range(MONTH)]
    blindings = [Scalar.random() for _ in range(MONTH)]
    wire = commit_many(values, blindings)
    bands: list[list[int]] = [[], [], []]
    for i in range(MONTH):
        bands[band_of_slot(i % DAY)].append(i)
    # Agile-style prices in 0.01p/kWh, negative ones included, never 0 (the peers
    # refuse an identity product).
    weights = [rng.randrange(-500, 4500) or 1 for _ in range(MONTH)]
    return Month(
        values=values,
        blindings=blindings,
        wire=wire,
        hints=decode_hints(wire),
        points=CommitmentSet.from_bytes(wire),
        bands=bands,
        band_values=[sum(values[i] for i in b) for b in bands],
        band_openings=[_scalar_sum([blindings[i] for i in b]) for b in bands],
        weights=weights,
        amount=sum(w * v for w, v in zip(weights, values, strict=True)),
        amount_opening=_scalar_sum(
            [Scalar.from_int(w) * o for w, o in zip(weights, blindings, strict=True)]
        ),
    )


@dataclass(frozen=True)
class SodiumMonth:
    """The same month for libsodium: the same commitments (same G and H), as bytes."""

    h: bytes
    blindings: list[bytes]
    encodings: list[bytes]
    weights: list[bytes]
    add: Callable[[bytes, bytes], bytes]
    scalarmult: Callable[[bytes, bytes], bytes]
    scalarmult_base: Callable[[bytes], bytes]
    is_valid_point: Callable[[bytes], bool]

    def commit(self, value: int, blinding: bytes) -> bytes:
        return self.add(
            self.scalarmult_base(value.to_bytes(32, "little")), self.scalarmult(blinding, self.h)
        )

    def check_opening(self, c: bytes, value: int, opening: bytes) -> None:
        expect = self.add(
            self.scalarmult_base((value % L).to_bytes(32, "little")),
            self.scalarmult(opening, self.h),
        )
        if expect != c:
            raise AssertionError("libsodium: the opening does not match")

    def sum(self, indices: list[int]) -> bytes:
        """Each add decodes both operands and encodes the result: libsodium has no
        decoded form to keep."""
        enc, add = self.encodings, self.add
        acc = enc[indices[0]]
        for i in indices[1:]:
            acc = add(acc, enc[i])
        return acc


@pytest.fixture(scope="session")
def sodium(month: Month) -> SodiumMonth:
    pysodium = pytest.importorskip("pysodium")
    # H from libsodium's own one-way map of the published domain string: the same H.
    h = pysodium.crypto_core_ristretto255_from_hash(hashlib.sha512(H_DOMAIN).digest())
    assert h == bytes(H)
    s = SodiumMonth(
        h=h,
        blindings=[bytes(o) for o in month.blindings],
        encodings=[month.wire[32 * i : 32 * i + 32] for i in range(MONTH)],
        weights=[(w % L).to_bytes(32, "little") for w in month.weights],
        add=pysodium.crypto_core_ristretto255_add,
        scalarmult=pysodium.crypto_scalarmult_ristretto255,
        scalarmult_base=pysodium.crypto_scalarmult_ristretto255_base,
        is_valid_point=pysodium.crypto_core_ristretto255_is_valid_point,
    )
    for i in range(8):  # the peer commits to the very same bytes
        assert s.commit(month.values[i], s.blindings[i]) == s.encodings[i]
    return s


@dataclass(frozen=True)
class SecpMonth:
    """The same month as Pedersen commitments on secp256k1 (libsecp256k1 via coincurve):
    ``r*G + o*H`` with a nothing-up-my-sleeve H, 33-byte compressed encodings."""

    h: Any  # coincurve.PublicKey
    blindings: list[bytes]
    encodings: list[bytes]
    keys: list[Any]  # the encodings parsed, coincurve.PublicKey
    band_openings: list[bytes]
    weights: list[bytes]
    amount_opening: bytes
    public_key: Any  # the coincurve.PublicKey class

    def commit(self, value: int, blinding: bytes) -> bytes:
        pk = self.public_key
        c = pk.combine_keys([pk.from_secret(value.to_bytes(32, "big")), self.h.multiply(blinding)])
        return bytes(c.format())

    def check_opening(self, c: Any, value: int, opening: bytes) -> None:
        pk = self.public_key
        expect = pk.combine_keys(
            [pk.from_secret((value % SECP256K1_N).to_bytes(32, "big")), self.h.multiply(opening)]
        )
        if expect.format() != c.format():
            raise AssertionError("coincurve: the opening does not match")


def _secp_h(public_key: Any) -> Any:
    """Try-and-increment: the first SHA-256 of a public string that is an x coordinate."""
    ctr = 0
    while True:
        x = hashlib.sha256(b"privbill-bench/secp256k1/H/%d" % ctr).digest()
        try:
            return public_key(b"\x02" + x)
        except ValueError:
            ctr += 1


@pytest.fixture(scope="session")
def secp(month: Month) -> SecpMonth:
    coincurve = pytest.importorskip("coincurve")
    pk = coincurve.PublicKey
    rng = random.Random(SEED + 1)
    n = SECP256K1_N
    blind = [rng.randrange(1, n) for _ in range(MONTH)]
    h = _secp_h(pk)
    encodings = [
        bytes(
            pk.combine_keys(
                [pk.from_secret(v.to_bytes(32, "big")), h.multiply(o.to_bytes(32, "big"))]
            ).format()
        )
        for v, o in zip(month.values, blind, strict=True)
    ]
    return SecpMonth(
        h=h,
        blindings=[o.to_bytes(32, "big") for o in blind],
        encodings=encodings,
        keys=[pk(c) for c in encodings],
        band_openings=[(sum(blind[i] for i in b) % n).to_bytes(32, "big") for b in month.bands],
        weights=[(w % n).to_bytes(32, "big") for w in month.weights],
        amount_opening=(sum(w * o for w, o in zip(month.weights, blind, strict=True)) % n).to_bytes(
            32, "big"
        ),
        public_key=pk,
    )
