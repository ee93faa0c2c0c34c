"""The result of a policy diff and how it reads: :class:`Outcome` (one side's answer),
:class:`Region` (an exact box of scenarios with one outcome pair), :class:`PolicyDiff` (all
regions), and :func:`collapse`, which names a set of terms the way a reviewer reads it.
How the regions are computed is :mod:`coopcheck.analysis.diff`'s business.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from attrs import field, frozen

from coopcheck.core.frozen import FrozenMap
from coopcheck.presentation.wording import BASIS_WORDS
from coopcheck.core.scenario import ACTIONS, Scenario
from coopcheck.core.vocabulary import Vocabulary

#: The term kinds that make up a scenario, in the order regions list them.
KINDS = ("subject", "item", "party", "purpose", "exception")

MULTI_ITEM_NOTE = {
    "en": "a scenario with several data items is decided item by item and permitted only if "
          "every item is, so its decision follows from these",
    "ja": "複数のデータ項目の場面は項目ごとに判定され、すべて許可のときだけ許可されるため、"
          "これらの判定から決まる",
}


@frozen
class Outcome:
    """What one ruleset decides on every scenario of a region."""

    decision: str
    basis: str
    citations: tuple[str, ...]
    rules: tuple[str, ...]

    def describe(self, lang: str = "en") -> str:
        """``permits by joint use [clause]`` / ``denies [clause]`` / ``denies (no rule permits it)``."""
        cited = " [" + "; ".join(self.citations) + "]" if self.citations else ""
        if lang == "ja":
            if self.decision == "permit":
                return f"許可（{BASIS_WORDS['ja'][self.basis]}）{cited}"
            return f"不許可{cited}" if cited else "不許可（許可するルールなし）"
        if self.decision == "permit":
            return f"permits by {self.basis.replace('_', ' ')}{cited}"
        return f"denies{cited}" if cited else "denies (no rule permits it)"

    def to_json(self) -> dict:
        """``{"decision", "basis", "citations", "rules"}``."""
        return {"decision": self.decision, "basis": self.basis, "citations": list(self.citations),
                "rules": list(self.rules)}


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


@frozen
class Region:
    """A box of single-item scenarios — every combination of its actions, subjects, items,
    recipients, purposes, consent values and exceptions — on which ruleset A decides ``a``
    and ruleset B decides ``b`` (and they differ). ``recipients`` is empty when the actions
    take none; ``exceptions`` holds ``None`` for "no legal exception claimed"."""

    actions: tuple[str, ...]
    subjects: tuple[str, ...]
    items: tuple[str, ...]
    recipients: tuple[str, ...]
    purposes: tuple[str, ...]
    consent: tuple[bool, ...]
    exceptions: tuple[str | None, ...]
    a: Outcome
    b: Outcome
    size: int

    def scenarios(self) -> Iterator[Scenario]:
        """Every single-item scenario of the region (for tests and small regions)."""
        for action in self.actions:
            for subject in self.subjects:
                for item in self.items:
                    for recipient in self.recipients or (None,):
                        for purpose in self.purposes:
                            for consent in self.consent:
                                for exception in self.exceptions:
                                    yield Scenario(action, (item,), purpose, subject, recipient,
                                                   consent, exception)

    def contains(self, sc: Scenario) -> bool:
        """Whether a single-item scenario lies in the region."""
        return (sc.action in self.actions and sc.subject in self.subjects and len(sc.items) == 1
                and sc.items[0] in self.items and (sc.recipient in self.recipients if self.recipients
                                                   else sc.recipient is None)
                and sc.purpose in self.purposes and sc.consent in self.consent
                and sc.exception in self.exceptions)

    def scope(self, vocabulary: Vocabulary, lang: str = "en", universe: FrozenMap | None = None) -> str:
        """The action, items, subjects, recipients and purposes of the region in words, terms
        collapsed to a parent when all its children are in
        (``share {all of basic info} of member with jccu for {delivery, billing}``)."""
        lang = "ja" if lang == "ja" else "en"
        w = _WORDS[lang]

        def terms(ids, kind):
            return collapse(ids, kind, vocabulary, (universe or {}).get(kind), lang)

        parts = [w["sep"].join(_ACTION_WORDS[lang][a] for a in self.actions), terms(self.items, "item"),
                 f"{w['of']} {terms(self.subjects, 'subject')}"]
        if self.recipients and not set(self.actions) <= {"publish"}:  # publishing goes to the public
            parts.append(f"{w['with']} {terms(self.recipients, 'party')}")
        parts.append(f"{w['for']} {terms(self.purposes, 'purpose')}")
        return " ".join(parts)

    def conditions(self, vocabulary: Vocabulary, lang: str = "en", universe: FrozenMap | None = None) -> str:
        """Consent and legal exceptions of the region in words (``without consent, claiming
        no legal exception``); what covers every value is said as such."""
        lang = "ja" if lang == "ja" else "en"
        w = _WORDS[lang]
        consent = (w["consent"] if self.consent[0] else w["no_consent"]) if len(self.consent) == 1 \
            else w["any_consent"]
        every = list((universe or {}).get("exception") or vocabulary.of_kind("exception"))
        ids = [e for e in self.exceptions if e is not None]
        absent = [e for e in every if e not in ids]
        if None in self.exceptions:
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

    def describe(self, vocabulary: Vocabulary, lang: str = "en", *, a_name: str = "A", b_name: str = "B",
                 universe: FrozenMap | None = None) -> str:
        """One readable line: the scenarios, then what A and B decide with their clauses."""
        sep = "；" if lang == "ja" else "; "
        return (f"{self.scope(vocabulary, lang, universe)}{_WORDS[lang if lang == 'ja' else 'en']['sep']}"
                f"{self.conditions(vocabulary, lang, universe)}: {a_name} {self.a.describe(lang)}{sep}"
                f"{b_name} {self.b.describe(lang)}")

    def to_json(self) -> dict:
        """The region as JSON: its term sets, size and both outcomes."""
        return {"actions": list(self.actions), "subjects": list(self.subjects), "items": list(self.items),
                "recipients": list(self.recipients), "purposes": list(self.purposes),
                "consent": list(self.consent), "exceptions": list(self.exceptions), "size": self.size,
                "a": self.a.to_json(), "b": self.b.to_json()}


@frozen
class PolicyDiff:
    """Where two rulesets decide differently, as exact regions of single-item scenarios.

    ``compared`` names the outcome parts compared (decision and basis; with ``clauses``
    also the cited clauses). ``universe`` holds the terms compared per kind; ``left_out``
    the terms only one side declares (``kind -> (only in A, only in B)``).
    """

    a_name: str
    b_name: str
    regions: tuple[Region, ...]
    scenarios_compared: int
    differing: int = 0
    compared: tuple[str, ...] = ("decision", "basis")
    universe: FrozenMap = field(factory=FrozenMap)
    left_out: FrozenMap = field(factory=FrozenMap)
    vocabulary: Vocabulary | None = field(default=None, eq=False, repr=False)

    @property
    def identical(self) -> bool:
        """Whether A and B decide every scenario alike."""
        return not self.regions

    def describe(self, region: Region, lang: str = "en") -> str:
        """:meth:`Region.describe` with this diff's names, vocabulary and compared terms."""
        return region.describe(self.vocabulary, lang, a_name=self.a_name, b_name=self.b_name,
                               universe=self.universe)

    def to_json(self, lang: str = "en") -> dict:
        """The diff as JSON: names, counts, what was compared and left out, the regions
        (each with a one-line ``description`` when the vocabulary is known)."""
        regions = []
        for r in self.regions:
            obj = r.to_json()
            if self.vocabulary is not None:
                obj["description"] = self.describe(r, lang)
            regions.append(obj)
        return {"a": self.a_name, "b": self.b_name, "identical": self.identical,
                "scenarios_compared": self.scenarios_compared, "differing": self.differing,
                "compared": list(self.compared), "note": MULTI_ITEM_NOTE["ja" if lang == "ja" else "en"],
                "left_out": {k: {"only_a": list(v[0]), "only_b": list(v[1])} for k, v in self.left_out.items()},
                "regions": regions}


def collapse(ids: Iterable[str], kind: str, vocabulary: Vocabulary, universe: Iterable[str] | None = None,
             lang: str = "en") -> str:
    """The terms ``ids`` in words: a term stands for itself and every term under it when
    all of them are in (``all of basic info``); every term compared is ``any …``, and most
    of them ``any … except {…}``.

    >>> from engine import load_policy
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


