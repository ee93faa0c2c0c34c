"""An explanation (:mod:`coopcheck.analysis.explain`) as JSON, each rule check and why-not with
a ``"text"`` sentence in English or Japanese (:mod:`coopcheck.presentation.wording`).

JSON shape (:func:`explanation_json`): the decision JSON
(:func:`coopcheck.presentation.decision_json.decision_json`) plus::

    "derivation": {
      "honoured_exceptions": ["by_law"],
      "items": [{
        "item": "purchase_history", "decision": "deny", "basis": "none",
        "rules": [...], "citations": [...], "obligations": [...],
        "deciding": [CHECK...], "bars": [CHECK...], "matched": [CHECK...],
        "not_matching": [CHECK...], "not_matching_more": 12}]},
    "why_not": [{
      "changes": [{"change": "recipient", "field": "recipient", "from": "coop_kyosai",
                   "to": "jccu", "relation": null}],
      "needs_legal_ground": false, "decision": "permit", "basis": "joint_use",
      "citations": [...], "rules": [...], "obligations": [...],
      "scenario": {...the changed scenario...}, "text": "..."}],
    "why_not_more": 0

where ``CHECK`` is ``{"rule", "kind", "verb", "citation", "clause", "status", "basis",
"outside": [{"part", "asked", "allowed", "note"}], "exceptions": [{"exception", "held"}],
"text"}``. ``note`` is ``"declared"`` (the rule allows any declared purpose), ``"closed"``
(the value is outside a closed list) or null. For ``drop`` the change's ``from``/``to`` are
the data lists and ``dropped`` names the items removed. ``relation`` (purposes only) is
``sibling``, ``ancestor`` or ``descendant``.

>>> from coopcheck.core.api import load_policy, make_scenario
>>> from coopcheck.analysis.explain import explain
>>> aizu = load_policy("aizu")
>>> e = explain(aizu, make_scenario(aizu, action="share", data=["purchase_history"],
...                                 recipient="coop_kyosai", purpose="delivery"))
>>> obj = explanation_json(e)
>>> obj["decision"], [w["changes"][0]["change"] for w in obj["why_not"]][:2]
('deny', ['consent', 'recipient'])
"""

from __future__ import annotations

from coopcheck.analysis.explain import GROUPS, Explanation, RuleCheck, WhyNot
from coopcheck.core.decision import Decision
from coopcheck.presentation.decision_json import decision_json
from coopcheck.presentation.wording import render_check, render_why_not


def miss_json(miss) -> dict:
    """A part of the scenario outside a rule: ``{"part", "asked", "allowed", "note"}``."""
    return {"part": miss.part, "asked": miss.asked, "allowed": list(miss.allowed), "note": miss.note}


def rule_check_json(check: RuleCheck, decision: Decision, lang: str = "en") -> dict:
    """One rule check of an explanation (``CHECK`` above), its ``text`` worded against the
    decision it belongs to."""
    r = check.rule
    return {"rule": r.id, "kind": r.kind, "verb": r.verb, "citation": r.citation, "clause": r.clause,
            "status": check.status, "basis": check.basis, "outside": [miss_json(m) for m in check.outside],
            "exceptions": [e.to_json() for e in check.exceptions], "text": render_check(check, decision, lang)}


def why_not_json(why_not: WhyNot, lang: str = "en") -> dict:
    """The why-not entry of the explain JSON: the changes, the permit they give, and ``text``."""
    d = why_not.decision
    return {"changes": [c.to_json() for c in why_not.changes], "needs_legal_ground": why_not.needs_legal_ground,
            "decision": d.decision, "basis": d.basis, "citations": list(d.citations),
            "rules": list(d.rules), "obligations": list(d.obligations),
            "scenario": d.scenario.to_json(), "text": render_why_not(why_not, lang)}


def explanation_json(explanation: Explanation, lang: str = "en") -> dict:
    """The decision JSON plus ``derivation``, ``why_not`` and ``why_not_more``."""
    d = explanation.decision
    items = []
    for ie in explanation.items:
        idec = ie.decision
        entry = {"item": ie.item, "decision": idec.decision, "basis": idec.basis,
                 "rules": list(idec.rules), "citations": list(idec.citations),
                 "obligations": list(idec.obligations)}
        for name in GROUPS:
            entry[name] = [rule_check_json(c, d, lang) for c in ie.group(name)]
        entry["not_matching_more"] = ie.hidden
        items.append(entry)
    out = decision_json(d, lang)
    out["derivation"] = {"honoured_exceptions": list(explanation.honoured), "items": items}
    out["why_not"] = [why_not_json(w, lang) for w in explanation.why_not]
    out["why_not_more"] = explanation.why_not_more
    return out
