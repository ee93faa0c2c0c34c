"""``coopcheck serve`` under load: what a caller of the HTTP service gets, against a bare ASGI
endpoint on the same server stack and against embedding ``decide`` in its own process, all
measured in the same run.

The service is started as a subprocess (``python -m coopcheck serve --host 127.0.0.1 --port
0``: the kernel picks a free port, which the service prints), and is always stopped at the end
— on success, on a disagreement, on any error or a timeout (``try``/``finally``: SIGTERM,
then SIGKILL; a watchdog kills it after ``deadline`` seconds whatever happens). The load comes
from this process, a different one from the service: a pool of threads, each with its own
keep-alive ``httpx.Client``, posting to ``/v1/decide``. Every request is bounded (a number of
bodies, or a rate over a number of seconds), and everything listens on 127.0.0.1 only.

**The floor** (HTTP): :mod:`bench.bare_asgi`, a Starlette app with one route answering a fixed
decision-sized JSON body, served by uvicorn from a socket made as ``coopcheck serve`` makes it
(``IPPROTO_TCP``) with the service's uvicorn options, in its own subprocess started and
stopped the same way; driven by the same client code with the same bodies as the single
stream. ``GET /health`` of the service (no decision) is a row too.

Scenarios: distinct valid golden scenarios (:mod:`bench.golden`) over the five shipped co-ops,
distinct once resolved, cut into four disjoint sets: a sample for the agreement check, the
single-scenario stream, the open-loop stream and the batched stream (arrays of
:data:`BATCH`, the service's largest), posted in that order to one service. So each timed
scenario reaches the service for the first time, but its evaluators keep their tables from
one request to the next: a stream finds the tables the earlier ones filled. A second pass of
the batched stream is reported apart as *repeated* (every one of its scenarios decided
before).

**Open loop** (:func:`steady`): single decisions due at a fixed rate (:data:`RATE`) for a
bounded time, each sent at its due time by the next free client thread; its latency runs from
the due time, so queueing behind a slow service counts. Reported: p50/p99, the rate achieved,
whether it kept up (at least :data:`KEPT_UP` of the rate).

**The load generator** freezes its own heap out of its cycle collector while it sends
(:func:`bench.timing.frozen_heap`, as the in-process timings do): in a full ``python -m bench``
run that heap holds the earlier sections' data, and one full collection of it held every
request for about 170 ms, which the open loop counted as latency of the service and of the
floor alike.

**Server CPU**: the service runs one worker process; its CPU time (``/proc/PID/stat``, every
thread) over each timed run's wall time says how many cores it used.

Before anything is timed, the service's answer to every scenario of the sample — posted one by
one and as one array — must equal ``decision_json(decide(policy, d))`` made in this process
(the service adds ``revision`` and ``decision_id``, which are left out of the comparison).
After timing, every timed answer is compared the same way (so the timed runs kept the
response bytes, parsed afterwards); every answer of the floor must be its fixed body.

In-process floors, same run: ``coopcheck.decide(copy, d)`` over the same stream
(``decide(dict)``), and ``json.dumps(decision_json(decide(copy, d)))`` (the text the service
sends back), from fresh ruleset copies that have first decided — untimed — what the service
had decided before that stream, so both sides have the same tables.
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

from . import bare_asgi, golden
from .engines import ROOT, copier, release
from .measure import Disagreement
from .timing import frozen_heap

#: Scenarios in one request of the batched stream: the service's most (``--max-batch``,
#: ``coopcheck.serve.service.MAX_BATCH``).
BATCH = 1000
#: The open-loop run: requests due per second, client threads, and the share of that rate
#: the service must sustain to have kept up.
RATE = 500.0
STEADY_THREADS = 16
KEPT_UP = 0.95
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

SERVE = ("-m", "coopcheck", "serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "warning")
#: The floor: a bare ASGI endpoint on the same stack (:mod:`bench.bare_asgi`, 127.0.0.1 only).
BARE = ("-m", "bench.bare_asgi", "--port", "0")


class Service:
    """``coopcheck serve`` (or, with ``args=BARE``, the bare ASGI floor) in a subprocess on
    127.0.0.1 and a free port; a context manager that always stops it. ``deadline``: seconds
    after which the process is killed whatever happens (a watchdog thread), so a hung run
    cannot outlive the benchmark."""

    def __init__(self, deadline: float = 1800.0, start_timeout: float = 120.0, args: Sequence[str] = SERVE):
        self.deadline, self.start_timeout, self.args = deadline, start_timeout, tuple(args)
        self.name = "`coopcheck serve`" if self.args == SERVE else " ".join(self.args[1:2])
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self._lines: queue.Queue = queue.Queue()
        self._tail: list[str] = []
        self._done = threading.Event()

    def __enter__(self) -> "Service":
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.proc = subprocess.Popen(
            [sys.executable, *self.args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
        try:
            threading.Thread(target=self._drain, daemon=True).start()
            threading.Thread(target=self._watchdog, daemon=True).start()
            end = time.monotonic() + self.start_timeout
            while not self.url:
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} did not start: " + " | ".join(self._tail[-5:]))
                try:
                    line = self._lines.get(timeout=min(left, 0.5))
                except queue.Empty:
                    continue
                m = LISTENING.search(line)
                if m:
                    if m.group(1) != "127.0.0.1":
                        raise RuntimeError(f"{self.name} listens on {m.group(1)}, not 127.0.0.1")
                    self.url = f"http://{m.group(1)}:{m.group(2)}"
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def cpu_seconds(self) -> float | None:
        """The process's CPU time so far (user + system, all its threads), from /proc; None
        where there is no /proc."""
        return cpu_seconds(self.proc.pid)

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


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (every thread), from ``/proc/PID/stat``."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the load generator -----------------------------------------------------------------------

def _client(url: str):
    import httpx

    return httpx.Client(base_url=url, timeout=60.0, headers={"content-type": "application/json"})


def drive(url: str, bodies: Sequence[bytes], threads: int, path: str = "/v1/decide",
          method: str = "POST", server: "Service | None" = None) -> dict:
    """Send every body once, ``threads`` requests in flight (one keep-alive client per
    thread). Returns the wall time, each request's latency (in the order sent), the
    response bytes and, given the ``server``, its CPU seconds over the timed part; a status
    other than 200 raises."""
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
            with frozen_heap():
                cpu0 = server.cpu_seconds() if server is not None else None
                start = time.perf_counter()
                out = list(pool.map(one, bodies))
                wall = time.perf_counter() - start
                cpu1 = server.cpu_seconds() if server is not None else None
    finally:
        for c in clients:
            c.close()
    return {"wall_s": wall, "latencies": [t for t, _ in out], "responses": [b for _, b in out],
            "server_cpu_s": None if cpu0 is None or cpu1 is None else cpu1 - cpu0}


def steady(url: str, bodies: Sequence[bytes], rate: float, threads: int = 16, path: str = "/v1/decide",
           server: "Service | None" = None) -> dict:
    """Open loop: body ``i`` is due at ``start + i / rate`` whatever became of the earlier
    ones; ``threads`` workers (one keep-alive client each) take the bodies in order, wait
    for the due time and send. Each latency runs from the *due* time to the end of the
    response, so a request that had to wait for a free worker (the service falling behind)
    counts its wait. Returns the latencies, how late each was sent, the wall time from the
    start to the last response, the responses and the server's CPU seconds."""
    lock = threading.Lock()
    counter = iter(range(len(bodies)))
    out: list = [None] * len(bodies)
    errors: list = []
    t0 = 0.0

    def work(c) -> None:
        while not errors:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            due = t0 + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            r = c.post(path, content=bodies[i])
            content = r.content
            done = time.perf_counter()
            if r.status_code != 200:
                errors.append(f"POST {path} answered {r.status_code}: {content[:300]!r}")
                return
            out[i] = (done - due, sent - due, done, content)

    clients = [_client(url) for _ in range(threads)]
    try:
        for c in clients:  # connected before the clock starts
            c.get("/health")
        with ThreadPoolExecutor(threads) as pool, frozen_heap():
            cpu0 = server.cpu_seconds() if server is not None else None
            t0 = time.perf_counter() + 0.05
            for f in [pool.submit(work, c) for c in clients]:
                f.result()
            cpu1 = server.cpu_seconds() if server is not None else None
    finally:
        for c in clients:
            c.close()
    if errors:
        raise RuntimeError(errors[0])
    wall = max(o[2] for o in out) - t0
    return {"wall_s": wall, "latencies": [o[0] for o in out], "late": [o[1] for o in out],
            "responses": [o[3] for o in out], "rate": rate, "scheduled_s": len(bodies) / rate,
            "server_cpu_s": None if cpu0 is None or cpu1 is None else cpu1 - cpu0}


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


def _load_figures(name: str, run: dict, decisions: int | None) -> dict:
    lat = run["latencies"]
    cpu = run.get("server_cpu_s")
    return {"name": name, "requests": len(lat), "decisions": decisions, "wall_s": run["wall_s"],
            "requests_per_s": len(lat) / run["wall_s"],
            "decisions_per_s": None if decisions is None else decisions / run["wall_s"],
            "p50_ms": percentile(lat, 0.50) * 1000, "p99_ms": percentile(lat, 0.99) * 1000,
            "server_cpu_s": cpu, "server_cores": None if cpu is None else cpu / run["wall_s"]}


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
            deadline: float = 1800.0, progress: Callable[[str], None] | None = None, batches: int = 10,
            steady_s: float = 10.0, rate: float = RATE) -> dict:
    """The service section: agreement on a sample, then (unless ``check_only``) the bare ASGI
    floor and the service's timed streams — ``n`` single requests, ``batches`` arrays of
    :data:`BATCH` (twice), ``rate`` requests/s for ``steady_s`` seconds, each of distinct
    scenarios — and the in-process floors. Figures as a dict."""
    say = progress or (lambda _t: None)
    steady_n = max(1, int(round(rate * steady_s)))
    nb = batches * BATCH
    dicts = scenarios(sample + n + nb + steady_n)
    checked, single = dicts[:sample], dicts[sample:sample + n]
    batched, paced = dicts[sample + n:sample + n + nb], dicts[sample + n + nb:]
    encode = json.JSONEncoder(ensure_ascii=False).encode
    result: dict = {"scenarios": n, "batch": BATCH, "batches": batches, "threads": threads, "sample": sample,
                    "rate": rate, "steady_s": steady_s, "steady_threads": STEADY_THREADS}
    single_bodies = [encode(d).encode() for d in single]
    if not check_only:
        say(f"service: the floor, a bare ASGI endpoint on the same stack, {n:,} requests")
        with Service(deadline=deadline, args=BARE) as bare:
            floor = drive(bare.url, single_bodies, threads, path=bare_asgi.PATH, server=bare)
            # the same open loop against the floor: what the stack and this machine give at that rate
            floor_paced = steady(bare.url, [encode(d).encode() for d in paced], rate, STEADY_THREADS,
                                 path=bare_asgi.PATH, server=bare)
        wrong = sum(b != bare_asgi.BODY for b in floor["responses"] + floor_paced["responses"])
        if wrong:
            raise RuntimeError(f"the bare ASGI floor answered {wrong} of {n} requests with another body")
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
        say(f"service: {n:,} single requests, {batches} batches of {BATCH:,} (twice), {threads} client threads; "
            f"{steady_n:,} requests at {rate:g}/s")
        health = drive(svc.url, [b""] * min(n, 2000), threads, path="/health", method="GET", server=svc)
        one = drive(svc.url, single_bodies, threads, server=svc)
        paced_run = steady(svc.url, [encode(d).encode() for d in paced], rate, STEADY_THREADS, server=svc)
        bodies = [encode(batched[i:i + BATCH]).encode() for i in range(0, nb, BATCH)]
        many = drive(svc.url, bodies, threads, server=svc)
        again = drive(svc.url, bodies, threads, server=svc)
    # the service is stopped; check every timed answer
    compare("`coopcheck serve`, the single-scenario stream", single,
            [json.loads(b) for b in one["responses"]], expected(single))
    compare(f"`coopcheck serve`, the stream at {rate:g} requests/s", paced,
            [json.loads(b) for b in paced_run["responses"]], expected(paced))
    want_batched = expected(batched)
    for name, run in (("batched stream", many), ("batched stream, repeated", again)):
        compare(f"`coopcheck serve`, the {name}", batched, [a for b in run["responses"] for a in json.loads(b)],
                want_batched)
    say("service: in-process decide(dict) on the same streams")
    # the same history as the service's evaluators: the sample, then the single stream, then
    # the paced stream, then the batched stream (twice)
    floor_one = in_process(single, repeats, checked)
    floor_many = in_process(batched, repeats, checked + single + paced)
    floor_again = in_process(batched, repeats, checked + single + paced + batched)
    rows = [dict(_load_figures(f"bare ASGI endpoint, same stack, fixed {len(bare_asgi.BODY)}-byte JSON "
                               "(the floor)", floor, None), key="floor"),
            dict(_load_figures("GET /health (no decision)", health, None), key="health"),
            dict(_load_figures("POST /v1/decide, 1 scenario a request", one, n), key="single"),
            dict(_load_figures(f"POST /v1/decide, {BATCH:,} scenarios a request", many, nb), key="batched"),
            dict(_load_figures(f"POST /v1/decide, {BATCH:,} a request, repeated (warm tables)", again, nb),
                 key="again")]
    for at, (name, run, decisions, key) in enumerate(
            ((f"POST /v1/decide, 1 scenario a request, open loop at {rate:g}/s", paced_run, steady_n, "steady"),
             (f"bare ASGI endpoint, open loop at {rate:g}/s", floor_paced, None, "floor_steady"))):
        paced_row = dict(_load_figures(name, run, decisions), key=key)
        paced_row.update(late_p99_ms=percentile(run["late"], 0.99) * 1000, scheduled_s=run["scheduled_s"],
                         kept_up=paced_row["requests_per_s"] >= KEPT_UP * rate)
        rows.insert(3 + at, paced_row)
    for r in rows:  # one request a decision (or none): requests/s comparable with the floor's
        if r["key"] in ("floor", "health", "single", "steady", "floor_steady"):
            r["vs_floor"] = r["requests_per_s"] / rows[0]["requests_per_s"]
    inproc = {stream: {"decide_per_s": len(ds) / f["decide"], "json_per_s": len(ds) / f["json"]}
              for stream, ds, f in (("single", single, floor_one), ("batched", batched, floor_many),
                                    ("again", batched, floor_again))}
    for r in rows:
        if r["key"] in inproc:
            r["vs_decide"] = r["decisions_per_s"] / inproc[r["key"]]["decide_per_s"]
            r["vs_json"] = r["decisions_per_s"] / inproc[r["key"]]["json_per_s"]
    result.update(rows=rows, in_process=inproc, repeats=repeats)
    return result


def row(fig: dict, key: str) -> dict | None:
    """The row ``key`` (floor, health, single, steady, floor_steady, batched, again) of the figures."""
    return next((r for r in fig.get("rows", ()) if r["key"] == key), None)


def table(fig: dict) -> str:
    """The section as the bench prints it."""
    from tabulate import tabulate

    from .report import ratio

    def num(v, fmt):
        return "—" if v is None else format(v, fmt)

    rows = []
    for r in fig["rows"]:
        rows.append([r["name"], f"{r['requests_per_s']:,.0f}", num(r["decisions_per_s"], ",.0f"),
                     f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", num(r.get("server_cores"), ".2f"),
                     ratio(r["vs_floor"]) if "vs_floor" in r else "—", ratio(r["vs_decide"]) if "vs_decide" in r else "—",
                     ratio(r["vs_json"]) if "vs_json" in r else "—"])
    for stream, label in (("single", "the single-request stream"), ("batched", "the batched stream"),
                          ("again", "the batched stream repeated")):
        ip = fig["in_process"][stream]
        rows.append([f"in process: decide(dict), {label}", "—", f"{ip['decide_per_s']:,.0f}",
                     "—", "—", "—", "—", "1.00×", "—"])
        rows.append([f"in process: decision JSON text, {label}", "—", f"{ip['json_per_s']:,.0f}",
                     "—", "—", "—", "—", ratio(ip["json_per_s"] / ip["decide_per_s"]), "1.00×"])
    headers = ["caller", "requests/s", "decisions/s", "p50 ms", "p99 ms", "server\nCPU cores",
               "× floor\nrequests/s", "× decide\n(in process)", "× decision\nJSON text"]
    out = tabulate(rows, headers=headers, disable_numparse=True,
                   colalign=("left",) + ("right",) * (len(headers) - 1))
    for key, who in (("steady", "the service"), ("floor_steady", "the floor")):
        st = row(fig, key)
        if st is not None:
            out += (f"\nopen loop, {who}: {st['requests']:,} requests due at {fig['rate']:g}/s over "
                    f"{st['scheduled_s']:g} s ({fig['steady_threads']} client threads), latency from the due time; "
                    f"{st['requests_per_s']:,.0f} requests/s achieved — {'kept up' if st['kept_up'] else 'fell behind'}"
                    f"; sent after its due time by p99 {st['late_p99_ms']:.2f} ms (no free client thread, or the client "
                    "waking late)")
    return out


def caption(fig: dict) -> str:
    """The section's title line."""
    return (f"`coopcheck serve` under load ({fig['scenarios']:,} distinct golden scenarios in the single stream, "
            f"{fig['batches']} arrays of {fig['batch']:,} in the batched one, all seen first by the service except "
            f"the repeated row; {fig['threads']} client threads in this process, the service (one worker process) "
            f"in another; the floor a bare ASGI endpoint on the same stack (Starlette + uvicorn with the "
            f"service's options), its own process, driven with the same client and bodies; server CPU cores: "
            f"the server process's CPU time over the wall time; the service's answers to {fig['checked']} "
            "requests checked equal to decide() before timing, every timed answer after. In-process rows, the "
            "floor a caller embedding coopcheck gets: each pass from fresh ruleset copies that have first "
            "decided, untimed, what the service had decided before that stream (same history); median of "
            f"{fig['repeats']} passes)")
