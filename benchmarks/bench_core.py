"""The core tasks of issue 2, privbill beside libsodium and libsecp256k1 (and
``cryptography`` for Ed25519), one pytest-benchmark group per task.

- ``commit: one``: one Pedersen commitment, encoded;
- ``commit: month``: 1488 of them (a month of half-hours);
- ``decode: month``: 1488 wire encodings decoded/validated;
- ``verify: 3-band month ...``: a bill under the classic three-band tariff, checked
  from 1488 wire encodings (decode, three band sums, three opening checks), the same
  with decoding hints, and the same from points decoded earlier (what a retailer
  keeps from ingest);
- ``verify: dynamic-price month``: one price-weighted sum of 1488 commitments
  (signed weights) and one opening check, against a peer that can only multiply
  point by point;
- ``ed25519: sign`` / ``ed25519: verify``: ``privbill.keys`` against pyca
  ``cryptography`` and libsodium.

The peers run through their usual Python bindings, so a peer that needs a call per
point pays Python's call overhead per point: that is what a Python application
built on it would pay. ``csrc/tests/bench.c`` measures the C-to-C comparison with
libsodium.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import MONTH, Month, SecpMonth, SodiumMonth, Tag
from privbill.group import Element
from privbill.keys import SigningKey
from privbill.pedersen import CommitmentSet, commit, commit_many, verify_opening

bench = pytest.mark.benchmark

# The targets: privbill's speed-up over each peer, in the same run.
COMMIT_TARGETS = {"libsodium": 4.0, "coincurve": 2.0}
MONTH_FROM_WIRE_TARGETS = {"libsodium": 3.0, "coincurve": 1.5}
DYNAMIC_TARGETS = {"libsodium": 20.0}
FROM_POINTS_MAX_S = 0.5e-3
MESSAGE = bytes(range(64))


# --- one commitment -------------------------------------------------------------------------------


@bench(group="commit: one")
def test_commit_privbill(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill", targets=COMMIT_TARGETS)
    c = benchmark(commit, month.values[0], month.blindings[0])
    assert bytes(c) == month.wire[:32]


@bench(group="commit: one")
def test_commit_libsodium(benchmark: Any, tag: Tag, month: Month, sodium: SodiumMonth) -> None:
    tag("libsodium")
    c = benchmark(sodium.commit, month.values[0], sodium.blindings[0])
    assert c == month.wire[:32]


@bench(group="commit: one")
def test_commit_coincurve(benchmark: Any, tag: Tag, month: Month, secp: SecpMonth) -> None:
    tag("coincurve")
    c = benchmark(secp.commit, month.values[0], secp.blindings[0])
    assert c == secp.encodings[0]


# --- a month of commitments -----------------------------------------------------------------------


@bench(group="commit: month (1488)")
def test_commit_month_privbill(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill", items=MONTH)
    wire = benchmark(commit_many, month.values, month.blindings)
    assert wire == month.wire


@bench(group="commit: month (1488)")
def test_commit_month_libsodium(
    benchmark: Any, tag: Tag, month: Month, sodium: SodiumMonth
) -> None:
    tag("libsodium", items=MONTH)

    def run() -> list[bytes]:
        return [sodium.commit(v, o) for v, o in zip(month.values, sodium.blindings, strict=True)]

    assert benchmark(run) == sodium.encodings


@bench(group="commit: month (1488)")
def test_commit_month_coincurve(benchmark: Any, tag: Tag, month: Month, secp: SecpMonth) -> None:
    tag("coincurve", items=MONTH)

    def run() -> list[bytes]:
        return [secp.commit(v, o) for v, o in zip(month.values, secp.blindings, strict=True)]

    assert benchmark(run) == secp.encodings


# --- decoding a month -----------------------------------------------------------------------------


@bench(group="decode: month (1488)")
def test_decode_privbill(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill", items=MONTH)
    assert len(benchmark(CommitmentSet.from_bytes, month.wire)) == MONTH


@bench(group="decode: month (1488)")
def test_decode_privbill_hinted(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill (hints)", items=MONTH)
    assert len(benchmark(CommitmentSet.from_bytes, month.wire, month.hints)) == MONTH


@bench(group="decode: month (1488)")
def test_decode_libsodium(benchmark: Any, tag: Tag, sodium: SodiumMonth) -> None:
    tag("libsodium", items=MONTH)

    def run() -> bool:
        valid = sodium.is_valid_point
        return all([valid(c) for c in sodium.encodings])

    assert benchmark(run)


@bench(group="decode: month (1488)")
def test_decode_coincurve(benchmark: Any, tag: Tag, secp: SecpMonth) -> None:
    tag("coincurve", items=MONTH)

    def run() -> list[Any]:
        pk = secp.public_key
        return [pk(c) for c in secp.encodings]

    assert len(benchmark(run)) == MONTH


# --- a three-band month, verified -----------------------------------------------------------------


def _three_bands_privbill(month: Month, cs: CommitmentSet) -> None:
    for b in range(3):
        verify_opening(cs.sum(month.bands[b]), month.band_values[b], month.band_openings[b])


def _three_bands_libsodium(month: Month, sodium: SodiumMonth) -> None:
    for b in range(3):
        total = sodium.sum(month.bands[b])
        sodium.check_opening(total, month.band_values[b], bytes(month.band_openings[b]))


def _three_bands_coincurve(month: Month, secp: SecpMonth, keys: list[Any]) -> None:
    combine = secp.public_key.combine_keys
    for b in range(3):
        total = combine([keys[i] for i in month.bands[b]])
        secp.check_opening(total, month.band_values[b], secp.band_openings[b])


@bench(group="verify: 3-band month from wire (1488)")
def test_month_wire_privbill(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill", items=MONTH, targets=MONTH_FROM_WIRE_TARGETS)
    benchmark(lambda: _three_bands_privbill(month, CommitmentSet.from_bytes(month.wire)))


@bench(group="verify: 3-band month from wire (1488)")
def test_month_wire_libsodium(benchmark: Any, tag: Tag, month: Month, sodium: SodiumMonth) -> None:
    tag("libsodium", items=MONTH)
    benchmark(_three_bands_libsodium, month, sodium)


@bench(group="verify: 3-band month from wire (1488)")
def test_month_wire_coincurve(benchmark: Any, tag: Tag, month: Month, secp: SecpMonth) -> None:
    tag("coincurve", items=MONTH)

    def run() -> None:
        pk = secp.public_key
        _three_bands_coincurve(month, secp, [pk(c) for c in secp.encodings])

    benchmark(run)


@bench(group="verify: 3-band month from wire with hints (1488)")
def test_month_hinted_privbill(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill", items=MONTH, targets=MONTH_FROM_WIRE_TARGETS, hints=True)
    benchmark(
        lambda: _three_bands_privbill(month, CommitmentSet.from_bytes(month.wire, month.hints))
    )


@bench(group="verify: 3-band month from wire with hints (1488)")
def test_month_hinted_libsodium(
    benchmark: Any, tag: Tag, month: Month, sodium: SodiumMonth
) -> None:
    tag("libsodium", items=MONTH, note="no hints: the plain wire form")
    benchmark(_three_bands_libsodium, month, sodium)


@bench(group="verify: 3-band month from wire with hints (1488)")
def test_month_hinted_coincurve(benchmark: Any, tag: Tag, month: Month, secp: SecpMonth) -> None:
    tag("coincurve", items=MONTH, note="no hints: the plain wire form")

    def run() -> None:
        pk = secp.public_key
        _three_bands_coincurve(month, secp, [pk(c) for c in secp.encodings])

    benchmark(run)


@bench(group="verify: 3-band month from decoded points (1488)")
def test_month_points_privbill(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill", items=MONTH, target_max_s=FROM_POINTS_MAX_S)
    benchmark(_three_bands_privbill, month, month.points)


@bench(group="verify: 3-band month from decoded points (1488)")
def test_month_points_coincurve(benchmark: Any, tag: Tag, month: Month, secp: SecpMonth) -> None:
    tag("coincurve", items=MONTH, note="parsed PublicKey objects kept")
    benchmark(_three_bands_coincurve, month, secp, secp.keys)


# --- a dynamic-price month ------------------------------------------------------------------------


@bench(group="verify: dynamic-price month (1488 weights)")
def test_dynamic_privbill(benchmark: Any, tag: Tag, month: Month) -> None:
    tag("privbill", items=MONTH, targets=DYNAMIC_TARGETS)
    benchmark(
        lambda: verify_opening(
            month.points.combine(month.weights), month.amount, month.amount_opening
        )
    )


@bench(group="verify: dynamic-price month (1488 weights)")
def test_dynamic_libsodium(benchmark: Any, tag: Tag, month: Month, sodium: SodiumMonth) -> None:
    tag("libsodium", items=MONTH, note="per-point scalar multiplication, summed")

    def run() -> None:
        mult, add = sodium.scalarmult, sodium.add
        acc = mult(sodium.weights[0], sodium.encodings[0])
        for w, c in zip(sodium.weights[1:], sodium.encodings[1:], strict=True):
            acc = add(acc, mult(w, c))
        sodium.check_opening(acc, month.amount, bytes(month.amount_opening))

    benchmark(run)


@bench(group="verify: dynamic-price month (1488 weights)")
def test_dynamic_coincurve(benchmark: Any, tag: Tag, month: Month, secp: SecpMonth) -> None:
    tag("coincurve", items=MONTH, note="per-point multiply, then combine_keys")

    def run() -> None:
        terms = [k.multiply(w) for k, w in zip(secp.keys, secp.weights, strict=True)]
        total = secp.public_key.combine_keys(terms)
        secp.check_opening(total, month.amount, secp.amount_opening)

    benchmark(run)


# --- the one-way map (RFC 9496 section 4.3.4) -----------------------------------------------------

UNIFORM = bytes(range(64))


@bench(group="one-way map (64 bytes to an element)")
def test_from_uniform_privbill(benchmark: Any, tag: Tag) -> None:
    tag("privbill")
    benchmark(Element.from_uniform_bytes, UNIFORM)


@bench(group="one-way map (64 bytes to an element)")
def test_from_uniform_libsodium(benchmark: Any, tag: Tag) -> None:
    pysodium = pytest.importorskip("pysodium")
    tag("libsodium")
    out = benchmark(pysodium.crypto_core_ristretto255_from_hash, UNIFORM)
    assert out == bytes(Element.from_uniform_bytes(UNIFORM))


# --- Ed25519 --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return SigningKey.from_bytes(bytes(range(32)))


@bench(group="ed25519: sign (64-byte message)")
def test_sign_privbill(benchmark: Any, tag: Tag, ed_key: SigningKey) -> None:
    tag("privbill")
    assert len(benchmark(ed_key.sign, MESSAGE)) == 64


@bench(group="ed25519: sign (64-byte message)")
def test_sign_cryptography(benchmark: Any, tag: Tag, ed_key: SigningKey) -> None:
    tag("cryptography")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(ed_key.to_bytes())
    assert benchmark(key.sign, MESSAGE) == ed_key.sign(MESSAGE)


@bench(group="ed25519: sign (64-byte message)")
def test_sign_libsodium(benchmark: Any, tag: Tag, ed_key: SigningKey) -> None:
    pysodium = pytest.importorskip("pysodium")
    tag("libsodium")
    _, sk = pysodium.crypto_sign_seed_keypair(ed_key.to_bytes())
    assert benchmark(pysodium.crypto_sign_detached, MESSAGE, sk) == ed_key.sign(MESSAGE)


@bench(group="ed25519: verify (64-byte message)")
def test_verify_privbill(benchmark: Any, tag: Tag, ed_key: SigningKey) -> None:
    tag("privbill")
    sig = ed_key.sign(MESSAGE)
    benchmark(ed_key.verifying_key.verify, MESSAGE, sig)


@bench(group="ed25519: verify (64-byte message)")
def test_verify_cryptography(benchmark: Any, tag: Tag, ed_key: SigningKey) -> None:
    tag("cryptography")
    key = ed25519.Ed25519PublicKey.from_public_bytes(ed_key.verifying_key.to_bytes())
    benchmark(key.verify, ed_key.sign(MESSAGE), MESSAGE)


@bench(group="ed25519: verify (64-byte message)")
def test_verify_libsodium(benchmark: Any, tag: Tag, ed_key: SigningKey) -> None:
    pysodium = pytest.importorskip("pysodium")
    tag("libsodium")
    pk = ed_key.verifying_key.to_bytes()
    benchmark(pysodium.crypto_sign_verify_detached, ed_key.sign(MESSAGE), MESSAGE, pk)
