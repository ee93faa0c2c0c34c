"""Finding terms by what a person would type: ids, words, labels, aliases — whole, as a prefix,
as a part — and the everyday words people use for them.

One search serves ``coopcheck terms --search``, the "did you mean" of every unknown name (CLI,
API, rule files) and any surface that offers terms (a form, an editor). It ranks, for each
term, the best way the query meets it:

1. the query *is* one of its names (after the normalization of docs/input.md);
2. one of its names starts with the query;
3. one of its names contains the query (``あいづ`` in ``コープあいづ``);
4. the query is an everyday word for it (``配達`` for ``delivery``), or contains one;
5. the query reads like one of its names (a close spelling, by :mod:`difflib`).

Everyday words only help people find a term; they never resolve a name in a rule file or a
scenario (only ids, words, labels and aliases do that).
"""

from __future__ import annotations

import difflib
import unicodedata

from attrs import frozen

from coopcheck.core.vocabulary import KIND_NAMES, Vocabulary

#: Everyday words for terms, as people say them (search only; never resolved as names).
EVERYDAY_WORDS: dict[str, tuple[str, ...]] = {
    "delivery": ("配達", "配送", "お届け", "宅配", "発送"),
    "billing": ("請求", "引き落とし", "引落し", "口座振替", "支払い"),
    "order_taking": ("注文", "受注"),
    "product_info": ("案内", "カタログ", "チラシ"),
    "survey": ("アンケート", "調査"),
    "inquiry_response": ("問い合わせ", "問合せ", "苦情", "クレーム"),
    "member_recruitment": ("勧誘", "加入案内"),
    "hiring": ("採用", "求人"),
    "kyosai": ("保障", "共済"),
    "insurance": ("保険",),
    "travel": ("旅行",),
    "name": ("名前", "お名前", "氏名"),
    "address": ("所在地", "住まい"),
    "phone": ("電話", "tel", "携帯"),
    "email": ("メール", "e-mail", "mail"),
    "birth_date": ("誕生日", "生年"),
    "purchase_history": ("購入履歴", "買い物履歴", "注文履歴"),
    "bank_account": ("口座", "銀行口座"),
    "member_number": ("会員番号",),
    "jccu": ("生協連",),
    "contractor": ("外注", "委託業者", "業者"),
    "delivery_company": ("運送会社", "宅配業者", "配送業者"),
    "unrelated_third_party": ("無関係", "外部"),
    "public": ("公開", "ホームページ掲載"),
    "member": ("会員", "組合員さん"),
    "employee": ("社員", "従業員", "スタッフ"),
    "by_law": ("法律", "法令"),
}

#: Ranks of the ways a query meets a term (lower is better).
EXACT, PREFIX, PART, EVERYDAY, CLOSE = range(5)
_HOW = {EXACT: "exact", PREFIX: "prefix", PART: "part", EVERYDAY: "everyday word", CLOSE: "close spelling"}


def fold(text: str) -> str:
    """A name or query as search compares it: NFKC, case-folded, ``_``/``-``/spaces alike."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().replace("_", " ").replace("-", " ").split())


@frozen
class Hit:
    """A term a query found: how (``rank``), and by which of its names (``matched``)."""

    id: str
    kind: str
    rank: int
    matched: str
    score: float = 1.0

    @property
    def how(self) -> str:
        """How the query met the term, in words."""
        return _HOW[self.rank]


def _names(vocab: Vocabulary, tid: str) -> list[str]:
    info = vocab.terms[tid]
    return [tid, tid.replace("_", " "), *([info.label] if info.label else []), *info.aliases]


def search(vocab: Vocabulary, query: str, kinds: tuple[str, ...] | str | None = None, limit: int = 10,
           close: float = 0.6) -> list[Hit]:
    """The terms (of ``kinds``, or of every kind) that ``query`` finds, best first, at most
    ``limit``; within a rank, the kind's declaration order.

    >>> from coopcheck.core.api import load_policy
    >>> v = load_policy("aizu").vocabulary
    >>> [h.id for h in search(v, "購買")][:1], search(v, "配達", "purpose")[0].id
    (['purchase_history'], 'delivery')
    >>> search(v, "あいづ", "coop")[0].id, search(v, "商品のお届け")[0].id
    ('aizu', 'delivery')
    """
    if isinstance(kinds, str):
        kinds = (kinds,)
    q = fold(query)
    if not q or len(q) > 200:
        return []
    found: list[Hit] = []
    for tid, info in vocab.terms.items():
        if kinds is not None and info.kind not in kinds:
            continue
        best: Hit | None = None
        for name in _names(vocab, tid):
            n = fold(name)
            rank = EXACT if n == q else PREFIX if n.startswith(q) else PART if q in n else None
            if rank is not None and (best is None or rank < best.rank):
                best = Hit(tid, info.kind, rank, name)
        if best is None:
            for word in EVERYDAY_WORDS.get(tid, ()):
                w = fold(word)
                if w == q or w in q or (len(q) >= 2 and q in w):
                    best = Hit(tid, info.kind, EVERYDAY, word)
                    break
        if best is None and close:
            ratio, name = max((difflib.SequenceMatcher(None, q, fold(n)).ratio(), n) for n in _names(vocab, tid))
            if ratio >= close:
                best = Hit(tid, info.kind, CLOSE, name, ratio)
        if best is not None:
            found.append(best)
    order = {tid: i for i, tid in enumerate(vocab.terms)}
    found.sort(key=lambda h: (h.rank, -h.score, order[h.id]))
    return found[:limit]


def suggestion(vocab: Vocabulary, name: str, kinds: tuple[str, ...]) -> str | None:
    """The "did you mean" line for a name that names no term of ``kinds``: the best hit (a
    part, a prefix, an everyday word or a close spelling), or None."""
    hits = [h for h in search(vocab, name, kinds, limit=3) if h.rank != EXACT]
    if not hits:
        return None
    best = hits[0]
    label = vocab.terms[best.id].label
    return f"did you mean `{best.id}`" + (f" ({label})?" if label else "?")


def term_entries(vocab: Vocabulary, kinds: tuple[str, ...] | None = None, query: str | None = None) -> list[dict]:
    """The terms (of ``kinds``) as ``coopcheck terms`` and the service's ``/v1/terms`` list
    them — id, kind, label, aliases, parents, and with a ``query`` how it found each, best first."""
    if query:
        rows = [(h.id, h.how) for h in search(vocab, query, kinds, limit=25)]
    else:
        rows = [(tid, None) for tid, info in vocab.terms.items() if kinds is None or info.kind in kinds]
    out = []
    for tid, how in rows:
        info = vocab.terms[tid]
        out.append({"id": tid, "kind": info.kind, "label": info.label, "aliases": list(info.aliases),
                    "parents": vocab.parents(tid), **({"found_by": how} if how else {})})
    return out


def describe(kind: str) -> str:
    """The kind in words."""
    return KIND_NAMES.get(kind, kind)
