"""privbill.keys: signing keys (Ed25519, ECDSA P-256) and the sealed commitment secret.

Vectors and where they come from:

- Ed25519: RFC 8032 section 7.1, TEST 1 (inline below) and every vector in
  tests/vectors/rfc8032_ed25519.json when that file is present.
- P-256: RFC 6979 appendix A.2.5 (private key, public point, and the deterministic
  SHA-256 signatures of "sample" and "test"). Our signer normalises to low-S, so for
  "sample" (whose RFC s is in the upper half) we expect ``n - s``.

Independent paths: Ed25519 signatures are checked with PyNaCl (libsodium), P-256
signatures with pyca/cryptography over a DER re-encoding made here, sealed boxes are
opened with PyNaCl directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from privbill.errors import (
    BadSignatureError,
    EncodingError,
    PrivbillError,
    RangeError,
    VerificationError,
)
from privbill.keys import (
    ALG_BY_COSE,
    ALGORITHMS,
    COSE_ALG,
    SEALED_SECRET_SIZE,
    CommitmentSecret,
    HouseholdKey,
    SigningKey,
    VerifyingKey,
)

VECTORS = Path(__file__).parent / "vectors"

# P-256 group order n and field prime p (SEC 2 section 2.4.2).
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
# Ed25519 group order l (RFC 8032 section 5.1).
ED25519_L = 2**252 + 27742317777372353535851937790883648493

# RFC 8032 section 7.1, TEST 1.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG_EMPTY = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

# RFC 6979 appendix A.2.5 (ECDSA, 256 bits (prime field)).
RFC6979_X = bytes.fromhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
RFC6979_UX = bytes.fromhex("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6")
RFC6979_UY = bytes.fromhex("7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299")
RFC6979_SHA256 = {
    b"sample": (
        0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,
        0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8,
    ),
    b"test": (
        0xF1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367,
        0x019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083,
    ),
}

# An Ed25519 point of order 8 (libsodium test/default/sign.c "small order" list).
ED25519_ORDER8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


# --- fixtures (local to this file) ------------------------------------------------------


@pytest.fixture(params=ALGORITHMS)
def alg(request: pytest.FixtureRequest) -> Any:
    return request.param


@pytest.fixture
def rfc6979_key() -> SigningKey:
    return SigningKey.from_bytes(RFC6979_X, "p256")


def independent_verify(alg: str, public: bytes, message: bytes, signature: bytes) -> None:
    """Verify outside privbill: PyNaCl for Ed25519, cryptography with DER for P-256."""
    if alg == "ed25519":
        nacl.signing.VerifyKey(public).verify(message, signature)
        return
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    point.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))


# --- algorithms and COSE identifiers ------------------------------------------------------


def test_cose_identifiers() -> None:
    assert COSE_ALG == {"ed25519": -8, "p256": -7}
    assert ALG_BY_COSE == {-8: "ed25519", -7: "p256"}
    assert ALGORITHMS[0] == "ed25519"  # the default
    assert SigningKey.generate().alg == "ed25519"


def test_unknown_algorithm() -> None:
    with pytest.raises(RangeError):
        SigningKey.generate("rsa")  # type: ignore[arg-type]
    with pytest.raises(RangeError):
        VerifyingKey.from_bytes(RFC8032_PUBLIC, "ed448")  # type: ignore[arg-type]


# --- round trips --------------------------------------------------------------------------


def test_sign_verify_round_trip(alg: Any) -> None:
    sk = SigningKey.generate(alg)
    assert sk.cose_alg == COSE_ALG[alg] == sk.verifying_key.cose_alg
    for message in (b"", b"m", bytes(range(256)) * 40):
        sig = sk.sign(message)
        assert len(sig) == 64
        sk.verifying_key.verify(message, sig)
        independent_verify(alg, sk.verifying_key.to_bytes(), message, sig)


def test_signing_key_bytes_round_trip(alg: Any) -> None:
    sk = SigningKey.generate(alg)
    raw = sk.to_bytes()
    assert isinstance(raw, bytes) and len(raw) == 32
    again = SigningKey.from_bytes(raw, alg)
    assert again.to_bytes() == raw
    assert again.verifying_key == sk.verifying_key
    assert again.sign(b"x") == sk.sign(b"x")  # both algorithms sign deterministically


def test_verifying_key_bytes_round_trip(alg: Any) -> None:
    vk = SigningKey.generate(alg).verifying_key
    assert VerifyingKey.from_bytes(vk.to_bytes(), alg) == vk
    assert bytes(vk) == vk.to_bytes()
    assert hash(VerifyingKey.from_bytes(vk.to_bytes(), alg)) == hash(vk)
    if alg == "p256":
        assert len(vk.to_bytes()) == 33 and vk.to_bytes()[0] in (2, 3)
        uncompressed = vk.to_bytes(compressed=False)
        assert len(uncompressed) == 65 and uncompressed[0] == 4
        assert VerifyingKey.from_bytes(uncompressed, "p256") == vk
    else:
        assert len(vk.to_bytes()) == 32 and vk.to_bytes(compressed=False) == vk.to_bytes()


def test_keys_of_different_algorithms_differ() -> None:
    ed = SigningKey.generate("ed25519").verifying_key
    p = SigningKey.generate("p256").verifying_key
    assert ed != p
    assert ed != ed.to_bytes()
    assert repr(ed) == f"VerifyingKey('ed25519', '{ed.to_bytes().hex()}')"
    assert CommitmentSecret.generate() != b"\x00" * 32


# --- official vectors ----------------------------------------------------------------------


def test_ed25519_rfc8032_test1() -> None:
    sk = SigningKey.from_bytes(RFC8032_SEED)
    assert sk.verifying_key.to_bytes() == RFC8032_PUBLIC
    assert sk.sign(b"") == RFC8032_SIG_EMPTY
    VerifyingKey.from_bytes(RFC8032_PUBLIC).verify(b"", RFC8032_SIG_EMPTY)


def test_ed25519_rfc8032_vector_file() -> None:
    path = VECTORS / "rfc8032_ed25519.json"
    if not path.is_file():
        pytest.skip("tests/vectors/rfc8032_ed25519.json is not present")
    vectors = json.loads(path.read_text(encoding="utf-8"))["vectors"]
    assert vectors
    for v in vectors:
        sk = SigningKey.from_bytes(bytes.fromhex(v["secret_key"]))
        message = bytes.fromhex(v["message"])
        assert sk.verifying_key.to_bytes().hex() == v["public_key"], v["name"]
        assert sk.sign(message).hex() == v["signature"], v["name"]
        sk.verifying_key.verify(message, bytes.fromhex(v["signature"]))


def test_p256_rfc6979_public_key(rfc6979_key: SigningKey) -> None:
    vk = rfc6979_key.verifying_key
    assert vk.to_bytes(compressed=False) == b"\x04" + RFC6979_UX + RFC6979_UY
    assert vk.to_bytes() == bytes([2 + (RFC6979_UY[-1] & 1)]) + RFC6979_UX
    assert rfc6979_key.to_bytes() == RFC6979_X


@pytest.mark.parametrize("message", sorted(RFC6979_SHA256))
def test_p256_rfc6979_signatures_low_s(rfc6979_key: SigningKey, message: bytes) -> None:
    r, s = RFC6979_SHA256[message]
    low_s = min(s, P256_N - s)
    sig = rfc6979_key.sign(message)
    assert sig == r.to_bytes(32, "big") + low_s.to_bytes(32, "big")
    rfc6979_key.verifying_key.verify(message, sig)
    independent_verify("p256", rfc6979_key.verifying_key.to_bytes(), message, sig)


def test_p256_high_s_is_refused(rfc6979_key: SigningKey) -> None:
    """The RFC's own "sample" signature has a high s: valid ECDSA, refused as malleable."""
    r, s = RFC6979_SHA256[b"sample"]
    assert s > P256_N // 2
    high = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    independent_verify("p256", rfc6979_key.verifying_key.to_bytes(), b"sample", high)
    with pytest.raises(BadSignatureError, match="high-S"):
        rfc6979_key.verifying_key.verify(b"sample", high)


# --- verification failures -----------------------------------------------------------------


def test_tampered_message_and_signature(alg: Any) -> None:
    sk = SigningKey.generate(alg)
    vk = sk.verifying_key
    sig = sk.sign(b"hello")
    with pytest.raises(BadSignatureError):
        vk.verify(b"hellp", sig)
    for i in (0, 31, 32, 63):
        bad = bytearray(sig)
        bad[i] ^= 0x01
        with pytest.raises(BadSignatureError):
            vk.verify(b"hello", bytes(bad))


def test_wrong_key(alg: Any) -> None:
    sig = SigningKey.generate(alg).sign(b"hello")
    with pytest.raises(BadSignatureError):
        SigningKey.generate(alg).verifying_key.verify(b"hello", sig)


@pytest.mark.parametrize("size", [0, 63, 65, 128])
def test_signature_of_wrong_size(alg: Any, size: int) -> None:
    sk = SigningKey.generate(alg)
    sig = (sk.sign(b"m") * 2)[:size]
    with pytest.raises(BadSignatureError, match="64 bytes"):
        sk.verifying_key.verify(b"m", sig)


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 1), (1, 0), (P256_N, 1), (1, P256_N), (2**256 - 1, 1), (1, P256_N // 2 + 1)],
)
def test_p256_scalars_out_of_range(rfc6979_key: SigningKey, r: int, s: int) -> None:
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    with pytest.raises(BadSignatureError):
        rfc6979_key.verifying_key.verify(b"sample", sig)


def test_ed25519_s_plus_l_is_refused() -> None:
    """Adding l to S gives an equivalent S; RFC 8032 requires S < l (non-malleability)."""
    sig = RFC8032_SIG_EMPTY
    s = int.from_bytes(sig[32:], "little") + ED25519_L
    assert s < 2**256
    malleated = sig[:32] + s.to_bytes(32, "little")
    with pytest.raises(BadSignatureError):
        VerifyingKey.from_bytes(RFC8032_PUBLIC).verify(b"", malleated)


def test_verify_returns_none_never_false(alg: Any) -> None:
    sk = SigningKey.generate(alg)
    result: object = sk.verifying_key.verify(b"a", sk.sign(b"a"))  # type: ignore[func-returns-value]
    assert result is None


def test_type_errors() -> None:
    sk = SigningKey.generate()
    with pytest.raises(TypeError):
        sk.sign("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sk.verifying_key.verify(b"m", "sig")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SigningKey.from_bytes(12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        VerifyingKey.from_bytes(None)  # type: ignore[arg-type]


# --- strict key decoding --------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_ed25519_key_sizes(size: int) -> None:
    with pytest.raises(EncodingError, match="32 bytes"):
        SigningKey.from_bytes(bytes(size))
    with pytest.raises(EncodingError, match="32 bytes"):
        VerifyingKey.from_bytes(bytes(size))


@pytest.mark.parametrize(
    "encoding",
    [
        bytes(32),  # y = 0: not a point of prime order
        b"\x01" + bytes(31),  # the identity
        b"\x01" + bytes(30) + b"\x80",  # the identity with the sign bit set (non-canonical)
        ED25519_ORDER8,  # a point of order 8
        (2**255 - 19 + 1).to_bytes(32, "little"),  # y = p + 1: non-canonical encoding of y = 1
        b"\xff" * 32,  # y >= p
    ],
    ids=["zero", "identity", "identity-negative-zero", "order-8", "y=p+1", "all-ff"],
)
def test_ed25519_public_key_rejected(encoding: bytes) -> None:
    with pytest.raises(EncodingError):
        VerifyingKey.from_bytes(encoding)


def test_ed25519_public_key_with_torsion_rejected() -> None:
    """A valid key plus a point of order 8: on the curve, but not in the prime-order group."""
    try:
        torsioned = nacl.bindings.crypto_core_ed25519_add(RFC8032_PUBLIC, ED25519_ORDER8)
    except nacl.exceptions.CryptoError:  # pragma: no cover - libsodium refused the input
        pytest.skip("libsodium refuses to add a small-order point")
    assert torsioned != RFC8032_PUBLIC
    with pytest.raises(EncodingError):
        VerifyingKey.from_bytes(torsioned)


@pytest.mark.parametrize("size", [0, 31, 33, 48])
def test_p256_private_scalar_size(size: int) -> None:
    with pytest.raises(EncodingError, match="32 bytes"):
        SigningKey.from_bytes(b"\x01" * size, "p256")


@pytest.mark.parametrize(
    "scalar",
    [0, P256_N, P256_N + 1, 2**256 - 1],
    ids=["zero", "n", "n+1", "max"],
)
def test_p256_private_scalar_out_of_range(scalar: int) -> None:
    with pytest.raises(EncodingError, match="1 <= d < n"):
        SigningKey.from_bytes(scalar.to_bytes(32, "big"), "p256")


def test_p256_private_scalar_edges_accepted() -> None:
    for d in (1, P256_N - 1):
        sk = SigningKey.from_bytes(d.to_bytes(32, "big"), "p256")
        assert sk.to_bytes() == d.to_bytes(32, "big")
        sk.verifying_key.verify(b"m", sk.sign(b"m"))


def _small_x_point() -> int:
    """The smallest x with 02||x on P-256 (so that x + p still fits in 32 bytes)."""
    for x in range(1000):
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b"\x02" + x.to_bytes(32, "big")
            )
        except ValueError:
            continue
        return x
    raise AssertionError("no small x found")  # pragma: no cover


def test_p256_public_key_rejected(rfc6979_key: SigningKey) -> None:
    uncompressed = rfc6979_key.verifying_key.to_bytes(compressed=False)
    x = _small_x_point()
    VerifyingKey.from_bytes(b"\x02" + x.to_bytes(32, "big"), "p256")  # the canonical form
    cases = {
        "identity": b"\x00",
        "hybrid-06": b"\x06" + uncompressed[1:],
        "hybrid-07": b"\x07" + uncompressed[1:],
        "prefix-05": b"\x05" + uncompressed[1:33],
        "raw-64": uncompressed[1:],
        "compressed-with-04": b"\x04" + uncompressed[1:33],
        "uncompressed-with-02": b"\x02" + uncompressed[1:],
        "truncated": uncompressed[:-1],
        "off-curve": uncompressed[:-1] + bytes([uncompressed[-1] ^ 1]),
        "x-not-reduced": b"\x02" + (x + P256_P).to_bytes(32, "big"),
        "x-equals-p": b"\x02" + P256_P.to_bytes(32, "big"),
        "ed25519-size": bytes(32),
    }
    for name, encoding in cases.items():
        with pytest.raises(EncodingError):
            VerifyingKey.from_bytes(encoding, "p256")
            pytest.fail(name)


# --- secrets stay out of reprs ------------------------------------------------------------


def test_signing_key_repr_hides_secret(alg: Any) -> None:
    sk = SigningKey.generate(alg)
    text = repr(sk) + str(sk)
    assert sk.to_bytes().hex() not in text
    assert sk.verifying_key.to_bytes().hex() in text


def test_household_key() -> None:
    hk = HouseholdKey.generate()
    assert len(hk.to_bytes()) == 32 and len(hk.public_bytes) == 32
    assert hk.to_bytes().hex() not in repr(hk) + str(hk)
    assert hk.public_bytes.hex() in repr(hk)
    again = HouseholdKey.from_bytes(hk.to_bytes())
    assert again.public_bytes == hk.public_bytes
    # The public key is X25519 of the private key: check against PyNaCl directly.
    assert nacl.public.PrivateKey(hk.to_bytes()).public_key.encode() == hk.public_bytes
    with pytest.raises(EncodingError):
        HouseholdKey.from_bytes(bytes(31))


# --- the commitment secret and its pairing handover ---------------------------------------


def test_commitment_secret_basics() -> None:
    k = CommitmentSecret.generate()
    assert len(k.to_bytes()) == 32
    assert k != CommitmentSecret.generate()
    assert k == CommitmentSecret.from_bytes(k.to_bytes())
    assert k.to_bytes().hex() not in repr(k) + str(k) + f"{k!r}{k}"
    with pytest.raises(TypeError):
        hash(k)
    for size in (0, 31, 33):
        with pytest.raises(EncodingError):
            CommitmentSecret.from_bytes(bytes(size))


def test_seal_and_open() -> None:
    hk = HouseholdKey.generate()
    k = CommitmentSecret.generate()
    sealed = k.seal_to(hk.public_bytes)
    assert len(sealed) == SEALED_SECRET_SIZE == 80
    assert k.to_bytes() not in sealed
    assert CommitmentSecret.open_sealed(sealed, hk) == k
    assert CommitmentSecret.open_sealed(sealed, hk.to_bytes()) == k
    # Sealing is randomised (fresh ephemeral key each time).
    assert k.seal_to(hk.public_bytes) != sealed


def test_seal_opens_with_pynacl_directly() -> None:
    """Independent path: a libsodium sealed box, as any other implementation would open it."""
    hk = HouseholdKey.generate()
    k = CommitmentSecret.generate()
    sealed = k.seal_to(hk.public_bytes)
    opened = nacl.public.SealedBox(nacl.public.PrivateKey(hk.to_bytes())).decrypt(sealed)
    assert opened == k.to_bytes()
    # ...and the reverse: a box made by PyNaCl opens here.
    made = nacl.public.SealedBox(nacl.public.PublicKey(hk.public_bytes)).encrypt(k.to_bytes())
    assert CommitmentSecret.open_sealed(made, hk) == k


def test_open_with_wrong_key_or_tampered() -> None:
    hk = HouseholdKey.generate()
    sealed = CommitmentSecret.generate().seal_to(hk.public_bytes)
    with pytest.raises(VerificationError):
        CommitmentSecret.open_sealed(sealed, HouseholdKey.generate())
    for i in (0, 31, 32, 47, 48, 79):
        bad = bytearray(sealed)
        bad[i] ^= 0x80
        with pytest.raises(VerificationError):
            CommitmentSecret.open_sealed(bytes(bad), hk)


def test_open_wrong_sizes() -> None:
    hk = HouseholdKey.generate()
    sealed = CommitmentSecret.generate().seal_to(hk.public_bytes)
    for bad in (b"", sealed[:-1], sealed + b"\x00", sealed[:48]):
        with pytest.raises(EncodingError):
            CommitmentSecret.open_sealed(bad, hk)
    # A box around a secret of the wrong size authenticates but is refused.
    other = nacl.public.SealedBox(nacl.public.PublicKey(hk.public_bytes)).encrypt(bytes(31))
    with pytest.raises(EncodingError):
        CommitmentSecret.open_sealed(other, hk)
    with pytest.raises(EncodingError):
        CommitmentSecret.open_sealed(sealed, bytes(31))


def test_seal_to_bad_public_key() -> None:
    k = CommitmentSecret.generate()
    for bad in (bytes(31), bytes(33), b""):
        with pytest.raises(EncodingError, match="32 bytes"):
            k.seal_to(bad)
    with pytest.raises(EncodingError, match="low-order"):
        k.seal_to(bytes(32))  # X25519 with the zero point gives the all-zero shared secret


def test_open_sealed_random_input_raises_only_privbill_errors() -> None:
    import random

    rng = random.Random(20240101)
    hk = HouseholdKey.generate()
    for _ in range(300):
        data = rng.randbytes(rng.choice([0, 1, 47, 48, 79, 80, 81, 200]))
        with pytest.raises(PrivbillError):
            CommitmentSecret.open_sealed(data, hk)
