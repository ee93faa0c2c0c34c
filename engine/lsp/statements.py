"""What a document's statements say, for the language features: the terms a statement names
and the kinds they may be of, its citation, the statement at a line, the term a name resolves
to, a statement's words on one line, and the statements that mention a term or cite a clause.
"""

from __future__ import annotations

import re
from typing import Iterator

from coopcheck.dsl import ast

from coopcheck.analysis.lint_locations import strip_comment
from coopcheck.core.vocabulary import UnknownTerm, Vocabulary

from coopcheck.lsp.model import Model


#: The kinds a term may be of, by where it stands (as the compiler resolves it).
_SELECTORS = (("items", ("item",)), ("subjects", ("subject",)), ("recipients", ("party",)),
              ("purposes", ("purpose",)))
_RULES = (ast.Grant, ast.ClosedGrant, ast.Prohibition, ast.Requirement)


def occurrences(stmt) -> Iterator[tuple[ast.Term, tuple[str, ...]]]:
    """Every term a statement names, with what it may be: kinds of the vocabulary, or
    ``("declare", kind)`` for the name a declaration declares, ``("import",)``, ``("file",)``."""
    if isinstance(stmt, _RULES):
        for field, kinds in _SELECTORS:
            sel = getattr(stmt, field, None)
            if sel is not None:
                for term in sel.terms:
                    yield term, kinds
        for cond in getattr(stmt, "conditions", ()) + getattr(stmt, "exceptions", ()):
            if cond.kind == "exception" and cond.term is not None:
                yield cond.term, ("exception",)
        for term in getattr(stmt, "obligations", ()):
            yield term, ("obligation",)
        managed = getattr(stmt, "managed_by", None)
        if managed is not None and not managed.quoted:
            yield managed, ("coop", "party")
    elif isinstance(stmt, ast.Honour):
        for term in stmt.exceptions:
            yield term, ("exception",)
    elif isinstance(stmt, ast.Declaration):
        yield stmt.name, ("declare", stmt.kind)
        if stmt.parent is not None:
            yield stmt.parent, (stmt.kind,)
    elif isinstance(stmt, ast.Case):
        sc = stmt.scenario
        for term in sc.items:
            yield term, ("item",)
        for term, kinds in ((sc.subject, ("subject",)), (sc.recipient, ("party",)),
                            (sc.purpose, ("purpose",)), (sc.exception, ("exception",))):
            if term is not None:
                yield term, kinds
    elif isinstance(stmt, ast.PolicyHeader):
        yield stmt.coop, ("coop",)
    elif isinstance(stmt, ast.TestsHeader):
        yield stmt.target, ("file",) if stmt.target.quoted else ("coop",)
    elif isinstance(stmt, ast.Import):
        yield stmt.target, ("import",)


def citation_of(stmt) -> ast.Citation | None:
    """The citation a statement ends with (a case's ``citing [...]`` too)."""
    if isinstance(stmt, ast.Case):
        return stmt.expect.citation
    return getattr(stmt, "citation", None)


def statement_at(module: ast.Module, line: int) -> object | None:
    """The statement whose lines hold 1-based ``line``."""
    for stmt in module.statements:
        if stmt.span is not None and stmt.span.line <= line <= stmt.span.end_line:
            return stmt
    return None


def resolve(vocab: Vocabulary, term: ast.Term, kinds: tuple[str, ...]) -> str | None:
    """The id a term names (None: not a term of those kinds, or not a vocabulary term)."""
    if kinds[0] == "declare":
        return term.key if term.key in vocab.terms else None
    if kinds[0] in ("import", "file"):
        return None
    try:
        return vocab.resolve(term.text, kinds)
    except UnknownTerm:
        return None


def summary(model_lines: list[str], stmt, limit: int = 72) -> str:
    """A statement's words on one line: comments, the citation and extra spaces removed."""
    span = stmt.span
    text = " ".join(strip_comment(model_lines[i]).strip() for i in range(span.line - 1, span.end_line)
                    if i < len(model_lines))
    text = re.sub(r"\s*\[[^\]]*\]\s*$", "", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def mentions(owner: Model, tid: str) -> list:
    """The rule statements of ``owner``'s own file that name term ``tid`` (or a name of it)."""
    index = getattr(owner, "_mentions", None)
    if index is None:  # built once per model: completion documents every term it offers
        index = {}
        for stmt in owner.partial.statements:
            if isinstance(stmt, ast.RULE_TYPES):
                for found in {resolve(owner.vocabulary, term, kinds) for term, kinds in occurrences(stmt)}:
                    index.setdefault(found, []).append(stmt)
        owner._mentions = index
    return index.get(tid, [])


def citing(owner: Model, label: str) -> list:
    """The statements of ``owner``'s own file that cite clause ``label``."""
    out = []
    for stmt in owner.partial.statements:
        citation = citation_of(stmt)
        if citation is not None and citation.text.strip() == label and not isinstance(stmt, ast.Case):
            out.append(stmt)
    return out
