"""``coopcheck lint``: every check on a small bad file, suppressions, output formats, exit
codes, and the shipped rule files linting clean under ``--strict``.

The files in ``tests/lint_cases/`` pin the behaviour: each states in header comments the
diagnostics it must produce, one per line::

    # expect: W605@11:1 "the prohibition at line 12 [c2] always overrides it"
    # expect: E501@demo.clauses:3:1 "clause `2`" help "did you mean"
    # expect: nothing

``CODE@[FILE:]LINE[:COLUMN]``, then quoted text the message must contain (``help "…"``: text
the help line must contain). The severity follows the code: ``W`` warning, ``E`` error. A
case file is linted on its own, and it must produce exactly the diagnostics it lists.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from coopcheck import load_file
from coopcheck.analysis.lint_checks import joint_use_missing
from coopcheck.analysis.lint_grants import covers
from coopcheck.cli.main import main
from coopcheck.analysis.lint import ALLOWABLE, lint_paths, to_json
from coopcheck.dsl.codes import Code, Family
from coopcheck.core.paths import policies_dir, rules_dir

CASES_DIR = Path(__file__).parent / "lint_cases"
CASES = sorted(p for p in CASES_DIR.rglob("*") if p.suffix in (".policy", ".rules", ".test"))
HEAD = "policy demo\nimport vocabulary\nimport appi\n"

_EXPECT = re.compile(r"#\s*expect:\s*(?P<body>.*)$")
_WHERE = re.compile(r"(?P<code>[EW]\d{3})@(?:(?P<file>[^:\s]+\.[a-z]+):)?(?P<line>\d+)(?::(?P<col>\d+))?")
_TEXT = re.compile(r'(?P<help>help\s+)?"(?P<text>[^"]*)"')


# ---- helpers ------------------------------------------------------------------------------

def expectations(case: Path) -> list[dict]:
    """The ``# expect:`` lines of a case file."""
    found = []
    for line in case.read_text(encoding="utf-8").splitlines():
        m = _EXPECT.match(line)
        if not m:
            continue
        body = m.group("body").strip()
        if body == "nothing":
            continue
        where = _WHERE.match(body)
        assert where, f"bad expect line in {case.name}: {line}"
        texts = [(t.group("help") is not None, t.group("text")) for t in _TEXT.finditer(body[where.end():])]
        found.append({"code": where.group("code"), "file": where.group("file") or case.name,
                      "line": int(where.group("line")),
                      "col": int(where.group("col")) if where.group("col") else None,
                      "message": [t for is_help, t in texts if not is_help],
                      "help": [t for is_help, t in texts if is_help]})
    return found


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["lint", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def codes(result) -> list[tuple[str, int]]:
    return [(d.code, d.span.line if d.span else 0) for d in result.diagnostics]


# ---- the case files ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda p: str(p.relative_to(CASES_DIR)))
def test_lint_case(case):
    """Each case file produces exactly the diagnostics its header lists: code, severity,
    location, and a message (and help) naming what is wrong."""
    wanted = expectations(case)
    if case.parent != CASES_DIR:  # a folder case: its files are linted together
        assert wanted or "# expect: nothing" in case.read_text(encoding="utf-8")
    result = lint_paths([case])
    got = [d for d in result.diagnostics]
    assert sorted((Path(d.span.file).name, d.span.line, d.code) for d in got) == \
        sorted((w["file"], w["line"], w["code"]) for w in wanted), "\n\n".join(d.render() for d in got)
    for w in wanted:
        d = next(d for d in got if (Path(d.span.file).name, d.span.line, d.code) == (w["file"], w["line"], w["code"])
                 and w["col"] in (None, d.span.column))
        assert d.severity == ("warning" if w["code"].startswith("W") else "error")
        if w["col"] is not None:
            assert d.span.column == w["col"], d.render()
        for text in w["message"]:
            assert text in d.message, d.render()
        for text in w["help"]:
            assert d.help and text in d.help, d.render()


def test_every_check_has_a_case():
    """Every code lint adds, and the parse/compile/inventory checks the issue names, are
    pinned by at least one case file."""
    pinned = {w["code"] for case in CASES for w in expectations(case)}
    lint_codes = {c for c in Code if c.family in (Family.ANALYSIS, Family.SUPPRESSION)}
    wanted = lint_codes | {"E201", "E203", "E204", "E205", "E301", "E501", "E502", "E503", "E102"}
    assert wanted <= pinned, sorted(wanted - pinned)


def test_case_headers_parse():
    """A case file without an ``expect`` header would test nothing."""
    for case in CASES:
        text = case.read_text(encoding="utf-8")
        assert "# expect:" in text, case.name


# ---- the shipped files -------------------------------------------------------------------------

def test_shipped_files_lint_clean_under_strict(capsys):
    started = time.perf_counter()
    code, out, err = run(capsys, "--strict")
    elapsed = time.perf_counter() - started
    assert code == 0, out + err
    assert out.strip().splitlines()[-1].startswith("0 errors, 0 warnings in ")
    assert elapsed < 10, f"the default lint took {elapsed:.1f}s"


def test_default_paths_are_the_shipped_rules_and_policies():
    result = lint_paths()
    names = {Path(f).name for f in result.files}
    assert {"vocabulary.rules", "appi.rules"} <= names
    for coop in ("aizu", "ibaraki", "aicoop_miyagi", "nara", "kuruko"):
        assert {f"{coop}.policy", f"{coop}.test"} <= names


def test_shipped_suppressions_all_give_a_reason_and_are_used():
    """Each allowance in the shipped files has a reason (no E601) and allows something
    (no W608): already implied by the clean lint, stated here for the reader."""
    allowances = []
    for folder in (rules_dir(), policies_dir()):
        for path in sorted(folder.glob("*.*")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "coopcheck: allow" in line:
                    allowances.append((path.name, number, line))
    assert allowances
    for name, number, line in allowances:
        code, _, reason = line.partition("allow ")[2].partition(" -- ")
        assert code.strip() in ALLOWABLE and len(reason.strip()) > 20, (name, number, line)


def test_shipped_joint_uses_without_gaps_are_not_suppressed():
    """The complete joint uses (Aizu's two, Nara's ② and ③) have nothing missing."""
    for coop, clauses in (("aizu", ("指針2 ◇商品・サービスの提供に関わっての共同利用",
                                     "指針2 ◇共済事業、保険事業に関わっての共同利用")),
                          ("nara", ("共同利用 ②", "共同利用 ③"))):
        rs = load_file(policies_dir() / f"{coop}.policy")
        for rule in rs.rules:
            if rule.verb == "joint_use" and rule.clause in clauses:
                assert joint_use_missing(rs, rule) == [], (coop, rule.clause)


def test_removing_a_shipped_suppression_brings_the_warning_back(tmp_path):
    src = (policies_dir() / "ibaraki.policy").read_text(encoding="utf-8")
    assert "# coopcheck: allow W604" in src
    stripped = "\n".join(line for line in src.split("\n") if "coopcheck: allow W604" not in line)
    result = lint_paths([write(tmp_path, "ibaraki.policy", stripped)])
    [d] = [d for d in result.diagnostics if d.code == "W604"]
    assert "the items" in d.message and "the purposes" in d.message and "managed by" in d.message


# ---- checks, beyond the case files ---------------------------------------------------------

def test_unused_vocabulary_terms_are_judged_by_the_linted_policies(tmp_path):
    """A module's term is unused when no linted policy, module or test names it or a term
    under it; a term only a test names is used; with no policy linted, nothing is judged."""
    write(tmp_path, "demo_terms.rules", "module demo_terms\nimport vocabulary\n"
          'purpose demo_asked, label "尋ねられる目的"\n'
          'purpose demo_granted, label "許された目的"\n'
          'purpose demo_idle, label "使われない目的"\n')
    policy = write(tmp_path, "demo.policy", "policy demo\nimport vocabulary\nimport demo_terms\n"
                   "name may be used for demo granted   [c1]\n")
    tests = write(tmp_path, "demo.test", 'tests for "demo.policy"\n\n'
                  'case "asked": use name for demo asked\n    expect deny\n')
    module = tmp_path / "demo_terms.rules"
    result = lint_paths([module, policy, tests])
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("W601", 5)]
    assert "`demo_idle`" in result.diagnostics[0].message
    # without the test file the asked purpose is unused too
    assert [d.span.line for d in lint_paths([module, policy]).diagnostics] == [3, 5]
    # the module alone: no policy to judge its terms by
    assert lint_paths([module]).diagnostics == ()


def test_the_shipped_vocabulary_alone_reports_no_unused_terms():
    assert [d.code for d in lint_paths([rules_dir() / "vocabulary.rules"]).diagnostics] == []


def test_a_broken_import_is_reported_once(tmp_path):
    write(tmp_path, "broken.rules", "module broken\nimport vocabulary\npurpose demo_x is demo_nothing\n")
    a = write(tmp_path, "a.policy", "policy a\nimport vocabulary\nimport broken\nname may be used for delivery  [1]\n")
    b = write(tmp_path, "b.policy", "policy b\nimport vocabulary\nimport broken\nname may be used for delivery  [1]\n")
    result = lint_paths([a, b])
    assert [d.code for d in result.diagnostics] == ["E204"]


def test_diagnostics_are_sorted_by_file_line_and_column(tmp_path):
    write(tmp_path, "a.policy", HEAD + "nme may be used for delivry  [1]\n")
    write(tmp_path, "b.policy", HEAD + "name may be used for delivery  [1]\nname may be used for delivery  [1]\n")
    result = lint_paths([tmp_path])
    keys = [(d.span.file, d.span.line, d.span.column) for d in result.diagnostics]
    assert keys == sorted(keys) and len(keys) == 3
    assert [d.code for d in result.diagnostics] == ["E201", "E201", "W602"]


def test_a_grant_blocked_only_until_consent_is_not_dead(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "photo may be used for survey  [1]\n"
                 "photo of anyone must not be used unless consent  [2]\n")
    assert lint_paths([path]).diagnostics == ()


def test_a_grant_blocked_by_several_bars_names_them(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "photo of members may be used for survey and billing  [1]\n"
                 "photo of anyone must not be used for survey  [2]\nphoto of anyone must not be used for billing  [3]\n")
    [d] = lint_paths([path]).diagnostics
    assert d.code == "W605" and "line 5 [2]" in d.message and "line 6 [3]" in d.message


def test_a_grant_with_an_extra_obligation_or_condition_is_not_redundant(tmp_path):
    rs = load_file(write(tmp_path, "demo.policy", HEAD +
                         "name may be entrusted to contractors for delivery obliging supervise contractor  [1]\n"
                         "basic info may be entrusted to contractors for delivery  [2]\n"
                         "phone may be used for survey provided that consent is given  [3]\n"
                         "basic info may be used for survey provided that consent is given  [4]\n"
                         "email may be used for survey  [5]\n"))
    r = {x.clause: x for x in rs.rules if x.module == "demo"}
    assert not covers(r["2"], r["1"], rs)  # the narrower one adds an obligation
    assert covers(r["4"], r["3"], rs)  # same condition, wider item
    assert not covers(r["4"], r["5"], rs)  # the wider one needs consent: a different basis


def test_a_closed_list_narrowing_a_broader_grant_is_not_a_conflict(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "personal data may be used for delivery and survey  [1]\n"
                 "photo may only be used for newsletter publication unless consent  [2]\n")
    assert lint_paths([path]).diagnostics == ()


def test_a_closed_list_on_recipients_conflicts_with_a_grant_to_others(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + 'name: "デモ生協"\naddress: "x"\nrepresentative: "y"\n'
                 "name may only be shared with jccu for delivery unless consent  [1]\n"
                 'name may be shared with coop kyosai for delivery managed by "デモ生協"  [2]\n')
    [d] = lint_paths([path]).diagnostics
    assert d.code == "W607" and d.span.line == 7 and "`coop_kyosai`" in d.message


# ---- suppressions ---------------------------------------------------------------------------

DUPLICATE = "name may be used for delivery  [1]\nname may be used for delivery  [2]\n"


def test_suppression_above_the_statement(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "name may be used for delivery  [1]\n"
                 "# coopcheck: allow W602 -- both clauses say it\nname may be used for delivery  [2]\n")
    assert lint_paths([path]).diagnostics == ()


def test_suppression_at_the_end_of_the_statement(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "name may be used for delivery  [1]\n"
                 "name may be used for delivery  [2]   # coopcheck: allow W602 -- both clauses say it\n")
    assert lint_paths([path]).diagnostics == ()


def test_suppression_for_another_code_does_not_allow(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "name may be used for delivery  [1]\n"
                 "# coopcheck: allow W606 -- wrong code\nname may be used for delivery  [2]\n")
    assert codes(lint_paths([path])) == [("W608", 5), ("W602", 6)]


def test_suppression_of_several_codes(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "name may be used for delivery  [1]\n"
                 "# coopcheck: allow W602, W606 -- both clauses say it\nname may be used for delivery  [2]\n")
    assert codes(lint_paths([path])) == [("W608", 5)]
    assert "`allow W606`" in lint_paths([path]).diagnostics[0].message


def test_suppression_without_reason_is_an_error_but_allows(tmp_path, capsys):
    path = write(tmp_path, "demo.policy", HEAD + "name may be used for delivery  [1]\n"
                 "# coopcheck: allow W602\nname may be used for delivery  [2]\n")
    result = lint_paths([path])
    assert codes(result) == [("E601", 5)]
    assert result.diagnostics[0].severity == "error"
    assert run(capsys, str(path))[0] == 1


def test_suppression_in_a_file_with_errors_is_not_called_unused(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + "name may be used for delivry  [1]\n"
                 "# coopcheck: allow W602 -- reason\nname may be used for delivery  [2]\n")
    assert codes(lint_paths([path])) == [("E201", 4)]


def test_a_hash_inside_a_string_or_citation_is_not_a_comment(tmp_path):
    path = write(tmp_path, "demo.policy", HEAD + 'note: "# coopcheck: allow W602"\n'
                 "name may be used for delivery  [1 # coopcheck: allow W602]\n")
    assert lint_paths([path]).diagnostics == ()


# ---- output formats and exit codes ----------------------------------------------------------

def test_text_format_shows_the_line_a_caret_and_a_summary(capsys):
    code, out, _ = run(capsys, str(CASES_DIR / "dead_grant.policy"))
    assert code == 0
    assert "dead_grant.policy:11:1: warning[W605]: grant can never permit" in out
    assert "11 | photo of members may be used for survey   [c1]" in out
    assert "\n     ^^^^^" in out
    assert "  = help: " in out
    assert out.strip().splitlines()[-1] == "0 errors, 3 warnings in 1 file"


def test_strict_turns_warnings_into_failures(capsys):
    case = str(CASES_DIR / "redundant_grant.policy")
    assert run(capsys, case)[0] == 0
    code, out, _ = run(capsys, "--strict", case)
    assert code == 1
    assert out.strip().endswith("0 errors, 1 warning in 1 file (warnings fail under --strict)")


def test_errors_fail_without_strict(capsys):
    assert run(capsys, str(CASES_DIR / "unknown_terms.policy"))[0] == 1


def test_clean_file_exits_0_even_under_strict(capsys):
    assert run(capsys, "--strict", str(CASES_DIR / "clean.policy"))[0] == 0


def test_missing_path_is_a_usage_error(capsys, tmp_path):
    code, out, err = run(capsys, str(tmp_path / "nope.policy"))
    assert code == 2 and "no such file or folder" in err and out == ""


def test_a_file_that_is_not_a_rule_file_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, str(write(tmp_path, "notes.txt", "hello\n")))
    assert code == 2 and "is not a rule file" in err


def test_a_folder_without_rule_files_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2 and "no .policy, .rules or .test files" in err


def test_an_unreadable_file_exits_2_and_is_reported(capsys, tmp_path):
    bad = tmp_path / "bad.policy"
    bad.write_bytes(b"policy demo\n\xff\xfe\n")
    code, out, _ = run(capsys, "--format", "json", str(bad))
    assert code == 2
    [d] = json.loads(out)
    assert d["code"] == "E302" and "not UTF-8" in d["message"]


def test_bad_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["lint", "--format", "xml"])
    assert info.value.code == 2


def test_json_format_is_one_list_for_an_editor(capsys):
    code, out, _ = run(capsys, "--format", "json", str(CASES_DIR / "joint_use.policy"), str(CASES_DIR / "citation.policy"))
    assert code == 1
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 5
    keys = {"code", "severity", "message", "help", "file", "line", "column", "end_line", "end_column"}
    for d in data:
        assert set(d) == keys
        assert d["severity"] in ("error", "warning")
        assert all(isinstance(d[k], int) and d[k] >= 1 for k in ("line", "column", "end_line", "end_column"))
        assert (d["end_line"], d["end_column"]) > (d["line"], d["column"])
    assert [Path(d["file"]).name for d in data] == ["citation.policy"] * 2 + ["joint_use.policy"] * 3
    assert [d["code"] for d in data[:2]] == ["E301", "E301"]
    first = data[2]
    assert (first["code"], first["line"], first["column"]) == ("W604", 14, 1)
    assert first["help"].startswith("name the items")


def test_json_of_no_diagnostics_is_an_empty_list(capsys):
    code, out, _ = run(capsys, "--format", "json", str(CASES_DIR / "clean.policy"))
    assert code == 0 and json.loads(out) == []


def test_json_unlocated_diagnostic_has_null_location():
    from coopcheck.dsl.errors import Diagnostic
    [d] = to_json([Diagnostic("E302", "cannot read `x`")])
    assert d["file"] is None and d["line"] is None and d["help"] is None


# SARIF 2.1.0: the properties the schema requires of each object lint writes
# (sarif-schema-2.1.0.json: sarifLog, run, tool, toolComponent, reportingDescriptor,
# multiformatMessageString, result, message, location, physicalLocation, artifactLocation,
# region), checked without the network or a schema library.
SARIF_LEVELS = ("none", "note", "warning", "error")


def _check_sarif(log: dict) -> None:
    assert set(log) >= {"version", "runs"} and log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert isinstance(log["runs"], list) and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert isinstance(driver["name"], str) and driver["name"]
    ids = []
    for rule in driver["rules"]:
        assert isinstance(rule["id"], str)
        assert isinstance(rule["shortDescription"]["text"], str) and rule["shortDescription"]["text"]
        assert isinstance(rule["help"]["text"], str)
        assert rule["defaultConfiguration"]["level"] in SARIF_LEVELS
        ids.append(rule["id"])
    assert len(ids) == len(set(ids))
    assert run_.get("columnKind") in (None, "utf16CodeUnits", "unicodeCodePoints")
    for result in run_["results"]:
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        assert result["ruleId"] in ids and ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in SARIF_LEVELS
        for loc in result.get("locations", []):
            phys = loc["physicalLocation"]
            assert isinstance(phys["artifactLocation"]["uri"], str)
            region = phys["region"]
            for key in ("startLine", "startColumn", "endLine", "endColumn"):
                assert isinstance(region[key], int) and region[key] >= 1
            assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
            base = phys["artifactLocation"].get("uriBaseId")
            if base is not None:
                assert base in run_["originalUriBaseIds"]


def test_sarif_format_is_a_valid_2_1_0_log(capsys):
    code, out, _ = run(capsys, "--format", "sarif", str(CASES_DIR / "suppressions.policy"),
                       str(CASES_DIR / "unknown_terms.policy"))
    assert code == 1
    log = json.loads(out)
    _check_sarif(log)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"E201", "E601", "E602", "W606", "W608"}
    e601 = next(r for r in results if r["ruleId"] == "E601")
    assert e601["level"] == "error"
    region = e601["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (20, 42)
    uri = e601["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("tests/lint_cases/suppressions.policy")
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["W606"]["shortDescription"]["text"] == "grant wholly covered by another grant"
    assert rules["E201"]["defaultConfiguration"]["level"] == "error"
    w606 = next(r for r in results if r["ruleId"] == "W606")
    assert w606["level"] == "warning" and w606["properties"]["help"]


def test_sarif_of_the_clean_shipped_files_has_no_results(capsys):
    code, out, _ = run(capsys, "--format", "sarif", "--strict")
    assert code == 0
    log = json.loads(out)
    _check_sarif(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_lint_is_listed_in_the_cli_help(capsys):
    with pytest.raises(SystemExit):
        main(["lint", "--help"])
    out = capsys.readouterr().out
    assert "--strict" in out and "W604" in out and "# coopcheck: allow" in out
