"""The service and audit sections of ``python -m bench`` (:mod:`bench.service`,
:mod:`bench.audit`): their options, running them, printing them."""

from __future__ import annotations

import argparse
from typing import Callable


def _count(text: str) -> int:
    return int(text.replace("_", ""))


def register(p: argparse.ArgumentParser) -> None:
    """Add the sections' options."""
    p.add_argument("--no-service", action="store_true", help="skip `coopcheck serve` under load")
    p.add_argument("--no-audit", action="store_true", help="skip `coopcheck audit` and its Dask scaling")
    p.add_argument("--service-scenarios", type=_count,
                   help="distinct scenarios per service stream (default 2000, quick 300)")
    p.add_argument("--service-threads", type=int, default=4, help="client threads driving the service (default 4)")
    p.add_argument("--service-batches", type=int,
                   help="arrays of 1 000 distinct scenarios in the service's batched stream (default 10, quick 2)")
    p.add_argument("--service-seconds", type=float,
                   help="seconds of the service's open-loop run at 500 requests/s (default 10, quick 2)")
    p.add_argument("--audit-events", type=_count, help="events in the audited log (default 10000000, quick 40000)")


def measure(args: argparse.Namespace, quick: bool, check_only: bool, repeats: int,
            progress: Callable[[str], None]) -> dict:
    """Run the sections not skipped (``--no-startup`` skips both: they run new processes too);
    their figures by name."""
    out: dict = {}
    if args.no_startup:
        return out
    if not args.no_service:
        from . import service

        progress("`coopcheck serve` under load")
        out["service"] = service.measure(args.service_scenarios or (300 if quick else 2000), args.service_threads,
                                         repeats=min(repeats, 3), check_only=check_only, progress=progress,
                                         batches=args.service_batches or (2 if quick else 10),
                                         steady_s=args.service_seconds or (2.0 if quick else 10.0))
    if not args.no_audit:
        from . import audit

        progress("`coopcheck audit`, one machine and Dask")
        out["audit"] = audit.measure(args.audit_events or (40_000 if quick else 10_000_000),
                                     repeats=2 if quick else 3, check_only=check_only, progress=progress)
    return out


def lines(figures: dict) -> list[str]:
    """The printed sections."""
    out: list[str] = []
    svc = figures.get("service")
    if svc is not None:
        if "rows" in svc:
            from . import service

            out += [service.caption(svc), service.table(svc), ""]
        else:
            out += [f"`coopcheck serve`: its answers to {svc['checked']} requests equal decide()'s (not timed)", ""]
    aud = figures.get("audit")
    if aud is not None:
        if "local_s" in aud:
            from . import audit

            out += [audit.caption(aud), audit.table(aud), ""]
        else:
            out += [f"`coopcheck audit`: {aud['events']:,} events, {aud['distinct_cases']:,} distinct cases, "
                    f"{aud['decided_local']:,} decided on one machine; the Dask result with "
                    f"{', '.join(str(r['workers']) for r in aud['dask'])} workers equals it (not timed)", ""]
    return out
