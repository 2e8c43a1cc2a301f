"""cffi builder for ``privbill._native`` (API mode).

setup.py points at ``ffibuilder`` here and nothing else. The C core is
compiled from ``csrc/src/*.c`` directly: no configure step, no system
library beyond a C compiler.

The cdef is not written by hand: :func:`cdef_from_header` derives it from
``csrc/include/privbill.h``, the one specification of the C API, so a
declaration can never drift between C and Python.

``python src/privbill/_build.py`` compiles it into build/cffi/ (a quick check
of the C sources and the cdef, outside any install).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from cffi import FFI

# setup.py runs with the project root as working directory; locate csrc from
# this file so the builder also works when run directly.
ROOT = Path(__file__).resolve().parent.parent.parent
CSRC = ROOT / "csrc"
HEADER = CSRC / "include" / "privbill.h"

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_DIRECTIVE = re.compile(r"^\s*#\s*(\w+)\s*(.*?)\s*$")
_INT_DEFINE = re.compile(r"^(PRIVBILL_\w+)\s+(-?(?:0[xX][0-9a-fA-F]+|\d+))[uUlL]*$")
_OBJECT_DEFINE = re.compile(r"^(\w+)(?:\s+(.*))?$")


def cdef_from_header(text: str) -> str:
    """Turn privbill.h into a cdef that cffi's parser accepts.

    - comments are removed;
    - ``#define PRIVBILL_NAME <integer>`` is kept (cffi checks the value
      against the compiled header in API mode);
    - every other preprocessor line is dropped, and so is everything inside
      a conditional block other than the include guard (compiler-specific
      attribute macros, the C++ ``extern "C"`` wrapper);
    - any other macro the header defines (attributes such as
      ``PRIVBILL_WARN_UNUSED_RESULT``) is removed where it is used.
    """
    text = _COMMENT.sub(" ", text.replace("\\\n", " "))
    kept: list[str] = []
    drop_tokens: set[str] = set()
    # Conditional nesting: one entry per open #if*, True for the include
    # guard (whose body is the header), False for any other block.
    stack: list[bool] = []
    for line in text.splitlines():
        m = _DIRECTIVE.match(line)
        if m:
            name, rest = m.group(1), m.group(2)
            if name in ("if", "ifdef", "ifndef"):
                is_guard = not stack and name == "ifndef" and rest.endswith("_H")
                stack.append(is_guard)
            elif name == "endif":
                stack.pop()
            elif name == "define":
                d = _INT_DEFINE.match(rest)
                if d and all(stack):
                    kept.append(f"#define {d.group(1)} {d.group(2)}")
                else:
                    o = _OBJECT_DEFINE.match(rest)
                    if o:
                        drop_tokens.add(o.group(1))
            # elif/else/include/error/...: dropped
            continue
        if all(stack) and line.strip():
            kept.append(line.rstrip())
    if stack:
        raise ValueError("unbalanced #if/#endif in header")
    out = "\n".join(kept) + "\n"
    for token in sorted(drop_tokens):
        out = re.sub(rf"(?m)^(?!#define)(.*)\b{token}\b", r"\1", out)
    return "".join(line + "\n" for line in out.splitlines() if line.strip())


def _compile_args() -> list[str]:
    if sys.platform == "win32":
        return ["/O2"]
    # Only the privbill_ API leaves the extension; fe_/ge_/sc_ stay internal.
    args = ["-O3", "-std=c99", "-fvisibility=hidden"]
    # field.h picks the radix-2^51 backend itself where the compiler has
    # 128-bit integers on a 64-bit target (x86_64, aarch64, ...), and the
    # radix-2^25.5 one otherwise. PRIVBILL_FIELD_BITS=32|64 in the
    # environment forces one (used to test both through Python).
    bits = os.environ.get("PRIVBILL_FIELD_BITS")
    if bits:
        if bits not in ("32", "64"):
            raise ValueError("PRIVBILL_FIELD_BITS must be 32 or 64")
        args.append(f"-DPRIVBILL_FIELD_BITS={bits}")
    return args


def make_builder(relative: bool = True) -> FFI:
    """The builder. setuptools wants source paths relative to the project
    root (its working directory) for anything it puts in an sdist; a direct
    ``compile()`` changes directory, so it needs absolute ones."""

    def _rel(path: Path) -> str:
        if not relative:
            return str(path)
        try:
            return os.path.relpath(path)
        except ValueError:  # another drive on Windows
            return str(path)

    builder = FFI()
    builder.cdef(cdef_from_header(HEADER.read_text(encoding="utf-8")))
    sources = sorted((CSRC / "src").glob("*.c"))
    headers = [*sorted((CSRC / "src").glob("*.h")), HEADER]
    builder.set_source(
        "privbill._native",
        '#include "privbill.h"\n',
        sources=[_rel(p) for p in sources],
        depends=[_rel(p) for p in headers],
        include_dirs=[_rel(CSRC / "include"), _rel(CSRC / "src")],
        extra_compile_args=_compile_args(),
    )
    return builder


ffibuilder = make_builder()

if __name__ == "__main__":
    make_builder(relative=False).compile(tmpdir=str(ROOT / "build" / "cffi"), verbose=True)
