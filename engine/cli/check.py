"""``coopcheck check``: decide scenarios given as flags or as JSON (one object or JSON Lines)."""

from __future__ import annotations

import argparse
import shutil
import sys

from coopcheck.dsl.errors import CoopcheckError

from coopcheck.core.api import decide
from coopcheck.core.evaluator import evaluator_for
from coopcheck.cli.inputs import Policies, add_scenario_arguments, flags_scenario, missing_flags, run_json_jobs
from coopcheck.presentation.decision_json import DecisionWriter
from coopcheck.presentation.render import render_decision, render_table

HELP = "decide a proposed data use against one co-op's policy or all of them"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``check``'s arguments."""
    add_scenario_arguments(p)


def run(args: argparse.Namespace) -> int:
    """Run ``check``; see :mod:`coopcheck.cli.main` for exit codes."""
    policies = Policies()
    if args.json is not None:
        return _run_json(args, policies)
    missing = missing_flags(args)
    if missing:
        print(f"coopcheck check: error: missing {', '.join(missing)} (or give scenarios with --json FILE)",
              file=sys.stderr)
        return 2
    fmt = args.format or "text"
    try:
        rulesets = policies.get(args.coop)
        decisions = [decide(rs, flags_scenario(args)) for rs in rulesets]
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    if fmt == "json":
        writer = DecisionWriter(args.lang)
        for d in decisions:
            print(writer.line(d))
    elif len(decisions) == 1 and args.coop.strip().lower() != "all" and "," not in args.coop:
        print(render_decision(decisions[0], rulesets[0].name, args.lang))
    else:
        print(render_table(decisions, args.lang, shutil.get_terminal_size().columns))
    denied = any(not d.permitted for d in decisions)
    return 1 if (args.fail_on_deny and denied) else 0


def _run_json(args: argparse.Namespace, policies: Policies) -> int:
    writer = DecisionWriter(args.lang)
    write = sys.stdout.write

    def answer(rulesets, scenario):
        decisions = []
        for rs in rulesets:
            ev = evaluator_for(rs)
            decisions.append((rs, ev.decide(ev.scenario(scenario))))
        return decisions, any(not d.permitted for _, d in decisions)

    def show(decisions, fmt):
        for rs, d in decisions:
            if fmt == "json":
                write(writer.line(d) + "\n")
            else:
                write(render_decision(d, rs.name, args.lang) + "\n\n")

    return run_json_jobs(args, policies, "check", answer, show)
