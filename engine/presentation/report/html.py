"""Render the report models as plain HTML5 pages (no scripts, no external resources).

Every piece of text from a rule file goes through :func:`esc`; markup is built only from
fixed strings here. Output is deterministic: the same rulesets give the same bytes.
"""

from __future__ import annotations

from html import escape
from typing import Iterable, Sequence

from coopcheck.core.vocabulary import Vocabulary
from coopcheck.presentation.report.model import CellEntry, Comparison, CoopPage, Matrix, PairDiff, RuleRow, TermSet, term_set
from coopcheck.presentation.report.text import WORDS, action_word, basis_word, word

STYLESHEET = "style.css"


def esc(text: object) -> str:
    """``text`` escaped for HTML text and attribute values."""
    return escape(str(text), quote=True)


def ident(tid: str) -> str:
    """An id escaped, with a line-break opportunity after each ``_`` (long ids in narrow cells)."""
    return esc(tid).replace("_", "_<wbr>")


class Writer:
    """Renders pages in one language with one vocabulary (for the Japanese labels)."""

    def __init__(self, vocabulary: Vocabulary, lang: str = "en", stamp: str | None = None):
        self.vocab = vocabulary
        self.lang = lang
        self.stamp = stamp

    # -- small pieces ---------------------------------------------------------------------
    def w(self, key: str) -> str:
        """Fixed wording, escaped."""
        return esc(word(self.lang, key))

    def term(self, tid: str) -> str:
        """A term: its id with the Japanese label beside it (label first in Japanese)."""
        label = self.vocab.label(tid) if tid in self.vocab.terms else None
        code = f"<code>{ident(tid)}</code>"
        if not label:
            return f'<span class="term">{code}</span>'
        if self.lang == "ja":
            return f'<span class="term"><span class="label" lang="ja">{esc(label)}</span> {code}</span>'
        return f'<span class="term">{code} <span class="label" lang="ja">{esc(label)}</span></span>'

    def terms(self, ids: Sequence[str], empty: str = "none") -> str:
        """A list of terms, or the wording ``empty`` when there are none."""
        if not ids:
            return f'<span class="any">{self.w(empty)}</span>'
        sep = "、" if self.lang == "ja" else ", "
        return f'<span class="sep">{sep}</span>'.join(self.term(t) for t in ids)

    def party(self, value: str | None) -> str:
        """A responsible party: a term when the vocabulary knows it, else the text."""
        if not value:
            return self.w("none")
        return self.term(value) if value in self.vocab.terms else esc(value)

    def condition(self, code: str) -> str:
        """A condition or exception code in words."""
        if code == "consent":
            return self.w("consent")
        if code == "*":
            return self.w("any_exception")
        return self.term(code)

    def clause(self, clause: str | None, rule: str | None = None) -> str:
        """The clause cell's content: the clause and, small, the rule's file position."""
        text = f'<span class="clause-text">{esc(clause)}</span>' if clause else self.w("none")
        if rule:
            text += f' <small class="rule">{esc(rule)}</small>'
        return text

    def purposes(self, row: RuleRow) -> str:
        """A rule's purposes, "any (declared) purpose" when it names none."""
        if row.purposes:
            return self.terms(row.purposes)
        return f'<span class="any">{self.w("declared_purpose" if row.declared_purposes else "any_purpose")}</span>'

    def conditions(self, row: RuleRow) -> str:
        """A grant's conditions and obligations, one per line."""
        parts = []
        if row.kind == "closed":
            parts.append(f'<span class="tag">{self.w("only")}</span>')
        if row.conditions:
            parts.append(self.w("provided") + " " + " / ".join(self.condition(c) for c in row.conditions))
        if row.exceptions:
            parts.append(self.w("unless") + ": " + " / ".join(self.condition(c) for c in row.exceptions))
        if row.obligations:
            parts.append(self.terms(row.obligations))
        return "<br>".join(parts) if parts else self.w("none")

    # -- tables and pages ----------------------------------------------------------------
    @staticmethod
    def table(headers: Sequence[str], body: str, cls: str = "") -> str:
        """A table with escaped-already header cells, wrapped so it scrolls sideways on a phone."""
        head = "".join(f'<th scope="col">{h}</th>' for h in headers)
        klass = f' class="{cls}"' if cls else ""
        return (f'<div class="table-wrap"><table{klass}><thead><tr>{head}</tr></thead>'
                f'{body}</table></div>')

    @staticmethod
    def rows(cells_per_row: Iterable[Sequence[str]], clause_at: int = 1) -> str:
        """``<tr>`` rows; the cell at ``clause_at`` (the second by default, so a phone shows
        it without scrolling; ``-1``: the last) is the clause cell."""
        out = []
        for cells in cells_per_row:
            at = clause_at % len(cells)
            tds = "".join(f'<td class="clause">{c}</td>' if i == at else f"<td>{c}</td>"
                          for i, c in enumerate(cells))
            out.append(f"<tr>{tds}</tr>")
        return "".join(out)

    def section(self, anchor: str, title_key: str, intro_key: str | None, content: str, empty: bool = False) -> str:
        """A titled section of a page."""
        intro = f'<p class="intro">{self.w(intro_key)}</p>' if intro_key else ""
        if empty:
            content = f'<p class="empty">{self.w("none_rows")}</p>'
        return f'<section id="{anchor}"><h2>{self.w(title_key)}</h2>{intro}{content}</section>'

    def page(self, title: str, body: str, nav: Sequence[tuple[str, str, bool]]) -> str:
        """A whole HTML document. ``nav`` holds (href, escaped text, is current) links."""
        current_attr = ' aria-current="page"'
        links = "".join(f'<li><a href="{esc(href)}"{current_attr if current else ""}>{text}</a></li>'
                        for href, text, current in nav)
        stamp = (f' <span class="stamp">{self.w("stamp")}: {esc(self.stamp)}</span>'
                 if self.stamp else "")
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{self.lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)} — {self.w('site')}</title>\n"
            f'<link rel="stylesheet" href="{STYLESHEET}">\n</head>\n<body>\n'
            f'<header class="site"><nav><span class="brand">{self.w("site")}</span>'
            f"<ul>{links}</ul></nav></header>\n"
            f"<main>\n{body}\n</main>\n"
            f'<footer><p>{self.w("footer")}{stamp}</p></footer>\n'
            "</body>\n</html>\n")


def _dates(w: Writer, page: CoopPage) -> str:
    """The policy date and, when revised, the latest revision."""
    date = page.meta_value("date")
    revised = page.meta_value("revised")
    text = f'<span class="date">{esc(date[0])}</span>' if date else w.w("none")
    if revised:
        text += f'<br><small class="date">{w.w("revised")} {esc(max(revised))}</small>'
    return text


# ---- navigation ------------------------------------------------------------------------------

def _nav(w: Writer, pages: Sequence[CoopPage], current: str, with_compare: bool) -> list[tuple[str, str, bool]]:
    nav = [("index.html", w.w("index"), current == "index.html")]
    if with_compare:
        nav.append(("compare.html", w.w("compare"), current == "compare.html"))
    for p in pages:
        nav.append((p.page, esc(p.short_name or p.coop), current == p.page))
    return nav


# ---- one co-op -------------------------------------------------------------------------------

def _meta_section(w: Writer, page: CoopPage) -> str:
    body = []
    for row in page.meta:
        key = f"meta.{row.key}"
        label = w.w(key) if key in WORDS[w.lang] else esc(row.key)
        values = "<br>".join(esc(v) for v in row.values)
        body.append((label, f'<span lang="ja">{values}</span>', w.clause(row.clause)))
    table = w.table([w.w("key"), w.w("value"), w.w("clause")],
                    "<tbody>" + w.rows(body, clause_at=-1) + "</tbody>", "meta")
    return w.section("meta", "meta", None, table, empty=not page.meta)


def _rule_table(w: Writer, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A rule table: the key column, the clause, then the details."""
    return w.table(headers, f"<tbody>{w.rows(rows)}</tbody>", "rules")


def _purposes_section(w: Writer, page: CoopPage) -> str:
    headers = [w.w("purposes_col"), w.w("clause"), w.w("items"), w.w("conditions")]
    bodies = []
    for group in page.purposes:
        subject = w.term(group.subject) if group.subject else f'<span class="any">{w.w("any_subject")}</span>'
        head = (f'<tr class="group"><th colspan="{len(headers)}" scope="rowgroup">'
                f'{w.w("subject")}: {subject}</th></tr>')
        rows = w.rows((w.purposes(r) + _verb_note(w, r), w.clause(r.clause, r.rule), w.terms(r.items),
                       w.conditions(r)) for r in group.rows)
        bodies.append(f"<tbody>{head}{rows}</tbody>")
    return w.section("purposes", "purposes", "purposes_intro", w.table(headers, "".join(bodies), "rules"),
                     empty=not page.purposes)


def _verb_note(w: Writer, row: RuleRow) -> str:
    return f' <span class="tag">{w.w("verb.collect")}</span>' if row.verb == "collect" else ""


def _joint_use_section(w: Writer, page: CoopPage) -> str:
    headers = [w.w("joint_users"), w.w("clause"), w.w("items"), w.w("purposes_col"), w.w("subjects"),
               w.w("responsible"), w.w("conditions")]
    rows = ((w.terms(r.recipients, "anyone"), w.clause(r.clause, r.rule), w.terms(r.items), w.purposes(r),
             w.terms(r.subjects, "any_subject"), w.party(r.managed_by), w.conditions(r)) for r in page.joint_uses)
    return w.section("joint-use", "joint_uses", "joint_uses_intro", _rule_table(w, headers, rows),
                     empty=not page.joint_uses)


def _entrustment_section(w: Writer, page: CoopPage) -> str:
    headers = [w.w("contractors"), w.w("clause"), w.w("items"), w.w("subjects"), w.w("purposes_col"),
               w.w("conditions")]
    rows = ((w.terms(r.recipients, "anyone"), w.clause(r.clause, r.rule), w.terms(r.items),
             w.terms(r.subjects, "any_subject"), w.purposes(r), w.conditions(r)) for r in page.entrustments)
    return w.section("entrustment", "entrustments", "entrustments_intro", _rule_table(w, headers, rows),
                     empty=not page.entrustments)


def _verb(w: Writer, verb: str) -> str:
    key = f"verb.{verb}"
    return w.w(key) if key in WORDS[w.lang] else esc(verb)


def _provision_section(w: Writer, page: CoopPage) -> str:
    headers = [w.w("recipients"), w.w("clause"), w.w("items"), w.w("subjects"), w.w("purposes_col"),
               w.w("conditions")]

    def recipients(r: RuleRow) -> str:
        tag = f'<span class="tag">{_verb(w, r.verb)}</span> '
        if r.verb == "publish" and not r.recipients:
            return tag + (w.term("public") if "public" in w.vocab.terms else w.w("anyone"))
        return tag + w.terms(r.recipients, "anyone")

    rows = ((recipients(r), w.clause(r.clause, r.rule), w.terms(r.items), w.terms(r.subjects, "any_subject"),
             w.purposes(r), w.conditions(r)) for r in page.provisions)
    return w.section("provision", "provisions", "provisions_intro", _rule_table(w, headers, rows),
                     empty=not page.provisions)


def _rule_kind(w: Writer, r: RuleRow) -> str:
    """``must not · provide`` / ``requires consent · collect``: what kind of bar, on what."""
    text = f'<span class="tag {esc(r.kind)}">{w.w("kind." + r.kind)}</span>'
    if r.needs:
        text += " " + " / ".join(w.w("need." + n) if ("need." + n) in WORDS[w.lang] else esc(n) for n in r.needs)
    return f"{text} · {_verb(w, r.verb)}"


def _recipients_if_shared(w: Writer, r: RuleRow) -> str:
    return w.terms(r.recipients, "anyone") if "share" in r.actions else w.w("none")


def _restriction_section(w: Writer, page: CoopPage) -> str:
    headers = [w.w("kind"), w.w("clause"), w.w("items"), w.w("subjects"), w.w("recipients"),
               w.w("purposes_col"), w.w("unless")]

    def unless(r: RuleRow) -> str:
        return " / ".join(w.condition(c) for c in r.exceptions) if r.exceptions else w.w("none")

    rows = ((_rule_kind(w, r), w.clause(r.clause, r.rule), w.terms(r.items), w.terms(r.subjects, "any_subject"),
             _recipients_if_shared(w, r), w.purposes(r), unless(r)) for r in page.restrictions)
    return w.section("restrictions", "restrictions", "restrictions_intro", _rule_table(w, headers, rows),
                     empty=not page.restrictions)


def _exception_section(w: Writer, page: CoopPage) -> str:
    rows = ((w.term(e.exception), w.clause(e.clause, e.rule)) for e in page.exceptions)
    return w.section("exceptions", "exceptions", "exceptions_intro",
                     _rule_table(w, [w.w("exception"), w.w("clause")], rows), empty=not page.exceptions)


SECTIONS = (("meta", "meta"), ("purposes", "purposes"), ("joint-use", "joint_uses"),
            ("entrustment", "entrustments"), ("provision", "provisions"), ("restrictions", "restrictions"),
            ("exceptions", "exceptions"))


def coop_html(w: Writer, page: CoopPage, pages: Sequence[CoopPage], with_compare: bool = True) -> str:
    """One co-op's page."""
    toc = "".join(f'<li><a href="#{a}">{w.w(k)}</a></li>' for a, k in SECTIONS)
    source = f' · <code>{esc(page.source)}</code>' if page.source else ""
    body = (f'<h1><span lang="ja">{esc(page.title)}</span> <code class="id">{esc(page.coop)}</code></h1>'
            f'<p class="sub">{w.w("rules")}: {page.row_count}{source}</p>'
            f'<nav class="toc" aria-label="{w.w("contents")}"><ul>{toc}</ul></nav>'
            + _meta_section(w, page) + _purposes_section(w, page) + _joint_use_section(w, page)
            + _entrustment_section(w, page) + _provision_section(w, page) + _restriction_section(w, page)
            + _exception_section(w, page))
    return w.page(page.title, body, _nav(w, pages, page.page, with_compare))


# ---- index -------------------------------------------------------------------------------

def index_html(w: Writer, pages: Sequence[CoopPage], baseline: Sequence[RuleRow], with_compare: bool = True) -> str:
    """The front page: the co-ops, the comparison link, the law baseline and a reading guide."""
    rows = []
    for p in pages:
        rows.append(f'<tr><td><a href="{esc(p.page)}" lang="ja">{esc(p.title)}</a><br>'
                    f'<small><code>{ident(p.key)}</code></small></td><td>{_dates(w, p)}</td>'
                    f'<td class="num">{p.row_count}</td></tr>')
    table = w.table([w.w("coop"), w.w("date"), w.w("rules")], "<tbody>" + "".join(rows) + "</tbody>", "coops")
    compare = (f'<p class="cta"><a href="compare.html">{w.w("compare_link")} →</a></p>'
               if with_compare else "")
    def kind(r: RuleRow) -> str:
        return f'<span class="tag">{_verb(w, r.verb)}</span>' if r.kind == "grant" else _rule_kind(w, r)

    rows = ((kind(r), w.clause(r.clause, r.rule), w.terms(r.items), w.terms(r.subjects, "any_subject"),
             _recipients_if_shared(w, r), w.conditions(r)) for r in baseline)
    headers = [w.w("kind"), w.w("clause"), w.w("items"), w.w("subjects"), w.w("recipients"), w.w("conditions")]
    base = w.section("baseline", "baseline", "baseline_intro", _rule_table(w, headers, rows), empty=not baseline)
    reading = "".join(f"<li>{esc(t)}</li>" for t in word(w.lang, "reading_items"))
    body = (f'<h1>{w.w("index_title")}</h1><p class="intro">{w.w("index_intro")}</p>'
            f'<section id="coops"><h2>{w.w("index")}</h2>{table}{compare}</section>'
            f'<section id="reading"><h2>{w.w("reading")}</h2><ul class="plain">{reading}</ul></section>'
            + base)
    return w.page(word(w.lang, "index_title"), body, _nav(w, pages, "index.html", with_compare))


# ---- comparison ----------------------------------------------------------------------------

#: How many of a pair's largest regions the comparison page shows (the pair's page shows all).
TOP_REGIONS = 3


def _cell(w: Writer, entries: Sequence[CellEntry]) -> str:
    """A matrix cell: entries that differ only in their clause share one line."""
    merged: dict[tuple, list[str]] = {}
    for e in entries:
        clauses = merged.setdefault((e.via, e.detail), [])
        if e.clause not in clauses:
            clauses.append(e.clause)
    return "".join(_entry(w, via, detail, clauses) for (via, detail), clauses in merged.items())


def _entry(w: Writer, via: str | None, details: Sequence[str], clauses: Sequence[str]) -> str:
    mark = (f'<span class="yes">{w.w("yes")}</span>' if via is None
            else f'<span class="via">{w.w("via")} {w.term(via)}</span>')
    detail = ""
    if details:
        shown = []
        for t in details:
            if t == "*subject":
                shown.append(w.w("any_subject"))
            elif t == "*declared":
                shown.append(w.w("declared"))
            elif t.startswith("*items:"):
                shown.append(esc(word(w.lang, "n_items").format(n=t.split(":", 1)[1])))
            else:
                shown.append(f"<code>{esc(t)}</code>")
        detail = '<br><small class="detail">' + ", ".join(shown) + "</small>"
    cited = " · ".join(f'<span class="clause-text">{esc(c)}</span>' for c in clauses)
    return f'<div class="entry">{mark} {cited}{detail}</div>'


def _matrix_html(w: Writer, m: Matrix, pages: Sequence[CoopPage]) -> str:
    headers = [w.w("term")] + [f'<a href="{esc(p.page)}"><code>{esc(p.key)}</code></a>' for p in pages]
    body = []
    for row in m.rows:
        cells = "".join(
            (f"<td>{_cell(w, entries)}</td>" if entries
             else '<td class="no">—</td>')
            for entries in row.cells)
        body.append(f'<tr><th scope="row">{w.term(row.term)}</th>{cells}</tr>')
    table = w.table(headers, "<tbody>" + "".join(body) + "</tbody>", "matrix")
    return w.section(f"matrix-{m.key.replace('_', '-')}", f"matrix.{m.key}", f"matrix.{m.key}_intro", table,
                     empty=not m.rows)


def _glance(w: Writer, cmp: Comparison) -> str:
    rows = []
    for p in cmp.coops:
        def values(key: str) -> str:
            vals = p.meta_value(key)
            return "<br>".join(f'<span lang="ja">{esc(v)}</span>' for v in vals) if vals else w.w("none")
        date = _dates(w, p)
        honoured = "<br>".join(f'<code>{ident(e.exception)}</code> <small class="clause-text">{esc(e.clause)}</small>'
                               for e in p.exceptions) or w.w("none")
        rows.append(f'<tr><th scope="row"><a href="{esc(p.page)}"><code>{esc(p.key)}</code></a></th>'
                    f'<td lang="ja">{esc(p.title)}</td><td>{date}</td><td>{values("responsible party")}</td>'
                    f'<td>{values("disclosure fee")}</td><td>{honoured}</td></tr>')
    table = w.table([w.w("coop"), w.w("name"), w.w("date"), w.w("responsible"), w.w("meta.disclosure fee"),
                     w.w("honoured")], "<tbody>" + "".join(rows) + "</tbody>", "glance")
    return w.section("glance", "glance", None, table)


# -- regions --

def _term_set(w: Writer, ts: TermSet, kind: str) -> str:
    def one(tid: str, whole: bool) -> str:
        if not whole:
            return w.term(tid)
        return (f'{w.term(tid)}<span class="all">{w.w("all_below")}</span>' if w.lang == "ja"
                else f'<span class="all">{w.w("all_of")}</span> {w.term(tid)}')

    sep = f'<span class="sep">{"、" if w.lang == "ja" else ", "}</span>'
    listed = sep.join(one(t, whole) for t, whole in ts.terms)
    if ts.everything:
        return f'<span class="any">{w.w("every." + kind)}</span>'
    if ts.except_:
        return f'<span class="any">{w.w("every." + kind)} {w.w("except")}</span> {listed}'
    return listed


def _consent(w: Writer, values: Sequence[bool]) -> str:
    vals = set(values)
    if vals == {True, False}:
        return w.w("consent_any")
    return w.w("consent_yes") if True in vals else w.w("consent_no")


def _where(w: Writer, pair: PairDiff, region) -> str:
    """The scenarios of a region as a short labelled list."""
    def terms(ids, kind):
        return _term_set(w, term_set(ids, kind, w.vocab, pair.universe(kind, w.vocab)), kind)

    lines = [(w.w("action"), ", ".join(esc(action_word(w.lang, a)) for a in region.actions)),
             (w.w("subjects"), terms(region.subjects, "subject")),
             (w.w("items"), terms(region.items, "item"))]
    if region.recipients and set(region.actions) != {"publish"}:
        lines.append((w.w("recipients"), terms(region.recipients, "party")))
    lines.append((w.w("purposes_col"), terms(region.purposes, "purpose")))
    lines.append((w.w("consent_col"), _consent(w, region.consent)))
    named = [t for t in region.exceptions if t is not None]
    exc = []
    if None in region.exceptions:
        exc.append(w.w("no_exception"))
    if named:
        exc.append(terms(named, "exception"))
    lines.append((w.w("exception"), " / ".join(exc)))
    return '<dl class="where">' + "".join(f"<dt>{k}</dt><dd>{val}</dd>" for k, val in lines) + "</dl>"


def _decision(w: Writer, decision: str, basis: str) -> str:
    text = w.w("decision." + decision) if decision in ("permit", "deny") else esc(decision)
    badge = f'<span class="badge {esc(decision)}">{text}</span>'
    return badge + (f' <span class="basis">{esc(basis_word(w.lang, basis))}</span>' if basis != "none" else "")


def _outcome(w: Writer, outcome) -> str:
    cites = "".join(f'<li class="clause-text">{esc(c)}</li>' for c in outcome.citations)
    rules = ", ".join(esc(r) for r in outcome.rules)
    return (_decision(w, outcome.decision, outcome.basis) + (f'<ul class="cites">{cites}</ul>' if cites else "")
            + (f'<small class="rule">{rules}</small>' if rules else ""))


def _regions_table(w: Writer, pair: PairDiff, regions: Sequence, numbers: Sequence[int]) -> str:
    headers = ["#", w.w("where"), f"<code>{esc(pair.a)}</code>", f"<code>{esc(pair.b)}</code>", w.w("size")]
    rows = "".join(
        f'<tr><td class="num">{n}</td><td>{_where(w, pair, r)}</td>'
        f'<td class="outcome">{_outcome(w, r.a)}</td><td class="outcome">{_outcome(w, r.b)}</td>'
        f'<td class="num">{r.size:,}</td></tr>'
        for n, r in zip(numbers, regions))
    return w.table(headers, f"<tbody>{rows}</tbody>", "regions")


def _groups_table(w: Writer, pair: PairDiff, link_page: bool) -> str:
    """The pair's regions by outcome: opposite decisions first, then differences of basis."""
    headers = [w.w("action"), f"<code>{esc(pair.a)}</code>", f"<code>{esc(pair.b)}</code>", w.w("regions"),
               w.w("size")]
    bodies = []
    for opposite, key in ((True, "opposite"), (False, "basis_only")):
        groups = [g for g in pair.groups if g.decision_differs == opposite]
        if not groups:
            continue
        rows = [f'<tr class="group"><th colspan="{len(headers)}" scope="rowgroup">{w.w(key)}</th></tr>']
        for g in groups:
            href = (pair.page if link_page else "") + f"#{g.anchor}"
            actions = ", ".join(esc(action_word(w.lang, a)) for a in g.actions)
            rows.append(f'<tr><td><a href="{esc(href)}">{actions}</a></td>'
                        f"<td>{_decision(w, *g.a)}</td><td>{_decision(w, *g.b)}</td>"
                        f'<td class="num">{len(g.regions)}</td><td class="num">{g.size:,}</td></tr>')
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    return w.table(headers, "".join(bodies), "groups")


def _counts(pair: PairDiff) -> tuple[int, int]:
    """(scenarios decided oppositely, scenarios with the same decision on another basis)."""
    opposite = sum(g.size for g in pair.groups if g.decision_differs)
    return opposite, sum(g.size for g in pair.groups) - opposite


def _pair_title(w: Writer, pair: PairDiff) -> str:
    return f'<code>{esc(pair.a)}</code> {w.w("versus")} <code>{esc(pair.b)}</code>'


def _pair_summary(w: Writer, pair: PairDiff) -> str:
    """A pair on the comparison page: its groups and its largest opposite decisions."""
    head = f'<h3 id="{esc(pair.page[:-5])}"><a href="{esc(pair.page)}">{_pair_title(w, pair)}</a></h3>'
    if pair.diff is None or pair.diff.identical:
        note = f'{w.w("diff_error")}: {esc(pair.error or "")}' if pair.diff is None else w.w("identical")
        return f'<section class="pair">{head}<p class="empty">{note}</p></section>'
    numbered = list(enumerate(pair.diff.regions, 1))
    opposite = [(n, r) for n, r in numbered if r.a.decision != r.b.decision] or numbered
    top = sorted(opposite, key=lambda nr: -nr[1].size)[:TOP_REGIONS]
    largest = esc(word(w.lang, "largest").format(n=len(top)))
    every = esc(word(w.lang, "all_regions").format(n=len(numbered)))
    return (f'<section class="pair">{head}{_groups_table(w, pair, True)}<h4>{largest}</h4>'
            + _regions_table(w, pair, [r for _, r in top], [n for n, _ in top])
            + f'<p class="more"><a href="{esc(pair.page)}">{every} →</a></p></section>')


def _diffs(w: Writer, cmp: Comparison) -> str:
    if not cmp.pairs:
        return ""
    rows = []
    for pair in cmp.pairs:
        link = f'<a href="{esc(pair.page)}">{_pair_title(w, pair)}</a>'
        if pair.diff is None:
            rows.append(f'<tr><td>{link}</td><td colspan="4">{w.w("diff_error")}</td></tr>')
            continue
        opposite, basis_only = _counts(pair)
        total = pair.diff.scenarios_compared or 1
        rows.append(f'<tr><td>{link}</td><td class="num">{len(pair.diff.regions)}</td>'
                    f'<td class="num">{opposite:,} <small>({100 * opposite / total:.1f}%)</small></td>'
                    f'<td class="num">{basis_only:,} <small>({100 * basis_only / total:.1f}%)</small></td>'
                    f'<td class="num">{pair.diff.scenarios_compared:,}</td></tr>')
    overview = w.table([w.w("pair"), w.w("regions"), w.w("opposite"), w.w("basis_only"), w.w("compared")],
                       "<tbody>" + "".join(rows) + "</tbody>", "pairs")
    intro = (esc(word(w.lang, "diffs_intro_base").format(base=cmp.baseline)) if cmp.baseline
             else w.w("diffs_intro_all"))
    sections = "".join(_pair_summary(w, pair) for pair in cmp.pairs)
    return f'<section id="diffs"><h2>{w.w("diffs")}</h2><p class="intro">{intro}</p>{overview}{sections}</section>'


def compare_html(w: Writer, cmp: Comparison) -> str:
    """The comparison page: at a glance, the matrices, and where each pair differs."""
    toc_items = [("glance", "glance")] + [(f"matrix-{m.key.replace('_', '-')}", f"matrix.{m.key}")
                                          for m in cmp.matrices]
    if cmp.pairs:
        toc_items.append(("diffs", "diffs"))
    toc = "".join(f'<li><a href="#{a}">{w.w(k)}</a></li>' for a, k in toc_items)
    names = " · ".join(f'<a href="{esc(p.page)}" lang="ja">{esc(p.title)}</a>' for p in cmp.coops)
    body = (f'<h1>{w.w("compare_title")}</h1><p class="intro">{w.w("compare_intro")}</p>'
            f'<p class="sub">{names}</p>'
            f'<nav class="toc" aria-label="{w.w("contents")}"><ul>{toc}</ul></nav>'
            + _glance(w, cmp) + "".join(_matrix_html(w, m, cmp.coops) for m in cmp.matrices) + _diffs(w, cmp))
    return w.page(word(w.lang, "compare_title"), body, _nav(w, cmp.coops, "compare.html", True))


def diff_html(w: Writer, pair: PairDiff, pages: Sequence[CoopPage]) -> str:
    """A pair's page: every region where the two policies differ, grouped by outcome."""
    names = {p.key: p for p in pages}

    def name(key: str) -> str:
        p = names.get(key)
        return f'<a href="{esc(p.page)}" lang="ja">{esc(p.title)}</a>' if p else esc(key)

    body = [f'<h1>{_pair_title(w, pair)}</h1>',
            f'<p class="sub">{name(pair.a)} {w.w("versus")} {name(pair.b)} · '
            f'<a href="compare.html#diffs">{w.w("compare")}</a></p>']
    if pair.diff is None or pair.diff.identical:
        body.append(f'<p class="empty">{w.w("identical") if pair.diff is not None else w.w("diff_error")}</p>')
    else:
        opposite, basis_only = _counts(pair)
        intro = word(w.lang, "pair_intro").format(regions=len(pair.diff.regions), opposite=f"{opposite:,}",
                                                  basis=f"{basis_only:,}", total=f"{pair.diff.scenarios_compared:,}")
        body.append(f'<p class="intro">{esc(intro)}</p>')
        body.append(_groups_table(w, pair, False))
        number = {id(r): i for i, r in enumerate(pair.diff.regions, 1)}
        for g in pair.groups:
            title = (f'{", ".join(esc(action_word(w.lang, a)) for a in g.actions)} — <code>{esc(pair.a)}</code> '
                     f'{_decision(w, *g.a)} · <code>{esc(pair.b)}</code> {_decision(w, *g.b)}')
            body.append(f'<section class="group" id="{esc(g.anchor)}"><h2>{title}</h2>'
                        + _regions_table(w, pair, g.regions, [number[id(r)] for r in g.regions]) + "</section>")
    title = f"{pair.a} {word(w.lang, 'versus')} {pair.b}"
    return w.page(title, "".join(body), _nav(w, pages, pair.page, True))
