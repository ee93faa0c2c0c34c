"""Reading a log row by row with Python's own readers, where the columnar readers cannot be
trusted with it: a CSV file that Polars refuses whole (a row with more fields than the header,
a quote left open), and a JSON Lines block that PyArrow is not given (:mod:`coopcheck.audit.jsonl`).
Each bad row is an input error of its own; every other row is read as the columnar readers
read it, and each distinct case is numbered once.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone

from coopcheck.dsl.codes import Code

from coopcheck.audit.logs import FIELDS, Chunk, Part, to_times
from coopcheck.core.jsontext import NotJson, loads_strict


def _freeze(value):
    """A hashable stand-in for a JSON value that tells types apart (``true`` is not ``1``)."""
    if isinstance(value, (list, dict)):
        return ("json", json.dumps(value, sort_keys=True, ensure_ascii=False))
    return (type(value).__name__, value)


class RowEvents:
    """The events of a partition read row by row (the CSV row reader, the JSON Lines line
    reader): each distinct case numbered once, in order of first appearance, with each event's
    row, id and time (as text), and the rows that are no event at all."""

    def __init__(self) -> None:
        self.case_of: dict = {}  # the case's key -> its number
        self.cases: list = []
        self.rows: list = []
        self.ids: list = []
        self.times: list = []
        self.case_ids: list = []
        self.unreadable: list = []

    def add(self, row: int, values: tuple, key, event_id: str | None, time: str | None) -> None:
        """One event: its row, its scenario fields (in :data:`FIELDS` order), the key that tells
        its case apart, its id and its time."""
        cid = self.case_of.get(key)
        if cid is None:
            cid = self.case_of[key] = len(self.cases)
            self.cases.append(values)
        self.case_ids.append(cid)
        self.rows.append(row)
        self.ids.append(event_id)
        self.times.append(time)

    def chunk(self, part: Part, text_consent: bool) -> Chunk:
        """The partition read."""
        import polars as pl

        frame = pl.DataFrame({"__row": pl.Series(self.rows, dtype=pl.Int64),
                              "__id": pl.Series(self.ids, dtype=pl.String),
                              "__time": to_times(pl.Series(self.times, dtype=pl.String)),
                              "__case": pl.Series(self.case_ids, dtype=pl.UInt64)})
        return Chunk(part, frame, self.cases, list(range(len(self.cases))), text_consent, self.unreadable)


def read_csv_rows(part: Part, sources: dict) -> Chunk:
    """A CSV log that Polars refuses as a whole, read row by row with Python's reader: a row
    with more fields than the header, or a quoted field left open at the end of the file, is
    an input error of its own (E406), and every other row is read as Polars reads it (text
    decoded leniently, a short row's missing fields absent, an empty field absent)."""
    events = RowEvents()
    with open(part.path, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, strict=True)
        header = next(reader, [])
        at = {name: i for i, name in reversed(list(enumerate(header)))}  # a repeated name: its first column
        width = len(header)
        field_at = [at.get(sources.get(name)) if sources.get(name) is not None else None for name in FIELDS]
        id_at, time_at = at.get(sources.get("event_id")), at.get(sources.get("time"))
        number = 0
        while True:
            number += 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as err:  # strict: a quote left open runs to the end of the file
                events.unreadable.append((number, Code.E406, f"not readable as CSV: {err}"))
                break
            if len(record) > width:
                events.unreadable.append((number, Code.E406, f"{len(record)} fields where the header has {width}"))
                continue
            values = tuple(_cell(record, i) for i in field_at)
            events.add(number, values, values, _cell(record, id_at), _cell(record, time_at))
    return events.chunk(part, True)


def _cell(record: list[str], i: int | None) -> str | None:
    """Field ``i`` of a CSV record: None for no such column, a short row or an empty field."""
    return record[i] or None if i is not None and i < len(record) else None


def read_jsonl_lines(part: Part, data: bytes, sources: dict) -> Chunk:
    """The block read line by line, as ``check --json`` reads JSON Lines."""
    field_sources = [sources.get(f) for f in FIELDS]
    id_source, time_source = sources.get("event_id"), sources.get("time")
    events = RowEvents()
    unreadable = events.unreadable
    for offset, raw in enumerate(data.split(b"\n")):
        number = part.first_line + offset
        raw = raw.removesuffix(b"\r")
        if not raw.strip():
            continue
        try:
            obj = loads_strict(raw.decode("utf-8"))
        except UnicodeDecodeError as err:
            unreadable.append((number, Code.E406, f"not UTF-8 text (byte {err.start})"))
            continue
        except NotJson as err:  # the same reading as check --json and the service
            where = f" at column {err.column}" if err.column is not None else ""
            unreadable.append((number, Code.E406, f"invalid JSON: {err.message[:80]}{where}"))
            continue
        if not isinstance(obj, dict):
            unreadable.append((number, Code.E404, "an event must be a JSON object"))
            continue
        values = tuple(obj.get(s) if s is not None else None for s in field_sources)
        eid = obj.get(id_source) if id_source else None
        eid = None if eid is None else eid if isinstance(eid, str) else json.dumps(eid, ensure_ascii=False)
        t = obj.get(time_source) if time_source else None
        if isinstance(t, bool) or not isinstance(t, (str, int, float)):
            t = None
        elif not isinstance(t, str):
            try:
                t = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            except (OverflowError, OSError, ValueError):
                t = None
        events.add(number, values, tuple(_freeze(v) for v in values), eid, t)
    return events.chunk(part, False)


__all__ = ["RowEvents", "read_csv_rows", "read_jsonl_lines"]
