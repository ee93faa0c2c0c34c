"""``coopcheck report --out DIR``: write a static HTML report for reviewers.

Each page is written atomically: a page that cannot be written (a full disk, no permission)
is left as it was, or absent, never cut short; it is reported on one line, the other pages
are still written, and the exit code is 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coopcheck.dsl.errors import CoopcheckError

from coopcheck.core.api import load_policy, shipped_policies
from coopcheck.core.files import WriteError
from coopcheck.cli.inputs import load_ruleset

HELP = "write a static HTML report: one page per co-op and a comparison page"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``report``'s arguments."""
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the pages into (created if needed)")
    p.add_argument("--coop", action="append", metavar="COOP",
                   help="co-op id, name or .policy file; repeat or comma-separate (default: every shipped policy)")
    p.add_argument("--lang", choices=("en", "ja"), default="en",
                   help="language of the page text (default: en, Japanese labels beside ids)")
    p.add_argument("--baseline", metavar="COOP",
                   help="diff each co-op against this one (default: every pair of co-ops)")
    p.add_argument("--no-diff", action="store_true", help="leave the exact policy diffs out of the comparison")
    p.add_argument("--stamp", metavar="TEXT",
                   help="text printed in each page's footer, e.g. a date (default: none, so output is reproducible)")


def _wanted(args: argparse.Namespace) -> list[str]:
    if not args.coop:
        return shipped_policies()
    names = [n.strip() for value in args.coop for n in value.split(",") if n.strip()]
    return shipped_policies() if names == ["all"] else names


def _error(message: str) -> int:
    print(f"coopcheck report: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``report``: exit 0 written, 2 bad input (unknown co-op) or a folder or page that
    could not be written."""
    from coopcheck.presentation.report import write_report

    try:
        rulesets = [load_ruleset(name) for name in _wanted(args)]
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    except OSError as err:
        return _error(f"cannot read `{err.filename}`: {err.strerror}")
    if not rulesets:
        return _error("no co-ops given")
    baseline = args.baseline
    if baseline is not None:
        try:
            baseline = load_policy(baseline).coop
        except CoopcheckError as err:
            print(err.render(), file=sys.stderr)
            return 2
    unwritten: list[WriteError] = []

    def could_not_write(err: WriteError) -> None:
        # one line per file; the file is as it was (or absent), never half a page
        unwritten.append(err)
        _error(f"{err} (left unchanged)")

    try:
        written = write_report(rulesets, args.out, lang=args.lang, baseline=baseline, stamp=args.stamp,
                               with_diffs=not args.no_diff, on_error=could_not_write)
    except ValueError as err:
        return _error(str(err))
    except OSError as err:  # the folder itself cannot be made
        return _error(f"cannot write `{err.filename or args.out}`: {err.strerror or err}")
    index = Path(args.out) / "index.html"
    if unwritten:
        print(f"wrote {len(written)} files to {args.out}; {len(unwritten)} could not be written", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {args.out} — open {index}")
    return 0
