"""Timing: medians of repeated passes over a stream of scenarios, with a time budget.

A pass is one call of an engine's ``run`` over the inputs, from the state its ``fresh`` gives
(made before the clock starts). The garbage collector runs during a pass as it would in an
embedding program; the harness's own objects (parsers, policies, scenario lists, expected
answers) are frozen out of its way while a policy is measured (:func:`frozen_heap`), so the
size of the harness does not weigh on engines that allocate. A slow engine on a large
policy is checked and timed on a prefix of the scenarios so that one pass stays near the
budget; the prefix is reported with the figure.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from typing import Any, Callable, Sequence

from attrs import frozen


@frozen
class Budget:
    """How long one timed pass may take (``stream_seconds`` for engines timed on whole
    streams, whose cost per decision depends on the stream's length), the fewest scenarios to
    use, and how many passes."""

    seconds: float
    least: int
    repeats: int
    stream_seconds: float = 5.0


@contextlib.contextmanager
def frozen_heap():
    """Collect, then move every object that exists now to the collector's permanent
    generation for the duration (``gc.freeze``)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def one_pass(run: Callable[[Any, Sequence], list], state: Any, inputs: Sequence) -> tuple[float, list]:
    """Seconds for one pass of ``run`` over ``inputs`` from ``state``, and its outputs."""
    start = time.perf_counter()
    out = run(state, inputs)
    return time.perf_counter() - start, out


def median_seconds(task: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``task`` in seconds."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        out.append(time.perf_counter() - start)
    return statistics.median(out)
