"""``python -m privbill``: the command line of :mod:`privbill.cli`."""

from __future__ import annotations

from privbill.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
