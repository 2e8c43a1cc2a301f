"""What every privbill fuzz harness shares.

A harness is a module ``fuzz_<target>.py`` with a function ``TestOneInput(data: bytes)``
that feeds ``data`` to one or more parsers and checks invariants. The contract, the same
under atheris and under the seeded mutation loop of ``tests/test_fuzz.py``:

- a parser may refuse its input only with a :class:`privbill.errors.PrivbillError`
  (the harness catches those and nothing else);
- anything else that escapes (``ValueError`` from ``int()``, ``RecursionError``,
  ``OverflowError``, ``TypeError``, an ``AssertionError`` from a broken invariant) is a
  crash: atheris stops and writes the input; the pytest loop fails with its hex.

Run one harness with atheris (``pip install atheris``)::

    python fuzz/make_corpus.py                       # seeds under fuzz/corpus/<target>
    python fuzz/fuzz_batch.py fuzz/corpus/batch -max_total_time=60

Known bugs. Each bug a harness found is a strict xfail in
``tests/test_fuzz_regressions.py`` and an entry in :data:`KNOWN_BUGS`, which the harness
tolerates (matched by exception type, message and the privbill function that raised it),
so that a fuzzing run keeps looking for *new* bugs instead of stopping at a known one.
When a bug is fixed its xfail passes, pytest reports it (strict), and both the marker and
the entry go. ``PRIVBILL_FUZZ_STRICT=1`` tolerates nothing.

Known denial-of-service inputs (a parser that takes seconds or hours on a short input) cannot
be tolerated after the fact; the harness of the parser skips them up front (the check
names its regression test) unless ``PRIVBILL_FUZZ_STRICT=1``.

Every libFuzzer flag works (``-runs=N``, ``-seed=S``, ``-max_len=N``,
``-artifact_prefix=DIR/``). A crash input is written as ``crash-<sha1>``; replay it with
``python fuzz/fuzz_batch.py crash-<sha1>`` and turn it into a test in
``tests/test_fuzz_regressions.py``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (ROOT / "src", HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

try:  # atheris is optional: tests/test_fuzz.py falls back to a mutation loop
    import atheris
except ImportError:  # pragma: no cover - depends on the environment
    atheris = None


@contextlib.contextmanager
def instrumented(main: bool) -> Iterator[None]:
    """Instrument privbill (and its CBOR dependency) for coverage when run by atheris."""
    if main and atheris is not None:
        with atheris.instrument_imports(include=["privbill", "cbor2"]):
            yield
    else:
        yield


def run(test_one_input: Callable[[bytes], None]) -> None:
    """The atheris entry point: ``python fuzz/fuzz_<target>.py [corpus] [-flags]``."""
    if atheris is None:
        raise SystemExit("atheris is not installed: pip install atheris")
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


@dataclass(frozen=True)
class KnownBug:
    """A crash already reported: tolerated by the harness, pinned by a regression test."""

    target: str
    error: str  # exception class name
    message: str  # regular expression searched in str(exception)
    where: str  # "module:function" of the innermost privbill frame
    test: str  # the strict xfail in tests/test_fuzz_regressions.py

    def matches(self, target: str, exc: BaseException) -> bool:
        return (
            target == self.target
            and type(exc).__name__ == self.error
            and re.search(self.message, str(exc)) is not None
            and _raised_in(exc) == self.where
        )


def _raised_in(exc: BaseException) -> str:
    """``module:function`` of the innermost traceback frame inside src/privbill."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        parts = Path(frame.filename).parts
        if "privbill" in parts and "src" in parts:
            where = f"{Path(frame.filename).stem}:{frame.name}"
    return where


#: Every bug found by fuzzing that is not fixed yet (see tests/test_fuzz_regressions.py).
KNOWN_BUGS: list[KnownBug] = []

#: ``PRIVBILL_FUZZ_STRICT=1``: tolerate no known bug, skip no known-slow input.
STRICT = os.environ.get("PRIVBILL_FUZZ_STRICT") == "1"


def harness(target: str) -> Callable[[Callable[[bytes], None]], Callable[[bytes], None]]:
    """Decorate ``TestOneInput``: tolerate the known bugs of ``target`` (see above)."""

    def wrap(fn: Callable[[bytes], None]) -> Callable[[bytes], None]:
        @functools.wraps(fn)
        def test_one_input(data: bytes) -> None:
            try:
                fn(data)
            except Exception as exc:
                if STRICT or not any(b.matches(target, exc) for b in KNOWN_BUGS):
                    raise

        test_one_input.target = target  # type: ignore[attr-defined]
        return test_one_input

    return wrap
