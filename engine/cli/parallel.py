"""``--jobs N``: a JSON input decided in N worker processes, answered in input order.

The parent only reads and splits the input into numbered lines (JSON Lines whose first line is
a JSON object; any other input is answered by one process, as without ``--jobs``), and hands
chunks of :data:`CHUNK` lines to the workers; each worker parses its lines as one process
does (:func:`~coopcheck.cli.inputs.numbered_scenarios`) and answers them with the same code
(:func:`~coopcheck.cli.inputs.answer_chunk`, the command's own ``pipeline``) into UTF-8 bytes,
and the parent writes them in input order. The output is
byte for byte that of one process — tests/test_parallel.py checks it — and the exit code is the
most severe of the chunks'. At most ``2 × N`` chunks are in flight, so memory stays flat on any
length of input. Answers come a chunk at a time, not line by line: for a person typing, or a
program that waits for each answer, one process is the right choice.
"""

from __future__ import annotations

import argparse
import io
import itertools
import multiprocessing
import sys
from collections import deque
from contextlib import redirect_stdout
from typing import Any, Callable, Iterable, Iterator

from coopcheck.core.jsontext import STRICT
from coopcheck.cli.inputs import (NotText, Policies, answer_chunk, numbered_scenarios, open_json_input,
                                  run_json_jobs, text_lines, write_utf8)

#: Scenarios per chunk handed to a worker.
CHUNK = 2_000

#: The worker's pipeline, made once per process by :func:`_start_worker`.
_WORKER: dict[str, Any] = {}


def _start_worker(args: argparse.Namespace, pipeline: Callable) -> None:
    policies = Policies()
    _WORKER.update(args=args, policies=policies, steps=pipeline(args, policies))


def _answer(first: int, lines: list[str]) -> tuple[bytes, int]:
    """Lines ``first``, ``first + 1`` … answered as one process would: the output as UTF-8
    (text UTF-8 cannot hold escaped, as the CLI's standard output escapes it) and the exit
    code."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", newline="\n")
    with redirect_stdout(out):
        code = answer_chunk(_WORKER["args"], _WORKER["policies"], *_WORKER["steps"],
                            numbered_scenarios(lines, first))
    out.flush()
    return out.buffer.getvalue(), code


def _chunks(groups: Iterable[list[str]], size: int) -> Iterator[tuple[int, list[str]]]:
    """``(number of the first line, lines)``, ``size`` lines at a time; at a bad byte
    (:class:`NotText`), the lines before it first."""
    chunk: list[str] = []
    first = 1
    try:
        for group in groups:
            for line in group:
                chunk.append(line)
                if len(chunk) >= size:
                    yield first, chunk
                    first += len(chunk)
                    chunk = []
    except NotText:
        if chunk:
            yield first, chunk
        raise
    if chunk:
        yield first, chunk


def _json_lines(groups: Iterator[list[str]]) -> tuple[bool, list[list[str]]]:
    """Whether the input is JSON Lines with an object on line 1 (the case ``--jobs`` splits),
    and the line groups read to tell."""
    seen: list[list[str]] = []
    for group in groups:
        seen.append(group)
        if group:
            first = group[0].removeprefix("\ufeff").removesuffix("\r")
            seen[0] = [first] + seen[0][1:]
            try:
                return isinstance(STRICT.decode(first), dict), seen
            except (ValueError, RecursionError):
                return False, seen
    return False, seen


def run_parallel(args: argparse.Namespace, command: str, pipeline: Callable) -> int:
    """Answer ``--json`` with ``args.jobs`` worker processes; the exit code as one process
    gives it (2 on any input error, else 1 on a deny with ``--fail-on-deny``, else 0)."""
    binary = open_json_input(args, command)
    if binary is None:
        return 2
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    worst = 0
    pending: deque = deque()

    def drain(keep: int) -> None:
        nonlocal worst
        while pending and (len(pending) > keep or pending[0].ready()):
            data, code = pending.popleft().get()
            write_utf8(data)
            worst = max(worst, code)

    groups = text_lines(binary)
    try:
        try:
            split, seen = _json_lines(groups)
        except NotText:
            split, seen = False, []
        if not split:  # not JSON Lines (or bad from the start): one process reads it whole
            rest = b"\n".join("\n".join(g).encode("utf-8") for g in seen)
            if seen:
                rest += b"\n"
            policies = Policies()
            return run_json_jobs(args, policies, command, *pipeline(args, policies), stream=_Prepended(rest, binary))
        with context.Pool(args.jobs, initializer=_start_worker, initargs=(args, pipeline)) as pool:
            try:
                for first, lines in _chunks(itertools.chain(seen, groups), CHUNK):
                    pending.append(pool.apply_async(_answer, (first, lines)))
                    drain(2 * args.jobs)
            except NotText as err:
                drain(0)
                print(f"coopcheck {command}: error: `{args.json}` is not UTF-8 text (byte {err.start})",
                      file=sys.stderr)
                return 2
            drain(0)
    finally:
        if args.json != "-":
            binary.close()
    return worst


class _Prepended(io.RawIOBase):
    """A binary stream: ``head`` first, then what ``rest`` holds (the bytes ``--jobs`` read
    before it knew the input is not JSON Lines)."""

    def __init__(self, head: bytes, rest):
        super().__init__()
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        reader = getattr(self.rest, "read1", None) or self.rest.read
        return reader(size)

    read = read1
