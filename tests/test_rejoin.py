"""Terms whose words contain `and`, `or` or `of` (engine/core/rejoin.py, docs/language.md)."""

from __future__ import annotations

import pytest

from coopcheck import load_string
from coopcheck.dsl import CoopcheckError

HEAD = ("policy demo\nimport vocabulary\n"
        "data item research_and_development_data is personal data\n"
        "data item terms_of_service is personal data\n"
        "purpose research_or_development is business_analysis\n")


def _written(text: str, part: str = "items"):
    return [r.written[part] for r in load_string(HEAD + text).rules if r.module == "demo"]


def test_a_term_split_at_and_is_joined_when_the_parts_name_nothing():
    assert _written("research and development data may be used for delivery   [1]\n") == \
        [("research_and_development_data",)]
    assert _written("name and research and development data may be used for delivery   [1]\n") == \
        [("name", "research_and_development_data")]


def test_a_term_split_at_of_is_joined_and_the_subject_is_the_default():
    text = "terms of service may be used for delivery   [1]\n"
    assert _written(text) == [("terms_of_service",)]
    assert _written(text, "subjects") == [("member",)]


def test_a_purpose_split_at_or_is_joined():
    assert _written("name may be used for research or development   [1]\n", "purposes") == \
        [("research_or_development",)]


def test_a_split_whose_parts_name_terms_stays_split():
    assert _written("name and address may be used for delivery   [1]\n") == [("name", "address")]


def test_words_naming_nothing_either_way_are_still_an_unknown_term():
    with pytest.raises(CoopcheckError) as err:
        load_string(HEAD + "research and nonsense may be used for delivery   [1]\n")
    assert {d.code for d in err.value.diagnostics} == {"E201"}


def test_the_command_line_keeps_a_data_item_whose_words_contain_and(cli, tmp_path, monkeypatch):
    """`--data "name and research and development data"`: split at `and` only where the parts
    name items, as the rule language does (core.lists.split_names)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rd.policy").write_text(HEAD.replace("policy demo", "policy rd") +
                                        "personal data may be used for survey   [1]\n", encoding="utf-8")
    code, out, err = cli("check", "--coop", "./rd.policy", "--action", "use", "--purpose", "survey",
                         "--data", "name and research and development data", "--format", "json")
    assert code == 0, err
    import json
    assert json.loads(out)["scenario"]["data"] == ["name", "research_and_development_data"]
