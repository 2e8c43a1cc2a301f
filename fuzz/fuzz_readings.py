"""Fuzz the meter data readers (docs/readings.md): SGSC CSV and DSMR P1 telegrams.

Input: a selector byte, then the data.

- ``0``: an SGSC-layout CSV file, read by ``read_sgsc_csv`` (the input is written to a
  scratch file: the reader takes a path). The second byte picks the zone and period.
- ``1``: one P1 telegram, ``parse_p1_telegram``.
- ``2``: telegrams separated by two NUL bytes, parsed, then ``readings_from_p1``.

Only FormatError and RangeError may escape (PrivbillError). What is read must be
readings: non-negative int Wh below 2^64 (the protocol's reading range), per interval.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile

from _harness import harness, instrumented, run

with instrumented(__name__ == "__main__"):
    from privbill.errors import PrivbillError
    from privbill.readings import Readings, parse_p1_telegram, read_sgsc_csv, readings_from_p1

_ZONES = ("Etc/GMT-10", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "UTC")
_PERIODS = (1800, 900, 3600, 300)
_SCRATCH = os.path.join(tempfile.gettempdir(), f"privbill-fuzz-readings-{os.getpid()}.csv")


@atexit.register
def _remove_scratch() -> None:
    with contextlib.suppress(OSError):
        os.remove(_SCRATCH)


def _check(readings: Readings) -> None:
    for ch in readings.channels:
        for index, wh in readings.channel(ch).items():
            assert isinstance(index, int) and isinstance(wh, int)
            assert 0 <= wh < 1 << 64, f"a reading of {wh} Wh is outside the protocol's range"


@harness("readings")
def TestOneInput(data: bytes) -> None:
    if not data:
        return
    selector, body = data[0] % 3, data[1:]
    try:
        if selector == 0:
            opts = body[0] if body else 0
            with open(_SCRATCH, "wb") as f:
                f.write(body[1:])
            out = read_sgsc_csv(_SCRATCH, tz=_ZONES[opts % 5], period=_PERIODS[opts // 5 % 4])
            for r in out.values():
                _check(r)
        elif selector == 1:
            tg = parse_p1_telegram(body)
            for v in (tg.import_wh, tg.export_wh):
                assert v is None or v >= 0
        else:
            telegrams = [parse_p1_telegram(part) for part in body.split(b"\x00\x00")[:64]]
            _check(readings_from_p1(telegrams))
    except PrivbillError:
        pass


if __name__ == "__main__":
    run(TestOneInput)
