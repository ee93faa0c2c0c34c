"""Decisions: effect, basis, obligations, deciding rules, citations and reasons.

Reasons are structured (:class:`Reason`) and rendered to text by :mod:`coopcheck.presentation.wording`, so
the same decision can be shown in English or Japanese.
"""

from __future__ import annotations

from operator import itemgetter

from attrs import frozen

from coopcheck.core.scenario import Scenario


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


class Decision(tuple):
    """The answer to a scenario: permit or deny, on which basis, why, and under which clauses.

    Immutable (a tuple of its fields). The effect, basis, obligations, deciding rules and
    citations come from the decision tables (:mod:`coopcheck.core.tables`); the explanation — the
    per-item decisions with their reasons, near misses included — is worked out by the full
    evaluation the first time :attr:`items` or :attr:`reasons` is read, so a hot loop that
    only reads the effect never pays for it.
    """

    __slots__ = ()

    def __new__(cls, ruleset, scenario: Scenario, decision: str, basis: str, obligations: tuple,
                citations: tuple, rules: tuple, would_permit_with_consent: bool | None):
        return tuple.__new__(cls, (ruleset, scenario, decision, basis, obligations, citations, rules,
                                   would_permit_with_consent, []))

    ruleset = property(itemgetter(0), doc="The compiled ruleset that decided.")
    scenario = property(itemgetter(1), doc="The scenario decided.")
    decision = property(itemgetter(2), doc="``permit`` or ``deny``.")
    basis = property(itemgetter(3), doc="The legal basis; ``none`` on a deny, ``mixed`` when items differ.")
    obligations = property(itemgetter(4), doc="Obligations the co-op takes on by relying on the permit.")
    citations = property(itemgetter(5), doc="Clauses of the deciding rules.")
    rules = property(itemgetter(6), doc="Ids of the deciding rules.")
    would_permit_with_consent = property(itemgetter(7), doc="On a deny: whether consent would permit it.")

    @property
    def coop(self) -> str | None:
        """The co-op whose policy decided."""
        return self[0].coop

    @property
    def vocabulary(self):
        """The vocabulary of the deciding ruleset (for display)."""
        return self[0].vocabulary

    @property
    def permitted(self) -> bool:
        """Whether every item is permitted."""
        return self[2] == "permit"

    def _explained(self) -> tuple:
        cache = self[8]
        if not cache:
            from coopcheck.core.decide import explain_items

            cache.append(explain_items(self[0], self[1], self[7]))
        return cache[0]

    @property
    def items(self) -> tuple[ItemDecision, ...]:
        """The decision for each data item, with its reasons."""
        return self._explained()[0]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Every step of the explanation, item by item."""
        return self._explained()[1]

    def __eq__(self, other):
        # the same answer to the same scenario by the same co-op's policy (the ruleset is
        # compared by its co-op: comparing two rulesets in full is not a decision's business)
        return isinstance(other, Decision) and self[1:8] == other[1:8] and self.coop == other.coop

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self[1:8])

    def __repr__(self):
        return (f"Decision(coop={self.coop!r}, decision={self[2]!r}, basis={self[3]!r}, "
                f"rules={self[6]!r}, scenario={self[1]!r})")

    def __reduce__(self):
        return (Decision, tuple(self[:8]))

    def reason_texts(self, lang: str = "en") -> list[str]:
        """The reasons as sentences."""
        from coopcheck.presentation.wording import render_reason

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
