"""``check --json`` on streams: the quick path (lines read from the decision tables through
line templates) writes exactly what the full path writes, in input order with the error
lines between; input is read a chunk at a time and the answers are flushed before each read,
so a program that writes a scenario and waits for its answer gets it.
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from coopcheck import decide, decision_json, load_policy, shipped_policies
import pytest

from coopcheck.cli.inputs import NotText, Policies, error_object, json_jobs, read_scenarios, stream_scenarios, text_lines

REPO = Path(__file__).resolve().parents[1]


class Trickle(io.RawIOBase):
    """A binary stream that gives its bytes in the given chunk sizes, logging each read."""

    def __init__(self, data: bytes, sizes: list[int], log: list):
        self.data, self.sizes, self.log = data, sizes, log

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        size = self.sizes.pop(0) if self.sizes else len(self.data)
        out, self.data = self.data[:max(1, min(size, n))], self.data[max(1, min(size, n)):]
        self.log.append(("read", len(out)))
        return out


@given(st.lists(st.sampled_from([b"{}", b"", b"\r", b"x", "あ".encode(), b" "]), max_size=30)
       .map(lambda parts: b"\n".join(parts)),
       st.lists(st.integers(1, 7), max_size=40))
def test_text_lines_are_the_lines_of_the_stream(data, sizes):
    """Property: however the bytes arrive (a character split between reads too), the lines
    are those of the text split at ``\n``, and ``waiting`` is called before every read and
    only then."""
    log: list = []
    chunks = list(text_lines(Trickle(data, list(sizes), log), lambda: log.append(("waiting",))))
    want = data.decode("utf-8").split("\n")
    if want[-1] == "":
        want.pop()
    assert [line for chunk in chunks for line in chunk] == want
    assert log[0] == ("waiting",)
    assert all(a == ("waiting",) and b[0] == "read" for a, b in zip(log[::2], log[1::2]))
    assert log[-1] == ("read", 0)


@pytest.mark.parametrize("sizes", [[1000], [3] * 100])
def test_a_stream_answers_the_lines_before_one_that_is_not_text(sizes):
    """The lines before the first bad byte are answered, then the error names that byte,
    whether or not they came in the same read."""
    data = b'{"a": 1}\n\n{"b": 2}\n{"c": "\xff"}\n{"d": 4}\n'
    got = []
    with pytest.raises(NotText) as err:
        for number, obj, _ in stream_scenarios(Trickle(data, list(sizes), [])):
            got.append((number, obj))
    assert got == [(1, {"a": 1}), (3, {"b": 2})]
    assert err.value.start == data.index(b"\xff")


def _expected(text: str, default_coop: str | None = None) -> str:
    """What ``check --json`` writes for a JSON Lines text: each scenario's decisions in full,
    or its error object."""
    out = []
    for job in json_jobs(text, default_coop, Policies()):
        try:
            if job.error is not None:
                raise job.error
            out += [json.dumps(decision_json(decide(rs, job.body)), ensure_ascii=False) for rs in job.rulesets]
        except Exception as err:  # noqa: BLE001 - a CoopcheckError: its error object
            out.append(json.dumps(error_object(err, job.line), ensure_ascii=False))
    return "".join(line + "\n" for line in out)


SCENARIOS = [
    {"coop": "aizu", "action": "share", "data": ["購買履歴"], "recipient": "日本生協連", "purpose": "delivery"},
    {"coop": "aizu", "action": "share", "data": ["purchase_history"], "recipient": "coop_kyosai",
     "purpose": "delivery"},
    {"coop": "AIZU", "action": "use", "data": ["name", "address"], "purpose": "delivery", "consent": True},
    {"coop": "all", "action": "use", "data": ["name"], "purpose": "delivery"},
    {"action": "publish", "data": ["name"], "purpose": "delivery"},
    {"coop": "nara", "action": "collect", "data": ["phone"], "purpose": "survey", "exception": "by_law"},
    {"coop": "aizu", "action": "use", "data": ["no_such_item"], "purpose": "delivery"},
    {"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery", "bogus": 1},
    {"coop": ["aizu"], "action": "use", "data": ["name"], "purpose": "delivery"},
    {"coop": 7, "action": "use", "data": ["name"], "purpose": "delivery"},
    "{broken",
    "[1, 2]",
    '{"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery", "\\ud800": 1}',  # a lone surrogate
]


#: Standard outputs a stream is written to: (name, make one, its text when done). Text streams
#: without a byte buffer take the answers as text; a UTF-8 one takes the quick path's bytes as
#: they are, with the full path's text between them; another encoding takes text (escaped
#: where it cannot encode, as ``main`` configures it).
OUTPUTS = {
    "text": (io.StringIO, lambda out: out.getvalue()),
    "utf-8 bytes": (lambda: io.TextIOWrapper(io.BytesIO(), encoding="utf-8"),
                    lambda out: (out.flush(), out.buffer.getvalue().decode("utf-8"))[1]),
    "ascii bytes": (lambda: io.TextIOWrapper(io.BytesIO(), encoding="ascii"),
                    lambda out: (out.flush(), out.buffer.getvalue().decode("ascii"))[1]),
}


@given(st.lists(st.sampled_from(range(len(SCENARIOS))), min_size=1, max_size=40),
       st.sampled_from([None, "ibaraki", "aizu,kuruko"]), st.sampled_from(sorted(OUTPUTS)))
def test_a_stream_answers_as_the_full_path(picks, default_coop, output):
    """Property: a stream where the same scenarios come back (the later ones answered from the
    tables), between bad lines, gets exactly the full path's lines, in order — whether
    standard output is text, UTF-8 with a byte buffer, or another encoding."""
    from coopcheck.cli.main import main

    text = "".join((s if isinstance(s, str) else json.dumps(s, ensure_ascii=False)) + "\n"
                   for s in (SCENARIOS[i] for i in picks))
    argv = ["check", "--json", "-"] + (["--coop", default_coop] if default_coop else [])
    make, value = OUTPUTS[output]
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(text), make()
    try:
        main(argv)
        out = value(sys.stdout)
    finally:
        sys.stdin, sys.stdout = old_in, old_out
    want = _expected(text, default_coop)
    if output != "text":  # what the stream cannot encode is escaped (a lone surrogate, in UTF-8)
        encoding = "ascii" if output == "ascii bytes" else "utf-8"
        want = want.encode(encoding, "backslashreplace").decode(encoding)
        assert "\ud800" not in out
    assert out == want


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_text_between_gathered_answers_keeps_its_place(output):
    """Lines written as text between answers gathered as bytes (a decision in full, an error
    echoing a lone surrogate, which UTF-8 cannot hold) come out in input order."""
    from coopcheck.cli.main import main

    first, surrogate = json.dumps(SCENARIOS[0], ensure_ascii=False), SCENARIOS[-1]
    picks = [first, first, surrogate, first, surrogate, surrogate, first, "{broken", first]
    text = "".join(line + "\n" for line in picks)
    make, value = OUTPUTS[output]
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(text), make()
    try:
        main(["check", "--json", "-"])
        out = value(sys.stdout)
    finally:
        sys.stdin, sys.stdout = old_in, old_out
    lines = out.splitlines()
    assert [("error" in json.loads(line)) for line in lines] == [False, False, True, False, True, True, False, True,
                                                                  False]
    assert [json.loads(line)["error"]["line"] for line in lines if "error" in json.loads(line)] == [3, 5, 6, 8]


def test_where_text_streams_end_lines_otherwise_every_answer_goes_through_text(monkeypatch):
    """On a platform whose text streams write ``\r\n`` (Windows), gathered answers are written
    as text too, so every line of the output ends alike."""
    from coopcheck.cli.main import main

    monkeypatch.setattr(os, "linesep", "\r\n")
    first = json.dumps(SCENARIOS[0], ensure_ascii=False)
    text = "".join(line + "\n" for line in [first, first, "{broken", first, SCENARIOS[-1], first])
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(text), io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="\r\n")
    try:
        main(["check", "--json", "-"])
        sys.stdout.flush()
        out = sys.stdout.buffer.getvalue()
    finally:
        sys.stdin, sys.stdout = old_in, old_out
    assert out.count(b"\n") == 6 and out.count(b"\r\n") == 6


def _read_line(fd: int, timeout: float = 30.0) -> bytes:
    """One line from a pipe, waiting at most ``timeout`` seconds for it."""
    got = b""
    deadline = time.monotonic() + timeout
    while not got.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no answer within {timeout} s (got {got!r})"
        chunk = os.read(fd, 1)
        assert chunk, "the stream ended"
        got += chunk
    return got


def test_a_stream_answers_each_line_as_it_comes():
    """A program that writes one scenario at a time to ``check --json -`` through pipes and
    waits for each answer gets it (the answers are flushed whenever the input would wait),
    the same line twice (the second read from the tables) included."""
    scenario = (json.dumps(SCENARIOS[0], ensure_ascii=False) + "\n").encode()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # block-buffered, as on a pipe
    proc = subprocess.Popen([sys.executable, "-m", "coopcheck", "check", "--json", "-"], cwd=REPO, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        answers = []
        for line in (scenario, scenario, b"{broken\n", scenario):
            proc.stdin.write(line)
            proc.stdin.flush()
            answers.append(json.loads(_read_line(proc.stdout.fileno())))
        proc.stdin.close()
        assert proc.wait(timeout=30) == 2  # the broken line is an input error
    finally:
        proc.kill()
        proc.wait()
    assert [a.get("decision") for a in answers] == ["permit", "permit", None, "permit"]
    assert answers[0] == answers[1] == answers[3]
    assert answers[2]["error"]["line"] == 3


def test_read_scenarios_and_the_stream_agree_on_line_numbers():
    """The chunked reader numbers lines as the whole-text reader does (blank lines counted)."""
    text = "\n" + json.dumps(SCENARIOS[0], ensure_ascii=False) + "\n\n{broken\r\n" + json.dumps(SCENARIOS[4]) + "\n"
    streamed = [(n, e is None) for n, _, e in stream_scenarios(Trickle(text.encode(), [3] * 100, []))]
    assert streamed == [(n, e is None) for n, _, e in read_scenarios(text)] == [(2, True), (4, False), (5, True)]
    assert sorted(shipped_policies())
    assert load_policy("aizu")
