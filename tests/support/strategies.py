"""Hypothesis strategies for rule files and scenarios, and a test-side renderer.

Generated rule files are syntax trees first (:mod:`coopcheck.dsl.ast` nodes) and text second: the
renderer here writes them in the rule language, so the same cases drive the parser, the
compiler and the decision procedure.

Term ids are ``item_a``, ``party_b``, ``purpose_c``, ``subj_d``, ``exc_e``, ``obl_f`` (and
the subject ``member``): one word each, never equal to a keyword of the language, so they
read as terms wherever the grammar expects one. Japanese labels (``データ0``) are declared
for some terms and rules sometimes name a term by its quoted label.
"""

from __future__ import annotations

import functools
import string
from typing import Iterable, Mapping

from attrs import evolve, field, frozen
from hypothesis import strategies as st

from coopcheck.dsl import ast

#: The kinds of term a generated vocabulary declares, as ``GenPolicy.terms`` keys.
KINDS = ("item", "party", "purpose", "subject", "exception", "obligation")
#: Kinds whose terms form a hierarchy (``is PARENT``) in generated vocabularies.
HIERARCHICAL = ("item", "party", "purpose", "subject")
#: Grant verbs (``coopcheck.dsl.ast.Grant.verb``) and the share verbs among them.
VERBS = ("use", "collect", "publish", "joint_use", "entrust", "provide")
SHARE_VERBS = ("joint_use", "entrust", "provide")
#: Verbs of prohibitions and requirements: every grant verb, and any disclosure at all.
BAR_VERBS = VERBS + ("disclose",)
#: Verbs that take recipients.
RECIPIENT_VERBS = SHARE_VERBS + ("disclose",)
#: Scenario actions.
ACTIONS = ("use", "collect", "share", "publish")
#: The scenario actions each rule verb speaks about (language.md: "a purpose of use also
#: governs collection"; shared with / entrusted to / provided to all speak about sharing).
VERB_ACTIONS = {"use": ("use", "collect"), "collect": ("collect",), "publish": ("publish",),
                "joint_use": ("share",), "entrust": ("share",), "provide": ("share",),
                "disclose": ("share", "publish")}
#: The actions a requirement's gerund speaks about (``using``: use alone).
GERUND_ACTIONS = {**VERB_ACTIONS, "use": ("use",)}

_PREFIX = {"item": "item", "party": "party", "purpose": "purpose", "subject": "subj",
           "exception": "exc", "obligation": "obl"}
_LABEL = {"item": "データ", "party": "相手先", "purpose": "目的", "subject": "本人",
          "exception": "例外", "obligation": "義務"}
_DECLARE = {"item": "data item", "party": "party", "purpose": "purpose", "subject": "subject",
            "exception": "exception", "obligation": "obligation", "coop": "cooperative"}
#: How many terms of each kind a vocabulary declares (besides the subject ``member``).
_SIZES = {"item": (1, 6), "party": (1, 4), "purpose": (1, 4), "subject": (0, 2),
          "exception": (0, 2), "obligation": (0, 2)}
_VERB_PHRASE = {"use": "used", "collect": "collected", "publish": "published",
                "joint_use": "shared with", "entrust": "entrusted to", "provide": "provided to",
                "disclose": "disclosed to"}
_GERUND = {"use": "using", "collect": "collecting", "publish": "publishing", "joint_use": "sharing",
           "entrust": "entrusting", "provide": "providing", "disclose": "disclosing"}


def term_id(kind: str, n: int) -> str:
    """The ``n``-th generated id of ``kind``: ``item_a`` … ``item_z``, ``item_ba`` …"""
    letters = string.ascii_lowercase
    suffix = letters[n % 26]
    while n >= 26:
        n = n // 26 - 1
        suffix = letters[n % 26] + suffix
    return f"{_PREFIX[kind]}_{suffix}"


# ---- the generated policy ------------------------------------------------------------------------
@frozen(repr=False)
class GenPolicy:
    """A generated policy: its vocabulary, its rules, and the rule file that says both.

    ``terms`` maps each kind to its ids; ``text`` is ``policy gen``, the declarations, then the
    rules, each rule ending with its own citation (``[r7]``); ``rule_lines[i]`` is the line on
    which ``rules[i]`` starts (the engine's rule ids are ``gen:LINE``).
    """

    declarations: tuple[ast.Declaration, ...]
    rules: tuple
    terms: Mapping[str, tuple[str, ...]] = field(eq=False)
    text: str = field(eq=False)
    rule_lines: tuple[int, ...] = field(eq=False)

    def __repr__(self) -> str:
        return "GenPolicy(text=\"\"\"\n" + self.text + "\"\"\")"

    @classmethod
    def build(cls, declarations: Iterable[ast.Declaration], rules: Iterable) -> "GenPolicy":
        """A policy from declarations and rules; rules without a citation get a fresh one."""
        declarations = tuple(declarations)
        rules = _cite(tuple(rules))
        text, lines = _render_policy(declarations, rules)
        return cls(declarations, rules, terms_of(declarations), text, lines)

    def with_rules(self, rules: Iterable) -> "GenPolicy":
        """The same vocabulary with other rules (text re-rendered)."""
        return GenPolicy.build(self.declarations, rules)

    def with_rule(self, rule, at: int | None = None) -> "GenPolicy":
        """This policy with one more rule, inserted at index ``at`` (default: last)."""
        rules = list(self.rules)
        rules.insert(len(rules) if at is None else at, rule)
        return self.with_rules(rules)

    # -- the vocabulary, read from the declarations (never from the engine) --------------------
    def kind_of(self, tid: str) -> str | None:
        """The kind of a declared id."""
        for d in self.declarations:
            if d.name.text == tid:
                return d.kind
        return None

    def parent(self, tid: str) -> str | None:
        """The declared parent of ``tid``."""
        for d in self.declarations:
            if d.name.text == tid:
                return d.parent.text if d.parent else None
        return None

    def ancestors(self, tid: str) -> frozenset[str]:
        """``tid`` and every term above it."""
        found, cur = [], tid
        while cur is not None and cur not in found:
            found.append(cur)
            cur = self.parent(cur)
        return frozenset(found)

    def descendants(self, tid: str) -> frozenset[str]:
        """``tid`` and every term below it."""
        return frozenset(d.name.text for d in self.declarations if tid in self.ancestors(d.name.text))

    def resolve(self, term: ast.Term) -> str:
        """The id a rule's term names: the id itself, or the term whose label or alias it quotes."""
        if not term.quoted:
            return term.text
        for d in self.declarations:
            if term.text == d.label or term.text in d.aliases:
                return d.name.text
        raise KeyError(term.text)

    def rule_at_line(self, line: int):
        """The rule that starts on ``line`` of the text."""
        return self.rules[self.rule_lines.index(line)]

    def rule_by_id(self, rule_id: str):
        """The rule an engine names ``gen:LINE``."""
        module, _, line = rule_id.rpartition(":")
        if module != "gen":
            raise KeyError(rule_id)
        return self.rule_at_line(int(line))


def terms_of(declarations: Iterable[ast.Declaration]) -> dict[str, tuple[str, ...]]:
    """Ids per kind, in declaration order."""
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    for d in declarations:
        out.setdefault(d.kind, []).append(d.name.text)
    return {k: tuple(v) for k, v in out.items()}


def labels_of(declarations: Iterable[ast.Declaration]) -> dict[str, tuple[str, ...]]:
    """For each id, the quoted names (label and aliases) a rule may use for it."""
    return {d.name.text: ((d.label,) if d.label else ()) + d.aliases for d in declarations}


def _citation_number(rule) -> int | None:
    text = rule.citation.text if rule.citation else ""
    return int(text[1:]) if text[:1] == "r" and text[1:].isdigit() else None


def _cite(rules: tuple) -> tuple:
    """Give every rule without a citation a fresh ``rN`` one; citations stay unique."""
    used = [n for n in map(_citation_number, rules) if n is not None]
    texts = [r.citation.text for r in rules if r.citation is not None]
    if len(texts) != len(set(texts)):
        raise ValueError(f"citations must be unique: {texts}")
    fresh = max(used, default=-1) + 1
    out = []
    for rule in rules:
        if rule.citation is None:
            rule = evolve(rule, citation=ast.Citation(f"r{fresh}"))
            fresh += 1
        out.append(rule)
    return tuple(out)


# ---- vocabularies ------------------------------------------------------------------------------
@st.composite
def vocabularies(draw) -> tuple[ast.Declaration, ...]:
    """Random forests of items, parties, purposes and subjects (always with ``member``), a
    few legal exceptions and obligations; some terms carry a Japanese label or aliases."""
    decls: list[ast.Declaration] = []
    for kind in KINDS:
        low, high = _SIZES[kind]
        ids = ["member"] if kind == "subject" else []
        ids += [term_id(kind, n) for n in range(draw(st.integers(low, high), label=f"{kind} count"))]
        for n, tid in enumerate(ids):
            parent = None
            if kind in HIERARCHICAL and n > 0 and draw(st.integers(0, 2)):
                parent = ast.Term(draw(st.sampled_from(ids[:n])))
            label = f"{_LABEL[kind]}{n}" if draw(st.integers(0, 2)) == 0 else None
            aliases = (f"別名{_LABEL[kind]}{n}",) if draw(st.integers(0, 5)) == 0 else ()
            decls.append(ast.Declaration(kind, ast.Term(tid), parent, label, aliases))
    return tuple(decls)


# ---- rules -------------------------------------------------------------------------------------
_ANY = ast.Selector(any=True)
_DECLARED = ast.Selector(any=True, declared=True)


def _freeze(mapping: Mapping[str, tuple[str, ...]] | None) -> tuple:
    return tuple(sorted((k, tuple(v)) for k, v in (mapping or {}).items()))


class _Kit:
    """The strategies for the parts of a rule over one vocabulary, built once per vocabulary
    (building Hypothesis strategies is costly; drawing from them is not)."""

    def __init__(self, terms_key: tuple, labels_key: tuple):
        self.terms, labels = dict(terms_key), dict(labels_key)
        self.names = {kind: self._names(kind, labels) for kind, ids in self.terms.items() if ids}
        self.lists = {kind: st.lists(names, min_size=1, max_size=2, unique_by=lambda t: (t.text, t.quoted))
                      for kind, names in self.names.items()}
        self.selectors = {kind: lists.map(lambda ts: ast.Selector(tuple(ts))) for kind, lists in self.lists.items()}
        atoms = [st.just(ast.Condition("consent")), st.just(ast.Condition("any_exception"))]
        if "exception" in self.names:
            atoms.append(self.names["exception"].map(lambda t: ast.Condition("exception", t)))
        conds = [st.lists(st.one_of(atoms), min_size=low, max_size=2,
                          unique_by=lambda c: (c.kind, c.term.text if c.term else None)).map(tuple)
                 for low in (0, 1)]
        self.conditions, self.some_conditions = conds
        self.obligations = (st.one_of(st.just(()), self.lists["obligation"].map(tuple))
                            if "obligation" in self.names else st.just(()))
        self.subjects = st.one_of(st.none(), self.selectors["subject"], st.just(_ANY))
        purposes = [self.selectors["purpose"], self.selectors["purpose"], st.just(_ANY)]
        self.purposes = st.one_of(purposes)
        self.grant_purposes = st.one_of(purposes + [st.just(_DECLARED)])
        self.optional_purposes = st.one_of(purposes + [st.none()])
        self.recipients = st.one_of(self.selectors["party"], self.selectors["party"], st.just(_ANY))
        self.managers = st.one_of(self.names["party"], st.just(ast.Term("共同利用管理者", quoted=True)))

    def _names(self, kind: str, labels: Mapping[str, tuple[str, ...]]):
        """One term of ``kind``: usually its id, sometimes a quoted label or alias."""
        by_id = st.sampled_from(self.terms[kind]).map(ast.Term)
        quotable = [name for tid in self.terms[kind] for name in labels.get(tid, ())]
        if not quotable:
            return by_id
        return st.one_of(by_id, by_id, by_id, st.sampled_from(quotable).map(lambda n: ast.Term(n, quoted=True)))

    def recipients_for(self, verb: str):
        """Recipients of a rule with ``verb``: a party list or anyone for the share verbs."""
        return self.recipients if verb in RECIPIENT_VERBS else st.none()


@functools.lru_cache(maxsize=64)
def _cached_kit(terms_key: tuple, labels_key: tuple) -> _Kit:
    return _Kit(terms_key, labels_key)


def _kit(terms, labels) -> _Kit:
    return _cached_kit(_freeze(terms), _freeze(labels))


@st.composite
def grants(draw, terms, labels=None) -> ast.Grant:
    """Grants of every verb: use, collection, publication, joint use (with ``managed by``),
    entrustment, and provision to third parties (always with a condition, else E307)."""
    kit = _kit(terms, labels)
    verb = draw(st.sampled_from(VERBS))
    if verb == "provide":
        conditions = draw(kit.some_conditions)
    else:
        conditions = draw(kit.conditions) if draw(st.integers(0, 2)) == 0 else ()
    managed = draw(kit.managers) if verb == "joint_use" and draw(st.integers(0, 2)) == 0 else None
    return ast.Grant(
        verb=verb,
        items=draw(kit.selectors["item"]),
        subjects=draw(kit.subjects),
        recipients=draw(kit.recipients_for(verb)),
        purposes=draw(kit.grant_purposes),
        conditions=conditions,
        obligations=draw(kit.obligations),
        managed_by=managed,
    )


@st.composite
def closed_grants(draw, terms, labels=None) -> ast.ClosedGrant:
    """Closed lists (``may only``) of every verb, with optional exceptions."""
    kit = _kit(terms, labels)
    verb = draw(st.sampled_from(VERBS))
    return ast.ClosedGrant(
        verb=verb,
        items=draw(kit.selectors["item"]),
        subjects=draw(kit.subjects),
        recipients=draw(kit.recipients_for(verb)),
        purposes=draw(kit.purposes),
        exceptions=draw(kit.conditions),
        obligations=draw(kit.obligations) if draw(st.booleans()) else (),
    )


@st.composite
def prohibitions(draw, terms, labels=None) -> ast.Prohibition:
    """Prohibitions (``must not``) of every verb, any disclosure included, with optional
    purposes and exceptions."""
    kit = _kit(terms, labels)
    verb = draw(st.sampled_from(BAR_VERBS))
    return ast.Prohibition(
        verb=verb,
        items=draw(kit.selectors["item"]),
        subjects=draw(kit.subjects),
        recipients=draw(kit.recipients_for(verb)),
        purposes=draw(kit.optional_purposes),
        exceptions=draw(kit.conditions),
    )


@st.composite
def requirements(draw, terms, labels=None) -> ast.Requirement:
    """Consent and notice requirements (``collecting X requires consent``), with exceptions."""
    kit = _kit(terms, labels)
    verb = draw(st.sampled_from(BAR_VERBS))
    recipients = draw(st.one_of(st.none(), kit.recipients)) if verb in RECIPIENT_VERBS else None
    needs = draw(st.sampled_from((("consent",), ("consent",), ("notice",), ("consent", "notice"),
                                  ("notice", "consent"))))
    return ast.Requirement(
        verb=verb,
        items=draw(kit.selectors["item"]),
        subjects=draw(kit.subjects),
        recipients=recipients,
        purposes=draw(kit.optional_purposes),
        needs=needs,
        exceptions=draw(kit.conditions),
    )


def honours(terms, labels=None):
    """``honour legal exceptions: ...`` over the declared exceptions."""
    return _kit(terms, labels).lists["exception"].map(lambda ts: ast.Honour(tuple(ts)))


def rule_nodes(terms, labels=None):
    """One rule over ``terms``: a grant, closed list, prohibition, requirement or honour."""
    return _cached_rule_nodes(_freeze(terms), _freeze(labels))


@functools.lru_cache(maxsize=64)
def _cached_rule_nodes(terms_key: tuple, labels_key: tuple):
    terms, labels = dict(terms_key), dict(labels_key)
    grant = grants(terms, labels)
    options = [grant, grant, grant, closed_grants(terms, labels), prohibitions(terms, labels),
               requirements(terms, labels)]
    if terms.get("exception"):
        options.append(honours(terms, labels))
    return st.one_of(options)


@st.composite
def policies(draw, min_rules: int = 0, max_rules: int = 8) -> GenPolicy:
    """A generated policy: a vocabulary and ``min_rules``..``max_rules`` rules over it, each
    rule cited ``[rN]`` by its position."""
    declarations = draw(vocabularies(), label="vocabulary")
    terms, labels = terms_of(declarations), labels_of(declarations)
    rules = draw(st.lists(rule_nodes(terms, labels), min_size=min_rules, max_size=max_rules), label="rules")
    return GenPolicy.build(declarations, [evolve(r, citation=ast.Citation(f"r{n}")) for n, r in enumerate(rules)])


# ---- scenarios ---------------------------------------------------------------------------------
@st.composite
def scenarios(draw, terms) -> dict:
    """Scenario dicts in the JSON contract over ``terms``: ids, 1-3 items, a recipient exactly
    when the action is ``share``, consent true or false, no exception or a legal-exception id."""
    action = draw(st.sampled_from(ACTIONS))
    scenario = {
        "action": action,
        "data": draw(st.lists(st.sampled_from(terms["item"]), min_size=1, max_size=3, unique=True)),
        "subject": draw(st.sampled_from(terms["subject"])),
        "purpose": draw(st.sampled_from(terms["purpose"])),
        "consent": draw(st.booleans()),
        "exception": draw(st.none() | st.sampled_from(terms["exception"])) if terms.get("exception") else None,
    }
    if action == "share":
        scenario["recipient"] = draw(st.sampled_from(terms["party"]))
    return scenario


@st.composite
def scenarios_for(draw, policy: GenPolicy) -> dict:
    """Scenarios over a policy's vocabulary, most of them aimed at one of its rules: the
    action it speaks about, its terms or their descendants, its conditions often met."""
    scenario = draw(scenarios(policy.terms))
    aimable = tuple(r for r in policy.rules if not isinstance(r, ast.Honour))
    if not aimable or draw(st.integers(0, 3)) == 0:
        return scenario
    granting = tuple(r for r in aimable if isinstance(r, (ast.Grant, ast.ClosedGrant)))
    rule = draw(st.sampled_from(granting if granting and draw(st.integers(0, 2)) else aimable))

    def below(selector, kind):
        if selector is None or selector.any:
            return None
        written = tuple(policy.resolve(t) for t in selector.terms)
        below = tuple(sorted({d for t in written for d in policy.descendants(t)}))
        return draw(st.sampled_from(written) | st.sampled_from(below), label=kind)

    actions = GERUND_ACTIONS if isinstance(rule, ast.Requirement) else VERB_ACTIONS
    action = draw(st.sampled_from(actions[rule.verb]))
    scenario["action"] = action
    item = below(rule.items, "item")
    others = [i for i in scenario["data"] if i != item][: draw(st.integers(0, 1))]
    scenario["data"] = [item] + others
    subject = below(rule.subjects, "subject")
    if subject is None and rule.subjects is None:  # a statement without `of` is about members
        subject = draw(st.sampled_from(tuple(sorted(policy.descendants("member")))))
    if subject is not None:
        scenario["subject"] = subject
    purpose = below(rule.purposes, "purpose")
    if purpose is not None:
        scenario["purpose"] = purpose
    scenario.pop("recipient", None)
    if action == "share":
        scenario["recipient"] = below(rule.recipients, "party") or draw(st.sampled_from(policy.terms["party"]))
    conditions = getattr(rule, "conditions", ()) + getattr(rule, "exceptions", ())
    if conditions and draw(st.booleans()):
        met = draw(st.sampled_from(conditions))
        if met.kind == "consent":
            scenario["consent"] = True
        elif met.kind == "exception":
            scenario["exception"] = policy.resolve(met.term)
    return scenario


# ---- rendering ----------------------------------------------------------------------------------
def _term_text(term: ast.Term) -> str:
    return f'"{term.text}"' if term.quoted else term.text


def _list_text(terms: Iterable[ast.Term], n: int) -> str:
    texts = [_term_text(t) for t in terms]
    if len(texts) == 2 and n % 2:
        return (" and ", " or ")[n % 4 // 2].join(texts)
    return ", ".join(texts)


def _subjects_text(sel: ast.Selector | None, n: int) -> str:
    if sel is None:
        return ""
    if sel.any:
        return " of anyone" if n % 2 else " of any subject"
    return " of " + _list_text(sel.terms, n)


def _recipients_text(sel: ast.Selector | None, word: str, n: int) -> str:
    if sel is None:
        return ""
    if sel.any:
        return f" {word} " + ("anyone" if n % 2 else "any recipient")
    return f" {word} " + _list_text(sel.terms, n)


def _purposes_text(sel: ast.Selector | None, n: int) -> str:
    if sel is None:
        return ""
    if sel.declared:
        return " for any declared purpose"
    if sel.any:
        return " for any purpose"
    return " for " + _list_text(sel.terms, n) + ("", " purposes", "", " purpose")[n % 4]


def _condition_text(cond: ast.Condition, n: int, clause: bool) -> str:
    """One condition; ``clause``: as a `provided that` condition must be written."""
    if cond.kind == "consent":
        return "consent is given" if clause or n % 2 else "consent"
    if cond.kind == "any_exception":
        return "a legal exception applies" if clause or n % 3 == 2 else "a legal exception"
    return _term_text(cond.term) + (" applies" if clause or n % 5 == 4 else "")


def _conditions_text(keyword: str, conds: tuple[ast.Condition, ...], n: int) -> str:
    if not conds:
        return ""
    return f" {keyword} " + " or ".join(_condition_text(c, n, keyword == "provided that") for c in conds)


def _verb_text(node, n: int) -> str:
    phrase = _VERB_PHRASE[node.verb]
    if node.verb in RECIPIENT_VERBS:
        verb, word = phrase.split()
        return verb + _recipients_text(node.recipients, word, n)
    return phrase


def _tail(node, body: str, n: int, obligations: tuple[ast.Term, ...] = (), managed=None) -> str:
    """Obligations and ``managed by`` (in either order: modifiers come in any order), then the
    citation, some on indented continuation lines."""
    parts = []
    if obligations:
        sep = ("\n    obliging ", ", obliging ", " obliging ")[n % 3]
        parts.append(sep + _list_text(obligations, n))
    if managed is not None:
        parts.append((" managed by ", "\n\u3000managed by ")[n % 2] + _term_text(managed))
    body += "".join(reversed(parts) if n % 5 == 3 else parts)
    if node.citation is not None:
        body += ("   ", "\n    ", " ")[n % 3] + f"[{node.citation.text}]"
    return body


def render_statement(node, n: int = 0) -> str:
    """One statement in the rule language; ``n`` varies the optional wording and layout."""
    if isinstance(node, ast.PolicyHeader):
        return f"policy {_term_text(node.coop)}"
    if isinstance(node, ast.ModuleHeader):
        return f"module {_term_text(node.name)}"
    if isinstance(node, ast.Import):
        return f"import {_term_text(node.target)}"
    if isinstance(node, ast.Declaration):
        comma = "," if n % 2 else ""
        out = f"{_DECLARE[node.kind]} {_term_text(node.name)}"
        if node.parent is not None:
            out += f"{comma} is {_term_text(node.parent)}"
        if node.label is not None:
            out += f'{comma} label "{node.label}"'
        if node.aliases:
            word = "alias" if len(node.aliases) == 1 and n % 2 else "aliases"
            out += f"{comma} {word} " + ", ".join(f'"{a}"' for a in node.aliases)
        return out
    if isinstance(node, ast.Grant):
        body = (_list_text(node.items.terms, n) + _subjects_text(node.subjects, n) + " may be "
                + _verb_text(node, n) + _purposes_text(node.purposes, n)
                + _conditions_text("provided that", node.conditions, n))
        return _tail(node, body, n, node.obligations, node.managed_by)
    if isinstance(node, ast.ClosedGrant):
        body = (_list_text(node.items.terms, n) + _subjects_text(node.subjects, n) + " may only be "
                + _verb_text(node, n) + _purposes_text(node.purposes, n)
                + _conditions_text("unless", node.exceptions, n))
        return _tail(node, body, n, node.obligations)
    if isinstance(node, ast.Prohibition):
        body = (_list_text(node.items.terms, n) + _subjects_text(node.subjects, n) + (" must not be ", " may not be ")[n % 2]
                + _verb_text(node, n) + _purposes_text(node.purposes, n)
                + _conditions_text("unless", node.exceptions, n))
        return _tail(node, body, n)
    if isinstance(node, ast.Requirement):
        body = (_GERUND[node.verb] + " " + _list_text(node.items.terms, n) + _subjects_text(node.subjects, n)
                + _recipients_text(node.recipients, ("with", "to")[n % 2], n)
                + _purposes_text(node.purposes, n) + " requires " + " and ".join(node.needs)
                + _conditions_text("unless", node.exceptions, n))
        return _tail(node, body, n)
    if isinstance(node, ast.Honour):
        head = ("honour legal exceptions: ", "honour legal exception ")[n % 2]
        return _tail(node, head + _list_text(node.exceptions, 0), n)
    raise TypeError(f"cannot render {type(node).__name__}")


def _render(header_line: str, statements) -> tuple[str, list[int]]:
    lines = [header_line]
    starts = []
    for n, stmt in enumerate(statements):
        starts.append(len(lines) + 1)
        lines.extend(render_statement(stmt, n).split("\n"))
    return "\n".join(lines) + "\n", starts


def render_module(header_line: str, statements) -> str:
    """Rule-file text: ``header_line`` then each statement (AST node) in the rule language."""
    return _render(header_line, statements)[0]


def _render_policy(declarations, rules) -> tuple[str, tuple[int, ...]]:
    text, starts = _render("policy gen", tuple(declarations) + tuple(rules))
    return text, tuple(starts[len(declarations):])
