"""``coopcheck audit``: a generated log with known violations, audited in every input format.

The reference is ``coopcheck check --json`` run in-process on the same events (their scenario
fields, one JSON line each): the audit must deny exactly the events it denies, group them as
findings by co-op, deciding clause (or missing basis), item, recipient and purpose, list
exactly the events it cannot decide (with the same code and row), and its counts must add up.
Then: exit codes, the output formats, the HTML summary (parsed, and in headless Chromium when
one is installed), the progress bar's silence off a terminal, and a run on a local Dask
cluster with two workers that must equal the run on one machine exactly.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

pl = pytest.importorskip("polars")
pytest.importorskip("pyarrow")

from coopcheck.audit.generate import event_id, write_log  # noqa: E402
from coopcheck.audit.output import (TABLE_COLUMNS, parquet_bytes, render_csv, render_html, render_json,  # noqa: E402
                                    render_text, to_json)
from coopcheck.audit.progress import Progress  # noqa: E402
from coopcheck.audit.run import audit, policy_set  # noqa: E402
from coopcheck.cli.main import main  # noqa: E402

EVENTS = 3000
SEED = 424242
FORMATS = ("jsonl", "csv", "parquet")
#: small partitions, so every format is read in several parts (and JSON Lines in byte ranges)
PART_ROWS = 700


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    """The same generated events as JSON Lines, CSV and Parquet (row groups of 500)."""
    folder = tmp_path_factory.mktemp("audit-logs")
    out = {}
    for fmt in FORMATS:
        out[fmt] = folder / f"log.{fmt}"
        n = write_log(out[fmt], EVENTS, cases=300, seed=SEED, bad=0.02, row_group=500)
        assert n == EVENTS
    return out


@pytest.fixture(scope="module")
def policies():
    """One set of compiled policies for the module's audits (their decisions stay warm)."""
    return policy_set()


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def expected(logs, tmp_path_factory) -> dict:
    """What ``check --json`` says of each event of the log: decisions by line, errors by line."""
    folder = tmp_path_factory.mktemp("audit-check")
    scenarios = folder / "scenarios.jsonl"
    events = [json.loads(line) for line in logs["jsonl"].read_text(encoding="utf-8").splitlines()]
    with open(scenarios, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps({k: v for k, v in e.items() if k not in ("event_id", "time", "channel")},
                               ensure_ascii=False) + "\n")
    code, out = _run(["check", "--json", str(scenarios)])
    assert code == 2  # the log has bad rows
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == EVENTS
    decisions, errors = {}, {}
    for line, answer in enumerate(answers, 1):
        if "error" in answer:
            assert answer["error"]["line"] == line
            errors[line] = answer["error"]["code"]
        else:
            decisions[line] = answer
    times = {i: datetime.fromisoformat(e["time"].replace("Z", "")) for i, e in enumerate(events, 1)}
    groups: dict = defaultdict(lambda: {"events": 0, "rows": [], "consent": 0})
    for line, d in decisions.items():
        if d["decision"] != "deny":
            continue
        for item in d["items"]:
            if item["decision"] != "deny":
                continue
            key = (d["coop"], " / ".join(item["citations"]) or None, item["item"], d["scenario"]["recipient"],
                   d["scenario"]["purpose"])
            g = groups[key]
            g["events"] += 1
            g["rows"].append(line)
            g["consent"] += bool(d["would_permit_with_consent"])
    findings = {key: {"events": g["events"], "consent": g["consent"],
                      "samples": [event_id(r - 1) for r in sorted(g["rows"])[:3]],
                      "first": min(times[r] for r in g["rows"]), "last": max(times[r] for r in g["rows"])}
                for key, g in groups.items()}
    return {"decisions": decisions, "errors": errors, "findings": findings,
            "denied": {line for line, d in decisions.items() if d["decision"] == "deny"},
            "permitted": {line for line, d in decisions.items() if d["decision"] == "permit"}}


@pytest.fixture(scope="module")
def results(logs, policies) -> dict:
    """The audit of each format, with every event's decision kept."""
    return {fmt: audit([str(logs[fmt])], policies=policies, part_rows=PART_ROWS, keep_events=True)
            for fmt in FORMATS}


def test_the_log_has_known_violations_and_bad_rows(expected):
    """The generated log is a fair test: denials, permits and input errors of several kinds."""
    assert len(expected["denied"]) > 300 and len(expected["permitted"]) > 300
    assert len(expected["errors"]) >= 20
    assert {"E402", "E403"} <= set(expected["errors"].values())


@pytest.mark.parametrize("fmt", FORMATS)
def test_audit_denies_exactly_what_check_denies(fmt, results, expected):
    """Per event: the audit's denied, permitted and error events are check's, errors with
    the same code; the summary counts add up."""
    r = results[fmt]
    events = r.frame.sort("row")
    assert events.height == EVENTS
    by = {d: set(events.filter(pl.col("decision") == d).get_column("row").to_list())
          for d in ("deny", "permit", "error")}
    assert by["deny"] == expected["denied"]
    assert by["permit"] == expected["permitted"]
    assert by["error"] == set(expected["errors"])
    codes = dict(events.filter(pl.col("decision") == "error").select("row", "code").iter_rows())
    assert codes == expected["errors"]
    assert (r.events, r.denied, r.permitted, r.errors) == (
        EVENTS, len(expected["denied"]), len(expected["permitted"]), len(expected["errors"]))
    assert r.permitted + r.denied + r.errors == r.events
    assert r.distinct_cases <= 300


@pytest.mark.parametrize("fmt", FORMATS)
def test_findings_group_the_denied_events(fmt, results, expected):
    """Findings: one per (co-op, deciding clause or missing basis, item, recipient, purpose),
    with the count, first and last time, the first sample events and how many consent would
    have made lawful — exactly as computed from check's decisions."""
    r = results[fmt]
    got = {(f.coop, f.clause, f.item, f.recipient, f.purpose):
           {"events": f.events, "consent": f.consent_would_permit, "samples": list(f.samples),
            "first": f.first, "last": f.last} for f in r.findings}
    assert len(got) == len(r.findings)
    assert got == expected["findings"]
    assert r.violations == sum(g["events"] for g in expected["findings"].values())
    assert any(f.clause is None for f in r.findings) and any(f.clause for f in r.findings)
    assert all(f.closest for f in r.findings if f.clause)  # a bar's clause is its own closest


def test_bad_rows_are_listed_with_their_row(results, expected):
    """Every event that cannot be decided is an input error with its row (line in JSON
    Lines) and event id — none dropped, none counted as permitted."""
    for fmt in FORMATS:
        r = results[fmt]
        listed = {e.row: e for e in r.input_errors}
        assert set(listed) == set(expected["errors"])
        assert len(r.input_errors) == r.errors
        for row, e in listed.items():
            assert e.code == expected["errors"][row]
            assert e.event_id == event_id(row - 1)
            assert e.unit == ("line" if fmt == "jsonl" else "row")
            assert e.file.endswith(f"log.{fmt}")


def test_formats_give_the_same_audit(results):
    """JSON Lines, CSV (data as `name,address` / `氏名、住所` strings) and Parquet (list
    column) give the same findings and counts."""
    base = to_json(results["parquet"])
    for fmt in ("jsonl", "csv"):
        other = to_json(results[fmt])
        assert {k: v for k, v in other["summary"].items() if k != "files"} == \
            {k: v for k, v in base["summary"].items() if k != "files"}
        assert other["findings"] == base["findings"]
        assert other["denied_per_day"] == base["denied_per_day"]


def test_lines_that_are_not_events(tmp_path, policies):
    """A line that is not JSON, one that is not an object, a blank line: the others are still
    decided, each bad line is an error with its own line number."""
    log = tmp_path / "mixed.jsonl"
    good = {"event_id": "a", "coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"}
    denied = {"event_id": "b", "coop": "コープあいづ", "action": "share", "data": "purchase_history",
              "recipient": "coop_kyosai", "purpose": "delivery", "time": "2026-11-03T10:00:00+09:00"}
    log.write_text("\n".join([json.dumps(good), "", "{not json", "[1, 2]", json.dumps(denied, ensure_ascii=False),
                              json.dumps({**good, "event_id": "c", "consent": "yes"})]) + "\n", encoding="utf-8")
    r = audit([str(log)], policies=policies)
    assert (r.events, r.permitted, r.denied, r.errors) == (5, 1, 1, 3)
    assert [(e.row, e.code) for e in r.input_errors] == [(3, "E406"), (4, "E404"), (6, "E404")]
    (f,) = r.findings
    assert (f.coop, f.item, f.recipient, f.purpose, f.samples) == ("aizu", "purchase_history", "coop_kyosai",
                                                                   "delivery", ("b",))
    assert f.first == datetime(2026, 11, 3, 1, 0)  # an offset is read as UTC


def test_jsonl_block_and_line_readers_agree(logs, policies):
    """A JSON Lines block is read by PyArrow when its types are uniform, else line by line:
    both give the same events, cases, counts, times and rows."""
    from coopcheck.audit.jsonl import read_jsonl_fast
    from coopcheck.audit.logs import plan
    from coopcheck.audit.rows import read_jsonl_lines
    from coopcheck.audit.scan import scan_chunk

    parts = plan([str(logs["jsonl"])], part_rows=PART_ROWS)
    assert len(parts) > 2
    raw = logs["jsonl"].read_bytes()
    for part in parts:
        data = raw[part.start:part.stop]
        sources = {t: s for t, s in part.columns if s}
        fast, slow = read_jsonl_fast(part, data, sources), read_jsonl_lines(part, data, sources)
        assert fast is not None  # the generated log's types are uniform
        assert fast.frame.drop("__case").equals(slow.frame.drop("__case"))

        def by_case(chunk):
            result = scan_chunk(chunk, policies)
            return {k: (st.events, st.first, st.last, st.samples) for k, st in result.cases.items()}

        assert by_case(fast) == by_case(slow)


def test_csv_rows_that_are_not_events(tmp_path, policies):
    """A CSV row with more fields than the header, and a quote left open (which runs to the end
    of the file), are input errors with their own row; the other rows are still decided (Polars
    refused the whole file: the audit stopped with a traceback)."""
    log = tmp_path / "mixed.csv"
    log.write_text("event_id,coop,action,data,recipient,purpose\n"
                   "a,aizu,use,name,,delivery\n"
                   "b,aizu,use,name,,delivery,extra\n"
                   "c,aizu,share,purchase_history,coop_kyosai,delivery\n"
                   "d,aizu,use,\"name,,delivery\n"
                   "e,aizu,use,name,,delivery\n", encoding="utf-8")
    r = audit([str(log)], policies=policies)
    assert (r.events, r.permitted, r.denied, r.errors) == (4, 1, 1, 2)
    assert [(e.row, e.code) for e in r.input_errors] == [(2, "E406"), (4, "E406")]
    assert "7 fields where the header has 6" in r.input_errors[0].message


def test_csv_whole_and_row_readers_agree(logs, policies, monkeypatch):
    """A CSV log Polars reads whole and the same log read row by row (the reader for logs
    Polars refuses) give the same audit."""
    import polars as pl

    whole = audit([str(logs["csv"])], policies=policies, keep_events=True)

    def refuse(*args, **kwargs):
        raise pl.exceptions.ComputeError("as if a row were ragged")

    monkeypatch.setattr(pl, "read_csv", refuse)
    by_row = audit([str(logs["csv"])], policies=policies, keep_events=True)
    assert (by_row.events, by_row.permitted, by_row.denied, by_row.errors) == \
        (whole.events, whole.permitted, whole.denied, whole.errors)
    assert [(e.row, e.code, e.message) for e in by_row.input_errors] == \
        [(e.row, e.code, e.message) for e in whole.input_errors]
    assert by_row.findings == whole.findings
    columns = ["row", "event_id", "coop", "decision", "code"]
    assert by_row.frame.sort("row").select(columns).equals(whole.frame.sort("row").select(columns))


def test_a_damaged_parquet_page_is_one_clear_error(tmp_path, cli):
    """A Parquet file whose footer is sound but one of whose pages is damaged is refused with
    one line naming the file and its rows (exit 2); Polars' error surfaced as a traceback."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from coopcheck.audit.logs import LogError

    path = tmp_path / "damaged.parquet"
    pq.write_table(pa.table({"coop": ["aizu"] * 3, "action": ["use"] * 3, "data": ["name"] * 3,
                             "purpose": ["delivery"] * 3}), path, compression="none", use_dictionary=False)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"delivery")
    raw[at - 4:at] = (1 << 30).to_bytes(4, "little")  # the value's length, far past its page
    path.write_bytes(bytes(raw))
    with pytest.raises(LogError, match="damaged.parquet"):
        audit([str(path)])
    code, out, err = cli("audit", str(path))
    assert code == 2 and "Traceback" not in err
    assert err.strip().count("\n") == 0 and "cannot read rows 1–3 of" in err


def test_hashed_and_exact_case_numbers_agree(logs, monkeypatch):
    """Cases are numbered by a hash of their fields, checked by a second hash; the exact
    numbering (grouping on the columns themselves, used when the check finds a collision)
    gives the same partition of the events into cases."""
    import polars as pl

    from coopcheck.audit.logs import FIELDS, case_numbers

    frame = pl.read_parquet(logs["parquet"], columns=list(FIELDS))
    hashed, hashed_ids, hashed_firsts = case_numbers(frame)
    exact, exact_ids, exact_firsts = case_numbers(frame, force_exact=True)
    assert len(hashed_ids) == len(exact_ids) == frame.unique().height > 100
    assert sorted(hashed_firsts) == sorted(exact_firsts)  # the same first event of each case
    pairs = pl.DataFrame({"h": hashed, "e": exact}).unique()
    assert pairs.height == len(hashed_ids)  # each hashed number is exactly one exact number
    # a first hash that collides (here: every case gets the same one) is caught by the second,
    # and the exact numbering takes over
    from coopcheck.audit import logs as logs_module

    honest = logs_module._case_hashes
    monkeypatch.setattr(logs_module, "_case_hashes",
                        lambda keyed: honest(keyed).with_columns(pl.lit(7, dtype=pl.UInt64).alias("__case")))
    collided, collided_ids, _ = case_numbers(frame)
    assert collided.equals(exact) and collided_ids == exact_ids


def test_a_folder_is_its_log_files(logs, tmp_path, policies):
    """A folder (a partitioned dataset) is audited as the log files under it, in name order;
    rows keep their own file."""
    folder = tmp_path / "flows" / "month=11"
    folder.mkdir(parents=True)
    (folder / "part-0.parquet").write_bytes(logs["parquet"].read_bytes())
    (folder / "part-1.jsonl").write_bytes(logs["jsonl"].read_bytes())
    (folder / "_SUCCESS").write_text("")
    both = audit([str(tmp_path / "flows")], policies=policies)
    one = audit([str(logs["parquet"])], policies=policies)
    assert both.files == (str(folder / "part-0.parquet"), str(folder / "part-1.jsonl"))
    assert (both.events, both.denied, both.errors) == (2 * one.events, 2 * one.denied, 2 * one.errors)
    assert [e.unit for e in both.input_errors] == ["row"] * one.errors + ["line"] * one.errors


def test_exit_codes(tmp_path, cli):
    """0 nothing denied, 1 something denied, 2 input errors (or an unusable log)."""
    permit = {"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"}
    deny = {"coop": "aizu", "action": "share", "data": ["purchase_history"], "recipient": "coop_kyosai",
            "purpose": "delivery"}
    bad = {"coop": "aizu", "action": "use", "data": ["no_such_item"], "purpose": "delivery"}
    cases = {"ok.jsonl": ([permit], 0), "deny.jsonl": ([permit, deny], 1), "bad.jsonl": ([permit, deny, bad], 2)}
    for name, (events, want) in cases.items():
        path = tmp_path / name
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        code, out, err = cli("audit", str(path))
        assert code == want, (name, out, err)
        assert f"events          {len(events)}" in out
        assert err == ""  # no progress bar off a terminal
    code, out, err = cli("audit", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "no such file" in err
    code, out, err = cli("audit", "--map", "colour=x", str(tmp_path / "ok.jsonl"))
    assert code == 2 and "unknown field `colour`" in err
    code, out, err = cli("audit", "--coop", "nowhere", str(tmp_path / "ok.jsonl"))
    assert code == 2 and "unknown co-op" in err


def test_map_and_default_coop(logs, tmp_path, cli):
    """--map reads scenario fields, event ids and times from the log's own column names;
    --coop decides the events that name no co-op."""
    text = logs["csv"].read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    renamed = header.replace("event_id", "uuid").replace("time", "at").replace("action", "verb") \
        .replace("data", "items")
    (tmp_path / "renamed.csv").write_text(renamed + "\n" + rest, encoding="utf-8")
    code, base, _ = cli("audit", "--format", "json", str(logs["csv"]))
    code2, mapped, err = cli("audit", "--format", "json", "--map", "event_id=uuid", "--map", "time=at",
                             "--map", "action=verb,data=items", str(tmp_path / "renamed.csv"))
    assert code == code2 == 2, err
    a, b = json.loads(base), json.loads(mapped)
    assert a["findings"] == b["findings"] and a["denied_per_day"] == b["denied_per_day"]
    assert [e["row"] for e in a["errors"]] == [e["row"] for e in b["errors"]]
    code, out, err = cli("audit", "--map", "purpose=why", str(logs["csv"]))
    assert code == 2 and "no column `why`" in err
    no_coop = tmp_path / "no_coop.csv"
    no_coop.write_text("action,data,purpose\nuse,name,delivery\nuse,購買履歴、氏名,delivery\n", encoding="utf-8")
    code, out, err = cli("audit", str(no_coop))
    assert code == 2 and "missing field `coop`" in out
    code, out, err = cli("audit", "--coop", "コープあいづ", "--format", "json", str(no_coop))
    assert code == 0, out
    assert json.loads(out)["summary"]["permitted"] == 2


def test_output_formats(results, tmp_path, cli, logs):
    """JSON holds everything; CSV and Parquet are the table of findings and errors."""
    r = results["parquet"]
    data = json.loads(render_json(r))
    s = data["summary"]
    assert s["events"] == s["permitted"] + s["denied"] + s["errors"]
    assert len(data["findings"]) == s["findings"] and len(data["errors"]) == s["errors"]
    assert sum(f["events"] for f in data["findings"]) == s["violations"]
    assert all("row" in e and "line" not in e for e in data["errors"])
    assert all("line" in e for e in json.loads(render_json(results["jsonl"]))["errors"])
    assert sum(sum(days.values()) for days in data["denied_per_day"].values()) == s["denied"]
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    assert tuple(rows[0]) == TABLE_COLUMNS
    assert Counter(row["kind"] for row in rows) == {"finding": len(r.findings), "error": r.errors}
    table = pl.read_parquet(io.BytesIO(parquet_bytes(r)))
    assert table.height == len(r.findings) + r.errors
    assert table.filter(pl.col("kind") == "finding").get_column("events").sum() == r.violations
    assert table.schema["sample_event_ids"] == pl.List(pl.String)
    text = render_text(r)
    assert f"permitted       {r.permitted}" in text and "input errors" in text
    out = tmp_path / "audit.parquet"
    events = tmp_path / "events.csv"
    code, stdout, err = cli("audit", "--out", str(out), "--events", str(events), str(logs["parquet"]))
    assert code == 2 and stdout == "" and f"{r.events} events" in err
    assert pl.read_parquet(out).height == table.height
    assert pl.read_csv(events).height == EVENTS


def _parse_html(page: str) -> ET.Element:
    """The page as a tree; it must be well-formed (as XML: every tag closed, attributes quoted)."""
    assert page.startswith("<!DOCTYPE html>")
    return ET.fromstring(page.removeprefix("<!DOCTYPE html>"))


def test_html_summary_is_valid_and_self_contained(results):
    """The HTML parses, has a table and a chart per co-op with denied events, the input
    errors, no script and nothing to load."""
    r = results["parquet"]
    page = render_html(r)
    root = _parse_html(page)
    assert root.tag == "html"
    tags = Counter(el.tag for el in root.iter())
    assert tags["script"] == 0 and tags["img"] == 0 and tags["link"] == 0 and tags["iframe"] == 0
    for el in root.iter():
        for name, value in el.attrib.items():
            assert not name.startswith("on"), f"event handler {name}"
            if name in ("href", "src"):
                assert value.startswith("#"), value
    assert "http://" not in page and "https://" not in page and "url(" not in page
    sections = [s for s in root.iter("section") if s.get("id", "").startswith("coop-")]
    assert {s.get("id")[5:] for s in sections} == {f.coop for f in r.findings}
    for s in sections:
        assert len(list(s.iter("table"))) == 1
        assert len(list(s.iter("svg"))) == 1 and list(s.iter("rect"))
    errors = root.find(".//section[@id='errors']")
    assert errors is not None and str(r.errors) in "".join(errors.itertext())


def test_html_summary_in_chromium(results, tmp_path):
    """The page in headless Chromium (where one is installed): a screenshot that is not blank."""
    from test_report_browser import colour_stats, find_browser, read_png, screenshot_command

    if find_browser() is None:
        pytest.skip("no Chromium on PATH (chromium, chromium-browser or google-chrome)")
    page = tmp_path / "audit.html"
    page.write_text(render_html(results["parquet"]), encoding="utf-8")
    target = tmp_path / "audit.png"
    proc = subprocess.run(screenshot_command(page, (1280, 900), target, tmp_path / "profile"),
                          capture_output=True, text=True, timeout=120)
    assert target.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    width, height, rows = read_png(target, max_rows=200)
    assert (width, height) == (1280, 900)
    colours, ink = colour_stats(rows, len(rows[0]) // width)
    assert colours >= 32 and ink >= 0.02


def test_progress_bar(logs, policies):
    """On a terminal the bar shows events/s and the time left; off one it draws nothing."""
    stream = io.StringIO()
    with Progress(enabled=True, stream=stream) as bar:
        audit([str(logs["parquet"])], policies=policies, part_rows=PART_ROWS, progress=bar.advance,
              on_plan=bar.total)
    drawn = stream.getvalue()
    assert "events/s" in drawn and f"{EVENTS}/{EVENTS}" in drawn
    quiet = io.StringIO()
    with Progress(stream=quiet) as bar:  # a StringIO is not a terminal
        bar.total(10)
        bar.advance(10)
    assert quiet.getvalue() == ""


def test_generator_is_seeded_and_zipf_like(tmp_path, logs):
    """The same seed writes the same log; cases recur with a long-tailed frequency; bad rows
    are a small share; times cover the month."""
    again = tmp_path / "again.jsonl"
    write_log(again, EVENTS, cases=300, seed=SEED, bad=0.02, row_group=500)
    assert again.read_bytes() == logs["jsonl"].read_bytes()
    events = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    counts = Counter(json.dumps({k: v for k, v in e.items() if k not in ("event_id", "time", "channel")},
                                sort_keys=True) for e in events).most_common()
    assert counts[0][1] >= 10 * counts[len(counts) // 2][1]
    days = {e["time"][:10] for e in events}
    assert len(days) == 30
    table = pl.read_parquet(logs["parquet"])
    assert table.schema["data"] == pl.List(pl.String) and table.schema["consent"] == pl.Boolean


def test_dask_equals_one_machine(logs, policies):
    """Two Dask workers (in this process, on 127.0.0.1) over the partitioned Parquet and JSON
    Lines logs find exactly what one machine finds."""
    pytest.importorskip("distributed")
    from distributed import Client

    from coopcheck.audit.cluster import local_cluster

    with local_cluster(2, processes=False, memory_limit="1GiB") as cluster, Client(cluster, timeout="30s") as client:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert len(client.scheduler_info()["workers"]) == 2
        for fmt in ("parquet", "jsonl"):
            local = audit([str(logs[fmt])], policies=policies, part_rows=PART_ROWS)
            spread = audit([str(logs[fmt])], policies=policies, part_rows=400, dask=client, timeout=120)
            assert to_json(spread) == to_json(local)


def test_a_log_with_no_scenario_column_is_all_input_errors(tmp_path, policies):
    """A log whose columns hold none of the scenario fields still has events: each one is an
    input error (no co-op), counted and listed, none dropped and none permitted."""
    import polars as pl

    path = tmp_path / "other.parquet"
    pl.DataFrame({"event_id": ["a", "b", "c"], "note": ["x", "y", "z"]}).write_parquet(path)
    r = audit([str(path)], policies=policies)
    assert (r.events, r.permitted, r.denied, r.errors, r.distinct_cases) == (3, 0, 0, 3, 1)
    assert [(e.row, e.event_id, e.code) for e in r.input_errors] == [(1, "a", "E403"), (2, "b", "E403"),
                                                                     (3, "c", "E403")]
