"""Rules of docs/protocol.md that no other test checked: one test per rule.

docs/threat-model.md ends with the table of every rule of docs/protocol.md and the test
that checks it; most are in test_wire.py, test_keys.py, test_retailer_attacks.py and the
vector tests. The rules below had none. Where the code and the document disagree, the
test says which one is taken to be right and why; a disagreement that is a bug in the code
is a strict xfail naming it.

The setting is local and small: one Ed25519 meter, a household, a retailer in memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from privbill import pedersen
from privbill.errors import (
    BadSignatureError,
    BatchError,
    ChainError,
    EncodingError,
    EquivocationError,
    FormatError,
    OpeningError,
    PrivbillError,
    ReplayError,
    TariffError,
    UnknownMeterError,
)
from privbill.group import Element, Scalar
from privbill.household import Household
from privbill.intervals import BillingPeriod
from privbill.keys import CommitmentSecret, HouseholdKey, SigningKey, VerifyingKey
from privbill.meter import Meter, MeterIdentity
from privbill.pedersen import CommitmentSet
from privbill.retailer import Retailer
from privbill.statement import Statement, tariff_digest
from privbill.tariffs import FlatTariff, classic_three_band, tariff_to_json
from privbill.wire import SignedBatch, sign_batch

TZ = "Europe/London"
DAY = date(2013, 4, 1)
PERIOD = BillingPeriod(DAY, DAY + timedelta(days=1), TZ)
INTERVALS = PERIOD.intervals()
INVALID = b"\xff" * 32  # not a canonical field element: never a ristretto255 encoding


F = TypeVar("F", bound=Callable[..., Any])


def fixed(reason: str) -> Callable[[F], F]:
    """A bug this test found, since fixed: the test stays as its regression test, and
    ``reason`` says what was wrong and how it was fixed (docs/threat-model.md lists them)."""

    def mark(fn: F) -> F:
        fn.fixed_bug = reason  # type: ignore[attr-defined]
        return fn

    return mark


def readings(n: int = len(INTERVALS)) -> list[int | None]:
    return [100 + i % 7 for i in range(n)]


def setting(contract: bool = True) -> tuple[Meter, Household, Retailer]:
    meter = Meter.manufacture(meter_id=bytes.fromhex("c3" * 16))
    home = Household(meter.meter_id, meter.secret)
    retailer = Retailer()
    retailer.register_meter(meter.identity, classic_three_band(tz=TZ) if contract else None)
    return meter, home, retailer


def resign(
    meter: Meter, batch: SignedBatch, key: SigningKey | None = None, **changes: object
) -> bytes:
    payload = dataclasses.replace(batch.payload, **changes)  # type: ignore[arg-type]
    return sign_batch(payload, key or meter.signing_key).encoded


def with_commitment(batch: SignedBatch, position: int, commitment: bytes) -> bytes:
    cs = batch.payload.commitment_list()
    cs[position] = commitment
    return b"".join(cs)


def ingest_error(retailer: Retailer, data: bytes) -> type[PrivbillError]:
    with pytest.raises(PrivbillError) as info:
        retailer.ingest(data)
    return type(info.value)


# --- group and generators ---------------------------------------------------------------------


def test_generator_encodings_are_the_documented_bytes() -> None:
    """ "Group and generators": G and H encode to the bytes printed in protocol.md."""
    assert bytes(pedersen.G).hex() == (
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    )
    assert bytes(pedersen.H).hex() == (
        "e803ac982e58edee46c3cfadd1d0e77e31010bd94caf53c6802e8c9ca25ed47c"
    )
    assert len(pedersen.H_DOMAIN) == 22 and len(pedersen.BLINDING_DOMAIN) == 20


# --- decoding hints ---------------------------------------------------------------------------


def test_wrong_hints_never_change_a_verdict() -> None:
    """ "Decoding hints": a hint that fails the check is ignored, so hints change speed only.
    Garbage hints, hints of other elements and the right hints all decode the same; an
    invalid encoding stays invalid whatever hint comes with it."""
    wire = pedersen.commit_many([5, 0, 7], [Scalar.from_int(1), Scalar.from_int(0),
                                            Scalar.from_int(9)])  # fmt: skip
    right = pedersen.decode_hints(wire)
    plain = [bytes(CommitmentSet.from_bytes(wire).element(i)) for i in range(3)]
    other = pedersen.decode_hints(bytes(pedersen.H) * 3)
    for hints in (right, bytes(96), b"\xff" * 96, other, right[32:] + right[:32]):
        cs = CommitmentSet.from_bytes(wire, hints)
        assert [bytes(cs.element(i)) for i in range(3)] == plain
    bad = wire[:32] + INVALID + wire[64:]
    for hints in (right, bytes(96)):
        with pytest.raises(EncodingError, match="commitment 1"):
            CommitmentSet.from_bytes(bad, hints)


def test_hints_are_outside_the_signature_and_the_hash() -> None:
    """Hints travel beside the batch: ingest with right, wrong or no hints gives the
    same receipt and the same chain (the batch hash does not cover them)."""
    receipts = []
    for hints in ("right", "garbage", None):
        meter, _, retailer = setting()
        meter = Meter(meter.meter_id, SigningKey.from_bytes(bytes(32)),
                      CommitmentSecret.from_bytes(bytes(range(32))))  # fmt: skip
        retailer.register_meter(meter.identity, classic_three_band(tz=TZ))
        batch = meter.commit(INTERVALS.start, readings())
        h = pedersen.decode_hints(batch.payload.commitments)
        given = {"right": h, "garbage": bytes(len(h)), None: None}[hints]
        receipts.append(retailer.ingest(batch.encoded, given))
        nxt = meter.commit(INTERVALS.stop, readings())
        assert nxt.payload.prev_hash == batch.hash()
        retailer.ingest(nxt.encoded)  # links to the hash of the batch alone
    assert receipts[0] == receipts[1] == receipts[2]


def test_hints_cannot_validate_an_invalid_commitment() -> None:
    meter, _, retailer = setting()
    batch = meter.commit(INTERVALS.start, readings())
    forged = resign(meter, batch, commitments=with_commitment(batch, 3, INVALID))
    hints = pedersen.decode_hints(batch.payload.commitments)
    with pytest.raises(EncodingError, match="commitment 3"):
        retailer.ingest(forged, hints)
    assert retailer.batch_count() == 0


# --- ingest: the order of the checks ------------------------------------------------------------


def test_ingest_order_registration_before_signature() -> None:
    """Steps 2 before 3: an unknown meter's batch with a bad signature is UnknownMeterError."""
    _, _, retailer = setting()
    stranger = Meter.manufacture(meter_id=bytes(16))
    batch = stranger.commit(INTERVALS.start, readings())
    assert ingest_error(retailer, resign(stranger, batch, SigningKey.generate())) is (
        UnknownMeterError
    )


def test_ingest_order_signature_before_encodings() -> None:
    """Steps 3 before 4: a wrongly signed batch with an invalid commitment is
    BadSignatureError (the commitments of an unauthenticated batch are not looked at)."""
    meter, _, retailer = setting()
    batch = meter.commit(INTERVALS.start, readings())
    forged = resign(meter, batch, SigningKey.generate(),
                    commitments=with_commitment(batch, 0, INVALID))  # fmt: skip
    assert ingest_error(retailer, forged) is BadSignatureError


def test_ingest_order_encodings_before_period() -> None:
    """Steps 4 before 5 (meter without a contracted tariff): an invalid commitment in a
    batch whose period breaks the chain's is EncodingError."""
    meter, _, retailer = setting(contract=False)
    retailer.ingest(meter.commit(INTERVALS.start, readings()).encoded)
    quarter = Meter(meter.meter_id, meter.signing_key, meter.secret, period=900)
    quarter.restore_chain(0, *meter.chain_state()[0])
    batch = quarter.commit(2 * INTERVALS.stop, readings(8))
    forged = resign(meter, batch, commitments=with_commitment(batch, 0, INVALID))
    assert ingest_error(retailer, forged) is EncodingError
    assert ingest_error(retailer, batch.encoded) is BatchError


@fixed(
    "Retailer._points refuses a batch whose period differs "
    "from the contracted tariff's (BatchError) before decoding its commitments, so a batch "
    "with an invalid commitment and the other period is BatchError, where protocol.md's "
    "order (4 encodings, then 5 period) says EncodingError; and that contracted-period rule "
    "is not in protocol.md at all. Fix: decode the commitments first and add the rule to "
    "step 5 ('and, on the import channel, the contracted tariff's period')."
)
def test_ingest_order_encodings_before_contracted_period() -> None:
    meter, _, retailer = setting(contract=True)
    quarter = Meter(meter.meter_id, meter.signing_key, meter.secret, period=900)
    batch = quarter.commit(2 * INTERVALS.start, readings(8))
    forged = resign(meter, batch, commitments=with_commitment(batch, 0, INVALID))
    assert ingest_error(retailer, forged) is EncodingError


def test_ingest_period_must_equal_the_chains() -> None:
    """Step 5 on its own: same meter and channel, no contracted tariff, a 900 s batch
    after 1800 s batches is BatchError, and a 900 s chain on the export channel is fine
    (the rule is per channel)."""
    meter, _, retailer = setting(contract=False)
    retailer.ingest(meter.commit(INTERVALS.start, readings()).encoded)
    quarter = Meter(meter.meter_id, meter.signing_key, meter.secret, period=900)
    quarter.restore_chain(0, *meter.chain_state()[0])
    with pytest.raises(BatchError, match="chain uses 1800"):
        retailer.ingest(quarter.commit(2 * INTERVALS.stop, readings(96)).encoded)
    retailer.ingest(quarter.commit(2 * INTERVALS.start, readings(96), channel=1).encoded)
    assert retailer.batch_count() == 2


def test_ingest_order_period_before_equivocation() -> None:
    """Steps 5 before 6: a batch of another period that also commits differently to
    stored indices is BatchError (its indices mean other times: no equivocation)."""
    meter, _, retailer = setting(contract=False)
    retailer.ingest(meter.commit(INTERVALS.start, readings()).encoded)
    quarter = Meter(meter.meter_id, meter.signing_key, meter.secret, period=900)
    quarter.restore_chain(0, *meter.chain_state()[0])
    assert ingest_error(retailer, quarter.commit(INTERVALS.start, [1] * 8).encoded) is BatchError


def test_ingest_order_counter_before_prev_hash() -> None:
    """Steps 7 before 8: a skipped counter with a wrong prev_hash is ChainError for the
    skip; a replayed counter with a wrong prev_hash is ReplayError."""
    meter, _, retailer = setting()
    first = meter.commit(INTERVALS.start, readings())
    retailer.ingest(first.encoded)
    later = meter.commit(INTERVALS.stop, readings())
    with pytest.raises(ChainError, match="skips 1"):
        retailer.ingest(resign(meter, later, counter=3, prev_hash=b"\x07" * 32))
    with pytest.raises(ReplayError):
        retailer.ingest(resign(meter, later, counter=1, prev_hash=bytes(32)))


def test_ingest_replay_of_stored_intervals_is_reported_as_a_replay() -> None:
    """Step 6 says an overlap with identical commitments is BatchError, step 7 that a
    smaller counter is ReplayError. A replayed batch is both; the retailer reports the
    replay (the more specific error, and the one a network attacker's replay should get).
    protocol.md lists 6 before 7, so the document should say so (reported with the
    threat model); the overlap is BatchError when the counter and hash are the next ones."""
    meter, _, retailer = setting()
    first = meter.commit(INTERVALS.start, readings())
    retailer.ingest(first.encoded)
    assert ingest_error(retailer, first.encoded) is ReplayError
    again = resign(meter, first, counter=2, prev_hash=first.hash())
    assert ingest_error(retailer, again) is BatchError


def test_ingest_order_equivocation_before_chain() -> None:
    """Steps 6 before 7 and 8: a conflicting batch for stored intervals is
    EquivocationError even when its counter is a replay and its prev_hash wrong."""
    meter, _, retailer = setting()
    first = meter.commit(INTERVALS.start, readings())
    retailer.ingest(first.encoded)
    o = pedersen.derive_blinding(meter.secret.to_bytes(), meter.meter_id, 0, INTERVALS.start)
    other = with_commitment(first, 0, bytes(pedersen.commit(999, o)))
    for counter, prev in ((1, bytes(32)), (5, b"\x01" * 32)):
        forged = resign(meter, first, commitments=other, counter=counter, prev_hash=prev)
        assert ingest_error(retailer, forged) is EquivocationError


# --- registration ---------------------------------------------------------------------------

#: The Ed25519 identity (y = 1): a small-order key under which R = identity, S = 0
#: verifies every message (privbill.h, privbill_ed25519_verify).
IDENTITY_KEY = bytes.fromhex("01" + "00" * 31)


def _small_order_identity(meter_id: bytes) -> MeterIdentity:
    raw = ed25519.Ed25519PublicKey.from_public_bytes(IDENTITY_KEY)
    return MeterIdentity(meter_id, VerifyingKey("ed25519", raw))


@fixed(
    "protocol.md says small-order Ed25519 keys are refused at registration, but "
    "VerifyingKey's public constructor wraps any cryptography key without the prime-order "
    "check that from_bytes makes, and Retailer.register_meter stores whatever it is given. "
    "(A forged batch is still refused, with EncodingError, when the key is reloaded.) Fix: "
    "validate in VerifyingKey.__init__ (or re-decode with from_bytes in register_meter)."
)
def test_small_order_key_is_refused_at_registration() -> None:
    retailer = Retailer()
    with pytest.raises(EncodingError):
        retailer.register_meter(_small_order_identity(bytes(16)))


def test_small_order_key_cannot_sign_for_a_meter() -> None:
    """The safety net behind the bug above: under the identity key the signature
    R = identity, S = 0 verifies for any message in the C rule, but the retailer
    re-decodes registered keys strictly, so the forged batch is refused."""
    forged_sig = IDENTITY_KEY + bytes(32)
    assert VerifyingKey("ed25519", ed25519.Ed25519PublicKey.from_public_bytes(IDENTITY_KEY)
                        ).verify(b"any message", forged_sig) is None  # fmt: skip
    retailer = Retailer()
    try:
        retailer.register_meter(_small_order_identity(bytes(16)))
    except EncodingError:
        return  # refused at registration: the fixed behaviour
    victim = Meter.manufacture(meter_id=bytes(16))
    batch = victim.commit(INTERVALS.start, readings())
    data = cbor2.dumps(cbor2.CBORTag(18, [batch.protected, {4: batch.kid}, batch.payload_bytes,
                                          forged_sig]), canonical=True)  # fmt: skip
    with pytest.raises(PrivbillError):
        retailer.ingest(data)
    assert retailer.batch_count() == 0


# --- pairing ---------------------------------------------------------------------------------


def test_sealed_secret_is_anonymous() -> None:
    """ "Commitment secret handover": the sealed box proves nothing about who sealed it.
    A stranger's box opens like the meter's; the household then holds the wrong k, and
    every statement it makes fails against the meter's commitments (OpeningError): a
    substituted secret is a denial of service, not a way to a false bill. Authenticating
    the pairing is left to the pairing protocol (docs/security-policy.md)."""
    meter, _, retailer = setting()
    retailer.ingest(meter.commit(INTERVALS.start, readings()).encoded)
    key = HouseholdKey.generate()
    strangers = CommitmentSecret.generate().seal_to(key.public_bytes)
    home = Household.pair(meter.meter_id, strangers, key)
    home.load(dict(zip(INTERVALS, readings(), strict=True)))  # type: ignore[arg-type]
    with pytest.raises(OpeningError):
        retailer.verify(home.statement(PERIOD, classic_three_band(tz=TZ)))


# --- statements: decoding ---------------------------------------------------------------------


def _statement_items(meter: Meter, home: Household) -> list[object]:
    return cbor2.loads(home.statement(PERIOD, classic_three_band(tz=TZ)).encode())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("index", "value", "why"),
    [
        (0, 2, "version"),
        (6, 3, "mode"),
        (4, DAY.toordinal(), "end"),  # end == start: an empty period
        (4, DAY.toordinal() - 1, "end"),
        (3, 0, "start"),  # ordinal 0 is no date
        (2, 256, "channel"),
    ],
)
def test_statement_field_rules(index: int, value: int, why: str) -> None:
    """ "Statements": version 1, mode 0..2, start < end as date ordinals, channel a byte."""
    meter, home, _ = setting()
    home.load(dict(zip(INTERVALS, readings(), strict=True)))  # type: ignore[arg-type]
    items = _statement_items(meter, home)
    items[index] = value
    with pytest.raises(FormatError, match=why):
        Statement.decode(cbor2.dumps(items, canonical=True))


@pytest.mark.parametrize(
    "pair",
    [
        [2**64, bytes(32)],
        [-(2**64), bytes(32)],
        [0, (2**252 + 27742317777372353535851937790883648493).to_bytes(32, "little")],
        [0, bytes(31)],
        [0, bytes(32), 0],
    ],
    ids=["value-2^64", "value--2^64", "opening-l", "opening-31-bytes", "triple"],
)
def test_statement_value_and_opening_rules(pair: list[object]) -> None:
    """Values are signed with |value| < 2^64; openings canonical 32-byte scalars."""
    meter, home, _ = setting()
    items = _statement_items(meter, home)
    items[8] = [pair, *items[8][1:]]  # type: ignore[index]
    with pytest.raises(FormatError):
        Statement.decode(cbor2.dumps(items, canonical=True))


def test_statement_values_at_the_edges_are_accepted() -> None:
    meter, home, _ = setting()
    items = _statement_items(meter, home)
    items[8] = [[2**64 - 1, bytes(32)], [-(2**64) + 1, bytes(32)], [0, bytes(32)]]
    data = cbor2.dumps(items, canonical=True)
    assert Statement.decode(data).encode() == data


def test_statement_one_encoding() -> None:
    """ "One encoding per message" holds for statements: a non-shortest integer,
    an indefinite array or a trailing byte is FormatError."""
    _, home, _ = setting()
    data = home.statement(PERIOD, classic_three_band(tz=TZ)).encode()
    assert data[1] == 0x01  # version 1 in one byte
    for bad in (data[:1] + b"\x18\x01" + data[2:], b"\x9f" + data[1:] + b"\xff", data + b"\x00"):
        with pytest.raises(FormatError):
            Statement.decode(bad)


def test_statement_presence_unused_bits_must_be_zero() -> None:
    """ "presence ... unused high bits 0": a 46-interval day has 6 bytes, 2 bits unused."""
    meter, home, retailer = setting()
    day = BillingPeriod(date(2013, 3, 31), date(2013, 4, 1), TZ)  # 46 half-hours
    n = len(day.intervals())
    assert n == 46
    retailer.ingest(meter.commit(day.intervals().start, [100] * n).encoded)
    home.load(dict.fromkeys(day.intervals(), 100))
    st = home.statement(day, classic_three_band(tz=TZ))
    retailer.verify(st)
    forged = dataclasses.replace(st, presence=st.presence[:-1] + bytes([st.presence[-1] | 0x80]))
    with pytest.raises(FormatError, match="presence"):
        retailer.verify(forged.encode())


def test_tariff_digest_is_sha256_of_the_canonical_json() -> None:
    """ "tariff_digest ... SHA-256 of the tariff's canonical JSON"."""
    t = classic_three_band(tz=TZ)
    assert tariff_digest(t) == hashlib.sha256(tariff_to_json(t).encode("utf-8")).digest()


def test_only_the_import_channel_is_billed_by_bands_or_amount() -> None:
    """Mode 2 (total) is the export channel's mode; a bands statement on channel 1 is
    refused (FormatError) rather than billed as import."""
    meter, home, retailer = setting()
    retailer.ingest(meter.commit(INTERVALS.start, readings(), channel=1).encoded)
    home.load(dict(zip(INTERVALS, readings(), strict=True)), channel=1)  # type: ignore[arg-type]
    with pytest.raises(FormatError, match="total mode only"):
        retailer.verify(home.statement(PERIOD, classic_three_band(tz=TZ), "bands", channel=1))
    assert retailer.verify(home.statement(PERIOD, classic_three_band(tz=TZ), "total",
                                          channel=1)).total_wh == sum(readings())  # type: ignore[arg-type]  # fmt: skip


# --- statements: verification ----------------------------------------------------------------


def test_statement_for_a_meter_without_a_contract_is_refused() -> None:
    """Verification step 1 reads "the tariff digest names a known tariff, and the one the
    meter's contract names if it names one": taken literally, a meter without a contract
    could be billed under any known tariff, the cheapest one the household likes. The
    retailer refuses instead (TariffError, Retailer.register_meter explains why); the
    document should say "the one the meter's contract names" (reported)."""
    meter, home, retailer = setting(contract=False)
    cheap = FlatTariff(1, unit="0.01p", tz=TZ)
    retailer.add_tariff(cheap)
    retailer.ingest(meter.commit(INTERVALS.start, readings()).encoded)
    home.load(dict(zip(INTERVALS, readings(), strict=True)))  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="no contracted tariff"):
        retailer.verify(home.statement(PERIOD, cheap))


def test_verification_checks_value_mod_l_against_the_sum() -> None:
    """Step 3: S == (value mod l)*G + opening*H, on the sum the mode names; the same
    opening with the same value opens, any other value does not (including one that
    differs by a multiple of 2^64, which a wrapping verifier would accept)."""
    meter, home, retailer = setting()
    retailer.ingest(meter.commit(INTERVALS.start, readings()).encoded)
    home.load(dict(zip(INTERVALS, readings(), strict=True)))  # type: ignore[arg-type]
    st = home.statement(PERIOD, classic_three_band(tz=TZ), "total")
    ((value, opening),) = st.values
    assert retailer.verify(st).total_wh == value
    total = Element.identity()
    indices, cs = retailer.stored_commitments(meter.meter_id, 0, INTERVALS)
    total = cs.sum()
    pedersen.verify_opening(total, value, Scalar.from_bytes(opening))
    for wrong in (value + 1, value - 2**64 + 1, -value):
        with pytest.raises(OpeningError):
            retailer.verify(dataclasses.replace(st, values=((wrong, opening),)))
    assert len(indices) == len(INTERVALS)


# --- the threat model cites only tests that exist ---------------------------------------------


def test_threat_model_cites_only_existing_tests() -> None:
    """docs/threat-model.md names its tests as `file.py::name`; each must exist (a
    function, or a name bound at module level such as a hypothesis TestCase)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "threat-model.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`(test_[a-z0-9_]+\.py)::([A-Za-z_][A-Za-z0-9_]*)", text))
    assert len(cited) > 100
    missing = []
    for file, name in sorted(cited):
        source = (root / "tests" / file).read_text(encoding="utf-8")
        if not re.search(rf"^(def {name}\(|{name} = |class {name}\b)", source, re.M):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/threat-model.md cites tests that do not exist: {missing}"
