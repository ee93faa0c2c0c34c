"""Lines the fuzz campaign's service and audit routes found read differently by different
entry points: each is now refused (or decided) alike by ``check --json``, the audit and the
service (docs/input.md)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("polars")
pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from coopcheck.audit.run import audit  # noqa: E402
from coopcheck.serve.app import ServeConfig, create_app  # noqa: E402

BASE = '"action": "use", "data": ["name"], "purpose": "delivery"'
#: (line, the error code every entry point gives, or None for a decision)
LINES = [
    ('{"coop": "aizu", %s}' % BASE, None),
    ('{"coop": "aizus", %s}' % BASE, "E402"),  # a plural co-op name is not a name
    ('{"coop": "\\t", %s}' % BASE, "E404"),  # a blank co-op is the wrong type of value
    ('{"coop": "aizu", %s, "consent": NaN}' % BASE, "E406"),  # NaN is not JSON
    ('{"coop": "aizu", %s, "n": %s}' % (BASE, "9" * 5000), "E406"),  # an integer too long to read
    ("not json", "E406"),
    # nested 5 000 deep: PyArrow's JSON reader (the audit's fast path) died of it (SIGSEGV);
    # every entry point refuses it as not readable JSON
    ('{"coop": "aizu", %s, "x": %s}' % (BASE, "[" * 5000 + "]" * 5000), "E406"),
    # PyArrow's JSON reader read a `null` line as an event with no fields (E403 in the audit)
    ("null", "E404"),
    ("  null\r", "E404"),
]


def _code(answer: dict) -> str | None:
    return answer["error"]["code"] if "error" in answer else None


def test_check_json_reads_each_line_as_documented(cli):
    code, out, _ = cli("check", "--json", "-", stdin="\n".join(line for line, _ in LINES))
    answers = [json.loads(x) for x in out.splitlines()]
    assert [_code(a) for a in answers] == [c for _, c in LINES]


def test_the_service_reads_each_line_alike():
    client = TestClient(create_app(ServeConfig()))
    for line, expected in LINES:
        response = client.post("/v1/decide", content=line.encode(), headers={"content-type": "application/json"})
        assert _code(response.json()) == expected, line[:60]


def test_the_audit_reads_each_event_alike(tmp_path):
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(line for line, _ in LINES) + "\n", encoding="utf-8")
    result = audit([str(log)], keep_events=True)
    rows = result.frame.sort("row")
    assert rows.get_column("code").to_list() == [c for _, c in LINES]
    assert rows.get_column("decision").to_list()[0] == "permit"


@pytest.mark.parametrize("at", [0, 25, 50])
def test_the_audit_survives_a_deeply_nested_event_among_good_ones(tmp_path, at):
    """A log whose lines are all JSON objects goes to PyArrow's reader, which died (SIGSEGV) on a
    line nested ~1 000 deep; the audit must refuse that event (E406) and decide the rest. Run in
    a child process, so a crash is a failed test, not a lost test run."""
    import subprocess
    import sys

    good = '{"event_id": "e%d", "coop": "aizu", %s}'
    lines = [good % (i, BASE) for i in range(50)]
    lines.insert(at, '{"event_id": "deep", "coop": "aizu", %s, "x": %s}' % (BASE, "[" * 3000 + "]" * 3000))
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    probe = ("import sys; from coopcheck.audit.run import audit; r = audit([sys.argv[1]]); "
             "print(r.events, r.permitted, r.errors)")
    done = subprocess.run([sys.executable, "-c", probe, str(log)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the audit died (exit {done.returncode}): {done.stderr[-500:]}"
    assert done.stdout.split() == ["51", "50", "1"]


@pytest.mark.parametrize("at", [0, 10])
@pytest.mark.parametrize("null", ["null", " null", "null\r"])
def test_a_null_line_among_events_is_refused_and_the_audit_survives(tmp_path, null, at):
    """A log whose other lines are all JSON objects goes to PyArrow's JSON reader, which read a
    ``null`` line as an event with no fields (E403, where every other reader says E404) and, on
    a block whose first line is ``null``, died (SIGSEGV in libarrow 26.0; found by the fuzz
    campaign's audit route). The audit must refuse that line (E404) and decide the rest. Run in
    a child process, so a crash is a failed test."""
    import subprocess
    import sys

    lines = ['{"event_id": "e%d", "coop": "aizu", %s}' % (i, BASE) for i in range(20)]
    lines.insert(at, null)
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    probe = ("import sys; from coopcheck.audit.run import audit; r = audit([sys.argv[1]], keep_events=True); "
             "row = r.frame.filter(r.frame['row'] == int(sys.argv[2])); "
             "print(r.events, r.permitted, r.errors, row.get_column('code').to_list())")
    done = subprocess.run([sys.executable, "-c", probe, str(log), str(at + 1)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"the audit died (exit {done.returncode}): {done.stderr[-500:]}"
    assert done.stdout.split() == ["21", "20", "1", "['E404']"]
