"""Lark parse tree -> typed syntax tree (:mod:`coopcheck.dsl.ast`)."""

from __future__ import annotations

import threading

from lark import Token, Tree

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

_GRANT_VERBS = {
    "verb_use": "use", "verb_collect": "collect", "verb_publish": "publish",
    "verb_joint_use": "joint_use", "verb_entrust": "entrust", "verb_provide": "provide",
    "verb_disclose": "disclose",
}
_KINDS = {
    "kind_item": "item", "kind_party": "party", "kind_purpose": "purpose",
    "kind_subject": "subject", "kind_exception": "exception",
    "kind_obligation": "obligation", "kind_coop": "coop",
}
#: A requirement's gerund names the same legal act as the passive verb (docs/language.md).
_GERUNDS = {"gerund_use": "use", "gerund_collect": "collect", "gerund_publish": "publish",
            "gerund_joint_use": "joint_use", "gerund_entrust": "entrust", "gerund_provide": "provide",
            "gerund_disclose": "disclose"}
#: The modifiers each kind of statement takes after its verb (each at most once, any order),
#: and those it must have.
_TAKES = {
    "grant": ({"purposes", "condition", "obligations", "managed_by"}, {"purposes"}),
    "closed list": ({"purposes", "exceptions", "obligations"}, {"purposes"}),
    "prohibition": ({"purposes", "exceptions"}, set()),
    "requirement": ({"recipients", "purposes", "exceptions"}, set()),
}
_MODIFIER_WORDS = {"purposes": "for …", "condition": "provided that …", "exceptions": "unless …",
                   "obligations": "obliging …", "managed_by": "managed by …", "recipients": "with/to …"}
_MODIFIER_HELP = {
    ("grant", "exceptions"): "a grant names when it applies with `provided that …` "
                             "(`provided that consent is given`); `unless` belongs to bars",
    ("closed list", "condition"): "a closed list says what opens it with `unless …`",
    ("prohibition", "condition"): "a prohibition says what lifts it with `unless …`",
    ("requirement", "condition"): "a requirement says what excuses it with `unless …`",
}
_ACTIONS = {"act_use": "use", "act_collect": "collect", "act_share": "share",
            "act_publish": "publish"}


class _Tagged:
    """A child value tagged with the grammar rule that produced it."""

    __slots__ = ("tag", "value", "span")

    def __init__(self, tag: str, value, span: ast.Span | None = None):
        self.tag = tag
        self.value = value
        self.span = span


def _unquote(tok: Token) -> str:
    return ast.normalize_text(str(tok)[1:-1])


class ToAst:
    """Build frozen AST nodes; every node gets the span of the text it came from.

    :meth:`transform` walks Lark's tree bottom-up and calls the method named after each rule
    (or :meth:`__default__`) with the node's positions and its built children: the work of
    Lark's ``Transformer`` with ``v_args(meta=True)``, without its per-call wrapper (which made a
    new bound wrapper for every node: a quarter of the transform's time). A check that fails
    raises :class:`~coopcheck.dsl.errors.CoopcheckError` as it is."""

    def __init__(self, filename: str):
        self.filename = filename
        self._methods: dict[str, object] = {}

    def transform(self, tree: Tree):
        """The AST built from Lark's parse tree ``tree``."""
        return self.node(tree.data, tree.meta, [self.transform(c) if isinstance(c, Tree) else c
                                                for c in tree.children])

    def node(self, rule: str, meta, children: list):
        """The node of grammar rule ``rule`` from its positions (``meta``: ``empty``, ``line``,
        ``column``, ``end_line``, ``end_column``) and its built children, by the method named
        after the rule (or :meth:`__default__`). Both ways of building a file's AST call this."""
        method = self._methods.get(rule)
        if method is None:
            method = self._methods[rule] = self._method(rule)
        return method(meta, children)

    def _method(self, rule: str):
        """The method that builds the node of grammar rule ``rule``."""
        own = getattr(type(self), rule, None) if not rule.startswith("_") else None
        if own is not None:
            return getattr(self, rule)
        return lambda meta, children: self.__default__(rule, children, meta)

    # -- helpers ---------------------------------------------------------------------------
    def _span(self, meta) -> ast.Span | None:
        if getattr(meta, "empty", True):
            return None
        return ast.Span(self.filename, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok_span(self, tok: Token) -> ast.Span:
        return ast.Span(self.filename, tok.line, tok.column, tok.end_line, tok.end_column)

    @staticmethod
    def _pick(children, tag, default=None):
        for child in children:
            if isinstance(child, _Tagged) and child.tag == tag:
                return child.value
        return default

    # -- terms ----------------------------------------------------------------------------
    def term(self, meta, children):
        if len(children) == 1 and children[0].type == "STRING":
            return ast.Term(_unquote(children[0]), True, self._span(meta))
        return ast.Term(" ".join(str(c) for c in children), False, self._span(meta))

    def term_list(self, meta, children):
        return ast.Selector(tuple(children), span=self._span(meta))

    def _selector(self, meta, children, any_type, declared_type=None):
        child = children[-1]
        if isinstance(child, Token) and child.type == any_type:
            return ast.Selector(any=True, span=self._tok_span(child))
        if isinstance(child, Token) and child.type == declared_type:
            return ast.Selector(any=True, declared=True, span=self._tok_span(child))
        return child

    def subjects(self, meta, children):
        return _Tagged("subjects", self._selector(meta, children, "ANY_SUBJECT"))

    def recipients_with(self, meta, children):
        return _Tagged("recipients", self._selector(meta, children, "ANY_RECIPIENT"))

    recipients_to = recipients_with

    def recipients(self, meta, children):
        return _Tagged("recipients", self._selector(meta, children, "ANY_RECIPIENT"), self._span(meta))

    def purposes(self, meta, children):
        return _Tagged("purposes", self._selector(meta, children, "ANY_PURPOSE", "DECLARED_PURPOSE"),
                       self._span(meta))

    def scope(self, meta, children):
        return _Tagged("scope", (children[0], self._pick(children, "subjects")))

    def citation(self, meta, children):
        return _Tagged("citation", ast.Citation(str(children[0])[1:-1].strip(), self._span(meta)))

    # -- verbs ----------------------------------------------------------------------------
    def __default__(self, data, children, meta):
        if data in _GRANT_VERBS:
            recipients = self._pick(children, "recipients")
            return _Tagged("verb", (_GRANT_VERBS[data], recipients))
        if data in _KINDS:
            return _Tagged("kind", _KINDS[data])
        if data in _GERUNDS:
            return _Tagged("gerund", _GERUNDS[data])
        if data in _ACTIONS:
            return _Tagged("action", _ACTIONS[data])
        raise AssertionError(f"unhandled grammar rule {data}")  # pragma: no cover

    # -- conditions -----------------------------------------------------------------------
    def cond_consent(self, meta, children):
        return ast.Condition("consent", None, self._span(meta))

    def cond_consent_clause(self, meta, children):
        return ast.Condition("consent", None, self._span(meta), clause=True)

    def cond_any_exception(self, meta, children):
        return ast.Condition("any_exception", None, self._span(meta))

    def cond_any_exception_clause(self, meta, children):
        return ast.Condition("any_exception", None, self._span(meta), clause=True)

    def cond_exception(self, meta, children):
        return ast.Condition("exception", children[0], self._span(meta))

    def cond_exception_clause(self, meta, children):
        return ast.Condition("exception", children[0], self._span(meta), clause=True)

    def condition(self, meta, children):
        """``provided that …``: each alternative must be a clause (``consent is given``, ``by law
        applies``): ``provided that by law`` is not English, and says less than it seems to."""
        for cond in children:
            if not cond.clause:
                written = {"consent": "consent", "any_exception": "a legal exception"}.get(
                    cond.kind, str(cond.term) if cond.term is not None else "")
                fixed = "consent is given" if cond.kind == "consent" else f"{written} applies"
                raise CoopcheckError([Diagnostic(
                    Code.E110, f"`provided that {written}` is not a sentence", cond.span,
                    f"write `provided that {fixed}`")])
        return _Tagged("condition", tuple(children), self._span(meta))

    def exceptions(self, meta, children):
        return _Tagged("exceptions", tuple(children), self._span(meta))

    def obligations(self, meta, children):
        return _Tagged("obligations", children[-1].terms, self._span(meta))

    def managed_by(self, meta, children):
        return _Tagged("managed_by", children[-1], self._span(meta))

    def need_consent(self, meta, children):
        return "consent"

    def need_notice(self, meta, children):
        return "notice"

    # -- statements -----------------------------------------------------------------------
    def start(self, meta, children):
        return tuple(children)

    def module_header(self, meta, children):
        return ast.ModuleHeader(children[0], self._span(meta))

    def policy_header(self, meta, children):
        return ast.PolicyHeader(children[0], self._span(meta))

    def tests_header(self, meta, children):
        return ast.TestsHeader(children[0], self._span(meta))

    def import_stmt(self, meta, children):
        return ast.Import(children[0], self._span(meta))

    def meta_stmt(self, meta, children):
        key = children[0].key.replace("_", " ")
        values = tuple(_unquote(v) if v.type == "STRING" else str(v)
                       for v in children[1:] if isinstance(v, Token))
        return ast.Meta(key, values, self._pick(children, "citation"), self._span(meta))

    def parent(self, meta, children):
        return _Tagged("parent", children[0])

    def label(self, meta, children):
        return _Tagged("label", _unquote(children[0]))

    def aliases(self, meta, children):
        return _Tagged("aliases", tuple(_unquote(c) for c in children))

    def declaration(self, meta, children):
        return ast.Declaration(
            kind=self._pick(children, "kind"),
            name=children[1],
            parent=self._pick(children, "parent"),
            label=self._pick(children, "label"),
            aliases=self._pick(children, "aliases", ()),
            span=self._span(meta),
        )

    def _rule_parts(self, children):
        items, subjects = self._pick(children, "scope")
        verb, recipients = self._pick(children, "verb", (None, None))
        return items, subjects, verb, recipients

    def _modifiers(self, children, statement: str, meta) -> dict:
        """The statement's modifiers by name, each written at most once and each one the
        statement takes (:data:`_TAKES`); a missing required one is reported at the statement."""
        takes, needs = _TAKES[statement]
        found: dict = {}
        for child in children:
            if not isinstance(child, _Tagged) or child.tag not in _MODIFIER_WORDS:
                continue
            span = child.span
            if child.tag not in takes:
                raise CoopcheckError([Diagnostic(
                    Code.E109, f"a {statement} does not take `{_MODIFIER_WORDS[child.tag]}`", span or self._span(meta),
                    _MODIFIER_HELP.get((statement, child.tag),
                                       "a " + statement + " takes " + ", ".join(
                                           f"`{_MODIFIER_WORDS[t]}`" for t in sorted(takes)))) ])
            if child.tag in found:
                raise CoopcheckError([Diagnostic(
                    Code.E109, f"`{_MODIFIER_WORDS[child.tag]}` is written twice in one {statement}",
                    span or self._span(meta), "join the two lists into one")])
            found[child.tag] = child.value
        for tag in needs - found.keys():
            raise CoopcheckError([Diagnostic(
                Code.E102, f"a {statement} needs `{_MODIFIER_WORDS[tag]}`", self._span(meta),
                "name the purposes, e.g. `for delivery` (or `for any purpose`)")])
        return found

    def grant(self, meta, children):
        items, subjects, verb, recipients = self._rule_parts(children)
        mods = self._modifiers(children, "grant", meta)
        return ast.Grant(
            verb=verb, items=items, subjects=subjects, recipients=recipients,
            purposes=mods["purposes"],
            conditions=mods.get("condition", ()),
            obligations=mods.get("obligations", ()),
            managed_by=mods.get("managed_by"),
            citation=self._pick(children, "citation"),
            span=self._span(meta),
        )

    def closed_grant(self, meta, children):
        items, subjects, verb, recipients = self._rule_parts(children)
        mods = self._modifiers(children, "closed list", meta)
        return ast.ClosedGrant(
            verb=verb, items=items, subjects=subjects, recipients=recipients,
            purposes=mods["purposes"],
            exceptions=mods.get("exceptions", ()),
            obligations=mods.get("obligations", ()),
            citation=self._pick(children, "citation"),
            span=self._span(meta),
        )

    def prohibition(self, meta, children):
        items, subjects, verb, recipients = self._rule_parts(children)
        mods = self._modifiers(children, "prohibition", meta)
        return ast.Prohibition(
            verb=verb, items=items, subjects=subjects, recipients=recipients,
            purposes=mods.get("purposes"),
            exceptions=mods.get("exceptions", ()),
            citation=self._pick(children, "citation"),
            span=self._span(meta),
        )

    def requirement(self, meta, children):
        items, subjects = self._pick(children, "scope")
        mods = self._modifiers(children, "requirement", meta)
        return ast.Requirement(
            verb=self._pick(children, "gerund"),
            items=items, subjects=subjects,
            recipients=mods.get("recipients"),
            purposes=mods.get("purposes"),
            needs=tuple(c for c in children if isinstance(c, str)),
            exceptions=mods.get("exceptions", ()),
            citation=self._pick(children, "citation"),
            span=self._span(meta),
        )

    def honour(self, meta, children):
        return ast.Honour(children[0].terms, self._pick(children, "citation"), self._span(meta))

    # -- test cases -----------------------------------------------------------------------
    def consent_flag(self, meta, children):
        return _Tagged("consent", True)

    def claim(self, meta, children):
        return _Tagged("claim", children[0])

    def scenario(self, meta, children):
        subjects = self._pick(children, "subjects")
        recipients = self._pick(children, "recipients")
        for sel, what in ((subjects, "data subject"), (recipients, "recipient")):
            if sel is not None and (sel.any or len(sel.terms) != 1):
                raise CoopcheckError([Diagnostic(Code.E102, f"a test case names exactly one {what}",
                                                 sel.span, "write one case per " + what)])
        terms = [c for c in children if isinstance(c, ast.Term)]
        return ast.CaseScenario(
            action=self._pick(children, "action"),
            items=children[1].terms,
            subject=subjects.terms[0] if subjects is not None and subjects.terms else None,
            recipient=recipients.terms[0] if recipients is not None and recipients.terms else None,
            purpose=terms[0],
            consent=self._pick(children, "consent", False),
            exception=self._pick(children, "claim"),
            span=self._span(meta),
        )

    def basis(self, meta, children):
        return _Tagged("basis", children[0])

    def cites(self, meta, children):
        return _Tagged("cites", children[0].value)

    def expectation(self, meta, children):
        effect = next(str(c) for c in children if isinstance(c, Token) and c.type == "EFFECT")
        return ast.Expectation(effect, self._pick(children, "basis"), self._pick(children, "cites"),
                               self._span(meta))

    def case(self, meta, children):
        return ast.Case(_unquote(children[0]), children[1], children[2], self._span(meta))


class _Built:
    """A rule's AST value with the extent of its text (first to last token, keywords included),
    as the parse hands it to the rule above. Also the ``meta`` a :class:`ToAst` method gets."""

    __slots__ = ("value", "empty", "line", "column", "end_line", "end_column")


class _Inlined:
    """What an inlined rule (``_statement``, ``_modifier``, Lark's ``__…_star_…``) hands the rule
    above: its children, which Lark splices into that rule's children."""

    __slots__ = ("children",)

    def __init__(self, children: list):
        self.children = children


class InlineAst:
    """The same AST as ``ToAst(filename).transform(parser.parse(text))`` with Lark's
    ``propagate_positions``, built while the LALR parser reduces, with no parse tree.

    Lark calls :meth:`__default__` on every reduction (this object is the parser's
    ``transformer``). The parser must keep every token (``keep_all_tokens=True``) so a node's
    extent runs from its first token to its last, keywords included, as Lark's positions do;
    the tokens Lark would otherwise drop (anonymous keywords, ``_NL``: :attr:`dropped`) are then
    dropped here before the :class:`ToAst` method sees the children. The file name is the
    current thread's (:meth:`building`), so one parser serves every thread.
    ``tests/test_grammar_tables.py`` checks the two ASTs equal, spans included, on every rule
    file shipped and on generated ones."""

    def __init__(self, dropped: frozenset[str] = frozenset()):
        #: token types left out of a rule's children (what Lark's child filter drops)
        self.dropped = dropped
        self._local = threading.local()

    def building(self, filename: str) -> "_Building":
        """A context in which this thread's parses build nodes spanning ``filename``."""
        return _Building(self._local, ToAst(filename))

    def __default__(self, rule: str, children: list, _meta) -> _Built | _Inlined:
        """Lark's callback for a reduction of ``rule`` with ``children`` (tokens, built nodes)."""
        if rule[0] == "_":
            return _Inlined(children)
        built = _Built()
        built.empty = True
        kept = []
        dropped = self.dropped
        for child in children:
            if child.__class__ is _Built:
                if not child.empty:
                    if built.empty:
                        built.empty, built.line, built.column = False, child.line, child.column
                    built.end_line, built.end_column = child.end_line, child.end_column
                kept.append(child.value)
            else:  # a token
                if built.empty:
                    built.empty, built.line, built.column = False, child.line, child.column
                built.end_line, built.end_column = child.end_line, child.end_column
                if child.type not in dropped:
                    kept.append(child)
        built.value = self._local.ast.node(rule, built, kept)
        return built


class _Building:
    """The context :meth:`InlineAst.building` returns."""

    def __init__(self, local: threading.local, ast_of: ToAst):
        self._local = local
        self._ast = ast_of

    def __enter__(self) -> None:
        self._previous = getattr(self._local, "ast", None)
        self._local.ast = self._ast

    def __exit__(self, *exc) -> None:
        self._local.ast = self._previous
