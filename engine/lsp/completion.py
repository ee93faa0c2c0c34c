"""Completion: clause labels inside a citation's ``[…]``, allowable codes in a
``# coopcheck: allow`` comment, else the keywords the grammar accepts at the cursor and the
vocabulary terms of the kind it wants there.

What the grammar accepts there is found by parsing the statement typed so far — from the
line it starts on (its continuation lines are indented) to the cursor — with the parser's
interactive mode; the keyword before the cursor says which kind of term it wants.
"""

from __future__ import annotations

import re
from typing import Iterable

from lark.exceptions import LarkError
from lsprotocol import types as lsp

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.parser import GluedWords, keyword_of_terminal, lark_parser

from coopcheck.analysis.lint_locations import comment_start
from coopcheck.core.compiler import META_KEYS
from coopcheck.core.paths import shipped_policy_ids
from coopcheck.core.vocabulary import KIND_NAMES, Vocabulary

from coopcheck.lsp.hover import term_markdown
from coopcheck.lsp.model import WORD_RE, Model, module_names
from coopcheck.lsp.positions import Positions
from coopcheck.lsp.statements import citation_of


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
