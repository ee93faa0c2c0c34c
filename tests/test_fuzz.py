"""The fuzz campaign (tests/support/fuzz.py), short: every entry point (the API, the CLI, the
service and the audit) against the oracle, the reference evaluator and each other, plus rule
files through parse, compile and fmt. The long
run is ``python -m tests.support.fuzz --scenarios 10000000 --rule-files 20000`` (README.md,
"Fuzz campaign").

The harness itself is tested too: fed a deliberately broken entry point, each failure count it
is meant to catch goes up.
"""

from __future__ import annotations

import sys
import time

import attrs
import pytest

import coopcheck
from coopcheck import CoopcheckError, Diagnostic, Effect
from support import fuzz

SEED = 20240601
OK = {"action": "use", "data": ["name"], "purpose": "delivery"}


@pytest.fixture(scope="module")
def campaign() -> fuzz.Campaign:
    """The shipped co-ops, their reference policies and the oracle, loaded once."""
    return fuzz.Campaign()


@pytest.fixture(scope="module")
def short_run(campaign) -> fuzz.Report:
    """The CI profile: 3 000 scenarios (CLI chunks of 1 000 lines) and 50 rule files."""
    return fuzz.run(scenarios=3000, rule_files=50, seed=SEED, cli_chunk=1000, max_cli_restarts=5,
                    campaign=campaign)


def test_the_short_campaign_finds_no_failure(short_run):
    """No malformed scenario decided, no well-formed one refused, no disagreement with the
    reference, the entry points agree, no crash, no hang, fmt keeps every file's meaning."""
    assert short_run.ok, short_run.text()


def test_the_short_campaign_exercises_every_kind(short_run):
    """The run was not vacuous: malformed and well-formed scenarios, permits, denies and
    refusals, every kind of generated input and every entry point, rule files that parse,
    fail to parse, compile, fail to compile and were formatted and compiled again."""
    d = short_run.as_dict()
    s = d["scenarios"]
    assert s["generated"] == 3000
    assert s["oracle"]["malformed"] > 500 and s["oracle"]["well_formed"] > 1200, s["oracle"]
    assert s["permits"] > 300 and s["denies"] > 300 and s["refused"] > 500, s
    assert s["reference_checked"] > 1200, s
    assert set(s["by_kind"]) == {"valid", "mutated", "built", "mismatch", "value", "garbage"}, s["by_kind"]
    for route, counts in d["entry_points"].items():  # the CLI, the service and the audit read JSON lines only
        assert counts.get("sent", 0) > (1500 if route in ("cli", "service", "audit") else 2000), (route, counts)
        assert counts.get("decided", 0) > 800 and counts.get("refused", 0) > 400, (route, counts)
    assert s["cli_chunks"] >= 3
    assert s["service_requests"] >= 3 and s["audit_logs"] >= 3, s
    r = d["rule_files"]
    assert r["generated"] == 50 and r["parse_errors"] and r["compile_errors"], r
    assert r["parsed"] > 15 and r["compiled"] > 10 and r["formatted"] > 15 and r["recompiled"] > 10, r


# ---- the harness is not blind ----------------------------------------------------------------------
class Broken:
    """The real API with some entry points replaced."""

    def __init__(self, **replaced):
        self.decide, self.permits = coopcheck.decide, coopcheck.permits
        self.decide_many, self.make_scenario = coopcheck.decide_many, coopcheck.make_scenario
        self.__dict__.update(replaced)


def _short(campaign, api, **kw) -> fuzz.Report:
    return fuzz.run(scenarios=kw.pop("scenarios", 500), rule_files=0, seed=kw.pop("seed", 7), cli=kw.pop("cli", False),
                    service=kw.pop("service", False), audit=kw.pop("audit", False), api=api, campaign=campaign, **kw)


def _failures(report) -> dict:
    return {k: v for k, v in report.failures.items() if v}


def test_a_decide_that_decides_malformed_input_is_caught(campaign):
    def decide(rs, scenario=None, /, **fields):
        try:
            return coopcheck.decide(rs, scenario, **fields)
        except CoopcheckError:
            return coopcheck.decide(rs, OK)  # decides something instead of refusing

    failures = _failures(_short(campaign, Broken(decide=decide)))
    assert failures.get("malformed_decided") and failures.get("inconsistent"), failures


def test_a_make_scenario_that_refuses_good_names_is_caught(campaign):
    def make_scenario(rs, mapping=None, /, **fields):
        merged = {**(mapping or {}), **fields} if isinstance(mapping, dict) or mapping is None else mapping
        if isinstance(merged, dict) and any(isinstance(v, str) and v != v.lower() for v in merged.values()):
            raise CoopcheckError([Diagnostic("E402", "no capitals", None, None)])
        return coopcheck.make_scenario(rs, mapping, **fields)

    failures = _failures(_short(campaign, Broken(make_scenario=make_scenario)))
    assert failures.get("wrongly_refused") and failures.get("inconsistent"), failures


def test_a_permits_that_flips_one_answer_is_caught(campaign):
    def permits(rs, scenario=None, /, **fields):
        answer = coopcheck.permits(rs, scenario, **fields)
        return not answer if isinstance(scenario, dict) and scenario.get("consent") is True else answer

    failures = _failures(_short(campaign, Broken(permits=permits)))
    assert failures.get("inconsistent"), failures


def test_a_decision_that_differs_from_the_reference_is_caught(campaign):
    def decide(rs, scenario=None, /, **fields):
        d = coopcheck.decide(rs, scenario, **fields)
        if "photo" in d.scenario.items:
            return attrs.evolve(d, decision=Effect.DENY if d.permitted else Effect.PERMIT)
        return d

    failures = _failures(_short(campaign, Broken(decide=decide)))
    assert failures.get("disagreements") and failures.get("inconsistent"), failures


def test_a_crash_and_a_hang_are_caught(campaign):
    def decide_many(rs, scenarios):
        for sc in scenarios:
            if isinstance(sc, dict) and sc.get("consent") is False:
                raise KeyError("consent")
            yield from coopcheck.decide_many(rs, [sc])

    slow = []

    def decide(rs, scenario=None, /, **fields):
        if not slow:  # the first call spins for 0.3 s of CPU time
            slow.append(time.thread_time())
            while time.thread_time() - slow[0] < 0.3:
                pass
        return coopcheck.decide(rs, scenario, **fields)

    failures = _failures(_short(campaign, Broken(decide_many=decide_many, decide=decide), hang_seconds=0.2))
    assert failures.get("crashes") and failures.get("hangs"), failures


BROKEN_CLI = '''
import subprocess, sys
done = subprocess.run([sys.executable, "-m", "coopcheck", *sys.argv[1:]], stdin=sys.stdin, capture_output=True)
out = done.stdout.decode("utf-8").split("\\n")
permits = 0
for n, line in enumerate(out):
    if '"decision": "permit"' in line:
        permits += 1
        if permits % 5 == 0:
            out[n] = line.replace('"decision": "permit"', '"decision": "deny"', 1)
sys.stdout.write("\\n".join(out))
sys.stderr.write(done.stderr.decode("utf-8"))
sys.exit(done.returncode)
'''


def test_a_cli_that_changes_its_answers_is_caught(campaign, tmp_path, monkeypatch):
    script = tmp_path / "broken_cli.py"
    script.write_text(BROKEN_CLI, encoding="utf-8")
    monkeypatch.setattr(campaign, "cli_command", [sys.executable, str(script)])
    failures = _failures(_short(campaign, None, scenarios=300, cli=True, cli_chunk=300))
    assert failures.get("inconsistent"), failures


def _signatures(report, kind: str, words: str) -> int:
    """How many failures of ``kind`` have a signature with ``words`` in it."""
    return sum(n for sig, n in report.signatures[kind].items() if words in sig)


def test_a_service_that_flips_decisions_is_caught(campaign, monkeypatch):
    """The service's answers are compared with the other routes' (decision JSON, less the
    service's revision and decision_id): one that flips the consented decisions is caught."""
    import coopcheck.serve.answers as app

    real = app.Work.decide
    swap = {b'"decision": "permit"': b'"decision": "deny"', b'"decision": "deny"': b'"decision": "permit"'}

    def decide(self, items):
        out = real(self, items)
        for obj, answer in zip(items, out):
            if isinstance(answer, app.Answered) and isinstance(obj, dict) and obj.get("consent") is True:
                for was, now in swap.items():
                    if was in answer.json:
                        answer.json = answer.json.replace(was, now)
                        break
        return out

    monkeypatch.setattr(app.Work, "decide", decide)
    report = _short(campaign, None, scenarios=300, service=True)
    assert report.routes["service"]["sent"] > 200, report.routes["service"]
    assert _signatures(report, "inconsistent", "service decided otherwise") > 5, report.text()


def test_an_audit_that_flips_decisions_is_caught(campaign, monkeypatch):
    """Each audited event's outcome is compared with ``decide``'s, and the findings with those
    its decisions give: an audit that permits the consented denies is caught both ways (the
    outcome differs, and the findings miss those denies)."""
    from coopcheck.audit.cases import Outcome, PolicySet

    real = PolicySet._decide

    def _decide(self, fields):
        out = real(self, fields)
        return Outcome("permit", out.coop) if out.status == "deny" and fields.get("consent") else out

    monkeypatch.setattr(PolicySet, "_decide", _decide)
    report = _short(campaign, None, scenarios=300, audit=True)
    assert report.routes["audit"]["sent"] > 200, report.routes["audit"]
    assert _signatures(report, "inconsistent", "the audit decided otherwise") > 5, report.text()
    assert _signatures(report, "inconsistent", "a finding differs") > 0, report.text()


def test_the_oracle_reads_names_as_docs_input_md_says(campaign):
    """The oracle's own readings, on the examples docs/input.md gives."""
    oracle = campaign.oracle

    def judge(**fields):
        return oracle.judge({"action": "use", "data": ["name"], "purpose": "delivery", **fields}, "aizu")

    ok = judge(data=["purchase-history", "Purchase History", "PURCHASE_HISTORY", "purchase  history", "購買履歴"])
    assert ok.status == "ok" and ok.resolved["items"] == ("purchase_history",)
    assert judge(action=" USE ").resolved["action"] == "use"
    assert judge(action="share", recipient="ＪＣＣＵ").resolved["recipient"] == "jccu"
    assert judge(action="share", recipient="日本生協連").resolved["recipient"] == "jccu"
    assert judge(exception="by laws").problems == [("E402", "exception")]
    assert judge(coop="aizus").status == "bad"
    assert judge(coop="コープあいづ").resolved["policy"] == "aizu"
    assert judge(consent="true").problems == [("E404", "consent")]
    assert judge(purpose="").problems == [("E404", "purpose")]
    assert judge(extra=1).problems == [("E401", "extra")]
    assert judge(action="use", recipient="jccu").problems == [("E405", "recipient")]
    assert judge(data=["x" * 201]).problems == [("E402", "data")]
    assert judge(data=["name\t"]).status == "unspecified"  # "spaces" are trimmed; a tab, the text does not say
    assert oracle.judge_built({"action": "share", "items": ("name",), "purpose": "delivery",
                               "recipient": "事業に関連しない第三者"}, "aizu").problems == [("E402", "recipient")]


def test_a_case_can_be_shown_again_in_full():
    """``--show N`` regenerates case N of a run (same seed and chunk size)."""
    shown = fuzz.show_case(5, SEED, 1000)
    assert '"case": 5' in shown and "oracle" in shown


def test_a_run_shared_by_processes_checks_the_same_cases():
    """``--processes N`` deals slices of chunks out to N worker processes, a fresh one per slice:
    the merged report counts exactly what one process running every chunk counts (same cases,
    same outcomes), and a failure found by any part reaches the merged report."""
    options = dict(cli_chunk=150, cli=False, service=False, audit=False)
    one = fuzz.run(600, 0, 11, **options)
    shared = fuzz.run_parallel(600, 0, 11, 2, quiet=True, slice_chunks=1, **options)

    def counted(report):
        d = report.as_dict()
        return d["failures"], d["scenarios"], d["entry_points"]

    assert counted(shared) == counted(one) and one.counts["scenarios"] == 600
    assert shared.params["slice_chunks"] == 1
    part = fuzz.Report(600, 0, 11, 150)
    part.fail("crashes", {"case": 3, "route": "decide", "error": "KeyError: 'x'"})
    shared.merge(part)
    assert shared.failures["crashes"] == 1 and shared.as_dict()["examples"]["crashes"][0]["case"] == 3


def test_a_run_with_a_state_folder_can_be_made_in_sittings(tmp_path):
    """``--state DIR`` keeps each finished slice's report: a run stopped part way and started
    again runs only the slices not kept, and its merged report counts exactly what one
    uninterrupted process counts; a kept slice of another run is refused, not merged."""
    options = dict(cli_chunk=150, cli=False, service=False, audit=False)
    one = fuzz.run(600, 3, 12, **options)
    state = tmp_path / "state"
    first = fuzz.run_parallel(600, 3, 12, 2, quiet=True, slice_chunks=1, state=state, **options)
    kept = sorted(f.name for f in state.iterdir())
    assert kept == ["chunks-00000-00000.json", "chunks-00001-00001.json", "chunks-00002-00002.json",
                    "chunks-00003-00003.json", "rule-files.json"]
    (state / "chunks-00002-00002.json").unlink()  # as if stopped before that slice was done
    written = {f.name: f.stat().st_mtime_ns for f in state.iterdir()}
    second = fuzz.run_parallel(600, 3, 12, 2, quiet=True, slice_chunks=1, state=state, **options)
    rewritten = {f.name for f in state.iterdir() if written.get(f.name) != f.stat().st_mtime_ns}

    def counted(report):
        d = report.as_dict()
        return d["failures"], d["scenarios"], d["entry_points"], d["rule_files"]

    assert counted(first) == counted(one) and counted(second) == counted(one)
    assert rewritten == {"chunks-00002-00002.json"}  # only the missing slice ran again
    assert second.elapsed["scenarios"] > 0
    with pytest.raises(SystemExit, match="another run"):
        fuzz.run_parallel(600, 0, 13, 2, quiet=True, slice_chunks=1, state=state, **options)


def test_a_worker_process_that_dies_is_a_crash_not_a_hung_run(monkeypatch):
    """A worker killed by a signal (as PyArrow's reader once killed the audit's) sends no
    report: the run goes on with the other slices and counts the death as a crash, with the
    chunks it was running."""
    import os
    import signal

    real_run = fuzz.run

    def dying_run(*args, **kwargs):
        if kwargs.get("only") == range(1, 2):
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel does out of memory
        return real_run(*args, **kwargs)

    monkeypatch.setattr(fuzz, "run", dying_run)  # the forked workers inherit it
    report = fuzz.run_parallel(450, 0, 14, 2, quiet=True, slice_chunks=1, cli_chunk=150, cli=False,
                               service=False, audit=False)
    assert report.failures["crashes"] == 1 and not report.ok
    assert report.as_dict()["examples"]["crashes"][0]["chunks"] == [1, 1]
    assert "SIGKILL" in report.as_dict()["examples"]["crashes"][0]["error"]
    assert report.counts["scenarios"] == 300 and report.counts["worker_unchecked"] == 150


def test_the_cpu_limit_running_out_inside_a_collection_is_not_a_hang(monkeypatch):
    """The hard CPU limit firing while the cycle collector runs (the harness's own heap, not the
    call's work) grants the call more time instead of counting it as hung."""
    monkeypatch.setattr(fuzz.GC_CLOCK, "_start", 0.0)  # as if a collection were under way
    fired = []
    monkeypatch.setattr(fuzz.signal, "setitimer", lambda which, seconds: fired.append(seconds))
    fuzz._on_alarm(fuzz.signal.SIGPROF, None)
    assert fired == [fuzz.HANG_GRACE]
    monkeypatch.setattr(fuzz.GC_CLOCK, "_start", None)
    with pytest.raises(fuzz._Hang):
        fuzz._on_alarm(fuzz.signal.SIGPROF, None)


def test_a_line_starting_with_a_byte_order_mark_keeps_it_in_the_audits_log(campaign):
    """A case line that starts with U+FEFF is not JSON (E406 everywhere). When it is the first
    line of a log the harness writes for the audit, the audit would rightly read that mark as
    the file's byte-order mark and decide the line (a false 'malformed decided' of the long run
    of seed 20261203, case 250001): the harness gives such a log a byte-order mark of its own."""
    import json

    line = "\ufeff" + json.dumps({"coop": "kuruko", "action": "use", "data": ["name"], "purpose": "delivery"})
    case = campaign.generator._json_case(0, "garbage", "aizu", line)
    assert case.verdict.status == "bad" and case.verdict.expected_code() == "E406"
    report = fuzz.Report(1, 0, 0, 1)
    campaign._audit_sets = {}
    campaign._audit_log("lines", [(case.line, case, None, case.verdict, ("err", "E406"))], 0, "aizu", report)
    assert report.counts["audit_logs"] == 1 and report.ok, report.text()
