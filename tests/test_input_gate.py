"""One gate for every scenario: malformed input is an input error with a code and a help line,
never decided and never silently dropped — through the API, a hand-built ``Scenario`` and the
CLI alike (docs/input.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopcheck import CoopcheckError, Scenario, decide, decide_many, load_policy, make_scenario, permits

AIZU = load_policy("aizu")
OK = {"action": "use", "data": ["name"], "purpose": "delivery"}


def _error(call) -> tuple[str, str | None]:
    with pytest.raises(CoopcheckError) as info:
        call()
    diag = info.value.diagnostics[0]
    assert diag.help or diag.code in ("E403",), diag  # every refusal says what to do (or what is missing)
    return str(diag.code), info.value.field


@pytest.mark.parametrize("coop", [{}, False, 1, ["kuruko"], 1.5])
def test_a_coop_of_the_wrong_type_is_refused_by_every_api(coop):
    """Defect: a `coop` given as {}, false, 1 or ["kuruko"] was ignored and the scenario decided."""
    for call in (lambda: decide(AIZU, {**OK, "coop": coop}), lambda: permits(AIZU, {**OK, "coop": coop}),
                 lambda: list(decide_many(AIZU, [{**OK, "coop": coop}])),
                 lambda: make_scenario(AIZU, {**OK, "coop": coop})):
        assert _error(call) == ("E404", "coop")


def test_a_coop_that_disagrees_with_the_policy_is_refused():
    assert _error(lambda: decide(AIZU, {**OK, "coop": "kuruko"}))[0] == "E402"
    assert decide(AIZU, {**OK, "coop": "コープあいづ"}).decision == "permit"  # its name is the same co-op


@pytest.mark.parametrize("recipient", ["事業に関連しない第三者", "Unrelated_Third_Party", "unrelated third party"])
def test_a_hand_built_scenario_with_a_label_is_refused_not_permitted(recipient):
    """Defect: a Scenario built directly with a label in place of an id missed the prohibition
    it should meet and was permitted."""
    sc = Scenario("share", ("name",), "delivery", recipient=recipient)
    for call in (lambda: decide(AIZU, sc), lambda: permits(AIZU, sc), lambda: list(decide_many(AIZU, [sc]))):
        code, field = _error(call)
        assert (code, field) == ("E402", "recipient")
    assert not permits(AIZU, make_scenario(AIZU, action="share", data=["name"], recipient=recipient,
                                           purpose="delivery"))


@pytest.mark.parametrize("fields, field", [
    (dict(action="use", items=["name"], purpose="delivery"), "data"),  # a list, not a tuple
    (dict(action="USE", items=("name",), purpose="delivery"), "action"),
    (dict(action="use", items=(), purpose="delivery"), "data"),
    (dict(action="use", items=("name",), purpose=None), "purpose"),
    (dict(action="use", items=("name",), purpose="delivery", consent="yes"), "consent"),
    (dict(action="use", items=("name",), purpose="delivery", exception=1), "exception"),
])
def test_a_scenario_cannot_be_built_with_fields_of_the_wrong_type(fields, field):
    assert _error(lambda: Scenario(**fields)) == ("E404", field)


@pytest.mark.parametrize("sc, field", [
    (Scenario("share", ("name",), "delivery"), "recipient"),
    (Scenario("use", ("name",), "delivery", recipient="jccu"), "recipient"),
    (Scenario("publish", ("name",), "delivery", recipient="jccu"), "recipient"),
    (Scenario("use", ("名前",), "delivery"), "data"),
    (Scenario("use", ("name",), "delivery", subject="組合員"), "subject"),
    (Scenario("use", ("name",), "delivery", exception="by laws"), "exception"),
])
def test_a_hand_built_scenario_is_checked_against_the_policy(sc, field):
    assert _error(lambda: decide(AIZU, sc))[1] == field


def test_a_scenario_and_fields_together_are_refused():
    sc = make_scenario(AIZU, OK)
    assert _error(lambda: decide(AIZU, sc, consent=True))[0] == "E404"


def test_scenario_input_names_one_term_exactly_no_plural_stripping():
    """Defect: "by laws" resolved to by_law by plural stripping (rule files keep plurals)."""
    code, field = _error(lambda: decide(AIZU, {**OK, "exception": "by laws"}))
    assert (code, field) == ("E402", "exception")
    assert decide(AIZU, {**OK, "exception": "by law"}).scenario.exception == "by_law"


def test_error_messages_quote_a_bounded_window_of_the_input():
    huge = "x" * 1_000_000
    for data in ({**OK, "purpose": huge}, {**OK, huge: 1}, {**OK, "action": huge}):
        with pytest.raises(CoopcheckError) as info:
            decide(AIZU, data)
        assert len(info.value.render()) < 1000


def test_names_are_remembered_in_a_bounded_cache():
    from coopcheck.core.evaluator import NAME_LIMIT, Evaluator

    ev = Evaluator(AIZU)
    for n in range(NAME_LIMIT + 500):
        try:
            ev.scenario({**OK, "purpose": f"  delivery{' ' * (n % 7)}#{n}"})
        except CoopcheckError:
            pass
        ev.scenario({**OK, "purpose": "delivery" + " " * (n % 50)}) if n < 50 else None
    assert len(ev._names) <= NAME_LIMIT and len(ev._unknown) <= NAME_LIMIT


MALFORMED = st.fixed_dictionaries({}, optional={
    "coop": st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
                      st.dictionaries(st.text(max_size=2), st.integers(), max_size=1), st.sampled_from(["aizu", "kuruko"])),
    "action": st.one_of(st.sampled_from(["use", "share", "USE", "", "delete"]), st.integers(), st.none()),
    "data": st.one_of(st.lists(st.sampled_from(["name", "購買履歴", "", "nothing"]), max_size=3), st.integers(),
                      st.text(max_size=5)),
    "purpose": st.one_of(st.sampled_from(["delivery", "配達", "", " "]), st.integers(), st.none()),
    "recipient": st.one_of(st.sampled_from(["jccu", "public", "事業に関連しない第三者", ""]), st.integers()),
    "consent": st.one_of(st.booleans(), st.none(), st.integers(), st.text(max_size=3)),
    "exception": st.one_of(st.sampled_from(["by_law", "by laws", ""]), st.none(), st.integers()),
    "extra": st.integers(),
})


@given(MALFORMED)
def test_every_entry_point_answers_alike(data):
    """Property: decide, permits, decide_many and check --json (in-process) either all refuse a
    scenario with the same error code, or all decide it alike."""
    outcomes = []
    for call in (lambda: decide(AIZU, data).decision, lambda: "permit" if permits(AIZU, data) else "deny",
                 lambda: next(decide_many(AIZU, [data])).decision):
        try:
            outcomes.append(call())
        except CoopcheckError as err:
            outcomes.append(("error", str(err.diagnostics[0].code)))
    assert outcomes[0] == outcomes[1] == outcomes[2], outcomes


def _run(*argv, stdin: bytes | None = None, **kw):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen([sys.executable, "-m", "coopcheck", *argv], stdin=subprocess.PIPE if stdin is not None
                            else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, **kw)


def test_cli_coop_all_in_any_case(cli):
    """Defect: --coop ALL was refused whereas --coop AIZU worked."""
    code, out, err = cli("check", "--coop", "ALL", "--action", "use", "--data", "name", "--purpose", "delivery")
    assert code == 0, err
    assert all(c in out for c in ("aizu", "kuruko", "nara"))


def test_cli_accepts_a_byte_order_mark_in_json_input(cli, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes("\ufeff".encode() + json.dumps({"coop": "aizu", **OK}).encode() + b"\n")
    code, out, err = cli("check", "--json", str(path))
    assert code == 0, err
    assert json.loads(out)["decision"] == "permit"


def test_one_byte_order_mark_is_the_files_a_second_is_text(cli, tmp_path):
    """Only the first U+FEFF of the input is a byte-order mark: a second one starts the line's
    text, which is then not JSON (E406) — in ``check --json`` and in the audit alike. (Before,
    ``check`` removed a mark again when it fell back to reading the input whole, and the audit's
    PyArrow reader skipped one of its own; found by the long fuzz run's audit route.)"""
    pytest.importorskip("polars")
    from coopcheck.audit.run import audit

    line = json.dumps({"coop": "aizu", **OK}).encode()
    for marks, code_wanted in ((1, 0), (2, 2)):
        path = tmp_path / f"in{marks}.jsonl"
        path.write_bytes(b"\xef\xbb\xbf" * marks + line + b"\n" + line + b"\n")
        code, out, err = cli("check", "--json", str(path))
        first = json.loads(out.splitlines()[0])
        assert code == code_wanted, err
        assert (first["error"]["code"] if marks == 2 else first["decision"]) == ("E406" if marks == 2 else "permit")
        result = audit([str(path)], keep_events=True)
        assert result.frame.select("row", "decision", "code").rows() == (
            [(1, "error", "E406"), (2, "permit", None)] if marks == 2 else [(1, "permit", None), (2, "permit", None)])


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r\r\n"])
def test_cli_json_lines_are_numbered_alike_from_a_file_and_from_stdin(cli, tmp_path, ending, monkeypatch):
    """Line numbers count "\\n" only, for every line ending, and a file reads as standard input does."""
    lines = [json.dumps({"coop": "aizu", **OK}).encode(), b"{broken", json.dumps({"coop": "aizu", **OK}).encode()]
    raw = ending.join(lines) + ending
    path = tmp_path / "in.jsonl"
    path.write_bytes(raw)
    code, out_file, _ = cli("check", "--json", str(path))
    assert code == 2
    errors = [json.loads(x)["error"] for x in out_file.splitlines() if "error" in json.loads(x)]
    assert [e["line"] for e in errors] == [2]
    proc = _run("check", "--json", "-", stdin=raw)
    out, _ = proc.communicate(raw, timeout=60)
    assert out.decode() == out_file


def test_cli_ctrl_c_exits_130_without_a_traceback(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text((json.dumps({"coop": "aizu", **OK}) + "\n") * 300_000, encoding="utf-8")
    proc = _run("check", "--json", str(path))
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"Traceback" not in err


def test_cli_closed_pipe_exits_quietly(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text((json.dumps({"coop": "aizu", **OK}) + "\n") * 50_000, encoding="utf-8")
    proc = subprocess.run(f'"{sys.executable}" -m coopcheck check --json "{path}" | head -1', shell=True,
                          capture_output=True, timeout=120, executable="/bin/bash")
    assert proc.stdout.count(b"\n") == 1
    assert b"Traceback" not in proc.stderr and b"Error" not in proc.stderr
