"""The floor: the answer of every timed scenario computed ahead of time and kept in a dict
keyed by the scenario, so a decision is building the key from the dict and one look-up.

No engine that reads a scenario can do much better in Python; it says nothing about why. The
answers come from elsewhere than coopcheck: for a synthetic policy, from every permitted
single-item scenario enumerated from the grants (:func:`permitted`); for a shipped policy,
from the reference evaluator. They are checked equal to coopcheck's like every engine's.
"""

from __future__ import annotations

import itertools
from typing import Iterable, Mapping

from ..policy import Case, Policy
from . import Engine

NAME = "floor (dict lookup)"


def key(d: dict) -> tuple:
    """The look-up key of a scenario dict (the same expression :func:`build`'s loop inlines)."""
    return (d.get("coop"), d["action"], d.get("subject"), tuple(d["data"]), d.get("recipient"), d["purpose"],
            d.get("consent"), d.get("exception"))


def permitted(policy: Policy) -> frozenset:
    """Every single-item scenario key :meth:`Case.key` some grant of ``policy`` permits."""
    out: set = set()
    for g in policy.grants:
        recipients = (None,) if g.action == "use" else policy.covered(g.recipients, "party")
        out.update(itertools.product((g.action,), policy.covered(g.subjects, "subject"),
                                     policy.covered(g.items, "item"), recipients,
                                     policy.covered(g.purposes, "purpose"),
                                     (True,) if g.consent else (False, True)))
    return frozenset(out)


def synthetic_answers(policy: Policy, cases: Iterable[Case]) -> dict:
    """``{key(case.to_json()): effect}`` from the enumeration of what the grants permit."""
    allowed = permitted(policy)
    return {key(c.to_json()): "permit" if c.key() in allowed else "deny" for c in cases}


def build(answers: Mapping[tuple, str]) -> Engine:
    """A dict of the precomputed answers; ``run`` builds each key and looks it up."""
    table = dict(answers)

    def run(_state, dicts) -> list:
        return [table[(d.get("coop"), d["action"], d.get("subject"), tuple(d["data"]), d.get("recipient"),
                       d["purpose"], d.get("consent"), d.get("exception"))] for d in dicts]

    return Engine(NAME, run, str, whole_stream=True)
