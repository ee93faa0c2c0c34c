"""An audit's result as text, JSON, CSV, Parquet and a self-contained HTML summary.

JSON (:func:`to_json`) is the whole result: ``summary`` (events = permitted + denied +
errors), ``coops``, every ``finding``, every input ``error`` with its file and row or line,
and ``denied_per_day`` per co-op. CSV and Parquet are one table (:data:`TABLE_COLUMNS`): a
row per finding (``kind`` = ``finding``) and a row per input error (``kind`` = ``error``).
Text and HTML show the summary, each co-op's largest findings (``top``; all with 0) and the
first input errors. The HTML page has no script and loads nothing: its style and its charts
(inline SVG, denied events per day) are in the page.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from html import escape

from coopcheck.audit.scan import AuditResult, Finding, InputError

#: The columns of the CSV and Parquet table.
TABLE_COLUMNS = ("kind", "coop", "clause", "missing_basis", "item", "recipient", "purpose", "events", "first_seen",
                 "last_seen", "sample_event_ids", "consent_would_permit", "closest_clause", "rules", "file", "row",
                 "unit", "event_id", "code", "message", "field")
#: How many findings per co-op text and HTML show by default, and how many input errors.
TOP = 50
ERRORS_SHOWN = 50
NO_BASIS = "(no basis)"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat(sep="T", timespec="seconds")


def finding_json(f: Finding) -> dict:
    """One finding in the JSON output."""
    return {"coop": f.coop, "clause": f.clause, "missing_basis": f.clause is None, "item": f.item,
            "recipient": f.recipient, "purpose": f.purpose, "events": f.events, "first_seen": _iso(f.first),
            "last_seen": _iso(f.last), "sample_event_ids": list(f.samples),
            "consent_would_permit": f.consent_would_permit, "closest_clause": f.closest, "rules": list(f.rules),
            "cases": f.cases}


def error_json(e: InputError) -> dict:
    """One input error in the JSON output: ``line`` for JSON Lines, ``row`` for CSV and Parquet."""
    out = {"file": e.file, e.unit: e.row, "event_id": e.event_id, "code": e.code, "message": e.message}
    if e.help:
        out["help"] = e.help
    if e.field:
        out["field"] = e.field
    return out


def to_json(result: AuditResult) -> dict:
    """The whole result as JSON-ready data."""
    return {"summary": result.summary(), "coops": result.coop_names,
            "findings": [finding_json(f) for f in result.findings],
            "errors": [error_json(e) for e in result.input_errors],
            "denied_per_day": {coop: {d.isoformat(): n for d, n in days.items()}
                               for coop, days in result.daily.items()}}


def render_json(result: AuditResult) -> str:
    """The JSON output."""
    return json.dumps(to_json(result), ensure_ascii=False, indent=1) + "\n"


def table_rows(result: AuditResult) -> list[dict]:
    """The rows of the CSV and Parquet table: findings, then input errors."""
    rows = []
    for f in result.findings:
        rows.append({"kind": "finding", "coop": f.coop, "clause": f.clause, "missing_basis": f.clause is None,
                     "item": f.item, "recipient": f.recipient, "purpose": f.purpose, "events": f.events,
                     "first_seen": f.first, "last_seen": f.last, "sample_event_ids": list(f.samples),
                     "consent_would_permit": f.consent_would_permit, "closest_clause": f.closest,
                     "rules": list(f.rules)})
    for e in result.input_errors:
        rows.append({"kind": "error", "events": 1, "file": e.file, "row": e.row, "unit": e.unit,
                     "event_id": e.event_id, "code": e.code, "message": e.message, "field": e.field})
    return [{c: r.get(c) for c in TABLE_COLUMNS} for r in rows]


def render_csv(result: AuditResult) -> str:
    """The CSV table (lists joined with ``; ``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for row in table_rows(result):
        cells = []
        for c in TABLE_COLUMNS:
            v = row[c]
            if isinstance(v, list):
                v = "; ".join(v)
            elif isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, datetime):
                v = _iso(v)
            cells.append("" if v is None else v)
        writer.writerow(cells)
    return out.getvalue()


def parquet_bytes(result: AuditResult) -> bytes:
    """The Parquet table."""
    import polars as pl

    schema = {"kind": pl.String, "coop": pl.String, "clause": pl.String, "missing_basis": pl.Boolean,
              "item": pl.String, "recipient": pl.String, "purpose": pl.String, "events": pl.Int64,
              "first_seen": pl.Datetime("us"), "last_seen": pl.Datetime("us"), "sample_event_ids": pl.List(pl.String),
              "consent_would_permit": pl.Int64, "closest_clause": pl.String, "rules": pl.List(pl.String),
              "file": pl.String, "row": pl.Int64, "unit": pl.String, "event_id": pl.String, "code": pl.String,
              "message": pl.String, "field": pl.String}
    frame = pl.DataFrame(table_rows(result), schema=schema, orient="row") if result.findings or result.input_errors \
        else pl.DataFrame(schema=schema)
    buf = io.BytesIO()
    frame.write_parquet(buf, compression="zstd")
    return buf.getvalue()


# ---- text ----------------------------------------------------------------------------------

def summary_line(result: AuditResult) -> str:
    """The counts on one line."""
    return (f"{result.events} events, {result.distinct_cases} distinct cases: {result.permitted} permitted, "
            f"{result.denied} denied, {result.errors} input errors")


def render_text(result: AuditResult, top: int = TOP) -> str:
    """The text output: summary, each co-op's findings, the first input errors."""
    from tabulate import tabulate

    files = ", ".join(result.files)
    out = [f"coopcheck audit of {files}",
           f"  events          {result.events}",
           f"  distinct cases  {result.distinct_cases}",
           f"  permitted       {result.permitted}",
           f"  denied          {result.denied}   ({result.violations} denied items in {len(result.findings)} findings)",
           f"  input errors    {result.errors}",
           f"  (permitted + denied + input errors = {result.permitted + result.denied + result.errors})"]
    by_coop = _by_coop(result.findings)
    for coop, findings in by_coop.items():
        name = result.coop_names.get(coop)
        events = sum(result.daily.get(coop, {}).values())
        out.append("")
        out.append(f"{coop}{f' ({name})' if name else ''}: {len(findings)} findings"
                   + (f", {events} denied events with a time" if events else ""))
        shown = findings if not top else findings[:top]
        rows = [[f.events, f.item, f.recipient or "—", f.purpose, f.clause or NO_BASIS, _consent(f),
                 f.closest or "—", _seen(f), ", ".join(f.samples)] for f in shown]
        out.append(tabulate(rows, headers=["events", "item", "recipient", "purpose", "deciding clause",
                                           "consent?", "closest clause", "seen", "samples"],
                            tablefmt="simple", disable_numparse=True))
        if len(shown) < len(findings):
            out.append(f"  … {len(findings) - len(shown)} more findings (--top 0 shows all; JSON and CSV have all)")
    if result.input_errors:
        out.append("")
        out.append(f"input errors: {result.errors}")
        shown_errors = result.input_errors if not top else result.input_errors[:ERRORS_SHOWN]
        for e in shown_errors:
            eid = f" [{e.event_id}]" if e.event_id else ""
            fld = f" (field {e.field})" if e.field else ""
            out.append(f"  {e.file} {e.unit} {e.row}{eid}: {e.code} {e.message}{fld}")
        if len(shown_errors) < len(result.input_errors):
            out.append(f"  … {len(result.input_errors) - len(shown_errors)} more (JSON and CSV list all)")
    return "\n".join(out) + "\n"


def _by_coop(findings) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.coop, []).append(f)
    return out


def _consent(f: Finding) -> str:
    if f.consent_would_permit == 0:
        return "no"
    if f.consent_would_permit == f.events:
        return "yes"
    return f"{f.consent_would_permit}/{f.events}"


def _seen(f: Finding) -> str:
    if f.first is None:
        return "—"
    a, b = f.first.strftime("%Y-%m-%d"), f.last.strftime("%Y-%m-%d")
    return a if a == b else f"{a}…{b}"


# ---- HTML ----------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans CJK JP",sans-serif;margin:0;
color:#1d2430;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0 0}
h2{font-size:1.2rem;margin:2rem 0 .4rem;border-bottom:2px solid #d0d5dd;padding-bottom:.2rem}
p.files{color:#566;margin:.3rem 0 1rem;word-break:break-all}
table{border-collapse:collapse;background:#fff;font-size:.85rem;margin:.4rem 0}
th,td{border:1px solid #d9dde3;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#eef1f5}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
table.summary td.n{font-weight:600}
tr.deny td.n{color:#a4161a}
tr.error td.n{color:#9a6700}
tr.permit td.n{color:#1a7f37}
.scroll{overflow-x:auto}
figure{margin:.5rem 0}
figcaption{font-size:.8rem;color:#566}
svg{background:#fff;border:1px solid #d9dde3;max-width:100%;height:auto}
rect.bar{fill:#c9302c}
text{font-size:10px;fill:#566}
.more{color:#566;font-size:.85rem}
.t{white-space:nowrap}
td.ids{font-size:.78rem;color:#445}
"""


def render_html(result: AuditResult, top: int = 200) -> str:
    """The HTML summary: the counts, then per co-op a chart of denied events per day (where
    the log has times) and a table of findings, then the input errors. No script, no link."""
    e = escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8" />',
             '<meta name="viewport" content="width=device-width, initial-scale=1" />',
             "<title>coopcheck audit</title>", f"<style>{STYLE}</style>", "</head>", "<body>", "<main>",
             "<h1>Audit of logged data flows</h1>",
             f'<p class="files">{e(", ".join(result.files))}</p>',
             '<table class="summary">',
             f'<tr><th>events</th><td class="n">{result.events}</td></tr>',
             f'<tr><th>distinct cases</th><td class="n">{result.distinct_cases}</td></tr>',
             f'<tr class="permit"><th>permitted</th><td class="n">{result.permitted}</td></tr>',
             f'<tr class="deny"><th>denied</th><td class="n">{result.denied}</td></tr>',
             f'<tr class="error"><th>input errors</th><td class="n">{result.errors}</td></tr>',
             f'<tr><th>denied items (findings)</th><td class="n">{result.violations} '
             f"({len(result.findings)})</td></tr>",
             "</table>"]
    days = sorted({d for per in result.daily.values() for d in per})
    span = (days[0], days[-1]) if days else None
    by_coop = _by_coop(result.findings)
    if by_coop:
        parts.append('<p class="more">Co-ops with denied events: '
                     + ", ".join(f'<a href="#coop-{e(c)}">{e(c)}</a>' for c in by_coop) + "</p>")
    for coop, findings in by_coop.items():
        name = result.coop_names.get(coop)
        denied_events = sum(result.daily.get(coop, {}).values())
        parts.append(f'<section id="coop-{e(coop)}">')
        parts.append(f"<h2>{e(coop)}{' — ' + e(name) if name else ''}</h2>")
        parts.append(f'<p class="more">{len(findings)} findings, {sum(f.events for f in findings)} denied items'
                     + (f", {denied_events} denied events with a time" if denied_events else "") + "</p>")
        if span and result.daily.get(coop):
            parts.append(_chart(result.daily[coop], span, coop))
        shown = findings if not top else findings[:top]
        parts.append('<div class="scroll"><table>')
        parts.append('<tr><th class="n">events</th><th>item</th><th>recipient</th><th>purpose</th>'
                     "<th>deciding clause</th><th>consent would permit</th><th>closest clause</th>"
                     "<th>first seen</th><th>last seen</th><th>sample events</th></tr>")
        for f in shown:
            parts.append(
                f'<tr><td class="n">{f.events}</td><td>{e(f.item)}</td><td>{e(f.recipient or "—")}</td>'
                f"<td>{e(f.purpose)}</td><td>{e(f.clause or NO_BASIS)}</td><td>{e(_consent(f))}</td>"
                f"<td>{e(f.closest or '—')}</td><td class=\"t\">{e(_minute(f.first))}</td>"
                f"<td class=\"t\">{e(_minute(f.last))}</td><td class=\"ids\">{e(', '.join(f.samples))}</td></tr>")
        parts.append("</table></div>")
        if len(shown) < len(findings):
            parts.append(f'<p class="more">… {len(findings) - len(shown)} more findings in the JSON, CSV or '
                         "Parquet output.</p>")
        parts.append("</section>")
    if result.input_errors:
        parts.append('<section id="errors">')
        parts.append(f"<h2>Input errors ({result.errors})</h2>")
        shown_errors = result.input_errors if not top else result.input_errors[:top]
        parts.append('<div class="scroll"><table>')
        parts.append("<tr><th>file</th><th>row / line</th><th>event</th><th>code</th><th>message</th>"
                     "<th>field</th></tr>")
        for x in shown_errors:
            parts.append(f"<tr><td>{e(x.file)}</td><td>{x.unit} {x.row}</td><td>{e(x.event_id or '—')}</td>"
                         f"<td>{e(x.code)}</td><td>{e(x.message)}</td><td>{e(x.field or '—')}</td></tr>")
        parts.append("</table></div>")
        if len(shown_errors) < len(result.input_errors):
            parts.append(f'<p class="more">… {len(result.input_errors) - len(shown_errors)} more in the JSON, CSV '
                         "or Parquet output.</p>")
        parts.append("</section>")
    parts.extend(["</main>", "</body>", "</html>"])
    return "\n".join(parts) + "\n"


def _minute(t: datetime | None) -> str:
    return "—" if t is None else t.strftime("%Y-%m-%d %H:%M")


def _chart(per_day: dict[date, int], span: tuple[date, date], coop: str) -> str:
    """An inline SVG bar chart of denied events per day over ``span`` (the same for every co-op)."""
    first, last = span
    n = (last - first).days + 1
    width, height, left, bottom, top_pad = 720, 150, 40, 22, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    peak = max(per_day.values()) or 1
    bar = plot_w / n
    out = [f'<figure><svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label="denied events per day, {escape(coop)}">']
    out.append(f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" y2="{top_pad + plot_h}" stroke="#99a" />')
    out.append(f'<text x="{left - 4}" y="{top_pad + 8}" text-anchor="end">{peak}</text>')
    out.append(f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end">0</text>')
    for i in range(n):
        d = first + timedelta(days=i)
        v = per_day.get(d, 0)
        if not v:
            continue
        h = max(1.0, v / peak * plot_h)
        x = left + i * bar
        out.append(f'<rect class="bar" x="{x + bar * 0.1:.1f}" y="{top_pad + plot_h - h:.1f}" width="{bar * 0.8:.1f}" '
                   f'height="{h:.1f}"><title>{d.isoformat()}: {v}</title></rect>')
    out.append(f'<text x="{left}" y="{height - 6}">{first.isoformat()}</text>')
    out.append(f'<text x="{width - 10}" y="{height - 6}" text-anchor="end">{last.isoformat()}</text>')
    out.append("</svg><figcaption>Denied events per day (UTC)</figcaption></figure>")
    return "".join(out)
