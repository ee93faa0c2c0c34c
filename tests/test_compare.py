"""``coopcheck compare``: scenarios × co-ops as a matrix of decisions with basis and clause.

Scenarios from flags, JSON (``--json``) and scenario files (``--scenarios``: JSON Lines or
``case`` lines); output as text (wide characters measured), Markdown, HTML (parsed back here)
and JSON; exit codes 0 / 1 with ``--fail-on-deny`` / 2 on input errors.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from wcwidth import wcswidth

from coopcheck import decide, load_policy, shipped_policies
from coopcheck.analysis.compare import ScenarioInput, compare_matrix

REPO = Path(__file__).resolve().parents[1]
CASES = Path(__file__).resolve().parent / "compare_cases"
JCCU = ["--action", "share", "--data", "購買履歴", "--recipient", "日本生協連", "--purpose", "delivery"]
JCCU_JSON = {"action": "share", "data": ["purchase_history"], "recipient": "jccu", "purpose": "delivery"}
AIZU_CLAUSE = "aizu 指針2 ◇商品・サービスの提供に関わっての共同利用"


def jsonl(*objs) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n" for o in objs)


class Table(HTMLParser):
    """The cells of an HTML table, and every tag seen."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.classes: list[list[str | None]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
            self.classes.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self.classes[-1].append(dict(attrs).get("class"))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


# ---- the matrix -------------------------------------------------------------------------------

def test_matrix_agrees_with_decide():
    rulesets = [(c, load_policy(c)) for c in shipped_policies()]
    m = compare_matrix(rulesets, [ScenarioInput(1, JCCU_JSON), ScenarioInput(2, {**JCCU_JSON, "consent": True})])
    assert m.coops == tuple(shipped_policies())
    for row, fields in zip(m.rows, (JCCU_JSON, {**JCCU_JSON, "consent": True})):
        for cell, (_, rs) in zip(row.cells, rulesets):
            d = decide(rs, fields)
            assert (cell.decision.decision, cell.decision.basis, cell.decision.citations) == \
                (d.decision, d.basis, d.citations)
    assert not m.has_errors and m.has_denials


# ---- flags and text ---------------------------------------------------------------------------

def test_flags_against_all_coops_text(cli):
    code, out, err = cli("compare", *JCCU)
    assert code == 0 and not err
    header = out.splitlines()[1]
    for coop in shipped_policies():
        assert coop in header
    assert "PERMIT joint use" in out and "DENY" in out
    assert "[aizu 指針2 ◇" in out and "共同利用]" in out  # a long clause is wrapped, not cut
    assert "(no rule permits it)" in out


def test_text_table_is_aligned_in_display_columns(cli):
    """Japanese labels count two columns each: every line of the grid is equally wide."""
    code, out, _ = cli("compare", *JCCU, "--lang", "ja", "--coop", "aizu,kuruko")
    assert code == 0 and "許可 共同利用" in out and "不許可" in out
    widths = {wcswidth(line) for line in out.splitlines() if line}
    assert len(widths) == 1


def test_fail_on_deny(cli):
    assert cli("compare", *JCCU, "--fail-on-deny")[0] == 1
    assert cli("compare", *JCCU, "--coop", "aizu", "--fail-on-deny")[0] == 0


def test_missing_flags(cli):
    code, out, err = cli("compare", "--action", "use", "--data", "name")
    assert code == 2 and "missing --purpose" in err and not out


def test_two_sources_at_once(cli):
    code, _, err = cli("compare", *JCCU, "--json", "-", stdin=jsonl(JCCU_JSON))
    assert code == 2 and "one way" in err


def test_unknown_coop(cli):
    code, out, err = cli("compare", *JCCU, "--coop", "aizu,aizzu")
    assert code == 2 and "unknown co-op `aizzu`" in err and not out


# ---- co-ops chosen --------------------------------------------------------------------------

def test_coop_list_and_policy_files(cli, tmp_path):
    """Two versions of one co-op's file are columns named as written."""
    changed = tmp_path / "aizu.policy"
    text = (REPO / "policies" / "aizu.policy").read_text(encoding="utf-8")
    changed.write_text(text.replace("and complaint info\n    may be shared with jccu",
                                    "and complaint info\n    may be shared with coop kyosai"), encoding="utf-8")
    shipped = str(REPO / "policies" / "aizu.policy")
    code, out, _ = cli("compare", *JCCU, "--coop", f"{shipped},{changed},nara", "--format", "json")
    assert code == 0
    [row] = json.loads(out)
    assert [c["coop"] for c in row["results"]] == [shipped, str(changed), "nara"]
    assert [c["decision"] for c in row["results"]] == ["permit", "deny", "deny"]


# ---- JSON input --------------------------------------------------------------------------------

def test_json_lines_with_errors_still_run_the_rest(cli):
    stdin = jsonl(JCCU_JSON, {"action": "use", "data": ["nam"], "purpose": "delivery"}, "not json",
                  {"action": "use", "data": ["name"], "purpose": "delivery", "coop": "ignored"})
    code, out, _ = cli("compare", "--json", "-", "--coop", "aizu,kuruko", "--format", "json", stdin=stdin)
    assert code == 2
    rows = json.loads(out)
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert [c["decision"] for c in rows[0]["results"]] == ["permit", "deny"]
    assert rows[0]["results"][0]["citations"] == [AIZU_CLAUSE]
    assert rows[0]["results"][0]["basis"] == "joint_use"
    assert [c["error"]["code"] for c in rows[1]["results"]] == ["E402", "E402"]
    assert "did you mean" in rows[1]["results"][0]["error"]["help"]
    assert rows[2]["error"]["code"] == "E406" and "results" not in rows[2]
    assert [c["decision"] for c in rows[3]["results"]] == ["permit", "permit"]


def test_json_file_and_fail_on_deny_loses_to_input_error(cli, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(jsonl(JCCU_JSON, {"action": "share", "data": ["name"], "purpose": "delivery"}), encoding="utf-8")
    code, out, _ = cli("compare", "--json", str(path), "--fail-on-deny")
    assert code == 2
    assert "error E403: missing field" in out


def test_json_missing_file(cli, tmp_path):
    code, _, err = cli("compare", "--json", str(tmp_path / "none.jsonl"))
    assert code == 2 and "cannot read" in err


# ---- scenario files ----------------------------------------------------------------------------

def test_scenarios_from_a_shipped_test_file(cli):
    """A rule-file test file's cases, decided against every co-op (expectations ignored)."""
    path = REPO / "policies" / "aizu.test"
    cases = path.read_text(encoding="utf-8").count('\ncase "')
    code, out, _ = cli("compare", "--scenarios", str(path), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == cases > 50
    assert all(r["name"] for r in rows)
    assert all(len(r["results"]) == len(shipped_policies()) for r in rows)


def test_scenarios_case_lines_without_header(cli):
    code, out, _ = cli("compare", "--scenarios", str(CASES / "joint_use.cases"), "--coop", "aizu,kuruko",
                       "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["purchase history to JCCU", "name to JCCU", "name to JCCU with consent"]
    assert [[c["decision"] for c in r["results"]] for r in rows] == [
        ["permit", "deny"], ["permit", "permit"], ["permit", "permit"]]
    assert rows[2]["scenario"]["consent"] is True


def test_scenarios_json_lines_file(cli):
    code, out, _ = cli("compare", "--scenarios", str(CASES / "mixed.jsonl"), "--coop", "nara")
    assert code == 2  # one line names an unknown purpose
    assert "E402" in out and "PERMIT" in out


def test_scenarios_file_with_a_rule_is_an_error(cli, tmp_path):
    path = tmp_path / "x.cases"
    path.write_text('case "a": use name for delivery\n    expect permit\nname may be used for delivery [x]\n',
                    encoding="utf-8")
    code, out, err = cli("compare", "--scenarios", str(path))
    assert code == 2 and "E306" in err and not out


def test_scenarios_file_syntax_error(cli, tmp_path):
    path = tmp_path / "x.test"
    path.write_text('case "a": uze name for delivery\n    expect permit\n', encoding="utf-8")
    code, _, err = cli("compare", "--scenarios", str(path))
    assert code == 2 and "x.test:1" in err


# ---- Markdown, HTML, JSON -----------------------------------------------------------------------

def test_markdown(cli):
    stdin = jsonl(JCCU_JSON, {"action": "use", "data": ["a|b"], "purpose": "delivery"})
    code, out, _ = cli("compare", "--json", "-", "--coop", "aizu,kuruko", "--format", "markdown", stdin=stdin)
    assert code == 2
    lines = out.splitlines()
    assert lines[0].replace(" ", "").startswith("|#|scenario|") and "aizu" in lines[0] and "kuruko" in lines[0]
    assert set(lines[1]) <= set("|-: ")
    assert len(lines) == 4  # header, rule, one line per scenario
    assert "PERMIT joint use<br>[" + AIZU_CLAUSE + "]" in lines[2]
    assert "a\\|b" in lines[3]  # a pipe in user input does not split the cell


def test_html_is_one_escaped_self_contained_table(cli):
    stdin = jsonl(JCCU_JSON, {"action": "use", "data": ["<script>alert(1)</script>"], "purpose": "delivery"})
    code, out, _ = cli("compare", "--json", "-", "--coop", "aizu,kuruko", "--format", "html", stdin=stdin)
    assert code == 2
    assert out.startswith("<!DOCTYPE html>") and "<script" not in out
    assert "http://" not in out and "https://" not in out and "<link" not in out
    t = Table(out)
    assert t.tags.count("table") == 1
    assert t.rows[0] == ["#", "scenario", "aizu", "kuruko"]
    assert t.rows[1][2].startswith("PERMIT joint use\n[" + AIZU_CLAUSE)
    assert t.classes[1][2:] == ["permit", "deny"]
    assert "<script>alert(1)</script>" in t.rows[2][1] + t.rows[2][2]
    assert t.classes[2][2:] == ["error", "error"]


def test_html_japanese(cli):
    code, out, _ = cli("compare", *JCCU, "--format", "html", "--lang", "ja", "--coop", "aizu")
    assert code == 0 and '<html lang="ja">' in out
    assert Table(out).rows[1][2].startswith("許可 共同利用")


def test_json_rows(cli):
    code, out, _ = cli("compare", *JCCU, "--consent", "--format", "json", "--coop", "kuruko")
    assert code == 0
    [row] = json.loads(out)
    assert row["scenario"]["consent"] is True and row["name"] is None
    [cell] = row["results"]
    assert {"coop", "decision", "basis", "citations", "rules", "would_permit_with_consent"} <= cell.keys()
    assert (cell["coop"], cell["decision"], cell["basis"]) == ("kuruko", "permit", "consent")
