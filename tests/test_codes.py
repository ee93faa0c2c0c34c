"""The registry of diagnostic codes (``coopcheck.dsl.codes``) is the only list of codes.

Every code the package's source names (a ``"E302"`` literal or ``Code.E302``) is registered;
every registered code is reported somewhere or listed as reserved; the tables in README.md
and docs/language.md name registered codes with their severities; ``Diagnostic`` refuses
any other code; and the emitters that used to keep their own tables (SARIF, suppressions)
know every code — E308 was missing from one of them.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import coopcheck
import coopcheck.dsl
from coopcheck.analysis.lint import ALLOWABLE, lint_paths
from coopcheck.cli.main import main
from coopcheck.dsl.codes import RESERVED, Code, Family, Severity, UnregisteredCode, lookup, registered
from coopcheck.dsl.errors import Diagnostic
from coopcheck.presentation.sarif import to_sarif

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"[EW]\d{3}")
REGISTRY = Path(coopcheck.dsl.__path__[0]) / "codes.py"


# ---- reading the source ---------------------------------------------------------------------

def _sources() -> list[Path]:
    """Every Python module of the package (engine/ and dsl/), the registry itself left out."""
    found = []
    for package in (coopcheck, coopcheck.dsl):
        found += sorted(Path(package.__path__[0]).rglob("*.py"))
    return [p for p in dict.fromkeys(found) if p.resolve() != REGISTRY.resolve()]


SOURCES = _sources()


def _uses(path: Path) -> list[tuple[str, int, str]]:
    """``(code, line, how)`` for every code a module names: a string literal that is a code,
    ``Code.X``, and a code put together in an f-string (``f"E{n}"``, reported as such)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
            out.append((node.value, node.lineno, "literal"))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Code":
            if CODE.fullmatch(node.attr):
                out.append((node.attr, node.lineno, "Code"))
        elif isinstance(node, ast.JoinedStr):
            parts = node.values
            for part, after in zip(parts, parts[1:]):
                if (isinstance(part, ast.Constant) and isinstance(after, ast.FormattedValue)
                        and re.search(r"(?<![A-Za-z])[EW]\d{0,2}$", part.value)):
                    out.append((part.value[-4:], node.lineno, "built"))
    return out


def _all_uses() -> dict[Path, list[tuple[str, int, str]]]:
    return {path: _uses(path) for path in SOURCES}


USES = _all_uses()


def test_the_source_walk_sees_the_emitters():
    """The walk reaches the parser, the compiler, lint and the CLI (a walk over nothing
    could not fail)."""
    named = {p.name for p, uses in USES.items() if uses}
    assert {"parser.py", "compiler.py", "lint.py", "lint_checks.py", "inputs.py", "scenario.py"} <= named


def test_every_code_in_the_source_is_registered():
    problems = []
    for path, uses in USES.items():
        for code, line, how in uses:
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"
            if how == "built":
                problems.append(f"{where}: a code put together in an f-string; write Code.X")
            elif lookup(code) is None:
                problems.append(f"{where}: `{code}` is not registered in coopcheck.dsl.codes")
    assert not problems, "\n".join(problems)


def test_every_registered_code_is_reported_somewhere_or_reserved():
    named = {code for uses in USES.values() for code, _, _ in uses}
    unused = [c for c in Code if c not in named and c not in RESERVED]
    assert not unused, f"registered but reported nowhere (report them, or list them in RESERVED): {unused}"
    for code, reason in RESERVED.items():
        assert code not in named, f"{code} is reserved but reported"
        assert isinstance(code, Code) and len(reason.strip()) > 10, code


def test_outside_the_core_codes_are_written_as_code_members():
    """dsl/, analysis/, presentation/ and cli/ write ``Code.X``; only the core (being rewritten
    elsewhere) may still write literals, which ``Diagnostic`` checks when it runs."""
    core = Path(coopcheck.__path__[0]) / "core"
    literals = [f"{p.name}:{line} {code}" for p, uses in USES.items() if not p.is_relative_to(core)
                for code, line, how in uses if how == "literal"]
    assert not literals, literals


# ---- the registry ---------------------------------------------------------------------------

def test_every_code_has_a_severity_a_rule_name_and_a_description():
    names = set()
    for code in Code:
        assert CODE.fullmatch(code) and code == code.value == str(code) == f"{code}"
        assert code.severity is (Severity.ERROR if code.startswith("E") else Severity.WARNING)
        assert isinstance(code.family, Family)
        assert re.fullmatch(r"(?:[A-Z][a-z]+)+", code.rule_name), code.rule_name  # SARIF: Pascal case
        assert code.rule_name not in names, code.rule_name
        names.add(code.rule_name)
        assert code.description and "\n" not in code.description and code.description == code.description.strip()
        assert code.description[0].islower() or code.description[0] == "`", code.description


def test_families_follow_the_numbers():
    first_digit = {Family.PARSE: "1", Family.COMPILE: "23", Family.INPUT: "4", Family.INVENTORY: "5",
                   Family.SUPPRESSION: "6", Family.ANALYSIS: "6"}
    for code in Code:
        assert code[1] in first_digit[code.family], code


def test_only_the_analyses_warnings_can_be_allowed():
    assert ALLOWABLE == ("W601", "W602", "W603", "W604", "W605", "W606", "W607", "W609", "W610", "W611", "W612")
    assert all(c.severity is Severity.WARNING for c in ALLOWABLE)
    assert not Code.W608.allowable and not Code.E308.allowable


def test_a_code_is_a_string():
    assert Code.E308 == "E308" and "E308" == Code.E308 and {"E308": 1}[Code.E308] == 1
    assert json.dumps({"code": Code.E308}) == '{"code": "E308"}'
    assert registered("E308") is Code.E308 and lookup("e308") is None


# ---- Diagnostic refuses what is not registered ------------------------------------------------

def test_diagnostic_refuses_an_unregistered_code():
    with pytest.raises(UnregisteredCode, match="E999"):
        Diagnostic("E999", "no such code")
    with pytest.raises(ValueError):
        Diagnostic("W304", "no such code")


def test_diagnostic_takes_its_severity_from_its_code():
    d = Diagnostic("W606", "covered")
    assert d.code is Code.W606 and d.severity == "warning"
    assert Diagnostic(Code.E308, "x").severity == "error"
    assert Diagnostic("E302", "x") == Diagnostic(Code.E302, "x", severity="error")
    with pytest.raises(ValueError, match="W606"):
        Diagnostic("W606", "covered", severity="error")
    assert Diagnostic("W606", "covered").to_json()["code"] == "W606"
    assert type(Diagnostic("W606", "covered").to_json()["code"]) is str


# ---- the tables in the documentation ----------------------------------------------------------

def _table(path: Path, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table after the line ``heading`` (header row left out)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    assert len(rows) > 2 and set(rows[1][0]) <= set("- :"), f"no table after {heading!r} in {path.name}"
    return rows[2:]


def _expand(cell: str) -> list[Code]:
    """The registered codes a table's code cell names: ``E301``, ``E103 / E104``,
    ``E401–E406``, ``E1xx–E3xx``, ``E1xx–E3xx, E501–E503``. A code or range end that is not
    registered fails the test."""
    codes: list[Code] = []
    for part in re.split(r"\s*[/,]\s*", cell):
        if m := re.fullmatch(r"([EW])(\d)xx(?:–\1(\d)xx)?", part):
            letter, low, high = m.group(1), m.group(2), m.group(3) or m.group(2)
            found = [c for c in Code if c[0] == letter and low <= c[1] <= high]
        elif m := re.fullmatch(r"([EW]\d{3})–([EW]\d{3})", part):
            low, high = registered(m.group(1)), registered(m.group(2))
            assert low[0] == high[0] and low < high, part
            found = [c for c in Code if low <= c <= high and c[0] == low[0]]
        else:
            assert CODE.fullmatch(part), f"not a code: {part!r} in {cell!r}"
            found = [registered(part)]
        assert found, f"{part!r} names no registered code"
        codes += found
    return codes


README = ROOT / "README.md"
LANGUAGE = ROOT / "docs" / "language.md"


def test_readme_lint_table_names_registered_codes_with_their_severities():
    rows = _table(README, "### `coopcheck lint [PATHS] [--format text|json|sarif] [--strict]`")
    listed: list[Code] = []
    for code_cell, severity_cell, meaning in rows:
        codes = _expand(code_cell)
        severities = [s.strip() for s in severity_cell.split("/")]
        assert set(severities) == {c.severity for c in codes}, (code_cell, severity_cell)
        assert meaning, code_cell
        listed += codes
    assert len(listed) == len(set(listed)), "a code is listed twice"
    # lint reports every code but the scenario-input ones
    assert set(listed) == {c for c in Code if c.family is not Family.INPUT}


def test_language_doc_table_lists_exactly_the_registered_codes():
    listed: list[Code] = []
    for code_cell, meaning in _table(LANGUAGE, "## Error and warning codes"):
        assert meaning, code_cell
        listed += _expand(code_cell)
    assert len(listed) == len(set(listed)), "a code is listed twice"
    assert set(listed) == set(Code)


def test_the_table_reader_expands_ranges():
    assert _expand("E103 / E104") == [Code.E103, Code.E104]
    assert _expand("E401–E406") == [Code("E40" + str(i)) for i in range(1, 7)]
    assert Code.E308 in _expand("E1xx–E3xx, E501–E503") and Code.E401 not in _expand("E1xx–E3xx")
    with pytest.raises(UnregisteredCode):
        _expand("E304")


# ---- SARIF and suppressions know every code ---------------------------------------------------

HEAD = "policy demo\nimport vocabulary\nimport appi\n"
E308_LINE = "photo must not be published for any declared purpose   [c]\n"


def test_sarif_names_the_rule_of_an_e308_finding(tmp_path, capsys):
    path = tmp_path / "demo.policy"
    path.write_text(HEAD + E308_LINE, encoding="utf-8")
    assert main(["lint", "--format", "sarif", str(path)]) == 1
    log = json.loads(capsys.readouterr().out)
    [rule] = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "E308" and rule["name"] == "DeclaredPurposeOutsideGrant"
    assert rule["shortDescription"]["text"] == "`any declared purpose` outside a grant"
    assert rule["defaultConfiguration"]["level"] == "error"
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "E308" and result["level"] == "error"


def test_sarif_describes_every_registered_code():
    log = to_sarif([Diagnostic(code, "x") for code in Code])
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(Code)
    for rule in rules:
        code = Code(rule["id"])
        assert rule["name"] == code.rule_name and rule["shortDescription"]["text"] == code.description
        assert rule["defaultConfiguration"]["level"] == code.severity
        assert "diagnostic" not in rule["shortDescription"]["text"]


def test_allow_e308_is_read_as_the_registered_error_it_is(tmp_path):
    """``# coopcheck: allow E308 -- reason`` is read as a known code: it is an error, which no
    suppression hides (only W601–W607 can be allowed), so the comment is refused as "cannot
    be allowed", with the allowable codes — not as an unknown code — and E308 is still
    reported."""
    path = tmp_path / "demo.policy"
    path.write_text(HEAD + "# coopcheck: allow E308 -- the source says so\n" + E308_LINE, encoding="utf-8")
    result = lint_paths([path])
    found = {(d.code, d.span.line): d for d in result.diagnostics}
    assert set(found) == {("E308", 5), ("E602", 4)}, [d.render() for d in result.diagnostics]
    refused = found["E602", 4]
    assert refused.message == "`E308` cannot be allowed"
    assert "fix errors instead" in refused.help and "W604" in refused.help


def test_allowing_a_warning_by_code_still_works(tmp_path):
    path = tmp_path / "demo.policy"
    path.write_text(HEAD + "name may be used for delivery  [1]\n"
                    "# coopcheck: allow W602 -- both clauses say it\nname may be used for delivery  [2]\n",
                    encoding="utf-8")
    assert lint_paths([path]).diagnostics == ()


def test_allow_of_an_unregistered_code_is_unknown(tmp_path):
    path = tmp_path / "demo.policy"
    path.write_text(HEAD + "# coopcheck: allow W699 -- reason\nname may be used for delivery  [1]\n",
                    encoding="utf-8")
    [d] = lint_paths([path]).diagnostics
    assert d.code == "E602" and d.message == "unknown diagnostic code `W699`"
