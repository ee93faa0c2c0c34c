"""``coopcheck lint``'s W601: vocabulary terms that no linted rule or test case uses (judged
over a whole run: a policy with its tests)."""

from __future__ import annotations

from typing import Iterable

from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic

from coopcheck.core.ruleset import ANY_EXCEPTION, CONSENT, CompiledRule, Ruleset
from coopcheck.core.vocabulary import KIND_NAMES
from coopcheck.analysis.lint_locations import LintFile, head_span


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
    f = LintFile(module, source)
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
