"""Scenarios against several co-ops at once: a matrix of decisions, one row per scenario
and one column per co-op, each cell with its decision, basis and clauses — rendered as
text, Markdown, HTML or JSON.

>>> from engine import load_policy
>>> m = compare_matrix([("aizu", load_policy("aizu")), ("kuruko", load_policy("kuruko"))],
...                    [ScenarioInput(1, {"action": "share", "data": ["purchase_history"],
...                                       "recipient": "jccu", "purpose": "delivery"})])
>>> [(c.coop, c.decision.decision, c.decision.basis) for c in m.rows[0].cells]
[('aizu', 'permit', 'joint_use'), ('kuruko', 'deny', 'none')]
"""

from __future__ import annotations

import html
import json
from typing import Any, Iterable, Sequence

from attrs import frozen
from tabulate import tabulate

from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core.api import decide
from coopcheck.presentation.render import scenario_line
from coopcheck.core.decision import Decision
from coopcheck.presentation.wording import BASIS_WORDS
from coopcheck.core.ruleset import Ruleset

FORMATS = ("text", "markdown", "html", "json")

WORDS = {
    "en": {"permit": "PERMIT", "deny": "DENY", "scenario": "scenario", "no_rule": "no rule permits it",
           "error": "error", "title": "coopcheck: scenarios compared across co-ops", "consent": "consent would permit"},
    "ja": {"permit": "許可", "deny": "不許可", "scenario": "場面", "no_rule": "許可するルールなし",
           "error": "エラー", "title": "coopcheck: 生協間の判定比較", "consent": "同意があれば許可"},
}


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

    def to_json(self, lang: str = "en") -> dict:
        """``{"coop", "decision", "basis", "citations", "rules", "would_permit_with_consent"}``
        or ``{"coop", "error": {...}}``."""
        if self.decision is None:
            return {"coop": self.coop, "error": _error_json(self.error)}
        d = self.decision
        return {"coop": self.coop, "decision": d.decision, "basis": d.basis, "citations": list(d.citations),
                "rules": list(d.rules), "obligations": list(d.obligations),
                "would_permit_with_consent": d.would_permit_with_consent}

    def text(self, lang: str = "en") -> str:
        """The cell as lines: verdict and basis, then the clauses (``no rule permits it`` on a
        default deny; the error code and message on an error)."""
        w = WORDS["ja" if lang == "ja" else "en"]
        if self.decision is None:
            diag = self.error.diagnostics[0]
            return f"{w['error']} {diag.code}: {diag.message}"
        d = self.decision
        head = w[d.decision]
        if d.permitted:
            head += " " + (BASIS_WORDS["ja"][d.basis] if lang == "ja" else d.basis.replace("_", " "))
        lines = [head] + [f"[{c}]" for c in d.citations]
        if not d.permitted and not d.citations:
            lines.append(f"({w['no_rule']})")
        if d.would_permit_with_consent:
            lines.append(f"({w['consent']})")
        return "\n".join(lines)


@frozen
class Row:
    """One scenario and every co-op's answer (``error`` when the scenario could not be read)."""

    line: int
    label: str
    fields: Any
    cells: tuple[Cell, ...] = ()
    name: str | None = None
    error: CoopcheckError | None = None

    def to_json(self, lang: str = "en") -> dict:
        """``{"line", "name", "scenario", "results": [cell, ...]}`` (or ``"error"``)."""
        obj: dict = {"line": self.line, "name": self.name, "scenario": self.fields}
        if self.error is not None:
            obj["error"] = _error_json(self.error)
        else:
            obj["results"] = [c.to_json(lang) for c in self.cells]
        return obj


@frozen
class Matrix:
    """Scenarios (rows) × co-ops (columns)."""

    coops: tuple[str, ...]
    rows: tuple[Row, ...]
    lang: str = "en"

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
        return [r.to_json(self.lang) for r in self.rows]


def compare_matrix(rulesets: Sequence[tuple[str, Ruleset]], scenarios: Iterable[ScenarioInput],
                   lang: str = "en") -> Matrix:
    """Decide every scenario against every ruleset (``(column name, ruleset)`` pairs). A
    scenario a co-op cannot read (say, a term its vocabulary lacks) gets an error cell; the
    rest still run."""
    rows = []
    for sc in scenarios:
        if sc.error is not None:
            rows.append(Row(sc.line, sc.name or _raw(sc.fields), sc.fields, name=sc.name, error=sc.error))
            continue
        cells = []
        for name, rs in rulesets:
            try:
                if not isinstance(sc.fields, dict):
                    raise CoopcheckError([Diagnostic("E404", "a scenario must be a JSON object", None)])
                body = {k: v for k, v in sc.fields.items() if k != "coop"}
                cells.append(Cell(name, decision=decide(rs, body)))
            except CoopcheckError as err:
                cells.append(Cell(name, error=err))
        decided = next((c.decision for c in cells if c.decision is not None), None)
        label = scenario_line(decided, lang) if decided is not None else _raw(sc.fields)
        if sc.name:
            label = f"{sc.name}\n{label}"
        rows.append(Row(sc.line, label, sc.fields, tuple(cells), sc.name))
    return Matrix(tuple(name for name, _ in rulesets), tuple(rows), lang)


def _raw(fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False) if fields is not None else "—"


def _error_json(err: CoopcheckError | None) -> dict:
    diag = err.diagnostics[0] if err is not None else Diagnostic("E404", "unreadable scenario")
    obj = diag.to_json()
    if err is not None and err.field:
        obj["field"] = err.field
    return obj


def _table_rows(matrix: Matrix) -> list[list[str]]:
    rows = []
    for r in matrix.rows:
        if r.error is not None:
            diag = r.error.diagnostics[0]
            text = f"{WORDS[matrix.lang]['error']} {diag.code}: {diag.message}"
            rows.append([str(r.line), r.label] + [text] * len(matrix.coops))
        else:
            rows.append([str(r.line), r.label] + [c.text(matrix.lang) for c in r.cells])
    return rows


def render_text(matrix: Matrix) -> str:
    """A grid table (tabulate; East Asian wide characters measured as two columns)."""
    headers = ["#", WORDS[matrix.lang]["scenario"], *matrix.coops]
    widths = [None, 48] + [36] * len(matrix.coops)
    return tabulate(_table_rows(matrix), headers=headers, tablefmt="simple_grid", maxcolwidths=widths)


def render_markdown(matrix: Matrix) -> str:
    """A GitHub Markdown table; line breaks in a cell become ``<br>``, pipes are escaped."""

    def cell(text: str) -> str:
        return html.escape(text, quote=False).replace("|", "\\|").replace("\n", "<br>")

    headers = ["#", WORDS[matrix.lang]["scenario"], *matrix.coops]
    rows = [[cell(t) for t in row] for row in _table_rows(matrix)]
    return tabulate(rows, headers=[cell(h) for h in headers], tablefmt="github")


_CSS = ("body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:collapse}"
        "th,td{border:1px solid #999;padding:.3rem .5rem;vertical-align:top;text-align:left}"
        "td.permit{background:#e8f5e9}td.deny{background:#ffebee}td.error{background:#fff8e1}"
        ".wrap{overflow-x:auto}")


def render_html(matrix: Matrix) -> str:
    """A self-contained HTML page with one plain table (every text escaped, no scripts,
    no external resources)."""
    w = WORDS[matrix.lang]
    esc = html.escape

    def lines(text: str) -> str:
        return "<br>".join(esc(t) for t in text.split("\n"))

    head = "".join(f"<th>{esc(h)}</th>" for h in ["#", w["scenario"], *matrix.coops])
    body = []
    for r, texts in zip(matrix.rows, _table_rows(matrix)):
        kinds = (["error"] * len(matrix.coops) if r.error is not None else
                 ["error" if c.decision is None else c.decision.decision for c in r.cells])
        tds = "".join(f'<td class="{k}">{lines(t)}</td>' for k, t in zip(kinds, texts[2:]))
        body.append(f"<tr><td>{esc(texts[0])}</td><td>{lines(texts[1])}</td>{tds}</tr>")
    return (f'<!DOCTYPE html>\n<html lang="{matrix.lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(w['title'])}</title><style>{_CSS}</style></head>\n<body><h1>{esc(w['title'])}</h1>"
            f'<div class="wrap"><table><thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(body) +
            "\n</tbody></table></div></body></html>")


def render(matrix: Matrix, fmt: str) -> str:
    """The matrix in one of :data:`FORMATS`."""
    if fmt == "json":
        return json.dumps(matrix.to_json(), ensure_ascii=False, indent=1)
    return {"text": render_text, "markdown": render_markdown, "html": render_html}[fmt](matrix)
