"""The decision contract in JSON: ``decision_json`` and the stream writer agree exactly.

``DecisionWriter.line`` assembles each line from pieces it has already encoded (sentences,
lists of ids, items); the property is that the line is byte for byte
``json.dumps(decision_json(decision, lang), ensure_ascii=False)`` — for permits and denies, one
item or several, with or without consent or a legal exception, in English and Japanese, and
whatever the writer has seen before.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopcheck import decide, load_policy, shipped_policies
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
