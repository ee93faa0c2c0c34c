"""Deciding a scenario against a compiled ruleset (DESIGN.md, "Semantics").

Per item: (1) every matching bar — prohibition, closed list or consent requirement — denies
unless one of its own exceptions holds; (2) otherwise the grants indexed under the item's
``(action, subject, item)`` key and the honoured legal exceptions give the candidate bases,
and the first in :data:`~coopcheck.core.ruleset.BASIS_ORDER` is reported; (3) nothing -> deny.
A scenario is permitted only if every item is.
"""

from __future__ import annotations

from coopcheck.core.decision import Decision, ItemDecision, Reason
from coopcheck.core.tables import plan_for
from coopcheck.core.ruleset import ANY_EXCEPTION, BASIS_ORDER, CONSENT, VERDICT_LIMIT, CompiledRule, Ruleset
from coopcheck.core.scenario import Scenario

_SHARE_VERBS = ("joint_use", "entrust", "provide")
_VERB_BASIS = {"use": "purpose", "collect": "purpose", "publish": "purpose",
               "joint_use": "joint_use", "entrust": "entrustment", "provide": "consent"}


def _holds(code: str, ruleset: Ruleset, sc: Scenario) -> bool:
    """Whether one condition/exception code holds in the scenario."""
    if code == CONSENT:
        return sc.consent
    if code == ANY_EXCEPTION:
        return sc.exception is not None and sc.exception in ruleset.honoured
    return sc.exception == code


def _bar_matches(rule: CompiledRule, sc: Scenario) -> tuple[str, str] | None | bool:
    """Whether a bar applies (its item and subject already matched through the index).

    For a closed list returns the dimension and value that fall outside it, or None.
    """
    if rule.complement:
        if rule.recipients is not None and sc.recipient not in rule.recipients:
            return ("recipient", sc.recipient)
        if rule.purposes is not None and sc.purpose not in rule.purposes:
            return ("purpose", sc.purpose)
        return None
    if rule.recipients is not None and sc.recipient not in rule.recipients:
        return None
    if rule.purposes is not None and sc.purpose not in rule.purposes:
        return None
    return True


def _bars_use(bar: CompiledRule, purpose: str) -> bool:
    """Whether ``bar`` forbids using an item it covers for ``purpose`` (absent its exceptions)."""
    if bar.recipients is not None and not bar.complement:
        return False  # a bar about recipients says nothing about the co-op's own use
    if bar.complement:
        return bar.purposes is not None and purpose not in bar.purposes
    return bar.purposes is None or purpose in bar.purposes


def _declared(ruleset: Ruleset, sc: Scenario, item: str) -> bool:
    """Whether the scenario's purpose is a declared purpose of use for its subject and item:
    a plain use grant covers it and no bar on that use (a narrower closed list, a
    prohibition, a consent requirement) withholds it in this scenario."""
    if sc.purpose not in ruleset.declared.get((sc.subject, item), ()):
        return False
    for bar in ruleset.bar_index.get(("use", sc.subject, item), ()):
        if not _bars_use(bar, sc.purpose):
            continue
        if any(_holds(e, ruleset, sc) for e in bar.exceptions):
            continue
        if bar.kind == "requirement" and sc.consent:
            continue
        return False
    return True


def _outside(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str):
    """The parts of the scenario a grant's recipients and purposes do not cover, as
    ``(dimension, value, allowed)``; item and subject are matched by the index."""
    if rule.verb in _SHARE_VERBS and rule.recipients is not None and sc.recipient not in rule.recipients:
        yield ("recipient", sc.recipient, rule.written["recipients"])
    if rule.declared_purposes:
        if not _declared(ruleset, sc, item):
            yield ("purpose", sc.purpose, ())
    elif rule.purposes is not None and sc.purpose not in rule.purposes:
        yield ("purpose", sc.purpose, rule.written["purposes"])


def _grant_basis(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str) -> str | None:
    """The basis a grant gives this scenario, or None if it does not apply."""
    if next(_outside(rule, ruleset, sc, item), None) is not None:
        return None
    if sc.action == "collect" and rule.verb == "use" and rule.conditions:
        return None  # only a declared purpose of use makes collection lawful
    if not rule.conditions:
        basis = _VERB_BASIS[rule.verb]
        # provision to a third party rests on consent (a `may only be provided to` list)
        return None if basis == "consent" and not sc.consent else basis
    if any(c != CONSENT and _holds(c, ruleset, sc) for c in rule.conditions):
        return "legal_exception"
    if CONSENT in rule.conditions and sc.consent:
        return "consent"
    return None


def decide_item(ruleset: Ruleset, sc: Scenario, item: str, explain: bool = True) -> ItemDecision:
    """Decide one data item of a scenario by full evaluation of the rules indexed for it
    (the specification the decision tables cache). ``explain=False`` leaves out the
    near-miss scan on a default deny, which reads every rule."""
    key = (sc.action, sc.subject, item)
    blocking: list[Reason] = []
    blockers: list[CompiledRule] = []
    lifted: list[CompiledRule] = []  # consent requirements met by consent
    excused: list[CompiledRule] = []  # requirements set aside by a legal exception
    obligations: list[str] = []
    for rule in ruleset.bar_index.get(key, ()):
        hit = _bar_matches(rule, sc)
        if not hit:
            continue
        if rule.kind == "requirement":
            # set aside by a legal exception; else met by consent; else it blocks
            if any(e != CONSENT and _holds(e, ruleset, sc) for e in rule.exceptions):
                excused.append(rule)
                obligations.extend(rule.obligations)
                continue
            if sc.consent:
                lifted.append(rule)
                obligations.extend(rule.obligations)
                continue
            blocking.append(Reason("consent_required", item, rule.id, rule.citation))
            blockers.append(rule)
            continue
        if any(_holds(e, ruleset, sc) for e in rule.exceptions):
            continue  # one of the bar's own exceptions holds
        if rule.kind == "closed":
            dim, value = hit
            allowed = rule.written["recipients" if dim == "recipient" else "purposes"]
            blocking.append(Reason("outside_closed_list", item, rule.id, rule.citation, dimension=dim,
                                   value=value, allowed=allowed, exceptions=rule.exceptions))
            blockers.append(rule)
        else:
            blocking.append(Reason("prohibited", item, rule.id, rule.citation, exceptions=rule.exceptions))
            blockers.append(rule)
    if blocking:
        return ItemDecision(item, "deny", "none", tuple(r.id for r in blockers),
                            _citations(blockers), (), tuple(blocking))

    candidates: list[tuple[int, CompiledRule]] = []
    for rule in ruleset.grant_index.get(key, ()):
        basis = _grant_basis(rule, ruleset, sc, item)
        if basis is not None:
            candidates.append((BASIS_ORDER.index(basis), rule))
    honour = ruleset.honoured.get(sc.exception, ()) if sc.exception else ()
    for rule in honour:
        candidates.append((BASIS_ORDER.index("legal_exception"), rule))
    if not candidates:
        reasons = [Reason("no_grant", item)]
        if sc.exception and not honour:
            reasons.append(Reason("not_honoured", item, value=sc.exception))
        if explain:
            reasons.extend(_near_misses(ruleset, sc, item))
        return ItemDecision(item, "deny", "none", (), (), (), tuple(reasons))

    best = min(rank for rank, _ in candidates)
    basis = BASIS_ORDER[best]
    deciding = [rule for rank, rule in candidates if rank == best]
    if sc.action == "collect" and basis == "purpose" and (lifted or excused):
        # a requirement had to be met: what met it made the collection lawful
        basis = "consent" if lifted else "legal_exception"
    for rule in deciding:
        obligations.extend(rule.obligations)
    notices = [r for r in ruleset.notice_index.get(key, ()) if _bar_matches(r, sc) is True]
    for rule in notices:
        obligations.extend(rule.obligations)
    reasons = [Reason("permitted", item, r.id, r.citation, basis=BASIS_ORDER[best]) for r in deciding]
    reasons += [Reason("consent_met", item, r.id, r.citation) for r in lifted]
    reasons += [Reason("exception_met", item, r.id, r.citation, value=sc.exception) for r in excused]
    reasons += [Reason("obligation", item, r.id, r.citation, allowed=r.obligations) for r in notices]
    used = list({r.id: r for r in deciding + lifted + excused + notices}.values())
    return ItemDecision(item, "permit", basis, tuple(r.id for r in used), _citations(used),
                        tuple(sorted(set(obligations))), tuple(reasons))


def _citations(rules) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.citation for r in rules if r.citation))


def _near_misses(ruleset: Ruleset, sc: Scenario, item: str, limit: int = 3) -> list[Reason]:
    """Grants that match on every part but one (built only on a deny, so it may scan)."""
    vocab = ruleset.vocabulary
    found: list[Reason] = []
    for rule in ruleset.rules:
        if rule.kind not in ("grant", "closed") or sc.action not in rule.actions or rule.conditions:
            continue
        misses = list(_outside(rule, ruleset, sc, item))
        if item not in vocab.down(rule.written["items"]):
            misses.append(("item", item, rule.written["items"]))
        subjects = rule.written["subjects"]  # empty: any subject
        if subjects and sc.subject not in vocab.down(subjects):
            misses.append(("subject", sc.subject, subjects))
        if len(misses) == 1:
            dim, value, allowed = misses[0]
            found.append(Reason("near_miss", item, rule.id, rule.citation, dimension=dim, value=value,
                                allowed=tuple(allowed)))
            if len(found) >= limit:
                break
    return found


def _outcome(ruleset: Ruleset, sc: Scenario, item: str, consent: bool) -> tuple:
    """One item's outcome ``(permitted, basis, rules, citations, obligations)`` from its
    key's decision table, filling the cell by full evaluation on first use."""
    plan = ruleset.plans.get((sc.action, sc.subject, item))
    if plan is None:
        plan = plan_for(ruleset, sc.action, sc.subject, item)
    i = plan.cell(sc.recipient, sc.purpose, consent, sc.exception)
    out = plan.cells[i] if i is not None else None
    if out is None:
        d = decide_item(ruleset, sc if consent == sc.consent else sc.with_consent(), item, explain=False)
        out = (d.permitted, d.basis, d.rules, d.citations, d.obligations)
        if i is not None:
            plan.cells[i] = out
    return out


def permits(ruleset: Ruleset, sc: Scenario) -> bool:
    """Whether the scenario is permitted: the boolean fast path of :func:`decide` (same
    answer, no explanation). Answers are remembered per scenario key (up to
    :data:`~coopcheck.core.ruleset.VERDICT_LIMIT`), else read from the decision tables."""
    verdicts = ruleset.verdicts
    try:
        return verdicts[sc.key]
    except KeyError:
        pass
    answer = _permits_by_tables(ruleset, sc)
    if len(verdicts) < VERDICT_LIMIT:
        verdicts[sc.key] = answer
    return answer


def _permits_by_tables(ruleset: Ruleset, sc: Scenario) -> bool:
    consent = sc.consent
    for item in sc.items:
        plan = ruleset.plans.get((sc.action, sc.subject, item))
        if plan is not None:
            i = plan.cell(sc.recipient, sc.purpose, consent, sc.exception)
            if i is not None:
                out = plan.cells[i]
                if out is not None:
                    if not out[0]:
                        return False
                    continue
        if not _outcome(ruleset, sc, item, consent)[0]:
            return False
    return True


def decide(ruleset: Ruleset, sc: Scenario) -> Decision:
    """Decide a scenario: item by item; permitted only if every item is.

    The effect, basis, obligations, deciding rules and citations come from the decision
    tables; the reasons are worked out when the decision's explanation is first read.
    """
    items = sc.items
    if len(items) == 1:
        permitted, basis, rules, citations, obligations = _outcome(ruleset, sc, items[0], sc.consent)
        if permitted:
            return Decision(ruleset, sc, "permit", basis, obligations, citations, rules, None)
        would = (not sc.consent) and _outcome(ruleset, sc, items[0], True)[0]
        return Decision(ruleset, sc, "deny", "none", (), citations, rules, would)
    results = [_outcome(ruleset, sc, item, sc.consent) for item in items]
    if all(r[0] for r in results):
        bases = {r[1] for r in results}
        basis = bases.pop() if len(bases) == 1 else "mixed"
        obligations = tuple(sorted({o for r in results for o in r[4]}))
        decisive = results
        would = None
    else:
        basis, obligations = "none", ()
        decisive = [r for r in results if not r[0]]
        would = (not sc.consent) and all(_outcome(ruleset, sc, item, True)[0] for item in items)
    rules = tuple(dict.fromkeys(rid for r in decisive for rid in r[2]))
    citations = tuple(dict.fromkeys(c for r in decisive for c in r[3]))
    return Decision(ruleset, sc, "permit" if basis != "none" else "deny", basis, obligations,
                    citations, rules, would)


def explain_items(ruleset: Ruleset, sc: Scenario, would: bool | None) -> tuple:
    """The per-item decisions with their reasons, by full evaluation (near misses included):
    the explanation a :class:`Decision` works out when first asked."""
    results = tuple(decide_item(ruleset, sc, item) for item in sc.items)
    reasons = tuple(reason for r in results for reason in r.reasons)
    if would:
        reasons += (Reason("consent_would_permit"),)
    return results, reasons


# ---- per-part tests for explanations (coopcheck.analysis.explain). decide() does not call these; each
# ---- reuses the private test above so an explanation cannot drift from the decision.

def condition_holds(code: str, ruleset: Ruleset, sc: Scenario) -> bool:
    """Whether one condition or exception code (``consent``, ``*`` or a legal-exception id)
    holds in the scenario."""
    return _holds(code, ruleset, sc)


def grant_basis(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str) -> str | None:
    """The basis a grant indexed for ``(sc.action, sc.subject, item)`` gives, or None."""
    return _grant_basis(rule, ruleset, sc, item)


def bar_hit(rule: CompiledRule, sc: Scenario) -> tuple[str, str] | None | bool:
    """For a bar indexed for the scenario: True (or, for a closed list, the ``(part, value)``
    outside its list) when it applies, else None/False."""
    return _bar_matches(rule, sc)


def grant_parts_outside(rule: CompiledRule, ruleset: Ruleset, sc: Scenario, item: str):
    """Every part of the scenario a grant (or a closed list read as a grant) does not cover,
    as ``(part, asked, allowed)`` in the order item, subject, recipient, purpose, condition.

    Empty exactly when the grant is indexed for ``(sc.action, sc.subject, item)`` and gives a
    basis. ``allowed`` is what the rule wrote; for a condition it is the condition codes, and
    ``asked`` is ``"collect"`` when a conditional use grant cannot make a collection lawful.
    """
    vocab = ruleset.vocabulary
    written = rule.written
    if rule.kind == "closed":  # indexed as a grant by what it lists, not by overlap
        items = vocab.down(written["items"])
        subjects = vocab.down(written["subjects"]) if written["subjects"] else None
    else:
        items, subjects = rule.items, rule.subjects
    out = []
    if sc.action not in rule.actions:
        out.append(("action", sc.action, ()))
    if items is not None and item not in items:
        out.append(("item", item, written["items"]))
    if subjects is not None and sc.subject not in subjects:
        out.append(("subject", sc.subject, written["subjects"]))
    out.extend(_outside(rule, ruleset, sc, item))
    if rule.conditions:
        if sc.action == "collect" and rule.verb == "use":
            out.append(("condition", "collect", rule.conditions))
        elif not any(_holds(c, ruleset, sc) for c in rule.conditions):
            out.append(("condition", None, rule.conditions))
    return out


def bar_parts_outside(rule: CompiledRule, sc: Scenario, item: str):
    """Every part of the scenario outside the terms a bar or notice rule is about, as
    ``(part, asked, written)``; a closed list's own list is not counted (falling outside it
    is what makes it apply). Empty exactly when the rule is indexed for the scenario's key
    and (except for a closed list) its recipients and purposes reach the scenario."""
    written = rule.written
    out = []
    if sc.action not in rule.actions:
        out.append(("action", sc.action, ()))
    if rule.items is not None and item not in rule.items:
        out.append(("item", item, written["items"]))
    if rule.subjects is not None and sc.subject not in rule.subjects:
        out.append(("subject", sc.subject, written["subjects"]))
    if not rule.complement:
        if rule.recipients is not None and sc.recipient not in rule.recipients:
            out.append(("recipient", sc.recipient, written["recipients"]))
        if rule.purposes is not None and sc.purpose not in rule.purposes:
            out.append(("purpose", sc.purpose, written["purposes"]))
    return out
