"""Compiler and loader tests: located errors with codes and help for every kind of mistake
a rule author makes after parsing, and the compiled ruleset's name resolution, closures and
immutability."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from coopcheck import CoopcheckError, load_file, load_string

#: Three header lines: user statements start on line 4.
HEAD = "policy demo\nimport vocabulary\nimport appi\n"
FIRST = 4


# ---- helpers ------------------------------------------------------------------------------

def compile_errors(text: str, name: str = "demo.policy") -> tuple:
    """Diagnostics of a policy text that must not compile (and the error must be ours)."""
    with pytest.raises(CoopcheckError) as info:
        load_string(text, name)
    assert type(info.value) is CoopcheckError
    assert info.value.diagnostics
    return info.value.diagnostics


def one_error(text: str, name: str = "demo.policy"):
    diags = compile_errors(text, name)
    assert len(diags) == 1, [d.render() for d in diags]
    return diags[0]


def file_errors(path: Path) -> tuple:
    with pytest.raises(CoopcheckError) as info:
        load_file(path)
    assert type(info.value) is CoopcheckError
    return info.value.diagnostics


def col(line: str, needle: str) -> int:
    return line.index(needle) + 1


def demo_rules(rs):
    return [r for r in rs.rules if r.module == "demo"]


def only_demo_rule(rs):
    rules = demo_rules(rs)
    assert len(rules) == 1, rules
    return rules[0]


@pytest.fixture(scope="module")
def small():
    """A small policy that imports the vocabulary and the law baseline."""
    return load_string(HEAD + (
        'name: "デモ生協"\n'
        "date: 2022-04-01\n"
        "purchase history may be used for delivery purposes   [clause 1]\n"
        "purchase history must not be published unless consent   [clause 2]\n"
        "personal data may be shared with JCCU for delivery\n"
        "    obliging joint use notice\n"
        "    managed by aizu\n"
        "    [clause 3]\n"
        "honour legal exceptions: by law   [clause 4]\n"), "demo.policy")


# ---- positive: compiling, resolving, closures, immutability -------------------------------

def test_small_policy_compiles(small):
    assert small.coop == "demo"
    assert small.name == "デモ生協"
    assert small.meta["date"] == ("2022-04-01",)
    assert small.files[-1] == "demo.policy"
    assert [Path(f).name for f in small.files[:2]] == ["vocabulary.rules", "appi.rules"]
    rules = demo_rules(small)
    assert [(r.kind, r.line) for r in rules] == [("grant", 6), ("prohibition", 7), ("grant", 8), ("honour", 12)]
    assert rules[0].citation == "demo clause 1"
    assert rules[0].clause == "clause 1"
    assert rules[2].recipients >= {"jccu"}
    assert rules[2].obligations == ("joint_use_notice",)
    assert rules[2].managed_by == "aizu"
    assert small.honoured["by_law"] == (rules[3],)
    assert any(r.module == "appi" for r in small.rules)


def test_grant_default_subject_is_member(small):
    grant = demo_rules(small)[0]
    assert grant.written["subjects"] == ("member",)
    assert grant.subjects == frozenset({"member"})


@pytest.mark.parametrize("written", ["jccu", "JCCU", '"日本生協連"', '"日本生活協同組合連合会"', '"ＪＣＣＵ"'])
def test_party_resolves_by_id_alias_and_label(written):
    rs = load_string(HEAD + f"name may be shared with {written} for delivery [c]")
    assert only_demo_rule(rs).written["recipients"] == ("jccu",)


@pytest.mark.parametrize("written", ["purchase_history", "purchase history", "Purchase History", '"購買履歴"',
                                     '"商品購買履歴"', "購買履歴"])
def test_item_resolves_by_id_words_label_and_alias(written):
    rs = load_string(HEAD + f"{written} may be used for delivery [c]")
    assert only_demo_rule(rs).written["items"] == ("purchase_history",)


@pytest.mark.parametrize("sentence, dimension, expected", [
    ("name may be entrusted to delivery companies for delivery [c]", "recipients", ("delivery_company",)),
    ("name may be provided to third parties for delivery provided that consent is given [c]",
     "recipients", ("third_party",)),
    ("name of website users may be used for inquiry response [c]", "subjects", ("website_user",)),
    ("name of members and applicants may be used for hiring [c]", "subjects", ("member", "applicant")),
    ("name may be used for delivery and billing purposes [c]", "purposes", ("delivery", "billing")),
])
def test_plurals_and_lists_resolve(sentence, dimension, expected):
    rs = load_string(HEAD + sentence)
    assert only_demo_rule(rs).written[dimension] == expected


def test_vocabulary_resolve_directly(small):
    v = small.vocabulary
    assert v.resolve("日本生協連", "party") == "jccu"
    assert v.resolve("JCCU", "party") == "jccu"
    assert v.resolve("purchase history", "item") == "purchase_history"
    assert v.resolve("delivery companies", "party") == "delivery_company"
    assert v.resolve(" 購買履歴 ", "item") == "purchase_history"


def test_grant_on_parent_covers_descendants_in_grant_index(small):
    grant = demo_rules(small)[0]
    assert grant.items == frozenset({"purchase_history", "catalog_purchase_data"})
    for action in ("use", "collect"):  # a purpose of use also governs collection
        assert grant in small.grant_index[(action, "member", "catalog_purchase_data")]
        assert grant in small.grant_index[(action, "member", "purchase_history")]
    assert grant not in small.grant_index.get(("use", "member", "name"), ())
    assert grant not in small.grant_index.get(("use", "member", "transaction_data"), ())
    assert grant not in small.grant_index.get(("share", "member", "catalog_purchase_data"), ())
    assert grant.purposes == frozenset({"delivery"})


def test_joint_use_grant_covers_all_items_below_personal_data(small):
    joint = demo_rules(small)[2]
    assert joint in small.grant_index[("share", "member", "catalog_purchase_data")]
    assert joint in small.grant_index[("share", "member", "name")]


def test_prohibition_covers_ancestors_and_descendants(small):
    bar = demo_rules(small)[1]
    for item in ("personal_data", "transaction_data", "purchase_history", "catalog_purchase_data"):
        assert bar in small.bar_index[("publish", "member", item)]
    assert bar not in small.bar_index.get(("publish", "member", "name"), ())


def test_ruleset_pickles_to_an_equal_ruleset(small):
    again = pickle.loads(pickle.dumps(small))
    assert again == small
    assert again.grant_index == small.grant_index
    assert type(again.grant_index) is type(small.grant_index)
    with pytest.raises(TypeError):
        again.grant_index[("use", "member", "name")] = ()


def test_ruleset_indexes_are_immutable(small):
    key = ("use", "member", "catalog_purchase_data")
    before = small.grant_index[key]
    with pytest.raises(TypeError):
        small.grant_index[key] = ()
    with pytest.raises(TypeError):
        small.grant_index[("use", "member", "brand_new")] = ()
    with pytest.raises(TypeError):
        del small.grant_index[key]
    with pytest.raises(TypeError):
        small.grant_index.update({key: ()})
    with pytest.raises(TypeError):
        small.grant_index.pop(key)
    with pytest.raises(TypeError):
        small.grant_index.clear()
    with pytest.raises(TypeError):
        small.grant_index.setdefault(("x", "y", "z"), ())
    with pytest.raises(TypeError):
        small.bar_index |= {}
    with pytest.raises(TypeError):
        small.vocabulary.terms["x"] = None
    with pytest.raises(AttributeError):  # attrs frozen instance
        small.coop = "other"
    assert small.grant_index[key] == before
    assert isinstance(before, tuple)


# ---- names: E201 ----------------------------------------------------------------------------

def test_unknown_item_with_did_you_mean():
    line = "purchse history may be used for delivery [x]"
    d = one_error(HEAD + line)
    assert d.code == "E201"
    assert (d.span.file, d.span.line, d.span.column) == ("demo.policy", FIRST, 1)
    assert d.span.end_column == 1 + len("purchse history")
    assert d.message == "unknown data item `purchse history`"
    assert "did you mean `purchase_history`" in d.help
    assert "購買履歴" in d.help
    assert d.source_line == line


@pytest.mark.parametrize("line, needle, what, suggestion", [
    ("name may be shared with jcu for delivery [x]", "jcu", "unknown party `jcu`", "`jccu`"),
    ("name of membres may be used for delivery [x]", "membres", "unknown data subject `membres`", "`member`"),
    ("name may be used for delivry [x]", "delivry", "unknown purpose `delivry`", "`delivery`"),
    ("honour legal exceptions: by lw [x]", "by lw", "unknown legal exception `by lw`", "`by_law`"),
    ("name may be used for delivery obliging supervize contractor [x]", "supervize",
     "unknown obligation `supervize contractor`", "`supervise_contractor`"),
    ("photo must not be published unless by lwa [x]", "by lwa", "unknown legal exception `by lwa`", "`by_law`"),
])
def test_unknown_terms_of_each_kind(line, needle, what, suggestion):
    d = one_error(HEAD + line)
    assert d.code == "E201"
    assert (d.span.line, d.span.column) == (FIRST, col(line, needle))
    assert d.message == what
    assert suggestion in d.help


def test_unknown_term_without_any_close_match_has_no_help():
    d = one_error(HEAD + "zzqx may be used for delivery [x]")
    assert d.code == "E201"
    assert d.message == "unknown data item `zzqx`"
    assert d.help is None


def test_party_where_a_purpose_is_expected():
    line = "name may be used for jccu [x]"
    d = one_error(HEAD + line)
    assert d.code == "E201"
    assert (d.span.line, d.span.column) == (FIRST, col(line, "jccu"))
    assert "`jccu` is a party" in d.message
    assert "not a purpose" in d.message


def test_purpose_where_a_party_is_expected():
    line = "name may be shared with delivery for delivery [x]"
    d = one_error(HEAD + line)
    assert (d.code, d.span.column) == ("E201", col(line, "delivery"))
    assert "`delivery` is a purpose" in d.message and "not a party" in d.message
    assert "`delivery_company`" in d.help


def test_term_naming_two_terms_is_ambiguous():
    line = 'name may be shared with "X" for delivery [x]'
    d = one_error(HEAD + 'party foo_one, alias "X"\nparty foo_two, alias "X"\n' + line)
    assert (d.code, d.span.line) == ("E201", FIRST + 2)
    assert "names more than one party" in d.message
    assert "`foo_one`" in d.message and "`foo_two`" in d.message
    assert d.help == "write the id instead"


# ---- vocabulary: E203-E206 ------------------------------------------------------------------

def test_duplicate_declaration_of_a_vocabulary_term():
    d = one_error(HEAD + 'party jccu, label "もう一つ"')
    assert d.code == "E203"
    assert (d.span.line, d.span.column) == (FIRST, len("party ") + 1)
    assert d.message == "`jccu` is declared twice"
    assert d.help.startswith("first declared at ")
    assert "vocabulary.rules:" in d.help


def test_duplicate_declaration_in_the_same_file():
    d = one_error(HEAD + "data item loyalty_points\ndata item Loyalty Points")
    assert d.code == "E203"
    assert (d.span.line, d.span.column) == (FIRST + 1, len("data item ") + 1)
    assert d.message == "`loyalty_points` is declared twice"
    assert d.help == f"first declared at demo.policy:{FIRST}:1"


def test_unknown_parent_with_suggestion():
    line = "data item foo is purchse_history"
    d = one_error(HEAD + line)
    assert d.code == "E204"
    assert (d.span.line, d.span.column) == (FIRST, col(line, "purchse"))
    assert d.message == "unknown parent `purchse_history` of `foo`"
    assert d.help == "did you mean `purchase_history`?"


def test_parent_of_another_kind():
    line = "data item foo is jccu"
    d = one_error(HEAD + line)
    assert d.code == "E206"
    assert (d.span.line, d.span.column) == (FIRST, col(line, "jccu"))
    assert d.message == "`foo` is a data item but its parent `jccu` is a party"
    assert "same kind" in d.help


def test_hierarchy_cycle():
    d = one_error(HEAD + "data item alpha is beta\ndata item beta is alpha\n")
    assert d.code == "E205"
    assert (d.span.line, d.span.column) == (FIRST, col("data item alpha is beta", "beta"))
    assert d.message.startswith("hierarchy cycle: ")
    assert "alpha -> beta -> alpha" in d.message
    assert "`is`" in d.help


def test_self_parent_is_a_cycle():
    d = one_error(HEAD + "purpose loop is loop")
    assert (d.code, d.span.line) == ("E205", FIRST)
    assert "loop -> loop" in d.message


# ---- rules and metadata: E207, E301, E306, E307 ---------------------------------------------

def test_rule_without_citation_points_at_its_end():
    line = "name may be used for delivery"
    d = one_error(HEAD + line)
    assert d.code == "E301"
    assert (d.span.line, d.span.column) == (FIRST, len(line) + 1)
    assert d.message == "rule has no citation"
    assert "[" in d.help and "]" in d.help


def test_wrapped_rule_without_citation_points_at_its_last_line():
    d = one_error(HEAD + "name may be used for delivery\n    obliging supervise contractor\n")
    assert d.code == "E301"
    assert (d.span.line, d.span.column) == (FIRST + 1, len("    obliging supervise contractor") + 1)


@pytest.mark.parametrize("line", ["honour legal exceptions: by law",
                                  "photo must not be published unless consent",
                                  "collecting personal data requires notice",
                                  "photo may only be published for newsletter publication"])
def test_every_rule_kind_needs_a_citation(line):
    d = one_error(HEAD + line)
    assert (d.code, d.span.line, d.span.column) == ("E301", FIRST, len(line) + 1)


def test_empty_citation_is_no_citation():
    line = "name may be used for delivery   [  ]"
    d = one_error(HEAD + line)
    assert (d.code, d.message) == ("E301", "rule has an empty citation")
    assert (d.span.line, d.span.column) == (FIRST, col(line, "["))


@pytest.mark.parametrize("line", ["name may only be used for any declared purpose   [c]",
                                  "photo must not be published for any declared purpose   [c]",
                                  "collecting name for any declared purpose requires consent   [c]"])
def test_any_declared_purpose_only_in_grants(line):
    d = one_error(HEAD + line)
    assert d.code == "E308" and "`any declared purpose`" in d.message
    assert (d.span.line, d.span.column) == (FIRST, col(line, "any declared"))


def test_unknown_metadata_key_with_suggestion():
    d = one_error(HEAD + 'adress: "966-0818 福島県"')
    assert d.code == "E207"
    assert (d.span.line, d.span.column) == (FIRST, 1)
    assert d.message == "unknown metadata key `adress`"
    assert d.help == "did you mean `address`?"


def test_unknown_metadata_key_without_suggestion_lists_keys():
    d = one_error(HEAD + 'favourite colour: "blue"')
    assert d.code == "E207"
    assert d.message == "unknown metadata key `favourite colour`"
    assert d.help.startswith("known keys: ")
    assert "responsible party" in d.help


def test_provided_to_without_a_condition():
    line = "name may be provided to jccu for delivery [x]"
    d = one_error(HEAD + line)
    assert d.code == "E307"
    assert (d.span.line, d.span.column) == (FIRST, 1)
    assert "needs a condition" in d.message
    assert "provided that consent is given" in d.help


def test_provided_to_with_a_condition_compiles():
    rs = load_string(HEAD + "name may be provided to jccu for delivery provided that by law applies [x]")
    assert only_demo_rule(rs).conditions == ("by_law",)


def test_case_statement_inside_a_policy():
    d = one_error(HEAD + 'case "x": use name for delivery\n    expect permit')
    assert d.code == "E306"
    assert (d.span.line, d.span.column) == (FIRST, 1)
    assert "`.test` file" in d.message
    assert "tests for" in d.help


def test_tests_file_is_not_a_rule_file():
    d = one_error("tests for aizu\n", "aizu.test")
    assert d.code == "E306"
    assert (d.span.file, d.span.line, d.span.column) == ("aizu.test", 1, 1)
    assert "coopcheck test" in d.help


def test_importing_a_policy():
    diags = compile_errors(HEAD + 'import "../policies/aizu.policy"')
    assert [d.code for d in diags] == ["E305"]
    assert Path(diags[0].span.file).name == "aizu.policy"
    assert "cannot be imported" in diags[0].message


# ---- imports: E302, E303 ----------------------------------------------------------------------

def test_import_of_a_misspelt_module():
    line = "import vocabulry"
    d = one_error("policy demo\n" + line)
    assert d.code == "E302"
    assert (d.span.line, d.span.column) == (2, col(line, "vocabulry"))
    assert d.message == "cannot find module `vocabulry`"
    assert d.help == "did you mean `vocabulary`?"


def test_import_of_an_unknown_module_lists_modules():
    d = one_error("policy demo\nimport zzzz")
    assert d.code == "E302"
    assert d.help.startswith("available modules: ")
    assert "`vocabulary`" in d.help and "`appi`" in d.help


def test_two_imports_on_one_line_read_as_one_name():
    d = one_error("policy demo\nimport vocabulary import appi")
    assert d.code == "E302"
    assert "`vocabulary import appi`" in d.message


def test_import_of_a_missing_quoted_file(tmp_path):
    policy = tmp_path / "demo.policy"
    policy.write_text('policy demo\nimport vocabulary\nimport "missing.rules"\n', encoding="utf-8")
    [d] = file_errors(policy)
    assert d.code == "E302"
    assert (Path(d.span.file).name, d.span.line, d.span.column) == ("demo.policy", 3, 8)
    assert d.message == "cannot find imported file `missing.rules`"


def test_load_file_of_a_missing_file(tmp_path):
    [d] = file_errors(tmp_path / "nope.policy")
    assert d.code == "E302"
    assert "cannot read" in d.message and "nope.policy" in d.message
    assert d.span is None


def test_import_escaping_the_rule_roots(tmp_path):
    policy = tmp_path / "demo.policy"
    policy.write_text('policy demo\nimport vocabulary\nimport "../../../etc/passwd"\n', encoding="utf-8")
    [d] = file_errors(policy)
    assert d.code == "E303"
    assert (Path(d.span.file).name, d.span.line, d.span.column) == ("demo.policy", 3, 8)
    assert d.message == "import `../../../etc/passwd` leads outside the rule roots"
    assert "import modules by name" in d.help
    rendered = d.render()
    assert f"{d.span.file}:3:8: error[E303]" in rendered
    assert '3 | import "../../../etc/passwd"' in rendered


@pytest.mark.parametrize("target", ["/etc/passwd", "../outside.rules"])
def test_absolute_or_parent_imports_are_refused(tmp_path, target):
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "outside.rules").write_text("module outside\n", encoding="utf-8")
    policy = inner / "demo.policy"
    policy.write_text(f'policy demo\nimport "{target}"\n', encoding="utf-8")
    [d] = file_errors(policy)
    assert (d.code, d.span.line) == ("E303", 2)


def test_symlink_leading_outside_the_roots_is_refused(tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.rules"
    outside.write_text("module secret\n", encoding="utf-8")
    root = tmp_path_factory.mktemp("root")
    link = root / "secret.rules"
    try:
        link.symlink_to(outside)
    except OSError:
        pytest.skip("symlinks not available")
    policy = root / "demo.policy"
    policy.write_text('policy demo\nimport "secret.rules"\n', encoding="utf-8")
    [d] = file_errors(policy)
    assert d.code == "E303"


def test_import_from_the_policy_folder_by_name_and_by_path(tmp_path):
    (tmp_path / "extra.rules").write_text(
        'module extra\nimport vocabulary\ndata item loyalty_points is transaction_data, label "ポイント"\n',
        encoding="utf-8")
    for how in ("import extra", 'import "extra.rules"'):
        policy = tmp_path / "demo.policy"
        policy.write_text(f"policy demo\nimport vocabulary\n{how}\n"
                          '"ポイント" may be used for billing [c]\n', encoding="utf-8")
        rs = load_file(policy)
        rule = only_demo_rule(rs)
        assert rule.written["items"] == ("loyalty_points",)
        assert "loyalty_points" in rs.vocabulary.descendants["transaction_data"]


def test_syntax_error_in_an_imported_file_is_located_there(tmp_path):
    (tmp_path / "broken.rules").write_text("module broken\nname may be shred with jccu for delivery [x]\n",
                                           encoding="utf-8")
    policy = tmp_path / "demo.policy"
    policy.write_text("policy demo\nimport vocabulary\nimport broken\n", encoding="utf-8")
    [d] = file_errors(policy)
    assert d.code == "E102"
    assert (Path(d.span.file).name, d.span.line, d.span.column) == ("broken.rules", 2, 13)
    assert d.help == "did you mean `shared`?"


def test_syntax_errors_are_reported_by_load_string():
    [d] = compile_errors(HEAD + "name may be used for delivery $ [x]")
    assert (d.code, d.span.line) == ("E101", FIRST)


# ---- several errors ------------------------------------------------------------------------

def test_several_errors_all_reported_sorted_by_line():
    text = HEAD + (
        "name may be provided to jccu for delivery [a]\n"     # 4 E307
        'adress: "x"\n'                                       # 5 E207
        "foo may be used for bar [b]\n"                       # 6 E201 x2
        "data item alpha is beta\n"                           # 7 E205
        "data item beta is alpha\n"                           # 8
        "data item gamma is jccu\n"                           # 9 E206
        "name may be used for delivery\n"                     # 10 E301
        'case "x": use name for delivery expect permit\n'     # 11 E306
        "party jccu\n"                                        # 12 E203
        "data item delta is nothing_here\n")                  # 13 E204
    diags = compile_errors(text)
    assert [(d.code, d.span.line) for d in diags] == [
        ("E307", 4), ("E207", 5), ("E201", 6), ("E201", 6), ("E205", 7), ("E206", 9),
        ("E301", 10), ("E306", 11), ("E203", 12), ("E204", 13)]
    assert diags[2].span.column < diags[3].span.column
    assert all(d.span.file == "demo.policy" for d in diags)
    rendered = compile_errors(text)[0].render()
    assert rendered.startswith("demo.policy:4:1: error[E307]")


def test_several_errors_in_a_file_render_with_file_line_col(tmp_path):
    policy = tmp_path / "many.policy"
    policy.write_text(HEAD + "purchse history may be used for delivery [x]\nname may be used for jccu [y]\n",
                      encoding="utf-8")
    with pytest.raises(CoopcheckError) as info:
        load_file(policy)
    err = info.value
    assert [(d.code, d.span.line) for d in err.diagnostics] == [("E201", 4), ("E201", 5)]
    shown = err.diagnostics[0].span.file
    assert Path(shown).name == "many.policy"
    text = err.render()
    assert f"{shown}:4:1: error[E201]: unknown data item `purchse history`" in text
    assert "4 | purchse history may be used for delivery [x]" in text
    assert f"{shown}:5:22: error[E201]" in text
    assert "  = help: did you mean `purchase_history` (購買履歴)?" in text


# ---- regressions (bugs found and fixed) --------------------------------

@pytest.mark.parametrize("imported", [False, True])
def test_non_utf8_file_is_a_coopcheck_error(tmp_path, imported):
    sjis = "module sjis\n# 生協のコメント\n".encode("shift_jis")
    if imported:
        (tmp_path / "sjis.rules").write_bytes(sjis)
        target = tmp_path / "demo.policy"
        target.write_text("policy demo\nimport sjis\n", encoding="utf-8")
    else:
        target = tmp_path / "sjis.rules"
        target.write_bytes(sjis)
    with pytest.raises(CoopcheckError):
        load_file(target)


def test_impossible_date_in_metadata_is_an_error():
    with pytest.raises(CoopcheckError):
        load_string(HEAD + "date: 2022-13-45\n")
