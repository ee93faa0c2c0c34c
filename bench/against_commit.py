"""``coopcheck check --json`` now against an earlier commit, on the same golden stream.

``python -m bench.against_commit COMMIT [--lines N] [--rounds R]`` writes the golden stream
(:mod:`bench.golden`, N lines), checks COMMIT out into a temporary git worktree, and runs
``check --json FILE`` of the installed ``coopcheck`` and of that commit's source tree (its
``[project.scripts]`` entry point, imported from the worktree) back to back, R rounds. Each
round prints both times and their ratio: this machine's speed drifts between minutes, so only
runs made side by side are compared. The timed runs write to ``/dev/null`` (a gigabyte of
output written to disk costs both the same seconds, which would measure the disk); then both
answer the stream's first ``--compare-lines`` lines into files, untimed, and it says whether
those are byte for byte the same (a commit before a change that altered decisions on purpose
gives other bytes).

``--together`` pairs them differently: each round starts COMMIT's run and, on the other core,
runs the installed one again and again until COMMIT's finishes; the round's ratio is COMMIT's
time over the median of the installed runs that began and ended inside it. Both then run on
the same machine at the same minutes, so the machine's drift (on this VM the same run takes
24-40 s within an hour) falls on both alike; what it costs is that the two share the
machine's caches and memory while they run (both alike, again). It needs two cores.

An issue asked that ``check --json`` write full decisions at least 5× faster than commit
54afc1c, from before the layered core; ``python -m bench.against_commit 54afc1c`` measures it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import golden

ROOT = Path(__file__).resolve().parent.parent


def entry_point(tree: Path) -> tuple[str, str]:
    """The ``module:function`` of the ``coopcheck`` script a source tree's pyproject names."""
    text = (tree / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^coopcheck\s*=\s*"([\w.]+):(\w+)"', text, re.M)
    if not found:
        raise SystemExit(f"no `coopcheck` script in {tree / 'pyproject.toml'}")
    module = found.group(1)
    if not (tree / module.split(".")[0]).is_dir():  # a package mapped at install (as `coopcheck` now is)
        raise SystemExit(f"{module} is not a folder of that commit's tree: it runs only once installed")
    return module, found.group(2)


def timed(command: list[str], out_path: Path | str, cwd: Path) -> float:
    """Wall seconds of one run, its output to ``out_path`` (exit 0 or 2: a stream with error
    lines exits 2)."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        done = subprocess.run(command, stdout=out, stderr=subprocess.DEVNULL, cwd=cwd)
        took = time.perf_counter() - start
    if done.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(command[:3])} … exited {done.returncode}")
    return took


def together(now: list[str], then: list[str], stream: Path, work: Path, tree: Path) -> tuple[float, list[float]]:
    """One ``--together`` round: ``then``'s wall seconds on ``stream``, and the seconds of each
    run of ``now`` that started and ended while ``then`` ran (runs of ``now`` go on back to
    back meanwhile; one that outlasts ``then`` is stopped and not counted)."""
    inside: list[float] = []
    with open(os.devnull, "wb") as sink:
        start = time.perf_counter()
        earlier = subprocess.Popen(then + [str(stream)], stdout=sink, stderr=subprocess.DEVNULL, cwd=tree)
        try:
            while earlier.poll() is None:
                began = time.perf_counter()
                run = subprocess.Popen(now + [str(stream)], stdout=sink, stderr=subprocess.DEVNULL, cwd=work)
                while run.poll() is None and earlier.poll() is None:
                    time.sleep(0.05)  # (a wake-up every 50 ms: 0.2 % of a 25 s run at most)
                if run.poll() is None:  # COMMIT ended first: this run is not counted
                    run.kill()
                    run.wait()
                    break
                ended = time.perf_counter()
                if run.returncode not in (0, 2):
                    raise SystemExit(f"{' '.join(now[:3])} … exited {run.returncode}")
                if earlier.poll() is None:  # (else the two ended within one wake-up: not counted)
                    inside.append(ended - began)
            took = time.perf_counter() - start
        finally:
            if earlier.poll() is None:
                earlier.kill()
            earlier.wait()
    if earlier.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(then[:3])} … exited {earlier.returncode}")
    return took, inside


def digest(path: Path) -> str:
    """The SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; see the module's help."""
    p = argparse.ArgumentParser(prog="python -m bench.against_commit", description=__doc__.split("\n\n")[0])
    p.add_argument("commit", help="the earlier commit (any git revision)")
    p.add_argument("--lines", type=int, default=1_000_000, help="golden stream lines (default 1 000 000)")
    p.add_argument("--rounds", type=int, default=2, help="runs of each, side by side (default 2)")
    p.add_argument("--seed", type=int, default=golden.SEED)
    p.add_argument("--together", action="store_true",
                   help="run both at once on two cores: COMMIT once a round, the installed one back to back "
                        "meanwhile (see the module's help)")
    p.add_argument("--compare-lines", type=int, default=20_000,
                   help="lines whose outputs are compared byte for byte, untimed (default 20 000)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coopcheck-against-") as tmp:
        work = Path(tmp)
        stream, head = work / "golden.jsonl", work / "head.jsonl"
        with open(stream, "w", encoding="utf-8") as fh, open(head, "w", encoding="utf-8") as first:
            for n, sc in enumerate(golden.scenarios(args.lines, args.seed)):
                line = json.dumps(sc, ensure_ascii=False) + "\n"
                fh.write(line)
                if n < args.compare_lines:
                    first.write(line)
        tree = work / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), args.commit],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            module, function = entry_point(tree)
            earlier = [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tree)!r}); "
                       f"sys.argv[0] = 'coopcheck'; from {module} import {function}; sys.exit({function}())",
                       "check", "--json"]
            now = [sys.executable, "-m", "coopcheck", "check", "--json"]
            ratios = []
            for r in range(1, args.rounds + 1):
                if args.together:
                    t_then, inside = together(now, earlier, stream, work, tree)
                    if not inside:
                        print(f"round {r}: {args.commit} {t_then:.1f} s, no run of now fitted inside it", flush=True)
                        continue
                    t_now = statistics.median(inside)
                    runs = ", ".join(f"{t:.1f}" for t in inside)
                    ratios.append(t_then / t_now)
                    print(f"round {r} (together): {args.commit} {t_then:.1f} s; now {runs} s inside it, median "
                          f"{t_now:.1f} s: {t_then / t_now:.2f}× faster", flush=True)
                    continue
                t_now = timed(now + [str(stream)], os.devnull, work)
                t_then = timed(earlier + [str(stream)], os.devnull, tree)
                ratios.append(t_then / t_now)
                print(f"round {r}: now {t_now:.1f} s, {args.commit} {t_then:.1f} s: {t_then / t_now:.2f}× faster",
                      flush=True)
            timed(now + [str(head)], work / "now.jsonl", work)
            timed(earlier + [str(head)], work / "then.jsonl", tree)
            same = digest(work / "now.jsonl") == digest(work / "then.jsonl")
            ratios.sort()
            compared = min(args.compare_lines, args.lines)
            if not ratios:
                raise SystemExit("no round gave a ratio: the stream is too short for --together")
            print(f"{args.lines:,} lines, {args.rounds} rounds{' together' if args.together else ''}: median {statistics.median(ratios):.2f}×, "
                  f"lowest {ratios[0]:.2f}×; outputs of the first {compared:,} lines "
                  f"{'byte for byte the same' if same else 'differ'}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
