"""Hover: what is under the cursor, as Markdown — a term (what it is, where it is declared,
the rules that mention it), a citation's clause, a rule statement with its defaults written
out, or an inventory line and what cites it.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from coopcheck.dsl import ast
from coopcheck.dsl.errors import did_you_mean
from coopcheck.dsl.formatter import format_module

from coopcheck.core.desugar import desugar, implied
from coopcheck.core.vocabulary import KIND_NAMES, TermInfo, UnknownTerm
from coopcheck.presentation.desugared import meaning

from coopcheck.lsp.model import Model, resolve_import, test_target
from coopcheck.lsp.positions import Positions, span_contains
from coopcheck.lsp.statements import citation_of, citing, mentions, occurrences, resolve, statement_at, summary


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
        if not span_contains(term.span, line, column):
            continue
        value = _term_hover_text(model, term, kinds)
        if value is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=value),
                         range=pos.range(model.lines, term.span))
    citation = citation_of(stmt)
    if citation is not None and span_contains(citation.span, line, column):
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
