"""Lint's diagnostics as the client receives them: code, range, message and help line, and
in ``data`` the help and, for a "did you mean `X`?", the replacement
(``{"fix": {"range", "newText", "oldText"}}``) that :func:`coopcheck.lsp.actions.fix_action`
turns into a quick fix.
"""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic

from coopcheck.lsp.positions import Positions


_SUGGESTION = re.compile(r"did you mean `([^`]+)`")


def to_lsp(d: Diagnostic, lines: list[str], pos: Positions) -> lsp.Diagnostic:
    """A lint diagnostic for the client: its code, span, message and help line; ``data``
    keeps the help and, for a did-you-mean, the replacement (the code action's fix)."""
    message = d.message + (f"\nhelp: {d.help}" if d.help else "")
    data: dict = {"help": d.help}
    fix = suggested_fix(d, lines)
    if fix is not None:
        span, new_text, old_text = fix
        data["fix"] = {"range": _range_json(pos.range(lines, span)), "newText": new_text, "oldText": old_text}
    severity = lsp.DiagnosticSeverity.Error if d.severity == "error" else lsp.DiagnosticSeverity.Warning
    return lsp.Diagnostic(range=pos.range(lines, d.span), message=message, severity=severity,
                          code=str(d.code), source="coopcheck", data=data)


def _range_json(r: lsp.Range) -> dict:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def suggested_fix(d: Diagnostic, lines: list[str]) -> tuple[ast.Span, str, str] | None:
    """``(span, new text, old text)`` that applies a diagnostic's "did you mean `X`?", or None.

    What is replaced: the span's text when it is the word the message names (or the span is
    that word alone), else the word the message names in backticks, found inside the span.
    """
    if d.help is None or d.span is None or d.span.line != d.span.end_line:
        return None
    match = _SUGGESTION.search(d.help)
    if match is None or not 0 < d.span.line <= len(lines):
        return None
    suggestion = match.group(1)
    text = lines[d.span.line - 1]
    start, end = d.span.column - 1, d.span.end_column - 1
    current = text[start:end]
    named = re.findall(r"`([^`]+)`", d.message)
    wrong = named[0] if named else current
    if current in (wrong, f'"{wrong}"') or (not named and current.strip()):
        old = current
    elif wrong and wrong in current:
        start += current.index(wrong)
        end = start + len(wrong)
        old = wrong
    else:
        return None
    if not old.strip() or old == suggestion:
        return None
    new = suggestion
    if d.code == Code.E201 and "_" in suggestion and "_" not in old and not old.startswith('"'):
        new = suggestion.replace("_", " ")  # written in words: keep it in words
    return ast.Span(d.span.file, d.span.line, start + 1, d.span.line, end + 1), new, old
