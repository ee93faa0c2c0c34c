"""coopcheck's own entry points as benchmark engines, and the test suite's reference evaluator.

Every row starts from the scenario dicts (the JSON contract) and goes through the public API:

- cold rows (the headline): each timed pass starts from a copy of the ruleset made with
  ``pickle.loads(pickle.dumps(ruleset))``, which has no evaluator yet — so no decision table,
  no resolved name and no remembered answer: ``coopcheck.decide(copy, d)`` builds its
  evaluator, resolves names and fills tables during the pass, on a stream of distinct
  scenarios;
- memo-hit and warm rows (reported apart, labelled as such): the copy has already answered
  every scenario of the pass once, untimed, so ``permits`` reads its remembered answers and
  ``decide`` reads filled tables.

The reference (``tests/support/reference.py``, when the checkout has it) is given the
scenarios with their names resolved to ids by coopcheck: it does not resolve names.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import pickle
from pathlib import Path
from types import ModuleType
from typing import Callable, Sequence

import coopcheck
from coopcheck.core.ruleset import Ruleset

from .peers import Engine, truth

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "support" / "reference.py"

DECIDE = "coopcheck decide(dict)"
DECIDE_MANY = "coopcheck decide_many(dicts)"
PERMITS = "coopcheck permits(dict)"
DECISION_JSON = "coopcheck decision JSON text"
PERMITS_MEMO = "coopcheck permits(dict), memo hit"
PERMITS_SCENARIO_MEMO = "coopcheck permits(Scenario), memo hit"
DECIDE_WARM = "coopcheck decide(dict), warm tables"
REFERENCE_NAME = "reference (tests)"


_COPIES: list[int] = []


def copier(ruleset: Ruleset) -> Callable[[], Ruleset]:
    """A function giving a fresh copy of ``ruleset`` each call: equal rules, no caches (the
    library's evaluators are per ruleset object)."""
    blob = pickle.dumps(ruleset)

    def copy() -> Ruleset:
        rs = pickle.loads(blob)
        _COPIES.append(id(rs))
        return rs

    return copy


def release() -> None:
    """Drop the library's shared evaluators of the copies made so far (called after every
    pass, untimed). Without this every copy would stay in memory for good: the evaluator
    ``evaluator_for`` keeps for a ruleset refers to the ruleset, so the weak reference meant
    to drop it when the ruleset goes never fires."""
    from coopcheck.core import evaluator

    for key in _COPIES:
        evaluator._SHARED.pop(key, None)
    _COPIES.clear()


def _decide(rs, dicts) -> list:
    decide = coopcheck.decide
    return [decide(rs, d).decision for d in dicts]


def _decide_many(rs, dicts) -> list:
    return [d.decision for d in coopcheck.decide_many(rs, dicts)]


def _permits(rs, dicts) -> list:
    permits = coopcheck.permits
    return [permits(rs, d) for d in dicts]


def _decision_json(rs, dicts) -> list:
    decide, as_json = coopcheck.decide, coopcheck.decision_json
    encode = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(x, ensure_ascii=False) does
    return [encode(as_json(decide(rs, d))) for d in dicts]


def _json_effect(text: str) -> str:
    return json.loads(text)["decision"]


def cold(ruleset: Ruleset) -> list[Engine]:
    """The cold rows: ``decide``, ``decide_many``, ``permits`` and the full decision JSON
    (``json.dumps(decision_json(decide(rs, d)), ensure_ascii=False)``, what ``check --json``
    writes per line), each pass on a fresh copy of the ruleset."""
    copy = copier(ruleset)

    def fresh(_inputs):
        return copy()

    return [Engine(DECIDE, _decide, str, fresh, whole_stream=True),
            Engine(DECIDE_MANY, _decide_many, str, fresh, whole_stream=True),
            Engine(PERMITS, _permits, truth, fresh, whole_stream=True),
            Engine(DECISION_JSON, _decision_json, _json_effect, fresh, whole_stream=True)]


def warm(ruleset: Ruleset) -> list[Engine]:
    """The memo-hit and warm rows: each pass on a copy that has answered the same inputs
    once already (untimed). ``permits(Scenario)`` is given prebuilt scenarios (the former
    headline figure): building one from a dict is left out of it."""
    copy = copier(ruleset)

    def answered(run):
        def fresh(inputs):
            rs = copy()
            run(rs, inputs)
            return rs
        return fresh

    def scenarios(dicts: Sequence[dict]) -> list:
        return [coopcheck.make_scenario(ruleset, d) for d in dicts]

    return [Engine(PERMITS_MEMO, _permits, truth, answered(_permits), whole_stream=True),
            Engine(PERMITS_SCENARIO_MEMO, _permits, truth, answered(_permits), scenarios,
                   note="input: prebuilt Scenario objects", whole_stream=True),
            Engine(DECIDE_WARM, _decide, str, answered(_decide), whole_stream=True)]


def expected(ruleset: Ruleset, dicts: Sequence[dict]) -> list[str]:
    """coopcheck's full decision on each scenario, on a fresh copy (the answers every engine
    is checked against)."""
    return [str(e) for e in _decide(copier(ruleset)(), dicts)]


@functools.lru_cache(maxsize=1)
def reference_module() -> ModuleType | None:
    """``tests/support/reference.py`` loaded from the checkout (once), or None if it is not there."""
    if not REFERENCE.is_file():
        return None
    spec = importlib.util.spec_from_file_location("coopcheck_bench_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resolved(ruleset: Ruleset, dicts: Sequence[dict]) -> list[dict]:
    """The scenarios with every name resolved to its id (coopcheck's resolution)."""
    return [coopcheck.make_scenario(ruleset, d).to_json() for d in dicts]


_REFERENCES: dict[tuple, object] = {}


def reference(module: ModuleType, texts: list[tuple[str, str]], ruleset: Ruleset) -> Engine:
    """The reference evaluator over rule-file texts (dependencies first, the policy last),
    given the scenarios with ids resolved by coopcheck."""
    key = (module, tuple(texts))
    ref = _REFERENCES.get(key)
    if ref is None:
        ref = _REFERENCES[key] = module.load_reference(texts)
    decide = module.reference_decide

    def run(_state, dicts) -> list:
        return [decide(ref, d).decision for d in dicts]

    return Engine(REFERENCE_NAME, run, str, prepare=lambda dicts: resolved(ruleset, dicts),
                  note="given ids resolved by coopcheck")


def answers(eng: Engine, dicts: Sequence[dict]) -> list[str]:
    """An engine's effect on every scenario (the reference's are the shipped policies' floor
    answers)."""
    return [eng.effect(o) for o in eng.run(eng.fresh(dicts), eng.prepare(dicts))]


def ruleset_texts(ruleset: Ruleset) -> list[tuple[str, str]]:
    """The ``(text, file name)`` pairs a compiled ruleset came from, dependencies first."""
    return [(Path(f).read_text(encoding="utf-8"), Path(f).name) for f in ruleset.files]
