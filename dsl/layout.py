"""Laying a statement out in lines: the generic part of ``coopcheck fmt``.

A statement arrives as a :class:`Shape` — its sentence as nested groups of phrases of
unbreakable atoms, the phrases that always take a line of their own, and its citation — and
:func:`layout` breaks it into :class:`Line` s no wider than :data:`WIDTH` display columns,
aligning the citation of a one-line statement at :data:`CITATION_COLUMN`. What the parts of
each kind of statement are is :mod:`coopcheck.dsl.formatter`'s business; the rules of the layout are in
its docstring.
"""

from __future__ import annotations

import unicodedata
from typing import Sequence, Union

from attrs import define, field, frozen

#: The widest a line may be (display columns) before a statement is broken.
WIDTH = 100
#: The indentation of continuation lines.
INDENT = "    "
#: The display column at which a one-line statement's citation starts.
CITATION_COLUMN = 74
#: The fewest spaces before a citation that follows its statement on the same line.
CITATION_GAP = 3

Pos = tuple  # (line, column), 1-based, as in spans


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced editor: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---- the shape of a statement -------------------------------------------------------------

@frozen
class Atom:
    """An unbreakable piece of a statement; lines break only between atoms. ``pos`` is where
    the text it holds started in the source (for placing comments), when known."""

    text: str
    pos: Pos | None = None


@frozen
class Phrase:
    """A run of atoms laid out together; ``join``: it may continue the line before it."""

    atoms: tuple[Atom, ...]
    join: bool = False


@frozen
class Group:
    """Phrases (or groups) kept on one line when they fit, else each on its own line."""

    parts: tuple[Union["Group", Phrase], ...]
    join: bool = False


@frozen
class Shape:
    """A statement: its sentence, the phrases that always take their own line, its citation."""

    main: Group
    own: tuple[Phrase, ...] = ()
    citation: Atom | None = None
    unbroken: bool = False  # one line, however long


@define
class Line:
    """One output line of a statement: atoms, and the citation aligned after them."""

    atoms: list = field(factory=list)
    citation: Atom | None = None

    def body(self) -> str:
        return " ".join(a.text for a in self.atoms)


def flat(part) -> list[Atom]:
    if isinstance(part, Phrase):
        return list(part.atoms)
    return [a for p in part.parts for a in flat(p)]


def layout(shape: Shape) -> list[Line]:
    """Break a statement into lines (see the module docstring)."""
    lines: list[Line] = [Line()]
    if shape.unbroken:
        return [Line(flat(shape.main))]

    def fits(atoms: Sequence[Atom]) -> bool:
        indent = 0 if len(lines) == 1 else len(INDENT)
        return indent + display_width(" ".join(a.text for a in atoms)) <= WIDTH

    def fill(atoms: Sequence[Atom]) -> None:
        for atom in atoms:
            if lines[-1].atoms and not fits(lines[-1].atoms + [atom]):
                lines.append(Line())
            lines[-1].atoms.append(atom)

    def place(part) -> bool:
        """Lay ``part`` out from the start of the last line; True if it took one line."""
        atoms = flat(part)
        if fits(atoms):
            lines[-1].atoms.extend(atoms)
            return True
        if isinstance(part, Phrase):
            fill(atoms)
            return False
        one_line = False
        for k, child in enumerate(part.parts):
            if k and child.join and one_line and fits(lines[-1].atoms + flat(child)):
                lines[-1].atoms.extend(flat(child))  # continue the line the part before took
                continue
            if k:
                lines.append(Line())
            one_line = place(child)
        return False

    place(shape.main)
    for phrase in shape.own:
        lines.append(Line())
        fill(phrase.atoms)
    if shape.citation is not None:
        if len(lines) == 1 and aligned_width(lines[0].body(), shape.citation.text) <= WIDTH:
            lines[0] = Line(lines[0].atoms, shape.citation)
        else:
            lines.append(Line([shape.citation]))
    return lines


def citation_pad(body: str) -> int:
    width = display_width(body)
    if width + CITATION_GAP <= CITATION_COLUMN - 1:
        return CITATION_COLUMN - 1 - width
    return CITATION_GAP


def aligned_width(body: str, citation: str) -> int:
    return display_width(body) + citation_pad(body) + display_width(citation)


def line_text(line: Line, first: bool) -> str:
    body = line.body()
    text = ("" if first else INDENT) + body
    if line.citation is not None:
        text += " " * citation_pad(body) + line.citation.text
    return text
