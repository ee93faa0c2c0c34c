"""``coopcheck report``: the static HTML report, checked by parsing every page.

Each page must be well-formed HTML5 (every non-void tag closed in order), self-contained
(no scripts, nothing fetched from the network), with every internal link resolving to a
page and an element id that exist. Co-op pages hold the rule tables with a clause in every
row and account for every rule of the policy; the comparison page names all five co-ops and
shows difference regions with clauses on both sides; text from rule files is escaped.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stderr, redirect_stdout
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coopcheck import load_file, load_policy, shipped_policies
from coopcheck.cli.main import main
from coopcheck.presentation.report import build_site, write_report
from coopcheck.presentation.report.model import comparison, coop_page, group_regions, pairs_of, term_set

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
JCCU_CLAUSE = "指針2 ◇商品・サービスの提供に関わっての共同利用"
COOP_SECTIONS = ("meta", "purposes", "joint-use", "entrustment", "provision", "restrictions", "exceptions")


class Page(HTMLParser):
    """A parsed page: balance errors, ids, links, and the tables with their rows."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.sources: list[str] = []
        self.tags: set[str] = set()
        self.html_lang: str | None = None
        self.tables: list[dict] = []  # {"class", "rows": [[(cell classes, text)]]}
        self._table: dict | None = None
        self._row: list | None = None
        self._cell: list | None = None
        self.text_parts: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed at end: {self.stack}")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.html_lang = a.get("lang")
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        for key in ("src", "href"):
            if key in a and tag != "a":
                self.sources.append(a[key])
        if tag == "table":
            self._table = {"class": a.get("class", ""), "rows": []}
            self.tables.append(self._table)
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table["rows"].append((a.get("class", ""), self._row))
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [tag, a.get("class", ""), []]
            self._row.append(self._cell)
        elif self._cell is not None and a.get("class"):
            self._cell[2].append(f"[{a['class']}]")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.errors.append(f"self-closing non-void <{tag}/>")
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void element </{tag}>")
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}> "
                               f"at line {self.getpos()[0]}")
            return
        self.stack.pop()
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell[2].append(data)

    @property
    def text(self) -> str:
        """All text of the page (entities decoded)."""
        return "".join(self.text_parts)

    def tables_of(self, cls: str) -> list[dict]:
        """The tables with this class."""
        return [t for t in self.tables if cls in t["class"].split()]


def cell_text(cell) -> str:
    return "".join(p for p in cell[2] if not p.startswith("["))


def data_rows(table: dict) -> list[list]:
    """The rows of a table that hold data (not the header, not group headings)."""
    return [cells for cls, cells in table["rows"] if "group" not in cls and any(c[0] == "td" for c in cells)]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The full report of the five shipped co-ops, written once for the module."""
    out = tmp_path_factory.mktemp("report")
    write_report([load_policy(c) for c in shipped_policies()], out)
    return out


@pytest.fixture(scope="module")
def pages(site) -> dict[str, Page]:
    return {p.name: Page(p.read_text(encoding="utf-8")) for p in sorted(site.glob("*.html"))}


def test_files_written(site):
    names = {p.name for p in site.iterdir()}
    coops = shipped_policies()
    assert {"index.html", "compare.html", "style.css"} | {f"{c}.html" for c in coops} <= names
    diffs = {n for n in names if n.startswith("diff-")}
    assert len(diffs) == len(coops) * (len(coops) - 1) // 2  # every pair, by default


def test_every_page_is_well_formed_and_self_contained(site, pages):
    assert len(pages) >= 7
    for name, page in pages.items():
        raw = (site / name).read_text(encoding="utf-8")
        assert raw.startswith("<!DOCTYPE html>"), name
        assert page.errors == [], (name, page.errors[:5])
        assert page.html_lang == "en"
        assert {"html", "head", "body", "main", "title"} <= page.tags, name
        assert "script" not in page.tags and "iframe" not in page.tags, name
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in raw, name
        assert len(page.ids) == len(set(page.ids)), (name, [i for i in page.ids if page.ids.count(i) > 1])
        for ref in page.sources + page.links:
            assert not re.match(r"^(https?:)?//", ref), (name, ref)  # nothing from the network
        assert page.sources == ["style.css"], name


def test_every_internal_link_resolves(pages):
    for name, page in pages.items():
        for href in page.links:
            target, _, fragment = href.partition("#")
            target = target or name
            assert target in pages or target == "style.css", (name, href)
            if fragment:
                assert fragment in pages[target].ids, (name, href)


def test_stylesheet_needs_no_network_and_has_japanese_fonts(site):
    css = (site / "style.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css
    assert "Hiragino" in css and "Noto Sans CJK JP" in css and "Meiryo" in css
    assert "overflow-x: auto" in css  # tables scroll sideways on a phone
    assert "@media (max-width" in css


@pytest.mark.parametrize("coop", shipped_policies())
def test_coop_page_has_the_tables_with_a_clause_in_every_row(pages, coop):
    page = pages[f"{coop}.html"]
    for section in COOP_SECTIONS:
        assert section in page.ids, (coop, section)
    rules = page.tables_of("rules")
    assert len(rules) >= 5, coop
    for table in rules:
        rows = data_rows(table)
        for cells in rows:
            clause_cells = [c for c in cells if "clause" in c[1].split()]
            assert len(clause_cells) == 1, (coop, cells)
            assert cell_text(clause_cells[0]).strip() not in ("", "—"), (coop, cells)
    # purposes, joint use and entrustment are stated by every shipped policy
    for section_table in rules[:3]:
        assert data_rows(section_table), coop


@pytest.mark.parametrize("coop", shipped_policies())
def test_coop_page_accounts_for_every_rule_of_the_policy(pages, coop):
    """Every rule the policy states (not the imported baseline) shows in some table,
    identified by its rule id and its clause."""
    page = pages[f"{coop}.html"]
    text = page.text
    rs = load_policy(coop)
    own = [r for r in rs.rules if r.module == coop]
    assert own
    for r in own:
        assert r.id in text, r.id
        assert r.clause in text, r.clause


def test_coop_page_shows_metadata_and_labels(pages):
    page = pages["aizu.html"]
    meta = page.tables_of("meta")[0]
    keys = {cell_text(cells[0]) for cells in data_rows(meta)}
    assert {"Name", "Policy date", "Responsible party", "Contact", "Disclosure fee"} <= keys
    text = page.text
    assert "生活協同組合コープあいづ" in text and "2022-04-01" in text
    assert "日本生活協同組合連合会" in text  # the Japanese label beside `jccu`
    assert JCCU_CLAUSE in text
    name_row = next(cells for cells in data_rows(meta) if cell_text(cells[0]) == "Name")
    assert cell_text(name_row[-1]) == "指針7"  # the clause the metadata line cites


def test_index_lists_the_coops_and_links_the_comparison(pages):
    index = pages["index.html"]
    for coop in shipped_policies():
        assert f"{coop}.html" in index.links
        assert load_policy(coop).name in index.text
    assert "compare.html" in index.links
    assert "APPI Art. 28(1)" in index.text  # the law baseline, with its clauses


def test_comparison_names_all_five_coops_and_shows_regions_with_clauses(pages):
    cmp = pages["compare.html"]
    for coop in shipped_policies():
        assert coop in cmp.text and load_policy(coop).name in cmp.text
        assert f"{coop}.html" in cmp.links
    matrices = cmp.tables_of("matrix")
    assert len(matrices) == 3
    for m in matrices:
        header = [cell_text(c) for c in m["rows"][0][1]]
        assert header[1:] == shipped_policies()
    regions = cmp.tables_of("regions")
    assert regions
    rows = [cells for t in regions for cells in data_rows(t)]
    assert rows
    for cells in rows:
        outcomes = [c for c in cells if "outcome" in c[1].split()]
        assert len(outcomes) == 2
        decisions = {d for c in outcomes for d in ("[badge permit]", "[badge deny]") if d in c[2]}
        assert decisions == {"[badge permit]", "[badge deny]"}  # the largest regions: opposite decisions
        assert any("[clause-text]" in c[2] for c in outcomes)


def test_pair_page_lists_every_region_with_clauses(pages):
    page = pages["diff-aizu-kuruko.html"]
    rows = [cells for t in page.tables_of("regions") for cells in data_rows(t)]
    groups = page.tables_of("groups")[0]
    counted = sum(int(cell_text(cells[3])) for cells in data_rows(groups))
    assert len(rows) == counted > 0
    numbers = sorted(int(cell_text(cells[0])) for cells in rows)
    assert numbers == list(range(1, len(rows) + 1))
    assert f"{len(rows)} regions" in page.text
    assert JCCU_CLAUSE in page.text  # aizu's joint use with JCCU, which kuruko does not grant
    jccu_rows = [cells for cells in rows if "jccu" in cell_text(cells[1]) and JCCU_CLAUSE in cell_text(cells[2])]
    assert jccu_rows


def test_purpose_matrix_marks_coverage_through_a_broader_term():
    rulesets = [load_policy(c) for c in ("aizu", "ibaraki")]
    pages_ = [coop_page(rs) for rs in rulesets]
    cmp = comparison(rulesets, pages_, with_diffs=False)
    purposes = next(m for m in cmp.matrices if m.key == "purposes")
    row = next(r for r in purposes.rows if r.term == "kyosai_contract")
    aizu, ibaraki = row.cells
    assert [e.via for e in aizu] == ["kyosai"]  # aizu declares the whole kyosai purpose
    assert ibaraki and all(e.via is None for e in ibaraki)
    assert {e.clause for e in ibaraki} == {"利用目的", "利用目的 10"}
    users = next(m for m in cmp.matrices if m.key == "joint_users")
    jccu = next(r for r in users.rows if r.term == "jccu")
    assert [e.clause for e in jccu.cells[0]] == [JCCU_CLAUSE]


def test_regions_are_grouped_opposite_decisions_first():
    from coopcheck.analysis.diff import diff_rulesets

    diff = diff_rulesets(load_policy("ibaraki"), load_policy("nara"))
    groups = group_regions(diff.regions)
    assert sum(len(g.regions) for g in groups) == len(diff.regions)
    flags = [g.decision_differs for g in groups]
    assert flags == sorted(flags, reverse=True)
    for g in groups:
        assert all((r.a.decision, r.a.basis) == g.a and (r.b.decision, r.b.basis) == g.b for r in g.regions)


def test_term_sets_collapse_subtrees_and_complements():
    v = load_policy("aizu").vocabulary
    items = v.of_kind("item")
    assert term_set(items, "item", v).everything
    basic = sorted(v.descendants["basic_info"])
    assert term_set(basic, "item", v).terms == (("basic_info", True),)
    assert term_set(["basic_info"], "item", v).terms == (("basic_info", False),)  # the inner term alone
    rest = term_set([i for i in items if i != "photo"], "item", v)
    assert rest.except_ and rest.terms == (("photo", False),)


def test_pairs_all_or_against_a_baseline():
    assert pairs_of(["a", "b", "c"]) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert pairs_of(["a", "b", "c"], "c") == [("c", "a"), ("c", "b")]


EVIL_POLICY = """\
policy aizu
import vocabulary
import appi
name: "<b>A & B</b> 'co-op'"                     [meta <1> & 2]
disclosure fee: "<script>alert(1)</script>"
name may be used for delivery                    [clause <x> & "y"]
"""


def test_values_from_rule_files_are_escaped(tmp_path):
    path = tmp_path / "evil.policy"
    path.write_text(EVIL_POLICY, encoding="utf-8")
    rs = load_file(path)
    site = build_site([rs], with_diffs=False)
    raw = site["aizu.html"]
    assert "<b>" not in raw and "<script>" not in raw
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "clause &lt;x&gt; &amp; &quot;y&quot;" in raw
    page = Page(raw)
    assert page.errors == []
    assert "script" not in page.tags and "b" not in page.tags
    text = page.text
    assert "<b>A & B</b> 'co-op'" in text  # shown to the reader as written
    assert "meta <1> & 2" in text  # the metadata line's clause, read back from the file
    assert 'clause <x> & "y"' in text
    for name in ("index.html", "compare.html"):
        assert Page(site[name]).errors == []
        assert "<b>A" not in site[name]


def test_output_is_deterministic_and_stamped_only_on_request():
    rulesets = [load_policy(c) for c in ("ibaraki", "kuruko")]
    one = build_site(rulesets)
    two = build_site([load_policy(c) for c in ("ibaraki", "kuruko")])
    assert one == two
    assert not re.search(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", "".join(one.values()))
    stamped = build_site(rulesets, with_diffs=False, stamp="2025-01-31")
    assert "2025-01-31" in stamped["index.html"] and "2025-01-31" in stamped["compare.html"]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_the_chosen_coops(tmp_path):
    code, out, err = run_cli(["report", "--out", str(tmp_path / "r"), "--coop", "aizu,ならコープ", "--no-diff"])
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert names == ["aizu.html", "compare.html", "index.html", "nara.html", "style.css"]
    assert "index.html" in out


def test_cli_baseline_diffs_each_coop_against_it(tmp_path):
    code, _, err = run_cli(["report", "--out", str(tmp_path), "--coop", "ibaraki", "--coop", "nara,kuruko",
                            "--baseline", "コープクルコ"])
    assert code == 0, err
    diffs = sorted(p.name for p in tmp_path.glob("diff-*.html"))
    assert diffs == ["diff-kuruko-ibaraki.html", "diff-kuruko-nara.html"]
    cmp = Page((tmp_path / "compare.html").read_text(encoding="utf-8"))
    assert "each co-op against kuruko" in cmp.text.lower()


def test_cli_japanese(tmp_path):
    code, _, err = run_cli(["report", "--out", str(tmp_path), "--coop", "aizu", "--lang", "ja"])
    assert code == 0, err
    page = Page((tmp_path / "aizu.html").read_text(encoding="utf-8"))
    assert page.html_lang == "ja" and page.errors == []
    assert "利用目的" in page.text and "共同利用" in page.text and "条項" in page.text


def test_cli_input_errors(tmp_path):
    code, _, err = run_cli(["report", "--out", str(tmp_path), "--coop", "aizuu"])
    assert code == 2 and "unknown co-op `aizuu`" in err and "aizu" in err
    code, _, err = run_cli(["report", "--out", str(tmp_path), "--coop", "aizu", "--baseline", "nara"])
    assert code == 2 and "baseline `nara` is not among" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(["report", "--out", str(blocker), "--coop", "aizu", "--no-diff"])
    assert code == 2 and "cannot write" in err
