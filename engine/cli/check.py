"""``coopcheck check``: decide scenarios given as flags or as JSON (one object or JSON Lines)."""

from __future__ import annotations

import argparse
import json
import sys

from dsl.errors import CoopcheckError

from ..api import decide
from .inputs import (Policies, add_scenario_arguments, flags_scenario, json_jobs, missing_flags, print_error,
                     read_json_text)
from .render import render_decision, render_table

HELP = "decide a proposed data use against one co-op's policy or all of them"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``check``'s arguments."""
    add_scenario_arguments(p)


def run(args: argparse.Namespace) -> int:
    """Run ``check``; see :mod:`engine.cli.main` for exit codes."""
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
        for d in decisions:
            print(json.dumps(d.to_json(args.lang), ensure_ascii=False))
    elif len(decisions) == 1 and args.coop != "all":
        print(render_decision(decisions[0], rulesets[0].name, args.lang))
    else:
        print(render_table(decisions, args.lang))
    denied = any(not d.permitted for d in decisions)
    return 1 if (args.fail_on_deny and denied) else 0


def _run_json(args: argparse.Namespace, policies: Policies) -> int:
    text = read_json_text(args, "check")
    if text is None:
        return 2
    fmt = args.format or "json"
    errors = denied = False
    for job in json_jobs(text, args.coop, policies):
        error = job.error
        if error is None:
            try:
                decisions = [decide(rs, job.body) for rs in job.rulesets]
            except CoopcheckError as err:
                error = err
        if error is not None:
            errors = True
            print_error(error, job.line, fmt)
            continue
        for rs, d in zip(job.rulesets, decisions):
            denied = denied or not d.permitted
            if fmt == "json":
                print(json.dumps(d.to_json(args.lang), ensure_ascii=False))
            else:
                print(render_decision(d, rs.name, args.lang) + "\n")
        sys.stdout.flush()
    if errors:
        return 2
    return 1 if (args.fail_on_deny and denied) else 0
