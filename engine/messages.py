"""Sentences for decision reasons in English or Japanese, labels beside the ids."""

from __future__ import annotations

LANGS = ("en", "ja")

BASIS_WORDS = {
    "en": {"purpose": "a declared purpose of use", "joint_use": "joint use",
           "entrustment": "entrustment", "legal_exception": "a legal exception",
           "consent": "the data subject's consent", "none": "no legal basis", "mixed": "mixed bases"},
    "ja": {"purpose": "利用目的の範囲内", "joint_use": "共同利用", "entrustment": "委託",
           "legal_exception": "法令上の例外", "consent": "本人の同意", "none": "根拠なし",
           "mixed": "複数の根拠"},
}
ACTION_WORDS = {"en": {"use": "using", "collect": "collecting", "share": "sharing", "publish": "publishing"},
                "ja": {"use": "利用", "collect": "取得", "share": "提供", "publish": "掲載・公表"}}
DIMENSION_WORDS = {"en": {"item": "data item", "subject": "data subject", "recipient": "recipient",
                          "purpose": "purpose"},
                   "ja": {"item": "データ項目", "subject": "本人の区分", "recipient": "提供先",
                          "purpose": "利用目的"}}

TEMPLATES = {
    "en": {
        "permitted": "{item}: permitted on {how} — rule {rule}",
        "how.purpose": "a declared purpose, {purpose}",
        "how.joint_use": "joint use with {recipient}",
        "how.entrustment": "entrustment to {recipient}",
        "how.legal_exception": "the legal exception {exception}",
        "how.consent": "the data subject's consent",
        "consent_met": "{item}: rule {rule} requires consent, and consent was given",
        "exception_met": "{item}: rule {rule} requires consent; the legal exception {value} sets that aside",
        "obligation": "{item}: rule {rule} adds the obligation {allowed}",
        "prohibited": "{item}: denied — prohibited by rule {rule} unless {unless}, which does not hold",
        "prohibited_outright": "{item}: denied — prohibited outright by rule {rule}",
        "consent_required": "{item}: denied — rule {rule} requires consent, which was not given",
        "outside_closed_list": "{item}: denied — rule {rule} allows only {allowed} for this; "
                               "{dimension} {value} is outside it",
        "no_grant": "{item}: denied — no rule permits {action} it{target} for {purpose} (data subject {subject})",
        "target": " with {recipient}",
        "near_miss": "{item}: rule {rule} matches all but the {dimension}: {value} is not within {allowed}",
        "not_honoured": "the co-op does not honour the legal exception {value}",
        "consent_would_permit": "with the data subject's consent this would be permitted",
        "or": " or ", "anything": "anything", "consent": "consent",
        "any_exception": "a legal exception the co-op honours",
    },
    "ja": {
        "permitted": "{item}: {how}により許可 — ルール {rule}",
        "how.purpose": "利用目的 {purpose} の範囲内",
        "how.joint_use": "{recipient} との共同利用",
        "how.entrustment": "{recipient} への委託",
        "how.legal_exception": "法令上の例外 {exception}",
        "how.consent": "本人の同意",
        "consent_met": "{item}: ルール {rule} は本人の同意を要し、同意が得られている",
        "exception_met": "{item}: ルール {rule} は本人の同意を要するが、法令上の例外 {value} により不要",
        "obligation": "{item}: ルール {rule} により {allowed} の義務が生じる",
        "prohibited": "{item}: 不許可 — ルール {rule} により禁止（例外は {unless} のみで、該当しない）",
        "prohibited_outright": "{item}: 不許可 — ルール {rule} により例外なく禁止",
        "consent_required": "{item}: 不許可 — ルール {rule} は本人の同意を要するが、同意がない",
        "outside_closed_list": "{item}: 不許可 — ルール {rule} が認めるのは {allowed} のみで、"
                               "{dimension} {value} は範囲外",
        "no_grant": "{item}: 不許可 — {subject} の当該情報を{target}{purpose} のために{action}することを認めるルールがない",
        "target": "{recipient} へ",
        "near_miss": "{item}: ルール {rule} は{dimension}以外は一致するが、{value} は {allowed} に含まれない",
        "not_honoured": "この生協は法令上の例外 {value} を援用していない",
        "consent_would_permit": "本人の同意があれば許可される",
        "or": "・", "anything": "すべて", "consent": "本人の同意",
        "any_exception": "生協が援用する法令上の例外",
    },
}


def term(decision, tid: str | None, lang: str = "en") -> str:
    """A term for display: ``id (label)`` in English, ``label (id)`` in Japanese."""
    if tid is None:
        return "—"
    vocab = decision.vocabulary
    label = vocab.label(tid) if vocab is not None else None
    if not label:
        return f"`{tid}`"
    return f"「{label}」({tid})" if lang == "ja" else f"`{tid}` ({label})"


def _rule(reason) -> str:
    return f"{reason.rule} [{reason.citation}]" if reason.citation else (reason.rule or "—")


def render_reason(reason, decision, lang: str = "en") -> str:
    """One reason as a sentence in ``lang`` (``en`` or ``ja``)."""
    t = TEMPLATES["ja" if lang == "ja" else "en"]
    lang = "ja" if lang == "ja" else "en"
    sc = decision.scenario

    def tm(tid):
        return term(decision, tid, lang)

    def listing(ids):
        return "、".join(map(tm, ids)) if lang == "ja" and ids else ", ".join(map(tm, ids)) if ids else t["anything"]

    def cond(code):
        return t["consent"] if code == "consent" else t["any_exception"] if code == "*" else tm(code)

    args = dict(item=tm(reason.item), rule=_rule(reason), purpose=tm(sc.purpose), subject=tm(sc.subject),
                recipient=tm(sc.recipient), exception=tm(sc.exception), value=tm(reason.value),
                allowed=listing(reason.allowed), action=ACTION_WORDS[lang][sc.action],
                dimension=DIMENSION_WORDS[lang].get(reason.dimension or "", ""))
    code = reason.code
    if code == "permitted":
        args["how"] = t[f"how.{reason.basis}"].format(**args)
    elif code == "prohibited":
        if not reason.exceptions:
            code = "prohibited_outright"
        args["unless"] = t["or"].join(cond(e) for e in reason.exceptions)
    elif code == "no_grant":
        args["target"] = t["target"].format(**args) if sc.action == "share" else ""
    return t[code].format(**args)
