"""The benchmark harness, not its timings: every engine decides the benchmark scenarios alike,
the floors compute the same answers as coopcheck (the command-line floor writes the same
bytes as ``coopcheck check --json``), a wrong engine stops the harness, and the report prints
every target with MET, MISSED or NOT MEASURED. Nothing here is timed.

Peers whose package is not installed (the optional ``bench`` extra) are skipped.
"""

from __future__ import annotations

import doctest
import gc
import itertools
import json
import re
from pathlib import Path
import weakref

import pytest

import coopcheck
from coopcheck.core.evaluator import evaluator_for
from bench import engines, report, run, stream, synthetic, targets
from bench.measure import CHECKED, Cell, Disagreement, PolicyResult, shipped_scenarios, timed
from bench.peers import PEERS, Engine, cedar, floor, peer
from bench.peers.floor import permitted, synthetic_answers
from bench.policy import Case, Unsupported, from_ruleset
from bench.timing import Budget

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

#: Enough for every check, far from a timing: one pass each, no budget to speak of.
CHECK = Budget(float("inf"), 1, 1, float("inf"))


def tiny_cases(policy) -> list[Case]:
    """Every single-item use and share scenario over the tiny policy's vocabulary."""
    items, parties = policy.terms("item"), policy.terms("party")
    purposes, subjects = policy.terms("purpose"), policy.terms("subject")
    cases = [Case("use", s, i, None, p, c)
             for s, i, p, c in itertools.product(subjects, items, purposes, (False, True))]
    cases += [Case("share", s, i, r, p, c)
              for s, i, r, p, c in itertools.product(subjects, items, parties, purposes, (False, True))]
    return cases


def coopcheck_effects(ruleset, dicts) -> list[str]:
    """coopcheck's full decision on each scenario dict."""
    return [str(coopcheck.decide(ruleset, d).decision) for d in dicts]


def effects(eng: Engine, dicts, run=None) -> list[str]:
    """The engine's effect on every scenario, from one pass from a fresh state."""
    inputs = eng.prepare(dicts)
    out = (run or eng.run)(eng.fresh(inputs), inputs)
    engines.release()
    return [eng.effect(o) for o in out]


def build_peer(key: str, policy) -> Engine:
    """The peer's engine for ``policy``, or skip the test when its package is missing."""
    p = peer(key)
    if not p.module.available():
        pytest.skip(f"{key}: package not installed (pip install '.[bench]')")
    return p.build(policy)


def agree(eng: Engine, dicts, expected) -> None:
    """Assert the engine's effect equals ``expected`` on every scenario, in every way it
    has to make a pass (cedarpy's batch sizes)."""
    for label, run_ in eng.alternatives or (("", eng.run),):
        got = effects(eng, dicts, run_)
        wrong = [(d, e, g) for d, e, g in zip(dicts, expected, got) if e != g]
        assert len(got) == len(expected)
        assert not wrong, f"{eng.name} {label} disagrees on {len(wrong)} scenarios, e.g. {wrong[:3]}"


@pytest.fixture(scope="module")
def tiny():
    """The tiny policy compiled, its neutral form, every scenario as a dict and coopcheck's
    effects."""
    ruleset = coopcheck.load_string(TINY, "tiny.policy")
    policy = from_ruleset(ruleset)
    cases = tiny_cases(policy)
    dicts = [c.to_json() for c in cases]
    return ruleset, policy, cases, dicts, coopcheck_effects(ruleset, dicts)


@pytest.fixture(scope="module", params=[12, 100])
def synthetic_set(request):
    """A synthetic policy compiled, its neutral form, 120 distinct scenarios and coopcheck's
    effects."""
    ruleset, texts = synthetic.load(request.param)
    policy = from_ruleset(ruleset)
    cases = synthetic.scenarios(policy, 120, permitted=permitted(policy))
    dicts = [c.to_json() for c in cases]
    return ruleset, policy, cases, dicts, coopcheck_effects(ruleset, dicts), texts


@pytest.fixture(scope="module")
def golden_set():
    """Distinct valid golden scenarios for two shipped policies, and coopcheck's effects."""
    sets = shipped_scenarios(40)
    out = {}
    for coop in ("aizu", "ibaraki"):
        ruleset = coopcheck.load_policy(coop)
        out[coop] = (ruleset, sets[coop], coopcheck_effects(ruleset, sets[coop]))
    return out


def test_tiny_policy_decides_by_subsumption(tiny):
    """The tiny policy's own expectations hold in coopcheck: a grant covers descendants of its
    terms, never ancestors; consent conditions and wildcards apply."""
    ruleset = tiny[0]

    def permits(**fields) -> bool:
        return coopcheck.decide(ruleset, fields).decision == "permit"

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
    _, policy, _, dicts, expected = tiny
    assert 0 < expected.count("permit") < len(expected)
    agree(build_peer(key, policy), dicts, expected)


@pytest.mark.parametrize("key", list(PEERS))
def test_peer_agrees_on_synthetic_scenarios(key, synthetic_set):
    """Every peer decides the benchmark scenarios of the 12- and 100-grant synthetic
    policies as coopcheck does."""
    _, policy, _, dicts, expected, _ = synthetic_set
    agree(build_peer(key, policy), dicts, expected)


def test_cedar_tries_every_batch_size():
    """cedarpy is measured at each of its batch sizes (the best is reported)."""
    if not peer("cedar").module.available():
        pytest.skip("cedar: package not installed (pip install '.[bench]')")
    eng = peer("cedar").build(from_ruleset(coopcheck.load_string(TINY, "tiny.policy")))
    assert [label for label, _ in eng.alternatives] == [f"batch {n}" for n in cedar.BATCH_SIZES]


def test_coopcheck_rows_agree_on_synthetic_scenarios(synthetic_set):
    """coopcheck's cold rows (decide, decide_many, permits, the decision JSON) and its
    memo-hit rows give coopcheck's answers from the dicts."""
    ruleset, _, _, dicts, expected, _ = synthetic_set
    for eng in engines.cold(ruleset) + engines.warm(ruleset):
        agree(eng, dicts, expected)


def test_coopcheck_rows_agree_on_shipped_policies(golden_set):
    """The same on golden scenarios of shipped policies (several items, labels, exceptions)."""
    for ruleset, dicts, expected in golden_set.values():
        assert any(len(d["data"]) > 1 for d in dicts)
        for eng in engines.cold(ruleset) + engines.warm(ruleset):
            agree(eng, dicts, expected)


def test_cold_rows_start_cold():
    """A cold row's pass starts from a ruleset copy whose evaluator has nothing cached, and
    the harness lets the copy go afterwards."""
    ruleset = coopcheck.load_policy("aizu")
    eng = engines.cold(ruleset)[0]
    copy = eng.fresh([])
    assert copy is not ruleset and copy.rules == ruleset.rules
    assert "plans=0, verdicts=0, names=0" in repr(evaluator_for(copy))
    eng.run(copy, [{"action": "use", "data": ["name"], "purpose": "delivery"}])
    gone = weakref.ref(copy)
    del copy
    engines.release()
    gc.collect()
    assert gone() is None


def test_reference_agrees(tiny, synthetic_set, golden_set):
    """The test suite's reference evaluator, when present, decides as coopcheck does."""
    module = engines.reference_module()
    if module is None:
        pytest.skip("tests/support/reference.py not present")
    ruleset, _, _, dicts, expected = tiny
    agree(engines.reference(module, [(TINY, "tiny.policy")], ruleset), dicts, expected)
    ruleset, _, _, dicts, expected, texts = synthetic_set
    agree(engines.reference(module, texts, ruleset), dicts, expected)
    ruleset, dicts, expected = golden_set["aizu"]
    agree(engines.reference(module, engines.ruleset_texts(ruleset), ruleset), dicts, expected)


def test_floors_compute_coopchecks_answers(synthetic_set, golden_set):
    """The dict-lookup floor answers as coopcheck does: from the enumeration of what the
    grants permit (synthetic), from the reference evaluator (shipped)."""
    _, policy, cases, dicts, expected, _ = synthetic_set
    agree(floor.build(synthetic_answers(policy, cases)), dicts, expected)
    module = engines.reference_module()
    for ruleset, dicts, expected in golden_set.values():
        if module is not None:
            ref = engines.reference(module, engines.ruleset_texts(ruleset), ruleset)
            answers = engines.answers(ref, dicts)
        else:
            answers = expected
        agree(floor.build({floor.key(d): a for d, a in zip(dicts, answers)}), dicts, expected)


def test_cli_and_its_floor_write_the_same_bytes():
    """On a small distinct mixed golden stream, ``coopcheck check --json -`` and its floor
    (read + json.loads + look-up + write, in a new process) both write exactly the expected
    decision lines (the check the benchmark makes before timing them)."""
    figures = stream.check_stream(60, repeats=0, time_it=False)
    assert figures["checked"] and figures["output_bytes"] > 0 and "cli_s" not in figures


def test_distinct_valid_stream():
    """The stream's scenarios are valid, distinct once resolved, and expected lines are the
    decision JSON of each."""
    lines, outputs = stream.distinct_valid(50)
    assert len(lines) == len(outputs) == len(set(lines)) == 50
    assert {json.loads(o)["coop"] for o in outputs} <= set(coopcheck.shipped_policies())


def test_synthetic_policy_shape():
    """The synthetic vocabulary has 30 items, 24 parties, 34 purposes and 3 subjects, and a
    policy of N grants compiles to N grants read back with the verbs drawn."""
    policy = from_ruleset(synthetic.load(40)[0])
    assert [len(policy.terms(k)) for k in ("item", "party", "purpose", "subject")] == [30, 24, 34, 3]
    assert len(policy.grants) == 40
    assert {g.verb for g in policy.grants} == {g.verb for g in synthetic.grants(40)}
    assert [g.consent for g in policy.grants] == [g.consent for g in synthetic.grants(40)]


def test_scenarios_are_seeded_distinct_and_balanced():
    """The scenario set is the same on every call, distinct, single-item use/share, and half
    permits."""
    ruleset, _ = synthetic.load(100)
    policy = from_ruleset(ruleset)
    allowed = permitted(policy)
    first = synthetic.scenarios(policy, 200, permitted=allowed)
    assert first == synthetic.scenarios(policy, 200, permitted=allowed)
    assert len(set(first)) == 200
    assert {c.action for c in first} == {"use", "share"}
    assert coopcheck_effects(ruleset, [c.to_json() for c in first]).count("permit") == 100


def test_synthetic_doctests():
    """The examples in the synthetic generator's docstrings hold (bench/ is outside the
    doctest paths)."""
    assert doctest.testmod(synthetic).failed == 0


def test_shipped_policy_is_refused():
    """A ruleset with prohibitions and legal exceptions is not silently mis-encoded."""
    with pytest.raises(Unsupported):
        from_ruleset(coopcheck.load_policy("aizu"))


def test_a_wrong_engine_fails_loudly(tiny):
    """The harness raises before timing when an engine's answers differ."""
    dicts, expected = tiny[3], tiny[4]
    always = Engine("always permit", lambda _state, ds: ["permit"] * len(ds), str)
    with pytest.raises(Disagreement, match="always permit disagrees"):
        timed(always, "tiny", dicts, expected, CHECK, check_only=True)
    assert timed(floor.build({floor.key(d): e for d, e in zip(dicts, expected)}), "tiny", dicts, expected, CHECK,
                 check_only=True).note == CHECKED


def test_check_only_run_prints_every_target(capsys):
    """``python -m bench --check-only`` (in process, small, without the new-process parts)
    checks every engine and prints every target, none of them timed."""
    assert run.main(["--check-only", "--quick", "--no-startup", "--scenarios", "40", "--shipped-scenarios", "20",
                     "--sizes", "10", "--peers", "naive"]) == 0
    text = capsys.readouterr().out
    for name in ("coopcheck decide(dict)", "coopcheck permits(dict)", "floor (dict lookup)", "naive loop",
                 "Shipped policies", "Memo hits"):
        assert name in text
    lines = text[text.index("\nTargets\n"):].splitlines()[4:]
    assert len(lines) == 12 and all(line.rstrip().endswith("NOT MEASURED") for line in lines)


def _result(label, grants, cells, warm=()):
    return PolicyResult(label, grants, 0.0, 10, 5, tuple(Cell(n, us, 10, 10) for n, us in cells),
                        tuple(Cell(n, us, 10, 10) for n, us in warm))


def test_targets_are_judged_and_printed():
    """Each target compares the run's figures with its threshold, and the report prints each
    with MET, MISSED or NOT MEASURED."""
    headline = _result("12 grants", 12, [(floor.NAME, 0.3), (engines.DECIDE, 2.0), (engines.PERMITS, 0.8),
                                         (cedar.NAME, 70.0)])
    shipped = _result("all five", 0, [(floor.NAME, 0.3), (engines.DECIDE, 3.0), (engines.PERMITS, 1.2)])
    figures = {"stream": {"lines": 100_000, "cli_s": 3.0, "floor_s": 1.0},
               "memory": {"lines": 1_000_000, "maxrss_bytes": 150_000_000},
               "compile": {"shipped": {"total_s": 0.2, "parser_s": 0.1, "compile_s": 0.1},
                           "synthetic": {"total_s": 0.9, "parser_s": 0.1, "compile_s": 0.8, "grants": 10_000}}}
    judged = targets.evaluate(headline, shipped, figures)
    assert [t.verdict for t in judged][:6] == ["MISSED", "MET", "MISSED", "MET", "MISSED", "MET"]
    printed = report.target_table(judged).splitlines()[2:8]
    assert [line.split()[-1] for line in printed] == ["MISSED", "MET", "MISSED", "MET", "MISSED", "MET"]
    assert [t.verdict for t in targets.evaluate(_result("12 grants", 12, []), None, {})] == ["NOT MEASURED"] * 12


def test_audit_targets_are_judged_on_a_full_log_only():
    """The audit's targets (events/s, the ratio to reading the columns, the Dask speed-up) are
    judged on a 10M-event log; a shorter one is reported and left unjudged."""
    full = {"events": 10_000_000, "local_s": 4.0, "read_s": 1.0,
            "dask": [{"workers": 1, "seconds": 8.0}, {"workers": 2, "seconds": 4.5}]}
    assert [t.verdict for t in targets.audit_targets(full)] == ["MET", "MISSED", "MET"]
    slow = full | {"local_s": 6.0, "read_s": 2.5, "dask": [{"workers": 1, "seconds": 8.0}, {"workers": 2, "seconds": 6.0}]}
    assert [t.verdict for t in targets.audit_targets(slow)] == ["MISSED", "MET", "MISSED"]
    short = full | {"events": 1_000_000}
    judged = targets.audit_targets(short)
    assert [t.verdict for t in judged] == ["NOT MEASURED"] * 3 and "1,000,000 events" in judged[0].measured


def _has_commit(rev: str) -> bool:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    return subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{rev}^{{commit}}"],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not _has_commit("54afc1c"), reason="needs the repository's history (a shallow clone)")
def test_against_commit_times_both_side_by_side(capsys):
    """``bench.against_commit`` runs the installed ``check --json`` and an earlier commit's tree
    on one golden stream and reports the ratio of each round and whether the bytes agree
    (54afc1c's differ: later commits changed decisions on purpose, as they list)."""
    from bench import against_commit

    assert against_commit.main(["54afc1c", "--lines", "300", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"round 1: now [\d.]+ s, 54afc1c [\d.]+ s: [\d.]+× faster", out), out
    assert "300 lines, 1 rounds" in out and "outputs of the first 300 lines differ" in out


@pytest.mark.skipif(not _has_commit("54afc1c"), reason="needs the repository's history (a shallow clone)")
def test_against_commit_together_times_the_installed_runs_inside_the_earlier_one(capsys):
    """With ``--together``, each round runs the earlier commit once and the installed command
    back to back meanwhile, and times only the runs that fitted inside the earlier one."""
    from bench import against_commit

    assert against_commit.main(["54afc1c", "--lines", "5000", "--rounds", "1", "--together"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"round 1 \(together\): 54afc1c ([\d.]+) s; now ([\d., ]+) s inside it, median ([\d.]+) s: "
                      r"([\d.]+)× faster", out)
    assert found, out
    then, runs, median = float(found.group(1)), [float(t) for t in found.group(2).split(", ")], float(found.group(3))
    assert runs and sum(runs) <= then + 0.1  # back to back, all inside the earlier run
    assert min(runs) <= median <= max(runs)
    assert "5,000 lines, 1 rounds together" in out


@pytest.mark.skipif(not _has_commit("HEAD"), reason="needs the repository's history")
def test_against_commit_refuses_a_tree_that_runs_only_installed():
    """A commit whose entry point is a package mapped at install (``coopcheck`` now) cannot be
    run from its source tree: the tool says so instead of timing the installed one twice."""
    from bench import against_commit

    with pytest.raises(SystemExit, match="runs only once installed"):
        against_commit.main(["HEAD", "--lines", "10", "--rounds", "1"])
