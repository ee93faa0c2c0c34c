"""``python -m bench``: run the benchmarks and print the table, other figures and targets."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from typing import Sequence

import attrs

from . import engines, report, startup
from .measure import measure_shipped, measure_synthetic
from .peers import PEERS, installed
from .targets import evaluate
from .timing import Budget

HEADLINE = 12
SIZES = (10, 100, 1_000, 10_000)
QUICK_SIZES = (10, 100, 1_000)


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(x.replace("_", "")) for x in text.split(",") if x.strip())


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a fast smoke run: fewer scenarios, repeats and sizes")
    p.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    p.add_argument("--repeats", type=int, help="timed passes per figure, the median is reported (default 7, quick 3)")
    p.add_argument("--scenarios", type=int, help="scenarios per policy (default 2000, quick 300)")
    p.add_argument("--sizes", type=_sizes, help="grant counts for scaling (default 10,100,1000,10000; "
                   "quick 10,100,1000)")
    p.add_argument("--budget", type=float, help="seconds one timed pass may take before an engine is timed "
                   "on fewer scenarios (default 0.5, quick 0.03)")
    p.add_argument("--peers", type=lambda s: tuple(x.strip() for x in s.split(",") if x.strip()),
                   help="peer engines to run, from: " + ", ".join(PEERS) + " (default: all installed)")
    p.add_argument("--no-startup", action="store_true", help="skip parse/compile and cold-start timing")
    return p


def machine() -> str:
    """One line about where the figures were taken."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"python {platform.python_version()}, {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load}")


def busy() -> bool:
    """Whether the one-minute load average exceeds the number of CPUs."""
    return hasattr(os, "getloadavg") and os.getloadavg()[0] > (os.cpu_count() or 1)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 0, or 1 when an engine disagrees with coopcheck."""
    args = parser().parse_args(argv)
    quick = args.quick
    repeats = args.repeats or (3 if quick else 7)
    count = args.scenarios or (300 if quick else 2000)
    sizes = args.sizes or (QUICK_SIZES if quick else SIZES)
    budget = Budget(args.budget or (0.03 if quick else 0.5), 10 if quick else 20, repeats)
    unknown = [k for k in args.peers or () if k not in PEERS]
    if unknown:
        parser().error(f"unknown peer `{unknown[0]}`; choose from " + ", ".join(PEERS))
    peers = installed(args.peers)
    missing = [k for k in (args.peers or PEERS) if k not in {p.key for p in peers}]
    reference = engines.reference_module()

    print(f"coopcheck benchmark{' (--quick)' if quick else ''}: {machine()}")
    print("peers: " + ", ".join(f"{p.key} ({p.version})" for p in peers)
          + (f"; not installed: {', '.join(missing)}" if missing else ""))
    notes = []
    if not engines.has_permits():
        notes.append(f"{engines.PERMITS}: engine.permits does not exist yet; row skipped")
    if reference is None:
        notes.append(f"{engines.REFERENCE_NAME}: tests/support/reference.py not found; row skipped")
    print(f"{count} scenarios per policy, medians of {repeats} passes; figures are µs per decision "
          "unless stated; ratios are within this run", flush=True)
    if busy():
        print("warning: the machine is busy (load average above the CPU count): absolute figures are "
              "unreliable, ratios less so", flush=True)

    headline = measure_synthetic(HEADLINE, count, budget, peers, reference)
    scaling = []
    for n in sizes:
        print(f"  measuring {n:,} grants", file=sys.stderr, flush=True)
        scaling.append(measure_synthetic(n, count, budget, peers, reference))
    shipped = measure_shipped(max(count // 5, 20), budget, reference)
    figures: dict = {}
    if not args.no_startup:
        runs = 3 if quick else repeats
        figures["parse_compile"] = startup.parse_compile(runs)
        figures["cold_check"] = startup.cold_check(runs)
    targets = evaluate(headline, scaling, figures)

    print()
    print(report.engine_table(headline, scaling))
    for line in report.notes([headline, *scaling]) + notes:
        print(line)
    print()
    print(report.other_table(headline, scaling, shipped, figures))
    print()
    print("Targets")
    print(report.target_table(targets))
    if args.json:
        data = {"machine": machine(), "quick": quick, "repeats": repeats, "scenarios": count,
                "peers": {p.key: p.version for p in peers},
                "results": [attrs.asdict(r) for r in (headline, *scaling)],
                "shipped": attrs.asdict(shipped), **figures,
                "targets": [{**attrs.asdict(t), "result": t.verdict} for t in targets]}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
        print(f"\nfigures written to {args.json}")
    return 0
