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
from coopcheck.presentation.wording import reason_texts, render_reason, fill_template, sentence_fields, sentence_template

#: How many sentences a :class:`DecisionWriter` remembers.
SENTENCE_LIMIT = 1 << 16
#: The scenario fields each reason's sentence names (wording.sentence_fields), remembered.
_FIELDS_OF: dict = {}


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
    """Writes decisions as JSON lines in one language: each line is exactly
    ``json.dumps(decision_json(d, lang), ensure_ascii=False)``, assembled from pieces it has
    already encoded. It remembers (each table up to :data:`SENTENCE_LIMIT` entries) the
    sentence of each reason in its scenario's terms, the encoded form of each sentence and
    list of ids, and the encoded ``items`` of each item decision a decision table shares.
    Not shared between threads."""

    __slots__ = ("lang", "_sentences", "_templates", "_encoded", "_items", "_encode")

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self._sentences: dict[tuple, tuple] = {}  # (template, item, value) -> (sentence, its JSON text)
        self._templates: dict[tuple, str] = {}  # (reason, vocabulary, terms named) -> sentence template
        self._encoded: dict = {}  # a term, sentence or tuple of ids -> its JSON text
        self._items: dict[tuple, str] = {}  # an item decision's JSON fields -> its JSON text
        self._encode = json.JSONEncoder(ensure_ascii=False).encode

    def _sentences_of(self, decision: Decision, encoded: bool) -> list[str]:
        """The decision's reasons as sentences (``encoded``: as JSON strings)."""
        sc = decision.scenario
        # a sentence depends on the reason as told for this item (its item and value), the
        # scenario terms it names, and the vocabulary that labels them (kept alive by the
        # decision tables, so its id is not reused meanwhile)
        vocab = id(decision.vocabulary)
        out = []
        sentences = self._sentences
        templates = self._templates
        for item in decision.items:
            told = item.told_for
            name = item.item
            for r in item.explanation:
                fields = _FIELDS_OF.get(r)
                if fields is None:
                    fields = _FIELDS_OF.setdefault(r, sentence_fields(r)) if len(_FIELDS_OF) < SENTENCE_LIMIT \
                        else sentence_fields(r)
                template = templates.get((r, vocab))
                if template is None:
                    template = sentence_template(r, decision, self.lang)
                    if len(templates) < SENTENCE_LIMIT:
                        templates[(r, vocab)] = template
                value = r.value if told is None else r.value_for(name, *told)
                key = (template, name, value, tuple([getattr(sc, f) for f in fields]) if fields else ())
                found = sentences.get(key)
                if found is None:
                    text = fill_template(template, decision, self.lang, name if r.item is not None else None, value)
                    found = (text, self._encode(text))
                    if len(sentences) < SENTENCE_LIMIT:
                        sentences[key] = found
                out.append(found[1] if encoded else found[0])
        if decision.would_permit_with_consent:
            found = sentences.get(CONSENT_WOULD_PERMIT)  # names nothing of the scenario
            if found is None:
                text = render_reason(CONSENT_WOULD_PERMIT, decision, self.lang)
                found = sentences[CONSENT_WOULD_PERMIT] = (text, self._encode(text))
            out.append(found[1] if encoded else found[0])
        return out

    def reasons(self, decision: Decision) -> list[str]:
        """The decision's reasons as sentences."""
        return self._sentences_of(decision, False)

    def to_json(self, decision: Decision) -> dict:
        """The decision contract of one decision."""
        return decision_json(decision, self.lang, self.reasons(decision))

    def _text(self, value) -> str:
        """The JSON text of a string or a tuple of strings, remembered."""
        found = self._encoded.get(value)
        if found is None:
            found = self._encode(list(value) if isinstance(value, tuple) else value)
            if len(self._encoded) < SENTENCE_LIMIT:
                self._encoded[value] = found
        return found

    def _items_text(self, items) -> str:
        out = []
        table = self._items
        for item in items:
            key = (item.item, item.decision, item.basis, item.rules, item.citations)
            found = table.get(key)
            if found is None:
                found = self._encode(item_json(item))
                if len(table) < SENTENCE_LIMIT:
                    table[key] = found
            out.append(found)
        return "[" + ", ".join(out) + "]"

    def _term(self, value) -> str:
        if value is None:
            return "null"
        found = self._encoded.get(value)
        if found is None:
            found = self._encode(value)
            if len(self._encoded) < SENTENCE_LIMIT:
                self._encoded[value] = found
        return found

    def _scenario_text(self, sc) -> str:
        term = self._term
        return "".join((
            '{"coop": ', term(sc.coop), ', "action": ', term(sc.action), ', "subject": ', term(sc.subject),
            ', "data": ', self._text(sc.items), ', "recipient": ', term(sc.recipient),
            ', "purpose": ', term(sc.purpose), ', "consent": ', "true" if sc.consent else "false",
            ', "exception": ', term(sc.exception), "}"))

    def line(self, decision: Decision) -> str:
        """One decision as a line of JSON (no newline)."""
        text = self._text
        would = decision.would_permit_with_consent
        reasons = "[" + ", ".join(self._sentences_of(decision, True)) + "]"
        return "".join((
            '{"coop": ', self._term(decision.coop),
            ', "decision": "', decision.decision.value, '", "basis": "', decision.basis.value,
            '", "obligations": ', text(decision.obligations),
            ', "citations": ', text(decision.citations),
            ', "reasons": ', reasons,
            ', "would_permit_with_consent": ', "null" if would is None else "true" if would else "false",
            ', "items": ', self._items_text(decision.items),
            ', "rules": ', text(decision.rules),
            ', "scenario": ', self._scenario_text(decision.scenario), "}"))

    def lines(self, decisions: Iterable[Decision]) -> Iterable[str]:
        """Each decision as a line of JSON."""
        return (self.line(d) for d in decisions)
