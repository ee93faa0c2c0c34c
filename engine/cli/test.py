"""``coopcheck test [PATHS]``: run rule-file tests and report each failure in full."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coopcheck.core import paths
from coopcheck.core.loader import display_path
from coopcheck.analysis.coverage import policy_coverage
from coopcheck.analysis.testing import find_test_files, run_file
from coopcheck.presentation.decision_json import decision_json
from coopcheck.presentation.render import render_decision

HELP = "run rule-file tests (.test files); default: the shipped policies' tests"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``test``'s arguments."""
    p.add_argument("paths", nargs="*", type=Path,
                   help=".test files or folders, or a .policy file for the .test file beside it "
                        "(default: shipped tests)")
    p.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--coverage", action="store_true",
                   help="report which rules and clauses of each policy the cases exercised")
    p.add_argument("--threshold", type=float, metavar="PERCENT",
                   help="with --coverage: exit 1 when a policy's rule coverage is below PERCENT")


def run(args: argparse.Namespace) -> int:
    """Run ``test``: exit 0 all pass, 1 some failed (or, with ``--coverage --threshold``, a
    policy's coverage is below the threshold), 2 a test or rule file has errors."""
    files = find_test_files(args.paths or [paths.policies_dir()])
    if not files:
        print("coopcheck test: no .test files found", file=sys.stderr)
        return 2
    passed = failed = 0
    had_errors = False
    report = []
    tested: dict[str, tuple] = {}  # coop -> (ruleset, decisions of its cases)
    inventories_seen: set[str] = set()
    for path in files:
        result = run_file(path, display_path(path))
        for diag in result.errors:
            had_errors = True
            print(diag.render() + "\n", file=sys.stderr)
        if result.inventory_file is not None and result.inventory_file not in inventories_seen:
            inventories_seen.add(result.inventory_file)
            if result.inventory:
                failed += 1
                if args.format == "text":
                    print(f"FAIL clause inventory {display_path(Path(result.inventory_file))}")
                    for diag in result.inventory:
                        print("\n".join("  " + line for line in diag.render().splitlines()))
                    print()
            else:
                passed += 1
                if args.verbose and args.format == "text":
                    print(f"PASS clause inventory {display_path(Path(result.inventory_file))}")
            report.append({"file": result.inventory_file, "name": "clause inventory",
                           "passed": not result.inventory,
                           "failures": [d.to_json() for d in result.inventory]})
        if result.ruleset is not None:
            ruleset, decisions = tested.get(result.ruleset.coop, (result.ruleset, []))
            decisions.extend(c.decision for c in result.cases if c.decision is not None)
            tested[result.ruleset.coop] = (ruleset, decisions)
        for case in result.cases:
            if case.passed:
                passed += 1
                if args.verbose and args.format == "text":
                    print(f"PASS {case.file}:{case.line} {case.name}")
            else:
                failed += 1
                if args.format == "text":
                    print(f"FAIL {case.file}:{case.line} {case.name}")
                    for f in case.failures:
                        print(f"  {f}")
                    print("  decision:")
                    print("\n".join("    " + line for line in render_decision(case.decision).splitlines()))
                    print()
            report.append({"file": case.file, "line": case.line, "name": case.name, "passed": case.passed,
                           "failures": list(case.failures),
                           "decision": decision_json(case.decision) if case.decision else None})
    coverage = [policy_coverage(rs, ds) for rs, ds in tested.values()] if args.coverage else []
    below = [c for c in coverage if args.threshold is not None and c.percent < args.threshold]
    if args.format == "json":
        out = {"passed": passed, "failed": failed, "errors": had_errors, "cases": report}
        if args.coverage:
            out["coverage"] = [c.to_json() for c in coverage]
            out["threshold"] = args.threshold
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"{passed} passed, {failed} failed")
        if args.coverage:
            print(render_coverage(coverage, args.threshold))
    if had_errors:
        return 2
    return 1 if failed or below else 0


def render_coverage(coverage, threshold: float | None) -> str:
    """The coverage report: one line per policy, then its uncovered rules."""
    lines = ["", "coverage (a rule is covered when it decided or barred some case):"]
    for c in coverage:
        mark = "  BELOW THRESHOLD" if threshold is not None and c.percent < threshold else ""
        lines.append(f"  {c.coop:<14} rules {len(c.covered):>3}/{len(c.rules):<3} ({c.percent:5.1f}%)   "
                     f"clauses {len(c.covered_clauses):>3}/{len(c.clauses):<3} ({c.clause_percent:5.1f}%){mark}")
        for r in c.uncovered:
            lines.append(f"      uncovered {r.id}  [{r.clause}]")
    if threshold is not None:
        lines.append(f"threshold: {threshold:g}% of each policy's rules")
    return "\n".join(lines)
