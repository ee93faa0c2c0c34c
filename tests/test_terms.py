"""Finding the vocabulary: ``coopcheck terms`` and the search behind every "did you mean"."""

from __future__ import annotations

import json

import pytest

from coopcheck import load_policy
from coopcheck.core.search import search

VOCAB = load_policy("aizu").vocabulary


@pytest.mark.parametrize("query, kind, expected", [
    ("購買", None, "purchase_history"),           # a part of a label
    ("商品のお届け", None, "delivery"),            # a prefix of a label
    ("配達", "purpose", "delivery"),               # an everyday word
    ("あいづ", "coop", "aizu"),                    # a short co-op name, part of an alias
    ("purchse history", "item", "purchase_history"),  # a close spelling
    ("ＪＣＣＵ", "party", "jccu"),                  # full-width
])
def test_search_finds_the_term_first(query, kind, expected):
    assert search(VOCAB, query, kind)[0].id == expected


def test_search_ranks_exact_before_part():
    hits = search(VOCAB, "name", "item")
    assert hits[0].id == "name" and hits[0].how == "exact"


def test_terms_search_cli(cli):
    code, out, _ = cli("terms", "--search", "購買")
    assert code == 0 and out.splitlines()[2].startswith("purchase_history")
    code, out, _ = cli("terms", "purpose", "--search", "配達", "--format", "json")
    assert [t["id"] for t in json.loads(out)][:1] == ["delivery"]


def test_terms_lists_a_kind_with_labels_aliases_and_parents(cli):
    code, out, _ = cli("terms", "party", "--format", "json")
    terms = {t["id"]: t for t in json.loads(out)}
    assert code == 0 and set(t["kind"] for t in terms.values()) == {"party"}
    assert terms["jccu"]["label"] == "日本生活協同組合連合会" and "JCCU" in terms["jccu"]["aliases"]
    assert terms["jccu"]["parents"] == ["coop_federation", "third_party"]


def test_terms_errors(cli):
    assert cli("terms", "--search", "zzzzqqq")[0] == 1
    code, _, err = cli("terms", "thingy")
    assert code == 2 and "unknown kind" in err


def test_did_you_mean_uses_the_same_search(cli):
    """Defect: an everyday word (配達), a prefix of a label or a short co-op name (あいづ) got
    no suggestion."""
    base = ["check", "--action", "use", "--data", "name"]
    code, _, err = cli(*base, "--coop", "aizu", "--purpose", "配達")
    assert code == 2 and "did you mean `delivery`" in err
    code, _, err = cli(*base, "--coop", "あいづ", "--purpose", "delivery")
    assert code == 2 and "did you mean `aizu`" in err
