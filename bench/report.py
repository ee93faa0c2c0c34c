"""The printed report: the engine table with ratios, other figures, and the targets."""

from __future__ import annotations

from typing import Sequence

from tabulate import tabulate

from .engines import DECIDE, DECIDE_MANY
from .measure import Cell, PolicyResult
from .peers import floor
from .targets import Target

SUBSET, STOPPED = "†", "‡"


def us(value: float | None) -> str:
    """Microseconds with sensible precision."""
    if value is None:
        return "—"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def ratio(value: float | None) -> str:
    """A ratio as ``12×`` / ``0.84×``."""
    if value is None:
        return "—"
    if value < 0.1:
        return f"{value:.1g}×"
    return f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def _cell(result: PolicyResult, name: str) -> Cell | None:
    if name == DECIDE_MANY:
        if not result.decide_many_per_s:
            return None
        return Cell(DECIDE_MANY, 1e6 / result.decide_many_per_s, result.decide_many_timed, result.scenarios)
    return result.cell(name)


def _shown(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    if cell.us is None:
        return "—" + STOPPED
    return us(cell.us) + (SUBSET if cell.timed < cell.scenarios else "")


def engine_table(headline: PolicyResult, scaling: Sequence[PolicyResult]) -> str:
    """One row per engine: µs per decision on the headline policy, ratios against coopcheck's
    full decision and the floor, then µs per decision at each scaling size and the growth."""
    names = [c.engine for c in headline.cells]
    names.insert(1, DECIDE_MANY)
    for r in scaling:
        names += [c.engine for c in r.cells if c.engine not in names]
    base, bottom = _cell(headline, DECIDE), _cell(headline, floor.NAME)
    rows = []
    for name in names:
        head = _cell(headline, name)
        value = head.us if head is not None else None
        row = [name, _shown(head),
               ratio(value / base.us) if value and base and base.us else "—",
               ratio(value / bottom.us) if value and bottom and bottom.us else "—"]
        row += [_shown(_cell(r, name)) for r in scaling]
        if len(scaling) > 1:
            first, last = _cell(scaling[0], name), _cell(scaling[-1], name)
            row.append(ratio(last.us / first.us if first and last and first.us and last.us else None))
        rows.append(row)
    headers = ["engine", f"µs/decision\n{headline.label}", "× coopcheck\ndecide", "× floor",
               *[f"µs\n{r.grants:,} grants" for r in scaling]]
    if len(scaling) > 1:
        headers.append(f"{scaling[-1].grants:,} ÷\n{scaling[0].grants:,}")
    return tabulate(rows, headers=headers, disable_numparse=True,
                    colalign=("left",) + ("right",) * (len(headers) - 1))


def notes(results: Sequence[PolicyResult]) -> list[str]:
    """Footnotes: which cells were timed on a prefix of the scenarios, and engines that stopped."""
    subset: dict[str, list[str]] = {}
    stopped = []
    for r in results:
        counts = [(c.engine, c.timed, c.us) for c in r.cells]
        if r.decide_many_timed:
            counts.append((DECIDE_MANY, r.decide_many_timed, 0.0))
        for name, timed, value in counts:
            if value is None:
                stopped.append(f"{name} on {r.label}: {r.cells[[c.engine for c in r.cells].index(name)].note}")
            elif timed < r.scenarios:
                subset.setdefault(name, []).append(f"{timed} at {r.label}")
    out = []
    if subset:
        out.append(f"{SUBSET} checked and timed on the first scenarios only (one pass kept near the time "
                   "budget): " + "; ".join(f"{name} {', '.join(v)}" for name, v in subset.items()))
    if stopped:
        out.append(f"{STOPPED} " + "; ".join(stopped))
    return out


def other_table(headline: PolicyResult, scaling: Sequence[PolicyResult], shipped: PolicyResult | None,
                startup: dict) -> str:
    """Compile times, scenario sets, shipped policies and start-up figures."""
    rows = []
    for r in (headline, *scaling):
        rows.append([f"synthetic policy, {r.label}",
                     f"parse + compile {r.compile_s * 1000:,.0f} ms; {r.scenarios} scenarios, {r.permits} permits"])
    if shipped is not None:
        parts = [f"{c.engine} {us(c.us)} µs" for c in shipped.cells]
        rows.append(["shipped policies, random scenarios", f"{shipped.scenarios} scenarios, {shipped.permits} "
                     "permits; mean µs/decision: " + ", ".join(parts)])
    pc = startup.get("parse_compile")
    if pc:
        rows.append([f"parse + compile, all {pc['policies']} shipped policies",
                     f"cold {pc['cold_s'] * 1000:.0f} ms, warm {pc['warm_s'] * 1000:.0f} ms; "
                     f"from the cache of compiled policies {pc.get('cached_s', 0) * 1000:.0f} ms"])
    cold = startup.get("cold_check")
    if cold:
        rows.append(["cold start", f"`{cold['command']}`: {cold['seconds']:.3f} s "
                     f"({cold.get('uncached_seconds', 0):.3f} s with COOPCHECK_CACHE_DIR=off)"])
    return tabulate(rows, tablefmt="plain")


def target_table(targets: Sequence[Target]) -> str:
    """The targets, each MET, MISSED or NOT MEASURED with its figure."""
    return tabulate([[t.name, t.required, t.measured, t.verdict] for t in targets],
                    headers=["target", "required", "measured", "result"], disable_numparse=True)
