"""privbill.wire: the meter batch (deterministic CBOR payload in a COSE_Sign1 envelope).

What is checked, and against what:

- Byte-exact encodings: the worked example of docs/protocol.md is written out here
  byte by byte from the specification (RFC 8949 heads, RFC 9052 structures), not from
  the code, and compared with what the code emits. The same hex is in the document,
  and ``test_protocol_md_example_is_current`` keeps the two equal.
- Signatures through an independent path: PyNaCl (libsodium) for Ed25519 and
  pyca/cryptography with a DER re-encoding for ECDSA P-256, both over a Sig_structure
  assembled here by hand.
- Every decoding rule of the specification has its own case, and must raise
  FormatError naming the field.
- A seeded fuzz run (``PRIVBILL_SEED=<n>`` replays one; the seed is in every failure
  message) feeds thousands of mutated and random inputs: only privbill errors may
  come out, anything accepted must be the canonical encoding, and anything accepted
  that differs from a signed original must fail verification.
- cbor2 is the independent decoder for the differential checks.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import cbor2
import nacl.signing
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from privbill.errors import (
    BadSignatureError,
    EncodingError,
    FormatError,
    RangeError,
)
from privbill.keys import SigningKey
from privbill.wire import (
    MAX_BATCH_SIZE,
    MAX_COUNT,
    MAX_PAYLOAD_SIZE,
    ZERO_HASH,
    BatchPayload,
    SignedBatch,
    _decode_laid_out,
    sign_batch,
)

REPO = Path(__file__).resolve().parent.parent
PROTOCOL_MD = REPO / "docs" / "protocol.md"

# --- the worked example (docs/protocol.md, "Meter batch") ------------------------------------

# Keys: the RFC 8032 section 7.1 TEST 1 seed, and the RFC 6979 appendix A.2.5 P-256 key.
ED25519_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
P256_SCALAR = bytes.fromhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
METER_ID = bytes.fromhex("00112233445566778899aabbccddeeff")
# Stand-in commitments: 1*B, 2*B, 3*B for the ristretto255 generator B (RFC 9496 A.1).
B1 = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
B2 = bytes.fromhex("6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919")
B3 = bytes.fromhex("94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259")
FIRST_INDEX = 1_704_067_200 // 1800  # 2024-01-01T00:00:00Z = interval 946704

# The example payload, byte by byte from the specification.
EXAMPLE_PAYLOAD_HEX = " ".join(
    [
        "8a",  # array(10)
        "01",  # 0 version: 1
        "50 00112233445566778899aabbccddeeff",  # 1 meter_id: bstr(16)
        "00",  # 2 channel: 0 (import)
        "19 0708",  # 3 period: 1800 (two-byte argument)
        "1a 000e7210",  # 4 first_index: 946704 (four-byte argument)
        "04",  # 5 count: 4
        "41 0b",  # 6 presence: bstr(1), bits 0, 1 and 3 set: 0b00001011
        "58 60",  # 7 commitments: bstr(96), three present intervals...
        B1.hex(),  # ...interval 946704
        B2.hex(),  # ...interval 946705
        B3.hex(),  # ...interval 946707 (946706 was not recorded)
        "01",  # 8 counter: 1
        "58 20",  # 9 prev_hash: bstr(32)...
        "00" * 32,  # ...all zero for the first batch
    ]
)
EXAMPLE_PAYLOAD = bytes.fromhex(EXAMPLE_PAYLOAD_HEX)
assert len(EXAMPLE_PAYLOAD) == 164


def example_payload() -> BatchPayload:
    return BatchPayload.from_intervals(
        meter_id=METER_ID,
        channel=0,
        period=1800,
        first_index=FIRST_INDEX,
        commitments=[B1, B2, None, B3],
        counter=1,
        prev_hash=ZERO_HASH,
    )


def example_protected(cose_alg: int) -> bytes:
    # {1: alg}: map(1), key 1, then -8 = 0x27 (major 1, argument 7) or -7 = 0x26.
    return bytes([0xA1, 0x01, 0x20 | (-1 - cose_alg)])


def example_sig_structure(protected: bytes, payload: bytes) -> bytes:
    """["Signature1", protected, h'', payload], by hand, for a payload of 24..255 bytes."""
    assert 24 <= len(payload) <= 255
    return (
        b"\x84"  # array(4)
        + b"\x6a"
        + b"Signature1"  # text(10)
        + bytes([0x40 + len(protected)])
        + protected  # bstr(3)
        + b"\x40"  # bstr(0): external_aad
        + b"\x58"
        + bytes([len(payload)])
        + payload  # bstr(len)
    )


def example_envelope(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    """18([protected, {4: meter_id}, payload, signature]), by hand."""
    assert 24 <= len(payload) <= 255 and len(signature) == 64
    return (
        b"\xd2"  # tag(18)
        + b"\x84"  # array(4)
        + bytes([0x40 + len(protected)])
        + protected  # bstr(3)
        + b"\xa1\x04\x50"
        + METER_ID  # {4: bstr(16)}
        + b"\x58"
        + bytes([len(payload)])
        + payload  # bstr(164)
        + b"\x58\x40"
        + signature  # bstr(64)
    )


# --- fixtures (local to this file) ------------------------------------------------------------


@pytest.fixture(params=["ed25519", "p256"])
def key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.from_bytes(
        ED25519_SEED if request.param == "ed25519" else P256_SCALAR, request.param
    )


@pytest.fixture
def ed_key() -> SigningKey:
    return SigningKey.from_bytes(ED25519_SEED)


@pytest.fixture
def batch(ed_key: SigningKey) -> SignedBatch:
    return sign_batch(example_payload(), ed_key)


@pytest.fixture
def fuzz_rng() -> Iterator[tuple[random.Random, int]]:
    """A seeded random source; PRIVBILL_SEED=<n> replays a run."""
    env = os.environ.get("PRIVBILL_SEED")
    seed = int(env) if env else 0x5EED_2024
    yield random.Random(seed), seed


def independent_verify(alg: str, public: bytes, message: bytes, signature: bytes) -> None:
    if alg == "ed25519":
        nacl.signing.VerifyKey(public).verify(message, signature)
    else:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        point.verify(der, message, ec.ECDSA(hashes.SHA256()))


# --- a tiny CBOR writer for building invalid inputs (independent of the code under test) ----


def head(major: int, arg: int, width: int | None = None) -> bytes:
    """A CBOR head; ``width`` (0, 1, 2, 4, 8 bytes of argument) forces a form."""
    if width is None:
        width = (
            0 if arg < 24 else 1 if arg < 2**8 else 2 if arg < 2**16 else 4 if arg < 2**32 else 8
        )
    if width == 0:
        return bytes([major << 5 | arg])
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | info]) + arg.to_bytes(width, "big")


def uint(n: int, width: int | None = None) -> bytes:
    return head(0, n, width)


def bstr(b: bytes, width: int | None = None) -> bytes:
    return head(2, len(b), width) + b


def payload_items(p: BatchPayload) -> list[bytes]:
    """The ten encoded items of a payload, for splicing."""
    return [
        uint(p.version),
        bstr(p.meter_id),
        uint(p.channel),
        uint(p.period),
        uint(p.first_index),
        uint(p.count),
        bstr(p.presence),
        bstr(p.commitments),
        uint(p.counter),
        bstr(p.prev_hash),
    ]


def assemble(items: list[bytes]) -> bytes:
    return head(4, len(items)) + b"".join(items)


def cose(
    protected: bytes = b"\x43\xa1\x01\x27",
    unprotected: bytes = b"\xa1\x04\x50" + METER_ID,
    payload: bytes | None = None,
    signature: bytes = b"\x58\x40" + bytes(64),
    prefix: bytes = b"\xd2\x84",
) -> bytes:
    """A COSE_Sign1 from encoded parts (payload given as the raw payload bytes)."""
    body = bstr(EXAMPLE_PAYLOAD if payload is None else payload)
    return prefix + protected + unprotected + body + signature


def with_item(index: int, encoded: bytes, base: BatchPayload | None = None) -> bytes:
    items = payload_items(base or example_payload())
    items[index] = encoded
    return assemble(items)


FIELDS = [
    "version",
    "meter_id",
    "channel",
    "period",
    "first_index",
    "count",
    "presence",
    "commitments",
    "counter",
    "prev_hash",
]


def reject_payload(data: bytes, field: str) -> None:
    """Both decoders must refuse: the payload alone, and inside an envelope."""
    with pytest.raises(FormatError, match=rf"^{re.escape(field)}\b"):
        BatchPayload.decode(data)
    with pytest.raises(FormatError, match=rf"^payload: {re.escape(field)}\b"):
        SignedBatch.decode(cose(payload=data))


# --- byte-exact encodings --------------------------------------------------------------------


def test_example_payload_bytes() -> None:
    assert example_payload().encode() == EXAMPLE_PAYLOAD
    assert BatchPayload.decode(EXAMPLE_PAYLOAD) == example_payload()


def test_helpers_agree_with_the_byte_by_byte_example() -> None:
    assert assemble(payload_items(example_payload())) == EXAMPLE_PAYLOAD


def test_example_envelope_bytes(key: SigningKey) -> None:
    b = sign_batch(example_payload(), key)
    protected = example_protected(key.cose_alg)
    assert protected == (b"\xa1\x01\x27" if key.alg == "ed25519" else b"\xa1\x01\x26")
    assert b.protected == protected
    assert b.payload_bytes == EXAMPLE_PAYLOAD
    assert b.to_be_signed() == example_sig_structure(protected, EXAMPLE_PAYLOAD)
    assert b.encoded == example_envelope(protected, EXAMPLE_PAYLOAD, b.signature)
    assert len(b.encoded) == 1 + 1 + 4 + 19 + 2 + 164 + 66 == 257
    # Both algorithms sign deterministically, so the example is a fixed vector.
    assert sign_batch(example_payload(), key).encoded == b.encoded


def test_cbor2_agrees_on_the_structure(batch: SignedBatch) -> None:
    """cbor2, an independent decoder, reads what the spec says is there."""
    tag = cbor2.loads(batch.encoded)
    assert isinstance(tag, cbor2.CBORTag) and tag.tag == 18
    protected, unprotected, payload, signature = tag.value
    assert cbor2.loads(protected) == {1: -8}
    assert dict(unprotected) == {4: METER_ID}
    assert list(cbor2.loads(payload)) == [
        1, METER_ID, 0, 1800, 946704, 4, b"\x0b", B1 + B2 + B3, 1, ZERO_HASH,
    ]  # fmt: skip
    assert signature == batch.signature


def test_signature_verifies_independently(key: SigningKey) -> None:
    b = sign_batch(example_payload(), key)
    message = example_sig_structure(example_protected(key.cose_alg), EXAMPLE_PAYLOAD)
    independent_verify(key.alg, key.verifying_key.to_bytes(), message, b.signature)
    b.verify(key.verifying_key)


def test_hash_is_sha256_of_the_envelope(batch: SignedBatch) -> None:
    assert batch.hash() == hashlib.sha256(batch.encoded).digest()
    assert bytes(batch) == batch.encoded


def test_protocol_md_example_is_current(key: SigningKey) -> None:
    """The hex in docs/protocol.md is what the code produces for the example."""
    if not PROTOCOL_MD.is_file():
        pytest.skip("docs/protocol.md is not present")
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    b = sign_batch(example_payload(), key)
    for name, expected in (
        (f"batch-{key.alg}", b.encoded),
        ("payload", EXAMPLE_PAYLOAD),
        (f"sig-structure-{key.alg}", b.to_be_signed()),
        (f"hash-{key.alg}", b.hash()),
    ):
        match = re.search(
            rf"<!-- vector: {re.escape(name)} -->\s*```[a-z]*\n([0-9a-f\s]+)```", text
        )
        assert match, f"vector {name} is missing from docs/protocol.md"
        assert bytes.fromhex("".join(match.group(1).split())) == expected, name


# --- round trips ---------------------------------------------------------------------------


def random_payload(rng: random.Random) -> BatchPayload:
    count = rng.choice([1, 2, 7, 8, 9, 46, 48, 50, 96, 100, rng.randint(1, MAX_COUNT)])
    present = [rng.random() < 0.9 for _ in range(count)]
    counter = rng.choice([1, 2, 23, 24, 255, 256, 65535, 65536, 2**32, 2**64 - 1])
    return BatchPayload.from_intervals(
        meter_id=rng.randbytes(16),
        channel=rng.choice([0, 1, 23, 24, 255]),
        period=rng.choice([900, 1800]),
        first_index=rng.choice([0, 23, 24, 946704, 2**32, 2**64 - count]),
        commitments=[rng.randbytes(32) if p else None for p in present],
        counter=counter,
        prev_hash=ZERO_HASH if counter == 1 else rng.randbytes(32),
    )


def test_round_trip_random_payloads(fuzz_rng: tuple[random.Random, int]) -> None:
    rng, seed = fuzz_rng
    keys = [SigningKey.generate("ed25519"), SigningKey.generate("p256")]
    for _ in range(200):
        p = random_payload(rng)
        data = p.encode()
        assert BatchPayload.decode(data) == p, seed
        # cbor2 decodes our bytes to the same values, and its canonical encoder agrees.
        assert cbor2.dumps(cbor2.loads(data), canonical=True) == data, seed
        k = rng.choice(keys)
        b = sign_batch(p, k)
        again = SignedBatch.decode(b.encoded)
        assert again == b, seed
        again.verify(k.verifying_key)
        # every valid batch takes the fast path, and the strict decoder agrees
        assert _decode_laid_out(b.encoded) is not None, seed
        assert SignedBatch._decode_strict(b.encoded) == b, seed


def test_present_indices_and_commitments() -> None:
    p = example_payload()
    assert p.count == 4 and p.presence == b"\x0b"
    assert p.present_indices() == [FIRST_INDEX, FIRST_INDEX + 1, FIRST_INDEX + 3]
    assert p.commitment_list() == [B1, B2, B3]
    assert p.present_commitments() == list(
        zip([FIRST_INDEX, FIRST_INDEX + 1, FIRST_INDEX + 3], [B1, B2, B3], strict=True)
    )
    assert p.last_index == FIRST_INDEX + 3


def test_presence_bit_order_lsb_first() -> None:
    c = bytes(32)
    for j in range(17):
        p = BatchPayload.from_intervals(
            meter_id=METER_ID, channel=0, period=900, first_index=100,
            commitments=[c if i == j else None for i in range(17)],
            counter=1, prev_hash=ZERO_HASH,
        )  # fmt: skip
        expected = bytearray(3)
        expected[j // 8] = 1 << (j % 8)
        assert p.presence == bytes(expected)
        assert p.present_indices() == [100 + j]


def test_batch_with_nothing_recorded() -> None:
    p = BatchPayload.from_intervals(
        meter_id=METER_ID, channel=1, period=1800, first_index=0,
        commitments=[None] * 48, counter=1, prev_hash=ZERO_HASH,
    )  # fmt: skip
    assert p.presence == bytes(6) and p.commitments == b"" and p.present_indices() == []
    assert BatchPayload.decode(p.encode()) == p


def test_hash_chain(ed_key: SigningKey) -> None:
    first = sign_batch(example_payload(), ed_key)
    second = sign_batch(replace(example_payload(), counter=2, prev_hash=first.hash()), ed_key)
    decoded = SignedBatch.decode(second.encoded)
    assert decoded.payload.prev_hash == hashlib.sha256(first.encoded).digest()


def test_largest_batch_is_exactly_the_size_limit(ed_key: SigningKey) -> None:
    p = BatchPayload(
        meter_id=METER_ID,
        channel=255,
        period=1800,
        first_index=2**64 - MAX_COUNT,
        count=MAX_COUNT,
        presence=b"\xff" * (MAX_COUNT // 8),
        commitments=bytes(32 * MAX_COUNT),
        counter=2**64 - 1,
        prev_hash=b"\x01" * 32,
    )
    b = sign_batch(p, ed_key)
    assert len(b.payload_bytes) == MAX_PAYLOAD_SIZE
    assert len(b.encoded) == MAX_BATCH_SIZE
    assert SignedBatch.decode(b.encoded) == b
    assert p.present_indices()[-1] == 2**64 - 1


def test_input_longer_than_any_valid_batch() -> None:
    with pytest.raises(FormatError, match="longer than any valid"):
        SignedBatch.decode(bytes(MAX_BATCH_SIZE + 1))
    with pytest.raises(FormatError, match="longer than any valid"):
        BatchPayload.decode(bytes(MAX_PAYLOAD_SIZE + 1))


def test_decode_accepts_bytes_like_but_not_other_types(batch: SignedBatch) -> None:
    assert SignedBatch.decode(bytearray(batch.encoded)) == batch
    assert SignedBatch.decode(memoryview(batch.encoded)) == batch
    with pytest.raises(TypeError):
        SignedBatch.decode(batch.encoded.hex())  # type: ignore[arg-type]


# --- construction checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"version": 2}, RangeError),
        ({"version": 0}, RangeError),
        ({"channel": 256}, RangeError),
        ({"channel": -1}, RangeError),
        ({"period": 3600}, RangeError),
        ({"period": 0}, RangeError),
        ({"first_index": -1}, RangeError),
        ({"first_index": 2**64}, RangeError),
        ({"first_index": 2**64 - 3}, RangeError),  # last interval 2**64: does not fit
        ({"count": 0, "presence": b""}, RangeError),
        ({"count": MAX_COUNT + 1}, RangeError),
        ({"counter": 0}, RangeError),
        ({"counter": 2**64}, RangeError),
        ({"meter_id": bytes(15)}, EncodingError),
        ({"presence": b"\x0b\x00"}, EncodingError),
        ({"presence": b"\x1b"}, EncodingError),  # bit 4 of a 4-interval batch
        ({"commitments": B1 + B2}, EncodingError),
        ({"commitments": B1 + B2 + B3 + b"\x00"}, EncodingError),
        ({"prev_hash": bytes(31)}, EncodingError),
        ({"prev_hash": b"\x01" * 32}, EncodingError),  # counter 1 needs the zero hash
        ({"counter": 2}, EncodingError),  # counter 2 needs a real hash
        ({"channel": True}, TypeError),
        ({"meter_id": bytearray(16)}, TypeError),
        ({"count": 4.0}, TypeError),
    ],
)
def test_constructor_checks(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        replace(example_payload(), **changes)


def test_from_intervals_checks_each_commitment() -> None:
    with pytest.raises(EncodingError, match=r"commitments\[1\]"):
        BatchPayload.from_intervals(
            meter_id=METER_ID, channel=0, period=1800, first_index=0,
            commitments=[B1, B1[:31], B1], counter=1, prev_hash=ZERO_HASH,
        )  # fmt: skip


def test_signed_batch_constructor_checks_consistency(batch: SignedBatch) -> None:
    with pytest.raises(FormatError):
        replace(batch, encoded=batch.encoded + b"\x00")
    with pytest.raises(FormatError):
        replace(batch, alg="p256")
    with pytest.raises(FormatError):
        replace(batch, payload=replace(batch.payload, channel=1))
    with pytest.raises(FormatError):
        replace(batch, signature=batch.signature[:63])


# --- decoding: every rule ---------------------------------------------------------------------


def test_trailing_bytes() -> None:
    with pytest.raises(FormatError, match="trailing"):
        BatchPayload.decode(EXAMPLE_PAYLOAD + b"\x00")
    with pytest.raises(FormatError, match="trailing"):
        SignedBatch.decode(cose() + b"\x00")


def test_truncated(batch: SignedBatch) -> None:
    for n in range(len(batch.encoded)):
        with pytest.raises(FormatError):
            SignedBatch.decode(batch.encoded[:n])
    for n in range(len(EXAMPLE_PAYLOAD)):
        with pytest.raises(FormatError):
            BatchPayload.decode(EXAMPLE_PAYLOAD[:n])


@pytest.mark.parametrize(
    ("field", "encoded"),
    [
        ("meter_id", b"\x5f" + bstr(METER_ID) + b"\xff"),  # indefinite byte string
        ("presence", b"\x5f\x41\x0b\xff"),
        ("commitments", b"\x5f" + bstr(B1 + B2 + B3) + b"\xff"),
        ("prev_hash", b"\x5f" + bstr(ZERO_HASH) + b"\xff"),
    ],
)
def test_indefinite_byte_string(field: str, encoded: bytes) -> None:
    reject_payload(with_item(FIELDS.index(field), encoded), field)


def test_indefinite_array() -> None:
    data = b"\x9f" + b"".join(payload_items(example_payload())) + b"\xff"
    with pytest.raises(FormatError, match="indefinite"):
        BatchPayload.decode(data)
    with pytest.raises(FormatError, match="indefinite"):
        SignedBatch.decode(b"\xd2\x9f" + cose()[2:] + b"\xff")


def test_indefinite_map() -> None:
    with pytest.raises(FormatError, match=r"^unprotected: indefinite"):
        SignedBatch.decode(cose(unprotected=b"\xbf\x04\x50" + METER_ID + b"\xff"))
    with pytest.raises(FormatError, match=r"^protected: indefinite"):
        SignedBatch.decode(cose(protected=b"\x45\xbf\x01\x27\xff\x00"))


def _longer_forms() -> list[tuple[str, int]]:
    """(field, argument width) for every form of the example's integers longer than shortest."""
    p = example_payload()
    out = []
    for name in ("version", "channel", "period", "first_index", "count", "counter"):
        shortest = len(uint(getattr(p, name))) - 1
        out += [(name, width) for width in (1, 2, 4, 8) if width > shortest]
    return out


@pytest.mark.parametrize(("field", "width"), _longer_forms())
def test_non_shortest_integer(field: str, width: int) -> None:
    value = getattr(example_payload(), field)
    reject_payload(with_item(FIELDS.index(field), uint(value, width)), field)


@pytest.mark.parametrize("field", ["meter_id", "presence", "commitments", "prev_hash"])
def test_non_shortest_length(field: str) -> None:
    value = getattr(example_payload(), field)
    widths = [w for w in (1, 2, 4, 8) if w > len(head(2, len(value))) - 1]
    for width in widths:
        reject_payload(with_item(FIELDS.index(field), bstr(value, width)), field)


def test_non_shortest_array_head() -> None:
    items = payload_items(example_payload())
    with pytest.raises(FormatError, match="shortest"):
        BatchPayload.decode(b"\x98\x0a" + b"".join(items))


def test_non_shortest_in_envelope() -> None:
    with pytest.raises(FormatError, match=r"^protected: .*shortest"):
        SignedBatch.decode(cose(protected=b"\x44\xa1\x18\x01\x27"))
    with pytest.raises(FormatError, match=r"^protected: .*shortest"):
        SignedBatch.decode(cose(protected=b"\x44\xa1\x01\x38\x07"))
    with pytest.raises(FormatError, match=r"^protected: .*shortest"):
        SignedBatch.decode(cose(protected=b"\x58\x03\xa1\x01\x27"))
    with pytest.raises(FormatError, match=r"^unprotected.*shortest"):
        SignedBatch.decode(cose(unprotected=b"\xa1\x18\x04\x50" + METER_ID))
    with pytest.raises(FormatError, match=r"^signature: .*shortest"):
        SignedBatch.decode(cose(signature=b"\x59\x00\x40" + bytes(64)))
    with pytest.raises(FormatError, match=r"^payload: .*shortest"):
        SignedBatch.decode(
            b"\xd2\x84\x43\xa1\x01\x27\xa1\x04\x50" + METER_ID
            + b"\x59\x00\xa4" + EXAMPLE_PAYLOAD + b"\x58\x40" + bytes(64)
        )  # fmt: skip
    with pytest.raises(FormatError, match="shortest"):
        SignedBatch.decode(b"\xd8\x12" + cose()[1:])  # tag 18 in a one-byte argument


WRONG_TYPES = {
    "text string": b"\x61a",
    "negative integer": b"\x20",
    "float": b"\xf9\x3c\x00",
    "false": b"\xf4",
    "null": b"\xf6",
    "undefined": b"\xf7",
    "array": b"\x81\x00",
    "map": b"\xa1\x00\x00",
    "tag": b"\xc2\x41\x01",
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
def test_wrong_type(field: str, kind: str) -> None:
    reject_payload(with_item(FIELDS.index(field), WRONG_TYPES[kind]), field)


@pytest.mark.parametrize("field", FIELDS)
def test_bytes_where_integer_and_integer_where_bytes(field: str) -> None:
    uint_fields = {"version", "channel", "period", "first_index", "count", "counter"}
    encoded = bstr(b"\x01") if field in uint_fields else uint(16)
    reject_payload(with_item(FIELDS.index(field), encoded), field)


@pytest.mark.parametrize("n", [0, 1, 9, 11])
def test_wrong_array_length(n: int) -> None:
    items = payload_items(example_payload())
    items = [*items, uint(0)][:n]
    with pytest.raises(FormatError, match=r"array of 10 items|truncated|^version"):
        BatchPayload.decode(assemble(items))
    with pytest.raises(FormatError, match=r"^payload: "):
        SignedBatch.decode(cose(payload=assemble(items)))


@pytest.mark.parametrize(
    "data",
    [b"\x00", b"\x40", b"\xa0", bstr(EXAMPLE_PAYLOAD), b"\xd2" + EXAMPLE_PAYLOAD],
    ids=["uint", "bstr", "map", "wrapped", "tagged"],
)
def test_payload_not_an_array(data: bytes) -> None:
    with pytest.raises(FormatError, match=r"^payload: "):
        BatchPayload.decode(data)


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unsupported_version(version: int) -> None:
    reject_payload(with_item(0, uint(version)), "version")
    # A later version may change everything after the version field: still "version".
    with pytest.raises(FormatError, match=r"^version: unsupported"):
        BatchPayload.decode(assemble([uint(version), uint(0)]))


def test_counter_zero() -> None:
    reject_payload(with_item(8, uint(0)), "counter")


def test_first_batch_and_prev_hash() -> None:
    reject_payload(with_item(9, bstr(b"\x01" * 32)), "prev_hash")  # counter 1, nonzero hash
    items = payload_items(example_payload())
    items[8] = uint(2)
    reject_payload(assemble(items), "prev_hash")  # counter 2, zero hash


@pytest.mark.parametrize("size", [0, 15, 17, 32])
def test_meter_id_size(size: int) -> None:
    reject_payload(with_item(1, bstr(bytes(size))), "meter_id")


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_prev_hash_size(size: int) -> None:
    items = payload_items(example_payload())
    items[8] = uint(2)
    items[9] = bstr(b"\x01" * size)
    reject_payload(assemble(items), "prev_hash")


@pytest.mark.parametrize("channel", [256, 1000, 2**64 - 1])
def test_channel_range(channel: int) -> None:
    reject_payload(with_item(2, uint(channel)), "channel")


def test_channel_range_edges() -> None:
    for channel in (0, 1, 2, 255):  # 2..255 reserved, but well-formed on the wire
        BatchPayload.decode(with_item(2, uint(channel)))


@pytest.mark.parametrize("period", [0, 1, 60, 899, 901, 1799, 1801, 3600])
def test_period(period: int) -> None:
    reject_payload(with_item(3, uint(period)), "period")


def test_first_index_overflow() -> None:
    reject_payload(with_item(4, uint(2**64 - 3)), "first_index")  # 4 intervals from 2**64-3
    BatchPayload.decode(with_item(4, uint(2**64 - 4)))


def test_integer_beyond_64_bits() -> None:
    # 2**64 can only be written as a bignum (tag 2): no tags inside a payload.
    reject_payload(with_item(8, b"\xc2\x49\x01" + bytes(8)), "counter")


@pytest.mark.parametrize("count", [0, MAX_COUNT + 1, 2**32])
def test_count_range(count: int) -> None:
    items = payload_items(example_payload())
    items[5] = uint(count)
    items[6] = bstr(bytes((count + 7) // 8)) if count <= MAX_COUNT + 8 else bstr(b"")
    items[7] = bstr(b"")
    reject_payload(assemble(items), "count")


@pytest.mark.parametrize("presence", [b"", b"\x0b\x00", b"\x00\x0b"])
def test_presence_size(presence: bytes) -> None:
    reject_payload(with_item(6, bstr(presence)), "presence")


@pytest.mark.parametrize("bit", [4, 5, 6, 7])
def test_presence_padding_bits(bit: int) -> None:
    reject_payload(with_item(6, bstr(bytes([0x0B | 1 << bit]))), "presence")


def test_presence_padding_bits_multi_byte() -> None:
    p = BatchPayload.from_intervals(
        meter_id=METER_ID, channel=0, period=1800, first_index=0,
        commitments=[B1] * 9, counter=1, prev_hash=ZERO_HASH,
    )  # fmt: skip
    assert p.presence == b"\xff\x01"
    reject_payload(with_item(6, bstr(b"\xff\x03"), p), "presence")
    BatchPayload.decode(p.encode())


@pytest.mark.parametrize("size", [0, 31, 64, 95, 97, 128])
def test_commitments_size(size: int) -> None:
    reject_payload(with_item(7, bstr(bytes(size))), "commitments")


def test_cose_must_be_tagged() -> None:
    with pytest.raises(FormatError, match="tag 18"):
        SignedBatch.decode(cose()[1:])


@pytest.mark.parametrize("prefix", [b"\xd1", b"\xd8\x62", b"\xc0", b"\xd2\xd2"])
def test_cose_wrong_tag(prefix: bytes) -> None:
    with pytest.raises(FormatError, match="tag"):
        SignedBatch.decode(prefix + cose()[1:])


@pytest.mark.parametrize("n", [0, 3, 5])
def test_cose_wrong_array_length(n: int) -> None:
    parts = [
        b"\x43\xa1\x01\x27",
        b"\xa1\x04\x50" + METER_ID,
        bstr(EXAMPLE_PAYLOAD),
        bstr(bytes(64)),
    ]
    parts = [*parts, b"\x00"][:n]
    with pytest.raises(FormatError, match="array of 4 items"):
        SignedBatch.decode(b"\xd2" + head(4, n) + b"".join(parts))


@pytest.mark.parametrize(
    "alg",
    [b"\x26\x00", b"\x32", b"\x38\x22", b"\x01", b"\x00", b"\x62\x45\x64"],
    ids=["-7-with-junk", "-19-Ed25519", "-35-ES384", "1", "0", "text"],
)
def test_unknown_alg(alg: bytes) -> None:
    protected = b"\xa1\x01" + alg
    with pytest.raises(FormatError, match=r"^protected: "):
        SignedBatch.decode(cose(protected=bstr(protected)))


@pytest.mark.parametrize(
    "protected",
    [
        b"\x40",  # empty: no alg
        b"\x41\xa0",  # empty map
        b"\x45\xa2\x01\x27\x02\x80",  # alg plus crit
        b"\x45\xa2\x01\x27\x04\x40",  # alg plus kid
        b"\x45\xa2\x01\x27\x01\x27",  # duplicated alg
        b"\x45\xa2\x04\x40\x01\x27",  # keys out of order
        b"\x43\x81\x01\x27",  # an array with a trailing byte
        b"\x42\x81\x01",  # an array, not a map
        b"\x42\xa1\x01",  # truncated inside the bstr
        b"\x44\xa1\x01\x27\x00",  # trailing byte inside the bstr
        b"\xa1\x01\x27",  # a map, not a bstr
    ],
)
def test_bad_protected_header(protected: bytes) -> None:
    with pytest.raises(FormatError):
        SignedBatch.decode(cose(protected=protected))


@pytest.mark.parametrize(
    "unprotected",
    [
        b"\xa0",  # no kid
        b"\xa2\x01\x27\x04\x50" + METER_ID,  # alg in the unprotected bucket too
        b"\xa2\x04\x50" + METER_ID + b"\x05\x40",  # an extra header
        b"\xa1\x04\x4f" + METER_ID[:15],  # kid of 15 bytes
        b"\xa1\x04\x51" + METER_ID + b"\x00",  # kid of 17 bytes
        b"\xa1\x04\x00",  # kid not a bstr
        b"\x40",  # not a map
        b"\xa1\x61\x61\x00",  # text label
    ],
)
def test_bad_unprotected_header(unprotected: bytes) -> None:
    with pytest.raises(FormatError, match=r"^unprotected"):
        SignedBatch.decode(cose(unprotected=unprotected))


@pytest.mark.parametrize(
    "data",
    [b"\xa1\x24\x61a", b"\xa1\x02\x61a", b"\xa1\x3b" + b"\xff" * 8 + b"\xf6", b"\xa1\x00\x9f"],
    ids=["key-5", "key2", "key-2^64", "key0-indefinite"],
)
def test_map_at_the_top_is_not_mistaken_for_a_field(data: bytes) -> None:
    """Regression (fuzzing): a map key in an error path was used as a field index."""
    with pytest.raises(FormatError, match=r"^payload\b"):
        BatchPayload.decode(data)
    with pytest.raises(FormatError, match=r"^COSE_Sign1\b"):
        SignedBatch.decode(data)
    with pytest.raises(FormatError, match=r"^COSE_Sign1\b"):
        SignedBatch.decode(b"\xd2" + data)


def test_duplicate_and_unordered_map_keys() -> None:
    dup = b"\xa2\x04\x50" + METER_ID + b"\x04\x50" + METER_ID
    with pytest.raises(FormatError, match=r"^unprotected: map keys duplicated"):
        SignedBatch.decode(cose(unprotected=dup))
    unordered = b"\xa2\x05\x40\x04\x50" + METER_ID
    with pytest.raises(FormatError, match=r"^unprotected: map keys duplicated or not in"):
        SignedBatch.decode(cose(unprotected=unordered))


def test_kid_must_equal_meter_id() -> None:
    other = bytes(16)
    with pytest.raises(FormatError, match=r"^unprotected: kid does not match"):
        SignedBatch.decode(cose(unprotected=b"\xa1\x04\x50" + other))


@pytest.mark.parametrize("size", [0, 32, 63, 65, 72])
def test_signature_size(size: int) -> None:
    with pytest.raises(FormatError, match=r"^signature: "):
        SignedBatch.decode(cose(signature=bstr(bytes(size))))


@pytest.mark.parametrize("signature", [b"\xf6", b"\x00", b"\x80", b"\x78\x40" + b"a" * 64])
def test_signature_not_bytes(signature: bytes) -> None:
    with pytest.raises(FormatError, match=r"^signature: "):
        SignedBatch.decode(cose(signature=signature))


@pytest.mark.parametrize(
    "payload", [b"\xf6", b"\x8a", b"\xa0", b"\x00"], ids=["nil", "array", "map", "uint"]
)
def test_payload_not_a_byte_string(payload: bytes) -> None:
    data = b"\xd2\x84\x43\xa1\x01\x27\xa1\x04\x50" + METER_ID + payload + b"\x58\x40" + bytes(64)
    with pytest.raises(FormatError, match=r"^payload\b"):
        SignedBatch.decode(data)


@pytest.mark.parametrize(
    ("initial", "why"),
    [
        (b"\x1c", "reserved"),
        (b"\x1d", "reserved"),
        (b"\x1e", "reserved"),
        (b"\x1f", "indefinite"),
        (b"\xff", "break"),
        (b"\xf5", "simple"),
        (b"\xfb" + bytes(8), "floats"),
        (b"\xf8\x20", "simple"),
    ],
)
def test_reserved_and_major_7(initial: bytes, why: str) -> None:
    data = with_item(2, initial)
    with pytest.raises(FormatError, match=rf"^channel: .*{why}"):
        BatchPayload.decode(data)
    with pytest.raises(FormatError, match=rf"^payload: channel: .*{why}"):
        SignedBatch.decode(cose(payload=data))


# --- hostile inputs: depth and declared lengths -------------------------------------------


def run_bounded(fn: Callable[[], object]) -> tuple[float, int]:
    """Run ``fn`` expecting FormatError; return (seconds, peak bytes allocated)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(FormatError):
            fn()
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return elapsed, peak


def contexts(data: bytes) -> list[tuple[Callable[[bytes], object], bytes]]:
    """``data`` alone and at each place a hostile item can sit in a payload or a batch."""
    return [
        (BatchPayload.decode, data),
        (BatchPayload.decode, b"\x8a\x01" + data),
        (SignedBatch.decode, data),
        (SignedBatch.decode, b"\xd2" + data),
        (SignedBatch.decode, b"\xd2\x84" + data),
        (SignedBatch.decode, b"\xd2\x84\x43\xa1\x01\x27" + data),
        (SignedBatch.decode, b"\xd2\x84\x43\xa1\x01\x27\xa1\x04" + data),
    ]


HUGE = {
    "bstr-2^64-1": b"\x5b" + b"\xff" * 8 + b"\x00" * 16,
    "bstr-2^32-1": b"\x5a" + b"\xff" * 4 + b"\x00" * 16,
    "array-2^64-1": b"\x9b" + b"\xff" * 8 + b"\x00" * 16,
    "array-2^32-1": b"\x9a" + b"\xff" * 4 + b"\x00" * 16,
    "map-2^64-1": b"\xbb" + b"\xff" * 8 + b"\x00" * 16,
    "map-2^32-1": b"\xba" + b"\xff" * 4 + b"\x00" * 16,
    "text-2^64-1": b"\x7b" + b"\xff" * 8,
}


@pytest.mark.parametrize("name", sorted(HUGE))
def test_huge_declared_lengths(name: str) -> None:
    for decode, data in contexts(HUGE[name]):
        elapsed, peak = run_bounded(partial(decode, data))
        assert elapsed < 1.0
        assert peak < 1 << 20, f"{name}: {peak} bytes allocated"


def test_nested_length_amplification() -> None:
    """Array heads that each declare all the remaining bytes (the cbor-x #142 pattern)."""
    size = 40_000
    buf = bytearray(size)
    for pos in range(0, size - 5, 5):
        buf[pos] = 0x9A
        buf[pos + 1 : pos + 5] = (size - pos - 5).to_bytes(4, "big")
    for decode, data in ((BatchPayload.decode, bytes(buf)), (SignedBatch.decode, b"\xd2" + buf)):
        elapsed, peak = run_bounded(partial(decode, data))
        assert elapsed < 1.0 and peak < 1 << 20


@pytest.mark.parametrize("depth", [4, 100, 100_000])
def test_deep_nesting(depth: int) -> None:
    arrays = b"\x81" * depth + b"\x00"
    maps = b"\xa1\x00" * depth + b"\x00"
    tags = b"\xd2" * depth + b"\x00"
    for nested in (arrays, maps, tags):
        for decode, data in contexts(nested):
            elapsed, _ = run_bounded(partial(decode, data))
            assert elapsed < 1.0


# --- signatures ----------------------------------------------------------------------------


def test_verify_round_trip(key: SigningKey) -> None:
    b = SignedBatch.decode(sign_batch(example_payload(), key).encoded)
    assert b.alg == key.alg and b.cose_alg == key.cose_alg
    b.verify(key.verifying_key)  # returns None; raising is the only failure


def test_wrong_key(key: SigningKey) -> None:
    b = sign_batch(example_payload(), key)
    with pytest.raises(BadSignatureError):
        b.verify(SigningKey.generate(key.alg).verifying_key)


def test_key_of_the_other_algorithm(key: SigningKey) -> None:
    b = sign_batch(example_payload(), key)
    other = SigningKey.generate("p256" if key.alg == "ed25519" else "ed25519")
    with pytest.raises(BadSignatureError, match="signed with"):
        b.verify(other.verifying_key)


def test_tampered_payload(key: SigningKey) -> None:
    """Change a commitment, re-wrap with the old signature: well-formed, but a forgery."""
    b = sign_batch(example_payload(), key)
    tampered = bytearray(b.payload_bytes)
    tampered[-40] ^= 0x01  # inside the last commitment
    data = example_envelope(b.protected, bytes(tampered), b.signature)
    forged = SignedBatch.decode(data)
    assert forged.payload.commitments != b.payload.commitments
    with pytest.raises(BadSignatureError):
        forged.verify(key.verifying_key)


def test_tampered_signature(key: SigningKey) -> None:
    b = sign_batch(example_payload(), key)
    for i in (0, 31, 32, 63):
        sig = bytearray(b.signature)
        sig[i] ^= 0x80
        forged = SignedBatch.decode(example_envelope(b.protected, b.payload_bytes, bytes(sig)))
        with pytest.raises(BadSignatureError):
            forged.verify(key.verifying_key)


def test_tampered_protected_header(key: SigningKey) -> None:
    """Swap the alg in the protected header: the other key type cannot verify, the same fails."""
    b = sign_batch(example_payload(), key)
    other_alg = -7 if key.cose_alg == -8 else -8
    data = example_envelope(example_protected(other_alg), b.payload_bytes, b.signature)
    forged = SignedBatch.decode(data)
    with pytest.raises(BadSignatureError):
        forged.verify(key.verifying_key)
    with pytest.raises(BadSignatureError):
        forged.verify(SigningKey.generate(forged.alg).verifying_key)


def test_malleated_p256_signature_is_refused() -> None:
    """(r, n - s) is a valid ECDSA signature too; accepting it would change the batch hash."""
    key = SigningKey.from_bytes(P256_SCALAR, "p256")
    b = sign_batch(example_payload(), key)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    s = int.from_bytes(b.signature[32:], "big")
    high = b.signature[:32] + (n - s).to_bytes(32, "big")
    independent_verify("p256", key.verifying_key.to_bytes(), b.to_be_signed(), high)
    forged = SignedBatch.decode(example_envelope(b.protected, b.payload_bytes, high))
    assert forged.hash() != b.hash()
    with pytest.raises(BadSignatureError):
        forged.verify(key.verifying_key)


def test_type_checks(batch: SignedBatch, ed_key: SigningKey) -> None:
    with pytest.raises(TypeError):
        batch.verify(b"\x00" * 32)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sign_batch(EXAMPLE_PAYLOAD, ed_key)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sign_batch(example_payload(), ed_key.to_bytes())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        replace(batch, payload=EXAMPLE_PAYLOAD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        BatchPayload.from_intervals(
            meter_id=METER_ID, channel=0, period=1800, first_index=0,
            commitments=B1 + B2, counter=1, prev_hash=ZERO_HASH,  # type: ignore[arg-type]
        )  # fmt: skip


def test_accessors(batch: SignedBatch) -> None:
    assert batch.kid == METER_ID == batch.payload.meter_id
    assert bytes(batch.payload) == EXAMPLE_PAYLOAD
    assert batch.protected == b"\xa1\x01\x27"
    assert "signature" not in repr(batch) or batch.signature.hex() not in repr(batch)


# --- fuzzing -------------------------------------------------------------------------------

INTERESTING = [0x00, 0x17, 0x18, 0x19, 0x1B, 0x1F, 0x20, 0x40, 0x58, 0x5B, 0x5F, 0x7F, 0x80,
               0x9B, 0x9F, 0xA0, 0xBF, 0xC2, 0xD2, 0xD8, 0xF6, 0xF9, 0xFB, 0xFF]  # fmt: skip


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 8])):
        op = rng.randrange(9)
        pos = rng.randrange(len(b) + 1) if b else 0
        if op == 0 and b:
            b[min(pos, len(b) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1 and b:
            b[min(pos, len(b) - 1)] = rng.choice(INTERESTING)
        elif op == 2:
            b[pos:pos] = rng.randbytes(rng.choice([1, 2, 4, 9]))
        elif op == 3:
            del b[pos : pos + rng.choice([1, 2, 8, 32, 100])]
        elif op == 4:
            b = b[:pos]
        elif op == 5 and b:
            start = rng.randrange(len(b))
            b[pos:pos] = b[start : start + rng.choice([1, 3, 16, 64])]
        elif op == 6:
            b[pos:pos] = bytes([rng.choice([0x5B, 0x9B, 0xBB, 0x7B])]) + b"\xff" * 8
        elif op == 7:
            b[pos:pos] = rng.choice(pool)
        else:
            b += rng.choice(pool)
    return bytes(b)


def random_cbor(rng: random.Random, depth: int = 0) -> Any:
    """Random values of every CBOR kind cbor2 can write (tags, floats, text, big ints...)."""
    kinds = ["int", "bigint", "neg", "bytes", "text", "float", "bool", "none"]
    if depth < 3:
        kinds += ["list", "dict", "tag"]
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, 1, 23, 24, 255, 256, 65536, 2**32, 2**64 - 1])
    if kind == "bigint":
        return 2**64 + rng.randrange(2**70)
    if kind == "neg":
        return -rng.randrange(1, 2**64)
    if kind == "bytes":
        return rng.randbytes(rng.choice([0, 1, 16, 32, 64, 96]))
    if kind == "text":
        return "Signature1"
    if kind == "float":
        return rng.random()
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [random_cbor(rng, depth + 1) for _ in range(rng.choice([0, 1, 4, 10]))]
    if kind == "dict":
        return {
            rng.randrange(-10, 10): random_cbor(rng, depth + 1) for _ in range(rng.randrange(3))
        }
    return cbor2.CBORTag(
        rng.choice([2, 18, 24, 28, 29, 30, 258, 55799]), random_cbor(rng, depth + 1)
    )


def check_only_privbill_errors(
    data: bytes, original: SignedBatch, key: SigningKey, seed: int
) -> None:
    try:
        decoded = SignedBatch.decode(data)
    except FormatError:
        pass
    except Exception as exc:  # pragma: no cover - the failure we are looking for
        raise AssertionError(
            f"seed={seed} input={data.hex()}: {type(exc).__name__}: {exc}"
        ) from exc
    else:
        assert decoded.encoded == data, f"seed={seed}: accepted a non-canonical {data.hex()}"
        if data != original.encoded:
            with pytest.raises(BadSignatureError):
                decoded.verify(key.verifying_key)
    check_fast_path_agrees(data, seed)
    try:
        payload = BatchPayload.decode(data)
    except FormatError:
        pass
    except Exception as exc:  # pragma: no cover
        raise AssertionError(
            f"seed={seed} input={data.hex()}: {type(exc).__name__}: {exc}"
        ) from exc
    else:
        assert payload.encode() == data, f"seed={seed}: accepted a non-canonical {data.hex()}"


def check_fast_path_agrees(data: bytes, seed: int) -> None:
    """The fast path of SignedBatch.decode raises nothing, and whatever it accepts the
    strict decoder accepts as the same batch (what it refuses, the strict one judges)."""
    try:
        laid_out = _decode_laid_out(data)
    except Exception as exc:  # pragma: no cover - the failure we are looking for
        raise AssertionError(f"seed={seed} input={data.hex()}: fast path raised {exc!r}") from exc
    if laid_out is not None:
        assert SignedBatch._of(*laid_out, data) == SignedBatch._decode_strict(data), (
            f"seed={seed}: the fast path and the strict decoder disagree on {data.hex()}"
        )


def test_fuzz_mutated_batches(fuzz_rng: tuple[random.Random, int], key: SigningKey) -> None:
    rng, seed = fuzz_rng
    seeds = [
        sign_batch(example_payload(), key),
        sign_batch(
            BatchPayload.from_intervals(
                meter_id=METER_ID, channel=1, period=900, first_index=2**40,
                commitments=[B1 if i % 5 else None for i in range(96)],
                counter=300, prev_hash=b"\x07" * 32,
            ),
            key,
        ),
    ]  # fmt: skip
    pool = [s.encoded[i : i + 9] for s in seeds for i in range(0, 60, 3)] + [
        b"\x40", b"\xa0", b"\x80", b"\xf6", b"\xd2", b"\x5f\xff", b"\x9f\xff",
    ]  # fmt: skip
    for i in range(3000):
        original = seeds[i % len(seeds)]
        target = original.encoded if i % 3 else original.payload_bytes
        check_only_privbill_errors(mutate(rng, target, pool), original, key, seed)


def test_fuzz_random_bytes_and_random_cbor(
    fuzz_rng: tuple[random.Random, int], ed_key: SigningKey
) -> None:
    rng, seed = fuzz_rng
    original = sign_batch(example_payload(), ed_key)
    for _ in range(1500):
        check_only_privbill_errors(
            rng.randbytes(rng.choice([0, 1, 2, 5, 30, 300])), original, ed_key, seed
        )
    for _ in range(1500):
        value = random_cbor(rng)
        if rng.random() < 0.5:
            value = cbor2.CBORTag(18, [random_cbor(rng) for _ in range(4)])
        data = cbor2.dumps(value)
        check_only_privbill_errors(data, original, ed_key, seed)
        check_only_privbill_errors(
            b"\xd2\x84\x43\xa1\x01\x27\xa1\x04\x50" + METER_ID + data, original, ed_key, seed
        )


def test_fuzz_structured_field_values(
    fuzz_rng: tuple[random.Random, int], ed_key: SigningKey
) -> None:
    """Well-formed arrays of ten items with random values: the semantic checks."""
    rng, seed = fuzz_rng
    original = sign_batch(example_payload(), ed_key)
    for _ in range(1500):
        items = payload_items(example_payload())
        for _ in range(rng.choice([1, 1, 2, 3])):
            items[rng.randrange(10)] = cbor2.dumps(random_cbor(rng, depth=2))
        data = assemble(items)
        check_only_privbill_errors(data, original, ed_key, seed)
        check_only_privbill_errors(cose(payload=data), original, ed_key, seed)
