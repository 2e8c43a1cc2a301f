"""Paillier encryption (gmpy2), and the packing and additive sharing of the settlement backend.

The second settlement backend (docs/settlement.md, "Paillier backend").
Paillier (1999) with ``g = n + 1``: for a message ``m`` in ``[0, n)`` and a
random unit ``r``,

    E(m) = (1 + m*n) * r^n  mod n^2

and ``E(a) * E(b) = E(a + b mod n)``. The holder of the factors decrypts by
CRT (Paillier 1999, section 7; :meth:`PaillierPrivateKey.decrypt`).

**Decryption needs all k key holders.** A meter packs ``(reading, opening)``
into one integer ``m`` (:class:`PackingParams`) and splits it into additive
shares modulo ``2^K``,

    x_2, ..., x_k uniform in [0, 2^K),   y = m - (x_2 + ... + x_k)  mod 2^K.

In :mod:`privbill.settlement` the ``x_j`` are derived from seeds the meter
shares with holders ``2..k`` (fresh for every interval), and ``y`` is
encrypted under holder 1's Paillier key. Each holder releases its sum over
the counted meters mod ``2^K``; the ``k`` releases add up to ``sum_i m_i``
mod ``2^K``, which is that sum exactly (``K`` is chosen so that it is below
``2^K``).

Why ``k - 1`` holders learn nothing about a household: the vector
``(y, x_2, ..., x_k)`` is uniform on the vectors adding up to ``m`` mod
``2^K``, so any ``k - 1`` of its coordinates are uniform and independent of
``m`` (:func:`_shares`; the seeds make "uniform" computational, a PRF); the
missing one is under holder 1's key or behind the missing seed holder's seed.
What the released values add is each holder's sum mod ``2^K``: given the
aggregate, the ``k`` values are uniform subject to adding up to it, so they
reveal the aggregate and nothing else.

Holder 1's fast path (:meth:`PaillierPrivateKey.decrypt_sum`) computes the
product of the ciphertexts modulo ``p^2`` only and takes the ``p`` half of
CRT: the sum is far below ``p``, so ``m mod p`` is ``m``. It releases a
result only when it is below a bound under ``n^(1/4)``: an out-of-range
plaintext would otherwise make the result depend on ``p``.

Meters precompute ``r^n mod n^2`` (:class:`RandomnessPool`), so encrypting
online is one multiplication mod ``n^2``.

Ciphertexts are ``gmpy2.mpz`` integers (they compare, hash and print like
``int``; plain ints are accepted wherever a ciphertext is).

>>> pk, sk = generate_keypair(bits=2048)                      # 3072 by default
>>> pp = PackingParams(max_households=4)
>>> def report(r, o):                      # the rest of m after two uniform shares
...     draws = [secrets.randbits(pp.share_bits) for _ in range(2)]
...     return pk.encrypt(pp.remainder(pp.pack(r, o), draws)), draws
>>> (c1, d1), (c2, d2) = report(100, 7), report(250, 9)
>>> y = sk.decrypt_sum([c1, c2], 2 << pp.share_bits)         # holder 1
>>> x2, x3 = d1[0] + d2[0], d1[1] + d2[1]                     # holders 2 and 3
>>> pp.unpack(pp.join([y, x2, x3]))
(350, 16)

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
    "SHARE_SLACK_BITS",
    "KeyHolderError",
    "PackingParams",
    "PaillierPrivateKey",
    "PaillierPublicKey",
    "RandomnessPool",
    "ciphertext_from_json",
    "generate_keypair",
    "is_ciphertext_int",
    "private_key_from_json",
    "public_key_from_json",
    "to_json",
]

#: Modulus size by default (NIST SP 800-57: 3072-bit factoring ~ 128-bit security).
DEFAULT_BITS: Final = 3072
#: Smallest modulus accepted (tests only; never deploy below DEFAULT_BITS).
MIN_BITS: Final = 256
#: Largest modulus accepted (bounds the work any decoded key can ask for).
MAX_BITS: Final = 8192
#: Statistical slack of the share modulus 2^K (see PackingParams.share_bits).
SHARE_SLACK_BITS: Final = 128
#: Longest decimal integer read (a ciphertext of an 8192-bit key has 4933 digits).
_MAX_DIGITS: Final = 5000

_MPZ: Final = type(gmpy2.mpz(0))


class KeyHolderError(AggregationError):
    """A key holder is missing, or cannot release its decryption."""


def is_ciphertext_int(v: object) -> bool:
    """``True`` for an ``int`` (not ``bool``) or a ``gmpy2.mpz``."""
    return type(v) is _MPZ or (isinstance(v, int) and not isinstance(v, bool))


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
        n = self.n
        if not isinstance(n, int) or not MIN_BITS <= n.bit_length() <= MAX_BITS or n % 2 == 0:
            raise RangeError(f"a Paillier modulus is odd, of {MIN_BITS} to {MAX_BITS} bits")

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

    def encrypt(self, m: int, rn: Any = None) -> Any:
        """``(1 + m*n) * r^n mod n^2``; ``rn`` from a :class:`RandomnessPool`
        makes this one multiplication. ``m`` must be in ``[0, n)``."""
        if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m < self.n:
            raise RangeError("a Paillier plaintext is an int in [0, n)")
        if rn is None:
            rn = self.random_rn()
        return (gmpy2.mpz(m) * self.n + 1) * rn % self.nsquare

    def add_many(self, cts: Iterable[Any]) -> Any:
        """Product of many ciphertexts mod n^2: the ciphertext of the sum of
        the plaintexts (mod n)."""
        n2 = self.nsquare
        acc = gmpy2.mpz(1)
        for c in cts:
            acc = acc * c % n2
        return acc

    def check_ciphertext(self, c: object) -> Any:
        """``c`` (as mpz) if it is an integer in ``[1, n^2)`` prime to ``n``, else FormatError."""
        v = gmpy2.mpz(c) if is_ciphertext_int(c) else None
        if v is None or not 0 < v < self.nsquare:
            raise FormatError("a ciphertext is an int in [1, n^2)")
        if gmpy2.gcd(v, self.n) != 1:
            raise FormatError("a ciphertext must be a unit mod n")
        return v


@dataclass(frozen=True)
class PaillierPrivateKey:
    """The factors ``p < q`` of ``n`` (of equal length), with the CRT constants
    precomputed (``h_p``, ``h_q`` as in Paillier's paper, ``p^-1 mod q``)."""

    public: PaillierPublicKey
    p: int = field(repr=False)
    q: int = field(repr=False)
    # Precomputed in __post_init__ (gmpy2.mpz): p, q, p^2, q^2, h_p, h_q, p^-1 mod q.
    _p: Any = field(init=False, repr=False, compare=False)
    _q: Any = field(init=False, repr=False, compare=False)
    _pp: Any = field(init=False, repr=False, compare=False)
    _qq: Any = field(init=False, repr=False, compare=False)
    _hp: Any = field(init=False, repr=False, compare=False)
    _hq: Any = field(init=False, repr=False, compare=False)
    _pinv: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        p, q = self.p, self.q
        if not (isinstance(p, int) and isinstance(q, int) and 1 < p < q and p * q == self.public.n):
            raise RangeError("a Paillier private key is p < q with p*q = n")
        if p.bit_length() != q.bit_length():  # so p > 2^(bits/2 - 1): decrypt_sum relies on it
            raise RangeError("the factors of a Paillier key have the same length")
        mp, mq = gmpy2.mpz(p), gmpy2.mpz(q)
        if gmpy2.gcd(mp * mq, (mp - 1) * (mq - 1)) != 1:  # also gcd(p, q) = 1
            raise RangeError("a Paillier private key needs gcd(n, (p-1)(q-1)) = 1")
        # (1+n)^(p-1) = 1 + (p-1)*n mod p^2, so L_p of it is (p-1)*q = -q mod p,
        # and h_p, its inverse, is -q^-1 mod p (the same for q).
        consts = {
            "_p": mp,
            "_q": mq,
            "_pp": mp * mp,
            "_qq": mq * mq,
            "_hp": (-gmpy2.invert(mq, mp)) % mp,
            "_hq": (-gmpy2.invert(mp, mq)) % mq,
            "_pinv": gmpy2.invert(mp, mq),
        }
        for k, v in consts.items():
            object.__setattr__(self, k, v)

    def __repr__(self) -> str:
        return f"PaillierPrivateKey(<{self.public.bits}-bit, secret>)"

    def decrypt(self, c: Any) -> int:
        """CRT decryption: ``m_p = L_p(c^{p-1} mod p^2) * h_p mod p``, the same
        for q, recombined (Paillier 1999, section 7)."""
        p, q, pp, qq = self._p, self._q, self._pp, self._qq
        mp = (gmpy2.powmod(c, p - 1, pp) - 1) // p * self._hp % p
        mq = (gmpy2.powmod(c, q - 1, qq) - 1) // q * self._hq % q
        u = (mq - mp) * self._pinv % q
        return int(mp + u * p)

    def decrypt_sum(self, ciphertexts: Iterable[Any], bound: int) -> int:
        """The sum of the plaintexts of ``ciphertexts``, known to be below ``bound``.

        Only the ``p`` half of CRT: the product modulo ``p^2`` (each
        ciphertext reduced first: cheaper than a product mod ``n^2``), one
        exponentiation ``^(p-1)`` mod ``p^2``, which gives the sum mod ``p``:
        the sum itself, as it is below ``bound < p``. A result ``>= bound``
        raises :class:`RangeError` and is never returned: had the product's
        plaintext ``T`` (the sum mod ``n``) been ``>= p``, its value mod ``p``
        would depend on ``p``. A returned value is ``T`` itself (so safe to
        release) because ``bound <= 2^(bits/4)``: a ``T >= p`` with ``T mod p <
        bound`` would give a small root of ``T - x = 0 mod p``, which
        Coppersmith's method finds (it factors ``n``), so nobody who cannot
        factor ``n`` can make one. (Single plaintexts out of range whose sum
        mod ``n`` is in range pass: the result is then that sum, which says
        nothing about ``p``; whether it is the right sum is for the caller to
        check.)
        """
        if bound.bit_length() > self.public.bits // 4:
            raise RangeError(f"the bound must be at most 2^{self.public.bits // 4}")
        p, pp = self._p, self._pp
        acc = gmpy2.mpz(1)
        for c in ciphertexts:
            acc = acc * (c % pp) % pp
        if acc % p == 0:
            raise RangeError("a ciphertext is not a unit mod p")
        m = (gmpy2.powmod(acc, p - 1, pp) - 1) // p * self._hp % p
        if m >= bound:
            raise RangeError("the sum is out of range: a plaintext is not a share")
        return int(m)


def generate_keypair(bits: int = DEFAULT_BITS) -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    """A fresh key: two random primes of ``bits/2`` bits each, distinct,
    with ``gcd(n, (p-1)(q-1)) = 1`` (automatic for equal-size primes) and
    ``|p - q|`` large (Fermat's method is hopeless)."""
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
            return pk, PaillierPrivateKey(pk, int(min(p, q)), int(max(p, q)))


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

    def encrypt(self, m: int) -> Any:
        return self.public.encrypt(m, self.take())


# --------------------------------------------------------------------------
# packing (r, o) into one plaintext, and its additive shares
# --------------------------------------------------------------------------

#: The group order of ristretto255 (openings are mod l).
_L: Final = 2**252 + 27742317777372353535851937790883648493


@dataclass(frozen=True)
class PackingParams:
    """``m = r + 2^B * o`` and its shares mod ``2^K``.

    With ``h = ceil(log2(max_households))`` (so ``N <= 2^h`` households):

    - ``B = shift = value_bits + h``: the reading ``r < 2^value_bits`` in the
      low bits with room for the sum of ``N`` readings (no carry into ``o``);
    - ``width = B + 253``: one packed value is below ``2^width`` (``o < l < 2^253``),
      so a sum ``M`` of ``N`` of them is below ``2^(width + h)``;
    - ``K = share_bits = width + h + 128``: ``M < 2^K``, so the holders'
      released sums add up to ``M`` exactly mod ``2^K``. The 128 extra bits
      make whether a meter's shares wrap mod ``2^K`` independent of its
      value (statistical distance below ``2^-128``), so not even the integer
      sums the holders see depend on more than ``M``;
    - ``sum_bound = N * 2^K``: a holder's sum of at most ``N`` shares is
      below it, which must be below ``2^(bits/4)`` of holder 1's key
      (:meth:`check`; 3072-bit keys hold any roster, 2048-bit ones up to 2^20).

    >>> pp = PackingParams(max_households=1000)
    >>> pp.shift, pp.width, pp.share_bits, pp.unpack(pp.pack(5, 7) + pp.pack(6, 8))
    (74, 327, 465, (11, 15))
    >>> draws = [3, 1 << 400]
    >>> pp.unpack(pp.join([pp.remainder(pp.pack(5, 7), draws), *draws]))
    (5, 7)
    """

    max_households: int
    value_bits: int = 64

    @property
    def headroom(self) -> int:
        return max(1, (self.max_households - 1).bit_length())

    @property
    def shift(self) -> int:
        return self.value_bits + self.headroom

    @property
    def width(self) -> int:
        return self.shift + _L.bit_length()

    @property
    def share_bits(self) -> int:
        return self.width + self.headroom + SHARE_SLACK_BITS

    @property
    def sum_bound(self) -> int:
        return self.max_households << self.share_bits

    def check(self, pk: PaillierPublicKey) -> None:
        """RangeError unless this key's holder can decrypt sums of ``max_households`` shares."""
        self.check_bits(pk.bits)

    def check_bits(self, bits: int) -> None:
        """:meth:`check` for a key of ``bits`` bits, before generating it."""
        if self.sum_bound.bit_length() > bits // 4:
            raise RangeError(
                f"a {bits}-bit modulus cannot hold sums of {self.max_households} shares"
                f" of {self.share_bits} bits (needs >= {4 * self.sum_bound.bit_length()} bits)"
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

    def remainder(self, m: int, draws: Sequence[int]) -> int:
        """The share of a packed ``m`` that completes ``draws`` (the other
        holders' shares): ``(m - sum(draws)) mod 2^K``."""
        if not 0 <= m < 1 << self.width:
            raise RangeError("only a packed value is shared")
        return _shares(m, draws, self.share_bits)[-1]

    def join(self, sums: Sequence[int]) -> int:
        """The packed sum from the holders' released sums: their total mod ``2^K``."""
        return sum(sums) % (1 << self.share_bits)


def _shares(m: int, draws: Sequence[int], bits: int) -> list[int]:
    """The shares of ``m`` mod ``2^bits`` given ``k - 1`` uniform draws: the
    draws, then ``m`` minus their sum. Any ``k - 1`` shares are uniform
    whatever ``m`` is: the map from draws to any ``k - 1`` shares is a
    bijection (tests/test_paillier.py checks it exhaustively for small ``bits``)."""
    return [*draws, (m - sum(draws)) % (1 << bits)]


# --------------------------------------------------------------------------
# JSON (integers as decimal strings; never pickle)
# --------------------------------------------------------------------------


def to_json(obj: PaillierPublicKey | PaillierPrivateKey | Any) -> str:
    """A public key, a private key or a ciphertext as JSON.

    >>> pk = PaillierPublicKey(2**255 + 95)
    >>> public_key_from_json(to_json(pk)) == pk
    True
    >>> to_json(gmpy2.mpz(12345))
    '{"type": "paillier-ciphertext", "c": "12345"}'
    """
    if isinstance(obj, PaillierPublicKey):
        return json.dumps({"type": "paillier-public-key", "n": str(obj.n)})
    if isinstance(obj, PaillierPrivateKey):
        return json.dumps(
            {
                "type": "paillier-private-key",
                "n": str(obj.public.n),
                "p": str(obj.p),
                "q": str(obj.q),
            }
        )
    if is_ciphertext_int(obj):
        return json.dumps({"type": "paillier-ciphertext", "c": str(obj)})
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("a name appears twice in one object")
    return obj


def _load(text: str, kind: str) -> dict[str, Any]:
    """One JSON object of type ``kind``: text only, no name twice, bounded nesting."""
    if not isinstance(text, str):
        raise FormatError(f"{kind}: JSON text expected, not {type(text).__name__}")
    try:
        obj = json.loads(text, object_pairs_hook=_unique)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"{kind}: not JSON ({str(exc)[:80]})") from None
    if not isinstance(obj, dict) or obj.get("type") != kind:
        raise FormatError(f"not a {kind}")
    return obj


#: Canonical decimal strings: one encoding per integer.
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def _int(obj: dict[str, Any], key: str) -> Any:
    v = obj.get(key)
    if not isinstance(v, str) or not _DECIMAL.fullmatch(v):
        raise FormatError(f"{key} must be a decimal string (ASCII digits, no leading zeros)")
    if len(v) > _MAX_DIGITS:
        raise FormatError(f"{key} is too long")
    return gmpy2.mpz(v)  # no int() digit limit, and several times faster


def _fields(obj: dict[str, Any], names: set[str]) -> None:
    if set(obj) != names | {"type"}:
        raise FormatError(f"expected exactly the fields {sorted(names)}")


def public_key_from_json(text: str) -> PaillierPublicKey:
    obj = _load(text, "paillier-public-key")
    _fields(obj, {"n"})
    try:
        return PaillierPublicKey(int(_int(obj, "n")))
    except RangeError as exc:
        raise FormatError(str(exc)) from None


def private_key_from_json(text: str) -> PaillierPrivateKey:
    """Strict: ``p < q`` primes of equal length with ``p * q = n``."""
    obj = _load(text, "paillier-private-key")
    _fields(obj, {"n", "p", "q"})
    n, p, q = (_int(obj, k) for k in ("n", "p", "q"))
    try:
        key = PaillierPrivateKey(PaillierPublicKey(int(n)), int(p), int(q))
    except RangeError as exc:
        raise FormatError(str(exc)) from None
    if not (gmpy2.is_prime(p) and gmpy2.is_prime(q)):
        raise FormatError("p and q must be prime")
    return key


def ciphertext_from_json(text: str, pk: PaillierPublicKey) -> Any:
    obj = _load(text, "paillier-ciphertext")
    _fields(obj, {"c"})
    return pk.check_ciphertext(_int(obj, "c"))
