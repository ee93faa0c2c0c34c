"""Sentences for decision reasons in English or Japanese, labels beside the ids."""

from __future__ import annotations

import string

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


#: Terms as displayed, per vocabulary and language: id(vocabulary) -> (the vocabulary, {lang: {id: text}}).
#: An entry keeps its vocabulary alive, so an id is never reused for another one while cached.
_SHOWN: dict[int, tuple] = {}


def term(decision, tid: str | None, lang: str = "en") -> str:
    """A term for display: ``id (label)`` in English, ``label (id)`` in Japanese."""
    return term_text(decision.vocabulary, tid, lang)


def term_text(vocab, tid: str | None, lang: str = "en") -> str:
    """:func:`term` with the vocabulary that labels the term (remembered per vocabulary)."""
    if tid is None:
        return "—"
    entry = _SHOWN.get(id(vocab))
    if entry is None or entry[0] is not vocab:
        entry = (vocab, {"en": {}, "ja": {}})
        if len(_SHOWN) < 64:
            _SHOWN[id(vocab)] = entry
    shown = entry[1]["ja" if lang == "ja" else "en"]
    text = shown.get(tid)
    if text is None:
        label = vocab.label(tid) if vocab is not None else None
        if not label:
            text = f"`{tid}`"
        else:
            text = f"「{label}」({tid})" if lang == "ja" else f"`{tid}` ({label})"
        shown[tid] = text
    return text


def _rule(reason) -> str:
    return f"{reason.rule} [{reason.citation}]" if reason.citation else (reason.rule or "—")


def reason_texts(decision, lang: str = "en") -> list[str]:
    """A decision's reasons as sentences in ``lang``."""
    return [render_reason(r, decision, lang) for r in decision.reasons]


class _ReasonWords(dict):
    """The words a reason's template asks for, each worked out on first use (a template
    names only a few of them)."""

    def __init__(self, reason, decision, lang: str, templates: dict, placeholders: bool = False):
        super().__init__()
        self.reason, self.decision, self.lang, self.t = reason, decision, lang, templates
        self.placeholders = placeholders  # leave {item} and {value} to fill; escape the rest

    def tm(self, tid) -> str:
        text = term(self.decision, tid, self.lang)
        return text.replace("{", "{{").replace("}", "}}") if self.placeholders else text

    def listing(self, ids) -> str:
        if not ids:
            return self.t["anything"]
        return ("、" if self.lang == "ja" else ", ").join(map(self.tm, ids))

    def __missing__(self, key: str) -> str:
        reason, sc = self.reason, self.decision.scenario
        if self.placeholders and key in _OPEN:
            value = "{" + key + "}"
        elif key == "item":
            value = self.tm(reason.item)
        elif key == "rule":
            value = _rule(reason)
            if self.placeholders:
                value = value.replace("{", "{{").replace("}", "}}")
        elif key in ("purpose", "subject", "recipient", "exception"):
            value = self.tm(getattr(sc, key))
        elif key == "value":
            value = self.tm(reason.value)
        elif key == "allowed":
            value = self.listing(reason.allowed)
        elif key == "action":
            value = ACTION_WORDS[self.lang][sc.action]
        elif key == "dimension":
            value = DIMENSION_WORDS[self.lang].get(reason.dimension or "", "")
        else:
            raise KeyError(key)
        self[key] = value
        return value


def render_reason(reason, decision, lang: str = "en") -> str:
    """One reason as a sentence in ``lang`` (``en`` or ``ja``)."""
    return _render(reason, decision, lang, False)


def sentence_template(reason, decision, lang: str = "en") -> str:
    """The reason's sentence with the reason's item and value and the scenario's terms left
    open (``{item}``, ``{value}``, ``{purpose}``, …), so one template serves every scenario
    of the class: :func:`template_parts` splits it, and filling its words with the terms
    the reason and its scenario name gives ``render_reason(r, d)``."""
    return _render(reason, decision, lang, True)


def _render(reason, decision, lang: str, placeholders: bool) -> str:
    lang = "ja" if lang == "ja" else "en"
    t = TEMPLATES[lang]
    args = _ReasonWords(reason, decision, lang, t, placeholders)
    code = reason.code
    if code == "permitted":
        args["how"] = t[f"how.{reason.basis}"].format_map(args)
    elif code == "prohibited":
        if not reason.exceptions:
            code = "prohibited_outright"
        args["unless"] = t["or"].join(
            t["consent"] if e == "consent" else t["any_exception"] if e == "*" else args.tm(e)
            for e in reason.exceptions)
    elif code == "no_grant":
        if placeholders:
            args["target"] = "{target}"
        else:
            args["target"] = t["target"].format_map(args) if decision.scenario.action == "share" else ""
    return t[code].format_map(args)


#: The words a sentence template leaves open: the item and value a reason names, and the
#: scenario's terms (see :func:`template_parts`).
_OPEN = frozenset({"item", "value", "purpose", "subject", "recipient", "exception", "action"})


#: The open words :func:`template_parts` leaves to fill: terms, each named by its scenario
#: field, or ``item``/``value`` for the reason's own.
OPEN_TERMS = frozenset({"item", "value", "purpose", "subject", "recipient", "exception"})


def template_parts(template: str, lang: str, action: str) -> tuple[str, ...]:
    """A :func:`sentence_template` for scenarios of ``action``, split into its fixed text
    and its open terms: ``(text, word, text, word, …, text)``, each word one of
    :data:`OPEN_TERMS` (the action's own words are filled in). Joining the texts with the
    words' terms (:func:`term`: ``item`` and ``value`` the reason's, told for the scenario,
    the others the scenario's) gives the reason's sentence.

    >>> template_parts("{item}: denied — no rule permits {action} it{target}", "en", "share")
    ('', 'item', ': denied — no rule permits sharing it with ', 'recipient', '')
    """
    lang = "ja" if lang == "ja" else "en"
    parts = [""]
    for text, word, spec, conversion in string.Formatter().parse(template):
        parts[-1] += text
        if word is None:
            continue
        if spec or conversion:
            raise ValueError(f"a sentence template fills plain words only: {template!r}")
        if word == "action":
            parts[-1] += ACTION_WORDS[lang][action]
        elif word == "target":
            if action == "share":
                more = template_parts(TEMPLATES[lang]["target"], lang, action)
                parts[-1] += more[0]
                parts.extend(more[1:])
        elif word in OPEN_TERMS:
            parts += [word, ""]
        else:
            raise KeyError(word)
    return tuple(parts)


# ---- explanations (coopcheck.analysis.explain) ---------------------------------------------------------

RULE_WORDS = {
    "en": {"use": "purpose of use", "collect": "collection", "publish": "publication", "joint_use": "joint use",
           "entrust": "entrustment", "provide": "third-party provision", "disclose": "any disclosure",
           "closed": "closed list", "prohibition": "prohibition", "consent_requirement": "consent requirement",
           "notice_requirement": "notice requirement", "honour": "honoured legal exceptions"},
    "ja": {"use": "利用目的", "collect": "取得", "publish": "掲載・公表", "joint_use": "共同利用",
           "entrust": "委託", "provide": "第三者提供", "disclose": "開示・提供全般", "closed": "限定列挙",
           "prohibition": "禁止", "consent_requirement": "同意要件", "notice_requirement": "通知要件",
           "honour": "援用する法令上の例外"},
}
RELATION_WORDS = {"en": {"sibling": "a sibling purpose", "ancestor": "a broader purpose",
                         "descendant": "a narrower purpose"},
                  "ja": {"sibling": "同じ上位目的の別の目的", "ancestor": "より広い目的", "descendant": "より狭い目的"}}

EXPLAIN_TEMPLATES = {
    "en": {
        "decisive": "{rule}: gives the basis {basis}",
        "decisive.honour": "{rule}: the claimed legal exception {exception} is honoured — basis {basis}",
        "outranked": "{rule}: also matches ({basis}), but {best} ranks first",
        "overridden": "{rule}: matches ({basis}), but a bar denies the item",
        "blocking": "{rule}: applies{unless}",
        "blocking.closed": "{rule}: allows only {allowed}; the {part} {asked} is outside it{unless}",
        "blocking.requirement": "{rule}: requires consent, which was not given{unless}",
        "excepted": "{rule}: applies, but its exception {held} holds",
        "excepted.closed": "{rule}: the {part} {asked} is outside {allowed}, but its exception {held} holds",
        "lifted": "{rule}: requires consent, and consent was given",
        "passed": "{rule}: bars {act} only; this share rests on {basis}",
        "applied": "{rule}: applies — adds the obligation {obligations}",
        "not_matching": "{rule}: {misses}",
        "unless": " — unless {exceptions}",
        "no_exception": " — no exception",
        "held": "held", "not_held": "not held",
        "miss": "{part} {asked} is not within {allowed}",
        "miss.declared": "{part} {asked} is not a declared purpose for this subject and item",
        "miss.condition": "needs {allowed}, which does not hold",
        "miss.collect": "a conditional purpose of use cannot make collecting lawful",
        "miss.exception": "claims {asked}, not {allowed}",
        "miss.no_exception": "no legal exception is claimed ({allowed} honoured)",
        "more": "and {count} more",
        "change.consent": "obtain the data subject's consent",
        "change.purpose": "for the purpose {to} instead of {before} ({relation})",
        "change.recipient": "share with {to} instead of {before}",
        "change.drop": "leave out {dropped} (keeping {kept})",
        "change.exception": "claim the legal exception {to} — only if that legal ground really applies",
        "and": " and ",
        "result": "PERMIT on {basis}",
        "h.item": "item {item}: {verdict} — {basis}",
        "h.deciding": "deciding",
        "h.bars": "bars and requirements checked",
        "h.matched": "matched, not deciding",
        "h.not_matching": "not matching",
        "h.obligations": "obligations",
        "h.why_not": "why not — changes that would permit it, each checked by deciding the changed scenario",
        "h.why_not_none": "why not: no change of consent, purpose, recipient, items or legal exception "
                          "(one or two at a time) turns this into a permit",
        "default_deny": "no rule permits it — denied by default",
        "hidden": "{count} more rule(s) miss on more parts (--all lists them)",
        "why_not_more": "and {count} more (--all lists them)",
    },
    "ja": {
        "decisive": "{rule}: 根拠 {basis} を与える",
        "decisive.honour": "{rule}: 援用された法令上の例外 {exception} をこの生協は認めている — 根拠 {basis}",
        "outranked": "{rule}: 一致する（{basis}）が、{best} が優先される",
        "overridden": "{rule}: 一致する（{basis}）が、禁止・制限により不許可",
        "blocking": "{rule}: 該当する{unless}",
        "blocking.closed": "{rule}: 認めるのは {allowed} のみで、{part} {asked} は範囲外{unless}",
        "blocking.requirement": "{rule}: 本人の同意を要するが、同意がない{unless}",
        "excepted": "{rule}: 該当するが、例外 {held} が当てはまる",
        "excepted.closed": "{rule}: {part} {asked} は {allowed} の範囲外だが、例外 {held} が当てはまる",
        "lifted": "{rule}: 本人の同意を要し、同意が得られている",
        "passed": "{rule}: 禁じるのは{act}のみで、この提供は{basis}による",
        "applied": "{rule}: 該当する — {obligations} の義務が生じる",
        "not_matching": "{rule}: {misses}",
        "unless": " — 例外: {exceptions}",
        "no_exception": " — 例外なし",
        "held": "該当", "not_held": "該当しない",
        "miss": "{part} {asked} は {allowed} に含まれない",
        "miss.declared": "{part} {asked} はこの本人・項目について公表された利用目的ではない",
        "miss.condition": "{allowed} が条件だが、満たされない",
        "miss.collect": "条件付きの利用目的では取得は適法にならない",
        "miss.exception": "援用されたのは {asked} で、{allowed} ではない",
        "miss.no_exception": "法令上の例外が援用されていない（認めるのは {allowed}）",
        "more": "ほか {count} 件",
        "change.consent": "本人の同意を得る",
        "change.purpose": "利用目的を {before} から {to} に変える（{relation}）",
        "change.recipient": "提供先を {before} から {to} に変える",
        "change.drop": "{dropped} を除く（残り: {kept}）",
        "change.exception": "法令上の例外 {to} を援用する — その法的根拠が実際にある場合に限る",
        "and": "、かつ ",
        "result": "許可（{basis}）",
        "h.item": "項目 {item}: {verdict} — {basis}",
        "h.deciding": "決め手",
        "h.bars": "確認した禁止・制限・要件",
        "h.matched": "一致したが決め手でないルール",
        "h.not_matching": "一致しないルール",
        "h.obligations": "義務",
        "h.why_not": "許可にする変更（変更後の事例を判定して確認済み）",
        "h.why_not_none": "同意・利用目的・提供先・項目・法令上の例外の変更（1つまたは2つ）では許可にならない",
        "default_deny": "許可するルールがない — 既定により不許可",
        "hidden": "ほか {count} 件のルールはさらに多くの点で一致しない（--all で表示）",
        "why_not_more": "ほか {count} 件（--all で表示）",
    },
}

#: How many written terms a text line lists before "and N more".
SHOWN_TERMS = 6


def _lang(lang: str) -> str:
    return "ja" if lang == "ja" else "en"


def _listing(decision, ids, lang: str, cap: int | None = SHOWN_TERMS) -> str:
    t = EXPLAIN_TEMPLATES[lang]
    ids = tuple(ids)
    if not ids:
        return TEMPLATES[lang]["anything"]
    shown = ids if cap is None or len(ids) <= cap else ids[:cap]
    sep = "、" if lang == "ja" else ", "
    text = sep.join(term(decision, i, lang) for i in shown)
    if len(shown) < len(ids):
        text += sep + t["more"].format(count=len(ids) - len(shown))
    return text


def _condition(decision, code: str, lang: str) -> str:
    t = TEMPLATES[lang]
    return t["consent"] if code == "consent" else t["any_exception"] if code == "*" else term(decision, code, lang)


def rule_label(rule, lang: str = "en") -> str:
    """``aizu:120 joint use [aizu 指針2 ◇…]``: id, kind and citation of a rule."""
    words = RULE_WORDS[_lang(lang)]
    if rule.kind == "grant":
        kind = words.get(rule.verb, rule.verb)
    elif rule.kind == "requirement":
        kind = words["consent_requirement" if "consent" in rule.needs else "notice_requirement"]
    else:
        kind = words[rule.kind]
    cite = f" [{rule.citation}]" if rule.citation else ""
    return f"{rule.id} {kind}{cite}"


def render_miss(miss, decision, lang: str = "en") -> str:
    """One part that fell outside a rule, as a phrase."""
    lang = _lang(lang)
    t = EXPLAIN_TEMPLATES[lang]
    part = DIMENSION_WORDS[lang].get(miss.part, miss.part)
    if miss.part == "condition":
        conds = TEMPLATES[lang]["or"].join(_condition(decision, c, lang) for c in miss.allowed)
        if miss.note == "collect":
            return t["miss.collect"]
        if miss.note == "exception":
            if miss.asked is None:
                return t["miss.no_exception"].format(allowed=conds)
            return t["miss.exception"].format(asked=term(decision, miss.asked, lang), allowed=conds)
        return t["miss.condition"].format(allowed=conds)
    asked = term(decision, miss.asked, lang)
    if miss.note == "declared":
        return t["miss.declared"].format(part=part, asked=asked)
    return t["miss"].format(part=part, asked=asked, allowed=_listing(decision, miss.allowed, lang))


def render_check(check, decision, lang: str = "en") -> str:
    """One rule check of an explanation (coopcheck.analysis.explain.RuleCheck) as a sentence."""
    lang = _lang(lang)
    t = EXPLAIN_TEMPLATES[lang]
    rule = check.rule
    sep = "; " if lang == "en" else "、"
    args = dict(rule=rule_label(rule, lang), basis=BASIS_WORDS[lang].get(check.basis or "", check.basis),
                exception=term(decision, decision.scenario.exception, lang))
    status = check.status
    if status == "not_matching":
        return t["not_matching"].format(misses=sep.join(render_miss(m, decision, lang) for m in check.outside),
                                        **args)
    if status == "decisive" and rule.kind == "honour":
        return t["decisive.honour"].format(**args)
    args["best"] = BASIS_WORDS[lang].get(check.best or "", check.best)
    if status in ("outranked", "overridden", "decisive"):
        return t[status].format(**args)
    if status == "applied":
        return t["applied"].format(obligations=_listing(decision, rule.obligations, lang), **args)
    if status == "lifted":
        return t["lifted"].format(**args)
    if status == "passed":
        return t["passed"].format(act=RULE_WORDS[lang].get(rule.verb, rule.verb), **args)
    miss = check.outside[0] if check.outside else None
    if miss is not None:
        args.update(part=DIMENSION_WORDS[lang].get(miss.part, miss.part), asked=term(decision, miss.asked, lang),
                    allowed=_listing(decision, miss.allowed, lang))
    if status == "excepted":
        held = TEMPLATES[lang]["or"].join(_condition(decision, e.code, lang) for e in check.exceptions if e.held)
        return t["excepted.closed" if miss is not None else "excepted"].format(held=held, **args)
    # blocking
    if check.exceptions:
        state = {True: t["held"], False: t["not_held"]}
        listed = TEMPLATES[lang]["or"].join(f"{_condition(decision, e.code, lang)} ({state[e.held]})"
                                            for e in check.exceptions)
        args["unless"] = t["unless"].format(exceptions=listed)
    else:
        args["unless"] = t["no_exception"]
    if rule.kind == "closed":
        return t["blocking.closed"].format(**args)
    if rule.kind == "requirement":
        return t["blocking.requirement"].format(**args)
    return t["blocking"].format(**args)


def render_change(change, decision, lang: str = "en") -> str:
    """One why-not change (coopcheck.analysis.explain.Change) as an instruction."""
    lang = _lang(lang)
    t = EXPLAIN_TEMPLATES[lang]
    if change.kind == "drop":
        return t["change.drop"].format(dropped=_listing(decision, change.dropped, lang, None),
                                       kept=_listing(decision, change.after, lang, None))
    relation = RELATION_WORDS[lang].get(change.relation or "", "")
    return t[f"change.{change.kind}"].format(to=term(decision, change.after, lang),
                                             before=term(decision, change.before, lang), relation=relation)


def render_why_not(why, lang: str = "en") -> str:
    """A why-not (coopcheck.analysis.explain.WhyNot) as one line: the changes and the permit they give."""
    lang = _lang(lang)
    t = EXPLAIN_TEMPLATES[lang]
    d = why.decision
    changes = t["and"].join(render_change(c, d, lang) for c in why.changes)
    result = t["result"].format(basis=BASIS_WORDS[lang].get(d.basis, d.basis))
    cites = f" [{'; '.join(d.citations)}]" if d.citations else ""
    return f"{changes} → {result}{cites}"
