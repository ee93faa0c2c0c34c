"""The evaluator: decides scenarios against one compiled ruleset, and owns every cache.

A compiled :class:`~coopcheck.core.ruleset.Ruleset` is immutable. What is worth remembering
while deciding — the decision tables (:mod:`coopcheck.core.tables`), the names already
resolved, the fast path's answers — belongs to an :class:`Evaluator`, with stated bounds:

- decision tables: one plan per ``(action, subject, item)`` key that is asked, one cell per
  class of scenarios in it — bounded by the vocabulary, not by the traffic;
- resolved names: up to :data:`NAME_LIMIT` ``(name, kind)`` pairs, and as many names that
  name no term (with their error and suggestion);
- the fast path's answers (:meth:`Evaluator.permits`): up to :data:`VERDICT_LIMIT` scenarios.

Past a bound nothing more is stored and answers come from the tables. Every cached value is a
pure function of its key and the ruleset, so a cache never changes an answer; two threads that
fill the same entry store equal values, each store one assignment. :func:`evaluator_for` gives
the one evaluator the library shares per ruleset (it lives as long as the ruleset does).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Mapping

from coopcheck.core.decision import Decision, ItemDecision
from coopcheck.core.kinds import Basis, Effect
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.scenario import ACTIONS, FIELDS, Scenario, scenario_from_dict
from coopcheck.core.semantics import decide_item
from coopcheck.dsl.errors import CoopcheckError, Diagnostic
from coopcheck.core.vocabulary import KIND_NAMES, UnknownTerm, quote
from coopcheck.core.tables import KeyPlan, build_plan, rebind, term_classes

#: How many scenario answers the fast path remembers per evaluator.
VERDICT_LIMIT = 1 << 16
#: How many resolved ``(name, kind)`` pairs an evaluator remembers.
NAME_LIMIT = 1 << 14
_FIELDS = frozenset(FIELDS)


class _NotFilled:
    """The type of :data:`NOT_FILLED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_FILLED"


#: What :meth:`Evaluator.table_would_permit_with_consent` gives while a cell it needs is empty.
NOT_FILLED = _NotFilled()
_ACTIONS = frozenset(ACTIONS)


class Evaluator:
    """Decides scenarios against one compiled ruleset; holds the decision tables and caches.

    >>> from coopcheck.core.api import load_policy
    >>> ev = Evaluator(load_policy("aizu"))
    >>> sc = ev.scenario({"action": "share", "data": ["購買履歴"], "recipient": "日本生協連", "purpose": "delivery"})
    >>> d = ev.decide(sc)
    >>> d.decision, d.basis, ev.permits(sc)
    ('permit', 'joint_use', True)
    """

    __slots__ = ("_ruleset", "_plans", "_verdicts", "_names", "_unknown", "_items", "_subjects", "_ids",
                 "_admitted", "__weakref__")

    def __init__(self, ruleset: Ruleset, *, weak: bool = False):
        # the shared evaluator of a ruleset (evaluator_for) holds it weakly, so that the
        # ruleset — and with it this evaluator — goes when its last user lets go
        self._ruleset = weakref.ref(ruleset) if weak else (lambda: ruleset)
        self._plans: dict[tuple, KeyPlan] = {}
        self._verdicts: dict[tuple, bool] = {}
        self._names: dict[tuple, str] = {}
        self._unknown: dict[tuple, UnknownTerm] = {}  # names that resolve to no term, with the error
        # each item's and subject's class representative (tables.term_classes)
        self._items, self._subjects = term_classes(ruleset)
        vocab = ruleset.vocabulary
        self._ids = {kind: frozenset(vocab.of_kind(kind)) for kind in ("item", "purpose", "subject", "party",
                                                                       "exception")}
        self._admitted: dict[tuple, bool] = {}  # scenario keys whose terms were checked

    @property
    def ruleset(self) -> Ruleset:
        """The compiled policy this evaluator decides against."""
        found = self._ruleset()
        if found is None:  # only a shared evaluator whose ruleset is gone, asked after the fact
            raise ReferenceError("the ruleset of this evaluator no longer exists")
        return found

    def __repr__(self) -> str:
        return (f"Evaluator(coop={self.ruleset.coop!r}, plans={len(self._plans)}, "
                f"verdicts={len(self._verdicts)}, names={len(self._names)})")

    # ---- scenarios ---------------------------------------------------------------------------
    def resolve(self, name: str, kind) -> str:
        """The id of the term of ``kind`` called ``name`` (remembered, up to :data:`NAME_LIMIT`);
        raises :class:`~coopcheck.core.vocabulary.UnknownTerm`."""
        key = (name, kind)
        known = self._names.get(key)
        if known is None:
            unknown = self._unknown.get(key)
            if unknown is not None:
                raise unknown.again()  # without searching for a suggestion again
            try:
                known = self.ruleset.vocabulary.resolve(name, kind, plurals=False)
            except UnknownTerm as err:
                if len(self._unknown) < NAME_LIMIT:  # a copy, never raised: a raised one holds its frames
                    self._unknown[key] = err.unraised()
                raise
            if len(self._names) < NAME_LIMIT:
                self._names[key] = known
        return known

    def scenario(self, mapping: Mapping[str, Any]) -> Scenario:
        """A validated :class:`Scenario` from a dict in the JSON contract (raises
        :class:`~coopcheck.dsl.errors.CoopcheckError` on bad input)."""
        if type(mapping) is dict:
            known = self._known_fields(mapping)
            if known is not None:
                return Scenario(*known)
        return scenario_from_dict(mapping, self.ruleset.vocabulary, coop=self.ruleset.coop, resolve=self.resolve)

    def _known_fields(self, d: dict) -> tuple | None:
        """The fields of the scenario of a well-formed dict whose every name was resolved
        before, in :class:`Scenario`'s order, by look-ups alone; None for anything else (the
        full gate, :func:`scenario_from_dict`, then decides it or says what is wrong). Gives
        exactly the scenario the full gate would, and one :meth:`admit` lets pass when it is
        for this co-op: each name resolved to an id of its kind, and the recipient fits the
        action."""
        if not d.keys() <= _FIELDS:
            return None
        names = self._names
        action = d.get("action")
        if type(action) is not str or action not in _ACTIONS:
            return None
        raw = d.get("data")
        if type(raw) is str:
            raw = [raw]
        elif type(raw) is not list or not raw:
            return None
        items = []
        for name in raw:
            tid = names.get((name, "item")) if type(name) is str else None
            if tid is None:
                return None
            items.append(tid)
        name = d.get("purpose")
        purpose = names.get((name, "purpose")) if type(name) is str else None
        if purpose is None:
            return None
        name = d.get("subject")
        if name is None:
            subject = "member"
        else:
            subject = names.get((name, "subject")) if type(name) is str else None
            if subject is None:
                return None
        name = d.get("recipient")
        if name is None:
            recipient = "public" if action == "publish" else None
            if action == "share":
                return None
        elif action in ("share", "publish") and type(name) is str:
            recipient = names.get((name, "party"))
            if recipient is None or (action == "publish" and recipient != "public"):
                return None
        else:
            return None
        consent = d.get("consent", False)
        if consent is None:
            consent = False
        elif type(consent) is not bool:
            return None
        name = d.get("exception")
        if name is None:
            exception = None
        else:
            exception = names.get((name, "exception")) if type(name) is str else None
            if exception is None:
                return None
        coop = d["coop"] if "coop" in d else self.ruleset.coop
        if coop is not None and type(coop) is not str:
            return None
        return action, tuple(dict.fromkeys(items)), purpose, subject, recipient, consent, exception, coop

    def table_cells(self, d: dict, fill: bool = False) -> tuple | None:
        """Where the decision of a scenario dict is read from, by look-ups alone:
        ``(fields, cells)`` — the scenario's fields in :class:`Scenario`'s order and, for each
        of its items in order, the ``(plan, index)`` of its decision-table cell (:meth:`item`).
        None unless the dict passes the fast gate (:meth:`_known_fields`) and every one of
        those cells is already filled (``fill``: a cell not filled yet is filled first, by the
        full evaluation, as :meth:`decide` would fill it); then :meth:`decide` of the scenario
        reads its items' decisions from those cells alone. The scenario is for this co-op: the dict's own
        ``coop``, if any, is what its caller chose this evaluator by, and is not read.

        Two scenarios with equal ``cells`` (and equal action) are decided alike but for the
        terms they name, so a caller may keep what it derives from a decision per ``cells``."""
        fields = self._known_fields(d)
        if fields is None:
            return None
        action, items, purpose, subject, recipient, consent, exception, coop = fields
        if coop != self.ruleset.coop:
            fields = (*fields[:7], self.ruleset.coop)
        plans, item_reps = self._plans, self._items
        subject = self._subjects.get(subject)
        cells = []
        for item in items:
            plan = plans.get((action, subject, item_reps.get(item)))
            if plan is None:
                if not fill:
                    return None
                plan = self.plan(action, fields[3], item)
            i = plan.cell(recipient, purpose, consent, exception)
            if i is None:
                return None
            if plan.cells[i] is None:
                if not fill:
                    return None
                self.item(Scenario(*fields), item, consent)
            cells.append((plan, i))
        return fields, tuple(cells)

    def table_would_permit_with_consent(self, cells: tuple, consent: bool):
        """:meth:`decide`'s ``would_permit_with_consent`` of a scenario given with ``consent``
        whose cells are ``cells`` (:meth:`table_cells`), read from the tables alone: None for a
        permit, False for a deny given with consent, else whether every item would be permitted
        with consent; :data:`NOT_FILLED` while a cell it needs is not filled yet (a cell with
        consent that :meth:`decide` would fill)."""
        if all(plan.cells[i][0].decision == Effect.PERMIT for plan, i in cells):
            return None
        if consent:
            return False
        for plan, i in cells:
            twin = plan.cells[i + (plan.stride >> 1)]  # the same cell but for consent (KeyPlan.cell)
            if twin is None:
                return NOT_FILLED
            if twin[0].decision != Effect.PERMIT:
                return False
        return True

    def admit(self, sc: Scenario) -> Scenario:
        """``sc`` if it may be decided against this policy: its terms are ids of the right kinds
        in the policy's vocabulary, its recipient fits its action, and it is for this co-op.
        Else an input error (a scenario built by hand with a label in place of an id is
        refused, never decided). Every public way to decide passes through here."""
        if sc.coop is not None and sc.coop != self.ruleset.coop and sc.coop != "all":
            raise CoopcheckError([Diagnostic("E402", f"the scenario is for `{quote(sc.coop)}` but the policy is "
                                             f"`{self.ruleset.coop}`", None, "drop `coop` or load that policy")],
                                 field="coop")
        if self._admitted.get(sc.key):
            return sc
        ids = self._ids
        for field, value, kind in (*(("data", i, "item") for i in sc.items), ("purpose", sc.purpose, "purpose"),
                                   ("subject", sc.subject, "subject"), ("recipient", sc.recipient, "party"),
                                   ("exception", sc.exception, "exception")):
            if value is None or value in ids[kind] or (field == "recipient" and value == "public"):
                continue  # (publishing goes to `public`, whether or not the vocabulary declares it)
            try:
                hint = f"did you mean `{self.resolve(value, kind)}`? (make_scenario resolves names)"
            except UnknownTerm as err:
                hint = err.help or f"give a {KIND_NAMES[kind]} id of the policy's vocabulary"
            raise CoopcheckError([Diagnostic("E402", f"`{quote(value)}` is not a {KIND_NAMES[kind]} id", None, hint)],
                                 field=field)
        if sc.action == "share" and sc.recipient is None:
            raise CoopcheckError([Diagnostic("E403", "missing field `recipient`: sharing needs a recipient", None)],
                                 field="recipient")
        if sc.action == "publish" and sc.recipient != "public":
            raise CoopcheckError([Diagnostic("E405", "publishing goes to `public`", None,
                                             "use action `share` to give data to a recipient")], field="recipient")
        if sc.action in ("use", "collect") and sc.recipient is not None:
            raise CoopcheckError([Diagnostic("E405", f"action `{sc.action}` takes no recipient", None,
                                             "use action `share` to give data to a recipient")], field="recipient")
        if len(self._admitted) < VERDICT_LIMIT:
            self._admitted[sc.key] = True
        return sc

    # ---- the tables --------------------------------------------------------------------------
    def plan(self, action: str, subject: str, item: str) -> KeyPlan:
        """The decision table of one key (shared by the items and subjects of its classes),
        built on first use."""
        key = (action, self._subjects.get(subject, subject), self._items.get(item, item))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans.setdefault(key, build_plan(self.ruleset, *key))
        return plan

    def item(self, sc: Scenario, item: str, consent: bool) -> ItemDecision:
        """The decision for one item of the scenario (with ``consent`` in place of the
        scenario's), from its key's table; the cell is filled by full evaluation on first use."""
        plan = self._plans.get((sc.action, self._subjects.get(sc.subject), self._items.get(item)))
        if plan is None:
            plan = self.plan(sc.action, sc.subject, item)
        i = plan.cell(sc.recipient, sc.purpose, consent, sc.exception)
        asked = sc if consent == sc.consent else sc.with_consent()
        cell = plan.cells[i] if i is not None else None
        if cell is None:
            found = decide_item(self.ruleset, asked, item, candidates=plan.near_misses)
            if i is not None:
                plan.cells[i] = (found, asked, item)
            return found
        found, source, source_item = cell
        return rebind(found, source, source_item, asked, item)

    def _item_permitted(self, sc: Scenario, item: str, consent: bool) -> bool:
        plan = self._plans.get((sc.action, self._subjects.get(sc.subject), self._items.get(item)))
        if plan is not None:
            i = plan.cell(sc.recipient, sc.purpose, consent, sc.exception)
            if i is not None:
                cell = plan.cells[i]
                if cell is not None:
                    return cell[0].decision == Effect.PERMIT
        return self.item(sc, item, consent).decision == Effect.PERMIT

    # ---- decisions ---------------------------------------------------------------------------
    def decide(self, sc: Scenario) -> Decision:
        """Decide a scenario: item by item, permitted only if every item is (docs/semantics.md
        §5.3). The decision carries its explanation, read from the tables."""
        self.admit(sc)
        rs = self.ruleset
        items = sc.items
        if len(items) == 1:
            one = self.item(sc, items[0], sc.consent)
            if one.decision == Effect.PERMIT:
                return Decision(rs.coop, Effect.PERMIT, one.basis, one.obligations, one.citations, one.rules,
                                None, (one,), sc, rs.vocabulary)
            would = (not sc.consent) and self._item_permitted(sc, items[0], True)
            return Decision(rs.coop, Effect.DENY, Basis.NONE, (), one.citations, one.rules, would, (one,), sc,
                            rs.vocabulary)
        results = tuple(self.item(sc, item, sc.consent) for item in items)
        if all(r.decision == Effect.PERMIT for r in results):
            bases = {r.basis for r in results}
            basis = bases.pop() if len(bases) == 1 else Basis.MIXED
            obligations = tuple(sorted({o for r in results for o in r.obligations}))
            decisive = results
            would = None
            effect = Effect.PERMIT
        else:
            basis, obligations, effect = Basis.NONE, (), Effect.DENY
            decisive = [r for r in results if r.decision != Effect.PERMIT]
            would = (not sc.consent) and all(self._item_permitted(sc, item, True) for item in items)
        rules = tuple(dict.fromkeys(rid for r in decisive for rid in r.rules))
        citations = tuple(dict.fromkeys(c for r in decisive for c in r.citations))
        return Decision(rs.coop, effect, basis, obligations, citations, rules, would, results, sc, rs.vocabulary)

    def permits(self, sc: Scenario) -> bool:
        """Whether the scenario is permitted: :meth:`decide`'s effect without building the
        decision. Answers are remembered per scenario (up to :data:`VERDICT_LIMIT`)."""
        verdicts = self._verdicts
        if sc.coop is None or sc.coop == self.ruleset.coop:
            try:
                return verdicts[sc.key]  # a scenario answered before was admitted then
            except KeyError:
                pass
        self.admit(sc)
        answer = all(self._item_permitted(sc, item, sc.consent) for item in sc.items)
        if len(verdicts) < VERDICT_LIMIT:
            verdicts[sc.key] = answer
        return answer


_SHARED: dict[int, tuple[weakref.ref, Evaluator]] = {}
_SHARED_LOCK = threading.Lock()


def evaluator_for(ruleset: Ruleset) -> Evaluator:
    """The evaluator the library shares for ``ruleset``: made on first use, dropped when the
    ruleset is garbage-collected."""
    found = _SHARED.get(id(ruleset))
    if found is not None and found[0]() is ruleset:
        return found[1]
    with _SHARED_LOCK:
        found = _SHARED.get(id(ruleset))
        if found is not None and found[0]() is ruleset:
            return found[1]
        key = id(ruleset)
        ev = Evaluator(ruleset, weak=True)
        _SHARED[key] = (weakref.ref(ruleset, lambda _ref, key=key, forget=_forget: forget(key, _ref)), ev)
        return ev


def _forget(key: int, ref: weakref.ref, shared: dict = _SHARED) -> None:
    # ``shared`` is bound at definition: at interpreter exit the module's globals may be gone
    found = shared.get(key)
    if found is not None and found[0] is ref:
        del shared[key]
