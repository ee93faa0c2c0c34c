"""``coopcheck audit LOG...``: check logged data flows against the co-ops' policies.

Reads JSON Lines, CSV and Parquet event logs, decides each distinct case once, and reports the
denied events grouped into findings, and the events that cannot be decided as input errors
with their row or line. Exit codes: 0 nothing denied, 1 something denied, 2 an input error
(an event that cannot be decided, or a log, argument or output that cannot be used).

Only argument parsing lives at import time: the readers (Polars, PyArrow), Rich and Dask are
imported when an audit runs, so ``coopcheck --help`` does not load them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "audit logged data flows (JSON Lines, CSV, Parquet): denied events grouped into findings"
FORMATS = ("text", "json", "csv", "parquet", "html")
_SUFFIX_FORMAT = {".txt": "text", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
                  ".html": "html", ".htm": "html"}


def register(p: argparse.ArgumentParser) -> None:
    """Add ``audit``'s arguments."""
    p.add_argument("logs", nargs="+", metavar="LOG", help="event logs: .jsonl, .csv or .parquet files, or folders of them")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="read scenario field FIELD (or event_id, time) from the log's column COLUMN; repeat")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format (default: from --out's suffix, else text)")
    p.add_argument("--out", metavar="PATH", help="write the output to PATH (default: standard output)")
    p.add_argument("--coop", metavar="ID", help="the co-op of events that name none (an id, name or alias)")
    p.add_argument("--dask", metavar="SCHEDULER",
                   help="run on Dask: a scheduler address (tcp://host:8786) or local[:N] for N local workers")
    p.add_argument("--events", metavar="PATH",
                   help="also write every event's decision (file, row, event_id, time, coop, decision, code) "
                        "to PATH (.parquet, .csv or .jsonl)")
    p.add_argument("--top", type=int, default=None, metavar="N",
                   help="findings per co-op in text (default 50) and HTML (default 200); 0 shows all")
    p.add_argument("--partition-rows", type=int, default=None, metavar="N",
                   help="events per partition, roughly (default 1000000)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary on standard error")


def _fail(message: str) -> int:
    print(f"coopcheck audit: error: {message}", file=sys.stderr)
    return 2


def parse_mapping(values: list[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` arguments as a dict; raises ValueError."""
    from coopcheck.audit.logs import TARGETS

    out: dict[str, str] = {}
    for value in values:
        for piece in value.split(","):
            if not piece.strip():
                continue
            target, sep, column = piece.partition("=")
            target, column = target.strip(), column.strip()
            if not sep or not target or not column:
                raise ValueError(f"--map takes FIELD=COLUMN, not `{piece}`")
            if target not in TARGETS:
                raise ValueError(f"--map: unknown field `{target}` (fields: {', '.join(TARGETS)})")
            out[target] = column
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``audit``; see the module docstring for exit codes."""
    try:
        import polars  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as err:
        return _fail(f"the audit needs {err.name}: python -m pip install 'coopcheck[audit]'")
    from coopcheck.dsl.errors import CoopcheckError

    from coopcheck.core.files import WriteError, write_atomic
    from coopcheck.audit import output
    from coopcheck.audit.logs import PART_ROWS, LogError
    from coopcheck.audit.progress import Progress
    from coopcheck.audit.run import audit, policy_set

    try:
        mapping = parse_mapping(args.map)
    except ValueError as err:
        return _fail(str(err))
    fmt = args.format or (_SUFFIX_FORMAT.get(Path(args.out).suffix.lower(), "text") if args.out else "text")
    if fmt == "parquet" and not args.out and sys.stdout.isatty():
        return _fail("Parquet output needs --out PATH (or a pipe)")
    if args.events and Path(args.events).suffix.lower() not in (".parquet", ".pq", ".csv", ".jsonl", ".ndjson"):
        return _fail("--events PATH must end in .parquet, .csv or .jsonl")
    if args.dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            return _fail("--dask needs Dask: python -m pip install 'coopcheck[dask]'")
    policies = policy_set(args.coop)
    if args.coop is not None:
        if args.coop.strip().lower() == "all":
            return _fail("--coop: an event is for one co-op, not `all`")
        try:
            policies.default_coop = policies.ruleset(args.coop).coop
        except CoopcheckError as err:
            return _fail(f"--coop: {err.diagnostics[0].message}")
    quiet = args.quiet
    try:
        with Progress(enabled=False if quiet else None) as bar:
            result = audit(args.logs, mapping, default_coop=policies.default_coop, dask=args.dask,
                           part_rows=args.partition_rows or PART_ROWS, keep_events=bool(args.events),
                           progress=bar.advance, on_plan=bar.total, policies=policies)
    except LogError as err:
        return _fail(str(err))
    except (OSError, TimeoutError) as err:  # a Dask scheduler that cannot be reached, a log gone meanwhile
        return _fail(f"Dask: {err}" if args.dask else str(err))
    try:
        if fmt == "parquet":
            data = output.parquet_bytes(result)
        else:
            render = {"text": lambda r: output.render_text(r, 50 if args.top is None else args.top),
                      "json": output.render_json, "csv": output.render_csv,
                      "html": lambda r: output.render_html(r, 200 if args.top is None else args.top)}[fmt]
            data = render(result)
        if args.out:
            write_atomic(args.out, data)
        elif isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        if args.events:
            write_atomic(args.events, _events_bytes(result.frame, Path(args.events).suffix.lower()))
    except WriteError as err:
        return _fail(str(err))
    if args.out and not quiet:
        print(f"coopcheck audit: {output.summary_line(result)}; wrote {args.out}", file=sys.stderr)
    if result.errors:
        return 2
    return 1 if result.denied else 0


def _events_bytes(frame, suffix: str) -> bytes:
    import io

    buf = io.BytesIO()
    if suffix in (".parquet", ".pq"):
        frame.write_parquet(buf, compression="zstd")
    elif suffix == ".csv":
        frame.write_csv(buf)
    else:
        frame.write_ndjson(buf)
    return buf.getvalue()
