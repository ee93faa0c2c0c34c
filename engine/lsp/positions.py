"""Where a position is, as the model counts it and as the client does.

The model counts columns in code points (as spans do), lines and columns from 1; the client
counts from 0, columns in the position encoding agreed at start-up (UTF-16 unless the client
offers another). :class:`Positions` converts between the two, so a line with characters
outside the Basic Multilingual Plane still puts a caret under the right word;
:func:`span_contains` says whether a model position falls in a span.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from coopcheck.dsl import ast

from coopcheck.lsp.model import Sources, disk_sources


class Positions:
    """Code-point columns (spans, 1-based) <-> the client's positions (0-based, in its encoding)."""

    def __init__(self, encoding: str = "utf-16", sources: Sources = disk_sources):
        self.encoding = str(encoding or "utf-16").lower()
        self.sources = sources
        self._lines: dict[Path, list[str]] = {}

    def lines(self, path: Path) -> list[str]:
        """The lines of a file other than the document (as the editor holds it, else saved)."""
        path = Path(path)
        if path not in self._lines:
            self._lines[path] = (self.sources(path) or "").split("\n")
        return self._lines[path]

    def _units(self, text: str) -> int:
        if self.encoding == "utf-32":
            return len(text)
        if self.encoding == "utf-8":
            return len(text.encode("utf-8", "surrogatepass"))
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)

    def to_client(self, lines: list[str], line: int, column: int) -> lsp.Position:
        """1-based ``line``/``column`` (code points) -> an LSP position."""
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return lsp.Position(line=max(line - 1, 0), character=self._units(text[:max(column - 1, 0)]))

    def range(self, lines: list[str], span: ast.Span | None) -> lsp.Range:
        """A span as an LSP range (line 1 when the diagnostic has no span)."""
        if span is None:
            start = lsp.Position(line=0, character=0)
            return lsp.Range(start=start, end=start)
        return lsp.Range(start=self.to_client(lines, span.line, span.column),
                         end=self.to_client(lines, span.end_line, span.end_column))

    def from_client(self, lines: list[str], position: lsp.Position) -> tuple[int, int]:
        """An LSP position -> 1-based ``(line, column)`` in code points."""
        text = lines[position.line] if 0 <= position.line < len(lines) else ""
        units, column = 0, 0
        while column < len(text) and units < position.character:
            units += self._units(text[column])
            column += 1
        return position.line + 1, column + 1


def span_contains(span: ast.Span | None, line: int, column: int) -> bool:
    """Whether 1-based ``line``/``column`` falls in ``span`` (its end included: the cursor
    just after a word is on it)."""
    if span is None:
        return False
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)
