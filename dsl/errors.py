"""Diagnostics: a stable code, a span, a one-line message and a help line.

Every error coopcheck reports about a rule file or a scenario is a :class:`Diagnostic`.
Messages are lower-case, one line, with user input in backticks; ``help`` says what to do
("did you mean `jccu`?"). :class:`CoopcheckError` carries one or more of them, sorted by
location, and renders them as ``file:line:col``, the offending line and a caret.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from attrs import Factory, field, frozen

from coopcheck.dsl.ast import Span
from coopcheck.dsl.codes import Code, registered


def _severity_of(diagnostic: Diagnostic) -> str:
    """The severity a diagnostic's code has in the registry."""
    return str(diagnostic.code.severity)


@frozen
class Diagnostic:
    """One problem found in a rule file or a scenario.

    ``code`` must be registered in :mod:`coopcheck.dsl.codes` (a plain string such as
    ``"E302"`` is turned into its :class:`~coopcheck.dsl.codes.Code`; an unregistered one
    raises :class:`~coopcheck.dsl.codes.UnregisteredCode`). ``severity`` is the code's:
    it may be left out, and any other severity is refused.

    >>> d = Diagnostic("W601", "term `x` is declared but not used")
    >>> d.code is Code.W601, d.severity
    (True, 'warning')
    """

    code: Code = field(converter=registered)
    message: str
    span: Span | None = None
    help: str | None = None
    severity: str = field(default=Factory(_severity_of, takes_self=True))
    source_line: str | None = field(default=None, eq=False, repr=False)

    @severity.validator
    def _severity_is_the_codes(self, _attribute, value: str) -> None:
        if value != self.code.severity:
            raise ValueError(f"{self.code} is {self.code.severity.value!r}, not {value!r}")

    def sort_key(self) -> tuple:
        """Order diagnostics by file, line and column (unlocated ones last)."""
        if self.span is None:
            return ("~", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)

    def render(self) -> str:
        """Human-readable form: location, message, source line with a caret, help."""
        where = f"{self.span}: " if self.span else ""
        out = [f"{where}{self.severity}[{self.code}]: {self.message}"]
        if self.span and self.source_line is not None:
            line = self.source_line.rstrip("\n")
            gutter = f"{self.span.line} | "
            out.append(f"{gutter}{line}")
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column > self.span.column:
                width = self.span.end_column - self.span.column
            pad = _display_width(line[: self.span.column - 1])
            caret_w = max(1, _display_width(line[self.span.column - 1: self.span.column - 1 + width]))
            out.append(" " * len(gutter) + " " * pad + "^" * caret_w)
        if self.help:
            out.append(f"  = help: {self.help}")
        return "\n".join(out)

    def to_json(self) -> dict:
        """The JSON form used by ``--json`` outputs."""
        data: dict = {"code": str(self.code), "message": self.message, "severity": self.severity}
        if self.span:
            data["location"] = {"file": self.span.file, "line": self.span.line, "column": self.span.column}
        if self.help:
            data["help"] = self.help
        return data


def _display_width(text: str) -> int:
    """Columns a terminal gives ``text``: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class CoopcheckError(Exception):
    """An error that stops loading or deciding: one or more located diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic], *, field: str | None = None):
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        self.field = field  # the scenario field at fault, for input errors
        super().__init__(self.render())

    @property
    def code(self) -> Code:
        """The code of the first diagnostic."""
        return self.diagnostics[0].code

    def render(self) -> str:
        """All diagnostics, rendered, separated by blank lines."""
        return "\n\n".join(d.render() for d in self.diagnostics)


def did_you_mean(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """A help line suggesting the closest candidate to ``word``, or None."""
    cands = list(dict.fromkeys(candidates))
    matches = difflib.get_close_matches(word, cands, n=1, cutoff=cutoff)
    if not matches:
        lowered = {c.lower(): c for c in cands}
        matches = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)]
    return f"did you mean `{matches[0]}`?" if matches else None


def line_of(source: str, line: int) -> str | None:
    """The text of 1-based ``line`` in ``source``."""
    lines = source.split("\n")  # as the lexer counts lines; splitlines() also splits on U+2028
    return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else None
