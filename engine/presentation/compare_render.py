"""A comparison matrix (:mod:`coopcheck.analysis.compare`) in words: each cell's verdict,
basis and clauses, each row's scenario, in English or Japanese — rendered as text, Markdown,
HTML or JSON.

>>> from coopcheck.core.api import load_policy
>>> from coopcheck.analysis.compare import ScenarioInput, compare_matrix
>>> m = compare_matrix([("aizu", load_policy("aizu")), ("kuruko", load_policy("kuruko"))],
...                    [ScenarioInput(1, {"action": "share", "data": ["purchase_history"],
...                                       "recipient": "jccu", "purpose": "delivery"})])
>>> [cell_text(c).splitlines()[0] for c in m.rows[0].cells]
['PERMIT joint use', 'DENY']
>>> row_label(m.rows[0], "ja").split(" ")[0]
'提供'
"""

from __future__ import annotations

import html
import json
from typing import Any

from tabulate import tabulate

from coopcheck.analysis.compare import Cell, Matrix, Row
from coopcheck.presentation.render import scenario_line
from coopcheck.presentation.wording import BASIS_WORDS

#: The output formats :func:`render` knows.
FORMATS = ("text", "markdown", "html", "json")

#: The words of the matrix per language: verdicts, headings, notes under a cell, the page title.
WORDS = {
    "en": {"permit": "PERMIT", "deny": "DENY", "scenario": "scenario", "no_rule": "no rule permits it",
           "error": "error", "title": "coopcheck: scenarios compared across co-ops", "consent": "consent would permit"},
    "ja": {"permit": "許可", "deny": "不許可", "scenario": "場面", "no_rule": "許可するルールなし",
           "error": "エラー", "title": "coopcheck: 生協間の判定比較", "consent": "同意があれば許可"},
}


def _words(lang: str) -> dict:
    return WORDS["ja" if lang == "ja" else "en"]


def cell_text(cell: Cell, lang: str = "en") -> str:
    """The cell as lines: verdict and basis, then the clauses (``no rule permits it`` on a
    default deny; the error code and message on an error)."""
    w = _words(lang)
    if cell.decision is None:
        diag = cell.error.diagnostics[0]
        return f"{w['error']} {diag.code}: {diag.message}"
    d = cell.decision
    head = w[d.decision]
    if d.permitted:
        head += " " + (BASIS_WORDS["ja"][d.basis] if lang == "ja" else d.basis.replace("_", " "))
    lines = [head] + [f"[{c}]" for c in d.citations]
    if not d.permitted and not d.citations:
        lines.append(f"({w['no_rule']})")
    if d.would_permit_with_consent:
        lines.append(f"({w['consent']})")
    return "\n".join(lines)


def row_label(row: Row, lang: str = "en") -> str:
    """The row's scenario in words, as the first co-op that read it words it (its fields as
    JSON when no co-op could), under the test case's name if it has one; a scenario that could
    not be read is shown by its name or its raw fields."""
    if row.error is not None:
        return row.name or _raw(row.fields)
    decided = next((c.decision for c in row.cells if c.decision is not None), None)
    label = scenario_line(decided, lang) if decided is not None else _raw(row.fields)
    return f"{row.name}\n{label}" if row.name else label


def _raw(fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False) if fields is not None else "—"


def _table_rows(matrix: Matrix, lang: str) -> list[list[str]]:
    rows = []
    for r in matrix.rows:
        if r.error is not None:
            diag = r.error.diagnostics[0]
            text = f"{_words(lang)['error']} {diag.code}: {diag.message}"
            rows.append([str(r.line), row_label(r, lang)] + [text] * len(matrix.coops))
        else:
            rows.append([str(r.line), row_label(r, lang)] + [cell_text(c, lang) for c in r.cells])
    return rows


def render_text(matrix: Matrix, lang: str = "en") -> str:
    """A grid table (tabulate; East Asian wide characters measured as two columns)."""
    headers = ["#", _words(lang)["scenario"], *matrix.coops]
    widths = [None, 48] + [36] * len(matrix.coops)
    return tabulate(_table_rows(matrix, lang), headers=headers, tablefmt="simple_grid", maxcolwidths=widths)


def render_markdown(matrix: Matrix, lang: str = "en") -> str:
    """A GitHub Markdown table; line breaks in a cell become ``<br>``, pipes are escaped."""

    def cell(text: str) -> str:
        return html.escape(text, quote=False).replace("|", "\\|").replace("\n", "<br>")

    headers = ["#", _words(lang)["scenario"], *matrix.coops]
    rows = [[cell(t) for t in row] for row in _table_rows(matrix, lang)]
    return tabulate(rows, headers=[cell(h) for h in headers], tablefmt="github")


_CSS = ("body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:collapse}"
        "th,td{border:1px solid #999;padding:.3rem .5rem;vertical-align:top;text-align:left}"
        "td.permit{background:#e8f5e9}td.deny{background:#ffebee}td.error{background:#fff8e1}"
        ".wrap{overflow-x:auto}")


def render_html(matrix: Matrix, lang: str = "en") -> str:
    """A self-contained HTML page with one plain table (every text escaped, no scripts,
    no external resources)."""
    w = _words(lang)
    esc = html.escape

    def lines(text: str) -> str:
        return "<br>".join(esc(t) for t in text.split("\n"))

    head = "".join(f"<th>{esc(h)}</th>" for h in ["#", w["scenario"], *matrix.coops])
    body = []
    for r, texts in zip(matrix.rows, _table_rows(matrix, lang)):
        kinds = (["error"] * len(matrix.coops) if r.error is not None else
                 ["error" if c.decision is None else c.decision.decision for c in r.cells])
        tds = "".join(f'<td class="{k}">{lines(t)}</td>' for k, t in zip(kinds, texts[2:]))
        body.append(f"<tr><td>{esc(texts[0])}</td><td>{lines(texts[1])}</td>{tds}</tr>")
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(w['title'])}</title><style>{_CSS}</style></head>\n<body><h1>{esc(w['title'])}</h1>"
            f'<div class="wrap"><table><thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(body) +
            "\n</tbody></table></div></body></html>")


def render(matrix: Matrix, fmt: str, lang: str = "en") -> str:
    """The matrix in one of :data:`FORMATS` (JSON carries no wording, so ``lang`` does not
    change it)."""
    if fmt == "json":
        return json.dumps(matrix.to_json(), ensure_ascii=False, indent=1)
    return {"text": render_text, "markdown": render_markdown, "html": render_html}[fmt](matrix, lang)
