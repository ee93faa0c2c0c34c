"""Properties of the formatter over generated rule files (:mod:`support.strategies`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck.dsl.formatter import format_module, format_text
from support.strategies import policies

HEADER = ast.PolicyHeader(ast.Term("gen"))

#: Comment text: words, punctuation the language uses elsewhere (`#`, quotes, brackets), Japanese.
COMMENT_TEXT = st.text(st.sampled_from(list('abc XYZ09#"[]:,.-_') + ["指", "針", "　", "①"]), max_size=20)


def _comments(module: ast.Module) -> list[tuple[str, int]]:
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


@given(policies())
def test_printing_a_generated_tree_and_parsing_it_back_gives_the_same_tree(policy):
    """Printing a syntax tree (without any source text) and parsing the result gives back the
    tree; formatting the generated text also parses to the generated tree."""
    tree = (HEADER,) + policy.declarations + policy.rules
    printed = format_module(ast.Module("gen", tree))
    assert dsl.parse(printed, "gen").statements == tree
    assert dsl.parse(format_text(policy.text, "gen"), "gen").statements == tree


@given(policies())
def test_formatting_twice_changes_nothing(policy):
    """Formatting is idempotent, and formatting text agrees with printing its tree."""
    once = format_text(policy.text, "gen")
    assert format_text(once, "gen") == once
    assert format_module(dsl.parse(policy.text, "gen")) == once


@st.composite
def commented(draw, text: str) -> str:
    """``text`` with comments added: own-line ones between lines (indented where a statement
    continues below), trailing ones at the ends of lines."""
    lines = text.rstrip("\n").split("\n")
    out: list[str] = []
    for k, line in enumerate(lines + [""]):
        continues = line[:1] in (" ", "\t", "\u3000")
        for _ in range(draw(st.integers(0, 2))):
            indent = "    " if continues or draw(st.booleans()) and k else ""
            out.append(indent + "# " + draw(COMMENT_TEXT))
        if k == len(lines):
            break
        if draw(st.booleans()):
            line += " " * draw(st.integers(1, 3)) + "#" + draw(COMMENT_TEXT)
        out.append(line)
        if draw(st.integers(0, 4)) == 0 and k + 1 < len(lines) and lines[k + 1][:1] not in (" ", "\t", "\u3000"):
            out.append("")
    return "\n".join(out) + "\n"


@given(st.data(), policies(max_rules=6))
def test_comments_survive_formatting(data, policy):
    """Comments sprinkled into a generated file (own-line and trailing) all survive
    formatting, with the same text and count, each still about the same statement; the tree
    is unchanged, and formatting the result again changes nothing."""
    text = data.draw(commented(policy.text))
    source = dsl.parse(text, "gen")
    assert source == dsl.parse(policy.text, "gen")
    formatted = format_text(text, "gen")
    result = dsl.parse(formatted, "gen")
    assert result == source
    assert _comments(result) == _comments(source)
    assert len(result.comments) == len(source.comments)
    assert format_text(formatted, "gen") == formatted
