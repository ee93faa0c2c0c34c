"""Start-up costs: parsing and compiling the shipped policies, and a cold ``coopcheck check``."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Callable

import coopcheck as engine
from coopcheck.core import paths

from .engines import ROOT
from .timing import median_seconds

#: The scenario the cold-start run checks (the README's card example).
CHECK_ARGS = ("check", "--coop", "aizu", "--action", "share", "--data", "purchase_history",
              "--recipient", "jccu", "--purpose", "delivery")


def clear_caches() -> int:
    """Clear every ``functools`` cache held at module level in ``dsl`` and ``engine`` (the
    Lark parser among them); returns how many were cleared."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if module is None or not (name.split(".")[0] in ("dsl", "engine")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and hasattr(value, "cache_info"):
                clear()
                cleared += 1
    return cleared


def load_all() -> int:
    """Parse and compile every shipped policy from its text (not from the on-disk cache of
    compiled policies); returns the number of rules compiled."""
    folder = paths.policies_dir()
    return sum(len(engine.load_file(folder / f"{coop}.policy").rules) for coop in engine.shipped_policies())


def load_all_cached() -> int:
    """Load every shipped policy as ``load_policy`` does, from the on-disk cache."""
    return sum(len(engine.load_policy(coop).rules) for coop in engine.shipped_policies())


def parse_compile(repeats: int) -> dict:
    """Median seconds to parse and compile every shipped policy, cold (in-process caches
    cleared first: the Lark parser is rebuilt from Lark's own disk cache, every file is
    parsed again) and warm (shared modules already parsed); and to load them all from the
    cache of compiled policies."""
    def cold() -> None:
        clear_caches()
        load_all()

    cold_s = median_seconds(cold, repeats)
    load_all()
    warm_s = median_seconds(load_all, repeats)
    load_all_cached()
    cached_s = median_seconds(load_all_cached, repeats)
    return {"policies": len(engine.shipped_policies()), "cold_s": cold_s, "warm_s": warm_s,
            "cached_s": cached_s}


def _check_command() -> list[str]:
    return [sys.executable, "-m", "coopcheck", *CHECK_ARGS]


def cold_check(repeats: int, runner: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> dict:
    """Median wall time of ``python -m coopcheck check ...`` in a new process, from the
    repository root. One untimed run first writes the bytecode caches, as an install does."""
    command = _check_command()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)

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
