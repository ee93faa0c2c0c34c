"""The report's fixed wording in English and Japanese."""

from __future__ import annotations

from coopcheck.presentation.wording import ACTION_WORDS, BASIS_WORDS

#: Page and table wording by language.
WORDS = {
    "en": {
        "site": "coopcheck report",
        "index": "Co-ops",
        "compare": "Comparison",
        "index_title": "Privacy policies of the co-ops",
        "index_intro": "Each co-op's published privacy policy as compiled by coopcheck: what the policy "
                       "permits, to whom and for what, each row with the clause of the policy it comes from.",
        "compare_link": "Compare the co-ops side by side",
        "coop": "Co-op", "name": "Name", "date": "Date", "revised": "revised", "rules": "Rules", "source": "Rule file",
        "baseline": "Law baseline (APPI)",
        "baseline_intro": "Rules every co-op imports: the Act on the Protection of Personal Information. "
                          "A co-op's policy can only be stricter.",
        "reading": "How to read the tables",
        "reading_items": (
            "A term stands for itself and every term under it in the vocabulary "
            "(purchase_history covers catalog_purchase_data).",
            "Rows are the rules as the policy writes them; the second column is the clause they cite, "
            "with the rule's place in the rule file.",
            "Anything no rule permits is denied: an empty cell means the co-op's text does not allow it.",
        ),
        "contents": "Contents",
        "meta": "Policy details",
        "purposes": "Purposes of use",
        "purposes_intro": "What personal data may be used (and collected) for, by data subject.",
        "joint_uses": "Joint use",
        "joint_uses_intro": "Data shared with named joint users (共同利用): items, users, purposes and "
                            "who is responsible.",
        "entrustments": "Entrustment",
        "entrustments_intro": "Contractors the co-op may entrust handling to (委託), with the obligations "
                              "it takes on.",
        "provisions": "Provision to third parties and publication",
        "provisions_intro": "When data may go to a third party or be published (第三者提供・公表).",
        "restrictions": "Prohibitions and requirements",
        "restrictions_intro": "Rules that deny whatever the grants say: prohibitions, closed lists and "
                              "consent requirements; notice requirements add an obligation.",
        "exceptions": "Legal exceptions honoured",
        "exceptions_intro": "Exceptions of APPI Art. 18(3) / 27(1) the co-op relies on; a claimed exception "
                            "not listed here does not open anything.",
        "none_rows": "The policy states none.",
        "key": "Item", "value": "Value", "clause": "Clause",
        "subject": "Data subject", "subjects": "Data subjects", "items": "Data items",
        "recipients": "Recipients", "joint_users": "Joint users", "contractors": "Contractors",
        "purposes_col": "Purposes", "conditions": "Conditions", "obligations": "Obligations",
        "responsible": "Responsible party", "action": "Action", "kind": "Rule", "unless": "Unless",
        "exception": "Legal exception",
        "any_subject": "any subject", "any_purpose": "any purpose",
        "declared_purpose": "any declared purpose", "anyone": "anyone", "none": "—",
        "only": "only these",
        "consent": "consent", "consent_col": "Consent", "provided": "provided that", "any_exception": "a legal exception the co-op honours",
        "kind.prohibition": "must not", "kind.closed": "may only", "kind.requirement": "requires",
        "need.consent": "consent", "need.notice": "notice",
        "verb.use": "use", "verb.collect": "collect", "verb.publish": "publish", "verb.provide": "provide",
        "verb.share": "share", "verb.joint_use": "share (joint use)", "verb.entrust": "entrust",
        "verb.any": "any",
        "meta.name": "Name", "meta.short name": "Short name", "meta.date": "Policy date",
        "meta.revised": "Revised", "meta.responsible party": "Responsible party",
        "meta.representative": "Representative", "meta.address": "Address", "meta.contact": "Contact",
        "meta.disclosure fee": "Disclosure fee", "meta.request procedure": "Request procedure",
        "meta.note": "Note",
        "compare_title": "The co-ops side by side",
        "compare_intro": "Where the co-ops' policies agree and where they differ: the purposes they declare, "
                         "whom they jointly use data with, and the exact regions of scenarios that two "
                         "policies decide differently.",
        "glance": "At a glance",
        "honoured": "Legal exceptions honoured",
        "matrix.purposes": "Declared purposes of use",
        "matrix.purposes_intro": "Which co-op declares which purpose (unconditionally; consent opens any "
                                 "purpose everywhere). Small print: the data subjects or items when the rule "
                                 "is not about all of members' personal data.",
        "matrix.joint_users": "Joint users",
        "matrix.joint_users_intro": "Who each co-op jointly uses data with, and for which purposes.",
        "matrix.joint_items": "Jointly used data items",
        "matrix.joint_items_intro": "Which data items each co-op jointly uses, and with whom.",
        "term": "Term", "via": "via", "declared": "declared purposes", "yes": "✓",
        "diffs": "Where the policies differ",
        "diffs_intro_all": "Every pair of co-ops, compared exactly over the whole scenario space (every "
                           "action, data subject, data item, recipient, purpose, consent and legal exception). "
                           "Each region is a set of scenarios that both policies decide the same way within "
                           "the region and differently from each other.",
        "diffs_intro_base": "Each co-op against {base}, compared exactly over the whole scenario space (every "
                            "action, data subject, data item, recipient, purpose, consent and legal exception). "
                            "Each region is a set of scenarios that both policies decide the same way within "
                            "the region and differently from each other.",
        "pair": "Pair", "regions": "Regions", "opposite": "Opposite decisions",
        "basis_only": "Same decision, other basis", "compared": "Scenarios compared",
        "identical": "no difference", "diff_error": "not compared",
        "largest": "The {n} largest regions where the decision differs",
        "all_regions": "All {n} regions",
        "pair_intro": "{regions} regions: {opposite} scenarios one policy permits and the other denies, "
                      "{basis} permitted by both on different legal bases, out of {total} single-item "
                      "scenarios compared (a scenario with several items is decided item by item).",
        "all_of": "all of", "all_below": "以下すべて", "except": "except", "n_items": "{n} data items",
        "every.subject": "every data subject", "every.item": "every data item",
        "every.party": "every recipient", "every.purpose": "every purpose",
        "every.exception": "every legal exception",
        "where": "Scenarios", "size": "Size",
        "consent_any": "with or without consent", "consent_yes": "with consent",
        "consent_no": "without consent", "no_exception": "no legal exception claimed",
        "claiming": "claiming",
        "decision.permit": "permit", "decision.deny": "deny",
        "versus": "vs",
        "stamp": "Generated",
        "footer": "Generated by coopcheck from the co-ops' rule files. No scripts, no network.",
        "back": "All co-ops",
    },
    "ja": {
        "site": "coopcheck レポート",
        "index": "生協一覧",
        "compare": "比較",
        "index_title": "各生協の個人情報保護方針",
        "index_intro": "coopcheck がコンパイルした各生協の個人情報保護方針: 何を、誰に、何のために認めているか。"
                       "各行に根拠となる条項を示します。",
        "compare_link": "生協を並べて比較する",
        "coop": "生協", "name": "名称", "date": "制定日", "revised": "最終改定", "rules": "ルール数", "source": "ルールファイル",
        "baseline": "法令上の基準（個人情報保護法）",
        "baseline_intro": "すべての生協が取り込むルール（個人情報保護法）。生協の方針はこれより厳しくすることしかできません。",
        "reading": "表の読み方",
        "reading_items": (
            "用語はその用語自身と、語彙の階層でその下にあるすべての用語を表します"
            "（purchase_history は catalog_purchase_data を含む）。",
            "各行は方針に書かれたルールで、2列目はその引用条項とルールファイル上の位置です。",
            "どのルールも認めないものは不許可です。空欄は生協の本文が認めていないことを意味します。",
        ),
        "contents": "目次",
        "meta": "方針の基本情報",
        "purposes": "利用目的",
        "purposes_intro": "個人情報を利用（および取得）できる目的（本人の区分ごと）。",
        "joint_uses": "共同利用",
        "joint_uses_intro": "共同利用者と共有するデータ: 項目、利用者、目的、管理責任者。",
        "entrustments": "委託",
        "entrustments_intro": "取扱いを委託できる委託先と、生協が負う義務。",
        "provisions": "第三者提供・公表",
        "provisions_intro": "第三者に提供し、または公表できる場合。",
        "restrictions": "禁止事項・要件",
        "restrictions_intro": "許可ルールにかかわらず不許可とするルール（禁止、限定列挙、同意の要件）。"
                              "通知の要件は義務を追加します。",
        "exceptions": "援用する法令上の例外",
        "exceptions_intro": "生協が援用する個人情報保護法18条3項・27条1項の例外。ここにない例外は何も許可しません。",
        "none_rows": "方針に定めはありません。",
        "key": "項目", "value": "内容", "clause": "条項",
        "subject": "本人の区分", "subjects": "本人の区分", "items": "データ項目",
        "recipients": "提供先", "joint_users": "共同利用者", "contractors": "委託先",
        "purposes_col": "利用目的", "conditions": "条件", "obligations": "義務",
        "responsible": "管理責任者", "action": "行為", "kind": "種類", "unless": "例外",
        "exception": "法令上の例外",
        "any_subject": "すべての本人", "any_purpose": "すべての目的",
        "declared_purpose": "公表した利用目的", "anyone": "すべての提供先", "none": "—",
        "only": "これらに限る",
        "consent": "本人の同意", "consent_col": "本人の同意", "provided": "条件:", "any_exception": "生協が援用する法令上の例外",
        "kind.prohibition": "禁止", "kind.closed": "限定列挙", "kind.requirement": "要件",
        "need.consent": "本人の同意", "need.notice": "利用目的の通知・公表",
        "verb.use": "利用", "verb.collect": "取得", "verb.publish": "公表", "verb.provide": "第三者提供",
        "verb.share": "提供", "verb.joint_use": "共同利用", "verb.entrust": "委託", "verb.any": "すべて",
        "meta.name": "名称", "meta.short name": "略称", "meta.date": "制定日", "meta.revised": "改定日",
        "meta.responsible party": "管理責任者", "meta.representative": "代表者", "meta.address": "住所",
        "meta.contact": "問い合わせ先", "meta.disclosure fee": "開示手数料",
        "meta.request procedure": "開示等の手続", "meta.note": "注記",
        "compare_title": "生協の比較",
        "compare_intro": "各生協の方針が一致する点と異なる点: 利用目的、共同利用先、そして二つの方針で判定が分かれる"
                         "シナリオの領域（厳密な差分）。",
        "glance": "概要",
        "honoured": "援用する法令上の例外",
        "matrix.purposes": "利用目的の比較",
        "matrix.purposes_intro": "どの生協がどの利用目的を定めているか（無条件のもの。同意があればどの生協でもすべての目的が可能）。"
                                 "小さな文字: 組合員の個人情報全体についてのルールでない場合の本人の区分・項目。",
        "matrix.joint_users": "共同利用者の比較",
        "matrix.joint_users_intro": "各生協が誰と、どの目的で共同利用しているか。",
        "matrix.joint_items": "共同利用する項目の比較",
        "matrix.joint_items_intro": "各生協がどのデータ項目を、誰と共同利用しているか。",
        "term": "用語", "via": "上位語", "declared": "公表した利用目的", "yes": "✓",
        "diffs": "方針の差分",
        "diffs_intro_all": "すべての生協の組み合わせを、シナリオ空間全体（行為、本人の区分、データ項目、提供先、目的、"
                           "同意、法令上の例外）で厳密に比較しました。各領域の中では両方の方針の判定がそれぞれ同じで、"
                           "二つの方針の間では異なります。",
        "diffs_intro_base": "各生協を {base} と、シナリオ空間全体（行為、本人の区分、データ項目、提供先、目的、"
                            "同意、法令上の例外）で厳密に比較しました。各領域の中では両方の方針の判定がそれぞれ同じで、"
                            "二つの方針の間では異なります。",
        "pair": "組み合わせ", "regions": "領域数", "opposite": "許可・不許可が異なる",
        "basis_only": "許可の根拠だけが異なる", "compared": "比較したシナリオ",
        "identical": "差分なし", "diff_error": "比較できません",
        "largest": "判定が分かれる最大の領域（{n}件）",
        "all_regions": "全{n}領域",
        "pair_intro": "{regions}領域: 一方が許可し他方が不許可とするシナリオ {opposite} 件、両方とも許可するが根拠が"
                      "異なるシナリオ {basis} 件（比較したデータ項目1つのシナリオ {total} 件のうち。複数項目の"
                      "シナリオは項目ごとに判定されます）。",
        "all_of": "all of", "all_below": "以下すべて", "except": "を除く", "n_items": "{n}項目",
        "every.subject": "すべての本人", "every.item": "すべてのデータ項目",
        "every.party": "すべての提供先", "every.purpose": "すべての目的",
        "every.exception": "すべての法令上の例外",
        "where": "シナリオ", "size": "件数",
        "consent_any": "同意の有無を問わず", "consent_yes": "同意あり", "consent_no": "同意なし",
        "no_exception": "法令上の例外の主張なし", "claiming": "主張する例外:",
        "decision.permit": "許可", "decision.deny": "不許可",
        "versus": "対",
        "stamp": "作成",
        "footer": "coopcheck が各生協のルールファイルから作成。スクリプト・ネットワーク接続なし。",
        "back": "生協一覧",
    },
}


def word(lang: str, key: str) -> str:
    """The wording of ``key`` in ``lang``."""
    return WORDS[lang][key]


#: Legal bases in a few words, for table cells.
BASIS_SHORT = {"en": {"purpose": "purpose of use", "joint_use": "joint use", "entrustment": "entrustment",
                      "legal_exception": "legal exception", "consent": "consent", "none": "no basis",
                      "mixed": "mixed bases"},
               "ja": BASIS_WORDS["ja"]}


def basis_word(lang: str, basis: str) -> str:
    """A legal basis in a few words (``joint_use`` -> "joint use")."""
    return BASIS_SHORT[lang].get(basis, basis)


def action_word(lang: str, action: str) -> str:
    """A scenario action in words."""
    return ACTION_WORDS[lang].get(action, action)
