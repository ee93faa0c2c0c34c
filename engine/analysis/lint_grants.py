"""``coopcheck lint``'s analyses of a file's rules against the rest of the rule set: rules that
repeat an earlier one (W602), grants that can never permit (W605), grants wholly covered by another (W606), and
closed lists that contradict a grant (W607). They ask :mod:`coopcheck.core.semantics` what a
rule means; none restates it.

The vocabulary is finite, so :func:`dead_grants` decides by enumerating the scenarios a grant
covers (one per class of recipients and purposes that no rule involved tells apart, stopping
at the first the grant permits); the others compare term sets.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic

from coopcheck.core.kinds import Standing
from coopcheck.core.partition import partition
from coopcheck.core.ruleset import ANY_EXCEPTION, CONSENT, CompiledRule, Ruleset
from coopcheck.core.scenario import Scenario
from coopcheck.core.semantics import VERB_BASIS, grant_basis, match_bar, speaks_of_act
from coopcheck.analysis.lint_locations import RULE_NOUNS, LintFile, and_list, where

#: Scenarios :func:`dead_grants` tries per grant before it gives up (and reports nothing).
DEAD_GRANT_BUDGET = 100_000


# ---- W602 duplicate rules -------------------------------------------------------------------

def _meaning(rule: CompiledRule) -> tuple:
    """What a rule says, without where it is or which clause it cites."""
    return (rule.kind, rule.verb, tuple(sorted((k, tuple(v)) for k, v in rule.written.items())),
            rule.declared_purposes, rule.conditions, rule.exceptions, rule.needs,
            tuple(sorted(rule.obligations)), rule.managed_by)


def duplicate_pairs(ruleset: Ruleset, module: ast.Module) -> list[tuple[CompiledRule, CompiledRule]]:
    """``(later, first)`` for every rule of the file that repeats an earlier one."""
    seen: dict[tuple, CompiledRule] = {}
    pairs = []
    for rule in LintFile(module, "").rules(ruleset):
        key = _meaning(rule)
        if key in seen:
            pairs.append((rule, seen[key]))
        else:
            seen[key] = rule
    return pairs


def duplicate_rules(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W602: a rule that repeats an earlier rule of the same file (citations aside)."""
    f = LintFile(module, source)
    out = []
    for rule, first in duplicate_pairs(ruleset, module):
        noun = RULE_NOUNS[rule.kind]
        cited = "" if rule.clause == first.clause else f", citing [{first.clause}] where this cites [{rule.clause}]"
        out.append(f.diagnostic(
            Code.W602, f"this {noun} repeats the {noun} at {where(first, module.path)}{cited}", f.span(rule),
            "remove one of them; if both clauses say the same, keep one rule and explain the other "
            "clause in the inventory, or allow W602 with the reason"))
    return out


# ---- W605 grants that can never permit ------------------------------------------------------

def _blocks(bar: CompiledRule, ruleset: Ruleset, sc: Scenario) -> bool:
    """Whether a bar indexed for the scenario denies it."""
    return match_bar(bar, ruleset, sc).standing == Standing.BLOCKS


def _representatives(values: list, sets: list) -> list:
    """One value per class of ``values`` that the same ``sets`` (None: every value) contain:
    values no rule tells apart decide alike, so one of each class is enough to try."""
    return [members[0] for members in partition(values, sets)]


def _points(rule: CompiledRule, ruleset: Ruleset) -> Iterator[tuple[str, str, str, str | None, str]]:
    """``(action, subject, item, recipient, purpose)`` for every scenario a grant's terms
    cover, up to recipients and purposes that no rule involved tells apart."""
    vocab = ruleset.vocabulary
    subjects = sorted(rule.subjects) if rule.subjects is not None else vocab.of_kind("subject")
    items = sorted(rule.items) if rule.items is not None else vocab.of_kind("item")
    purposes = sorted(rule.purposes) if rule.purposes is not None else vocab.of_kind("purpose")
    for action in sorted(rule.actions):
        if action == "share":
            recipients = sorted(rule.recipients) if rule.recipients is not None else vocab.of_kind("party")
        elif action == "publish":
            recipients = ["public"] if "public" in vocab.terms else [None]
        else:
            recipients = [None]
        for subject in subjects:
            for item in items:
                bars = ruleset.bar_index.get((action, subject, item), ())
                told = list(bars)
                if rule.declared_purposes:  # declared purposes depend on the bars on use too
                    told += ruleset.bar_index.get(("use", subject, item), ())
                p_sets = [b.purposes for b in told] + [ruleset.declared.get((subject, item), frozenset())]
                r_sets = [b.recipients for b in bars]
                for recipient in _representatives(recipients, r_sets) if len(recipients) > 1 else recipients:
                    for purpose in _representatives(purposes, p_sets):
                        yield action, subject, item, recipient, purpose


def never_permits(rule: CompiledRule, ruleset: Ruleset, budget: int = DEAD_GRANT_BUDGET):
    """Whether a grant can never permit, as ``(applies, blockers)``; None when it permits
    some scenario (or the search ran out of ``budget``).

    Consent is given and each legal exception is claimed in turn: neither ever makes a
    grant apply less or a bar deny more, so a grant that permits nothing in those states
    permits nothing at all. ``applies`` says whether the grant applied anywhere (its
    conditions and declared purposes allow it); ``blockers`` counts the bars that denied.
    """
    states = ruleset.vocabulary.of_kind("exception") or [None]
    applies = False
    blockers: Counter = Counter()
    for n, (action, subject, item, recipient, purpose) in enumerate(_points(rule, ruleset)):
        if n >= budget:
            return None
        bars = ruleset.bar_index.get((action, subject, item), ())
        fewest = None
        for exc in states:
            sc = Scenario(action, (item,), purpose, subject, recipient, True, exc, ruleset.coop)
            if grant_basis(rule, ruleset, sc, item) is None:
                continue
            applies = True
            found = [b for b in bars if speaks_of_act(b, rule.verb) and _blocks(b, ruleset, sc)]
            if not found:
                return None
            if fewest is None or len(found) < len(fewest):
                fewest = found
        if fewest:
            blockers.update(b.id for b in fewest)
    return applies, blockers


def dead_grants(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W605: grants of the file that permit no scenario at all."""
    f = LintFile(module, source)
    by_id = {r.id: r for r in ruleset.rules}
    out = []
    for rule in f.rules(ruleset):
        if rule.kind != "grant":
            continue
        verdict = never_permits(rule, ruleset)
        if verdict is None:
            continue
        applies, blockers = verdict
        if applies:
            named = [by_id[rid] for rid, _ in blockers.most_common(3)]
            what = ", ".join(f"the {RULE_NOUNS[b.kind]} at {where(b, module.path)}" for b in named)
            message = f"grant can never permit: {what} always {'overrides' if len(named) == 1 else 'override'} it"
            help_ = ("give the bar an exception the scenario can meet (`unless consent`), narrow it, "
                     "or remove the grant")
        elif rule.declared_purposes:
            message = ("grant can never permit: no purpose is declared for its items and subjects, so "
                       "`any declared purpose` is empty")
            help_ = "declare a purpose of use for these items and subjects, or name the purposes"
        elif ANY_EXCEPTION in rule.conditions and not ruleset.honoured:
            message = ("grant can never permit: its condition `a legal exception` never holds, the "
                       "policy honours no legal exception")
            help_ = "add `honour legal exceptions: ...`, or change the condition"
        else:
            message = "grant can never permit: it applies to no scenario"
            help_ = "check its terms and conditions"
        out.append(f.diagnostic(Code.W605, message, f.span(rule), help_))
    return out


# ---- W606 redundant grants ------------------------------------------------------------------

def _covers(outer: frozenset | None, inner: frozenset | None) -> bool:
    """Whether a term set (None: any) contains another."""
    return outer is None or (inner is not None and inner <= outer)


def _implied(code: str, others: tuple[str, ...], ruleset: Ruleset) -> bool:
    """Whether condition ``code`` holding makes one of ``others`` hold."""
    if code in others:
        return True
    return code not in (CONSENT, ANY_EXCEPTION) and ANY_EXCEPTION in others and code in ruleset.honoured


def covers(outer: CompiledRule, inner: CompiledRule, ruleset: Ruleset) -> bool:
    """Whether grant ``outer`` permits, on the same basis and with at least the same
    obligations, every scenario grant ``inner`` permits."""
    if outer.verb != inner.verb or bool(outer.conditions) != bool(inner.conditions):
        return False
    if not (_covers(outer.items, inner.items) and _covers(outer.subjects, inner.subjects)
            and _covers(outer.recipients, inner.recipients)):
        return False
    if outer.declared_purposes:
        if not inner.declared_purposes:
            return False  # which purposes are declared depends on the scenario: not compared
    elif inner.declared_purposes:
        if outer.purposes is not None:
            return False
    elif not _covers(outer.purposes, inner.purposes):
        return False
    if not all(_implied(c, outer.conditions, ruleset) for c in inner.conditions):
        return False
    return set(inner.obligations) <= set(outer.obligations)


def redundant_grants(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W606: a grant wholly covered by another grant of the same file, same basis.

    Only grants of one file are compared: a policy may restate a grant of an imported module
    (the law baseline) so that its decisions cite the co-op's own clause, and a closed list
    restating the purposes its clauses grant one by one is how a purpose list is closed.
    Two grants that say the same are reported once, at the later one (or as W602).
    """
    f = LintFile(module, source)
    grants = [r for r in f.rules(ruleset) if r.kind == "grant"]
    duplicates = {(a.id, b.id) for a, b in duplicate_pairs(ruleset, module)}
    out = []
    for inner in grants:
        for outer in grants:
            if outer is inner or (inner.id, outer.id) in duplicates or (outer.id, inner.id) in duplicates:
                continue
            if not covers(outer, inner, ruleset):
                continue
            if covers(inner, outer, ruleset) and inner.line < outer.line:
                continue  # the same in effect: reported at the later one
            basis = "consent or legal_exception" if inner.conditions else VERB_BASIS[inner.verb]
            out.append(f.diagnostic(
                Code.W606, f"grant is wholly covered by the grant at {where(outer, module.path)}, on the "
                f"same basis (`{basis}`): that grant permits everything this one does",
                f.span(inner), "remove this grant, or narrow the other; if both clauses must stay "
                "cited, allow W606 with the reason"))
            break
    return out


# ---- W607 closed lists that contradict grants -----------------------------------------------

def _lifted_by(grant: CompiledRule, closed: CompiledRule, ruleset: Ruleset) -> bool:
    """Whether every way the grant applies also meets one of the closed list's exceptions."""
    return bool(grant.conditions) and all(_implied(c, closed.exceptions, ruleset) for c in grant.conditions)


def closed_list_conflicts(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W607: a closed list of the file that forbids what a grant about its items gives.

    A grant is *about* the closed list's items when it names one of them (or a narrower
    item) for one of its subjects; a grant about broader terms (``personal data`` when the
    list closes ``photo``) is a general rule the list narrows, which is what closed lists
    are for. A grant that applies only under a condition the list's exceptions also meet
    (``provided that consent is given`` against ``unless consent``) does not conflict.
    """
    f = LintFile(module, source)
    vocab = ruleset.vocabulary
    out = []
    for closed in f.rules(ruleset):
        if closed.kind != "closed":
            continue
        c_items = vocab.down(closed.written["items"])
        c_subjects = vocab.down(closed.written["subjects"]) if closed.written["subjects"] else None
        for grant in sorted(ruleset.rules, key=lambda r: (r.file != module.path, r.module, r.line)):
            if grant is closed or grant.kind not in ("grant", "closed") or not grant.actions & closed.actions:
                continue
            items = [i for i in grant.written["items"] if i in c_items]
            if not items or grant.subjects is None:
                continue
            subjects = [s for s in grant.written["subjects"] if c_subjects is None or s in c_subjects]
            if not subjects or _lifted_by(grant, closed, ruleset):
                continue
            outside = []
            if closed.recipients is not None and grant.verb in ("joint_use", "entrust", "provide"):
                if grant.recipients is None:
                    outside.append("any recipient")
                else:
                    outside += [f"`{r}`" for r in grant.written["recipients"] if r not in closed.recipients]
            if closed.purposes is not None and not grant.declared_purposes:
                if grant.purposes is None:
                    outside.append("any purpose")
                else:
                    outside += [f"`{p}`" for p in grant.written["purposes"] if p not in closed.purposes]
            if not outside:
                continue
            applies = ("applies only " + " or ".join(_condition_words(c) for c in closed.exceptions)
                       if closed.exceptions else "never applies")
            out.append(f.diagnostic(
                Code.W607, f"closed list forbids {and_list(outside)} for {and_list([f'`{i}`' for i in items])}, which "
                f"the {RULE_NOUNS[grant.kind]} at {where(grant, module.path)} gives: that part of it "
                f"{applies}", f.span(closed),
                "add what the grant gives to the closed list, or narrow the grant"))
    return out


def _condition_words(code: str) -> str:
    return {CONSENT: "with consent", ANY_EXCEPTION: "when a legal exception applies"}.get(
        code, f"when `{code}` applies")
