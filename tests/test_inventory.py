"""Clause inventories: every normative clause cited or explained, every citation inventoried."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coopcheck import load_file, load_policy, shipped_policies
from coopcheck.cli.main import main
from coopcheck.analysis.inventory import check_inventory, read_inventory
from coopcheck.core.paths import policies_dir

HEAD = "policy demo\nimport vocabulary\nimport appi\n"


def demo(tmp_path: Path, policy: str, clauses: str) -> Path:
    (tmp_path / "demo.policy").write_text(HEAD + policy, encoding="utf-8")
    (tmp_path / "demo.clauses").write_text(clauses, encoding="utf-8")
    return tmp_path / "demo.policy"


@pytest.mark.parametrize("coop", [c for c in shipped_policies() if (policies_dir() / f"{c}.clauses").exists()])
def test_shipped_inventory_is_complete(coop):
    assert check_inventory(load_policy(coop), policies_dir() / f"{coop}.clauses") == []


def test_every_shipped_policy_has_an_inventory():
    assert set(shipped_policies()) == {"aizu", "ibaraki", "aicoop_miyagi", "nara", "kuruko"}
    for coop in shipped_policies():
        assert (policies_dir() / f"{coop}.clauses").is_file(), coop


def test_a_clause_neither_cited_nor_explained_fails(tmp_path):
    path = demo(tmp_path, "name may be used for delivery   [1]\n", "1\n2\n3 | a promise about security\n")
    problems = check_inventory(load_file(path), tmp_path / "demo.clauses")
    assert [(p.code, p.span.line) for p in problems] == [("E501", 2)]
    assert "`2`" in problems[0].message


def test_a_citation_missing_from_the_inventory_fails_at_the_rule(tmp_path):
    path = demo(tmp_path, "name may be used for delivery   [1]\nname may be used for billing   [9]\n", "1\n")
    problems = check_inventory(load_file(path), tmp_path / "demo.clauses")
    assert [(p.code, p.span.line) for p in problems] == [("E502", 5)]
    assert "`9`" in problems[0].message


def test_metadata_citations_count_as_encoding(tmp_path):
    path = demo(tmp_path, 'name: "x"   [7]\nname may be used for delivery   [1]\n', "1\n7\n")
    assert check_inventory(load_file(path), tmp_path / "demo.clauses") == []


def test_malformed_and_duplicate_lines(tmp_path):
    f = tmp_path / "x.clauses"
    f.write_text("1\n1\n2 |\n# comment only\n\n", encoding="utf-8")
    clauses, errors = read_inventory(f)
    assert [c.label for c in clauses] == ["1"]
    assert [(e.code, e.span.line) for e in errors] == [("E503", 2), ("E503", 3)]


def test_dropping_an_aizu_rule_clause_is_caught(tmp_path):
    """Deliberately leave a clause uncited: remove the 指針6 rule from a copy of Aizu."""
    src = (policies_dir() / "aizu.policy").read_text(encoding="utf-8")
    kept = src.replace("[指針6]", "[指針6-removed]")
    (tmp_path / "aizu.policy").write_text(kept, encoding="utf-8")
    shutil.copy(policies_dir() / "aizu.clauses", tmp_path / "aizu.clauses")
    problems = check_inventory(load_file(tmp_path / "aizu.policy"), tmp_path / "aizu.clauses")
    assert {(p.code, p.message.split("`")[1]) for p in problems} == {("E501", "指針6"), ("E502", "指針6-removed")}


def test_coopcheck_test_fails_on_an_incomplete_inventory(tmp_path, capsys):
    demo(tmp_path, "name may be used for delivery   [1]\n", "1\n2\n")
    (tmp_path / "demo.test").write_text(
        'tests for "demo.policy"\ncase "a": use name for delivery\n    expect permit by purpose\n',
        encoding="utf-8")
    assert main(["test", str(tmp_path / "demo.test")]) == 1
    out = capsys.readouterr().out
    assert "FAIL clause inventory" in out and "E501" in out and out.strip().endswith("1 passed, 1 failed")
    (tmp_path / "demo.clauses").write_text("1\n2 | explained\n", encoding="utf-8")
    assert main(["test", str(tmp_path / "demo.test")]) == 0
