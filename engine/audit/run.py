"""Running an audit: plan the logs, scan the partitions here or on Dask, combine.

>>> import tempfile, os
>>> from coopcheck.audit.generate import write_log
>>> folder = tempfile.mkdtemp()
>>> _ = write_log(os.path.join(folder, "log.jsonl"), 2000, cases=200, seed=7)
>>> result = audit([os.path.join(folder, "log.jsonl")])
>>> result.events == result.permitted + result.denied + result.errors
True
>>> sum(f.events for f in result.findings) >= result.denied > 0
True
"""

from __future__ import annotations

from typing import Callable

from coopcheck.core.api import load_policy, shipped_policies
from coopcheck.core.collector import fewer_collections

from coopcheck.audit.cases import PolicySet
from coopcheck.audit.logs import PART_ROWS, plan
from coopcheck.audit.scan import AuditResult, PartResult, assemble, scan_part


def policy_set(default_coop: str | None = None) -> PolicySet:
    """Every shipped policy, compiled (from the on-disk cache when it is warm)."""
    return PolicySet([load_policy(c) for c in shipped_policies()], default_coop)


def audit(paths: list[str], mapping: dict[str, str] | None = None, *, default_coop: str | None = None,
          dask: str | None = None, part_rows: int = PART_ROWS, keep_events: bool = False,
          progress: Callable[[int], None] | None = None, on_plan: Callable[[int], None] | None = None,
          policies: PolicySet | None = None, timeout: float | None = None) -> AuditResult:
    """Audit event logs (JSON Lines, CSV, Parquet) against the shipped policies.

    ``mapping``: scenario field (or ``event_id``, ``time``) -> the log's column. ``default_coop``:
    the co-op of events that name none. ``dask``: a scheduler address (``tcp://host:8786``) or
    ``local[:N]`` to run the partitions on a Dask cluster. ``progress(events)`` is called as
    partitions finish, ``on_plan(total)`` once the expected number of events is known.
    ``timeout``: seconds to wait for the Dask cluster's results (none by default).
    Raises :class:`~coopcheck.audit.logs.LogError` for a log that cannot be read at all.
    """
    with fewer_collections():
        return _audit(paths, mapping, default_coop, dask, part_rows, keep_events, progress, on_plan, policies, timeout)


def _audit(paths, mapping, default_coop, dask, part_rows, keep_events, progress, on_plan, policies, timeout):
    policies = policies or policy_set(default_coop)
    parts = plan(list(paths), mapping, part_rows)
    if on_plan is not None:
        on_plan(sum(p.estimate for p in parts))
    if dask:
        from coopcheck.audit.cluster import scan_on_dask

        results = scan_on_dask(parts, policies, dask, keep_events=keep_events, progress=progress,
                               timeout=timeout)
    else:
        results: list[PartResult] = []
        for part in parts:
            r = scan_part(part, policies, keep_events)
            results.append(r)
            if progress is not None:
                progress(r.events)
    return assemble(parts, results, policies.names())
