"""Robustness: whatever text or JSON comes in, coopcheck answers with a result or its own error.

- ``dsl.parse`` on any text gives a syntax tree or a :class:`~coopcheck.dsl.errors.CoopcheckError` (never
  another exception): random text, token soup, text generated from the grammar itself, and the
  shipped rule files with random edits. Compiling such text (``engine.load_string``) gives a
  ruleset or a ``CoopcheckError``.
- ``coopcheck check --json -`` on any input writes, per scenario, decisions or one
  ``{"error": ...}`` object, never a traceback, and exits 0 (all decided) or 2 (an input error).
"""

from __future__ import annotations

import functools
import io
import json
import re
import sys
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

import coopcheck.dsl as dsl
from coopcheck.dsl.errors import CoopcheckError
from coopcheck import Ruleset, load_string
from coopcheck.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SHIPPED = tuple(sorted([*REPO.glob("rules/*.rules"), *REPO.glob("policies/*.policy"), *REPO.glob("policies/*.test")]))
#: Fewer examples for the tests that parse or compile whole shipped files.
HEAVY = settings(max_examples=max(10, settings.default.max_examples // 2))


def parses_or_fails_cleanly(text: str, name: str = "fuzz.policy"):
    """``dsl.parse(text)``: a Module, or None after a CoopcheckError with diagnostics."""
    try:
        module = dsl.parse(text, name)
    except CoopcheckError as err:
        assert err.diagnostics and all(d.code and d.message for d in err.diagnostics)
        err.render()  # rendering the located message must work too
        return None
    assert isinstance(module, dsl.Module)
    return module


def compiles_or_fails_cleanly(text: str, name: str = "fuzz.policy"):
    """``engine.load_string(text)``: a Ruleset, or None after a CoopcheckError."""
    try:
        ruleset = load_string(text, name)
    except CoopcheckError as err:
        assert err.diagnostics
        err.render()
        return None
    assert isinstance(ruleset, Ruleset)
    return ruleset


# ---- random text ----------------------------------------------------------------------------------
KEYWORDS = ("module", "policy", "tests for", "import", "data item", "party", "purpose", "subject",
            "exception", "obligation", "cooperative", "is", "label", "alias", "aliases", "may", "be",
            "only", "must", "not", "used", "collected", "published", "shared with", "entrusted to",
            "provided to", "for", "purposes", "of", "and", "or", "unless", "provided that", "consent",
            "is given", "a legal exception", "applies", "obliging", "managed by", "requires", "notice",
            "using", "collecting", "sharing", "publishing", "honour legal exceptions:", "any purpose",
            "any declared purpose", "anyone", "any subject", "any recipient", "case", "use", "collect",
            "share", "publish", "with consent", "claiming", "expect", "permit", "deny", "by", "citing")
FRAGMENTS = KEYWORDS + (
    "purchase history", "name", "jccu", "delivery", "member", "by law", "personal data", "item_a",
    '"日本生協連"', '"購買履歴"', "[指針2 ◇共済事業]", "[", "]", '"', "「", "」", "（", "）", "＃", ",", "，",
    ":", "：", "#", "# comment", "2022-04-01", "2022-13-45", "123", "-", "_", "beused", "mayonly",
    " ", " ", " ", "\t", "\u3000", "\n", "\n", "\n    ", "\r\n", "\r", "\x00", "\ufeff", "\u2028",
    "\x0b", "\x0c", "é", "ﬁ", "Ｊ", "𠮷", "\\", "'")
token_soup = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join) | \
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@given(text=st.text() | token_soup)
def test_parser_never_crashes_on_random_text(text):
    """Any text, including Japanese, full-width spaces, brackets, quotes, tabs, NUL and CR,
    parses to a syntax tree or fails with the project's own located error."""
    parses_or_fails_cleanly(text)


@given(text=token_soup)
def test_compiler_never_crashes_on_random_text(text):
    """Compiling any text gives a ruleset or a CoopcheckError, never another exception."""
    compiles_or_fails_cleanly(text)


# ---- text generated from the grammar -------------------------------------------------------------
@functools.cache
def grammar_text():
    """A strategy for text shaped by grammar.lark: each terminal drawn from its own pattern and
    followed by a space (so words do not run together); line breaks sometimes indented."""
    source = resources.files("dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    lark = Lark(source, parser="lalr")
    terminals, _, _ = lark.grammar.compile(lark.options.start, ())
    explicit = {}
    for term in terminals:
        if term.name == "WS_INLINE":
            continue
        if term.name == "COMMENT":
            explicit[term.name] = st.sampled_from(("", "  # note"))
        elif term.name == "_NL":
            explicit[term.name] = st.sampled_from(("\n", "\n", "\n    ", "\r\n", "\n\n", "\n\u3000"))
        elif term.pattern.type == "str":
            explicit[term.name] = st.just(term.pattern.value + " ")
        else:
            explicit[term.name] = st.from_regex(term.pattern.to_regexp(), fullmatch=True).map(lambda s: s + " ")
    return from_lark(lark, explicit=explicit)


@given(data=st.data())
def test_parser_and_compiler_never_crash_on_grammar_shaped_text(data):
    """Text generated from the language's own grammar parses to a syntax tree or fails with
    a CoopcheckError; so does compiling it (with and without a policy header)."""
    text = data.draw(grammar_text(), label="text")
    parses_or_fails_cleanly(text)
    compiles_or_fails_cleanly(text)
    compiles_or_fails_cleanly("policy fuzz\nimport vocabulary\n" + text)


# ---- shipped files with random edits -------------------------------------------------------------
def _pieces(text: str, unit: str) -> list[str]:
    if unit == "line":
        return text.split("\n")
    if unit == "token":
        return re.findall(r"\s+|\S+", text)
    return list(text)


_JOIN = {"line": "\n", "token": "", "char": ""}


@st.composite
def edited(draw, text: str) -> str:
    """``text`` after 1-3 random edits: delete, insert, duplicate or swap a character, a line or
    a token (inserts come from keywords, punctuation and odd characters)."""
    for _ in range(draw(st.integers(1, 3), label="edits")):
        unit = draw(st.sampled_from(("char", "line", "token")), label="unit")
        pieces = _pieces(text, unit)
        if not pieces:
            pieces = [""]
        at = draw(st.integers(0, len(pieces) - 1), label="at")
        how = draw(st.sampled_from(("delete", "insert", "duplicate", "swap")), label="edit")
        if how == "delete":
            del pieces[at]
        elif how == "insert":
            pieces.insert(at, draw(st.sampled_from(FRAGMENTS) | st.text(max_size=3), label="inserted"))
        elif how == "duplicate":
            pieces.insert(at, pieces[at])
        elif at + 1 < len(pieces):
            pieces[at], pieces[at + 1] = pieces[at + 1], pieces[at]
        text = _JOIN[unit].join(pieces)
    return text


@HEAVY
@given(data=st.data())
def test_edited_shipped_files_parse_or_fail_cleanly(data):
    """Every shipped rule, policy and test file, randomly edited, parses to a syntax tree or
    fails with a CoopcheckError; compiled, it gives a ruleset or a CoopcheckError."""
    path = data.draw(st.sampled_from(SHIPPED), label="file")
    text = data.draw(edited(path.read_text(encoding="utf-8")), label="edited text")
    parses_or_fails_cleanly(text, path.name)
    compiles_or_fails_cleanly(text, path.name)


def test_shipped_files_parse_unedited():
    """The unedited shipped files parse (so the edits above start from valid text)."""
    assert SHIPPED and all(parses_or_fails_cleanly(p.read_text(encoding="utf-8"), p.name) for p in SHIPPED)


# ---- coopcheck check --json ----------------------------------------------------------------------
def run_check(stdin: bytes, *args: str) -> tuple[int, list[str], str]:
    """``coopcheck check --json - ARGS`` in-process, with ``stdin`` bytes and a strict UTF-8
    stdout like a terminal's: (exit code, output lines, stderr)."""
    out, err = io.BytesIO(), io.StringIO()
    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    fake_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, err
    try:
        code = main(["check", "--json", "-", *args])
        fake_out.flush()
        written = out.getvalue()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        fake_in.detach()
        fake_out.detach()
    lines = written.decode("utf-8").split("\n")  # JSON Lines: only "\n" ends a line
    return code, lines[:-1] if lines[-1] == "" else lines, err.getvalue()


BASES = {"purpose", "joint_use", "entrustment", "consent", "legal_exception", "none", "mixed"}


def check_output_line(line: str) -> dict:
    """One output line: a decision or an error object in the JSON contract."""
    obj = json.loads(line)
    assert isinstance(obj, dict), line
    if "error" in obj:
        error = obj["error"]
        assert set(obj) == {"error"} and isinstance(error["message"], str), line
        assert error["code"].startswith("E4") and len(error["code"]) == 4, line
        return obj
    assert obj["decision"] in ("permit", "deny") and obj["basis"] in BASES, line
    assert (obj["basis"] == "none") == (obj["decision"] == "deny"), line
    return obj


def units(text: str) -> list[tuple[int, object]]:
    """The scenarios in ``check --json`` input, as (number, parsed value or None if invalid):
    one JSON value (an array: each element), or else one per non-blank line."""
    try:
        whole = json.loads(text.strip()) if text.strip() else None
    except ValueError:
        pass
    else:
        if not text.strip():
            return []
        return list(enumerate(whole, 1)) if isinstance(whole, list) else [(1, whole)]
    found = []
    for number, line in enumerate(text.split("\n"), 1):  # JSON Lines end at "\n" (or "\r\n")
        line = line.removesuffix("\r")
        if line.strip():
            try:
                found.append((number, json.loads(line)))
            except ValueError:
                found.append((number, None))
    return found


def assert_check_answers(text: str, default_coop: str | None) -> None:
    """Run ``check --json -`` on ``text`` and check every answer against the input."""
    args = ("--coop", default_coop) if default_coop else ()
    code, lines, err = run_check(text.encode("utf-8"), *args)
    assert "Traceback" not in err
    if not text.lstrip("\ufeff").strip():  # no scenario at all: an input error, not a silent success
        assert (code, lines) == (2, []) and "no scenarios" in err
        return
    expected = units(text)
    errors = 0
    position = 0
    for number, value in expected:
        assert position < len(lines), f"no answer for scenario {number}: {lines}"
        first = check_output_line(lines[position])
        if "error" in first:
            errors += 1
            assert first["error"].get("line") == number, (number, lines[position])
            position += 1
            continue
        coop = value.get("coop") if isinstance(value, dict) and value.get("coop") is not None else default_coop
        count = 5 if coop == "all" else 1
        for line in lines[position:position + count]:
            assert "decision" in check_output_line(line), line
        position += count
    assert position == len(lines), f"more answers than scenarios: {lines[position:]}"
    assert code == (2 if errors else 0), (code, lines)


json_values = st.recursive(
    # JSON has no NaN or Infinity (RFC 8259): text holding them is E406 (tests/test_entry_points_agree.py)
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
COOPS = ("aizu", "ibaraki", "aicoop_miyagi", "nara", "kuruko", "コープあいづ", "all", "nowhere", "")
valid_scenarios = st.fixed_dictionaries(
    {"action": st.sampled_from(("use", "collect", "share", "publish", "USE", " share ")),
     "data": st.lists(st.sampled_from(("name", "purchase_history", "購買履歴", "photo", "personal data",
                                       "sensitive_data", "address")), min_size=1, max_size=3),
     "purpose": st.sampled_from(("delivery", "membership_management", "market research", "商品のお届け・発送・サービスの提供"))},
    optional={"coop": st.sampled_from(COOPS), "recipient": st.sampled_from(("jccu", "日本生協連", "public", "foreign_third_party")),
              "subject": st.sampled_from(("member", "prospect", "組合員", "employee")), "consent": st.booleans(),
              "exception": st.sampled_from(("by_law", "protect_life", None))})


@st.composite
def near_valid_scenarios(draw) -> dict:
    """Valid-looking scenarios with a few fields dropped, retyped, misspelt, huge or added."""
    scenario = dict(draw(valid_scenarios))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(sorted(scenario) + ["coop", "recipient", "unknown_field", "Data"]))
        how = draw(st.sampled_from(("drop", "value", "text", "huge")))
        if how == "drop":
            scenario.pop(key, None)
        elif how == "value":
            scenario[key] = draw(json_values)
        elif how == "text":
            scenario[key] = draw(st.text(max_size=20))
        else:
            scenario[key] = "購買履歴" * 3000 if draw(st.booleans()) else ["name"] * 500
    return scenario


def _jsonl_line(draw) -> str:
    kind = draw(st.sampled_from(("scenario", "near", "value", "garbage", "blank")))
    if kind in ("scenario", "near", "value"):
        value = draw({"scenario": valid_scenarios, "near": near_valid_scenarios(), "value": json_values}[kind])
        return json.dumps(value, ensure_ascii=draw(st.booleans()))
    if kind == "garbage":
        return draw(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=30))
    return draw(st.sampled_from(("", "  ", "\t")))


@st.composite
def check_inputs(draw) -> str:
    """``check --json`` input: JSON Lines mixing scenarios, near-scenarios, any JSON values,
    invalid lines and blank lines; or one (pretty-printed) JSON value or array."""
    shape = draw(st.sampled_from(("lines", "lines", "value", "array")))
    if shape == "lines":
        end = draw(st.sampled_from(("\n", "\r\n")))
        return end.join(_jsonl_line(draw) for _ in range(draw(st.integers(1, 5)))) + draw(st.sampled_from(("", end)))
    if shape == "value":
        value = draw(valid_scenarios | near_valid_scenarios() | json_values)
    else:
        value = draw(st.lists(valid_scenarios | near_valid_scenarios() | json_values, max_size=4))
    return json.dumps(value, ensure_ascii=False, indent=draw(st.sampled_from((None, 2))))


@given(text=check_inputs(), coop=st.sampled_from((None, "aizu", "all", "nowhere")))
def test_check_json_answers_every_line(text, coop):
    """Any input to ``coopcheck check --json -`` (with or without ``--coop``) gets, per
    scenario in order, decisions (five for ``all``) or one error object naming its line, never
    a traceback; the exit code is 2 when any scenario was an input error, else 0."""
    assert_check_answers(text, coop)


@given(value=json_values)
def test_check_json_answers_any_json_value(value):
    """Any single JSON value given to ``check --json -`` is decided or answered with one
    input error object."""
    assert_check_answers(json.dumps(value), "aizu")


def test_check_json_exit_codes():
    """Exit 0 when every scenario was decided, 2 on any input error (the rest still run),
    1 with ``--fail-on-deny`` when something was denied and there was no input error."""
    permit = json.dumps({"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"})
    deny = json.dumps({"coop": "aizu", "action": "share", "data": ["name"], "recipient": "unrelated_third_party",
                       "purpose": "delivery"})
    assert run_check(permit.encode())[0] == 0
    assert run_check(f"{permit}\n{deny}\n".encode())[0] == 0
    assert run_check(f"{permit}\n{deny}\n".encode(), "--fail-on-deny")[0] == 1
    code, lines, _ = run_check(f"{permit}\n{{oops\n{deny}\n".encode(), "--fail-on-deny")
    assert code == 2 and [check_output_line(x).get("decision", "error") for x in lines] == ["permit", "error", "deny"]
    code, lines, _ = run_check(b"\xff\xfe{}\n")
    assert code == 2 and lines == []


# ---- behaviour the robustness properties exposed ---------------------------------------------------
def test_check_json_lone_surrogate_is_an_input_error():
    """A scenario whose term is a lone surrogate escape gets an error object, not a traceback."""
    text = '{"coop": "aizu", "action": "use", "data": ["name"], "purpose": "\\ud800"}\n'
    code, lines, _ = run_check(text.encode())
    assert code == 2 and "error" in check_output_line(lines[0])


def test_check_json_lines_with_a_raw_line_separator_in_a_string():
    """A valid JSON Lines line whose string holds a raw U+2028 is one scenario."""
    first = json.dumps({"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"})
    second = json.dumps({"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery",
                         "subject": "member\u2028"}, ensure_ascii=False)
    code, lines, _ = run_check(f"{first}\n{second}\n".encode())
    assert len(lines) == 2 and lines[1].find("E406") == -1
