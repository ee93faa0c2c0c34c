"""Syntax trees -> :class:`~coopcheck.core.ruleset.Ruleset`: resolve names, check the hierarchy,
apply closures and build the decision indexes."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from pathlib import PurePath

from coopcheck.dsl import ast
from coopcheck.dsl.errors import CoopcheckError, Diagnostic, did_you_mean, line_of

from coopcheck.core.frozen import FrozenMap
from coopcheck.core.loader import LoadedModule
from coopcheck.core.desugar import desugar
from coopcheck.core.kinds import ANY_EXCEPTION, CONSENT, Action, RuleKind, Verb
from coopcheck.core.ruleset import VERB_ACTIONS, CompiledRule, Ruleset
from coopcheck.core.vocabulary import KIND_NAMES, TermInfo, UnknownTerm, Vocabulary

#: Metadata keys a policy may set.
META_KEYS = ("name", "short name", "date", "revised", "responsible party", "representative",
             "address", "contact", "disclosure fee", "request procedure", "note")



class _Compiler:
    def __init__(self, modules: list[LoadedModule]):
        self.modules = modules
        self.errors: list[Diagnostic] = []
        self.sources = {m.module.path: m.source for m in modules}

    # -- diagnostics ----------------------------------------------------------------------
    def error(self, code: str, message: str, span: ast.Span | None, help: str | None = None) -> None:
        text = line_of(self.sources.get(span.file, ""), span.line) if span else None
        self.errors.append(Diagnostic(code, message, span, help, source_line=text))

    # -- vocabulary -----------------------------------------------------------------------
    def build_vocabulary(self) -> Vocabulary:
        decls: dict[str, ast.Declaration] = {}
        for loaded in self.modules:
            for d in loaded.module.of_type(ast.Declaration):
                tid = d.name.key
                if tid in decls:
                    first = decls[tid].span
                    self.error("E203", f"`{tid}` is declared twice", d.name.span,
                               f"first declared at {first}" if first else None)
                    continue
                decls[tid] = d
        terms: dict[str, TermInfo] = {}
        for tid, d in decls.items():
            parent = d.parent.key if d.parent else None
            if parent is not None and parent not in decls:
                same_kind = [k for k, v in decls.items() if v.kind == d.kind]
                self.error("E204", f"unknown parent `{d.parent.text}` of `{tid}`", d.parent.span,
                           did_you_mean(parent, same_kind))
                parent = None
            elif parent is not None and decls[parent].kind != d.kind:
                self.error("E206", f"`{tid}` is a {KIND_NAMES[d.kind]} but its parent `{parent}` is a "
                           f"{KIND_NAMES[decls[parent].kind]}", d.parent.span,
                           "a term's parent must be of the same kind")
                parent = None
            terms[tid] = TermInfo(tid, d.kind, parent, d.label, d.aliases)
        # cycles: walk up from each term
        for tid in list(terms):
            seen, cur = [], tid
            while cur is not None and cur not in seen:
                seen.append(cur)
                cur = terms[cur].parent
            if cur == tid:
                cycle = " -> ".join(seen + [tid])
                self.error("E205", f"hierarchy cycle: {cycle}", decls[tid].parent.span,
                           "remove one of the `is` links")
                terms[tid] = TermInfo(tid, terms[tid].kind, None, terms[tid].label, terms[tid].aliases)
        return Vocabulary.build(terms)

    # -- names ----------------------------------------------------------------------------
    def resolve(self, term: ast.Term, kind: str | tuple[str, ...]) -> str | None:
        try:
            return self.vocab.resolve(term.text, kind)
        except UnknownTerm as err:
            self.error("E201", err.message, term.span, err.help)
            return None

    def resolve_all(self, terms, kind) -> tuple[str, ...]:
        out = []
        for t in terms:
            tid = self.resolve(t, kind)
            if tid is not None and tid not in out:
                out.append(tid)
        return tuple(out)

    def selector(self, sel: ast.Selector | None, kind: str) -> tuple[str, ...] | None:
        """Ids written in a selector; None for a wildcard or an absent selector."""
        if sel is None or sel.any:
            return None
        return self.resolve_all(sel.terms, kind)

    def conditions(self, conds: tuple[ast.Condition, ...]) -> tuple[str, ...]:
        out = []
        for c in conds:
            if c.kind == "consent":
                out.append(CONSENT)
            elif c.kind == "any_exception":
                out.append(ANY_EXCEPTION)
            else:
                tid = self.resolve(c.term, "exception")
                if tid:
                    out.append(tid)
        return tuple(dict.fromkeys(out))

    # -- closures -------------------------------------------------------------------------
    def down(self, ids: tuple[str, ...] | None) -> frozenset | None:
        return None if ids is None else self.vocab.down(ids)

    def overlap(self, ids: tuple[str, ...] | None) -> frozenset | None:
        if ids is None:
            return None
        return frozenset().union(*(self.vocab.descendants[i] | self.vocab.ancestors[i] for i in ids)) \
            if ids else frozenset()

    # -- rules ----------------------------------------------------------------------------
    def compile_rule(self, node, module_id: str, prefix: str | None) -> CompiledRule | None:
        before = len(self.errors)
        span = node.span
        if node.citation is None or not node.citation.text.strip():
            self.error("E301", "rule has no citation" if node.citation is None else "rule has an empty citation",
                       _end_span(span) if node.citation is None else node.citation.span,
                       "end the rule with the clause it encodes, e.g. `[指針2 ◇共済事業]`")
        clause = node.citation.text.strip() if node.citation and node.citation.text.strip() else None
        citation = (f"{prefix} {clause}" if prefix else clause) if clause else None
        common = dict(id=f"{module_id}:{span.line}", module=module_id, line=span.line,
                      clause=clause, citation=citation, file=span.file)
        if isinstance(node, ast.Honour):
            excs = self.resolve_all(node.exceptions, "exception")
            rule = CompiledRule(kind=RuleKind.HONOUR, verb=Verb.ANY, actions=frozenset(Action), items=None,
                                subjects=None, recipients=None, purposes=None,
                                written=FrozenMap({"exceptions": excs}), conditions=excs, **common)
            return rule if len(self.errors) == before else None
        node = desugar(node, self.vocab.terms)  # the defaults, written out (docs/semantics.md §4)
        items = self.selector(node.items, "item")
        subjects = self.selector(node.subjects, "subject")
        recipients = self.selector(node.recipients, "party")
        purposes = self.selector(node.purposes, "purpose") if node.purposes is not None else None
        written = FrozenMap({"items": items or (), "subjects": subjects if subjects is not None else (),
                             "recipients": recipients if recipients is not None else (),
                             "purposes": purposes if purposes is not None else ()})
        declared = bool(node.purposes is not None and node.purposes.declared)
        if declared and not isinstance(node, ast.Grant):
            self.error("E308", "`any declared purpose` can only be granted", node.purposes.span,
                       "a closed list, prohibition or requirement names its purposes (or `any purpose`)")
        if isinstance(node, ast.Grant):
            conds = self.conditions(node.conditions)
            if node.verb == "provide" and not conds:
                self.error("E307", "provision to third parties needs a condition", node.span,
                           "add `provided that consent is given` (or a legal exception): without one "
                           "no legal basis applies")
            obligations = self.resolve_all(node.obligations, "obligation")
            managed = None
            if node.managed_by is not None:
                managed = node.managed_by.text if node.managed_by.quoted else \
                    self.resolve(node.managed_by, ("coop", "party"))
            rule = CompiledRule(kind=RuleKind.GRANT, verb=node.verb, actions=VERB_ACTIONS[node.verb],
                                items=self.down(items), subjects=self.down(subjects),
                                recipients=self.down(recipients), purposes=self.down(purposes),
                                written=written, declared_purposes=declared, conditions=conds,
                                obligations=obligations, managed_by=managed, **common)
        elif isinstance(node, ast.ClosedGrant):
            rule = CompiledRule(kind=RuleKind.CLOSED, verb=node.verb, actions=VERB_ACTIONS[node.verb],
                                items=self.overlap(items), subjects=self.overlap(subjects),
                                recipients=self.down(recipients), purposes=self.down(purposes),
                                written=written, declared_purposes=declared, complement=True,
                                exceptions=self.conditions(node.exceptions),
                                obligations=self.resolve_all(node.obligations, "obligation"), **common)
        elif isinstance(node, ast.Prohibition):
            rule = CompiledRule(kind=RuleKind.PROHIBITION, verb=node.verb, actions=VERB_ACTIONS[node.verb],
                                items=self.overlap(items), subjects=self.overlap(subjects),
                                recipients=self.overlap(recipients), purposes=self.overlap(purposes),
                                written=written, exceptions=self.conditions(node.exceptions), **common)
        else:  # Requirement
            rule = CompiledRule(kind=RuleKind.REQUIREMENT, verb=node.action,
                                actions=frozenset({node.action}),
                                items=self.overlap(items), subjects=self.overlap(subjects),
                                recipients=self.overlap(recipients), purposes=self.overlap(purposes),
                                written=written, needs=tuple(dict.fromkeys(node.needs)),
                                exceptions=self.conditions(node.exceptions),
                                obligations=("notify_purpose",) if "notice" in node.needs else (),
                                **common)
        return rule if len(self.errors) == before else None

    # -- whole ruleset --------------------------------------------------------------------
    def compile(self) -> Ruleset:
        self.vocab = self.build_vocabulary()
        coop = None
        meta: dict[str, tuple[str, ...]] = {}
        meta_clauses: list[str] = []
        rules: list[CompiledRule] = []
        for loaded in self.modules:
            module = loaded.module
            header = module.header
            is_top = loaded is self.modules[-1]
            module_id, prefix = PurePath(module.path).stem, None
            if isinstance(header, ast.PolicyHeader):
                module_id = self._coop_id(header.coop)
                prefix = module_id
                if is_top:
                    coop = module_id
                else:
                    self.error("E305", "a policy cannot be imported", header.span,
                               "import rule modules (`module NAME` files) only")
            elif isinstance(header, ast.ModuleHeader):
                module_id = header.name.key
            elif isinstance(header, ast.TestsHeader):
                self.error("E306", "a test file is not a rule file", header.span,
                           "run it with `coopcheck test`")
            for stmt in module.statements:
                if isinstance(stmt, ast.RULE_TYPES):
                    rule = self.compile_rule(stmt, module_id, prefix)
                    if rule is not None:
                        rules.append(rule)
                elif isinstance(stmt, ast.Meta):
                    if stmt.key not in META_KEYS:
                        self.error("E207", f"unknown metadata key `{stmt.key}`", stmt.span,
                                   did_you_mean(stmt.key, META_KEYS) or
                                   "known keys: " + ", ".join(META_KEYS))
                    else:
                        for value in stmt.values:
                            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                                try:
                                    datetime.date.fromisoformat(value)
                                except ValueError:
                                    self.error("E208", f"`{value}` is not a date", stmt.span,
                                               "write dates as YYYY-MM-DD")
                        if is_top:
                            meta[stmt.key] = meta.get(stmt.key, ()) + stmt.values
                            if stmt.citation is not None:
                                meta_clauses.append(stmt.citation.text)
                elif isinstance(stmt, ast.Case):
                    self.error("E306", "test cases belong in a `.test` file", stmt.span,
                               "move the case to a file that starts with `tests for COOP`")
        if self.errors:
            raise CoopcheckError(self.errors)
        return index_rules(coop, self.vocab, tuple(rules), FrozenMap(meta),
                      tuple(m.path for m in self.modules), tuple(dict.fromkeys(meta_clauses)))

    def _coop_id(self, term: ast.Term) -> str:
        try:
            return self.vocab.resolve(term.text, "coop")
        except UnknownTerm:
            return term.key  # a policy for a co-op the vocabulary does not list yet


def _end_span(span: ast.Span) -> ast.Span:
    return ast.Span(span.file, span.end_line, span.end_column, span.end_line, span.end_column + 1)


def index_rules(coop, vocab: Vocabulary, rules: tuple[CompiledRule, ...], meta, files, meta_clauses=()) -> Ruleset:
    """The ruleset of compiled rules: each rule indexed under every ``(action, subject, item)``
    key it speaks about (grants, bars, notices), the honoured legal exceptions, and the
    declared purposes per ``(subject, item)``."""
    subjects = vocab.of_kind("subject")
    items = vocab.of_kind("item")
    grants: dict = defaultdict(list)
    bars: dict = defaultdict(list)
    notices: dict = defaultdict(list)
    honoured: dict = {}
    for rule in rules:
        if rule.kind == RuleKind.HONOUR:
            for exc in rule.conditions:
                honoured[exc] = honoured.get(exc, ()) + (rule,)
            continue
        target = grants if rule.kind == RuleKind.GRANT else bars if rule.is_bar else notices
        for action in rule.actions:
            for subject in (rule.subjects if rule.subjects is not None else subjects):
                for item in (rule.items if rule.items is not None else items):
                    target[(action, subject, item)].append(rule)
        if rule.kind == RuleKind.CLOSED:  # a closed list also grants what it lists
            written_subjects = rule.written["subjects"]
            for action in rule.actions:
                for subject in (vocab.down(written_subjects) if written_subjects else subjects):
                    for item in vocab.down(rule.written["items"]):
                        grants[(action, subject, item)].append(rule)
    # The purposes declared for (subject, item): what a plain use grant covers. (A bar on
    # using the item can still withdraw one; the decision checks that, as it depends on consent.)
    declared: dict = defaultdict(set)
    for (action, subject, item), found in grants.items():
        if action != "use":
            continue
        for rule in found:
            if rule.verb == "use" and not rule.conditions and not rule.declared_purposes:
                declared[(subject, item)] |= (rule.purposes if rule.purposes is not None
                                              else set(vocab.of_kind("purpose")))
    key = lambda r: (r.module, r.line)  # noqa: E731 - stable order, independent of file order
    return Ruleset(
        coop=coop, vocabulary=vocab, rules=rules, meta=meta,
        grant_index=FrozenMap({k: tuple(sorted(v, key=key)) for k, v in grants.items()}),
        bar_index=FrozenMap({k: tuple(sorted(v, key=key)) for k, v in bars.items()}),
        notice_index=FrozenMap({k: tuple(sorted(v, key=key)) for k, v in notices.items()}),
        honoured=FrozenMap(honoured),
        declared=FrozenMap({k: frozenset(v) for k, v in declared.items()}),
        files=files,
        meta_clauses=meta_clauses,
    )


def compile_modules(modules: list[LoadedModule]) -> Ruleset:
    """Compile loaded modules (dependencies first, the policy last) into a ruleset."""
    return _Compiler(modules).compile()
