"""``coopcheck desugar``'s output: each rule of a file as it really reads, with its defaults
written out (:mod:`coopcheck.core.desugar`) and what the compiler takes it to mean."""

from __future__ import annotations

from coopcheck.dsl import ast
from coopcheck.dsl.formatter import format_module
from coopcheck.core.desugar import desugar, implied
from coopcheck.core.kinds import RuleKind, Verb
from coopcheck.core.loader import LoadedModule
from coopcheck.core.ruleset import CompiledRule, Ruleset
from coopcheck.core.semantics import VERB_BASIS

#: What each kind of rule is, in words.
KIND_WORDS = {RuleKind.GRANT: "grant", RuleKind.CLOSED: "closed list", RuleKind.PROHIBITION: "prohibition",
              RuleKind.REQUIREMENT: "requirement", RuleKind.HONOUR: "honoured legal exceptions"}
#: The legal act each verb names (docs/semantics.md §3.1).
VERB_WORDS = {Verb.USE: "use for a declared purpose (APPI Art. 17-18)", Verb.COLLECT: "collection (APPI Art. 20)",
              Verb.PUBLISH: "publication", Verb.JOINT_USE: "joint use (APPI Art. 27(5)(iii))",
              Verb.ENTRUST: "entrustment (APPI Art. 27(5)(i))",
              Verb.PROVIDE: "provision to a third party (APPI Art. 27(1))", Verb.DISCLOSE: "any disclosure (joint use, entrustment, provision or publication)",
              Verb.ANY: "any handling"}


def meaning(rule: CompiledRule) -> str:
    """One line: the rule's kind, the legal act, the actions it speaks of and the basis it gives."""
    parts = [KIND_WORDS[rule.kind], VERB_WORDS[rule.verb]]
    parts.append("actions: " + ", ".join(sorted(rule.actions)))
    if rule.kind in (RuleKind.GRANT, RuleKind.CLOSED):
        basis = "consent or a legal exception" if rule.conditions else VERB_BASIS[rule.verb]
        parts.append(f"basis: {basis}")
    return "; ".join(parts)


def render_desugared(loaded: LoadedModule, ruleset: Ruleset, line: int | None = None) -> str:
    """Every rule statement of one loaded file (or the one at ``line``): its id, what it means,
    the statement with its defaults written out, and what the compiler adds."""
    module_rules = {r.line: r for r in ruleset.rules if r.file == loaded.module.path}
    known = ruleset.vocabulary.terms
    out = []
    for stmt in loaded.module.statements:
        if not isinstance(stmt, ast.RULE_TYPES) or stmt.span is None:
            continue
        if line is not None and not stmt.span.line <= line <= stmt.span.end_line:
            continue
        rule = module_rules.get(stmt.span.line)
        if rule is None:
            continue
        text = format_module(ast.Module(loaded.module.path, (desugar(stmt, known),))).rstrip("\n")
        out.append(f"{rule.id}  {meaning(rule)}")
        out.extend("    " + t for t in text.split("\n"))
        out.extend("    - " + note for note in implied(rule.kind, rule.verb, rule.actions, rule.needs))
        out.append("")
    return "\n".join(out)
