"""coopcheck's own entry points as benchmark engines, and the test suite's reference evaluator.

``decide`` is the full decision (``engine.decide(ruleset, scenario)`` on a prebuilt
:class:`~coopcheck.core.scenario.Scenario`); ``permits`` is the boolean fast path when the engine
has one; ``reference`` is ``tests/support/reference.py`` when the checkout has it.
"""

from __future__ import annotations

import importlib.util
from functools import partial
from pathlib import Path
from types import ModuleType

import coopcheck as engine
from coopcheck.core.ruleset import Ruleset

from .peers import Engine
from .policy import Case

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "support" / "reference.py"

DECIDE = "coopcheck decide"
PERMITS = "coopcheck permits"
DECIDE_MANY = "coopcheck decide_many"
REFERENCE_NAME = "reference (tests)"


def _scenario(ruleset: Ruleset, case: Case):
    return engine.make_scenario(ruleset, case.to_json())


def decide(ruleset: Ruleset) -> Engine:
    """The full decision on a prebuilt scenario."""
    return Engine(DECIDE, partial(_scenario, ruleset), partial(engine.decide, ruleset),
                  lambda d: d.decision == "permit")


def has_permits() -> bool:
    """Whether the engine has the boolean fast path ``engine.permits``."""
    return callable(getattr(engine, "permits", None))


def permits(ruleset: Ruleset) -> Engine:
    """The boolean fast path ``engine.permits(ruleset, scenario)``."""
    return Engine(PERMITS, partial(_scenario, ruleset), partial(engine.permits, ruleset),
                  lambda result: result is True)


def reference_module() -> ModuleType | None:
    """``tests/support/reference.py`` loaded from the checkout, or None if it is not there."""
    if not REFERENCE.is_file():
        return None
    spec = importlib.util.spec_from_file_location("coopcheck_bench_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference(module: ModuleType, texts: list[tuple[str, str]]) -> Engine:
    """The reference evaluator over rule-file texts (dependencies first, the policy last)."""
    ref = module.load_reference(texts)
    return Engine(REFERENCE_NAME, Case.to_json, partial(module.reference_decide, ref),
                  lambda d: d.decision == "permit")


def ruleset_texts(ruleset: Ruleset) -> list[tuple[str, str]]:
    """The ``(text, file name)`` pairs a compiled ruleset came from, dependencies first."""
    return [(Path(f).read_text(encoding="utf-8"), Path(f).name) for f in ruleset.files]
