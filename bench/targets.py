"""The speed targets of the embedding API, judged on the figures of one run."""

from __future__ import annotations

from typing import Sequence

from attrs import frozen

from .engines import DECIDE, PERMITS
from .measure import PolicyResult
from .peers import cedar, floor

#: The targets, as numbers.
CEDAR_FACTOR = 20.0  # full decision at least this many times faster than cedarpy, 12 grants
FLOOR_FACTOR = 3.0  # fast path at most this many times the floor
SCALING_FACTOR = 1.5  # 10 000 grants at most this many times slower than 10
DECIDE_MANY_RATE = 300_000  # single-item decisions per second, one core
PARSE_COMPILE_S = 0.150  # all shipped policies, cold
COLD_CHECK_S = 0.3  # `coopcheck check`, one scenario, new process


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


def _cedar_target(headline: PolicyResult) -> Target:
    name, required = f"full decision vs cedarpy, {headline.label}", f"≥ {CEDAR_FACTOR:g}× faster"
    ours, theirs = _us(headline, DECIDE), _us(headline, cedar.NAME)
    if theirs is None:
        return Target(name, required, "cedarpy not installed (pip install '.[bench]')", None)
    factor = theirs / ours
    return Target(name, required, f"{factor:.1f}× faster ({ours:.2f} µs vs {theirs:.1f} µs)", factor >= CEDAR_FACTOR)


def _floor_target(results: Sequence[PolicyResult]) -> Target:
    name, required = "boolean fast path vs the floor", f"≤ {FLOOR_FACTOR:g}× the floor"
    pairs = [(r, _us(r, PERMITS), _us(r, floor.NAME)) for r in results]
    pairs = [(r, ours / base) for r, ours, base in pairs if ours is not None and base]
    if not pairs:
        return Target(name, required, "engine.permits not present: fast path not measured", None)
    head_result, head = pairs[0]
    worst_result, worst = max(pairs, key=lambda p: p[1])
    return Target(name, required, f"{head:.1f}× on {head_result.label}; worst {worst:.1f}× ({worst_result.label})",
                  worst <= FLOOR_FACTOR)


def _scaling_target(scaling: Sequence[PolicyResult]) -> Target:
    name, required = "10 000 grants vs 10, full decision", f"≤ {SCALING_FACTOR:g}× slower"
    by_size = {r.grants: r for r in scaling}
    small, large = by_size.get(10), by_size.get(max(by_size, default=0))
    if small is None or large is None or large is small:
        return Target(name, required, "needs the 10 and 10 000 grant policies", None)
    factor = _us(large, DECIDE) / _us(small, DECIDE)
    text = f"{factor:.2f}× ({_us(small, DECIDE):.2f} → {_us(large, DECIDE):.2f} µs)"
    fast_small, fast_large = _us(small, PERMITS), _us(large, PERMITS)
    if fast_small and fast_large:
        text += f"; fast path {fast_large / fast_small:.2f}×"
    if large.grants != 10_000:
        return Target(name, required, f"{large.grants} grants: {text} (10 000 not run)", None)
    return Target(name, required, text, factor <= SCALING_FACTOR)


def evaluate(headline: PolicyResult, scaling: Sequence[PolicyResult], startup: dict) -> list[Target]:
    """Every target, judged on this run's figures."""
    out = [_cedar_target(headline), _floor_target([headline, *scaling]), _scaling_target(scaling)]
    rate = headline.decide_many_per_s
    out.append(Target(f"decide_many throughput, {headline.label}", f"≥ {DECIDE_MANY_RATE:,} decisions/s",
                      f"{rate:,.0f} single-item decisions/s", rate >= DECIDE_MANY_RATE))
    pc = startup.get("parse_compile")
    if pc is None:
        out.append(Target("parse + compile of all shipped policies", f"< {PARSE_COMPILE_S * 1000:.0f} ms",
                          "not run", None))
    else:
        out.append(Target(f"parse + compile of all {pc['policies']} shipped policies (cold)",
                          f"< {PARSE_COMPILE_S * 1000:.0f} ms",
                          f"{pc['cold_s'] * 1000:.0f} ms cold, {pc['warm_s'] * 1000:.0f} ms warm",
                          pc["cold_s"] < PARSE_COMPILE_S))
    cold = startup.get("cold_check")
    if cold is None:
        out.append(Target("`coopcheck check` from a cold start", f"< {COLD_CHECK_S:g} s", "not run", None))
    else:
        out.append(Target("`coopcheck check` from a cold start", f"< {COLD_CHECK_S:g} s",
                          f"{cold['seconds']:.3f} s", cold["seconds"] < COLD_CHECK_S))
    return out
