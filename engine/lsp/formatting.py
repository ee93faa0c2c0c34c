"""Formatting: ``coopcheck fmt``'s layout of a document, as one edit.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from coopcheck.dsl.errors import CoopcheckError
from coopcheck.dsl.formatter import format_text

from coopcheck.lsp.model import Model
from coopcheck.lsp.positions import Positions


def formatting(model: Model, pos: Positions) -> list[lsp.TextEdit] | None:
    """``coopcheck fmt``'s layout as one edit (None: the file does not parse; [] when it is
    already formatted)."""
    if model.suffix not in (".policy", ".rules", ".test"):
        return None
    try:
        formatted = format_text(model.text, model.shown)
    except CoopcheckError:
        return None
    if formatted == model.text:
        return []
    lines = model.lines
    end = pos.to_client(lines, len(lines), len(lines[-1]) + 1)
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]
