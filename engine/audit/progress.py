"""The audit's progress bar: events done, events per second and time left, on a terminal.

Drawn with Rich on standard error, only when standard error is a terminal (and not
``--quiet``); in a pipe, a file or a test nothing is drawn. It moves as partitions finish.
"""

from __future__ import annotations

import sys


class Progress:
    """A context manager with ``total(n)`` (expected events) and ``advance(n)``; a no-op when
    ``enabled`` is false or Rich is not installed."""

    def __init__(self, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self._progress = None
        self._task = None

    def __enter__(self) -> "Progress":
        if not self.enabled:
            return self
        try:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, ProgressColumn,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)
            from rich.text import Text
        except ImportError:  # the bar is a nicety: without Rich the audit runs quietly
            self.enabled = False
            return self

        class Speed(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text("—  events/s" if not speed else f"{speed:,.0f} events/s")

        self._progress = RichProgress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), Speed(),
                                      TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                      console=Console(file=self.stream), transient=False)
        self._progress.__enter__()
        self._task = self._progress.add_task("audit", total=None)
        return self

    def total(self, n: int) -> None:
        """The number of events expected."""
        if self._progress is not None:
            self._progress.update(self._task, total=max(n, 1))

    def advance(self, n: int) -> None:
        """``n`` more events done."""
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            task = self._progress.tasks[0]
            if not any(exc) and task.total is not None:
                self._progress.update(self._task, total=task.completed)
            self._progress.__exit__(*exc)
