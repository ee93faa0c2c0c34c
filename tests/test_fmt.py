"""`coopcheck fmt`: the canonical layout, comments and citations kept, idempotence, meaning kept.

Layout cases are data: ``tests/fmt_cases/NAME.in`` formats to ``NAME.out``.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import attrs
import pytest

import coopcheck.dsl as dsl
from coopcheck.presentation.decision_json import decision_json
from coopcheck.dsl import ast
from coopcheck.dsl.errors import CoopcheckError
from coopcheck.dsl.formatter import format_module, format_text
from coopcheck.dsl.layout import WIDTH, display_width
from coopcheck.cli.main import main
from coopcheck.core.compiler import compile_modules
from coopcheck.core.api import decide
from coopcheck.core.loader import load
from coopcheck.core.paths import policies_dir, rules_dir
from coopcheck.core.scenario import scenario_from_dict

CASES = Path(__file__).parent / "fmt_cases"
CASE_NAMES = sorted(p.stem for p in CASES.glob("*.in"))
SHIPPED = sorted(rules_dir().glob("*.rules")) + sorted(policies_dir().glob("*.policy")) + \
    sorted(policies_dir().glob("*.test"))
SHIPPED_IDS = [p.name for p in SHIPPED]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _citations(text: str) -> list[str]:
    """Citations as written, outside strings and comments."""
    return [m.group() for m in re.finditer(r'"[^"\n]*"|\[[^\]\n]+\]|#[^\n]*', text) if m.group()[0] == "["]


def _owned_comments(module: ast.Module) -> list[tuple[str, int]]:
    """Each comment with the statement it is about: the one whose lines hold it, or for a
    comment on its own line between statements, the next one (as lint suppressions read)."""
    ranges = [(s.span.line, s.span.end_line) for s in module.statements]
    out = []
    for c in module.comments:
        owner = next((k for k, (a, b) in enumerate(ranges) if a <= c.span.line <= b), None)
        if owner is None and not c.trailing:
            owner = next((k for k, (a, _) in enumerate(ranges) if a > c.span.line), None)
        out.append((c.text, -1 if owner is None else owner))
    return sorted(out)


# ---- layout cases -------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASE_NAMES)
def test_layout_case(name):
    source, expected = _read(CASES / f"{name}.in"), _read(CASES / f"{name}.out")
    assert format_text(source, name) == expected


@pytest.mark.parametrize("name", CASE_NAMES)
def test_layout_case_keeps_meaning_comments_and_citations(name):
    source = _read(CASES / f"{name}.in")
    formatted = format_text(source, name)
    assert dsl.parse(formatted, name) == dsl.parse(source, name)
    # a comment inside a statement may move above it: the same comments, about the same statements
    assert _owned_comments(dsl.parse(formatted)) == _owned_comments(dsl.parse(source))
    assert _citations(formatted) == _citations(source)
    assert format_text(formatted, name) == formatted


def test_cases_cover_every_statement_kind():
    seen = {type(s) for name in CASE_NAMES for s in dsl.parse(_read(CASES / f"{name}.in")).statements}
    kinds = {ast.ModuleHeader, ast.PolicyHeader, ast.TestsHeader, ast.Import, ast.Meta, ast.Declaration,
             ast.Grant, ast.ClosedGrant, ast.Prohibition, ast.Requirement, ast.Honour, ast.Case}
    assert kinds - seen <= {ast.ModuleHeader}
    assert format_text("module m\nparty p\n") == "module m\nparty p\n"


# ---- rules of the layout, stated directly --------------------------------------------------

def test_words_spacing_lists_and_canonical_keywords():
    text = ('policy  demo\n'
            'data item x ,is y label "X" alias "x1"\n'
            'name  and phone ,email may be used for delivery purposes [c 1]\n'
            'name of any subjects must not be provided to any recipient unless consent is given [c 2]\n')
    assert format_text(text).split("\n")[1:4] == [
        'data item x is y, label "X", aliases "x1"',
        "name, phone and email may be used for delivery" + " " * 27 + "[c 1]",
        "name of anyone must not be provided to anyone unless consent" + " " * 13 + "[c 2]",
    ]


def test_citation_alignment_uses_display_width():
    wide = format_text('policy d\nname: "生活協同組合"   [指針7]\n').split("\n")[1]
    narrow = format_text('policy d\nname: "abcdefghijklmnopqrst"   [指針7]\n').split("\n")[1]
    assert display_width(wide[:wide.index("[")]) == display_width(narrow[:narrow.index("[")]) == 73


def test_long_lines_are_wrapped_within_the_width():
    purposes = ", ".join(f"purpose number {n}" for n in "abcdefghijkl")
    formatted = format_text(f"policy d\nname may be used for {purposes} [c]\n")
    lines = formatted.splitlines()
    assert len(lines) > 3 and all(display_width(line) <= WIDTH for line in lines)
    assert lines[1] == "name may be used" and lines[2].startswith("    for purpose number a,")
    assert lines[-1] == "    [c]" and lines[-2] == "    purpose number k and purpose number l"


def test_blank_lines_kept_collapsed_and_trimmed():
    text = "\n\npolicy d\n\n\n\nimport vocabulary\nimport appi\n\n\n"
    assert format_text(text) == "policy d\n\nimport vocabulary\nimport appi\n"


def test_crlf_bom_tabs_and_full_width_spaces():
    text = '\ufeffpolicy d\r\nname\u3000may be used\tfor delivery  \r\n\tobliging o [c]\r\n'
    assert format_text(text) == "policy d\nname may be used for delivery\n    obliging o\n    [c]\n"


def test_strings_citations_and_quoted_terms_are_copied_exactly():
    text = 'policy d\nname: "（株）　コープ"  [ 指針7  ①]\n"日本生協連" may be used for "お届け" [c]\n'
    formatted = format_text(text)
    assert '"（株）　コープ"' in formatted and "[ 指針7  ①]" in formatted
    assert formatted.split("\n")[2].startswith('"日本生協連" may be used for "お届け"')


def test_a_file_that_does_not_parse_is_not_formatted():
    with pytest.raises(CoopcheckError) as err:
        format_text("policy d\nname may be usd for delivery [c]\n", "bad.policy")
    diag = err.value.diagnostics[0]
    assert (diag.code, diag.span.file, diag.span.line) == ("E102", "bad.policy", 2)


# ---- comments in the syntax tree -------------------------------------------------------------

def test_parse_keeps_comments_out_of_equality():
    plain = dsl.parse("policy d  # the co-op\n# above\nimport vocabulary\n")
    assert [(c.text, c.span.line, c.span.column, c.trailing) for c in plain.comments] == [
        ("# the co-op", 1, 11, True), ("# above", 2, 1, False)]
    assert plain == dsl.parse("policy d\nimport vocabulary\n")
    assert dsl.parse('note: "#x"  [#y]\n').comments == ()


# ---- the shipped files -------------------------------------------------------------------------

@pytest.mark.parametrize("path", SHIPPED, ids=SHIPPED_IDS)
def test_formatting_a_shipped_file_is_idempotent_and_keeps_its_tree(path):
    source = _read(path)
    once = format_text(source, path.name)
    assert format_text(once, path.name) == once
    assert dsl.parse(once, path.name) == dsl.parse(source, path.name)
    assert [c.text for c in dsl.parse(once).comments] == [c.text for c in dsl.parse(source).comments]
    assert _owned_comments(dsl.parse(once)) == _owned_comments(dsl.parse(source))
    assert _citations(once) == _citations(source)
    assert all(not line.endswith((" ", "\t")) for line in once.split("\n"))


@pytest.mark.parametrize("path", SHIPPED, ids=SHIPPED_IDS)
def test_the_tree_alone_prints_back_to_the_same_tree(path):
    module = dsl.parse(_read(path), path.name)
    printed = format_module(module)
    assert dsl.parse(printed, path.name) == module
    assert format_module(dsl.parse(printed)) == printed


def _compile(root: Path, coop: str):
    roots = ((root / "rules").resolve(), (root / "policies").resolve())
    return compile_modules(load(root / "policies" / f"{coop}.policy", roots=roots))


def _decisions(ruleset, cases) -> list[dict]:
    """Each case's decision as JSON, with rule ids (module:line) replaced by their position."""
    index = {r.id: f"{r.module}#{n}" for n, r in enumerate(ruleset.rules)}
    out = []
    for case in cases:
        sc = case.scenario
        data = {"action": sc.action, "data": [t.text for t in sc.items], "purpose": sc.purpose.text,
                "consent": sc.consent}
        for name, term in (("subject", sc.subject), ("recipient", sc.recipient), ("exception", sc.exception)):
            if term is not None:
                data[name] = term.text
        decision = decision_json(decide(ruleset, scenario_from_dict(data, ruleset.vocabulary, coop=ruleset.coop)))
        decision["rules"] = [index[r] for r in decision["rules"]]
        for item in decision["items"]:
            item["rules"] = [index[r] for r in item["rules"]]
            item["rule"] = index.get(item.get("rule"))
        decision["reasons"] = [re.sub(r"\b\w+:\d+\b", "RULE", r) for r in decision["reasons"]]
        out.append(decision)
    return out


def _without_lines(ruleset):
    index = {r.id: n for n, r in enumerate(ruleset.rules)}
    return (tuple(attrs.evolve(r, id=str(index[r.id]), line=0) for r in ruleset.rules),
            ruleset.meta, ruleset.vocabulary, ruleset.declared, tuple(ruleset.honoured),
            {k: tuple(index[r.id] for r in v) for k, v in ruleset.bar_index.items()},
            {k: tuple(index[r.id] for r in v) for k, v in ruleset.grant_index.items()})


@pytest.fixture(scope="module")
def formatted_tree(tmp_path_factory) -> Path:
    """A copy of rules/ and policies/ with every rule file formatted."""
    root = tmp_path_factory.mktemp("formatted")
    for folder in (rules_dir(), policies_dir()):
        shutil.copytree(folder, root / folder.name)
    for path in list((root / "rules").iterdir()) + list((root / "policies").iterdir()):
        if path.suffix in (".rules", ".policy", ".test"):
            path.write_text(format_text(_read(path), path.name), encoding="utf-8")
    return root


@pytest.mark.parametrize("coop", sorted(p.stem for p in policies_dir().glob("*.policy")))
def test_formatting_the_shipped_files_keeps_every_compiled_rule_and_decision(coop, formatted_tree):
    before, after = _compile(rules_dir().parent, coop), _compile(formatted_tree, coop)
    assert _without_lines(after) == _without_lines(before)
    cases = dsl.parse(_read(policies_dir() / f"{coop}.test")).of_type(ast.Case)
    assert len(cases) > 40
    assert _decisions(after, cases) == _decisions(before, cases)


# ---- the command line -------------------------------------------------------------------------

UNFORMATTED = "policy demo\nname  may be used for delivery purposes [c]\n"
FORMATTED = "policy demo\nname may be used for delivery" + " " * 44 + "[c]\n"


def test_fmt_rewrites_files_in_place_and_lists_them(tmp_path, capsys):
    messy, tidy = tmp_path / "a.policy", tmp_path / "sub" / "b.rules"
    tidy.parent.mkdir()
    messy.write_text(UNFORMATTED, encoding="utf-8")
    tidy.write_text("module b\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a rule file", encoding="utf-8")
    assert main(["fmt", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [f"reformatted {messy}"]
    assert "1 file reformatted, 1 already formatted" in out.err
    assert messy.read_text(encoding="utf-8") == FORMATTED
    assert main(["fmt", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_fmt_check_changes_nothing_and_fails_on_unformatted_files(tmp_path, capsys):
    messy, tidy = tmp_path / "a.policy", tmp_path / "b.test"
    messy.write_text(UNFORMATTED, encoding="utf-8")
    tidy.write_text("tests for demo\n", encoding="utf-8")
    assert main(["fmt", "--check", str(messy), str(tidy)]) == 1
    assert capsys.readouterr().out.splitlines() == [f"would reformat {messy}"]
    assert messy.read_text(encoding="utf-8") == UNFORMATTED
    assert main(["fmt", "--check", str(tidy)]) == 0


def test_fmt_diff_shows_a_unified_diff(tmp_path, capsys):
    messy = tmp_path / "a.policy"
    messy.write_text(UNFORMATTED, encoding="utf-8")
    assert main(["fmt", "--check", "--diff", str(messy)]) == 1
    out = capsys.readouterr().out
    assert f"--- {messy}\n+++ {messy} (formatted)\n" in out
    assert "-name  may be used for delivery purposes [c]\n+name may be used for delivery" in out
    assert main(["fmt", "--diff", str(messy)]) == 1  # --diff alone changes nothing either
    assert messy.read_text(encoding="utf-8") == UNFORMATTED


def test_fmt_reads_stdin_and_writes_stdout(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(UNFORMATTED.encode("utf-8")), encoding="utf-8"))
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == FORMATTED
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(UNFORMATTED.encode("utf-8")), encoding="utf-8"))
    assert main(["fmt", "--check", "-"]) == 1
    assert capsys.readouterr().out == "would reformat <stdin>\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(FORMATTED.encode("utf-8")), encoding="utf-8"))
    assert main(["fmt", "--check", "-"]) == 0


def test_fmt_reports_parse_errors_and_leaves_the_file_alone(tmp_path, capsys):
    bad, messy = tmp_path / "bad.policy", tmp_path / "messy.policy"
    bad.write_text("policy d\nname may be usd for delivery [c]\n", encoding="utf-8")
    messy.write_text(UNFORMATTED, encoding="utf-8")
    assert main(["fmt", str(bad), str(messy)]) == 2
    err = capsys.readouterr().err
    assert "bad.policy:2:13: error[E102]" in err and "did you mean `used`?" in err
    assert bad.read_text(encoding="utf-8") == "policy d\nname may be usd for delivery [c]\n"
    assert messy.read_text(encoding="utf-8") == FORMATTED  # the other files are still formatted


def test_fmt_on_stdin_with_a_parse_error(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"policy d\nname may [c]\n"), encoding="utf-8"))
    assert main(["fmt", "-"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "<stdin>:2:" in out.err


def test_fmt_missing_or_unreadable_paths_exit_2(tmp_path, capsys):
    assert main(["fmt", str(tmp_path / "missing.policy")]) == 2
    assert "error[E302]: cannot find" in capsys.readouterr().err
    latin = tmp_path / "latin.policy"
    latin.write_bytes("policy d  # caf\xe9\n".encode("latin-1"))
    assert main(["fmt", "--check", str(latin)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_shipped_files_are_formatted(capsys):
    """Every shipped rule, policy and test file is already in the canonical layout."""
    code = main(["fmt", "--check"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "would reformat" not in out


def test_explicit_subjects_writes_what_a_statement_without_of_means(tmp_path):
    """`fmt --explicit-subjects` writes `of members` where no subject is named, and the
    compiled rules stay the same (docs/semantics.md §4.1)."""
    from coopcheck import load_string
    from coopcheck.dsl.formatter import format_text

    text = ("policy demo\nimport vocabulary\nname may be used for delivery   [1]\n"
            "photo must not be published unless consent   [2]\ncollecting name requires consent   [3]\n"
            "name of anyone must not be used for survey   [4]\n")
    explicit = format_text(text, explicit_subjects=True)
    assert explicit.count("of members") == 3 and "name of anyone must not be used" in explicit

    def meaning(source):
        return [(r.kind, r.verb, r.items, r.subjects, r.recipients, r.purposes, r.exceptions)
                for r in load_string(source).rules if r.module == "demo"]
    assert meaning(explicit) == meaning(text)
    assert format_text(explicit, explicit_subjects=True) == explicit


@pytest.mark.parametrize("text", [
    # found by the fuzz campaign (a shipped file with one edit): a comma ending a line before an
    # indented `obliging` is the comma of `, obliging`, as it is on one line
    "policy x\nname may be used for delivery and billing ,\n    obliging supervise contractor\n    [c]\n",
    "policy x\nname may be shared with jccu for delivery,\n    managed by jccu\n    [c]\n",
    # words that begin with a keyword are never printed after a comma
    "policy x\nname may be used for a, b and obliging x   [c]\n",
    "policy x\nname may be used for a and obliging x and b   [c]\n",
])
def test_formatting_a_comma_before_a_keyword_keeps_the_tree_and_is_idempotent(text):
    from coopcheck.dsl import parse
    from coopcheck.dsl.formatter import format_text

    once = format_text(text, "x.policy")
    assert format_text(once, "x.policy") == once
    assert parse(once, "x.policy") == parse(text, "x.policy")
