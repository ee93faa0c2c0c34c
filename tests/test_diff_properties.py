"""The regions of ``coopcheck.analysis.diff`` against brute-force enumeration of the whole scenario
space, on small hand-written and generated policies.

The brute force here decides every single-item scenario of the space with the public
``decide`` — every action, subject, item, recipient (any party for ``share``, ``public`` for
``publish``, none otherwise), purpose, consent and exception — and knows nothing of how the
diff partitions the space.
"""

from __future__ import annotations

from collections import Counter

from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from coopcheck.dsl import ast
from coopcheck import decide, load_string
from coopcheck.analysis.diff import diff_rulesets
from coopcheck.core.scenario import Scenario
from support.strategies import GenPolicy, labels_of, policies, rule_nodes, terms_of

ACTIONS = ("use", "collect", "share", "publish")


def space(rs):
    """Every single-item scenario over ``rs``'s vocabulary."""
    v = rs.vocabulary
    parties = v.of_kind("party")
    recipients = {"use": [None], "collect": [None], "share": parties,
                  "publish": ["public"] if "public" in parties else []}
    for action in ACTIONS:
        for subject in v.of_kind("subject"):
            for item in v.of_kind("item"):
                for recipient in recipients[action]:
                    for purpose in v.of_kind("purpose"):
                        for consent in (False, True):
                            for exception in [None] + v.of_kind("exception"):
                                yield Scenario(action, (item,), purpose, subject, recipient, consent, exception)


def assert_exact(a, b, clauses: bool = False) -> None:
    """The diff of ``a`` and ``b`` against brute force: (i) every scenario of every region
    decides as the region says in both rulesets (a denial citing exactly the region's
    clauses, a permit citing some of them), (ii) every differing scenario lies in exactly
    one region, (iii) no region holds a scenario the two decide alike."""

    def key(x):
        return (x.decision, x.basis, tuple(x.citations)) if clauses else (x.decision, x.basis)

    diff = diff_rulesets(a, b, clauses=clauses)
    differing, total = {}, 0
    for sc in space(a):
        total += 1
        da, db = decide(a, sc), decide(b, sc)
        if key(da) != key(db):
            differing[sc] = (da, db)
    assert diff.scenarios_compared == total
    assert diff.differing == len(differing)
    assert diff.identical == (not differing)
    seen: Counter = Counter()
    for region in diff.regions:
        members = list(region.scenarios())
        assert region.size == len(members)
        assert key(region.a) != key(region.b)
        for sc in members:
            assert sc in differing, f"{sc} is decided alike but lies in {region}"  # (iii)
            da, db = differing[sc]
            assert key(da) == key(region.a) and key(db) == key(region.b), (sc, region)  # (i)
            assert set(da.rules) <= set(region.a.rules) and set(db.rules) <= set(region.b.rules)
            for d, outcome in ((da, region.a), (db, region.b)):
                assert set(d.citations) <= set(outcome.citations)
                if d.decision == "deny":  # a denial's clauses are exact
                    assert set(d.citations) == set(outcome.citations), (sc, region)
            seen[sc] += 1
    assert set(seen) == set(differing), "a differing scenario lies in no region"  # (ii)
    assert max(seen.values(), default=1) == 1, "a scenario lies in two regions"  # (ii)


# ---- hand-written policies ------------------------------------------------------------------

VOCABULARY = """
data item pd
data item basic is pd
data item nm is basic
data item addr is basic
data item photo is pd
data item health is pd
party third
party fed is third
party jc is fed
party kyo is fed
party contractor is third
party courier is contractor
party public is third
party abroad is third
purpose supply
purpose delivery is supply
purpose billing is supply
purpose analysis
purpose marketing
subject member
subject employee
subject visitor
exception by_law
exception protect_life
"""

OLD = """policy demo
""" + VOCABULARY + """
pd may be used for supply and analysis                       [1]
pd of employee may be used for analysis                      [2]
nm, addr may be shared with jc for delivery obliging x_none  [3]
pd of anyone may be entrusted to contractor for any declared purpose   [4]
pd of anyone may be provided to anyone for any purpose provided that consent is given   [5]
pd of anyone may be used for any purpose provided that consent is given   [6]
photo may only be used for marketing unless consent          [7]
photo may be published for marketing                        [8]
collecting health of anyone requires consent unless a legal exception   [9]
sharing pd of anyone with abroad requires consent unless a legal exception   [10]
collecting pd requires notice                                [11]
honour legal exceptions: by_law                              [12]
"""

NEW = """policy demo
""" + VOCABULARY + """
pd may be used for supply, analysis and marketing            [1]
pd of employee may be used for analysis                      [2]
nm, addr, photo may be shared with fed for delivery and billing   [3]
pd of anyone may be entrusted to courier for delivery        [4b]
pd of anyone may be provided to anyone for any purpose provided that consent is given   [5]
pd of anyone may be used for any purpose provided that consent is given   [6]
pd of visitor must not be used unless consent                [13]
health must not be shared with anyone unless by_law          [14]
collecting health of anyone requires consent unless a legal exception   [9]
collecting pd requires notice                                [11]
honour legal exceptions: by_law and protect_life             [12]
"""


def demo(text: str):
    return load_string(text.replace(" obliging x_none", ""), "demo.policy")


def test_hand_written_versions_exact():
    """Two versions of a small policy: grants widened and narrowed, a closed list, a new
    prohibition, a requirement dropped, one more legal exception honoured."""
    old, new = demo(OLD), demo(NEW)
    assert_exact(old, new)
    assert_exact(new, old)


def test_hand_written_versions_exact_on_clauses():
    assert_exact(demo(OLD), demo(NEW), clauses=True)


def test_hand_written_identical():
    old = demo(OLD)
    assert_exact(old, demo(OLD))
    assert diff_rulesets(old, demo(OLD), clauses=True).identical


def test_hand_written_regions_are_few():
    """Not one region per scenario: the differences of two small versions group into a
    handful of regions, far fewer than the differing scenarios."""
    d = diff_rulesets(demo(OLD), demo(NEW))
    assert 0 < len(d.regions) * 20 < d.differing


# ---- generated policies ----------------------------------------------------------------------

def _with_public(policy: GenPolicy, under: str | None) -> GenPolicy:
    """The policy with a party ``public`` (publication goes to it), under another party or not."""
    decl = ast.Declaration("party", ast.Term("public"), ast.Term(under) if under else None, None, ())
    return GenPolicy.build(policy.declarations + (decl,), policy.rules)


@st.composite
def policy_pairs(draw):
    """Two policies over one vocabulary: B is A with rules dropped, added or replaced, or an
    unrelated rule list."""
    a = draw(policies(min_rules=1, max_rules=7))
    if draw(st.booleans()):
        a = _with_public(a, draw(st.none() | st.sampled_from(a.terms["party"])))
    terms, labels = terms_of(a.declarations), labels_of(a.declarations)
    fresh = st.lists(rule_nodes(terms, labels), min_size=0, max_size=3)
    how = draw(st.sampled_from(("edit", "edit", "unrelated")))
    if how == "unrelated":
        rules = draw(st.lists(rule_nodes(terms, labels), min_size=0, max_size=7))
    else:
        kept = [r for r in a.rules if draw(st.integers(0, 3))]  # drop about a quarter
        rules = kept + draw(fresh)
    rules = [evolve(r, citation=None) if r not in a.rules else r for r in rules]
    return a, a.with_rules(rules)


@settings(max_examples=max(10, settings().max_examples // 2))
@given(policy_pairs())
def test_generated_regions_match_brute_force(pair):
    """For two generated policies over one vocabulary, the diff's regions agree with deciding
    every scenario of the space: (i) each region's scenarios decide as it says on both sides,
    (ii) each differing scenario lies in exactly one region, (iii) no region holds a scenario
    the two decide alike."""
    a, b = pair
    assert_exact(load_string(a.text, "gen.policy"), load_string(b.text, "gen.policy"))


@settings(max_examples=max(5, settings().max_examples // 5))
@given(policy_pairs())
def test_generated_regions_match_brute_force_on_clauses(pair):
    """The same three properties when cited clauses are compared too."""
    a, b = pair
    assert_exact(load_string(a.text, "gen.policy"), load_string(b.text, "gen.policy"), clauses=True)
