"""Turn benchmark results into the Markdown tables of docs/performance.md.

    python benchmarks/report.py bench.json                  # pytest-benchmark JSON
    python benchmarks/report.py bench.json --c-bench c.txt  # and the C benchmark's output

``bench.json`` comes from ``pytest benchmarks --benchmark-only --benchmark-json=bench.json``;
``c.txt`` is what ``make -C csrc bench`` printed (``csrc/tests/bench.c``).

For each pytest-benchmark group (one task) the table lists privbill first, then its
peers, with min, median and max per call, the median per item, and the speed-up
``peer time / privbill time`` on the minimum and on the median. The privbill
benchmark's ``extra_info`` carries the issue's targets (``targets``: speed-up per
peer; ``target_max_s``: an absolute bound); a target is *met* when it holds on both
the minimum and the median, *not met* when it fails on both, and reported as
*borderline* otherwise. Groups whose benchmarks name ``workers`` also get a
throughput table (items per second, per worker, and scaling over one worker).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Entry:
    """One benchmark of the JSON file."""

    group: str
    name: str
    impl: str
    items: int
    min: float
    median: float
    max: float
    rounds: int
    param: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_privbill(self) -> bool:
        return self.impl.startswith("privbill")


def load(path: Path) -> tuple[dict[str, Any], list[Entry]]:
    """The machine description and the benchmarks of a pytest-benchmark JSON file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = []
    for b in data.get("benchmarks", []):
        extra = dict(b.get("extra_info") or {})
        stats = b["stats"]
        entries.append(
            Entry(
                group=b.get("group") or "(no group)",
                name=b["name"],
                impl=str(extra.get("impl", b["name"])),
                items=int(extra.get("items", 1)),
                min=float(stats["min"]),
                median=float(stats["median"]),
                max=float(stats["max"]),
                rounds=int(stats["rounds"]),
                param=str(b.get("param") or ""),
                extra=extra,
            )
        )
    return data.get("machine_info", {}), entries


def fmt_time(seconds: float) -> str:
    """A duration with three significant digits in a readable unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(r: float) -> str:
    return f"{r:.3g}x" if r < 100 else f"{r:.0f}x"


def verdict(on_min: bool, on_median: bool) -> str:
    if on_min and on_median:
        return "**met**"
    if not on_min and not on_median:
        return "**not met**"
    return "borderline (met on the " + ("minimum" if on_min else "median") + " only)"


def group_table(entries: Sequence[Entry]) -> list[str]:
    """The Markdown rows of one group, privbill first."""
    ours = sorted((e for e in entries if e.is_privbill), key=lambda e: e.median)
    peers = sorted((e for e in entries if not e.is_privbill), key=lambda e: e.median)
    ref = next((e for e in ours if e.impl == "privbill"), ours[0] if len(ours) == 1 else None)
    targets: dict[str, float] = ref.extra.get("targets", {}) if ref else {}
    impls = [e.impl for e in entries]
    rows = []
    for e in ours + peers:
        per_item = fmt_time(e.median / e.items) if e.items > 1 else ""
        speedup = target = result = ""
        if ref is not None and not e.is_privbill:
            r_min, r_med = e.min / ref.min, e.median / ref.median
            speedup = f"{fmt_ratio(r_min)} · {fmt_ratio(r_med)}"
            if e.impl in targets:
                t = float(targets[e.impl])
                target = f"≥ {t:g}x"
                result = verdict(r_min >= t, r_med >= t)
                if r_min < t or r_med < t:
                    result += f": {fmt_ratio(min(r_min, r_med))} against {t:g}x"
        bound = e.extra.get("target_max_s")
        if bound is not None:
            b = float(bound)
            target = f"≤ {fmt_time(b)}"
            result = verdict(e.min <= b, e.median <= b)
            if e.median <= b:
                result += f" ({b / e.median:.2g}x headroom)"
            else:
                result += f": median {e.median / b:.2g}x over"
        note = e.extra.get("note")
        impl = f"{e.impl} ({note})" if note else e.impl
        if impls.count(e.impl) > 1 and e.param:  # the same code at several sizes
            impl += f" [{e.param}]"
        rows.append(
            f"| {impl} | {fmt_time(e.min)} | {fmt_time(e.median)} | {fmt_time(e.max)} "
            f"| {e.rounds} | {per_item} | {speedup} | {target} | {result} |"
        )
    return rows


def throughput_table(entries: Sequence[Entry]) -> list[str]:
    """Items per second for groups run with a number of workers."""
    pooled = [e for e in entries if "workers" in e.extra]
    if not pooled:
        return []
    one = next(
        (e for e in pooled if e.extra["workers"] == 1 and "pool" in e.impl),
        None,
    )
    lines = [
        "",
        "| run | items | items/s (median) | per worker | scaling over 1 pool worker "
        "| CPU per item | items per CPU-second |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in pooled:
        rate = e.items / e.median
        workers = int(e.extra["workers"])
        scaling = f"{(one.median / e.median):.2f}x" if one is not None else ""
        cpu = e.extra.get("cpu_s_per_item")
        cpu_cells = f"{fmt_time(cpu)} | {1 / cpu:,.0f}" if cpu else " | "
        lines.append(
            f"| {e.impl} | {e.items} | {rate:,.0f} | {rate / workers:,.0f} | {scaling} "
            f"| {cpu_cells} |"
        )
    return lines


def pytest_report(machine: dict[str, Any], entries: Sequence[Entry]) -> list[str]:
    cpu = machine.get("cpu", {})
    out = [
        f"Python {machine.get('python_version', '?')} "
        f"({machine.get('python_implementation', '?')}), "
        f"{cpu.get('brand_raw', machine.get('processor', '?'))}, "
        f"{cpu.get('count', '?')} logical CPUs.",
        "",
        "Speed-up = peer time / privbill time, on the minimum · on the median "
        "(above 1: privbill is faster).",
    ]
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        groups.setdefault(e.group, []).append(e)
    for group, members in groups.items():
        out += [
            "",
            f"**{group}**",
            "",
            "| implementation | min | median | max | rounds | per item | speed-up "
            "| target | result |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        out += group_table(members)
        out += throughput_table(members)
    return out


_NUM = re.compile(r"^-?\d+(\.\d+)?x?$")


def c_bench_report(text: str) -> list[str]:
    """The C benchmark's two tables (timings; speed-ups) as Markdown."""
    timings: list[str] = []
    speedups: list[str] = []
    section = ""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("operation") and "per item" in line:
            section = "timings"
            continue
        if line.startswith("operation") and "paired" in line:
            section = "speedups"
            continue
        if not line.strip():
            section = ""
            continue
        if line.startswith(("privbill C benchmark", "field backend", "compiler:")):
            out.append(line)
            continue
        if section == "timings":
            name, nums = _split(line)
            cells = nums + [""] * (4 - len(nums))
            timings.append(f"| {name} | " + " | ".join(cells) + " |")
        elif section == "speedups":
            head, _, tail = line.partition("  >=")
            name, nums = _split(head)
            target = result = ""
            if tail:
                t, _, r = tail.partition(":")
                target, result = f"≥ {t.strip()}", r.strip()
            speedups.append(f"| {name} | {' | '.join(nums)} | {target} | {result} |")
        elif line.startswith("3-band month from decoded points"):
            out.append(line)
    header = [f"- {x}" for x in out if not x.startswith("3-band month from decoded points")]
    footer = [x for x in out if x.startswith("3-band month from decoded points")]
    lines = [
        *header,
        "",
        "| operation (µs per call) | min | median | max | per item |",
        "|---|---:|---:|---:|---:|",
        *timings,
    ]
    if speedups:
        lines += [
            "",
            "| operation | speed-up (min/min) | speed-up (paired median) | target | result |",
            "|---|---:|---:|---|---|",
            *speedups,
        ]
    return [*lines, "", *footer]


def _split(line: str) -> tuple[str, list[str]]:
    """A row's name (peer rows, indented in the C output, are shown as ``↳ name``) and
    its trailing numbers."""
    tokens = line.split()
    k = len(tokens)
    while k > 0 and _NUM.match(tokens[k - 1]):
        k -= 1
    name = " ".join(tokens[:k])
    if line.startswith("  "):
        name = "↳ " + name
    return name, tokens[k:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", type=Path, nargs="?", help="pytest-benchmark --benchmark-json")
    parser.add_argument("--c-bench", type=Path, help="the output of make -C csrc bench")
    parser.add_argument(
        "--groups", metavar="REGEX", help="only the pytest-benchmark groups matching REGEX"
    )
    args = parser.parse_args(argv)
    if args.json is None and args.c_bench is None:
        parser.error("give a pytest-benchmark JSON file, --c-bench FILE, or both")
    lines: list[str] = []
    if args.c_bench is not None:
        lines += ["### C core (csrc/tests/bench.c)", ""]
        lines += c_bench_report(args.c_bench.read_text(encoding="utf-8"))
        lines.append("")
    if args.json is not None:
        machine, entries = load(args.json)
        if args.groups:
            entries = [e for e in entries if re.search(args.groups, e.group)]
        lines += ["### Python (pytest-benchmark)", ""]
        lines += pytest_report(machine, entries)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
