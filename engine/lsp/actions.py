"""Code actions (quick fixes) for a published diagnostic: apply its did-you-mean (the
replacement :func:`coopcheck.lsp.diagnostics.to_lsp` put in its ``data``), or allow a lint
warning on its statement with a ``# coopcheck: allow`` line.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from coopcheck.dsl.codes import lookup

from coopcheck.lsp.model import Model
from coopcheck.lsp.positions import Positions
from coopcheck.lsp.statements import statement_at


def fix_action(uri: str, diagnostic: lsp.Diagnostic) -> lsp.CodeAction | None:
    """The quick fix that applies a diagnostic's did-you-mean suggestion."""
    data = diagnostic.data if isinstance(diagnostic.data, dict) else None
    fix = data.get("fix") if data else None
    if not fix:
        return None
    r = fix["range"]
    edit_range = lsp.Range(start=lsp.Position(line=r["start"]["line"], character=r["start"]["character"]),
                           end=lsp.Position(line=r["end"]["line"], character=r["end"]["character"]))
    return lsp.CodeAction(
        title=f"Replace `{fix['oldText']}` with `{fix['newText']}`", kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diagnostic], is_preferred=True,
        edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=edit_range, new_text=fix["newText"])]}))


def allow_action(model: Model, uri: str, diagnostic: lsp.Diagnostic, pos: Positions) -> lsp.CodeAction | None:
    """The quick fix that allows a lint warning on its statement: a line
    ``# coopcheck: allow CODE -- TODO: …`` above the statement (an allowance on a line of its
    own covers the next statement; each has its own reason, so the placeholder is there to be
    replaced by why the warning is right to ignore)."""
    code = lookup(str(diagnostic.code)) if diagnostic.code is not None else None
    if code is None or not code.allowable:
        return None
    stmt = statement_at(model.partial, diagnostic.range.start.line + 1)
    first = stmt.span.line if stmt is not None and stmt.span is not None else diagnostic.range.start.line + 1
    at = lsp.Position(line=first - 1, character=0)
    edit = lsp.TextEdit(range=lsp.Range(start=at, end=at),
                        new_text=f"# coopcheck: allow {code} -- TODO: say why this is right here\n")
    return lsp.CodeAction(title=f"Allow {code} on this statement (# coopcheck: allow {code} -- reason)",
                          kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                          edit=lsp.WorkspaceEdit(changes={uri: [edit]}))
