"""Syntax trees -> :class:`~coopcheck.core.ruleset.Ruleset`: resolve names, check the hierarchy,
apply closures and build the decision indexes.

The work is linear in the syntax trees: the hierarchy checks (cycles, depth) walk each `is`
link once, and the hierarchy is at most :data:`~coopcheck.dsl.limits.MAX_HIERARCHY_DEPTH`
deep (E209), so a term's closures are bounded too. At most
:data:`~coopcheck.dsl.limits.MAX_DIAGNOSTICS` errors are reported per file; the rest are
counted (E108), and cost no "did you mean".
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from pathlib import PurePath

from coopcheck.dsl import ast
from coopcheck.dsl.errors import CoopcheckError, ErrorBudget, did_you_mean, group, line_of, quote
from coopcheck.dsl.limits import MAX_HIERARCHY_DEPTH, MAX_INDEX_ENTRIES, fewer_collections

from coopcheck.core.frozen import FrozenMap
from coopcheck.core.loader import LoadedModule
from coopcheck.core.desugar import desugar
from coopcheck.core.rejoin import rejoin
from coopcheck.core.kinds import ANY_EXCEPTION, CONSENT, Action, RuleKind, Verb
from coopcheck.core.ruleset import GERUND_ACTIONS, VERB_ACTIONS, CompiledRule, Ruleset
from coopcheck.core.vocabulary import KIND_NAMES, TermInfo, UnknownTerm, Vocabulary

#: Metadata keys a policy may set.
META_KEYS = ("name", "short name", "date", "revised", "responsible party", "representative",
             "address", "contact", "disclosure fee", "request procedure", "note")



class _Compiler:
    def __init__(self, modules: list[LoadedModule]):
        self.modules = modules
        self.errors = ErrorBudget()  # len(): every error found, reported or only counted
        self.sources = {m.module.path: m.source for m in modules}
        self._closures: dict[tuple, frozenset] = {}  # ("down" | "overlap", ids) -> the closure
        self._lines: dict[str, list[str]] = {}  # file -> its lines (rejoin reads them)
        self._resolved: dict[tuple, str | UnknownTerm] = {}  # (name, kind) -> id, or why not

    # -- diagnostics ----------------------------------------------------------------------
    def error(self, code: str, message: str, span: ast.Span | None, help=None) -> None:
        """Report an error (``help`` may be a function: a "did you mean" is looked for only
        for an error that is reported, not for one past the limit that is only counted)."""
        source = self.sources.get(span.file, "") if span else ""
        self.errors.error(code, message, span, help, (lambda: line_of(source, span.line)) if span else None)

    # -- vocabulary -----------------------------------------------------------------------
    def build_vocabulary(self) -> Vocabulary:
        decls: dict[str, ast.Declaration] = {}
        for loaded in self.modules:
            for d in loaded.module.of_type(ast.Declaration):
                tid = d.name.key
                if tid in decls:
                    first = decls[tid].span
                    self.error("E203", f"`{quote(tid)}` is declared twice", d.name.span,
                               f"first declared at {first}" if first else None)
                    continue
                decls[tid] = d
        terms: dict[str, TermInfo] = {}
        for tid, d in decls.items():
            parent = d.parent.key if d.parent else None
            if parent is not None and parent not in decls:
                self.error("E204", f"unknown parent `{quote(d.parent.text)}` of `{quote(tid)}`", d.parent.span,
                           lambda: did_you_mean(parent, [k for k, v in decls.items() if v.kind == d.kind]))
                parent = None
            elif parent is not None and decls[parent].kind != d.kind:
                self.error("E206", f"`{quote(tid)}` is a {KIND_NAMES[d.kind]} but its parent `{quote(parent)}` "
                           f"is a {KIND_NAMES[decls[parent].kind]}", d.parent.span,
                           "a term's parent must be of the same kind")
                parent = None
            terms[tid] = TermInfo(tid, d.kind, parent, d.label, d.aliases)
        own = self._own_cooperative(decls)
        if own is not None:
            terms[own.id] = own
        self._break_cycles(terms, decls)
        self._limit_depth(terms, decls)
        return Vocabulary.build(terms)

    def _own_cooperative(self, decls: dict[str, ast.Declaration]) -> TermInfo | None:
        """The co-op a policy's ``policy ID`` header names, declared by that header when no
        ``cooperative`` declaration names it (a new co-op needs none: docs/language.md), labelled
        with the policy's ``name:``."""
        top = self.modules[-1].module if self.modules else None
        header = top.header if top is not None else None
        if not isinstance(header, ast.PolicyHeader) or header.coop.quoted:
            return None
        key = header.coop.key
        if key in decls or not key:
            return None
        names = [m.values[0] for m in top.of_type(ast.Meta) if m.key == "name" and m.values]
        shorts = tuple(m.values[0] for m in top.of_type(ast.Meta) if m.key == "short name" and m.values)
        return TermInfo(key, "coop", None, names[0] if names else None, shorts)

    def _break_cycles(self, terms: dict[str, TermInfo], decls: dict[str, ast.Declaration]) -> None:
        """E205 for each cycle of `is` links, at the link of the cycle's first-declared term,
        which is cut. Each term is walked once: a walk up stops at a term already walked."""
        order = {tid: i for i, tid in enumerate(terms)}
        walked: set[str] = set()
        for tid in terms:
            path: dict[str, int] = {}  # the terms of this walk, in order
            cur = tid
            while cur is not None and cur not in walked and cur not in path:
                path[cur] = len(path)
                cur = terms[cur].parent
            if cur is not None and cur in path:  # the walk came back to itself
                cycle = list(path)[path[cur]:]
                head = min(cycle, key=order.__getitem__)
                at = cycle.index(head)
                cycle = cycle[at:] + cycle[:at]
                self.error("E205", f"hierarchy cycle: {_chain(cycle + [head])}", decls[head].parent.span,
                           "remove one of the `is` links")
                terms[head] = _without_parent(terms[head])
            walked.update(path)

    def _limit_depth(self, terms: dict[str, TermInfo], decls: dict[str, ast.Declaration]) -> None:
        """E209 at each term one level deeper than :data:`MAX_HIERARCHY_DEPTH` (the hierarchy
        has no cycles left); every term below the limit is cut from its parent, so no
        closure is deeper. Each term's depth is found once, from its parent's."""
        depth: dict[str, int] = {}
        for tid in terms:
            path, cur = [], tid
            while cur is not None and cur not in depth:
                path.append(cur)
                cur = terms[cur].parent
            level = depth[cur] if cur is not None else 0
            for t in reversed(path):
                level += 1
                depth[t] = level
        if max(depth.values(), default=0) <= MAX_HIERARCHY_DEPTH:
            return
        # for each term at the first level too deep: the deepest level under it
        top: dict[str, str] = {}
        deepest: dict[str, int] = {}
        for tid in sorted((t for t in terms if depth[t] > MAX_HIERARCHY_DEPTH), key=depth.__getitem__):
            top[tid] = tid if depth[tid] == MAX_HIERARCHY_DEPTH + 1 else top[terms[tid].parent]
            deepest[top[tid]] = max(deepest.get(top[tid], 0), depth[tid])
        for tid in terms:
            if depth[tid] == MAX_HIERARCHY_DEPTH + 1:
                root, cur = tid, terms[tid].parent
                parent = cur
                while cur is not None:  # MAX_HIERARCHY_DEPTH steps
                    root, cur = cur, terms[cur].parent
                self.error("E209", f"`{quote(tid)}` is {MAX_HIERARCHY_DEPTH + 1} levels deep in the hierarchy under "
                           f"`{quote(root)}` (which goes {group(deepest[tid])} levels deep); a hierarchy may be at most "
                           f"{MAX_HIERARCHY_DEPTH} levels deep", decls[tid].name.span,
                           f"make `{quote(tid)}` part of a term nearer the top than `{quote(parent)}`, "
                           "or leave out levels of the chain")
        for tid in terms:
            if depth[tid] > MAX_HIERARCHY_DEPTH:
                terms[tid] = _without_parent(terms[tid])

    # -- names ----------------------------------------------------------------------------
    def resolve(self, term: ast.Term, kind: str | tuple[str, ...]) -> str | None:
        """The id ``term`` names, or None after reporting E201 at it. Names are resolved once
        per compile: a big rule set repeats a few names many times."""
        key = (term.text, kind)
        found = self._resolved.get(key)
        if found is None:
            try:
                found = self.vocab.resolve(term.text, kind)
            except UnknownTerm as err:
                found = err
            self._resolved[key] = found
        if isinstance(found, UnknownTerm):
            unknown = found
            self.error("E201", found.message, term.span, lambda: unknown.help)
            return None
        return found

    def lines(self, file: str) -> list[str]:
        """The lines of a source file, split once per file."""
        found = self._lines.get(file)
        if found is None:
            found = self._lines[file] = self.sources.get(file, "").split("\n")
        return found

    def names(self, text: str, kind: str) -> bool:
        """Whether ``text`` names a term of ``kind`` (no error reported)."""
        key = (text, kind)
        found = self._resolved.get(key)
        if found is None:
            try:
                found = self.vocab.resolve(text, kind)
            except UnknownTerm as err:
                found = err
            self._resolved[key] = found
        return not isinstance(found, UnknownTerm)

    def resolve_all(self, terms, kind) -> tuple[str, ...]:
        out: dict[str, None] = {}  # in order, without repeats
        for t in terms:
            tid = self.resolve(t, kind)
            if tid is not None:
                out.setdefault(tid)
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
    # Rules that name the same terms share one closure: a big file costs less memory, and
    # index_rules adds each distinct set of declared purposes once.
    def down(self, ids: tuple[str, ...] | None) -> frozenset | None:
        if ids is None:
            return None
        found = self._closures.get(("down", ids))
        if found is None:
            found = self._closures[("down", ids)] = self.vocab.down(ids)
        return found

    def overlap(self, ids: tuple[str, ...] | None) -> frozenset | None:
        if ids is None:
            return None
        found = self._closures.get(("overlap", ids))
        if found is None:
            found = self._closures[("overlap", ids)] = frozenset().union(
                *(self.vocab.descendants[i] | self.vocab.ancestors[i] for i in ids)) if ids else frozenset()
        return found

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
        # terms split on a keyword joined again, then the defaults written out (docs/semantics.md §4)
        node = desugar(rejoin(node, self.names, self.lines(span.file)), self.vocab.terms)
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
        if node.verb == Verb.DISCLOSE and isinstance(node, (ast.Grant, ast.ClosedGrant)):
            self.error("E310", "`disclosed to` names no legal act a co-op can rely on", node.span,
                       "grant the act itself: `shared with` (joint use), `entrusted to` (entrustment) or "
                       "`provided to` (third-party provision); `disclosed to` is for bars")
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
            rule = CompiledRule(kind=RuleKind.REQUIREMENT, verb=node.verb,
                                actions=GERUND_ACTIONS[node.verb],
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
        meta: dict[str, list[str]] = {}
        meta_clauses: list[str] = []
        rules: list[CompiledRule] = []
        spans: list[ast.Span] = []  # each rule's statement
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
                        spans.append(stmt.span)
                elif isinstance(stmt, ast.Meta):
                    if stmt.key not in META_KEYS:
                        self.error("E207", f"unknown metadata key `{quote(stmt.key)}`", stmt.span,
                                   lambda: did_you_mean(stmt.key, META_KEYS) or
                                   "known keys: " + ", ".join(META_KEYS))
                    else:
                        for value in stmt.values:
                            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                                try:
                                    datetime.date.fromisoformat(value)
                                except ValueError:
                                    self.error("E208", f"`{quote(value)}` is not a date", stmt.span,
                                               "write dates as YYYY-MM-DD")
                        if is_top:
                            meta.setdefault(stmt.key, []).extend(stmt.values)
                            if stmt.citation is not None:
                                meta_clauses.append(stmt.citation.text)
                elif isinstance(stmt, ast.Case):
                    self.error("E306", "test cases belong in a `.test` file", stmt.span,
                               "move the case to a file that starts with `tests for COOP`")
        self._limit_index(rules, spans)
        if self.errors:
            raise CoopcheckError(self.errors.diagnostics())
        return index_rules(coop, self.vocab, tuple(rules), FrozenMap({k: tuple(v) for k, v in meta.items()}),
                      tuple(m.path for m in self.modules), tuple(dict.fromkeys(meta_clauses)))

    def _limit_index(self, rules: list[CompiledRule], spans: list[ast.Span]) -> None:
        """E309 at the rule with which the index (:func:`index_rules`) would pass
        :data:`MAX_INDEX_ENTRIES` entries: counted from each rule's closures before
        anything is indexed."""
        subjects, items = len(self.vocab.of_kind("subject")), len(self.vocab.of_kind("item"))
        total = 0
        for rule, span in zip(rules, spans):
            if rule.kind == RuleKind.HONOUR:
                continue
            total += len(rule.actions) * (len(rule.subjects) if rule.subjects is not None else subjects) \
                * (len(rule.items) if rule.items is not None else items)
            if rule.kind == RuleKind.CLOSED:  # it also grants what it lists
                listed = rule.written["subjects"]
                total += len(rule.actions) * (len(self.down(listed)) if listed else subjects) \
                    * len(self.down(rule.written["items"]))
            if total > MAX_INDEX_ENTRIES:
                self.error("E309", f"with this rule the rules speak of {group(total)} (action, data subject, "
                           f"data item) cases; a rule set may speak of at most {group(MAX_INDEX_ENTRIES)}",
                           span, "name narrower data items or data subjects, or say it in fewer rules")
                return

    def _coop_id(self, term: ast.Term) -> str:
        try:
            return self.vocab.resolve(term.text, "coop")
        except UnknownTerm:
            return term.key  # a policy for a co-op the vocabulary does not list yet


def _without_parent(info: TermInfo) -> TermInfo:
    return TermInfo(info.id, info.kind, None, info.label, info.aliases)


def _chain(ids: list[str], keep: int = 4) -> str:
    """``a -> b -> c`` for a chain of terms; a long one shows its ends only.

    >>> _chain(["a", "b", "a"])
    'a -> b -> a'
    >>> _chain([f"t{i}" for i in range(1000)] + ["t0"])
    't0 -> t1 -> t2 -> t3 -> … -> t997 -> t998 -> t999 -> t0 (1 000 terms)'
    """
    shown = [quote(t, 40) for t in ids]
    if len(shown) <= 2 * keep + 1:
        return " -> ".join(shown)
    return " -> ".join(shown[:keep] + ["…"] + shown[-keep:]) + f" ({group(len(ids) - 1)} terms)"


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
    key = lambda r: (r.module, r.line)  # noqa: E731 - stable order, independent of file order
    # rules taken in that order (a stable sort: rules of one line keep theirs), so every index
    # entry lists its rules in it as it is built
    for rule in rules:  # in the ruleset's order, as before
        if rule.kind == RuleKind.HONOUR:
            for exc in rule.conditions:
                honoured.setdefault(exc, []).append(rule)
    for rule in sorted(rules, key=key):
        if rule.kind == RuleKind.HONOUR:
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
    # Rules that name the same purposes share one closure (the compiler's), so each distinct
    # set of purposes is added once per (subject, item), however many rules declare it.
    every_purpose = frozenset(vocab.of_kind("purpose"))
    declared: dict = {}
    for (action, subject, item), found in grants.items():
        if action != "use":
            continue
        distinct = {}
        for rule in found:
            if rule.verb == "use" and not rule.conditions and not rule.declared_purposes:
                purposes = rule.purposes if rule.purposes is not None else every_purpose
                distinct[id(purposes)] = purposes
        if distinct:
            declared[(subject, item)] = frozenset().union(*distinct.values())
    return Ruleset(
        coop=coop, vocabulary=vocab, rules=rules, meta=meta,
        grant_index=FrozenMap({k: tuple(v) for k, v in grants.items()}),
        bar_index=FrozenMap({k: tuple(v) for k, v in bars.items()}),
        notice_index=FrozenMap({k: tuple(v) for k, v in notices.items()}),
        honoured=FrozenMap({k: tuple(v) for k, v in honoured.items()}),
        declared=FrozenMap(declared),
        files=files,
        meta_clauses=meta_clauses,
    )


def compile_modules(modules: list[LoadedModule]) -> Ruleset:
    """Compile loaded modules (dependencies first, the policy last) into a ruleset."""
    with fewer_collections():
        return _Compiler(modules).compile()
