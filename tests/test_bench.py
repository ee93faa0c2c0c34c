"""The benchmark harness (not its timings): the synthetic policies, every engine's agreement
with coopcheck on the benchmark scenarios, and a ``python -m bench --quick`` run.

Peers whose package is not installed (the optional ``bench`` extra) are skipped.
"""

from __future__ import annotations

import doctest
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

import coopcheck as engine
from bench import engines, synthetic
from bench.measure import Disagreement, check
from bench.peers import PEERS, Engine, peer
from bench.peers.floor import permitted
from bench.policy import Case, Unsupported, from_ruleset
from bench.timing import Budget

ROOT = Path(__file__).resolve().parent.parent

#: A small policy that uses every form the peers encode: lists, parents, `of any subject`,
#: `to anyone`, `for any purpose`, a consent condition and purposes of use.
TINY = """\
policy tiny
subject member
subject prospect
data item personal_data
data item contact is personal_data
data item name is contact
data item history is personal_data
party third_party
party federation is third_party
party jccu is federation
party courier is third_party
purpose supply
purpose delivery is supply
purpose billing is supply
purpose marketing
contact may be shared with federation for supply   [t1]
history of any subject may be entrusted to anyone for delivery   [t2]
personal data may be provided to courier for any purpose provided that consent is given   [t3]
name of prospect may be used for marketing   [t4]
history and name may be used for billing, delivery   [t5]
"""


def tiny_cases(policy) -> list[Case]:
    """Every single-item use and share scenario over the tiny policy's vocabulary."""
    items, parties = policy.terms("item"), policy.terms("party")
    purposes, subjects = policy.terms("purpose"), policy.terms("subject")
    cases = [Case("use", s, i, None, p, c)
             for s, i, p, c in itertools.product(subjects, items, purposes, (False, True))]
    cases += [Case("share", s, i, r, p, c)
              for s, i, r, p, c in itertools.product(subjects, items, parties, purposes, (False, True))]
    return cases


def coopcheck_verdicts(ruleset, cases) -> list[bool]:
    """coopcheck's full decision on each case, as permit = True."""
    return [engine.decide(ruleset, c.to_json()).decision == "permit" for c in cases]


def build_peer(key: str, policy) -> Engine:
    """The peer's engine for ``policy``, or skip the test when its package is missing."""
    p = peer(key)
    if not p.module.available():
        pytest.skip(f"{key}: package not installed (pip install '.[bench]')")
    return p.build(policy)


def agree(eng: Engine, cases, expected) -> None:
    """Assert the engine's permit/deny equals ``expected`` on every case."""
    got = [eng.allowed(eng.run(eng.prepare(c))) for c in cases]
    wrong = [(c.to_json(), e) for c, e, g in zip(cases, expected, got) if e != g]
    assert not wrong, f"{eng.name} disagrees with coopcheck on {len(wrong)} scenarios, e.g. {wrong[:3]}"


@pytest.fixture(scope="module")
def tiny():
    """The tiny policy compiled, its neutral form, every scenario and coopcheck's verdicts."""
    ruleset = engine.load_string(TINY, "tiny.policy")
    policy = from_ruleset(ruleset)
    cases = tiny_cases(policy)
    return ruleset, policy, cases, coopcheck_verdicts(ruleset, cases)


@pytest.fixture(scope="module", params=[12, 100])
def synthetic_set(request):
    """A synthetic policy compiled, its neutral form, 120 scenarios and coopcheck's verdicts."""
    ruleset = engine.load_string(synthetic.render(request.param), "synthetic.policy")
    policy = from_ruleset(ruleset)
    cases = synthetic.scenarios(policy, 120, permitted=permitted(policy))
    return ruleset, policy, cases, coopcheck_verdicts(ruleset, cases)


def test_tiny_policy_decides_by_subsumption(tiny):
    """The tiny policy's own expectations hold in coopcheck: a grant covers descendants of its
    terms, never ancestors; consent conditions and wildcards apply."""
    ruleset, _, _, _ = tiny

    def permits(**fields) -> bool:
        return engine.decide(ruleset, fields).decision == "permit"

    assert permits(action="share", data=["name"], recipient="jccu", purpose="delivery")
    assert not permits(action="share", data=["personal_data"], recipient="jccu", purpose="delivery")
    assert not permits(action="share", data=["name"], recipient="third_party", purpose="delivery")
    assert permits(action="share", data=["history"], subject="prospect", recipient="courier", purpose="delivery")
    assert not permits(action="share", data=["history"], recipient="courier", purpose="billing")
    assert permits(action="share", data=["history"], recipient="courier", purpose="billing", consent=True)
    assert permits(action="use", data=["name"], subject="prospect", purpose="marketing")
    assert not permits(action="use", data=["name"], purpose="marketing")
    assert permits(action="use", data=["name"], purpose="billing")
    assert not permits(action="use", data=["contact"], purpose="billing")


@pytest.mark.parametrize("key", list(PEERS))
def test_peer_agrees_on_every_tiny_scenario(key, tiny):
    """Every peer decides every single-item scenario of the tiny policy as coopcheck does."""
    _, policy, cases, expected = tiny
    assert 0 < sum(expected) < len(expected)
    agree(build_peer(key, policy), cases, expected)


@pytest.mark.parametrize("key", list(PEERS))
def test_peer_agrees_on_synthetic_scenarios(key, synthetic_set):
    """Every peer decides the benchmark scenarios of the 12- and 100-grant synthetic
    policies as coopcheck does."""
    _, policy, cases, expected = synthetic_set
    agree(build_peer(key, policy), cases, expected)


def test_reference_agrees_on_benchmark_scenarios(tiny, synthetic_set):
    """The test suite's reference evaluator, when present, decides as coopcheck does."""
    module = engines.reference_module()
    if module is None:
        pytest.skip("tests/support/reference.py not present")
    _, _, cases, expected = tiny
    agree(engines.reference(module, [(TINY, "tiny.policy")]), cases, expected)
    ruleset, _, cases, expected = synthetic_set
    n = len(ruleset.rules)
    agree(engines.reference(module, [(synthetic.render(n), "synthetic.policy")]), cases, expected)


def test_synthetic_policy_shape():
    """The synthetic vocabulary has 30 items, 24 parties, 34 purposes and 3 subjects, and a
    policy of N grants compiles to N grants read back with the verbs drawn."""
    policy = from_ruleset(engine.load_string(synthetic.render(40), "synthetic.policy"))
    assert [len(policy.terms(k)) for k in ("item", "party", "purpose", "subject")] == [30, 24, 34, 3]
    assert len(policy.grants) == 40
    assert {g.verb for g in policy.grants} == {g.verb for g in synthetic.grants(40)}
    assert [g.consent for g in policy.grants] == [g.consent for g in synthetic.grants(40)]


def test_scenarios_are_seeded_and_balanced():
    """The scenario set is the same on every call, single-item use/share, and half permits."""
    ruleset = engine.load_string(synthetic.render(100), "synthetic.policy")
    policy = from_ruleset(ruleset)
    allowed = permitted(policy)
    first = synthetic.scenarios(policy, 200, permitted=allowed)
    assert first == synthetic.scenarios(policy, 200, permitted=allowed)
    assert {c.action for c in first} == {"use", "share"}
    assert sum(coopcheck_verdicts(ruleset, first)) == 100


def test_synthetic_doctests():
    """The examples in the synthetic generator's docstrings hold (bench/ is outside the
    doctest paths)."""
    assert doctest.testmod(synthetic).failed == 0


def test_shipped_policy_is_refused():
    """A ruleset with prohibitions and legal exceptions is not silently mis-encoded."""
    with pytest.raises(Unsupported):
        from_ruleset(engine.load_policy("aizu"))


def test_a_wrong_engine_fails_loudly(tiny):
    """The harness raises before timing when an engine's decisions differ from coopcheck's."""
    _, _, cases, expected = tiny
    always = Engine("always permit", Case.key, lambda key: True)
    with pytest.raises(Disagreement, match="always permit disagrees"):
        check(always, "tiny", cases, expected, Budget(1.0, len(cases), 1))


def test_quick_run_prints_the_targets(tmp_path):
    """``python -m bench --quick`` completes, prints the engine table and every target with
    a verdict, and writes the figures as JSON."""
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "coopcheck decide" in text and "floor (set lookup)" in text
    targets = text[text.index("\nTargets\n"):]
    for name in ("vs cedarpy", "fast path vs the floor", "10 000 grants vs 10", "decide_many throughput",
                 "parse + compile", "cold start"):
        line = next(line for line in targets.splitlines() if name in line)
        assert line.rstrip().endswith(("MET", "MISSED", "NOT MEASURED")), line
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["targets"]) == 6 and data["quick"] is True
    assert [r["grants"] for r in data["results"]] == [12, 10, 100, 1000]


def test_fast_path_row_and_target(monkeypatch, capsys):
    """With a boolean fast path present, the run checks it, times it and judges it against
    the floor (a stand-in is used when the engine has none yet)."""
    from bench import run

    if not engines.has_permits():
        monkeypatch.setattr(engine, "permits", lambda rs, sc: engine.decide(rs, sc).decision == "permit",
                            raising=False)
    assert run.main(["--quick", "--no-startup", "--sizes", "10,100", "--peers", "floor", "--scenarios", "60"]) == 0
    text = capsys.readouterr().out
    assert "coopcheck permits" in text
    line = next(line for line in text.splitlines() if line.startswith("boolean fast path vs the floor"))
    assert "on 12 grants; worst" in line and line.rstrip().endswith(("MET", "MISSED"))


def test_targets_are_judged_on_the_figures():
    """Each target compares the run's figures with its threshold: ratios against cedarpy and
    the floor, growth from 10 to 10 000 grants, throughput and start-up seconds."""
    from bench import targets
    from bench.measure import Cell, PolicyResult
    from bench.peers import cedar, floor

    def result(grants, decide_us, permits_us, floor_us, cedar_us=None, rate=None):
        cells = [Cell(engines.DECIDE, decide_us, 10, 10), Cell(engines.PERMITS, permits_us, 10, 10),
                 Cell(floor.NAME, floor_us, 10, 10)]
        if cedar_us is not None:
            cells.append(Cell(cedar.NAME, cedar_us, 10, 10))
        return PolicyResult(f"{grants:,} grants", grants, 0.0, 10, 5, tuple(cells), rate, 10)

    headline = result(12, 2.0, 0.3, 0.1, cedar_us=50.0, rate=400_000.0)
    scaling = [result(10, 2.0, 0.3, 0.1), result(10_000, 2.5, 0.4, 0.12)]
    startup = {"parse_compile": {"policies": 5, "cold_s": 0.2, "warm_s": 0.05}, "cold_check": {"seconds": 0.25}}
    verdicts = [t.verdict for t in targets.evaluate(headline, scaling, startup)]
    assert verdicts == ["MET", "MISSED", "MET", "MET", "MISSED", "MET"]
    assert [t.verdict for t in targets.evaluate(headline, scaling[:1], {})][2:] == \
        ["NOT MEASURED", "MET", "NOT MEASURED", "NOT MEASURED"]
