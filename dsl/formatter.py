"""The canonical layout of rule files (``.rules``, ``.policy``, ``.test``): ``coopcheck fmt``.

The formatter prints a file's syntax tree back as text in one fixed layout. It never needs
the vocabulary: terms are written as the author wrote them (an id, words, or a quoted label),
so formatting a file changes its layout and keyword spelling, never what it says. Formatting
is idempotent: formatting formatted text changes nothing.

The canonical layout
--------------------

Words and spacing
    Single spaces between words; no trailing spaces; Unix line endings; one newline at the end;
    no byte-order mark. Multi-word terms are joined on one line (``purchase history``).

Lists
    In English: ``a``, ``a and b``, ``a, b and c`` (items, subjects, recipients, purposes,
    obligations, honoured exceptions, a case's items). Lists of strings (aliases, metadata
    values) are separated by ``, ``.

Keywords
    One spelling each: ``honour legal exceptions:``; ``aliases`` (never ``alias``);
    ``data item NAME is PARENT, label "…", aliases "…", "…"`` (commas before ``label`` and
    ``aliases``, none before ``is``); no ``purpose``/``purposes`` after a purpose list;
    wildcards ``any purpose``, ``any declared purpose``, ``of anyone``, ``to anyone`` /
    ``with anyone``; a requirement's or a test case's recipient after ``with``.
    Conditions: ``provided that consent is given``, ``provided that a legal exception
    applies``, ``provided that EXCEPTION applies``; exceptions: ``unless consent``,
    ``unless a legal exception``, ``unless EXCEPTION``; alternatives joined by ``or``.

Statements and continuation lines
    A statement starts at column 1; continuation lines are indented four spaces. A statement
    that fits in :data:`~coopcheck.dsl.layout.WIDTH` (100) display columns is one line. Otherwise its condition
    (``provided that ...`` / ``unless ...``) goes on a continuation line, and if the rest
    still does not fit, ``for PURPOSES`` does too, as does ``may ...``/``must ...`` (with
    its recipients) when it does not fit on the line of the items and subjects; in a
    requirement ``with RECIPIENTS`` and ``requires ...`` stay on the line before them when
    they fit. A part still too long is filled, breaking only between list entries (a comma
    ends a line, ``and`` starts the next). ``obliging ...`` and then ``managed by ...``
    always take continuation lines of their own, in that order. A declaration is never
    broken (a vocabulary reads as a table: one term per line, however long). A test case is
    ``case "NAME": SCENARIO`` (the scenario on a continuation line of its own when the line
    would be too long) followed by a continuation line ``expect ...``. Statements keep their
    order.

Citations
    Kept exactly as written (``[指針2 ◇共済事業]``), at the end of the statement. On a
    one-line statement the citation starts at display column :data:`~coopcheck.dsl.layout.CITATION_COLUMN` (74),
    or three spaces after a longer text; if that does not fit, or the statement has
    continuation lines, the citation is its own last continuation line. Display columns count
    East Asian wide characters as two.

Comments and blank lines
    Comments are kept exactly, and stay about the same statement: a comment on its own line
    stays above the statement it precedes (at column 1); one indented right after a
    statement stays indented after it; one inside a statement stays before the line that
    holds the text it preceded (above the statement if that is the first line); a trailing
    comment stays at the end of the line that holds the text it followed, two spaces after
    it (if two would end the same line, the second goes on its own line above). Blank lines
    the author put between statements and comments are kept, at most one in a row; none at
    the start or end of the file.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterator, Sequence

from attrs import evolve

from coopcheck.dsl import ast
from coopcheck.dsl.layout import INDENT, Atom, Group, Line, Phrase, Pos, Shape, layout, line_text
from coopcheck.dsl.parser import keyword_of_terminal, parse

#: Keywords the lexer reads together with a comma before them (grammar.lark: COMMA_OBLIGING,
#: COMMA_MANAGED).
_COMMA_KEYWORDS = ("obliging", "managed")
#: The spaces before a trailing comment.
COMMENT_GAP = 2

_KIND_WORDS = {"item": "data item", "party": "party", "purpose": "purpose", "subject": "subject",
               "exception": "exception", "obligation": "obligation", "coop": "cooperative"}
_VERB_WORDS = {"use": "used", "collect": "collected", "publish": "published",
               "joint_use": "shared with", "entrust": "entrusted to", "provide": "provided to",
               "disclose": "disclosed to"}
_GERUNDS = {"use": "using", "collect": "collecting", "publish": "publishing", "joint_use": "sharing",
            "entrust": "entrusting", "provide": "providing", "disclose": "disclosing"}
#: The preposition before a requirement's recipients: ``sharing … with``, ``providing … to``.
_GERUND_TO = {"joint_use": "with "}
# The tokens of a rule file that matter to the formatter, as grammar.lark lexes them.
_TOKEN = re.compile(r'(?P<string>"[^"\n]*")|(?P<citation>\[[^\]\n]+\])|(?P<comment>#[^\n]*)'
                    r'|(?P<date>\d{4}-\d{2}-\d{2})|(?P<number>\d+)|(?P<word>[^\W\d][\w\-]*)|(?P<punct>[,:])')
_WORD = re.compile(r"[^\W\d][\w\-]*")
_DATE_OR_NUMBER = re.compile(r"\d{4}-\d{2}-\d{2}|\d+")



def format_text(text: str, name: str = "<string>", *, explicit_subjects: bool = False) -> str:
    """Parse rule-file text and return it in the canonical layout.

    ``explicit_subjects``: write out the data subject a statement without ``of`` speaks of
    (``of members``: docs/semantics.md §4.1), so the text says it.

    Raises :class:`~coopcheck.dsl.errors.CoopcheckError` (located syntax errors) if it does not parse.

    >>> print(format_text('policy demo\\nname ,phone may be used for delivery purposes [c 1]'), end="")
    policy demo
    name and phone may be used for delivery                                  [c 1]
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    module = parse(text, name)
    if explicit_subjects:
        module = with_explicit_subjects(module)
    return format_module(module, text)


#: How ``fmt --explicit-subjects`` writes the subject a statement without ``of`` speaks of.
DEFAULT_SUBJECT_WORDS = "members"


def with_explicit_subjects(module: ast.Module) -> ast.Module:
    """``module`` with ``of members`` written into every rule that names no data subject:
    what it already means (docs/semantics.md §4.1), now visible.

    >>> print(format_text("policy d\\nname must not be used   [1]", explicit_subjects=True), end="")
    policy d
    name of members must not be used                                         [1]
    """
    subjects = ast.Selector((ast.Term(DEFAULT_SUBJECT_WORDS),))
    rules = (ast.Grant, ast.ClosedGrant, ast.Prohibition, ast.Requirement)
    statements = tuple(evolve(s, subjects=subjects) if isinstance(s, rules) and s.subjects is None else s
                       for s in module.statements)
    return evolve(module, statements=statements)


def format_module(module: ast.Module, source: str | None = None) -> str:
    """Print a syntax tree in the canonical layout.

    With ``source`` (the text ``module`` was parsed from) quoted strings and citations are
    copied from it exactly, and comments and blank lines are kept. Without it (or for nodes
    built by hand, without spans) the tree alone is printed: strings as their parsed values,
    no comments, no blank lines; parsing the result gives the same tree.
    """
    if source is not None and source.startswith("\ufeff"):
        source = source[1:]
    if source is None or any(getattr(s, "span", None) is None for s in module.statements):
        printer = _Printer(None)
        lines = [text for stmt in module.statements for text in printer.statement(stmt, ())]
        return "".join(line + "\n" for line in lines)
    return _FilePrinter(module, source).render()


# ---- statements -> shapes --------------------------------------------------------------------

class _Printer:
    """Turns statements into shapes and lines; strings come from ``source`` when given."""

    def __init__(self, source: "_Source | None"):
        self.source = source

    # -- pieces ---------------------------------------------------------------------------
    @staticmethod
    def _pos(span: ast.Span | None) -> Pos | None:
        return (span.line, span.column) if span is not None else None

    def term(self, term: ast.Term) -> str:
        """A term as written: its words, or its quoted label copied from the source."""
        if term.quoted:
            if self.source is not None and term.span is not None:
                return self.source.text_of(term.span)
            return f'"{term.text}"'
        return term.text

    def citation(self, citation: ast.Citation | None) -> Atom | None:
        if citation is None:
            return None
        if self.source is not None and citation.span is not None:
            return Atom(self.source.text_of(citation.span), self._pos(citation.span))
        return Atom(f"[{citation.text}]")

    def terms(self, terms: Sequence[ast.Term], prefix: str = "") -> list[Atom]:
        """A list in English: ``a``, ``a and b``, ``a, b and c``; ``prefix`` leads the first.

        A term written in words that begin with ``obliging`` or ``managed`` (no such term
        exists, but a file that says so still parses) is never put after a comma, where the
        lexer reads the comma and the word as the keyword: such a list is joined with ``and``.
        """
        glued = any(not t.quoted and t.text.split(" ", 1)[0].lower() in _COMMA_KEYWORDS for t in terms[1:])
        atoms = []
        for k, term in enumerate(terms):
            text = self.term(term)
            if k == 0:
                text = prefix + text
            elif k == len(terms) - 1 or glued:
                text = "and " + text
            if k < len(terms) - 2 and not glued:
                text += ","
            atoms.append(Atom(text, self._pos(term.span)))
        return atoms

    def selector(self, sel: ast.Selector, prefix: str, wildcard: str) -> list[Atom]:
        if sel.any:
            return [Atom(prefix + wildcard, self._pos(sel.span))]
        return self.terms(sel.terms, prefix)

    def purposes(self, sel: ast.Selector) -> list[Atom]:
        return self.selector(sel, "for ", "any declared purpose" if sel.declared else "any purpose")

    def scope(self, items: ast.Selector, subjects: ast.Selector | None, prefix: str = "") -> list[Atom]:
        atoms = self.selector(items, prefix, "anything")
        if subjects is not None:
            atoms += self.selector(subjects, "of ", "anyone")
        return atoms

    def conditions(self, conds: Sequence[ast.Condition], keyword: str) -> list[Atom]:
        atoms = []
        for k, cond in enumerate(conds):
            if cond.kind == "consent":
                text = "consent is given" if keyword == "provided that" else "consent"
            elif cond.kind == "any_exception":
                text = "a legal exception applies" if keyword == "provided that" else "a legal exception"
            else:
                text = self.term(cond.term) + (" applies" if keyword == "provided that" else "")
            atoms.append(Atom((keyword if k == 0 else "or") + " " + text, self._pos(cond.span)))
        return atoms

    # -- statements -----------------------------------------------------------------------
    def shape(self, stmt) -> Shape:
        """The shape of one statement."""
        method = getattr(self, "_" + type(stmt).__name__.lower())
        return method(stmt)

    def statement(self, stmt, comments: Sequence[ast.Comment]) -> list[str]:
        """The lines of one statement (without comments when ``comments`` is empty)."""
        shape = self.shape(stmt)
        if comments and self.source is not None:
            shape = self.source.locate(shape, stmt.span)
        return _with_comments(layout(shape), comments)

    def _simple(self, keyword: str, term: ast.Term) -> Shape:
        return Shape(Group((Phrase((Atom(f"{keyword} {self.term(term)}", self._pos(term.span)),)),)))

    def _moduleheader(self, stmt: ast.ModuleHeader) -> Shape:
        return self._simple("module", stmt.name)

    def _policyheader(self, stmt: ast.PolicyHeader) -> Shape:
        return self._simple("policy", stmt.coop)

    def _testsheader(self, stmt: ast.TestsHeader) -> Shape:
        return self._simple("tests for", stmt.target)

    def _import(self, stmt: ast.Import) -> Shape:
        return self._simple("import", stmt.target)

    def _meta(self, stmt: ast.Meta) -> Shape:
        if self.source is not None and stmt.span is not None:
            key, values = self.source.meta_parts(stmt)
        else:
            key = _key_text(stmt.key)
            values = [Atom(v if _DATE_OR_NUMBER.fullmatch(v) else f'"{v}"') for v in stmt.values]
        atoms = []
        for k, value in enumerate(values):
            text = value.text + ("," if k < len(values) - 1 else "")
            atoms.append(Atom(f"{key}: {text}" if k == 0 else text, value.pos))
        return Shape(Group((Phrase(tuple(atoms)),)), citation=self.citation(stmt.citation))

    def _declaration(self, stmt: ast.Declaration) -> Shape:
        atoms = [Atom(f"{_KIND_WORDS[stmt.kind]} {self.term(stmt.name)}", self._pos(stmt.name.span))]
        if stmt.parent is not None:
            atoms.append(Atom("is " + self.term(stmt.parent), self._pos(stmt.parent.span)))
        strings = self.source.strings_in(stmt.span) if self.source and stmt.span else None
        raw = strings[len(strings) - len(stmt.aliases) - (stmt.label is not None):] if strings else None

        def string(k: int, value: str) -> Atom:
            return raw[k] if raw else Atom(f'"{value}"')

        k = 0
        if stmt.label is not None:
            label = string(k, stmt.label)
            atoms[-1] = Atom(atoms[-1].text + ",", atoms[-1].pos)
            atoms.append(Atom("label " + label.text, label.pos))
            k += 1
        for n, alias in enumerate(stmt.aliases):
            atoms[-1] = Atom(atoms[-1].text + ",", atoms[-1].pos)
            value = string(k + n, alias)
            atoms.append(Atom(("aliases " if n == 0 else "") + value.text, value.pos))
        # a vocabulary reads as a table: a declaration is never broken
        return Shape(Group((Phrase(tuple(atoms)),)), unbroken=True)

    def _rule(self, scope: list[Atom], verb: list[Atom], purposes: list[Atom] | None,
              clause: list[Atom], own: list[list[Atom]], citation) -> Shape:
        head = [Phrase(tuple(scope)), Phrase(tuple(verb), join=True)]
        if purposes:
            head.append(Phrase(tuple(purposes)))
        parts: list = [Group(tuple(head))]
        if clause:
            parts.append(Phrase(tuple(clause)))
        return Shape(Group(tuple(parts)), tuple(Phrase(tuple(p)) for p in own if p), self.citation(citation))

    def _verb(self, modal: str, verb: str, recipients: ast.Selector | None) -> list[Atom]:
        words = f"{modal} {_VERB_WORDS[verb]}"
        if recipients is None:
            return [Atom(words)]
        return self.selector(recipients, words + " ", "anyone")

    def _grant(self, stmt: ast.Grant) -> Shape:
        own = [self.terms(stmt.obligations, "obliging ")] if stmt.obligations else []
        if stmt.managed_by is not None:
            own.append([Atom("managed by " + self.term(stmt.managed_by), self._pos(stmt.managed_by.span))])
        return self._rule(self.scope(stmt.items, stmt.subjects), self._verb("may be", stmt.verb, stmt.recipients),
                          self.purposes(stmt.purposes), self.conditions(stmt.conditions, "provided that"),
                          own, stmt.citation)

    def _closedgrant(self, stmt: ast.ClosedGrant) -> Shape:
        own = [self.terms(stmt.obligations, "obliging ")] if stmt.obligations else []
        return self._rule(self.scope(stmt.items, stmt.subjects), self._verb("may only be", stmt.verb, stmt.recipients),
                          self.purposes(stmt.purposes), self.conditions(stmt.exceptions, "unless"),
                          own, stmt.citation)

    def _prohibition(self, stmt: ast.Prohibition) -> Shape:
        purposes = self.purposes(stmt.purposes) if stmt.purposes is not None else None
        return self._rule(self.scope(stmt.items, stmt.subjects), self._verb("must not be", stmt.verb, stmt.recipients),
                          purposes, self.conditions(stmt.exceptions, "unless"), [], stmt.citation)

    def _requirement(self, stmt: ast.Requirement) -> Shape:
        head = [Phrase(tuple(self.scope(stmt.items, stmt.subjects, _GERUNDS[stmt.verb] + " ")))]
        if stmt.recipients is not None:
            head.append(Phrase(tuple(self.selector(stmt.recipients, _GERUND_TO.get(stmt.verb, "to "), "anyone")),
                               join=True))
        if stmt.purposes is not None:
            head.append(Phrase(tuple(self.purposes(stmt.purposes))))
        head.append(Phrase((Atom("requires " + " and ".join(stmt.needs)),), join=True))
        parts: list = [Group(tuple(head))]
        clause = self.conditions(stmt.exceptions, "unless")
        if clause:
            parts.append(Phrase(tuple(clause)))
        return Shape(Group(tuple(parts)), citation=self.citation(stmt.citation))

    def _honour(self, stmt: ast.Honour) -> Shape:
        atoms = self.terms(stmt.exceptions, "honour legal exceptions: ")
        return Shape(Group((Phrase(tuple(atoms)),)), citation=self.citation(stmt.citation))

    def _case(self, stmt: ast.Case) -> Shape:
        if self.source is not None and stmt.span is not None:
            name = self.source.strings_in(stmt.span)[0]
        else:
            name = Atom(f'"{stmt.name}"')
        sc = stmt.scenario
        atoms = self.terms(sc.items, sc.action + " ")
        for prefix, term in (("of ", sc.subject), ("with ", sc.recipient), ("for ", sc.purpose)):
            if term is not None:
                atoms.append(Atom(prefix + self.term(term), self._pos(term.span)))
        if sc.consent:
            atoms.append(Atom("with consent"))
        if sc.exception is not None:
            atoms.append(Atom("claiming " + self.term(sc.exception), self._pos(sc.exception.span)))
        ex = stmt.expect
        expect = [Atom("expect " + ex.effect, self._pos(ex.span))]
        if ex.basis is not None:
            expect.append(Atom("by " + self.term(ex.basis), self._pos(ex.basis.span)))
        if ex.citation is not None:
            cited = self.citation(ex.citation)
            expect.append(Atom("citing " + cited.text, cited.pos))
        main = Group((Phrase((Atom(f"case {name.text}:", name.pos),)), Phrase(tuple(atoms))))
        return Shape(main, (Phrase(tuple(expect)),))


def _key_text(key: str) -> str:
    """A metadata key as words, or quoted when words might not read back as the same key."""
    words = key.split()
    keywords = set(keyword_of_terminal().values())
    if words and all(_WORD.fullmatch(w) and w not in keywords for w in words):
        return " ".join(words)
    return f'"{key}"'


# ---- the source text ---------------------------------------------------------------------

class _Source:
    """The text a module was parsed from, addressed by 1-based lines and columns."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1

    def text_of(self, span: ast.Span) -> str:
        return self.text[self.offset(span.line, span.column):self.offset(span.end_line, span.end_column)]

    def pos_of(self, offset: int) -> Pos:
        line = bisect.bisect_right(self.starts, offset)
        return (line, offset - self.starts[line - 1] + 1)

    def tokens(self, span: ast.Span) -> Iterator[tuple[str, str, Pos]]:
        """(kind, text, position) of the tokens in ``span``, comments left out."""
        start, end = self.offset(span.line, span.column), self.offset(span.end_line, span.end_column)
        for m in _TOKEN.finditer(self.text, start, end):
            if m.lastgroup != "comment":
                yield m.lastgroup, m.group(), self.pos_of(m.start())

    def locate(self, shape: Shape, span: ast.Span) -> Shape:
        """``shape`` with a source position for every atom that has none (keywords such as
        ``may be used`` or ``requires consent``): the next word in ``span`` that the atom's
        first word matches, after the atom before it."""
        words = [(text, pos) for kind, text, pos in self.tokens(span) if kind == "word"]
        last: list = [(span.line, span.column)]

        def atom(a: Atom) -> Atom:
            if a.pos is None:
                first = a.text.split(" ", 1)[0]
                found = next((pos for text, pos in words if text == first and pos > last[0]), None)
                a = Atom(a.text, found) if found is not None else a
            if a.pos is not None:
                last[0] = max(last[0], a.pos)
            return a

        def part(p):
            if isinstance(p, Phrase):
                return Phrase(tuple(atom(a) for a in p.atoms), p.join)
            return Group(tuple(part(c) for c in p.parts), p.join)

        main = part(shape.main)
        own = tuple(part(p) for p in shape.own)
        citation = atom(shape.citation) if shape.citation is not None else None
        return Shape(main, own, citation, shape.unbroken)

    def strings_in(self, span: ast.Span) -> list[Atom]:
        """The quoted strings in ``span``, exactly as written."""
        return [Atom(text, pos) for kind, text, pos in self.tokens(span) if kind == "string"]

    def meta_parts(self, stmt: ast.Meta) -> tuple[str, list[Atom]]:
        """A metadata line's key as written and its values exactly as written."""
        key: list[str] = []
        values: list[Atom] = []
        in_values = False
        for kind, text, pos in self.tokens(stmt.span):
            if kind == "punct" and text == ":" and not in_values:
                in_values = True
            elif not in_values:
                key.append(text)
            elif kind in ("string", "date", "number"):
                values.append(Atom(text, pos))
        return " ".join(key), values

    def blank_between(self, after: int, before: int) -> bool:
        """Whether a blank line lies strictly between lines ``after`` and ``before``."""
        return any(not self.lines[n - 1].strip(" \t\u3000\r") for n in range(after + 1, before))


# ---- comments ------------------------------------------------------------------------------

def _comment_pos(comment: ast.Comment) -> Pos:
    return (comment.span.line, comment.span.column)


def _with_comments(lines: list[Line], comments: Sequence[ast.Comment]) -> list[str]:
    """The statement's text lines with its comments put back (see the module docstring).

    ``comments`` are the statement's own: trailing ones on its lines and own-line ones inside
    it (placed by the atom they follow or precede); own-line comments after its last text
    are printed indented after it.
    """
    located = [(n, a.pos) for n, line in enumerate(lines) for a in line.atoms + [line.citation]
               if a is not None and a.pos is not None]
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    trailing: dict[int, str] = {}
    for comment in comments:
        pos = _comment_pos(comment)
        if comment.trailing:
            preceding = [n for n, p in located if p < pos]
            n = preceding[-1] if preceding else 0
            if n in trailing:  # two would share a line: the second goes on its own line above
                before.setdefault(n, []).append(comment.text)
            else:
                trailing[n] = comment.text
        else:
            following = [n for n, p in located if p > pos]
            if following:
                before.setdefault(following[0], []).append(comment.text)
            else:
                after.setdefault(len(lines) - 1, []).append(comment.text)
    out: list[str] = []
    for n, line in enumerate(lines):
        for text in before.get(n, ()):
            out.append(text if n == 0 else INDENT + text)
        text = line_text(line, n == 0)
        if n in trailing:
            text += " " * COMMENT_GAP + trailing[n]
        out.append(text)
        for text in after.get(n, ()):
            out.append(INDENT + text)
    return out


class _FilePrinter:
    """A whole file: statements with their comments, standalone comments, blank lines."""

    def __init__(self, module: ast.Module, source: str):
        self.module = module
        self.source = _Source(source)
        self.printer = _Printer(self.source)

    def _items(self) -> list[tuple[int, int, object, list[ast.Comment]]]:
        """(first line, last line, statement or comment, the statement's comments) in order."""
        stmts = list(self.module.statements)
        firsts = [s.span.line for s in stmts]
        own: dict[int, list[ast.Comment]] = {k: [] for k in range(len(stmts))}
        last_line = {k: s.span.end_line for k, s in enumerate(stmts)}
        standalone: list[ast.Comment] = []
        for comment in self.module.comments:
            line = comment.span.line
            k = bisect.bisect_right(firsts, line) - 1  # the statement starting at or before it
            if k < 0:
                standalone.append(comment)
                continue
            stmt = stmts[k]
            if comment.trailing or line < stmt.span.end_line:
                own[k].append(comment)
            elif line == last_line[k] + 1 and comment.span.column > 1:
                own[k].append(comment)  # indented right after the statement: it annotates it
                last_line[k] = line
            else:
                standalone.append(comment)
        items = [(s.span.line, last_line[k], s, own[k]) for k, s in enumerate(stmts)]
        items += [(c.span.line, c.span.line, c, []) for c in standalone]
        items.sort(key=lambda item: item[0])
        return items

    def render(self) -> str:
        out: list[str] = []
        previous_last = None
        for first, last, node, comments in self._items():
            if previous_last is not None and self.source.blank_between(previous_last, first):
                out.append("")
            if isinstance(node, ast.Comment):
                out.append(node.text)
            else:
                out.extend(self.printer.statement(node, comments))
            previous_last = last
        return "".join(line + "\n" for line in out)
