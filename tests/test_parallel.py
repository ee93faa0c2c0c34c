"""``check --json --jobs N`` (coopcheck.cli.parallel): the same bytes and exit code as one
process, on JSON Lines and on the inputs it leaves to one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.golden import scenarios as golden_scenarios


def _run(path, *extra, encoding: str | None = None) -> tuple[int, bytes, bytes]:
    env = None if encoding is None else {**os.environ, "PYTHONIOENCODING": encoding}
    done = subprocess.run([sys.executable, "-m", "coopcheck", "check", "--json", str(path), *extra],
                          capture_output=True, timeout=300, env=env)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    """5 000 seeded golden lines (errors among them), with blank lines and a CRLF."""
    lines = [json.dumps(s, ensure_ascii=False) for s in golden_scenarios(5000, 7)]
    lines[10] = ""
    lines[20] += "\r"
    lines[30] = '{"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery", "consent": NaN}'
    lines[40] = '{"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery", "\\ud800": 1}'
    path = tmp_path_factory.mktemp("jobs") / "stream.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_jobs_answer_json_lines_byte_for_byte_as_one_process(stream, jobs):
    one = _run(stream)
    many = _run(stream, "--jobs", jobs)
    assert many == one
    assert one[0] == 2 and one[1].count(b"\n") > 4900  # errors among them: exit 2, every line answered
    assert b"\\ud800" in one[1]  # a lone surrogate echoed in an error, escaped alike


def test_jobs_answer_as_one_process_on_an_ascii_standard_output(stream):
    """Standard output in another encoding (ASCII: the rest escaped) gets the same bytes too."""
    one = _run(stream, encoding="ascii")
    assert one[1].isascii() and b"\\u" in one[1]
    assert _run(stream, "--jobs", "2", encoding="ascii") == one


def test_jobs_keep_the_fail_on_deny_exit_code(tmp_path):
    path = tmp_path / "denied.jsonl"
    path.write_text("\n".join(json.dumps({"coop": "aizu", "action": "share", "data": ["name"],
                                          "recipient": "unrelated_third_party", "purpose": "delivery"})
                              for _ in range(3000)) + "\n", encoding="utf-8")
    assert _run(path, "--jobs", "2", "--fail-on-deny") == _run(path, "--fail-on-deny")
    assert _run(path, "--jobs", "2", "--fail-on-deny")[0] == 1


@pytest.mark.parametrize("text", [
    '[{"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"}]',  # an array
    '{"coop": "aizu",\n "action": "use", "data": ["name"], "purpose": "delivery"}\n',  # one object, two lines
    "\n\n" + '{"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"}\n',  # blank lines first
])
def test_jobs_leave_other_inputs_to_one_process(tmp_path, text):
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    assert _run(path, "--jobs", "2") == _run(path)


def test_jobs_report_a_bad_byte_after_the_lines_before_it(tmp_path):
    good = json.dumps({"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"})
    path = tmp_path / "bad.jsonl"
    path.write_bytes(("\n".join([good] * 4500) + "\n").encode() + b"\xff\n")
    assert _run(path, "--jobs", "2") == _run(path)
