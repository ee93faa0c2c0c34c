"""The shipped rule files: they compile, their rule-file tests pass and touch every rule."""

from __future__ import annotations

import pickle

import pytest

from coopcheck.presentation.decision_json import decision_json
from coopcheck import decide, load_policy, shipped_policies
from coopcheck.core.paths import policies_dir
from coopcheck.analysis.testing import run_file

POLICIES = shipped_policies()


@pytest.mark.parametrize("coop", POLICIES)
def test_policy_compiles_with_metadata_and_citations(coop):
    rs = load_policy(coop)
    assert rs.coop == coop
    for key in ("name", "date", "responsible party", "contact"):
        assert rs.meta.get(key), f"{coop} lacks `{key}`"
    own = [r for r in rs.rules if r.module == coop]
    assert own and all(r.citation and r.citation.startswith(coop + " ") for r in own)


@pytest.mark.parametrize("coop", POLICIES)
def test_rule_file_tests_pass_and_touch_every_rule(coop):
    result = run_file(policies_dir() / f"{coop}.test")
    assert not result.errors, [e.render() for e in result.errors]
    failed = [(c.line, c.name, c.failures) for c in result.cases if not c.passed]
    assert not failed
    assert len(result.cases) >= 40
    touched = {rid for c in result.cases for item in c.decision.items for rid in item.rules}
    untouched = [r.id for r in load_policy(coop).rules if r.module == coop and r.id not in touched]
    assert not untouched, f"rules no case exercises: {untouched}"
    effects = {c.decision.decision for c in result.cases}
    assert effects == {"permit", "deny"}


def test_canonical_example_holds_for_aizu():
    out = decide(load_policy("aizu"), {"action": "share", "data": ["purchase_history"],
                                       "recipient": "jccu", "purpose": "delivery"})
    assert (out.decision, out.basis) == ("permit", "joint_use")
    assert out.citations == ("aizu 指針2 ◇商品・サービスの提供に関わっての共同利用",)


@pytest.mark.parametrize("coop", POLICIES)
def test_compiled_policy_pickles_to_identical_decisions(coop):
    rs = load_policy(coop)
    clone = pickle.loads(pickle.dumps(rs))
    assert clone == rs
    sc = {"action": "share", "data": ["name", "purchase_history"], "recipient": "jccu", "purpose": "delivery"}
    assert decision_json(decide(clone, sc)) == decision_json(decide(rs, sc))
