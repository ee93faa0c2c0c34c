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


#: The closing reason of a deny that the data subject's consent would turn into a permit.
CONSENT_WOULD_PERMIT = Reason("consent_would_permit")


@frozen
class ItemDecision:
    """The decision for one data item of a scenario."""

    item: str
    decision: Effect
    basis: Basis
    rules: tuple[str, ...]
    citations: tuple[str, ...]
    obligations: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def permitted(self) -> bool:
        """Whether this item may be handled as proposed."""
        return self.decision == Effect.PERMIT



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
