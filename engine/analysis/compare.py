"""Scenarios against several co-ops at once: a matrix of decisions, one row per scenario
and one column per co-op, each cell with its decision, basis and clauses (or the input error
that stopped it). :mod:`coopcheck.presentation.compare_render` puts the matrix into words and
renders it as text, Markdown, HTML or JSON.

>>> from engine import load_policy
>>> m = compare_matrix([("aizu", load_policy("aizu")), ("kuruko", load_policy("kuruko"))],
...                    [ScenarioInput(1, {"action": "share", "data": ["purchase_history"],
...                                       "recipient": "jccu", "purpose": "delivery"})])
>>> [(c.coop, c.decision.decision, c.decision.basis) for c in m.rows[0].cells]
[('aizu', 'permit', 'joint_use'), ('kuruko', 'deny', 'none')]
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from attrs import frozen

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core.api import decide
from coopcheck.core.decision import Decision
from coopcheck.core.ruleset import Ruleset


@frozen
class ScenarioInput:
    """One scenario to compare: where it came from (``line``), an optional ``name`` (a test
    case's), its fields in the JSON contract, or the error that stops it from being read."""

    line: int
    fields: Any = None
    name: str | None = None
    error: CoopcheckError | None = None


@frozen
class Cell:
    """One co-op's answer to one scenario: a decision, or the input error it raised."""

    coop: str
    decision: Decision | None = None
    error: CoopcheckError | None = None

    def to_json(self) -> dict:
        """``{"coop", "decision", "basis", "citations", "rules", "would_permit_with_consent"}``
        or ``{"coop", "error": {...}}``."""
        if self.decision is None:
            return {"coop": self.coop, "error": _error_json(self.error)}
        d = self.decision
        return {"coop": self.coop, "decision": d.decision, "basis": d.basis, "citations": list(d.citations),
                "rules": list(d.rules), "obligations": list(d.obligations),
                "would_permit_with_consent": d.would_permit_with_consent}


@frozen
class Row:
    """One scenario and every co-op's answer (``error`` when the scenario could not be read)."""

    line: int
    fields: Any
    cells: tuple[Cell, ...] = ()
    name: str | None = None
    error: CoopcheckError | None = None

    def to_json(self) -> dict:
        """``{"line", "name", "scenario", "results": [cell, ...]}`` (or ``"error"``)."""
        obj: dict = {"line": self.line, "name": self.name, "scenario": self.fields}
        if self.error is not None:
            obj["error"] = _error_json(self.error)
        else:
            obj["results"] = [c.to_json() for c in self.cells]
        return obj


@frozen
class Matrix:
    """Scenarios (rows) × co-ops (columns)."""

    coops: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def has_errors(self) -> bool:
        """Whether a scenario could not be read or a co-op could not decide it."""
        return any(r.error is not None or any(c.error is not None for c in r.cells) for r in self.rows)

    @property
    def has_denials(self) -> bool:
        """Whether any co-op denied any scenario."""
        return any(c.decision is not None and not c.decision.permitted for r in self.rows for c in r.cells)

    def to_json(self) -> list[dict]:
        """A list of rows."""
        return [r.to_json() for r in self.rows]


def compare_matrix(rulesets: Sequence[tuple[str, Ruleset]], scenarios: Iterable[ScenarioInput]) -> Matrix:
    """Decide every scenario against every ruleset (``(column name, ruleset)`` pairs). A
    scenario a co-op cannot read (say, a term its vocabulary lacks) gets an error cell; the
    rest still run."""
    rows = []
    for sc in scenarios:
        if sc.error is not None:
            rows.append(Row(sc.line, sc.fields, name=sc.name, error=sc.error))
            continue
        cells = []
        for name, rs in rulesets:
            try:
                if not isinstance(sc.fields, dict):
                    raise CoopcheckError([Diagnostic(Code.E404, "a scenario must be a JSON object", None)])
                body = {k: v for k, v in sc.fields.items() if k != "coop"}
                cells.append(Cell(name, decision=decide(rs, body)))
            except CoopcheckError as err:
                cells.append(Cell(name, error=err))
        rows.append(Row(sc.line, sc.fields, tuple(cells), sc.name))
    return Matrix(tuple(name for name, _ in rulesets), tuple(rows))


def _error_json(err: CoopcheckError | None) -> dict:
    diag = err.diagnostics[0] if err is not None else Diagnostic(Code.E404, "unreadable scenario")
    obj = diag.to_json()
    if err is not None and err.field:
        obj["field"] = err.field
    return obj
