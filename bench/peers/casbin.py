"""Casbin (``pycasbin``): one ``p`` line per grant, the hierarchies as role links.

Encoding: four role hierarchies, ``g`` for data items, ``g2`` for parties, ``g3`` for
purposes and ``g4`` for subjects: ``g, item_0_1, item_0`` says ``item_0_1`` is under
``item_0``, and every root is under ``*`` (what "any" is written as). A grant that lists
several terms in one part gets a group role of its own (``g, item_1, synthetic:7/items``).
The model:

    [request_definition]  r = act, sub, item, rcp, pur, con
    [policy_definition]   p = act, sub, item, rcp, pur, con
    [policy_effect]       e = some(where (p.eft == allow))
    [matchers]            m = r.act == p.act && g(r.item, p.item) && g2(r.rcp, p.rcp)
                              && g3(r.pur, p.pur) && g4(r.sub, p.sub) && (p.con == "no" || r.con == "yes")

A ``use`` has recipient ``-`` in the request and in its grants. A decision reads the scenario
dict into the six request values and calls ``Enforcer.enforce`` (single-item scenarios;
grants only).
"""

from __future__ import annotations

from importlib import metadata

from ..policy import NO_RECIPIENT, Policy
from . import Engine, truth

NAME = "pycasbin"
ANY = "*"
ROLE_TYPES = {"item": "g", "party": "g2", "purpose": "g3", "subject": "g4"}

MODEL = """\
[request_definition]
r = act, sub, item, rcp, pur, con

[policy_definition]
p = act, sub, item, rcp, pur, con

[role_definition]
g = _, _
g2 = _, _
g3 = _, _
g4 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && g(r.item, p.item) && g2(r.rcp, p.rcp) && g3(r.pur, p.pur) && g4(r.sub, p.sub) \
&& (p.con == "no" || r.con == "yes")
"""


def available() -> bool:
    """Whether ``pycasbin`` is installed."""
    try:
        import casbin  # noqa: F401
    except ImportError:
        return False
    return True


def version() -> str:
    """The installed ``pycasbin`` version."""
    return metadata.version("pycasbin")


def rules(policy: Policy) -> tuple[list[list[str]], dict[str, list[list[str]]]]:
    """The ``p`` lines and the role links per role type (``g`` .. ``g4``)."""
    links: dict[str, list[list[str]]] = {g: [] for g in ROLE_TYPES.values()}
    for tid, kind in policy.kinds.items():
        links[ROLE_TYPES[kind]].append([tid, policy.parents[tid] or ANY])
    lines = []
    for grant in policy.grants:
        def role(part: str, kind: str, terms):
            if terms is None:
                return ANY
            if len(terms) == 1:
                return terms[0]
            group = f"{grant.id}/{part}"
            links[ROLE_TYPES[kind]].extend([t, group] for t in terms)
            return group
        recipient = NO_RECIPIENT if grant.action == "use" else role("recipients", "party", grant.recipients)
        lines.append([grant.action, role("subjects", "subject", grant.subjects), role("items", "item", grant.items),
                      recipient, role("purposes", "purpose", grant.purposes), "yes" if grant.consent else "no"])
    return lines, links


def request(d: dict) -> tuple[str, ...]:
    """A scenario dict as the enforce arguments."""
    return (d["action"], d.get("subject", "member"), d["data"][0], d.get("recipient", NO_RECIPIENT), d["purpose"],
            "yes" if d.get("consent") else "no")


def build(policy: Policy) -> Engine:
    """An enforcer with the model, the grants and the role links; ``run`` is ``enforce``."""
    import casbin

    model = casbin.Enforcer.new_model(text=MODEL)
    enforcer = casbin.Enforcer(model)
    lines, links = rules(policy)
    for role_type, pairs in links.items():
        enforcer.add_named_grouping_policies(role_type, pairs)
    enforcer.add_named_policies("p", lines)
    enforce = enforcer.enforce

    def run(_state, dicts) -> list:
        return [enforce(d["action"], d.get("subject", "member"), d["data"][0], d.get("recipient", NO_RECIPIENT),
                        d["purpose"], "yes" if d.get("consent") else "no") for d in dicts]

    return Engine(NAME, run, truth, note="single-item scenarios; grants only")
