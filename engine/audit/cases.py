"""Deciding a distinct case of a log: its fields as a scenario, the co-op's policy, the outcome.

A *case* is one combination of the decision-relevant fields (``coop``, ``action``,
``subject``, ``data``, ``recipient``, ``purpose``, ``consent``, ``exception``) as the log gives
them, after two readings of the log's form:

- ``data`` given as one string is a delimited list: ``氏名、住所``, ``name,address`` (``、``,
  ``,`` or ``，``; spaces around items dropped). A list is taken as it is;
- in CSV (and a Parquet text column) ``consent`` is the text ``true`` or ``false`` (any case,
  an empty field: not given). In JSON Lines it is JSON, as for ``check --json``: only
  ``true``, ``false`` or ``null``.

Absent and null (an empty CSV field) are alike. The case then passes the scenario gate
exactly as a line of ``coopcheck check --json`` does — the same co-op look-up, the same
:meth:`~coopcheck.core.evaluator.Evaluator.scenario` and
:meth:`~coopcheck.core.evaluator.Evaluator.decide` — so an event is denied by the audit
exactly when ``check --json`` denies its scenario, and is an input error exactly when
``check`` reports one (with the same code).
"""

from __future__ import annotations

import json
from typing import Any

from attrs import frozen

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic, did_you_mean

from coopcheck.core.lists import split_names
from coopcheck.core.evaluator import evaluator_for
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.vocabulary import UnknownTerm

from coopcheck.audit.logs import FIELDS

#: What separates the items of a data field given as one string.
#: How many case outcomes a :class:`PolicySet` remembers.
OUTCOME_LIMIT = 1 << 17


@frozen
class Violation:
    """One denied data item of a denied case: what a finding groups by, and its closest clause."""

    item: str
    clause: str | None  # the deciding clauses (a bar's); None: no rule gave a basis
    recipient: str | None
    purpose: str
    closest: str | None  # the deciding clause, or on a default deny the nearest grant's
    rules: tuple[str, ...]


@frozen
class Outcome:
    """How a case was decided: ``permit``, ``deny`` (with its violations and whether consent
    would have made it lawful) or ``error`` (``code``, ``message``, ``help``, ``field``)."""

    status: str
    coop: str | None = None
    would_consent: bool | None = None
    violations: tuple[Violation, ...] = ()
    error: tuple | None = None


def scenario_fields(values: tuple, text_consent: bool = False) -> dict[str, Any]:
    """The scenario dict of a case's raw values (in :data:`~coopcheck.audit.logs.FIELDS`
    order, None where absent).

    >>> fields = scenario_fields(("aizu", "share", None, "氏名、 住所", "jccu", "delivery", "TRUE", None), True)
    >>> fields["data"], fields["consent"], "subject" in fields
    (['氏名', '住所'], True, False)
    """
    out: dict[str, Any] = {}
    for name, value in zip(FIELDS, values):
        if value is None:
            continue
        if name == "data" and isinstance(value, str):
            value = split_names(value, words=False) or value  # a log's cell: punctuation only
        elif name == "consent" and text_consent and isinstance(value, str):
            text = value.strip().lower()
            if not text:
                continue
            value = True if text == "true" else False if text == "false" else value
        out[name] = value
    return out


def case_key(fields: dict[str, Any]) -> tuple:
    """A hashable key of a scenario dict that tells JSON types apart (``true`` is not ``1``)."""
    out = []
    for name in FIELDS:
        if name in fields:
            value = fields[name]
            if isinstance(value, (list, dict)):
                value = ("json", json.dumps(value, sort_keys=True, ensure_ascii=False))
            else:
                value = (type(value).__name__, value)
            out.append((name, value))
    return tuple(out)


class PolicySet:
    """The compiled policies an audit decides with, by co-op id, and the co-op look-up of
    ``check`` (an id, a name or an alias). Pickled whole to each Dask worker; what it
    remembers (the outcome of each case) is rebuilt there, not shipped."""

    def __init__(self, rulesets: list[Ruleset], default_coop: str | None = None):
        self.rulesets = {rs.coop: rs for rs in rulesets}
        self.default_coop = default_coop
        self._outcomes: dict = {}
        self._coops: dict = {}

    def __getstate__(self):
        return {"rulesets": self.rulesets, "default_coop": self.default_coop}

    def __setstate__(self, state):
        self.rulesets = state["rulesets"]
        self.default_coop = state["default_coop"]
        self._outcomes = {}
        self._coops = {}

    def names(self) -> dict[str, str | None]:
        """Each co-op id with its name."""
        return {cid: rs.name for cid, rs in self.rulesets.items()}

    def ruleset(self, coop: str) -> Ruleset:
        """The policy of a co-op named as ``load_policy`` takes it; raises E402 as it does."""
        found = self._coops.get(coop)
        if found is not None:
            return found
        ids = list(self.rulesets)
        key = coop.strip()
        if not key:  # as every JSON surface reads it (core.scenario.coop_request)
            raise CoopcheckError([Diagnostic(Code.E404, "field `coop` must be a policy id or `all`", None,
                                             'e.g. "coop": "aizu"')], field="coop")
        if key not in self.rulesets:
            resolved = None
            for rs in self.rulesets.values():
                try:  # a name as a scenario gives it: exactly, never a plural (as load_policy reads it)
                    resolved = rs.vocabulary.resolve(key, "coop", plurals=False)
                except LookupError:
                    resolved = None
                break
            if resolved not in self.rulesets:
                raise CoopcheckError([Diagnostic(Code.E402, f"unknown co-op `{coop}`", None,
                                                 did_you_mean(key, ids) or "policies: " + ", ".join(ids))])
            key = resolved
        rs = self.rulesets[key]
        if len(self._coops) < 4096:
            self._coops[coop] = rs
        return rs

    def outcome(self, fields: dict[str, Any], key: tuple | None = None) -> Outcome:
        """The outcome of one case (remembered, up to :data:`OUTCOME_LIMIT` cases)."""
        key = case_key(fields) if key is None else key
        found = self._outcomes.get(key)
        if found is None:
            found = self._decide(fields)
            if len(self._outcomes) < OUTCOME_LIMIT:
                self._outcomes[key] = found
        return found

    def _decide(self, fields: dict[str, Any]) -> Outcome:
        coop = fields.get("coop")
        if coop is None:
            coop = self.default_coop
        try:
            if coop is None:
                raise CoopcheckError([Diagnostic(Code.E403, "missing field `coop`", None,
                                                 "give `coop` in the log or --coop on the command line")],
                                     field="coop")
            if not isinstance(coop, str):
                raise CoopcheckError([Diagnostic(Code.E404, "field `coop` must be a policy id", None)], field="coop")
            if coop.strip().lower() == "all":
                raise CoopcheckError([Diagnostic(Code.E402, "an event is for one co-op, not `all`", None,
                                                 "name the co-op whose policy the event falls under")],
                                     field="coop")
            rs = self.ruleset(coop)
            ev = evaluator_for(rs)
            body = {k: v for k, v in fields.items() if k != "coop"}
            decision = ev.decide(ev.scenario(body))
        except (CoopcheckError, UnknownTerm) as err:
            if isinstance(err, UnknownTerm):
                err = CoopcheckError([Diagnostic(Code.E402, err.message, None, err.help)])
            diag = err.diagnostics[0]
            return Outcome("error", error=(str(diag.code), diag.message, diag.help, err.field))
        if decision.permitted:
            return Outcome("permit", rs.coop)
        sc = decision.scenario
        violations = []
        for item in decision.items:
            if item.permitted:
                continue
            clause = " / ".join(item.citations) if item.citations else None
            closest = item.citations[0] if item.citations else next(
                (r.citation for r in item.reasons if r.code == "near_miss" and r.citation), None)
            violations.append(Violation(item.item, clause, sc.recipient, sc.purpose, closest, item.rules))
        return Outcome("deny", rs.coop, bool(decision.would_permit_with_consent), tuple(violations))
