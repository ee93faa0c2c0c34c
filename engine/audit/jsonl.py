"""JSON Lines partitions: given to PyArrow's reader when the block is safe and uniform, else read
line by line (:func:`coopcheck.audit.rows.read_jsonl_lines`), as ``check --json`` reads them.

Why PyArrow here and not Polars, and why only some blocks: see :mod:`coopcheck.audit.logs`.
"""

from __future__ import annotations

import io
import re

from coopcheck.audit.logs import FIELDS, Chunk, Part, frame_chunk
from coopcheck.audit.rows import read_jsonl_lines

_BOM = b"\xef\xbb\xbf"
_BLANK_INSIDE = re.compile(rb"\n[ \t\r]*\n")  # starts with a literal: searched at C speed


def read_jsonl(part: Part) -> Chunk:
    """One partition of a JSON Lines log: read by PyArrow when it can be, else line by line."""
    with open(part.path, "rb") as f:
        f.seek(part.start)
        data = f.read(part.stop - part.start)
    if part.start == 0:
        data = data.removeprefix(_BOM)
    sources = {t: s for t, s in part.columns if s is not None}
    fast = read_jsonl_fast(part, data, sources)
    return fast if fast is not None else read_jsonl_lines(part, data, sources)


def read_jsonl_fast(part: Part, data: bytes, sources: dict) -> Chunk | None:
    """The block read by PyArrow when every line is a JSON object and each column keeps one
    JSON type; None otherwise."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.json as pj

    body = data[:-1] if data.endswith(b"\n") else data
    if not body or _has_blank_line(body) or not _lines_fit_pyarrow(body) or body.startswith(_BOM):
        return None  # (PyArrow would skip a U+FEFF that starts the block: past the file's own mark, it is text)
    text_fields = {s for t, s in sources.items() if t in FIELDS and t not in ("data", "consent")}
    schema = pa.schema([(s, pa.string()) for s in sorted(text_fields)])
    try:
        # blocks are parsed in parallel; a JSON type that changes between blocks is refused too
        table = pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=1 << 20),
                             parse_options=pj.ParseOptions(explicit_schema=schema, newlines_in_values=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != body.count(b"\n") + 1:
        return None
    wanted = [c for c in dict.fromkeys(sources.values()) if c in table.column_names]
    for name in wanted:  # keep only what Polars holds exactly as JSON gave it
        t = table.schema.field(name).type
        if pa.types.is_struct(t) or (pa.types.is_list(t) and pa.types.is_struct(t.value_type)):
            return None
    if not wanted:
        return None
    return frame_chunk(part, pl.from_arrow(table.select(wanted)), sources, part.first_line)


#: A line longer than PyArrow is given: its JSON reader recurses into nested values on a
#: thread's small stack, and a line nested about a thousand deep killed the process
#: (SIGSEGV in libarrow; found by the fuzz campaign's audit route). Such a block is read line by
#: line by Python, whose reader refuses deep nesting as E406; a real event is far shorter.
FAST_LINE_BYTES = 1024
#: A line after the first that is longer than :data:`FAST_LINE_BYTES` (searched from each line
#: start only: a search from every byte costs a thousand times more).
_LONG_LINE = re.compile(rb"\n[^\n]{%d}" % (FAST_LINE_BYTES + 1))
#: A line after the first that does not start with ``{``. PyArrow's reader reads a ``null`` line
#: as a row of nulls (an event with no fields, where every other reader refuses a value that is
#: not an object, E404), and a block whose first line is ``null`` killed the process (SIGSEGV in
#: libarrow 26.0; found by the fuzz campaign's audit route). Such a block is read line by line.
_NOT_AN_OBJECT = re.compile(rb"\n[ \t\r]*[^{ \t\r\n]")
_JSON_SPACE = b" \t\r"


def _lines_fit_pyarrow(body: bytes) -> bool:
    """Whether every line of a block (without its last newline) starts with ``{`` and is at most
    :data:`FAST_LINE_BYTES` long: only such a block is given to PyArrow's reader."""
    end = body.find(b"\n")
    first = body if end < 0 else body[:end]
    if len(first) > FAST_LINE_BYTES or not first.lstrip(_JSON_SPACE).startswith(b"{"):
        return False
    return _LONG_LINE.search(body) is None and _NOT_AN_OBJECT.search(body) is None


def _has_blank_line(body: bytes) -> bool:
    """Whether a block (without its last newline) has an empty or all-space line: PyArrow skips
    those, and rows would no longer be lines."""
    if _BLANK_INSIDE.search(body):
        return True
    first, _, _ = body.partition(b"\n")
    _, _, last = body.rpartition(b"\n")
    return not first.strip() or not last.strip()


__all__ = ["read_jsonl", "read_jsonl_fast", "FAST_LINE_BYTES"]
