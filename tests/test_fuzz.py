"""The fuzz harnesses of fuzz/, run for a bounded number of inputs on every test run.

Each harness (``fuzz/fuzz_<target>.py``, see ``fuzz/_harness.py`` for the contract) feeds
its input to privbill's parsers and lets only :class:`~privbill.errors.PrivbillError`
through; anything else, or a broken invariant, is a crash. Here they run:

- in the default run, in process, driven by a seeded mutation loop over the seed corpus
  of ``fuzz/make_corpus.py`` (``PRIVBILL_FUZZ_RUNS`` inputs per target, 3000 by default;
  the seed is printed and ``PRIVBILL_SEED`` replays it), plus one short atheris run to
  show the harnesses work under it;
- in the slow run, under atheris (libFuzzer's coverage-guided mutation) when it is
  installed, ``PRIVBILL_FUZZ_SLOW_RUNS`` inputs per target (20000 by default) or
  ``PRIVBILL_FUZZ_SLOW_SECONDS`` (20) whichever comes first, else the mutation loop
  with as many inputs.

A crash prints the target, the seed and the input in hex; it belongs in
``tests/test_fuzz_regressions.py`` (as a strict xfail until fixed, with an entry in
``fuzz/_harness.KNOWN_BUGS`` so that fuzzing goes on looking for new bugs).
"""

from __future__ import annotations

import ast
import importlib
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from conftest import SESSION_SEED

REPO = Path(__file__).resolve().parent.parent
FUZZ_DIR = REPO / "fuzz"
if str(FUZZ_DIR) not in sys.path:
    sys.path.insert(0, str(FUZZ_DIR))

import _harness  # noqa: E402
import make_corpus  # noqa: E402

TARGETS = sorted({**make_corpus.TARGETS, **make_corpus.extra_targets()})
RUNS = int(os.environ.get("PRIVBILL_FUZZ_RUNS", "3000"))
SLOW_RUNS = int(os.environ.get("PRIVBILL_FUZZ_SLOW_RUNS", "20000"))
#: Upper bound on one slow atheris run, seconds (CI runs the slow tests too).
SLOW_SECONDS = int(os.environ.get("PRIVBILL_FUZZ_SLOW_SECONDS", "20"))

#: Byte strings worth splicing in: CBOR heads of every kind and width, JSON and CSV
#: punctuation, P1 markers, numbers at the edges of their ranges.
INTERESTING = [
    b"\x00", b"\x17", b"\x18\x18", b"\x19\x01\x00", b"\x1a\x00\x01\x00\x00",
    b"\x1b" + b"\xff" * 8, b"\x1c", b"\x1f", b"\x20", b"\x38\x07", b"\x40", b"\x41\x00",
    b"\x58\x20", b"\x5b" + b"\xff" * 8, b"\x5f", b"\x60", b"\x80", b"\x81", b"\x8a", b"\x9f",
    b"\xa0", b"\xa1", b"\xbf", b"\xc0", b"\xc2\x41\x01", b"\xd2", b"\xd8\x12", b"\xf4",
    b"\xf6", b"\xf7", b"\xf9\x3c\x00", b"\xfb" + bytes(8), b"\xff", bytes(32), b"\xff" * 32,
    b'"', b"{", b"}", b"[", b"]", b",", b":", b"null", b"true", b"-1", b"1e400", b"0.5",
    b"\n", b"\r\n", b"!", b"/", b"(", b")", b"*kWh", b"*Wh", b"S)", b"W)", b"\xef\xbb\xbf",
    b"18446744073709551616", b"9223372036854775808", b"-0", b"NaN", b"Infinity",
]  # fmt: skip


def harness(target: str) -> ModuleType:
    return importlib.import_module(f"fuzz_{target}")


def seeds(target: str) -> list[bytes]:
    return {**make_corpus.TARGETS, **make_corpus.extra_targets()}[target]()


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """One to four random edits: flip, set, insert, delete, duplicate, splice, truncate."""
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 4))):
        op = rng.randrange(8)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[pos % len(b)] ^= 1 << rng.randrange(8)
        elif op == 1 and b:
            b[pos % len(b)] = rng.choice((0, 1, 0x17, 0x18, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        elif op == 2:
            b[pos:pos] = rng.choice(INTERESTING)
        elif op == 3 and b:
            del b[pos : pos + rng.choice((1, 1, 2, 4, 8, 32))]
        elif op == 4 and b:
            start = rng.randrange(len(b))
            chunk = b[start : start + rng.choice((1, 2, 8, 32, 64))]
            b[pos:pos] = chunk * rng.choice((1, 2, 8))
        elif op == 5:
            other = rng.choice(pool)
            cut = rng.randrange(len(other) + 1)
            b[pos:] = other[cut:]
        elif op == 6:
            del b[pos:]
        else:
            b[pos:pos] = rng.randbytes(rng.choice((1, 2, 4, 8)))
    return bytes(b)


def run_loop(target: str, runs: int, seed: int) -> int:
    """``runs`` mutated inputs through the harness; returns how many ran."""
    fn: Callable[[bytes], None] = harness(target).TestOneInput
    rng = random.Random(f"{seed}/{target}")
    pool = seeds(target)
    corpus = list(pool)
    for n in range(runs):
        data = mutate(rng, rng.choice(corpus), pool)
        try:
            fn(data)
        except Exception as exc:
            raise AssertionError(
                f"fuzz_{target} crashed on input {n} (PRIVBILL_SEED={seed}):"
                f" {type(exc).__name__}: {exc}\ninput hex: {data.hex()}"
            ) from exc
        if n % 7 == 0:
            corpus.append(data)  # keep some mutants: mutations compound, as in libFuzzer
            if len(corpus) > 400:
                del corpus[len(pool) : len(pool) + 100]
    return runs


def run_atheris(target: str, runs: int, seed: int, work: Path, seconds: int = 0) -> str:
    """Run the harness under atheris in a subprocess; returns its final statistics."""
    corpus = work / "corpus"
    make_corpus.write(work / "seeds", {target: lambda: seeds(target)})
    shutil.copytree(work / "seeds" / target, corpus)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(FUZZ_DIR)])}
    proc = subprocess.run(
        [sys.executable, str(FUZZ_DIR / f"fuzz_{target}.py"), str(corpus), f"-runs={runs}",
         f"-seed={seed % 2**31 or 1}", "-timeout=30", "-rss_limit_mb=4096",
         f"-max_total_time={seconds}",
         f"-artifact_prefix={work}/", "-print_final_stats=1"],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )  # fmt: skip
    crashes = sorted(p.name for p in work.iterdir() if p.name.split("-")[0] in
                     ("crash", "timeout", "oom", "leak"))  # fmt: skip
    assert proc.returncode == 0 and not crashes, (
        f"fuzz_{target} under atheris (seed {seed}) found {crashes}:\n{proc.stderr[-4000:]}"
    )
    return "\n".join(line for line in proc.stderr.splitlines() if line.startswith("stat::"))


# --- the corpus and the harnesses ---------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_seeds_pass_their_harness(target: str) -> None:
    """Every seed is accepted by its harness (no crash on well-formed input)."""
    fn = harness(target).TestOneInput
    for data in seeds(target):
        fn(data)


def test_statement_seeds_reach_the_opening_check() -> None:
    """The statement seeds verify against the harness's store: mutants start deep."""
    w = make_corpus.world()
    for data in make_corpus.corpus_statement():
        assert w.retailer.verify(data).intervals > 0


def test_make_corpus_is_deterministic(tmp_path: Path) -> None:
    """The script writes the same bytes in another process (fixed keys, ids, readings)."""
    n = make_corpus.write(tmp_path / "a")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run(
        [sys.executable, str(FUZZ_DIR / "make_corpus.py"), str(tmp_path / "b")],
        check=True, capture_output=True, env=env, timeout=300,
    )  # fmt: skip
    seeds = sorted((tmp_path / "a").rglob("seed-*"))
    assert len(seeds) == n >= 6 * 4
    for p in seeds:
        assert p.read_bytes() == (tmp_path / "b" / p.relative_to(tmp_path / "a")).read_bytes()


def test_every_known_bug_has_its_strict_xfail() -> None:
    """Each tolerated bug names a regression test that exists and is a strict xfail."""
    source = (REPO / "tests" / "test_fuzz_regressions.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    xfails = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(
            "xfail" in ast.unparse(d) and "strict=True" in ast.unparse(d)
            for d in node.decorator_list
        )
    }
    for bug in _harness.KNOWN_BUGS:
        assert bug.test in xfails, f"{bug} names no strict xfail in test_fuzz_regressions.py"


# --- bounded fuzzing -------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_mutation_loop(target: str) -> None:
    print(f"fuzz_{target}: {run_loop(target, RUNS, SESSION_SEED)} inputs, seed {SESSION_SEED}")


def test_fuzz_under_atheris_smoke(tmp_path: Path) -> None:
    """One short coverage-guided run, so a harness that cannot start under atheris
    (an import-time error, a bad instrumentation list) is caught by the default run."""
    if _harness.atheris is None:
        pytest.skip("atheris is not installed (pip install atheris): the loop above ran")
    print(run_atheris("tariff", 300, SESSION_SEED, tmp_path))


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_long(target: str, tmp_path: Path) -> None:
    if _harness.atheris is None:
        print(f"fuzz_{target}: {run_loop(target, SLOW_RUNS, SESSION_SEED)} inputs (no atheris)")
        return
    stats = run_atheris(target, SLOW_RUNS, SESSION_SEED, tmp_path, SLOW_SECONDS)
    print(f"fuzz_{target} under atheris:\n{stats}")
