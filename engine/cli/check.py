"""``coopcheck check``: decide scenarios given as flags or as JSON (one object or JSON Lines)."""

from __future__ import annotations

import argparse
import shutil
import sys

from coopcheck.dsl.errors import CoopcheckError

from coopcheck.core.api import decide
from coopcheck.core.evaluator import evaluator_for
from coopcheck.cli.inputs import (Policies, add_scenario_arguments, flags_scenario, missing_flags, run_json_jobs,
                                  scenario_rulesets)
from coopcheck.presentation.decision_json import DecisionWriter
from coopcheck.presentation.render import render_decision, render_table

HELP = "decide a proposed data use against one co-op's policy or all of them"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``check``'s arguments."""
    add_scenario_arguments(p)
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                   help="with --json: decide in N processes, answers in input order (default 1)")


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number of processes") from None
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError("--jobs takes 1 to 64 processes")
    return n


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
        decisions = [decide(rs, flags_scenario(args, rs.vocabulary)) for rs in rulesets]
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
    if args.jobs > 1:
        from coopcheck.cli.parallel import run_parallel

        return run_parallel(args, "check", pipeline)
    return run_json_jobs(args, policies, "check", *pipeline(args, policies))


def pipeline(args: argparse.Namespace, policies: Policies) -> tuple:
    """``(answer, show, quick)`` for :func:`~coopcheck.cli.inputs.run_json_jobs`: how ``check``
    decides a JSON scenario and writes its answer (to standard output as it is when written)."""
    writer = DecisionWriter(args.lang)

    def write(text: str) -> None:
        sys.stdout.write(text)

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

    quick = table_answers(writer, args.coop, policies) if (args.format or "json") == "json" else None
    return answer, show, quick


#: How many distinct ``coop`` values :func:`table_answers` remembers the evaluators of.
COOP_LIMIT = 1024


def table_answers(writer: DecisionWriter, default_coop: str | None, policies: Policies):
    """``quick(object) -> (lines, denied) | None`` for :func:`run_json_jobs`: the JSON lines (UTF-8) of
    a scenario object that every co-op it is for answers from its decision tables
    (:meth:`DecisionWriter.table_line`), without building the decisions; None for any other
    object (an error, a name or a table cell not seen yet), which the full path then answers
    with the same bytes."""
    evaluators: dict = {}  # the scenario's `coop` (None: not given) -> its evaluators, or None

    def evaluators_of(coop):
        try:
            return evaluators[coop]
        except KeyError:
            pass
        except TypeError:  # a list or an object: not a co-op (the full path says so)
            return None
        try:
            found = [evaluator_for(rs) for rs in scenario_rulesets(coop, default_coop, policies)]
        except CoopcheckError:
            found = None
        if len(evaluators) < COOP_LIMIT:
            evaluators[coop] = found
        return found

    def quick(obj):
        if type(obj) is not dict:
            return None
        found = evaluators_of(obj.get("coop"))
        if found is None:
            return None
        if len(found) == 1:
            line = writer.table_line(found[0], obj, True)  # (which reads no `coop`)
            return None if line is None else (line[0] + b"\n", not line[1])
        lines, denied = [], False
        for ev in found:
            line = writer.table_line(ev, obj, True)
            if line is None:
                return None
            lines.append(line[0] + b"\n")
            denied = denied or not line[1]
        return b"".join(lines), denied

    return quick
