"""Fewer passes of Python's cycle collector over a long batch of work.

A stream of decisions (``check --json``) or an audit allocates many short-lived objects, which
reference counting frees, next to a large, long-lived heap: compiled policies and the
evaluators' growing tables. The cycle collector's frequent passes then mostly re-scan that
heap: about a tenth of a long ``check --json`` stream's time, and 14 % of auditing a
10M-event log (3.96 s against 3.41 s with no collection at all). :func:`fewer_collections`
raises the collector's thresholds for the work and restores them after, so collections still
happen (garbage cycles are still freed), only far less often.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

#: Allocations before a young collection, and young collections before an older one, while
#: the work runs (Python's defaults: 700, 10, 10).
THRESHOLDS = (100_000, 50, 50)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the body with the collector's thresholds at :data:`THRESHOLDS` (never lowered:
    higher ones already set are kept), and restore the previous ones after.

    >>> import gc
    >>> before = gc.get_threshold()
    >>> with fewer_collections():
    ...     gc.get_threshold()[0] >= 100_000
    True
    >>> gc.get_threshold() == before
    True
    """
    previous = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(THRESHOLDS, previous)))
    try:
        yield
    finally:
        gc.set_threshold(*previous)


__all__ = ["fewer_collections", "THRESHOLDS"]
