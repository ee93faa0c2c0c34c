"""Measuring one policy: build every engine, check its answers, then time it.

Before any timing, every engine's effect — coopcheck's rows included — is compared with the
expected answer on every scenario it will be timed on; a difference raises
:class:`Disagreement`. The expected answers are, on a synthetic policy, what the enumeration of
everything its grants permit says (:func:`~bench.peers.floor.permitted`); on a shipped policy,
coopcheck's full decision (which the reference evaluator, when present, is checked against
like every engine). The outputs of every timed pass are compared again afterwards (a cache
that changed an answer would show there).
"""

from __future__ import annotations

import statistics
import time
from types import ModuleType
from typing import Sequence

from attrs import frozen

import coopcheck

from . import engines, golden, synthetic
from .peers import Engine, EngineLimit, Peer, floor
from .peers.floor import permitted, synthetic_answers
from .policy import from_ruleset
from .timing import Budget, frozen_heap, one_pass


#: The note of a cell checked but not timed (``--check-only``).
CHECKED = "checked, not timed"


class Disagreement(AssertionError):
    """An engine decided a benchmark scenario differently from coopcheck."""


@frozen
class Cell:
    """One engine on one policy: µs per decision (median), or why there is no figure."""

    engine: str
    us: float | None
    timed: int  # scenarios checked and timed (a prefix of the stream)
    scenarios: int  # scenarios in the stream
    note: str | None = None  # why there is no figure
    detail: str | None = None  # e.g. the figure of every batch size tried
    build_s: float = 0.0


@frozen
class PolicyResult:
    """Every engine on one policy: the cold rows (headline), the memo-hit/warm rows, and the
    facts about the policy and its scenarios."""

    label: str
    grants: int  # 0 for a shipped policy
    compile_s: float
    scenarios: int
    permits: int
    cells: tuple[Cell, ...]
    warm: tuple[Cell, ...] = ()

    def cell(self, name: str) -> Cell | None:
        """The cell of the engine called ``name``, if it ran (cold rows first)."""
        return next((c for c in (*self.cells, *self.warm) if c.engine == name), None)


def _compare(name: str, label: str, dicts: Sequence[dict], expected: Sequence[str], got: Sequence) -> None:
    wrong = [(d, e, g) for d, e, g in zip(dicts, expected, got) if e != g]  # got may be a prefix
    if len(got) > len(expected):
        wrong.append(({}, "nothing", f"{len(got) - len(expected)} answers too many"))
    if wrong:
        shown = "\n".join(f"  {d}: expected {e}, {name} {g}" for d, e, g in wrong[:5])
        raise Disagreement(f"{name} disagrees with the expected answers on {len(wrong)} of {len(got)} scenarios "
                           f"({label}):\n{shown}")


def _effects(eng: Engine, outputs: Sequence) -> list[str]:
    effect = eng.effect
    return [effect(o) for o in outputs]


def _pass(eng: Engine, run, inputs) -> tuple[float, list]:
    """One timed pass from a fresh state (made, and released afterwards, untimed)."""
    state = eng.fresh(inputs)
    try:
        return one_pass(run, state, inputs)
    finally:
        del state
        engines.release()


def _check_pass(eng: Engine, run, label: str, dicts, inputs, expected, n: int) -> float:
    """One pass over the first ``n`` inputs from a fresh state; its answers are compared."""
    seconds, out = _pass(eng, run, inputs[:n])
    if len(out) != n:
        raise Disagreement(f"{eng.name} gave {len(out)} answers for {n} scenarios ({label})")
    _compare(eng.name, label, dicts[:n], expected[:n], _effects(eng, out))
    return seconds


def plan(eng: Engine, label: str, dicts, inputs, expected, budget: Budget) -> int:
    """How many scenarios (a prefix) the engine is timed on — all of them when one pass fits
    the budget (``budget.stream_seconds`` for an engine timed on whole streams), never fewer
    than the budget's least — checking its answers on every scenario of each trial pass, the
    last of which covers the whole prefix."""
    total = len(inputs)
    limit = budget.stream_seconds if eng.whole_stream else budget.seconds
    n = min(budget.least, total)
    runs = [run for _, run in eng.alternatives] or [eng.run]
    while True:
        seconds = max(_check_pass(eng, run, label, dicts, inputs, expected, n) for run in runs)
        if n == total:
            return n
        per = seconds / n
        target = total if per * total <= limit else max(budget.least, int(limit / per))
        if target <= n:
            return n
        n = min(target, total)


def timed(eng: Engine, label: str, dicts, expected, budget: Budget, check_only: bool = False,
          build_s: float = 0.0, length: int | None = None) -> Cell:
    """Check an engine, then time it: the median over the budget's repeats of one pass (three
    when one pass takes more than twice the budget), in µs per decision; with alternatives,
    the best of them. An engine timed on whole streams is given the policy's stream
    ``length`` when there is one (so that coopcheck's rows decide streams of one length)."""
    inputs = eng.prepare(dicts)
    try:
        if eng.whole_stream and length is not None:
            n = min(length, len(inputs))
            for _, run in eng.alternatives or (("", eng.run),):
                _check_pass(eng, run, label, dicts, inputs, expected, n)
        else:
            n = plan(eng, label, dicts, inputs, expected, budget)
    except EngineLimit as err:
        return Cell(eng.name, None, 0, len(dicts), f"stopped: {err}", build_s=build_s)
    if check_only:
        return Cell(eng.name, None, n, len(dicts), CHECKED, build_s=build_s)
    subset, answers = inputs[:n], expected[:n]
    figures = []
    for alt, run in eng.alternatives or (("", eng.run),):
        times = []
        repeats = budget.repeats
        while len(times) < repeats:
            seconds, out = _pass(eng, run, subset)
            _compare(eng.name, label, dicts, answers, _effects(eng, out))
            times.append(seconds)
            if seconds > 2 * budget.seconds:
                repeats = min(repeats, 3)
        figures.append((statistics.median(times) / n * 1e6, alt))
    best, alt = min(figures)
    detail = None
    if len(figures) > 1:
        detail = f"best {alt}; " + ", ".join(f"{a} {f:.1f} µs" for f, a in sorted(figures, key=lambda x: x[1]))
    return Cell(eng.name, best, n, len(dicts), detail=detail, build_s=build_s)


def _built(make, *args) -> tuple[Engine, float]:
    start = time.perf_counter()
    eng = make(*args)
    return eng, time.perf_counter() - start


def measure_synthetic(grants: int, count: int, budget: Budget, peers: Sequence[Peer],
                      reference: ModuleType | None, check_only: bool = False,
                      warm: bool = False) -> PolicyResult:
    """Every engine on the synthetic policy of ``grants`` grants and ``count`` distinct
    scenarios; the memo-hit/warm rows too when ``warm``."""
    label = f"{grants:,} grants"
    start = time.perf_counter()
    ruleset, texts = synthetic.load(grants)
    compile_s = time.perf_counter() - start
    policy = from_ruleset(ruleset)
    cases = synthetic.scenarios(policy, count, permitted=permitted(policy))
    dicts = [c.to_json() for c in cases]
    answers = synthetic_answers(policy, cases)
    expected = [answers[floor.key(d)] for d in dicts]  # coopcheck's rows are checked against these too

    cold = engines.cold(ruleset)
    built: list[tuple[Engine, float]] = [(floor.build(answers), 0.0)]
    built += [(eng, 0.0) for eng in cold]
    if reference is not None:
        built.append(_built(engines.reference, reference, texts, ruleset))
    built += [_built(p.build, policy) for p in peers]
    warm_engines = engines.warm(ruleset) if warm else []
    with frozen_heap():
        length = plan(cold[0], label, dicts, dicts, expected, budget)  # the stream coopcheck's rows decide
        cells = [timed(eng, label, dicts, expected, budget, check_only, build_s, length) for eng, build_s in built]
        warm_cells = tuple(timed(eng, label, dicts, expected, budget, check_only, length=length)
                           for eng in warm_engines)
    return PolicyResult(label, grants, compile_s, len(dicts), expected.count("permit"), tuple(cells), warm_cells)


def shipped_scenarios(count: int, seed: int = golden.SEED + 1) -> dict[str, list[dict]]:
    """Up to ``count`` distinct valid scenarios per shipped policy from the golden generator
    (seeded): the ones coopcheck decides without an input error, distinct once resolved."""
    rulesets = {coop: coopcheck.load_policy(coop) for coop in golden.COOPS}
    out: dict[str, list[dict]] = {coop: [] for coop in golden.COOPS}
    seen: set = set()
    for sc in golden.scenarios(40 * count * len(golden.COOPS), seed):
        coop = sc["coop"]
        if len(out[coop]) >= count:
            if all(len(v) >= count for v in out.values()):
                break
            continue
        try:
            key = (coop, coopcheck.make_scenario(rulesets[coop], sc).key)
        except coopcheck.CoopcheckError:
            continue
        if key not in seen:
            seen.add(key)
            out[coop].append(sc)
    return out


def measure_shipped(coop: str, dicts: list[dict], budget: Budget, reference: ModuleType | None,
                    check_only: bool = False) -> PolicyResult:
    """coopcheck (cold and warm), the floor and the reference on one shipped policy with its
    golden scenarios. The floor's answers are the reference's when it is present (else
    coopcheck's, which leaves the floor's agreement check with nothing to find)."""
    ruleset = coopcheck.load_policy(coop)
    label = f"shipped policy {coop}"
    expected = engines.expected(ruleset, dicts)
    ref = engines.reference(reference, engines.ruleset_texts(ruleset), ruleset) if reference is not None else None
    answers = engines.answers(ref, dicts) if ref is not None else expected
    cold = engines.cold(ruleset)
    built = [floor.build({floor.key(d): a for d, a in zip(dicts, answers)}), *cold]
    if ref is not None:
        built.append(ref)
    with frozen_heap():
        length = plan(cold[0], label, dicts, dicts, expected, budget)  # the stream coopcheck's rows decide
        cells = [timed(eng, label, dicts, expected, budget, check_only, length=length) for eng in built]
        warm_cells = tuple(timed(eng, label, dicts, expected, budget, check_only, length=length)
                           for eng in engines.warm(ruleset))
    return PolicyResult(coop, 0, 0.0, len(dicts), expected.count("permit"), tuple(cells), warm_cells)


def merge_shipped(results: Sequence[PolicyResult]) -> PolicyResult:
    """The five shipped policies as one: per engine, the time the five streams take divided
    by their scenarios (each policy's figure weighted by its number of scenarios)."""
    def merged(cells_of) -> tuple[Cell, ...]:
        names = list(dict.fromkeys(c.engine for r in results for c in cells_of(r)))
        out = []
        for name in names:
            cells = [(r, c) for r in results for c in cells_of(r) if c.engine == name]
            if any(c.us is None for _, c in cells) or len(cells) < len(results):
                out.append(Cell(name, None, sum(c.timed for _, c in cells), sum(r.scenarios for r in results),
                                next((c.note for _, c in cells if c.note), "not on every policy")))
                continue
            total = sum(r.scenarios for r, _ in cells)
            us = sum(c.us * r.scenarios for r, c in cells) / total
            out.append(Cell(name, us, sum(c.timed for _, c in cells), total))
        return tuple(out)

    return PolicyResult("all five", 0, 0.0, sum(r.scenarios for r in results), sum(r.permits for r in results),
                        merged(lambda r: r.cells), merged(lambda r: r.warm))
