"""Shared fixtures: real data, a reproducible random source, the C core, libsodium.

- ``data_dir``: ``../shared/data`` beside the repository (public vectors and data that the
  project does not ship). Absent: the test is skipped, or fails under ``PRIVBILL_STRICT=1``.
- ``rng``: a :class:`random.Random` seeded per test from one session seed. The seed is
  printed in the report header; ``PRIVBILL_SEED=<n> pytest ...`` replays a run.
- ``native``: the cffi ``ffi`` and ``lib`` of ``privbill._native`` with buffer helpers.
- ``libsodium``: a ctypes wrapper over the system libsodium's ristretto255, the
  independent implementation the C core is cross-checked against. Absent: skipped, or a
  failure under ``PRIVBILL_STRICT=1`` (CI).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import random
import secrets
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import settings

TESTS_DIR = Path(os.path.abspath(__file__)).parent
# The reference package lives beside this file; make it importable whatever pytest's
# import mode is.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

REPO_ROOT = TESTS_DIR.parent
DATA_DIR = REPO_ROOT.parent / "shared" / "data"
STRICT = os.environ.get("PRIVBILL_STRICT") == "1"

_env_seed = os.environ.get("PRIVBILL_SEED")
SESSION_SEED = int(_env_seed) if _env_seed else secrets.randbits(32)

# C calls are fast but a loaded CI machine is not: no per-example deadline. Everything else
# stays at hypothesis' defaults (other test modules share this profile).
settings.register_profile("privbill", deadline=None)
settings.load_profile("privbill")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: long-running test (more than ~10 s); CI runs these too"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"privbill random seed: PRIVBILL_SEED={SESSION_SEED}"


def missing(reason: str) -> NoReturn:
    """Skip the current test, or fail it in strict mode (CI), where nothing may be skipped."""
    if STRICT:
        pytest.fail(f"{reason} (PRIVBILL_STRICT=1: a missing dependency is a failure)")
    pytest.skip(reason)


def load_json_or_none(path: Path) -> Any:
    """The parsed JSON file, or None if it is absent (for collection-time parametrisation)."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as f:
        return json.load(f)


# --- data -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """../shared/data relative to the repository root."""
    if not DATA_DIR.is_dir():
        missing(f"shared data directory not found at {DATA_DIR} (expected beside the repo)")
    return DATA_DIR


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """tests/vectors: vectors kept in this repository, each with its provenance."""
    return TESTS_DIR / "vectors"


# --- randomness -------------------------------------------------------------------------------


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """A per-test random source derived from the session seed and the test id."""
    print(f"PRIVBILL_SEED={SESSION_SEED} (test {request.node.nodeid})")
    return random.Random(f"{SESSION_SEED}/{request.node.nodeid}")


# --- the C core through cffi --------------------------------------------------------------------


class Native:
    """``ffi`` and ``lib`` of ``privbill._native``, with helpers to pass bytes in and out."""

    def __init__(self, ffi: Any, lib: Any) -> None:
        self.ffi = ffi
        self.lib = lib

    def inp(self, data: bytes) -> Any:
        """A read-only ``uint8_t *`` view of data (valid while data lives)."""
        return self.ffi.from_buffer("uint8_t[]", data)

    def out(self, n: int) -> Any:
        """A fresh zeroed ``uint8_t[n]`` output buffer."""
        return self.ffi.new("uint8_t[]", n)

    def read(self, buf: Any, n: int | None = None) -> bytes:
        """The bytes of an output buffer."""
        return bytes(self.ffi.buffer(buf, len(buf) if n is None else n))


@pytest.fixture(scope="session")
def native() -> Native:
    """The compiled C core (``pip install -e .`` builds it)."""
    try:
        from privbill._ffi import ffi, lib
    except ImportError as exc:
        missing(f"privbill._native is not built ({exc}); run pip install -e .")
    return Native(ffi, lib)


# --- libsodium through ctypes ---------------------------------------------------------------------


class Libsodium:
    """The system libsodium's ristretto255, through ctypes.

    Mind libsodium's conventions: scalar multiplications refuse an identity result
    (return -1; here: None), and the top bit of a scalar is ignored (pass reduced scalars).
    """

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        if lib.sodium_init() < 0:
            raise RuntimeError("sodium_init failed")
        p = ctypes.c_char_p
        for name, args in {
            "crypto_core_ristretto255_add": [p, p, p],
            "crypto_core_ristretto255_sub": [p, p, p],
            "crypto_core_ristretto255_from_hash": [p, p],
            "crypto_core_ristretto255_is_valid_point": [p],
            "crypto_scalarmult_ristretto255": [p, p, p],
            "crypto_scalarmult_ristretto255_base": [p, p],
        }.items():
            fn = getattr(lib, name)
            fn.argtypes = args
            fn.restype = ctypes.c_int
        reduce_fn = lib.crypto_core_ristretto255_scalar_reduce
        reduce_fn.argtypes = [p, p]
        reduce_fn.restype = None
        self._lib = lib
        self.path = path

    @staticmethod
    def _check(data: bytes, n: int) -> bytes:
        if not isinstance(data, bytes) or len(data) != n:
            raise ValueError(f"expected {n} bytes")
        return data

    def add(self, p: bytes, q: bytes) -> bytes:
        out = ctypes.create_string_buffer(32)
        rc = self._lib.crypto_core_ristretto255_add(out, self._check(p, 32), self._check(q, 32))
        if rc != 0:
            raise ValueError("libsodium: invalid point")
        return out.raw

    def sub(self, p: bytes, q: bytes) -> bytes:
        out = ctypes.create_string_buffer(32)
        rc = self._lib.crypto_core_ristretto255_sub(out, self._check(p, 32), self._check(q, 32))
        if rc != 0:
            raise ValueError("libsodium: invalid point")
        return out.raw

    def from_hash(self, h: bytes) -> bytes:
        """RFC 9496 one-way map of 64 bytes."""
        out = ctypes.create_string_buffer(32)
        rc = self._lib.crypto_core_ristretto255_from_hash(out, self._check(h, 64))
        if rc != 0:
            raise ValueError("libsodium: from_hash failed")
        return out.raw

    def is_valid_point(self, p: bytes) -> bool:
        return bool(self._lib.crypto_core_ristretto255_is_valid_point(self._check(p, 32)))

    def scalarmult(self, n: bytes, p: bytes) -> bytes | None:
        """n*p, or None where libsodium refuses (identity result or invalid p)."""
        out = ctypes.create_string_buffer(32)
        rc = self._lib.crypto_scalarmult_ristretto255(out, self._check(n, 32), self._check(p, 32))
        return out.raw if rc == 0 else None

    def scalarmult_base(self, n: bytes) -> bytes | None:
        """n*G, or None where libsodium refuses (identity result)."""
        out = ctypes.create_string_buffer(32)
        rc = self._lib.crypto_scalarmult_ristretto255_base(out, self._check(n, 32))
        return out.raw if rc == 0 else None

    def scalar_reduce(self, s: bytes) -> bytes:
        """A 64-byte little-endian integer mod l."""
        out = ctypes.create_string_buffer(32)
        self._lib.crypto_core_ristretto255_scalar_reduce(out, self._check(s, 64))
        return out.raw


@pytest.fixture(scope="session")
def libsodium() -> Libsodium:
    """The system libsodium (Debian: libsodium23)."""
    path = ctypes.util.find_library("sodium")
    if path is None:
        missing("system libsodium not found (Debian package libsodium23)")
    try:
        return Libsodium(path)
    except (OSError, AttributeError, RuntimeError) as exc:
        missing(f"system libsodium unusable at {path}: {exc}")
