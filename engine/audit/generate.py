"""A seeded event log of a federation's data flows, for trying and testing ``coopcheck audit``.

``python -m coopcheck.audit.generate OUT.parquet|OUT.jsonl|OUT.csv [--events N] [--cases N]
[--seed S]`` writes ``N`` events (default 100 000; 10 000 000 and more stream in batches, in
bounded memory) drawn from a few thousand distinct cases over the shipped vocabulary and the
five shipped policies. Cases repeat with a Zipf-like frequency (the k-th most common case
comes about ``1/k^1.1`` as often as the first), so a month of log is mostly a few hundred
recurring flows and a long tail. Times run over ``--days`` days (default 30) from
``--start``; about ``--bad`` (default 0.5 %) of the events are *bad rows*: an unknown data
item, purpose or co-op, a missing purpose or data field, a share without a recipient.

Every column a log has in life is there: ``event_id``, ``time``, the scenario fields
(``coop``, ``action``, ``subject``, ``data``, ``recipient``, ``purpose``, ``consent``,
``exception``; terms by id mostly, some by Japanese label or alias) and a ``channel`` the
audit ignores. The same seed gives the same events in every format:

- Parquet: ``data`` a list column, ``consent`` a boolean, ``time`` a UTC timestamp; one row
  group per ``--row-group`` events (the partitions ``coopcheck audit --dask`` spreads out);
- JSON Lines: one object per line, ``time`` as ``2026-11-01T09:30:00Z``;
- CSV: ``data`` as one delimited string (``name,address`` or ``氏名、住所``), ``consent``
  ``true``/``false`` or empty.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from bisect import bisect
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Iterator

from coopcheck.core.api import load_policy, shipped_policies

ACTIONS = ("use", "collect", "share", "publish")
#: the columns of a generated log, in order
COLUMNS = ("event_id", "time", "coop", "action", "subject", "data", "recipient", "purpose", "consent",
           "exception", "channel")
CHANNELS = ("web", "app", "catalog", "call_center", "store", "batch")
#: the Zipf exponent of how often the cases recur
ZIPF = 1.1
DEFAULT_START = "2026-11-01"
FORMATS = ("parquet", "jsonl", "csv")


def _terms(coop: str) -> dict[str, list[tuple[str, str | None, tuple[str, ...]]]]:
    """``kind -> [(id, label, aliases)]`` of a shipped policy's vocabulary."""
    out: dict[str, list] = {}
    for info in load_policy(coop).vocabulary.terms.values():
        out.setdefault(info.kind, []).append((info.id, info.label, tuple(info.aliases)))
    return out


def _name(rng: random.Random, term) -> str:
    """A term's id mostly, sometimes its label or an alias (all name the same term)."""
    tid, label, aliases = term
    r = rng.random()
    if r < 0.8 or (label is None and not aliases):
        return tid
    if r < 0.93 and label:
        return label
    return rng.choice(aliases) if aliases else tid


def _good_case(rng: random.Random, coop: str, vocab: dict) -> dict:
    """A well-formed case (it may well be denied)."""
    coops = {t[0]: t for t in vocab["coop"]}
    case: dict = {"coop": _name(rng, coops[coop]) if coop in coops else coop}
    action = rng.choices(ACTIONS, (4, 2, 5, 1))[0]
    case["action"] = action
    if rng.random() < 0.35:
        case["subject"] = _name(rng, rng.choice(vocab["subject"]))
    case["data"] = [_name(rng, rng.choice(vocab["item"])) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
    if action == "share":
        case["recipient"] = _name(rng, rng.choice(vocab["party"]))
    elif action == "publish" and rng.random() < 0.5:
        case["recipient"] = "public"
    case["purpose"] = _name(rng, rng.choice(vocab["purpose"]))
    if rng.random() < 0.3:
        case["consent"] = rng.random() < 0.8
    if rng.random() < 0.1:
        case["exception"] = _name(rng, rng.choice(vocab["exception"]))
    return case


def _bad_case(rng: random.Random, coop: str, vocab: dict) -> dict:
    """A case that cannot be decided: an unknown term or co-op, or a missing field."""
    case = _good_case(rng, coop, vocab)
    kind = rng.randrange(6)
    if kind == 0:
        case["data"] = case["data"][:1] + ["no_such_item"]
    elif kind == 1:
        case["purpose"] = "world_domination"
    elif kind == 2:
        case.pop("purpose")
    elif kind == 3:
        case.pop("data")
    elif kind == 4:
        case["action"] = "share"
        case.pop("recipient", None)
    else:
        case["coop"] = "coop_nowhere"
    return case


def _key(case: dict) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(case.items()))


def draw_cases(n: int, seed: int, bad_share: float = 0.02) -> tuple[list[dict], list[dict]]:
    """``(good, bad)``: ``n`` distinct cases (about ``bad_share`` of them bad), the same for the
    same seed, in the order of how often they recur (most common first)."""
    rng = random.Random(seed)
    coops = shipped_policies()
    vocabs = {c: _terms(c) for c in coops}
    weights = [5, 4, 3, 2, 2][:len(coops)] + [1] * max(0, len(coops) - 5)
    n_bad = max(1, round(n * bad_share)) if n > 1 else 0
    seen: set = set()
    good: list[dict] = []
    bad: list[dict] = []
    tries = 0
    while len(good) + len(bad) < n and tries < n * 50:
        tries += 1
        coop = rng.choices(coops, weights)[0]
        want_bad = len(bad) < n_bad and rng.random() < 0.5
        if not want_bad and len(good) >= n - n_bad:
            want_bad = True
        case = (_bad_case if want_bad else _good_case)(rng, coop, vocabs[coop])
        key = _key(case)
        if key in seen:
            continue
        seen.add(key)
        (bad if want_bad else good).append(case)
    return good, bad


class Draws:
    """Which case each event is, event by event: good cases with a Zipf-like frequency, a
    bad case (uniformly) with probability ``bad``."""

    def __init__(self, good: list[dict], bad: list[dict], seed: int, bad_share: float):
        self.rng = random.Random(seed + 1)
        self.good = len(good)
        self.bad = len(bad)
        self.bad_share = bad_share if bad else 0.0
        self.cum = list(accumulate(1.0 / (k + 1) ** ZIPF for k in range(self.good)))

    def batch(self, size: int) -> list[int]:
        """The next ``size`` case indices (bad cases are numbered after the good ones)."""
        rng = self.rng
        total = self.cum[-1]
        cum = self.cum
        picks = []
        for _ in range(size):
            if self.bad_share and rng.random() < self.bad_share:
                picks.append(self.good + rng.randrange(self.bad))
            else:
                picks.append(bisect(cum, rng.random() * total))
        return picks


def events(n: int, cases: int = 3000, seed: int = 20261101, *, bad: float = 0.005, days: int = 30,
           start: str = DEFAULT_START, batch: int = 100_000) -> Iterator[tuple[list[dict], list[int], list[int]]]:
    """The generated log in batches: ``(cases, case index per event, time per event)`` where
    times are whole seconds since the epoch (UTC). Event ``i`` (from 0) is ``E`` + its number."""
    good, bad_cases = draw_cases(cases, seed)
    table = good + bad_cases
    draws = Draws(good, bad_cases, seed, bad)
    t0 = int(datetime.fromisoformat(start).replace(tzinfo=timezone.utc).timestamp())
    span = days * 86400
    trng = random.Random(seed + 2)
    done = 0
    while done < n:
        size = min(batch, n - done)
        picks = draws.batch(size)
        times = [t0 + int((done + i + trng.random()) * span / n) for i in range(size)]
        yield table, picks, times
        done += size


def event_id(i: int) -> str:
    """The id of event ``i`` (from 0)."""
    return "E" + format(i + 1, "09d")  # an event id, not a diagnostic code


def _iso(t: int, cache: dict) -> str:
    day, sec = divmod(t, 86400)
    date = cache.get(day)
    if date is None:
        date = cache[day] = (datetime(1970, 1, 1) + timedelta(days=day)).strftime("%Y-%m-%d")
    h, rest = divmod(sec, 3600)
    m, s = divmod(rest, 60)
    return f"{date}T{h:02d}:{m:02d}:{s:02d}Z"


def _channel(i: int) -> str:
    return CHANNELS[(i * 7 + i // 13) % len(CHANNELS)]


def write_jsonl(path: Path, stream) -> int:
    """Write the stream as JSON Lines; returns the number of events."""
    n = 0
    days: dict = {}
    pieces: dict[int, str] = {}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for table, picks, times in stream:
            out = []
            for c, t in zip(picks, times):
                piece = pieces.get(c)
                if piece is None:
                    piece = pieces[c] = json.dumps(table[c], ensure_ascii=False)[1:-1]
                out.append(f'{{"event_id": "{event_id(n)}", "time": "{_iso(t, days)}", {piece}, '
                           f'"channel": "{_channel(n)}"}}\n')
                n += 1
            f.write("".join(out))
    return n


def _csv_data(items: list[str]) -> str:
    """A case's data items as one delimited string: `、` between Japanese names, else `,`."""
    return ("、" if any(ord(ch) > 0x2fff for i in items for ch in i) else ",").join(items)


def write_csv(path: Path, stream) -> int:
    """Write the stream as CSV with a header; returns the number of events."""
    n = 0
    days: dict = {}
    rows: dict[int, list] = {}
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for table, picks, times in stream:
            out = []
            for c, t in zip(picks, times):
                row = rows.get(c)
                if row is None:
                    case = table[c]
                    consent = case.get("consent")
                    row = rows[c] = [case.get("coop", ""), case.get("action", ""), case.get("subject", ""),
                                     _csv_data(case["data"]) if "data" in case else "", case.get("recipient", ""),
                                     case.get("purpose", ""), "" if consent is None else str(consent).lower(),
                                     case.get("exception", "")]
                out.append([event_id(n), _iso(t, days), *row, _channel(n)])
                n += 1
            writer.writerows(out)
    return n


def write_parquet(path: Path, stream, row_group: int = 100_000) -> int:
    """Write the stream as Parquet, one row group per ``row_group`` events; returns the number
    of events."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("event_id", pa.string()), ("time", pa.timestamp("s", tz="UTC")),
                        ("coop", pa.string()), ("action", pa.string()), ("subject", pa.string()),
                        ("data", pa.list_(pa.string())), ("recipient", pa.string()), ("purpose", pa.string()),
                        ("consent", pa.bool_()), ("exception", pa.string()), ("channel", pa.string())])
    n = 0
    case_table = None
    pending: list[pa.Table] = []
    pending_rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for table, picks, times in stream:
            if case_table is None:
                case_table = pa.table({name: pa.array([c.get(name) for c in table], schema.field(name).type)
                                       for name in COLUMNS[2:-1]})
            part = case_table.take(pa.array(picks, pa.int32()))
            ids = pa.array([event_id(i) for i in range(n, n + len(picks))], pa.string())
            channels = pa.array([_channel(i) for i in range(n, n + len(picks))], pa.string())
            part = part.add_column(0, "event_id", ids).add_column(1, "time", pa.array(times, schema.field("time").type))
            part = part.append_column("channel", channels).select(list(COLUMNS))
            pending.append(part)
            pending_rows += len(picks)
            n += len(picks)
            while pending_rows >= row_group:
                whole = pa.concat_tables(pending)
                writer.write_table(whole.slice(0, row_group), row_group_size=row_group)
                rest = whole.slice(row_group)
                pending, pending_rows = ([rest] if len(rest) else []), len(rest)
        if pending_rows:
            writer.write_table(pa.concat_tables(pending), row_group_size=row_group)
    return n


def write_log(path: str | Path, n: int = 100_000, *, fmt: str | None = None, cases: int = 3000,
              seed: int = 20261101, bad: float = 0.005, days: int = 30, start: str = DEFAULT_START,
              row_group: int = 100_000) -> int:
    """Write a generated log of ``n`` events to ``path`` (format from ``fmt`` or the suffix:
    ``.parquet``, ``.jsonl``/``.ndjson``, ``.csv``); returns the number of events."""
    path = Path(path)
    fmt = fmt or format_of(path)
    stream = events(n, cases, seed, bad=bad, days=days, start=start, batch=min(row_group, 100_000))
    if fmt == "parquet":
        return write_parquet(path, stream, row_group)
    if fmt == "jsonl":
        return write_jsonl(path, stream)
    if fmt == "csv":
        return write_csv(path, stream)
    raise ValueError(f"unknown log format `{fmt}`: use one of {', '.join(FORMATS)}")


def format_of(path: Path) -> str:
    """The log format a file name says."""
    suffix = Path(path).suffix.lower()
    return {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".csv": "csv"}.get(suffix, "")


def main(argv: list[str] | None = None) -> int:
    """``python -m coopcheck.audit.generate``."""
    p = argparse.ArgumentParser(prog="python -m coopcheck.audit.generate",
                                description="Write a seeded event log of data flows for coopcheck audit.")
    p.add_argument("out", nargs="+", help="files to write (.parquet, .jsonl or .csv): the same events in each")
    p.add_argument("--events", "-n", type=int, default=100_000, help="number of events (default 100000)")
    p.add_argument("--cases", type=int, default=3000, help="distinct cases (default 3000)")
    p.add_argument("--seed", type=int, default=20261101)
    p.add_argument("--bad", type=float, default=0.005, help="share of bad rows (default 0.005)")
    p.add_argument("--days", type=int, default=30, help="days the times run over (default 30)")
    p.add_argument("--start", default=DEFAULT_START, help=f"first day, UTC (default {DEFAULT_START})")
    p.add_argument("--row-group", type=int, default=100_000, help="Parquet rows per row group (default 100000)")
    args = p.parse_args(argv)
    for out in args.out:
        if not format_of(Path(out)):
            p.error(f"`{out}`: the name must end in .parquet, .jsonl or .csv")
    for out in args.out:
        n = write_log(out, args.events, cases=args.cases, seed=args.seed, bad=args.bad, days=args.days,
                      start=args.start, row_group=args.row_group)
        print(f"wrote {n} events to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
