"""Decisions as JSON: the decision contract, with the reasons in English or Japanese.

:func:`decision_json` gives the contract's dict for one decision. A :class:`DecisionWriter`
does the same for a stream of decisions and remembers the sentences it has written (a
bounded table of reason → sentence): scenarios of one class share most of their sentences, so
a stream pays for the wording of each sentence once.
"""

from __future__ import annotations

import json
from typing import Iterable

from coopcheck.core.decision import CONSENT_WOULD_PERMIT, Decision, ItemDecision
from coopcheck.presentation.wording import reason_texts, render_reason

#: How many sentences a :class:`DecisionWriter` remembers.
SENTENCE_LIMIT = 1 << 16


def item_json(item: ItemDecision) -> dict:
    """The per-item entry of the decision JSON."""
    return {"item": item.item, "decision": str(item.decision), "basis": str(item.basis),
            "rule": item.rules[0] if item.rules else None, "rules": list(item.rules),
            "citations": list(item.citations)}


def decision_json(decision: Decision, lang: str = "en", reasons: list[str] | None = None) -> dict:
    """The decision contract (docs/semantics.md §6): ``coop``, ``decision``, ``basis``,
    ``obligations``, ``citations``, ``reasons`` (sentences in ``lang``),
    ``would_permit_with_consent``, ``items``, ``rules`` and the resolved ``scenario``.

    >>> from coopcheck.core.api import decide, load_policy
    >>> d = decide(load_policy("aizu"), {"action": "use", "data": ["name"], "purpose": "delivery"})
    >>> out = decision_json(d)
    >>> out["decision"], out["basis"], out["items"][0]["item"]
    ('permit', 'purpose', 'name')
    """
    return {
        "coop": decision.coop,
        "decision": str(decision.decision),
        "basis": str(decision.basis),
        "obligations": list(decision.obligations),
        "citations": list(decision.citations),
        "reasons": reason_texts(decision, lang) if reasons is None else reasons,
        "would_permit_with_consent": decision.would_permit_with_consent,
        "items": [item_json(i) for i in decision.items],
        "rules": list(decision.rules),
        "scenario": decision.scenario.to_json(),
    }


class DecisionWriter:
    """Writes decisions as JSON lines in one language, remembering the sentences it wrote
    (up to :data:`SENTENCE_LIMIT`). Not shared between threads."""

    __slots__ = ("lang", "_sentences", "_dumps")

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self._sentences: dict[tuple, str] = {}
        self._dumps = json.JSONEncoder(ensure_ascii=False).encode

    def reasons(self, decision: Decision) -> list[str]:
        """The decision's reasons as sentences."""
        sc = decision.scenario
        # a sentence depends on the reason and on the scenario's terms (and on the vocabulary,
        # the same for every decision of one policy: the co-op is part of the key)
        context = (decision.coop, id(decision.vocabulary), sc.action, sc.subject, sc.recipient, sc.purpose, sc.exception)
        out = []
        sentences = self._sentences
        for item in decision.items:
            for r in item.reasons:
                key = (r, context)
                text = sentences.get(key)
                if text is None:
                    text = render_reason(r, decision, self.lang)
                    if len(sentences) < SENTENCE_LIMIT:
                        sentences[key] = text
                out.append(text)
        if decision.would_permit_with_consent:
            out.append(render_reason(CONSENT_WOULD_PERMIT, decision, self.lang))
        return out

    def to_json(self, decision: Decision) -> dict:
        """The decision contract of one decision."""
        return decision_json(decision, self.lang, self.reasons(decision))

    def line(self, decision: Decision) -> str:
        """One decision as a line of JSON (no newline)."""
        return self._dumps(self.to_json(decision))

    def lines(self, decisions: Iterable[Decision]) -> Iterable[str]:
        """Each decision as a line of JSON."""
        return (self.line(d) for d in decisions)
