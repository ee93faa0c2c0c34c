"""A naive evaluator: a Python loop over every grant, testing set membership.

Each grant's terms are closed over the hierarchy once (every descendant of what it names), so
a decision reads the scenario dict and scans the grant list with four membership tests per
grant; its cost grows with the number of grants. Grants only: it cannot express the shipped
policies' prohibitions, closed lists or legal exceptions.
"""

from __future__ import annotations

from ..policy import Policy
from . import Engine, truth

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

    def permits(d: dict) -> bool:
        action, item, purpose = d["action"], d["data"][0], d["purpose"]
        subject, recipient, consent = d.get("subject", "member"), d.get("recipient"), d.get("consent", False)
        for g_action, items, subjects, recipients, purposes, needs_consent in rows:
            if (g_action == action and (items is None or item in items)
                    and (subjects is None or subject in subjects)
                    and (recipients is None or recipient in recipients)
                    and (purposes is None or purpose in purposes)
                    and (consent or not needs_consent)):
                return True
        return False

    def run(_state, dicts) -> list:
        return [permits(d) for d in dicts]

    return Engine(NAME, run, truth, note="single-item scenarios; grants only")
