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
