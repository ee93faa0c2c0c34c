"""Explanations: how a decision was derived and, on a deny, what would turn it into a permit.

:func:`explain` decides the scenario with the real engine and then, item by item, checks every
rule whose action applies (grants, closed lists, prohibitions, requirements, honoured legal
exceptions) with the same per-part tests the decision uses (:mod:`coopcheck.core.decide`). Each rule
gets a status and lands in one group:

``deciding``
    the grant(s) that gave the reported basis (``decisive``), or the bar(s) that denied the
    item (``blocking``). Empty on a default deny.
``bars``
    bars and requirements that applied but did not deny: an exception held (``excepted``),
    consent met a consent requirement (``lifted``), a notice requirement added its obligation
    (``applied``), a bar on one act of sharing stands but the item rests on another act
    (``passed``).
``matched``
    grants that covered the scenario but did not decide it: a better basis ranked first
    (``outranked``) or a bar denied the item anyway (``overridden``).
``not_matching``
    every other rule, with the parts (``item``, ``subject``, ``recipient``, ``purpose``,
    ``condition``) that fell outside it: the value asked and what the rule wrote, closest
    first. By default only the rules that miss on a single part are listed (or, when none
    does, those that miss on the fewest parts); the rest are counted in
    ``not_matching_more``. ``show_all`` lists them all.

On a deny, the **why-not** search tries changes the person asking controls, in families:
obtaining ``consent``; a ``purpose`` close to the one asked (sibling, ancestor or descendant
in the purpose hierarchy) that a grant covers for a denied item; ``drop``-ping the denied
items when at least one item remains; a ``recipient`` (share only) that a grant names for a
denied item (a joint user, an entrustee, a third party with consent); claiming a legal
``exception`` (flagged ``needs_legal_ground``: it helps only if the legal ground really
applies). A different data subject is not a change the user controls and is never proposed.
Every candidate is decided with the real engine; only permits are kept. Single changes come
first, then pairs of changes from two families where neither change works alone (a pair with
``drop`` drops what the other change leaves denied). Within a size the order is the family
order above, purposes by closeness. A recipient is left out when a broader recipient that
works is decided by the same rules. The list is capped at ``limit`` (5) and
``why_not_more`` counts the rest; ``show_all`` lifts the cap.

The explanation as JSON, with its sentences in English or Japanese, is
:func:`coopcheck.presentation.explain_json.explanation_json`.
"""

from __future__ import annotations

from itertools import combinations

from attrs import frozen

from coopcheck.core.api import decide
from coopcheck.core.semantics import (Miss, bar_parts_outside, decide_item, grant_basis, grant_parts_outside,
                                      match_bar)
from coopcheck.core.decision import Decision, ItemDecision
from coopcheck.core.ruleset import CompiledRule, Ruleset
from coopcheck.core.kinds import Standing
from coopcheck.core.scenario import Scenario

#: Why-not families, in ranking order.
FAMILIES = ("consent", "purpose", "recipient", "drop", "exception")
#: Default cap on the why-nots listed.
LIMIT = 5
GROUPS = ("deciding", "bars", "matched", "not_matching")
_STATUS_GROUP = {"decisive": "deciding", "blocking": "deciding", "excepted": "bars", "lifted": "bars",
                 "passed": "bars",
                 "applied": "bars", "outranked": "matched", "overridden": "matched",
                 "not_matching": "not_matching"}


@frozen
class ExceptionCheck:
    """One exception of a bar and whether it held in the scenario."""

    code: str  # "consent", "*" (any honoured legal exception) or a legal-exception id
    held: bool

    def to_json(self) -> dict:
        """``{"exception", "held"}``."""
        return {"exception": self.code, "held": self.held}


@frozen
class RuleCheck:
    """One rule checked against one item of the scenario."""

    rule: CompiledRule
    status: str
    basis: str | None = None
    outside: tuple[Miss, ...] = ()
    exceptions: tuple[ExceptionCheck, ...] = ()
    best: str | None = None  # outranked: the basis that ranked first

    @property
    def group(self) -> str:
        """The group the check is shown in (see the module docstring)."""
        return _STATUS_GROUP[self.status]


@frozen
class ItemExplanation:
    """The derivation for one data item: the engine's item decision and every rule checked."""

    decision: ItemDecision
    checks: tuple[RuleCheck, ...]
    show_all: bool = False

    @property
    def item(self) -> str:
        """The data item."""
        return self.decision.item

    def group(self, name: str) -> tuple[RuleCheck, ...]:
        """The checks shown in one group; ``not_matching`` is sorted by how many parts miss
        and, unless ``show_all``, holds only the closest rules (see :meth:`_cut`)."""
        found = tuple(c for c in self.checks if c.group == name)
        if name == "not_matching":
            found = tuple(sorted(found, key=lambda c: len(c.outside)))
            if not self.show_all:
                found = tuple(c for c in found if len(c.outside) <= self._cut)
        return found

    @property
    def _cut(self) -> int:
        """Not-matching rules listed by default miss on one part, or on as few parts as the
        closest rule when none misses on only one."""
        sizes = [len(c.outside) for c in self.checks if c.group == "not_matching"]
        return max(1, min(sizes, default=1))

    @property
    def hidden(self) -> int:
        """How many not-matching rules the default listing leaves out."""
        if self.show_all:
            return 0
        return sum(1 for c in self.checks if c.group == "not_matching" and len(c.outside) > self._cut)


@frozen
class Change:
    """One change to the scenario, of a why-not family."""

    kind: str  # consent | purpose | recipient | drop | exception
    before: object
    after: object
    relation: str | None = None  # purposes: sibling | ancestor | descendant

    @property
    def field(self) -> str:
        """The scenario field the change sets."""
        return {"drop": "data"}.get(self.kind, self.kind)

    def apply(self, sc: Scenario) -> Scenario:
        """The scenario with this change made."""
        items, purpose, recipient, consent, exception = sc.items, sc.purpose, sc.recipient, sc.consent, sc.exception
        if self.kind == "consent":
            consent = True
        elif self.kind == "drop":
            items = tuple(i for i in items if i in self.after)
        elif self.kind == "purpose":
            purpose = self.after
        elif self.kind == "recipient":
            recipient = self.after
        else:
            exception = self.after
        return Scenario(sc.action, items, purpose, sc.subject, recipient, consent, exception, sc.coop)

    @property
    def dropped(self) -> tuple[str, ...]:
        """For ``drop``: the items removed."""
        return tuple(i for i in self.before if i not in self.after) if self.kind == "drop" else ()

    def to_json(self) -> dict:
        """``{"change", "field", "from", "to", "relation"}`` (+ ``dropped`` for drop)."""
        out = {"change": self.kind, "field": self.field,
               "from": list(self.before) if self.kind == "drop" else self.before,
               "to": list(self.after) if self.kind == "drop" else self.after,
               "relation": self.relation}
        if self.kind == "drop":
            out["dropped"] = list(self.dropped)
        return out


@frozen
class WhyNot:
    """A set of changes that turns the deny into a permit, with the decision that proves it."""

    changes: tuple[Change, ...]
    decision: Decision

    @property
    def needs_legal_ground(self) -> bool:
        """Whether it relies on claiming a legal exception (valid only if its ground applies)."""
        return any(c.kind == "exception" for c in self.changes)


@frozen
class Explanation:
    """A decision, its derivation item by item, and (on a deny) the verified why-nots."""

    decision: Decision
    items: tuple[ItemExplanation, ...]
    why_not: tuple[WhyNot, ...] = ()
    why_not_more: int = 0
    honoured: tuple[str, ...] = ()


# ---- derivation -----------------------------------------------------------------------------

def _matched(rule, basis, idec, deciding) -> RuleCheck:
    if rule.id in deciding:
        return RuleCheck(rule, "decisive", basis)
    if idec.permitted:
        return RuleCheck(rule, "outranked", basis, best=deciding[next(iter(deciding))])
    return RuleCheck(rule, "overridden", basis)


def _check_grant(rule, ruleset, sc, item, idec, deciding) -> RuleCheck:
    outside = grant_parts_outside(rule, ruleset, sc, item)
    if outside:
        return RuleCheck(rule, "not_matching", outside=outside)
    return _matched(rule, grant_basis(rule, ruleset, sc, item), idec, deciding)


def _check_bar(rule, ruleset, sc, item) -> RuleCheck | None:
    """A bar that applies, or None when it does not."""
    if bar_parts_outside(rule, sc, item):
        return None
    found = match_bar(rule, ruleset, sc)
    if not found.applies:
        return None
    exceptions = tuple(ExceptionCheck(code, held) for code, held in found.exceptions)
    if any(e.held for e in exceptions):
        status = "excepted"  # a requirement set aside by a legal exception is shown as excepted too
    elif found.standing == Standing.LIFTED:
        status = "lifted"
    else:
        status = "blocking"
    return RuleCheck(rule, status, outside=found.outside, exceptions=exceptions)


def _check_rule(rule, ruleset, sc, item, idec, deciding) -> RuleCheck:
    if rule.kind == "honour":
        if sc.exception not in rule.conditions:
            return RuleCheck(rule, "not_matching",
                             outside=(Miss("condition", sc.exception, rule.conditions, "exception"),))
        return _matched(rule, "legal_exception", idec, deciding)
    if rule.kind == "grant":
        return _check_grant(rule, ruleset, sc, item, idec, deciding)
    if rule.is_bar:
        applied = _check_bar(rule, ruleset, sc, item)
        if applied is not None and applied.status == "blocking" and rule.acts is not None and idec.permitted:
            # a bar on one act of sharing: the item was permitted on another act (§5.1)
            return RuleCheck(rule, "passed", idec.basis, exceptions=applied.exceptions)
        if applied is not None:
            return applied
        if rule.kind == "closed":  # inside its list (or not about this item): read it as a grant
            return _check_grant(rule, ruleset, sc, item, idec, deciding)
        return RuleCheck(rule, "not_matching", outside=bar_parts_outside(rule, sc, item))
    # a notice requirement
    outside = bar_parts_outside(rule, sc, item)
    if outside:
        return RuleCheck(rule, "not_matching", outside=outside)
    return RuleCheck(rule, "applied")


def derive_item(ruleset: Ruleset, sc: Scenario, idec: ItemDecision, show_all: bool = False) -> ItemExplanation:
    """Check every rule whose action applies against one item (scans the rules: explanations
    are not the hot path)."""
    deciding = {r.rule: r.basis for r in idec.reasons if r.code == "permitted"}
    checks = tuple(_check_rule(rule, ruleset, sc, idec.item, idec, deciding)
                   for rule in ruleset.rules if sc.action in rule.actions)
    return ItemExplanation(idec, checks, show_all)


# ---- why-not --------------------------------------------------------------------------------

def _has_basis(ruleset: Ruleset, sc: Scenario, item: str) -> bool:
    """Whether a grant or an honoured legal exception gives ``item`` a basis, bars aside: a
    cheap necessary condition for a permit, tried before the engine decides."""
    if sc.exception is not None and sc.exception in ruleset.honoured:
        return True
    return any(grant_basis(rule, ruleset, sc, item) is not None
               for rule in ruleset.grant_index.get((sc.action, sc.subject, item), ()))


def _permits(ruleset: Ruleset, sc: Scenario) -> bool:
    return (all(_has_basis(ruleset, sc, item) for item in sc.items)
            and all(decide_item(ruleset, sc, item).permitted for item in sc.items))


def _denied(ruleset: Ruleset, sc: Scenario) -> tuple[str, ...]:
    return tuple(item for item in sc.items if not decide_item(ruleset, sc, item).permitted)


def close_purposes(vocab, purpose: str) -> list[tuple[str, str, int]]:
    """Purposes near ``purpose`` in the hierarchy as ``(id, relation, distance)``: ancestors,
    descendants (any depth) and siblings (same parent), nearest first, then vocabulary order.

    >>> from coopcheck.core.api import load_policy
    >>> [p for p, rel, _ in close_purposes(load_policy("aizu").vocabulary, "kyosai_guidance")]
    ['kyosai', 'kyosai_contract', 'kyosai_payment']
    """
    terms = vocab.terms
    order = {tid: n for n, tid in enumerate(terms)}

    def depth(tid):
        return len(vocab.ancestors[tid])

    found = {}
    for a in vocab.ancestors[purpose] - {purpose}:
        found[a] = ("ancestor", depth(purpose) - depth(a))
    for d in vocab.descendants[purpose] - {purpose}:
        found[d] = ("descendant", depth(d) - depth(purpose))
    parent = terms[purpose].parent
    if parent is not None:
        for tid, info in terms.items():
            if info.parent == parent and tid != purpose:
                found[tid] = ("sibling", 2)
    return sorted(((t, rel, dist) for t, (rel, dist) in found.items()), key=lambda x: (x[2], order[x[0]]))


def _grants_for(ruleset: Ruleset, sc: Scenario, items) -> list[CompiledRule]:
    out: dict[str, CompiledRule] = {}
    for item in items:
        for rule in ruleset.grant_index.get((sc.action, sc.subject, item), ()):
            out.setdefault(rule.id, rule)
    return list(out.values())


def _purpose_options(ruleset: Ruleset, sc: Scenario, denied, open_: bool) -> list[Change]:
    """Close purposes some grant for a denied item covers (every close purpose when ``open_``:
    an honoured legal exception needs no grant)."""
    grants = _grants_for(ruleset, sc, denied)
    out = []
    for purpose, relation, _ in close_purposes(ruleset.vocabulary, sc.purpose):
        covered = open_ or any(
            (purpose in ruleset.declared.get((sc.subject, item), ()) if g.declared_purposes
             else g.purposes is None or purpose in g.purposes)
            for g in grants for item in denied)
        if covered:
            out.append(Change("purpose", sc.purpose, purpose, relation))
    return out


def _recipient_options(ruleset: Ruleset, sc: Scenario, denied, open_: bool) -> list[Change]:
    """Recipients a grant for a denied item names (as written, then their descendants), or
    every party when a grant allows anyone or ``open_``."""
    if sc.action != "share":
        return []
    vocab = ruleset.vocabulary
    order: dict[str, None] = {}
    anyone = open_
    grants = _grants_for(ruleset, sc, denied)
    for g in grants:
        if g.recipients is None:
            anyone = True
        order.update(dict.fromkeys(g.written["recipients"]))
    for g in grants:
        if g.recipients is not None:
            order.update(dict.fromkeys(sorted(g.recipients, key=list(vocab.terms).index)))
    if anyone:
        order.update(dict.fromkeys(vocab.of_kind("party")))
    return [Change("recipient", sc.recipient, r) for r in order if r != sc.recipient]


def _options(ruleset: Ruleset, sc: Scenario, denied, open_: bool) -> dict[str, list[Change]]:
    exceptions = [e for e in dict.fromkeys([*ruleset.honoured, *ruleset.vocabulary.of_kind("exception")])
                  if e != sc.exception]
    return {
        "consent": [] if sc.consent else [Change("consent", False, True)],
        "purpose": _purpose_options(ruleset, sc, denied, open_),
        "recipient": _recipient_options(ruleset, sc, denied, open_),
        "exception": [Change("exception", sc.exception, e) for e in exceptions],
    }


def _drop(sc: Scenario, items) -> Change | None:
    keep = tuple(i for i in sc.items if i not in items)
    return Change("drop", sc.items, keep) if keep and len(keep) < len(sc.items) else None


def _search(ruleset: Ruleset, sc: Scenario, denied) -> list[tuple[Change, ...]]:
    """Every working single change, then every minimal working pair, in ranking order."""
    honoured_claim = sc.exception is not None and sc.exception in ruleset.honoured
    strict = _options(ruleset, sc, denied, honoured_claim)
    opened = _options(ruleset, sc, denied, True)
    singles: list[tuple[Change, ...]] = []
    still_denied: dict[Change, tuple[str, ...]] = {}
    for family in ("consent", "purpose", "recipient", "drop", "exception"):
        if family == "drop":
            drop = _drop(sc, denied)
            if drop is not None and _permits(ruleset, drop.apply(sc)):
                singles.append((drop,))
            continue
        for change in strict[family]:
            still = _denied(ruleset, change.apply(sc))
            if still:
                still_denied[change] = still
            else:
                singles.append((change,))
    works = {s[0] for s in singles}

    pairs: list[tuple[Change, ...]] = []
    # X + dropping what X leaves denied (minimal when dropping that alone does not work)
    for change, still in still_denied.items():
        d = _drop(sc, still)
        if d is None or set(still) >= set(denied):
            continue  # nothing would be kept, or dropping alone already works
        if _permits(ruleset, d.apply(change.apply(sc))):
            pairs.append((change, d))
    # two changes of different families, neither of which works alone
    for fa, fb in combinations(("consent", "purpose", "recipient", "exception"), 2):
        options = opened if honoured_claim or "exception" in (fa, fb) else strict
        for a in options[fa]:
            if a in works:
                continue
            for b in options[fb]:
                if b not in works and _permits(ruleset, b.apply(a.apply(sc))):
                    pairs.append((a, b))
    rank = {f: n for n, f in enumerate(FAMILIES)}
    pairs.sort(key=lambda p: tuple(sorted(rank[c.kind] for c in p)))
    return singles + pairs


def _prune_recipients(found: list[WhyNot], vocab) -> list[WhyNot]:
    """Leave out a recipient when a broader one works, with the same other changes and rules."""
    def key(w: WhyNot, recipient=None):
        others = tuple(c for c in w.changes if c.kind != "recipient")
        return others, w.decision.rules, recipient

    by_key = {}
    for w in found:
        rec = next((c.after for c in w.changes if c.kind == "recipient"), None)
        if rec is not None:
            by_key[key(w, rec)] = w
    out = []
    for w in found:
        rec = next((c.after for c in w.changes if c.kind == "recipient"), None)
        if rec is not None and any(key(w, a) in by_key for a in vocab.ancestors[rec] - {rec}):
            continue
        out.append(w)
    return out


def _diversify(found: list[WhyNot]) -> list[WhyNot]:
    """Reorder one family's why-nots so each distinct set of deciding rules shows up early
    (e.g. a joint user, then a contractor, before a second joint user)."""
    rounds: dict[tuple, int] = {}
    keyed = []
    for n, w in enumerate(found):
        k = w.decision.rules
        keyed.append((rounds.get(k, 0), n, w))
        rounds[k] = rounds.get(k, 0) + 1
    return [w for _, _, w in sorted(keyed, key=lambda x: x[:2])]


def _rank(found: list[WhyNot]) -> list[WhyNot]:
    """Single changes first, taken round-robin over the families (so every family that works
    appears before a second option of any family); then pairs, in family order."""
    singles = [w for w in found if len(w.changes) == 1]
    by_family = {f: _diversify([w for w in singles if w.changes[0].kind == f]) for f in FAMILIES}
    ranked = []
    for n in range(max((len(v) for v in by_family.values()), default=0)):
        ranked.extend(by_family[f][n] for f in FAMILIES if n < len(by_family[f]))
    return ranked + [w for w in found if len(w.changes) > 1]


def why_not(ruleset: Ruleset, decision: Decision) -> list[WhyNot]:
    """Every verified why-not of a denied decision, ranked (empty for a permit)."""
    if decision.permitted:
        return []
    sc = decision.scenario
    denied = tuple(i.item for i in decision.items if not i.permitted)
    found = []
    for changes in _search(ruleset, sc, denied):
        changed = sc
        for c in changes:
            changed = c.apply(changed)
        result = decide(ruleset, changed)
        if result.permitted:  # verified with the whole engine, not only item by item
            found.append(WhyNot(changes, result))
    return _rank(_prune_recipients(found, ruleset.vocabulary))


def explain(ruleset: Ruleset, scenario: Scenario, *, show_all: bool = False, limit: int = LIMIT) -> Explanation:
    """Decide ``scenario`` and explain it: the derivation and, on a deny, the why-nots.

    >>> from coopcheck.core.api import load_policy, make_scenario
    >>> aizu = load_policy("aizu")
    >>> e = explain(aizu, make_scenario(aizu, action="share", data=["purchase_history"],
    ...                                 recipient="coop_kyosai", purpose="delivery"))
    >>> e.decision.decision, [c.to_json()["to"] for w in e.why_not for c in w.changes][:2]
    ('deny', [True, 'jccu'])
    """
    decision = decide(ruleset, scenario)
    items = tuple(derive_item(ruleset, scenario, idec, show_all) for idec in decision.items)
    found = why_not(ruleset, decision)
    shown = found if show_all else found[:limit]
    return Explanation(decision, items, tuple(shown), len(found) - len(shown), tuple(ruleset.honoured))
