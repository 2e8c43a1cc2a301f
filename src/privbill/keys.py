"""Meter signing keys and the pairing handover of the commitment secret.

This is the low-level ("hazmat") layer: raw keys, raw signatures. The safe recipes
(``Meter``, ``Household``, ``Retailer``) build on it.

Signatures
----------
Two algorithms, named by a short string and by their COSE algorithm identifier
(RFC 9053, IANA "COSE Algorithms" registry):

============  ======  ============================================================
``alg``       COSE    scheme
============  ======  ============================================================
``ed25519``   -8      Ed25519 (RFC 8032, pure, no context); the default
``p256``      -7      ECDSA over NIST P-256 with SHA-256 (FIPS 186-5, SEC 1)
============  ======  ============================================================

Both produce 64-byte signatures. For P-256 the signature is ``r || s``, each a
32-byte big-endian integer, as COSE requires (RFC 9053 section 2.1), never DER.
Two further rules close signature malleability, so that a batch's hash
(SHA-256 of its COSE encoding, which includes the signature) cannot be changed by
anyone but the signer:

- ``p256`` signatures are *low-S*: :meth:`SigningKey.sign` returns ``s <= (n-1)/2``
  (replacing ``s`` by ``n - s`` when needed) and :meth:`VerifyingKey.verify`
  rejects ``s > (n-1)/2``. Signing is deterministic (RFC 6979) so that fixed keys
  give fixed test vectors.
- ``ed25519`` verification rejects ``S >= l`` (RFC 8032 section 5.1.7, done by
  OpenSSL). Public keys must be canonical points of the prime-order subgroup
  (:meth:`VerifyingKey.from_bytes` refuses small-order and non-canonical encodings).

Key encodings (``to_bytes`` / ``from_bytes``, strict):

- Ed25519 signing key: the 32-byte seed of RFC 8032; verifying key: 32 bytes.
- P-256 signing key: the private scalar ``d``, 32 bytes big-endian, ``1 <= d < n``;
  verifying key: SEC 1 section 2.3.3 point, compressed (33 bytes, ``02``/``03``)
  or uncompressed (65 bytes, ``04``). The identity and hybrid (``06``/``07``)
  forms are refused. ``to_bytes()`` emits the compressed form.

>>> sk = SigningKey.generate()
>>> sig = sk.sign(b"meter batch")
>>> sk.verifying_key.verify(b"meter batch", sig)   # returns None or raises
>>> sk.alg, sk.cose_alg, len(sig)
('ed25519', -8, 64)
>>> vk = VerifyingKey.from_bytes(sk.verifying_key.to_bytes())
>>> vk == sk.verifying_key
True

Pairing handover
----------------
At manufacture a meter draws its commitment secret ``k`` (32 random bytes). At
pairing it is sealed to the household's X25519 public key with an anonymous
libsodium sealed box (``crypto_box_seal``: ephemeral X25519 key, XSalsa20-Poly1305;
48 bytes of overhead, so a sealed secret is exactly 80 bytes).

>>> household = HouseholdKey.generate()
>>> k = CommitmentSecret.generate()
>>> sealed = k.seal_to(household.public_bytes)
>>> CommitmentSecret.open_sealed(sealed, household) == k
True
>>> k                                                  # never prints the secret
CommitmentSecret(<secret>)

Secrets are held as ``bytes`` (never Python ints) and no ``repr`` shows them.
Python cannot wipe memory; callers that need that guarantee use the C core.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence
from typing import Final, Literal

import nacl.bindings
import nacl.exceptions
import nacl.public
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from privbill._ffi import ffi, lib
from privbill.errors import BadSignatureError, EncodingError, RangeError, VerificationError

__all__ = [
    "ALGORITHMS",
    "ALG_BY_COSE",
    "COMMITMENT_SECRET_SIZE",
    "COSE_ALG",
    "SEALED_SECRET_SIZE",
    "SIGNATURE_SIZE",
    "Alg",
    "CommitmentSecret",
    "HouseholdKey",
    "SigningKey",
    "VerifyingKey",
    "verify_many",
]

Alg = Literal["ed25519", "p256"]

#: The signature algorithms, default first.
ALGORITHMS: Final[tuple[Alg, ...]] = ("ed25519", "p256")
#: COSE algorithm identifier of each algorithm (RFC 9053: EdDSA = -8, ES256 = -7).
COSE_ALG: Final[dict[Alg, int]] = {"ed25519": -8, "p256": -7}
#: Inverse of :data:`COSE_ALG`.
ALG_BY_COSE: Final[dict[int, Alg]] = {v: k for k, v in COSE_ALG.items()}
#: Both algorithms sign with 64 bytes (Ed25519 ``R || S``; P-256 ``r || s``).
SIGNATURE_SIZE: Final = 64

#: Size of the meter's commitment secret ``k``.
COMMITMENT_SECRET_SIZE: Final = 32
#: A sealed commitment secret: 32-byte ephemeral X25519 key, 16-byte tag, 32 bytes.
SEALED_SECRET_SIZE: Final = 32 + 16 + COMMITMENT_SECRET_SIZE

_ED25519_SIZE: Final = 32
_P256_SCALAR_SIZE: Final = 32
#: Order n of the P-256 group (SEC 2 section 2.4.2).
_P256_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_HALF_N: Final = _P256_N // 2
_P256_N_BYTES: Final = _P256_N.to_bytes(32, "big")
#: DER of the named-curve OID prime256v1 (1.2.840.10045.3.1.7), as ECParameters.
_P256_OID_DER: Final = bytes.fromhex("06082a8648ce3d030107")
_ECDSA_SIGN: Final = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
_ECDSA_VERIFY: Final = ec.ECDSA(hashes.SHA256())
#: Signatures per call of the C core's batch verification.
_BATCH_MAX: Final[int] = lib.PRIVBILL_ED25519_BATCH_MAX

_PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
_PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def _check_alg(alg: object) -> Alg:
    if alg not in ALGORITHMS:
        raise RangeError(f"unknown signature algorithm {alg!r}; expected one of {ALGORITHMS}")
    return alg


def _check_bytes(name: str, data: object) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, not {type(data).__name__}")
    return bytes(data)


# --- P-256 private scalar <-> cryptography, without Python ints -----------------------


def _p256_from_scalar(d: bytes) -> ec.EllipticCurvePrivateKey:
    """Load a 32-byte big-endian P-256 scalar through a SEC 1 ECPrivateKey (RFC 5915).

    The DER is ``SEQUENCE { INTEGER 1, OCTET STRING d, [0] prime256v1 }``; the
    public key is left out and recomputed by OpenSSL. Going through DER keeps the
    secret out of Python ints. The range check compares byte strings: ``d`` is
    secret, but the comparison stops at the first byte that differs from ``n``,
    whose leading bytes are ``ff``, so it reveals nothing useful about a key that
    is in range.
    """
    if d == bytes(_P256_SCALAR_SIZE) or d >= _P256_N_BYTES:
        raise EncodingError("p256 private scalar must satisfy 1 <= d < n")
    params = b"\xa0" + bytes([len(_P256_OID_DER)]) + _P256_OID_DER
    body = b"\x02\x01\x01" + b"\x04\x20" + d + params
    der = b"\x30" + bytes([len(body)]) + body
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise EncodingError("p256 private scalar rejected by the backend") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - defensive
        raise EncodingError("p256 private scalar did not load as an EC key")
    return key


def _p256_scalar(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The 32-byte big-endian scalar of ``key``, read from its SEC 1 DER encoding."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    # SEQUENCE (one-byte length for P-256), INTEGER 1, OCTET STRING (32): the
    # scalar starts at offset 7. OpenSSL pads it to the size of n (RFC 5915).
    if der[0] != 0x30 or der[2:7] != b"\x02\x01\x01\x04\x20":  # pragma: no cover
        raise EncodingError("unexpected SEC 1 encoding of a p256 private key")
    return der[7 : 7 + _P256_SCALAR_SIZE]


# --- signing and verifying keys ---------------------------------------------------------


class VerifyingKey:
    """A public signature key: Ed25519 (default) or ECDSA P-256.

    ``verify`` returns ``None`` or raises :class:`~privbill.errors.BadSignatureError`;
    it never returns ``False``.

    >>> vk = SigningKey.from_bytes(bytes(32)).verifying_key
    >>> vk.to_bytes().hex()
    '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29'
    >>> vk.verify(b"x", bytes(64))
    Traceback (most recent call last):
        ...
    privbill.errors.BadSignatureError: ed25519 signature does not verify
    """

    __slots__ = ("_alg", "_bytes", "_key")

    def __init__(self, alg: Alg, key: _PublicKey) -> None:
        """Wrap a ``cryptography`` public key; use :meth:`from_bytes` instead."""
        self._alg: Alg = _check_alg(alg)
        self._key = key
        if isinstance(key, ed25519.Ed25519PublicKey):
            self._bytes = key.public_bytes_raw()
        else:
            self._bytes = key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )

    @classmethod
    def from_bytes(cls, data: bytes, alg: Alg = "ed25519") -> VerifyingKey:
        """Decode a public key, strictly (see the module docstring for the encodings).

        Raises :class:`~privbill.errors.EncodingError` for anything that is not a
        valid, canonical public key of ``alg``.

        >>> VerifyingKey.from_bytes(bytes(32))
        Traceback (most recent call last):
            ...
        privbill.errors.EncodingError: ed25519 public key is not a canonical point of prime order
        """
        alg = _check_alg(alg)
        data = _check_bytes("public key", data)
        if alg == "ed25519":
            if len(data) != _ED25519_SIZE:
                raise EncodingError(f"ed25519 public key must be 32 bytes, got {len(data)}")
            # libsodium: canonical encoding, on the curve, not of small order, in
            # the prime-order subgroup.
            if not nacl.bindings.crypto_core_ed25519_is_valid_point(data):
                raise EncodingError("ed25519 public key is not a canonical point of prime order")
            return cls(alg, ed25519.Ed25519PublicKey.from_public_bytes(data))
        if not ((len(data) == 33 and data[0] in (2, 3)) or (len(data) == 65 and data[0] == 4)):
            raise EncodingError(
                "p256 public key must be a SEC 1 point: 33 bytes (02/03) or 65 bytes (04)"
            )
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
        except ValueError as exc:
            raise EncodingError("p256 public key is not a point on the curve") from exc
        return cls(alg, key)

    @property
    def alg(self) -> Alg:
        """The algorithm name, ``"ed25519"`` or ``"p256"``."""
        return self._alg

    @property
    def cose_alg(self) -> int:
        """The COSE algorithm identifier: -8 (EdDSA) or -7 (ES256)."""
        return COSE_ALG[self._alg]

    def to_bytes(self, *, compressed: bool = True) -> bytes:
        """The public key: 32 bytes (Ed25519) or a SEC 1 point (P-256).

        ``compressed`` selects the 33-byte or the 65-byte SEC 1 form and only
        matters for P-256.
        """
        if self._alg == "p256" and not compressed:
            assert isinstance(self._key, ec.EllipticCurvePublicKey)
            return self._key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        return self._bytes

    def __bytes__(self) -> bytes:
        return self._bytes

    def verify(self, message: bytes, signature: bytes) -> None:
        """Check ``signature`` over ``message``; raise BadSignatureError if it fails.

        Besides the algorithm's own check, a signature must be 64 bytes, and a
        P-256 signature must have ``1 <= r < n`` and ``1 <= s <= (n-1)/2`` (low-S).
        """
        message = _check_bytes("message", message)
        signature = _check_bytes("signature", signature)
        if len(signature) != SIGNATURE_SIZE:
            raise BadSignatureError(
                f"{self._alg} signature must be {SIGNATURE_SIZE} bytes, got {len(signature)}"
            )
        if self._alg == "ed25519":
            # The C core's rule (privbill.h): canonical S, A and R, cofactored
            # equation; the same rule as its batch verification.
            if lib.privbill_ed25519_verify(signature, message, len(message), self._bytes) != 0:
                raise BadSignatureError("ed25519 signature does not verify")
            return
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        if not 1 <= r < _P256_N:
            raise BadSignatureError("p256 signature: r out of range")
        if not 1 <= s <= _P256_HALF_N:
            raise BadSignatureError("p256 signature: s out of range (high-S is refused)")
        assert isinstance(self._key, ec.EllipticCurvePublicKey)
        try:
            self._key.verify(encode_dss_signature(r, s), message, _ECDSA_VERIFY)
        except InvalidSignature:
            raise BadSignatureError("p256 signature does not verify") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VerifyingKey):
            return NotImplemented
        return self._alg == other._alg and hmac.compare_digest(self._bytes, other._bytes)

    def __hash__(self) -> int:
        return hash((self._alg, self._bytes))

    def __repr__(self) -> str:
        return f"VerifyingKey({self._alg!r}, {self._bytes.hex()!r})"


def verify_many(items: Sequence[tuple[VerifyingKey, bytes, bytes]]) -> list[bool]:
    """Check many ``(key, message, signature)`` triples; ``True`` where valid.

    Ed25519 signatures are checked together, 64 at a time, with one multiscalar
    equation each (the C core's batch verification, which applies the same rule
    as :meth:`VerifyingKey.verify`, with fresh random weights from the OS); a
    failing group is checked one by one to find the bad signatures. P-256
    signatures are checked one by one.

    >>> sk = SigningKey.generate()
    >>> sig = sk.sign(b"a")
    >>> verify_many([(sk.verifying_key, b"a", sig), (sk.verifying_key, b"b", sig)])
    [True, False]
    """
    results = [False] * len(items)
    ed = [
        i
        for i, (key, _, sig) in enumerate(items)
        if key.alg == "ed25519" and len(sig) == SIGNATURE_SIZE
    ]
    for start in range(0, len(ed), _BATCH_MAX):
        group = ed[start : start + _BATCH_MAX]
        msgs = [ffi.from_buffer(items[i][1]) for i in group]
        ok = (
            lib.privbill_ed25519_verify_batch(
                b"".join(items[i][2] for i in group),
                ffi.new("uint8_t *[]", msgs),
                ffi.new("size_t[]", [len(items[i][1]) for i in group]),
                b"".join(bytes(items[i][0]) for i in group),
                len(group),
                os.urandom(16 * len(group)),
            )
            == 0
        )
        for i in group:
            results[i] = ok
    for i, (key, message, signature) in enumerate(items):
        if not results[i]:
            try:
                key.verify(message, signature)
                results[i] = True
            except BadSignatureError:
                pass
    return results


class SigningKey:
    """A meter's private signature key: Ed25519 (default) or ECDSA P-256.

    >>> sk = SigningKey.generate("p256")
    >>> sig = sk.sign(b"hello")
    >>> sk.verifying_key.verify(b"hello", sig)
    >>> SigningKey.from_bytes(sk.to_bytes(), "p256").verifying_key == sk.verifying_key
    True
    >>> repr(sk).startswith("SigningKey('p256', public=")
    True
    """

    __slots__ = ("_alg", "_key", "_vk")

    def __init__(self, alg: Alg, key: _PrivateKey) -> None:
        """Wrap a ``cryptography`` private key; use :meth:`generate` or :meth:`from_bytes`."""
        self._alg: Alg = _check_alg(alg)
        if alg == "p256":
            if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
                key.curve, ec.SECP256R1
            ):
                raise TypeError("p256 signing key must be a SECP256R1 private key")
        elif not isinstance(key, ed25519.Ed25519PrivateKey):
            raise TypeError("ed25519 signing key must be an Ed25519PrivateKey")
        self._key = key
        self._vk = VerifyingKey(alg, key.public_key())

    @classmethod
    def generate(cls, alg: Alg = "ed25519") -> SigningKey:
        """A fresh key from the operating system's random source."""
        alg = _check_alg(alg)
        if alg == "ed25519":
            return cls(alg, ed25519.Ed25519PrivateKey.generate())
        return cls(alg, ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_bytes(cls, data: bytes, alg: Alg = "ed25519") -> SigningKey:
        """Load a key: a 32-byte Ed25519 seed, or a 32-byte big-endian P-256 scalar.

        >>> SigningKey.from_bytes(bytes(31))
        Traceback (most recent call last):
            ...
        privbill.errors.EncodingError: ed25519 seed must be 32 bytes, got 31
        """
        alg = _check_alg(alg)
        data = _check_bytes("private key", data)
        if alg == "ed25519":
            if len(data) != _ED25519_SIZE:
                raise EncodingError(f"ed25519 seed must be 32 bytes, got {len(data)}")
            return cls(alg, ed25519.Ed25519PrivateKey.from_private_bytes(data))
        if len(data) != _P256_SCALAR_SIZE:
            raise EncodingError(f"p256 private scalar must be 32 bytes, got {len(data)}")
        return cls(alg, _p256_from_scalar(data))

    def to_bytes(self) -> bytes:
        """The secret: the 32-byte Ed25519 seed or the 32-byte P-256 scalar."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.private_bytes_raw()
        return _p256_scalar(self._key)

    @property
    def alg(self) -> Alg:
        """The algorithm name, ``"ed25519"`` or ``"p256"``."""
        return self._alg

    @property
    def cose_alg(self) -> int:
        """The COSE algorithm identifier: -8 (EdDSA) or -7 (ES256)."""
        return COSE_ALG[self._alg]

    @property
    def verifying_key(self) -> VerifyingKey:
        """The matching public key."""
        return self._vk

    def sign(self, message: bytes) -> bytes:
        """Sign ``message``: 64 bytes, Ed25519 ``R || S`` or P-256 low-S ``r || s``.

        Both are deterministic: Ed25519 by construction, P-256 by RFC 6979.
        """
        message = _check_bytes("message", message)
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(message)
        r, s = decode_dss_signature(self._key.sign(message, _ECDSA_SIGN))
        if s > _P256_HALF_N:
            s = _P256_N - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self) -> str:
        return f"SigningKey({self._alg!r}, public={self._vk.to_bytes().hex()!r})"


# --- pairing: the commitment secret, sealed to the household ---------------------------


class HouseholdKey:
    """The household agent's X25519 key pair, used to receive the commitment secret.

    >>> hk = HouseholdKey.from_bytes(bytes(range(32)))
    >>> len(hk.public_bytes), HouseholdKey.from_bytes(hk.to_bytes()).public_bytes == hk.public_bytes
    (32, True)
    >>> "00010203" in repr(hk)
    False
    """

    __slots__ = ("_sk",)

    def __init__(self, private_key: nacl.public.PrivateKey) -> None:
        """Wrap a PyNaCl private key; use :meth:`generate` or :meth:`from_bytes`."""
        if not isinstance(private_key, nacl.public.PrivateKey):
            raise TypeError("HouseholdKey wraps a nacl.public.PrivateKey")
        self._sk = private_key

    @classmethod
    def generate(cls) -> HouseholdKey:
        """A fresh key pair."""
        return cls(nacl.public.PrivateKey.generate())

    @classmethod
    def from_bytes(cls, data: bytes) -> HouseholdKey:
        """Load the 32-byte X25519 private key."""
        data = _check_bytes("household private key", data)
        if len(data) != nacl.public.PrivateKey.SIZE:
            raise EncodingError(f"household private key must be 32 bytes, got {len(data)}")
        return cls(nacl.public.PrivateKey(data))

    def to_bytes(self) -> bytes:
        """The 32-byte X25519 private key (secret)."""
        return bytes(self._sk)

    @property
    def public_bytes(self) -> bytes:
        """The 32-byte X25519 public key, to hand to the meter at pairing."""
        return bytes(self._sk.public_key)

    def __repr__(self) -> str:
        return f"HouseholdKey(public={self.public_bytes.hex()!r})"


class CommitmentSecret:
    """The meter's commitment secret ``k``: 32 bytes, from which every blinding derives.

    Equality is constant time; ``repr`` never shows the bytes.

    >>> k = CommitmentSecret.from_bytes(bytes(32))
    >>> str(k)
    'CommitmentSecret(<secret>)'
    >>> CommitmentSecret.from_bytes(b"short")
    Traceback (most recent call last):
        ...
    privbill.errors.EncodingError: commitment secret must be 32 bytes, got 5
    """

    __slots__ = ("_secret",)
    __hash__ = None  # type: ignore[assignment]  # secrets are not dictionary keys

    def __init__(self, secret: bytes) -> None:
        """Wrap 32 secret bytes; prefer :meth:`generate` or :meth:`from_bytes`."""
        secret = _check_bytes("commitment secret", secret)
        if len(secret) != COMMITMENT_SECRET_SIZE:
            raise EncodingError(
                f"commitment secret must be {COMMITMENT_SECRET_SIZE} bytes, got {len(secret)}"
            )
        self._secret = secret

    @classmethod
    def generate(cls) -> CommitmentSecret:
        """32 bytes from the operating system's random source (at manufacture)."""
        return cls(os.urandom(COMMITMENT_SECRET_SIZE))

    @classmethod
    def from_bytes(cls, data: bytes) -> CommitmentSecret:
        """Wrap exactly 32 bytes."""
        return cls(data)

    def to_bytes(self) -> bytes:
        """The 32 secret bytes."""
        return self._secret

    def seal_to(self, household_public_key: bytes) -> bytes:
        """Encrypt ``k`` to the household's X25519 public key (libsodium sealed box).

        The result is 80 bytes and anonymous: it does not say who sealed it. The
        pairing protocol must authenticate it (see docs/protocol.md).
        """
        pk = _check_bytes("household public key", household_public_key)
        if len(pk) != nacl.public.PublicKey.SIZE:
            raise EncodingError(f"household public key must be 32 bytes, got {len(pk)}")
        try:
            return bytes(nacl.public.SealedBox(nacl.public.PublicKey(pk)).encrypt(self._secret))
        except nacl.exceptions.CryptoError as exc:  # low-order point: shared key is zero
            raise EncodingError("household public key is a low-order X25519 point") from exc

    @classmethod
    def open_sealed(
        cls, sealed: bytes, household_private_key: HouseholdKey | bytes
    ) -> CommitmentSecret:
        """Decrypt a sealed commitment secret with the household's private key.

        Raises :class:`~privbill.errors.EncodingError` for a wrong size and
        :class:`~privbill.errors.VerificationError` if the box does not
        authenticate (tampered, or sealed to another key).
        """
        sealed = _check_bytes("sealed secret", sealed)
        if isinstance(household_private_key, HouseholdKey):
            hk = household_private_key
        else:
            hk = HouseholdKey.from_bytes(household_private_key)
        if len(sealed) != SEALED_SECRET_SIZE:
            raise EncodingError(
                f"sealed commitment secret must be {SEALED_SECRET_SIZE} bytes, got {len(sealed)}"
            )
        try:
            secret = nacl.public.SealedBox(hk._sk).decrypt(sealed)
        except nacl.exceptions.CryptoError:
            raise VerificationError(
                "sealed commitment secret does not authenticate under this household key"
            ) from None
        return cls(secret)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CommitmentSecret):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __repr__(self) -> str:
        return "CommitmentSecret(<secret>)"
