"""The shipped LALR tables (dsl/grammar_tables.json) are the ones the grammar gives today, are
read back exactly, parse as the built parser does, and are never used for another grammar."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopcheck.dsl import ast
from coopcheck.dsl.errors import CoopcheckError, Diagnostic
from coopcheck.dsl.parser import GluedWords, comments_of, parse
from coopcheck.dsl.transformer import ToAst
from tests.support.strategies import policies

from coopcheck.dsl import tables
from coopcheck.dsl.parser import _Continuations, build_lark_parser, lark_parser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built():
    return build_lark_parser(tables.grammar_text())


def shipped_document() -> dict:
    return tables.loads((ROOT / "dsl" / tables.TABLES_FILE).read_text(encoding="utf-8"))


def test_the_shipped_tables_were_built_from_this_grammar():
    assert shipped_document()["grammar_sha256"] == tables.grammar_sha256(tables.grammar_text()), (
        "dsl/grammar_tables.json is stale: run `python -m coopcheck.dsl.tables` after editing grammar.lark")


def automaton(parser) -> tuple[dict, int, int]:
    table = parser.parser.parser._parse_table
    return table.states, table.start_states["start"], table.end_states["start"]


def same_automaton(one, other) -> bool:
    """Whether two LALR tables are the same automaton up to the numbering of their states
    (Lark numbers states in an order that changes from build to build): walk both from the
    start state, pairing the states that each shift leads to; paired states must have the
    same actions on the same terminals, reducing by equal rules; the terminals must match alike."""
    if {t.name: (t.pattern, t.priority) for t in one.terminals} != \
            {t.name: (t.pattern, t.priority) for t in other.terminals}:
        return False
    (states_a, start_a, end_a), (states_b, start_b, end_b) = automaton(one), automaton(other)
    if len(states_a) != len(states_b):
        return False
    pairs = {start_a: start_b}
    todo = [start_a]
    while todo:
        a = todo.pop()
        b = pairs[a]
        actions_a, actions_b = states_a[a], states_b[b]
        if actions_a.keys() != actions_b.keys():
            return False
        for token, (action, arg) in actions_a.items():
            action_b, arg_b = actions_b[token]
            if action is not action_b:
                return False
            if action.name == "Shift":
                if arg in pairs:
                    if pairs[arg] != arg_b:
                        return False
                else:
                    pairs[arg] = arg_b
                    todo.append(arg)
            elif (arg.origin, arg.expansion, arg.alias, arg.options.keep_all_tokens,
                  arg.options.expand1) != (arg_b.origin, arg_b.expansion, arg_b.alias,
                                           arg_b.options.keep_all_tokens, arg_b.options.expand1):
                return False
    return len(pairs) == len(states_a) and pairs.get(end_a, end_b) == end_b \
        and len(set(pairs.values())) == len(pairs)


def test_the_shipped_tables_are_the_automaton_the_grammar_gives(built):
    if shipped_document()["lark_version"] != lark.__version__:
        pytest.skip(f"the tables were built with Lark {shipped_document()['lark_version']}, this is "
                    f"{lark.__version__}: run `python -m coopcheck.dsl.tables` (until then the "
                    "parser is built from the grammar)")
    assert same_automaton(lark_parser(), built)
    assert same_automaton(built, build_lark_parser(tables.grammar_text()))  # two builds: numbered apart, alike


def test_a_changed_automaton_is_told_apart(built):
    other = build_lark_parser(tables.grammar_text().replace('"cooperative"', '"co-operative"', 1))
    assert not same_automaton(lark_parser(), other)


def test_the_process_parser_comes_from_the_shipped_tables():
    if shipped_document()["lark_version"] != lark.__version__:
        pytest.skip("the tables were built with another Lark (see above)")
    assert lark_parser().source_path == "<deserialized>"


def test_loaded_tables_equal_built_tables_value_for_value(built):
    loaded = tables.load(tables.grammar_text(), postlex=_Continuations())
    assert loaded is not None
    assert tables.serialized(loaded) == shipped_document()["tables"]
    assert {t.name: t.pattern for t in loaded.terminals} == {t.name: t.pattern for t in built.terminals}


def rule_files():
    return sorted([*ROOT.glob("policies/*.policy"), *ROOT.glob("policies/*.test"),
                   *ROOT.glob("rules/*.rules")])


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.name)
def test_the_loaded_parser_parses_as_the_built_one(path, built):
    text = path.read_text(encoding="utf-8")
    assert lark_parser().parse(text) == built.parse(text)


@pytest.mark.parametrize("text", ["purchase history may be shaerd with JCCU for delivery  [1]\n",
                                  'case "x": share name with jccu for delivery -> permit\n',
                                  "data item name\n  label \"氏名\n"])
def test_the_loaded_parser_fails_as_the_built_one(text, built):
    def error(parser):
        with pytest.raises(lark.exceptions.UnexpectedInput) as caught:
            parser.parse(text)
        return type(caught.value), caught.value.line, caught.value.column
    assert error(lark_parser()) == error(built)


def test_tables_for_another_grammar_or_lark_are_not_used(monkeypatch):
    grammar = tables.grammar_text()
    assert tables.load(grammar + "\n// edited\n") is None
    monkeypatch.setattr(lark, "__version__", "0.0.0")
    assert tables.load(grammar) is None


def test_unreadable_tables_fall_back_to_building(monkeypatch):
    monkeypatch.setattr(tables, "TABLES_FILE", "no-such-tables.json")
    tables._shipped_text.cache_clear()
    tables._shipped_tables.cache_clear()
    try:
        assert tables.load(tables.grammar_text()) is None
    finally:
        monkeypatch.undo()
        tables._shipped_text.cache_clear()
        tables._shipped_tables.cache_clear()
    assert tables.load(tables.grammar_text()) is not None


def test_the_round_trip_keeps_tuples_frozensets_and_integer_keys():
    value = {1: ("a", [2, (3,)]), "k": frozenset({"x", "y"}), "d": {"n": None}}
    assert tables.loads(json.dumps(tables.encode(value))) == value
    with pytest.raises(TypeError):
        tables.encode({"f": object()})


# ---- the AST built while parsing is the AST of the parse tree --------------------------------

def reference_parse(text: str, filename: str) -> ast.Module:
    """The reference: Lark's parse tree with positions, then ToAst walking it (how parse
    worked before it built the AST while parsing). Raises CoopcheckError for a check that fails
    and lets Lark's syntax errors through."""
    tree = lark_parser().parse(text)
    return ast.Module(filename, ToAst(filename).transform(tree), comments_of(text, filename))


def deep(value):
    """``value`` with every field of every node, spans included (which AST equality leaves out)."""
    if attrs.has(type(value)):
        return (type(value).__name__,) + tuple((f.name, deep(getattr(value, f.name))) for f in attrs.fields(type(value)))
    if isinstance(value, (tuple, list)):
        return tuple(deep(v) for v in value)
    return value


def outcome(read, text: str):
    try:
        return "ok", deep(read(text, "f.rules"))
    except CoopcheckError as err:
        return "error", tuple((d.code, d.message, deep(d.span)) for d in err.diagnostics)
    except (lark.exceptions.UnexpectedInput, GluedWords):
        return "syntax", None


#: what parse refuses before either way of building the tree runs (a file or a line too long)
GATES = {"E106", "E107"}


def same_outcome(text: str) -> None:
    mine, reference = outcome(parse, text), outcome(reference_parse, text)
    if mine[0] == "error" and any(code.name in GATES for code, *_ in mine[1]):
        return
    if reference[0] == "syntax":  # parse reports every syntax error itself
        assert mine[0] == "error" and all(code.name.startswith("E1") for code, *_ in mine[1])
    else:
        assert mine == reference


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.name)
def test_the_ast_built_while_parsing_is_the_reference_ast_spans_included(path):
    text = path.read_text(encoding="utf-8")
    assert outcome(parse, text)[0] == "ok"
    same_outcome(text)


@pytest.mark.parametrize("text", [
    "",
    "# only a comment\n",
    "name may be used for delivery  [1]\n",
    "name may be used for delivery provided that consent  [1]\n",  # E110 from the builder
    "name may be used for delivery unless consent  [1]\n",  # E109
    "name may be used for delivery for billing  [1]\n",  # written twice
    "name may be used for delivery provided that consent  [1]\nname may be usd for x [2]\n",
    "data item x\n  label \"エックス\", alias \"x1\", \"x2\"\n",
    "policy p\nname: \"a\", 2024-01-01, 3  [c]\n",
    "case \"c\": share name of anyone with jccu for delivery\n    expect permit by joint use citing [x]\n",
])
def test_edge_cases_build_the_reference_ast(text):
    same_outcome(text)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(policies(min_rules=1), st.data())
def test_generated_policies_and_their_mutants_build_the_reference_ast(policy, data):
    """Property: for a generated rule file, and for that file with a word or keyword put in,
    taken out or swapped, parsing gives what the reference gives: the same AST, spans
    included, or the same diagnostics."""
    same_outcome(policy.text)
    words = policy.text.split(" ")
    at = data.draw(st.integers(0, len(words) - 1), label="at")
    word = data.draw(st.sampled_from(["may", "be", "not", "unless", "for", "provided", "that", "consent",
                                      "with", "to", ",", "and", "purposes", "applies", "[c]", "x"]), label="word")
    how = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="how")
    if how == "insert":
        words.insert(at, word)
    elif how == "delete":
        del words[at]
    else:
        words[at] = word
    same_outcome(" ".join(words))


def test_without_shipped_tables_the_ast_parser_is_made_from_the_built_parser(monkeypatch):
    from coopcheck.dsl import parser as parser_module

    monkeypatch.setattr(tables, "load", lambda *a, **k: None)
    made, builder = parser_module.ast_parser.__wrapped__()
    assert builder.dropped == parser_module.ast_parser()[1].dropped
    text = (ROOT / "policies" / "aizu.policy").read_text(encoding="utf-8")
    with builder.building("f.rules"):
        statements = made.parse(text).value
    assert deep(statements) == deep(reference_parse(text, "f.rules").statements)


def test_the_fuzz_campaigns_rule_files_build_the_reference_ast():
    """The fuzz campaign's rule files (generated from templates, and shipped files after one
    to four edits: lines dropped, doubled or swapped, tokens changed, junk): each gives the
    reference's AST, spans included, or its diagnostics. (3 000 of them agreed when this was
    written; the test runs 150.)"""
    import random

    from tests.support.fuzz import Campaign, RuleFiles

    files = RuleFiles(Campaign(0, 150, 20261203, 50_000))
    rng = random.Random("coopcheck-inline-ast")
    parsed = 0
    for _ in range(150):
        _name, text = files.generated(rng) if rng.random() < 0.35 else files.mutated(rng)
        same_outcome(text)
        parsed += outcome(parse, text)[0] == "ok"
    assert 30 < parsed < 150  # both kinds of outcome were compared
