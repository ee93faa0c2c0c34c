"""Document symbols: a document's outline (header, imports, metadata, declarations by
kind, rules, cases; an inventory's clauses).
"""

from __future__ import annotations

from lsprotocol import types as lsp

from coopcheck.dsl import ast

from coopcheck.core.vocabulary import KIND_NAMES

from coopcheck.lsp.model import Model
from coopcheck.lsp.positions import Positions
from coopcheck.lsp.statements import citation_of, summary


_SYMBOL_KINDS = {"item": lsp.SymbolKind.Field, "party": lsp.SymbolKind.Class, "purpose": lsp.SymbolKind.Event,
                 "subject": lsp.SymbolKind.Struct, "exception": lsp.SymbolKind.Constant,
                 "obligation": lsp.SymbolKind.Property, "coop": lsp.SymbolKind.Module}


def symbols(model: Model, pos: Positions) -> list[lsp.DocumentSymbol]:
    """The outline: header, imports, metadata, declarations (by kind), rules, cases; for an
    inventory, its clauses."""
    lines = model.lines
    if model.suffix == ".clauses":
        out = []
        for c in model.clauses:
            span = ast.Span(model.shown, c.line, 1, c.line, len(lines[c.line - 1]) + 1)
            sel = ast.Span(model.shown, c.line, 1, c.line, len(c.label) + 1)
            out.append(lsp.DocumentSymbol(name=c.label, detail=c.reason or "", kind=lsp.SymbolKind.String,
                                          range=pos.range(lines, span), selection_range=pos.range(lines, sel)))
        return out
    groups: dict[str, list[lsp.DocumentSymbol]] = {}
    top: list[lsp.DocumentSymbol] = []
    for stmt in model.partial.statements:
        span = stmt.span
        if span is None:
            continue
        whole = pos.range(lines, span)

        def sym(name: str, kind, detail: str = "", sel: ast.Span | None = None) -> lsp.DocumentSymbol:
            return lsp.DocumentSymbol(name=name or "?", detail=detail, kind=kind, range=whole,
                                      selection_range=pos.range(lines, sel) if sel is not None else whole)

        if isinstance(stmt, (ast.ModuleHeader, ast.PolicyHeader, ast.TestsHeader)):
            word = {ast.ModuleHeader: "module", ast.PolicyHeader: "policy", ast.TestsHeader: "tests for"}[type(stmt)]
            term = getattr(stmt, "name", None) or getattr(stmt, "coop", None) or stmt.target
            top.append(sym(f"{word} {term}", lsp.SymbolKind.Namespace))
        elif isinstance(stmt, ast.Import):
            groups.setdefault("imports", []).append(sym(str(stmt.target), lsp.SymbolKind.Package, "import",
                                                        stmt.target.span))
        elif isinstance(stmt, ast.Meta):
            groups.setdefault("metadata", []).append(sym(stmt.key, lsp.SymbolKind.Property,
                                                         ", ".join(stmt.values)[:60]))
        elif isinstance(stmt, ast.Declaration):
            detail = KIND_NAMES.get(stmt.kind, stmt.kind) + (f" · {stmt.label}" if stmt.label else "")
            groups.setdefault(f"{KIND_NAMES.get(stmt.kind, stmt.kind)} terms", []).append(
                sym(stmt.name.key, _SYMBOL_KINDS.get(stmt.kind, lsp.SymbolKind.Variable), detail, stmt.name.span))
        elif isinstance(stmt, ast.RULE_TYPES):
            cite = citation_of(stmt)
            groups.setdefault("rules", []).append(sym(summary(lines, stmt, 60), lsp.SymbolKind.Function,
                                                      f"[{cite.text}]" if cite else ""))
        elif isinstance(stmt, ast.Case):
            groups.setdefault("cases", []).append(sym(stmt.name, lsp.SymbolKind.Method,
                                                      f"expect {stmt.expect.effect}"))
    for name, children in groups.items():
        first, last = children[0].range, children[-1].range
        top.append(lsp.DocumentSymbol(name=name, kind=lsp.SymbolKind.Namespace, detail=f"{len(children)}",
                                      range=lsp.Range(start=first.start, end=last.end),
                                      selection_range=lsp.Range(start=first.start, end=first.start),
                                      children=children))
    top.sort(key=lambda s: (s.range.start.line, s.range.start.character))
    return top
