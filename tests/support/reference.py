"""The reference evaluator: the executable specification the engine is tested against.

It restates docs/semantics.md (§1 terms, §3 statements, §4 what they really say, §5 deciding)
as plainly as possible, sharing nothing with ``engine/`` but the parser: its own name
resolution over the declarations, no closures and no indexes. Every decision scans every rule
and walks the hierarchy upwards through parent links. It is slow on purpose and short enough
to check line by line against the documents.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Mapping

from attrs import evolve, frozen

import coopcheck.dsl as dsl
from coopcheck.dsl import ast

#: Bases in the order they are tried (docs/semantics.md §5.2): the first that applies is reported.
BASIS_ORDER = ("purpose", "joint_use", "entrustment", "legal_exception", "consent")
#: The basis each grant verb gives when it holds without conditions.
VERB_BASIS = {"use": "purpose", "collect": "purpose", "publish": "purpose",
              "joint_use": "joint_use", "entrust": "entrustment", "provide": "consent"}
#: The three legal acts of handing data over; a bar written with one stops only that act.
SHARE_VERBS = ("joint_use", "entrust", "provide")
#: The scenario actions a grant, closed list or prohibition speaks about: a purpose of use
#: also governs collection, every verb with recipients is about sharing, and any disclosure
#: includes publication.
VERB_ACTIONS = {"use": ("use", "collect"), "collect": ("collect",), "publish": ("publish",),
                "joint_use": ("share",), "entrust": ("share",), "provide": ("share",),
                "disclose": ("share", "publish")}
#: The actions a requirement's gerund speaks about: ``using`` is about use alone.
GERUND_ACTIONS = {**VERB_ACTIONS, "use": ("use",)}


@frozen
class RefRule:
    """One rule with its names resolved to ids; a term tuple of ``None`` means "any"."""

    id: str  # module:line, the engine's scheme
    kind: str  # grant | closed | prohibition | requirement | honour
    verb: str  # the legal act its verb or gerund names
    items: tuple | None = None
    subjects: tuple | None = None
    recipients: tuple | None = None
    purposes: tuple | None = None
    declared: bool = False  # `for any declared purpose`
    conditions: tuple = ()  # grants: "consent", "*" (any honoured exception) or an exception id
    exceptions: tuple = ()  # bars: the same codes
    needs: tuple = ()  # requirements: "consent", "notice"
    obligations: tuple = ()
    honours: tuple = ()  # honour rules: the legal exceptions the co-op relies on

    def speaks_about(self, action: str) -> bool:
        """Whether the rule is about ``action`` (a requirement names its action itself)."""
        return action in (GERUND_ACTIONS if self.kind == "requirement" else VERB_ACTIONS)[self.verb]


@frozen
class RefPolicy:
    """A policy for the reference: each term's kind and parent, and every rule."""

    kinds: Mapping[str, str]
    parents: Mapping[str, str | None]
    rules: tuple[RefRule, ...]

    def terms(self, kind: str) -> tuple[str, ...]:
        """The ids of every term of ``kind``, in declaration order."""
        return tuple(t for t, k in self.kinds.items() if k == kind)


@frozen
class RefItem:
    """The reference decision for one data item."""

    item: str
    decision: str
    basis: str
    rules: frozenset


@frozen
class RefDecision:
    """The reference decision for a scenario."""

    decision: str
    basis: str
    rules: frozenset
    obligations: frozenset
    would_permit_with_consent: bool | None
    items: tuple[RefItem, ...]


# ---- loading: declarations, names, rules ------------------------------------------------
def _fold(text: str) -> str:
    """A label or alias as compared: NFKC-normalized, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _resolve(decls: list[ast.Declaration], term: ast.Term, kind: str) -> str:
    """A term's id: its id or words, a label or alias, or a plural of one of those."""
    def written(d):
        return {d.name.key} | {_fold(x) for x in (d.label, *d.aliases) if x}
    key = term.key  # words joined by `_`, lower-cased
    last = key.rpartition("_")[2]
    singulars = [key[: len(key) - len(end)] + add for end, add in (("ies", "y"), ("es", ""), ("s", ""))
                 if last.endswith(end)]  # `delivery companies` -> delivery_company
    for name in (_fold(term.text), key, *singulars):
        found = {d.name.key for d in decls if d.kind == kind and name in written(d)}
        if len(found) == 1:
            return found.pop()
    raise LookupError(f"unknown {kind} `{term.text}`")


def load_reference(texts: list[tuple[str, str]]) -> RefPolicy:
    """Parse ``(text, file name)`` pairs, dependencies first and the policy last."""
    modules = [dsl.parse(text, name) for text, name in texts]
    decls = [d for m in modules for d in m.of_type(ast.Declaration)]
    kinds = {d.name.key: d.kind for d in decls}
    parents = {d.name.key: d.parent.key if d.parent else None for d in decls}
    rules = []
    for module in modules:
        header = module.header
        module_id = module.path.rpartition("/")[2].rpartition(".")[0]
        if isinstance(header, ast.ModuleHeader):
            module_id = header.name.key
        elif isinstance(header, ast.PolicyHeader):
            try:
                module_id = _resolve(decls, header.coop, "coop")
            except LookupError:
                module_id = header.coop.key
        for node in module.of_type(*ast.RULE_TYPES):
            rules.append(_rule(node, f"{module_id}:{node.span.line}",
                               lambda term, kind: _resolve(decls, term, kind)))
    return RefPolicy(kinds, parents, tuple(rules))


def _rule(node, rule_id: str, resolve) -> RefRule:
    def ids(selector, kind):
        if selector is None or selector.any:
            return None
        return tuple(resolve(t, kind) for t in selector.terms)

    def codes(conditions):
        return tuple({"consent": "consent", "any_exception": "*"}.get(c.kind) or resolve(c.term, "exception")
                     for c in conditions)

    if isinstance(node, ast.Honour):
        return RefRule(rule_id, "honour", "any", honours=tuple(resolve(t, "exception") for t in node.exceptions))
    subjects = ids(node.subjects, "subject")
    if node.subjects is None:
        subjects = ("member",)  # a statement without a subject is about members (docs/semantics.md §4.1)
    common = dict(items=ids(node.items, "item"), subjects=subjects,
                  recipients=ids(node.recipients, "party"), purposes=ids(node.purposes, "purpose"),
                  declared=bool(node.purposes is not None and node.purposes.declared))
    if isinstance(node, ast.Requirement):
        return RefRule(rule_id, "requirement", node.verb, needs=node.needs,
                       exceptions=codes(node.exceptions), **common)
    kind = {ast.Grant: "grant", ast.ClosedGrant: "closed", ast.Prohibition: "prohibition"}[type(node)]
    exceptions = () if kind == "grant" else codes(node.exceptions)
    if kind == "closed" and "*" not in exceptions:
        exceptions += ("*",)  # a closed list yields to the honoured legal exceptions (§3.2)
    return RefRule(rule_id, kind, node.verb,
                   conditions=codes(node.conditions) if kind == "grant" else (),
                   exceptions=exceptions,
                   obligations=tuple(resolve(t, "obligation") for t in getattr(node, "obligations", ())),
                   **common)


# ---- the hierarchy, walked on the fly ----------------------------------------------------
def _under(policy: RefPolicy, term: str | None, ancestor: str) -> bool:
    """Whether ``term`` is ``ancestor`` or one of its descendants."""
    while term is not None:
        if term == ancestor:
            return True
        term = policy.parents.get(term)
    return False


def _covers(policy, written, value) -> bool:
    """A grant's terms cover a value that is one of them or a descendant (docs/semantics.md §1.3)."""
    return written is None or any(_under(policy, value, w) for w in written)


def _overlaps(policy, written, value) -> bool:
    """A bar's terms overlap a value that is one of them, a descendant or an ancestor (§1.3)."""
    return written is None or any(_under(policy, value, w) or _under(policy, w, value) for w in written)


# ---- the scenario -------------------------------------------------------------------------
@frozen
class _Scenario:
    """A JSON-contract scenario with its defaults filled in."""

    action: str
    items: tuple
    purpose: str
    subject: str
    recipient: str | None
    consent: bool
    exception: str | None


def _scenario(data: Mapping[str, Any]) -> _Scenario:
    items = data["data"] if isinstance(data["data"], list) else [data["data"]]
    recipient = data.get("recipient") or ("public" if data["action"] == "publish" else None)
    return _Scenario(data["action"], tuple(dict.fromkeys(items)), data["purpose"],
                     data.get("subject") or "member", recipient, bool(data.get("consent")),
                     data.get("exception"))


# ---- deciding (docs/semantics.md §5) -------------------------------------------------------
def reference_decide(ref: RefPolicy, scenario: Mapping[str, Any]) -> RefDecision:
    """Decide a JSON-contract scenario (ids resolved): item by item, permitted only if every
    item is; on a deny, whether the same scenario with consent would be permitted."""
    sc = _scenario(scenario)
    results = [_decide_item(ref, sc, item) for item in sc.items]
    items = tuple(item for item, _ in results)
    if all(i.decision == "permit" for i in items):
        bases = {i.basis for i in items}
        return RefDecision("permit", bases.pop() if len(bases) == 1 else "mixed",
                           frozenset().union(*(i.rules for i in items)),
                           frozenset().union(*(o for _, o in results)), None, items)
    with_consent = evolve(sc, consent=True)
    would = not sc.consent and all(_decide_item(ref, with_consent, i)[0].decision == "permit" for i in sc.items)
    return RefDecision("deny", "none", frozenset().union(*(i.rules for i in items if i.decision == "deny")),
                       frozenset(), would, items)


def _decide_item(policy, sc: _Scenario, item: str) -> tuple[RefItem, frozenset]:
    """One item and its obligations: bars, then grants and honoured legal exceptions, then
    default deny."""
    # 1. Bars: one on every act denies, whatever grants exist; one written with a single act
    #    of sharing (joint use, entrustment, provision) stops the grants of that act only.
    blocking, lifted, excused = _bars(policy, sc, item)
    deny = RefItem(item, "deny", "none", frozenset(r.id for r in blocking)), frozenset()
    if any(r.verb not in SHARE_VERBS for r in blocking):
        return deny
    # 2. Grants: the first basis in BASIS_ORDER, with every rule that gives it.
    found = [(_grant_basis(policy, r, sc, item), r) for r in policy.rules]
    found += [("legal_exception", r) for r in _honoured(policy, sc.exception)]
    found = [(basis, r) for basis, r in found if basis is not None and _act(r, sc) not in
             {b.verb for b in blocking}]
    if _opened_by_legal_exception(policy, sc, item):  # only that exception permits outside the list
        found = [(basis, r) for basis, r in found if basis == "legal_exception"]
    # 3. Default deny.
    if not found:
        return deny
    basis = min((b for b, _ in found), key=BASIS_ORDER.index)
    deciding = [r for b, r in found if b == basis]
    acts = {_act(r, sc) for r in deciding}
    lifted = [r for r in lifted if r.verb not in SHARE_VERBS or r.verb in acts]
    excused = [r for r in excused if r.verb not in SHARE_VERBS or r.verb in acts]
    if sc.action == "collect" and basis == "purpose" and (lifted or excused):
        basis = "consent" if lifted else "legal_exception"  # what met the requirement
    notices = [r for r in policy.rules if _notice(policy, r, sc, item)
               and (r.verb not in SHARE_VERBS or r.verb in acts)]
    rules = deciding + lifted + excused + notices
    obligations = {o for r in deciding for o in r.obligations}
    obligations |= {"notify_purpose" for r in rules if r.kind == "requirement" and "notice" in r.needs}
    return RefItem(item, "permit", basis, frozenset(r.id for r in rules)), frozenset(obligations)


def _opened_by_legal_exception(policy, sc: _Scenario, item: str) -> bool:
    """Whether a closed list the scenario falls outside of stands aside for a legal exception,
    consent not being one of its exceptions that holds (docs/semantics.md §3.2)."""
    return any(r.kind == "closed" and _bar_matches(policy, r, sc, item)
               and any(_holds(policy, e, sc) for e in r.exceptions)
               and not ("consent" in r.exceptions and sc.consent) for r in policy.rules)


def _act(rule: RefRule, sc: _Scenario) -> str:
    """The legal act a permit rests on: the grant's verb; for an honoured legal exception on a
    share, third-party provision (APPI Art. 27(1) lists the exceptions to its consent)."""
    if rule.kind == "honour":
        return "provide" if sc.action == "share" else "any"
    return rule.verb


# ---- step 1: bars --------------------------------------------------------------------------
def _bars(policy, sc: _Scenario, item: str):
    """The bars that deny this item; the consent requirements consent lifted; those a legal
    exception excused (a prohibition or closed list yields to any of its own exceptions)."""
    blocking, lifted, excused = [], [], []
    for rule in policy.rules:
        if not _bar_matches(policy, rule, sc, item):
            continue
        if rule.kind == "requirement":
            if any(e != "consent" and _holds(policy, e, sc) for e in rule.exceptions):
                excused.append(rule)
            elif sc.consent:
                lifted.append(rule)
            else:
                blocking.append(rule)
        elif not any(_holds(policy, e, sc) for e in rule.exceptions):
            blocking.append(rule)
    return blocking, lifted, excused


def _bar_matches(policy, rule: RefRule, sc: _Scenario, item: str) -> bool:
    """Whether a prohibition, closed list or consent requirement speaks against this item,
    its exceptions aside: its terms overlap the scenario's."""
    is_bar = rule.kind in ("prohibition", "closed") or (rule.kind == "requirement" and "consent" in rule.needs)
    if not (is_bar and rule.speaks_about(sc.action) and _overlaps(policy, rule.items, item)
            and _overlaps(policy, rule.subjects, sc.subject)):
        return False
    if rule.kind == "closed":  # forbids every recipient and purpose it does not list
        return not (_covers(policy, rule.recipients, sc.recipient) and _purpose_in(policy, rule, sc, item, _covers))
    return _overlaps(policy, rule.recipients, sc.recipient) and _purpose_in(policy, rule, sc, item, _overlaps)


def _purpose_in(policy, rule: RefRule, sc: _Scenario, item: str, match) -> bool:
    """Whether a bar's purposes ``match`` the scenario's; `any declared purpose` in a bar
    means the purposes the grants declare for the subject and item."""
    return _declared_by_grants(policy, sc, item) if rule.declared else match(policy, rule.purposes, sc.purpose)


# ---- step 2: grants ------------------------------------------------------------------------
def _grant_basis(policy, rule: RefRule, sc: _Scenario, item: str) -> str | None:
    """The basis a grant (or the list a closed list grants) gives this item, if it covers it:
    item, subject, recipient and purpose are its terms or their descendants."""
    if rule.kind not in ("grant", "closed") or not _in_scope(policy, rule, sc, item):
        return None
    if rule.verb in SHARE_VERBS and not _covers(policy, rule.recipients, sc.recipient):
        return None
    if not (_declared(policy, sc, item) if rule.declared else _covers(policy, rule.purposes, sc.purpose)):
        return None
    if not rule.conditions:
        basis = VERB_BASIS[rule.verb]  # a provision list without conditions still needs consent
        return basis if basis != "consent" or sc.consent else None
    if sc.action == "collect" and rule.verb == "use":
        return None  # a conditioned use grant does not make collection lawful
    if any(c != "consent" and _holds(policy, c, sc) for c in rule.conditions):
        return "legal_exception"
    return "consent" if "consent" in rule.conditions and sc.consent else None


def _in_scope(policy, rule: RefRule, sc: _Scenario, item: str) -> bool:
    """Whether a grant speaks about the action and covers the item and the subject."""
    return (rule.speaks_about(sc.action) and _covers(policy, rule.items, item)
            and _covers(policy, rule.subjects, sc.subject))


def _declared(policy, sc: _Scenario, item: str) -> bool:
    """`any declared purpose` in a grant: a declared purpose that no bar withholds, i.e. using
    the item for it would not be barred in this scenario (consent and exception as given)."""
    use = evolve(sc, action="use", items=(item,), recipient=None)
    return _declared_by_grants(policy, sc, item) and not _bars(policy, use, item)[0]


def _declared_by_grants(policy, sc: _Scenario, item: str) -> bool:
    """Whether a grant to use the item without conditions (or a closed list of uses) covers
    the scenario's subject and purpose: a purpose the policy declares for them."""
    use = evolve(sc, action="use", items=(item,), recipient=None)
    return any(r.kind in ("grant", "closed") and r.verb == "use" and not r.conditions and not r.declared
               and _in_scope(policy, r, use, item) and _covers(policy, r.purposes, sc.purpose)
               for r in policy.rules)


def _notice(policy, rule: RefRule, sc: _Scenario, item: str) -> bool:
    """Whether a notice-only requirement overlaps this item (it attaches notify_purpose)."""
    return (rule.kind == "requirement" and "consent" not in rule.needs and rule.speaks_about(sc.action)
            and all(_overlaps(policy, w, v) for w, v in (
                (rule.items, item), (rule.subjects, sc.subject), (rule.recipients, sc.recipient)))
            and _purpose_in(policy, rule, sc, item, _overlaps))


# ---- conditions and exceptions -------------------------------------------------------------
def _holds(policy, code: str, sc: _Scenario) -> bool:
    """Whether a condition or exception holds: consent given, an honoured legal exception
    claimed (``*``), or this very legal exception claimed."""
    if code == "consent":
        return sc.consent
    if code == "*":
        return bool(_honoured(policy, sc.exception))
    return sc.exception == code


def _honoured(policy, exception: str | None) -> list[RefRule]:
    """The honour rules that name the claimed legal exception (each gives the basis)."""
    return [r for r in policy.rules if r.kind == "honour" and exception is not None and exception in r.honours]
