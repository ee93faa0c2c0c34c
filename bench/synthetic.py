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
import tempfile
from pathlib import Path

from attrs import frozen
from coopcheck.dsl.limits import MAX_FILE_BYTES

from .policy import Case, Policy

SEED = 20240401

SUBJECTS = ("member", "member_family", "prospect")
OBLIGATIONS = {"joint_use": "coop_remains_responsible", "entrust": "supervise_contractor"}
#: Grants per module file when a policy is too large for one file.
GRANTS_PER_MODULE = 2000


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


def _declarations() -> list[str]:
    kind_word = {"item": "data item", "party": "party", "purpose": "purpose", "subject": "subject"}
    lines = [f"{kind_word[t.kind]} {t.id}" + (f" is {t.parent}" if t.parent else "") for t in vocabulary()]
    return lines + [f"obligation {o}" for o in OBLIGATIONS.values()]


def render(n: int, seed: int = SEED) -> str:
    """The rule-file text of a synthetic policy of ``n`` grants, vocabulary included."""
    lines = ["policy synthetic", "", "# vocabulary", *_declarations(), "", f"# {n} grants"]
    lines += [render_grant(g, i) for i, g in enumerate(grants(n, seed), 1)]
    return "\n".join(lines) + "\n"


def files(n: int, seed: int = SEED) -> list[tuple[str, str]]:
    """The synthetic policy of ``n`` grants as rule files ``(text, file name)``, dependencies
    first and the policy last: the one text of :func:`render` when it is within a rule file's
    size limit; else a vocabulary module, modules of :data:`GRANTS_PER_MODULE` grants each and
    a policy that imports them (10 000 grants make 1.2 MB of text; a file may have 1 MiB).

    >>> [name for _, name in files(12)]
    ['synthetic.policy']
    >>> [name for _, name in files(10_000)]  # doctest: +NORMALIZE_WHITESPACE
    ['synthetic_vocabulary.rules', 'synthetic_grants_1.rules', 'synthetic_grants_2.rules',
     'synthetic_grants_3.rules', 'synthetic_grants_4.rules', 'synthetic_grants_5.rules', 'synthetic.policy']
    """
    text = render(n, seed)
    if len(text.encode("utf-8")) <= MAX_FILE_BYTES:
        return [(text, "synthetic.policy")]
    out = [("\n".join(["module synthetic_vocabulary", "", *_declarations()]) + "\n", "synthetic_vocabulary.rules")]
    drawn = grants(n, seed)
    for k, start in enumerate(range(0, n, GRANTS_PER_MODULE), 1):
        lines = [f"module synthetic_grants_{k}", "import synthetic_vocabulary", ""]
        lines += [render_grant(g, i) for i, g in enumerate(drawn[start:start + GRANTS_PER_MODULE], start + 1)]
        out.append(("\n".join(lines) + "\n", f"synthetic_grants_{k}.rules"))
    imports = [f"import {name.removesuffix('.rules')}" for _, name in out]
    out.append(("\n".join(["policy synthetic", *imports]) + "\n", "synthetic.policy"))
    return out


def load(n: int, seed: int = SEED):
    """The synthetic policy of ``n`` grants compiled by coopcheck (the files of :func:`files`
    written to a temporary folder when there are several), and its files."""
    import coopcheck

    texts = files(n, seed)
    if len(texts) == 1:
        return coopcheck.load_string(texts[0][0], texts[0][1]), texts
    with tempfile.TemporaryDirectory(prefix="coopcheck-bench-") as tmp:
        write(texts, Path(tmp))
        return coopcheck.load_file(Path(tmp) / "synthetic.policy"), texts


def write(texts: list[tuple[str, str]], folder: Path) -> Path:
    """Write rule files into ``folder``; the path of the last (the policy)."""
    for text, name in texts:
        (folder / name).write_text(text, encoding="utf-8")
    return folder / texts[-1][1]


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
    """``count`` distinct seeded single-item ``use``/``share`` scenarios for ``policy``.

    A scenario is drawn inside a grant (a descendant of each of its terms: mostly permits)
    half of the time, as such a scenario with one part moved to a random term (a near miss)
    a sixth of the time, and at random over the vocabulary otherwise; consent is given in
    some of each. A scenario drawn before is drawn again, so no two are alike (every one is
    news to a cache keyed by the scenario). With ``permitted`` (a container of the
    :meth:`Case.key` s the policy permits) draws are kept or dropped so that half the
    scenarios are permits, whatever the number of grants, as far as a bounded number of draws
    allows.

    >>> from bench.policy import from_ruleset
    >>> import coopcheck
    >>> policy = from_ruleset(coopcheck.load_string(render(12), "synthetic.policy"))
    >>> cases = scenarios(policy, 500)
    >>> len(set(cases)) == len(cases) == 500
    True
    """
    rng = random.Random(f"{seed}:scenarios:{len(policy.grants)}:{count}")
    pools = {kind: sorted(policy.terms(kind)) for kind in ("item", "party", "purpose", "subject")}
    quota = {True: count - count // 2, False: count // 2}
    seen: set[Case] = set()
    out: list[Case] = []
    for _ in range(200 * count):
        if len(out) == count:
            break
        case = _draw(rng, policy, pools)
        if case in seen:
            continue
        if permitted is not None:
            verdict = case.key() in permitted
            if not quota[verdict]:
                continue
            quota[verdict] -= 1
        seen.add(case)
        out.append(case)
    for _ in range(200 * count):
        if len(out) == count:
            break
        case = _draw(rng, policy, pools)
        if case not in seen:
            seen.add(case)
            out.append(case)
    if len(out) < count:
        raise ValueError(f"could not draw {count} distinct scenarios for {len(policy.grants)} grants")
    return tuple(out)
