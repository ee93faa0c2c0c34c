"""Desugaring (docs/semantics.md §4): the defaults written out, and ``coopcheck desugar``."""

from __future__ import annotations

import pytest

from coopcheck import load_policy, load_string, shipped_policies
from coopcheck.core.desugar import desugar
from coopcheck.core.paths import policies_dir
from coopcheck.dsl import ast, parse
from coopcheck.dsl.formatter import format_module


def _statement(text: str):
    return parse(text).statements[0]


def test_a_grant_without_of_speaks_of_members():
    stmt = desugar(_statement("name may be used for delivery [1]"), {"member"})
    assert [t.text for t in stmt.subjects.terms] == ["member"]
    assert "name of member may be used for delivery" in format_module(ast.Module("x", (stmt,)))


def test_a_prohibition_without_of_speaks_of_members_like_a_grant_for_any_purpose():
    stmt = desugar(_statement("name must not be used [1]"), {"member"})
    assert [t.text for t in stmt.subjects.terms] == ["member"]
    assert stmt.purposes.any and stmt.recipients is None
    assert "name of member must not be used for any purpose" in format_module(ast.Module("x", (stmt,)))


def test_every_form_without_of_speaks_of_the_same_subject():
    forms = ["name may be used for delivery [1]", "name may only be used for delivery [1]",
             "name must not be used [1]", "name may not be provided to jccu [1]",
             "using name requires consent [1]", "disclosing name to jccu requires notice [1]"]
    subjects = {tuple(t.text for t in desugar(_statement(f), {"member"}).subjects.terms) for f in forms}
    assert subjects == {("member",)}


def test_a_closed_list_yields_to_the_honoured_legal_exceptions():
    stmt = desugar(_statement("name may only be used for delivery unless consent [1]"), {"member"})
    assert [c.kind for c in stmt.exceptions] == ["consent", "any_exception"]
    assert "unless consent or a legal exception" in format_module(ast.Module("x", (stmt,)))


def test_written_parts_are_kept():
    stmt = _statement("name of applicants may be used for hiring [1]")
    assert desugar(stmt, {"member"}) is stmt


def _meaning(ruleset):
    """What each rule says, without where it is written."""
    return sorted(repr((r.kind, r.verb, *(sorted(s) if s is not None else None for s in (r.items, r.subjects, r.recipients, r.purposes)), r.conditions,
                   r.exceptions, r.needs, r.obligations, r.managed_by, r.citation, r.declared_purposes))
                  for r in ruleset.rules if r.module == ruleset.coop)


@pytest.mark.parametrize("coop", shipped_policies())
def test_desugaring_never_changes_what_a_policy_says(coop):
    """Property: a shipped policy with every statement desugared compiles to the same rules."""
    path = policies_dir() / f"{coop}.policy"
    module = parse(path.read_text(encoding="utf-8"), str(path))
    known = load_policy(coop).vocabulary.terms
    text = format_module(ast.Module(module.path, tuple(desugar(s, known) for s in module.statements)))
    assert text != path.read_text(encoding="utf-8")
    assert _meaning(load_string(text, f"{coop}.policy")) == _meaning(load_policy(coop))


def test_cli_shows_the_statement_as_it_really_reads(cli):
    code, out, err = cli("desugar", "aizu", "--line", "78")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("aizu:78  grant; use for a declared purpose")
    assert "basis: purpose" in lines[0]
    assert lines[1].strip().startswith("personal data of member may be used for delivery")
    assert any("also governs collecting" in line for line in lines)


def test_cli_unknown_coop_is_a_located_input_error(cli):
    code, out, err = cli("desugar", "aizuu")
    assert code == 2 and "unknown co-op `aizuu`" in err and "aizu" in err
