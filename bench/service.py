"""``coopcheck serve`` under load: what a caller of the HTTP service gets, against what it
would get by embedding ``decide`` in its own process, measured in the same run.

The service is started as a subprocess (``python -m coopcheck serve --host 127.0.0.1 --port
0``: the kernel picks a free port, which the service prints), and is always stopped at the end
— on success, on a disagreement, on any error or a timeout (``try``/``finally``: SIGTERM,
then SIGKILL). The load comes from this process, a different one from the service: a pool of
threads, each with its own keep-alive ``httpx.Client``, posting to ``/v1/decide``.

Scenarios: distinct valid golden scenarios (:mod:`bench.golden`) over the five shipped co-ops,
distinct once resolved, cut into three disjoint sets: a sample for the agreement check, the
single-scenario stream and the batched stream (arrays of 100), posted in that order to one
service. So each timed scenario reaches the service for the first time, but its evaluators
keep their tables from one request to the next: a stream finds the tables the earlier ones
filled. A second pass of the batched stream is reported apart as *repeated* (every one of
its scenarios decided before).

Before anything is timed, the service's answer to every scenario of the sample — posted one by
one and as one array — must equal ``decision_json(decide(policy, d))`` made in this process
(the service adds ``revision`` and ``decision_id``, which are left out of the comparison).
After timing, every timed answer is compared the same way (so the timed runs kept the
response bytes, parsed afterwards).

Floors, same run: in process, ``coopcheck.decide(copy, d)`` over the same stream
(``decide(dict)``), and ``json.dumps(decision_json(decide(copy, d)))`` (the text the service
sends back), from fresh ruleset copies that have first decided — untimed — what the service
had decided before that stream (the sample; then the single stream too; then the batched
stream too, for the repeated row), so both sides have the same tables; over HTTP, ``GET /health`` (no decision) with the same client
pool: the round trip a request costs before any decision.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

import coopcheck

from . import golden
from .engines import ROOT, copier, release
from .measure import Disagreement

BATCH = 100
#: Keys the service adds to a decision (left out when comparing with the in-process decision).
STAMPS = ("revision", "decision_id")
LISTENING = re.compile(r"listening on http://(\S+):(\d+)")


def scenarios(n: int, seed: int = golden.SEED + 7) -> list[dict]:
    """``n`` distinct valid golden scenarios over the five co-ops (distinct once resolved)."""
    rulesets = {coop: coopcheck.load_policy(coop) for coop in golden.COOPS}
    out: list[dict] = []
    seen: set = set()
    for sc in golden.scenarios(40 * n + 1000, seed):
        if len(out) == n:
            break
        try:
            key = (sc["coop"], coopcheck.make_scenario(rulesets[sc["coop"]], sc).key)
        except coopcheck.CoopcheckError:
            continue
        if key not in seen:
            seen.add(key)
            out.append(sc)
    if len(out) < n:
        raise ValueError(f"the golden stream gave only {len(out)} distinct valid scenarios")
    return out


def expected(dicts: Sequence[dict]) -> list[dict]:
    """The decision JSON of each scenario, made in this process (as JSON round-trips it)."""
    rulesets = {coop: coopcheck.load_policy(coop) for coop in golden.COOPS}
    return [json.loads(json.dumps(coopcheck.decision_json(coopcheck.decide(rulesets[d["coop"]], d)),
                                  ensure_ascii=False)) for d in dicts]


def _unstamped(answer: Any) -> Any:
    if isinstance(answer, dict):
        return {k: v for k, v in answer.items() if k not in STAMPS}
    return answer


def compare(what: str, dicts: Sequence[dict], got: Sequence[Any], want: Sequence[dict]) -> None:
    """Raise :class:`Disagreement` unless every answer (stamps left out) equals the expected."""
    if len(got) != len(want):
        raise Disagreement(f"{what}: {len(got)} answers for {len(want)} scenarios")
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if _unstamped(g) != w]
    if bad:
        i = bad[0]
        raise Disagreement(f"{what}: {len(bad)} of {len(want)} answers differ from decide(); first: "
                           f"{json.dumps(dicts[i], ensure_ascii=False)} -> {json.dumps(got[i], ensure_ascii=False)[:300]}")


# ---- the service process ----------------------------------------------------------------------

class Service:
    """``coopcheck serve`` in a subprocess on 127.0.0.1 and a free port; a context manager
    that always stops it. ``deadline``: seconds after which the process is killed whatever
    happens (a watchdog thread), so a hung run cannot outlive the benchmark."""

    def __init__(self, deadline: float = 1800.0, start_timeout: float = 120.0):
        self.deadline, self.start_timeout = deadline, start_timeout
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self._lines: queue.Queue = queue.Queue()
        self._tail: list[str] = []
        self._done = threading.Event()

    def __enter__(self) -> "Service":
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coopcheck", "serve", "--host", "127.0.0.1", "--port", "0",
             "--log-level", "warning"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
        try:
            threading.Thread(target=self._drain, daemon=True).start()
            threading.Thread(target=self._watchdog, daemon=True).start()
            end = time.monotonic() + self.start_timeout
            while not self.url:
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError("`coopcheck serve` did not start: " + " | ".join(self._tail[-5:]))
                try:
                    line = self._lines.get(timeout=min(left, 0.5))
                except queue.Empty:
                    continue
                m = LISTENING.search(line)
                if m:
                    self.url = f"http://{m.group(1)}:{m.group(2)}"
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self._tail = (self._tail + [line.rstrip()])[-20:]
            if not self.url:
                self._lines.put(line)

    def _watchdog(self) -> None:
        if not self._done.wait(self.deadline):
            self.stop()

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL if it has not ended within 10 s."""
        self._done.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# ---- the load generator -----------------------------------------------------------------------

def _client(url: str):
    import httpx

    return httpx.Client(base_url=url, timeout=60.0, headers={"content-type": "application/json"})


def drive(url: str, bodies: Sequence[bytes], threads: int, path: str = "/v1/decide",
          method: str = "POST") -> dict:
    """Send every body once, ``threads`` requests in flight (one keep-alive client per
    thread). Returns the wall time, each request's latency (in the order sent) and the
    response bytes; a status other than 200 raises."""
    local = threading.local()
    clients: list = []
    lock = threading.Lock()

    def one(body: bytes) -> tuple[float, bytes]:
        c = getattr(local, "client", None)
        if c is None:
            c = local.client = _client(url)
            with lock:
                clients.append(c)
        start = time.perf_counter()
        r = c.request(method, path, content=body if method == "POST" else None)
        content = r.content
        took = time.perf_counter() - start
        if r.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {r.status_code}: {content[:300]!r}")
        return took, content

    try:
        with ThreadPoolExecutor(threads) as pool:
            # connect the clients before the clock starts (a GET /health each)
            warm = [pool.submit(_connect, local, url, clients, lock) for _ in range(threads)]
            for f in warm:
                f.result()
            start = time.perf_counter()
            out = list(pool.map(one, bodies))
            wall = time.perf_counter() - start
    finally:
        for c in clients:
            c.close()
    return {"wall_s": wall, "latencies": [t for t, _ in out], "responses": [b for _, b in out]}


def _connect(local, url, clients, lock) -> None:
    c = getattr(local, "client", None)
    if c is None:
        c = local.client = _client(url)
        with lock:
            clients.append(c)
    c.get("/health")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def _load_figures(name: str, run: dict, decisions: int) -> dict:
    lat = run["latencies"]
    return {"name": name, "requests": len(lat), "decisions": decisions, "wall_s": run["wall_s"],
            "requests_per_s": len(lat) / run["wall_s"], "decisions_per_s": decisions / run["wall_s"],
            "p50_ms": percentile(lat, 0.50) * 1000, "p99_ms": percentile(lat, 0.99) * 1000}


# ---- in-process floors ------------------------------------------------------------------------

def in_process(dicts: Sequence[dict], repeats: int, before: Sequence[dict] = ()) -> dict:
    """``decide(dict)`` and the decision JSON text over ``dicts``, each pass from fresh copies
    of the five rulesets that have first decided ``before`` (untimed): the history the
    service's evaluators have when that stream reaches them. Median seconds."""
    copies = {coop: copier(coopcheck.load_policy(coop)) for coop in golden.COOPS}
    decide, as_json = coopcheck.decide, coopcheck.decision_json
    encode = json.JSONEncoder(ensure_ascii=False).encode

    def run_decide(rs: dict) -> None:
        for d in dicts:
            decide(rs[d["coop"]], d)

    def run_json(rs: dict) -> None:
        for d in dicts:
            encode(as_json(decide(rs[d["coop"]], d)))

    out = {}
    for name, fn in (("decide", run_decide), ("json", run_json)):
        times = []
        for _ in range(repeats):
            rs = {coop: make() for coop, make in copies.items()}
            for d in before:
                decide(rs[d["coop"]], d)
            start = time.perf_counter()
            fn(rs)
            times.append(time.perf_counter() - start)
            del rs
            release()
        out[name] = statistics.median(times)
    return out


# ---- the section ------------------------------------------------------------------------------

def measure(n: int, threads: int = 4, repeats: int = 3, sample: int = 200, check_only: bool = False,
            deadline: float = 1800.0, progress: Callable[[str], None] | None = None) -> dict:
    """The service section: agreement on a sample, then (unless ``check_only``) the timed
    streams of ``n`` distinct scenarios each, and the floors. Figures as a dict."""
    say = progress or (lambda _t: None)
    n = max(BATCH, n - n % BATCH)
    dicts = scenarios(sample + 2 * n)
    checked, single, batched = dicts[:sample], dicts[sample:sample + n], dicts[sample + n:]
    encode = json.JSONEncoder(ensure_ascii=False).encode
    result: dict = {"scenarios": n, "batch": BATCH, "threads": threads, "sample": sample}
    with Service(deadline=deadline) as svc:
        result["url"] = svc.url
        want = expected(checked)
        got = [json.loads(b) for b in drive(svc.url, [encode(d).encode() for d in checked], threads)["responses"]]
        compare("`coopcheck serve` POST /v1/decide, one scenario a request", checked, got, want)
        got = json.loads(drive(svc.url, [encode(checked).encode()], 1)["responses"][0])
        compare(f"`coopcheck serve` POST /v1/decide, an array of {len(checked)}", checked, got, want)
        result["checked"] = 2 * len(checked)
        if check_only:
            return result
        say(f"service: {n:,} single requests, {n // BATCH} batches of {BATCH}, {threads} client threads")
        health = drive(svc.url, [b""] * min(n, 2000), threads, path="/health", method="GET")
        one = drive(svc.url, [encode(d).encode() for d in single], threads)
        bodies = [encode(batched[i:i + BATCH]).encode() for i in range(0, n, BATCH)]
        many = drive(svc.url, bodies, threads)
        again = drive(svc.url, bodies, threads)
    # the service is stopped; check every timed answer
    compare("`coopcheck serve`, the single-scenario stream", single,
            [json.loads(b) for b in one["responses"]], expected(single))
    want_batched = expected(batched)
    for name, run in (("batched stream", many), ("batched stream, repeated", again)):
        compare(f"`coopcheck serve`, the {name}", batched, [a for b in run["responses"] for a in json.loads(b)],
                want_batched)
    say("service: in-process decide(dict) on the same streams")
    # the same history as the service's evaluators: the sample, then the single stream, then
    # the batched stream (twice)
    floor_one = in_process(single, repeats, checked)
    floor_many = in_process(batched, repeats, checked + single)
    floor_again = in_process(batched, repeats, checked + single + batched)
    rows = [_load_figures("GET /health (no decision: the HTTP floor)", health, 0),
            _load_figures("POST /v1/decide, 1 scenario a request", one, n),
            _load_figures(f"POST /v1/decide, {BATCH} scenarios a request", many, n),
            _load_figures(f"POST /v1/decide, {BATCH} a request, repeated (warm tables)", again, n)]
    rows[0]["decisions"] = None
    rows[0]["decisions_per_s"] = None
    inproc = {stream: {"decide_per_s": n / f["decide"], "json_per_s": n / f["json"]}
              for stream, f in (("single", floor_one), ("batched", floor_many), ("again", floor_again))}
    for row, stream in zip(rows[1:], ("single", "batched", "again")):
        row["vs_decide"] = row["decisions_per_s"] / inproc[stream]["decide_per_s"]
        row["vs_json"] = row["decisions_per_s"] / inproc[stream]["json_per_s"]
    result.update(rows=rows, in_process=inproc, repeats=repeats)
    return result


def table(fig: dict) -> str:
    """The section as the bench prints it."""
    from tabulate import tabulate

    from .report import ratio

    rows = []
    for r in fig["rows"]:
        rows.append([r["name"], f"{r['requests_per_s']:,.0f}",
                     "—" if r["decisions_per_s"] is None else f"{r['decisions_per_s']:,.0f}",
                     f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
                     ratio(r.get("vs_decide")) if "vs_decide" in r else "—",
                     ratio(r.get("vs_json")) if "vs_json" in r else "—"])
    for stream, label in (("single", "the single-request stream"), ("batched", "the batched stream"),
                          ("again", "the batched stream repeated")):
        ip = fig["in_process"][stream]
        rows.append([f"in process: decide(dict), {label}", "—", f"{ip['decide_per_s']:,.0f}",
                     "—", "—", "1.00×", "—"])
        rows.append([f"in process: decision JSON text, {label}", "—", f"{ip['json_per_s']:,.0f}",
                     "—", "—", ratio(ip["json_per_s"] / ip["decide_per_s"]), "1.00×"])
    headers = ["caller", "requests/s", "decisions/s", "p50 ms", "p99 ms", "× decide\n(in process)",
               "× decision\nJSON text"]
    return tabulate(rows, headers=headers, disable_numparse=True,
                    colalign=("left",) + ("right",) * (len(headers) - 1))


def caption(fig: dict) -> str:
    """The section's title line."""
    return (f"`coopcheck serve` under load ({fig['scenarios']:,} distinct golden scenarios per stream, seen "
            f"first by the service except the repeated row; {fig['threads']} client threads in this process, "
            f"the service in another; the service's answers to {fig['checked']} requests checked equal to "
            "decide() before timing, every timed answer after. In-process rows, the floor a caller "
            "embedding coopcheck gets: each pass from fresh ruleset copies that have first decided, untimed, "
            f"what the service had decided before that stream (same history); median of {fig['repeats']} passes)")
