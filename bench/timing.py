"""Timing: medians of repeated runs, each a loop over the inputs, with a time budget.

A slow engine on a large policy is checked and timed on a prefix of the scenarios so that one
pass stays near the budget; the prefix is reported with the figure.
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable, Sequence

from attrs import frozen


@frozen
class Budget:
    """How long one timed pass over the scenarios may take, and the fewest scenarios to use."""

    seconds: float
    least: int
    repeats: int


def one_pass(run: Callable[[Any], Any], inputs: Sequence) -> float:
    """Seconds for one loop calling ``run`` on every input (garbage collection paused)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for x in inputs:
            run(x)
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def decisions(eng, inputs: Sequence, budget: Budget) -> list[bool]:
    """The engine's permit/deny on the inputs, in order, stopping once the budget is spent
    and at least ``budget.least`` are decided (so a slow engine gives a prefix)."""
    out: list[bool] = []
    run, allowed = eng.run, eng.allowed
    least = min(budget.least, len(inputs))
    start = time.perf_counter()
    for x in inputs:
        out.append(allowed(run(x)))
        if len(out) >= least and time.perf_counter() - start > budget.seconds:
            break
    return out


def median_us(run: Callable[[Any], Any], inputs: Sequence, repeats: int, budget: Budget | None = None) -> float:
    """Median over ``repeats`` passes of the microseconds per call; when the first pass alone
    takes more than twice the budget, three passes are enough."""
    times = [one_pass(run, inputs)]
    if budget is not None and times[0] > 2 * budget.seconds:
        repeats = min(repeats, 3)
    times += [one_pass(run, inputs) for _ in range(repeats - 1)]
    return statistics.median(times) / len(inputs) * 1e6


def median_seconds(task: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``task`` in seconds."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        out.append(time.perf_counter() - start)
    return statistics.median(out)
