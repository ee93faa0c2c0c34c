"""``coopcheck lint [PATHS]``: report mistakes and questionable encodings in rule files.

Exit codes: 0 nothing fails; 1 an error, or a warning under ``--strict``; 2 a path that does
not exist, is not a rule file, or cannot be read. Formats: ``text`` (each diagnostic with its
source line and a caret, then ``N errors, M warnings in K files``), ``json`` (the list
described in :mod:`coopcheck.analysis.lint`) and ``sarif`` (SARIF 2.1.0, :mod:`coopcheck.presentation.sarif`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coopcheck.dsl.codes import Code, Family
from coopcheck.analysis.lint import UsageError, lint_paths, summary, to_json
from coopcheck.presentation.sarif import to_sarif

HELP = "check rule files: errors, unused terms, dead or redundant grants, incomplete joint uses"

#: The codes ``lint --help`` lists: the ones lint adds (parse, compile and inventory errors
#: are listed in README.md and docs/language.md).
_LISTED = (Family.ANALYSIS, Family.SUPPRESSION)

_EPILOG = "codes:\n" + "\n".join(f"  {code}  {code.severity:<8} {code.description}"
                                  for code in sorted(Code, key=lambda c: (c.severity == "error", c))
                                  if code.family in _LISTED) + (
    "\n\nsuppress a warning on one statement with a comment on it or on the line above it:\n"
    "  # coopcheck: allow W604 -- the source names no responsible party")


def register(p: argparse.ArgumentParser) -> None:
    """Add ``lint``'s arguments."""
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = _EPILOG
    p.add_argument("paths", nargs="*", type=Path,
                   help=".policy, .rules or .test files or folders (default: the shipped rules/ and policies/)")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output format")
    p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")


def run(args: argparse.Namespace) -> int:
    """Run ``lint``: exit 0 clean, 1 failing diagnostics, 2 a bad or unreadable path."""
    try:
        result = lint_paths(args.paths)
    except UsageError as err:
        print(f"coopcheck lint: {err}", file=sys.stderr)
        return 2
    if not result.files:
        print("coopcheck lint: no .policy, .rules or .test files found", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(to_json(result.diagnostics), ensure_ascii=False, indent=2))
    elif args.format == "sarif":
        print(json.dumps(to_sarif(result.diagnostics, tool_version=_version()),
                         ensure_ascii=False, indent=2))
    else:
        for d in result.diagnostics:
            print(d.render() + "\n")
        line = summary(result)
        if args.strict and result.warnings and not result.errors:
            line += " (warnings fail under --strict)"
        print(line)
    if result.unreadable:
        return 2
    return 1 if result.failed(args.strict) else 0


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("coopcheck")
    except Exception:  # noqa: BLE001 - running from a checkout that is not installed
        return "0.1.0"
