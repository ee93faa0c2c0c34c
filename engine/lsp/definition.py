"""Go to definition: where what is under the cursor is defined (a term's declaration, a
citation's inventory line, an imported or tested file; from an inventory line, the statements
citing it).
"""

from __future__ import annotations

from pathlib import Path

from coopcheck.dsl import ast

from coopcheck.lsp.model import Model, resolve_import, test_target
from coopcheck.lsp.positions import span_contains
from coopcheck.lsp.statements import citation_of, citing, occurrences, resolve, statement_at


def definition(model: Model, line: int, column: int) -> list[tuple[Path, ast.Span]]:
    """Where what is under the cursor is defined: a term's declaration, a citation's
    inventory line, an imported file; on an inventory line, the statements citing it."""
    if model.suffix == ".clauses":
        clause = next((c for c in model.clauses if c.line == line), None)
        if clause is None or model.target is None:
            return []
        return [(model.target.path, s.span) for s in citing(model.target, clause.label)]
    stmt = statement_at(model.partial, line)
    if stmt is None:
        return []
    for term, kinds in occurrences(stmt):
        if not span_contains(term.span, line, column):
            continue
        if kinds[0] == "import":
            target = resolve_import(term, model.path)
            return [(target, ast.Span(str(target), 1, 1, 1, 1))] if target else []
        if isinstance(stmt, ast.TestsHeader):
            target = test_target(stmt, model.path)
            return [(target, ast.Span(str(target), 1, 1, 1, 1))] if target is not None else []
        tid = resolve(model.terms, term, kinds)
        found = model.declaration_of(tid) if tid else None
        if found is None:
            return []
        path, decl = found
        return [(path, decl.name.span or decl.span)]
    citation = citation_of(stmt)
    if citation is not None and span_contains(citation.span, line, column):
        clause = model.clause(citation.text)
        owner = model.policy
        if clause is not None and owner is not None and owner.inventory is not None:
            return [(owner.inventory, ast.Span(str(owner.inventory), clause.line, 1, clause.line,
                                               len(clause.label) + 1))]
    return []
