"""The evaluator owns the caches; none of them may change an answer.

Properties (each stated on generated input):
- the scenario gate's look-up path (names resolved before) gives exactly the scenario — or the
  error — that the full gate gives;
- decisions read from the decision tables equal decisions by full evaluation, item by item,
  including the reasons, whichever scenario of a class filled the cell first.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from coopcheck import CoopcheckError, decide, load_policy
from coopcheck.core.evaluator import NOT_FILLED, Evaluator
from coopcheck.core.scenario import scenario_from_dict
from coopcheck.core.semantics import decide_item

AIZU = load_policy("aizu")
VOCAB = AIZU.vocabulary


def _names(kind: str) -> list:
    out = []
    for tid in VOCAB.of_kind(kind):
        info = VOCAB.terms[tid]
        out += [tid, *([info.label] if info.label else []), *info.aliases]
    return out


TEXT = st.one_of(st.sampled_from(["", " ", "nosuch", "Delivery", " name "]), st.integers(), st.none(),
                 st.booleans(), st.lists(st.just("name"), max_size=2))
FIELDS = {
    "action": st.one_of(st.sampled_from(["use", "collect", "share", "publish", "USE", " share"]), TEXT),
    "data": st.one_of(st.lists(st.sampled_from(_names("item")), min_size=1, max_size=3),
                      st.sampled_from(_names("item")), TEXT),
    "purpose": st.one_of(st.sampled_from(_names("purpose")), TEXT),
    "subject": st.one_of(st.sampled_from(_names("subject")), TEXT),
    "recipient": st.one_of(st.sampled_from(_names("party")), TEXT),
    "consent": st.one_of(st.booleans(), st.none(), TEXT),
    "exception": st.one_of(st.sampled_from(_names("exception")), TEXT),
    "coop": st.one_of(st.sampled_from(["aizu", "all"]), TEXT),
    "bogus": TEXT,
}
SCENARIOS = st.fixed_dictionaries({k: FIELDS[k] for k in ("action", "data", "purpose")},
                                  optional={k: v for k, v in FIELDS.items() if k not in ("action", "data", "purpose")})


def _gate(d: dict):
    try:
        return scenario_from_dict(d, VOCAB, coop=AIZU.coop)
    except CoopcheckError as err:
        return ("error", err.diagnostics[0].code, err.diagnostics[0].message, err.field)


def _evaluator(ev: Evaluator, d: dict):
    try:
        return ev.scenario(d)
    except CoopcheckError as err:
        return ("error", err.diagnostics[0].code, err.diagnostics[0].message, err.field)


EV = Evaluator(AIZU)  # shared, so later examples go through names resolved by earlier ones


@given(SCENARIOS)
def test_the_look_up_path_gives_what_the_full_gate_gives(d):
    """Property: asked twice (the second time every name is remembered), the evaluator's gate
    answers exactly as the full gate does."""
    expected = _gate(d)
    assert _evaluator(EV, d) == expected
    assert _evaluator(EV, d) == expected


#: Values that several share a class (so one fills a cell and another reads it).
SAME_CLASS_PARTIES = ["zenrosai", "coop_kyosai", "aizu_kyodo_service", "coop_federation", "coopdeli_federation",
                      "jccu", "coop_tohoku_sunnet", "contractor", "data_entry_vendor"]
SOME_PURPOSES = ["delivery", "billing", "survey", "legal_compliance", "employment_management", "kyosai"]
VARIATIONS = st.lists(st.one_of(
    st.tuples(st.just("recipient"), st.sampled_from(SAME_CLASS_PARTIES)),
    st.tuples(st.just("purpose"), st.sampled_from(SOME_PURPOSES)),
    st.tuples(st.just("data"), st.lists(st.sampled_from(["name", "address", "phone", "purchase_history",
                                                         "catalog_purchase_data", "resume"]), min_size=1, max_size=2)),
    st.tuples(st.just("subject"), st.sampled_from(VOCAB.of_kind("subject"))),
    st.tuples(st.just("exception"), st.sampled_from([None, *VOCAB.of_kind("exception")])),
    st.tuples(st.just("consent"), st.booleans())), min_size=1, max_size=12)


@given(st.sampled_from(["share", "share", "use", "collect", "publish"]), VARIATIONS)
def test_table_decisions_equal_full_evaluation(action, variations):
    """Property: every item decision read from the tables — cells filled by whichever scenario
    of a class came first, then told for the others — equals the full evaluation of that item,
    reasons included. The scenarios are one base varied one part at a time, so they share
    cells."""
    ev = Evaluator(AIZU)
    d = {"action": action, "data": ["name"], "purpose": "delivery"}
    if action == "share":
        d["recipient"] = "jccu"
    batch = []
    for part, value in variations:
        if part == "recipient" and action != "share":
            continue
        d = {**d, part: value}
        batch.append(d)
    for d in batch:
        sc = _gate(d)
        if isinstance(sc, tuple):
            continue
        decision = ev.decide(sc)
        for item_decision in decision.items:
            full = decide_item(AIZU, sc, item_decision.item)
            assert item_decision == full
            assert item_decision.reasons == full.reasons


def test_the_shared_evaluator_goes_with_its_ruleset():
    """The library's per-ruleset evaluator does not keep its ruleset alive: a policy compiled,
    used and dropped leaves nothing behind (its caches included)."""
    import gc
    import weakref

    from coopcheck import decide, load_string
    from coopcheck.core import evaluator as module

    gc.collect()  # rulesets earlier tests dropped go first, so `before` counts live ones only
    before = len(module._SHARED)
    refs = []
    for _ in range(5):
        rs = load_string("policy demo\nimport vocabulary\nname may be used for delivery [1]\n")
        assert decide(rs, action="use", data=["name"], purpose="delivery").permitted
        refs.append(weakref.ref(rs))
        del rs
    gc.collect()
    assert all(r() is None for r in refs)
    assert len(module._SHARED) == before


@given(st.sampled_from(["share", "share", "use", "collect", "publish"]), VARIATIONS)
def test_table_cells_are_where_decide_reads_from(action, variations):
    """Property: ``table_cells`` of a scenario dict is None, or the fields of the scenario the
    gate gives (for this co-op, whatever the dict's ``coop``) with the filled cell of each of
    its items — the cells ``decide`` reads — and then it stays so."""
    ev = Evaluator(AIZU)
    d = {"action": action, "data": ["name"], "purpose": "delivery", "coop": "AIZU"}  # as a caller may name it
    if action == "share":
        d["recipient"] = "jccu"
    for part, value in variations:
        if part == "recipient" and action != "share":
            continue
        d = {**d, part: value}
        for _ in range(2):  # before and after deciding it
            found = ev.table_cells(d)
            sc = _evaluator(ev, {k: v for k, v in d.items() if k != "coop"})
            if found is None:
                if not isinstance(sc, tuple):
                    ev.decide(sc)
                continue
            fields, cells = found
            assert fields == (sc.action, sc.items, sc.purpose, sc.subject, sc.recipient, sc.consent, sc.exception,
                              "aizu")
            for item, (plan, i) in zip(sc.items, cells, strict=True):
                assert plan is ev.plan(sc.action, sc.subject, item)
                assert i == plan.cell(sc.recipient, sc.purpose, sc.consent, sc.exception)
                assert plan.cells[i] is not None


@given(st.sampled_from(["share", "share", "use", "collect", "publish"]), VARIATIONS, st.booleans())
def test_table_would_permit_with_consent_is_what_decide_says(action, variations, consent):
    """Property: ``table_would_permit_with_consent`` of a scenario's cells (filled with
    ``table_cells(fill=True)``) is NOT_FILLED only while a cell with consent is not filled, and
    otherwise what ``decide`` says: None for a permit, else whether consent would permit
    every item (False when consent was given)."""
    ev = Evaluator(AIZU)
    d = {"action": action, "data": ["name", "purchase_history"], "purpose": "delivery"}
    if action == "share":
        d["recipient"] = "jccu"
    for part, value in variations:
        if part == "recipient" and action != "share":
            continue
        d = {**d, part: value, "consent": consent}
        sc = _evaluator(ev, d)
        if isinstance(sc, tuple):
            continue  # a bad scenario: no cells
        found = ev.table_cells(d, fill=True)
        assert found is not None
        _, cells = found
        would = ev.table_would_permit_with_consent(cells, consent)
        decision = ev.decide(sc)  # (fills the cells with consent that a deny reads)
        if would is NOT_FILLED:
            assert not decision.permitted and not consent
            would = ev.table_would_permit_with_consent(cells, consent)
        assert would == decision.would_permit_with_consent


@given(st.sampled_from(["share", "share", "use", "collect", "publish"]), VARIATIONS)
def test_a_cell_told_for_its_own_scenario_is_itself(action, variations):
    """Property: every reason in a filled cell, told for the scenario that filled it, is that
    reason (what the JSON writer's line templates rely on: a decision read from a cell names
    the asking scenario's terms exactly where a rebound one would)."""
    ev = Evaluator(AIZU)
    d = {"action": action, "data": ["name", "address"], "purpose": "delivery"}
    if action == "share":
        d["recipient"] = "jccu"
    for part, value in variations:
        if part != "recipient" or action == "share":
            d = {**d, part: value}
            sc = _gate(d)
            if not isinstance(sc, tuple):
                ev.decide(sc)
    for plan in ev._plans.values():
        for cell in plan.cells:
            if cell is not None:
                found, source, item = cell
                for reason in found.explanation:
                    assert reason.told_for(item, source.subject, source.recipient, source.purpose,
                                           source.exception) == reason


def test_a_remembered_unknown_name_keeps_no_caller_alive():
    """The evaluator remembers names that resolve to no term, with their error, and raises it
    again for the same name. Each raise must be a new error: a raised error carries its
    traceback, whose frames hold their callers' locals (a service's request body, a stream's
    chunk), and a remembered one raised again would keep the latest caller's data alive for as
    long as the evaluator lives (found by the long fuzz run: 8 GB per process after 150 000
    scenarios)."""
    import gc
    import weakref

    class Payload:
        pass

    aizu = load_policy("aizu")

    def caller() -> tuple[weakref.ref, str]:
        payload = Payload()  # what a caller holds while it decides
        try:
            decide(aizu, {"action": "use", "data": ["name"], "purpose": "no_such_purpose_xyz"})
        except CoopcheckError as err:
            return weakref.ref(payload), err.diagnostics[0].message
        raise AssertionError("an unknown purpose was decided")

    first, message = caller()
    again, message_again = caller()  # the remembered error, raised again
    gc.collect()
    assert first() is None and again() is None
    assert message == message_again and "no_such_purpose_xyz" in message
