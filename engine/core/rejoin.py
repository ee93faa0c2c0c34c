"""Terms whose words contain a keyword: ``research and development data``, ``terms of service``.

The parser reads ``and`` and ``or`` as list separators and ``of`` as the start of the data
subjects, so a term named by words that contain one of them arrives split: ``research and
development data`` as the two items ``research`` and ``development data``, ``terms of service``
as the item ``terms`` of the subject ``service``. This stage, run by the compiler before
desugaring (docs/semantics.md §4), puts such a term back together when the split reading does
not name terms and the joined one does. When both readings name terms, the split one is kept and
:func:`ambiguous_splits` reports it, so ``coopcheck lint`` can say so (W609) and suggest quoting
the term (``"research and development data"``), which is always read as one name.
"""

from __future__ import annotations

from typing import Callable, Iterator

from attrs import evolve, frozen

from coopcheck.dsl import ast

#: The keywords a term's own words may contain and the parser splits on.
JOINING_WORDS = ("and", "or", "of")
#: The most terms one joined name is made of (``a and b or c of d``): it bounds the work on a
#: long list to linear.
MAX_JOINED = 4
#: The kind of term each part of a statement names.
PART_KINDS = {"items": "item", "subjects": "subject", "recipients": "party", "purposes": "purpose"}

#: ``names(text, kind)``: whether ``text`` names a term of ``kind``.
Names = Callable[[str, str], bool]


@frozen
class Split:
    """Terms the parser split on a keyword: where, the terms as read, and the joined name."""

    part: str
    read_as: tuple[str, ...]
    joined: str
    span: ast.Span | None


def _gap_word(first: ast.Term, second: ast.Term, lines: list[str]) -> str | None:
    """The one keyword between two unquoted terms written on one line, or None."""
    a, b = first.span, second.span
    if first.quoted or second.quoted or a is None or b is None or a.end_line != b.line or b.line > len(lines):
        return None
    gap = lines[b.line - 1][a.end_column - 1:b.column - 1].strip().lower()
    return gap if gap in JOINING_WORDS else None


def _joined(terms: tuple[ast.Term, ...], words: list[str]) -> ast.Term:
    text = terms[0].text
    for word, term in zip(words, terms[1:]):
        text += f" {word} {term.text}"
    first, last = terms[0].span, terms[-1].span
    span = ast.Span(first.file, first.line, first.column, last.end_line, last.end_column) if first and last else None
    return ast.Term(text, False, span)


def _runs(terms: tuple[ast.Term, ...], lines: list[str]) -> Iterator[tuple[int, int, ast.Term]]:
    """Every run ``terms[i:j]`` (two or more) joined by keywords only, longest first."""
    n = len(terms)
    gaps = [_gap_word(terms[k], terms[k + 1], lines) for k in range(n - 1)]
    for length in range(min(n, MAX_JOINED), 1, -1):
        for i in range(0, n - length + 1):
            j = i + length
            words = gaps[i:j - 1]
            if all(words):
                yield i, j, _joined(terms[i:j], words)


def _rejoin_list(terms: tuple[ast.Term, ...], kind: str, names: Names, lines: list[str]) -> tuple[ast.Term, ...]:
    """The list with each run of split terms joined where the run's parts do not all name
    terms of ``kind`` and the joined name does."""
    out = list(terms)
    for i, j, joined in _runs(terms, lines):
        parts = out[i:j]
        if any(p is None for p in parts):
            continue  # overlaps a run already joined
        if all(names(p.text, kind) for p in parts) or not names(joined.text, kind):
            continue
        out[i:j] = [joined] + [None] * (j - i - 1)
    return tuple(t for t in out if t is not None)


def rejoin(stmt, names: Names, lines: list[str]):
    """``stmt`` with the terms the parser split on a keyword joined again, where only the
    joined reading names terms (see the module docstring); ``lines``: its file's lines."""
    if not isinstance(stmt, (ast.Grant, ast.ClosedGrant, ast.Prohibition, ast.Requirement)):
        return stmt
    changes = {}
    for part, kind in PART_KINDS.items():
        sel = getattr(stmt, part)
        if sel is not None and len(sel.terms) > 1:
            terms = _rejoin_list(sel.terms, kind, names, lines)
            if terms != sel.terms:
                changes[part] = evolve(sel, terms=terms)
    items = changes.get("items", stmt.items)
    subjects = changes.get("subjects", stmt.subjects)
    if items.terms and subjects is not None and subjects.terms:
        last, first = items.terms[-1], subjects.terms[0]
        if _gap_word(last, first, lines) == "of":
            joined = _joined((last, first), ["of"])
            split_names = names(last.text, "item") and names(first.text, "subject")
            if not split_names and names(joined.text, "item"):
                changes["items"] = evolve(items, terms=items.terms[:-1] + (joined,))
                rest = subjects.terms[1:]
                changes["subjects"] = evolve(subjects, terms=rest) if rest else None
    return evolve(stmt, **changes) if changes else stmt


def ambiguous_splits(stmt, names: Names, lines: list[str]) -> list[Split]:
    """The places where the parser split a term on a keyword, both readings name terms, and
    the split one was kept: what an author who meant the joined term should quote
    (``lines``: its file's lines)."""
    if not isinstance(stmt, (ast.Grant, ast.ClosedGrant, ast.Prohibition, ast.Requirement)):
        return []
    out = []
    for part, kind in PART_KINDS.items():
        sel = getattr(stmt, part)
        if sel is None or len(sel.terms) < 2:
            continue
        for i, j, joined in _runs(sel.terms, lines):
            parts = sel.terms[i:j]
            if all(names(p.text, kind) for p in parts) and names(joined.text, kind):
                out.append(Split(part, tuple(p.text for p in parts), joined.text, joined.span))
    if stmt.items.terms and stmt.subjects is not None and stmt.subjects.terms:
        last, first = stmt.items.terms[-1], stmt.subjects.terms[0]
        if _gap_word(last, first, lines) == "of":
            joined = _joined((last, first), ["of"])
            if names(last.text, "item") and names(first.text, "subject") and names(joined.text, "item"):
                out.append(Split("items", (last.text, first.text), joined.text, joined.span))
    return out
