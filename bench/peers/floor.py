"""The floor: every permitted ``(action, subject, item, recipient, purpose, consent)`` tuple
enumerated ahead of time into one set, so a decision is a single hash lookup.

No engine that reads a request can do much better in Python; it says nothing about why.
"""

from __future__ import annotations

import itertools

from ..policy import Case, Policy
from . import Engine

NAME = "floor (set lookup)"


def available() -> bool:
    """Always: pure Python."""
    return True


def version() -> str:
    """No package: the version is the benchmark's."""
    return "-"


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


def build(policy: Policy) -> Engine:
    """A set of the permitted keys; ``run`` is the set's membership test."""
    return Engine(NAME, Case.key, permitted(policy).__contains__)
