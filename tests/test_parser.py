"""Parser tests: every construct of the rule language parses to the right typed node, and
every kind of mistake gives a located, helpful ``CoopcheckError`` (never a Lark exception)."""

from __future__ import annotations

import random

import pytest

from coopcheck.dsl import CoopcheckError, parse
from coopcheck.dsl import ast

CANONICAL = "purchase history may be shared with JCCU for delivery purposes   [指針2 ◇商品・サービス]"


# ---- helpers ------------------------------------------------------------------------------

def only(src: str, filename: str = "t.rules"):
    """The single statement ``src`` parses to."""
    module = parse(src, filename)
    assert isinstance(module, ast.Module)
    assert len(module.statements) == 1, module.statements
    return module.statements[0]


def errors(src: str, filename: str = "t.rules") -> tuple:
    """The diagnostics of a source that must not parse (and the error must be ours)."""
    with pytest.raises(CoopcheckError) as info:
        parse(src, filename)
    assert type(info.value) is CoopcheckError
    diags = info.value.diagnostics
    assert diags, "a CoopcheckError must carry at least one diagnostic"
    return diags


def error(src: str, filename: str = "t.rules"):
    """The one diagnostic of a source with exactly one broken statement."""
    diags = errors(src, filename)
    assert len(diags) == 1, [d.render() for d in diags]
    return diags[0]


def texts(selector: ast.Selector | None) -> list[str]:
    assert selector is not None
    return [t.text for t in selector.terms]


def col(line: str, needle: str) -> int:
    """1-based column of ``needle`` in ``line``."""
    return line.index(needle) + 1


# ---- headers, imports, metadata -----------------------------------------------------------

def test_module_header():
    stmt = only("module vocabulary")
    assert stmt == ast.ModuleHeader(ast.Term("vocabulary"))
    assert stmt.name.key == "vocabulary"


def test_policy_header_and_module_header_property():
    module = parse("# a policy\npolicy aizu\nimport vocabulary\n")
    assert module.header == ast.PolicyHeader(ast.Term("aizu"))
    assert module.header.coop.key == "aizu"
    assert module.of_type(ast.Import) == (ast.Import(ast.Term("vocabulary")),)


@pytest.mark.parametrize("src, target, quoted", [
    ("tests for aizu", "aizu", False),
    ('tests for "aizu.policy"', "aizu.policy", True),
])
def test_tests_header(src, target, quoted):
    stmt = only(src)
    assert isinstance(stmt, ast.TestsHeader)
    assert stmt.target == ast.Term(target, quoted)


def test_import_by_name():
    stmt = only("import vocabulary")
    assert stmt == ast.Import(ast.Term("vocabulary", False))
    assert not stmt.target.quoted


def test_import_by_quoted_path():
    stmt = only('import "../rules/x.rules"')
    assert stmt == ast.Import(ast.Term("../rules/x.rules", True))
    assert stmt.target.quoted
    assert str(stmt.target) == '"../rules/x.rules"'


def test_meta_string():
    stmt = only('name: "生活協同組合コープあいづ"')
    assert stmt == ast.Meta("name", ("生活協同組合コープあいづ",))
    assert stmt.citation is None


def test_meta_date():
    stmt = only("date: 2022-04-01")
    assert stmt.key == "date"
    assert stmt.values == ("2022-04-01",)


def test_meta_multi_word_key_multiple_values_and_citation():
    stmt = only('responsible party: "a", "b", 2022-04-01, 42   [指針7]')
    assert stmt.key == "responsible party"  # words joined by spaces, not `_`
    assert stmt.values == ("a", "b", "2022-04-01", "42")
    assert stmt.citation == ast.Citation("指針7")


def test_meta_values_on_continuation_lines():
    stmt = only('contact: "office one",\n    "office two"\n    [指針7]\n')
    assert stmt.values == ("office one", "office two")
    assert stmt.citation.text == "指針7"


# ---- declarations -------------------------------------------------------------------------

@pytest.mark.parametrize("keyword, kind", [
    ("data item", "item"),
    ("party", "party"),
    ("purpose", "purpose"),
    ("subject", "subject"),
    ("exception", "exception"),
    ("obligation", "obligation"),
    ("cooperative", "coop"),
])
def test_declaration_kinds(keyword, kind):
    stmt = only(f"{keyword} some_term")
    assert stmt == ast.Declaration(kind, ast.Term("some_term"))
    assert stmt.parent is None and stmt.label is None and stmt.aliases == ()


def test_declaration_with_parent_label_and_aliases():
    stmt = only('data item purchase_history is transaction_data, label "購買履歴", aliases "商品購買履歴", "購入履歴"')
    assert stmt == ast.Declaration(
        kind="item", name=ast.Term("purchase_history"), parent=ast.Term("transaction_data"),
        label="購買履歴", aliases=("商品購買履歴", "購入履歴"))


def test_declaration_commas_are_optional_and_alias_singular():
    with_commas = only('party jccu, is coop_federation, label "日本生活協同組合連合会", alias "JCCU"')
    without = only('party jccu is coop_federation label "日本生活協同組合連合会" alias "JCCU"')
    assert with_commas == without
    assert without.kind == "party"
    assert without.parent.key == "coop_federation"
    assert without.aliases == ("JCCU",)


def test_declaration_label_only_and_aliases_only():
    assert only('subject member, label "組合員"') == ast.Declaration("subject", ast.Term("member"), label="組合員")
    stmt = only('cooperative aizu, aliases "コープあいづ"')
    assert stmt.kind == "coop" and stmt.label is None and stmt.aliases == ("コープあいづ",)


def test_declaration_wrapped_on_continuation_line():
    stmt = only('exception protect_life, label "人の生命"\n    # a comment on the wrapped part\n    aliases "生命"\n')
    assert stmt.kind == "exception"
    assert stmt.label == "人の生命"
    assert stmt.aliases == ("生命",)


# ---- grants -------------------------------------------------------------------------------

def test_canonical_example_parses_verbatim():
    stmt = only(CANONICAL)
    assert isinstance(stmt, ast.Grant)
    assert stmt.verb == "joint_use"
    assert texts(stmt.items) == ["purchase history"]
    assert stmt.items.terms[0].key == "purchase_history"
    assert stmt.subjects is None
    assert texts(stmt.recipients) == ["JCCU"]
    assert stmt.recipients.terms[0].key == "jccu"
    assert texts(stmt.purposes) == ["delivery"]  # the noun `purposes` is dropped
    assert not stmt.purposes.any and not stmt.purposes.declared
    assert stmt.conditions == () and stmt.obligations == () and stmt.managed_by is None
    assert stmt.citation == ast.Citation("指針2 ◇商品・サービス")
    assert stmt == ast.Grant(
        verb="joint_use",
        items=ast.Selector((ast.Term("purchase history"),)),
        subjects=None,
        recipients=ast.Selector((ast.Term("JCCU"),)),
        purposes=ast.Selector((ast.Term("delivery"),)),
        citation=ast.Citation("指針2 ◇商品・サービス"),
    )


@pytest.mark.parametrize("phrase, verb, recipient", [
    ("used", "use", None),
    ("collected", "collect", None),
    ("published", "publish", None),
    ("shared with jccu", "joint_use", "jccu"),
    ("entrusted to delivery companies", "entrust", "delivery companies"),
    ("provided to third parties", "provide", "third parties"),
])
def test_grant_verbs(phrase, verb, recipient):
    stmt = only(f"name may be {phrase} for delivery   [c]")
    assert isinstance(stmt, ast.Grant)
    assert stmt.verb == verb
    if recipient is None:
        assert stmt.recipients is None
    else:
        assert texts(stmt.recipients) == [recipient]
    assert texts(stmt.purposes) == ["delivery"]
    assert stmt.citation.text == "c"


def test_grant_of_subjects_and_lists_with_and_and_commas():
    stmt = only("name, address and phone of members and applicants may be used for delivery, billing and survey [c]")
    assert texts(stmt.items) == ["name", "address", "phone"]
    assert texts(stmt.subjects) == ["members", "applicants"]
    assert texts(stmt.purposes) == ["delivery", "billing", "survey"]


@pytest.mark.parametrize("wildcard", ["any subject", "any subjects", "anyone"])
def test_grant_any_subject(wildcard):
    stmt = only(f"personal data of {wildcard} may be used for delivery [c]")
    assert stmt.subjects == ast.Selector(any=True)
    assert stmt.subjects.terms == ()


def test_grant_any_purpose_and_condition_consent():
    stmt = only("personal data of any subject may be used for any purpose provided that consent is given  [APPI Art. 18(1)]")
    assert stmt.purposes == ast.Selector(any=True, declared=False)
    assert stmt.conditions == (ast.Condition("consent"),)
    assert stmt.citation.text == "APPI Art. 18(1)"


def test_grant_any_declared_purpose():
    stmt = only("personal data of anyone may be entrusted to storage vendors for any declared purpose [方針9]")
    assert stmt.purposes == ast.Selector(any=True, declared=True)
    assert stmt.verb == "entrust"


@pytest.mark.parametrize("tail", ["purposes", "purpose", ""])
def test_for_x_purposes_drops_the_noun(tail):
    stmt = only(f"name may be used for delivery {tail} [c]")
    assert texts(stmt.purposes) == ["delivery"]


def test_grant_to_anyone_and_any_recipient():
    a = only("personal data may be provided to anyone for any purpose provided that consent is given [c]")
    b = only("personal data may be provided to any recipient for any purposes provided that consent is given [c]")
    assert a.recipients == ast.Selector(any=True) == b.recipients
    assert a == b  # `consent is given` and `consent` are the same condition


def test_grant_condition_by_law_and_alternatives():
    stmt = only("name may be provided to public authority for legal compliance provided that by law applies [c]")
    assert stmt.conditions == (ast.Condition("exception", ast.Term("by law")),)
    assert stmt.conditions[0].term.key == "by_law"
    both = only("name may be provided to jccu for delivery provided that consent is given or by law applies [c]")
    assert [c.kind for c in both.conditions] == ["consent", "exception"]


def test_grant_obliging_and_managed_by_on_continuation_lines():
    stmt = only(
        "personal data may be entrusted to delivery companies for delivery\n"
        "    obliging supervise contractor, confidentiality agreement\n"
        "    managed by aizu\n"
        "    [指針3 ①]\n")
    assert stmt.verb == "entrust"
    assert stmt.obligations == (ast.Term("supervise contractor"), ast.Term("confidentiality agreement"))
    assert [o.key for o in stmt.obligations] == ["supervise_contractor", "confidentiality_agreement"]
    assert stmt.managed_by == ast.Term("aizu")
    assert stmt.citation.text == "指針3 ①"


def test_grant_managed_by_quoted_after_condition():
    stmt = only('name may be shared with jccu for delivery provided that consent is given, obliging joint use notice\n'
                '    managed by "日本生協連" [c]')
    assert stmt.conditions == (ast.Condition("consent"),)
    assert stmt.obligations == (ast.Term("joint use notice"),)
    assert stmt.managed_by == ast.Term("日本生協連", quoted=True)


def test_grant_without_citation_parses():  # a missing citation is the compiler's error (E301)
    stmt = only("name may be used for delivery")
    assert stmt.citation is None


# ---- closed lists, prohibitions, requirements, honour --------------------------------------

def test_closed_list_unless_consent():
    stmt = only("personal data of website users may only be used for inquiry response, material sending "
                "and member recruitment unless consent   [指針6]")
    assert isinstance(stmt, ast.ClosedGrant)
    assert stmt.verb == "use"
    assert texts(stmt.subjects) == ["website users"]
    assert texts(stmt.purposes) == ["inquiry response", "material sending", "member recruitment"]
    assert stmt.exceptions == (ast.Condition("consent"),)


def test_closed_list_shared_unless_a_legal_exception_applies():
    stmt = only("name may only be shared with jccu for delivery unless a legal exception applies [c]")
    assert isinstance(stmt, ast.ClosedGrant)
    assert stmt.verb == "joint_use"
    assert texts(stmt.recipients) == ["jccu"]
    assert stmt.exceptions == (ast.Condition("any_exception"),)


def test_prohibition_unless_consent_or_by_law():
    stmt = only("photo must not be published unless consent or by law   [c]")
    assert isinstance(stmt, ast.Prohibition)
    assert stmt.verb == "publish"
    assert stmt.purposes is None and stmt.recipients is None
    assert stmt.exceptions == (ast.Condition("consent"), ast.Condition("exception", ast.Term("by law")))


def test_prohibition_unless_a_legal_exception():
    stmt = only("personal data must not be provided to unrelated third parties for marketing unless a legal exception [c]")
    assert stmt.verb == "provide"
    assert texts(stmt.recipients) == ["unrelated third parties"]
    assert texts(stmt.purposes) == ["marketing"]
    assert stmt.exceptions == (ast.Condition("any_exception"),)


def test_prohibition_without_exceptions_to_anyone():
    stmt = only("photo must not be shared with anyone [c]")
    assert stmt.verb == "joint_use"
    assert stmt.recipients == ast.Selector(any=True)
    assert stmt.exceptions == ()


def test_requirement_collecting_requires_consent():
    stmt = only("collecting personal data requires consent   [方針2]")
    assert isinstance(stmt, ast.Requirement)
    assert stmt == ast.Requirement(verb="collect", items=ast.Selector((ast.Term("personal data"),)),
                                   subjects=None, recipients=None, purposes=None, needs=("consent",),
                                   citation=ast.Citation("方針2"))


def test_requirement_requires_notice_and_both():
    assert only("collecting personal data requires notice [方針2]").needs == ("notice",)
    assert only("using name for survey requires consent and notice [c]").needs == ("consent", "notice")


def test_requirement_disclosing_to_foreign_third_parties():
    stmt = only("disclosing personal data of anyone to foreign third parties requires consent unless a legal exception "
                "[APPI Art. 28(1)]")
    assert stmt.verb == "disclose"
    assert stmt.subjects == ast.Selector(any=True)
    assert texts(stmt.recipients) == ["foreign third parties"]
    assert stmt.needs == ("consent",)
    assert stmt.exceptions == (ast.Condition("any_exception"),)
    assert stmt.citation.text == "APPI Art. 28(1)"


@pytest.mark.parametrize("gerund, verb", [("using", "use"), ("collecting", "collect"), ("publishing", "publish"),
                                          ("sharing", "joint_use"), ("entrusting", "entrust"),
                                          ("providing", "provide"), ("disclosing", "disclose")])
def test_requirement_gerunds_name_the_same_act_as_the_passive_verbs(gerund, verb):
    assert only(f"{gerund} name requires notice [c]").verb == verb
    passive = {"joint_use": "shared with jccu", "entrust": "entrusted to jccu", "provide": "provided to jccu",
               "disclose": "disclosed to jccu", "use": "used", "collect": "collected", "publish": "published"}
    assert only(f"name must not be {passive[verb]} [c]").verb == verb


def test_may_not_is_a_prohibition_like_must_not():
    assert only("name may not be used for delivery [c]") == only("name must not be used for delivery [c]")


def test_or_joins_a_list_like_and():
    assert only("name or address may be used for delivery or survey [c]") == \
        only("name and address may be used for delivery, survey [c]")


def test_modifiers_come_in_any_order():
    canonical = only("name may be shared with jccu for delivery provided that consent is given obliging x "
                     "managed by jccu [c]")
    for text in ("name may be shared with jccu managed by jccu obliging x for delivery provided that consent is given [c]",
                 "name may be shared with jccu provided that consent is given for delivery managed by jccu obliging x [c]"):
        assert only(text) == canonical
    assert only("name must not be used unless consent for delivery [c]") == \
        only("name must not be used for delivery unless consent [c]")


@pytest.mark.parametrize("text, message, help_", [
    ("name may be used for delivery provided that by law [c]", "`provided that by law` is not a sentence",
     "write `provided that by law applies`"),
    ("name may be used for delivery provided that consent [c]", "`provided that consent` is not a sentence",
     "write `provided that consent is given`"),
    ("name may be used for delivery unless consent [c]", "a grant does not take `unless …`", "provided that"),
    ("name must not be used for delivery provided that consent is given [c]",
     "a prohibition does not take `provided that …`", "unless"),
    ("name may be used for delivery obliging x obliging y [c]", "`obliging …` is written twice in one grant",
     "join the two lists"),
])
def test_statements_that_are_not_english_get_a_located_error_with_help(text, message, help_):
    with pytest.raises(CoopcheckError) as err:
        only(text)
    [d] = err.value.diagnostics
    assert d.message == message and help_ in d.help
    assert d.span is not None and d.span.line == 1 and d.span.column > 1


def test_honour_legal_exceptions():
    stmt = only("honour legal exceptions: by law, protect life   [指針3 ※]")
    assert stmt == ast.Honour((ast.Term("by law"), ast.Term("protect life")), ast.Citation("指針3 ※"))
    assert [t.key for t in stmt.exceptions] == ["by_law", "protect_life"]


def test_honour_singular_without_colon():
    assert only("honour legal exception by law [c]").exceptions == (ast.Term("by law"),)


# ---- test cases ---------------------------------------------------------------------------

def test_case_full():
    stmt = only('case "jccu delivery": share purchase history of members with jccu for delivery with consent '
                'claiming by law\n'
                '    expect permit by joint use citing [指針2 ◇商品・サービスの提供に関わっての共同利用]\n')
    assert isinstance(stmt, ast.Case)
    assert stmt.name == "jccu delivery"
    sc = stmt.scenario
    assert sc.action == "share"
    assert sc.items == (ast.Term("purchase history"),)
    assert sc.subject == ast.Term("members")
    assert sc.recipient == ast.Term("jccu")
    assert sc.purpose == ast.Term("delivery")
    assert sc.consent is True
    assert sc.exception == ast.Term("by law")
    assert stmt.expect == ast.Expectation("permit", ast.Term("joint use"),
                                          ast.Citation("指針2 ◇商品・サービスの提供に関わっての共同利用"))
    assert stmt.expect.basis.key == "joint_use"


def test_case_minimal():
    stmt = only('case "welfare": use name and address for welfare services\n    expect deny')
    assert stmt.scenario == ast.CaseScenario("use", (ast.Term("name"), ast.Term("address")), None, None,
                                             ast.Term("welfare services"))
    assert stmt.scenario.consent is False and stmt.scenario.exception is None
    assert stmt.expect == ast.Expectation("deny")


@pytest.mark.parametrize("verb", ["use", "collect", "share", "publish"])
def test_case_actions(verb):
    assert only(f'case "x": {verb} name for delivery expect permit').scenario.action == verb


# ---- terms --------------------------------------------------------------------------------

def test_quoted_japanese_terms():
    stmt = only('"購買履歴" may be shared with "日本生協連" for "商品のお届け" [c]')
    assert stmt.items.terms == (ast.Term("購買履歴", quoted=True),)
    assert stmt.recipients.terms == (ast.Term("日本生協連", quoted=True),)
    assert stmt.purposes.terms[0].quoted
    assert str(stmt.recipients.terms[0]) == '"日本生協連"'


def test_quoted_terms_are_nfkc_normalized_and_trimmed():
    stmt = only('"ＪＣＣＵ " may be used for delivery [c]')
    assert stmt.items.terms[0].text == "JCCU"


@pytest.mark.parametrize("written, key", [
    ("purchase history", "purchase_history"),
    ("purchase_history", "purchase_history"),
    ("Purchase   History", "purchase_history"),
    ("JCCU", "jccu"),
    ("delivery companies", "delivery_companies"),
    ("personal data", "personal_data"),
])
def test_multi_word_term_keys(written, key):
    stmt = only(f"{written} may be used for delivery [c]")
    assert stmt.items.terms[0].key == key


def test_keywords_inside_terms_are_words():
    # `data`, `for`-like keywords are only keywords where the grammar expects one
    stmt = only("personal data of data subjects may be used for data analysis [c]")
    assert texts(stmt.items) == ["personal data"]
    assert texts(stmt.subjects) == ["data subjects"]
    assert texts(stmt.purposes) == ["data analysis"]


def test_unquoted_japanese_word_is_a_term():
    assert only("購買履歴 may be used for delivery [c]").items.terms[0] == ast.Term("購買履歴")


# ---- layout: comments, continuations, blank lines, end of file ----------------------------

def test_comments_blank_lines_and_trailing_comments():
    src = ("# a comment at the top\n"
           "\n"
           "policy aizu   # trailing comment\n"
           "\n"
           "   \n"
           "# another\n"
           "import vocabulary\n"
           "\n")
    module = parse(src)
    assert module.statements == (ast.PolicyHeader(ast.Term("aizu")), ast.Import(ast.Term("vocabulary")))


@pytest.mark.parametrize("src", ["", "\n\n", "# only a comment", "# one\n# two\n", "   \n\t\n"])
def test_empty_files(src):
    assert parse(src).statements == ()


def test_continuation_lines_join_one_statement():
    wrapped = ("purchase history\n"
               "    may be shared with JCCU\n"
               "\tfor delivery purposes\n"
               "\n"
               "    # comment inside the wrapped statement\n"
               "    [指針2 ◇商品・サービス]\n")
    assert only(wrapped) == only(CANONICAL)


def test_no_trailing_newline():
    module = parse("policy aizu\nimport vocabulary")
    assert module.statements[-1] == ast.Import(ast.Term("vocabulary"))
    assert only("name may be used for delivery [c]").citation.text == "c"


def test_crlf_line_endings():
    module = parse("policy aizu\r\nname may be used\r\n    for delivery [c]\r\n")
    assert len(module.statements) == 2
    assert texts(module.statements[1].purposes) == ["delivery"]


# ---- spans --------------------------------------------------------------------------------

def test_spans_of_statements_and_parts():
    src = ("# header comment\n"
           "\n"
           "policy aizu\n"
           "import vocabulary\n"
           "\n"
           "name may be used\n"
           "    for delivery   # why\n"
           "    [x]\n")
    module = parse(src, "a.policy")
    header, imp, grant = module.statements
    assert (header.span.file, header.span.line, header.span.column) == ("a.policy", 3, 1)
    assert (imp.span.line, imp.span.column) == (4, 1)
    assert (imp.target.span.line, imp.target.span.column) == (4, 8)
    assert (grant.span.line, grant.span.column, grant.span.end_line) == (6, 1, 8)
    assert (grant.items.terms[0].span.line, grant.items.terms[0].span.column) == (6, 1)
    assert (grant.purposes.terms[0].span.line, grant.purposes.terms[0].span.column) == (7, 9)
    assert (grant.citation.span.line, grant.citation.span.column) == (8, 5)
    assert str(grant.span) == "a.policy:6:1"


def test_spans_of_canonical_example():
    stmt = only(CANONICAL, "c.policy")
    term = stmt.items.terms[0]
    assert (term.span.line, term.span.column, term.span.end_column) == (1, 1, 1 + len("purchase history"))
    jccu = stmt.recipients.terms[0]
    assert (jccu.span.column, jccu.span.end_column) == (col(CANONICAL, "JCCU"), col(CANONICAL, "JCCU") + 4)
    assert stmt.purposes.terms[0].span.column == col(CANONICAL, "delivery")
    assert stmt.citation.span.column == col(CANONICAL, "[")


def test_spans_of_wildcards_and_case_parts():
    src = "name of any subject may be used for any declared purposes [x]"
    stmt = only(src)
    assert stmt.subjects.span.column == col(src, "any subject")
    assert stmt.purposes.span.column == col(src, "any declared")
    case = only('case "a": use name for delivery\n  expect permit')
    assert (case.span.line, case.span.column) == (1, 1)
    assert (case.expect.span.line, case.expect.span.column) == (2, 3)


def test_spans_are_excluded_from_equality():
    a = parse(CANONICAL + "\n", "one.policy").statements[0]
    b = parse("\n\n# moved down\n\n" + "   " + CANONICAL + "\n", "two.policy").statements[0]
    assert a.span.line == 1 and b.span.line == 5
    assert a.span != b.span
    assert a == b
    assert hash(a) == hash(b)
    assert ast.Term("x", span=ast.Span("f", 1, 1, 1, 2)) == ast.Term("x", span=ast.Span("g", 9, 9, 9, 10))
    assert ast.Term("x") != ast.Term("x", quoted=True)


# ---- mistakes -----------------------------------------------------------------------------

def test_misspelt_verb_suggests_the_verb():
    src = "name may be shred with jccu for delivery [x]"
    d = error(src)
    assert d.code == "E102"
    assert (d.span.line, d.span.column) == (1, col(src, "shred"))
    assert d.span.end_column - d.span.column == len("shred")
    assert "unexpected `shred`" in d.message
    assert "`shared`" in d.message and "`used`" in d.message
    assert d.help == "did you mean `shared`?"


def test_misspelt_statement_keyword_suggests_import():
    d = error("improt vocabulary")
    assert d.code == "E102"
    assert (d.span.line, d.span.column) == (1, len("improt vocabulary") + 1)
    assert d.message.startswith("incomplete statement")
    assert "`import`" in d.help


def test_misspelt_keyword_in_the_middle_suggests_it():
    src = "photo must not be published unles consent [a]"
    d = error(src)
    assert (d.code, d.span.column) == ("E102", col(src, "unles"))
    assert d.help == "did you mean `unless`?"
    d = error("data itme x")
    assert (d.code, d.span.column, d.help) == ("E102", 6, "did you mean `item`?")


@pytest.mark.parametrize("src, column", [('name: "生活協同組合', 7), ('import "../rules/x.rules', 8),
                                         ('case "broken: use name for delivery expect deny', 6)])
def test_unterminated_string(src, column):
    d = error(src)
    assert d.code == "E103"
    assert d.message == "unterminated string"
    assert (d.span.line, d.span.column) == (1, column)
    assert "`\"`" in d.help


def test_unterminated_citation():
    src = "name may be used for delivery   [指針2 ◇商品"
    d = error(src)
    assert d.code == "E104"
    assert d.message == "unterminated citation"
    assert (d.span.line, d.span.column) == (1, col(src, "["))
    assert "`]`" in d.help


def test_stray_character():
    src = "name may be used for delivery $ [x]"
    d = error(src)
    assert d.code == "E101"
    assert (d.span.line, d.span.column) == (1, col(src, "$"))
    assert d.message == "unexpected character `$`"
    assert "citation" in d.help


def test_full_width_space_counts_as_a_space():
    """Japanese authors type U+3000; it separates words like a space and may indent."""
    stmt = only("name may be used for delivery\u3000[x]")
    assert stmt.citation.text == "x"
    wrapped = parse("name may be used\n\u3000\u3000for delivery [x]\n").statements
    assert len(wrapped) == 1 and wrapped[0].purposes.terms[0].text == "delivery"


def test_missing_purposes_caret_at_end_of_line():
    src = "name may be used"
    d = error(src)
    assert d.code == "E102"
    assert d.message == "incomplete statement: expected `for`, `managed`, `obliging`, `provided` or `unless`"
    assert (d.span.line, d.span.column) == (1, len(src) + 1)
    rendered = d.render()
    caret_line = rendered.splitlines()[2]
    assert caret_line.index("^") == rendered.splitlines()[1].index(src) + len(src)


def test_missing_purposes_before_citation():
    src = "name may be used [x]"
    d = error(src)
    assert (d.code, d.span.column) == ("E102", col(src, "[x]"))
    assert "unexpected `[x]`" in d.message and "`for`" in d.message


def test_missing_purposes_on_a_wrapped_statement_points_at_its_last_line():
    d = error("import a\n\nname may be\n    used\nimport b")
    assert d.code == "E102"
    assert (d.span.line, d.span.column) == (4, len("    used") + 1)
    assert d.source_line == "    used"


def test_must_be_instead_of_must_not_be():
    src = "name must be used for delivery [x]"
    d = error(src)
    assert d.code == "E102"
    assert (d.span.line, d.span.column) == (1, col(src, "be"))
    assert "unexpected `be`" in d.message and "expected `not`" in d.message


@pytest.mark.parametrize("src, expected", [
    ("name may be shared to jccu for delivery [x]", "expected `with`"),
    ("name may be entrusted with jccu for delivery [x]", "expected `to`"),
])
def test_wrong_preposition_after_verb(src, expected):
    d = error(src)
    assert d.code == "E102"
    assert expected in d.message
    assert d.span.column == col(src, "to" if "shared" in src else "with")


def test_requires_something_other_than_consent_or_notice():
    src = "collecting name requires approval [x]"
    d = error(src)
    assert (d.code, d.span.column) == ("E102", col(src, "approval"))
    assert "`consent` or `notice`" in d.message


def test_single_quoted_label():
    src = "party x, label 'foo'"
    d = error(src)
    assert d.code == "E101"
    assert (d.span.line, d.span.column) == (1, col(src, "'"))
    assert d.message == "unexpected character `'`"
    assert "a quoted string" in d.help


def test_case_without_expect():
    src = 'case "a": use name for delivery'
    d = error(src)
    assert d.code == "E102"
    assert d.message.startswith("incomplete statement")
    assert "`expect`" in d.message
    assert (d.span.line, d.span.column) == (1, len(src) + 1)


def test_case_name_must_be_quoted():
    d = error("case a: use name for delivery\n  expect permit")
    assert (d.code, d.span.line, d.span.column) == ("E102", 1, 6)
    assert "a quoted string" in d.message


def test_expect_maybe():
    src = 'case "a": use name for delivery\n  expect maybe'
    d = error(src)
    assert d.code == "E102"
    assert (d.span.line, d.span.column) == (2, len("  expect ") + 1)
    assert "unexpected `maybe`" in d.message
    assert "`permit` or `deny`" in d.message


def test_citing_without_citation():
    d = error('case "a": use name for delivery\n  expect permit by purpose citing')
    assert (d.code, d.span.line) == ("E102", 2)
    assert "citation" in d.message


@pytest.mark.parametrize("bad", ["2022-4-1", "2022-04-1"])
def test_bad_date_in_metadata(bad):
    src = f"date: {bad}"
    d = error(src)
    assert d.code == "E101"
    assert (d.span.line, d.span.column) == (1, col(src, "-"))
    assert d.message == "unexpected character `-`"


def test_two_statements_on_one_line():
    src = "name may be used for delivery [x] name may be used for billing [y]"
    d = error(src)
    assert d.code == "E102"
    assert (d.span.line, d.span.column) == (1, src.index("name", 1) + 1)
    assert "expected the end of the statement" in d.message


def test_continuation_that_is_not_indented():
    d = error("name may be used for delivery\n[x]")
    assert d.code == "E102"
    assert (d.span.line, d.span.column) == (2, 1)
    assert "unexpected `[x]`" in d.message


def test_rule_wrapped_without_indentation_fails_on_both_lines():
    diags = errors("name may be used\nfor delivery [x]\n")
    assert [(d.code, d.span.line) for d in diags] == [("E102", 1), ("E102", 2)]
    assert diags[0].message == "incomplete statement: expected `for`, `managed`, `obliging`, `provided` or `unless`"
    assert diags[0].span.column == len("name may be used") + 1


def test_several_broken_statements_one_diagnostic_each_sorted_by_line():
    src = ("policy aizu\n"                              # 1 ok
           "import vocabulary\n"                       # 2 ok
           "improt appi\n"                             # 3 broken
           "\n"                                        # 4
           "name may be used for delivery [ok]\n"      # 5 ok
           "name must be used for billing [x]\n"       # 6 broken
           "# comment\n"                               # 7
           "address may be shred with jccu\n"          # 8 broken (wrapped)
           "    for delivery [y]\n"                    # 9
           "party x, label 'foo'\n"                    # 10 broken
           'case "a": use name for delivery\n'         # 11 broken: no expect
           "honour legal exceptions: by law [z]\n")    # 12 ok
    diags = errors(src, "many.policy")
    assert [(d.code, d.span.line) for d in diags] == [
        ("E102", 3), ("E102", 6), ("E102", 8), ("E101", 10), ("E102", 11)]
    assert diags[0].help == "did you mean `import`?"
    assert diags[2].help == "did you mean `shared`?"
    assert all(d.span.file == "many.policy" for d in diags)
    assert [d.span.line for d in diags] == sorted(d.span.line for d in diags)


# ---- rendering and exception type ---------------------------------------------------------

def test_render_has_location_line_caret_and_help():
    src = "policy aizu\nname may be shred with jccu for delivery [x]\n"
    with pytest.raises(CoopcheckError) as info:
        parse(src, "rules/demo.policy")
    err = info.value
    text = err.render()
    lines = text.splitlines()
    assert lines[0] == ("rules/demo.policy:2:13: error[E102]: unexpected `shred`: expected `collected`, "
                        "`disclosed`, `entrusted`, `provided`, `published`, `shared` or `used`")
    assert lines[1] == "2 | name may be shred with jccu for delivery [x]"
    assert lines[2] == " " * (len("2 | ") + 12) + "^^^^^"
    assert lines[3] == "  = help: did you mean `shared`?"
    assert str(err) == text
    assert err.code == "E102"


def test_render_caret_under_wide_characters():
    src = "\"日本生協連\" may be used for delivery $ [x]"
    d = error(src)
    line = d.render().splitlines()[2]
    # 5 wide characters + 2 quotes + " may be used for delivery " take 2*5 + 2 + 26 columns
    assert line.index("^") - len("1 | ") == 2 * 5 + 2 + len(" may be used for delivery ")


def test_render_of_several_diagnostics():
    err = None
    try:
        parse("foo bar\nimport a\nx may be\n", "f.rules")
    except CoopcheckError as exc:
        err = exc
    assert err is not None
    blocks = err.render().split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("f.rules:1:8: error[E102]")
    assert blocks[1].startswith("f.rules:3:9: error[E102]")
    assert "1 | foo bar" in blocks[0] and "3 | x may be" in blocks[1]
    assert all("^" in b for b in blocks)


def test_diagnostic_json_form():
    d = error("name may be shred with jccu for delivery [x]", "f.rules")
    data = d.to_json()
    assert data["code"] == "E102"
    assert data["location"] == {"file": "f.rules", "line": 1, "column": 13}
    assert data["help"] == "did you mean `shared`?"


def _garbage() -> list[str]:
    rng = random.Random(20240401)
    fixed = [
        "", "\n", "   ", "\t\t\n\t", "\r\n\r\n", "# only a comment", "# a\n# b\n\n",
        "日本語だけ", "\u3000", "\x00", "\ufeffimport a", "🙂 may be used for 🙂 [🙂]", "\u2028", "\x0c",
        "[", '"', "]", "\\", "`", "{}", "()", ":" * 50, ",,,", "and and", "may may may", "!!!@@@###$$$%%%",
        "import", "policy", "case", 'case "x"', "expect permit", "name:", "honour", "data item", "data item x is",
        "x may be used for any purpose provided that", "x: 2022-01-01 2022", "tests for", 'import ""',
        "a" * 20000, ("name, " * 3000) + "x may be used for y [z]", "[" * 500, '"' * 501,
        "  indented first line", "x may be used for y [z]\n  \n  \n", 'case "a": use x for y\n  expect deny by',
    ]
    alphabet = "abc xyz,:[]\"'#\n\t-_0123456789日本「」［］　may be used for"
    fixed += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(20)]
    return fixed


@pytest.mark.parametrize("src", _garbage(), ids=lambda s: repr(s[:20]))
def test_garbage_never_escapes_as_a_lark_error(src):
    try:
        result = parse(src, "junk.rules")
    except CoopcheckError as exc:
        assert type(exc) is CoopcheckError
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.code.startswith("E1")
            assert d.span is not None and d.span.file == "junk.rules"
            assert d.span.line >= 1 and d.span.column >= 1
            assert d.render()
    else:
        assert isinstance(result, ast.Module)


# ---- regressions (bugs found and fixed) -------------------------------

@pytest.mark.parametrize("src, code", [('import a\nname: "abc', "E103"), ("import a\nx may be used for y [abc", "E104")])
def test_unterminated_string_or_citation_after_the_first_line(src, code):
    d = error(src)
    assert (d.code, d.span.line) == (code, 2)


def test_line_separator_inside_a_comment_does_not_shift_lines():
    d = error("import a   # see\u2028note\nfoo bar")
    assert (d.span.line, d.source_line) == (2, "foo bar")


@pytest.mark.parametrize("src,obligations,managed_by", [
    ("name may be shared with jccu for delivery, obliging supervise contractor [x]", ["supervise contractor"], None),
    ("name may be shared with jccu for delivery, managed by aizu [x]", [], ast.Term("aizu")),
    ("name may be shared with jccu for delivery obliging supervise contractor, managed by aizu [x]",
     ["supervise contractor"], ast.Term("aizu")),
])
def test_comma_before_obliging_or_managed_by_after_a_term_list(src, obligations, managed_by):
    stmt = only(src)
    assert texts(stmt.purposes) == ["delivery"]
    assert texts(ast.Selector(stmt.obligations)) == obligations
    assert stmt.managed_by == managed_by


@pytest.mark.parametrize("src", ["name may beused for delivery [x]", "name may be usedfor delivery [x]"])
def test_keyword_glued_to_the_next_word_is_an_error(src):
    assert errors(src)[0].code == "E105"


def test_a_test_case_names_exactly_one_recipient():
    d = error('case "x": share name with jccu and coop kyosai for delivery\n  expect deny\n')
    assert d.code == "E102" and d.span.line == 1 and "exactly one recipient" in d.message
    assert d.source_line.startswith('case "x"')


# ---- parse errors speak in words -------------------------------------------------------------

def _grammar_terminals() -> list[str]:
    """Every terminal of dsl/grammar.lark, and the end of the file."""
    from coopcheck.dsl.parser import lark_parser

    return [t.name for t in lark_parser().terminals] + ["$END"]


def test_every_terminal_has_a_words_form():
    """An "expected …" message names each terminal in words: a keyword in backticks,
    anything else as what it is — never the grammar's name for it (``comma_managed``)."""
    import re

    from coopcheck.dsl.parser import keyword_of_terminal, terminal_words

    names = _grammar_terminals()
    assert {"COMMA_MANAGED", "COMMA_OBLIGING", "WORD", "_NL", "COMMENT"} <= set(names)
    keywords = keyword_of_terminal()
    compound = [n for n in names if "_" in n]  # COMMA_MANAGED, ANY_PURPOSE, _NL, WS_INLINE, …
    for name in names:
        words = terminal_words(name)  # KeyError: a terminal without words
        outside_quotes = re.sub(r"`[^`]*`", "", words)
        assert "_" not in outside_quotes and not re.search(r"[A-Z]{2,}", outside_quotes), (name, words)
        assert not any(n.lower() in words.lower() for n in compound), (name, words)
        if name not in keywords:
            assert words.strip("`").lower() != name.lower(), (name, words)  # the name, lower-cased


@pytest.mark.parametrize("src, where", [
    ("name may be used for delivery ; [1]", "help"),           # E101: what was allowed, in the help line
    ("name may be used for delivery purposes foo [1]", "message"),  # E102: what was expected
    ("name may be used for delivery provided that consent ,", "message"),
])
def test_expected_terminals_are_named_in_words(src, where):
    """After a term list the parser expects `, obliging` / `, managed by`, lexed as one
    terminal each; the message names them as the keywords, not as terminals."""
    d = error(src)
    text = d.help if where == "help" else d.message
    assert "`managed`" in text and "`obliging`" in text, text
    assert "comma" not in text and "_" not in text, text


def test_the_help_line_after_an_unexpected_character_is_in_words():
    d = error("name may be used for delivery ; [1]")
    assert d.code == "E101"
    assert d.help == ("expected `,`, `:`, `managed`, `obliging`, a citation like `[指針2]`, a term "
                      "or the end of the statement")
