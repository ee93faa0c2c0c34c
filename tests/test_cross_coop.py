"""Cross-co-op table: one scenario, five expected decisions, read from the source policies.

Every row was written from the published texts of the five co-ops (not from the rule files in
``policies/``), so this table is an independent check on the encodings. Each row gives the
scenario (JSON contract without ``coop``), the expected decision per co-op — ``"permit"`` /
``"deny"``, or ``"permit:BASIS"`` to check the legal basis as well — and ``why``, naming the
clauses read. Clause names: aizu 方針N / 指針N; ibaraki 「目的」N (情報収集・利用の目的),
「開示」N and 「開示ただし書」N (第三者への開示); aicoop_miyagi section numbers (1.2(2), 2.2(1),
6〈1〉 …); nara 「方針」N, 「利用目的」(N), 「共同利用」; kuruko 「方針」(N) and section 1./2.

Readings applied throughout (fail closed, docs/semantics.md §0.1; subjects, §4.1):
- a purpose or grant stated without a data subject is about members;
- joint use (共同利用) must cover item, recipient and purpose as that co-op states them; lists
  ending in など/等 are not widened, while "A、Bその他のC" / "A、Bその他C" reach the category C;
- aizu: the operative joint-use notices are the two ◇ blocks of 指針2 (they carry the items the
  law requires); the introductory list of 指針2 does not widen them;
- ibaraki: the joint users of 開示ただし書1 are named without items or purposes, so the joint
  use covers any item for ibaraki's published purposes (目的1-11), plus the electricity business;
- nara: the joint use with its subsidiaries and コープきんき states no purpose of its own, so it
  runs for nara's published purposes; the catalogue joint use with JCCU/コープきんき covers only
  組合員登録データ (basic_info) and カタログ商品購入データ, the kyosai one only basic_info;
- legal exceptions: aizu (指針3 ※) and nara (方針3) name only 法令に基づく場合 (by_law);
  ibaraki (開示2-5) names all four; aicoop_miyagi (2.2(3)) names law and the protection of life,
  health or property (by_law, protect_life); kuruko's 「法令による例外」 (方針(5)) is read as the
  exceptions the Act itself lays down, i.e. all four;
- collection needs consent at aizu (方針2), ibaraki (基本的な考え方1) and aicoop_miyagi (1.3);
  nara and kuruko only promise lawful, fair collection with the purpose stated.
"""

from __future__ import annotations

import functools
import re

import pytest

import coopcheck as engine
from coopcheck.presentation.wording import reason_texts

COOPS = ("aizu", "ibaraki", "aicoop_miyagi", "nara", "kuruko")

P, D = "permit", "deny"
PJ, PE, PP, PC, PL = "permit:joint_use", "permit:entrustment", "permit:purpose", "permit:consent", "permit:legal_exception"


def every(value):
    """The same expectation for all five co-ops."""
    return {c: value for c in COOPS}


def only(value, *coops, other=D):
    """``value`` for the named co-ops, ``other`` for the rest."""
    return {c: (value if c in coops else other) for c in COOPS}


# (name, scenario, expected per co-op, why)
ROWS = [
    # ---------------------------------------------------------------- baseline purposes of use
    ("member name used for delivery",
     dict(action="use", data=["name"], purpose="delivery"),
     every(PP),
     "aizu 指針1④; ibaraki 目的2 (お届け); miyagi 1.2(2) (受注及び発送); nara 利用目的(4); "
     "kuruko 1.(2) (受注・供給事業)"),

    ("member name used for membership management",
     dict(action="use", data=["name"], purpose="membership_management"),
     dict(aizu=PP, ibaraki=PP, aicoop_miyagi=D, nara=PP, kuruko=PP),
     "aizu 指針1① 出資金・組合員台帳; ibaraki 目的1; nara 利用目的(11) 出資金; kuruko 1.(1); "
     "miyagi 1.2(2) limits member data to 商品の案内・注文内容の確認・供給促進・受注及び発送・その他の"
     "サービス — the member ledger is not among them (fail closed; the register itself rests on law)"),

    ("purchase history used for personalised recommendations",
     dict(action="use", data=["purchase_history"], purpose="personalized_recommendation"),
     only(PP, "ibaraki"),
     "only ibaraki 目的9 (利用実績から分析したおすすめ商品等を個人別に表示) states profiling; "
     "aizu ② / nara (2) / kuruko 1.(2) / miyagi 1.2(2) only announce products (product_info), "
     "which the vocabulary keeps apart from personalized_recommendation"),

    ("purchase history used for personalised recommendations, with consent",
     dict(action="use", data=["purchase_history"], purpose="personalized_recommendation", consent=True),
     dict(aizu=PC, ibaraki=PP, aicoop_miyagi=PC, nara=PC, kuruko=PC),
     "ibaraki 目的9 is a declared purpose (purpose before consent); elsewhere consent is the APPI 18(1) "
     "route: aizu 方針5 and kuruko 方針(3) say so expressly; nara forbids nothing; miyagi 1.2(2) itself "
     "foresees use beyond the limited purposes, so its limitation is no outright bar"),

    ("purchase history used for product development",
     dict(action="use", data=["purchase_history"], purpose="product_development"),
     dict(aizu=PP, ibaraki=PP, aicoop_miyagi=D, nara=D, kuruko=D),
     "aizu 指針1 (利用情報は品揃え改善・価格見直し・サービスの改善等のため) and ⑪; ibaraki 目的8 (改善を図る"
     "ための統計・分析); miyagi 1.2(2)<1> limits survey data to sending and return checks; nara lists "
     "no analysis purpose; kuruko 1.(3) covers only sending/collecting survey and market-research "
     "material, not analysing purchase history"),

    ("member name used for member recruitment",
     dict(action="use", data=["name"], purpose="member_recruitment"),
     only(PP, "aizu", "nara"),
     "aizu 指針1⑨ 生協組合員募集のご案内; nara 利用目的(1) ならコープ組合員募集のご案内; ibaraki, miyagi "
     "and kuruko state no recruitment purpose"),

    ("member name used for information on the co-op's business and activities",
     dict(action="use", data=["name"], purpose="information_provision"),
     only(PP, "ibaraki", "kuruko"),
     "ibaraki 目的7 (事業や運営、活動に関わる情報の提供); kuruko 1.(4) (生協の活動や事業にかかわる情報の提供); "
     "aizu ② (商品・サービス情報) / ⑩ (活動を推進), nara (2) and miyagi 1.2(2) do not state it"),

    ("member name used for governance (総代会 operation)",
     dict(action="use", data=["name"], purpose="governance"),
     only(PP, "aizu", "nara"),
     "aizu 指針1⑫ (総代会など生協の機関運営); nara 利用目的(13) (総代会など生協の機関運営); miyagi gives "
     "governance to delegates only (1.2(4)), not to members (1.2(2)); ibaraki and kuruko state none"),

    ("member name used for welfare services",
     dict(action="use", data=["name"], purpose="welfare_services"),
     only(PP, "nara", "kuruko"),
     "nara 利用目的(10) 福祉関連サービスにおける各種手続き代行; kuruko 1.(2)6) 組合員の福祉の増進を図る事業; "
     "aizu and ibaraki state no welfare purpose; miyagi 1.2(2) 'その他のサービスの提供' is the supply "
     "of products and services its examples belong to, not welfare (the ジョイケア contact point in 7. "
     "is no purpose of use)"),

    ("member name used for the insurance agency business",
     dict(action="use", data=["name"], purpose="insurance"),
     dict(aizu=PP, ibaraki=D, aicoop_miyagi=D, nara=PP, kuruko=PP),
     "aizu 指針1 「商品・サービス」の範囲③ 保険; nara ※ 商品・サービスの範囲は…共済、保険; kuruko 1.(2)5) "
     "保険代理に関する事業; ibaraki's purposes (目的1-11) and miyagi 1.2(2) never name insurance "
     "(ibaraki's joint user (株)コープデリ保険センター is not a purpose of use)"),

    # ---------------------------------------------------------------- subjects other than members
    ("applicant's resume used for hiring",
     dict(action="use", subject="applicant", data=["resume"], purpose="hiring"),
     dict(aizu=PP, ibaraki=D, aicoop_miyagi=PP, nara=D, kuruko=D),
     "aizu 指針1⑭ 採用・募集活動応募者への連絡; miyagi 1.2(6) 就職希望の方…採用活動の目的に限定; ibaraki, "
     "nara and kuruko state no purpose for applicants"),

    ("employee name used for employment management",
     dict(action="use", subject="employee", data=["name"], purpose="employment_management"),
     only(PP, "aizu"),
     "aizu 指針1⑬ 職員の雇用管理; no other co-op states a purpose for staff data (kuruko 1.(2)7) is an "
     "education business, miyagi 1.2(7) 'その他関係者' declares no purpose)"),

    ("prospect's name used for sending membership material",
     dict(action="use", subject="prospect", data=["name"], purpose="material_sending"),
     dict(aizu=PP, ibaraki=D, aicoop_miyagi=PP, nara=D, kuruko=D),
     "miyagi 1.2(1) 資料請求等をされた方…資料送付・連絡の目的に限定; aizu 指針6 data entered for 資料請求・"
     "加入ご希望 is used for that purpose only (the prospect's own request); nara (1) 組合員募集 is "
     "a members' purpose; ibaraki and kuruko state nothing for prospects"),

    ("gift recipient's address used for the gift delivery",
     dict(action="use", subject="gift_recipient", data=["address"], purpose="gift_delivery"),
     only(PP, "aicoop_miyagi"),
     "miyagi 1.2(5) 送り先の個人情報は当該ギフト発送の目的に限定; the other co-ops state purposes for "
     "members only"),

    ("gift recipient's address kept for next year's gift form, no consent",
     dict(action="use", subject="gift_recipient", data=["address"], purpose="gift_form_preparation"),
     every(D),
     "miyagi 1.2(5) 但し…ご承諾を得たうえで — only with consent; nobody else states the purpose"),

    ("gift recipient's address kept for next year's gift form, with consent",
     dict(action="use", subject="gift_recipient", data=["address"], purpose="gift_form_preparation",
          consent=True),
     dict(aizu=PC, ibaraki=PC, aicoop_miyagi=P, nara=PC, kuruko=PC),
     "miyagi 1.2(5) 但し書 (basis not checked: a consent-conditioned purpose); elsewhere the APPI 18(1) "
     "consent basis, nothing forbids it"),

    ("family member's name used for member activities",
     dict(action="use", subject="member_family", data=["name"], purpose="member_activities"),
     only(PP, "aicoop_miyagi"),
     "miyagi 1.1(3) and 1.2(3) 組合員活動に参加される組合員やご家族…受付名簿、連絡、会議・催し等; the others' "
     "activity purposes (aizu ⑩, nara (12), kuruko 1.(2)3)) are about members"),

    ("delegate's name used for governance",
     dict(action="use", subject="delegate", data=["name"], purpose="governance"),
     dict(aizu=PP, ibaraki=D, aicoop_miyagi=PP, nara=PP, kuruko=D),
     "miyagi 1.2(4) 総代…総代公示、受付名簿、連絡、会議等; aizu 指針1⑫ and nara 利用目的(13) name 総代会 — a "
     "purpose that is about delegates by its nature, so a compliance officer reads it as covering "
     "them; ibaraki and kuruko state no governance purpose"),

    # ---------------------------------------------------------------- newsletter / publication
    ("contributor's submission, name and town published in the newsletter",
     dict(action="publish", subject="contributor", data=["submission", "name", "municipality"],
          purpose="newsletter_publication"),
     only(PP, "aizu"),
     "aizu 指針5 投稿は…各種媒体に掲載; 掲載時には氏名、市町村名なども掲載; no other co-op has a publication "
     "rule, so without consent they deny"),

    ("contributor's full address published in the newsletter",
     dict(action="publish", subject="contributor", data=["address"], purpose="newsletter_publication"),
     every(D),
     "aizu 指針5 names 氏名、市町村名 'など' — not widened, and a grant for the town does not cover the "
     "full address; nobody else publishes"),

    ("contributor's address used to send a prize",
     dict(action="use", subject="contributor", data=["address"], purpose="delivery"),
     only(PP, "aizu"),
     "aizu 指針5 投稿…に記載の個人情報は…ご連絡、商品発送等に利用; the others state nothing for contributors"),

    ("contributor's address used for product offers",
     dict(action="use", subject="contributor", data=["address"], purpose="product_info"),
     every(D),
     "aizu 指針5 事前に承諾を得ず、個人情報をそれ以外には利用しません; nobody else declares contributors"),

    ("member name published in the newsletter with consent",
     dict(action="publish", data=["name"], purpose="newsletter_publication", consent=True),
     every(PC),
     "APPI consent basis; no co-op forbids publication with consent (aizu 指針5 承諾; miyagi's refusal "
     "in 2.2 is about unrelated third parties, not the co-op's own newsletter)"),

    # ---------------------------------------------------------------- collection
    ("member name collected for delivery, no consent",
     dict(action="collect", data=["name"], purpose="delivery"),
     dict(aizu=D, ibaraki=D, aicoop_miyagi=D, nara=PP, kuruko=PP),
     "consent to collect: aizu 方針2 ご本人の同意を得て取得; ibaraki 基本的な考え方1 本人の同意を得て取得; "
     "miyagi 1.3 同意を頂いた方からのみ収集; nara 方針1 (purpose stated) and kuruko 方針(4) (公正かつ適法に) "
     "require no consent"),

    ("member name collected for delivery, with consent",
     dict(action="collect", data=["name"], purpose="delivery", consent=True),
     dict(aizu=PC, ibaraki=PC, aicoop_miyagi=PC, nara=PP, kuruko=PP),
     "as above: consent is what makes it lawful at aizu/ibaraki/miyagi; nara and kuruko need only "
     "the declared purpose (nara (4), kuruko 1.(2))"),

    ("purchase history collected for personalised recommendations, with consent",
     dict(action="collect", data=["purchase_history"], purpose="personalized_recommendation",
          consent=True),
     dict(aizu=D, ibaraki=PC, aicoop_miyagi=D, nara=D, kuruko=D),
     "collection needs a declared purpose: only ibaraki 目的9 declares it (and 基本的な考え方1 needs "
     "consent); consent cannot stand in for an undeclared purpose of collection"),

    ("applicant's resume collected for hiring, with consent",
     dict(action="collect", subject="applicant", data=["resume"], purpose="hiring", consent=True),
     dict(aizu=PC, ibaraki=D, aicoop_miyagi=PC, nara=D, kuruko=D),
     "aizu 指針1⑭ + 方針2; miyagi 1.2(6) + 1.3; no hiring purpose at ibaraki, nara, kuruko"),

    ("sensitive data collected for welfare services, no consent",
     dict(action="collect", data=["sensitive_data"], purpose="welfare_services"),
     every(D),
     "APPI Art. 20(2): sensitive data only with consent (law baseline, every co-op)"),

    ("sensitive data collected for welfare services, with consent",
     dict(action="collect", data=["sensitive_data"], purpose="welfare_services", consent=True),
     dict(aizu=D, ibaraki=D, aicoop_miyagi=D, nara=PC, kuruko=PC),
     "consent meets APPI 20(2), but a declared purpose is still needed: nara 利用目的(10) 福祉関連サービス, "
     "kuruko 1.(2)6) 福祉の増進; aizu, ibaraki, miyagi state no welfare purpose"),

    # ---------------------------------------------------------------- joint use: goods and services
    ("purchase history to JCCU for delivery",
     dict(action="share", data=["purchase_history"], recipient="jccu", purpose="delivery"),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=D, kuruko=D),
     "aizu 指針2 ◇商品・サービス (商品購買履歴, 日本生協連, お届け); ibaraki 開示ただし書1 日本生協連 + 目的2; "
     "miyagi 6 items 購買履歴 + 〈1〉 日本生協連, 商品の供給; nara 共同利用 gives JCCU only カタログ商品購入"
     "データ (narrower than purchase history); kuruko 2. item list has no purchase history"),

    ("purchase history to JCCU for delivery, with consent",
     dict(action="share", data=["purchase_history"], recipient="jccu", purpose="delivery", consent=True),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=PC, kuruko=PC),
     "joint use is reported before consent where it applies (as the row above); at nara (方針3 事前承認) "
     "and kuruko (方針(5) ご本人の同意) consent is the basis"),

    ("catalogue purchase data to JCCU for delivery",
     dict(action="share", data=["catalog_purchase_data"], recipient="jccu", purpose="delivery"),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=PJ, kuruko=D),
     "purchase-history grants cover catalogue data (aizu ◇商品・サービス, miyagi 6〈1〉, ibaraki any item); "
     "nara 共同利用 カタログ事業…日本生協連…カタログ商品購入データ; kuruko 2. items are basic data only"),

    ("name and catalogue purchase data to JCCU for billing",
     dict(action="share", data=["name", "catalog_purchase_data"], recipient="jccu", purpose="billing"),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=PJ, kuruko=D),
     "item by item: aizu ◇商品・サービス (代金のご請求); ibaraki 目的3; miyagi 〈1〉 商品の供給 (billing is part "
     "of supply); nara カタログ事業 (組合員登録データ + カタログ商品購入データ); kuruko: name yes, catalogue "
     "data not in the 2. item list -> the scenario is denied"),

    ("name and bank account to JCCU for billing",
     dict(action="share", data=["name", "bank_account"], recipient="jccu", purpose="billing"),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=D, kuruko=D),
     "aizu ◇商品・サービス lists 代金等引落し口座; miyagi 6 lists 組合員登録口座; ibaraki any item; nara's JCCU "
     "joint use is registration + catalogue data only; kuruko 2. items have no account"),

    ("join date to JCCU for delivery",
     dict(action="share", data=["join_date"], recipient="jccu", purpose="delivery"),
     dict(aizu=D, ibaraki=PJ, aicoop_miyagi=D, nara=PJ, kuruko=D),
     "aizu's goods block has no 生協加入日 (only the kyosai block); miyagi 6 adds 生協加入日 only for the "
     "コープ共済連 joint use; nara 組合員登録データ (basic_info) includes the join date; ibaraki any item; "
     "kuruko 2. list has no join date"),

    ("purchase history to JCCU for personalised recommendations",
     dict(action="share", data=["purchase_history"], recipient="jccu",
          purpose="personalized_recommendation"),
     only(PJ, "ibaraki"),
     "ibaraki: JCCU is a joint user (開示ただし書1) and 目的9 is a published purpose; aizu ◇商品・サービス "
     "purposes are お届け・請求・問い合わせ・ご案内・開発改善 'など' (not widened); miyagi 〈1〉 supply only; "
     "nara, kuruko: item and purpose outside"),

    ("all personal data to コープきんき for order taking",
     dict(action="share", data=["personal_data"], recipient="coop_kinki", purpose="order_taking"),
     only(PJ, "nara"),
     "nara 共同利用: ならコープ…コープきんき事業連合は…そのすべての項目について共同利用 (for nara's purposes, "
     "(3) ご注文); no other co-op names コープきんき"),

    ("purchase history to a nara subsidiary (CWS) for after-sales service",
     dict(action="share", data=["purchase_history"], recipient="cws", purpose="after_service"),
     only(PJ, "nara"),
     "nara 共同利用 子会社及び子法人 (※ (株)CWS) すべての項目, 利用目的(7); nobody else names them"),

    ("name to コープデリ連合会 for delivery",
     dict(action="share", data=["name"], recipient="coopdeli_federation", purpose="delivery"),
     only(PJ, "ibaraki", "kuruko"),
     "ibaraki 開示ただし書1 コープデリ連合会; kuruko 2.(1) コープデリ生活協同組合連合会, 物資供給事業, 氏名 in the "
     "list; aizu, miyagi, nara do not name it"),

    ("name to (株)コープデリサービス for delivery",
     dict(action="share", data=["name"], recipient="coopdeli_service", purpose="delivery"),
     only(PJ, "ibaraki"),
     "ibaraki 開示ただし書1 names (株)コープデリサービス; kuruko names only JCCU and the コープデリ federation"),

    ("name to コープデリ連合会 for the electricity business",
     dict(action="share", data=["name"], recipient="coopdeli_federation", purpose="electricity_business"),
     only(PJ, "ibaraki"),
     "ibaraki 開示ただし書1 …及び電気事業に関して共同利用する場合 (and the federation is a named joint "
     "user); kuruko 2.(1) is the goods-supply business only; no one else names electricity"),

    ("name to コープ東北サンネット for billing",
     dict(action="share", data=["name"], recipient="coop_tohoku_sunnet", purpose="billing"),
     only(PJ, "aizu"),
     "aizu 指針2 ◇商品・サービス 共同利用者 コープ東北サンネット事業連合, 代金のご請求; nobody else names it"),

    ("name to a business partner for product information",
     dict(action="share", data=["name"], recipient="business_partner", purpose="product_info"),
     only(PJ, "aizu"),
     "aizu ◇商品・サービス 共同利用者 'その他、商品・サービスの事業提携契約を結んでいる関係各社・団体・個人' "
     "(a named category, not a widened list), 商品やサービスのご案内; miyagi 2.2(2) covers only service "
     "partners for referral; the others have no partner grant"),

    ("name to a service partner for referral (斡旋), no consent",
     dict(action="share", data=["name"], recipient="service_partner", purpose="referral"),
     every(D),
     "miyagi 2.2(2) サービスの紹介・斡旋業務における個人情報の提供: the text itself calls it 提供, and the "
     "partner serves the member for its own contract, so it is third-party provision (APPI 27(1)) "
     "resting on the application form the member fills in (申込書類) — consent, which a policy "
     "cannot waive (2.2's intro filing 取引先 under 委託 does not make it entrustment); aizu's partner "
     "joint use lists no 斡旋 purpose (◇商品・サービス ③ 'など' not widened) although 指針1⑤ is a purpose "
     "of use; nara (5) likewise has no provision basis; ibaraki, kuruko nothing"),

    ("name to a service partner for referral (斡旋), with consent",
     dict(action="share", data=["name"], recipient="service_partner", purpose="referral", consent=True),
     dict(aizu=PC, ibaraki=PC, aicoop_miyagi=P, nara=PC, kuruko=PC),
     "miyagi 2.2(2) with the member's application (basis not checked: a consent-conditioned "
     "provision grant); elsewhere the APPI 27(1) consent basis — a service partner is business-related, "
     "so miyagi's 2.2 refusal of unrelated third parties does not apply"),

    ("name to 宮城県生協連 for kerosene supply",
     dict(action="share", data=["name"], recipient="miyagi_coop_federation", purpose="kerosene_supply"),
     only(PJ, "aicoop_miyagi"),
     "miyagi 6〈1〉 灯油の供給…宮城県生活協同組合連合会; nobody else"),

    ("purchase history to パルシステム連合会 for order taking",
     dict(action="share", data=["purchase_history"], recipient="palsystem_federation",
          purpose="order_taking"),
     only(PJ, "aicoop_miyagi"),
     "miyagi 6 購買履歴 + 〈1〉 パルシステム生活協同組合連合会, 商品の供給; nobody else"),

    ("name to パルシステム電力 for delivery",
     dict(action="share", data=["name"], recipient="palsystem_electric", purpose="delivery"),
     only(PJ, "aicoop_miyagi"),
     "miyagi 6〈1〉 lists 株式会社パルシステム電力 (商品の供給・サービスの提供); ibaraki's electricity joint use "
     "names no partner and is for electricity, not delivery"),

    # ---------------------------------------------------------------- joint use: kyosai
    ("name to コープ共済連 for kyosai contracts",
     dict(action="share", data=["name"], recipient="coop_kyosai", purpose="kyosai_contract"),
     every(PJ),
     "aizu ◇共済事業、保険事業; ibaraki 開示ただし書1 コープ共済連 + 目的10; miyagi 6〈2〉; nara 共済事業…"
     "組合員登録データ; kuruko 2.(2) (氏名 in the list)"),

    ("purchase history to コープ共済連 for kyosai contracts",
     dict(action="share", data=["purchase_history"], recipient="coop_kyosai", purpose="kyosai_contract"),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=D, kuruko=D),
     "aizu's kyosai block does not list 商品購買履歴, but '請求金額その他の取引関連情報' names the "
     "category 取引関連情報, purchase history included; miyagi 6 base items (購買履歴) apply to "
     "コープ共済連 plus extras (上記の他に); ibaraki any item; nara only 組合員登録データ; kuruko list"),

    ("bank account to コープ共済連 for kyosai contracts",
     dict(action="share", data=["bank_account"], recipient="coop_kyosai", purpose="kyosai_contract"),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=D, kuruko=D),
     "aizu kyosai block 代金等引落し口座; miyagi 6 組合員登録口座; ibaraki any item; nara basic_info only; "
     "kuruko 2. list has no account"),

    ("join date to コープ共済連 for kyosai contracts",
     dict(action="share", data=["join_date"], recipient="coop_kyosai", purpose="kyosai_contract"),
     dict(aizu=PJ, ibaraki=PJ, aicoop_miyagi=PJ, nara=PJ, kuruko=D),
     "aizu kyosai block 生協加入日; miyagi 6 共済連 extras 生協加入日; nara 組合員登録データ (basic_info); "
     "ibaraki any item; kuruko 2. list (氏名・生年月日・性別・住所・電話・メール・組合員コード) has none"),

    ("name to 全労済 for kyosai contracts",
     dict(action="share", data=["name"], recipient="zenrosai", purpose="kyosai_contract"),
     only(PJ, "aizu", "kuruko"),
     "aizu kyosai block 全国労働者共済生活協同組合連合会; kuruko 2.(2) …および全労済; ibaraki, miyagi, nara "
     "name only コープ共済連 (kuruko's '全労済をはじめとする事業団体' adds the other underwriting bodies, "
     "not other co-ops' joint users)"),

    ("name to あいづ協同サービス for kyosai contracts",
     dict(action="share", data=["name"], recipient="aizu_kyodo_service", purpose="kyosai_contract"),
     only(PJ, "aizu"),
     "aizu kyosai block 有限会社あいづ協同サービス; nobody else"),

    ("name to コープ共済連 for delivery",
     dict(action="share", data=["name"], recipient="coop_kyosai", purpose="delivery"),
     only(PJ, "ibaraki"),
     "ibaraki's joint users carry no purpose limit beyond its published purposes (目的2 お届け); aizu "
     "kyosai block, miyagi 〈2〉, nara 共済事業 and kuruko 2.(2) are kyosai-only"),

    # ---------------------------------------------------------------- entrustment
    ("address to a delivery company for delivery",
     dict(action="share", data=["address"], recipient="delivery_company", purpose="delivery"),
     every(PE),
     "aizu 指針3①; ibaraki 開示ただし書2; miyagi 2.2(1) 配達; nara 方針3 業務委託先; kuruko 方針(6)"),

    ("bank account to a financial institution for billing",
     dict(action="share", data=["bank_account"], recipient="financial_institution", purpose="billing"),
     dict(aizu=PE, ibaraki=PE, aicoop_miyagi=PE, nara=PE, kuruko=PE),
     "aizu 指針3② 代金口座引き落としのために金融機関に委託; ibaraki 開示ただし書2; nara 方針3; kuruko 方針(6); "
     "miyagi 2.2(1): the project reads 保管、入力、配達…等 as examples of work given to contractors, bounded by "
     "'利用目的の範囲内' (billing by direct debit is a declared purpose, 1.2(2)<2>). The stricter reading — "
     "entrustment limited to the listed work, 等 not widened — would deny; see the comment in the policy"),

    ("name to a system maintenance vendor for order handling",
     dict(action="share", data=["name"], recipient="system_maintenance_vendor", purpose="order_taking"),
     every(PE),
     "aizu 方針6 / 指針3 (業務を委託する場合…; the ＜業務委託の例＞ are examples of a general grant); "
     "ibaraki 開示ただし書2; miyagi 2.2(1) 管理システムの保守点検; nara 方針3; kuruko 方針(6)"),

    ("name to a travel partner for travel",
     dict(action="share", data=["name"], recipient="travel_partner", purpose="travel"),
     only(PE, "aizu"),
     "aizu 指針3③ 旅行サービス…提携業者に委託 (travel is in aizu's 商品・サービス range ④); the others "
     "entrust only within purposes that never mention travel"),

    # ---------------------------------------------------------------- third parties, consent, exceptions
    ("name to an unrelated third party for marketing, no consent",
     dict(action="share", data=["name"], recipient="unrelated_third_party", purpose="third_party_marketing"),
     every(D),
     "no grant anywhere; aizu 指針3※, ibaraki 開示, nara 方針3, kuruko 方針(5): only with consent; miyagi "
     "2.2 refuses outright"),

    ("name to an unrelated third party for marketing, with consent",
     dict(action="share", data=["name"], recipient="unrelated_third_party", purpose="third_party_marketing",
          consent=True),
     dict(aizu=PC, ibaraki=PC, aicoop_miyagi=D, nara=PC, kuruko=PC),
     "consent opens it at aizu 指針3※, ibaraki 開示1, nara 方針3 事前承認, kuruko 方針(5); miyagi 2.2 "
     "事業・サービスに関連しない第三者への個人情報提供を行いません — no consent exception (only 2.2(3))"),

    ("name to an unrelated third party to protect life, no consent",
     dict(action="share", data=["name"], recipient="unrelated_third_party", purpose="legal_compliance",
          exception="protect_life"),
     dict(aizu=D, ibaraki=PL, aicoop_miyagi=PL, nara=D, kuruko=PL),
     "miyagi 2.2(3) carves 生命、健康、財産などの正当な利益を保護するために必要なとき out of its refusal; "
     "ibaraki 開示3; kuruko 方針(5) 法令による例外; aizu 指針3※ and nara 方針3 name only the law"),

    ("name to a public authority, no consent, no exception",
     dict(action="share", data=["name"], recipient="public_authority", purpose="legal_compliance"),
     every(D),
     "a declared purpose (ibaraki 目的11) is no basis for provision; no exception claimed"),

    ("name to a public authority as required by law",
     dict(action="share", data=["name"], recipient="public_authority", purpose="legal_compliance",
          exception="by_law"),
     every(PL),
     "aizu 指針3※ 法令に基づく場合; ibaraki 開示2; miyagi 2.2(3) 法令に定めがある場合; nara 方針3 法的根拠に"
     "基づいた要請; kuruko 方針(5) 法令による例外"),

    ("name to a public authority to protect life",
     dict(action="share", data=["name"], recipient="public_authority", purpose="legal_compliance",
          exception="protect_life"),
     dict(aizu=D, ibaraki=PL, aicoop_miyagi=PL, nara=D, kuruko=PL),
     "ibaraki 開示3; miyagi 2.2(3) 生命、健康、財産; kuruko 方針(5) (all statutory exceptions); aizu 指針3※ "
     "'同意がある場合や法令に基づく場合' and nara 方針3 name only the law"),

    ("name to a public authority for public health",
     dict(action="share", data=["name"], recipient="public_authority", purpose="legal_compliance",
          exception="public_health"),
     dict(aizu=D, ibaraki=PL, aicoop_miyagi=D, nara=D, kuruko=PL),
     "ibaraki 開示4 公衆衛生; kuruko 方針(5); miyagi 2.2(3) protects individuals' life/health/property, "
     "not public health (not widened); aizu and nara name only the law"),

    ("name to a foreign third party for delivery, no consent",
     dict(action="share", data=["name"], recipient="foreign_third_party", purpose="delivery"),
     every(D),
     "APPI Art. 28(1) (law baseline): foreign provision needs consent; no co-op states a foreign grant"),

    ("name to a foreign third party for delivery, with consent",
     dict(action="share", data=["name"], recipient="foreign_third_party", purpose="delivery", consent=True),
     every(PC),
     "APPI Art. 28(1) consent; no co-op forbids consented provision to a (business-related) recipient"),
]


# --------------------------------------------------------------------------------- the tests

def _expectation(value: str) -> tuple[str, str | None]:
    decision, _, basis = value.partition(":")
    return decision, (basis or None)


def test_table_is_complete():
    assert set(COOPS) == set(engine.shipped_policies())
    assert len(ROWS) >= 30
    names = [r[0] for r in ROWS]
    assert len(names) == len(set(names)), "duplicate row names"
    for name, scenario, expected, why in ROWS:
        assert set(expected) == set(COOPS), f"{name}: expectations for {sorted(expected)}"
        assert "coop" not in scenario, name
        assert why.strip(), name
        for value in expected.values():
            decision, basis = _expectation(value)
            assert decision in ("permit", "deny"), f"{name}: {value}"
            assert basis is None or (decision == "permit" and basis in (
                "purpose", "joint_use", "entrustment", "consent", "legal_exception", "mixed")), f"{name}: {value}"


@functools.lru_cache(maxsize=None)
def _ruleset(coop: str):
    return engine.load_policy(coop)


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")


CASES = [pytest.param(coop, name, scenario, expected[coop], why, id=f"{coop}-{_slug(name)}")
         for name, scenario, expected, why in ROWS for coop in COOPS]


@pytest.mark.parametrize("coop,name,scenario,expected,why", CASES)
def test_cross_coop(coop, name, scenario, expected, why):
    rs = _ruleset(coop)
    d = engine.decide(rs, dict(scenario))
    want_decision, want_basis = _expectation(expected)
    ok = d.decision == want_decision and (want_basis is None or d.basis == want_basis)
    assert ok, (
        f"\nco-op:    {coop}"
        f"\nrow:      {name}"
        f"\nscenario: {scenario}"
        f"\nexpected: {expected}"
        f"\nactual:   {d.decision} (basis {d.basis})"
        f"\nrules:    {list(d.rules)}"
        f"\nreasons:  {reason_texts(d)}"
        f"\nwhy:      {why}"
    )
