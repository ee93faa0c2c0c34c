"""``coopcheck explain``: the derivation of a decision and the verified why-nots.

Rules are found by their clause, never by line number, so reformatting a policy cannot break
these tests. Every why-not is re-checked here by deciding the changed scenario through the
public API; the completeness properties find single changes by brute force and require
``explain`` to list at least one verified why-not whenever one exists.
"""

from __future__ import annotations

import json
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopcheck import decide, load_policy, load_string, make_scenario, shipped_policies
from coopcheck.core.semantics import grant_parts_outside
from coopcheck.analysis.explain import FAMILIES, GROUPS, Explanation, WhyNot, explain
from coopcheck.core.scenario import ACTIONS, Scenario
from coopcheck.presentation.explain_json import why_not_json

JOINT = "指針2 ◇商品・サービスの提供に関わっての共同利用"
CONTRACT_FIELDS = {"coop", "decision", "basis", "obligations", "citations", "reasons",
                   "would_permit_with_consent", "items", "rules", "scenario"}
CHECK_FIELDS = {"rule", "kind", "verb", "citation", "clause", "status", "basis", "outside", "exceptions", "text"}
WHY_NOT_FIELDS = {"changes", "needs_legal_ground", "decision", "basis", "citations", "rules", "obligations",
                  "scenario", "text"}
KYOSAI_FLAGS = ["explain", "--coop", "aizu", "--action", "share", "--data", "購買履歴",
                "--recipient", "coop_kyosai", "--purpose", "delivery"]


@lru_cache(maxsize=None)
def policy(coop: str):
    return load_policy(coop)


def ex(coop: str = "aizu", show_all: bool = False, **fields) -> Explanation:
    rs = policy(coop)
    return explain(rs, make_scenario(rs, fields), show_all=show_all)


def checks(e: Explanation, group: str, item: int = 0):
    return e.items[item].group(group)


def by_clause(found, clause: str, kind: str | None = None):
    hits = [c for c in found if c.rule.clause == clause and (kind is None or c.rule.verb == kind)]
    assert hits, f"no rule citing {clause!r} among {[c.rule.clause for c in found]}"
    return hits[0]


def recheck(rs, e: Explanation, why: WhyNot) -> None:
    """Decide the changed scenario afresh through the public API: it must be the permit the
    why-not reports, and differ from the asked scenario exactly in the changed fields."""
    changed = why.decision.scenario.to_json()
    fresh = decide(rs, {k: v for k, v in changed.items() if k != "coop"})
    assert fresh.decision == "permit"
    assert (fresh.basis, fresh.citations) == (why.decision.basis, why.decision.citations)
    asked = e.decision.scenario.to_json()
    differs = {k for k in asked if asked[k] != changed[k]}
    assert differs == {c.field for c in why.changes}
    for c in why.changes:
        assert changed[c.field] == (list(c.after) if c.kind == "drop" else c.after)


# ---- derivation -----------------------------------------------------------------------------

def test_permit_names_the_deciding_rule_and_clause():
    e = ex(action="share", data=["purchase_history"], recipient="jccu", purpose="delivery")
    assert e.decision.decision == "permit" and e.why_not == ()
    [deciding] = checks(e, "deciding")
    assert (deciding.status, deciding.basis, deciding.rule.clause) == ("decisive", "joint_use", JOINT)
    assert deciding.rule.id in e.decision.rules
    # a non-matching grant names the part that fell outside, the value asked and what it allows
    entrust = by_clause(checks(e, "not_matching"), "方針6", "entrust")
    [miss] = entrust.outside
    assert (miss.part, miss.asked, miss.allowed) == ("recipient", "jccu", ("contractor",))


def test_default_deny_has_no_deciding_rule_and_names_each_near_grant():
    e = ex(action="share", data=["purchase_history"], recipient="coop_kyosai", purpose="delivery")
    assert e.decision.decision == "deny"
    assert checks(e, "deciding") == () and checks(e, "matched") == ()
    joint = by_clause(checks(e, "not_matching"), JOINT)
    [miss] = joint.outside
    assert miss.part == "recipient" and miss.asked == "coop_kyosai"
    assert {"jccu", "coop_tohoku_sunnet", "business_partner"} <= set(miss.allowed)
    honour = next(c for c in checks(e, "not_matching") if c.rule.kind == "honour")
    assert honour.outside[0].part == "condition" and honour.outside[0].asked is None
    consent_grant = by_clause(checks(e, "not_matching"), "指針3 ※", "provide")
    assert [(m.part, m.allowed) for m in consent_grant.outside] == [("condition", ("consent",))]


def test_deny_by_a_closed_list_shows_the_bar_its_exception_and_the_overridden_grant():
    e = ex(action="use", data=["photo"], purpose="business_analysis")
    [bar] = checks(e, "deciding")
    assert (bar.status, bar.rule.kind, bar.rule.clause) == ("blocking", "closed", "指針5")
    assert [(x.code, x.held) for x in bar.exceptions] == [("consent", False), ("*", False)]  # a closed list also yields to the honoured exceptions
    assert [(m.part, m.asked, m.note) for m in bar.outside] == [("purpose", "business_analysis", "closed")]
    overridden = by_clause(checks(e, "matched"), "指針1 ⑪")
    assert (overridden.status, overridden.basis) == ("overridden", "purpose")


def test_permit_with_consent_shows_the_excepted_bar_and_the_outranked_consent_grants():
    e = ex(action="use", data=["photo"], purpose="business_analysis", consent=True)
    assert e.decision.basis == "purpose"
    excepted = by_clause(checks(e, "bars"), "指針5")
    assert excepted.status == "excepted" and [(x.code, x.held) for x in excepted.exceptions] == [("consent", True), ("*", False)]
    outranked = by_clause(checks(e, "matched"), "方針5")
    assert (outranked.status, outranked.basis, outranked.best) == ("outranked", "consent", "purpose")


def test_collect_shows_the_consent_requirement_lifted_and_the_notice_applied():
    e = ex(action="collect", data=["name"], purpose="delivery", consent=True)
    assert (e.decision.decision, e.decision.basis) == ("permit", "consent")
    statuses = {c.rule.clause + ":" + c.rule.needs[0]: c.status for c in checks(e, "bars")}
    assert statuses == {"方針2:consent": "lifted", "方針2:notice": "applied"}
    denied = ex(action="collect", data=["name"], purpose="delivery")
    [requirement] = checks(denied, "deciding")
    assert (requirement.status, requirement.rule.kind) == ("blocking", "requirement")


@pytest.mark.parametrize("fields, part, asked", [
    (dict(action="use", data=["name"], subject="employee", purpose="delivery"), "subject", "employee"),
    (dict(action="publish", data=["email"], subject="contributor", purpose="newsletter_publication"),
     "item", "email"),
])
def test_a_grant_names_the_subject_or_item_outside_it(fields, part, asked):
    e = ex(**fields)
    misses = [m for c in checks(e, "not_matching") if c.rule.kind == "grant" for m in c.outside
              if len(c.outside) == 1]
    assert (part, asked) in {(m.part, m.asked) for m in misses}


def test_every_rule_whose_action_applies_is_checked_once_per_item():
    rs = policy("aizu")
    e = ex(action="share", data=["purchase_history", "resume"], recipient="jccu", purpose="delivery",
           show_all=True)
    expected = [r.id for r in rs.rules if "share" in r.actions]
    for ie in e.items:
        assert [c.rule.id for c in ie.checks] == expected
        assert sorted(c.rule.id for g in GROUPS for c in ie.group(g)) == sorted(expected)


def test_default_listing_keeps_the_closest_rules_and_counts_the_rest():
    fields = dict(action="use", data=["photo"], purpose="business_analysis")
    short, full = ex(**fields), ex(show_all=True, **fields)
    ie, all_ie = short.items[0], full.items[0]
    assert ie.hidden > 0 and all_ie.hidden == 0
    assert len(ie.group("not_matching")) + ie.hidden == len(all_ie.group("not_matching"))
    assert all(len(c.outside) == 1 for c in ie.group("not_matching"))


# ---- why-not --------------------------------------------------------------------------------

def kinds(e: Explanation) -> list[tuple[str, ...]]:
    return [tuple(c.kind for c in w.changes) for w in e.why_not]


def test_why_not_consent():
    e = ex(action="use", data=["name"], purpose="welfare_services")
    assert e.decision.would_permit_with_consent is True
    assert kinds(e)[0] == ("consent",)
    assert e.why_not[0].decision.basis == "consent"
    for w in e.why_not:
        recheck(policy("aizu"), e, w)


def test_why_not_sibling_purpose():
    e = ex(action="share", data=["purchase_history"], recipient="jccu", purpose="order_taking")
    assert e.decision.decision == "deny"
    purposes = [w for w in e.why_not if kinds(e)[e.why_not.index(w)] == ("purpose",)]
    assert purposes, kinds(e)
    assert {w.changes[0].relation for w in purposes} == {"sibling"}
    assert {w.changes[0].after for w in purposes} <= {"delivery", "billing", "product_info"}
    for w in purposes:
        assert w.decision.basis == "joint_use" and f"aizu {JOINT}" in w.decision.citations
        recheck(policy("aizu"), e, w)


def test_why_not_descendant_and_ancestor_purposes():
    rs = load_string("policy demo\nimport vocabulary\nname may be used for delivery   [a]\n"
                     "address may be used for product supply   [b]\n", "demo.policy")
    broad = explain(rs, make_scenario(rs, action="use", data=["name"], purpose="product_supply"))
    assert [(c.kind, c.after, c.relation) for w in broad.why_not for c in w.changes] == \
        [("purpose", "delivery", "descendant")]
    rs2 = load_string("policy demo\nimport vocabulary\nname may be used for kyosai   [a]\n", "demo.policy")
    narrow = explain(rs2, make_scenario(rs2, action="share", data=["name"], recipient="jccu", purpose="kyosai"))
    assert narrow.why_not == ()  # nothing grants sharing: no change of the families helps
    e = explain(rs2, make_scenario(rs2, action="use", data=["name"], purpose="kyosai_guidance"))
    assert e.decision.permitted  # subsumption: a grant for kyosai covers its children


def test_why_not_drop_the_blocking_item():
    e = ex(action="share", data=["purchase_history", "resume"], recipient="jccu", purpose="delivery")
    [drop] = [w for w in e.why_not if kinds(e)[e.why_not.index(w)] == ("drop",)]
    assert drop.changes[0].dropped == ("resume",) and drop.changes[0].after == ("purchase_history",)
    assert drop.decision.basis == "joint_use"
    recheck(policy("aizu"), e, drop)
    # never proposes dropping every item
    alone = ex(action="share", data=["resume"], recipient="jccu", purpose="delivery", show_all=True)
    assert all(c.kind != "drop" for w in alone.why_not for c in w.changes)


def test_why_not_joint_user_or_entrustee_recipient():
    e = ex(action="share", data=["purchase_history"], recipient="coop_kyosai", purpose="delivery", show_all=True)
    recipients = {w.changes[0].after: w for w in e.why_not if kinds(e)[e.why_not.index(w)] == ("recipient",)}
    assert recipients["jccu"].decision.basis == "joint_use"
    assert recipients["contractor"].decision.basis == "entrustment"
    assert "service_partner" not in recipients  # business_partner, broader, works by the same rule
    for w in recipients.values():
        recheck(policy("aizu"), e, w)
    top = ex(action="share", data=["purchase_history"], recipient="coop_kyosai", purpose="delivery")
    assert top.why_not == e.why_not[:5] and top.why_not_more == len(e.why_not) - 5
    # the capped list shows every family that works before a second option of any family
    assert [k[0] for k in kinds(top)[:3]] == ["consent", "recipient", "exception"]


def test_why_not_legal_exception_is_flagged():
    e = ex(action="share", data=["name"], recipient="public_authority", purpose="legal_compliance")
    [claim] = [w for w in e.why_not if w.needs_legal_ground]
    assert claim.changes[0].after == "by_law" and claim.decision.basis == "legal_exception"
    assert "only if" in why_not_json(claim)["text"]
    assert why_not_json(claim)["needs_legal_ground"] is True
    recheck(policy("aizu"), e, claim)


def test_why_not_pair_when_no_single_change_works():
    rs = load_string("policy demo\nimport vocabulary\nname may be shared with jccu for delivery   [a]\n",
                     "demo.policy")
    e = explain(rs, make_scenario(rs, action="share", data=["name"], recipient="coop_kyosai", purpose="billing"))
    assert kinds(e) == [("purpose", "recipient")]
    [w] = e.why_not
    assert [c.after for c in w.changes] == ["delivery", "jccu"]
    recheck(rs, e, w)


def test_permit_has_no_why_not():
    e = ex(action="use", data=["name"], purpose="delivery")
    assert e.decision.permitted and e.why_not == () and e.why_not_more == 0


# ---- CLI ------------------------------------------------------------------------------------

def test_cli_text_deny(cli):
    code, out, _ = cli(*KYOSAI_FLAGS)
    assert code == 0
    assert out.startswith("DENY")
    assert "deciding:" in out and "denied by default" in out
    assert f"[aizu {JOINT}]: recipient `coop_kyosai`" in out
    assert "why not" in out and "1. obtain the data subject's consent → PERMIT" in out
    assert "share with `jccu` (日本生活協同組合連合会) instead of `coop_kyosai`" in out
    assert "more (--all lists them)" in out
    assert cli(*KYOSAI_FLAGS, "--fail-on-deny")[0] == 1


def test_cli_text_permit(cli):
    code, out, _ = cli("explain", "--coop", "aizu", "--action", "share", "--data", "purchase_history",
                       "--recipient", "jccu", "--purpose", "delivery", "--fail-on-deny")
    assert code == 0
    assert out.startswith("PERMIT") and "why not" not in out
    deciding = out.split("deciding:")[1].splitlines()[1]
    assert JOINT in deciding and "joint use" in deciding


def test_cli_json_shape(cli):
    code, out, _ = cli(*KYOSAI_FLAGS, "--format", "json")
    assert code == 0
    [obj] = [json.loads(line) for line in out.splitlines()]
    assert CONTRACT_FIELDS | {"derivation", "why_not", "why_not_more"} <= obj.keys()
    assert obj["decision"] == "deny" and obj["basis"] == "none"
    assert obj["derivation"]["honoured_exceptions"] == ["by_law"]
    [item] = obj["derivation"]["items"]
    assert item["item"] == "purchase_history" and item["decision"] == "deny"
    assert set(GROUPS) | {"not_matching_more", "obligations"} <= item.keys()
    for group in GROUPS:
        for check in item[group]:
            assert check.keys() == CHECK_FIELDS
            assert all(m.keys() == {"part", "asked", "allowed", "note"} for m in check["outside"])
    joint = next(c for c in item["not_matching"] if c["clause"] == JOINT)
    assert joint["outside"][0]["part"] == "recipient" and "jccu" in joint["outside"][0]["allowed"]
    assert len(obj["why_not"]) == 5 and obj["why_not_more"] > 0
    for w in obj["why_not"]:
        assert w.keys() == WHY_NOT_FIELDS and w["decision"] == "permit"
        assert all({"change", "field", "from", "to", "relation"} <= c.keys() for c in w["changes"])
        assert {c["change"] for c in w["changes"]} <= set(FAMILIES)
        fresh = decide(policy("aizu"), {k: v for k, v in w["scenario"].items() if k != "coop"})
        assert (fresh.decision, fresh.basis) == ("permit", w["basis"])


def test_cli_japanese(cli):
    code, out, _ = cli(*KYOSAI_FLAGS, "--lang", "ja")
    assert code == 0
    assert out.startswith("不許可")
    for words in ("決め手", "一致しないルール", "許可にする変更", "本人の同意を得る", "「日本生活協同組合連合会」(jccu)",
                  "提供先を"):
        assert words in out
    code, out, _ = cli(*KYOSAI_FLAGS, "--lang", "ja", "--format", "json")
    obj = json.loads(out)
    assert obj["why_not"][0]["text"].startswith("本人の同意を得る")
    assert any("に含まれない" in c["text"] for c in obj["derivation"]["items"][0]["not_matching"])


def test_cli_coop_all(cli):
    argv = ["explain", "--coop", "all", "--action", "share", "--data", "購買履歴", "--recipient", "日本生協連",
            "--purpose", "delivery"]
    code, out, _ = cli(*argv, "--format", "json")
    assert code == 0
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["coop"] for o in objs] == shipped_policies()
    for o in objs:
        assert o["decision"] in ("permit", "deny") and "derivation" in o
        assert (o["why_not"] == []) == (o["decision"] == "permit")
    code, text, _ = cli(*argv)
    assert code == 0
    assert sum(line.startswith(("PERMIT", "DENY")) for line in text.splitlines()) == len(objs)
    denied = any(o["decision"] == "deny" for o in objs)
    assert cli(*argv, "--fail-on-deny")[0] == (1 if denied else 0)


def test_cli_json_input_with_a_bad_line(cli):
    good = {"coop": "aizu", "action": "use", "data": ["name"], "purpose": "welfare_services"}
    bad = {"coop": "aizu", "action": "use", "data": ["nmae"], "purpose": "delivery"}
    code, out, _ = cli("explain", "--json", "-", stdin=json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    assert code == 2
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["decision"] == "deny" and first["why_not"][0]["changes"][0]["change"] == "consent"
    assert second["error"]["code"] == "E402" and second["error"]["line"] == 2


def test_cli_input_errors(cli):
    code, out, err = cli("explain", "--coop", "aizu", "--action", "use")
    assert code == 2 and "missing --data, --purpose" in err and out == ""
    code, _, err = cli("explain", "--coop", "aizu", "--action", "use", "--data", "nmae", "--purpose", "delivery")
    assert code == 2 and "did you mean `name`" in err


def test_cli_all_lists_everything(cli):
    code, out, _ = cli(*KYOSAI_FLAGS, "--all", "--format", "json")
    obj = json.loads(out)
    assert obj["why_not_more"] == 0 and len(obj["why_not"]) > 5
    assert obj["derivation"]["items"][0]["not_matching_more"] == 0


# ---- properties over the shipped policies ---------------------------------------------------

def close_purposes(vocab, purpose: str) -> set[str]:
    """Siblings, ancestors and descendants, from the parent links (independent of engine.explain)."""
    parent = vocab.terms[purpose].parent
    out = set(vocab.ancestors[purpose]) | set(vocab.descendants[purpose])
    if parent is not None:
        out |= {t for t, info in vocab.terms.items() if info.parent == parent}
    return out - {purpose}


def single_changes(rs, sc: Scenario):
    """Every scenario one change of a why-not family away: (family, changed scenario)."""
    vocab = rs.vocabulary

    def with_(**kw):
        base = dict(action=sc.action, items=sc.items, purpose=sc.purpose, subject=sc.subject,
                    recipient=sc.recipient, consent=sc.consent, exception=sc.exception, coop=sc.coop)
        return Scenario(**{**base, **kw})

    if not sc.consent:
        yield "consent", with_(consent=True)
    for p in close_purposes(vocab, sc.purpose):
        yield "purpose", with_(purpose=p)
    n = len(sc.items)
    for mask in range(1, 2 ** n - 1):  # every non-empty proper subset kept
        yield "drop", with_(items=tuple(i for k, i in enumerate(sc.items) if mask >> k & 1))
    if sc.action == "share":
        for r in vocab.of_kind("party"):
            if r != sc.recipient:
                yield "recipient", with_(recipient=r)
    for x in vocab.of_kind("exception"):
        if x != sc.exception:
            yield "exception", with_(exception=x)


def assert_complete_and_verified(rs, sc: Scenario) -> None:
    e = explain(rs, sc, show_all=True)  # the default lists the first five of these
    for w in e.why_not:
        recheck(rs, e, w)
        if len(w.changes) == 2:  # a pair is listed only when neither change works alone
            for c in w.changes:
                assert not decide(rs, c.apply(sc)).permitted
    if e.decision.permitted:
        assert e.why_not == ()
        return
    working = {family for family, changed in single_changes(rs, sc) if decide(rs, changed).permitted}
    if working:
        assert e.why_not, f"{sc}: {working} would permit it, explain lists no why-not"
        assert len(e.why_not[0].changes) == 1
        assert {w.changes[0].kind for w in e.why_not if len(w.changes) == 1} == working


@st.composite
def scenarios(draw):
    coop = draw(st.sampled_from(shipped_policies()))
    vocab = policy(coop).vocabulary
    action = draw(st.sampled_from(ACTIONS))
    items = draw(st.lists(st.sampled_from(vocab.of_kind("item")), min_size=1, max_size=3, unique=True))
    recipient = (draw(st.sampled_from(vocab.of_kind("party"))) if action == "share"
                 else "public" if action == "publish" else None)
    return coop, Scenario(
        action, tuple(items), draw(st.sampled_from(vocab.of_kind("purpose"))),
        draw(st.one_of(st.just("member"), st.sampled_from(vocab.of_kind("subject")))), recipient,
        draw(st.booleans()), draw(st.one_of(st.none(), st.sampled_from(vocab.of_kind("exception")))), coop)


@settings(max_examples=max(300, settings.default.max_examples))
@given(scenarios())
def test_why_not_is_complete_and_verified(case):
    """For any scenario over a shipped policy's vocabulary: every why-not listed decides to a
    permit when re-checked (pairs only when neither change works alone); and whenever some
    single change of a family (consent, a close purpose, dropping items, another recipient, a
    legal exception) turns a deny into a permit, explain lists a single-change why-not, and with
    --all exactly the families that work."""
    coop, sc = case
    assert_complete_and_verified(policy(coop), sc)


@settings(max_examples=max(150, settings.default.max_examples))
@given(scenarios())
def test_derivation_agrees_with_the_decision(case):
    """For any scenario: the decisive rules are the engine's deciding rules, the blocking ones
    its blockers on a deny; a grant is listed as matching exactly when no part falls outside
    it; every not-matching rule names at least one part."""
    coop, sc = case
    rs = policy(coop)
    e = explain(rs, sc)
    for ie in e.items:
        idec = ie.decision
        assert {c.rule.id for c in ie.checks if c.status == "decisive"} == \
            {r.rule for r in idec.reasons if r.code == "permitted"}
        if not idec.permitted:
            assert {c.rule.id for c in ie.checks if c.status == "blocking"} == set(idec.rules)
        for c in ie.checks:
            if c.status == "not_matching":
                assert c.outside
            if c.rule.kind == "grant":
                assert (c.status == "not_matching") == bool(grant_parts_outside(c.rule, rs, sc, ie.item))


@pytest.mark.parametrize("coop", shipped_policies())
def test_why_not_complete_on_an_exhaustive_slice(coop):
    """Exhaustively over a slice of each shipped policy, with and without consent: a member's
    name or purchase history used or collected for every purpose, and purchase history shared
    with every recipient for delivery and for kyosai guidance."""
    rs = policy(coop)
    vocab = rs.vocabulary
    for consent in (False, True):
        for item in ("name", "purchase_history"):
            for action in ("use", "collect"):
                for purpose in vocab.of_kind("purpose"):
                    assert_complete_and_verified(rs, Scenario(action, (item,), purpose, consent=consent, coop=coop))
        for recipient in vocab.of_kind("party"):
            for purpose in ("delivery", "kyosai_guidance"):
                assert_complete_and_verified(rs, Scenario("share", ("purchase_history",), purpose,
                                                          recipient=recipient, consent=consent, coop=coop))
