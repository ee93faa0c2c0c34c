"""The TextMate grammar in editors/: well-formed, and it highlights what the parser reads.

A tiny matcher applies the grammar's top-level patterns the way a TextMate engine does on one
line (at each point the pattern matching earliest wins, ties going to the first listed), so
the tests check the scopes real editors would show. Keywords are taken from dsl/grammar.lark
and located with the real parser, so a keyword added to the language without highlighting
(or without a sample line below) fails a test.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from coopcheck.dsl.parser import lark_parser
from coopcheck.core.paths import policies_dir, rules_dir

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR_FILE = ROOT / "editors" / "coopcheck.tmLanguage.json"
SHIPPED = sorted(rules_dir().glob("*.rules")) + sorted(policies_dir().glob("*.policy")) + \
    sorted(policies_dir().glob("*.test"))

#: Scopes that count as highlighting a keyword.
KEYWORD_SCOPES = ("keyword.", "storage.type.", "constant.language.")

#: Lines that use every keyword of the language at least once (with the shipped files).
SAMPLES = """\
module sample
policy sample
tests for sample
import vocabulary
name: "x", 2022-04-01, 3   [c]
data item x is y, label "x", alias "x"
data item x, is y, label "x", aliases "x", "y"
party p
purpose q
subject s
exception e
obligation o
cooperative c
x of any subject may be used for any purposes provided that consent is given [c]
x of anyone may be collected for delivery purposes provided that a legal exception applies [c]
x may be published for delivery purpose provided that by law applies or consent is given [c]
x may be shared with anyone for any declared purpose, obliging o, managed by p [c]
x may be entrusted to any recipient for q obliging o managed by p [c]
x may be provided to p and q for q provided that a legal exception applies [c]
x may only be used for q unless consent or a legal exception applies [c]
x must not be provided to p unless by law applies [c]
using x requires notice [c]
collecting x of anyone with p for q requires consent and notice unless consent is given [c]
sharing x with anyone requires consent [c]
entrusting x to p requires consent [c]
providing x to p requires consent [c]
disclosing x requires notice [c]
x or y may not be disclosed to p or q [c]
x must not be disclosed [c]
publishing x requires consent [c]
honour legal exception by law [c]
honour legal exceptions: by law [c]
case "a": use x of s with p for q with consent claiming e
    expect permit by joint use citing [c]
case "b": collect x for q
    expect deny by purpose
case "c": share x to p for q
    expect deny
case "d": publish x for q
    expect permit
"""


@lru_cache(maxsize=1)
def grammar() -> dict:
    return json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))


def _rules(node: dict) -> list[dict]:
    """Flatten a pattern (resolving includes) into its match rules, in order."""
    if "include" in node:
        return _rules(grammar()["repository"][node["include"].lstrip("#")])
    if "patterns" in node:
        return [r for child in node["patterns"] for r in _rules(child)]
    return [node]


@lru_cache(maxsize=1)
def top_rules() -> list[tuple[re.Pattern, dict]]:
    return [(re.compile(r["match"]), r) for r in _rules({"patterns": grammar()["patterns"]})]


def scopes(line: str) -> list[list[str]]:
    """The scopes of each character of ``line`` under the top-level patterns."""
    out: list[list[str]] = [[] for _ in line]
    pos = 0
    while pos < len(line):
        best = None
        for pattern, rule in top_rules():
            m = pattern.search(line, pos)
            if m and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        if "name" in rule:
            for i in range(m.start(), m.end()):
                out[i].append(rule["name"])
        for group, capture in rule.get("captures", {}).items():
            if m.group(int(group)) is not None:
                for i in range(m.start(int(group)), m.end(int(group))):
                    out[i].append(capture["name"])
        pos = m.end() if m.end() > pos else pos + 1
    return out


def scopes_at(line: str, start: int, end: int) -> set[str]:
    """Every scope on the non-space characters of ``line[start:end]``."""
    found = scopes(line)
    return {s for i in range(start, end) if not line[i].isspace() and line[i] != "," for s in found[i]}


def grammar_keywords() -> set[str]:
    """Every keyword literal in dsl/grammar.lark (words in double quotes)."""
    text = (ROOT / "dsl" / "grammar.lark").read_text(encoding="utf-8")
    code = "\n".join(line.split("//", 1)[0] for line in text.splitlines())
    return set(re.findall(r'"([a-z]+)"', code))


def keyword_tokens(text: str):
    """(line, column, end column, word) of each keyword the parser reads in ``text``."""
    keywords = grammar_keywords()
    ip = lark_parser().parse_interactive(text)
    for tok in ip.iter_parse():
        value = str(tok)
        if tok.type in ("WORD", "STRING", "CITATION", "DATE", "NUMBER", "_NL"):
            continue
        for m in re.finditer(r"[a-z]+", value):
            if m.group() in keywords:
                yield tok.line, tok.column - 1 + m.start(), tok.column - 1 + m.end(), m.group()


# ---- well-formed -------------------------------------------------------------------------

def test_grammar_is_a_textmate_grammar():
    g = grammar()
    assert g["scopeName"] == "source.coopcheck"
    assert {"rules", "policy", "test"} <= set(g["fileTypes"])
    assert g["name"] and g["patterns"] and isinstance(g["repository"], dict)
    for node in g["patterns"]:
        assert node["include"].lstrip("#") in g["repository"], node
    for rule in _rules({"patterns": g["patterns"]}):
        assert set(rule) <= {"match", "name", "captures", "comment"}, rule
        assert rule.get("name") or rule.get("captures"), rule
        for name in [rule.get("name")] + [c["name"] for c in rule.get("captures", {}).values()]:
            assert name is None or name.endswith(".coopcheck"), name


def test_every_regex_compiles_without_oniguruma_only_syntax():
    for rule in _rules({"patterns": grammar()["patterns"]}):
        pattern = rule["match"]
        assert not re.search(r"\\[GhHAzZK]|\(\?<[a-zA-Z]|\(\?>|[*+?}]\+", pattern), pattern
        compiled = re.compile(pattern)
        for group in rule.get("captures", {}):
            assert 0 < int(group) <= compiled.groups, (pattern, group)


# ---- keywords ------------------------------------------------------------------------------

def _corpus() -> list[tuple[str, str]]:
    return [(SAMPLES, "samples")] + [(p.read_text(encoding="utf-8"), p.name) for p in SHIPPED]


def test_samples_use_every_keyword_of_the_grammar():
    seen = {word for text, _ in _corpus() for *_, word in keyword_tokens(text)}
    assert grammar_keywords() - seen == set(), "add a sample line that uses the new keyword"


@pytest.mark.parametrize("text,name", _corpus(), ids=[n for _, n in _corpus()])
def test_every_keyword_the_parser_reads_is_highlighted_as_one(text, name):
    lines = text.split("\n")
    missed = []
    for line_no, start, end, word in keyword_tokens(text):
        line = lines[line_no - 1]
        found = scopes_at(line, start, end)
        if not any(s.startswith(KEYWORD_SCOPES) for s in found):
            missed.append(f"{name}:{line_no}: `{word}` in {line.strip()!r} got {sorted(found)}")
    assert not missed, "\n".join(missed[:20])


def test_words_of_terms_are_terms_not_keywords():
    line = "personal data of members may be used for delivery and product info   [指針1 ④]"
    for word in ("personal", "data", "members", "delivery", "product", "info"):
        start = line.index(word)
        assert scopes_at(line, start, start + len(word)) == {"variable.other.term.coopcheck"}, word
    line = "    expect permit by joint use citing [指針2]"
    start = line.index("joint use")
    assert scopes_at(line, start, start + 9) == {"variable.other.term.basis.coopcheck"}


# ---- comments, strings, citations on shipped lines ---------------------------------------------

def _lines_with(pattern: str) -> list[str]:
    regex = re.compile(pattern)
    return [line for p in SHIPPED for line in p.read_text(encoding="utf-8").split("\n") if regex.search(line)]


def test_citations_on_shipped_lines():
    lines = _lines_with(r"^[^#\"]*\[[^\]]+\]\s*$")
    assert len(lines) > 100
    for line in lines:
        start = line.rindex("[")
        found = scopes(line)
        assert all("string.other.citation.coopcheck" in found[i] for i in range(start, len(line.rstrip()))), line


def test_comments_on_shipped_lines():
    lines = _lines_with(r"#")
    assert len(lines) > 100
    for line in lines:
        start = line.index("#")  # no shipped string or citation holds `#`
        found = scopes(line)
        assert all(found[i] == ["comment.line.number-sign.coopcheck"] for i in range(start, len(line))), line
        assert all(not any(s.startswith("comment") for s in found[i]) for i in range(start)), line


def test_strings_on_shipped_lines():
    lines = [line for line in _lines_with(r'^[^#]*"') if not line.lstrip().startswith("#")]
    assert len(lines) > 100
    for line in lines:
        found = scopes(line)
        for m in re.finditer(r'"[^"]*"', line.split("#")[0]):
            assert all(found[i] == ["string.quoted.double.coopcheck"] for i in range(m.start(), m.end())), line


def test_a_hash_inside_a_string_or_citation_is_not_a_comment():
    line = 'note: "a # b"   [c #1]  # real'
    found = scopes(line)
    assert found[line.index("# b")] == ["string.quoted.double.coopcheck"]
    assert "string.other.citation.coopcheck" in found[line.index("#1")]
    assert found[line.index("# real")] == ["comment.line.number-sign.coopcheck"]


def test_dates_numbers_and_wildcards():
    line = "date: 2022-04-01"
    assert scopes(line)[line.index("2022")] == ["constant.numeric.date.coopcheck"]
    line = "personal data of anyone may be shared with anyone for any declared purpose   [c]"
    for phrase in ("anyone may", "anyone for", "any declared purpose"):
        start = line.index(phrase)
        word = phrase.split(" ")[0] if phrase.startswith("anyone") else phrase
        assert scopes_at(line, start, start + len(word)) == {"constant.language.wildcard.coopcheck"}, phrase


def test_readme_extension_manifest_is_valid_json():
    readme = (ROOT / "editors" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", readme, re.S)
    assert block, "editors/README.md shows the VS Code package.json"
    manifest = json.loads(block.group(1))
    (grammar_entry,) = manifest["contributes"]["grammars"]
    assert grammar_entry["scopeName"] == grammar()["scopeName"]
    (language,) = manifest["contributes"]["languages"]
    assert {".rules", ".policy", ".test"} <= set(language["extensions"])
