"""``coopcheck check --json -`` on long streams, in new processes: its time against its floor,
and its peak memory.

The timed stream is the golden generator's mixed stream over the five shipped co-ops
(:mod:`bench.golden`), valid scenarios only (an input error is not a decision) and distinct
once their names are resolved. Its expected output is made in this process with
``json.dumps(decision_json(coopcheck.decide(policy, scenario)), ensure_ascii=False)``, one line
per scenario. Before anything is timed, the command and the floor (:mod:`bench.clifloor`) are
each run once on the stream and their output is compared byte for byte with it.

Both are then run the same way — ``python -m …`` from the repository root, the stream file as
stdin, stdout to ``/dev/null``, process start included — alternately, and the median wall
time of each is kept. The peak memory is ``ru_maxrss`` of a process that runs only the command
on the raw golden stream (duplicates and error lines included), read with
``resource.getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import json
import marshal
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import coopcheck

from . import golden
from .engines import ROOT
from .measure import Disagreement

CHECK = ("check", "--json", "-")

RSS_WRAPPER = ("import resource, subprocess, sys\n"
               "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)\n")


def environment() -> dict:
    """The environment both commands run in: this one, with bytecode caches allowed and
    standard output buffered (as an installed program has them: a PYTHONUNBUFFERED left in
    the environment would make every write of the one and not the other a system call)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONUNBUFFERED", None)
    return env


def cli_command() -> list[str]:
    """``python -m coopcheck check --json -``."""
    return [sys.executable, "-m", "coopcheck", *CHECK]


def floor_command(table: Path) -> list[str]:
    """``python -m bench.clifloor TABLE``."""
    return [sys.executable, "-m", "bench.clifloor", str(table)]


def distinct_valid(n: int, seed: int = golden.SEED) -> tuple[list[bytes], list[bytes]]:
    """``n`` input lines (the golden generator's, as it writes them) and the output line of
    each, both UTF-8 with the newline: valid scenarios only, distinct once resolved."""
    rulesets = {coop: coopcheck.load_policy(coop) for coop in golden.COOPS}
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines: list[bytes] = []
    outputs: list[bytes] = []
    seen: set = set()
    for sc in golden.scenarios(3 * n + 1000, seed):
        if len(lines) == n:
            break
        try:
            decision = coopcheck.decide(rulesets[sc["coop"]], sc)
        except coopcheck.CoopcheckError:
            continue
        key = (sc["coop"], decision.scenario.key)
        if key in seen:
            continue
        seen.add(key)
        lines.append((json.dumps(sc, ensure_ascii=False) + "\n").encode("utf-8"))
        outputs.append((encode(coopcheck.decision_json(decision)) + "\n").encode("utf-8"))
    if len(lines) < n:
        raise ValueError(f"the golden stream gave only {len(lines)} distinct valid scenarios")
    return lines, outputs


def raw_golden(path: Path, n: int, seed: int = golden.SEED) -> None:
    """The golden stream of ``n`` lines as ``python -m bench.golden n seed`` writes it."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(sc, ensure_ascii=False) + "\n" for sc in golden.scenarios(n, seed))


def _run(command: Sequence[str], stdin: Path, stdout) -> tuple[float, subprocess.CompletedProcess]:
    with open(stdin, "rb") as fin:
        start = time.perf_counter()
        done = subprocess.run(command, stdin=fin, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT,
                              env=environment(), timeout=3600)
        return time.perf_counter() - start, done


def _first_difference(got: bytes, want: bytes) -> str:
    a, b = got.split(b"\n"), want.split(b"\n")
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return f"line {i}: got {x[:160]!r}, want {y[:160]!r}"
    return f"{len(a) - 1} lines instead of {len(b) - 1}"


def _agree(name: str, command: Sequence[str], stdin: Path, want: bytes, folder: Path) -> None:
    out = folder / "out.jsonl"
    with open(out, "wb") as fh:
        _, done = _run(command, stdin, fh)
    got = out.read_bytes()
    out.unlink()
    if done.returncode != 0:
        raise Disagreement(f"{name} exited {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
    if got != want:
        raise Disagreement(f"{name} wrote other bytes than the expected decisions: {_first_difference(got, want)}")


def check_stream(n: int, repeats: int, time_it: bool = True, seed: int = golden.SEED) -> dict:
    """The command and its floor on ``n`` distinct valid golden scenarios: both checked to
    write exactly the expected bytes, then (``time_it``) each run ``repeats`` times,
    alternately. Figures in seconds (medians)."""
    lines, outputs = distinct_valid(n, seed)
    want = b"".join(outputs)
    with tempfile.TemporaryDirectory(prefix="coopcheck-bench-") as tmp:
        folder = Path(tmp)
        stream, table = folder / "stream.jsonl", folder / "table.marshal"
        stream.write_bytes(b"".join(lines))
        with open(table, "wb") as fh:
            marshal.dump(dict(zip(lines, outputs)), fh)
        del lines, outputs
        cli, floor = cli_command(), floor_command(table)
        _agree("`coopcheck check --json -`", cli, stream, want, folder)
        _agree("the floor (bench.clifloor)", floor, stream, want, folder)
        result = {"lines": n, "output_bytes": len(want), "checked": True}
        if not time_it:
            return result
        del want
        cli_s, floor_s, loads = [], [], []
        for _ in range(repeats):
            seconds, done = _run(cli, stream, subprocess.DEVNULL)
            if done.returncode != 0:
                raise RuntimeError(f"`coopcheck check` exited {done.returncode}")
            cli_s.append(seconds)
            seconds, done = _run(floor, stream, subprocess.DEVNULL)
            floor_s.append(seconds)
            loads.append(float(done.stderr.decode().strip().rpartition("=")[2]))
    return {**result, "cli_s": statistics.median(cli_s), "floor_s": statistics.median(floor_s),
            "table_load_s": statistics.median(loads), "cli_runs": cli_s, "floor_runs": floor_s}


def peak_memory(n: int, seed: int = golden.SEED) -> dict:
    """Peak RSS of ``coopcheck check --json -`` on the raw golden stream of ``n`` lines."""
    with tempfile.TemporaryDirectory(prefix="coopcheck-bench-") as tmp:
        stream = Path(tmp) / "golden.jsonl"
        raw_golden(stream, n, seed)
        seconds, done = _run([sys.executable, "-c", RSS_WRAPPER, *cli_command()], stream, subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"the memory probe failed: {done.stderr.decode(errors='replace')[-500:]}")
    kib, code = done.stdout.decode().split()
    if int(code) not in (0, 2):  # 2: the raw stream has lines that are input errors
        raise RuntimeError(f"`coopcheck check` exited {code} on the raw golden stream")
    return {"lines": n, "maxrss_bytes": int(kib) * 1024, "seconds": seconds, "exit": int(code)}
