"""``coopcheck compare``: scenarios against several co-ops, as a matrix of decisions.

Scenarios come from the scenario flags (one scenario), ``--json FILE|-`` (one object, an
array or JSON Lines, as ``check`` reads them) or ``--scenarios FILE`` (JSON Lines, or a
rule-file test file of ``case`` lines: its ``tests for`` line and its expectations are
ignored, each case's scenario is decided against every co-op chosen and named by the case).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterator

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core import paths
from coopcheck.core.api import load_file, shipped_policies
from coopcheck.analysis.compare import ScenarioInput, compare_matrix
from coopcheck.core.ruleset import Ruleset
from coopcheck.cli.inputs import add_scenario_fields, flags_scenario, load_ruleset, read_json_text, read_scenarios
from coopcheck.presentation.compare_render import FORMATS, render

HELP = "decide scenarios against several co-ops and show the decisions side by side"

_SCENARIO_FLAGS = ("action", "data", "recipient", "purpose", "subject", "exception")


def register(p: argparse.ArgumentParser) -> None:
    """Add ``compare``'s arguments."""
    p.add_argument("--coop", default="all",
                   help="`all` (default) or a comma-separated list of co-op ids, names or .policy files")
    add_scenario_fields(p)
    p.add_argument("--json", metavar="FILE", help="read scenarios as JSON (one object, an array or JSON Lines) "
                   "from FILE, or `-` for stdin")
    p.add_argument("--scenarios", metavar="FILE",
                   help="read scenarios from FILE: JSON Lines, or `case` lines of a .test file")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the table (default: en)")
    p.add_argument("--fail-on-deny", action="store_true", help="exit 1 if any co-op denies any scenario")


def _error(message: str) -> int:
    print(f"coopcheck compare: error: {message}", file=sys.stderr)
    return 2


def load_columns(spec: str) -> list[tuple[str, Ruleset]]:
    """The co-ops of ``--coop``: ``all`` or a comma list of ids, names and policy files, as
    ``(column name, ruleset)``; a co-op named twice (two versions of one file) is named by
    what was written."""
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if names == ["all"] or not names:
        names = shipped_policies()
    loaded = [(name, load_ruleset(name)) for name in names]
    ids = [rs.coop or name for name, rs in loaded]
    return [(rs.coop if rs.coop and ids.count(rs.coop) == 1 else name, rs) for name, rs in loaded]


def _json_inputs(text: str) -> Iterator[ScenarioInput]:
    for number, obj, error in read_scenarios(text):
        yield ScenarioInput(number, obj, error=error)


def _case_inputs(text: str, filename: str) -> Iterator[ScenarioInput]:
    """The scenarios of ``case`` lines (a test file; the header may be left out)."""
    module = dsl.parse(text, filename)
    for stmt in module.statements:
        if isinstance(stmt, ast.TestsHeader):
            continue
        if not isinstance(stmt, ast.Case):
            raise CoopcheckError([Diagnostic(Code.E306, "a scenario file holds only `tests for` and `case` statements",
                                             stmt.span, "write each scenario as `case \"name\": ... expect ...`")])
        sc = stmt.scenario
        # a case line is written in the rule language, where a plural names its term
        # (`of prospects`): its words are read as a rule file reads them
        word = _rule_words()
        fields: dict = {"action": sc.action, "data": [word(t.text, "item") for t in sc.items],
                        "purpose": word(sc.purpose.text, "purpose"), "consent": sc.consent}
        for name, term, kind in (("subject", sc.subject, "subject"), ("recipient", sc.recipient, "party"),
                                 ("exception", sc.exception, "exception")):
            if term is not None:
                fields[name] = word(term.text, kind)
        yield ScenarioInput(stmt.span.line if stmt.span else 0, fields, name=stmt.name)


def _rule_words():
    """A function reading a term of a case line as a rule file does (plurals included): its id,
    or the text unchanged when it names nothing (the scenario gate then says why)."""
    vocab = load_file(paths.rules_dir() / "vocabulary.rules").vocabulary

    def word(text: str, kind: str) -> str:
        try:
            return vocab.resolve(text, kind)
        except LookupError:
            return text

    return word


def _is_json(text: str, path: str) -> bool:
    if path.endswith((".json", ".jsonl")):
        return True
    if path.endswith(".test"):
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped[0] in "{["
    return True


def scenario_inputs(args: argparse.Namespace) -> list[ScenarioInput] | int:
    """The scenarios to compare, or an exit code after printing why there are none."""
    flags = [f"--{n}" for n in _SCENARIO_FLAGS if getattr(args, n) is not None] + (
        ["--consent"] if args.consent else [])
    sources = [s for s, given in (("--json", args.json is not None), ("--scenarios", args.scenarios is not None),
                                  ("scenario flags", bool(flags))) if given]
    if len(sources) > 1:
        return _error(f"give scenarios one way, not with {' and '.join(sources)}")
    if args.json is not None:
        text = read_json_text(args, "compare")
        return 2 if text is None else list(_json_inputs(text))
    if args.scenarios is not None:
        try:
            text = Path(args.scenarios).read_text(encoding="utf-8")
        except OSError as err:
            return _error(f"cannot read `{args.scenarios}`: {err.strerror}")
        except UnicodeDecodeError as err:
            return _error(f"`{args.scenarios}` is not UTF-8 text (byte {err.start})")
        if _is_json(text, args.scenarios):
            return list(_json_inputs(text))
        try:
            return list(_case_inputs(text, args.scenarios))
        except CoopcheckError as err:
            print(err.render(), file=sys.stderr)
            return 2
    missing = [f"--{n}" for n in ("action", "data", "purpose") if getattr(args, n) is None]
    if missing:
        return _error(f"missing {', '.join(missing)} (or give scenarios with --json FILE or --scenarios FILE)")
    return [ScenarioInput(1, flags_scenario(args))]


def run(args: argparse.Namespace) -> int:
    """Run ``compare``: exit 0 all decided, 1 a deny with ``--fail-on-deny``, 2 an input error
    (the other scenarios and co-ops still run)."""
    try:
        columns = load_columns(args.coop)
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    except OSError as err:
        return _error(f"cannot read `{err.filename}`: {err.strerror}")
    inputs = scenario_inputs(args)
    if isinstance(inputs, int):
        return inputs
    matrix = compare_matrix(columns, inputs)
    print(render(matrix, args.format, args.lang))
    if matrix.has_errors:
        return 2
    return 1 if args.fail_on_deny and matrix.has_denials else 0
