"""Synthetic policies of N grants and seeded benchmark scenarios.

The vocabulary has the shape of the shipped one: 30 data items (3 categories of 3 groups of
2 items), 24 parties (4 kinds of 5 parties), 34 purposes (2 areas of 4 groups of 3 purposes)
and 3 data subjects. Grants mix joint use (half), entrustment (a quarter), provision to third
parties on consent and purposes of use; most name leaf terms, some a whole group or category,
a few a list of several terms or another subject. Everything is drawn from
:class:`random.Random` with a fixed seed, so a run is reproducible.

>>> text = render(12)
>>> text.splitlines()[0]
'policy synthetic'
>>> sum(1 for line in text.splitlines() if line.startswith("  ["))
12
"""

from __future__ import annotations

import random

from attrs import frozen

from .policy import Case, Policy

SEED = 20240401

SUBJECTS = ("member", "member_family", "prospect")
OBLIGATIONS = {"joint_use": "coop_remains_responsible", "entrust": "supervise_contractor"}


@frozen
class Term:
    """A synthetic vocabulary term."""

    id: str
    kind: str  # item | party | purpose | subject
    parent: str | None
    level: int  # 0 for a root


def vocabulary() -> tuple[Term, ...]:
    """The synthetic vocabulary: 30 items, 24 parties, 34 purposes, 3 subjects."""
    terms = [Term(s, "subject", None, 0) for s in SUBJECTS]
    for c in range(3):
        terms.append(Term(f"item_{c}", "item", None, 0))
        for g in range(3):
            terms.append(Term(f"item_{c}_{g}", "item", f"item_{c}", 1))
            terms += [Term(f"item_{c}_{g}_{i}", "item", f"item_{c}_{g}", 2) for i in range(2)]
    for k in range(4):
        terms.append(Term(f"party_{k}", "party", None, 0))
        terms += [Term(f"party_{k}_{p}", "party", f"party_{k}", 1) for p in range(5)]
    for a in range(2):
        terms.append(Term(f"purpose_{a}", "purpose", None, 0))
        for g in range(4):
            terms.append(Term(f"purpose_{a}_{g}", "purpose", f"purpose_{a}", 1))
            terms += [Term(f"purpose_{a}_{g}_{p}", "purpose", f"purpose_{a}_{g}", 2) for p in range(3)]
    return tuple(terms)


@frozen
class SynthGrant:
    """A grant as drawn: verb, terms (``None`` for the default subject) and consent."""

    verb: str  # use | joint_use | entrust | provide
    items: tuple[str, ...]
    subjects: tuple[str, ...] | None
    recipients: tuple[str, ...]
    purposes: tuple[str, ...]
    consent: bool


def _pick(rng: random.Random, terms: list[Term]) -> str:
    """A term, mostly a leaf: leaves 65 %, the level above 28 %, a root 7 %."""
    depth = max(t.level for t in terms)
    roll = rng.random()
    level = depth if roll < 0.65 else max(depth - 1, 0) if roll < 0.93 else 0
    return rng.choice([t for t in terms if t.level == level]).id


def _some(rng: random.Random, terms: list[Term], most: int) -> tuple[str, ...]:
    """One term, sometimes a short list of distinct terms."""
    count = 1 if rng.random() < 0.7 else rng.randint(2, most)
    out: list[str] = []
    while len(out) < count:
        t = _pick(rng, terms)
        if t not in out:
            out.append(t)
    return tuple(out)


def grants(n: int, seed: int = SEED) -> tuple[SynthGrant, ...]:
    """``n`` seeded grants over :func:`vocabulary`."""
    rng = random.Random(f"{seed}:grants:{n}")
    by_kind: dict[str, list[Term]] = {}
    for t in vocabulary():
        by_kind.setdefault(t.kind, []).append(t)
    out = []
    for _ in range(n):
        roll = rng.random()
        verb = "joint_use" if roll < 0.5 else "entrust" if roll < 0.75 else "provide" if roll < 0.85 else "use"
        s = rng.random()
        subjects = None if s < 0.85 else ("member", "prospect") if s < 0.95 else ("member_family",)
        consent = verb == "provide" or (verb == "use" and rng.random() < 0.2)
        recipients = () if verb == "use" else _some(rng, by_kind["party"], 2)
        out.append(SynthGrant(verb, _some(rng, by_kind["item"], 3), subjects, recipients,
                              _some(rng, by_kind["purpose"], 3), consent))
    return tuple(out)


def render_grant(g: SynthGrant, number: int) -> str:
    """One grant as a rule-file statement (wrapped over two lines, citation last)."""
    scope = ", ".join(g.items) + (f" of {', '.join(g.subjects)}" if g.subjects else "")
    verb = {"use": "used", "joint_use": f"shared with {', '.join(g.recipients)}",
            "entrust": f"entrusted to {', '.join(g.recipients)}",
            "provide": f"provided to {', '.join(g.recipients)}"}[g.verb]
    text = f"{scope} may be {verb} for {', '.join(g.purposes)}"
    if g.consent:
        text += " provided that consent is given"
    if g.verb in OBLIGATIONS:
        text += f" obliging {OBLIGATIONS[g.verb]}"
    return f"{text}\n  [synthetic {number}]"


def render(n: int, seed: int = SEED) -> str:
    """The rule-file text of a synthetic policy of ``n`` grants, vocabulary included."""
    lines = ["policy synthetic", "", "# vocabulary"]
    kind_word = {"item": "data item", "party": "party", "purpose": "purpose", "subject": "subject"}
    for t in vocabulary():
        lines.append(f"{kind_word[t.kind]} {t.id}" + (f" is {t.parent}" if t.parent else ""))
    lines += [f"obligation {o}" for o in OBLIGATIONS.values()]
    lines += ["", f"# {n} grants"]
    lines += [render_grant(g, i) for i, g in enumerate(grants(n, seed), 1)]
    return "\n".join(lines) + "\n"


def _descendant(rng: random.Random, policy: Policy, term: str) -> str:
    return rng.choice(sorted(policy.down[term]))


def _draw(rng: random.Random, policy: Policy, pools: dict[str, list[str]]) -> Case:
    """One scenario: inside a grant, a near miss of one, or random (see :func:`scenarios`)."""
    roll = rng.random()
    if roll < 0.66 and policy.grants:
        g = rng.choice(policy.grants)
        item = _descendant(rng, policy, rng.choice(g.items or pools["item"]))
        subject = _descendant(rng, policy, rng.choice(g.subjects or ("member",)))
        recipient = None if g.action == "use" else \
            _descendant(rng, policy, rng.choice(g.recipients or pools["party"]))
        purpose = _descendant(rng, policy, rng.choice(g.purposes or pools["purpose"]))
        consent = rng.random() < (0.8 if g.consent else 0.2)
        if roll >= 0.5:  # a near miss: move one part
            part = rng.randrange(4)
            if part == 0:
                item = rng.choice(pools["item"])
            elif part == 1 and g.action == "share":
                recipient = rng.choice(pools["party"])
            elif part == 2:
                purpose = rng.choice(pools["purpose"])
            else:
                subject = rng.choice(pools["subject"])
        return Case(g.action, subject, item, recipient, purpose, consent)
    action = "share" if rng.random() < 0.75 else "use"
    recipient = rng.choice(pools["party"]) if action == "share" else None
    subject = "member" if rng.random() < 0.8 else rng.choice(pools["subject"])
    return Case(action, subject, rng.choice(pools["item"]), recipient, rng.choice(pools["purpose"]),
                rng.random() < 0.3)


def scenarios(policy: Policy, count: int, seed: int = SEED, permitted=None) -> tuple[Case, ...]:
    """``count`` seeded single-item ``use``/``share`` scenarios for ``policy``.

    A scenario is drawn inside a grant (a descendant of each of its terms: mostly permits)
    half of the time, as such a scenario with one part moved to a random term (a near miss)
    a sixth of the time, and at random over the vocabulary otherwise; consent is given in
    some of each. With ``permitted`` (a container of the :meth:`Case.key` s the policy
    permits) draws are kept or dropped so that half the scenarios are permits, whatever the
    number of grants, as far as a bounded number of draws allows.
    """
    rng = random.Random(f"{seed}:scenarios:{len(policy.grants)}:{count}")
    pools = {kind: sorted(policy.terms(kind)) for kind in ("item", "party", "purpose", "subject")}
    if permitted is None:
        return tuple(_draw(rng, policy, pools) for _ in range(count))
    quota = {True: count - count // 2, False: count // 2}
    out: list[Case] = []
    for _ in range(200 * count):
        if len(out) == count:
            break
        case = _draw(rng, policy, pools)
        verdict = case.key() in permitted
        if quota[verdict]:
            quota[verdict] -= 1
            out.append(case)
    while len(out) < count:
        out.append(_draw(rng, policy, pools))
    return tuple(out)
