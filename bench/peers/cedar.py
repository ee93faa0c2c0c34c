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

A pass reads each scenario dict into a request — principal, action and resource as
``{"type", "id"}`` dicts, the context as JSON text filled from a template (the fastest of the
request forms tried: surface-syntax strings, and a context dict that cedarpy serialises) —
and decides them with the batch API ``cedarpy.is_authorized_batch`` in batches of
:data:`BATCH_SIZES` scenarios; the benchmark times every size and reports the best.
Single-item scenarios; grants only (the shipped policies' prohibitions, closed lists and
legal exceptions with their precedence are not encoded).
"""

from __future__ import annotations

import json
import re
from importlib import metadata

from ..policy import NO_RECIPIENT, Grant, Policy
from . import Engine, truth

NAME = "cedarpy"
TYPES = {"item": "Item", "party": "Party", "purpose": "Purpose", "subject": "Subject"}
#: The batch sizes tried; the default (used for the agreement check) first.
BATCH_SIZES = (100, 1, 10, 1000)
#: Term ids the request template can hold without JSON escaping.
PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")
CONTEXT = ('{"purpose": {"__entity": {"type": "Purpose", "id": "%s"}}, '
           '"subject": {"__entity": {"type": "Subject", "id": "%s"}}, "consent": %s}')


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


def request(d: dict) -> dict:
    """A scenario dict as a Cedar request (what a pass builds for every scenario)."""
    return {"principal": {"type": "Party", "id": d.get("recipient", NO_RECIPIENT)},
            "action": {"type": "Action", "id": d["action"]},
            "resource": {"type": "Item", "id": d["data"][0]},
            "context": CONTEXT % (d["purpose"], d.get("subject", "member"), "true" if d.get("consent") else "false")}


def build(policy: Policy) -> Engine:
    """Parse the policies and entities once; a pass builds the requests and decides them with
    ``cedarpy.is_authorized_batch``, a batch at a time (one alternative per batch size)."""
    import cedarpy

    bad = [t for t in policy.kinds if not PLAIN_ID.fullmatch(t)]
    if bad:
        raise ValueError(f"term id `{bad[0]}` would need escaping in the request template")
    policies = cedarpy.PolicySet.from_str(policies_text(policy))
    ents = cedarpy.Entities.from_json_str(json.dumps(entities(policy)))
    authorize = cedarpy.is_authorized_batch

    def batched(size: int):
        def run(_state, dicts) -> list:
            out: list = []
            for start in range(0, len(dicts), size):
                requests = [{"principal": {"type": "Party", "id": d.get("recipient", NO_RECIPIENT)},
                             "action": {"type": "Action", "id": d["action"]},
                             "resource": {"type": "Item", "id": d["data"][0]},
                             "context": CONTEXT % (d["purpose"], d.get("subject", "member"),
                                                   "true" if d.get("consent") else "false")}
                            for d in dicts[start:start + size]]
                out += [r.allowed for r in authorize(requests, policies, ents)]
            return out
        return run

    runs = tuple((f"batch {n}", batched(n)) for n in BATCH_SIZES)
    return Engine(NAME, runs[0][1], truth, alternatives=runs,
                  note="is_authorized_batch at the best batch size; single-item scenarios; grants only")
