"""The kinds the core speaks of, as enums: rule kinds, verbs, legal bases, effects, the parts
(dimensions) of a scenario a rule can speak about, and how one rule stands towards one item of
a scenario (docs/semantics.md §3–§5).

Each is a :class:`enum.StrEnum` (:class:`Kind`): a member *is* its string value, so the JSON contract, the
wording catalogue and pickles see the same plain strings as before, while the code names a
kind by member (``RuleKind.GRANT``) and a typo is an ``AttributeError``, not a silent mismatch.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A kind the core names: a string enum whose repr is its plain value (``'permit'``), so
    tuples and decisions read at a REPL or in a doctest as they do in the JSON contract."""

    def __repr__(self) -> str:
        return repr(self.value)


class RuleKind(Kind):
    """What a compiled rule is."""

    GRANT = "grant"  #: `may`: gives a legal basis
    CLOSED = "closed"  #: `may only`: a closed list (bars what falls outside, grants what it lists)
    PROHIBITION = "prohibition"  #: `must not`
    REQUIREMENT = "requirement"  #: `requires consent | notice`
    HONOUR = "honour"  #: `honour legal exceptions: …`


class Verb(Kind):
    """The legal act a statement's verb names, the same in every kind of statement
    (docs/semantics.md §3.1)."""

    USE = "use"  #: `used`, `using`
    COLLECT = "collect"  #: `collected`, `collecting`
    PUBLISH = "publish"  #: `published`, `publishing`
    JOINT_USE = "joint_use"  #: `shared with`, `sharing`: joint use, APPI Art. 27(5)(iii)
    ENTRUST = "entrust"  #: `entrusted to`, `entrusting`: entrustment, APPI Art. 27(5)(i)
    PROVIDE = "provide"  #: `provided to`, `providing`: provision to a third party, APPI Art. 27(1)
    DISCLOSE = "disclose"  #: `disclosed to`, `disclosing`: any disclosure at all (bars only)
    ANY = "any"  #: an `honour` line speaks of every action


#: The three legal acts by which data is handed to a recipient (APPI Art. 27(1), 27(5)(i),
#: 27(5)(iii)): a bar written with one of them stops that act and no other (§5.1).
SHARING_ACTS = frozenset({Verb.JOINT_USE, Verb.ENTRUST, Verb.PROVIDE})


class Action(Kind):
    """What a scenario proposes to do with the data."""

    USE = "use"
    COLLECT = "collect"
    SHARE = "share"
    PUBLISH = "publish"


class Basis(Kind):
    """The legal basis of a permit; ``NONE`` on every deny, ``MIXED`` when permitted items differ."""

    PURPOSE = "purpose"
    JOINT_USE = "joint_use"
    ENTRUSTMENT = "entrustment"
    LEGAL_EXCEPTION = "legal_exception"
    CONSENT = "consent"
    NONE = "none"
    MIXED = "mixed"


#: The bases in the order a decision reports them: the first that applies (docs/semantics.md §5.2).
BASIS_ORDER: tuple[Basis, ...] = (Basis.PURPOSE, Basis.JOINT_USE, Basis.ENTRUSTMENT, Basis.LEGAL_EXCEPTION,
                                  Basis.CONSENT)
#: Rank of each basis in :data:`BASIS_ORDER` (lower wins).
BASIS_RANK: dict[str, int] = {b: i for i, b in enumerate(BASIS_ORDER)}


class Effect(Kind):
    """The answer to a scenario or to one of its items."""

    PERMIT = "permit"
    DENY = "deny"


class Dimension(Kind):
    """A part of a scenario a rule can speak about (and a scenario can fall outside of)."""

    ACTION = "action"
    ITEM = "item"
    SUBJECT = "subject"
    RECIPIENT = "recipient"
    PURPOSE = "purpose"
    CONDITION = "condition"


#: The key of each dimension in a rule's ``written`` map (the ids as the author wrote them).
WRITTEN_KEY: dict[Dimension, str] = {Dimension.ITEM: "items", Dimension.SUBJECT: "subjects",
                                     Dimension.RECIPIENT: "recipients", Dimension.PURPOSE: "purposes"}


class Standing(Kind):
    """How one rule stands towards one item of a scenario, before the rules are combined
    (:func:`coopcheck.core.semantics.match`)."""

    BLOCKS = "blocks"  #: a bar that applies and none of whose exceptions holds
    EXCEPTED = "excepted"  #: a bar that applies, set aside by one of its own exceptions
    LIFTED = "lifted"  #: a consent requirement met by the data subject's consent
    EXCUSED = "excused"  #: a consent requirement set aside by a legal exception
    GRANTS = "grants"  #: a grant (or an honoured legal exception) that gives a basis
    NOTICE = "notice"  #: a notice requirement that applies (adds its obligation)
    MISSES = "misses"  #: the rule does not reach the scenario (see the parts outside it)


#: Condition and exception codes besides legal-exception ids: the data subject's consent, and
#: any legal exception the co-op honours.
CONSENT = "consent"
ANY_EXCEPTION = "*"
