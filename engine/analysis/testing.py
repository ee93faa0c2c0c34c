"""Rule-file tests (``.test`` files): scenarios with expected decisions, like ``opa test``.

A test file starts with ``tests for COOP`` (a shipped policy id) or ``tests for "x.policy"``
(a path relative to the test file) and holds ``case`` statements; see docs/language.md.
"""

from __future__ import annotations

from pathlib import Path

from attrs import field, frozen

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic, line_of

from coopcheck.core.api import load_file, load_policy
from coopcheck.core.api import decide
from coopcheck.core.decision import Decision
from coopcheck.analysis.inventory import check_inventory, inventory_path
from coopcheck.core.kinds import BASIS_ORDER, Basis
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.scenario import Scenario, scenario_from_dict

BASES = tuple(str(b) for b in (*BASIS_ORDER, Basis.NONE, Basis.MIXED))


@frozen
class CaseResult:
    """The outcome of one test case."""

    file: str
    line: int
    name: str
    passed: bool
    failures: tuple[str, ...] = ()
    decision: Decision | None = None


@frozen
class FileResult:
    """The outcome of one test file: its cases, or the errors that stopped it."""

    file: str
    cases: tuple[CaseResult, ...] = ()
    errors: tuple[Diagnostic, ...] = ()
    inventory: tuple[Diagnostic, ...] = ()  # clause-inventory problems (count as failures)
    inventory_file: str | None = None
    ruleset: Ruleset | None = field(default=None, eq=False, repr=False)  # the policy tested


def find_test_files(paths: list[Path]) -> list[Path]:
    """``.test`` files named, or found under the folders named, sorted; a policy file named
    stands for the test file beside it (``sakura.policy`` → ``sakura.test``)."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(p.rglob("*.test")))
        elif p.suffix == ".policy":
            found.append(p.with_suffix(".test"))
        else:
            found.append(p)
    return found


def run_file(path: Path, shown: str | None = None) -> FileResult:
    """Run every case of one test file."""
    shown = shown or str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as err:
        return FileResult(shown, errors=(Diagnostic(Code.E302, f"cannot read `{shown}`: {err.strerror}"),))
    try:
        module = dsl.parse(source, shown)
        ruleset = _target(module, path, source)
    except CoopcheckError as err:
        return FileResult(shown, errors=err.diagnostics)
    results, errors = [], []
    for case in module.of_type(ast.Case):
        try:
            scenario = _scenario(case.scenario, ruleset, source)
        except CoopcheckError as err:
            errors.extend(err.diagnostics)
            continue
        decision = decide(ruleset, scenario)
        failures = _compare(case.expect, decision, ruleset, source, errors)
        results.append(CaseResult(shown, case.span.line, case.name, not failures, tuple(failures), decision))
    for stmt in module.statements:
        if not isinstance(stmt, (ast.Case, ast.TestsHeader)):
            errors.append(Diagnostic(Code.E306, "a test file holds only `tests for` and `case` statements",
                                     stmt.span, source_line=line_of(source, stmt.span.line)))
    inventory, inventory_file = (), None
    if ruleset.files:
        candidate = inventory_path(Path(ruleset.files[-1]))
        if candidate.is_file():
            inventory, inventory_file = tuple(check_inventory(ruleset, candidate)), str(candidate)
    return FileResult(shown, tuple(results), tuple(errors), inventory, inventory_file, ruleset)


def _target(module: ast.Module, path: Path, source: str) -> Ruleset:
    header = module.header
    if not isinstance(header, ast.TestsHeader):
        raise CoopcheckError([Diagnostic(Code.E305, "a test file must start with `tests for COOP`",
                                         ast.Span(module.path, 1, 1, 1, 2), "e.g. `tests for aizu`",
                                         source_line=line_of(source, 1))])
    target = header.target
    if target.quoted:
        return load_file(path.parent / target.text)
    try:
        return load_policy(target.text)
    except CoopcheckError as err:
        d = err.diagnostics[0]
        raise CoopcheckError([Diagnostic(d.code, d.message, target.span, d.help,
                                         source_line=line_of(source, target.span.line))]) from None


def _scenario(sc: ast.CaseScenario, ruleset: Ruleset, source: str) -> Scenario:
    """Validate a case's scenario exactly as a JSON scenario is validated; an error points
    at the part of the case it is about."""
    data = {"action": sc.action, "data": [t.text for t in sc.items], "purpose": sc.purpose.text,
            "consent": sc.consent}
    parts: dict[str, ast.Span | None] = {"purpose": sc.purpose.span, "action": sc.span, "recipient": sc.span}
    items = [t.span for t in sc.items if t.span]
    if items:
        parts["data"] = ast.Span(items[0].file, items[0].line, items[0].column,
                                 items[-1].end_line, items[-1].end_column)
    for name, term in (("subject", sc.subject), ("recipient", sc.recipient), ("exception", sc.exception)):
        if term is not None:
            data[name] = term.text
            parts[name] = term.span
    try:
        return scenario_from_dict(data, ruleset.vocabulary, coop=ruleset.coop)
    except CoopcheckError as err:
        d = err.diagnostics[0]
        span = parts.get(err.field or "") or sc.span
        raise CoopcheckError([Diagnostic(d.code, d.message, span, d.help,
                                         source_line=line_of(source, span.line))]) from None


def _compare(expect: ast.Expectation, decision: Decision, ruleset: Ruleset, source: str,
             errors: list[Diagnostic]) -> list[str]:
    failures = []
    if decision.decision != expect.effect:
        failures.append(f"expected {expect.effect}, got {decision.decision}")
    if expect.basis is not None:
        basis = expect.basis.key
        if basis not in BASES:
            errors.append(Diagnostic(Code.E201, f"unknown basis `{expect.basis.text}`", expect.basis.span,
                                     "bases: " + ", ".join(b.replace("_", " ") for b in BASES),
                                     source_line=line_of(source, expect.basis.span.line)))
        elif decision.basis != basis:
            failures.append(f"expected basis {basis}, got {decision.basis}")
    if expect.citation is not None:
        wanted = expect.citation.text
        cited = decision.citations
        if not any(c == wanted or c.endswith(" " + wanted) for c in cited):
            failures.append(f"expected a citation of [{wanted}], got "
                            + (", ".join(f"[{c}]" for c in cited) or "none"))
    return failures
