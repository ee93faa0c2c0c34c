"""The engine against the reference evaluator (tests/support/reference.py).

The reference is docs/semantics.md written as plainly as possible: it scans every rule and
walks the hierarchy on the fly. The engine precomputes closures and indexes. Both must give the
same decision, basis, deciding rules, obligations and would-permit-with-consent, item by item,
on the five shipped policies and on generated rule sets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from coopcheck import decide, load_policy, load_string
from support import strategies
from support.reference import RefPolicy, load_reference, reference_decide

ROOT = Path(__file__).resolve().parent.parent
COOPS = ("aizu", "ibaraki", "aicoop_miyagi", "nara", "kuruko")
ACTIONS = ("use", "collect", "share", "publish")


# ---- comparing answers ----------------------------------------------------------------------
def _answer(d) -> dict:
    """What must agree, in a form that prints well (rule sets sorted)."""
    return {"decision": d.decision, "basis": d.basis, "rules": sorted(d.rules),
            "obligations": sorted(d.obligations), "would_permit_with_consent": d.would_permit_with_consent,
            "items": [[i.item, i.decision, i.basis, sorted(i.rules)] for i in d.items]}


def _disagreement(ruleset, ref: RefPolicy, scenario: dict, source) -> str | None:
    """None when engine and reference agree on ``scenario``; otherwise a report showing the
    scenario, both answers and the rule text (``source(rule_ids)`` renders it)."""
    engine, reference = _answer(decide(ruleset, scenario)), _answer(reference_decide(ref, scenario))
    if engine == reference:
        return None
    differ = [k for k in engine if engine[k] != reference[k]]
    rule_ids = set(engine["rules"]) | set(reference["rules"]) | {
        r for e in engine["items"] + reference["items"] for r in e[3]}
    return (f"engine and reference disagree on {', '.join(differ)}\n"
            f"scenario:  {json.dumps(scenario, ensure_ascii=False)}\n"
            f"engine:    {json.dumps(engine, ensure_ascii=False)}\n"
            f"reference: {json.dumps(reference, ensure_ascii=False)}\n"
            f"{source(rule_ids)}")


def _rule_lines(text: str, line: int) -> str:
    """The statement starting at ``line`` of ``text`` with its indented continuation lines."""
    lines = text.splitlines()
    end = line
    while end < len(lines) and lines[end][:1] in (" ", "\t", "\u3000"):
        end += 1
    return "\n".join(lines[line - 1:end])


def _whole_file(text: str):
    """A ``source`` for small rule files: the whole text, lines numbered like the rule ids."""
    numbered = "\n".join(f"{n:3} | {line}" for n, line in enumerate(text.splitlines(), 1))
    return lambda rule_ids: "rule file:\n" + numbered


# ---- the shipped policies ---------------------------------------------------------------------
@frozen
class Shipped:
    """One shipped policy as the engine and the reference see it, and its rule texts."""

    coop: str
    ruleset: object
    ref: RefPolicy
    texts: dict  # module id -> text

    def source(self, rule_ids) -> str:
        """The text of the rules named, for a failure message."""
        shown = [f"{rid}: {_rule_lines(self.texts[rid.split(':')[0]], int(rid.split(':')[1]))}"
                 for rid in sorted(rule_ids)]
        return f"policy: policies/{self.coop}.policy with rules/vocabulary.rules and rules/appi.rules\n" + (
            "rules named by either answer:\n" + "\n".join(shown) if shown else "no rule named by either answer")


@pytest.fixture(scope="module", params=COOPS)
def shipped(request) -> Shipped:
    """Each shipped policy, loaded once (outside the timed Hypothesis examples)."""
    coop = request.param
    files = {"vocabulary": ROOT / "rules" / "vocabulary.rules", "appi": ROOT / "rules" / "appi.rules",
             coop: ROOT / "policies" / f"{coop}.policy"}
    texts = {module: path.read_text(encoding="utf-8") for module, path in files.items()}
    ref = load_reference([(texts[m], files[m].name) for m in files])
    return Shipped(coop, load_policy(coop), ref, texts)


def _written(ref: RefPolicy, dimension: str) -> tuple[str, ...]:
    """The terms the policy's rules name in one dimension: where the interesting answers are."""
    return tuple(sorted({t for r in ref.rules for t in (getattr(r, dimension) or ())}))


@st.composite
def _shipped_scenarios(draw, ref: RefPolicy) -> dict:
    """Scenarios over the whole vocabulary, drawn half the time from the terms the rules name."""
    def term(kind, dimension):
        every, named = ref.terms(kind), _written(ref, dimension)
        return st.sampled_from(every) | st.sampled_from(named) if named else st.sampled_from(every)
    action = draw(st.sampled_from(ACTIONS))
    scenario = {"action": action, "data": draw(st.lists(term("item", "items"), min_size=1, max_size=3, unique=True)),
                "subject": draw(term("subject", "subjects")), "purpose": draw(term("purpose", "purposes")),
                "consent": draw(st.booleans()),
                "exception": draw(st.none() | st.sampled_from(ref.terms("exception")))}
    if action == "share":
        scenario["recipient"] = draw(term("party", "recipients"))
    return scenario


@given(data=st.data())
def test_engine_agrees_with_reference_on_shipped_policy(shipped, data):
    """On each shipped policy, for any scenario over its whole vocabulary, the engine and the
    reference agree on decision, basis, deciding rules, obligations and
    would_permit_with_consent, overall and per item."""
    scenario = data.draw(_shipped_scenarios(shipped.ref), label="scenario")
    problem = _disagreement(shipped.ruleset, shipped.ref, scenario, shipped.source)
    assert problem is None, problem


def test_engine_agrees_with_reference_on_every_item_purpose_and_action(shipped):
    """On each shipped policy, every data item x purpose x action (for members, without consent
    or legal exception; sharing with each party in turn) gets the same answer from both."""
    parties = shipped.ref.terms("party")
    problems = []
    for n, (item, purpose, action) in enumerate(
            (i, p, a) for i in shipped.ref.terms("item") for p in shipped.ref.terms("purpose") for a in ACTIONS):
        scenario = {"action": action, "data": [item], "purpose": purpose}
        if action == "share":
            scenario["recipient"] = parties[n % len(parties)]
        problem = _disagreement(shipped.ruleset, shipped.ref, scenario, shipped.source)
        if problem:
            problems.append(problem)
    assert not problems, f"{len(problems)} disagreements; the first:\n{problems[0]}"


# ---- generated rule sets ------------------------------------------------------------------------
@given(data=st.data())
def test_engine_agrees_with_reference_on_generated_rule_sets(data):
    """On any generated rule set and any scenarios over its vocabulary, the engine and the
    reference agree on decision, basis, deciding rules, obligations and
    would_permit_with_consent, overall and per item."""
    policy = data.draw(strategies.policies(), label="policy")
    ruleset = load_string(policy.text, "gen.policy")
    ref = load_reference([(policy.text, "gen.policy")])
    drawn = st.one_of(strategies.scenarios(policy.terms), strategies.scenarios_for(policy))
    for scenario in data.draw(st.lists(drawn, min_size=1, max_size=8), label="scenarios"):
        problem = _disagreement(ruleset, ref, scenario, _whole_file(policy.text))
        assert problem is None, problem


# ---- edge cases, named ---------------------------------------------------------------------------
EDGE_VOCABULARY = """policy demo
data item personal_data
data item name is personal_data
data item photo is personal_data
party third_party
party jccu is third_party
party contractor is third_party
purpose delivery
purpose billing
subject member
exception by_law
obligation supervise_contractor
"""


EDGE_CASES = [
    pytest.param("name may be used for delivery [u]",
                 dict(action="collect", data=["name"], purpose="delivery"), id="use-grant-declares-collection"),
    pytest.param("name may be used for delivery provided that consent is given [u]",
                 dict(action="collect", data=["name"], purpose="delivery", consent=True),
                 id="conditioned-use-grant-does-not-make-collection-lawful"),
    pytest.param("name may be used for delivery [u]\ncollecting personal data requires consent and notice [r]",
                 dict(action="collect", data=["name"], purpose="delivery", consent=True),
                 id="collection-basis-is-consent-when-consent-met-a-requirement"),
    pytest.param("personal data may be used for delivery and billing [u]\nphoto may only be used for delivery [c]\n"
                 "personal data may be entrusted to contractor for any declared purpose [e]",
                 dict(action="share", data=["photo", "name"], recipient="contractor", purpose="billing"),
                 id="declared-purpose-withheld-by-a-closed-list"),
    pytest.param("name may be used for delivery [u]\nphoto must not be used [p]",
                 dict(action="use", data=["personal_data"], purpose="delivery"), id="bars-overlap-ancestors"),
    pytest.param("name may be used for delivery [u]\nhonour legal exceptions: by law [h]",
                 dict(action="use", data=["name", "photo"], purpose="delivery", exception="by_law"), id="mixed-basis"),
    pytest.param("personal data may only be provided to jccu for delivery [c]",
                 dict(action="share", data=["name"], recipient="jccu", purpose="delivery"),
                 id="closed-provision-list-needs-consent"),
    pytest.param("honour legal exceptions: by law [a]\nhonour legal exceptions: by law [b]",
                 dict(action="use", data=["name"], purpose="delivery", exception="by_law"),
                 id="every-honour-rule-that-gives-the-basis"),
    pytest.param("name may be used for delivery [u]\ncollecting name requires consent and notice unless consent [r]",
                 dict(action="collect", data=["name"], purpose="delivery", consent=True),
                 id="requirement-unless-consent-is-lifted-by-consent"),
    pytest.param("name may only be used for delivery unless consent obliging supervise contractor [c]\n"
                 "name may be used for any purpose provided that consent is given [g]",
                 dict(action="use", data=["name"], purpose="billing", consent=True),
                 id="closed-list-obligations-only-when-relied-on"),
]


@pytest.mark.parametrize(("rules", "scenario"), EDGE_CASES)
def test_engine_agrees_with_reference_on_edge_cases(rules, scenario):
    """On small rule files aimed at the subtle points of the semantics, the engine and the
    reference give the same answer."""
    text = EDGE_VOCABULARY + rules + "\n"
    problem = _disagreement(load_string(text, "demo.policy"), load_reference([(text, "demo.policy")]),
                            scenario, _whole_file(text))
    assert problem is None, problem
