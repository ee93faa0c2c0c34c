"""Decisions: effect, basis, obligations, deciding rules, citations and reasons.

Reasons are structured (:class:`Reason`) and rendered to text by :mod:`engine.messages`, so
the same decision can be shown in English or Japanese.
"""

from __future__ import annotations

from attrs import field, frozen

from .scenario import Scenario


@frozen
class Reason:
    """One step of the explanation: a message code and its arguments (term ids, rule ids)."""

    code: str
    item: str | None = None
    rule: str | None = None
    citation: str | None = None
    basis: str | None = None
    dimension: str | None = None
    value: str | None = None
    allowed: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()


@frozen
class ItemDecision:
    """The decision for one data item of a scenario."""

    item: str
    decision: str
    basis: str
    rules: tuple[str, ...]
    citations: tuple[str, ...]
    obligations: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def permitted(self) -> bool:
        """Whether this item may be handled as proposed."""
        return self.decision == "permit"

    def to_json(self) -> dict:
        """The per-item entry of the decision JSON."""
        return {"item": self.item, "decision": self.decision, "basis": self.basis,
                "rule": self.rules[0] if self.rules else None, "rules": list(self.rules),
                "citations": list(self.citations)}


@frozen
class Decision:
    """The answer to a scenario: permit or deny, on which basis, why, and under which clauses."""

    coop: str | None
    scenario: Scenario
    decision: str
    basis: str
    obligations: tuple[str, ...]
    citations: tuple[str, ...]
    rules: tuple[str, ...]
    reasons: tuple[Reason, ...]
    would_permit_with_consent: bool | None
    items: tuple[ItemDecision, ...]
    vocabulary: object = field(default=None, eq=False, repr=False)

    @property
    def permitted(self) -> bool:
        """Whether every item is permitted."""
        return self.decision == "permit"

    def reason_texts(self, lang: str = "en") -> list[str]:
        """The reasons as sentences."""
        from .messages import render_reason

        return [render_reason(r, self, lang) for r in self.reasons]

    def to_json(self, lang: str = "en") -> dict:
        """The decision JSON contract of DESIGN.md (``reasons`` in ``lang``)."""
        return {
            "coop": self.coop,
            "decision": self.decision,
            "basis": self.basis,
            "obligations": list(self.obligations),
            "citations": list(self.citations),
            "reasons": self.reason_texts(lang),
            "would_permit_with_consent": self.would_permit_with_consent,
            "items": [i.to_json() for i in self.items],
            "rules": list(self.rules),
            "scenario": self.scenario.to_json(),
        }
