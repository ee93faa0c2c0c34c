"""Start-up costs, each in a new process: compiling the shipped policies and a 10 000-grant
policy cold, and a one-scenario ``coopcheck check``.

"Cold" means a new Python process with ``COOPCHECK_CACHE_DIR=off`` (no compiled policy read
from disk): the clock starts after ``import coopcheck`` and covers making the rule-file
parser (from the LALR tables shipped in the package; nothing is cached on disk), reading, parsing and
compiling every file. The parser's share (loading its shipped LALR tables, see
``coopcheck.dsl.tables``) is reported too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from . import synthetic
from .engines import ROOT
from .stream import environment
from .timing import median_seconds

#: The scenario the cold-start run checks (the README's card example).
CHECK_ARGS = ("check", "--coop", "aizu", "--action", "share", "--data", "purchase_history",
              "--recipient", "jccu", "--purpose", "delivery")

#: Run in a new process: parser build, then every shipped policy, or a policy file and its imports.
COMPILE_SCRIPT = """\
import json, sys, time
import coopcheck
from coopcheck.dsl.parser import ast_parser
policy_file = sys.argv[1] if len(sys.argv) > 1 else None
start = time.perf_counter()
ast_parser()
built = time.perf_counter()
if policy_file is None:
    rules = sum(len(coopcheck.load_policy(c).rules) for c in coopcheck.shipped_policies())
else:
    rules = len(coopcheck.load_file(policy_file).rules)
done = time.perf_counter()
print(json.dumps({"parser_s": built - start, "compile_s": done - built, "total_s": done - start, "rules": rules}))
"""


def _cold(args: list[str], repeats: int) -> dict:
    env = {**environment(), "COOPCHECK_CACHE_DIR": "off"}
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"cold compile failed: {done.stderr.strip()[-500:]}")
        runs.append(json.loads(done.stdout))
    middle = sorted(runs, key=lambda r: r["total_s"])[(len(runs) - 1) // 2]  # the run of the median total
    return {**middle, "runs": repeats, "all_total_s": [r["total_s"] for r in runs]}


def compile_cold(repeats: int, grants: int = 10_000) -> dict:
    """Seconds, in new processes with no on-disk cache, to build the parser and compile every
    shipped policy, and a synthetic policy of ``grants`` grants: the run of the median total
    (its parser and compile parts with it) of ``repeats``."""
    shipped = _cold([], repeats)
    with tempfile.TemporaryDirectory(prefix="coopcheck-bench-") as tmp:
        path = synthetic.write(synthetic.files(grants), Path(tmp))
        large = _cold([str(path)], repeats)
    return {"shipped": shipped, "synthetic": large | {"grants": grants}}


def _check_command() -> list[str]:
    return [sys.executable, "-m", "coopcheck", *CHECK_ARGS]


def cold_check(repeats: int, runner: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> dict:
    """Median wall time of ``python -m coopcheck check ...`` in a new process, from the
    repository root. One untimed run first writes the bytecode caches, as an install does."""
    command = _check_command()
    env = environment()

    def once() -> None:
        done = runner(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0 or "PERMIT" not in done.stdout:
            raise RuntimeError(f"`{' '.join(command[1:])}` failed (exit {done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-500:]}")

    once()
    seconds = median_seconds(once, repeats)
    env["COOPCHECK_CACHE_DIR"] = "off"  # the same, compiling the policy in the process
    return {"command": "python -m coopcheck " + " ".join(CHECK_ARGS), "seconds": seconds,
            "uncached_seconds": median_seconds(once, repeats)}

