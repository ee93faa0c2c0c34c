"""docs/semantics.md, point by point, on small purpose-built policies.

The tests are grouped under eight points (the number in each test's name); each group's comment
names the sections of docs/semantics.md it checks.
"""

from __future__ import annotations

import pytest

from coopcheck import CoopcheckError, decide, load_policy, load_string
from coopcheck.presentation.wording import reason_texts

HEADER = """policy demo
import vocabulary
import appi
"""


def policy(body: str):
    return load_string(HEADER + body, "demo.policy")


def d(rs, **scenario):
    return decide(rs, scenario)


# 1. Fail closed (docs/semantics.md §0.1, §2.2, §5.4) ------------------------------------------
def test_1_fail_closed_default_deny():
    rs = policy("")
    out = d(rs, action="use", data=["name"], purpose="delivery")
    assert out.decision == "deny" and out.basis == "none"
    assert out.would_permit_with_consent is True  # the APPI consent basis remains


def test_1_fail_closed_unknown_terms_are_errors_not_denies():
    rs = policy("")
    with pytest.raises(CoopcheckError) as err:
        d(rs, action="use", data=["nmae"], purpose="delivery")
    assert err.value.code == "E402" and "did you mean `name`" in err.value.diagnostics[0].help


def test_1_fail_closed_unclaimed_or_unhonoured_exception_does_not_permit():
    rs = policy("honour legal exceptions: by law   [c]\n")
    sc = dict(action="share", data=["name"], recipient="public_authority", purpose="legal_compliance")
    assert d(rs, **sc).decision == "deny"
    assert d(rs, **sc, exception="protect_life").decision == "deny"
    assert d(rs, **sc, exception="by_law").basis == "legal_exception"


# 2. Item by item (docs/semantics.md §0.2, §5.6) -----------------------------------------------
def test_2_item_by_item_every_item_must_be_permitted():
    rs = policy("purchase history may be shared with jccu for delivery   [c]\n")
    both = d(rs, action="share", data=["purchase_history", "name"], recipient="jccu", purpose="delivery")
    assert both.decision == "deny"
    assert [(i.item, i.decision) for i in both.items] == [("purchase_history", "permit"), ("name", "deny")]
    one = d(rs, action="share", data=["purchase_history"], recipient="jccu", purpose="delivery")
    assert one.decision == "permit"


def test_2_items_with_different_bases_report_mixed():
    rs = policy("name may be used for delivery   [a]\n"
                "honour legal exceptions: by law   [b]\n")
    out = d(rs, action="use", data=["name", "phone"], purpose="delivery", exception="by_law")
    assert out.decision == "permit" and out.basis == "mixed"
    assert {i.item: i.basis for i in out.items} == {"name": "purpose", "phone": "legal_exception"}


# 3. Subsumption (docs/semantics.md §1.3, §4.3) ------------------------------------------------
def test_3_subsumption_grant_covers_descendants_not_ancestors():
    rs = policy("purchase history may be shared with coop federations for delivery   [c]\n")
    ok = d(rs, action="share", data=["catalog_purchase_data"], recipient="jccu", purpose="delivery")
    assert ok.decision == "permit" and ok.basis == "joint_use"
    assert d(rs, action="share", data=["transaction_data"], recipient="jccu", purpose="delivery").decision == "deny"
    assert d(rs, action="share", data=["purchase_history"], recipient="third_party", purpose="delivery").decision == "deny"


def test_3_subsumption_purposes():
    rs = policy("personal data may be used for product supply   [c]\n")
    assert d(rs, action="use", data=["email"], purpose="billing").decision == "permit"
    rs2 = policy("personal data may be used for billing   [c]\n")
    assert d(rs2, action="use", data=["email"], purpose="product_supply").decision == "deny"


# 4. Prohibitions win (docs/semantics.md §0.3, §5.1) -------------------------------------------
def test_4_prohibitions_win_over_every_grant():
    rs = policy("purchase history may be shared with jccu for delivery   [g]\n"
                "purchase history must not be disclosed to jccu   [p]\n")
    out = d(rs, action="share", data=["purchase_history"], recipient="jccu", purpose="delivery", consent=True)
    assert out.decision == "deny" and out.rules == ("demo:5",)
    assert out.would_permit_with_consent is False


def test_4_prohibition_yields_to_its_own_exception_only():
    rs = policy("purchase history may be shared with jccu for delivery   [g]\n"
                "purchase history must not be disclosed to jccu unless consent   [p]\n"
                "honour legal exceptions: by law   [h]\n")
    sc = dict(action="share", data=["purchase_history"], recipient="jccu", purpose="delivery")
    assert d(rs, **sc).decision == "deny"
    assert d(rs, **sc, exception="by_law").decision == "deny"  # not this prohibition's exception
    with_consent = d(rs, **sc, consent=True)
    assert with_consent.decision == "permit" and with_consent.basis == "joint_use"


def test_4_a_bar_on_one_act_of_sharing_stops_that_act_only():
    """`shared with`, `entrusted to`, `provided to` mean the same act in a bar as in a grant
    (docs/semantics.md §5.1): a bar on joint use stops the joint use and lets a provision with
    consent through; a bar on provision lets the joint use through."""
    joint = policy("purchase history may be shared with jccu for delivery   [g]\n"
                   "purchase history must not be shared with jccu   [p]\n")
    sc = dict(action="share", data=["purchase_history"], recipient="jccu", purpose="delivery")
    assert (d(joint, **sc).decision, d(joint, **sc).rules) == ("deny", ("demo:5",))
    with_consent = d(joint, **sc, consent=True)  # a provision with consent (APPI Art. 27(1))
    assert with_consent.decision == "permit" and with_consent.basis == "consent"
    provision = policy("purchase history may be shared with jccu for delivery   [g]\n"
                       "purchase history must not be provided to jccu   [p]\n")
    assert (d(provision, **sc).decision, d(provision, **sc).basis) == ("permit", "joint_use")
    assert d(provision, **{**sc, "purpose": "survey"}, consent=True).rules == ("demo:5",)


def test_4_prohibition_on_a_part_denies_the_whole():
    rs = policy("personal data may be used for delivery   [g]\n"
                "photo must not be used   [p]\n")
    assert d(rs, action="use", data=["personal_data"], purpose="delivery").decision == "deny"
    assert d(rs, action="use", data=["name"], purpose="delivery").decision == "permit"


# 5. Bases, in order (docs/semantics.md §3.1, §5.2, §5.3) --------------------------------------
def test_5_bases_use_is_purpose():
    rs = policy("name may be used for delivery   [c]\n")
    assert d(rs, action="use", data=["name"], purpose="delivery").basis == "purpose"
    assert d(rs, action="use", data=["name"], purpose="delivery", consent=True).basis == "purpose"


def test_5_bases_collect_needs_declared_purpose_and_required_consent():
    rs = policy("name may be used for delivery   [u]\n"
                "collecting personal data requires consent   [r]\n")
    assert d(rs, action="collect", data=["name"], purpose="delivery").decision == "deny"
    ok = d(rs, action="collect", data=["name"], purpose="delivery", consent=True)
    assert ok.decision == "permit" and ok.basis == "consent"
    assert d(rs, action="collect", data=["name"], purpose="hiring", consent=True).decision == "deny"
    plain = policy("name may be used for delivery   [u]\n")
    assert d(plain, action="collect", data=["name"], purpose="delivery").basis == "purpose"


def test_5_bases_collect_sensitive_data_needs_consent_by_law():
    rs = policy("sensitive data may be used for welfare services   [u]\n")
    sc = dict(action="collect", data=["sensitive_data"], purpose="welfare_services")
    assert d(rs, **sc).decision == "deny"
    assert d(rs, **sc, consent=True).basis == "consent"


def test_5_bases_publish():
    rs = policy("submission of contributors may be published for newsletter publication   [c]\n")
    sc = dict(action="publish", data=["submission"], subject="contributor", purpose="newsletter_publication")
    assert d(rs, **sc).basis == "purpose"
    assert d(rs, **dict(sc, data=["address"])).decision == "deny"
    assert d(rs, **dict(sc, data=["address"]), consent=True).basis == "consent"


def test_5_bases_share_order_joint_use_then_entrustment_then_exception_then_consent():
    rs = policy("name may be shared with jccu for delivery   [j]\n"
                "name may be entrusted to anyone for delivery   [e]\n"
                "honour legal exceptions: by law   [h]\n")
    sc = dict(action="share", data=["name"], recipient="jccu", purpose="delivery", consent=True,
              exception="by_law")
    assert d(rs, **sc).basis == "joint_use"
    assert d(rs, **dict(sc, recipient="delivery_company")).basis == "entrustment"
    assert d(rs, **dict(sc, purpose="billing")).basis == "legal_exception"
    assert d(rs, **dict(sc, purpose="billing", exception=None)).basis == "consent"
    assert d(rs, **dict(sc, purpose="billing", exception=None, consent=False)).basis == "none"


# 6. Subjects (docs/semantics.md §4.1, §4.4, §4.5) ---------------------------------------------
def test_6_subjects_default_to_members():
    rs = policy("personal data may be used for delivery   [c]\n")
    assert d(rs, action="use", data=["name"], purpose="delivery").decision == "permit"
    assert d(rs, action="use", data=["name"], subject="applicant", purpose="delivery").decision == "deny"


def test_6_subjects_limited_subject_gets_exactly_its_purposes():
    rs = policy("personal data of anyone may be used for delivery   [g]\n"
                "personal data of website users may only be used for inquiry response   [c]\n")
    sc = dict(action="use", data=["email"], subject="website_user")
    assert d(rs, **sc, purpose="inquiry_response").basis == "purpose"
    out = d(rs, **sc, purpose="delivery")
    assert out.decision == "deny" and out.rules == ("demo:5",)
    assert d(rs, action="use", data=["email"], subject="prospect", purpose="delivery").decision == "permit"


# 7. Law baseline (docs/semantics.md §7) -------------------------------------------------------
def test_7_law_baseline_foreign_third_party_needs_consent_even_for_joint_users():
    rs = policy("name may be shared with anyone for delivery   [j]\n")
    sc = dict(action="share", data=["name"], recipient="foreign_third_party", purpose="delivery")
    out = d(rs, **sc)
    assert out.decision == "deny" and any(c.startswith("APPI Art. 28") for c in out.citations)
    assert d(rs, **sc, consent=True).decision == "permit"


def test_7_law_baseline_applies_to_every_shipped_policy():
    from coopcheck import shipped_policies

    for coop in shipped_policies():
        rs = load_policy(coop)
        out = d(rs, action="collect", data=["sensitive_data"], purpose="welfare_services")
        assert out.decision == "deny"


def test_7_law_baseline_a_coop_can_only_be_stricter():
    rs = policy("")  # the baseline alone grants nothing without consent
    for action, extra in (("use", {}), ("share", {"recipient": "jccu"}), ("publish", {})):
        assert d(rs, action=action, data=["name"], purpose="delivery", **extra).decision == "deny"


# 8. Rules and citations on every decision (docs/semantics.md §6) ------------------------------
def test_8_every_decision_carries_rules_and_citations():
    rs = load_policy("aizu")
    out = d(rs, action="share", data=["purchase_history"], recipient="jccu", purpose="delivery")
    assert out.rules and out.citations == ("aizu 指針2 ◇商品・サービスの提供に関わっての共同利用",)
    assert out.items[0].rules[0] == out.rules[0]


def test_8_a_deny_says_what_was_missing():
    rs = policy("purchase history may be shared with jccu for delivery   [g]\n")
    out = d(rs, action="share", data=["purchase_history"], recipient="coop_kyosai", purpose="delivery")
    text = " ".join(reason_texts(out))
    assert "recipient" in text and "coop_kyosai" in text and "demo:4" in text
    out = d(rs, action="share", data=["purchase_history"], recipient="jccu", purpose="billing")
    assert "purpose" in " ".join(reason_texts(out))


def test_6_subjects_closed_list_without_subject_is_about_members_and_grants_its_list():
    rs = policy("photo may only be published for newsletter publication   [c]\n")
    sc = dict(action="publish", data=["photo"], purpose="newsletter_publication")
    assert d(rs, **sc).basis == "purpose"
    assert d(rs, **dict(sc, purpose="information_provision")).rules == ("demo:4",)
    assert d(rs, **dict(sc, subject="contributor")).decision == "deny"  # not granted to others


def test_obligations_from_grants_and_notice_requirements_are_reported_with_their_rules():
    rs = policy("name may be used for delivery   [u]\n"
                "name may be entrusted to delivery companies for delivery obliging supervise contractor   [e]\n"
                "collecting personal data requires notice   [n]\n")
    out = d(rs, action="share", data=["name"], recipient="delivery_company", purpose="delivery")
    assert out.basis == "entrustment" and out.obligations == ("supervise_contractor",)
    collected = d(rs, action="collect", data=["name"], purpose="delivery")
    assert collected.obligations == ("notify_purpose",) and "demo:6" in collected.rules


def test_5_bases_collect_under_a_legal_exception_reports_it():
    rs = policy("sensitive data may be used for welfare services   [u]\n"
                "honour legal exceptions: by law   [h]\n")
    out = d(rs, action="collect", data=["sensitive_data"], purpose="welfare_services", exception="by_law")
    assert out.basis == "legal_exception" and any(r.startswith("appi:") for r in out.rules)
    assert d(rs, action="collect", data=["sensitive_data"], purpose="welfare_services",
             exception="protect_life").decision == "deny"  # not honoured


def test_6_subjects_any_declared_purpose_respects_narrower_closed_lists():
    rs = policy("personal data may be used for product info and kyosai   [g]\n"
                "kyosai contract info may only be used for kyosai   [c]\n"
                "personal data may be entrusted to contractors for any declared purpose   [e]\n")
    sc = dict(action="share", recipient="contractor", data=["kyosai_contract_info"])
    assert d(rs, **sc, purpose="kyosai_contract").basis == "entrustment"
    assert d(rs, **sc, purpose="product_info").decision == "deny"
    assert d(rs, **dict(sc, data=["name"]), purpose="product_info").basis == "entrustment"
