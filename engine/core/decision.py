"""Decisions: effect, basis, obligations, deciding rules, citations and reasons — plain data.

Reasons are structured (:class:`Reason`: a message code and its arguments) and put into words by
the presentation layer (:mod:`coopcheck.presentation.wording`), so the same decision can be
shown in English or Japanese.
"""

from __future__ import annotations

from attrs import field, frozen

from coopcheck.core.kinds import Basis, Effect
from coopcheck.core.scenario import Scenario
from coopcheck.core.vocabulary import Vocabulary


#: Reason codes whose ``value`` is the scenario's legal exception.
EXCEPTION_VALUED = frozenset({"not_honoured", "exception_met"})
#: Dimensions whose reasons name the scenario's own term for that part.
_TOLD_DIMENSIONS = frozenset({"recipient", "purpose", "item", "subject"})


@frozen(cache_hash=True)
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

    @property
    def told_field(self) -> str | None:
        """The scenario field (``item``, ``subject``, ``recipient``, ``purpose`` or
        ``exception``) whose value this reason names when told for another scenario of the
        same class; None when it names its own :attr:`value` whatever the scenario."""
        dimension = self.dimension
        if dimension in _TOLD_DIMENSIONS:
            return dimension
        return "exception" if self.code in EXCEPTION_VALUED else None

    def value_for(self, item: str, subject: str, recipient: str | None, purpose: str, exception: str | None):
        """The value this reason names, told for another scenario of the same class: the
        scenario's own term for the part it is about (:attr:`told_field`)."""
        field = self.told_field
        if field is None:
            return self.value
        return {"item": item, "subject": subject, "recipient": recipient, "purpose": purpose,
                "exception": exception}[field]

    def told_for(self, item: str, subject: str, recipient: str | None, purpose: str,
                 exception: str | None) -> "Reason":
        """This reason told for item ``item`` of another scenario of the same class."""
        value = self.value_for(item, subject, recipient, purpose, exception)
        new_item = item if self.item is not None else None
        if value == self.value and new_item == self.item:
            return self
        return Reason(self.code, new_item, self.rule, self.citation, self.basis, self.dimension, value,
                      self.allowed, self.exceptions)


#: The closing reason of a deny that the data subject's consent would turn into a permit.
CONSENT_WOULD_PERMIT = Reason("consent_would_permit")


@frozen(eq=False)
class ItemDecision:
    """The decision for one data item of a scenario.

    ``explanation`` holds the reasons as the full evaluation worked them out. A decision read
    from a decision table was worked out for another scenario of the same class; ``told_for``
    then names this one's item's scenario terms ``(subject, recipient, purpose, exception)``,
    and :attr:`reasons` tells the explanation in them. Two item decisions are equal when they
    decide alike and give the same reasons.
    """

    item: str
    decision: Effect
    basis: Basis
    rules: tuple[str, ...]
    citations: tuple[str, ...]
    obligations: tuple[str, ...] = ()
    explanation: tuple[Reason, ...] = ()
    told_for: tuple | None = None

    @property
    def permitted(self) -> bool:
        """Whether this item may be handled as proposed."""
        return self.decision == Effect.PERMIT

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The reasons for this item, naming this scenario's own terms."""
        if self.told_for is None:
            return self.explanation
        return tuple(r.told_for(self.item, *self.told_for) for r in self.explanation)

    def _key(self) -> tuple:
        return (self.item, self.decision, self.basis, self.rules, self.citations, self.obligations, self.reasons)

    def __eq__(self, other) -> bool:
        return isinstance(other, ItemDecision) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())



@frozen(repr=False)
class Decision:
    """The answer to a scenario: permit or deny, on which basis, why, and under which clauses.

    Plain frozen data: the effect, basis, obligations, deciding rules and citations, the
    decision for each item with its reasons, the scenario, and — for showing terms with their
    labels, not compared — the vocabulary of the policy that decided. Rendering it to words or
    JSON is the presentation layer's job (:func:`coopcheck.presentation.json.decision_json`).
    """

    coop: str | None
    decision: Effect
    basis: Basis
    obligations: tuple[str, ...]
    citations: tuple[str, ...]
    rules: tuple[str, ...]
    would_permit_with_consent: bool | None
    items: tuple[ItemDecision, ...]
    scenario: Scenario
    vocabulary: Vocabulary | None = field(default=None, eq=False)

    @property
    def permitted(self) -> bool:
        """Whether every item is permitted."""
        return self.decision == Effect.PERMIT

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Every step of the explanation, item by item (and, on a deny that consent would
        lift, that it would)."""
        out = tuple(r for i in self.items for r in i.reasons)
        return out + (CONSENT_WOULD_PERMIT,) if self.would_permit_with_consent else out

    def __repr__(self) -> str:
        return (f"Decision(coop={self.coop!r}, decision={str(self.decision)!r}, basis={str(self.basis)!r}, "
                f"rules={self.rules!r}, scenario={self.scenario!r})")
