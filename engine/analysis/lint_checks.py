"""``coopcheck lint``'s per-file analyses, in one list (:data:`FILE_ANALYSES`, run by
``coopcheck lint`` and the language server alike), and the checks of what a file's statements
say on their own:

- :func:`duplicate_metadata` (W603): a single-valued metadata key set twice;
- :func:`joint_use_gaps` (W604): a joint use that does not make known what APPI Art.
  27(5)(iii) requires: the items, the scope of joint users, the purposes, the responsible
  party's name, address and representative;
- :func:`split_terms` (W609): words split into terms at a keyword where the whole names a term;
- :func:`disclosure_bars_on_own_sharing` (W610): a bar on any disclosure that also stops a
  joint use or entrustment the policy grants;
- :func:`bars_without_subject` (W611): a prohibition or consent requirement without ``of``;
- :func:`exceptions_that_permit_nothing` (W612): ``unless EXCEPTION`` on a bar where nothing
  permits on that exception (it is neither honoured nor a grant's condition).

Rules that repeat one another and what grants can do against the rest of the rule set
(W602, W605–W607) are in
:mod:`coopcheck.analysis.lint_grants`; unused terms (W601, judged over a whole run) in
:mod:`coopcheck.analysis.lint_usage`; where diagnostics point, in
:mod:`coopcheck.analysis.lint_locations`.
"""

from __future__ import annotations


from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic

from coopcheck.core.kinds import RuleKind, Verb
from coopcheck.core.rejoin import ambiguous_splits
from coopcheck.core.ruleset import ANY_EXCEPTION, CONSENT, CompiledRule, Ruleset
from coopcheck.analysis.lint_grants import closed_list_conflicts, dead_grants, duplicate_rules, redundant_grants
from coopcheck.analysis.lint_locations import RULE_NOUNS, LintFile, and_list, head_span, ids_text, where

#: Metadata keys that hold one value; setting one twice is a mistake (W603).
SINGLE_META_KEYS = ("name", "short name", "date", "responsible party", "representative",
                    "address", "disclosure fee")

#: Metadata values that record that the source text does not state something.
NOT_STATED = ("not stated", "記載なし", "")


# ---- W603 duplicate metadata ----------------------------------------------------------------

def duplicate_metadata(module: ast.Module, source: str) -> list[Diagnostic]:
    """W603: a single-valued metadata key (:data:`SINGLE_META_KEYS`) set more than once."""
    f = LintFile(module, source)
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
        missing.append(f"the items ({ids_text(roots)} is every item)")
    recipients = rule.written["recipients"]
    if not recipients:
        missing.append("the scope of joint users (`anyone` is not a named list)")
    elif any(_is_root(ruleset, r) for r in recipients):
        missing.append(f"the scope of joint users ({ids_text(r for r in recipients if _is_root(ruleset, r))} "
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
    f = LintFile(module, source)
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

    f = LintFile(module, source)
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
    f = LintFile(module, source)
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
    f = LintFile(module, source)
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
    f = LintFile(module, source)
    granted = {c for r in ruleset.rules for c in r.conditions}  # honour lines and grant conditions
    out = []
    for bar in f.rules(ruleset):
        if not bar.is_bar:
            continue
        idle = [c for c in bar.exceptions if c not in (CONSENT, ANY_EXCEPTION) and c not in granted]
        if not idle:
            continue
        names = and_list([f"`{c}`" for c in idle])
        out.append(f.diagnostic(
            Code.W612, f"claiming {names} lifts this {RULE_NOUNS[bar.kind]}, but no rule permits on it, "
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
