"""The result of a policy diff: :class:`Outcome` (one side's answer), :class:`Region` (an
exact box of scenarios with one outcome pair) and :class:`PolicyDiff` (all regions). How the
regions are computed is :mod:`coopcheck.analysis.diff`'s business; how they read (en/ja), and
the diff as JSON, :mod:`coopcheck.presentation.diff_render`'s.
"""

from __future__ import annotations

from typing import Iterator

from attrs import field, frozen

from coopcheck.core.frozen import FrozenMap
from coopcheck.core.scenario import Scenario
from coopcheck.core.vocabulary import Vocabulary

#: The term kinds that make up a scenario, in the order regions list them.
KINDS = ("subject", "item", "party", "purpose", "exception")


@frozen
class Outcome:
    """What one ruleset decides on every scenario of a region."""

    decision: str
    basis: str
    citations: tuple[str, ...]
    rules: tuple[str, ...]

    def to_json(self) -> dict:
        """``{"decision", "basis", "citations", "rules"}``."""
        return {"decision": self.decision, "basis": self.basis, "citations": list(self.citations),
                "rules": list(self.rules)}


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
