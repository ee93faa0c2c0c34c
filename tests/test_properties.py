"""The named properties of the decision procedure, against the real engine.

Each property is stated in its test's docstring and written once, in
tests/support/properties.py, as a function of an engine, so tests/test_broken_engines.py can
show that it fails on an engine that gets the semantics wrong. The first tests check the
generators themselves: every generated rule file parses back to the syntax tree it was
rendered from and compiles.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck import decide, load_string
from support import properties
from support.engines import REAL
from support.strategies import policies, scenarios, scenarios_for


# ---- the generators ----------------------------------------------------------------------------
@given(policy=policies())
def test_generated_rule_files_parse_back_to_their_syntax_tree(policy):
    """Every generated rule file parses to exactly the statements it was rendered from (the
    header, the declarations, the rules; syntax trees compare without their spans)."""
    module = dsl.parse(policy.text, "gen.policy")
    assert module.statements == (ast.PolicyHeader(ast.Term("gen")),) + policy.declarations + policy.rules, policy.text


@given(policy=policies(), data=st.data())
def test_generated_rule_files_compile_and_decide(policy, data):
    """Every generated rule file compiles with the real engine, every rule keeps the line the
    generator says it starts on, and every generated scenario is decided (no input error)."""
    ruleset = load_string(policy.text, "gen.policy")
    assert sorted(r.id for r in ruleset.rules) == sorted(f"gen:{line}" for line in policy.rule_lines)
    for scenario in data.draw(st.lists(scenarios(policy.terms) | scenarios_for(policy), min_size=1, max_size=4)):
        assert decide(ruleset, scenario).decision in ("permit", "deny")


# ---- the named properties ------------------------------------------------------------------------
@given(data=st.data())
def test_empty_rule_set_denies_everything(data):
    """A policy without rules denies every scenario, with basis ``none`` and no deciding rule."""
    properties.empty_rule_set_denies_everything(REAL, data)


@given(data=st.data())
def test_errors_never_permit(data):
    """Every error path raises CoopcheckError, never a permit: bad scenarios (unknown field or
    term, a term of the wrong kind, a wrong type, a missing field, a missing or misplaced
    recipient) are never decided; bad rule files (unknown term, provision without condition,
    no citation, duplicate term, unknown parent, cycle, syntax error) do not compile."""
    properties.errors_never_permit(REAL, data)


@given(data=st.data())
def test_same_input_same_decision(data):
    """The same rule file and scenario always give the same decision, deciding rules,
    obligations and reasons, however often compiled and decided."""
    properties.same_input_same_decision(REAL, data)


@given(data=st.data())
def test_rule_order_does_not_matter(data):
    """Reordering the rules of a file changes no decision: effect, basis, obligations, consent
    hint and deciding rules (compared by citation) stay the same."""
    properties.rule_order_does_not_matter(REAL, data)


@given(data=st.data())
def test_adding_grant_never_turns_permit_into_deny(data):
    """Adding a grant to a policy never turns a permitted scenario into a denied one."""
    properties.adding_grant_never_turns_permit_into_deny(REAL, data)


@given(data=st.data())
def test_adding_prohibition_never_turns_deny_into_permit(data):
    """Adding a prohibition to a policy never turns a denied scenario into a permitted one."""
    properties.adding_prohibition_never_turns_deny_into_permit(REAL, data)


@given(data=st.data())
def test_matching_prohibition_denies(data):
    """A prohibition matching the scenario (terms the same, below or above, action of its verb)
    with no satisfied exception always denies, and is among the deciding rules."""
    properties.matching_prohibition_denies(REAL, data)


@given(data=st.data())
def test_matching_act_prohibition_stops_its_act(data):
    """A prohibition on one legal act of sharing (joint use, entrustment or provision) that
    matches a share stops that act: the item is denied by it, or permitted by another act."""
    properties.matching_act_prohibition_stops_its_act(REAL, data)


@given(data=st.data())
def test_consent_never_turns_permit_into_deny(data):
    """A scenario permitted without consent is still permitted with consent."""
    properties.consent_never_turns_permit_into_deny(REAL, data)


@given(data=st.data())
def test_several_items_permitted_iff_each_is(data):
    """A scenario with several data items is permitted exactly when each item alone is."""
    properties.several_items_permitted_iff_each_is(REAL, data)


@given(data=st.data())
def test_permit_holds_for_descendants(data):
    """A permitted scenario stays permitted when an item, the subject, the recipient or the
    purpose is replaced by a descendant, unless a bar (prohibition, closed list, consent
    requirement) matches the new scenario without a satisfied exception."""
    properties.permit_holds_for_descendants(REAL, data)


@given(data=st.data())
def test_deciding_rules_match(data):
    """Every deciding rule reported matches the scenario, checked against the rule's syntax
    tree and the declared hierarchy: bars that block a denied item, grants (with a condition
    that holds), honour rules and met requirements for a permitted item."""
    properties.deciding_rules_match(REAL, data)


@given(data=st.data())
def test_consent_hint_is_truthful(data):
    """On a deny, ``would_permit_with_consent`` is true exactly when the same scenario with
    consent is permitted; on a permit it is None."""
    properties.consent_hint_is_truthful(REAL, data)


@given(data=st.data())
def test_basis_holds(data):
    """The basis of each permitted item is true of the scenario (consent given, an exception
    claimed, sharing for joint use and entrustment, the co-op's own handling for purpose)."""
    properties.basis_holds(REAL, data)


def test_every_named_property_has_a_test():
    """Each property in the suite runs here against the real engine."""
    assert {f"test_{name}" for name in properties.PROPERTIES} <= set(globals())


# ---- engine behaviour the properties exposed ------------------------------------------------------
VOCABULARY = """policy gen
data item item_a
party party_a
purpose purpose_a
subject member
exception exc_a
"""


def test_rule_order_does_not_matter_with_two_honour_rules_for_one_exception():
    """Reordering two rules that honour the same legal exception changes no decision (the
    deciding rules compared by citation)."""
    scenario = {"action": "use", "data": ["item_a"], "purpose": "purpose_a", "exception": "exc_a"}
    one = load_string(VOCABULARY + "honour legal exceptions: exc_a [r1]\nhonour legal exceptions: exc_a [r2]\n")
    other = load_string(VOCABULARY + "honour legal exceptions: exc_a [r2]\nhonour legal exceptions: exc_a [r1]\n")
    assert set(decide(one, scenario).citations) == set(decide(other, scenario).citations)


def test_closed_provision_list_gives_no_basis_without_consent():
    """A closed list of provision to third parties grants nothing without consent: the
    scenario without consent is denied, with consent permitted on basis ``consent``."""
    ruleset = load_string(VOCABULARY + "item_a may only be provided to party_a for purpose_a [r1]\n")
    scenario = {"action": "share", "data": ["item_a"], "recipient": "party_a", "purpose": "purpose_a"}
    d = decide(ruleset, scenario)
    assert (d.decision, d.basis, d.would_permit_with_consent) == ("deny", "none", True)
    assert (decide(ruleset, {**scenario, "consent": True}).basis) == "consent"
