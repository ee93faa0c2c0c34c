"""Rule-set analyses for ``coopcheck lint``: pure functions over a compiled
:class:`~coopcheck.core.ruleset.Ruleset` and the syntax tree of one of its files.

Each function returns located :class:`~coopcheck.dsl.errors.Diagnostic` objects about the statements
of *that* file (its path is ``module.path``, the name its spans and compiled rules carry);
the rules it imports are the context, analysed when their own file is linted. The checks:

- :func:`duplicate_rules` (W602): a rule that says exactly what an earlier rule of the file
  says (citations aside);
- :func:`duplicate_metadata` (W603): a single-valued metadata key set twice;
- :func:`joint_use_gaps` (W604): a joint use that does not make known what APPI Art.
  27(5)(iii) requires: the items, the scope of joint users, the purposes, the responsible
  party's name, address and representative;
- :func:`dead_grants` (W605): a grant that can never permit, because in every scenario it
  covers a bar (prohibition, closed list, consent requirement) without a satisfiable
  exception denies, or because it applies to no scenario at all;
- :func:`redundant_grants` (W606): a grant wholly covered by another grant of the same file
  with the same basis;
- :func:`closed_list_conflicts` (W607): a closed list that forbids a purpose or recipient a
  grant about (some of) its items and subjects gives;
- :func:`unused_terms` (W601): declared terms that no rule or test case uses;
- :func:`split_terms` (W609): words split into terms at a keyword where the whole names a term;
- :func:`disclosure_bars_on_own_sharing` (W610): a bar on any disclosure that also stops a
  joint use or entrustment the policy grants;
- :func:`bars_without_subject` (W611): a prohibition or consent requirement without ``of``;
- :func:`exceptions_that_permit_nothing` (W612): ``unless EXCEPTION`` on a bar where nothing
  permits on that exception (it is neither honoured nor a grant's condition);

The vocabulary is finite, so :func:`dead_grants` decides by enumerating the scenarios a grant
covers (one per class of recipients and purposes that no rule involved tells apart, stopping
at the first the grant permits); everything else compares term sets.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic, line_of

from coopcheck.core.kinds import RuleKind, Standing, Verb
from coopcheck.core.rejoin import ambiguous_splits
from coopcheck.core.partition import partition
from coopcheck.core.semantics import VERB_BASIS, grant_basis, match_bar
from coopcheck.core.ruleset import ANY_EXCEPTION, CONSENT, CompiledRule, Ruleset
from coopcheck.core.scenario import Scenario
from coopcheck.core.vocabulary import KIND_NAMES

#: Metadata keys that hold one value; setting one twice is a mistake (W603).
SINGLE_META_KEYS = ("name", "short name", "date", "responsible party", "representative",
                    "address", "disclosure fee")

#: Metadata values that record that the source text does not state something.
NOT_STATED = ("not stated", "記載なし", "")

#: Scenarios :func:`dead_grants` tries per grant before it gives up (and reports nothing).
DEAD_GRANT_BUDGET = 100_000

_RULE_NOUNS = {"grant": "grant", "closed": "closed list", "prohibition": "prohibition",
               "requirement": "requirement", "honour": "honour statement"}


# ---- locations ------------------------------------------------------------------------------

def head_span(span: ast.Span, source: str) -> ast.Span:
    """The first line of a statement: from its start to the end of that line's text (a
    trailing comment excluded), so a caret underlines what the author wrote there."""
    text = line_of(source, span.line) or ""
    code = strip_comment(text).rstrip()
    end = span.end_column if span.end_line == span.line else len(code) + 1
    return ast.Span(span.file, span.line, span.column, span.line, max(end, span.column + 1))


def strip_comment(line: str) -> str:
    """``line`` without its ``#`` comment (a ``#`` inside a string or citation is text)."""
    return line[:comment_start(line)] if comment_start(line) is not None else line


def comment_start(line: str) -> int | None:
    """The index of the ``#`` that starts ``line``'s comment, or None."""
    quote = bracket = False
    for i, ch in enumerate(line):
        if quote:
            quote = ch != '"'
        elif bracket:
            bracket = ch != "]"
        elif ch == '"':
            quote = True
        elif ch == "[":
            bracket = True
        elif ch == "#":
            return i
    return None


class _File:
    """The statements of one file, by line, for locating compiled rules."""

    def __init__(self, module: ast.Module, source: str):
        self.module = module
        self.source = source
        self.by_line = {s.span.line: s for s in module.statements if s.span is not None}

    def rules(self, ruleset: Ruleset) -> list[CompiledRule]:
        """The compiled rules written in this file, in line order."""
        return sorted((r for r in ruleset.rules if r.file == self.module.path), key=lambda r: r.line)

    def span(self, rule: CompiledRule) -> ast.Span:
        """Where a rule of this file is reported: the first line of its statement."""
        node = self.by_line.get(rule.line)
        if node is None or node.span is None:
            return ast.Span(self.module.path, rule.line, 1, rule.line, 2)
        return head_span(node.span, self.source)

    def diagnostic(self, code: Code, message: str, span: ast.Span, help: str | None) -> Diagnostic:
        """A diagnostic in this file, its severity its code's (:mod:`coopcheck.dsl.codes`)."""
        return Diagnostic(code, message, span, help, source_line=line_of(self.source, span.line))


def where(rule: CompiledRule, here: str) -> str:
    """How a message names another rule: ``line 12 [clause]`` in the same file, else
    ``file:line [clause]``."""
    place = f"line {rule.line}" if rule.file == here else f"{rule.file}:{rule.line}"
    return f"{place} [{rule.clause}]" if rule.clause else place


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


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
    for rule in _File(module, "").rules(ruleset):
        key = _meaning(rule)
        if key in seen:
            pairs.append((rule, seen[key]))
        else:
            seen[key] = rule
    return pairs


def duplicate_rules(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W602: a rule that repeats an earlier rule of the same file (citations aside)."""
    f = _File(module, source)
    out = []
    for rule, first in duplicate_pairs(ruleset, module):
        noun = _RULE_NOUNS[rule.kind]
        cited = "" if rule.clause == first.clause else f", citing [{first.clause}] where this cites [{rule.clause}]"
        out.append(f.diagnostic(
            Code.W602, f"this {noun} repeats the {noun} at {where(first, module.path)}{cited}", f.span(rule),
            "remove one of them; if both clauses say the same, keep one rule and explain the other "
            "clause in the inventory, or allow W602 with the reason"))
    return out


# ---- W603 duplicate metadata ----------------------------------------------------------------

def duplicate_metadata(module: ast.Module, source: str) -> list[Diagnostic]:
    """W603: a single-valued metadata key (:data:`SINGLE_META_KEYS`) set more than once."""
    f = _File(module, source)
    first: dict[str, ast.Meta] = {}
    out = []
    for meta in module.of_type(ast.Meta):
        if meta.key not in SINGLE_META_KEYS:
            continue
        if meta.key in first:
            out.append(f.diagnostic(Code.W603, f"metadata `{meta.key}` is set twice (first on line "
                                    f"{first[meta.key].span.line})", head_span(meta.span, source),
                                    "keep one line; give several values on it, separated by `,`, "
                                    "only for `revised`, `contact`, `request procedure` and `note`"))
        else:
            first[meta.key] = meta
    return out


# ---- W604 joint use: APPI Art. 27(5)(iii) ---------------------------------------------------

def _is_root(ruleset: Ruleset, tid: str) -> bool:
    info = ruleset.vocabulary.terms.get(tid)
    return info is not None and info.parent is None


def _is_the_coop(ruleset: Ruleset, managed_by: str) -> bool:
    """Whether a ``managed by`` names the co-op whose policy this is."""
    if managed_by == ruleset.coop:
        return True
    names = {v for k in ("name", "short name", "responsible party") for v in ruleset.meta.get(k, ())}
    info = ruleset.vocabulary.terms.get(ruleset.coop or "")
    if info is not None:
        names |= {n for n in (info.label, *info.aliases) if n}
    return managed_by in names


def _stated(ruleset: Ruleset, key: str) -> bool:
    values = ruleset.meta.get(key, ())
    return any(v.strip().lower() not in NOT_STATED for v in values)


def joint_use_missing(ruleset: Ruleset, rule: CompiledRule) -> list[str]:
    """What a joint-use grant leaves out of what APPI Art. 27(5)(iii) requires the co-op to
    make known, each as a short phrase; empty when nothing is missing.

    Address and representative come from the policy metadata (``address:``,
    ``representative:``) when the responsible party is the co-op itself; for another party
    the language has no place to record them, so they count as missing.
    """
    missing = []
    roots = [i for i in rule.written["items"] if _is_root(ruleset, i)]
    if roots:
        missing.append(f"the items ({_ids(roots)} is every item)")
    recipients = rule.written["recipients"]
    if not recipients:
        missing.append("the scope of joint users (`anyone` is not a named list)")
    elif any(_is_root(ruleset, r) for r in recipients):
        missing.append(f"the scope of joint users ({_ids(r for r in recipients if _is_root(ruleset, r))} "
                       "is not a named list)")
    if rule.declared_purposes:
        missing.append("the purposes (`any declared purpose` is not specific)")
    elif rule.purposes is None:
        missing.append("the purposes (`any purpose` is not specific)")
    if rule.managed_by is None:
        missing.append("the responsible party (no `managed by`)")
    elif _is_the_coop(ruleset, rule.managed_by):
        for key in ("address", "representative"):
            if not _stated(ruleset, key):
                how = f"`{key}:` is not stated" if key in ruleset.meta else f"no `{key}:` metadata"
                missing.append(f"the responsible party's {key} ({how})")
    else:
        missing.append(f"the address and representative of `{rule.managed_by}` (recorded only for "
                       "the co-op itself, in its metadata)")
    return missing


_JOINT_USE_FIXES = (
    ("the items", "name the items"),
    ("the scope", "name the joint users"),
    ("the purposes", "name the purposes"),
    ("the responsible party (", "add `managed by` with the responsible party"),
    ("the responsible party's address", "record the co-op's `address:`"),
    ("the responsible party's representative", "record the co-op's `representative:`"),
    ("the address and representative", "the language records them only for the co-op itself, in "
     "its `address:` and `representative:` metadata"),
)


def joint_use_gaps(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W604: joint-use grants of a policy that leave out what Art. 27(5)(iii) requires."""
    if ruleset.coop is None or not isinstance(module.header, ast.PolicyHeader):
        return []
    f = _File(module, source)
    out = []
    for rule in f.rules(ruleset):
        if rule.kind != "grant" or rule.verb != "joint_use":
            continue
        missing = joint_use_missing(ruleset, rule)
        if missing:
            fixes = [fix for part, fix in _JOINT_USE_FIXES if any(m.startswith(part) for m in missing)]
            out.append(f.diagnostic(
                Code.W604, "joint use does not make known what APPI Art. 27(5)(iii) requires: "
                + "; ".join(missing), f.span(rule),
                "; ".join(fixes) + "; if the source text leaves it out, allow W604 with that reason"))
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
            found = [b for b in bars if (b.acts is None or rule.verb in b.acts) and _blocks(b, ruleset, sc)]
            if not found:
                return None
            if fewest is None or len(found) < len(fewest):
                fewest = found
        if fewest:
            blockers.update(b.id for b in fewest)
    return applies, blockers


def dead_grants(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W605: grants of the file that permit no scenario at all."""
    f = _File(module, source)
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
            what = ", ".join(f"the {_RULE_NOUNS[b.kind]} at {where(b, module.path)}" for b in named)
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
    f = _File(module, source)
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
    f = _File(module, source)
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
                Code.W607, f"closed list forbids {_and(outside)} for {_and([f'`{i}`' for i in items])}, which "
                f"the {_RULE_NOUNS[grant.kind]} at {where(grant, module.path)} gives: that part of it "
                f"{applies}", f.span(closed),
                "add what the grant gives to the closed list, or narrow the grant"))
    return out


def _condition_words(code: str) -> str:
    return {CONSENT: "with consent", ANY_EXCEPTION: "when a legal exception applies"}.get(
        code, f"when `{code}` applies")


def _and(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# ---- W601 unused terms ----------------------------------------------------------------------

#: Terms the engine itself relies on: the default data subject, the publication recipient
#: and the obligation a notice requirement attaches.
IMPLICIT_TERMS = ("member", "public", "notify_purpose")


def rule_uses(rule: CompiledRule) -> set[str]:
    """Term ids a compiled rule names."""
    used = {t for ids in rule.written.values() for t in ids}
    used |= {c for c in rule.conditions + rule.exceptions if c not in (CONSENT, ANY_EXCEPTION)}
    used |= set(rule.obligations)
    if rule.managed_by:
        used.add(rule.managed_by)
    return used


def ruleset_uses(ruleset: Ruleset, files: Iterable[str] | None = None) -> set[str]:
    """Term ids named by the rules of ``files`` (display paths; all when None), and the
    co-op a policy is about."""
    wanted = None if files is None else set(files)
    used = {t for r in ruleset.rules if wanted is None or r.file in wanted for t in rule_uses(r)}
    if ruleset.coop:
        used.add(ruleset.coop)
    return used


def case_uses(module: ast.Module, ruleset: Ruleset) -> set[str]:
    """Term ids the test cases of a ``.test`` file name (resolved in the target's vocabulary)."""
    vocab = ruleset.vocabulary
    used: set[str] = set()
    if ruleset.coop:
        used.add(ruleset.coop)
    for case in module.of_type(ast.Case):
        sc = case.scenario
        parts = [(t, "item") for t in sc.items] + [(sc.purpose, "purpose"), (sc.subject, "subject"),
                                                   (sc.recipient, "party"), (sc.exception, "exception")]
        for term, kind in parts:
            if term is None:
                continue
            try:
                used.add(vocab.resolve(term.text, kind))
            except LookupError:
                continue
    return used


def unused_terms(ruleset: Ruleset, module: ast.Module, source: str, used: set[str]) -> list[Diagnostic]:
    """W601: terms declared in the file that neither they nor any term under them is in
    ``used``. A term with a used descendant is needed as its parent."""
    f = _File(module, source)
    vocab = ruleset.vocabulary
    needed = set()
    for tid in used | set(IMPLICIT_TERMS):
        needed |= vocab.ancestors.get(tid, frozenset())
    out = []
    for decl in module.of_type(ast.Declaration):
        tid = decl.name.key
        if tid not in vocab.terms or tid in needed:
            continue
        kind = vocab.terms[tid].kind
        out.append(f.diagnostic(
            Code.W601, f"{KIND_NAMES[kind]} `{tid}` is declared but no rule or test case uses it or a "
            "term under it", decl.name.span or head_span(decl.span, source),
            "remove it, or use it; if scenarios need it anyway, allow W601 with the reason"))
    return out


# ---- W609 a term split on a keyword ---------------------------------------------------------

def split_terms(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W609: words the parser split at ``and``, ``or`` or ``of`` into terms, where the whole
    run of words names a term too (``research and development data``). The split reading is
    kept (the compiler joins a split only when its parts name nothing:
    :mod:`coopcheck.core.rejoin`); quoting the words names the one term."""
    vocab = ruleset.vocabulary

    def names(text: str, kind: str) -> bool:
        try:
            vocab.resolve(text, kind)
        except LookupError:
            return False
        return True

    f = _File(module, source)
    lines = source.split("\n")
    out = []
    for stmt in module.of_type(*ast.RULE_TYPES):
        for split in ambiguous_splits(stmt, names, lines):
            read = " and ".join(f"`{t}`" for t in split.read_as)
            out.append(f.diagnostic(
                Code.W609, f"`{split.joined}` is read as {read}, but it also names one term",
                split.span or head_span(stmt.span, source),
                f'did you mean `"{split.joined}"`? Quoted, the words name the one term; if the split is '
                "meant, allow W609 with the reason"))
    return out


# ---- W610 a bar on any disclosure that stops the policy's own joint use or entrustment -------

def _meet(a: frozenset | None, b: frozenset | None) -> bool:
    """Whether two term sets (None: every term) share a term."""
    return a is None or b is None or bool(a & b)


def disclosure_bars_on_own_sharing(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W610: a prohibition or consent requirement on any disclosure (``disclosed to``,
    ``disclosing``) of the file that also reaches a joint use or entrustment the policy
    grants. Under APPI Art. 27(5) neither is a provision to a third party, so a bar meant for
    third-party provision (``provided to``) is the likelier intent."""
    f = _File(module, source)
    out = []
    for bar in f.rules(ruleset):
        if not (bar.is_bar and bar.verb == Verb.DISCLOSE):
            continue
        reached = [g for g in ruleset.rules
                   if g.kind == RuleKind.GRANT and g.verb in (Verb.JOINT_USE, Verb.ENTRUST) and g.module == bar.module
                   and all(_meet(x, y) for x, y in ((bar.items, g.items), (bar.subjects, g.subjects),
                                                     (bar.recipients, g.recipients), (bar.purposes, g.purposes)))]
        if not reached:
            continue
        named = ", ".join(f"the {'joint use' if g.verb == Verb.JOINT_USE else 'entrustment'} at "
                          f"{where(g, module.path)}" for g in reached[:3])
        more = f" and {len(reached) - 3} more" if len(reached) > 3 else ""
        out.append(f.diagnostic(
            Code.W610, f"this bar on any disclosure also stops {named}{more}", f.span(bar),
            "joint use and entrustment are not provision to a third party (APPI Art. 27(5)); to bar "
            "third-party provision only, write `provided to` (`providing`); if every disclosure is meant, "
            "allow W610 with the reason"))
    return out


# ---- W611 a bar without `of` ------------------------------------------------------------------

def bars_without_subject(module: ast.Module, source: str) -> list[Diagnostic]:
    """W611: a prohibition or consent requirement that names no data subject. Like every
    statement without ``of`` it speaks of members only (docs/semantics.md §4.1), which for a
    restriction is easy to misread as "everyone"."""
    f = _File(module, source)
    out = []
    for stmt in module.of_type(ast.Prohibition, ast.Requirement):
        if stmt.subjects is not None or (isinstance(stmt, ast.Requirement) and "consent" not in stmt.needs):
            continue
        noun = "prohibition" if isinstance(stmt, ast.Prohibition) else "consent requirement"
        out.append(f.diagnostic(
            Code.W611, f"this {noun} names no data subject, so it binds members' data only",
            stmt.items.span or head_span(stmt.span, source),
            "write `of anyone` to bind every data subject's data, or `of members` to say it "
            "(`coopcheck fmt --explicit-subjects` writes it out)"))
    return out


# ---- W612 an exception that lifts a bar but permits nothing -----------------------------------

def exceptions_that_permit_nothing(ruleset: Ruleset, module: ast.Module, source: str) -> list[Diagnostic]:
    """W612: a bar of the file whose ``unless`` names a legal exception the policy neither
    honours nor names in any grant's condition. Claiming it lifts the bar, but no rule then
    gives a basis, so the scenario is denied anyway: ``unless by law`` without ``honour legal
    exceptions: by law`` reads as a promise the policy does not keep."""
    f = _File(module, source)
    granted = {c for r in ruleset.rules for c in r.conditions}  # honour lines and grant conditions
    out = []
    for bar in f.rules(ruleset):
        if not bar.is_bar:
            continue
        idle = [c for c in bar.exceptions if c not in (CONSENT, ANY_EXCEPTION) and c not in granted]
        if not idle:
            continue
        names = _and([f"`{c}`" for c in idle])
        out.append(f.diagnostic(
            Code.W612, f"claiming {names} lifts this {_RULE_NOUNS[bar.kind]}, but no rule permits on it, "
            "so such a scenario is denied anyway", f.span(bar),
            f"if the co-op relies on it, add `honour legal exceptions: {idle[0].replace('_', ' ')}`; "
            "otherwise leave it out of `unless`"))
    return out


#: The analyses of one compiled file, by name, in the order ``coopcheck lint`` and the
#: language server run them: each takes ``(ruleset, module, source)``. (W601 is judged over a
#: whole run, the policy with its tests, and is not among them.)
FILE_ANALYSES = (
    ("duplicate_rules", duplicate_rules),
    ("duplicate_metadata", lambda rs, module, source: duplicate_metadata(module, source)),
    ("joint_use_gaps", joint_use_gaps),
    ("dead_grants", dead_grants),
    ("redundant_grants", redundant_grants),
    ("closed_list_conflicts", closed_list_conflicts),
    ("split_terms", split_terms),
    ("disclosure_bars_on_own_sharing", disclosure_bars_on_own_sharing),
    ("bars_without_subject", lambda rs, module, source: bars_without_subject(module, source)),
    ("exceptions_that_permit_nothing", exceptions_that_permit_nothing),
)
