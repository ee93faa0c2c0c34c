"""The targets, judged on the figures of one run."""

from __future__ import annotations

from typing import Sequence

from attrs import frozen

from .engines import DECIDE, PERMITS
from .measure import PolicyResult
from .peers import cedar, floor

#: The targets, as numbers.
CLI_FACTOR = 2.0  # `check --json` stream at most this many times its floor, process start included
CEDAR_FACTOR = 30.0  # decide(dict) at least this many times faster than cedarpy's batch API
PERMITS_FACTOR = 3.0  # permits(dict) with the memo off at most this many times the dict-lookup floor
RSS_BYTES = 200_000_000  # peak RSS of `check --json` on a long stream
COMPILE_SHIPPED_S = 0.100  # all shipped policies, cold, no on-disk cache
COMPILE_LARGE_S = 1.0  # 10 000 grants, cold
LARGE_GRANTS = 10_000
SERVICE_FACTOR = 2.0  # `coopcheck serve` single decisions: requests/s within this factor of the bare ASGI floor's
STEADY_RATE = 500  # requests/s of single decisions, open loop ...
STEADY_P99_MS = 5.0  # ... with p99 under this, the service keeping up
BATCH_DECISIONS_PER_S = 50_000  # batches of 1 000 to the service (one worker process)
AUDIT_EVENTS = 10_000_000  # the audit's targets are for a log this long (Parquet)
AUDIT_EVENTS_PER_S = 2_000_000  # `coopcheck audit` on one machine ...
AUDIT_READ_FACTOR = 3.0  # ... within this factor of reading the log's columns
DASK_SPEEDUP = 1.6  # 2 local Dask workers over 1


@frozen
class Target:
    """One target: what is required, what was measured, and whether it was met (None: not
    measured in this run)."""

    name: str
    required: str
    measured: str
    met: bool | None

    @property
    def verdict(self) -> str:
        """``MET``, ``MISSED`` or ``NOT MEASURED``."""
        return "NOT MEASURED" if self.met is None else "MET" if self.met else "MISSED"


def _us(result: PolicyResult | None, name: str) -> float | None:
    cell = result.cell(name) if result is not None else None
    return cell.us if cell is not None else None


def cli_target(stream: dict | None) -> Target:
    """``check --json`` on the distinct mixed stream against the read + json.loads + look-up +
    write floor, both in new processes."""
    required = f"≤ {CLI_FACTOR:g}× the floor"
    if not stream or "cli_s" not in stream:
        text = (f"not timed; on {stream['lines']:,} scenarios both wrote the expected bytes" if stream
                else "not run")
        return Target("`check --json` stream vs its floor", required, text, None)
    factor = stream["cli_s"] / stream["floor_s"]
    return Target(f"`check --json`, {stream['lines']:,} distinct mixed scenarios, vs its floor", required,
                  f"{factor:.1f}× ({stream['cli_s']:.2f} s vs {stream['floor_s']:.2f} s, process start included)",
                  factor <= CLI_FACTOR)


def cedar_target(headline: PolicyResult) -> Target:
    """``decide(dict)`` against cedarpy's batch API on the headline policy's cold stream."""
    name, required = f"decide(dict) vs cedarpy batch, {headline.label}, distinct", f"≥ {CEDAR_FACTOR:g}× faster"
    ours, theirs = _us(headline, DECIDE), _us(headline, cedar.NAME)
    if headline.cell(cedar.NAME) is None:
        return Target(name, required, "cedarpy not installed (pip install '.[bench]')", None)
    if theirs is None or ours is None:
        return Target(name, required, "not timed", None)
    cell = headline.cell(cedar.NAME)
    if cell.timed < headline.scenarios:
        return Target(name, required, f"cedarpy timed on {cell.timed} of {headline.scenarios} scenarios only", None)
    factor = theirs / ours
    return Target(name, required, f"{factor:.1f}× faster ({ours:.2f} µs vs {theirs:.1f} µs)", factor >= CEDAR_FACTOR)


def permits_target(judged: Sequence[PolicyResult], shown: Sequence[PolicyResult] = ()) -> Target:
    """``permits(dict)`` with the memo off (a fresh evaluator per pass, distinct scenarios)
    against the dict-lookup floor: the worst of the ``judged`` policies; ``shown`` ones are
    named for information."""
    name, required = "permits(dict), memo off, vs the dict-lookup floor", f"≤ {PERMITS_FACTOR:g}× the floor"
    pairs = []
    for r in judged:
        ours, base = _us(r, PERMITS), _us(r, floor.NAME)
        if ours is not None and base:
            pairs.append((r.label, ours / base))
    if not pairs:
        return Target(name, required, "not timed", None)
    text = "; ".join(f"{label} {f:.1f}×" for label, f in pairs)
    others = [(r.label, _us(r, PERMITS) / _us(r, floor.NAME)) for r in shown
              if _us(r, PERMITS) is not None and _us(r, floor.NAME)]
    if others:
        label, worst = max(others, key=lambda p: p[1])
        text += f" (not judged: up to {worst:.1f}× at {label})"
    return Target(name, required, text, max(f for _, f in pairs) <= PERMITS_FACTOR)


def memory_target(memory: dict | None) -> Target:
    """Peak RSS of ``check --json`` on a long stream."""
    required = f"≤ {RSS_BYTES / 1e6:.0f} MB"
    if not memory:
        return Target("peak RSS of `check --json`", required, "not run", None)
    rss = memory["maxrss_bytes"]
    return Target(f"peak RSS of `check --json`, {memory['lines']:,}-line stream", required,
                  f"{rss / 1e6:.0f} MB ({rss / 2**20:.0f} MiB)", rss <= RSS_BYTES)


def compile_targets(figures: dict | None) -> list[Target]:
    """Cold compile of the shipped policies and of the 10 000-grant policy, new processes."""
    shipped_req, large_req = f"< {COMPILE_SHIPPED_S * 1000:.0f} ms", f"< {COMPILE_LARGE_S:g} s"
    if not figures:
        return [Target("compile all shipped policies, cold", shipped_req, "not run", None),
                Target(f"compile {LARGE_GRANTS:,} grants, cold", large_req, "not run", None)]
    shipped, large = figures["shipped"], figures["synthetic"]
    out = [Target("compile all shipped policies, cold (COOPCHECK_CACHE_DIR=off)", shipped_req,
                  f"{shipped['total_s'] * 1000:.0f} ms (parser build {shipped['parser_s'] * 1000:.0f} ms "
                  f"+ compile {shipped['compile_s'] * 1000:.0f} ms)", shipped["total_s"] < COMPILE_SHIPPED_S)]
    name = f"compile {large['grants']:,} grants, cold"
    text = (f"{large['total_s']:.2f} s (parser build {large['parser_s'] * 1000:.0f} ms "
            f"+ compile {large['compile_s']:.2f} s)")
    out.append(Target(name, large_req, text, large["total_s"] < COMPILE_LARGE_S if large["grants"] == LARGE_GRANTS
                      else None))
    return out


def service_targets(svc: dict | None) -> list[Target]:
    """``coopcheck serve`` (:mod:`bench.service`): single decisions against the bare ASGI
    floor, p99 at a steady rate (open loop), decisions/s in batches of 1 000."""
    from .service import row

    floor_name = "`coopcheck serve` single decisions vs a bare ASGI endpoint (same stack)"
    floor_req = f"≥ 1/{SERVICE_FACTOR:g} of its requests/s"
    steady_name = f"`coopcheck serve` p99 at a steady {STEADY_RATE} requests/s (open loop), single decisions"
    steady_req = f"< {STEADY_P99_MS:g} ms, keeping up"
    batch_name = "`coopcheck serve` batches of 1 000, decisions/s (one worker process)"
    batch_req = f"≥ {BATCH_DECISIONS_PER_S:,} decisions/s on one core"
    if not svc or "rows" not in svc:
        text = f"not timed; its answers to {svc['checked']} requests equal decide()'s" if svc else "not run"
        return [Target(floor_name, floor_req, text, None), Target(steady_name, steady_req, text, None),
                Target(batch_name, batch_req, text, None)]
    floor, single, steady, batched, again = (row(svc, k) for k in ("floor", "single", "steady", "batched", "again"))
    share = single["requests_per_s"] / floor["requests_per_s"]
    out = [Target(floor_name, floor_req,
                  f"{share:.2f}× ({floor['requests_per_s'] / single['requests_per_s']:.1f}× slower: "
                  f"{single['requests_per_s']:,.0f} vs {floor['requests_per_s']:,.0f} requests/s)",
                  share >= 1 / SERVICE_FACTOR)]
    text = (f"p99 {steady['p99_ms']:.1f} ms, p50 {steady['p50_ms']:.1f} ms; {steady['requests_per_s']:,.0f} "
            f"requests/s achieved ({'kept up' if steady['kept_up'] else 'fell behind'}) over "
            f"{steady['scheduled_s']:g} s")
    bare = row(svc, "floor_steady")
    if bare is not None:
        text += f" (the bare floor at that rate: p99 {bare['p99_ms']:.1f} ms)"
    if svc["rate"] != STEADY_RATE:
        out.append(Target(steady_name, steady_req, f"run at {svc['rate']:g} requests/s: {text}", None))
    else:
        out.append(Target(steady_name, steady_req, text, steady["kept_up"] and steady["p99_ms"] < STEADY_P99_MS))
    cores = batched.get("server_cores")
    text = (f"{batched['decisions_per_s']:,.0f} decisions/s, distinct scenarios"
            + (f", the service using {cores:.2f} cores" if cores is not None else "")
            + f" (repeated, warm tables: {again['decisions_per_s']:,.0f})")
    out.append(Target(batch_name, batch_req, text,
                      batched["decisions_per_s"] >= BATCH_DECISIONS_PER_S if svc["batch"] == 1000 else None))
    return out


def audit_targets(aud: dict | None) -> list[Target]:
    """``coopcheck audit`` (:mod:`bench.audit`): events/s on one machine, against reading the
    log's columns, and the Dask speed-up from 1 to 2 local workers. Judged only on a log of
    :data:`AUDIT_EVENTS` events (a shorter one is reported, not judged)."""
    speed_name = "`coopcheck audit` of a Parquet log, one machine, events/s"
    speed_req = f"≥ {AUDIT_EVENTS_PER_S:,} events/s on {AUDIT_EVENTS:,} events"
    read_name = "`coopcheck audit` vs reading the log's columns (polars read_parquet)"
    read_req = f"≤ {AUDIT_READ_FACTOR:g}× the read"
    dask_name = "`coopcheck audit` on Dask, 2 local workers vs 1"
    dask_req = f"≥ {DASK_SPEEDUP:g}× the 1-worker events/s"
    if not aud or "local_s" not in aud:
        text = "not timed" if aud else "not run"
        return [Target(speed_name, speed_req, text, None), Target(read_name, read_req, text, None),
                Target(dask_name, dask_req, text, None)]
    full = aud["events"] >= AUDIT_EVENTS
    rate = aud["events"] / aud["local_s"]
    size = f"{aud['events']:,} events"
    out = [Target(speed_name, speed_req, f"{rate:,.0f} events/s ({size}, {aud['local_s']:.2f} s)",
                  rate >= AUDIT_EVENTS_PER_S if full else None)]
    factor = aud["local_s"] / aud["read_s"]
    out.append(Target(read_name, read_req, f"{factor:.1f}× ({aud['local_s']:.2f} s vs {aud['read_s']:.2f} s; {size})",
                      factor <= AUDIT_READ_FACTOR if full else None))
    by = {r["workers"]: r.get("seconds") for r in aud.get("dask", ())}
    if by.get(1) and by.get(2):
        speedup = by[1] / by[2]
        out.append(Target(dask_name, dask_req, f"{speedup:.2f}× ({by[1]:.2f} s vs {by[2]:.2f} s; {size})",
                          speedup >= DASK_SPEEDUP if full else None))
    else:
        out.append(Target(dask_name, dask_req, "not timed", None))
    return out


def evaluate(headline: PolicyResult, shipped: PolicyResult | None, figures: dict,
             scaling: Sequence[PolicyResult] = ()) -> list[Target]:
    """Every target, judged on this run's figures (the service's under ``figures["service"]``)."""
    judged = [headline] + ([shipped] if shipped is not None else [])
    return [cli_target(figures.get("stream")), cedar_target(headline), permits_target(judged, scaling),
            memory_target(figures.get("memory")), *compile_targets(figures.get("compile")),
            *service_targets(figures.get("service")), *audit_targets(figures.get("audit"))]
