"""The language features, over a :class:`~coopcheck.lsp.model.Model`: hover, completion,
go-to-definition, document symbols, code actions, formatting and the conversion of lint's
diagnostics. Each returns lsprotocol types; nothing here talks to the client.

Positions: the model counts columns in code points (as spans do); the client counts them in
the position encoding agreed at start-up (UTF-16 unless the client offers another), which
:class:`Positions` converts, so a line with characters outside the Basic Multilingual Plane
still puts a caret under the right word.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

from lark.exceptions import LarkError
from lsprotocol import types as lsp

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code, lookup
from coopcheck.dsl.errors import CoopcheckError, Diagnostic, did_you_mean
from coopcheck.dsl.formatter import format_module, format_text
from coopcheck.dsl.parser import GluedWords, keyword_of_terminal, lark_parser

from coopcheck.analysis.lint_checks import comment_start, strip_comment
from coopcheck.core.compiler import META_KEYS
from coopcheck.core.desugar import desugar, implied
from coopcheck.core.paths import shipped_policy_ids
from coopcheck.core.vocabulary import KIND_NAMES, TermInfo, UnknownTerm, Vocabulary
from coopcheck.presentation.desugared import meaning

from coopcheck.lsp.model import WORD_RE, Model, Sources, disk_sources, module_names, resolve_import, test_target

# ---- positions ---------------------------------------------------------------------------------


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


def _contains(span: ast.Span | None, line: int, column: int) -> bool:
    """Whether 1-based ``line``/``column`` falls in ``span`` (its end included: the cursor
    just after a word is on it)."""
    if span is None:
        return False
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


# ---- what the document says ---------------------------------------------------------------------

#: The kinds a term may be of, by where it stands (as the compiler resolves it).
_SELECTORS = (("items", ("item",)), ("subjects", ("subject",)), ("recipients", ("party",)),
              ("purposes", ("purpose",)))
_RULES = (ast.Grant, ast.ClosedGrant, ast.Prohibition, ast.Requirement)


def occurrences(stmt) -> Iterator[tuple[ast.Term, tuple[str, ...]]]:
    """Every term a statement names, with what it may be: kinds of the vocabulary, or
    ``("declare", kind)`` for the name a declaration declares, ``("import",)``, ``("file",)``."""
    if isinstance(stmt, _RULES):
        for field, kinds in _SELECTORS:
            sel = getattr(stmt, field, None)
            if sel is not None:
                for term in sel.terms:
                    yield term, kinds
        for cond in getattr(stmt, "conditions", ()) + getattr(stmt, "exceptions", ()):
            if cond.kind == "exception" and cond.term is not None:
                yield cond.term, ("exception",)
        for term in getattr(stmt, "obligations", ()):
            yield term, ("obligation",)
        managed = getattr(stmt, "managed_by", None)
        if managed is not None and not managed.quoted:
            yield managed, ("coop", "party")
    elif isinstance(stmt, ast.Honour):
        for term in stmt.exceptions:
            yield term, ("exception",)
    elif isinstance(stmt, ast.Declaration):
        yield stmt.name, ("declare", stmt.kind)
        if stmt.parent is not None:
            yield stmt.parent, (stmt.kind,)
    elif isinstance(stmt, ast.Case):
        sc = stmt.scenario
        for term in sc.items:
            yield term, ("item",)
        for term, kinds in ((sc.subject, ("subject",)), (sc.recipient, ("party",)),
                            (sc.purpose, ("purpose",)), (sc.exception, ("exception",))):
            if term is not None:
                yield term, kinds
    elif isinstance(stmt, ast.PolicyHeader):
        yield stmt.coop, ("coop",)
    elif isinstance(stmt, ast.TestsHeader):
        yield stmt.target, ("file",) if stmt.target.quoted else ("coop",)
    elif isinstance(stmt, ast.Import):
        yield stmt.target, ("import",)


def citation_of(stmt) -> ast.Citation | None:
    """The citation a statement ends with (a case's ``citing [...]`` too)."""
    if isinstance(stmt, ast.Case):
        return stmt.expect.citation
    return getattr(stmt, "citation", None)


def statement_at(module: ast.Module, line: int) -> object | None:
    """The statement whose lines hold 1-based ``line``."""
    for stmt in module.statements:
        if stmt.span is not None and stmt.span.line <= line <= stmt.span.end_line:
            return stmt
    return None


def resolve(vocab: Vocabulary, term: ast.Term, kinds: tuple[str, ...]) -> str | None:
    """The id a term names (None: not a term of those kinds, or not a vocabulary term)."""
    if kinds[0] == "declare":
        return term.key if term.key in vocab.terms else None
    if kinds[0] in ("import", "file"):
        return None
    try:
        return vocab.resolve(term.text, kinds)
    except UnknownTerm:
        return None


def summary(model_lines: list[str], stmt, limit: int = 72) -> str:
    """A statement's words on one line: comments, the citation and extra spaces removed."""
    span = stmt.span
    text = " ".join(strip_comment(model_lines[i]).strip() for i in range(span.line - 1, span.end_line)
                    if i < len(model_lines))
    text = re.sub(r"\s*\[[^\]]*\]\s*$", "", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def mentions(owner: Model, tid: str) -> list:
    """The rule statements of ``owner``'s own file that name term ``tid`` (or a name of it)."""
    index = getattr(owner, "_mentions", None)
    if index is None:  # built once per model: completion documents every term it offers
        index = {}
        for stmt in owner.partial.statements:
            if isinstance(stmt, ast.RULE_TYPES):
                for found in {resolve(owner.vocabulary, term, kinds) for term, kinds in occurrences(stmt)}:
                    index.setdefault(found, []).append(stmt)
        owner._mentions = index
    return index.get(tid, [])


def citing(owner: Model, label: str) -> list:
    """The statements of ``owner``'s own file that cite clause ``label``."""
    out = []
    for stmt in owner.partial.statements:
        citation = citation_of(stmt)
        if citation is not None and citation.text.strip() == label and not isinstance(stmt, ast.Case):
            out.append(stmt)
    return out


# ---- hover --------------------------------------------------------------------------------------

def term_markdown(model: Model, info: TermInfo) -> str:
    """What a term is: id, kind, Japanese label, aliases, parents, where it is declared, and
    the rules of this policy that mention it."""
    vocab = model.terms
    out = [f"**{info.id}** — {KIND_NAMES.get(info.kind, info.kind)}"]
    if info.label:
        out.append(f"label: **{info.label}**")
    if info.aliases:
        out.append("aliases: " + "、".join(info.aliases))
    chain = [info.id, *vocab.parents(info.id)]
    if len(chain) > 1:
        out.append("is: " + " → ".join(f"`{t}`" for t in chain))
    else:
        out.append("is: a root term (no parent)")
    children = sorted(t.id for t in vocab.terms.values() if t.parent == info.id)
    if children:
        shown = ", ".join(f"`{c}`" for c in children[:8]) + (" …" if len(children) > 8 else "")
        out.append(f"narrower: {shown}")
    found = model.declaration_of(info.id)
    if found is not None:
        path, decl = found
        out.append(f"declared in `{path.name}` line {decl.span.line}" if decl.span else f"declared in `{path.name}`")
    owner = model.policy
    if owner is not None:
        rules = mentions(owner, info.id)
        where = "this policy" if owner.is_policy else f"`{owner.path.name}`"
        if rules:
            listed = [f"mentioned by {len(rules)} rule{'s' if len(rules) != 1 else ''} of {where}:"]
            for stmt in rules[:12]:
                cite = citation_of(stmt)
                tag = f" `[{cite.text}]`" if cite is not None else ""
                listed.append(f"- line {stmt.span.line}{tag}: {summary(owner.lines, stmt)}")
            if len(rules) > 12:
                listed.append(f"- … and {len(rules) - 12} more")
            out.append("\n".join(listed))
        else:
            out.append(f"mentioned by no rule of {where}")
    return "\n\n".join(out)


def clause_markdown(model: Model, label: str) -> str:
    """What a citation's clause is in the inventory."""
    owner = model.policy
    inventory = owner.inventory if owner is not None else None
    if inventory is None:
        return f"**[{label}]** — no clause inventory (`.clauses`) beside this policy"
    clause = model.clause(label)
    if clause is None:
        hint = did_you_mean(label, [c.label for c in owner.clauses])
        return (f"**[{label}]** is not a clause of `{inventory.name}`"
                + (f"\n\n{hint}" if hint else ""))
    out = [f"**[{clause.label}]** — `{inventory.name}` line {clause.line}"]
    text = owner_line(model, inventory, clause.line)
    if text:
        out.append(f"`{text.strip()}`")
    if clause.reason:
        out.append(f"decides no data use: {clause.reason}")
    stmts = citing(owner, clause.label)
    if stmts:
        out.append("cited on line" + ("s " if len(stmts) > 1 else " ")
                   + ", ".join(str(s.span.line) for s in stmts))
    return "\n\n".join(out)


def owner_line(model: Model, path: Path, line: int) -> str | None:
    """Line ``line`` of ``path``: the document's own text when it is that file."""
    if model.path == path:
        lines = model.lines
    else:
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            return None
    return lines[line - 1] if 0 < line <= len(lines) else None


def statement_markdown(model: Model, stmt) -> str | None:
    """What a rule statement says once its defaults are written out (``coopcheck desugar``)."""
    if not isinstance(stmt, ast.RULE_TYPES):
        return None
    vocab = model.vocabulary
    text = format_module(ast.Module(model.shown, (desugar(stmt, vocab.terms),))).rstrip("\n")
    out = []
    rule = None
    if model.ruleset is not None:
        for r in model.ruleset.rules:
            if r.file == model.shown and r.line == stmt.span.line:
                rule = r
                break
    if rule is not None:
        out.append(f"`{rule.id}` — {meaning(rule)}")
    else:
        out.append("as it reads with its defaults written out:")
    out.append("```coopcheck\n" + text + "\n```")
    if rule is not None:
        out.extend(f"- {note}" for note in implied(rule.kind, rule.verb, rule.actions, rule.needs))
    return "\n\n".join(out)


def hover(model: Model, line: int, column: int, pos: Positions) -> lsp.Hover | None:
    """The hover at 1-based ``line``/``column``: a term, a citation, a statement."""
    if model.suffix == ".clauses":
        return _clause_line_hover(model, line, pos)
    stmt = statement_at(model.partial, line)
    if stmt is None:
        return None
    for term, kinds in occurrences(stmt):
        if not _contains(term.span, line, column):
            continue
        value = _term_hover_text(model, term, kinds)
        if value is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=value),
                         range=pos.range(model.lines, term.span))
    citation = citation_of(stmt)
    if citation is not None and _contains(citation.span, line, column):
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown,
                                                    value=clause_markdown(model, citation.text.strip())),
                         range=pos.range(model.lines, citation.span))
    value = statement_markdown(model, stmt)
    if value is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=value),
                     range=pos.range(model.lines, stmt.span))


def _term_hover_text(model: Model, term: ast.Term, kinds: tuple[str, ...]) -> str | None:
    vocab = model.terms
    if kinds[0] == "import":
        target = resolve_import(term, model.path)
        return f"module `{term.text}` — `{target}`" if target else f"no module `{term.text}` found"
    if kinds[0] == "file":
        target = test_target(ast.TestsHeader(term), model.path)
        return f"tests for `{target}`" if target else f"no policy `{term.text}` found"
    tid = resolve(vocab, term, kinds)
    if tid is None:
        if kinds[0] == "declare":
            return None
        try:
            vocab.resolve(term.text, kinds)
        except UnknownTerm as err:
            return err.message + (f"\n\n{err.help}" if err.help else "")
        return None
    return term_markdown(model, vocab.terms[tid])


def _clause_line_hover(model: Model, line: int, pos: Positions) -> lsp.Hover | None:
    clause = next((c for c in model.clauses if c.line == line), None)
    if clause is None:
        return None
    owner = model.target
    out = [f"**[{clause.label}]**"]
    if clause.reason:
        out.append(f"decides no data use: {clause.reason}")
    if owner is not None:
        stmts = citing(owner, clause.label)
        if stmts:
            out.append(f"cited by `{owner.path.name}`:")
            out.extend(f"- line {s.span.line}: {summary(owner.lines, s)}" for s in stmts[:12])
        elif not clause.reason:
            out.append(f"not cited by `{owner.path.name}` (E501 until a rule cites it or a reason is given)")
    span = ast.Span(model.shown, line, 1, line, len(clause.label) + 1)
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n".join(out)),
                     range=pos.range(model.lines, span))


# ---- go to definition ---------------------------------------------------------------------------

def definition(model: Model, line: int, column: int) -> list[tuple[Path, ast.Span]]:
    """Where what is under the cursor is defined: a term's declaration, a citation's
    inventory line, an imported file; on an inventory line, the statements citing it."""
    if model.suffix == ".clauses":
        clause = next((c for c in model.clauses if c.line == line), None)
        if clause is None or model.target is None:
            return []
        return [(model.target.path, s.span) for s in citing(model.target, clause.label)]
    stmt = statement_at(model.partial, line)
    if stmt is None:
        return []
    for term, kinds in occurrences(stmt):
        if not _contains(term.span, line, column):
            continue
        if kinds[0] == "import":
            target = resolve_import(term, model.path)
            return [(target, ast.Span(str(target), 1, 1, 1, 1))] if target else []
        if isinstance(stmt, ast.TestsHeader):
            target = test_target(stmt, model.path)
            return [(target, ast.Span(str(target), 1, 1, 1, 1))] if target is not None else []
        tid = resolve(model.terms, term, kinds)
        found = model.declaration_of(tid) if tid else None
        if found is None:
            return []
        path, decl = found
        return [(path, decl.name.span or decl.span)]
    citation = citation_of(stmt)
    if citation is not None and _contains(citation.span, line, column):
        clause = model.clause(citation.text)
        owner = model.policy
        if clause is not None and owner is not None and owner.inventory is not None:
            return [(owner.inventory, ast.Span(str(owner.inventory), clause.line, 1, clause.line,
                                               len(clause.label) + 1))]
    return []


# ---- completion ---------------------------------------------------------------------------------

_ITEM_KINDS = {"item": lsp.CompletionItemKind.Field, "party": lsp.CompletionItemKind.Class,
               "purpose": lsp.CompletionItemKind.Event, "subject": lsp.CompletionItemKind.Struct,
               "exception": lsp.CompletionItemKind.Constant, "obligation": lsp.CompletionItemKind.Property,
               "coop": lsp.CompletionItemKind.Module}
#: Terminals that are not plain keywords, and the words that complete them.
_SPECIAL = {"ANY_PURPOSE": ("any purpose",), "DECLARED_PURPOSE": ("any declared purpose",),
            "ANY_SUBJECT": ("anyone",), "ANY_RECIPIENT": ("anyone",), "EFFECT": ("permit", "deny"),
            "COMMA_OBLIGING": ("obliging",), "COMMA_MANAGED": ("managed",)}
#: Keywords that begin a phrase, offered whole as well.
_PHRASES = {"may": ("may be", "may only be", "may not be"), "must": ("must not be",), "legal": ("legal exceptions:",),
            "managed": ("managed by",), "provided": ("provided that",)}
#: The kinds of term a keyword before a term asks for (see :func:`_wanted_kinds`).
_AFTER = {"for": ("purpose",), "with": ("party",), "to": ("party",), "of": ("subject",),
          "unless": ("exception",), "that": ("exception",), "or": ("exception",),
          "obliging": ("obligation",), "claiming": ("exception",), "exceptions": ("exception",),
          "exception": ("exception",), "use": ("item",), "collect": ("item",), "share": ("item",),
          "publish": ("item",), "using": ("item",), "collecting": ("item",), "sharing": ("item",),
          "publishing": ("item",), "entrusting": ("item",), "providing": ("item",), "disclosing": ("item",), "policy": ("coop",), "by": ("coop", "party")}
_DECLARED_KINDS = {"item": "item", "party": "party", "purpose": "purpose", "subject": "subject",
                   "exception": "exception", "obligation": "obligation", "cooperative": "coop"}


def _statement_start(lines: list[str], line0: int, before: str) -> int:
    """The 0-based line the statement being typed at ``line0`` starts on (``before``: the
    line's text before the cursor): that line unless it is indented, a continuation."""
    if before[:1] not in (" ", "\t", "\u3000"):
        return line0
    for i in range(line0 - 1, -1, -1):
        text = lines[i]
        if text.strip(" \t\r\u3000") and not text.lstrip().startswith("#") and text[:1] not in (" ", "\t", "\u3000"):
            return i
    return line0


def _parse_prefix(text: str):
    """The tokens of a statement's beginning and the terminals the grammar accepts next, or
    None when the beginning does not parse."""
    try:
        interactive = lark_parser().parse_interactive(text)
        tokens = []
        for tok in interactive.iter_parse():
            if tok.type == "_NL":
                break
            tokens.append(tok)
        return tokens, set(interactive.accepts())
    except (LarkError, GluedWords):
        return None


def _wanted_kinds(tokens, first_word: str) -> tuple[str, ...] | None:
    """The kinds of term the grammar wants after ``tokens`` (the trailing words of a term
    being typed skipped), by the keyword that stands before it; None: no vocabulary term."""
    words = keyword_of_terminal()
    i = len(tokens)
    while i > 0 and tokens[i - 1].type in ("WORD", "STRING", "COMMA", "AND"):
        i -= 1
    if i == 0:
        return ("item",)  # a rule's scope (or a metadata key)
    prev = tokens[i - 1]
    word = words.get(prev.type) or {"COMMA_OBLIGING": "obliging", "COMMA_MANAGED": "managed"}.get(prev.type, "")
    if word == "is" and first_word in _DECLARED_KINDS or (word == "is" and first_word == "data"):
        kind_word = "item" if first_word == "data" else first_word
        return (_DECLARED_KINDS[kind_word],)
    if word == "for" and first_word == "tests":
        return ("coop",)
    if word == "by" and first_word == "case":
        return None  # a legal basis, not a term
    if word == ":":
        return ("exception",) if first_word == "honour" else None
    return _AFTER.get(word)


def _term_items(vocab: Vocabulary, kinds: Iterable[str], edit_range: lsp.Range, model: Model) -> list:
    items = []
    kinds = tuple(kinds)
    for order, info in enumerate(vocab.terms.values()):
        if info.kind not in kinds:
            continue
        words = info.id.replace("_", " ")
        # the words form resolves to the term unless another term has that name too
        text = words if len(vocab.names.get(words, (info.id,))) <= 1 else info.id
        detail = f"{KIND_NAMES.get(info.kind, info.kind)} {info.id}" + (f" · {info.label}" if info.label else "")
        doc = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=term_markdown(model, info))
        items.append(lsp.CompletionItem(
            label=text, kind=_ITEM_KINDS.get(info.kind), detail=detail, documentation=doc,
            filter_text=text if text == info.id else f"{text} {info.id}",
            sort_text=f"1{order:05d}", text_edit=lsp.TextEdit(range=edit_range, new_text=text)))
        for name in (info.label, *info.aliases):
            if not name:
                continue
            written = name if WORD_RE.fullmatch(name) else f'"{name}"'
            items.append(lsp.CompletionItem(
                label=name, kind=_ITEM_KINDS.get(info.kind), detail=f"{info.id} · {detail}",
                documentation=doc, filter_text=name, sort_text=f"2{order:05d}",
                text_edit=lsp.TextEdit(range=edit_range, new_text=written)))
    return items


def completion(model: Model, position: lsp.Position, pos: Positions) -> list[lsp.CompletionItem]:
    """Completions at ``position``: clause labels inside ``[…]``, allowable codes in a
    ``# coopcheck: allow`` comment, else the keywords the grammar accepts there and the terms
    of the kind it wants."""
    if model.suffix == ".clauses":
        return []
    line1, column1 = pos.from_client(model.lines, position)
    line0, col = line1 - 1, column1 - 1
    text = model.lines[line0] if line0 < len(model.lines) else ""
    before = text[:col]

    def rng(start_col: int, start_line: int = line0) -> lsp.Range:
        lines = model.lines
        return lsp.Range(start=pos.to_client(lines, start_line + 1, start_col + 1),
                         end=pos.to_client(lines, line0 + 1, col + 1))

    hash_at = comment_start(before)
    if hash_at is not None:
        directive = re.match(r"#\s*coopcheck\s*:\s*allow\b[^-—]*?([A-Z]?\d*)$", before[hash_at:])
        if not directive:
            return []
        start = col - len(directive.group(1))
        return [lsp.CompletionItem(label=str(c), kind=lsp.CompletionItemKind.Value, detail=c.description,
                                   text_edit=lsp.TextEdit(range=rng(start), new_text=str(c)))
                for c in Code if c.allowable]
    # inside a citation: `[` not yet closed before the cursor (outside strings)
    opened = _open_bracket(before)
    if opened is not None:
        return _clause_items(model, text, opened, col, rng)
    if before.count('"') % 2 == 1:
        return []  # inside a quoted string
    partial = re.search(r"[\w\-]*$", before).group()
    start_line = _statement_start(model.lines, line0, before)
    head = model.lines[start_line:line0] + [before[:len(before) - len(partial)]]
    prefix = "\n".join(head)
    parsed = _parse_prefix(prefix)
    keyword_range = rng(col - len(partial))
    items: list[lsp.CompletionItem] = []
    words = keyword_of_terminal()
    if parsed is None:
        tokens, accepts = [], None
    else:
        tokens, accepts = parsed
    first_word = (tokens[0].value if tokens else "").lower()
    if accepts is not None:
        seen = set()
        for name in sorted(accepts):
            options = _SPECIAL.get(name) or ((words[name],) if name in words and words[name].isalpha() else ())
            for option in options:
                phrases = _PHRASES.get(option, ())
                if option == "provided" and tokens and tokens[-1].type == "BE":
                    phrases = ()  # `may be provided to`: the verb, not a condition
                for keyword in (option, *phrases):
                    if keyword not in seen:
                        seen.add(keyword)
                        items.append(lsp.CompletionItem(
                            label=keyword, kind=lsp.CompletionItemKind.Keyword, sort_text=f"0{keyword}",
                            text_edit=lsp.TextEdit(range=keyword_range, new_text=keyword)))
        if not tokens and model.is_policy:
            for key in META_KEYS:
                items.append(lsp.CompletionItem(
                    label=f"{key}:", kind=lsp.CompletionItemKind.Property, sort_text=f"0{key}",
                    filter_text=key, text_edit=lsp.TextEdit(range=keyword_range, new_text=f"{key}: ")))
        wants_term = "WORD" in accepts or "STRING" in accepts
    else:
        wants_term = True
    if not wants_term:
        return items
    # the term being typed: the words since the last token that is not a word
    run = len(tokens)
    while run > 0 and tokens[run - 1].type == "WORD":
        run -= 1
    term_start = (line0, col - len(partial))
    if run < len(tokens) and tokens[run].line - 1 + start_line == line0:
        term_start = (line0, tokens[run].column - 1)
    kinds = _wanted_kinds(tokens, first_word) if accepts is not None else tuple(_ITEM_KINDS)
    last_word = words.get(tokens[run - 1].type) if run > 0 else None
    term_range = rng(term_start[1], term_start[0])
    if last_word == "import":
        for name in module_names(model.path):
            items.append(lsp.CompletionItem(label=name, kind=lsp.CompletionItemKind.Module,
                                            text_edit=lsp.TextEdit(range=term_range, new_text=name)))
        return items
    if kinds is None:
        return items
    vocab = model.terms
    if kinds == ("coop",) and not vocab.of_kind("coop"):
        for name in shipped_policy_ids():
            items.append(lsp.CompletionItem(label=name, kind=lsp.CompletionItemKind.Module,
                                            text_edit=lsp.TextEdit(range=term_range, new_text=name)))
        return items
    return items + _term_items(vocab, kinds, term_range, model)


def _open_bracket(before: str) -> int | None:
    """The index of a ``[`` that is open at the end of ``before`` (not in a string)."""
    quote, opened = False, None
    for i, ch in enumerate(before):
        if quote:
            quote = ch != '"'
        elif opened is not None:
            if ch == "]":
                opened = None
        elif ch == '"':
            quote = True
        elif ch == "[":
            opened = i
    return opened


def _clause_items(model: Model, text: str, opened: int, col: int, rng) -> list[lsp.CompletionItem]:
    owner = model.policy
    if owner is None or not owner.clauses:
        return []
    rest = text[col:]
    closes = "]" in rest.split("[", 1)[0]
    cited = {}
    for stmt in owner.partial.statements:
        c = citation_of(stmt)
        if c is not None and not isinstance(stmt, ast.Case):
            cited[c.text.strip()] = cited.get(c.text.strip(), 0) + 1
    items = []
    for order, clause in enumerate(owner.clauses):
        uses = cited.get(clause.label, 0)
        detail = (f"decides no data use: {clause.reason}" if clause.reason else
                  f"cited by {uses} statement{'s' if uses != 1 else ''}" if uses else "not cited yet")
        items.append(lsp.CompletionItem(
            label=clause.label, kind=lsp.CompletionItemKind.Reference, detail=detail,
            sort_text=f"{0 if uses == 0 and not clause.reason else 1}{order:05d}", filter_text=clause.label,
            text_edit=lsp.TextEdit(range=rng(opened + 1), new_text=clause.label + ("" if closes else "]"))))
    return items


# ---- document symbols ---------------------------------------------------------------------------

_SYMBOL_KINDS = {"item": lsp.SymbolKind.Field, "party": lsp.SymbolKind.Class, "purpose": lsp.SymbolKind.Event,
                 "subject": lsp.SymbolKind.Struct, "exception": lsp.SymbolKind.Constant,
                 "obligation": lsp.SymbolKind.Property, "coop": lsp.SymbolKind.Module}


def symbols(model: Model, pos: Positions) -> list[lsp.DocumentSymbol]:
    """The outline: header, imports, metadata, declarations (by kind), rules, cases; for an
    inventory, its clauses."""
    lines = model.lines
    if model.suffix == ".clauses":
        out = []
        for c in model.clauses:
            span = ast.Span(model.shown, c.line, 1, c.line, len(lines[c.line - 1]) + 1)
            sel = ast.Span(model.shown, c.line, 1, c.line, len(c.label) + 1)
            out.append(lsp.DocumentSymbol(name=c.label, detail=c.reason or "", kind=lsp.SymbolKind.String,
                                          range=pos.range(lines, span), selection_range=pos.range(lines, sel)))
        return out
    groups: dict[str, list[lsp.DocumentSymbol]] = {}
    top: list[lsp.DocumentSymbol] = []
    for stmt in model.partial.statements:
        span = stmt.span
        if span is None:
            continue
        whole = pos.range(lines, span)

        def sym(name: str, kind, detail: str = "", sel: ast.Span | None = None) -> lsp.DocumentSymbol:
            return lsp.DocumentSymbol(name=name or "?", detail=detail, kind=kind, range=whole,
                                      selection_range=pos.range(lines, sel) if sel is not None else whole)

        if isinstance(stmt, (ast.ModuleHeader, ast.PolicyHeader, ast.TestsHeader)):
            word = {ast.ModuleHeader: "module", ast.PolicyHeader: "policy", ast.TestsHeader: "tests for"}[type(stmt)]
            term = getattr(stmt, "name", None) or getattr(stmt, "coop", None) or stmt.target
            top.append(sym(f"{word} {term}", lsp.SymbolKind.Namespace))
        elif isinstance(stmt, ast.Import):
            groups.setdefault("imports", []).append(sym(str(stmt.target), lsp.SymbolKind.Package, "import",
                                                        stmt.target.span))
        elif isinstance(stmt, ast.Meta):
            groups.setdefault("metadata", []).append(sym(stmt.key, lsp.SymbolKind.Property,
                                                         ", ".join(stmt.values)[:60]))
        elif isinstance(stmt, ast.Declaration):
            detail = KIND_NAMES.get(stmt.kind, stmt.kind) + (f" · {stmt.label}" if stmt.label else "")
            groups.setdefault(f"{KIND_NAMES.get(stmt.kind, stmt.kind)} terms", []).append(
                sym(stmt.name.key, _SYMBOL_KINDS.get(stmt.kind, lsp.SymbolKind.Variable), detail, stmt.name.span))
        elif isinstance(stmt, ast.RULE_TYPES):
            cite = citation_of(stmt)
            groups.setdefault("rules", []).append(sym(summary(lines, stmt, 60), lsp.SymbolKind.Function,
                                                      f"[{cite.text}]" if cite else ""))
        elif isinstance(stmt, ast.Case):
            groups.setdefault("cases", []).append(sym(stmt.name, lsp.SymbolKind.Method,
                                                      f"expect {stmt.expect.effect}"))
    for name, children in groups.items():
        first, last = children[0].range, children[-1].range
        top.append(lsp.DocumentSymbol(name=name, kind=lsp.SymbolKind.Namespace, detail=f"{len(children)}",
                                      range=lsp.Range(start=first.start, end=last.end),
                                      selection_range=lsp.Range(start=first.start, end=first.start),
                                      children=children))
    top.sort(key=lambda s: (s.range.start.line, s.range.start.character))
    return top


# ---- diagnostics and code actions ---------------------------------------------------------------

_SUGGESTION = re.compile(r"did you mean `([^`]+)`")


def to_lsp(d: Diagnostic, lines: list[str], pos: Positions) -> lsp.Diagnostic:
    """A lint diagnostic for the client: its code, span, message and help line; ``data``
    keeps the help and, for a did-you-mean, the replacement (the code action's fix)."""
    message = d.message + (f"\nhelp: {d.help}" if d.help else "")
    data: dict = {"help": d.help}
    fix = suggested_fix(d, lines)
    if fix is not None:
        span, new_text, old_text = fix
        data["fix"] = {"range": _range_json(pos.range(lines, span)), "newText": new_text, "oldText": old_text}
    severity = lsp.DiagnosticSeverity.Error if d.severity == "error" else lsp.DiagnosticSeverity.Warning
    return lsp.Diagnostic(range=pos.range(lines, d.span), message=message, severity=severity,
                          code=str(d.code), source="coopcheck", data=data)


def _range_json(r: lsp.Range) -> dict:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def suggested_fix(d: Diagnostic, lines: list[str]) -> tuple[ast.Span, str, str] | None:
    """``(span, new text, old text)`` that applies a diagnostic's "did you mean `X`?", or None.

    What is replaced: the span's text when it is the word the message names (or the span is
    that word alone), else the word the message names in backticks, found inside the span.
    """
    if d.help is None or d.span is None or d.span.line != d.span.end_line:
        return None
    match = _SUGGESTION.search(d.help)
    if match is None or not 0 < d.span.line <= len(lines):
        return None
    suggestion = match.group(1)
    text = lines[d.span.line - 1]
    start, end = d.span.column - 1, d.span.end_column - 1
    current = text[start:end]
    named = re.findall(r"`([^`]+)`", d.message)
    wrong = named[0] if named else current
    if current in (wrong, f'"{wrong}"') or (not named and current.strip()):
        old = current
    elif wrong and wrong in current:
        start += current.index(wrong)
        end = start + len(wrong)
        old = wrong
    else:
        return None
    if not old.strip() or old == suggestion:
        return None
    new = suggestion
    if d.code == Code.E201 and "_" in suggestion and "_" not in old and not old.startswith('"'):
        new = suggestion.replace("_", " ")  # written in words: keep it in words
    return ast.Span(d.span.file, d.span.line, start + 1, d.span.line, end + 1), new, old


def fix_action(uri: str, diagnostic: lsp.Diagnostic) -> lsp.CodeAction | None:
    """The quick fix that applies a diagnostic's did-you-mean suggestion."""
    data = diagnostic.data if isinstance(diagnostic.data, dict) else None
    fix = data.get("fix") if data else None
    if not fix:
        return None
    r = fix["range"]
    edit_range = lsp.Range(start=lsp.Position(line=r["start"]["line"], character=r["start"]["character"]),
                           end=lsp.Position(line=r["end"]["line"], character=r["end"]["character"]))
    return lsp.CodeAction(
        title=f"Replace `{fix['oldText']}` with `{fix['newText']}`", kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diagnostic], is_preferred=True,
        edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=edit_range, new_text=fix["newText"])]}))


def allow_action(model: Model, uri: str, diagnostic: lsp.Diagnostic, pos: Positions) -> lsp.CodeAction | None:
    """The quick fix that allows a lint warning on its statement: a line
    ``# coopcheck: allow CODE -- TODO: …`` above the statement (an allowance on a line of its
    own covers the next statement; each has its own reason, so the placeholder is there to be
    replaced by why the warning is right to ignore)."""
    code = lookup(str(diagnostic.code)) if diagnostic.code is not None else None
    if code is None or not code.allowable:
        return None
    stmt = statement_at(model.partial, diagnostic.range.start.line + 1)
    first = stmt.span.line if stmt is not None and stmt.span is not None else diagnostic.range.start.line + 1
    at = lsp.Position(line=first - 1, character=0)
    edit = lsp.TextEdit(range=lsp.Range(start=at, end=at),
                        new_text=f"# coopcheck: allow {code} -- TODO: say why this is right here\n")
    return lsp.CodeAction(title=f"Allow {code} on this statement (# coopcheck: allow {code} -- reason)",
                          kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                          edit=lsp.WorkspaceEdit(changes={uri: [edit]}))


# ---- formatting ---------------------------------------------------------------------------------

def formatting(model: Model, pos: Positions) -> list[lsp.TextEdit] | None:
    """``coopcheck fmt``'s layout as one edit (None: the file does not parse; [] when it is
    already formatted)."""
    if model.suffix not in (".policy", ".rules", ".test"):
        return None
    try:
        formatted = format_text(model.text, model.shown)
    except CoopcheckError:
        return None
    if formatted == model.text:
        return []
    lines = model.lines
    end = pos.to_client(lines, len(lines), len(lines[-1]) + 1)
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]
