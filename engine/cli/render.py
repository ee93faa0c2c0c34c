"""Human-readable text for decisions: a verdict, its basis, reasons and citations."""

from __future__ import annotations

from tabulate import tabulate

from ..decision import Decision
from ..messages import BASIS_WORDS

BASIS_JA = {"purpose": "利用目的の範囲内", "joint_use": "共同利用", "entrustment": "委託",
            "legal_exception": "法令上の例外", "consent": "本人の同意", "none": "なし", "mixed": "複数"}


def _term(decision: Decision, tid: str | None) -> str:
    if tid is None:
        return "—"
    label = decision.vocabulary.label(tid) if decision.vocabulary is not None else None
    return f"{tid} ({label})" if label else tid


def scenario_line(decision: Decision) -> str:
    """``share purchase_history (購買履歴) with jccu (…) for delivery (…)``."""
    sc = decision.scenario
    parts = [sc.action, ", ".join(_term(decision, i) for i in sc.items)]
    if sc.subject != "member":
        parts.append(f"of {_term(decision, sc.subject)}")
    if sc.action == "share":
        parts.append(f"with {_term(decision, sc.recipient)}")
    parts.append(f"for {_term(decision, sc.purpose)}")
    if sc.consent:
        parts.append("with consent")
    if sc.exception:
        parts.append(f"claiming {_term(decision, sc.exception)}")
    return " ".join(parts)


def basis_text(basis: str) -> str:
    """``joint_use (共同利用)``."""
    return f"{basis} ({BASIS_JA[basis]})" if basis in BASIS_JA else basis


def render_decision(decision: Decision, coop_name: str | None = None) -> str:
    """A full verdict for one co-op."""
    verdict = "PERMIT" if decision.permitted else "DENY"
    if coop_name is None and decision.vocabulary is not None and decision.coop:
        coop_name = decision.vocabulary.label(decision.coop)
    who = f"{decision.coop} ({coop_name})" if coop_name else str(decision.coop)
    lines = [f"{verdict}  {scenario_line(decision)}", f"  co-op:        {who}",
             f"  basis:        {basis_text(decision.basis)} — {BASIS_WORDS['en'][decision.basis]}"]
    if decision.obligations:
        lines.append("  obligations:  " + ", ".join(_term(decision, o) for o in decision.obligations))
    if not decision.permitted:
        would = "yes — consent would turn this into a permit" if decision.would_permit_with_consent \
            else "no — consent alone would not permit this"
        lines.append(f"  with consent: {would}")
    lines.append("  because:")
    lines.extend(f"    - {text}" for text in decision.reason_texts())
    if decision.citations:
        lines.append("  cited:")
        lines.extend(f"    - {c}" for c in decision.citations)
    if decision.rules:
        lines.append("  rules:        " + ", ".join(decision.rules))
    return "\n".join(lines)


def render_table(decisions: list[Decision]) -> str:
    """One row per co-op: decision, basis, obligations, clauses, whether consent flips a deny."""
    rows = []
    for d in decisions:
        consent = "" if d.permitted else ("yes" if d.would_permit_with_consent else "no")
        rows.append([d.coop, d.decision.upper(), basis_text(d.basis), ", ".join(d.obligations) or "—",
                     "\n".join(d.citations) or "—", consent or "—"])
    return tabulate(rows, headers=["co-op", "decision", "basis", "obligations", "clauses",
                                   "permit with consent?"], tablefmt="simple_grid")
