"""The ``coopcheck`` command line, run in-process through :func:`coopcheck.cli.main.main`.

Covers the CLI contract (README.md "Checking scenarios"; decisions and input errors as in
docs/semantics.md §6.1 and §2.2): ``check`` with flags and with JSON (one object or JSON
Lines), exit codes (0 decided, 1 ``--fail-on-deny``/failing tests, 2 input errors), error
objects with suggestions, ``--coop all``, and the ``test`` subcommand. One test runs
``python -m coopcheck`` as a subprocess to prove the module entry point works.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from coopcheck import decide, load_policy, shipped_policies
from coopcheck.cli.main import main

REPO = Path(__file__).resolve().parents[1]
CLAUSE = "指針2 ◇商品・サービスの提供に関わっての共同利用"
JCCU_FLAGS = ["check", "--coop", "aizu", "--action", "share", "--data", "購買履歴",
              "--recipient", "日本生協連", "--purpose", "delivery"]
JCCU = {"coop": "aizu", "action": "share", "data": ["購買履歴"], "recipient": "日本生協連",
        "purpose": "delivery"}
KYOSAI = {"coop": "aizu", "action": "share", "data": ["purchase_history"], "recipient": "coop_kyosai",
          "purpose": "delivery"}
USE_NAME = {"action": "use", "data": ["name"], "purpose": "delivery"}
CONTRACT_FIELDS = {"coop", "decision", "basis", "obligations", "citations", "reasons",
                   "would_permit_with_consent", "items"}
BASES = {"purpose", "joint_use", "entrustment", "consent", "legal_exception", "none", "mixed"}


def jsonl(*objs) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n" for o in objs)


def parse_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def assert_decision_contract(d: dict) -> None:
    assert CONTRACT_FIELDS <= d.keys()
    assert d["decision"] in ("permit", "deny")
    assert d["basis"] in BASES
    assert isinstance(d["obligations"], list) and all(isinstance(o, str) for o in d["obligations"])
    assert isinstance(d["citations"], list) and all(isinstance(c, str) for c in d["citations"])
    assert isinstance(d["reasons"], list) and d["reasons"] and all(isinstance(r, str) for r in d["reasons"])
    if d["decision"] == "permit":
        assert d["would_permit_with_consent"] is None
        assert d["basis"] != "none"
    else:
        assert isinstance(d["would_permit_with_consent"], bool)
        assert d["basis"] == "none"
    assert isinstance(d["items"], list) and d["items"]
    for item in d["items"]:
        assert {"item", "decision", "basis", "rule"} <= item.keys()
        assert item["decision"] in ("permit", "deny")
        assert item["basis"] in BASES


def assert_error(obj: dict, line: int | None = None) -> dict:
    assert set(obj) == {"error"}, obj
    err = obj["error"]
    assert re.fullmatch(r"E\d{3}", err["code"]), err
    assert err["message"]
    if line is not None:
        assert err["line"] == line
    return err


# ---- check, flags form ---------------------------------------------------------------------

def test_flags_permit_text(cli):
    code, out, err = cli(*JCCU_FLAGS)
    assert code == 0, err
    assert "PERMIT" in out and "DENY" not in out
    assert "joint_use" in out
    assert CLAUSE in out
    assert "purchase_history (購買履歴)" in out
    assert "jccu (日本生活協同組合連合会)" in out
    assert err == ""


def test_flags_deny_exit_codes(cli):
    argv = ["check", "--coop", "aizu", "--action", "share", "--data", "購買履歴",
            "--recipient", "coop_kyosai", "--purpose", "delivery"]
    code, out, _ = cli(*argv)
    assert code == 0
    assert "DENY" in out and "PERMIT" not in out
    assert "coop_kyosai (日本コープ共済生活協同組合連合会)" in out
    code, out, _ = cli(*argv, "--fail-on-deny")
    assert code == 1
    assert "DENY" in out


def test_flags_permit_with_fail_on_deny_exits_0(cli):
    assert cli(*JCCU_FLAGS, "--fail-on-deny")[0] == 0


def test_flags_format_json(cli):
    code, out, _ = cli(*JCCU_FLAGS, "--format", "json")
    assert code == 0
    [d] = parse_lines(out)
    assert_decision_contract(d)
    assert (d["coop"], d["decision"], d["basis"]) == ("aizu", "permit", "joint_use")
    assert f"aizu {CLAUSE}" in d["citations"]
    assert [i["item"] for i in d["items"]] == ["purchase_history"]


def test_flags_two_data_items(cli):
    code, out, _ = cli("check", "--coop", "aizu", "--action", "share", "--data", "購買履歴, resume",
                       "--recipient", "jccu", "--purpose", "delivery", "--format", "json")
    assert code == 0
    [d] = parse_lines(out)
    assert_decision_contract(d)
    items = {i["item"]: i for i in d["items"]}
    assert list(items) == ["purchase_history", "resume"]
    assert items["purchase_history"]["decision"] == "permit"
    assert items["purchase_history"]["basis"] == "joint_use"
    assert items["resume"]["decision"] == "deny"
    assert d["decision"] == "deny"  # item by item: permitted only if every item is


def test_flags_two_data_items_text_names_both(cli):
    code, out, _ = cli("check", "--coop", "aizu", "--action", "use", "--data", "name,購買履歴",
                       "--purpose", "delivery")
    assert code == 0
    assert "PERMIT" in out
    assert "name (氏名)" in out and "purchase_history (購買履歴)" in out


def test_flags_consent(cli):
    base = ["check", "--coop", "aizu", "--action", "share", "--data", "name",
            "--recipient", "foreign_third_party", "--purpose", "delivery", "--format", "json"]
    [without] = parse_lines(cli(*base)[1])
    assert without["decision"] == "deny"
    assert without["would_permit_with_consent"] is True
    code, out, _ = cli(*base, "--consent")
    assert code == 0
    [with_] = parse_lines(out)
    assert (with_["decision"], with_["basis"]) == ("permit", "consent")
    code, out, _ = cli(*base[:-2], "--consent")
    assert "PERMIT" in out and "with consent" in out


def test_flags_exception(cli):
    base = ["check", "--coop", "aizu", "--action", "share", "--data", "name",
            "--recipient", "public_authority", "--purpose", "legal_compliance"]
    [without] = parse_lines(cli(*base, "--format", "json")[1])
    assert without["decision"] == "deny"
    code, out, _ = cli(*base, "--exception", "by_law", "--format", "json")
    assert code == 0
    [d] = parse_lines(out)
    assert (d["decision"], d["basis"]) == ("permit", "legal_exception")
    assert d.get("scenario", {}).get("exception", "by_law") == "by_law"
    code, out, _ = cli(*base, "--exception", "法令に基づく場合")
    assert code == 0 and "PERMIT" in out and "legal_exception" in out


def test_flags_subject(cli):
    base = ["check", "--coop", "aizu", "--action", "use", "--data", "name"]
    code, out, _ = cli(*base, "--subject", "職員", "--purpose", "employment_management")
    assert code == 0
    assert "PERMIT" in out and "employee (職員)" in out
    # the default subject is member, whose data is not for employment management
    [member] = parse_lines(cli(*base, "--purpose", "employment_management", "--format", "json")[1])
    assert member["decision"] == "deny"
    # employees' data is not for delivery
    [emp] = parse_lines(cli(*base, "--subject", "employee", "--purpose", "delivery", "--format", "json")[1])
    assert emp["decision"] == "deny"


def test_flags_coop_by_name(cli):
    code, out, _ = cli("check", "--coop", "コープあいづ", *JCCU_FLAGS[3:])
    assert code == 0 and "PERMIT" in out and "aizu" in out


@pytest.mark.parametrize("argv, word", [
    (["--data", "購買履", "--recipient", "jccu"], "purchase_history"),
    (["--data", "購買履歴", "--recipient", "jccuu"], "jccu"),
])
def test_flags_unknown_term_is_error_not_deny(cli, argv, word):
    code, out, err = cli("check", "--coop", "aizu", "--action", "share", *argv, "--purpose", "delivery")
    assert code == 2
    assert "DENY" not in out and "PERMIT" not in out
    assert "did you mean" in err and word in err


def test_flags_unknown_action(cli):
    code, out, err = cli("check", "--coop", "aizu", "--action", "shar", "--data", "name",
                         "--recipient", "jccu", "--purpose", "delivery")
    assert code == 2 and out == ""
    assert "share" in err


def test_flags_share_without_recipient(cli):
    code, out, err = cli("check", "--coop", "aizu", "--action", "share", "--data", "name",
                         "--purpose", "delivery")
    assert code == 2 and out == ""
    assert "recipient" in err


# ---- --coop all / unknown co-op --------------------------------------------------------------

def _table_first_cells(out: str) -> list[str]:
    cells = []
    for line in out.splitlines():
        if line.startswith("│"):
            cells.append(line.split("│")[1].strip())
    return cells


def test_coop_all_flags_table(cli):
    ids = shipped_policies()
    assert ids
    code, out, _ = cli("check", "--coop", "all", *JCCU_FLAGS[3:])
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("┌") and lines[-1].startswith("└")  # a tabulate grid
    cells = [c for c in _table_first_cells(out) if c]
    assert cells[0] == "co-op"
    assert sorted(cells[1:]) == sorted(ids)  # one row per shipped policy
    assert sum(1 for line in lines if line.startswith("├")) == len(ids)
    scenario = {"action": "share", "data": ["購買履歴"], "recipient": "日本生協連", "purpose": "delivery"}
    for line in lines:  # each co-op's row shows that co-op's own decision
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] in ids:
            assert cells[2] == decide(load_policy(cells[1]), scenario).decision.upper(), line


def test_coop_all_flags_json(cli):
    code, out, _ = cli("check", "--coop", "all", *JCCU_FLAGS[3:], "--format", "json")
    assert code == 0
    decisions = parse_lines(out)
    assert [d["coop"] for d in decisions] == shipped_policies()
    for d in decisions:
        assert_decision_contract(d)


@pytest.fixture
def two_policies(tmp_path, monkeypatch):
    """Ship a second, tiny policy next to the real ones (copied into tmp_path)."""
    import coopcheck.core.paths

    real = coopcheck.core.paths.policies_dir()
    folder = tmp_path / "policies"
    folder.mkdir()
    for p in real.glob("*.policy"):
        (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    extra = "tiny_coop"  # a co-op the vocabulary does not list: its policy id is its own
    (folder / f"{extra}.policy").write_text(
        f"policy {extra}\nimport vocabulary\nimport appi\n\nname may be used for delivery   [clause 1]\n",
        encoding="utf-8")
    monkeypatch.setattr(coopcheck.core.paths, "policies_dir", lambda: folder)
    assert extra in shipped_policies()
    return extra


def test_coop_all_with_more_policies(cli, two_policies):
    ids = shipped_policies()
    assert len(ids) >= 2
    code, out, _ = cli("check", "--coop", "all", *JCCU_FLAGS[3:])
    assert code == 0
    cells = [c for c in _table_first_cells(out) if c]
    assert sorted(cells[1:]) == sorted(ids)
    assert "DENY" in out and "PERMIT" in out  # the tiny policy grants no joint use
    assert cli("check", "--coop", "all", *JCCU_FLAGS[3:], "--fail-on-deny")[0] == 1
    code, out, _ = cli("check", "--json", "-", stdin=jsonl({**JCCU, "coop": "all"}, {**USE_NAME, "coop": "all"}))
    assert code == 0
    decisions = parse_lines(out)
    assert [d["coop"] for d in decisions] == ids + ids
    tiny = [d for d in decisions if d["coop"] == two_policies]
    assert [d["decision"] for d in tiny] == ["deny", "permit"]
    assert tiny[1]["citations"] == [f"{two_policies} clause 1"]


def test_coop_unknown(cli):
    code, out, err = cli("check", "--coop", "nosuch", *JCCU_FLAGS[3:])
    assert code == 2
    assert out == ""
    assert "nosuch" in err
    assert any(pid in err for pid in shipped_policies())  # suggests the shipped policies


def test_coop_misspelt_did_you_mean(cli):
    code, _, err = cli("check", "--coop", "aizuu", *JCCU_FLAGS[3:])
    assert code == 2
    assert "did you mean" in err and "aizu" in err


# ---- check --json --------------------------------------------------------------------------

def test_json_stdin_one_object_full_contract(cli):
    code, out, err = cli("check", "--json", "-", stdin=json.dumps(JCCU, ensure_ascii=False))
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert_decision_contract(d)
    assert d["coop"] == "aizu"
    assert d["decision"] == "permit"
    assert d["basis"] == "joint_use"
    assert f"aizu {CLAUSE}" in d["citations"]
    assert all(c.startswith("aizu ") for c in d["citations"])
    assert d["would_permit_with_consent"] is None
    assert d["items"][0]["item"] == "purchase_history"
    assert d["items"][0]["decision"] == "permit"
    assert d["items"][0]["basis"] == "joint_use"
    assert isinstance(d["items"][0]["rule"], str) and d["items"][0]["rule"]


def test_json_deny_contract(cli):
    code, out, _ = cli("check", "--json", "-", stdin=json.dumps(KYOSAI))
    assert code == 0
    [d] = parse_lines(out)
    assert_decision_contract(d)
    assert (d["decision"], d["basis"]) == ("deny", "none")
    assert d["would_permit_with_consent"] is True
    assert d["items"][0]["rule"] is None


def test_json_pretty_printed_object(cli):
    code, out, _ = cli("check", "--json", "-", stdin=json.dumps(JCCU, ensure_ascii=False, indent=2))
    assert code == 0
    [d] = parse_lines(out)
    assert d["decision"] == "permit"


def test_json_lines_from_file_same_order(cli, tmp_path):
    scenarios = [
        {**USE_NAME, "coop": "aizu"},
        KYOSAI,
        JCCU,
        {**USE_NAME, "coop": "aizu", "subject": "employee"},
        {**KYOSAI, "consent": True},
    ]
    f = tmp_path / "scenarios.jsonl"
    f.write_text(jsonl(*scenarios), encoding="utf-8")
    code, out, _ = cli("check", "--json", str(f))
    assert code == 0
    decisions = parse_lines(out)
    assert len(out.splitlines()) == len(scenarios)
    for d in decisions:
        assert_decision_contract(d)
    assert [d["decision"] for d in decisions] == ["permit", "deny", "permit", "deny", "permit"]
    assert [d["basis"] for d in decisions] == ["purpose", "none", "joint_use", "none", "consent"]


def test_json_lines_blank_lines_ignored(cli):
    code, out, _ = cli("check", "--json", "-", stdin="\n" + jsonl(JCCU) + "\n\n" + jsonl(KYOSAI))
    assert code == 0
    assert [d["decision"] for d in parse_lines(out)] == ["permit", "deny"]


def test_json_malformed_line_among_good_ones(cli):
    text = jsonl(JCCU, '{"coop": "aizu", "action": ', KYOSAI)
    code, out, _ = cli("check", "--json", "-", stdin=text)
    assert code == 2
    first, bad, last = parse_lines(out)
    assert first["decision"] == "permit"
    err = assert_error(bad, line=2)
    assert "JSON" in err["message"]
    assert last["decision"] == "deny"


@pytest.mark.parametrize("change, field, word", [
    ({"data": ["購買履"]}, "data", "purchase_history"),
    ({"recipient": "jccuu"}, "recipient", "jccu"),
    ({"purpose": "delivry"}, "purpose", "delivery"),
    ({"action": "shar"}, "action", "share"),
])
def test_json_unknown_term_is_error_not_deny(cli, change, field, word):
    code, out, _ = cli("check", "--json", "-", stdin=jsonl({**JCCU, **change}))
    assert code == 2
    [obj] = parse_lines(out)
    err = assert_error(obj, line=1)
    assert "decision" not in obj
    assert err.get("field") == field
    assert "did you mean" in err["help"] and word in err["help"]


def test_json_unknown_term_among_good_lines(cli):
    code, out, _ = cli("check", "--json", "-", stdin=jsonl(JCCU, {**JCCU, "recipient": "jccuu"}, JCCU))
    assert code == 2
    a, bad, c = parse_lines(out)
    assert a["decision"] == c["decision"] == "permit"
    assert "did you mean" in assert_error(bad, line=2)["help"]


def test_json_unknown_field(cli):
    scenario = {"coop": "aizu", "action": "use", "data": ["name"], "purpse": "delivery"}
    code, out, _ = cli("check", "--json", "-", stdin=jsonl(scenario))
    assert code == 2
    err = assert_error(parse_lines(out)[0], line=1)
    assert "purpse" in err["message"]
    assert "purpose" in err["help"]


def test_json_missing_recipient_for_share(cli):
    scenario = {k: v for k, v in JCCU.items() if k != "recipient"}
    code, out, _ = cli("check", "--json", "-", stdin=jsonl(scenario))
    assert code == 2
    err = assert_error(parse_lines(out)[0], line=1)
    assert "recipient" in err["message"]


def test_json_coop_all(cli):
    ids = shipped_policies()
    code, out, _ = cli("check", "--json", "-", stdin=jsonl({**JCCU, "coop": "all"}))
    assert code == 0
    decisions = parse_lines(out)
    assert len(decisions) == len(ids)
    assert [d["coop"] for d in decisions] == ids
    for d in decisions:
        assert_decision_contract(d)


def test_json_coop_all_then_one(cli):
    ids = shipped_policies()
    code, out, _ = cli("check", "--json", "-", stdin=jsonl({**JCCU, "coop": "all"}, KYOSAI))
    assert code == 0
    decisions = parse_lines(out)
    assert len(decisions) == len(ids) + 1
    assert decisions[-1]["coop"] == "aizu" and decisions[-1]["decision"] == "deny"


def test_json_terms_by_id_label_alias_agree(cli):
    spellings = [
        {"data": ["purchase_history"], "recipient": "jccu", "purpose": "delivery"},
        {"data": ["購買履歴"], "recipient": "日本生活協同組合連合会", "purpose": "商品のお届け・発送・サービスの提供"},
        {"data": ["商品購買履歴"], "recipient": "日本生協連", "purpose": "delivery"},
        {"data": ["商品購買履歴"], "recipient": "JCCU", "purpose": "delivery"},
    ]
    text = jsonl(*({"coop": "aizu", "action": "share", **s} for s in spellings))
    code, out, _ = cli("check", "--json", "-", stdin=text)
    assert code == 0
    decisions = parse_lines(out)
    assert len(decisions) == len(spellings)
    assert all(d == decisions[0] for d in decisions)
    assert (decisions[0]["decision"], decisions[0]["basis"]) == ("permit", "joint_use")


def test_json_fail_on_deny(cli):
    code, _, _ = cli("check", "--json", "-", "--fail-on-deny", stdin=jsonl(JCCU, KYOSAI))
    assert code == 1
    code, out, _ = cli("check", "--json", "-", "--fail-on-deny", stdin=jsonl(JCCU, JCCU))
    assert code == 0 and len(parse_lines(out)) == 2
    code, _, _ = cli("check", "--json", "-", stdin=jsonl(JCCU, KYOSAI))
    assert code == 0


def test_json_input_error_beats_fail_on_deny(cli):
    code, out, _ = cli("check", "--json", "-", "--fail-on-deny", stdin=jsonl(KYOSAI, "{nope"))
    assert code == 2
    deny, bad = parse_lines(out)
    assert deny["decision"] == "deny"
    assert_error(bad, line=2)


def test_json_coop_from_flag(cli):
    code, out, _ = cli("check", "--json", "-", "--coop", "aizu", stdin=jsonl(USE_NAME))
    assert code == 0
    [d] = parse_lines(out)
    assert d["coop"] == "aizu" and d["decision"] == "permit"


def test_json_missing_coop(cli):
    code, out, _ = cli("check", "--json", "-", stdin=jsonl(USE_NAME, {**USE_NAME, "coop": "aizu"}))
    assert code == 2
    bad, good = parse_lines(out)
    err = assert_error(bad, line=1)
    assert "coop" in err["message"]
    assert good["decision"] == "permit"


def test_json_unknown_coop(cli):
    code, out, _ = cli("check", "--json", "-", stdin=jsonl({**JCCU, "coop": "aizuu"}))
    assert code == 2
    err = assert_error(parse_lines(out)[0], line=1)
    assert "did you mean" in err["help"]


@pytest.mark.parametrize("text", ["[1,2]", '"x"', "3", "null", "true", '[1,2]\n"x"\n', '{"a": 1}\n[1]\n'])
def test_json_non_object_is_error_object(cli, text):
    code, out, err = cli("check", "--json", "-", stdin=text)
    assert code == 2
    objs = parse_lines(out)
    assert objs
    for obj in objs:
        assert_error(obj)


@pytest.mark.parametrize("field, value", [
    ("data", []), ("data", [1]), ("data", "name"), ("consent", "yes"), ("action", 3),
    ("purpose", ""), ("exception", 5), ("coop", 7),
])
def test_json_bad_field_values(cli, field, value):
    scenario = {"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery", field: value}
    code, out, _ = cli("check", "--json", "-", stdin=jsonl(scenario))
    [obj] = parse_lines(out)
    if field == "data" and value == "name":  # a single string is accepted as one item
        assert code == 0 and obj["decision"] == "permit"
    else:
        assert code == 2
        assert_error(obj, line=1)


@pytest.mark.parametrize("text", ["", "\n", "  \n\n"])
def test_json_empty_input(cli, text):
    """Empty input is an input error (it used to pass silently with exit 0); an empty JSON
    array is a request with no scenarios, answered with nothing."""
    code, out, err = cli("check", "--json", "-", stdin=text)
    assert (code, out) == (2, "") and "no scenarios" in err
    assert cli("check", "--json", "-", stdin="[]") == (0, "", "")


def test_json_missing_file(cli, tmp_path):
    code, out, err = cli("check", "--json", str(tmp_path / "nope.jsonl"))
    assert code == 2 and out == ""
    assert "nope.jsonl" in err


def test_json_format_text(cli):
    code, out, _ = cli("check", "--json", "-", "--format", "text", stdin=jsonl(JCCU, "{bad"))
    assert code == 2
    assert "PERMIT" in out and CLAUSE in out
    assert "line 2" in out


def test_json_file_not_utf8(cli, tmp_path):
    f = tmp_path / "latin1.jsonl"
    f.write_bytes(b'{"coop": "aizu", "action": "use", "data": ["\xff"], "purpose": "delivery"}\n')
    code, out, err = cli("check", "--json", str(f))
    assert code == 2 and "not UTF-8" in err


def test_json_deeply_nested(cli):
    code, out, _ = cli("check", "--json", "-", stdin="[" * 100_000 + "\n")
    assert code == 2
    assert_error(parse_lines(out)[0])


# ---- usage errors --------------------------------------------------------------------------

@pytest.mark.parametrize("drop", ["--coop", "--action", "--data", "--purpose"])
def test_missing_required_flag(cli, drop):
    argv = list(JCCU_FLAGS)
    i = argv.index(drop)
    del argv[i:i + 2]
    code, out, err = cli(*argv)
    assert code == 2
    assert out == ""
    assert drop in err


def test_check_without_anything(cli):
    code, out, err = cli("check")
    assert code == 2 and "missing" in err


def test_no_command(cli):
    code, out, err = cli()
    assert code == 2
    assert "check" in out + err


@pytest.mark.parametrize("argv", [["frobnicate"], ["check", "--format", "yaml"], ["check", "--nope"]])
def test_bad_arguments(cli, argv):
    code, out, err = cli(*argv)
    assert code == 2
    assert "usage" in err


# ---- test subcommand -----------------------------------------------------------------------

def test_test_shipped(cli):
    code, out, err = cli("test")
    assert code == 0, out + err
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"(\d+) passed, 0 failed", last)
    assert m and int(m.group(1)) > 0
    assert "FAIL" not in out


def test_test_shipped_json(cli):
    code, out, _ = cli("test", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["failed"] == 0 and report["passed"] == len(report["cases"]) > 0
    assert report["errors"] is False


WRONG = f"""tests for aizu

case "right": share purchase history with jccu for delivery
    expect permit by joint use citing [{CLAUSE}]
case "deliberately wrong": share purchase history with jccu for delivery
    expect deny
"""


def test_test_failing_case(cli, tmp_path):
    f = tmp_path / "wrong.test"
    f.write_text(WRONG, encoding="utf-8")
    code, out, _ = cli("test", str(f))
    assert code == 1
    assert re.search(r"^FAIL \S*wrong\.test:5 deliberately wrong$", out, re.M)
    assert "expected deny, got permit" in out
    assert re.search(r"rules:\s+aizu:\d+", out)  # the deciding rule ids
    assert "right" not in out.split("FAIL", 1)[0]
    # one passing case plus aizu's clause inventory, which runs with any test of aizu
    assert out.strip().splitlines()[-1] == "2 passed, 1 failed"


def test_test_failing_basis_and_citation(cli, tmp_path):
    f = tmp_path / "basis.test"
    f.write_text("tests for aizu\n\ncase \"wrong basis\": share purchase history with jccu for delivery\n"
                 "    expect permit by consent citing [指針9]\n", encoding="utf-8")
    code, out, _ = cli("test", str(f))
    assert code == 1
    assert "expected basis consent, got joint_use" in out
    assert "指針9" in out


def test_test_folder(cli, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "wrong.test").write_text(WRONG, encoding="utf-8")
    code, out, _ = cli("test", str(tmp_path))
    assert code == 1
    assert out.strip().splitlines()[-1] == "2 passed, 1 failed"  # the case and aizu's inventory


def test_test_misspelt_term(cli, tmp_path):
    f = tmp_path / "typo.test"
    f.write_text("tests for aizu\n\ncase \"typo\": share purchse history with jccu for delivery\n"
                 "    expect permit\n", encoding="utf-8")
    code, out, err = cli("test", str(f))
    assert code == 2
    assert re.search(r"typo\.test:3:\d+", err)  # located
    assert "purchse history" in err
    assert "did you mean" in err and "purchase_history" in err


def test_test_unknown_coop(cli, tmp_path):
    f = tmp_path / "nosuch.test"
    f.write_text("tests for aizuu\n\ncase \"x\": use name for delivery\n    expect permit\n", encoding="utf-8")
    code, _, err = cli("test", str(f))
    assert code == 2
    assert re.search(r"nosuch\.test:1:\d+", err) and "did you mean" in err


def test_test_missing_file(cli, tmp_path):
    code, _, err = cli("test", str(tmp_path / "absent.test"))
    assert code == 2 and "absent.test" in err


def test_test_local_policy(cli, tmp_path):
    (tmp_path / "my.policy").write_text(
        "policy mini\nimport vocabulary\nimport appi\n\n"
        "name may be used for delivery   [clause 1]\n", encoding="utf-8")
    f = tmp_path / "mine.test"
    f.write_text('tests for "my.policy"\n\n'
                 'case "granted": use name for delivery\n    expect permit by purpose citing [clause 1]\n'
                 'case "not granted": use name for billing\n    expect deny\n'
                 'case "law baseline": share name with foreign third party for delivery\n    expect deny\n',
                 encoding="utf-8")
    code, out, err = cli("test", "-v", str(f))
    assert code == 0, out + err
    assert re.search(r"^PASS \S*mine\.test:3 granted$", out, re.M)
    assert out.strip().splitlines()[-1] == "3 passed, 0 failed"
    # and a wrong expectation against the local policy fails, naming its rule
    f.write_text('tests for "my.policy"\n\ncase "oops": use name for delivery\n    expect deny\n',
                 encoding="utf-8")
    code, out, _ = cli("test", str(f))
    assert code == 1
    assert "expected deny, got permit" in out and re.search(r"rules:\s+mini:5", out)


# ---- module entry point --------------------------------------------------------------------

def test_python_dash_m_coopcheck(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "coopcheck", *JCCU_FLAGS], cwd=tmp_path, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "PERMIT" in proc.stdout and CLAUSE in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "coopcheck", "check", "--json", "-", "--fail-on-deny"],
                          input=jsonl(JCCU, KYOSAI), cwd=tmp_path, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert [d["decision"] for d in parse_lines(proc.stdout)] == ["permit", "deny"]


# ---- bilingual output ------------------------------------------------------------------------

def test_lang_ja_gives_verdict_reasons_and_citations_in_japanese(cli):
    code, out, _ = cli(*JCCU_FLAGS, "--lang", "ja")
    assert code == 0
    assert out.startswith("許可")
    assert "共同利用により許可" in out and "根拠条項" in out and CLAUSE in out
    assert "「購買履歴」(purchase_history)" in out


def test_lang_ja_deny_explains_what_fell_outside(cli):
    argv = [a if a != "日本生協連" else "コープ共済連" for a in JCCU_FLAGS]
    code, out, _ = cli(*argv, "--lang", "ja")
    assert code == 0 and out.startswith("不許可")
    assert "認めるルールがない" in out and "提供先以外は一致する" in out and "同意があれば:" in out and "許可される" in out


def test_lang_ja_json_reasons_are_japanese_and_fields_stay_ids(cli):
    code, out, _ = cli(*JCCU_FLAGS, "--format", "json", "--lang", "ja")
    d = json.loads(out.splitlines()[0])
    assert d["basis"] == "joint_use" and "共同利用により許可" in d["reasons"][0]


def test_lang_en_is_the_default_with_labels_beside_ids(cli):
    code, out, _ = cli(*JCCU_FLAGS)
    assert out.startswith("PERMIT") and "`purchase_history` (購買履歴)" in out


def test_coop_all_gives_five_decisions_each_with_a_clause(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: one line per row (narrow ones wrap cells)
    code, out, _ = cli(*(["check", "--coop", "all"] + JCCU_FLAGS[3:]))
    assert code == 0
    for coop in ("aizu", "ibaraki", "aicoop_miyagi", "nara", "kuruko"):
        row = next(line for line in out.splitlines() if line.startswith(f"│ {coop} "))
        assert f"{coop} " in row.split("│")[5], row  # the clause column names the co-op's clause


def test_invalid_json_message_reads_once(capsys):
    """An unterminated string is reported as `... starting at column N`, not `at at`."""
    old = sys.stdin
    sys.stdin = io.StringIO('{"action": "use", "data": ["name\n')
    try:
        code = main(["check", "--json", "-"])
    finally:
        sys.stdin = old
    out = capsys.readouterr().out
    assert code == 2 and "E406" in out and "starting at column" in out and "at at" not in out


def test_data_given_again_adds_items_and_a_one_value_flag_given_twice_is_refused(cli):
    """`--data` given twice decides both items (it used to keep only the last: a permit for
    the second item alone, the first dropped without a word); `--recipient`, `--purpose`,
    `--action`, `--coop` … given twice are refused with exit 2, never decided on one of them."""
    base = ("check", "--coop", "ibaraki", "--action", "share", "--recipient", "contractor", "--purpose", "delivery",
            "--format", "json")
    code, out, _ = cli(*base, "--data", "氏名", "--data", "phone,address")
    assert code == 0 and json.loads(out)["scenario"]["data"] == ["name", "phone", "address"]
    for flag, value in (("--recipient", "jccu"), ("--purpose", "marketing"), ("--action", "use"),
                        ("--coop", "aizu")):
        code, out, err = cli(*base, "--data", "name", flag, value)
        assert code == 2 and out == "" and f"{flag} is given twice" in err
