"""Desugaring: what a statement really says, with every default written out
(docs/semantics.md §4).

The compiler's first stage after parsing. A statement may leave parts unsaid; this stage
writes them into the syntax tree, so the rest of the compiler — and an author reading
``coopcheck desugar`` — sees one explicit statement:

- a grant or closed list that names no data subject speaks of **members**
  (``… of member …``, §4.1); when the vocabulary declares no ``member``, of no one;
- a prohibition or requirement that names no data subject binds **everyone**
  (``… of anyone …``);
- a prohibition or requirement about sharing that names no recipient binds **every
  recipient** (``… with anyone``), and one that names no purpose binds **every purpose**
  (``… for any purpose``).

What the compiler then adds beyond the text is stated by :func:`implied`: the actions a verb
speaks of (a purpose of use also governs collection), the legal basis a grant gives, that a
closed list also grants what it lists, and the obligation a notice requirement adds.
"""

from __future__ import annotations

from attrs import evolve

from coopcheck.dsl import ast
from coopcheck.core.kinds import Action, RuleKind, Verb

#: The data subject a grant without ``of`` speaks of.
DEFAULT_SUBJECT = "member"
#: The verbs that speak of giving data to a recipient.
_SHARING = {Verb.SHARE, Verb.JOINT_USE, Verb.ENTRUST, Verb.PROVIDE}


def desugar(stmt, known_terms) -> object:
    """The statement with its defaults written out (``known_terms``: the vocabulary's ids)."""
    if isinstance(stmt, (ast.Grant, ast.ClosedGrant)):
        if stmt.subjects is None:
            terms = (ast.Term(DEFAULT_SUBJECT, span=stmt.span),) if DEFAULT_SUBJECT in known_terms else ()
            return evolve(stmt, subjects=ast.Selector(terms, span=stmt.span))
        return stmt
    if isinstance(stmt, (ast.Prohibition, ast.Requirement)):
        changes = {}
        if stmt.subjects is None:
            changes["subjects"] = ast.Selector(any=True, span=stmt.span)
        verb = stmt.verb if isinstance(stmt, ast.Prohibition) else stmt.action
        if stmt.recipients is None and verb in _SHARING:
            changes["recipients"] = ast.Selector(any=True, span=stmt.span)
        if stmt.purposes is None:
            changes["purposes"] = ast.Selector(any=True, span=stmt.span)
        return evolve(stmt, **changes) if changes else stmt
    return stmt


def implied(kind: RuleKind, verb: Verb, actions: frozenset, needs: tuple = ()) -> list[str]:
    """What the compiler adds to a statement of this kind beyond its words, as short phrases
    (docs/semantics.md §3–§4)."""
    out = []
    if verb == Verb.USE and Action.COLLECT in actions:
        out.append("also governs collecting (data is collected only for a declared purpose of use)")
    if kind == RuleKind.CLOSED:
        out.append("also grants what it lists; anything outside the list is denied")
    if kind == RuleKind.REQUIREMENT and "notice" in needs:
        out.append("a permit it applies to carries the obligation notify_purpose")
    if kind == RuleKind.PROHIBITION or (kind == RuleKind.REQUIREMENT and "consent" in needs):
        out.append("covers broader and narrower terms too (asking about a broader term may include it)")
    elif kind in (RuleKind.GRANT, RuleKind.CLOSED):
        out.append("covers the terms named and everything under them")
    return out
