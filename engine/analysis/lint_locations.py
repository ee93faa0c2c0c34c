"""Where ``coopcheck lint``'s diagnostics point and how their messages name things: the
first line of a statement, comments on a line, the compiled rules of one file, other rules and
lists of ids. Shared by every analysis (:mod:`coopcheck.analysis.lint_checks`,
:mod:`~coopcheck.analysis.lint_grants`, :mod:`~coopcheck.analysis.lint_usage`) and the language
server."""

from __future__ import annotations

from typing import Iterable

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic, line_of

from coopcheck.core.ruleset import CompiledRule, Ruleset

#: How a message names each kind of rule.
RULE_NOUNS = {"grant": "grant", "closed": "closed list", "prohibition": "prohibition",
              "requirement": "requirement", "honour": "honour statement"}


# ---- locations ------------------------------------------------------------------------------

def head_span(span: ast.Span, source: str) -> ast.Span:
    """The first line of a statement: from its start to the end of that line's text (a
    trailing comment excluded), so a caret underlines what the author wrote there."""
    text = line_of(source, span.line) or ""
    code = strip_comment(text).rstrip()
    end = span.end_column if span.end_line == span.line else len(code) + 1
    return ast.Span(span.file, span.line, span.column, span.line, max(end, span.column + 1))


def strip_comment(line: str) -> str:
    """``line`` without its ``#`` comment (a ``#`` inside a string or citation is text)."""
    return line[:comment_start(line)] if comment_start(line) is not None else line


def comment_start(line: str) -> int | None:
    """The index of the ``#`` that starts ``line``'s comment, or None."""
    quote = bracket = False
    for i, ch in enumerate(line):
        if quote:
            quote = ch != '"'
        elif bracket:
            bracket = ch != "]"
        elif ch == '"':
            quote = True
        elif ch == "[":
            bracket = True
        elif ch == "#":
            return i
    return None


class LintFile:
    """The statements of one file, by line, for locating compiled rules."""

    def __init__(self, module: ast.Module, source: str):
        self.module = module
        self.source = source
        self.by_line = {s.span.line: s for s in module.statements if s.span is not None}

    def rules(self, ruleset: Ruleset) -> list[CompiledRule]:
        """The compiled rules written in this file, in line order."""
        return sorted((r for r in ruleset.rules if r.file == self.module.path), key=lambda r: r.line)

    def span(self, rule: CompiledRule) -> ast.Span:
        """Where a rule of this file is reported: the first line of its statement."""
        node = self.by_line.get(rule.line)
        if node is None or node.span is None:
            return ast.Span(self.module.path, rule.line, 1, rule.line, 2)
        return head_span(node.span, self.source)

    def diagnostic(self, code: Code, message: str, span: ast.Span, help: str | None) -> Diagnostic:
        """A diagnostic in this file, its severity its code's (:mod:`coopcheck.dsl.codes`)."""
        return Diagnostic(code, message, span, help, source_line=line_of(self.source, span.line))


def where(rule: CompiledRule, here: str) -> str:
    """How a message names another rule: ``line 12 [clause]`` in the same file, else
    ``file:line [clause]``."""
    place = f"line {rule.line}" if rule.file == here else f"{rule.file}:{rule.line}"
    return f"{place} [{rule.clause}]" if rule.clause else place


def ids_text(ids: Iterable[str]) -> str:
    """Ids as a message lists them: ``a``, ``b``."""
    return ", ".join(f"`{i}`" for i in ids)

def and_list(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
