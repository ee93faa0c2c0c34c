"""Decision tables: one item decision — outcome *and* explanation — per class of scenarios.

A decision about one data item depends on the scenario only through a few rules: those indexed
under its ``(action, subject, item)`` key, the bars on using the item (which withdraw declared
purposes), and — for what a deny says was missing — the unconditional grants of the action
(the near misses). Those rules split the recipients and purposes into a few *classes*: values
that every one of them treats alike. So for each key a :class:`KeyPlan` maps a recipient and a
purpose to their class, and keeps one cell per ``(recipient class, purpose class, consent,
legal-exception class)``: the item's :class:`~coopcheck.core.decision.ItemDecision`, with its deciding
rules, citations, obligations and reasons, computed once by the full evaluation
(:func:`coopcheck.core.semantics.decide_item`) the first time a scenario of that cell is asked.

A reason may name a value of the scenario (the recipient or purpose that fell outside a rule,
the legal exception claimed); within a cell those values differ from scenario to scenario only
in ways no rule tells apart, so :func:`rebind` puts the asking scenario's own values into the
cell's reasons.

Plans are built and filled by an :class:`~coopcheck.core.evaluator.Evaluator`, which owns them;
the compiled ruleset itself holds no table and never changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coopcheck.core.decision import ItemDecision
from coopcheck.core.kinds import ANY_EXCEPTION, CONSENT, Action, Dimension, RuleKind
from coopcheck.core.partition import partition
from coopcheck.core.semantics import SHARE_VERBS, near_miss_candidates

if TYPE_CHECKING:  # pragma: no cover
    from coopcheck.core.ruleset import Ruleset
    from coopcheck.core.scenario import Scenario

class KeyPlan:
    """The classes and table cells of one ``(action, subject, item)`` key.

    ``cells`` is filled as scenarios arrive; each cell is set once to an item decision (two
    threads filling the same cell compute equal values, and each store is one assignment).
    """

    __slots__ = ("recipients", "purposes", "exceptions", "stride", "cells", "near_misses")

    def __init__(self, recipients: dict, purposes: dict, exceptions: dict, near_misses: tuple = ()):
        self.near_misses = near_misses  # the key's near-miss candidates (semantics.near_miss_candidates)
        self.recipients = recipients  # recipient id (or None) -> class offset
        self.purposes = purposes  # purpose id -> class offset
        self.exceptions = exceptions  # legal-exception id (or None) -> class index
        self.stride = 2 * (max(exceptions.values()) + 1)  # cells per purpose class
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

    def __repr__(self) -> str:
        filled = sum(1 for c in self.cells if c is not None)
        return f"KeyPlan({len(set(self.recipients.values()))} recipient classes, " \
               f"{len(set(self.purposes.values()))} purpose classes, {filled}/{len(self.cells)} cells filled)"


def classes(domain, sets: list, scale: int) -> dict:
    """Map each value of ``domain`` to ``scale`` times the index of its class
    (:func:`~coopcheck.core.partition.partition`)."""
    return {value: n * scale for n, members in enumerate(partition(domain, sets)) for value in members}


def relevant_sets(ruleset: "Ruleset", action: str, subject: str, item: str) -> tuple[list, list, list]:
    """The recipient sets, purpose sets and legal-exception sets whose membership can change
    the item decision (or its explanation) of a scenario with this key."""
    key = (action, subject, item)
    rules = (list(ruleset.grant_index.get(key, ())) + list(ruleset.bar_index.get(key, ()))
             + list(ruleset.notice_index.get(key, ())))
    # declared purposes, and the bars on using the item that can withdraw one
    rules += ruleset.bar_index.get((Action.USE, subject, item), ())
    purpose_sets = [ruleset.declared.get((subject, item), frozenset())]
    recipient_sets = []
    # a legal exception matters by whether one is claimed at all, whether the co-op honours
    # it (and by which lines), and by the rules that name it
    exceptions = ruleset.vocabulary.of_kind("exception")
    exception_sets = [frozenset(exceptions), frozenset(ruleset.honoured)]
    exception_sets += [frozenset(r.conditions) for found in ruleset.honoured.values() for r in found]
    for rule in rules:
        if rule.purposes is not None:
            purpose_sets.append(rule.purposes)
        if rule.recipients is not None:
            recipient_sets.append(rule.recipients)
        for code in (*rule.exceptions, *rule.conditions):
            if code not in (CONSENT, ANY_EXCEPTION):
                exception_sets.append(frozenset({code}))
    # the near misses a default deny lists: unconditional grants of the action, anywhere
    for rule in ruleset.rules:
        if rule.kind in (RuleKind.GRANT, RuleKind.CLOSED) and action in rule.actions and not rule.conditions:
            if rule.purposes is not None:
                purpose_sets.append(rule.purposes)
            if rule.verb in SHARE_VERBS and rule.recipients is not None:
                recipient_sets.append(rule.recipients)
    return recipient_sets, purpose_sets, exception_sets


def build_plan(ruleset: "Ruleset", action: str, subject: str, item: str) -> KeyPlan:
    """The plan of one key: the classes its rules tell apart, with empty cells."""
    recipient_sets, purpose_sets, exception_sets = relevant_sets(ruleset, action, subject, item)
    vocab = ruleset.vocabulary
    exceptions = classes([None, *vocab.of_kind("exception")], exception_sets, 1)
    stride = 2 * (max(exceptions.values()) + 1)
    purposes = classes(vocab.of_kind("purpose"), purpose_sets, stride)
    npurposes = len(set(purposes.values())) or 1
    recipients = classes([None, *vocab.of_kind("party")], recipient_sets, stride * npurposes)
    return KeyPlan(recipients, purposes, exceptions, near_miss_candidates(ruleset, action, subject, item))


def term_classes(ruleset: "Ruleset") -> tuple[dict, dict]:
    """The representative of each data item's class and of each subject's class: items (and
    subjects) that every rule, every declared purpose and every near miss treats alike decide
    alike, so their scenarios share one decision table. Maps each id to the first id of its
    class."""
    vocab = ruleset.vocabulary
    items, subjects = vocab.of_kind("item"), vocab.of_kind("subject")
    item_sets, subject_sets = [], []
    for rule in ruleset.rules:
        item_sets.append(rule.items)
        subject_sets.append(rule.subjects)
        if rule.kind in (RuleKind.GRANT, RuleKind.CLOSED):  # a closed list's grant; near misses
            item_sets.append(vocab.down(rule.written["items"]))
            if rule.written["subjects"]:
                subject_sets.append(vocab.down(rule.written["subjects"]))
    by_subject: dict = {}
    by_item: dict = {}
    for (subject, item), purposes in ruleset.declared.items():
        by_subject.setdefault((subject, purposes), set()).add(item)
        by_item.setdefault((item, purposes), set()).add(subject)
    item_sets += [frozenset(v) for v in by_subject.values()]
    subject_sets += [frozenset(v) for v in by_item.values()]
    item_rep = {i: members[0] for members in partition(items, item_sets) for i in members}
    subject_rep = {s: members[0] for members in partition(subjects, subject_sets) for s in members}
    return item_rep, subject_rep


def rebind(decision: ItemDecision, source: "Scenario", source_item: str, sc: "Scenario", item: str) -> ItemDecision:
    """The item decision a cell holds (worked out for item ``source_item`` of ``source``), told
    for item ``item`` of ``sc``: its reasons name ``sc``'s own item, subject, recipient, purpose
    and legal exception (worked out only when read)."""
    if (source_item == item and source.subject == sc.subject and source.recipient == sc.recipient
            and source.purpose == sc.purpose and source.exception == sc.exception):
        return decision
    return ItemDecision(item, decision.decision, decision.basis, decision.rules, decision.citations,
                        decision.obligations, decision.explanation,
                        (sc.subject, sc.recipient, sc.purpose, sc.exception))
