"""Reading event logs: JSON Lines, CSV and Parquet, cut into partitions, read with Polars.

Why Polars. Reading the ten columns the audit needs from a generated 1M-event Parquet log
(10 MB, zstd, ten row groups; best of five on the 2-core development machine) took 0.17-0.20 s
with ``polars.read_parquet``, 0.52 s with ``pyarrow.parquet.read_table`` (0.41 s row group by
row group) and 0.84 s with DuckDB (``read_parquet`` into an Arrow table); with the machine
busy with other jobs, 0.35-0.39 s, 0.85-1.2 s and 1.1-1.7 s. Handing PyArrow's table on to a
data-frame library would cost more again (``polars.from_arrow``: 0.7 s). What the audit does next — group a
million events by their eight decision-relevant fields, one of them the list of data items —
Polars does in about 0.5 s; PyArrow's ``group_by`` refuses a list key outright. Polars also
reads a Parquet slice without touching the row groups outside it (so a partition is a cheap
``scan_parquet(...).slice(...)``), reads CSV without guessing types, and is one
self-contained wheel. So Polars reads and groups.

PyArrow stays for one job: JSON Lines. ``polars.read_ndjson`` quietly turns a number in a text
column into text (``"action": 2`` would become the action ``"2"``), where the scenario gate
must say E404; ``pyarrow.json`` refuses a column whose JSON type changes. A block whose types
are uniform (and that has no blank line, so rows are lines) is read by PyArrow; any other
block — a line that is not JSON, a ``consent`` that is sometimes ``"yes"``, data given as a
list on one line and a string on the next — is read line by line with :mod:`json`, exactly
as ``coopcheck check --json`` reads it. Both give the same raw values.

A log is planned into :class:`Part` s (row groups of a Parquet file, newline-aligned byte
ranges of a JSON Lines file, a CSV file whole), each read on its own — by this process or by a
Dask worker — into a :class:`Chunk`: one row per event with its ``__row`` (the line of a JSON
Lines file, the 1-based record of a CSV or Parquet file), ``__id`` and ``__time`` (UTC without
a zone) and ``__case``, the number of its case — its distinct combination of scenario fields as
logged (:func:`case_numbers`) — with each case's fields once.

This module plans the parts and reads the columnar ones (Parquet, CSV with Polars); JSON Lines
blocks are read in :mod:`coopcheck.audit.jsonl`, and what the columnar readers refuse is read
row by row in :mod:`coopcheck.audit.rows`.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from attrs import field, frozen


#: The scenario fields an event carries (docs/input.md).
FIELDS = ("coop", "action", "subject", "data", "recipient", "purpose", "consent", "exception")
#: The other columns the audit reads, and the column names looked for when not mapped.
EXTRA = {"event_id": ("event_id", "id", "event", "eventid", "event id"),
         "time": ("time", "timestamp", "ts", "event_time", "datetime", "date")}
TARGETS = (*FIELDS, *EXTRA)
FORMATS = ("jsonl", "csv", "parquet")
#: Events per partition, roughly (a Parquet partition is whole row groups). Measured on a
#: 10M-event Parquet log: 250 000 a partition ran at 1.3-1.45M events/s, 1 000 000 at 2.4M —
#: each partition pays a fixed cost per distinct case (deciding it, keying it, merging it).
PART_ROWS = 1_000_000
#: String formats tried for a time column, after Polars' own inference.
TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M%#z", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
                "%Y-%m-%d")


class LogError(Exception):
    """A log that cannot be read at all (missing, unknown format, a mapped column it lacks)."""


@frozen
class Part:
    """One partition of one log file: what a worker needs to read it (small, picklable)."""

    path: str
    fmt: str
    file: int  # index of the file among the inputs
    index: int  # partition number within the file
    columns: tuple  # ((target, source column or None), ...)
    start: int = 0  # parquet: first row (from 0); jsonl: first byte
    stop: int = -1  # parquet: end row; jsonl: end byte
    first_line: int = 1  # jsonl: number of the first line
    estimate: int = 0  # events expected, for the progress bar

    @property
    def unit(self) -> str:
        """What the rows of this file are numbered by: ``line`` or ``row``."""
        return "line" if self.fmt == "jsonl" else "row"


@frozen
class Chunk:
    """A partition read. ``frame``: one row per event (``__row``, ``__id``, ``__time``, and
    ``__case``, the event's case as a number), in row order. ``cases``: the raw scenario fields
    of each distinct case (in :data:`FIELDS` order, None where absent); ``case_ids``: the
    ``__case`` number of each, aligned with ``cases``. ``text_consent``: ``consent`` was read as
    text (CSV, a Parquet string column). ``unreadable``: rows that are not events at all (a line
    that is not a JSON object), as ``(row, code, message)``."""

    part: Part
    frame: Any
    cases: list
    case_ids: list
    text_consent: bool = False
    unreadable: list = field(factory=list)

    @property
    def events(self) -> int:
        """Every row of the partition, readable or not."""
        return self.frame.height + len(self.unreadable)


#: How many first events of each case a chunk keeps (the samples of the findings).
SAMPLES = 3
#: The seeds of the two 64-bit hashes that number a chunk's cases (:func:`case_numbers`).
CASE_SEEDS = (0x636F6F70, 0x63686563)


def _case_hashes(keyed):
    """``__case`` and ``__check``: two 64-bit hashes of each row, with different seeds."""
    import polars as pl

    every = pl.struct(keyed.columns)
    return keyed.select(every.hash(seed=CASE_SEEDS[0]).alias("__case"), every.hash(seed=CASE_SEEDS[1]).alias("__check"))


def case_numbers(keyed, rows: int | None = None, force_exact: bool = False) -> tuple[Any, list[int], list[int]]:
    """Number the distinct rows of ``keyed`` (the scenario columns a log has): ``(numbers,
    ids, firsts)`` — a UInt64 series giving each row its case number, the distinct numbers, and
    the position of each one's first row.

    Grouping a million events by eight columns, one of them a list, costs Polars several times
    what grouping them by one integer does, so a case is numbered by a 64-bit hash of its
    fields (Polars' struct hash, which tells nulls, positions and list boundaries apart) and the
    rows are grouped by that number. Two different cases with the same number would be merged
    silently, so a second hash with another seed is kept per group: if any group holds rows
    whose second hashes differ, the first hash collided and the chunk is numbered exactly, by
    grouping on the columns themselves (``force_exact`` does so always). A merge then needs a
    collision of both hashes at once, about one chance in 2**128 per pair of cases. ``rows``:
    how many rows there are when ``keyed`` has no columns (no scenario field is given)."""
    import polars as pl

    n = keyed.height if keyed.width or rows is None else rows
    if not keyed.width or not n:
        return pl.Series("__case", [0] * n, dtype=pl.UInt64), [0] if n else [], [0] if n else []
    if not force_exact:
        hashed = _case_hashes(keyed)
        groups = (hashed.with_row_index("__i").group_by("__case")
                  .agg(pl.col("__i").first(), pl.col("__check").min().alias("lo"), pl.col("__check").max().alias("hi")))
        if groups.filter(pl.col("lo") != pl.col("hi")).is_empty():
            return hashed.get_column("__case"), groups.get_column("__case").to_list(), groups.get_column("__i").to_list()
    groups = (keyed.with_row_index("__i").group_by(keyed.columns, maintain_order=True)
              .agg(pl.col("__i")).with_row_index("__case"))
    numbers = (groups.select(pl.col("__case").cast(pl.UInt64), "__i").explode("__i").sort("__i")
               .get_column("__case"))
    return numbers, list(range(groups.height)), [i[0] for i in groups.get_column("__i").to_list()]


# ---- planning ------------------------------------------------------------------------------

def format_of(path: str | Path) -> str:
    """The log format of a file: by its suffix, else by its first bytes."""
    suffix = Path(path).suffix.lower()
    by_suffix = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
                 ".json": "jsonl", ".csv": "csv"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def _resolve_columns(path: str, available: list[str] | None, mapping: dict[str, str], *,
                     strict: bool = True) -> tuple:
    """``((target, source), ...)`` for every target field: the mapped column, else a column of
    the field's own name (or, for ``event_id`` and ``time``, the first usual name there is),
    else None. ``strict`` (CSV, Parquet: the columns are known): a mapped column must exist.
    Not strict (JSON Lines, ``available`` the keys of the first event or None): an event may
    leave out any field, so every scenario field is looked for under its own name."""
    have = set(available or ())
    mapped_away = set(mapping.values())
    out = []
    for target in TARGETS:
        if target in mapping:
            source = mapping[target]
            if strict and source not in have:
                raise LogError(f"`{path}` has no column `{source}` (mapped to {target}); "
                               f"its columns: {', '.join(available or ()) or 'none'}")
        elif target in FIELDS:
            source = target if (not strict or target in have) else None
        else:
            names = [n for n in EXTRA[target] if n not in mapped_away]
            source = next((n for n in names if n in have), None)
            if source is None and not strict:  # a later event may have it under its usual name
                source = names[0] if names else None
        out.append((target, source))
    return tuple(out)


LOG_SUFFIXES = (".parquet", ".pq", ".jsonl", ".ndjson", ".json", ".csv")


def expand(paths: list[str]) -> list[str]:
    """The log files named: a folder stands for the log files under it (a partitioned dataset,
    ``year=2026/month=11/part-0.parquet``, …), in name order."""
    out = []
    for path in paths:
        path = str(path)
        if os.path.isdir(path):
            found = sorted(str(p) for p in Path(path).rglob("*")
                           if p.is_file() and p.suffix.lower() in LOG_SUFFIXES and not p.name.startswith((".", "_")))
            if not found:
                raise LogError(f"`{path}` holds no .parquet, .jsonl or .csv files")
            out.extend(found)
        else:
            out.append(path)
    return out


def plan(paths: list[str], mapping: dict[str, str] | None = None, part_rows: int = PART_ROWS) -> list[Part]:
    """The partitions of the logs (files, or folders of them), file by file, in order. Raises
    :class:`LogError`."""
    mapping = dict(mapping or {})
    parts: list[Part] = []
    for file, path in enumerate(expand(paths)):
        path = str(path)
        if not os.path.isfile(path):
            raise LogError(f"cannot read `{path}`: no such file")
        try:
            fmt = format_of(path)
            if fmt == "parquet":
                parts.extend(_plan_parquet(path, file, mapping, part_rows))
            elif fmt == "jsonl":
                parts.extend(_plan_jsonl(path, file, mapping, part_rows))
            else:
                parts.extend(_plan_csv(path, file, mapping))
        except OSError as err:
            raise LogError(f"cannot read `{path}`: {err.strerror or err}") from None
    return parts


def _plan_parquet(path: str, file: int, mapping: dict, part_rows: int) -> list[Part]:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as err:  # pyarrow raises its own error types for a broken file
        raise LogError(f"cannot read `{path}` as Parquet: {err}") from None
    names = list(meta.schema.to_arrow_schema().names)
    columns = _resolve_columns(path, names, mapping)
    parts, start, rows, index = [], 0, 0, 0
    for g in range(meta.num_row_groups):
        rows += meta.row_group(g).num_rows
        if rows - start >= part_rows or g == meta.num_row_groups - 1:
            parts.append(Part(path, "parquet", file, index, columns, start, rows, start + 1, rows - start))
            start, index = rows, index + 1
    return parts or [Part(path, "parquet", file, 0, columns, 0, 0, 1, 0)]


def _plan_jsonl(path: str, file: int, mapping: dict, part_rows: int) -> list[Part]:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(1 << 20)
        first = next((ln for ln in head.removeprefix(b"\xef\xbb\xbf").split(b"\n") if ln.strip()), b"")
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            obj = None
        keys = list(obj) if isinstance(obj, dict) else None
        columns = _resolve_columns(path, keys, mapping, strict=False)
        lines_in_head = max(1, head.count(b"\n"))
        per_part = max(1 << 16, int(len(head) / lines_in_head * part_rows))
        cuts = [0]
        while cuts[-1] + per_part < size:
            f.seek(cuts[-1] + per_part)
            rest = f.readline()
            nxt = f.tell()
            if not rest or nxt >= size:
                break
            cuts.append(nxt)
        cuts.append(size)
        parts = []
        line = 1
        f.seek(0)
        for index, (a, b) in enumerate(zip(cuts, cuts[1:])):
            newlines = 0
            left = b - a
            while left:
                block = f.read(min(left, 1 << 24))
                if not block:
                    break
                newlines += block.count(b"\n")
                left -= len(block)
            parts.append(Part(path, "jsonl", file, index, columns, a, b, line, newlines or 1))
            line += newlines
    return parts


def _plan_csv(path: str, file: int, mapping: dict) -> list[Part]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            header = next(csv.reader(f), [])
        except (csv.Error, UnicodeDecodeError) as err:
            raise LogError(f"cannot read the header of `{path}`: {err}") from None
    lines = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            lines += block.count(b"\n")
    columns = _resolve_columns(path, header, mapping)
    return [Part(path, "csv", file, 0, columns, estimate=max(0, lines - 1))]


# ---- reading -------------------------------------------------------------------------------

def read_part(part: Part) -> Chunk:
    """Read one partition into a :class:`Chunk`."""
    import polars as pl

    if part.fmt == "jsonl":
        from coopcheck.audit.jsonl import read_jsonl

        return read_jsonl(part)
    sources = {t: s for t, s in part.columns if s is not None}
    wanted = list(dict.fromkeys(sources.values()))
    if part.fmt == "parquet":
        if wanted:
            try:
                frame = pl.scan_parquet(part.path).select(wanted).slice(part.start, part.stop - part.start).collect()
            except (pl.exceptions.PolarsError, OSError) as err:  # a page damaged past its footer
                raise LogError(f"cannot read rows {part.start + 1}–{part.stop} of `{part.path}` as Parquet: "
                               f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
        else:  # a log with none of the columns: its rows are still events (each an input error)
            frame = pl.DataFrame({"__none": pl.Series([None] * (part.stop - part.start))})
    else:
        try:
            frame = pl.read_csv(part.path, columns=wanted, infer_schema=False,
                                encoding="utf8-lossy") if wanted else pl.read_csv(part.path, infer_schema=False)
        except pl.exceptions.NoDataError:
            frame = pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in wanted})
        except pl.exceptions.PolarsError:  # a row with more fields than the header, a quote left open
            from coopcheck.audit.rows import read_csv_rows

            return read_csv_rows(part, sources)
        # CSV has no null: an empty field, quoted or not, is an absent value
        frame = frame.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                                   for c in frame.columns)
    return frame_chunk(part, frame, sources, first_row=part.start + 1)


def frame_chunk(part: Part, frame, sources: dict, first_row: int, rows=None, unreadable=None) -> Chunk:
    """The chunk of a frame read with typed columns (Parquet, CSV, JSON Lines via PyArrow)."""
    import polars as pl

    n = frame.height
    cols = {}
    for target in FIELDS:
        source = sources.get(target)
        cols[target] = frame.get_column(source) if source in frame.columns else pl.Series([None] * n)
    row = rows if rows is not None else pl.int_range(first_row, first_row + n, eager=True, dtype=pl.Int64)
    idc = sources.get("event_id")
    ids = _ids(frame.get_column(idc)) if idc in frame.columns else pl.Series([None] * n, dtype=pl.String)
    tc = sources.get("time")
    times = to_times(frame.get_column(tc)) if tc in frame.columns else pl.Series([None] * n, dtype=pl.Datetime("us"))
    keyed = pl.DataFrame({k: v.alias(k) for k, v in cols.items()}, nan_to_null=False)
    keys = [k for k in FIELDS if keyed.schema[k] != pl.Null]
    numbers, case_ids, firsts = case_numbers(keyed.select(keys), n)
    out = pl.DataFrame({"__row": row.alias("__row").cast(pl.Int64), "__id": ids.alias("__id"),
                        "__time": times.alias("__time"), "__case": numbers.alias("__case")})
    at = {k: i for i, k in enumerate(keys)}
    firsts_rows = keyed.select(keys)[firsts].rows() if keys else [()] * len(firsts)
    cases = [tuple(r[at[f]] if f in at else None for f in FIELDS) for r in firsts_rows]
    text_consent = part.fmt == "csv" or (part.fmt == "parquet" and keyed.schema["consent"] == pl.String)
    return Chunk(part, out, cases, case_ids, text_consent, unreadable or [])


def _ids(series):
    import polars as pl

    if series.dtype == pl.String:
        return series
    if series.dtype.is_nested():
        return series.map_elements(lambda v: json.dumps(v, ensure_ascii=False, default=str), return_dtype=pl.String)
    return series.cast(pl.String, strict=False)


def to_times(series):
    """A column of event times as naive UTC datetimes (microseconds): datetimes with a zone
    converted to UTC, those without one taken as they are, text parsed (ISO 8601 and a few
    usual forms), numbers read as seconds since the epoch; anything else is no time."""
    import polars as pl

    dtype = series.dtype
    us = pl.Datetime("us")
    if dtype == pl.Null:
        return series.cast(us)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return series.dt.cast_time_unit("us")
    if dtype == pl.Date:
        return series.cast(us)
    if dtype.is_numeric():
        return (series.cast(pl.Float64) * 1_000_000).round().cast(pl.Int64, strict=False).cast(us)
    if dtype != pl.String:
        return pl.Series(series.name, [None] * len(series), dtype=us)
    text = series.str.strip_chars()
    tries = []
    for fmt in (None, *TIME_FORMATS):
        try:
            parsed = text.str.to_datetime(format=fmt, strict=False, time_unit="us", time_zone="UTC")
        except Exception:  # a format Polars cannot use on this text
            continue
        tries.append(parsed)
    if not tries:
        return pl.Series(series.name, [None] * len(series), dtype=us)
    out = pl.select(pl.coalesce(tries)).to_series()
    return out.dt.replace_time_zone(None)
