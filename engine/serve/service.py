"""The decision service's configuration and shared state.

:class:`ServeConfig` is what ``coopcheck serve`` serves and how (its default limits:
:data:`MAX_BODY`, :data:`MAX_BATCH`, :data:`TIMEOUT`, :data:`BODY_TIMEOUT`). :class:`Service`
is the state every route shares: the policies, metrics and decision log, the bearer tokens
(compared in constant time), the decision writers, and where decisions run (:meth:`Service.run`):
one scenario's decision on the event loop, anything larger on a worker thread (at most
``2 × CPUs`` at once, requests of over :data:`BATCH_LANE` scenarios one at a time), each
under the time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import inspect
import os
import threading
from typing import Any, Callable

import anyio
from attrs import define, field

from coopcheck.presentation.decision_json import DecisionWriter
from coopcheck.serve.decisionlog import DecisionLog
from coopcheck.serve.metrics import Metrics
from coopcheck.serve.responses import ApiError
from coopcheck.serve.store import PolicyStore, shipped_sources


#: Default limits: request body, scenarios per request, seconds to decide a request.
MAX_BODY = 1024 * 1024
MAX_BATCH = 1000
TIMEOUT = 10.0
#: Requests with more scenarios than this are decided one at a time (:meth:`Service.run`).
BATCH_LANE = 64
#: Seconds a request may take to send its body.
BODY_TIMEOUT = 10.0
#: Seconds a request waits for its decision-log lines with ``require_log``.
LOG_WAIT = 5.0


@define
class ServeConfig:
    """What ``coopcheck serve`` serves and how (the command line's options)."""

    sources: tuple = field(factory=lambda: tuple(shipped_sources()), converter=tuple)
    #: bearer token -> the caller's name (or None); empty: no token required
    tokens: dict = field(factory=dict)
    decision_log: str | None = None
    log_mask: tuple = ()
    log_drop: tuple = ()
    log_max_bytes: int = 100 * 1024 * 1024
    log_backups: int = 5
    log_buffer: int = 10_000
    require_log: bool = False
    max_body: int = MAX_BODY
    max_batch: int = MAX_BATCH
    timeout: float = TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    poll_interval: float = 1.0
    #: Keep what is loaded out of the garbage collector's full passes (``gc.freeze``): the
    #: ``coopcheck serve`` process does; an app inside another program leaves its collector alone.
    freeze_gc: bool = False


def _run_in_thread_kwargs() -> dict:
    params = inspect.signature(anyio.to_thread.run_sync).parameters
    return {"abandon_on_cancel": True} if "abandon_on_cancel" in params else {"cancellable": True}


class Service:
    """The state the routes share: configuration, policies, metrics, decision log."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.metrics = Metrics()
        self.store = PolicyStore(config.sources, on_reload=self._reloaded)
        self.metrics.gauge("coopcheck_policies_loaded", lambda: len(self.store.snapshot.policies))
        self.metrics.gauge("coopcheck_policy_problems", lambda: len(self.store.snapshot.problems))
        self.log: DecisionLog | None = None
        if config.decision_log:
            m = self.metrics
            self.log = DecisionLog(
                config.decision_log, mask=config.log_mask, drop=config.log_drop, max_bytes=config.log_max_bytes,
                backups=config.log_backups, buffer=config.log_buffer,
                on_written=lambda n: m.inc("coopcheck_decision_log_lines_total", n),
                on_failed=lambda n: m.inc("coopcheck_decision_log_write_failures_total", n),
                on_dropped=lambda n: m.inc("coopcheck_decision_log_dropped_total", n))
        self.limiter = anyio.CapacityLimiter(max(2, 2 * (os.cpu_count() or 1)))
        # large requests take turns: Python decides on one core at a time whatever the threads
        # (4 batches at once ran at 18-23k decisions/s, one at a time at 30-37k)
        self.batch_limiter = anyio.CapacityLimiter(1)
        # the DecisionWriters, per language: the event loop's (one-scenario requests), and one
        # that worker threads share, one request at a time (a writer's caches fill to some 50 MB
        # on millions of distinct scenarios: two a language bound what the service holds)
        self._loop_writers: dict[str, DecisionWriter] = {}
        self._shared_writers: dict[str, tuple[DecisionWriter, threading.Lock]] = {}
        self._writers_lock = threading.Lock()
        self._thread_kwargs = _run_in_thread_kwargs()
        # tokens are compared as SHA-256 digests: equal lengths, so not even a token's length shows
        self.tokens = [(hashlib.sha256(t.encode("utf-8")).digest(), name) for t, name in config.tokens.items()]

    def _reloaded(self, source: str, ok: bool) -> None:
        self.metrics.inc("coopcheck_policy_reloads_total", result="ok" if ok else "failed")
        if ok and self.config.freeze_gc:
            freeze_loaded()  # the policy replaced may hold cycles: collect it, keep the new one out

    def start(self) -> None:
        """Start polling the policy files and the decision-log writer."""
        self.store.start(self.config.poll_interval)
        if self.log is not None:
            self.log.start()

    def stop(self) -> None:
        """Stop the poll; flush and close the decision log."""
        self.store.stop()
        if self.log is not None:
            self.log.close()

    def writer(self, lang: str, on_loop: bool = False) -> tuple[DecisionWriter, Any]:
        """A :class:`DecisionWriter` in ``lang`` and the context to hold while using it (a writer
        keeps templates and is never used by two threads at once): the event loop's (``on_loop``:
        used on that thread alone, no lock), else the one the worker threads share, with its lock."""
        if on_loop:
            found = self._loop_writers.get(lang)
            if found is None:
                found = self._loop_writers[lang] = DecisionWriter(lang)
            return found, contextlib.nullcontext()
        with self._writers_lock:
            shared = self._shared_writers.get(lang)
            if shared is None:
                shared = self._shared_writers[lang] = (DecisionWriter(lang), threading.Lock())
        return shared

    # ---- authentication --------------------------------------------------------------------
    def caller(self, authorization: str | None) -> tuple[bool, str | None]:
        """``(authenticated, caller name)`` for an ``Authorization`` header. Every token is
        compared (:func:`hmac.compare_digest`), so the time taken does not say which matched."""
        if not self.tokens:
            return True, None
        if not authorization or not authorization[:7].lower() == "bearer ":
            return False, None
        presented = hashlib.sha256(authorization[7:].strip().encode("utf-8", "surrogateescape")).digest()
        ok, name = False, None
        for token, who in self.tokens:
            if hmac.compare_digest(presented, token):
                ok, name = True, who
        return ok, name

    # ---- running decisions -----------------------------------------------------------------
    async def run(self, fn: Callable[[], Any], batch: bool = False, inline: bool = False) -> Any:
        """``fn()`` on a worker thread within the time limit (503 ``timeout`` past it); a
        ``batch`` (a request of over :data:`BATCH_LANE` scenarios) waits for the batch before it.
        ``inline``: one scenario's decision runs here, on the event loop, with no thread and no
        time limit: its work is bounded by the input limits (tens of microseconds warm, a few
        milliseconds cold for all five co-ops), and handing it to a thread and back cost more
        than deciding it (at 500 requests/s: p50 1.4-1.6 ms on a thread, 1.15-1.2 ms inline;
        p99 4.8-7 ms and 3.3-5.3 ms, four runs each)."""
        if inline:
            return fn()
        try:
            with anyio.fail_after(self.config.timeout):
                if batch:
                    async with self.batch_limiter:
                        return await anyio.to_thread.run_sync(fn, limiter=self.limiter, **self._thread_kwargs)
                return await anyio.to_thread.run_sync(fn, limiter=self.limiter, **self._thread_kwargs)
        except TimeoutError:
            raise ApiError(503, "timeout", f"the request took longer than {self.config.timeout:g} s; nothing "
                           "was decided", "send fewer scenarios per request") from None

    async def write_log(self, records: list[dict]) -> None:
        """Hand the records to the decision log; with ``require_log``, wait until they are
        written and refuse (503) when they cannot be."""
        if self.log is None or not records:
            return
        if not self.config.require_log:
            self.log.submit(records)
            return
        loop = asyncio.get_running_loop()
        written: asyncio.Future = loop.create_future()

        def done(ok: bool) -> None:
            loop.call_soon_threadsafe(lambda: written.done() or written.set_result(ok))

        ok = self.log.submit(records, done)
        if ok:
            try:
                ok = await asyncio.wait_for(written, LOG_WAIT)
            except asyncio.TimeoutError:
                ok = False
        if not ok:
            raise ApiError(503, "log_unavailable", "the decision could not be written to the decision log, so it "
                           "is not given (--require-log)", "see /health for the log's last error")


def freeze_loaded() -> None:
    """Collect what is garbage, then move everything left to the collector's permanent
    generation (``gc.freeze``), so no later full collection walks the compiled policies and
    their tables again. A full collection of a loaded service took about 10 ms, long enough to
    be a request's whole p99 budget; after the freeze it takes well under 1 ms. Objects frozen
    and later dropped are still freed by reference counting; those in cycles wait for the
    next call (each policy reload makes one)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
