"""Official test vectors: RFC 9496 (ristretto255), RFC 9380 (expand_message_xmd), RFC 8032.

Sources:
- ``../shared/data/vectors/ristretto255_rfc9496.json``: RFC 9496 Appendix A (16 small
  multiples of the generator, 29 invalid encodings with the reason for each, 7 one-way map
  vectors, 4 equivalent one-way map inputs);
- ``../shared/data/vectors/rfc9380_expand_message_xmd_SHA512_38.json``: RFC 9380 Appendix K.3;
- ``tests/vectors/rfc8032_ed25519.json``: RFC 8032 section 7.1, TEST 1, 2, 3, 1024, SHA(abc).

Every vector is checked twice: against the pure-Python reference in ``tests/reference``
(tests named ``*reference*``; they need no C extension:
``pytest tests/test_vectors_official.py -k reference``), so that the reference is known
to be right before other tests trust it, and against privbill (the C core through
``lib.privbill_*`` and the Python types).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import pytest

from conftest import DATA_DIR, TESTS_DIR, load_json_or_none
from reference import ed25519 as ref_ed25519
from reference import ristretto255 as ref
from reference import xmd as ref_xmd

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Native

R255 = load_json_or_none(DATA_DIR / "vectors" / "ristretto255_rfc9496.json")
XMD = load_json_or_none(DATA_DIR / "vectors" / "rfc9380_expand_message_xmd_SHA512_38.json")
ED = load_json_or_none(TESTS_DIR / "vectors" / "rfc8032_ed25519.json")

# When ../shared/data is missing, each parametrised test gets one placeholder case that
# requests the data_dir fixture, which skips (or fails under PRIVBILL_STRICT=1).
_MISSING = [pytest.param(None, id="data-missing")]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _params(doc: Any, key: str, ident: Any) -> list[Any]:
    if doc is None:
        return _MISSING
    items = doc[key]
    return [pytest.param(item, id=ident(i, item)) for i, item in enumerate(items)]


SMALL_MULTIPLES = _params(R255, "small_multiples", lambda i, v: f"k{v['k']}")
INVALID = _params(R255, "invalid_encodings", lambda i, v: f"{_slug(v['reason'])}-{i:02d}")
ONE_WAY_MAP = _params(R255, "one_way_map", lambda i, v: f"map{i}")
EQUIVALENT = (
    _MISSING
    if R255 is None
    else [
        pytest.param(
            {"input": inp, "element": R255["one_way_map_equivalent_inputs"]["element"]},
            id=f"equiv{i}",
        )
        for i, inp in enumerate(R255["one_way_map_equivalent_inputs"]["inputs"])
    ]
)
XMD_CASES = _params(XMD, "tests", lambda i, v: f"len{int(v['len_in_bytes'], 16)}-msg{i % 5}")
ED25519 = [pytest.param(v, id=_slug(v["name"])) for v in ED["vectors"]]


def _need(vector: Any, data_dir: Path) -> Any:
    """The vector; data_dir (requested by every data test) has already skipped if absent."""
    assert vector is not None
    return vector


# ==============================================================================================
# The reference against the vectors (no C extension needed)
# ==============================================================================================


def test_reference_constants() -> None:
    """RFC 9496 section 4.1 constants satisfy their definitions."""
    p, d = ref.P, ref.D
    assert (d * 121666 + 121665) % p == 0
    assert ref.SQRT_M1**2 % p == p - 1
    assert not ref.is_negative(ref.SQRT_M1)
    assert ref.SQRT_AD_MINUS_ONE**2 % p == (-d - 1) % p  # a*d - 1 with a = -1
    assert ref.INVSQRT_A_MINUS_D**2 * (-1 - d) % p == 1  # 1/sqrt(a - d)
    assert (1 - d * d) % p == ref.ONE_MINUS_D_SQ
    assert (d - 1) ** 2 % p == ref.D_MINUS_ONE_SQ
    assert ref.L == 2**252 + 27742317777372353535851937790883648493


def test_reference_generator_is_ed25519_base_point() -> None:
    """The ristretto255 generator is the Ed25519 base point (RFC 9496 section 4.4)."""
    assert ref_ed25519.encode_point(ref.BASE).hex() == "58" + "66" * 31
    assert ref.scalar_mult(ref.L, ref.BASE) == ref.IDENTITY


@pytest.mark.parametrize("vector", SMALL_MULTIPLES)
def test_reference_small_multiples(vector: Any, data_dir: Path) -> None:
    v = _need(vector, data_dir)
    k, enc = v["k"], bytes.fromhex(v["encoding"])
    by_addition = ref.IDENTITY
    for _ in range(k):
        by_addition = ref.add(by_addition, ref.BASE)
    assert ref.encode(by_addition) == enc
    assert ref.scalar_mult_base(k) == enc
    decoded = ref.decode(enc)
    assert decoded is not None
    assert ref.equals(decoded, by_addition)
    assert ref.encode(decoded) == enc


@pytest.mark.parametrize("vector", INVALID)
def test_reference_rejects_invalid_encoding(vector: Any, data_dir: Path) -> None:
    v = _need(vector, data_dir)
    assert ref.decode(bytes.fromhex(v["encoding"])) is None, v["reason"]


@pytest.mark.parametrize("vector", ONE_WAY_MAP)
def test_reference_one_way_map(vector: Any, data_dir: Path) -> None:
    v = _need(vector, data_dir)
    uniform = hashlib.sha512(v["label"].encode()).digest()
    assert uniform.hex() == v["uniform_bytes_sha512_of_label"]
    assert ref.from_uniform(uniform).hex() == v["element"]


@pytest.mark.parametrize("vector", EQUIVALENT)
def test_reference_one_way_map_equivalent_inputs(vector: Any, data_dir: Path) -> None:
    v = _need(vector, data_dir)
    assert ref.from_uniform(bytes.fromhex(v["input"])).hex() == v["element"]


@pytest.mark.parametrize("vector", XMD_CASES)
def test_reference_expand_message_xmd(vector: Any, data_dir: Path) -> None:
    v = _need(vector, data_dir)
    assert XMD is not None and XMD["hash"] == "SHA512"
    out = ref_xmd.expand_message_xmd(
        v["msg"].encode(), XMD["DST"].encode(), int(v["len_in_bytes"], 16)
    )
    assert out.hex() == v["uniform_bytes"]


@pytest.mark.parametrize("vector", ED25519)
def test_reference_ed25519(vector: Any) -> None:
    secret = bytes.fromhex(vector["secret_key"])
    public = bytes.fromhex(vector["public_key"])
    msg = bytes.fromhex(vector["message"])
    sig = bytes.fromhex(vector["signature"])
    assert ref_ed25519.public_key(secret) == public
    assert ref_ed25519.sign(secret, msg) == sig
    assert ref_ed25519.verify(public, msg, sig)
    assert not ref_ed25519.verify(public, msg + b"\x00", sig)


def test_vector_files_are_complete(data_dir: Path) -> None:
    """RFC 9496 Appendix A: 16 multiples, 29 invalid encodings, 7 + 4 one-way map inputs;
    RFC 9380 K.3: 10 expand_message_xmd cases."""
    assert R255 is not None and XMD is not None
    assert [v["k"] for v in R255["small_multiples"]] == list(range(16))
    assert len(R255["invalid_encodings"]) == 29
    assert len(R255["one_way_map"]) == 7
    assert len(R255["one_way_map_equivalent_inputs"]["inputs"]) == 4
    assert len(XMD["tests"]) == 10
    assert XMD["DST"] == "QUUX-V01-CS02-with-expander-SHA512-256"


def test_rfc8032_vector_file_provenance() -> None:
    assert ED["source"].startswith("RFC 8032 section 7.1")
    assert [v["name"] for v in ED["vectors"]] == [
        "TEST 1",
        "TEST 2",
        "TEST 3",
        "TEST 1024",
        "TEST SHA(abc)",
    ]
    assert len(bytes.fromhex(ED["vectors"][3]["message"])) == 1023
    assert bytes.fromhex(ED["vectors"][4]["message"]) == hashlib.sha512(b"abc").digest()


# ==============================================================================================
# privbill against the vectors
# ==============================================================================================


def _c_scalarmult_base(native: Native, k: int) -> bytes:
    out = native.out(32)
    native.lib.privbill_ristretto255_scalarmult_base(out, native.inp(k.to_bytes(32, "little")))
    return native.read(out)


def _c_scalarmult(native: Native, k: int, point: bytes) -> bytes:
    out = native.out(32)
    rc = native.lib.privbill_ristretto255_scalarmult(
        out, native.inp(k.to_bytes(32, "little")), native.inp(point)
    )
    assert rc == 0
    return native.read(out)


def test_small_multiples_by_repeated_addition(data_dir: Path) -> None:
    from privbill.group import Element

    assert R255 is not None
    g = Element.generator()
    acc = Element.identity()
    for v in R255["small_multiples"]:
        enc = bytes.fromhex(v["encoding"])
        assert bytes(acc) == enc, f"{v['k']}*G by addition"
        assert Element.from_bytes(enc) == acc
        acc = acc + g


@pytest.mark.parametrize("vector", SMALL_MULTIPLES)
def test_small_multiples_by_scalar_multiplication(
    vector: Any, data_dir: Path, native: Native
) -> None:
    from privbill.group import Element, Scalar

    v = _need(vector, data_dir)
    k, enc = v["k"], bytes.fromhex(v["encoding"])
    g_enc = bytes.fromhex(R255["small_multiples"][1]["encoding"]) if R255 else b""
    assert _c_scalarmult_base(native, k) == enc
    assert _c_scalarmult(native, k, g_enc) == enc
    assert bytes(Scalar.from_int(k) * Element.generator()) == enc
    assert native.lib.privbill_ristretto255_validate(native.inp(enc)) == 0


def test_generator_encoding(data_dir: Path) -> None:
    from privbill.group import Element

    assert R255 is not None
    assert bytes(Element.generator()).hex() == R255["small_multiples"][1]["encoding"]
    assert bytes(Element.identity()) == bytes(32)


@pytest.mark.parametrize("vector", INVALID)
def test_invalid_encoding_rejected_by_element(vector: Any, data_dir: Path) -> None:
    from privbill.errors import EncodingError
    from privbill.group import Element

    v = _need(vector, data_dir)
    with pytest.raises(EncodingError):
        Element.from_bytes(bytes.fromhex(v["encoding"]))


@pytest.mark.parametrize("vector", INVALID)
def test_invalid_encoding_rejected_by_c(vector: Any, data_dir: Path, native: Native) -> None:
    v = _need(vector, data_dir)
    enc = native.inp(bytes.fromhex(v["encoding"]))
    lib = native.lib
    assert lib.privbill_ristretto255_validate(enc) == -1, v["reason"]
    point = native.ffi.new("privbill_point *")
    assert lib.privbill_point_decode(point, enc) == -1
    out = native.out(32)
    ident = native.inp(bytes(32))
    assert lib.privbill_ristretto255_add(out, enc, ident) == -1
    assert lib.privbill_ristretto255_add(out, ident, enc) == -1
    assert lib.privbill_ristretto255_sub(out, ident, enc) == -1
    assert lib.privbill_ristretto255_scalarmult(out, native.inp(bytes(32)), enc) == -1


@pytest.mark.parametrize("vector", INVALID)
def test_invalid_encoding_index_reported_by_batch_decode(
    vector: Any, data_dir: Path, native: Native
) -> None:
    """privbill_points_decode names the first invalid encoding among valid ones."""
    v = _need(vector, data_dir)
    assert R255 is not None
    good = [bytes.fromhex(m["encoding"]) for m in R255["small_multiples"][:5]]
    wire = b"".join(good[:3]) + bytes.fromhex(v["encoding"]) + b"".join(good[3:])
    points = native.ffi.new("privbill_point[]", 6)
    first = native.ffi.new("size_t *")
    assert native.lib.privbill_points_decode(points, first, native.inp(wire), 6) == -1
    assert first[0] == 3


@pytest.mark.parametrize("vector", ONE_WAY_MAP)
def test_one_way_map(vector: Any, data_dir: Path, native: Native) -> None:
    from privbill.group import Element

    v = _need(vector, data_dir)
    uniform = hashlib.sha512(v["label"].encode()).digest()
    assert bytes(Element.from_uniform_bytes(uniform)).hex() == v["element"]
    out = native.out(32)
    native.lib.privbill_ristretto255_from_uniform(out, native.inp(uniform))
    assert native.read(out).hex() == v["element"]


@pytest.mark.parametrize("vector", EQUIVALENT)
def test_one_way_map_equivalent_inputs(vector: Any, data_dir: Path, native: Native) -> None:
    from privbill.group import Element

    v = _need(vector, data_dir)
    uniform = bytes.fromhex(v["input"])
    assert bytes(Element.from_uniform_bytes(uniform)).hex() == v["element"]
    out = native.out(32)
    native.lib.privbill_ristretto255_from_uniform(out, native.inp(uniform))
    assert native.read(out).hex() == v["element"]


def _c_xmd(native: Native, msg: bytes, dst: bytes, n: int) -> bytes | None:
    out = native.out(max(n, 1))
    rc = native.lib.privbill_expand_message_xmd_sha512(
        out, n, native.inp(msg), len(msg), native.inp(dst), len(dst)
    )
    return native.read(out, n) if rc == 0 else None


@pytest.mark.parametrize("vector", XMD_CASES)
def test_expand_message_xmd(vector: Any, data_dir: Path, native: Native) -> None:
    v = _need(vector, data_dir)
    assert XMD is not None
    n = int(v["len_in_bytes"], 16)
    out = _c_xmd(native, v["msg"].encode(), XMD["DST"].encode(), n)
    assert out is not None and out.hex() == v["uniform_bytes"]


@pytest.mark.parametrize(
    ("dst_len", "out_len"),
    [(1, 1), (255, 64), (17, 255 * 64), (38, 65), (200, 1000)],
)
def test_expand_message_xmd_lengths_at_limits(native: Native, dst_len: int, out_len: int) -> None:
    """Lengths the RFC allows, up to its limits (255-byte DST, 255 blocks of output)."""
    dst = (b"privbill-test-dst-" * 20)[:dst_len]
    msg = b"privbill xmd limit test"
    assert _c_xmd(native, msg, dst, out_len) == ref_xmd.expand_message_xmd(msg, dst, out_len)


@pytest.mark.parametrize(
    ("dst_len", "out_len"), [(256, 64), (38, 255 * 64 + 1), (38, 0), (300, 32), (0, 64)]
)
def test_expand_message_xmd_rejects_out_of_range(
    native: Native, dst_len: int, out_len: int
) -> None:
    """Too long a DST or output, no output, or an empty DST (RFC 9380 section 3.1:
    tags MUST have nonzero length)."""
    assert _c_xmd(native, b"msg", b"d" * dst_len, out_len) is None


@pytest.mark.parametrize(
    ("msg", "dst"),
    [
        (b"", b"privbill-test"),
        (b"abc", b"QUUX-V01-CS02-with-ristretto255_XMD:SHA-512_R255MAP_RO_"),
        (bytes(range(256)) * 3, b"x"),
    ],
)
def test_hash_to_group(native: Native, msg: bytes, dst: bytes) -> None:
    """hash_to_group(msg, dst) = one_way_map(expand_message_xmd(msg, dst, 64))."""
    from privbill.group import Element

    expected = ref.from_uniform(ref_xmd.expand_message_xmd(msg, dst, 64))
    assert bytes(Element.hash_to_group(msg, dst)) == expected
    out = native.out(32)
    rc = native.lib.privbill_ristretto255_hash_to_group(
        out, native.inp(msg), len(msg), native.inp(dst), len(dst)
    )
    assert rc == 0 and native.read(out) == expected


def test_hash_to_group_rejects_long_dst(native: Native) -> None:
    from privbill.errors import PrivbillError
    from privbill.group import Element

    out = native.out(32)
    dst = b"d" * 256
    assert (
        native.lib.privbill_ristretto255_hash_to_group(
            out, native.inp(b"m"), 1, native.inp(dst), 256
        )
        == -1
    )
    with pytest.raises(PrivbillError):
        Element.hash_to_group(b"m", dst)


@pytest.mark.parametrize("vector", ED25519)
def test_ed25519_c_core(vector: Any, native: Native) -> None:
    seed = bytes.fromhex(vector["secret_key"])
    public = bytes.fromhex(vector["public_key"])
    msg = bytes.fromhex(vector["message"])
    sig = bytes.fromhex(vector["signature"])
    lib = native.lib
    pk, sk = native.out(32), native.out(64)
    lib.privbill_ed25519_keypair(pk, sk, native.inp(seed))
    assert native.read(pk) == public
    assert native.read(sk) == seed + public
    out = native.out(64)
    lib.privbill_ed25519_sign(out, native.inp(msg), len(msg), sk)
    assert native.read(out) == sig
    assert (
        lib.privbill_ed25519_verify(native.inp(sig), native.inp(msg), len(msg), native.inp(public))
        == 0
    )
    tampered = msg + b"\x01"
    assert (
        lib.privbill_ed25519_verify(
            native.inp(sig), native.inp(tampered), len(tampered), native.inp(public)
        )
        == -1
    )
    bad_sig = bytearray(sig)
    bad_sig[40] ^= 0x10
    assert (
        lib.privbill_ed25519_verify(
            native.inp(bytes(bad_sig)), native.inp(msg), len(msg), native.inp(public)
        )
        == -1
    )
