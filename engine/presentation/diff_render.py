"""A policy diff (:mod:`coopcheck.analysis.regions`) in words, in English or Japanese: what
one side decides on a region (:func:`describe_outcome`), a region's scenarios
(:func:`region_scope`, :func:`region_conditions`) and both together (:func:`describe_region`),
a set of terms named the way a reviewer reads it (:func:`collapse`), and the diff as JSON
with a one-line description per region (:func:`diff_json`).

>>> from coopcheck.analysis.regions import Outcome
>>> describe_outcome(Outcome("permit", "joint_use", ("aizu 1",), ("r1",)))
'permits by joint use [aizu 1]'
>>> describe_outcome(Outcome("deny", "none", (), ()), "ja")
'不許可（許可するルールなし）'
"""

from __future__ import annotations

from typing import Iterable

from coopcheck.analysis.regions import Outcome, PolicyDiff, Region
from coopcheck.core.frozen import FrozenMap
from coopcheck.core.scenario import ACTIONS
from coopcheck.core.vocabulary import Vocabulary
from coopcheck.presentation.wording import BASIS_WORDS

#: The note that single-item regions also settle every scenario with several items, per language.
MULTI_ITEM_NOTE = {
    "en": "a scenario with several data items is decided item by item and permitted only if "
          "every item is, so its decision follows from these",
    "ja": "複数のデータ項目の場面は項目ごとに判定され、すべて許可のときだけ許可されるため、"
          "これらの判定から決まる",
}

_WORDS = {
    "en": {"of": "of", "with": "with", "for": "for", "any": {"subject": "any subject", "item": "any item",
           "party": "any recipient", "purpose": "any purpose", "exception": "any legal exception"},
           "all": "all of {}", "except": "{any} except {terms}", "consent": "with consent", "no_consent": "without consent",
           "any_consent": "with or without consent", "any_claim": "claiming any legal exception or none",
           "not_claiming": "not claiming {terms}", "claiming": "claiming", "no_exception": "no legal exception", "or": " or ", "sep": ", "},
    "ja": {"of": "本人:", "with": "提供先:", "for": "目的:", "any": {"subject": "すべての本人", "item": "すべての項目",
           "party": "すべての提供先", "purpose": "すべての目的", "exception": "すべての法令上の例外"},
           "all": "{}（下位を含む）", "except": "{terms}以外の{any}", "consent": "本人同意あり", "no_consent": "本人同意なし",
           "any_consent": "本人同意の有無を問わず", "any_claim": "法令上の例外の援用を問わず",
           "not_claiming": "{terms}を援用しない", "claiming": "援用する例外:", "no_exception": "例外なし", "or": "・", "sep": "、"},
}
_ACTION_WORDS = {"en": {a: a for a in ACTIONS},
                 "ja": {"use": "利用", "collect": "取得", "share": "提供", "publish": "掲載・公表"}}


def describe_outcome(outcome: Outcome, lang: str = "en") -> str:
    """``permits by joint use [clause]`` / ``denies [clause]`` / ``denies (no rule permits it)``."""
    cited = " [" + "; ".join(outcome.citations) + "]" if outcome.citations else ""
    if lang == "ja":
        if outcome.decision == "permit":
            return f"許可（{BASIS_WORDS['ja'][outcome.basis]}）{cited}"
        return f"不許可{cited}" if cited else "不許可（許可するルールなし）"
    if outcome.decision == "permit":
        return f"permits by {outcome.basis.replace('_', ' ')}{cited}"
    return f"denies{cited}" if cited else "denies (no rule permits it)"


def region_scope(region: Region, vocabulary: Vocabulary, lang: str = "en", universe: FrozenMap | None = None) -> str:
    """The action, items, subjects, recipients and purposes of the region in words, terms
    collapsed to a parent when all its children are in
    (``share {all of basic info} of member with jccu for {delivery, billing}``)."""
    lang = "ja" if lang == "ja" else "en"
    w = _WORDS[lang]

    def terms(ids, kind):
        return collapse(ids, kind, vocabulary, (universe or {}).get(kind), lang)

    parts = [w["sep"].join(_ACTION_WORDS[lang][a] for a in region.actions), terms(region.items, "item"),
             f"{w['of']} {terms(region.subjects, 'subject')}"]
    if region.recipients and not set(region.actions) <= {"publish"}:  # publishing goes to the public
        parts.append(f"{w['with']} {terms(region.recipients, 'party')}")
    parts.append(f"{w['for']} {terms(region.purposes, 'purpose')}")
    return " ".join(parts)


def region_conditions(region: Region, vocabulary: Vocabulary, lang: str = "en",
                      universe: FrozenMap | None = None) -> str:
    """Consent and legal exceptions of the region in words (``without consent, claiming
    no legal exception``); what covers every value is said as such."""
    lang = "ja" if lang == "ja" else "en"
    w = _WORDS[lang]
    consent = (w["consent"] if region.consent[0] else w["no_consent"]) if len(region.consent) == 1 \
        else w["any_consent"]
    every = list((universe or {}).get("exception") or vocabulary.of_kind("exception"))
    ids = [e for e in region.exceptions if e is not None]
    absent = [e for e in every if e not in ids]
    if None in region.exceptions:
        if not absent:
            return f"{consent}{w['sep']}{w['any_claim']}"
        if not ids:
            return f"{consent}{w['sep']}{w['claiming']} {w['no_exception']}"
        if len(absent) <= len(ids):
            return f"{consent}{w['sep']}" + w["not_claiming"].format(
                terms=collapse(absent, "exception", vocabulary, every, lang))
        return (f"{consent}{w['sep']}{w['claiming']} {w['no_exception']}{w['or']}"
                + collapse(ids, "exception", vocabulary, every, lang))
    return f"{consent}{w['sep']}{w['claiming']} " + collapse(ids, "exception", vocabulary, every, lang)


def describe_region(region: Region, vocabulary: Vocabulary, lang: str = "en", *, a_name: str = "A",
                    b_name: str = "B", universe: FrozenMap | None = None) -> str:
    """One readable line: the scenarios, then what A and B decide with their clauses."""
    sep = "；" if lang == "ja" else "; "
    return (f"{region_scope(region, vocabulary, lang, universe)}{_WORDS[lang if lang == 'ja' else 'en']['sep']}"
            f"{region_conditions(region, vocabulary, lang, universe)}: {a_name} {describe_outcome(region.a, lang)}"
            f"{sep}{b_name} {describe_outcome(region.b, lang)}")


def describe_diff_region(diff: PolicyDiff, region: Region, lang: str = "en") -> str:
    """:func:`describe_region` with the diff's names, vocabulary and compared terms."""
    return describe_region(region, diff.vocabulary, lang, a_name=diff.a_name, b_name=diff.b_name,
                           universe=diff.universe)


def diff_json(diff: PolicyDiff, lang: str = "en") -> dict:
    """The diff as JSON: names, counts, what was compared and left out, the regions
    (each with a one-line ``description`` when the vocabulary is known)."""
    regions = []
    for r in diff.regions:
        obj = r.to_json()
        if diff.vocabulary is not None:
            obj["description"] = describe_diff_region(diff, r, lang)
        regions.append(obj)
    return {"a": diff.a_name, "b": diff.b_name, "identical": diff.identical,
            "scenarios_compared": diff.scenarios_compared, "differing": diff.differing,
            "compared": list(diff.compared), "note": MULTI_ITEM_NOTE["ja" if lang == "ja" else "en"],
            "left_out": {k: {"only_a": list(v[0]), "only_b": list(v[1])} for k, v in diff.left_out.items()},
            "regions": regions}


def collapse(ids: Iterable[str], kind: str, vocabulary: Vocabulary, universe: Iterable[str] | None = None,
             lang: str = "en") -> str:
    """The terms ``ids`` in words: a term stands for itself and every term under it when
    all of them are in (``all of basic info``); every term compared is ``any …``, and most
    of them ``any … except {…}``.

    >>> from coopcheck.core.api import load_policy
    >>> v = load_policy("aizu").vocabulary
    >>> collapse(["purchase_history", "catalog_purchase_data", "name"], "item", v)
    '{name, all of purchase history}'
    >>> collapse([p for p in v.of_kind("purpose") if p not in ("kyosai_guidance", "hiring")], "purpose", v)
    'any purpose except {kyosai guidance, hiring}'
    """
    w = _WORDS["ja" if lang == "ja" else "en"]
    lang = "ja" if lang == "ja" else "en"
    uni = list(dict.fromkeys(universe)) if universe is not None else vocabulary.of_kind(kind)
    chosen = set(ids) & set(uni)
    if chosen == set(uni):
        return w["any"][kind]
    shown = _collapsed(chosen, uni, vocabulary, lang)
    rest = set(uni) - chosen
    if len(rest) < len(chosen):
        others = _collapsed(rest, uni, vocabulary, lang)
        if len(others) < len(shown):
            return w["except"].format(any=w["any"][kind], terms=_braced(others, w))
    return _braced(shown, w)


def _braced(shown: list[str], w: dict) -> str:
    return shown[0] if len(shown) == 1 else "{" + w["sep"].join(shown) + "}"


def _collapsed(chosen: set, universe: list[str], vocabulary: Vocabulary, lang: str) -> list[str]:
    """Names of ``chosen`` in universe order, a whole subtree named once by its top."""
    universe_set = set(universe)
    shown: list[str] = []
    covered: set[str] = set()
    for tid in universe:  # declaration order: parents before children
        if tid not in chosen or tid in covered:
            continue
        below = vocabulary.descendants.get(tid, frozenset({tid})) & universe_set
        name = (vocabulary.label(tid) or tid) if lang == "ja" else tid.replace("_", " ")
        if len(below) > 1 and below <= chosen:
            shown.append(_WORDS[lang]["all"].format(name))
            covered |= below
        else:
            shown.append(name)
            covered.add(tid)
    return shown
