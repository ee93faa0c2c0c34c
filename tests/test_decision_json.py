"""The decision contract in JSON: ``decision_json`` and the stream writer agree exactly.

``DecisionWriter.line`` fills a line template assembled from pieces it has already encoded
(sentences, lists of ids, items), and ``DecisionWriter.table_line`` fills the template it
keeps for a scenario's decision-table cells without deciding it; the property is that each
line is byte for byte ``json.dumps(decision_json(decision, lang), ensure_ascii=False)`` — for
permits and denies, one item or several, with or without consent or a legal exception, in
English and Japanese, and whatever the writer has seen before.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopcheck import Evaluator, decide, load_policy, shipped_policies
from coopcheck.presentation.decision_json import DecisionWriter, decision_json

POLICIES = {c: load_policy(c) for c in shipped_policies()}
VOCAB = POLICIES["aizu"].vocabulary
ITEMS = VOCAB.of_kind("item")
PARTIES = VOCAB.of_kind("party")
PURPOSES = VOCAB.of_kind("purpose")
SUBJECTS = VOCAB.of_kind("subject")
EXCEPTIONS = VOCAB.of_kind("exception")
WRITERS = {lang: DecisionWriter(lang) for lang in ("en", "ja")}  # shared: their memory grows across examples


@st.composite
def scenarios(draw) -> tuple[str, dict]:
    """A co-op and a valid scenario over the whole vocabulary."""
    action = draw(st.sampled_from(("use", "collect", "share", "publish")))
    sc = {"action": action, "data": draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3)),
          "purpose": draw(st.sampled_from(PURPOSES)), "subject": draw(st.sampled_from(SUBJECTS)),
          "consent": draw(st.booleans())}
    if action == "share":
        sc["recipient"] = draw(st.sampled_from(PARTIES))
    if draw(st.booleans()):
        sc["exception"] = draw(st.sampled_from(EXCEPTIONS))
    return draw(st.sampled_from(sorted(POLICIES))), sc


@given(scenarios(), st.sampled_from(("en", "ja")))
def test_writer_line_is_the_json_of_the_decision_contract(case, lang):
    """Property: the writer's line is exactly the JSON text of ``decision_json``."""
    coop, sc = case
    d = decide(POLICIES[coop], sc)
    assert WRITERS[lang].line(d) == json.dumps(decision_json(d, lang), ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_writer_matches_on_every_shipped_test_scenario(lang):
    """The same, for every scenario of the shipped rule-file tests, decided twice (the second
    time every piece comes from the writer's memory)."""
    from coopcheck.analysis.testing import find_test_files, run_file

    writer = DecisionWriter(lang)
    from coopcheck.core.paths import policies_dir

    files = find_test_files([policies_dir()])
    decisions = [case.decision for f in files for case in run_file(f).cases if case.decision]
    assert len(decisions) > 100
    for _ in range(2):
        for d in decisions:
            assert writer.line(d) == json.dumps(decision_json(d, lang), ensure_ascii=False)


def _class_mates(draw, coop: str) -> list[dict]:
    """A base scenario varied one part at a time, so that later ones read cells (and line
    templates) that earlier ones left."""
    vocab = POLICIES[coop].vocabulary
    action = draw(st.sampled_from(("use", "collect", "share", "publish")))
    sc = {"action": action, "data": [draw(st.sampled_from(vocab.of_kind("item")))],
          "purpose": draw(st.sampled_from(vocab.of_kind("purpose")))}
    if action == "share":
        sc["recipient"] = draw(st.sampled_from(vocab.of_kind("party")))
    out = [sc]
    for _ in range(draw(st.integers(1, 8))):
        part = draw(st.sampled_from(("data", "purpose", "subject", "consent", "exception", "recipient")))
        if part == "data":
            value = draw(st.lists(st.sampled_from(vocab.of_kind("item")), min_size=1, max_size=3))
        elif part == "consent":
            value = draw(st.booleans())
        elif part == "recipient":
            if action != "share":
                continue
            value = draw(st.sampled_from(vocab.of_kind("party")))
        else:
            value = draw(st.sampled_from([None, *vocab.of_kind(part)] if part == "exception" else vocab.of_kind(part)))
        sc = {**sc, part: value}
        out.append(sc)
    return out


@st.composite
def streams(draw) -> tuple[str, list[dict]]:
    """A co-op and a few runs of class-mate scenarios (with its ``coop`` or none)."""
    coop = draw(st.sampled_from(sorted(POLICIES)))
    runs = [s for _ in range(draw(st.integers(1, 3))) for s in _class_mates(draw, coop)]
    named = draw(st.sampled_from((coop, coop.upper())))  # the co-op as a scenario may name it
    return coop, [{**s, "coop": named} if draw(st.booleans()) else s for s in runs]


def _stream_lines(writer: DecisionWriter, ev, stream: list[dict], fill: bool = False) -> list[tuple[bytes, bool]]:
    """Each scenario's line (UTF-8) as ``check --json`` writes it: from the tables when they
    answer (``fill``: once the evaluator has filled the cells they lack), else decided (which
    fills them)."""
    out = []
    for sc in stream:
        found = writer.table_line(ev, sc, fill)
        if found is None:
            d = ev.decide(ev.scenario({k: v for k, v in sc.items() if k != "coop"}))
            found = (writer.line_bytes(d), d.permitted)
        out.append(found)
    return out


@given(streams(), st.sampled_from(("en", "ja")))
def test_table_lines_are_the_lines_of_the_decisions(case, lang):
    """Property: a line read from the tables through a line template is byte for byte the JSON
    text of the decision contract of the scenario decided in full, and its verdict the
    decision's — for a writer that has seen much before (shared) and one that has not; the
    second time round every line comes from the tables. The same holds when the tables fill
    the cells they lack, and for a writer that composes lines from what it has seen of other
    cells."""
    coop, stream = case
    expected = []
    for sc in stream:
        d = decide(POLICIES[coop], {k: v for k, v in sc.items() if k != "coop"})
        expected.append((json.dumps(decision_json(d, lang), ensure_ascii=False).encode(), d.permitted))
    for fill in (False, True):
        ev = Evaluator(POLICIES[coop])
        for writer in (WRITERS[lang], DecisionWriter(lang)):
            assert _stream_lines(writer, ev, stream, fill) == expected
            assert [writer.table_line(ev, sc) for sc in stream] == expected


def test_table_line_is_none_until_the_tables_can_answer():
    """A scenario whose names or cells the evaluator has not met, or a bad one, is left to the
    full path."""
    ev, writer = Evaluator(POLICIES["aizu"]), DecisionWriter()
    sc = {"action": "share", "data": ["購買履歴"], "recipient": "日本生協連", "purpose": "delivery"}
    assert writer.table_line(ev, sc) is None  # names not resolved yet
    d = ev.decide(ev.scenario(sc))
    assert writer.table_line(ev, sc) == (writer.line(d).encode(), True)
    assert writer.table_line(ev, {**sc, "purpose": "billing"}) is None  # another cell, not filled yet
    for bad in ({**sc, "bogus": 1}, {**sc, "consent": "yes"}, {**sc, "data": []}, {**sc, "action": "use"}):
        assert writer.table_line(ev, bad) is None


def test_table_line_can_fill_the_cells_it_lacks():
    """With ``fill``, a well-formed scenario whose names are known is answered from the tables
    even when its cells are new (the evaluator fills them), exactly as deciding it writes it;
    a bad one is still left to the full path."""
    ev, writer = Evaluator(POLICIES["aizu"]), DecisionWriter()
    sc = {"action": "share", "data": ["purchase_history"], "recipient": "jccu", "purpose": "delivery"}
    ev.scenario(sc)  # the names, resolved
    for purpose in ("delivery", "billing", "governance"):
        asked = {**sc, "purpose": purpose}
        assert writer.table_line(ev, asked) is None  # a cell not filled yet
        d = Evaluator(POLICIES["aizu"]).decide(ev.scenario(asked))
        assert writer.table_line(ev, asked, fill=True) == (json.dumps(decision_json(d), ensure_ascii=False).encode(),
                                                           d.permitted)
    for bad in ({**sc, "bogus": 1}, {**sc, "consent": "yes"}, {**sc, "action": "use"}):
        assert writer.table_line(ev, bad, fill=True) is None


class _CountingEvaluator(Evaluator):
    """An evaluator that counts the scenarios it decides in full."""

    __slots__ = ("decided",)

    def __init__(self, ruleset):
        super().__init__(ruleset)
        self.decided = 0

    def decide(self, sc):
        self.decided += 1
        return super().decide(sc)


def test_cells_that_read_alike_share_their_line_template():
    """Items of different decision tables that a policy decides and explains alike give lines
    of one template: once the writer has written each item alone, pairs of them are written
    without deciding most pairs again — and still byte for byte as deciding them writes them."""
    rs = POLICIES["aizu"]
    ev, writer = _CountingEvaluator(rs), DecisionWriter()
    items = ITEMS  # 26 items in 13 classes (13 decision tables): 117 distinct pairs of cells
    base = {"action": "use", "purpose": "delivery"}
    for item in items:
        ev.scenario({**base, "data": [item]})
        assert writer.table_line(ev, {**base, "data": [item]}, fill=True) is not None
    pairs = [[a, b] for a in items for b in items if a < b]
    ev.decided = 0
    for pair in pairs:
        sc = {**base, "data": pair}
        d = Evaluator(rs).decide(Evaluator(rs).scenario(sc))
        assert writer.table_line(ev, sc, fill=True) == (json.dumps(decision_json(d), ensure_ascii=False).encode(),
                                                        d.permitted)
    assert ev.decided < len(pairs) / 4, (ev.decided, len(pairs))  # (13 here; 117 deciding each new pair)


def test_a_line_template_fills_each_item_in_its_place():
    """The pieces of an item's reasons are kept as for the first item and moved to each
    place: the same item decision written first, second and third names the right item."""
    ev, writer = Evaluator(POLICIES["aizu"]), DecisionWriter()
    for data in (["name"], ["address", "name"], ["phone", "address", "name"], ["name", "name"]):
        sc = {"action": "publish", "data": data, "purpose": "delivery"}
        d = ev.decide(ev.scenario(sc))
        want = json.dumps(decision_json(d), ensure_ascii=False)
        assert writer.line(d) == want
        assert writer.table_line(ev, sc) == (want.encode(), d.permitted)


@pytest.mark.parametrize("limits", [(0, 1 << 17), (1, 1 << 17), (0, 0)])
def test_lines_past_the_bounds_are_still_the_lines_of_the_decisions(monkeypatch, limits):
    """With no room (or one entry) for templates per set of cells — past LINE_LIMIT, as on a
    long stream — lines come through their cells' contents; with no room for those either,
    from a template made again: byte for byte the decisions' lines all the same."""
    import coopcheck.presentation.decision_json as module

    monkeypatch.setattr(module, "LINE_LIMIT", limits[0])
    monkeypatch.setattr(module, "COMPOSED_LIMIT", limits[1])
    rs = POLICIES["aizu"]
    ev, writer = Evaluator(rs), DecisionWriter()
    stream = [{"action": action, "data": pair, "purpose": purpose}
              for action in ("use", "collect") for purpose in ("delivery", "billing")
              for pair in ([a, b] for a in ITEMS[:8] for b in ITEMS[:8] if a < b)]
    for sc in stream:
        ev.scenario(sc)  # the names, resolved
    expected = []
    for sc in stream:
        d = decide(rs, sc)
        expected.append((json.dumps(decision_json(d), ensure_ascii=False).encode(), d.permitted))
    assert _stream_lines(writer, ev, stream, fill=True) == expected
    assert len(writer._lines) <= limits[0] and len(writer._composed) <= limits[1]
