"""``coopcheck desugar COOP|FILE [--line N]``: each rule as it really reads.

Prints every rule statement of a policy or rule file with the defaults the compiler applies
written out (a grant without ``of`` speaks of members; a prohibition without one binds
everyone; …), the legal act and basis it stands for, and what the compiler adds beyond the
words. ``--line N`` shows only the statement on line N. Exit 0, or 2 on a bad file or co-op.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coopcheck.dsl.errors import CoopcheckError, did_you_mean
from coopcheck.core import paths
from coopcheck.core.api import shipped_policies
from coopcheck.core.compiler import compile_modules
from coopcheck.core.loader import load
from coopcheck.presentation.desugared import render_desugared

HELP = "show each rule as it really reads: defaults written out, its legal act and basis"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``desugar``'s arguments."""
    p.add_argument("target", help="a shipped co-op id (aizu, …) or a .policy/.rules file")
    p.add_argument("--line", type=int, help="only the statement on this line")


def run(args: argparse.Namespace) -> int:
    """Run ``desugar``."""
    target = args.target
    path = Path(target)
    if not path.is_file() and not target.endswith((".policy", ".rules")):
        ids = shipped_policies()
        if target not in ids:
            hint = did_you_mean(target, ids) or "shipped policies: " + ", ".join(ids)
            print(f"coopcheck desugar: error: unknown co-op `{target}` ({hint})", file=sys.stderr)
            return 2
        path = paths.policies_dir() / f"{target}.policy"
    try:
        modules = load(path)
        ruleset = compile_modules(modules)
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    print(render_desugared(modules[-1], ruleset, args.line), end="")
    return 0
