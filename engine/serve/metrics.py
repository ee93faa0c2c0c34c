"""The service's counters and latency histogram, in the Prometheus text format (0.0.4).

No client library: a handful of families, each a dict of label values to numbers behind one
lock, rendered on ``GET /metrics``.

>>> m = Metrics()
>>> m.inc("coopcheck_decisions_total", coop="aizu", effect="permit")
>>> m.observe("coopcheck_request_duration_seconds", 0.003, route="/v1/decide")
>>> text = m.render()
>>> 'coopcheck_decisions_total{coop="aizu",effect="permit"} 1' in text
True
>>> 'coopcheck_request_duration_seconds_bucket{route="/v1/decide",le="0.005"} 1' in text
True
"""

from __future__ import annotations

import threading

#: Histogram bucket bounds, in seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: name -> (type, help, label names)
FAMILIES = {
    "coopcheck_decisions_total": ("counter", "Decisions made, by co-op and effect.", ("coop", "effect")),
    "coopcheck_input_errors_total": ("counter", "Scenarios refused as bad input, by error code.", ("code",)),
    "coopcheck_errors_total": ("counter", "Requests answered with an error other than bad input, by kind "
                                          "(unauthorized, too_large, timeout, unavailable, internal, ...).",
                               ("kind",)),
    "coopcheck_requests_total": ("counter", "HTTP requests, by route and status.", ("route", "status")),
    "coopcheck_request_duration_seconds": ("histogram", "Time to answer a request, by route.", ("route",)),
    "coopcheck_policy_reloads_total": ("counter", "Policy files compiled again after a change, by result.",
                                       ("result",)),
    "coopcheck_policies_loaded": ("gauge", "Policies being served.", ()),
    "coopcheck_policy_problems": ("gauge", "Policy files that do not compile or cannot be served.", ()),
    "coopcheck_decision_log_lines_total": ("counter", "Decision log lines written.", ()),
    "coopcheck_decision_log_write_failures_total": ("counter", "Decision log lines that could not be written.", ()),
    "coopcheck_decision_log_dropped_total": ("counter", "Decision log lines dropped because the buffer was full.",
                                             ()),
}


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple, extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


class Metrics:
    """Counters, gauges and histograms of :data:`FAMILIES`. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[tuple, float]] = {name: {} for name in FAMILIES}
        self._hist: dict[str, dict[tuple, list]] = {}  # name -> labels -> [bucket counts..., sum, count]
        self._gauges: dict[str, callable] = {}

    def _key(self, name: str, labels: dict) -> tuple:
        names = FAMILIES[name][2]
        if set(labels) != set(names):
            raise ValueError(f"{name} takes labels {names}, not {tuple(labels)}")
        return tuple(str(labels[n]) for n in names)

    def inc(self, name: str, by: float = 1, **labels) -> None:
        """Add ``by`` to a counter."""
        key = self._key(name, labels)
        with self._lock:
            family = self._values[name]
            family[key] = family.get(key, 0) + by

    def gauge(self, name: str, read) -> None:
        """Read a gauge from ``read()`` when rendering."""
        self._gauges[name] = read

    def observe(self, name: str, seconds: float, **labels) -> None:
        """Count one observation in a histogram."""
        key = self._key(name, labels)
        with self._lock:
            family = self._hist.setdefault(name, {})
            cells = family.get(key)
            if cells is None:
                cells = family[key] = [0] * (len(BUCKETS) + 2)
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    cells[i] += 1
            cells[-2] += seconds
            cells[-1] += 1

    def value(self, name: str, **labels) -> float:
        """A counter's current value (0 if never counted)."""
        with self._lock:
            return self._values[name].get(self._key(name, labels), 0)

    def render(self) -> str:
        """Every family in the Prometheus text exposition format."""
        out = []
        with self._lock:
            for name, (kind, help_, names) in FAMILIES.items():
                out.append(f"# HELP {name} {help_}")
                out.append(f"# TYPE {name} {kind}")
                if kind == "histogram":
                    for key, cells in sorted(self._hist.get(name, {}).items()):
                        for i, bound in enumerate(BUCKETS):
                            le = 'le="%s"' % bound
                            out.append(f"{name}_bucket{_labels(names, key, le)} {cells[i]}")
                        inf = 'le="+Inf"'
                        out.append(f"{name}_bucket{_labels(names, key, inf)} {cells[-1]}")
                        out.append(f"{name}_sum{_labels(names, key)} {_number(cells[-2])}")
                        out.append(f"{name}_count{_labels(names, key)} {cells[-1]}")
                elif kind == "gauge" and name in self._gauges:
                    out.append(f"{name} {_number(self._gauges[name]())}")
                else:
                    family = self._values[name]
                    if not family and not names:
                        out.append(f"{name} 0")
                    for key, value in sorted(family.items()):
                        out.append(f"{name}{_labels(names, key)} {_number(value)}")
        return "\n".join(out) + "\n"
