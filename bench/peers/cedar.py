"""Cedar (``cedarpy``, Rust core): one ``permit`` policy per grant.

Encoding: data items, parties, purposes and subjects are entities of types ``Item``,
``Party``, ``Purpose`` and ``Subject`` whose ``parents`` are their vocabulary parents, so
Cedar's ``in`` follows the hierarchy (subsumption). A request is

    principal = Party::"<recipient>"  (Party::"-" for a use)
    action    = Action::"share" | Action::"use"
    resource  = Item::"<item>"
    context   = {"purpose": Purpose entity, "subject": Subject entity, "consent": bool}

and a grant ``item_1_2 may be entrusted to party_0 for purpose_1_1_2`` becomes

    permit (principal in Party::"party_0", action == Action::"share", resource in Item::"item_1_2")
    when { context.purpose in Purpose::"purpose_1_1_2" && context.subject in Subject::"member" };

(lists of several terms move to the ``when`` clause as ``in [..]``; a consent condition adds
``&& context.consent``). Policies and entities are parsed once into ``PolicySet`` and
``Entities`` handles and reused for every decision.
"""

from __future__ import annotations

import json
from importlib import metadata

from ..policy import NO_RECIPIENT, Case, Grant, Policy
from . import Engine

NAME = "cedarpy"
TYPES = {"item": "Item", "party": "Party", "purpose": "Purpose", "subject": "Subject"}


def available() -> bool:
    """Whether ``cedarpy`` is installed."""
    try:
        import cedarpy  # noqa: F401
    except ImportError:
        return False
    return True


def version() -> str:
    """The installed ``cedarpy`` version."""
    return metadata.version("cedarpy")


def _uid(kind: str, term: str) -> str:
    return f"{TYPES[kind]}::{json.dumps(term)}"


def entities(policy: Policy) -> list[dict]:
    """The vocabulary as Cedar entities, each with its parent."""
    return [{"uid": {"type": TYPES[kind], "id": tid}, "attrs": {},
             "parents": [{"type": TYPES[kind], "id": policy.parents[tid]}] if policy.parents[tid] else []}
            for tid, kind in policy.kinds.items()]


def _constraint(expr: str, kind: str, terms: tuple[str, ...] | None) -> str | None:
    if terms is None:
        return None
    if len(terms) == 1:
        return f"{expr} in {_uid(kind, terms[0])}"
    return f"{expr} in [{', '.join(_uid(kind, t) for t in terms)}]"


def policy_text(grant: Grant) -> str:
    """One grant as a Cedar ``permit`` policy."""
    scope, when = [], []
    for expr, kind, terms in (("principal", "party", grant.recipients), ("resource", "item", grant.items)):
        if terms is not None and len(terms) == 1:
            scope.append(_constraint(expr, kind, terms))
        else:
            scope.append(expr)
            if terms is not None:
                when.append(_constraint(expr, kind, terms))
    when += [c for c in (_constraint("context.purpose", "purpose", grant.purposes),
                         _constraint("context.subject", "subject", grant.subjects)) if c]
    if grant.consent:
        when.append("context.consent")
    head = f"permit ({scope[0]}, action == Action::\"{grant.action}\", {scope[1]})"
    return head + (f"\nwhen {{ {' && '.join(when)} }};" if when else ";")


def policies_text(policy: Policy) -> str:
    """Every grant as a Cedar policy, one after another."""
    return "\n".join(f"// {g.id}\n{policy_text(g)}" for g in policy.grants) + "\n"


def request(case: Case) -> dict:
    """A case as a Cedar request (the context pre-serialised, as a caller would cache it)."""
    context = {"purpose": {"__entity": {"type": "Purpose", "id": case.purpose}},
               "subject": {"__entity": {"type": "Subject", "id": case.subject}},
               "consent": case.consent}
    return {"principal": _uid("party", case.recipient or NO_RECIPIENT),
            "action": f"Action::\"{case.action}\"", "resource": _uid("item", case.item),
            "context": json.dumps(context)}


def build(policy: Policy) -> Engine:
    """Parse the policies and entities once; ``run`` is ``cedarpy.is_authorized``."""
    import cedarpy

    policies = cedarpy.PolicySet.from_str(policies_text(policy))
    ents = cedarpy.Entities.from_json_str(json.dumps(entities(policy)))
    authorize = cedarpy.is_authorized

    def run(req: dict):
        return authorize(req, policies, ents)

    return Engine(NAME, request, run, lambda result: result.allowed)
