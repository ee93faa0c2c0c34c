"""The compiled ruleset: resolved rules and the indexes a decision looks up.

Everything here is frozen and picklable. Hierarchy closures are applied at compile time:
a rule's term sets already contain every descendant (grants) or every overlapping term
(prohibitions), so a decision only tests set membership on the few rules indexed under its
``(action, subject, item)`` key and never scans the whole rule list.
"""

from __future__ import annotations

from attrs import field, frozen

from coopcheck.core.frozen import FrozenMap
from coopcheck.core.kinds import ANY_EXCEPTION, CONSENT, SHARING_ACTS, Action, RuleKind, Verb
from coopcheck.core.vocabulary import Vocabulary

__all__ = ["CompiledRule", "Ruleset", "VERB_ACTIONS", "GERUND_ACTIONS", "CONSENT", "ANY_EXCEPTION"]

#: Which scenario actions each rule verb speaks about. A purpose of use also governs
#: collection (data is collected only for a declared purpose: docs/semantics.md §3.1).
VERB_ACTIONS = {
    Verb.USE: frozenset({Action.USE, Action.COLLECT}),
    Verb.COLLECT: frozenset({Action.COLLECT}),
    Verb.PUBLISH: frozenset({Action.PUBLISH}),
    Verb.JOINT_USE: frozenset({Action.SHARE}),
    Verb.ENTRUST: frozenset({Action.SHARE}),
    Verb.PROVIDE: frozenset({Action.SHARE}),
    Verb.DISCLOSE: frozenset({Action.SHARE, Action.PUBLISH}),  # publication discloses to everyone
}
#: Which actions a requirement's gerund speaks about: the same, except that ``using`` is
#: about use alone (a requirement binds only the act it names: docs/semantics.md §3.4).
GERUND_ACTIONS = {**VERB_ACTIONS, Verb.USE: frozenset({Action.USE})}


@frozen
class CompiledRule:
    """One rule after name resolution.

    Term sets are ``None`` for "any"; otherwise they hold the ids the rule covers (for
    grants: the written terms and their descendants; for prohibitions and requirements:
    also their ancestors, since asking about a broader term may include the forbidden one).
    ``written`` keeps the ids as the author wrote them, for explanations.
    """

    id: str
    kind: RuleKind = field(converter=RuleKind)
    verb: Verb = field(converter=Verb)
    actions: frozenset
    items: frozenset | None
    subjects: frozenset | None
    recipients: frozenset | None
    purposes: frozenset | None
    written: FrozenMap  # dimension -> tuple of ids as written ("items", "subjects", ...)
    declared_purposes: bool = False
    complement: bool = False  # closed list: matches what falls OUTSIDE recipients/purposes
    conditions: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    managed_by: str | None = None
    citation: str | None = None
    clause: str | None = None
    module: str = ""
    line: int = 0
    file: str | None = field(default=None, eq=False)  # the rule file, as shown in messages

    @property
    def acts(self) -> frozenset | None:
        """The one legal act of sharing a bar (or consent requirement) written with ``shared
        with``, ``entrusted to`` or ``provided to`` stops — a share that rests on another act
        passes it; None when it stops every act of the actions it speaks about
        (docs/semantics.md §5.1)."""
        return frozenset({self.verb}) if self.verb in SHARING_ACTS else None

    @property
    def is_bar(self) -> bool:
        """Whether this rule can deny (a prohibition, closed list or consent requirement)."""
        return self.kind in (RuleKind.PROHIBITION, RuleKind.CLOSED) or (
            self.kind == RuleKind.REQUIREMENT and CONSENT in self.needs)


@frozen(repr=False)
class Ruleset:
    """A co-op's policy compiled with everything it imports. Immutable (it holds no cache: an
    :class:`~coopcheck.core.evaluator.Evaluator` owns those), thread-safe, picklable."""

    coop: str | None
    vocabulary: Vocabulary
    rules: tuple[CompiledRule, ...]
    meta: FrozenMap  # key -> tuple of values
    grant_index: FrozenMap  # (action, subject, item) -> tuple[CompiledRule]
    bar_index: FrozenMap  # (action, subject, item) -> tuple[CompiledRule]
    notice_index: FrozenMap  # (action, subject, item) -> tuple[CompiledRule]
    honoured: FrozenMap  # legal-exception id -> tuple of the honour rules that name it
    declared: FrozenMap  # (subject, item) -> frozenset of purposes declared for it
    files: tuple[str, ...] = ()  # the files compiled, dependencies first, the policy last
    meta_clauses: tuple[str, ...] = ()  # clauses cited by the policy's metadata lines

    def __repr__(self) -> str:
        return (f"Ruleset(coop={self.coop!r}, name={self.name!r}, rules={len(self.rules)}, "
                f"terms={len(self.vocabulary.terms)}, files={len(self.files)})")

    def rule(self, rule_id: str) -> CompiledRule:
        """The rule with this id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def name(self) -> str | None:
        """The co-op's name from the policy metadata."""
        values = self.meta.get("name")
        return values[0] if values else None
