"""The named properties of the decision procedure, each a function of an :class:`Engine`.

Every property takes ``(engine, data)``: it draws what it needs from Hypothesis' ``data``
object (a generated policy, scenarios, extra rules), compiles and decides with ``engine``, and
fails with an ``AssertionError`` that shows the rule file and scenario when the property does
not hold. tests/test_properties.py runs them against the real engine; tests/test_broken_engines.py
runs them against engines that get one part of the semantics wrong.

Whether a rule *matches* a scenario is decided here from the rule's syntax tree and the
declared hierarchy (:class:`~support.strategies.GenPolicy`), never with the engine's own code,
following docs/language.md "How a scenario is decided":
grants cover their terms and the terms' descendants; bars (prohibitions, closed lists, consent
requirements) match terms that overlap theirs (the same term, a descendant or an ancestor).
"""

from __future__ import annotations

import json
from typing import Callable

from attrs import frozen
from hypothesis import strategies as st

from coopcheck.dsl import ast
from coopcheck.dsl.errors import CoopcheckError

from .engines import Engine
from .strategies import (GERUND_ACTIONS, SHARE_VERBS, VERB_ACTIONS, GenPolicy, grants, labels_of, policies, prohibitions,
                         scenarios_for, term_id)

#: The prohibition verbs that stop every act of an action (a bar on one act of sharing stops
#: only that act: :func:`matching_act_prohibition_stops_its_act`).
_ACTION_VERBS = {"use": ("use",), "collect": ("collect",), "publish": ("publish", "disclose"),
                 "share": ("disclose",)}


# ---- scenarios and answers -------------------------------------------------------------------------
@frozen
class Case:
    """A scenario dict read back as ids (the generated scenarios already use ids)."""

    action: str
    items: tuple[str, ...]
    purpose: str
    subject: str = "member"
    recipient: str | None = None
    consent: bool = False
    exception: str | None = None

    @classmethod
    def of(cls, scenario: dict) -> "Case":
        """The case a JSON-contract scenario dict describes."""
        return cls(scenario["action"], tuple(dict.fromkeys(scenario["data"])), scenario["purpose"],
                   scenario.get("subject") or "member",
                   scenario.get("recipient") if scenario["action"] == "share" else None,
                   bool(scenario.get("consent")), scenario.get("exception"))


def outcome(decision) -> dict:
    """What a decision says, rule ids included, in a form that compares and prints well."""
    return {"decision": decision.decision, "basis": decision.basis, "rules": sorted(decision.rules),
            "obligations": sorted(decision.obligations),
            "would_permit_with_consent": decision.would_permit_with_consent,
            "items": [[i.item, i.decision, i.basis, sorted(i.rules)] for i in decision.items]}


def cited(policy: GenPolicy, decision) -> dict:
    """:func:`outcome` with each rule id replaced by its rule's citation (unique per rule)."""
    def cite(ids):
        return sorted(policy.rule_by_id(r).citation.text for r in ids)
    out = outcome(decision)
    out["rules"] = cite(decision.rules)
    out["items"] = [[i.item, i.decision, i.basis, cite(i.rules)] for i in decision.items]
    return out


def show(policy: GenPolicy, *scenarios: dict) -> str:
    """The rule file (numbered) and scenarios, for assertion messages."""
    lines = "\n".join(f"{n:3} | {line}" for n, line in enumerate(policy.text.splitlines(), 1))
    return "rule file:\n" + lines + "".join(
        f"\nscenario: {json.dumps(sc, ensure_ascii=False)}" for sc in scenarios)


def _permitted(engine: Engine, compiled, scenario: dict) -> bool:
    return engine.decide(compiled, scenario).decision == "permit"


# ---- matching, from the syntax tree ----------------------------------------------------------------
def _ids(policy: GenPolicy, selector: ast.Selector) -> set[str]:
    return {policy.resolve(t) for t in selector.terms}


def covers(policy: GenPolicy, selector: ast.Selector | None, value: str | None,
           default: tuple[str, ...] | None = None) -> bool:
    """Whether ``value`` is one of the selector's terms or below one (a grant's reach).
    An absent selector stands for ``default`` (None: anything)."""
    if selector is not None and selector.any:
        return True
    ids = _ids(policy, selector) if selector is not None else (set(default) if default is not None else None)
    if ids is None:
        return True
    return value is not None and bool(policy.ancestors(value) & ids)


def overlaps(policy: GenPolicy, selector: ast.Selector | None, value: str | None,
             default: tuple[str, ...] | None = None) -> bool:
    """Whether ``value`` is one of the selector's terms, below one or above one (a bar's reach).
    An absent selector stands for ``default`` (None: anything)."""
    if selector is not None and selector.any:
        return True
    ids = _ids(policy, selector) if selector is not None else (set(default) if default is not None else None)
    if ids is None:
        return True
    return value is not None and bool((policy.ancestors(value) | policy.descendants(value)) & ids)


def honoured(policy: GenPolicy) -> set[str]:
    """The legal exceptions the policy's ``honour`` rules name."""
    return {policy.resolve(t) for r in policy.rules if isinstance(r, ast.Honour) for t in r.exceptions}


def holds(policy: GenPolicy, condition: ast.Condition, case: Case) -> bool:
    """Whether a condition or exception holds: consent given, the named exception claimed, or
    (``a legal exception``) a claimed exception the policy honours."""
    if condition.kind == "consent":
        return case.consent
    if condition.kind == "any_exception":
        return case.exception is not None and case.exception in honoured(policy)
    return case.exception == policy.resolve(condition.term)


def _excepted(policy: GenPolicy, rule, case: Case) -> bool:
    if isinstance(rule, ast.ClosedGrant) and holds(policy, ast.Condition("any_exception"), case):
        return True  # a closed list yields to the honoured legal exceptions (docs/semantics.md §3.2)
    return any(holds(policy, c, case) for c in rule.exceptions)


def _acts(rule, case: Case) -> bool:
    if isinstance(rule, ast.Requirement):
        return case.action in GERUND_ACTIONS[rule.verb]
    return case.action in VERB_ACTIONS[rule.verb]


def _grant_subjects(rule) -> tuple[str, ...] | None:
    return ("member",) if rule.subjects is None else None  # a statement without `of` is about members


def bar_blocks(policy: GenPolicy, rule, case: Case, item: str) -> bool:
    """Whether ``rule`` is a bar that denies ``item`` in ``case``: a prohibition, a closed list
    the case falls outside of, or a consent requirement without consent, whose terms overlap the
    case's and none of whose exceptions holds."""
    if isinstance(rule, ast.Prohibition):
        return (_acts(rule, case) and overlaps(policy, rule.items, item)
                and overlaps(policy, rule.subjects, case.subject, _grant_subjects(rule))
                and overlaps(policy, rule.recipients, case.recipient)
                and overlaps(policy, rule.purposes, case.purpose) and not _excepted(policy, rule, case))
    if isinstance(rule, ast.ClosedGrant):
        outside = ((rule.verb in SHARE_VERBS and not covers(policy, rule.recipients, case.recipient))
                   or not covers(policy, rule.purposes, case.purpose))
        return (_acts(rule, case) and outside and overlaps(policy, rule.items, item)
                and overlaps(policy, rule.subjects, case.subject, _grant_subjects(rule))
                and not _excepted(policy, rule, case))
    if isinstance(rule, ast.Requirement):
        return ("consent" in rule.needs and not case.consent and requirement_applies(policy, rule, case, item)
                and not _excepted(policy, rule, case))
    return False


def requirement_applies(policy: GenPolicy, rule: ast.Requirement, case: Case, item: str) -> bool:
    """Whether a requirement's action and terms overlap the case's."""
    return (_acts(rule, case) and overlaps(policy, rule.items, item)
            and overlaps(policy, rule.subjects, case.subject, _grant_subjects(rule))
            and overlaps(policy, rule.recipients, case.recipient) and overlaps(policy, rule.purposes, case.purpose))


def declared_purpose(policy: GenPolicy, case: Case, item: str) -> bool:
    """Whether a plain use grant or closed list of uses (no condition, no wildcard of declared
    purposes) covers the case's subject, item and purpose: the purpose is declared for them."""
    return any(isinstance(r, (ast.Grant, ast.ClosedGrant)) and r.verb == "use" and not getattr(r, "conditions", ())
               and not r.purposes.declared and covers(policy, r.items, item)
               and covers(policy, r.subjects, case.subject, _grant_subjects(r))
               and covers(policy, r.purposes, case.purpose)
               for r in policy.rules)


def grant_gives(policy: GenPolicy, rule, case: Case, item: str) -> bool:
    """Whether a grant (or the list of a closed list) covers ``item`` in ``case``: its action,
    its terms or their descendants, and (for a grant with conditions) one condition holds."""
    if not (_acts(rule, case) and covers(policy, rule.items, item)
            and covers(policy, rule.subjects, case.subject, _grant_subjects(rule))):
        return False
    if rule.verb in SHARE_VERBS and not covers(policy, rule.recipients, case.recipient):
        return False
    if rule.purposes.declared:
        if not declared_purpose(policy, case, item):
            return False
    elif not covers(policy, rule.purposes, case.purpose):
        return False
    conditions = getattr(rule, "conditions", ())
    return not conditions or any(holds(policy, c, case) for c in conditions)


def mismatch(policy: GenPolicy, rule, case: Case, item: str, decision: str) -> str | None:
    """Why ``rule`` cannot be a deciding rule of ``item``'s ``decision``, or None if it can."""
    kind = type(rule).__name__.lower()
    if decision == "deny":
        if isinstance(rule, (ast.Grant, ast.Honour)):
            return f"a {kind} cannot deny"
        return None if bar_blocks(policy, rule, case, item) else f"the {kind} does not bar this item"
    if isinstance(rule, ast.Prohibition):
        return "a prohibition cannot permit"
    if isinstance(rule, ast.Honour):
        ok = case.exception is not None and case.exception in {policy.resolve(t) for t in rule.exceptions}
        return None if ok else "the honour rule does not name the claimed exception"
    if isinstance(rule, ast.Requirement):
        if not requirement_applies(policy, rule, case, item):
            return "the requirement does not apply to this item"
        if "consent" in rule.needs and not case.consent and not _excepted(policy, rule, case):
            return "the consent requirement is neither met nor excepted, yet the item is permitted"
        return None
    return None if grant_gives(policy, rule, case, item) else f"the {kind} does not cover this item"


# ---- drawing ---------------------------------------------------------------------------------------
def _scenario_list(data, policy: GenPolicy, max_size: int = 4) -> list[dict]:
    return data.draw(st.lists(scenarios_for(policy), min_size=1, max_size=max_size), label="scenarios")


def _overlapping(policy: GenPolicy, value: str) -> tuple[str, ...]:
    return tuple(sorted(policy.ancestors(value) | policy.descendants(value)))


@st.composite
def matching_prohibitions(draw, policy: GenPolicy, scenario: dict, item: str,
                          verbs: tuple[str, ...] | None = None) -> ast.Prohibition:
    """A prohibition that matches ``item`` in ``scenario`` and none of whose exceptions holds,
    with a verb of ``verbs`` (default: one that stops every act of the scenario's action)."""
    case = Case.of(scenario)

    def one(value):
        return ast.Selector((ast.Term(draw(st.sampled_from(_overlapping(policy, value)))),))

    anyone = ast.Selector(any=True)
    failing = []
    if not case.consent:
        failing.append(ast.Condition("consent"))
    if case.exception is None or case.exception not in honoured(policy):
        failing.append(ast.Condition("any_exception"))
    failing += [ast.Condition("exception", ast.Term(e)) for e in policy.terms["exception"] if e != case.exception]
    verb = draw(st.sampled_from(verbs or _ACTION_VERBS[case.action]))
    # a statement without `of` is about members (docs/semantics.md §4.1)
    unsaid = (None,) if case.subject in policy.descendants("member") else ()
    return ast.Prohibition(
        verb=verb,
        items=one(item),
        subjects=draw(st.sampled_from(unsaid + (anyone, one(case.subject)))),
        recipients=(draw(st.sampled_from((anyone, one(case.recipient)))) if case.recipient else anyone)
        if verb in SHARE_VERBS + ("disclose",) else None,
        purposes=draw(st.sampled_from((None, anyone, one(case.purpose)))),
        exceptions=tuple(draw(st.lists(st.sampled_from(failing), max_size=2, unique=True))) if failing else (),
    )


# ---- the properties --------------------------------------------------------------------------------
def empty_rule_set_denies_everything(engine: Engine, data) -> None:
    """A policy without rules denies every scenario, with basis ``none`` and no deciding rule."""
    policy = data.draw(policies(max_rules=0), label="policy")
    compiled = engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        d = engine.decide(compiled, scenario)
        assert (d.decision, d.basis, tuple(d.rules)) == ("deny", "none", ()), (
            f"an empty rule set gave {outcome(d)}\n{show(policy, scenario)}")


def _bad_scenarios(policy: GenPolicy, scenario: dict) -> list[tuple[str, dict]]:
    """Ways to spoil a valid scenario: each must be an input error, never decided (docs/semantics.md §2.2)."""
    t = policy.terms
    missing_item = term_id("item", len(t["item"]) + 5)
    out = [
        ("unknown field", {**scenario, "purpose_of_use": scenario["purpose"]}),
        ("unknown data item", {**scenario, "data": scenario["data"] + [missing_item]}),
        ("misspelt data item", {**scenario, "data": [scenario["data"][0].replace("item_", "itme_")]}),
        ("a party as data item", {**scenario, "data": [t["party"][0]]}),
        ("an item as purpose", {**scenario, "purpose": t["item"][0]}),
        ("an item as subject", {**scenario, "subject": t["item"][0]}),
        ("a purpose as exception", {**scenario, "exception": t["purpose"][0]}),
        ("unknown action", {**scenario, "action": "sell"}),
        ("data not a list", {**scenario, "data": 3}),
        ("data item not a string", {**scenario, "data": [1]}),
        ("no data items", {**scenario, "data": []}),
        ("blank data item", {**scenario, "data": [" "]}),
        ("purpose not a string", {**scenario, "purpose": 7}),
        ("empty purpose", {**scenario, "purpose": ""}),
        ("consent not a boolean", {**scenario, "consent": "yes"}),
        ("consent a number", {**scenario, "consent": 1}),
        ("exception not a string", {**scenario, "exception": 5}),
        ("subject a list", {**scenario, "subject": [scenario.get("subject", "member")]}),
        ("not an object", [scenario]),
        ("missing action", {k: v for k, v in scenario.items() if k != "action"}),
        ("missing data", {k: v for k, v in scenario.items() if k != "data"}),
        ("missing purpose", {k: v for k, v in scenario.items() if k != "purpose"}),
        ("share without recipient", {**{k: v for k, v in scenario.items() if k != "recipient"}, "action": "share"}),
        ("use with a recipient", {**scenario, "action": "use", "recipient": t["party"][0]}),
        ("collect with a recipient", {**scenario, "action": "collect", "recipient": t["party"][0]}),
        ("publish to a party", {**scenario, "action": "publish", "recipient": t["party"][0]}),
        ("share with a purpose as recipient", {**scenario, "action": "share", "recipient": t["purpose"][0]}),
        ("scenario for another co-op", {**scenario, "coop": "another_coop"}),
    ]
    return out


def _bad_rule_files(policy: GenPolicy) -> list[tuple[str, str]]:
    """Ways to spoil a valid rule file: each must be a compile error."""
    t = policy.terms
    item, purpose, party = t["item"][0], t["purpose"][0], t["party"][0]
    return [
        ("a rule naming an undeclared term", policy.text + f"{term_id('item', 60)} may be used for {purpose} [bad]\n"),
        ("a term of the wrong kind", policy.text + f"{party} may be used for {purpose} [bad]\n"),
        ("a provision without a condition", policy.text + f"{item} may be provided to {party} for {purpose} [bad]\n"),
        ("a rule without a citation", policy.text + f"{item} may be used for {purpose}\n"),
        ("a term declared twice", policy.text + f"data item {item}\n"),
        ("an unknown parent", policy.text + f"data item {term_id('item', 61)} is {term_id('item', 62)}\n"),
        ("a hierarchy cycle", policy.text + f"purpose {term_id('purpose', 60)} is {term_id('purpose', 61)}\n"
                                            f"purpose {term_id('purpose', 61)} is {term_id('purpose', 60)}\n"),
        ("a parent of another kind", policy.text + f"party {term_id('party', 60)} is {item}\n"),
        ("a syntax error", policy.text + f"{item} may bee used for {purpose} [bad]\n"),
    ]


def errors_never_permit(engine: Engine, data) -> None:
    """Every error path raises CoopcheckError, never a permit: a scenario with an unknown
    field, an unknown or misspelt term, a term of the wrong kind, a value of the wrong type, a
    missing field, a missing or misplaced recipient is an input error and is never decided; a
    rule file with an unknown term, a provision without a condition, a rule without citation,
    a duplicate term, an unknown parent, a cycle or a syntax error does not compile."""
    policy = data.draw(policies(), label="policy")
    compiled = engine.compile(policy.text)
    scenario = data.draw(scenarios_for(policy), label="valid scenario")
    what, bad = data.draw(st.sampled_from(_bad_scenarios(policy, scenario)), label="spoiled scenario")
    try:
        d = engine.decide(compiled, bad)
    except CoopcheckError:
        pass
    else:
        raise AssertionError(f"{what}: decided ({d.decision}) instead of an input error\n{show(policy, bad)}")
    what, text = data.draw(st.sampled_from(_bad_rule_files(policy)), label="spoiled rule file")
    try:
        engine.compile(text)
    except CoopcheckError:
        pass
    else:
        raise AssertionError(f"{what}: the rule file compiled\n{text}")


def same_input_same_decision(engine: Engine, data) -> None:
    """The same rule file and scenario always give the same decision (compiled twice, decided
    twice), down to the deciding rules, obligations and reasons."""
    policy = data.draw(policies(), label="policy")
    first, second = engine.compile(policy.text), engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        answers = [engine.decide(c, dict(scenario)) for c in (first, second, first)]
        shown = [(outcome(a), [str(r) for r in a.reasons]) for a in answers]
        assert shown[0] == shown[1] == shown[2], f"{shown}\n{show(policy, scenario)}"


def rule_order_does_not_matter(engine: Engine, data) -> None:
    """Reordering the rules of a file changes no decision: the same effect, basis, obligations,
    consent hint, and the same deciding rules (compared by their citations, since a rule's id
    is its line)."""
    policy = data.draw(policies(min_rules=2), label="policy")
    shuffled = policy.with_rules(data.draw(st.permutations(policy.rules), label="reordered rules"))
    a, b = engine.compile(policy.text), engine.compile(shuffled.text)
    for scenario in _scenario_list(data, policy):
        one, other = cited(policy, engine.decide(a, scenario)), cited(shuffled, engine.decide(b, scenario))
        assert one == other, (f"in file order: {one}\nreordered:     {other}\n{show(policy, scenario)}\n"
                              f"reordered {show(shuffled)}")


def adding_grant_never_turns_permit_into_deny(engine: Engine, data) -> None:
    """Adding a grant (anywhere in the file) to a policy never turns a permitted scenario
    into a denied one."""
    policy = data.draw(policies(), label="policy")
    grant = data.draw(grants(policy.terms, labels_of(policy.declarations)), label="added grant")
    bigger = policy.with_rule(grant, data.draw(st.integers(0, len(policy.rules)), label="at"))
    before, after = engine.compile(policy.text), engine.compile(bigger.text)
    for scenario in _scenario_list(data, policy):
        if _permitted(engine, before, scenario):
            d = engine.decide(after, scenario)
            assert d.decision == "permit", f"{outcome(d)}\n{show(bigger, scenario)}\nbefore the grant:\n{show(policy)}"


def adding_prohibition_never_turns_deny_into_permit(engine: Engine, data) -> None:
    """Adding a prohibition (anywhere in the file) to a policy never turns a denied scenario
    into a permitted one."""
    policy = data.draw(policies(), label="policy")
    ban = data.draw(prohibitions(policy.terms, labels_of(policy.declarations)), label="added prohibition")
    bigger = policy.with_rule(ban, data.draw(st.integers(0, len(policy.rules)), label="at"))
    before, after = engine.compile(policy.text), engine.compile(bigger.text)
    for scenario in _scenario_list(data, bigger):
        if not _permitted(engine, before, scenario):
            d = engine.decide(after, scenario)
            assert d.decision == "deny", f"{outcome(d)}\n{show(bigger, scenario)}"


def matching_prohibition_denies(engine: Engine, data) -> None:
    """A prohibition that matches a scenario (its verb's action; item, subject, recipient and
    purpose each the same term, a descendant or an ancestor, or unrestricted) and none of whose
    exceptions holds denies the scenario whatever else the policy grants, and is among the
    deciding rules of the item it matches."""
    policy = data.draw(policies(), label="policy")
    scenario = data.draw(scenarios_for(policy), label="scenario")
    item = data.draw(st.sampled_from(scenario["data"]), label="item")
    ban = data.draw(matching_prohibitions(policy, scenario, item), label="prohibition")
    at = data.draw(st.integers(0, len(policy.rules)), label="at")
    bigger = policy.with_rule(ban, at)
    d = engine.decide(engine.compile(bigger.text), scenario)
    assert d.decision == "deny", f"the prohibition on line {bigger.rule_lines[at]} did not deny: " \
                                 f"{outcome(d)}\n{show(bigger, scenario)}"
    rule_id = f"gen:{bigger.rule_lines[at]}"
    deciding = [i.rules for i in d.items if i.item == item]
    assert deciding and rule_id in deciding[0], (
        f"{rule_id} is not among the deciding rules of `{item}`: {outcome(d)}\n{show(bigger, scenario)}")


def matching_act_prohibition_stops_its_act(engine: Engine, data) -> None:
    """A prohibition written with one legal act of sharing (``shared with``, ``entrusted to``,
    ``provided to``) that matches a share and none of whose exceptions holds stops that act:
    the item is either denied, with the prohibition among its deciding rules, or permitted by
    grants of another act only (never by a grant of the barred act, nor — for provision — by
    an honoured legal exception)."""
    policy = data.draw(policies(), label="policy")
    scenario = data.draw(scenarios_for(policy), label="scenario")
    if scenario["action"] != "share":
        scenario = {**scenario, "action": "share",
                    "recipient": data.draw(st.sampled_from(policy.terms["party"]), label="recipient")}
    item = data.draw(st.sampled_from(scenario["data"]), label="item")
    ban = data.draw(matching_prohibitions(policy, scenario, item, SHARE_VERBS), label="prohibition")
    at = data.draw(st.integers(0, len(policy.rules)), label="at")
    bigger = policy.with_rule(ban, at)
    d = engine.decide(engine.compile(bigger.text), scenario)
    rule_id = f"gen:{bigger.rule_lines[at]}"
    found = next((i for i in d.items if i.item == item), None)
    assert found is not None, f"no decision for `{item}`: {outcome(d)}\n{show(bigger, scenario)}"
    if found.decision == "deny":
        assert rule_id in found.rules, f"{rule_id} is not among the deciding rules of `{item}`: " \
                                       f"{outcome(d)}\n{show(bigger, scenario)}"
        return
    for rid in (r for r in found.rules if r.startswith("gen:")):
        rule = bigger.rule_by_id(rid)
        assert not (isinstance(rule, (ast.Grant, ast.ClosedGrant)) and rule.verb == ban.verb), (
            f"{rid} permits by the act the prohibition on line {bigger.rule_lines[at]} bars: "
            f"{outcome(d)}\n{show(bigger, scenario)}")
        assert not (isinstance(rule, ast.Honour) and ban.verb == "provide"), (
            f"{rid} permits a provision the prohibition on line {bigger.rule_lines[at]} bars: "
            f"{outcome(d)}\n{show(bigger, scenario)}")


def consent_never_turns_permit_into_deny(engine: Engine, data) -> None:
    """A scenario permitted without consent is still permitted with consent."""
    policy = data.draw(policies(), label="policy")
    compiled = engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        without = {**scenario, "consent": False}
        if _permitted(engine, compiled, without):
            d = engine.decide(compiled, {**scenario, "consent": True})
            assert d.decision == "permit", f"{outcome(d)}\n{show(policy, without)}"


def several_items_permitted_iff_each_is(engine: Engine, data) -> None:
    """A scenario with several data items is permitted exactly when each item alone is."""
    policy = data.draw(policies(), label="policy")
    compiled = engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        extra = data.draw(st.lists(st.sampled_from(policy.terms["item"]), min_size=1, max_size=2), label="more items")
        scenario = {**scenario, "data": list(dict.fromkeys(scenario["data"] + extra))}
        alone = {item: _permitted(engine, compiled, {**scenario, "data": [item]}) for item in scenario["data"]}
        d = engine.decide(compiled, scenario)
        assert (d.decision == "permit") == all(alone.values()), (
            f"together: {d.decision}; alone: {alone}\n{show(policy, scenario)}")


def _descend(data, policy: GenPolicy, scenario: dict) -> dict | None:
    """The scenario with one of its terms replaced by a strict descendant, if it has one."""
    options = []
    for n, item in enumerate(scenario["data"]):
        options += [("data", n, d) for d in sorted(policy.descendants(item) - {item})]
    for key in ("subject", "recipient", "purpose"):
        value = scenario.get(key)
        if value is not None:
            options += [(key, None, d) for d in sorted(policy.descendants(value) - {value})]
    if not options:
        return None
    key, n, below = data.draw(st.sampled_from(options), label="replaced by a descendant")
    if key != "data":
        return {**scenario, key: below}
    items = list(scenario["data"])
    items[n] = below
    return {**scenario, "data": list(dict.fromkeys(items))}


def permit_holds_for_descendants(engine: Engine, data) -> None:
    """A permitted scenario stays permitted when one of its terms (an item, the subject, the
    recipient or the purpose) is replaced by a descendant: grants cover their terms'
    descendants. The only way it may turn into a deny is a bar -- a prohibition, a closed list
    or a consent requirement -- matching the new scenario without a satisfied exception (bars
    match by overlap, so one on the descendant already matches the original)."""
    policy = data.draw(policies(min_rules=1), label="policy")
    compiled = engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        if not _permitted(engine, compiled, scenario):
            continue
        narrower = _descend(data, policy, scenario)
        if narrower is None:
            continue
        d = engine.decide(compiled, narrower)
        if d.decision == "permit":
            continue
        case = Case.of(narrower)
        bars = [r.citation.text for r in policy.rules for item in case.items if bar_blocks(policy, r, case, item)]
        assert bars, (f"permitted, but denied for a descendant with no bar in the way: {outcome(d)}\n"
                      f"{show(policy, scenario, narrower)}")


def deciding_rules_match(engine: Engine, data) -> None:
    """Every deciding rule a decision reports matches the scenario: on a denied item, a bar
    that blocks it (a prohibition, a closed list it falls outside of, an unmet consent
    requirement, none of whose exceptions holds); on a permitted item, a grant covering it
    with a condition that holds, an honour rule for the claimed exception, or a requirement
    that applies and is met -- and a permitted item names at least one grant or honour rule."""
    policy = data.draw(policies(min_rules=1), label="policy")
    compiled = engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        d = engine.decide(compiled, scenario)
        case = Case.of(scenario)
        for item in d.items:
            rules = [(rid, policy.rule_by_id(rid)) for rid in item.rules]
            for rid, rule in rules:
                problem = mismatch(policy, rule, case, item.item, item.decision)
                assert problem is None, (f"`{item.item}` {item.decision} cites {rid} "
                                         f"[{rule.citation.text}], but {problem}\n{show(policy, scenario)}")
            if item.decision == "permit":
                assert any(isinstance(r, (ast.Grant, ast.ClosedGrant, ast.Honour)) for _, r in rules), (
                    f"`{item.item}` is permitted by no grant: {outcome(d)}\n{show(policy, scenario)}")
        assert set(d.rules) <= {r for i in d.items for r in i.rules}, f"{outcome(d)}\n{show(policy, scenario)}"


def consent_hint_is_truthful(engine: Engine, data) -> None:
    """A denied scenario says ``would_permit_with_consent`` true exactly when the same
    scenario with consent is permitted (false when consent was already given); a permit says
    nothing (None)."""
    policy = data.draw(policies(), label="policy")
    compiled = engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        d = engine.decide(compiled, scenario)
        if d.decision == "permit":
            assert d.would_permit_with_consent is None, f"{outcome(d)}\n{show(policy, scenario)}"
            continue
        expected = not scenario["consent"] and _permitted(engine, compiled, {**scenario, "consent": True})
        assert d.would_permit_with_consent is expected, (
            f"hint {d.would_permit_with_consent}, but with consent the scenario is "
            f"{'permitted' if expected else 'denied'}\n{show(policy, scenario)}")


_BASIS_HOLDS: dict[str, Callable[[Case], bool]] = {
    "purpose": lambda c: c.action in ("use", "collect", "publish"),
    "joint_use": lambda c: c.action == "share",
    "entrustment": lambda c: c.action == "share",
    "legal_exception": lambda c: c.exception is not None,
    "consent": lambda c: c.consent,
}


def basis_holds(engine: Engine, data) -> None:
    """The basis of every permitted item is true of the scenario: ``consent`` only when consent
    was given, ``legal_exception`` only when an exception was claimed, ``joint_use`` and
    ``entrustment`` only for sharing, ``purpose`` only for the co-op's own use, collection or
    publication; the scenario's basis is the items' common basis, ``mixed``, or ``none`` on a deny."""
    policy = data.draw(policies(), label="policy")
    compiled = engine.compile(policy.text)
    for scenario in _scenario_list(data, policy):
        d = engine.decide(compiled, scenario)
        case = Case.of(scenario)
        for item in d.items:
            if item.decision == "permit":
                assert _BASIS_HOLDS[item.basis](case), (
                    f"`{item.item}` permitted by {item.basis}, which does not hold\n{show(policy, scenario)}")
        bases = {i.basis for i in d.items}
        expected = "none" if d.decision == "deny" else bases.pop() if len(bases) == 1 else "mixed"
        assert d.basis == expected, f"{outcome(d)}\n{show(policy, scenario)}"


#: The named properties, by name, in the order the suite runs them.
PROPERTIES: dict[str, Callable[[Engine, object], None]] = {
    f.__name__: f for f in (
        empty_rule_set_denies_everything, errors_never_permit, same_input_same_decision,
        rule_order_does_not_matter, adding_grant_never_turns_permit_into_deny,
        adding_prohibition_never_turns_deny_into_permit, matching_prohibition_denies,
        matching_act_prohibition_stops_its_act,
        consent_never_turns_permit_into_deny, several_items_permitted_iff_each_is,
        permit_holds_for_descendants, deciding_rules_match, consent_hint_is_truthful, basis_holds)
}
