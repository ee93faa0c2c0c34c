"""The audit of a log: each partition's distinct cases decided once, their counts combined.

:func:`scan_part` is what runs per partition — in this process, or on a Dask worker that holds
the pickled :class:`~coopcheck.audit.cases.PolicySet`. It decides each distinct case of the
partition once and groups the events by case and day (Polars), and returns a :class:`PartResult`: per case
its event count, first and last time, the first few events (by row), and — for a case that
cannot be decided — every event's row; per co-op and day the denied events. Results combine
by :func:`assemble` into the :class:`AuditResult`, whatever the partitioning: counts add,
times take their minimum and maximum, samples keep the first few by (file, row). So a run on
a Dask cluster gives exactly the findings of a run on one machine.
"""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import date, datetime
from typing import Any

from attrs import define, field, frozen

from coopcheck.core.collector import fewer_collections

from coopcheck.audit.cases import Outcome, PolicySet, case_key, scenario_fields
from coopcheck.audit.logs import SAMPLES, Chunk, Part, read_part


@define
class CaseStats:
    """What a partition (or the whole log) saw of one case."""

    outcome: Outcome
    events: int = 0
    first: datetime | None = None
    last: datetime | None = None
    samples: list = field(factory=list)  # the first SAMPLES ((file, row), event id), by (file, row)
    rows: list = field(factory=list)  # for an error case: every ((file, row), event id)

    def add(self, other: "CaseStats") -> None:
        """Combine another partition's count of the same case into this one."""
        self.events += other.events
        self.first = _min(self.first, other.first)
        self.last = _max(self.last, other.last)
        if other.samples and (len(self.samples) < SAMPLES or other.samples[0][0] < self.samples[-1][0]):
            self.samples = heapq.nsmallest(SAMPLES, self.samples + other.samples, key=lambda s: s[0])
        if other.rows:
            self.rows.extend(other.rows)


@define
class PartResult:
    """A partition's audit: its events, cases and denied events per co-op and day."""

    file: int
    index: int
    events: int = 0
    cases: dict = field(factory=dict)  # case key -> CaseStats
    daily: Counter = field(factory=Counter)  # (coop, date) -> denied events
    unreadable: list = field(factory=list)  # ((file, row), code, message): rows that are no event
    untimed: int = 0  # events without a (readable) time
    frame: Any = None  # per-event decisions, when asked for


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


def scan_part(part: Part, policies: PolicySet, keep_events: bool = False) -> PartResult:
    """Read one partition and audit it (the task a Dask worker runs)."""
    with fewer_collections():
        return scan_chunk(read_part(part), policies, keep_events)


def scan_chunk(chunk: Chunk, policies: PolicySet, keep_events: bool = False) -> PartResult:
    """Audit a partition already read: one grouping of its events by case and day gives each
    case's count, times and first events and the denied events per co-op and day."""
    import polars as pl

    part = chunk.part
    file = part.file
    result = PartResult(file, part.index, chunk.events)
    result.unreadable = [((file, row), code, message) for row, code, message in chunk.unreadable]
    frame = chunk.frame
    result.untimed = frame.get_column("__time").null_count()
    if not chunk.cases:
        if keep_events:
            result.frame = _event_frame(chunk, [])
        return result
    keys, outcomes = [], []
    for values in chunk.cases:
        fields = scenario_fields(values, chunk.text_consent)
        key = case_key(fields)
        keys.append(key)
        outcomes.append(policies.outcome(fields, key))
    number = pl.DataFrame({"__case": pl.Series(chunk.case_ids, dtype=pl.UInt64),
                           "__cid": pl.Series(range(len(outcomes)), dtype=pl.UInt32)})
    by_day = (frame.group_by("__case", pl.col("__time").dt.date().alias("__day"))
              .agg(pl.len().alias("n"), pl.col("__time").min().alias("first"), pl.col("__time").max().alias("last"),
                   pl.col("__row").head(SAMPLES).alias("rows"), pl.col("__id").head(SAMPLES).alias("ids")))
    firsts = (by_day.select("__case", "rows", "ids").explode("rows", "ids").sort("rows")
              .group_by("__case").agg(pl.col("rows").head(SAMPLES), pl.col("ids").head(SAMPLES)))
    per_case = (by_day.group_by("__case")
                .agg(pl.col("n").sum(), pl.col("first").min(), pl.col("last").max())
                .join(firsts, on="__case").join(number, on="__case"))
    for cid, n, first, last, rows, ids in per_case.select("__cid", "n", "first", "last", "rows", "ids").iter_rows():
        found = CaseStats(outcomes[cid], n, first, last, [((file, r), i) for r, i in zip(rows, ids)])
        mine = result.cases.get(keys[cid])
        if mine is None:
            result.cases[keys[cid]] = found
        else:
            mine.add(found)
    denied = [cid for cid, o in enumerate(outcomes) if o.status == "deny"]
    if denied and result.untimed < frame.height:
        coop_of = pl.DataFrame({"__cid": pl.Series(denied, dtype=pl.UInt32),
                                "coop": [outcomes[c].coop for c in denied]})
        per_day = (by_day.filter(pl.col("__day").is_not_null()).join(number, on="__case").join(coop_of, on="__cid")
                   .group_by("coop", "__day").agg(pl.col("n").sum()))
        for coop, day, n in per_day.iter_rows():
            result.daily[(coop, day)] += n
    errors = [chunk.case_ids[cid] for cid, o in enumerate(outcomes) if o.status == "error"]
    if errors:
        erring = number.join(pl.DataFrame({"__case": pl.Series(errors, dtype=pl.UInt64)}), on="__case", how="semi")
        bad = frame.join(erring, on="__case").select("__cid", "__row", "__id").sort("__row")
        for cid, row, eid in bad.iter_rows():
            result.cases[keys[cid]].rows.append(((file, row), eid))
    if keep_events:
        result.frame = _event_frame(chunk, outcomes)
    return result


def _event_frame(chunk: Chunk, outcomes: list[Outcome]):
    """One row per event: file, row, event id, time, co-op, decision, error code."""
    import polars as pl

    part = chunk.part
    table = pl.DataFrame({"__case": pl.Series(chunk.case_ids[:len(outcomes)], dtype=pl.UInt64),
                          "coop": pl.Series([o.coop for o in outcomes], dtype=pl.String),
                          "decision": pl.Series([o.status for o in outcomes], dtype=pl.String),
                          "code": pl.Series([o.error[0] if o.error else None for o in outcomes], dtype=pl.String)})
    frame = chunk.frame.join(table, on="__case", how="left", maintain_order="left")
    out = pl.DataFrame({"file": pl.Series([part.path] * frame.height, dtype=pl.String),
                        "row": frame.get_column("__row"), "event_id": frame.get_column("__id"),
                        "time": frame.get_column("__time"),
                        **{c: frame.get_column(c) for c in ("coop", "decision", "code")}})
    if chunk.unreadable:
        k = len(chunk.unreadable)
        bad = pl.DataFrame({"file": [part.path] * k,
                            "row": pl.Series([r for r, _, _ in chunk.unreadable], dtype=pl.Int64),
                            "event_id": pl.Series([None] * k, dtype=pl.String),
                            "time": pl.Series([None] * k, dtype=pl.Datetime("us")),
                            "coop": pl.Series([None] * k, dtype=pl.String),
                            "decision": pl.Series(["error"] * k, dtype=pl.String),
                            "code": pl.Series([str(c) for _, c, _ in chunk.unreadable], dtype=pl.String)})
        out = pl.concat([out, bad.cast(out.schema)]).sort("row")
    return out


# ---- the whole log -------------------------------------------------------------------------

@frozen
class Finding:
    """Denied events grouped by co-op, deciding clause (None: no rule gave a basis), item,
    recipient and purpose."""

    coop: str
    clause: str | None
    item: str
    recipient: str | None
    purpose: str
    events: int
    first: datetime | None
    last: datetime | None
    samples: tuple[str, ...]  # event ids (or file:row where the log has none)
    consent_would_permit: int  # of the events, how many consent would have made lawful
    closest: str | None
    rules: tuple[str, ...]
    cases: int


@frozen
class InputError:
    """An event that could not be decided."""

    file: str
    row: int
    unit: str  # line (JSON Lines) or row (CSV, Parquet records)
    event_id: str | None
    code: str
    message: str
    help: str | None = None
    field: str | None = None


@frozen
class AuditResult:
    """The audit of one or more logs."""

    files: tuple[str, ...]
    units: tuple[str, ...]
    events: int
    distinct_cases: int
    permitted: int
    denied: int
    errors: int
    findings: tuple[Finding, ...]
    input_errors: tuple[InputError, ...]
    daily: dict  # coop -> {date: denied events}
    untimed: int
    coop_names: dict
    frame: Any = None

    @property
    def violations(self) -> int:
        """Denied items of denied events (an event denied on two items counts twice)."""
        return sum(f.events for f in self.findings)

    def summary(self) -> dict:
        """The counts: events = permitted + denied + errors."""
        return {"files": list(self.files), "events": self.events, "distinct_cases": self.distinct_cases,
                "permitted": self.permitted, "denied": self.denied, "errors": self.errors,
                "violations": self.violations, "findings": len(self.findings),
                "events_without_time": self.untimed}


def assemble(parts: list[Part], results: list[PartResult], coop_names: dict[str, str | None]) -> AuditResult:
    """Combine partition results (in any order) into the audit of the whole log."""
    files: dict[int, tuple[str, str]] = {}
    for p in parts:
        files.setdefault(p.file, (p.path, p.unit))
    paths = tuple(files[i][0] for i in sorted(files))
    units = tuple(files[i][1] for i in sorted(files))
    results = sorted(results, key=lambda r: (r.file, r.index))
    cases: dict[tuple, CaseStats] = {}
    daily: Counter = Counter()
    unreadable = []
    events = untimed = 0
    for r in results:
        events += r.events
        untimed += r.untimed
        daily.update(r.daily)
        unreadable.extend(r.unreadable)
        for key, st in r.cases.items():
            mine = cases.get(key)
            if mine is None:
                cases[key] = CaseStats(st.outcome, st.events, st.first, st.last, list(st.samples), list(st.rows))
            else:
                mine.add(st)
    permitted = sum(st.events for st in cases.values() if st.outcome.status == "permit")
    denied = sum(st.events for st in cases.values() if st.outcome.status == "deny")
    errors = sum(st.events for st in cases.values() if st.outcome.status == "error") + len(unreadable)
    assert permitted + denied + errors == events, (permitted, denied, errors, events)

    def sample_name(sample) -> str:
        (file, row), eid = sample
        return eid if eid is not None else f"{paths[file]}:{row}"

    groups: dict[tuple, dict] = {}
    for key, st in cases.items():
        o = st.outcome
        if o.status != "deny":
            continue
        for v in o.violations:
            gkey = (o.coop, v.clause, v.item, v.recipient, v.purpose)
            g = groups.get(gkey)
            if g is None:
                g = groups[gkey] = {"events": 0, "first": None, "last": None, "samples": [], "consent": 0,
                                    "closest": Counter(), "rules": set(), "cases": 0}
            g["events"] += st.events
            g["first"] = _min(g["first"], st.first)
            g["last"] = _max(g["last"], st.last)
            g["samples"] = heapq.nsmallest(SAMPLES, g["samples"] + st.samples, key=lambda s: s[0])
            g["consent"] += st.events if o.would_consent else 0
            g["closest"][v.closest] += st.events
            g["rules"].update(v.rules)
            g["cases"] += 1
    findings = []
    for (coop, clause, item, recipient, purpose), g in groups.items():
        closest = min(g["closest"].items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))[0]
        findings.append(Finding(coop, clause, item, recipient, purpose, g["events"], g["first"], g["last"],
                                tuple(sample_name(s) for s in g["samples"]), g["consent"], closest,
                                tuple(sorted(g["rules"])), g["cases"]))
    findings.sort(key=lambda f: (f.coop, -f.events, f.clause or "", f.item, f.recipient or "", f.purpose))
    input_errors = []
    for key, st in cases.items():
        o = st.outcome
        if o.status != "error":
            continue
        code, message, help_, field_ = o.error
        for (file, row), eid in st.rows:
            input_errors.append(InputError(paths[file], row, units[file], eid, code, message, help_, field_))
    for (file, row), code, message in unreadable:
        input_errors.append(InputError(paths[file], row, units[file], None, code, message))
    order = {p: i for i, p in enumerate(paths)}
    input_errors.sort(key=lambda e: (order[e.file], e.row))
    per_coop: dict[str, dict[date, int]] = {}
    for (coop, day), n in sorted(daily.items()):
        per_coop.setdefault(coop, {})[day] = n
    frame = None
    frames = [r.frame for r in results if r.frame is not None]
    if frames:
        import polars as pl

        frame = pl.concat(frames)
    return AuditResult(paths, units, events, len(cases), permitted, denied, errors, tuple(findings),
                       tuple(input_errors), per_coop, untimed, dict(coop_names), frame)


__all__ = ["scan_part", "scan_chunk", "assemble", "AuditResult", "Finding", "InputError", "PartResult",
           "CaseStats", "SAMPLES"]
