"""``coopcheck audit`` throughput, on one machine and on a local Dask cluster, with a floor
measured in the same run.

The log is the audit's own seeded generator (:mod:`coopcheck.audit.generate`): ``events``
events as Parquet drawn from 3 000 distinct cases with a Zipf-like repetition (and 0.5 % bad
rows), written to a temporary folder and removed at the end, in row groups of a fifth of the
audit's default partition (:data:`~coopcheck.audit.logs.PART_ROWS`), so it is cut into
partitions of the default size: the units a Dask worker takes. What is
timed is the audit's Python entry, :func:`coopcheck.audit.run.audit` — plan, read, group,
decide each distinct case, combine — with a :class:`CountingPolicySet`: the shipped policies,
copied cold (``pickle``) for every run, counting each case it decides (it remembers every
outcome, so a case met again is not decided again).

- one machine: ``audit(paths, policies=…)`` in this process;
- Dask: a ``LocalCluster`` of 1, then 2 worker processes (one thread each, 127.0.0.1 only, no
  dashboard), the same call with ``dask=client``. Starting the cluster is not timed (it is
  reported); the policies' broadcast to the workers is. Each cluster first runs the audit once
  untimed and its result must equal the one-machine result (findings, counts, errors) — the
  check, and the workers' imports out of the timed runs. The cluster is closed at the end, on
  any error too.

Decisions: on one machine the counter must equal the audit's distinct cases ("each distinct
case decided once"). On Dask each worker holds its own copy of the policies, so a case met
by both workers is decided by both: the sum over the workers is reported as it is, with the
per-worker counts (each at most the distinct cases).

The floor, same run, same file: ``polars.read_parquet`` of the columns the audit reads (the
eight decision-relevant ones, the time and the event id) — simply reading the log, the floor
the audit's target is a ratio to. Beside it, for reference, the same read followed by Polars'
own ``group_by`` on the eight columns (``len``): reading and finding the distinct cases the
obvious way, no decision.
"""

from __future__ import annotations

import pickle
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from coopcheck.audit.cases import PolicySet
from coopcheck.audit.logs import FIELDS

#: Distinct cases the generator draws from (its default).
CASES = 3000
#: Row groups per partition of the log.
GROUPS_PER_PART = 5
SEED = 20261101


#: Cases decided in this process by every :class:`CountingPolicySet` (what a Dask worker
#: reports: the policy set a run scattered may be gone from the worker when it is asked).
DECIDED = 0


class CountingPolicySet(PolicySet):
    """A :class:`PolicySet` that counts the cases it decides (``decided``, and the process's
    :data:`DECIDED`); ``decided`` restarts at 0 when it is unpickled, on a Dask worker."""

    def __init__(self, rulesets, default_coop=None):
        super().__init__(rulesets, default_coop)
        self.decided = 0

    def __setstate__(self, state):
        super().__setstate__(state)
        self.decided = 0

    def _decide(self, fields):
        global DECIDED
        self.decided += 1
        DECIDED += 1
        return super()._decide(fields)


def policies() -> CountingPolicySet:
    """The shipped policies, copied with no evaluator (cold), counting."""
    from coopcheck.core.api import load_policy, shipped_policies

    return CountingPolicySet([pickle.loads(pickle.dumps(load_policy(c))) for c in shipped_policies()])


def _take_decided() -> int:
    """Run on each worker (``Client.run``): the cases decided there since the last call."""
    global DECIDED
    n, DECIDED = DECIDED, 0
    return n


def comparable(result) -> dict:
    """What two audits of the same log must share: the JSON report (counts, findings, errors)."""
    from coopcheck.audit.output import to_json

    return to_json(result)


def floor(path: str) -> tuple[float, float, int, int]:
    """Seconds to read the columns the audit reads, and to read them and group by the eight
    scenario fields; the events and groups."""
    import polars as pl

    start = time.perf_counter()
    frame = pl.read_parquet(path, columns=[*FIELDS, "time", "event_id"])
    read = time.perf_counter() - start
    del frame
    start = time.perf_counter()
    frame = pl.read_parquet(path, columns=[*FIELDS, "time", "event_id"])
    groups = frame.group_by(list(FIELDS)).len()
    return read, time.perf_counter() - start, frame.height, groups.height


def measure(events: int, repeats: int = 3, workers: tuple[int, ...] = (1, 2), check_only: bool = False,
            part_rows: int | None = None, cluster_timeout: float = 600.0,
            progress: Callable[[str], None] | None = None) -> dict:
    """The audit section: generate the log, audit it here and on each cluster, the floor.
    The audit cuts it into partitions of ``part_rows`` events (default: the audit's own), each
    of 5 row groups."""
    from distributed import Client

    from coopcheck.audit.cluster import local_cluster
    from coopcheck.audit.generate import write_log
    from coopcheck.audit.logs import PART_ROWS
    from coopcheck.audit.run import audit

    say = progress or (lambda _t: None)
    part_rows = min(part_rows or PART_ROWS, events)
    row_group = max(1, -(-part_rows // GROUPS_PER_PART))
    out: dict[str, Any] = {"events": events, "cases_drawn": CASES, "repeats": repeats, "format": "parquet",
                           "part_rows": part_rows, "row_group": row_group}
    with tempfile.TemporaryDirectory(prefix="coopcheck-bench-audit-") as tmp:
        path = str(Path(tmp) / "events.parquet")
        say(f"audit: generating {events:,} events")
        start = time.perf_counter()
        write_log(path, events, cases=CASES, seed=SEED, row_group=row_group)
        out["generate_s"] = time.perf_counter() - start
        out["log_bytes"] = Path(path).stat().st_size

        say("audit: one machine")
        ps = policies()
        reference = audit([path], part_rows=part_rows, policies=ps)
        want = comparable(reference)
        out["distinct_cases"] = reference.distinct_cases
        out["decided_local"] = ps.decided
        out["permitted"], out["denied"], out["errors"] = reference.permitted, reference.denied, reference.errors
        if reference.events != events:
            raise AssertionError(f"the audit counted {reference.events} events in a log of {events}")
        if ps.decided != reference.distinct_cases:
            raise AssertionError(f"one machine decided {ps.decided} cases for {reference.distinct_cases} distinct")
        del reference

        local_s = []
        floor_s = []
        read_s = []
        if not check_only:
            for _ in range(repeats):
                ps = policies()
                start = time.perf_counter()
                audit([path], part_rows=part_rows, policies=ps)
                local_s.append(time.perf_counter() - start)
                assert ps.decided == out["distinct_cases"]
                read, seconds, height, groups = floor(path)
                read_s.append(read)
                floor_s.append(seconds)
            out["floor_groups"] = groups
            out["local_s"] = statistics.median(local_s)
            out["floor_s"] = statistics.median(floor_s)
            out["read_s"] = statistics.median(read_s)

        out["dask"] = []
        for n in workers:
            say(f"audit: Dask LocalCluster, {n} worker{'s' if n > 1 else ''}")
            start = time.perf_counter()
            with local_cluster(n, processes=True) as cluster, Client(cluster, timeout="60s") as client:
                client.wait_for_workers(n, timeout=cluster_timeout)
                started = time.perf_counter() - start
                # the check: the same result as one machine (and the workers' imports, untimed)
                result = audit([path], part_rows=part_rows, policies=policies(), dask=client, timeout=cluster_timeout)
                if comparable(result) != want:
                    from .measure import Disagreement

                    raise Disagreement(f"the audit on {n} Dask workers differs from the one-machine audit")
                per_worker = client.run(_take_decided)
                row = {"workers": n, "cluster_start_s": started, "checked": True,
                       "decided_per_worker": sorted(per_worker.values())}
                times = []
                if not check_only:
                    for _ in range(repeats):
                        start = time.perf_counter()
                        audit([path], part_rows=part_rows, policies=policies(), dask=client, timeout=cluster_timeout)
                        times.append(time.perf_counter() - start)
                        if sorted(client.run(_take_decided).values()) != sorted(per_worker.values()):
                            row.setdefault("decided_varied", True)  # partitions went to other workers
                    row["seconds"] = statistics.median(times)
                    row["runs"] = times
                out["dask"].append(row)
    return out


def table(fig: dict) -> str:
    """The section as the bench prints it."""
    from tabulate import tabulate

    from .report import ratio

    events, cases = fig["events"], fig["distinct_cases"]
    floor_s = fig.get("read_s")
    rows = []

    def add(name: str, seconds: float | None, decided: str, extra: str = "") -> None:
        rows.append([name, "—" if seconds is None else f"{seconds:.2f}",
                     "—" if seconds is None else f"{events / seconds:,.0f}", f"{cases:,}", decided,
                     ratio(seconds / floor_s) if seconds and floor_s else "—", extra])

    add("floor: polars read_parquet of the columns the audit reads", floor_s, "0")
    add("reference: the same read + polars group_by on the 8 fields (no decision)", fig.get("floor_s"), "0",
        f"{fig.get('floor_groups', '—')} groups")
    add("coopcheck audit, one machine (this process)", fig.get("local_s"), f"{fig['decided_local']:,}")
    one = next((r for r in fig["dask"] if r["workers"] == 1), None)
    for r in fig["dask"]:
        speed = ""
        if one is not None and r is not one and r.get("seconds") and one.get("seconds"):
            speed = f"{one['seconds'] / r['seconds']:.2f}× the 1-worker speed"
        add(f"coopcheck audit, Dask LocalCluster, {r['workers']} worker{'s' if r['workers'] > 1 else ''}",
            r.get("seconds"), f"{sum(r['decided_per_worker']):,} (per worker: "
            f"{', '.join(f'{x:,}' for x in r['decided_per_worker'])})",
            (speed + "; " if speed else "") + f"cluster start {r['cluster_start_s']:.1f} s")
    headers = ["run", "seconds", "events/s", "distinct\ncases", "cases decided", "× floor", ""]
    return tabulate(rows, headers=headers, disable_numparse=True,
                    colalign=("left", "right", "right", "right", "left", "right", "left"))


def caption(fig: dict) -> str:
    """The section's title line."""
    return (f"`coopcheck audit` on a generated log ({fig['events']:,} events, Parquet, {fig['log_bytes'] / 1e6:.1f} "
            f"MB, {fig['distinct_cases']:,} distinct cases, {-(-fig['events'] // fig['part_rows'])} partitions; {fig['permitted']:,} permitted, {fig['denied']:,} "
            f"denied, {fig['errors']:,} errors; median of {fig['repeats']} runs, policies copied cold for each, Dask cluster start not timed; "
            "each Dask result checked equal to the one-machine result first)")
