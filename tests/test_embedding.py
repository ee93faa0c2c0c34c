"""The embedding API: decision tables agree with full evaluation, the boolean fast path agrees
with ``decide``, compiled rulesets are thread-safe and picklable, decisions are immutable."""

from __future__ import annotations

import pickle
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopcheck.core.evaluator import evaluator_for
from coopcheck.core.frozen import FrozenMap
from coopcheck.presentation.decision_json import decision_json
from coopcheck.presentation.wording import reason_texts
from coopcheck import Decision, Scenario, decide, decide_many, load_policy, make_scenario, permits, shipped_policies
from coopcheck.core.semantics import decide_item

POLICIES = {coop: load_policy(coop) for coop in shipped_policies()}


@st.composite
def shipped_scenarios(draw, coop: str | None = None):
    """A coop and a valid scenario over the whole vocabulary of its policy."""
    coop = coop or draw(st.sampled_from(sorted(POLICIES)))
    vocab = POLICIES[coop].vocabulary
    action = draw(st.sampled_from(("use", "collect", "share", "publish")))
    recipient = (draw(st.sampled_from(vocab.of_kind("party"))) if action == "share"
                 else "public" if action == "publish" else None)
    items = tuple(draw(st.lists(st.sampled_from(vocab.of_kind("item")), min_size=1, max_size=3, unique=True)))
    sc = Scenario(action, items, draw(st.sampled_from(vocab.of_kind("purpose"))),
                  draw(st.sampled_from(vocab.of_kind("subject"))), recipient, draw(st.booleans()),
                  draw(st.sampled_from((None, *vocab.of_kind("exception")))), coop)
    return coop, sc


@given(shipped_scenarios())
def test_decision_tables_agree_with_full_evaluation(case):
    """For every item, the outcome read from the decision tables (effect, basis, deciding
    rules, citations, obligations) equals the full evaluation of the rules."""
    coop, sc = case
    rs = POLICIES[coop]
    d = decide(rs, sc)
    full = [decide_item(rs, sc, item) for item in sc.items]
    assert d.decision == ("permit" if all(f.permitted for f in full) else "deny")
    assert d.items == tuple(full)  # the explanation is the full evaluation itself
    if d.permitted:
        assert set(d.obligations) == {o for f in full for o in f.obligations}
        assert set(d.rules) == {r for f in full for r in f.rules}
    else:
        assert set(d.rules) == {r for f in full if not f.permitted for r in f.rules}
        with_consent = [decide_item(rs, sc.with_consent(), item) for item in sc.items]
        assert d.would_permit_with_consent == ((not sc.consent) and all(f.permitted for f in with_consent))


@given(shipped_scenarios())
def test_fast_path_agrees_with_decide(case):
    """``permits`` answers exactly ``decide(...).permitted``, cold or warm."""
    coop, sc = case
    fresh = pickle.loads(pickle.dumps(POLICIES[coop]))  # empty tables: the cold path
    assert permits(fresh, sc) == decide(POLICIES[coop], sc).permitted == permits(POLICIES[coop], sc)


def test_same_cell_scenarios_share_the_outcome_but_explain_their_own_values():
    """Two scenarios that fall in one table cell (recipients no rule tells apart) get the
    same effect and rules, and each explanation names its own recipient."""
    aizu = POLICIES["aizu"]
    a = make_scenario(aizu, action="share", data=["purchase_history"], recipient="zenrosai", purpose="delivery")
    b = make_scenario(aizu, action="share", data=["purchase_history"], recipient="coop_kyosai", purpose="delivery")
    plan = evaluator_for(aizu).plan("share", "member", "purchase_history")
    assert plan.cell("zenrosai", "delivery", False, None) == plan.cell("coop_kyosai", "delivery", False, None)
    da, db = decide(aizu, a), decide(aizu, b)  # the second is read from the cell the first filled
    assert (da.decision, da.rules) == (db.decision, db.rules) == ("deny", ())
    assert [r.code for r in da.reasons] == [r.code for r in db.reasons]
    assert [r.code for r in da.reasons][:2] == ["no_grant", "near_miss"]
    for d, own, other in ((da, "`zenrosai`", "`coop_kyosai`"), (db, "`coop_kyosai`", "`zenrosai`")):
        texts = reason_texts(d)
        assert own in texts[0] and own in texts[1] and not any(other in t for t in texts)


def test_threads_get_the_sequential_answers():
    """Many threads deciding on one shared ruleset, from cold tables, give exactly the
    answers of a sequential run."""
    aizu = pickle.loads(pickle.dumps(POLICIES["aizu"]))  # cold tables, filled concurrently
    vocab = aizu.vocabulary
    scenarios = [Scenario("share", (item,), purpose, "member", party)
                 for item in vocab.of_kind("item")[:12] for party in vocab.of_kind("party")[:10]
                 for purpose in vocab.of_kind("purpose")[:8]]
    expected = [decide(POLICIES["aizu"], sc) for sc in scenarios]
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start = n * len(scenarios) // 8  # threads start at different places
            order = scenarios[start:] + scenarios[:start]
            got = {sc: (decide(aizu, sc), permits(aizu, sc)) for sc in order}
            results[n] = [got[sc] for sc in scenarios]
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for got in results.values():
        assert [d for d, _ in got] == expected
        assert [p for _, p in got] == [d.permitted for d in expected]


def test_pickled_ruleset_decides_identically():
    """A ruleset survives a pickle round trip: equal, and every decision equal."""
    for coop, rs in POLICIES.items():
        copy = pickle.loads(pickle.dumps(rs))
        assert copy == rs
        vocab = rs.vocabulary
        for item in vocab.of_kind("item"):
            for purpose in vocab.of_kind("purpose")[::3]:
                sc = Scenario("use", (item,), purpose)
                assert decide(copy, sc) == decide(rs, sc)
        sc = Scenario("share", ("purchase_history",), "delivery", recipient="jccu")
        assert decision_json(decide(copy, sc)) == decision_json(decide(rs, sc))


def test_decisions_are_immutable_and_pickle():
    """A decision cannot be changed, and pickles to an equal decision."""
    aizu = POLICIES["aizu"]
    d = decide(aizu, action="share", data=["purchase_history"], recipient="jccu", purpose="delivery")
    with pytest.raises(AttributeError):
        d.decision = "deny"  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(d))
    assert isinstance(again, Decision) and again == d and decision_json(again) == decision_json(d)


def test_decide_many_streams_lazily():
    """``decide_many`` decides a scenario only when the consumer asks for it, so an endless
    stream works and a bad scenario raises only when reached."""
    aizu = POLICIES["aizu"]

    def endless():
        while True:
            yield {"action": "use", "data": ["name"], "purpose": "delivery"}

    stream = decide_many(aizu, endless())
    assert [next(stream).decision for _ in range(3)] == ["permit"] * 3
    bad = decide_many(aizu, [{"action": "use", "data": ["name"], "purpose": "delivery"}, {"action": "fly"}])
    assert next(bad).permitted
    with pytest.raises(Exception) as info:
        next(bad)
    assert "fly" in str(info.value)


def test_names_resolve_once_and_agree_with_ids():
    """Scenarios built from labels, aliases or keywords resolve to the same ids as from ids,
    and the resolution is remembered by the policy's evaluator (the vocabulary itself holds no cache)."""
    aizu = POLICIES["aizu"]
    by_label = make_scenario(aizu, {"action": "share", "data": ["購買履歴"], "recipient": "日本生協連",
                                    "purpose": "delivery"})
    by_id = make_scenario(aizu, action="share", data=["purchase_history"], recipient="jccu", purpose="delivery")
    assert by_label == by_id
    assert evaluator_for(aizu)._names[("日本生協連", "party")] == "jccu"
    assert not any(isinstance(v, dict) and not isinstance(v, FrozenMap) for v in vars_of(aizu.vocabulary))


def vars_of(obj) -> list:
    """The values of an attrs instance's fields."""
    import attrs

    return [getattr(obj, f.name) for f in attrs.fields(type(obj))]
