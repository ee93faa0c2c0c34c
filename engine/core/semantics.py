"""What a rule means: the one place where it is decided (docs/semantics.md §4–§5).

Two steps, as in Cedar's evaluator and authorizer:

:func:`match` — the **evaluator** — takes one compiled rule, one data item and a scenario and
says how the rule stands towards it (a :class:`Match`): a bar that blocks or is set aside by one
of its exceptions, a consent requirement lifted by consent or excused by a legal exception, a
grant that gives a basis, a notice that adds its obligation, or a rule that misses, with the
parts of the scenario that fall outside it.

:func:`combine` — the **authorizer** — takes the matches of the rules indexed for the item and
applies the decision procedure: a blocking bar denies (no grant overrides it) — a bar written
with one legal act of sharing (``must not be provided to``) blocks only the grants of that act;
otherwise the best basis in :data:`~coopcheck.core.kinds.BASIS_ORDER` permits; otherwise deny
(fail closed), with the grants that came closest.

Everything that needs to know what a rule means — :func:`decide_item` (the specification the
decision tables cache), explanations, the lint analyses, the exact diff — calls these functions;
none re-implements a piece of them.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from attrs import frozen

from coopcheck.core.decision import ItemDecision, Reason
from coopcheck.core.kinds import (ANY_EXCEPTION, BASIS_ORDER, BASIS_RANK, CONSENT, SHARING_ACTS, WRITTEN_KEY,
                                  Action, Basis, Dimension, Effect, RuleKind, Standing, Verb)
from coopcheck.core.ruleset import CompiledRule, Ruleset
from coopcheck.core.scenario import Scenario

#: Verbs of grants that speak of giving data to a recipient.
SHARE_VERBS = SHARING_ACTS
#: The basis an unconditional grant of each verb gives (a provision rests on consent).
VERB_BASIS = {Verb.USE: Basis.PURPOSE, Verb.COLLECT: Basis.PURPOSE, Verb.PUBLISH: Basis.PURPOSE,
              Verb.JOINT_USE: Basis.JOINT_USE, Verb.ENTRUST: Basis.ENTRUSTMENT, Verb.PROVIDE: Basis.CONSENT}
#: How many near misses a default deny lists.
NEAR_MISSES = 3


@frozen
class Miss:
    """A part of the scenario outside a rule: the part, the value asked, what the rule wrote.

    ``note`` qualifies it: ``"declared"`` (the rule allows any declared purpose), ``"closed"``
    (the value is outside a closed list), ``"collect"`` (a conditional use grant cannot make a
    collection lawful) or None.
    """

    part: Dimension
    asked: str | None
    allowed: tuple[str, ...]
    note: str | None = None


@frozen
class Match:
    """How one rule stands towards one data item of a scenario (before combining).

    ``basis`` is set when the rule grants; ``outside`` holds the parts of the scenario the rule
    does not reach (for a closed list that applies: the one part outside its list);
    ``exceptions`` the rule's exception codes with whether each held.
    """

    rule: CompiledRule
    standing: Standing
    basis: Basis | None = None
    outside: tuple[Miss, ...] = ()
    exceptions: tuple[tuple[str, bool], ...] = ()

    @property
    def applies(self) -> bool:
        """Whether the rule reaches the scenario at all."""
        return self.standing is not Standing.MISSES


# ---- conditions ----------------------------------------------------------------------------

def holds(code: str, ruleset: Ruleset, sc: Scenario) -> bool:
    """Whether one condition or exception code holds in the scenario: ``consent`` (the data
    subject consented), ``*`` (a legal exception the co-op honours is claimed) or a legal
    exception id (that exception is claimed)."""
    if code == CONSENT:
        return sc.consent
    if code == ANY_EXCEPTION:
        return sc.exception is not None and sc.exception in ruleset.honoured
    return sc.exception == code


def _held(codes: Iterable[str], ruleset: Ruleset, sc: Scenario) -> tuple[tuple[str, bool], ...]:
    return tuple((c, holds(c, ruleset, sc)) for c in codes)


# ---- reach: which parts of a scenario a rule speaks about -----------------------------------

def bar_reach(rule: CompiledRule, sc: Scenario) -> Miss | bool:
    """Whether a bar (or notice) indexed for the scenario's key reaches it.

    For a closed list: the :class:`Miss` outside its list when it applies, else False. For a
    prohibition, requirement or notice: True when its recipients and purposes reach the
    scenario (its item and subject were matched by the index), else False.
    """
    if rule.complement:
        if rule.recipients is not None and sc.recipient not in rule.recipients:
            return Miss(Dimension.RECIPIENT, sc.recipient, rule.written["recipients"], "closed")
        if rule.purposes is not None and sc.purpose not in rule.purposes:
            return Miss(Dimension.PURPOSE, sc.purpose, rule.written["purposes"], "closed")
        return False
    if rule.recipients is not None and sc.recipient not in rule.recipients:
        return False
    if rule.purposes is not None and sc.purpose not in rule.purposes:
        return False
    return True


def bars_use_for(bar: CompiledRule, purpose: str) -> bool:
    """Whether ``bar`` forbids using an item it covers for ``purpose`` (absent its exceptions):
    what withdraws a declared purpose."""
    if bar.recipients is not None and not bar.complement:
        return False  # a bar about recipients says nothing about the co-op's own use
    if bar.complement:
        return bar.purposes is not None and purpose not in bar.purposes
    return bar.purposes is None or purpose in bar.purposes


def is_declared(ruleset: Ruleset, sc: Scenario, item: str) -> bool:
    """Whether the scenario's purpose is a declared purpose of use for its subject and item: a
    plain use grant covers it, and no bar on that use (a narrower closed list, a prohibition, a
    consent requirement) withholds it in this scenario (docs/semantics.md §4.4)."""
    if sc.purpose not in ruleset.declared.get((sc.subject, item), ()):
        return False
    for bar in ruleset.bar_index.get((Action.USE, sc.subject, item), ()):
        if not bars_use_for(bar, sc.purpose):
            continue
        if any(holds(e, ruleset, sc) for e in bar.exceptions):
            continue
        if bar.kind == RuleKind.REQUIREMENT and sc.consent:
            continue
        return False
    return True


def grant_outside(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str) -> Iterator[Miss]:
    """The recipient and purpose of the scenario a grant does not cover (its item and subject
    are matched by the index)."""
    if rule.verb in SHARE_VERBS and rule.recipients is not None and sc.recipient not in rule.recipients:
        yield Miss(Dimension.RECIPIENT, sc.recipient, rule.written["recipients"])
    if rule.declared_purposes:
        if not is_declared(ruleset, sc, item):
            yield Miss(Dimension.PURPOSE, sc.purpose, (), "declared")
    elif rule.purposes is not None and sc.purpose not in rule.purposes:
        yield Miss(Dimension.PURPOSE, sc.purpose, rule.written["purposes"])


def grant_basis(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str) -> Basis | None:
    """The basis a grant indexed for ``(sc.action, sc.subject, item)`` gives, or None."""
    if next(grant_outside(rule, ruleset, sc, item), None) is not None:
        return None
    if sc.action == Action.COLLECT and rule.verb == Verb.USE and rule.conditions:
        return None  # only a declared purpose of use makes collection lawful
    if not rule.conditions:
        basis = VERB_BASIS[rule.verb]
        # provision to a third party rests on consent (a `may only be provided to` list)
        return None if basis == Basis.CONSENT and not sc.consent else basis
    if any(c != CONSENT and holds(c, ruleset, sc) for c in rule.conditions):
        return Basis.LEGAL_EXCEPTION
    if CONSENT in rule.conditions and sc.consent:
        return Basis.CONSENT
    return None


def grant_parts_outside(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str) -> tuple[Miss, ...]:
    """Every part of the scenario a grant (or a closed list read as the grant of what it lists)
    does not cover, in the order action, item, subject, recipient, purpose, condition — whether
    or not the rule is indexed for the scenario's key. Empty exactly when the grant is indexed
    for ``(sc.action, sc.subject, item)`` and gives a basis."""
    vocab = ruleset.vocabulary
    written = rule.written
    if rule.kind == RuleKind.CLOSED:  # indexed as a grant by what it lists, not by overlap
        items = vocab.down(written["items"])
        subjects = vocab.down(written["subjects"]) if written["subjects"] else None
    else:
        items, subjects = rule.items, rule.subjects
    out = []
    if sc.action not in rule.actions:
        out.append(Miss(Dimension.ACTION, sc.action, ()))
    if items is not None and item not in items:
        out.append(Miss(Dimension.ITEM, item, written["items"]))
    if subjects is not None and sc.subject not in subjects:
        out.append(Miss(Dimension.SUBJECT, sc.subject, written["subjects"]))
    out.extend(grant_outside(rule, ruleset, sc, item))
    if rule.conditions:
        if sc.action == Action.COLLECT and rule.verb == Verb.USE:
            out.append(Miss(Dimension.CONDITION, "collect", rule.conditions, "collect"))
        elif not any(holds(c, ruleset, sc) for c in rule.conditions):
            out.append(Miss(Dimension.CONDITION, None, rule.conditions))
    return tuple(out)


def bar_parts_outside(rule: CompiledRule, sc: Scenario, item: str) -> tuple[Miss, ...]:
    """Every part of the scenario outside the terms a bar, requirement or notice is about (a
    closed list read as a bar: its own list is not counted). Empty exactly when the rule is
    indexed for the scenario's key and reaches it."""
    written = rule.written
    out = []
    if sc.action not in rule.actions:
        out.append(Miss(Dimension.ACTION, sc.action, ()))
    if rule.items is not None and item not in rule.items:
        out.append(Miss(Dimension.ITEM, item, written["items"]))
    if rule.subjects is not None and sc.subject not in rule.subjects:
        out.append(Miss(Dimension.SUBJECT, sc.subject, written["subjects"]))
    if not rule.complement:
        if rule.recipients is not None and sc.recipient not in rule.recipients:
            out.append(Miss(Dimension.RECIPIENT, sc.recipient, written["recipients"]))
        if rule.purposes is not None and sc.purpose not in rule.purposes:
            out.append(Miss(Dimension.PURPOSE, sc.purpose, written["purposes"]))
    return tuple(out)


# ---- the evaluator: one rule, one item --------------------------------------------------------

def match_bar(rule: CompiledRule, ruleset: Ruleset, sc: Scenario) -> Match:
    """How a bar or consent requirement indexed for the scenario's key stands towards it."""
    hit = bar_reach(rule, sc)
    if not hit:
        return Match(rule, Standing.MISSES)
    outside = (hit,) if isinstance(hit, Miss) else ()
    exceptions = _held(rule.exceptions, ruleset, sc)
    if rule.kind == RuleKind.REQUIREMENT:
        # set aside by a legal exception; else met by consent; else it blocks
        if any(held for code, held in exceptions if code != CONSENT):
            return Match(rule, Standing.EXCUSED, exceptions=exceptions)
        if sc.consent:
            return Match(rule, Standing.LIFTED, exceptions=exceptions)
        return Match(rule, Standing.BLOCKS, exceptions=exceptions)
    if any(held for _, held in exceptions):
        return Match(rule, Standing.EXCEPTED, outside=outside, exceptions=exceptions)
    return Match(rule, Standing.BLOCKS, outside=outside, exceptions=exceptions)


def match_grant(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str) -> Match:
    """How a grant (or a closed list read as a grant) indexed for the key stands towards it."""
    basis = grant_basis(rule, ruleset, sc, item)
    if basis is None:
        return Match(rule, Standing.MISSES)  # what fell outside: grant_parts_outside
    return Match(rule, Standing.GRANTS, basis)


def match_notice(rule: CompiledRule, sc: Scenario) -> Match:
    """Whether a notice requirement indexed for the key applies (it adds its obligation)."""
    return Match(rule, Standing.NOTICE if bar_reach(rule, sc) is True else Standing.MISSES)


def match_honour(rule: CompiledRule, sc: Scenario) -> Match:
    """Whether an ``honour`` line makes the claimed legal exception a basis."""
    if sc.exception is not None and sc.exception in rule.conditions:
        return Match(rule, Standing.GRANTS, Basis.LEGAL_EXCEPTION)
    return Match(rule, Standing.MISSES)


def match(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str, *, as_bar: bool | None = None) -> Match:
    """How ``rule`` stands towards data item ``item`` of the scenario, for a rule indexed under
    the scenario's ``(action, subject, item)`` key. A closed list is both a bar (on what falls
    outside its list) and a grant (of what it lists): ``as_bar`` chooses the reading (default:
    the bar)."""
    if rule.kind == RuleKind.HONOUR:
        return match_honour(rule, sc)
    if rule.kind == RuleKind.GRANT or (rule.kind == RuleKind.CLOSED and as_bar is False):
        return match_grant(rule, ruleset, sc, item)
    if rule.is_bar:
        return match_bar(rule, ruleset, sc)
    return match_notice(rule, sc)


def matches(ruleset: Ruleset, sc: Scenario, item: str) -> tuple[list[Match], list[Match], list[Match], list[Match]]:
    """The matches of every rule indexed for the item's key: bars, grants, honoured legal
    exceptions and notices (rules that do not apply are left out of bars and notices)."""
    key = (sc.action, sc.subject, item)
    bars = [m for m in (match_bar(r, ruleset, sc) for r in ruleset.bar_index.get(key, ())) if m.applies]
    if any(m.standing == Standing.BLOCKS and m.rule.acts is None for m in bars):
        return bars, [], [], []  # nothing can pass a bar on every act
    grants = [match_grant(r, ruleset, sc, item) for r in ruleset.grant_index.get(key, ())]
    honour = [match_honour(r, sc) for r in ruleset.honoured.get(sc.exception, ())] if sc.exception else []
    notices = [m for m in (match_notice(r, sc) for r in ruleset.notice_index.get(key, ())) if m.applies]
    return bars, grants, honour, notices


# ---- the authorizer: combining the matches of one item -------------------------------------------

def combine(ruleset: Ruleset, sc: Scenario, item: str, bars: list[Match], grants: list[Match],
            honour: list[Match], notices: list[Match], *, near_misses: bool = True,
            candidates: tuple | None = None) -> ItemDecision:
    """The decision for one item from its rules' matches (docs/semantics.md §5): a blocking bar
    denies; otherwise the best basis permits, with the obligations of the deciding grants, the
    requirements met and the notices; otherwise deny, saying what was missing."""
    blocking = [m for m in bars if m.standing == Standing.BLOCKS]
    granting = [m for m in grants + honour if m.standing == Standing.GRANTS]
    if blocking:
        # a bar on one act of sharing lets through a share that rests on another (§5.1)
        if all(m.rule.acts is not None for m in blocking):
            granting = [m for m in granting if not any(speaks_of_act(b.rule, act_of(m, sc)) for b in blocking)]
        if any(m.rule.acts is None for m in blocking) or not granting:
            reasons = tuple(_blocking_reason(m, item) for m in blocking)
            rules = [m.rule for m in blocking]
            return ItemDecision(item, Effect.DENY, Basis.NONE, tuple(r.id for r in rules), citations(rules), (),
                                reasons)
    if any(opened_by_legal_exception(m) for m in bars):
        # outside a closed list that a legal exception opened, only that exception permits (§3.2)
        granting = [m for m in granting if m.basis == Basis.LEGAL_EXCEPTION]
    if not granting:
        reasons = [Reason("no_grant", item)]
        if sc.exception and not honour:
            reasons.append(Reason("not_honoured", item, value=sc.exception))
        if near_misses:
            reasons.extend(near_miss_reasons(ruleset, sc, item, candidates=candidates))
        return ItemDecision(item, Effect.DENY, Basis.NONE, (), (), (), tuple(reasons))
    best = min(BASIS_RANK[m.basis] for m in granting)
    reported = BASIS_ORDER[best]
    chosen = [m for m in granting if BASIS_RANK[m.basis] == best]
    deciding = [m.rule for m in chosen]
    acts = {act_of(m, sc) for m in chosen}
    # a requirement or notice written with one act of sharing speaks only of that act
    bars = [m for m in bars if any(speaks_of_act(m.rule, a) for a in acts)]
    notices = [m for m in notices if any(speaks_of_act(m.rule, a) for a in acts)]
    lifted = [m.rule for m in bars if m.standing == Standing.LIFTED]
    excused = [m.rule for m in bars if m.standing == Standing.EXCUSED]
    basis = reported
    if sc.action == Action.COLLECT and basis == Basis.PURPOSE and (lifted or excused):
        # a requirement had to be met: what met it made the collection lawful
        basis = Basis.CONSENT if lifted else Basis.LEGAL_EXCEPTION
    met = [m.rule for m in bars if m.standing in (Standing.EXCUSED, Standing.LIFTED)]
    obligations = [o for r in met for o in r.obligations]
    obligations += [o for r in deciding for o in r.obligations]
    noticed = [m.rule for m in notices]
    obligations += [o for r in noticed for o in r.obligations]
    reasons = [Reason("permitted", item, r.id, r.citation, basis=reported) for r in deciding]
    reasons += [Reason("consent_met", item, r.id, r.citation) for r in lifted]
    reasons += [Reason("exception_met", item, r.id, r.citation, value=sc.exception) for r in excused]
    reasons += [Reason("obligation", item, r.id, r.citation, allowed=r.obligations) for r in noticed]
    used = list({r.id: r for r in deciding + lifted + excused + noticed}.values())
    return ItemDecision(item, Effect.PERMIT, basis, tuple(r.id for r in used), citations(used),
                        tuple(sorted(set(obligations))), tuple(reasons))


def opened_by_legal_exception(m: Match) -> bool:
    """Whether a closed list stands aside for a legal exception alone (not for consent): what
    falls outside the list is then permitted on that exception, not on the grants the list
    closes (docs/semantics.md §3.2)."""
    return (m.standing == Standing.EXCEPTED and m.rule.kind == RuleKind.CLOSED
            and not any(held for code, held in m.exceptions if code == CONSENT))


def speaks_of_act(rule: CompiledRule, act: Verb) -> bool:
    """Whether a bar, requirement or notice speaks of a permit resting on ``act``: one written
    with ``shared with``, ``entrusted to`` or ``provided to`` speaks of that act only, any other
    of every act of the actions it reaches (docs/semantics.md §5.1)."""
    return rule.acts is None or act in rule.acts


def act_of(m: Match, sc: Scenario) -> Verb:
    """The legal act a granting match rests on: its grant's verb; for an honoured legal
    exception, on a share, third-party provision (the exceptions of APPI Art. 27(1))."""
    if m.rule.kind == RuleKind.HONOUR:
        return Verb.PROVIDE if sc.action == Action.SHARE else Verb.ANY
    return m.rule.verb


def _blocking_reason(m: Match, item: str) -> Reason:
    rule = m.rule
    if rule.kind == RuleKind.REQUIREMENT:
        return Reason("consent_required", item, rule.id, rule.citation)
    if rule.kind == RuleKind.CLOSED:
        miss = m.outside[0]
        return Reason("outside_closed_list", item, rule.id, rule.citation, dimension=miss.part, value=miss.asked,
                      allowed=miss.allowed, exceptions=rule.exceptions)
    return Reason("prohibited", item, rule.id, rule.citation, exceptions=rule.exceptions)


def citations(rules: Iterable[CompiledRule]) -> tuple[str, ...]:
    """The clauses of rules, each once, in order."""
    return tuple(dict.fromkeys(r.citation for r in rules if r.citation))


def near_miss_candidates(ruleset: Ruleset, action: str, subject: str, item: str) -> tuple[tuple, ...]:
    """The unconditional grants (closed lists read as grants included) of ``action`` that can be
    a near miss for a scenario with this key, in rule order, each with the part it already
    misses by item or subject (or None): a rule that misses on both can never be one."""
    vocab = ruleset.vocabulary
    out = []
    for rule in ruleset.rules:
        if rule.kind not in (RuleKind.GRANT, RuleKind.CLOSED) or action not in rule.actions or rule.conditions:
            continue
        misses = []
        if item not in vocab.down(rule.written["items"]):
            misses.append(Miss(Dimension.ITEM, item, rule.written["items"]))
        subjects = rule.written["subjects"]  # empty: any subject
        if subjects and subject not in vocab.down(subjects):
            misses.append(Miss(Dimension.SUBJECT, subject, subjects))
        if len(misses) <= 1:
            out.append((rule, misses[0] if misses else None))
    return tuple(out)


def near_miss_reasons(ruleset: Ruleset, sc: Scenario, item: str, limit: int = NEAR_MISSES,
                      candidates: tuple | None = None) -> list[Reason]:
    """Unconditional grants (closed lists read as grants included) that reach the scenario on
    every part but one, in rule order, up to ``limit``: what a default deny says was missing.
    ``candidates`` are :func:`near_miss_candidates` for the scenario's key, when known."""
    if candidates is None:
        candidates = near_miss_candidates(ruleset, sc.action, sc.subject, item)
    found: list[Reason] = []
    for rule, static in candidates:
        misses = list(grant_outside(rule, ruleset, sc, item))
        if static is not None:
            misses.append(static)
        if len(misses) == 1:
            miss = misses[0]
            # a static miss was found for the key's representative: name this scenario's own term
            miss_value = item if miss.part == Dimension.ITEM else sc.subject if miss.part == Dimension.SUBJECT \
                else miss.asked
            found.append(Reason("near_miss", item, rule.id, rule.citation, dimension=miss.part, value=miss_value,
                                allowed=tuple(miss.allowed)))
            if len(found) >= limit:
                break
    return found


def decide_item(ruleset: Ruleset, sc: Scenario, item: str, near_misses: bool = True,
                candidates: tuple | None = None) -> ItemDecision:
    """Decide one data item of a scenario by full evaluation of the rules indexed for it: the
    specification the decision tables (:mod:`coopcheck.core.tables`) cache. ``candidates``:
    the key's :func:`near_miss_candidates`, when known."""
    return combine(ruleset, sc, item, *matches(ruleset, sc, item), near_misses=near_misses,
                   candidates=candidates)


def written(rule: CompiledRule, part: Dimension) -> tuple[str, ...]:
    """The ids a rule wrote for one part of a scenario (empty: any)."""
    return rule.written[WRITTEN_KEY[part]]
