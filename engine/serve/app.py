"""The decision service's ASGI application (Starlette): routes, limits, authentication, logs.

:func:`create_app` builds the application from a :class:`ServeConfig`. Every answer is JSON
in the contract of ``coopcheck check --json`` / ``explain --format json`` (the decision
contract, each decision with its ``revision`` and ``decision_id``), and every error is an
``{"error": {"code", "message", "help", ...}}`` object: a bad scenario gets the object the CLI
writes for it (``code`` E4xx), a refusal of the service a word (``unauthorized``,
``too_large``, ``timeout``, ``unavailable``, ``log_unavailable``, ``internal``, …).

Fail closed: a request that fails for any reason other than bad input is answered with an
error status (401/413/503/500) and an error object — never a decision; an unexpected
exception is logged with its traceback and answered 500. Decisions run on worker threads
(at most ``2 × CPUs`` at once) under a time limit; request bodies and batches are bounded.

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")   # newer Starlette prefers httpx2 to httpx, and says so
...     from starlette.testclient import TestClient
>>> with TestClient(create_app(ServeConfig())) as client:
...     r = client.post("/v1/decide", json={"coop": "aizu", "action": "share", "data": ["購買履歴"],
...                                          "recipient": "日本生協連", "purpose": "delivery"})
>>> r.status_code, r.json()["decision"], r.json()["basis"], len(r.json()["revision"])
(200, 'permit', 'joint_use', 16)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import inspect
import json
import logging
import os
import time
import uuid
from typing import Any, Callable

import anyio
from attrs import define, field
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core.api import make_scenario
from coopcheck.core.scenario import coop_request
from coopcheck.analysis.compare import ScenarioInput, compare_matrix
from coopcheck.analysis.explain import explain
from coopcheck.core.search import term_entries
from coopcheck.presentation.compare_render import cell_text, row_label
from coopcheck.presentation.decision_json import decision_json
from coopcheck.presentation.explain_json import explanation_json
from coopcheck.serve import openapi, page
from coopcheck.serve.decisionlog import DecisionLog
from coopcheck.serve.metrics import Metrics
from coopcheck.serve.store import PolicyStore, Snapshot, Source, coop_names, iso_time, shipped_sources

log = logging.getLogger("coopcheck.serve")

#: Default limits: request body, scenarios per request, seconds to decide a request.
MAX_BODY = 1024 * 1024
MAX_BATCH = 1000
TIMEOUT = 10.0
#: Seconds a request may take to send its body.
BODY_TIMEOUT = 10.0
#: Seconds a request waits for its decision-log lines with ``require_log``.
LOG_WAIT = 5.0

#: Words for a kind in ``GET /v1/terms?kind=`` (as ``coopcheck terms KIND``).
KIND_WORDS = {"item": "item", "items": "item", "data": "item", "party": "party", "parties": "party",
              "recipient": "party", "recipients": "party", "purpose": "purpose", "purposes": "purpose",
              "subject": "subject", "subjects": "subject", "exception": "exception", "exceptions": "exception",
              "obligation": "obligation", "obligations": "obligation", "coop": "coop", "coops": "coop",
              "co-op": "coop", "co-ops": "coop"}

#: Paths anyone may ask for when a token is required: the page shell and its assets (they hold
#: the vocabulary's labels, nothing else) and /health (its status only; details need the token).
PUBLIC_PATHS = frozenset({"/", "/static/app.js", "/static/app.css", "/health"})


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


class ApiError(Exception):
    """A request the service refuses: HTTP status and the error object's fields."""

    def __init__(self, status: int, code: str, message: str, help: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.help, self.headers = status, code, message, help, headers

    def response(self) -> Response:
        obj = {"code": self.code, "message": self.message}
        if self.help:
            obj["help"] = self.help
        return JSON({"error": obj}, status_code=self.status, headers=self.headers)


class JSON(Response):
    """JSON as UTF-8 (Japanese unescaped); text UTF-8 cannot carry (a lone surrogate echoed
    from the input) is escaped, so the body is always valid JSON and valid UTF-8."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return json.dumps(content, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


def error_object(err: CoopcheckError, line: int | None) -> dict:
    """The ``{"error": {...}}`` object for a bad scenario, as ``coopcheck check --json``
    writes it (``line``: the scenario's 1-based position in the request)."""
    obj = err.diagnostics[0].to_json()
    if line is not None:
        obj["line"] = line
    if err.field:
        obj["field"] = err.field
    return {"error": obj}


def _input_error(code: Code, message: str, help: str | None = None) -> CoopcheckError:
    return CoopcheckError([Diagnostic(code, message, None, help)])


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
        self._thread_kwargs = _run_in_thread_kwargs()
        # tokens are compared as SHA-256 digests: equal lengths, so not even a token's length shows
        self.tokens = [(hashlib.sha256(t.encode("utf-8")).digest(), name) for t, name in config.tokens.items()]

    def _reloaded(self, source: str, ok: bool) -> None:
        self.metrics.inc("coopcheck_policy_reloads_total", result="ok" if ok else "failed")

    def start(self) -> None:
        self.store.start(self.config.poll_interval)
        if self.log is not None:
            self.log.start()

    def stop(self) -> None:
        self.store.stop()
        if self.log is not None:
            self.log.close()

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
    async def run(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on a worker thread within the time limit (503 ``timeout`` past it)."""
        try:
            with anyio.fail_after(self.config.timeout):
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


def _params(request: Request) -> tuple[str, str | None]:
    lang = request.query_params.get("lang", "en")
    if lang not in ("en", "ja"):
        raise ApiError(400, "bad_parameter", f"unknown language `{lang[:20]}`", "use `lang=en` or `lang=ja`")
    return lang, request.query_params.get("coop") or None


async def read_json(request: Request, svc: Service) -> Any:
    """The request body as JSON, within the size and time limits; a body that is not JSON is
    a 400 with an E406 error object."""
    limit = svc.config.max_body
    declared = request.headers.get("content-length", "")
    too_large = ApiError(413, "too_large", f"the request body is over {limit} bytes",
                         "send fewer scenarios per request")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    try:
        with anyio.fail_after(svc.config.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(408, "timeout", "the request body did not arrive in time") from None
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise BadBody(_input_error(Code.E406, f"the request body is not UTF-8 text (byte {err.start})", None)) from None
    if not text.strip():
        raise BadBody(_input_error(Code.E406, "the request body is empty",
                                   "send one scenario as a JSON object, or an array of them"))
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise BadBody(_input_error(Code.E406, f"invalid JSON: {err.msg.lower()} at line {err.lineno} column "
                                   f"{err.colno}", "send one scenario as a JSON object, or an array of them")) from None
    except RecursionError:
        raise BadBody(_input_error(Code.E406, "invalid JSON: nested too deeply", None)) from None
    except ValueError as err:  # NaN/Infinity, integers too long to read
        raise BadBody(_input_error(Code.E406, f"invalid JSON: {err}", None)) from None


def _no_constant(name: str):
    raise ValueError(f"`{name}` is not JSON")


class BadBody(Exception):
    """A request body that is not JSON: answered 400 with the error object."""

    def __init__(self, err: CoopcheckError):
        super().__init__(str(err))
        self.err = err


def _batch(body: Any, svc: Service) -> tuple[list, bool]:
    """The scenarios of a body and whether it was one scenario (not an array)."""
    if isinstance(body, list):
        if len(body) > svc.config.max_batch:
            raise ApiError(413, "too_large", f"{len(body)} scenarios in one request; at most {svc.config.max_batch}",
                           "split the batch")
        return body, False
    return [body], True


class Work:
    """One request's decisions, made on a worker thread against one snapshot."""

    def __init__(self, svc: Service, snapshot: Snapshot, lang: str, default_coop: str | None, endpoint: str,
                 caller: str | None, remote: str | None):
        self.svc, self.snapshot, self.lang, self.default_coop = svc, snapshot, lang, default_coop
        self.endpoint, self.caller, self.remote = endpoint, caller, remote
        self.records: list[dict] = []
        self.now = time.time()

    def policies_for(self, obj: Any):
        """The policies a scenario is for and its fields without ``coop`` (as the CLI reads a
        JSON scenario)."""
        asked = coop_request(obj, self.default_coop, "`?coop=` in the URL")
        try:
            policies = self.snapshot.resolve(asked.name, lists=not asked.own)
        except CoopcheckError as err:
            unloaded = [p.source for p in self.snapshot.problems.values() if p.serving is None]
            if unloaded:
                diag = err.diagnostics[0]
                raise CoopcheckError([Diagnostic(diag.code, diag.message, None, (diag.help or "") + (
                    f" (policy files not loaded: {', '.join(os.path.basename(u) for u in unloaded)}; see /health)"))])
            raise
        if not policies:
            raise ApiError(503, "unavailable", "no policy is loaded", "see /health")
        return policies, asked.body

    def stamp(self, policy, decision, answer: dict, scenario_input: Any) -> dict:
        """Add ``revision`` and ``decision_id`` to an answer; keep its log record."""
        decision_id = str(uuid.uuid4())
        answer["revision"] = policy.revision
        answer["decision_id"] = decision_id
        self.svc.metrics.inc("coopcheck_decisions_total", coop=policy.id, effect=str(decision.decision))
        if self.svc.log is not None:
            logged = {k: answer[k] for k in _DECISION_KEYS if k in answer}
            self.records.append({"decision_id": decision_id, "time": iso_time(time.time()), "endpoint": self.endpoint,
                                 "policy": {"id": policy.id, "revision": policy.revision},
                                 "caller": self.caller, "remote": self.remote, "input": scenario_input,
                                 "decision": logged})
        return answer

    def refused(self, err: CoopcheckError, line: int) -> dict:
        self.svc.metrics.inc("coopcheck_input_errors_total", code=str(err.diagnostics[0].code))
        return error_object(err, line)

    def decide(self, items: list) -> list:
        """Each scenario's decision (a list of them for ``coop: all``) or error object."""
        out = []
        for line, obj in enumerate(items, 1):
            try:
                policies, body = self.policies_for(obj)
                decided = []
                for p in policies:
                    ev = p.evaluator
                    d = ev.decide(ev.scenario(body))
                    decided.append((p, d))
            except CoopcheckError as err:
                out.append(self.refused(err, line))
                continue
            answers = [self.stamp(p, d, decision_json(d, self.lang), obj) for p, d in decided]
            out.append(answers if _all(obj, self.default_coop) else answers[0])
        return out

    def explain(self, items: list, show_all: bool) -> list:
        """Each scenario's explanation (as ``coopcheck explain --format json``) or error object."""
        out = []
        for line, obj in enumerate(items, 1):
            try:
                policies, body = self.policies_for(obj)
                found = [(p, explain(p.ruleset, make_scenario(p.ruleset, body), show_all=show_all)) for p in policies]
            except CoopcheckError as err:
                out.append(self.refused(err, line))
                continue
            answers = [self.stamp(p, e.decision, explanation_json(e, self.lang), obj) for p, e in found]
            out.append(answers if _all(obj, self.default_coop) else answers[0])
        return out

    def compare(self, items: list, coops: str | None) -> dict:
        """Every scenario against every co-op named (default: all served)."""
        snapshot = self.snapshot
        if coops:
            chosen, seen = [], set()
            for name in (n.strip() for n in coops.split(",") if n.strip()):
                for p in snapshot.resolve(name):
                    if p.id not in seen:
                        seen.add(p.id)
                        chosen.append(p)
        else:
            chosen = [snapshot.policies[i] for i in snapshot.ids()]
        inputs = [ScenarioInput(line, obj) for line, obj in enumerate(items, 1)]
        matrix = compare_matrix([(p.id, p.ruleset) for p in chosen], inputs)
        rows = []
        for row, obj in zip(matrix.rows, items):
            entry = row.to_json()
            entry["label"] = row_label(row, self.lang)
            for cell, cj, p in zip(row.cells, entry.get("results", []), chosen):
                cj["text"] = cell_text(cell, self.lang)
                cj["revision"] = p.revision
                if cell.decision is not None:
                    self.stamp(p, cell.decision, cj, obj)
                else:
                    self.svc.metrics.inc("coopcheck_input_errors_total", code=str(cell.error.diagnostics[0].code))
            rows.append(entry)
        return {"coops": [p.id for p in chosen], "names": {p.id: p.name for p in chosen},
                "revisions": {p.id: p.revision for p in chosen}, "rows": rows}


#: The decision contract's keys, as a decision log line keeps them.
_DECISION_KEYS = ("coop", "decision", "basis", "obligations", "citations", "reasons", "would_permit_with_consent",
                  "items", "rules", "scenario", "revision", "decision_id")


def _all(obj: Any, default_coop: str | None) -> bool:
    """Whether a scenario names several co-ops (``all`` or a list): its answer is a list."""
    coop = obj.get("coop") if isinstance(obj, dict) and obj.get("coop") is not None else default_coop
    if not isinstance(coop, str):
        return False
    names = coop_names(coop)
    return names is None or len(names) > 1


# ---- routes ------------------------------------------------------------------------------------

def endpoint(route: str):
    """Wrap a handler ``(request, service) -> Response``: count and time it, answer an
    :class:`ApiError` with its status, anything unexpected with 500 — never a decision."""

    def wrap(fn):
        async def handler(request: Request) -> Response:
            svc: Service = request.app.state.service
            start = time.perf_counter()
            try:
                response = await fn(request, svc)
            except ApiError as err:
                svc.metrics.inc("coopcheck_errors_total", kind=err.code)
                response = err.response()
            except BadBody as bad:
                svc.metrics.inc("coopcheck_input_errors_total", code=str(bad.err.diagnostics[0].code))
                response = JSON(error_object(bad.err, None), status_code=400)
            except CoopcheckError as err:  # a bad parameter (an unknown co-op in ?coops=)
                svc.metrics.inc("coopcheck_input_errors_total", code=str(err.diagnostics[0].code))
                response = JSON(error_object(err, None), status_code=400)
            except Exception:  # noqa: BLE001 — fail closed: an error, never an answer
                incident = uuid.uuid4().hex[:12]
                log.exception("internal error in %s (incident %s)", route, incident)
                svc.metrics.inc("coopcheck_errors_total", kind="internal")
                response = ApiError(500, "internal", "internal error; nothing was decided",
                                    f"the server log has the details (incident {incident})").response()
            svc.metrics.observe("coopcheck_request_duration_seconds", time.perf_counter() - start, route=route)
            svc.metrics.inc("coopcheck_requests_total", route=route, status=str(response.status_code))
            if route.startswith("/v1/"):
                response.headers["Cache-Control"] = "no-store"
            return response

        handler.__name__ = fn.__name__
        handler.__doc__ = fn.__doc__
        return handler

    return wrap


def _work(request: Request, svc: Service, endpoint_name: str, lang: str, default_coop: str | None) -> Work:
    state = request.scope.get("state", {})
    client = request.client
    return Work(svc, svc.store.snapshot, lang, default_coop, endpoint_name, state.get("caller"),
                client.host if client else None)


@endpoint("/v1/decide")
async def decide_route(request: Request, svc: Service) -> Response:
    lang, default_coop = _params(request)
    body = await read_json(request, svc)
    items, single = _batch(body, svc)
    work = _work(request, svc, "/v1/decide", lang, default_coop)
    out = await svc.run(lambda: work.decide(items))
    await svc.write_log(work.records)
    if single:
        return JSON(out[0], status_code=400 if isinstance(out[0], dict) and "error" in out[0] else 200)
    return JSON(out)


@endpoint("/v1/explain")
async def explain_route(request: Request, svc: Service) -> Response:
    lang, default_coop = _params(request)
    show_all = request.query_params.get("all", "").lower() in ("1", "true", "yes")
    body = await read_json(request, svc)
    items, single = _batch(body, svc)
    work = _work(request, svc, "/v1/explain", lang, default_coop)
    out = await svc.run(lambda: work.explain(items, show_all))
    await svc.write_log(work.records)
    if single:
        return JSON(out[0], status_code=400 if isinstance(out[0], dict) and "error" in out[0] else 200)
    return JSON(out)


@endpoint("/v1/compare")
async def compare_route(request: Request, svc: Service) -> Response:
    lang, _ = _params(request)
    body = await read_json(request, svc)
    items, _single = _batch(body, svc)
    work = _work(request, svc, "/v1/compare", lang, None)
    out = await svc.run(lambda: work.compare(items, request.query_params.get("coops")))
    await svc.write_log(work.records)
    return JSON(out)


@endpoint("/v1/data/coopcheck/decide")
async def opa_route(request: Request, svc: Service) -> Response:
    lang, default_coop = _params(request)
    body = await read_json(request, svc)
    if not isinstance(body, dict):
        raise BadBody(_input_error(Code.E404, "the request must be a JSON object with `input`",
                                   'send {"input": {...a scenario...}}'))
    if "input" not in body:
        raise BadBody(_input_error(Code.E403, "missing field `input`", 'send {"input": {...a scenario...}}'))
    work = _work(request, svc, "/v1/data/coopcheck/decide", lang, default_coop)
    out = (await svc.run(lambda: work.decide([body["input"]])))[0]
    await svc.write_log(work.records)
    if isinstance(out, dict) and "error" in out:
        return JSON(out, status_code=400)
    decision_id = out["decision_id"] if isinstance(out, dict) else str(uuid.uuid4())
    return JSON({"result": out, "decision_id": decision_id})


@endpoint("/v1/policies")
async def policies_route(request: Request, svc: Service) -> Response:
    snap = svc.store.snapshot
    return JSON([snap.policies[i].to_json() for i in snap.ids()])


@endpoint("/v1/terms")
async def terms_route(request: Request, svc: Service) -> Response:
    snap = svc.store.snapshot
    q = request.query_params
    kind = None
    if q.get("kind"):
        kind = KIND_WORDS.get(q["kind"].strip().lower())
        if kind is None:
            raise ApiError(400, "bad_parameter", f"unknown kind `{q['kind'][:40]}`",
                           "kinds: " + ", ".join(sorted(set(KIND_WORDS.values()))))
    coop = q.get("coop")
    policies = snap.resolve(coop) if coop else [snap.policies[i] for i in snap.ids()][:1]
    if not policies:
        raise ApiError(503, "unavailable", "no policy is loaded", "see /health")
    vocab = policies[0].ruleset.vocabulary
    out = term_entries(vocab, (kind,) if kind else None, q.get("q"))
    return JSON(out)



def health(svc: Service) -> tuple[int, dict]:
    """``(status code, body)`` of ``/health``: 503 when a policy file has never compiled, no
    policy is loaded, or (with ``require_log``) the decision log cannot be written."""
    snap = svc.store.snapshot
    reasons = []
    if not snap.policies:
        reasons.append("no policy is loaded")
    for p in snap.problems.values():
        if p.serving is None:
            reasons.append(p.message + ": nothing from it is served")
    log_status = svc.log.status() if svc.log is not None else None
    if log_status and log_status["failing"] and svc.config.require_log:
        reasons.append(f"the decision log cannot be written ({log_status['last_error']}) and --require-log is set")
    degraded = bool(snap.problems) or bool(log_status and log_status["failing"])
    status = "unavailable" if reasons else "degraded" if degraded else "ok"
    body = {"status": status, "reasons": reasons,
            "policies": {i: {"name": p.name, "revision": p.revision, "loaded_at": iso_time(p.loaded_at)}
                         for i, p in sorted(snap.policies.items())},
            "problems": [p.to_json() for p in snap.problems.values()],
            "decision_log": log_status if log_status is None else {
                **log_status, "last_error_at": iso_time(log_status["last_error_at"])
                if log_status["last_error_at"] else None},
            "require_log": svc.config.require_log}
    return (503 if reasons else 200), body


@endpoint("/health")
async def health_route(request: Request, svc: Service) -> Response:
    code, body = health(svc)
    if not request.scope.get("state", {}).get("authenticated", True):
        body = {"status": body["status"], "detail": "send the bearer token for the details"}
    return JSON(body, status_code=code)


@endpoint("/metrics")
async def metrics_route(request: Request, svc: Service) -> Response:
    return PlainTextResponse(svc.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


@endpoint("/openapi.json")
async def openapi_route(request: Request, svc: Service) -> Response:
    return JSON(openapi.document())


_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@endpoint("/")
async def page_route(request: Request, svc: Service) -> Response:
    html = page.render_page(svc.store.snapshot, token_required=bool(svc.tokens))
    return HTMLResponse(html, headers=_PAGE_HEADERS)


@endpoint("/static/app.js")
async def script_route(request: Request, svc: Service) -> Response:
    return Response(page.SCRIPT, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"})


@endpoint("/static/app.css")
async def style_route(request: Request, svc: Service) -> Response:
    return Response(page.STYLE, media_type="text/css; charset=utf-8", headers={"Cache-Control": "no-cache"})


ROUTES = [
    Route("/", page_route, methods=["GET"]),
    Route("/static/app.js", script_route, methods=["GET"]),
    Route("/static/app.css", style_route, methods=["GET"]),
    Route("/health", health_route, methods=["GET"]),
    Route("/metrics", metrics_route, methods=["GET"]),
    Route("/openapi.json", openapi_route, methods=["GET"]),
    Route("/v1/policies", policies_route, methods=["GET"]),
    Route("/v1/terms", terms_route, methods=["GET"]),
    Route("/v1/decide", decide_route, methods=["POST"]),
    Route("/v1/explain", explain_route, methods=["POST"]),
    Route("/v1/compare", compare_route, methods=["POST"]),
    Route("/v1/data/coopcheck/decide", opa_route, methods=["POST"]),
]


class Guard:
    """ASGI middleware in front of every route: the bearer token (when one is configured)
    and headers every answer carries."""

    def __init__(self, app, service: Service):
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        svc = self.service
        auth = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                auth = value.decode("latin-1")
                break
        ok, caller = svc.caller(auth)
        state = scope.setdefault("state", {})
        state["authenticated"], state["caller"] = ok, caller
        if not ok and scope.get("path") not in PUBLIC_PATHS:
            svc.metrics.inc("coopcheck_errors_total", kind="unauthorized")
            response = ApiError(401, "unauthorized", "a valid bearer token is required",
                                "send `Authorization: Bearer TOKEN` (the token of --token-file)",
                                headers={"WWW-Authenticate": 'Bearer realm="coopcheck"'}).response()
            return await response(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _not_found(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}",
                        "see /openapi.json").response()
    return ApiError(exc.status_code, "not_found" if exc.status_code == 404 else "http_error",
                    f"no such resource: {request.url.path[:200]}" if exc.status_code == 404 else str(exc.detail),
                    "see /openapi.json for the API").response()


def create_app(config: ServeConfig | None = None) -> Starlette:
    """The decision service for ``config`` (default: the shipped policies, no token, no log).
    Policies are compiled here; the poll and the log writer run while the app's lifespan does."""
    service = Service(config or ServeConfig())

    @contextlib.asynccontextmanager
    async def lifespan(app):
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = Starlette(routes=ROUTES, lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_found})
    app.state.service = service
    app.add_middleware(Guard, service=service)
    return app


__all__ = ["ServeConfig", "Service", "create_app", "error_object", "health", "ApiError", "Source"]
