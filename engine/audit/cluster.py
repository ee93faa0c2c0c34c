"""The audit on Dask: partitions scanned by the workers of a cluster, results combined here.

``coopcheck audit --dask local[:N] LOG...`` starts a cluster of ``N`` worker processes
(default 2) on this machine, listening on 127.0.0.1 only; ``--dask tcp://HOST:8786`` uses a
running cluster's scheduler. The compiled policies are pickled once and broadcast, so every
worker holds them (:meth:`distributed.Client.scatter` with ``broadcast=True``); each task
reads one partition (a few Parquet row groups, a newline-aligned byte range of a JSON Lines
file, a CSV file), decides its distinct cases with the worker's copy and returns the
partition's counts — a few kilobytes, whatever its size. The client combines them with the
same :func:`~coopcheck.audit.scan.assemble` as a run on one machine, so the findings are the
same.

Workers of an existing cluster need coopcheck with its ``audit`` extra installed (the same
version as the client) and must be able to open the log paths as given — a shared file
system, or the same paths on every machine.
"""

from __future__ import annotations

from typing import Callable

from coopcheck.audit.cases import PolicySet
from coopcheck.audit.logs import Part
from coopcheck.audit.scan import PartResult, scan_part

#: Workers ``local`` starts when no number is given.
LOCAL_WORKERS = 2
#: The environment of a local cluster's worker processes: each worker has one thread, so
#: Polars in it gets one too. Left to itself, every worker's Polars starts a thread per core:
#: two workers on two cores ran four busy threads and gained 1.1x over one worker on a 10M-event
#: log, against 1.5x with one thread each. Workers of a cluster started by hand want the same
#: (``POLARS_MAX_THREADS`` equal to ``--nthreads``).
WORKER_ENV = {"POLARS_MAX_THREADS": "1"}


def parse_local(spec: str) -> int | None:
    """The number of workers of ``local`` / ``local:N``; None for a scheduler address.

    >>> parse_local("local"), parse_local("local:3"), parse_local("tcp://10.0.0.5:8786")
    (2, 3, None)
    """
    if spec == "local":
        return LOCAL_WORKERS
    if spec.startswith("local:"):
        n = int(spec.split(":", 1)[1])
        if n < 1:
            raise ValueError("local:N needs at least one worker")
        return n
    return None


def local_cluster(n_workers: int = LOCAL_WORKERS, processes: bool = True, memory_limit: str | int = "2GiB"):
    """A Dask cluster on this machine only: ``n_workers`` single-threaded workers (Polars
    single-threaded in each worker process, :data:`WORKER_ENV`), bound to 127.0.0.1, no dashboard."""
    from distributed import LocalCluster

    # TCP on the loopback address even for workers in this process (Dask would otherwise pick
    # its in-process transport, which takes no host)
    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes, host="127.0.0.1",
                        protocol="tcp://", dashboard_address=None, memory_limit=memory_limit, silence_logs=40,
                        **({"env": dict(WORKER_ENV)} if processes else {}))


def scan_on_dask(parts: list[Part], policies: PolicySet, scheduler, *, keep_events: bool = False,
                 progress: Callable[[int], None] | None = None, timeout: float | None = None) -> list[PartResult]:
    """Scan every partition on a Dask cluster. ``scheduler``: ``local[:N]``, a scheduler
    address, or a :class:`distributed.Client` already connected. ``timeout``: seconds to wait
    for all results (raises :class:`TimeoutError`)."""
    from distributed import Client, as_completed

    own_cluster = client = None
    if isinstance(scheduler, Client):
        client = scheduler
    else:
        n = parse_local(scheduler)
        if n is not None:
            own_cluster = local_cluster(n)
            client = Client(own_cluster)
        else:
            client = Client(scheduler)
    try:
        shipped = client.scatter(policies, broadcast=True, hash=False)
        futures = client.map(scan_part, parts, policies=shipped, keep_events=keep_events, pure=False)
        results = []
        for future in as_completed(futures, timeout=timeout):
            r = future.result()
            results.append(r)
            if progress is not None:
                progress(r.events)
        return results
    finally:
        if client is not scheduler:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
