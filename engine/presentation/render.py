"""Human-readable text for decisions, in English or Japanese: a verdict, its basis,
reasons and citations, with Japanese labels beside the ids."""

from __future__ import annotations

from wcwidth import wcswidth

from coopcheck.core.decision import Decision
from coopcheck.presentation.wording import BASIS_WORDS, reason_texts, term

HEADINGS = {
    "en": {"PERMIT": "PERMIT", "DENY": "DENY", "coop": "co-op", "basis": "basis",
           "obligations": "obligations", "consent": "with consent", "because": "because",
           "cited": "cited", "rules": "rules", "yes": "yes — consent would turn this into a permit",
           "no": "no — consent alone would not permit this", "of": "of", "with": "with", "for": "for",
           "with_consent": "with consent", "claiming": "claiming",
           "table": ["co-op", "decision", "basis", "obligations", "clauses", "permit with consent?"],
           "table_yes": "yes", "table_no": "no", "closest": "closest:"},
    "ja": {"PERMIT": "許可", "DENY": "不許可", "coop": "生協", "basis": "根拠",
           "obligations": "義務", "consent": "同意があれば", "because": "理由",
           "cited": "根拠条項", "rules": "ルール", "yes": "許可される", "no": "同意だけでは許可されない",
           "of": "本人:", "with": "提供先:", "for": "目的:", "with_consent": "本人同意あり",
           "claiming": "援用する例外:",
           "table": ["生協", "判定", "根拠", "義務", "根拠条項", "同意があれば許可?"],
           "table_yes": "はい", "table_no": "いいえ", "closest": "最も近い条項:"},
}
ACTIONS_JA = {"use": "利用", "collect": "取得", "share": "提供", "publish": "掲載・公表"}


def scenario_line(decision: Decision, lang: str = "en") -> str:
    """``share purchase_history (購買履歴) with jccu (…) for delivery (…)``."""
    h = HEADINGS[lang]
    sc = decision.scenario

    def t(tid):
        return term(decision, tid, lang).replace("`", "")

    parts = [ACTIONS_JA[sc.action] if lang == "ja" else sc.action, ", ".join(t(i) for i in sc.items)]
    if sc.subject != "member":
        parts.append(f"{h['of']} {t(sc.subject)}")
    if sc.action == "share":
        parts.append(f"{h['with']} {t(sc.recipient)}")
    parts.append(f"{h['for']} {t(sc.purpose)}")
    if sc.consent:
        parts.append(h["with_consent"])
    if sc.exception:
        parts.append(f"{h['claiming']} {t(sc.exception)}")
    return " ".join(parts)


def basis_text(basis: str) -> str:
    """``joint_use (共同利用)``."""
    return f"{basis} ({BASIS_WORDS['ja'][basis]})" if basis in BASIS_WORDS["ja"] else basis


def render_decision(decision: Decision, coop_name: str | None = None, lang: str = "en") -> str:
    """A full verdict for one co-op."""
    h = HEADINGS["ja" if lang == "ja" else "en"]
    lang = "ja" if lang == "ja" else "en"
    if coop_name is None and decision.vocabulary is not None and decision.coop:
        coop_name = decision.vocabulary.label(decision.coop)
    verdict = h["PERMIT"] if decision.permitted else h["DENY"]
    who = f"{decision.coop} ({coop_name})" if coop_name else str(decision.coop)
    width = 2 + max(wcswidth(h[k]) for k in ("coop", "basis", "obligations", "consent", "rules"))

    def row(key: str, value: str) -> str:
        label = h[key] + ":"
        return f"  {label}{' ' * (width - wcswidth(label))}{value}"

    basis = (f"{BASIS_WORDS['ja'][decision.basis]} ({decision.basis})" if lang == "ja"
             else f"{basis_text(decision.basis)} — {BASIS_WORDS['en'][decision.basis]}")
    lines = [f"{verdict}  {scenario_line(decision, lang)}", row("coop", who), row("basis", basis)]
    if decision.obligations:
        lines.append(row("obligations", ", ".join(term(decision, o, lang).replace("`", "")
                                                  for o in decision.obligations)))
    if not decision.permitted:
        lines.append(row("consent", h["yes"] if decision.would_permit_with_consent else h["no"]))
    lines.append(f"  {h['because']}:")
    # the consent line above already says what consent would do
    lines.extend(f"    - {text}" for reason, text in zip(decision.reasons, reason_texts(decision, lang))
                 if reason.code != "consent_would_permit")
    if decision.citations:
        lines.append(f"  {h['cited']}:")
        lines.extend(f"    - {c}" for c in decision.citations)
    if decision.rules:
        lines.append(row("rules", ", ".join(decision.rules)))
    return "\n".join(lines)


def render_table(decisions: list[Decision], lang: str = "en", width: int | None = None) -> str:
    """One row per co-op: decision, basis, obligations, clauses, whether consent flips a deny.

    In Japanese every cell is Japanese (the basis and obligations by their labels). With
    ``width`` (the terminal's columns) long cells wrap so the table fits it."""
    ja = lang == "ja"
    h = HEADINGS["ja" if ja else "en"]
    rows = []
    for d in decisions:
        consent = "—" if d.permitted else (h["table_yes"] if d.would_permit_with_consent else h["table_no"])
        verdict = h["PERMIT"] if d.permitted else h["DENY"]
        clauses = "\n".join(d.citations)
        if not clauses:  # a default deny: name the clauses of the grants that came closest
            near = dict.fromkeys(r.citation for r in d.reasons if r.code == "near_miss" and r.citation)
            clauses = "\n".join(f"{h['closest']} {c}" for c in near) or "—"
        if ja:
            coop = (d.vocabulary.label(d.coop) if d.vocabulary is not None and d.coop else None) or d.coop
            basis = BASIS_WORDS["ja"].get(d.basis, d.basis)
            obligations = "\n".join(term(d, o, "ja").split("(")[0].strip("「」") for o in d.obligations) or "—"
        else:
            coop, basis = d.coop, basis_text(d.basis)
            obligations = "\n".join(d.obligations) or "—"
        rows.append([coop, verdict, basis, obligations, clauses, consent])
    from tabulate import tabulate  # imported here: a single verdict needs no table

    import tabulate as tabulate_module

    widths = _column_widths(rows, h["table"], width)
    padding = tabulate_module.MIN_PADDING
    tabulate_module.MIN_PADDING = 0  # headers are wrapped to the widths: no extra room for them
    try:
        return tabulate(rows, headers=h["table"], tablefmt="simple_grid", maxcolwidths=widths,
                        maxheadercolwidths=widths)
    finally:
        tabulate_module.MIN_PADDING = padding


def _column_widths(rows, headers, width: int | None) -> list | None:
    """Widths for the columns so that a ``simple_grid`` table fits ``width`` columns: the
    widest columns give way first; none narrower than its longest word (up to 13), so ids
    such as ``aicoop_miyagi`` are not cut."""
    if not width:
        return None
    cells = [[str(r[i]) for r in rows] for i in range(len(headers))]
    natural = [max([wcswidth(line) for cell in column for line in cell.split("\n")] + [min(wcswidth(h), 10)])
               for column, h in zip(cells, headers)]
    floor = [min(13, max([wcswidth(word) for cell in column for word in cell.split()] + [6])) for column in cells]
    budget = width - (3 * len(headers) + 1)  # "│ " + " │ " between cells + " │"
    widths = list(natural)
    while sum(widths) > budget:
        shrinkable = [k for k in range(len(widths)) if widths[k] > floor[k]]
        if not shrinkable:
            break
        i = max(shrinkable, key=lambda k: widths[k])
        widths[i] -= 1
    return widths
