"""The first hour with coopcheck: each friction point a new user met, reproduced and now fixed."""

from __future__ import annotations

import json

from wcwidth import wcswidth

from coopcheck.cli.inputs import split_list

JCCU = ["--action", "share", "--data", "購買履歴", "--recipient", "日本生協連", "--purpose", "delivery"]


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("coopcheck ")


def test_a_mistyped_command_gets_a_suggestion(cli):
    code, _, err = cli("chek", "--coop", "aizu")
    assert code == 2 and "did you mean `check`" in err


def test_a_mistyped_flag_gets_a_suggestion_under_the_subcommands_usage(cli):
    code, _, err = cli("check", "--coop", "aizu", "--purpse", "delivery")
    assert code == 2 and "did you mean `--purpose`" in err
    assert "usage: coopcheck check" in err


def test_check_takes_a_comma_list_of_coops_and_policy_files(cli, tmp_path):
    policy = tmp_path / "sakura.policy"
    policy.write_text("policy sakura\nimport vocabulary\nimport appi\nname may be used for delivery   [1]\n",
                      encoding="utf-8")
    code, out, err = cli("check", "--coop", f"aizu,nara,{policy}", "--action", "use", "--data", "name",
                         "--purpose", "delivery", "--format", "json")
    assert code == 0, err
    assert [json.loads(line)["coop"] for line in out.splitlines()] == ["aizu", "nara", "sakura"]


def test_lists_are_accepted_with_japanese_commas_and_and():
    assert split_list("氏名、住所") == ["氏名", "住所"]
    assert split_list("name and address") == ["name", "address"]
    assert split_list("name, address and phone") == ["name", "address", "phone"]


def test_data_written_with_a_japanese_comma_is_two_items(cli):
    code, out, err = cli("check", "--coop", "aizu", "--action", "use", "--data", "氏名、住所", "--purpose",
                         "delivery", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["scenario"]["data"] == ["name", "address"]


def test_tables_fit_the_terminal(cli, monkeypatch):
    """Defect: `check --coop all` was 209 columns wide at COLUMNS=80."""
    monkeypatch.setenv("COLUMNS", "80")
    for lang in ("en", "ja"):
        code, out, _ = cli("check", "--coop", "all", *JCCU, "--lang", lang)
        assert code == 0
        assert max(wcswidth(line) for line in out.splitlines()) <= 80


def test_japanese_tables_are_japanese(cli, monkeypatch):
    """Defect: under --lang ja the table still showed basis ids such as `joint_use (共同利用)`
    and obligations as ids."""
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = cli("check", "--coop", "all", *JCCU, "--lang", "ja")
    assert code == 0
    assert "joint_use" not in out and "coop_remains_responsible" not in out
    assert "共同利用" in out and "生協が責任を持って管理" in out


def test_empty_json_input_is_an_error(cli):
    """Defect: `check --json -` on empty input exited 0 and printed nothing."""
    code, out, err = cli("check", "--json", "-", stdin="")
    assert code == 2 and out == "" and "no scenarios" in err


def test_a_misspelt_keyword_in_a_test_file_gets_a_suggestion(cli, tmp_path):
    """Defect: `expect permitt` got E105 with no "did you mean"."""
    path = tmp_path / "x.test"
    path.write_text('tests for aizu\ncase "x": use name for delivery\n    expect permitt\n', encoding="utf-8")
    code, _, err = cli("test", str(path))
    assert code == 2 and "E105" in err and "did you mean `permit`" in err
