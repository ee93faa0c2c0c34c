"""Decision tables: the fast path of a decision.

A decision about one data item depends on the scenario only through the rules indexed
under its ``(action, subject, item)`` key. Those rules split the recipients and purposes
into a few *classes* — values that every relevant rule treats alike (the same membership in
every rule's recipient and purpose sets, and in the declared purposes). So for each key a
:class:`KeyPlan` maps a recipient and a purpose to their class, and keeps one table cell per
``(recipient class, purpose class, consent, legal exception)``: the item's outcome, computed
once by the full evaluation (:func:`coopcheck.core.decide.decide_item`) the first time a scenario of
that cell is asked, then shared by every later scenario of the cell.

The cost of a decision is therefore a few dictionary look-ups, whatever the number of rules;
the number of rules only shows in the size of a key's plan, built on first use of the key.
Plans are kept in a :class:`~coopcheck.core.frozen.Memo` owned by the ruleset: filled as scenarios arrive,
safe to share between threads (two threads that fill the same cell compute the same value,
and each store is a single atomic assignment), and never pickled — a copy starts empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from coopcheck.core.ruleset import Ruleset


class KeyPlan:
    """The classes and table cells of one ``(action, subject, item)`` key."""

    __slots__ = ("recipients", "purposes", "exceptions", "stride", "cells")

    def __init__(self, recipients: dict, purposes: dict, exceptions: dict):
        self.recipients = recipients  # recipient id (or None) -> class offset
        self.purposes = purposes  # purpose id -> class offset
        self.exceptions = exceptions  # legal-exception id (or None) -> index
        self.stride = 2 * len(exceptions)  # cells per purpose class
        size = (max(recipients.values(), default=0) + max(purposes.values(), default=0)
                + self.stride)
        self.cells: list = [None] * size

    def cell(self, recipient, purpose, consent: bool, exception) -> int | None:
        """The cell index of a scenario, or None when a value is outside the vocabulary."""
        r = self.recipients.get(recipient)
        p = self.purposes.get(purpose)
        e = self.exceptions.get(exception)
        if r is None or p is None or e is None:
            return None
        return r + p + (self.stride >> 1 if consent else 0) + e


def _classes(domain, sets: list, scale: int) -> dict:
    """Map each value of ``domain`` to ``scale`` times the index of its class: the values
    that belong to exactly the same of ``sets``."""
    sets = list(dict.fromkeys(sets))
    offsets: dict = {}
    out = {}
    for value in domain:
        signature = tuple(value in s for s in sets)
        out[value] = offsets.setdefault(signature, len(offsets) * scale)
    return out


def build_plan(ruleset: "Ruleset", action: str, subject: str, item: str) -> KeyPlan:
    """The plan of one key: the classes its rules tell apart, with empty cells."""
    key = (action, subject, item)
    grants = ruleset.grant_index.get(key, ())
    rules = list(grants) + list(ruleset.bar_index.get(key, ())) + list(ruleset.notice_index.get(key, ()))
    purpose_sets = []
    if any(r.declared_purposes for r in grants):
        # `any declared purpose` reads the declared purposes and the bars on their use
        purpose_sets.append(ruleset.declared.get((subject, item), frozenset()))
        rules += ruleset.bar_index.get(("use", subject, item), ())
    purpose_sets += [r.purposes for r in rules if r.purposes is not None]
    recipient_sets = [r.recipients for r in rules if r.recipients is not None]
    vocab = ruleset.vocabulary
    exceptions = {None: 0}
    for i, exc in enumerate(vocab.of_kind("exception"), 1):
        exceptions[exc] = i
    stride = 2 * len(exceptions)
    purposes = _classes(vocab.of_kind("purpose"), purpose_sets, stride)
    npurposes = len(set(purposes.values())) or 1
    recipients = _classes([None, *vocab.of_kind("party")], recipient_sets, stride * npurposes)
    return KeyPlan(recipients, purposes, exceptions)


def plan_for(ruleset: "Ruleset", action: str, subject: str, item: str) -> KeyPlan:
    """The plan of a key, built and kept on first use."""
    key = (action, subject, item)
    plan = ruleset.plans.get(key)
    if plan is None:
        plan = ruleset.plans.setdefault(key, build_plan(ruleset, action, subject, item))
    return plan
