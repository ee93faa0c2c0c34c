"""The page for compliance staff at ``/``: ask about a data use, read the answer.

Plain HTML rendered by the server (the form's choices come from the served vocabulary, each
with its Japanese label and its English words) plus one small script (:data:`SCRIPT`, no build
step, no libraries) that sends the form to ``/v1/explain`` and ``/v1/compare`` and shows the
decision, its reasons, the clauses cited, what would permit a deny (the why-nots) and every
co-op's answer side by side. Every text from the service is put in the page as text (never
as HTML). The layout is one column that fits a phone.

The form's fields are also the page's URL parameters (``/?coop=aizu&action=share&data=name
&recipient=jccu&purpose=delivery``): a link to the page asks that question when it opens.

>>> from coopcheck.serve.store import PolicyStore, shipped_sources
>>> html = render_page(PolicyStore(shipped_sources()).snapshot)
>>> '購買履歴 · purchase history' in html and 'value="aizu"' in html
True
"""

from __future__ import annotations

import html
import json

from coopcheck.presentation.wording import ACTION_WORDS, BASIS_WORDS
from coopcheck.serve.store import Snapshot

#: The page's fonts: each platform's Japanese UI font, then Noto CJK (Linux), then any sans-serif.
FONTS = ('system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Hiragino Kaku Gothic ProN", '
         '"Noto Sans CJK JP", "Noto Sans JP", "Yu Gothic UI", "Yu Gothic", Meiryo, "IPAexGothic", sans-serif')

STYLE = """\
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:""" + FONTS + """;font-size:16px;line-height:1.5;color:#1b1b1b;background:#fafafa}
header{background:#24513a;color:#fff;padding:.75rem 1rem}
header h1{font-size:1.25rem;margin:0}
header p{margin:.25rem 0 0;font-size:.85rem;opacity:.9}
main{max-width:60rem;margin:0 auto;padding:1rem}
form{display:grid;gap:.75rem;background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:1rem}
@media (min-width:48rem){form{grid-template-columns:1fr 1fr}.wide{grid-column:1/-1}}
label,legend{font-weight:600;display:block;margin-bottom:.25rem}
.en{font-weight:400;color:#555;font-size:.9em}
select,input[type=password],button{width:100%;font:inherit;padding:.5rem;border:1px solid #999;border-radius:.35rem;
  background:#fff;min-height:2.75rem}
fieldset{border:1px solid #ccc;border-radius:.35rem;margin:0;padding:.5rem}
.items{max-height:14rem;overflow-y:auto}
.items label{font-weight:400;display:flex;gap:.5rem;align-items:center;margin:0;padding:.2rem 0}
.check{display:flex;gap:.5rem;align-items:center;font-weight:600}
input[type=checkbox]{width:1.25rem;height:1.25rem;flex:none}
button{background:#24513a;color:#fff;border:0;font-weight:600;cursor:pointer}
button:disabled{opacity:.6}
#result,#table{margin-top:1rem}
.card{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:1rem;margin-bottom:1rem}
.card h2{font-size:1.1rem;margin:0 0 .5rem}
.card h3{font-size:.95rem;margin:.75rem 0 .25rem}
.verdict{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:700;margin-right:.5rem}
.permit{background:#e3f4e6;color:#14532d}
.deny{background:#fde7e9;color:#7f1d1d}
.error{background:#fff4d6;color:#6b4e00}
.meta{color:#555;font-size:.85rem}
ul,ol{margin:.25rem 0;padding-left:1.25rem}
li{margin:.15rem 0;overflow-wrap:anywhere}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #ccc;padding:.4rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.permit,td.deny,td.error{font-weight:400}
.pre{white-space:pre-line}
.items .d1{padding-left:1.1rem}.items .d2{padding-left:2.2rem}.items .d3{padding-left:3.3rem}.items .d4{padding-left:4.4rem}
"""

SCRIPT = r"""
"use strict";
(function () {
  var WORDS = {
    en: {permit: "PERMIT", deny: "DENY", error: "error", basis: "basis", reasons: "Reasons", cited: "Clauses cited",
         obligations: "Obligations", whyNot: "What would permit it", noWhyNot: "Nothing within reach would permit it.",
         table: "Every co-op's answer", coop: "Co-op", answer: "Answer", revision: "revision", asking: "Asking…",
         unreachable: "The service could not be asked", pickData: "Choose at least one data item.",
         consentWould: "consent would permit it"},
    ja: {permit: "許可", deny: "不許可", error: "エラー", basis: "根拠", reasons: "理由", cited: "引用条項",
         obligations: "義務", whyNot: "許可されるための変更", noWhyNot: "近い変更で許可される方法はありません。",
         table: "各生協の判定", coop: "生協", answer: "判定", revision: "版", asking: "判定中…",
         unreachable: "サービスに接続できませんでした", pickData: "データ項目を一つ以上選んでください。",
         consentWould: "本人の同意があれば許可"}
  };
  var form = document.getElementById("ask");
  if (!form) { return; }
  var BASIS = JSON.parse(form.getAttribute("data-basis") || "{}");
  var result = document.getElementById("result");
  var table = document.getElementById("table");
  var button = form.querySelector("button[type=submit]");
  var tokenInput = document.getElementById("token");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function list(tag, items) {
    var node = el(tag);
    items.forEach(function (t) { node.appendChild(el("li", null, t)); });
    return node;
  }
  function words() { return WORDS[form.elements.lang.value] || WORDS.en; }

  function syncRecipient() {
    var action = form.elements.action.value;
    var recipient = form.elements.recipient;
    recipient.disabled = action !== "share";
    if (action !== "share") { recipient.value = ""; }
  }

  function scenario() {
    var f = form.elements;
    var data = Array.prototype.filter.call(form.querySelectorAll("input[name=data]"), function (c) {
      return c.checked; }).map(function (c) { return c.value; });
    var s = {coop: f.coop.value, action: f.action.value, subject: f.subject.value, data: data,
             purpose: f.purpose.value, consent: f.consent.checked};
    if (f.action.value === "share" && f.recipient.value) { s.recipient = f.recipient.value; }
    if (f.exception.value) { s.exception = f.exception.value; }
    return s;
  }

  function headers() {
    var h = {"Content-Type": "application/json", "Accept": "application/json"};
    var token = tokenInput ? tokenInput.value.trim() : "";
    if (token) { h.Authorization = "Bearer " + token; }
    return h;
  }

  function post(path, body) {
    var lang = form.elements.lang.value;
    return fetch(path + "?lang=" + encodeURIComponent(lang), {method: "POST", headers: headers(),
        body: JSON.stringify(body), credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (j) { return {status: r.status, body: j}; }); });
  }

  function errorCard(err) {
    var card = el("div", "card error");
    card.appendChild(el("h2", null, words().error + (err.code ? " " + err.code : "")));
    card.appendChild(el("p", null, err.message || ""));
    if (err.help) { card.appendChild(el("p", "meta", err.help)); }
    return card;
  }

  function decisionCard(d, names) {
    var w = words();
    var card = el("div", "card");
    var h = el("h2");
    h.appendChild(el("span", "verdict " + d.decision, w[d.decision] || d.decision));
    h.appendChild(document.createTextNode((names[d.coop] || d.coop) + " (" + d.coop + ")"));
    card.appendChild(h);
    var lang = form.elements.lang.value;
    var basis = (BASIS[lang] || {})[d.basis] || d.basis;
    card.appendChild(el("p", "meta", w.basis + ": " + basis + " · " + w.revision + " " + d.revision));
    card.appendChild(el("h3", null, w.reasons));
    card.appendChild(list("ul", d.reasons || []));
    if (d.citations && d.citations.length) {
      card.appendChild(el("h3", null, w.cited));
      card.appendChild(list("ul", d.citations));
    }
    if (d.obligations && d.obligations.length) {
      card.appendChild(el("h3", null, w.obligations));
      card.appendChild(list("ul", d.obligations));
    }
    if (d.decision === "deny") {
      card.appendChild(el("h3", null, w.whyNot));
      var why = (d.why_not || []).map(function (x) { return x.text; });
      card.appendChild(why.length ? list("ol", why) : el("p", null, w.noWhyNot));
    }
    return card;
  }

  function compareTable(cmp) {
    var w = words();
    var box = el("div", "card");
    box.appendChild(el("h2", null, w.table));
    var row = (cmp.rows || [])[0];
    if (!row) { return box; }
    if (row.error) { box.appendChild(errorCard(row.error)); return box; }
    var wrap = el("div", "wrap");
    var t = el("table");
    var head = el("tr");
    head.appendChild(el("th", null, w.coop));
    head.appendChild(el("th", null, w.answer));
    t.appendChild(head);
    (row.results || []).forEach(function (c) {
      var tr = el("tr");
      tr.appendChild(el("td", null, (cmp.names[c.coop] || c.coop) + " (" + c.coop + ")"));
      tr.appendChild(el("td", "pre " + (c.error ? "error" : c.decision), c.text));
      t.appendChild(tr);
    });
    wrap.appendChild(t);
    box.appendChild(wrap);
    return box;
  }

  function names() {
    var out = {};
    Array.prototype.forEach.call(form.elements.coop.options, function (o) { out[o.value] = o.dataset.name || o.value; });
    return out;
  }

  function ask() {
    var w = words();
    var s = scenario();
    result.textContent = "";
    table.textContent = "";
    if (!s.data.length) { result.appendChild(errorCard({message: w.pickData})); return; }
    button.disabled = true;
    result.appendChild(el("p", "meta", w.asking));
    var body = Object.assign({}, s);
    var cmp = Object.assign({}, s);
    delete cmp.coop;
    Promise.all([post("/v1/explain", body), post("/v1/compare", cmp)]).then(function (answers) {
      var ex = answers[0], co = answers[1];
      result.textContent = "";
      if (ex.body && ex.body.error) {
        result.appendChild(errorCard(ex.body.error));
      } else {
        var n = names();
        (Array.isArray(ex.body) ? ex.body : [ex.body]).forEach(function (d) {
          result.appendChild(d.error ? errorCard(d.error) : decisionCard(d, n));
        });
      }
      if (co.body && co.body.error) { table.appendChild(errorCard(co.body.error)); }
      else { table.appendChild(compareTable(co.body)); }
      // all co-ops: the table is the summary, so it comes first; one co-op: its answer does
      if (s.coop === "all") { result.parentNode.insertBefore(table, result); }
      else { result.parentNode.insertBefore(result, table); }
      result.setAttribute("data-state", "done");
    }).catch(function (e) {
      result.textContent = "";
      result.appendChild(errorCard({message: words().unreachable + ": " + e}));
      result.setAttribute("data-state", "failed");
    }).then(function () { button.disabled = false; });
  }

  function toQuery() {
    var s = scenario();
    var q = new URLSearchParams();
    ["coop", "action", "subject", "purpose", "recipient", "exception"].forEach(function (k) {
      if (s[k]) { q.set(k, s[k]); } });
    q.set("data", s.data.join(","));
    if (s.consent) { q.set("consent", "1"); }
    q.set("lang", form.elements.lang.value);
    return q.toString();
  }

  function fromQuery() {
    var q = new URLSearchParams(window.location.search);
    if (!q.has("action")) { return false; }
    ["coop", "action", "subject", "purpose", "recipient", "exception", "lang"].forEach(function (k) {
      if (q.has(k) && form.elements[k]) { form.elements[k].value = q.get(k); } });
    var data = (q.get("data") || "").split(",");
    Array.prototype.forEach.call(form.querySelectorAll("input[name=data]"), function (c) {
      c.checked = data.indexOf(c.value) >= 0; });
    form.elements.consent.checked = q.get("consent") === "1";
    return true;
  }

  if (tokenInput) {
    tokenInput.value = window.sessionStorage.getItem("coopcheck-token") || "";
    tokenInput.addEventListener("change", function () {
      window.sessionStorage.setItem("coopcheck-token", tokenInput.value.trim()); });
  }
  form.elements.action.addEventListener("change", syncRecipient);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    window.history.replaceState(null, "", "?" + toQuery());
    ask();
  });
  var asked = fromQuery();
  syncRecipient();
  if (asked) { ask(); }
})();
"""

def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _label(ja: str, en: str, for_: str | None = None) -> str:
    attr = f' for="{for_}"' if for_ else ""
    return f'<label{attr}><span lang="ja">{_esc(ja)}</span> <span class="en" lang="en">{_esc(en)}</span></label>'


def _terms(snapshot: Snapshot, kind: str) -> list[tuple[str, str | None, int]]:
    """``(id, Japanese label, depth)`` of every served term of ``kind``, in declaration order
    (the policies' vocabularies merged; the first policy's order first)."""
    seen: dict[str, tuple[str, str | None, int]] = {}
    for pid in snapshot.ids():
        vocab = snapshot.policies[pid].ruleset.vocabulary
        for tid in vocab.of_kind(kind):
            if tid in seen:
                continue
            depth, cur = 0, vocab.terms[tid].parent
            while cur is not None and depth < 8:
                depth, cur = depth + 1, vocab.terms[cur].parent
            seen[tid] = (tid, vocab.terms[tid].label, depth)
    return list(seen.values())


def term_text(tid: str, label: str | None) -> str:
    """A term as the form shows it: its Japanese label and its English words.

    >>> term_text("purchase_history", "購買履歴")
    '購買履歴 · purchase history'
    """
    words = tid.replace("_", " ")
    return f"{label} · {words}" if label else words


def _options(snapshot: Snapshot, kind: str, selected: str | None = None, blank: str | None = None) -> str:
    out = [f'<option value="">{_esc(blank)}</option>'] if blank else []
    for tid, label, depth in _terms(snapshot, kind):
        sel = " selected" if tid == selected else ""
        out.append(f'<option value="{_esc(tid)}"{sel}>{"　" * depth}{_esc(term_text(tid, label))}</option>')
    return "".join(out)


def render_page(snapshot: Snapshot, token_required: bool = False) -> str:
    """The page's HTML for the policies being served."""
    coops = ['<option value="all" data-name="すべての生協 · all co-ops">すべての生協 · all co-ops</option>']
    for pid in snapshot.ids():
        p = snapshot.policies[pid]
        name = p.name or pid
        coops.append(f'<option value="{_esc(pid)}" data-name="{_esc(name)}">{_esc(name)} · {_esc(pid)}</option>')
    actions = "".join(f'<option value="{a}">{_esc(ACTION_WORDS["ja"][a])} · {a}</option>'
                      for a in ("use", "collect", "share", "publish"))
    items = []
    for tid, label, depth in _terms(snapshot, "item"):
        items.append(f'<label class="d{min(depth, 4)}"><input type="checkbox" name="data" '
                     f'value="{_esc(tid)}"><span>{_esc(term_text(tid, label))}</span></label>')
    revisions = ", ".join(f"{pid} {snapshot.policies[pid].revision[:8]}" for pid in snapshot.ids())
    token = ""
    if token_required:
        token = (f'<div class="wide">{_label("アクセストークン", "Access token", "token")}'
                 '<input type="password" id="token" autocomplete="off" spellcheck="false"></div>')
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>coopcheck — 個人情報の利用判定 · Data-use decisions</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header>
<h1><span lang="ja">個人情報の利用判定</span> <span lang="en">Data-use decisions</span></h1>
<p>coopcheck · {len(snapshot.policies)} policies · {_esc(revisions)}</p>
</header>
<main>
<form id="ask" method="get" action="/" data-basis="{_esc(json.dumps(BASIS_WORDS, ensure_ascii=False))}">
<div>{_label("生協", "Co-op", "coop")}<select id="coop" name="coop">{"".join(coops)}</select></div>
<div>{_label("利用の種類", "Action", "action")}<select id="action" name="action">{actions}</select></div>
<div>{_label("本人の区分", "Whose data", "subject")}<select id="subject" name="subject">{_options(snapshot, "subject", "member")}</select></div>
<div>{_label("利用目的", "Purpose", "purpose")}<select id="purpose" name="purpose">{_options(snapshot, "purpose")}</select></div>
<fieldset class="wide"><legend><span lang="ja">データ項目</span> <span class="en" lang="en">Data items</span></legend>
<div class="items">{"".join(items)}</div></fieldset>
<div>{_label("提供先", "Recipient (for share)", "recipient")}<select id="recipient" name="recipient">{_options(snapshot, "party", blank="— · none")}</select></div>
<div>{_label("法令上の例外", "Legal exception", "exception")}<select id="exception" name="exception">{_options(snapshot, "exception", blank="なし · none")}</select></div>
<div><label class="check"><input type="checkbox" id="consent" name="consent" value="1"><span lang="ja">本人の同意あり</span> <span class="en" lang="en">Consent given</span></label></div>
<div>{_label("回答の言語", "Answer language", "lang")}<select id="lang" name="lang"><option value="ja">日本語</option><option value="en">English</option></select></div>
{token}
<div class="wide"><button type="submit">判定する · Decide</button></div>
</form>
<noscript><p>このページはJavaScriptで判定を表示します。 The page shows decisions with JavaScript; the API is at /openapi.json.</p></noscript>
<section id="result" aria-live="polite"></section>
<section id="table"></section>
</main>
</body>
</html>
"""
