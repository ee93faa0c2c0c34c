"""Clause inventories: proof that no normative clause of a source policy was skipped.

``policies/<coop>.clauses`` lists every clause of the co-op's source text that says anything
normative, one per line::

    指針1 ①
    指針4 | security measures: recorded as the obligation supervise_contractor and a note

A clause with a reason after ``|`` decides no data use (or is encoded elsewhere, as the
reason says); every other clause must be cited by a rule or a metadata line of the policy.
Conversely every clause the policy cites must be in the inventory.
"""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from coopcheck.dsl.ast import Span
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic, line_of

from coopcheck.core.loader import display_path
from coopcheck.core.ruleset import Ruleset


@frozen
class Clause:
    """One inventory line: a clause label and, if it encodes no rule, why."""

    label: str
    reason: str | None
    line: int


def inventory_path(policy_file: Path) -> Path:
    """Where a policy's inventory lives: beside it, ``<stem>.clauses``."""
    return policy_file.with_suffix(".clauses")


def read_inventory(path: Path) -> tuple[list[Clause], list[Diagnostic]]:
    """Parse an inventory file; malformed or duplicate lines are diagnostics."""
    shown = display_path(path)
    text = path.read_text(encoding="utf-8")
    clauses: list[Clause] = []
    errors: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        label, _, reason = (part.strip() for part in line.partition("|"))
        span = Span(shown, number, 1, number, len(raw) + 1)
        if not label or ("|" in line and not reason):
            errors.append(Diagnostic(Code.E503, "an inventory line is `CLAUSE` or `CLAUSE | reason`", span,
                                     "write why the clause decides no data use after `|`",
                                     source_line=raw))
            continue
        if label in seen:
            errors.append(Diagnostic(Code.E503, f"clause `{label}` is listed twice", span,
                                     f"first listed on line {seen[label]}", source_line=raw))
            continue
        seen[label] = number
        clauses.append(Clause(label, reason or None, number))
    return clauses, errors


def check_inventory(ruleset: Ruleset, path: Path) -> list[Diagnostic]:
    """Every inventory clause cited or explained; every cited clause inventoried."""
    clauses, problems = read_inventory(path)
    shown = display_path(path)
    text = path.read_text(encoding="utf-8")
    cited: dict[str, list] = {}
    for rule in ruleset.rules:
        if rule.module == ruleset.coop and rule.clause:
            cited.setdefault(rule.clause, []).append(rule)
    for clause in ruleset.meta_clauses:
        cited.setdefault(clause, [])
    listed = {c.label for c in clauses}
    for c in clauses:
        if c.reason is None and c.label not in cited:
            problems.append(Diagnostic(
                Code.E501, f"clause `{c.label}` is neither cited by a rule nor explained",
                Span(shown, c.line, 1, c.line, len(c.label) + 1),
                "encode it as a rule citing it, or add `| why it decides no data use`",
                source_line=line_of(text, c.line)))
    for label, rules in cited.items():
        if label not in listed:
            where = rules[0] if rules else None
            span = Span(where.file, where.line, 1, where.line, 2) if where is not None and where.file else None
            problems.append(Diagnostic(
                Code.E502, f"`{label}` is cited but is not a clause of the inventory `{shown}`", span,
                "fix the citation or add the clause to the inventory"))
    return sorted(problems, key=Diagnostic.sort_key)
