"""Measuring one policy: build every engine, check its decisions, then time it.

Before any timing, every engine's permit/deny is compared with coopcheck's full decision on
every scenario it will be timed on; a difference raises :class:`Disagreement`.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import deque
from types import ModuleType
from typing import Sequence

from attrs import frozen

import coopcheck as engine

from . import engines, synthetic
from .peers import Engine, EngineLimit, Peer
from .peers.floor import permitted
from .policy import Case, from_ruleset
from .timing import Budget, decisions, median_us, one_pass


class Disagreement(AssertionError):
    """An engine decided a benchmark scenario differently from coopcheck."""


@frozen
class Cell:
    """One engine on one policy: µs per decision (median), or why there is no figure."""

    engine: str
    us: float | None
    timed: int  # scenarios checked and timed (a prefix of the set)
    scenarios: int  # scenarios in the set
    build_s: float = 0.0
    note: str | None = None


@frozen
class PolicyResult:
    """Every engine on one policy, with the facts about the policy and its scenarios."""

    label: str
    grants: int
    compile_s: float
    scenarios: int
    permits: int
    cells: tuple[Cell, ...]
    decide_many_per_s: float | None
    decide_many_timed: int

    def cell(self, name: str) -> Cell | None:
        """The cell of the engine called ``name``, if it ran."""
        return next((c for c in self.cells if c.engine == name), None)


def _compare(name: str, label: str, cases: Sequence[Case], expected: Sequence[bool], got: Sequence[bool]) -> None:
    wrong = [(c, e) for c, e, g in zip(cases, expected, got) if e != g]  # got may be a prefix
    if wrong:
        shown = "\n".join(f"  {c.to_json()}: coopcheck {'permit' if e else 'deny'}, "
                          f"{name} {'deny' if e else 'permit'}" for c, e in wrong[:5])
        raise Disagreement(f"{name} disagrees with coopcheck on {len(wrong)} of {len(got)} scenarios "
                           f"({label}):\n{shown}")


@frozen
class Checked:
    """An engine whose decisions were checked: its requests, and how many of them to time."""

    engine: Engine
    inputs: list
    timed: int
    build_s: float


def check(eng: Engine, label: str, cases: Sequence[Case], expected: Sequence[bool], budget: Budget,
          build_s: float = 0.0) -> Checked | Cell:
    """Prepare the engine's requests and check its decisions, in order, on as many scenarios
    as one pass can cover within the budget (all of them for a fast engine, never fewer than
    the budget's least); a :class:`Cell` with a note if the engine stopped at a limit of its
    own."""
    inputs = [eng.prepare(c) for c in cases]
    try:
        got = decisions(eng, inputs, budget)
    except EngineLimit as err:
        return Cell(eng.name, None, 0, len(cases), build_s, f"stopped: {err}")
    _compare(eng.name, label, cases, expected, got)
    return Checked(eng, inputs, len(got), build_s)


def time_all(checked: Sequence[Checked | Cell], scenarios: int, budget: Budget) -> tuple[Cell, ...]:
    """Time every checked engine (median µs per decision over the budget's repeats)."""
    def timed(c: Checked) -> Cell:
        figure = median_us(c.engine.run, c.inputs[:c.timed], budget.repeats, budget)
        return Cell(c.engine.name, figure, c.timed, scenarios, c.build_s)

    return tuple(c if isinstance(c, Cell) else timed(c) for c in checked)


def _built(make, *args) -> tuple[Engine, float]:
    start = time.perf_counter()
    eng = make(*args)
    return eng, time.perf_counter() - start


def measure_synthetic(grants: int, count: int, budget: Budget, peers: Sequence[Peer],
                      reference: ModuleType | None) -> PolicyResult:
    """Every engine on the synthetic policy of ``grants`` grants and ``count`` scenarios."""
    label = f"{grants:,} grants"
    text = synthetic.render(grants)
    start = time.perf_counter()
    ruleset = engine.load_string(text, "synthetic.policy")
    compile_s = time.perf_counter() - start
    policy = from_ruleset(ruleset)
    cases = synthetic.scenarios(policy, count, permitted=permitted(policy))

    decide = engines.decide(ruleset)
    scenarios = [decide.prepare(c) for c in cases]
    expected = [decide.allowed(decide.run(s)) for s in scenarios]
    checked = [check(decide, label, cases, expected, budget)]
    if engines.has_permits():
        checked.append(check(engines.permits(ruleset), label, cases, expected, budget))
    if reference is not None:
        ref, build_s = _built(engines.reference, reference, [(text, "synthetic.policy")])
        checked.append(check(ref, label, cases, expected, budget, build_s))
    for p in peers:
        eng, build_s = _built(p.build, policy)
        checked.append(check(eng, label, cases, expected, budget, build_s))
    many_n = checked[0].timed
    check_many(ruleset, scenarios[:many_n], expected[:many_n], label)

    first = time_all(checked[:1], len(cases), budget)  # the full decision, then the batch
    rate = decide_many_rate(ruleset, scenarios[:many_n], budget.repeats)
    cells = first + time_all(checked[1:], len(cases), budget)
    return PolicyResult(label, grants, compile_s, len(cases), sum(expected), cells, rate, many_n)


def check_many(ruleset, scenarios: Sequence, expected: Sequence[bool], label: str) -> None:
    """Check that ``coopcheck.core.decide_many`` decides as ``decide`` did."""
    got = [d.decision == "permit" for d in engine.decide_many(ruleset, scenarios)]
    if got != list(expected):
        raise Disagreement(f"decide_many disagrees with decide ({label})")


def decide_many_rate(ruleset, scenarios: Sequence, repeats: int) -> float:
    """Single-item decisions per second through ``coopcheck.core.decide_many`` (median of passes)."""
    def drain(batch: Sequence) -> None:
        deque(engine.decide_many(ruleset, batch), maxlen=0)

    return len(scenarios) / statistics.median(one_pass(drain, [scenarios]) for _ in range(repeats))


def shipped_cases(ruleset, count: int, seed: int = synthetic.SEED) -> tuple[Case, ...]:
    """Seeded single-item ``use``/``share`` scenarios over a shipped policy's vocabulary."""
    vocab = ruleset.vocabulary
    rng = random.Random(f"{seed}:{ruleset.coop}:{count}")
    items, parties = vocab.of_kind("item"), vocab.of_kind("party")
    purposes, subjects = vocab.of_kind("purpose"), vocab.of_kind("subject")
    out = []
    for _ in range(count):
        action = "share" if rng.random() < 0.5 else "use"
        out.append(Case(action, "member" if rng.random() < 0.7 else rng.choice(subjects), rng.choice(items),
                        rng.choice(parties) if action == "share" else None, rng.choice(purposes),
                        rng.random() < 0.3))
    return tuple(out)


def measure_shipped(count: int, budget: Budget, reference: ModuleType | None) -> PolicyResult:
    """coopcheck (and the reference, when present) on every shipped policy with random
    scenarios; the figure is the mean over the policies of their median µs per decision."""
    cells: dict[str, list[Cell]] = {}
    total = permits = 0
    for coop in engine.shipped_policies():
        ruleset = engine.load_policy(coop)
        cases = shipped_cases(ruleset, count)
        decide = engines.decide(ruleset)
        expected = [decide.allowed(decide.run(decide.prepare(c))) for c in cases]
        label = f"shipped policy {coop}"
        checked = [check(decide, label, cases, expected, budget)]
        if engines.has_permits():
            checked.append(check(engines.permits(ruleset), label, cases, expected, budget))
        if reference is not None:
            ref = engines.reference(reference, engines.ruleset_texts(ruleset))
            checked.append(check(ref, label, cases, expected, budget))
        for cell in time_all(checked, len(cases), budget):
            cells.setdefault(cell.engine, []).append(cell)
        total += len(cases)
        permits += sum(expected)
    merged = tuple(Cell(name, sum(c.us for c in cs) / len(cs), sum(c.timed for c in cs), sum(c.scenarios for c in cs))
                   for name, cs in cells.items())
    return PolicyResult("shipped policies", 0, 0.0, total, permits, merged, None, 0)
