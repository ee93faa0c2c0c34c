"""Diagnostics: a stable code, a span, a one-line message and a help line.

Every error coopcheck reports about a rule file or a scenario is a :class:`Diagnostic`.
Messages are lower-case, one line, with user input in backticks; ``help`` says what to do
("did you mean `jccu`?"). :class:`CoopcheckError` carries one or more of them, sorted by
location, and renders them as ``file:line:col``, the offending line and a caret.

Whatever the input, a diagnostic stays small: a message quotes at most
:data:`~coopcheck.dsl.limits.QUOTE_LIMIT` characters of a user's text (:func:`quote`) and is
at most :data:`~coopcheck.dsl.limits.MAX_MESSAGE` long; a long source line is quoted as a
window of :data:`~coopcheck.dsl.limits.QUOTE_WIDTH` characters around the column. A stage
that reports errors about a file reports at most :data:`~coopcheck.dsl.limits.MAX_DIAGNOSTICS`
of them (:class:`ErrorBudget`) and counts the rest.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import sys
from typing import Callable, Iterable

from attrs import Factory, field, frozen

from coopcheck.dsl.ast import Span
from coopcheck.dsl.codes import Code, registered
from coopcheck.dsl.limits import MAX_DIAGNOSTICS, MAX_FILE_BYTES, MAX_MESSAGE, QUOTE_LIMIT, QUOTE_WIDTH


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` for a message: at most ``limit`` characters, an ellipsis marking the cut.

    >>> quote("x" * 100, 10)
    'xxxxxxxxx…'
    """
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bounded(text: str | None) -> str | None:
    """A message or help line of at most :data:`MAX_MESSAGE` characters: a longer one keeps
    its start and its end (where a quote closes) around an ellipsis."""
    if text is None or len(text) <= MAX_MESSAGE:
        return text
    head = MAX_MESSAGE // 2
    return text[:head] + "…" + text[-(MAX_MESSAGE - head - 1):]


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
    message: str = field(converter=_bounded)
    span: Span | None = None
    help: str | None = field(default=None, converter=_bounded)
    severity: str = field(default=Factory(_severity_of, takes_self=True))
    source_line: str | None = field(default=None, eq=False, repr=False)

    @severity.validator
    def _severity_is_the_codes(self, _attribute, value: str) -> None:
        if value != self.code.severity:
            raise ValueError(f"{self.code} is {self.code.severity.value!r}, not {value!r}")

    def sort_key(self) -> tuple:
        """Order diagnostics by file, line and column (unlocated ones last; the count of the
        errors left unreported, E108, last in its file)."""
        if self.span is None:
            return ("~", 0, 0, self.code)
        if self.code is Code.E108:
            return (self.span.file, sys.maxsize, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)

    def render(self) -> str:
        """Human-readable form: location, message, source line with a caret, help. A line
        longer than :data:`QUOTE_WIDTH` characters is quoted around the column, with "…"
        where it goes on.

        >>> line = "x" * 500 + " oops " + "y" * 500
        >>> d = Diagnostic("E102", "unexpected `oops`", Span("f", 3, 502, 3, 506), source_line=line)
        >>> print(d.render())  # doctest: +ELLIPSIS
        f:3:502: error[E102]: unexpected `oops`
        3 | …xxxxx...xxxxx oops yyyyy...yyyyy…
                                                                         ^^^^
        """
        where = f"{self.span}: " if self.span else ""
        out = [f"{where}{self.severity}[{self.code}]: {self.message}"]
        if self.span and self.source_line is not None:
            line = self.source_line.rstrip("\n")
            gutter = f"{self.span.line} | "
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column > self.span.column:
                width = self.span.end_column - self.span.column
            shown, pad, caret_w = _quoted_line(line, self.span.column - 1, width)
            out.append(f"{gutter}{shown}")
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


def _quoted_line(line: str, column: int, width: int) -> tuple[str, int, int]:
    """How a diagnostic quotes ``line``: the text shown, the caret's indent and its width,
    for a caret from 0-based ``column`` over ``width`` characters. A line of more than
    :data:`QUOTE_WIDTH` characters is cut to a window of that many around the column, "…"
    marking each cut.

    >>> _quoted_line("abc def", 4, 3)
    ('abc def', 4, 3)
    >>> shown, pad, caret = _quoted_line("a" * 1000 + "BAD" + "z" * 1000, 1000, 3)
    >>> len(shown), shown[pad:pad + caret], shown[0], shown[-1]
    (122, 'BAD', '…', '…')
    """
    start, end, before = 0, len(line), ""
    if len(line) > QUOTE_WIDTH:
        start = max(0, min(column - QUOTE_WIDTH // 2, len(line) - QUOTE_WIDTH))
        end = start + QUOTE_WIDTH
        before = "…" if start > 0 else ""
    shown = before + line[start:end] + ("…" if end < len(line) else "")
    pad = _display_width(before + line[start:min(column, end)]) + max(0, column - len(line))
    caret_w = max(1, _display_width(line[column:min(column + width, end)]))
    return shown, pad, caret_w


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
    """The text of 1-based ``line`` in ``source`` (the line starts of a source are found
    once, however many diagnostics quote it).

    >>> line_of("a\\r\\nb\\n", 1), line_of("a\\r\\nb\\n", 2), line_of("a\\r\\nb\\n", 3), line_of("a", 2)
    ('a', 'b', '', None)
    """
    starts = line_starts(source)
    if not 0 < line <= len(starts):
        return None
    end = starts[line] - 1 if line < len(starts) else len(source)
    return source[starts[line - 1]:end].rstrip("\r")


@functools.lru_cache(maxsize=8)
def line_starts(source: str) -> tuple[int, ...]:
    """The offset at which each line of ``source`` starts, counted as the lexer counts
    lines: at ``\\n`` only (``splitlines()`` would also split at U+2028). Found once per text:
    a text's hash is kept with it, so looking it up again costs nothing.

    >>> line_starts("ab\\ncd\\n")
    (0, 3, 6)
    """
    return (0, *itertools.accumulate(len(part) + 1 for part in source.split("\n")))[:-1]


def file_too_large(text: str, filename: str, size: int | None = None) -> Diagnostic | None:
    """E106 when a rule file is over :data:`MAX_FILE_BYTES` (None when it is not), located
    where the limit is crossed. ``text`` is the file, or the head of a file whose whole size
    in bytes is ``size`` (a reader need not read all of a huge file to refuse it).

    >>> d = file_too_large("x\\n" * 600_000, "big.policy")
    >>> d.code, str(d.span), d.message
    (<Code.E106: 'E106'>, 'big.policy:524289:1', 'the file has 1 200 000 bytes; a rule file may have at most 1 048 576 (1 MiB)')
    >>> file_too_large("x\\n", "small.policy") is None
    True
    """
    if size is None and len(text) <= MAX_FILE_BYTES // 4:  # UTF-8 takes at most 4 bytes a character
        return None
    data = text.encode("utf-8", "surrogatepass")
    size = len(data) if size is None else size
    if size <= MAX_FILE_BYTES:
        return None
    at = len(data[:MAX_FILE_BYTES].decode("utf-8", "ignore"))  # the characters within the limit
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return Diagnostic(Code.E106, f"the file has {group(size)} bytes; a rule file may have at most "
                      f"{group(MAX_FILE_BYTES)} ({MAX_FILE_BYTES // 2 ** 20} MiB)",
                      Span(filename, line, column, line, column + 1),
                      "split it into modules, each a file of its own, and `import` them",
                      source_line=line_of(text, line))


def group(number: int) -> str:
    """``99 812``: a count with its thousands set apart by spaces.

    >>> group(99812), group(7)
    ('99 812', '7')
    """
    return f"{number:,}".replace(",", " ")


class ErrorBudget:
    """The errors a stage reports: at most ``limit`` per file (:data:`MAX_DIAGNOSTICS`),
    and for a file with more, one E108 "… and N more errors" after them. An error beyond
    the limit is only counted: callers ask :meth:`full` first, or pass a help line that is
    expensive to find (a "did you mean") as a function, called only for a reported error.

    >>> budget = ErrorBudget(limit=2)
    >>> for line in range(1, 6):
    ...     budget.error("E201", f"unknown term on line {line}", Span("f", line, 1, line, 2))
    >>> [str(d.message) for d in budget.diagnostics()]
    ['unknown term on line 1', 'unknown term on line 2', '… and 3 more errors']
    """

    def __init__(self, limit: int = MAX_DIAGNOSTICS):
        self.limit = limit
        self.kept: list[Diagnostic] = []
        self._reported: dict[str | None, int] = {}
        self._more: dict[str | None, list] = {}  # file -> [how many more, the first one's span]
        self._total = 0

    def __len__(self) -> int:
        """How many errors were found: reported and only counted."""
        return self._total

    def full(self, file: str | None) -> bool:
        """Whether ``file`` (a span's file, or None) already has all the errors reported."""
        return self._reported.get(file, 0) >= self.limit

    def count(self, span: Span | None) -> None:
        """One more error at ``span``, counted and not described."""
        file = span.file if span else None
        more = self._more.setdefault(file, [0, span])
        more[0] += 1
        self._total += 1

    def add(self, diagnostic: Diagnostic) -> None:
        """Report ``diagnostic`` (or count it, when its file has all it can report)."""
        file = diagnostic.span.file if diagnostic.span else None
        if self.full(file):
            self.count(diagnostic.span)
            return
        self._reported[file] = self._reported.get(file, 0) + 1
        self._total += 1
        self.kept.append(diagnostic)

    def error(self, code: str, message: str, span: Span | None,
              help: str | Callable[[], str | None] | None = None,
              source_line: str | Callable[[], str | None] | None = None) -> None:
        """Report an error, or count it; ``help`` and ``source_line`` may be functions,
        called only when the error is reported."""
        if self.full(span.file if span else None):
            self.count(span)
            return
        self.add(Diagnostic(code, message, span, help() if callable(help) else help,
                            source_line=source_line() if callable(source_line) else source_line))

    def diagnostics(self) -> list[Diagnostic]:
        """The reported errors, then one E108 for each file with more than it reports."""
        out = list(self.kept)
        for more, span in self._more.values():
            out.append(Diagnostic(Code.E108, f"… and {group(more)} more error{'s' if more != 1 else ''}",
                                  span))
        return out
