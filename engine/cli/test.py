"""``coopcheck test [PATHS]``: run rule-file tests and report each failure in full."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coopcheck.core import paths
from coopcheck.core.loader import display_path
from coopcheck.analysis.testing import find_test_files, run_file
from coopcheck.presentation.decision_json import decision_json
from coopcheck.presentation.render import render_decision

HELP = "run rule-file tests (.test files); default: the shipped policies' tests"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``test``'s arguments."""
    p.add_argument("paths", nargs="*", type=Path, help=".test files or folders (default: shipped tests)")
    p.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Run ``test``: exit 0 all pass, 1 some failed, 2 a test or rule file has errors."""
    files = find_test_files(args.paths or [paths.policies_dir()])
    if not files:
        print("coopcheck test: no .test files found", file=sys.stderr)
        return 2
    passed = failed = 0
    had_errors = False
    report = []
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
    if args.format == "json":
        print(json.dumps({"passed": passed, "failed": failed, "errors": had_errors, "cases": report},
                         ensure_ascii=False, indent=2))
    else:
        print(f"{passed} passed, {failed} failed")
    if had_errors:
        return 2
    return 1 if failed else 0
