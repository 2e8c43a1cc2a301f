"""Paillier encryption with decryption split among key holders (gmpy2).

The second settlement backend (docs/settlement.md, "Paillier backend").
Paillier (1999) with ``g = n + 1``: for a message ``m`` in ``[0, n)`` and a
random unit ``r``,

    E(m) = (1 + m*n) * r^n  mod n^2

and ``E(a) * E(b) = E(a + b mod n)``. Decryption with the factors uses CRT;
the settlement key is never used that way: a dealer splits the decryption
exponent ``d`` (``d = 0 mod lambda``, ``d = 1 mod n``) additively among
``k`` holders, ``d = d_1 + ... + d_k`` over the integers, and
``E(m)^d = 1 + m*n mod n^2``. Each holder returns ``c^{d_j}``; the product
of all ``k`` decrypts. Fewer than ``k`` holders learn nothing about ``m``:
their shares are statistically independent of ``d`` (each of ``d_1 ..
d_{k-1}`` uniform in ``[0, 2^128 * n^2)``).

Meters precompute ``r^n mod n^2`` (:class:`RandomnessPool`), so encrypting
online is one multiplication mod ``n^2``.

>>> pk, sk = generate_keypair(bits=512)          # 3072 by default; small for the example
>>> a, b = pk.encrypt(20), pk.encrypt(22)
>>> sk.decrypt(pk.add(a, b))
42
>>> shares = deal(sk, holders=3)
>>> c = pk.add(a, b)
>>> combine(pk, [partial_decrypt(pk, s, c) for s in shares])
42
>>> combine(pk, [partial_decrypt(pk, s, c) for s in shares[:2]])
Traceback (most recent call last):
    ...
privbill.paillier.KeyHolderError: the partial decryptions do not combine: a holder is missing or bad

Keys and ciphertexts serialise to JSON with integers as decimal strings
(:func:`to_json`, :func:`public_key_from_json`, ...): never pickle.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import gmpy2  # type: ignore[import-untyped]

from privbill.errors import AggregationError, FormatError, RangeError

__all__ = [
    "DEFAULT_BITS",
    "KeyHolderError",
    "KeyShare",
    "PackingParams",
    "PaillierPrivateKey",
    "PaillierPublicKey",
    "RandomnessPool",
    "combine",
    "deal",
    "generate_keypair",
    "key_share_from_json",
    "partial_decrypt",
    "public_key_from_json",
    "to_json",
]

#: Modulus size by default (NIST SP 800-57: 3072-bit factoring ~ 128-bit security).
DEFAULT_BITS: Final = 3072
#: Smallest modulus accepted (tests only; never deploy below DEFAULT_BITS).
MIN_BITS: Final = 256
#: Statistical hiding of the additive key shares.
_SHARE_SLACK_BITS: Final = 128


class KeyHolderError(AggregationError):
    """A key holder is missing, or a partial decryption is invalid."""


def _random_prime(bits: int) -> Any:
    """A random prime of exactly ``bits`` bits with p = 3 mod 4 (gmpy2's
    Miller-Rabin with 50 rounds, then next_prime search from a random start)."""
    while True:
        start = gmpy2.mpz(int.from_bytes(os.urandom((bits + 7) // 8), "big"))
        start |= gmpy2.mpz(3) << (bits - 2)  # top two bits: p*q has 2*bits bits
        start &= (gmpy2.mpz(1) << bits) - 1
        p = gmpy2.next_prime(start)
        while p % 4 != 3:
            p = gmpy2.next_prime(p)
        if p.bit_length() == bits and gmpy2.is_prime(p, 50):
            return p


@dataclass(frozen=True)
class PaillierPublicKey:
    """The public key ``n`` (``g = n + 1``)."""

    n: int

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n.bit_length() < MIN_BITS or self.n % 2 == 0:
            raise RangeError(f"a Paillier modulus is an odd integer of >= {MIN_BITS} bits")

    @property
    def nsquare(self) -> Any:
        v = self.__dict__.get("_n2")
        if v is None:
            v = gmpy2.mpz(self.n) ** 2
            object.__setattr__(self, "_n2", v)
        return v

    @property
    def bits(self) -> int:
        return self.n.bit_length()

    def random_rn(self) -> Any:
        """``r^n mod n^2`` for a fresh random unit ``r`` (the expensive part)."""
        n = gmpy2.mpz(self.n)
        while True:
            r = gmpy2.mpz(secrets.randbelow(self.n - 1) + 1)
            if gmpy2.gcd(r, n) == 1:
                return gmpy2.powmod(r, n, self.nsquare)

    def encrypt(self, m: int, rn: Any = None) -> int:
        """``(1 + m*n) * r^n mod n^2``; ``rn`` from a :class:`RandomnessPool`
        makes this one multiplication. ``m`` must be in ``[0, n)``."""
        if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m < self.n:
            raise RangeError("a Paillier plaintext is an int in [0, n)")
        if rn is None:
            rn = self.random_rn()
        n2 = self.nsquare
        return int((1 + gmpy2.mpz(m) * self.n) * rn % n2)

    def add(self, *cts: int) -> int:
        """The ciphertext of the sum of the plaintexts (mod n)."""
        return self.add_many(cts)

    def add_many(self, cts: Iterable[int]) -> int:
        """Product of many ciphertexts mod n^2 (the aggregator's job)."""
        n2 = self.nsquare
        acc = gmpy2.mpz(1)
        for c in cts:
            acc = acc * c % n2
        return int(acc)

    def check_ciphertext(self, c: object) -> int:
        """``c`` if it is an int in ``[1, n^2)`` prime to ``n``, else FormatError."""
        if isinstance(c, bool) or not isinstance(c, int) or not 0 < c < self.nsquare:
            raise FormatError("a ciphertext is an int in [1, n^2)")
        if gmpy2.gcd(c, self.n) != 1:
            raise FormatError("a ciphertext must be a unit mod n")
        return c


@dataclass(frozen=True)
class PaillierPrivateKey:
    """The factors; decryption by CRT (used by the dealer and in tests only)."""

    public: PaillierPublicKey
    p: int = field(repr=False)
    q: int = field(repr=False)

    def __repr__(self) -> str:
        return f"PaillierPrivateKey(<{self.public.bits}-bit, secret>)"

    def decrypt(self, c: int) -> int:
        """CRT decryption: ``m_p = L_p(c^{p-1} mod p^2) * h_p mod p``, same for q,
        then recombine (Paillier 1999, section 7)."""
        p, q = gmpy2.mpz(self.p), gmpy2.mpz(self.q)
        n = p * q
        pp, qq = p * p, q * q
        g = n + 1
        hp = gmpy2.invert((gmpy2.powmod(g, p - 1, pp) - 1) // p, p)
        hq = gmpy2.invert((gmpy2.powmod(g, q - 1, qq) - 1) // q, q)
        mp = (gmpy2.powmod(c, p - 1, pp) - 1) // p * hp % p
        mq = (gmpy2.powmod(c, q - 1, qq) - 1) // q * hq % q
        u = (mq - mp) * gmpy2.invert(p, q) % q
        return int(mp + u * p)


def generate_keypair(bits: int = DEFAULT_BITS) -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    """A fresh key: two random primes of ``bits/2`` bits each, distinct,
    with ``gcd(n, (p-1)(q-1)) = 1`` (automatic for equal-size primes) and
    ``|p - q|`` large. Safe primes are not needed by this sharing (they are
    by Shoup's t-of-k scheme)."""
    if bits < MIN_BITS or bits % 2:
        raise RangeError(f"modulus bits must be even and >= {MIN_BITS}")
    while True:
        p = _random_prime(bits // 2)
        q = _random_prime(bits // 2)
        if abs(p - q).bit_length() < bits // 2 - 100:
            continue
        n = p * q
        if n.bit_length() == bits and gmpy2.gcd(n, (p - 1) * (q - 1)) == 1:
            pk = PaillierPublicKey(int(n))
            return pk, PaillierPrivateKey(pk, int(p), int(q))


@dataclass(frozen=True)
class KeyShare:
    """Holder ``holder`` (1-based) of ``holders``: its additive share ``d_j``
    of the decryption exponent (may be negative for the last holder)."""

    public: PaillierPublicKey
    holder: int
    holders: int
    d: int = field(repr=False)

    def __repr__(self) -> str:
        return f"KeyShare(holder {self.holder} of {self.holders}, <secret>)"


def deal(sk: PaillierPrivateKey, holders: int) -> list[KeyShare]:
    """The trusted dealer at setup: ``d = lambda * (lambda^-1 mod n)``, split
    into ``holders`` additive shares. The dealer then forgets ``sk``."""
    if not 2 <= holders <= 64:
        raise RangeError("between 2 and 64 key holders")
    p, q = gmpy2.mpz(sk.p), gmpy2.mpz(sk.q)
    n = p * q
    lam = gmpy2.lcm(p - 1, q - 1)
    d = lam * gmpy2.invert(lam, n)  # = 0 mod lambda, = 1 mod n
    bound = (1 << _SHARE_SLACK_BITS) * int(n) ** 2
    parts = [secrets.randbelow(bound) for _ in range(holders - 1)]
    parts.append(int(d) - sum(parts))
    return [KeyShare(sk.public, j + 1, holders, v) for j, v in enumerate(parts)]


def partial_decrypt(pk: PaillierPublicKey, share: KeyShare, c: int) -> int:
    """``c^{d_j} mod n^2`` (a negative share uses the inverse of ``c``)."""
    if share.public != pk:
        raise KeyHolderError("the key share belongs to another key")
    pk.check_ciphertext(c)
    return int(gmpy2.powmod(gmpy2.mpz(c), share.d, pk.nsquare))


def combine(pk: PaillierPublicKey, partials: Sequence[int]) -> int:
    """The plaintext from the partial decryptions of all holders:
    ``m = (prod c_j mod n^2 - 1) / n``. Raises :class:`KeyHolderError` when
    the product is not of the form ``1 + m*n`` (a missing or wrong partial;
    caught with probability ``1 - 1/p``)."""
    t = pk.add_many(partials)
    if (t - 1) % pk.n:
        raise KeyHolderError("the partial decryptions do not combine: a holder is missing or bad")
    return (t - 1) // pk.n


class RandomnessPool:
    """Precomputed ``r^n mod n^2`` values for fast online encryption: the
    meter fills it while idle (:meth:`refill`), and each encryption consumes
    one value (never reused). An empty pool computes one on demand."""

    def __init__(self, pk: PaillierPublicKey, size: int = 0) -> None:
        self.public = pk
        self._pool: list[Any] = []
        self.refill(size)

    def refill(self, size: int) -> None:
        while len(self._pool) < size:
            self._pool.append(self.public.random_rn())

    def __len__(self) -> int:
        return len(self._pool)

    def take(self) -> Any:
        return self._pool.pop() if self._pool else self.public.random_rn()

    def encrypt(self, m: int) -> int:
        return self.public.encrypt(m, self.take())


# --------------------------------------------------------------------------
# packing (r, o) into one plaintext
# --------------------------------------------------------------------------

#: The group order of ristretto255 (openings are mod l).
_L: Final = 2**252 + 27742317777372353535851937790883648493


@dataclass(frozen=True)
class PackingParams:
    """``m = r + 2^B * o`` with ``B = value_bits + ceil(log2(max_households))``:
    ``r`` (Wh, below ``2^value_bits``) in the low bits with room for the sum
    of ``max_households`` readings, the opening ``o`` (mod l, below 2^253) in
    the high bits. The sum of ``N <= max_households`` plaintexts is
    ``R + 2^B * O'`` with ``R < 2^B`` and ``O' < N*l``, so it never wraps
    mod ``n`` when ``2^B * max_households * l < n`` (checked by :meth:`check`).

    >>> pp = PackingParams(max_households=1000)
    >>> pp.shift, pp.unpack(pp.pack(5, 7) + pp.pack(6, 8))
    (74, (11, 15))
    """

    max_households: int
    value_bits: int = 64

    @property
    def shift(self) -> int:
        return self.value_bits + max(1, (self.max_households - 1).bit_length())

    def check(self, pk: PaillierPublicKey) -> None:
        """RangeError unless sums of ``max_households`` packed values fit below n."""
        if (1 << self.shift) * self.max_households * _L >= pk.n:
            raise RangeError(
                f"a {pk.bits}-bit modulus cannot hold sums of {self.max_households} packed values"
            )

    def pack(self, r: int, o: int) -> int:
        if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < 1 << self.value_bits:
            raise RangeError(f"a reading must be in [0, 2^{self.value_bits})")
        if not 0 <= o < _L:
            raise RangeError("an opening must be reduced mod l")
        return r + (o << self.shift)

    def unpack(self, m: int) -> tuple[int, int]:
        """``(R, O mod l)`` from a sum of packed values."""
        return m & ((1 << self.shift) - 1), (m >> self.shift) % _L


# --------------------------------------------------------------------------
# JSON (integers as decimal strings; never pickle)
# --------------------------------------------------------------------------


def to_json(obj: PaillierPublicKey | KeyShare | int) -> str:
    """A public key, a key share or a ciphertext as JSON.

    >>> pk = PaillierPublicKey(2**255 + 95)
    >>> public_key_from_json(to_json(pk)) == pk
    True
    """
    if isinstance(obj, PaillierPublicKey):
        return json.dumps({"type": "paillier-public-key", "n": str(obj.n)})
    if isinstance(obj, KeyShare):
        return json.dumps(
            {
                "type": "paillier-key-share",
                "n": str(obj.public.n),
                "holder": obj.holder,
                "holders": obj.holders,
                "d": str(obj.d),
            }
        )
    if isinstance(obj, int) and not isinstance(obj, bool):
        return json.dumps({"type": "paillier-ciphertext", "c": str(obj)})
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _load(text: str, kind: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{kind}: not JSON ({exc})") from None
    if not isinstance(obj, dict) or obj.get("type") != kind:
        raise FormatError(f"not a {kind}")
    return obj


#: Canonical decimal strings: one encoding per integer.
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_SIGNED_DECIMAL = re.compile(r"0|-?[1-9][0-9]*")


def _int(obj: dict[str, Any], key: str, signed: bool = False) -> int:
    v = obj.get(key)
    pattern = _SIGNED_DECIMAL if signed else _DECIMAL
    if not isinstance(v, str) or not pattern.fullmatch(v):
        raise FormatError(f"{key} must be a decimal string (ASCII digits, no leading zeros)")
    if len(v) > 4000:
        raise FormatError(f"{key} is too long")
    return int(v)


def public_key_from_json(text: str) -> PaillierPublicKey:
    obj = _load(text, "paillier-public-key")
    try:
        return PaillierPublicKey(_int(obj, "n"))
    except RangeError as exc:
        raise FormatError(str(exc)) from None


def key_share_from_json(text: str) -> KeyShare:
    obj = _load(text, "paillier-key-share")
    holder, holders = obj.get("holder"), obj.get("holders")
    if not isinstance(holder, int) or not isinstance(holders, int) or not 1 <= holder <= holders:
        raise FormatError("holder must be in [1, holders]")
    return KeyShare(PaillierPublicKey(_int(obj, "n")), holder, holders, _int(obj, "d", True))


def ciphertext_from_json(text: str, pk: PaillierPublicKey) -> int:
    obj = _load(text, "paillier-ciphertext")
    return pk.check_ciphertext(_int(obj, "c"))


__all__ += ["ciphertext_from_json"]
