"""The printed report: the cold-stream tables with ratios, the memo-hit table, the stream and
start-up figures, and the targets."""

from __future__ import annotations

from typing import Sequence

from tabulate import tabulate

from .engines import DECIDE
from .measure import CHECKED, Cell, PolicyResult
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


def _shown(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    if cell.us is None:
        if cell.note == CHECKED:
            return "checked" + (SUBSET if cell.timed < cell.scenarios else "")
        return "—" + (STOPPED if cell.note and cell.note.startswith("stopped") else "")
    return us(cell.us) + (SUBSET if cell.timed < cell.scenarios else "")


def _over(cell: Cell | None, base: Cell | None) -> str:
    if cell is None or base is None or not cell.us or not base.us:
        return "—"
    return ratio(cell.us / base.us)


def _names(results: Sequence[PolicyResult], warm: bool = False) -> list[str]:
    names: list[str] = []
    for r in results:
        names += [c.engine for c in (r.warm if warm else r.cells) if c.engine not in names]
    return names


def engine_table(headline: PolicyResult, scaling: Sequence[PolicyResult]) -> str:
    """Synthetic grant-only policies, cold streams: one row per engine, µs per decision on the
    headline policy with ratios against ``decide(dict)`` and the floor, then µs per decision
    at each scaling size and the growth from the smallest to the largest."""
    names = _names([headline, *scaling])
    base, bottom = headline.cell(DECIDE), headline.cell(floor.NAME)
    rows = []
    for name in names:
        head = headline.cell(name)
        row = [name, _shown(head), _over(head, base), _over(head, bottom)]
        row += [_shown(r.cell(name)) for r in scaling]
        if len(scaling) > 1:
            row.append(_over(scaling[-1].cell(name), scaling[0].cell(name)))
        rows.append(row)
    headers = ["engine", f"µs/decision\n{headline.label}", "× decide\n(dict)", "× floor",
               *[f"µs\n{r.grants:,} grants" for r in scaling]]
    if len(scaling) > 1:
        headers.append(f"{scaling[-1].grants:,} ÷\n{scaling[0].grants:,}")
    return tabulate(rows, headers=headers, disable_numparse=True,
                    colalign=("left",) + ("right",) * (len(headers) - 1))


def shipped_table(per_policy: Sequence[PolicyResult], merged: PolicyResult) -> str:
    """The shipped policies, cold streams: µs per decision per policy, over all five, and
    the ratio to the floor over all five."""
    bottom = merged.cell(floor.NAME)
    rows = []
    for name in _names([merged]):
        rows.append([name, *[_shown(r.cell(name)) for r in per_policy], _shown(merged.cell(name)),
                     _over(merged.cell(name), bottom)])
    headers = ["engine", *[f"µs\n{r.label}" for r in per_policy], "µs\nall five", "× floor"]
    return tabulate(rows, headers=headers, disable_numparse=True,
                    colalign=("left",) + ("right",) * (len(headers) - 1))


def warm_table(results: Sequence[PolicyResult]) -> str:
    """Memo hits and warm tables (not the headline): µs per decision and the ratio to the
    floor of the same stream."""
    rows = []
    for name in _names(results, warm=True):
        row = [name]
        for r in results:
            row += [_shown(r.cell(name)), _over(r.cell(name), r.cell(floor.NAME))]
        rows.append(row)
    headers = ["engine"]
    for r in results:
        headers += [f"µs\n{r.label}", "× floor"]
    return tabulate(rows, headers=headers, disable_numparse=True,
                    colalign=("left",) + ("right",) * (len(headers) - 1))


def notes(results: Sequence[PolicyResult]) -> list[str]:
    """Footnotes: which cells were timed on a prefix of the stream, engines that stopped, and
    the alternatives tried (cedarpy's batch sizes)."""
    subset: dict[str, list[str]] = {}
    stopped, details = [], []
    for r in results:
        for c in (*r.cells, *r.warm):
            if c.us is None and c.note and c.note.startswith("stopped"):
                stopped.append(f"{c.engine} on {r.label}: {c.note}")
            elif (c.us is not None or c.note == CHECKED) and c.timed < c.scenarios:
                subset.setdefault(c.engine, []).append(f"{c.timed} at {r.label}")
            if c.detail:
                details.append(f"{c.engine} on {r.label}: {c.detail}")
    out = []
    if subset:
        out.append(f"{SUBSET} checked and timed on the first scenarios only (one pass kept near the time "
                   "budget): " + "; ".join(f"{name} {', '.join(v)}" for name, v in subset.items()))
    if stopped:
        out.append(f"{STOPPED} " + "; ".join(stopped))
    out += details
    return out


def other_table(results: Sequence[PolicyResult], shipped: PolicyResult | None, figures: dict) -> str:
    """The streams, compile times, the CLI stream and its floor, memory and start-up."""
    rows = []
    for i, r in enumerate(results):
        first = ", building the parser" if i == 0 else ""
        rows.append([f"synthetic policy, {r.label}",
                     f"parse + compile {r.compile_s * 1000:,.0f} ms (this process{first}); {r.scenarios} distinct "
                     f"scenarios, {r.permits} permits"])
    if shipped is not None:
        rows.append(["shipped policies", f"{shipped.scenarios} distinct valid golden scenarios "
                     f"({shipped.permits} permits), 1–3 items each"])
    stream = figures.get("stream")
    if stream and "cli_s" not in stream:
        rows.append([f"`check --json -`, {stream['lines']:,} lines", "it and its floor wrote the expected "
                     f"{stream['output_bytes']:,} bytes (not timed)"])
    if stream and "cli_s" in stream:
        rows.append([f"`check --json -`, {stream['lines']:,} lines",
                     f"{stream['cli_s']:.2f} s = {stream['cli_s'] / stream['lines'] * 1e6:.0f} µs/line "
                     f"(runs: {', '.join(f'{s:.2f}' for s in stream['cli_runs'])})"])
        rows.append([f"its floor, {stream['lines']:,} lines",
                     f"{stream['floor_s']:.2f} s = {stream['floor_s'] / stream['lines'] * 1e6:.1f} µs/line, of "
                     f"which {stream['table_load_s']:.2f} s loading the table "
                     f"({stream['output_bytes'] / 1e6:,.0f} MB of output)"])
    memory = figures.get("memory")
    if memory:
        rows.append([f"peak RSS, {memory['lines']:,}-line raw golden stream",
                     f"{memory['maxrss_bytes'] / 1e6:.0f} MB; the run took {memory['seconds']:.1f} s "
                     f"(exit {memory['exit']}: the raw stream has input errors)"])
    comp = figures.get("compile")
    if comp:
        s, g = comp["shipped"], comp["synthetic"]
        rows.append(["compile, cold (new process, COOPCHECK_CACHE_DIR=off)",
                     f"all shipped: {s['total_s'] * 1000:.0f} ms; {g['grants']:,} grants: {g['total_s']:.2f} s; "
                     f"each including the parser build ({s['parser_s'] * 1000:.0f} ms); medians of {s['runs']}"])
    cold = figures.get("cold_check")
    if cold:
        rows.append(["cold start, one scenario", f"`{cold['command']}`: {cold['seconds']:.3f} s "
                     f"({cold['uncached_seconds']:.3f} s with COOPCHECK_CACHE_DIR=off)"])
    return tabulate(rows, tablefmt="plain")


def target_table(targets: Sequence[Target]) -> str:
    """The targets, each MET, MISSED or NOT MEASURED with its figure."""
    return tabulate([[t.name, t.required, t.measured, t.verdict] for t in targets],
                    headers=["target", "required", "measured", "result"], disable_numparse=True)
