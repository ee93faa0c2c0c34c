"""Text -> syntax tree. Builds the LALR parser from ``grammar.lark`` and turns every Lark
error into a located :class:`~coopcheck.dsl.errors.CoopcheckError`; no Lark exception escapes."""

from __future__ import annotations

import difflib
import functools
import re

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import (CoopcheckError, Diagnostic, ErrorBudget, file_too_large, group, line_of,
                                  line_starts, quote)
from coopcheck.dsl.limits import MAX_LINE_CHARS, fewer_collections
from coopcheck.dsl.transformer import InlineAst

#: Words that may begin a statement (used for "did you mean" on a misspelt first word).
STATEMENT_KEYWORDS = ("module", "policy", "tests", "import", "data", "party", "purpose", "subject",
                      "exception", "obligation", "cooperative", "honour", "using", "collecting",
                      "publishing", "sharing", "entrusting", "providing", "disclosing", "case")

#: How an "expected …" message names each terminal of grammar.lark that is not a keyword (a
#: keyword is named by itself in backticks, see :func:`keyword_of_terminal`). A comma lexed
#: together with `obliging` / `managed` (``COMMA_OBLIGING``, ``COMMA_MANAGED``) reads as the
#: keyword: the comma before it is optional. ``COMMENT`` and ``WS_INLINE`` are skipped by the
#: lexer, so no message names them, but they have words too.
_TERMINAL_WORDS = {
    "WORD": "a term", "STRING": "a quoted string", "CITATION": "a citation like `[指針2]`",
    "_NL": "the end of the statement", "$END": "the end of the file", "DATE": "a date like `2022-04-01`",
    "NUMBER": "a number", "EFFECT": "`permit` or `deny`", "ANY_PURPOSE": "`any purpose`",
    "DECLARED_PURPOSE": "`any declared purpose`", "ANY_SUBJECT": "`any subject`",
    "ANY_RECIPIENT": "`any recipient`", "COMMA_OBLIGING": "`obliging`", "COMMA_MANAGED": "`managed`",
    "COMMENT": "a comment", "WS_INLINE": "a space",
}


class GluedWords(Exception):
    """A keyword ran into the next word (``beused``): Lark would split it silently."""

    def __init__(self, first: Token, second: Token):
        super().__init__(f"{first}{second}")
        self.first = first
        self.second = second


class _Continuations:
    """Post-lexer: an indented line continues the statement above it; blank lines are
    dropped (the lexer already skipped comments, which :func:`comments_of` collects); the
    file always ends with an end-of-statement token."""

    always_accept = ("_NL",)

    def process(self, stream):
        last = None
        for tok in stream:
            if (last is not None and last.end_pos == tok.start_pos and tok.type != "_NL"
                    and str(last.value)[-1:].isalnum() and str(tok.value)[:1].isalnum()):
                raise GluedWords(last, tok)
            if tok.type == "_NL":
                tail = tok.value.rsplit("\n", 1)[-1]
                if tail and not tail.strip(" \t\u3000"):
                    continue  # next line is indented: same statement
                if last is None or last.type == "_NL":
                    continue
            yield tok
            last = tok
        if last is not None and last.type != "_NL":
            yield Token.new_borrow_pos("_NL", "\n", last)


#: How the rule-file parser is built: LALR with positions, :class:`_Continuations` after the lexer.
_LARK_OPTIONS = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": False}


def build_lark_parser(grammar: str) -> Lark:
    """Build the LALR parser from grammar text (its tables computed now, ~70 ms)."""
    return Lark(grammar, **_LARK_OPTIONS, postlex=_Continuations())


@functools.lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser of ``grammar.lark`` (made once per process), giving Lark's parse tree
    with positions. For tools that need Lark's own view of the language: its terminals, the
    tree, an interactive parse; :func:`parse` is the way to read a rule file.

    Its tables come from the package's ``grammar_tables.json`` (JSON, built ahead of time
    from this grammar with this Lark: :mod:`coopcheck.dsl.tables`), else they are built from
    the grammar. No `cache=`: Lark's cache is a pickle under a predictable name in the shared
    temporary folder, which Lark unpickles before checking anything, so a file another local
    user planted there would run code as whoever runs coopcheck."""
    from coopcheck.dsl import tables

    grammar = tables.grammar_text()
    shipped = tables.load(grammar, postlex=_Continuations())
    return shipped if shipped is not None else build_lark_parser(grammar)


@functools.lru_cache(maxsize=1)
def ast_parser() -> tuple[Lark, InlineAst]:
    """The parser :func:`parse` uses: the same tables as :func:`lark_parser`, building the AST
    as it reduces (:class:`~coopcheck.dsl.transformer.InlineAst`, no parse tree), and the
    builder to give the file name to (``with builder.building(filename): parser.parse(text)``)."""
    from coopcheck.dsl import tables

    grammar = tables.grammar_text()
    builder = InlineAst()
    options = {"postlex": _Continuations(), "transformer": builder, "propagate_positions": False}
    parser = tables.load(grammar, keep_all_tokens=True, **options)
    if parser is None:  # tables not shipped for this grammar or Lark: the same, from the built parser
        parser = tables.instantiate(tables.serialized(lark_parser()), keep_all_tokens=True, **options)
    builder.dropped = dropped_terminals(parser)
    return parser, builder


def dropped_terminals(parser: Lark) -> frozenset[str]:
    """The terminals Lark leaves out of a rule's children (anonymous keywords, names that
    start with ``_``). Raises :class:`ValueError` if the grammar has a ``?rule`` that could
    expand to a dropped token: kept or dropped, such a rule would build another tree."""
    dropped, kept = set(), set()
    for rule in parser.rules:
        for symbol in rule.expansion:
            if symbol.is_term:
                (dropped if symbol.filter_out or symbol.name.startswith("_") else kept).add(symbol.name)
        if rule.options.expand1 and any(s.is_term and s.filter_out for s in rule.expansion):
            raise ValueError(f"`?{rule.origin.name}` expands with a keyword: give it no `?`")
    if dropped & kept:
        raise ValueError(f"terminals both dropped and kept: {sorted(dropped & kept)}")
    return frozenset(dropped)


@functools.lru_cache(maxsize=1)
def keyword_of_terminal() -> dict[str, str]:
    """The keywords and punctuation of the language: terminal name -> the literal text it
    matches (``{"MAY": "may", "COMMA": ",", …}``), for every terminal that is a fixed string.

    >>> keyword_of_terminal()["SHARED"], "WORD" in keyword_of_terminal()
    ('shared', False)
    """
    words = {}
    for term in lark_parser().terminals:
        pattern = term.pattern
        if pattern.type == "str":
            words[term.name] = pattern.value
    return words


def terminal_words(name: str) -> str:
    """How a parse error names the terminal ``name`` of the grammar: a keyword in
    backticks, anything else in words — never the terminal's own name. Raises
    :class:`KeyError` for a name the grammar does not have.

    >>> terminal_words("SHARED"), terminal_words("CITATION"), terminal_words("COMMA_MANAGED")
    ('`shared`', 'a citation like `[指針2]`', '`managed`')
    """
    keyword = keyword_of_terminal().get(name)
    if keyword is not None:
        return f"`{keyword}`"
    return _TERMINAL_WORDS[name]


def parse(source: str, filename: str = "<string>") -> ast.Module:
    """Parse rule-file text into a :class:`~coopcheck.dsl.ast.Module`.

    >>> m = parse("purchase history may be shared with JCCU for delivery purposes  [指針2]")
    >>> grant = m.statements[0]
    >>> grant.verb, grant.items.terms[0].key, grant.recipients.terms[0].key, grant.citation.text
    ('joint_use', 'purchase_history', 'jccu', '指針2')

    Raises :class:`~coopcheck.dsl.errors.CoopcheckError` with every syntax error in the file
    (the first :data:`~coopcheck.dsl.limits.MAX_DIAGNOSTICS`, then how many more), or with
    the one error of a file over :data:`~coopcheck.dsl.limits.MAX_FILE_BYTES` (E106), which
    is not parsed; a line over :data:`~coopcheck.dsl.limits.MAX_LINE_CHARS` is an error
    (E107) and its statement is not parsed.
    """
    with fewer_collections():
        return _parse(source, filename)


def _parse(source: str, filename: str) -> ast.Module:
    if source.startswith("\ufeff"):
        source = source[1:]  # a byte-order mark is not part of the text
    too_large = file_too_large(source, filename)
    if too_large is not None:
        raise CoopcheckError([too_large])
    long_lines = _long_lines(source)
    if long_lines:
        raise CoopcheckError(_all_syntax_errors(source, filename, long_lines))
    parser, builder = ast_parser()
    try:
        with builder.building(filename):
            statements = parser.parse(source).value
    except (UnexpectedInput, GluedWords):
        raise CoopcheckError(_all_syntax_errors(source, filename)) from None
    except CoopcheckError as err:  # a check of the AST builder failed
        try:  # a syntax error anywhere in the file is told first, as when the file is read whole
            lark_parser().parse(source)
        except (UnexpectedInput, GluedWords):
            raise CoopcheckError(_all_syntax_errors(source, filename)) from None
        raise CoopcheckError([  # give each diagnostic its line
            d if d.source_line or not d.span else
            Diagnostic(d.code, d.message, d.span, d.help, d.severity, line_of(source, d.span.line))
            for d in err.diagnostics]) from None
    return ast.Module(filename, statements, comments_of(source, filename))


#: The tokens that can hold `"`, `[` or `#`: strings, citations and comments (as in grammar.lark).
_QUOTING = re.compile(r'"[^"\n]*"|\[[^\]\n]+\]|#[^\n]*')


def comments_of(source: str, filename: str = "<string>") -> tuple[ast.Comment, ...]:
    """The comments of rule-file text that parses, in source order.

    The lexer skips comments; this finds the same ones. In text that parses, a `#` outside
    a string or citation always starts a comment, and a `"` or `[` outside a comment always
    starts a string or citation, so one left-to-right scan for the three is exact.

    >>> [(c.text, c.span.line, c.trailing) for c in comments_of('# a\\nname: "#1"  # b\\n')]
    [('# a', 1, False), ('# b', 2, True)]
    """
    found = []
    line, line_start = 1, 0
    for m in _QUOTING.finditer(source):
        if m.group()[0] != "#":
            continue
        line += source.count("\n", line_start, m.start())
        line_start = source.rfind("\n", 0, m.start()) + 1
        text = m.group().rstrip()
        column = m.start() - line_start + 1
        span = ast.Span(filename, line, column, line, column + len(text))
        before = source[line_start:m.start()]
        found.append(ast.Comment(text, span, trailing=bool(before.strip(" \t\u3000"))))
    return tuple(found)


def _long_lines(source: str) -> list[int]:
    """The 0-based numbers of the lines longer than :data:`MAX_LINE_CHARS` characters."""
    if len(source) <= MAX_LINE_CHARS:
        return []
    starts = line_starts(source)
    ends = starts[1:] + (len(source) + 1,)
    return [i for i, (start, end) in enumerate(zip(starts, ends))
            if end - start - 1 > MAX_LINE_CHARS and len(line_of(source, i + 1)) > MAX_LINE_CHARS]


def _long_line_error(source: str, filename: str, index: int) -> Diagnostic:
    """E107 for the 0-based line ``index``, at its first character over the limit."""
    text = line_of(source, index + 1)
    span = ast.Span(filename, index + 1, MAX_LINE_CHARS + 1, index + 1, MAX_LINE_CHARS + 2)
    return Diagnostic(Code.E107, f"the line has {group(len(text))} characters; a line may have at most "
                      f"{group(MAX_LINE_CHARS)}", span,
                      "break it over several lines: an indented line continues the statement above it",
                      source_line=text)


def _statement_lines(source: str | list[str]) -> list[tuple[int, int]]:
    """(first, last) 0-based line numbers of each statement: a line starting at column 0
    begins one; indented, blank and comment lines belong to the statement above."""
    spans: list[list[int]] = []
    for i, line in enumerate(source.split("\n") if isinstance(source, str) else source):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[0] in " \t" and spans:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return [(a, b) for a, b in spans]


def _all_syntax_errors(source: str, filename: str, long_lines: list[int] = ()) -> list[Diagnostic]:
    """Re-parse statement by statement so every broken statement gets its own error (and
    each line in ``long_lines`` its E107, its statement left unparsed). Each statement is
    parsed on its own and its errors moved to its lines: the work is linear in the file.
    Past :data:`~coopcheck.dsl.limits.MAX_DIAGNOSTICS` errors a broken statement is only
    counted, for the last line, "… and N more errors" (E108)."""
    lines = source.split("\n")
    found = ErrorBudget()
    failed: dict[str, bool] = {}  # statement text -> whether it fails, once the errors are only counted
    long_lines = list(long_lines)
    at = 0  # the next long line to report
    for first, last in _statement_lines(lines):
        while at < len(long_lines) and long_lines[at] < first:  # a long comment line
            found.add(_long_line_error(source, filename, long_lines[at]))
            at += 1
        if at < len(long_lines) and long_lines[at] <= last:
            while at < len(long_lines) and long_lines[at] <= last:
                found.add(_long_line_error(source, filename, long_lines[at]))
                at += 1
            continue
        text = "\n".join(lines[first:last + 1]) + "\n"
        if found.full(filename):
            if text not in failed:
                try:
                    lark_parser().parse(text)
                    failed[text] = False
                except (UnexpectedInput, GluedWords):
                    failed[text] = True
            if failed[text]:
                found.count(ast.Span(filename, first + 1, 1, first + 1, 2))
            continue
        try:
            lark_parser().parse(text)
        except (UnexpectedInput, GluedWords) as err:
            found.add(_diagnostic(err, source, filename, offset=first))
    for index in long_lines[at:]:
        found.add(_long_line_error(source, filename, index))
    if not found:  # fall back to the whole-file error
        try:
            lark_parser().parse(source)
        except (UnexpectedInput, GluedWords) as err:
            found.add(_diagnostic(err, source, filename))
    return found.diagnostics()


def _describe(names) -> str:
    """``a, b or c`` for the terminals a parse expected, in words (:func:`terminal_words`)."""
    described = []
    for name in sorted(set(names)):
        try:
            described.append(terminal_words(name))
        except KeyError:  # a terminal without words (tests/test_parser.py forbids it): still no name
            described.append(name.lower().replace("_", " ").strip())
    described = sorted(set(described))
    if len(described) > 8:
        described = described[:8] + ["…"]
    if len(described) == 1:
        return described[0]
    return ", ".join(described[:-1]) + " or " + described[-1]


def _diagnostic(err: Exception, source: str, filename: str, offset: int = 0) -> Diagnostic:
    """The diagnostic for a Lark error met parsing text that starts on line ``offset + 1`` of ``source``."""
    if isinstance(err, GluedWords):
        first, second = err.first, err.second
        word = f"{first}{second}"
        line = first.line + offset
        span = ast.Span(filename, line, first.column, line, first.column + len(word))
        return Diagnostic(Code.E105, f"unknown word `{quote(word)}`", span,
                          f"did you mean `{quote(str(first))} {quote(str(second))}`? words are separated by spaces",
                          source_line=line_of(source, line))
    line, column = max(getattr(err, "line", 1) or 1, 1) + offset, max(getattr(err, "column", 1) or 1, 1)
    span = ast.Span(filename, line, column, line, column + 1)
    text = line_of(source, line)
    help_ = None
    if isinstance(err, UnexpectedCharacters):
        ch = (text or "")[column - 1: column]
        if ch == '"':
            return Diagnostic(Code.E103, "unterminated string", span,
                              "close the string with `\"` on the same line", source_line=text)
        if ch == "[":
            return Diagnostic(Code.E104, "unterminated citation", span,
                              "close the citation with `]` on the same line", source_line=text)
        return Diagnostic(Code.E101, f"unexpected character `{ch}`", span,
                          f"expected {_describe(err.allowed)}" if err.allowed else None,
                          source_line=text)
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected = set(err.expected)
        if tok.type != "_NL" and err.interactive_parser is not None:
            try:
                expected = set(err.interactive_parser.accepts()) or expected
            except Exception:  # noqa: BLE001 - accepts() is advisory; keep Lark's own set
                pass
        if tok.type in ("_NL", "$END"):
            if tok.type == "_NL" or not text:
                # report at the end of the statement's last line
                end_line = tok.line + offset if tok.line else line
                text = line_of(source, end_line) or text
                end_col = len((text or "").rstrip()) + 1
                span = ast.Span(filename, end_line, end_col, end_line, end_col + 1)
            help_ = _statement_help(text, expected)
            return Diagnostic(Code.E102, f"incomplete statement: expected {_describe(expected)}",
                              span, help_, source_line=text)
        width = max(1, len(str(tok.value)))
        start = column
        while text and start > 1 and (text[start - 2].isalnum() or text[start - 2] == "_"):
            start -= 1  # the token continues a keyword the lexer already took (`usedd`)
        if start < column and str(tok.value)[:1].isalnum():
            word = text[start - 1: column - 1 + width]
            kept = text[start - 1: column - 1]
            span = ast.Span(filename, line, start, line, start + len(word))
            return Diagnostic(Code.E105, f"unknown word `{quote(word)}`", span,
                              _keyword_help(word, expected | {kept.upper()} | _terminals_with(kept)) or
                              _keyword_help(kept, {kept.upper()}), source_line=text)
        span = ast.Span(filename, line, column, line, column + width)
        help_ = (_keyword_help(str(tok.value), expected) if tok.type == "WORD" else None) \
            or _statement_help(text, expected)
        return Diagnostic(Code.E102, f"unexpected `{quote(str(tok.value))}`: expected {_describe(expected)}",
                          span, help_, source_line=text)
    if isinstance(err, UnexpectedEOF):
        return Diagnostic(Code.E102, f"unexpected end of file: expected {_describe(err.expected)}",
                          span, source_line=text)
    return Diagnostic(Code.E100, "syntax error", span, source_line=text)  # pragma: no cover


def _keyword_help(word: str, expected) -> str | None:
    """Suggest a keyword the parser expected that is spelt like ``word``."""
    words = keyword_of_terminal()
    options = [words[name] for name in expected if name in words and words[name].isalpha()]
    options += [w for name in expected for w in _alternatives().get(name, ())]  # `permit` or `deny`
    match = difflib.get_close_matches(word.lower(), options, n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


@functools.lru_cache(maxsize=1)
def _alternatives() -> dict[str, tuple[str, ...]]:
    """Terminals that are a choice of plain words (``EFFECT: "permit" | "deny"``), with the words."""
    out = {}
    for term in lark_parser().terminals:
        m = re.fullmatch(r"\(\?:((?:[a-z]+\|)+[a-z]+)\)", getattr(term.pattern, "value", ""))
        if m:
            out[term.name] = tuple(m.group(1).split("|"))
    return out


def _terminals_with(word: str) -> set[str]:
    """The choice terminals one of whose words is ``word``."""
    return {name for name, words in _alternatives().items() if word.lower() in words}


def _statement_help(text: str | None, expected) -> str | None:
    """If a statement's first word is a misspelt statement keyword, say which."""
    if not text or text[:1] in " \t":
        return None
    first = re.split(r"[\s:]", text.strip(), maxsplit=1)[0].lower()
    if first in STATEMENT_KEYWORDS:
        return None
    match = difflib.get_close_matches(first, STATEMENT_KEYWORDS, n=1, cutoff=0.75)
    return f"did you mean `{match[0]}`?" if match else None
