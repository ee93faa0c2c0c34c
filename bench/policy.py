"""The policy every engine is given, in an engine-neutral form, and the benchmark scenarios.

A :class:`Policy` is read back from a compiled coopcheck :class:`~coopcheck.core.ruleset.Ruleset`
(:func:`from_ruleset`), so the peers encode exactly what coopcheck compiled: the term
hierarchy (parent links) and the grants with their terms as written. Only what the peers are
asked to model is accepted — grants for ``use`` and ``share`` (joint use, entrustment,
provision) with an optional consent condition; a ruleset with prohibitions, closed lists,
requirements, legal exceptions or ``any declared purpose`` is refused rather than encoded
wrongly.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, Mapping

from attrs import frozen

from coopcheck.core.ruleset import CONSENT, Ruleset

#: Dimensions of a grant and the vocabulary kind of their terms.
KINDS = {"items": "item", "subjects": "subject", "recipients": "party", "purposes": "purpose"}

#: The scenario action each supported grant verb speaks about.
VERB_ACTION = {"use": "use", "joint_use": "share", "entrust": "share", "provide": "share"}

#: Stands for "no recipient" in engines whose requests need a value there (a ``use``).
NO_RECIPIENT = "-"


class Unsupported(ValueError):
    """A ruleset uses something the engine-neutral policy does not model."""


@frozen
class Grant:
    """One grant: the action it permits and its terms as written (``None`` means any).

    ``recipients`` is ``None`` for a ``use`` grant (it has none) and for ``to anyone``.
    ``consent`` is true when the grant holds only with the data subject's consent.
    """

    id: str
    verb: str
    action: str
    items: tuple[str, ...] | None
    subjects: tuple[str, ...] | None
    recipients: tuple[str, ...] | None
    purposes: tuple[str, ...] | None
    consent: bool


@frozen
class Policy:
    """Terms with their kind and parent, every grant, and the hierarchy closures."""

    kinds: Mapping[str, str]  # term id -> kind (item, party, purpose, subject)
    parents: Mapping[str, str | None]
    grants: tuple[Grant, ...]
    up: Mapping[str, frozenset]  # term -> itself and its ancestors
    down: Mapping[str, frozenset]  # term -> itself and its descendants

    @classmethod
    def build(cls, terms: Iterable[tuple[str, str, str | None]], grants: Iterable[Grant]) -> "Policy":
        """A policy from ``(id, kind, parent)`` triples and grants."""
        kinds: dict[str, str] = {}
        parents: dict[str, str | None] = {}
        for tid, kind, parent in terms:
            kinds[tid] = kind
            parents[tid] = parent
        up: dict[str, frozenset] = {}
        for tid in kinds:
            chain, cur = [], tid
            while cur is not None and cur not in chain:
                chain.append(cur)
                cur = parents.get(cur)
            up[tid] = frozenset(chain)
        down: dict[str, set] = {tid: set() for tid in kinds}
        for tid, ancestors in up.items():
            for a in ancestors:
                down[a].add(tid)
        return cls(MappingProxyType(kinds), MappingProxyType(parents), tuple(grants),
                   MappingProxyType(up), MappingProxyType({k: frozenset(v) for k, v in down.items()}))

    def terms(self, kind: str) -> tuple[str, ...]:
        """Every term of ``kind``, in declaration order."""
        return tuple(t for t, k in self.kinds.items() if k == kind)

    def covered(self, written: tuple[str, ...] | None, kind: str) -> frozenset:
        """Every term a grant's written terms cover (all terms of ``kind`` for "any")."""
        if written is None:
            return frozenset(self.terms(kind))
        return frozenset().union(*(self.down[t] for t in written))


@frozen
class Case:
    """One single-item benchmark scenario, with term ids."""

    action: str  # use | share
    subject: str
    item: str
    recipient: str | None
    purpose: str
    consent: bool

    def to_json(self) -> dict:
        """The scenario in coopcheck's JSON contract."""
        data = {"action": self.action, "subject": self.subject, "data": [self.item],
                "purpose": self.purpose, "consent": self.consent}
        if self.recipient is not None:
            data["recipient"] = self.recipient
        return data

    def key(self) -> tuple:
        """``(action, subject, item, recipient, purpose, consent)``: how the enumeration of what a
        policy permits (:func:`bench.peers.floor.permitted`) names a scenario."""
        return (self.action, self.subject, self.item, self.recipient, self.purpose, self.consent)


def _written(rule, dim: str) -> tuple[str, ...] | None:
    """A rule's terms for one dimension as written, or None for "any"."""
    if getattr(rule, dim) is None:
        return None
    return tuple(rule.written[dim])


def from_ruleset(ruleset: Ruleset) -> Policy:
    """The engine-neutral form of a compiled ruleset; raises :class:`Unsupported`."""
    vocab = ruleset.vocabulary
    terms = [(t.id, t.kind, t.parent) for t in vocab.terms.values() if t.kind in KINDS.values()]
    grants = []
    for rule in ruleset.rules:
        where = f"rule `{rule.id}`"
        if rule.kind != "grant":
            raise Unsupported(f"{where} is a {rule.kind}: only grants are modelled")
        if rule.verb not in VERB_ACTION:
            raise Unsupported(f"{where}: verb `{rule.verb}` is not modelled")
        if rule.declared_purposes:
            raise Unsupported(f"{where}: `any declared purpose` is not modelled")
        if set(rule.conditions) - {CONSENT}:
            raise Unsupported(f"{where}: only a consent condition is modelled")
        action = VERB_ACTION[rule.verb]
        grants.append(Grant(rule.id, rule.verb, action, _written(rule, "items"), _written(rule, "subjects"),
                            _written(rule, "recipients") if action == "share" else None,
                            _written(rule, "purposes"), CONSENT in rule.conditions))
    return Policy.build(terms, grants)
