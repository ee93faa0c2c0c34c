"""``python -m bench``: run the benchmarks and print the tables, other figures and targets."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Sequence

import attrs

from . import engines, report, startup, stream, surfaces
from .measure import measure_shipped, measure_synthetic, merge_shipped, shipped_scenarios
from .peers import PEERS, installed
from .targets import evaluate
from .timing import Budget

HEADLINE = 12
SIZES = (10, 100, 1_000, 10_000)
QUICK_SIZES = (10, 100, 1_000)

#: Why the peers have no shipped-policy rows.
SHIPPED_NOTE = ("shipped policies: the naive loop, cedarpy, pycasbin and regorus are left out — their encodings "
                "(bench/policy.py) model grants only; the shipped policies' prohibitions, closed purpose lists, "
                "consent/notice requirements and honoured legal exceptions, with coopcheck's precedence between "
                "them, have no encoding here (Cedar's forbid/unless could express part of it; none is written "
                "or checked)")


def _count(text: str) -> int:
    return int(text.replace("_", ""))


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(_count(x) for x in text.split(",") if x.strip())


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a smoke run: shorter streams, fewer repeats and sizes")
    p.add_argument("--check-only", action="store_true",
                   help="build every engine and check every answer (the CLI stream byte for byte too), time nothing")
    p.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    p.add_argument("--repeats", type=int, help="timed passes per figure, the median is reported (default 7, quick 3)")
    p.add_argument("--scenarios", type=_count, help="distinct scenarios per synthetic policy (default 2000, quick 300)")
    p.add_argument("--shipped-scenarios", type=_count,
                   help="distinct valid golden scenarios per shipped policy (default 2000, quick 300)")
    p.add_argument("--sizes", type=_sizes, help="grant counts for scaling (default 10,100,1000,10000; "
                   "quick 10,100,1000)")
    p.add_argument("--budget", type=float, help="seconds one timed pass may take before an engine is timed "
                   "on fewer scenarios (default 0.5, quick 0.03)")
    p.add_argument("--stream-budget", type=float, help="seconds one pass of coopcheck's rows may take before "
                   "they are timed on a shorter stream (default 5, quick 0.5; not on the 12-grant policy)")
    p.add_argument("--peers", type=lambda s: tuple(x.strip() for x in s.split(",") if x.strip()),
                   help="peer engines to run, from: " + ", ".join(PEERS) + " (default: all installed)")
    p.add_argument("--stream-lines", type=_count,
                   help="distinct scenarios in the `check --json` stream (default 100000, quick 10000)")
    p.add_argument("--memory-lines", type=_count,
                   help="lines of the stream the peak memory is taken on (default 10000000, as the target "
                   "states it: about 5 minutes; quick 100000)")
    p.add_argument("--no-startup", action="store_true",
                   help="skip everything run in new processes: the CLI stream, memory, compile and cold start, "
                   "the service and the audit")
    surfaces.register(p)
    return p


def machine() -> str:
    """One line about where the figures were taken."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"python {platform.python_version()}, {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load}")


def busy() -> bool:
    """Whether the one-minute load average exceeds the number of CPUs."""
    return hasattr(os, "getloadavg") and os.getloadavg()[0] > (os.cpu_count() or 1)


def _progress(text: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 0 (a :class:`~bench.measure.Disagreement` propagates)."""
    args = parser().parse_args(argv)
    quick, check_only = args.quick, args.check_only
    repeats = args.repeats or (3 if quick else 7)
    count = args.scenarios or (300 if quick else 2000)
    shipped_count = args.shipped_scenarios or (300 if quick else 2000)
    sizes = args.sizes if args.sizes is not None else (QUICK_SIZES if quick else SIZES)
    lines = args.stream_lines or (10_000 if quick else 100_000)
    memory_lines = args.memory_lines or (100_000 if quick else 10_000_000)
    budget = Budget(args.budget or (0.03 if quick else 0.5), 10 if quick else 20, repeats,
                    args.stream_budget or (0.5 if quick else 5.0))
    unknown = [k for k in args.peers or () if k not in PEERS]
    if unknown:
        parser().error(f"unknown peer `{unknown[0]}`; choose from " + ", ".join(PEERS))
    peers = installed(args.peers)
    missing = [k for k in (args.peers or PEERS) if k not in {p.key for p in peers}]
    reference = engines.reference_module()

    print(f"coopcheck benchmark{' (--quick)' if quick else ''}{' (--check-only)' if check_only else ''}: "
          f"{time.strftime('%Y-%m-%d %H:%M')}, {machine()}")
    print("peers: " + ", ".join(f"{p.key} ({p.version})" for p in peers)
          + (f"; not installed: {', '.join(missing)}" if missing else ""))
    print(f"every figure is µs per decision from the scenario dict, median of {repeats} passes over a stream of "
          "distinct scenarios; cold rows start every pass from a ruleset copy with no caches; ratios are "
          "within this run", flush=True)
    if busy():
        print("warning: the machine is busy (load average above the CPU count): absolute figures are "
              "unreliable, ratios less so", flush=True)
    notes = [SHIPPED_NOTE]
    if reference is None:
        notes.append(f"{engines.REFERENCE_NAME}: tests/support/reference.py not found; row skipped, and the "
                     "shipped policies' floor answers are coopcheck's own")

    _progress(f"synthetic policy, {HEADLINE} grants")
    # the headline policy: every engine on the whole stream (the cedarpy target compares the same scenarios)
    whole = attrs.evolve(budget, seconds=float("inf"), stream_seconds=float("inf"))
    headline = measure_synthetic(HEADLINE, count, whole, peers, reference, check_only, warm=True)
    scaling = []
    for n in sizes:
        _progress(f"synthetic policy, {n:,} grants")
        scaling.append(measure_synthetic(n, count, budget, peers, reference, check_only))
    _progress("shipped policies")
    per_policy = [measure_shipped(coop, dicts, budget, reference, check_only)
                  for coop, dicts in shipped_scenarios(shipped_count).items()]
    shipped = merge_shipped(per_policy)

    figures: dict = {}
    if not args.no_startup:
        _progress(f"`check --json -` on {lines:,} distinct scenarios, and its floor")
        figures["stream"] = stream.check_stream(lines, 3 if not quick else 2, time_it=not check_only)
        if not check_only:
            _progress(f"peak memory on {memory_lines:,} lines")
            figures["memory"] = stream.peak_memory(memory_lines)
            _progress("compile, cold")
            figures["compile"] = startup.compile_cold(3 if quick else 5)
            figures["cold_check"] = startup.cold_check(3 if quick else 5)
    extra = surfaces.measure(args, quick, check_only, repeats, _progress)
    targets = evaluate(headline, shipped, {**figures, **extra}, scaling)

    print()
    print("Synthetic grant-only policies, cold streams")
    print(report.engine_table(headline, scaling))
    print()
    print(f"Shipped policies, cold streams (golden scenarios, {shipped_count} per policy at most)")
    print(report.shipped_table(per_policy, shipped))
    print()
    print("Memo hits and warm tables (not the headline: each pass repeats scenarios the evaluator has answered)")
    print(report.warm_table([headline, shipped]))
    print()
    for line in report.notes([headline, *scaling, *per_policy]) + notes:
        print(line)
    print()
    print(report.other_table([headline, *scaling], shipped, figures))
    print()
    for line in surfaces.lines(extra):
        print(line)
    print("Targets")
    print(report.target_table(targets))
    if args.json:
        data = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "quick": quick,
                "check_only": check_only, "repeats": repeats, "scenarios": count,
                "peers": {p.key: p.version for p in peers},
                "results": [attrs.asdict(r) for r in (headline, *scaling)],
                "shipped": [attrs.asdict(r) for r in (*per_policy, shipped)], **figures, **extra,
                "targets": [{**attrs.asdict(t), "result": t.verdict} for t in targets]}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
        print(f"\nfigures written to {args.json}")
    return 0
