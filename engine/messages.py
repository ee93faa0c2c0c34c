"""Sentences for decision reasons, with the Japanese label beside each id."""

from __future__ import annotations

BASIS_WORDS = {
    "en": {"purpose": "a declared purpose of use", "joint_use": "joint use",
           "entrustment": "entrustment", "legal_exception": "a legal exception",
           "consent": "the data subject's consent", "none": "no legal basis", "mixed": "mixed bases"},
}
ACTION_WORDS = {"use": "using", "collect": "collecting", "share": "sharing", "publish": "publishing"}
DIMENSION_WORDS = {"item": "data item", "subject": "data subject", "recipient": "recipient",
                   "purpose": "purpose", "condition": "condition"}


def _t(decision, tid: str | None) -> str:
    if tid is None:
        return "—"
    vocab = decision.vocabulary
    label = vocab.label(tid) if vocab is not None else None
    return f"`{tid}` ({label})" if label else f"`{tid}`"


def _rule(reason) -> str:
    if reason.citation:
        return f"{reason.rule} [{reason.citation}]"
    return reason.rule or "—"


def _list(decision, ids) -> str:
    return ", ".join(_t(decision, i) for i in ids) if ids else "anything"


def _cond(decision, code: str) -> str:
    if code == "consent":
        return "consent"
    if code == "*":
        return "a legal exception the co-op honours"
    return _t(decision, code)


def render_reason(reason, decision, lang: str = "en") -> str:
    """One reason as a sentence (English; Japanese arrives with the bilingual issue)."""
    sc = decision.scenario
    item = _t(decision, reason.item)
    code = reason.code
    if code == "permitted":
        how = BASIS_WORDS["en"][reason.basis]
        if reason.basis == "joint_use":
            how = f"joint use with {_t(decision, sc.recipient)}"
        elif reason.basis == "entrustment":
            how = f"entrustment to {_t(decision, sc.recipient)}"
        elif reason.basis == "legal_exception":
            how = f"the legal exception {_t(decision, sc.exception)}"
        elif reason.basis == "purpose":
            how = f"a declared purpose, {_t(decision, sc.purpose)}"
        return f"{item}: permitted on {how} — rule {_rule(reason)}"
    if code == "consent_met":
        return f"{item}: rule {_rule(reason)} requires consent, and consent was given"
    if code == "obligation":
        return f"{item}: rule {_rule(reason)} adds the obligation {_list(decision, reason.allowed)}"
    if code == "prohibited":
        if reason.exceptions:
            unless = " or ".join(_cond(decision, e) for e in reason.exceptions)
            return f"{item}: denied — prohibited by rule {_rule(reason)} unless {unless}, which does not hold"
        return f"{item}: denied — prohibited outright by rule {_rule(reason)}"
    if code == "consent_required":
        return f"{item}: denied — rule {_rule(reason)} requires consent, which was not given"
    if code == "outside_closed_list":
        return (f"{item}: denied — rule {_rule(reason)} allows only {_list(decision, reason.allowed)} "
                f"for this; {DIMENSION_WORDS[reason.dimension]} {_t(decision, reason.value)} is outside it")
    if code == "no_grant":
        target = f" with {_t(decision, sc.recipient)}" if sc.action == "share" else ""
        return (f"{item}: denied — no rule permits {ACTION_WORDS[sc.action]} it{target} for "
                f"{_t(decision, sc.purpose)} (data subject {_t(decision, sc.subject)})")
    if code == "near_miss":
        return (f"{item}: rule {_rule(reason)} matches all but the {DIMENSION_WORDS[reason.dimension]}: "
                f"{_t(decision, reason.value)} is not within {_list(decision, reason.allowed)}")
    if code == "not_honoured":
        return f"the co-op does not honour the legal exception {_t(decision, reason.value)}"
    if code == "consent_would_permit":
        return "with the data subject's consent this would be permitted"
    return code  # pragma: no cover
