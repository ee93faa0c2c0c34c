"""A naive evaluator: a Python loop over every grant, testing set membership.

Each grant's terms are closed over the hierarchy once (every descendant of what it names), so
a decision is a scan of the grant list with four membership tests per grant; its cost grows
with the number of grants.
"""

from __future__ import annotations

from ..policy import Case, Policy
from . import Engine

NAME = "naive loop"


def available() -> bool:
    """Always: pure Python."""
    return True


def version() -> str:
    """No package: the version is the benchmark's."""
    return "-"


def build(policy: Policy) -> Engine:
    """A loop over ``policy``'s grants, each with its closed term sets (``None`` for any)."""
    def closed(written):
        return None if written is None else frozenset().union(*(policy.down[t] for t in written))

    rows = tuple((g.action, closed(g.items), closed(g.subjects), closed(g.recipients), closed(g.purposes),
                  g.consent) for g in policy.grants)

    def permits(case: tuple) -> bool:
        action, subject, item, recipient, purpose, consent = case
        for g_action, items, subjects, recipients, purposes, needs_consent in rows:
            if (g_action == action and (items is None or item in items)
                    and (subjects is None or subject in subjects)
                    and (recipients is None or recipient in recipients)
                    and (purposes is None or purpose in purposes)
                    and (consent or not needs_consent)):
                return True
        return False

    return Engine(NAME, Case.key, permits)
