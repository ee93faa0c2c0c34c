"""Desugaring: what a statement really says, with every default written out
(docs/semantics.md §4).

The compiler's first stage after parsing. A statement may leave parts unsaid; this stage
writes them into the syntax tree, so the rest of the compiler — and an author reading
``coopcheck desugar`` — sees one explicit statement:

- a statement that names no data subject speaks of **members** (``… of member …``, §4.1),
  whatever its form — grant, closed list, prohibition or requirement, as a scenario without
  a ``subject`` is about a member; when the vocabulary declares no ``member``, of no one;
- a prohibition or requirement about handing data over that names no recipient binds
  **every recipient** (``… to anyone``), and one that names no purpose binds **every
  purpose** (``… for any purpose``);
- a closed list yields to the legal exceptions the co-op honours (``… unless a legal
  exception``, §3.2): APPI Art. 18(3) and 27(1) allow handling outside the stated purposes and
  recipients in those cases, and the co-op said it relies on them.

What the compiler then adds beyond the text is stated by :func:`implied`: the actions a verb
speaks of (a purpose of use also governs collection), the legal basis a grant gives, that a
closed list also grants what it lists, and the obligation a notice requirement adds.
"""

from __future__ import annotations

from attrs import evolve

from coopcheck.dsl import ast
from coopcheck.core.kinds import Action, RuleKind, Verb

#: The data subject a statement without ``of`` speaks of (as a scenario without ``subject``).
DEFAULT_SUBJECT = "member"
#: The verbs that speak of giving data to a recipient.
_SHARING = {Verb.DISCLOSE, Verb.JOINT_USE, Verb.ENTRUST, Verb.PROVIDE}


def default_subjects(stmt, known_terms) -> ast.Selector:
    """The subjects a statement that names none speaks of: members (none, when the vocabulary
    declares no ``member``)."""
    terms = (ast.Term(DEFAULT_SUBJECT, span=stmt.span),) if DEFAULT_SUBJECT in known_terms else ()
    return ast.Selector(terms, span=stmt.span)


def desugar(stmt, known_terms) -> object:
    """The statement with its defaults written out (``known_terms``: the vocabulary's ids)."""
    if not isinstance(stmt, (ast.Grant, ast.ClosedGrant, ast.Prohibition, ast.Requirement)):
        return stmt
    changes = {}
    if stmt.subjects is None:
        changes["subjects"] = default_subjects(stmt, known_terms)
    if isinstance(stmt, ast.ClosedGrant) and not any(c.kind == "any_exception" for c in stmt.exceptions):
        changes["exceptions"] = stmt.exceptions + (ast.Condition("any_exception", span=stmt.span),)
    if isinstance(stmt, (ast.Prohibition, ast.Requirement)):
        if stmt.recipients is None and stmt.verb in _SHARING:
            changes["recipients"] = ast.Selector(any=True, span=stmt.span)
        if stmt.purposes is None:
            changes["purposes"] = ast.Selector(any=True, span=stmt.span)
    return evolve(stmt, **changes) if changes else stmt


_ACT_WORDS = {Verb.JOINT_USE: "joint use", Verb.ENTRUST: "entrustment", Verb.PROVIDE: "third-party provision"}


def implied(kind: RuleKind, verb: Verb, actions: frozenset, needs: tuple = ()) -> list[str]:
    """What the compiler adds to a statement of this kind beyond its words, as short phrases
    (docs/semantics.md §3–§4)."""
    out = []
    if verb == Verb.USE and Action.COLLECT in actions:
        out.append("also governs collecting (data is collected only for a declared purpose of use)")
    if kind == RuleKind.CLOSED:
        out.append("also grants what it lists; anything outside the list is denied, unless a legal "
                   "exception the co-op honours applies")
    if verb in (Verb.JOINT_USE, Verb.ENTRUST, Verb.PROVIDE) and kind != RuleKind.GRANT:
        out.append(f"stops only {_ACT_WORDS[verb]}: a share that rests on another legal act passes it")
    if kind == RuleKind.REQUIREMENT and "notice" in needs:
        out.append("a permit it applies to carries the obligation notify_purpose")
    if kind == RuleKind.PROHIBITION or (kind == RuleKind.REQUIREMENT and "consent" in needs):
        out.append("covers broader and narrower terms too (asking about a broader term may include it)")
    elif kind in (RuleKind.GRANT, RuleKind.CLOSED):
        out.append("covers the terms named and everything under them")
    return out
