"""``coopcheck test --coverage``: which rules and clauses the cases exercised."""

from __future__ import annotations

import json

POLICY = """policy demo
import vocabulary
import appi
name may be used for delivery                 [clause 1]
name may be used for billing                  [clause 2]
name must not be shared with unrelated third parties   [clause 3]
"""

TESTS = """tests for "demo.policy"
case "delivery": use name for delivery
    expect permit
case "barred": share name with unrelated third party for delivery
    expect deny
"""


def _files(tmp_path):
    (tmp_path / "demo.policy").write_text(POLICY, encoding="utf-8")
    (tmp_path / "demo.test").write_text(TESTS, encoding="utf-8")
    return str(tmp_path / "demo.test")


def test_uncovered_rules_are_listed_with_their_lines(cli, tmp_path):
    code, out, err = cli("test", _files(tmp_path), "--coverage")
    assert code == 0, err
    assert "rules   2/3" in out and "clauses   2/3" in out
    assert "uncovered demo:5  [clause 2]" in out
    assert "demo:4" not in out.split("coverage")[1] and "demo:6" not in out.split("coverage")[1]


def test_below_the_threshold_exits_1(cli, tmp_path):
    path = _files(tmp_path)
    code, out, _ = cli("test", path, "--coverage", "--threshold", "90")
    assert code == 1 and "BELOW THRESHOLD" in out
    code, _, _ = cli("test", path, "--coverage", "--threshold", "60")
    assert code == 0


def test_json_coverage(cli, tmp_path):
    code, out, _ = cli("test", _files(tmp_path), "--coverage", "--format", "json")
    report = json.loads(out)
    [cov] = report["coverage"]
    assert (cov["coop"], cov["rules"], cov["covered"]) == ("demo", 3, 2)
    assert [u["rule"] for u in cov["uncovered"]] == ["demo:5"]


def test_shipped_policies_are_fully_covered(cli):
    """CI's threshold: every rule of every shipped policy is exercised by its tests."""
    code, out, err = cli("test", "--coverage", "--threshold", "100")
    assert code == 0, out[-2000:] + err
    assert out.count("(100.0%)") == 10
