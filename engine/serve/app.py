"""The decision service's ASGI application (Starlette): the routes and what every route does.

:func:`create_app` builds the application from a :class:`ServeConfig`: the routes of
:data:`ROUTES`, each handler wrapped by :func:`endpoint`, behind the token check of
:class:`~coopcheck.serve.requests.Guard`. Every answer is JSON in the contract of
``coopcheck check --json`` / ``explain --format json`` (the decision contract, each decision
with its ``revision`` and ``decision_id``), every error an error object
(:mod:`~coopcheck.serve.responses`).

Fail closed: a request that fails for any reason other than bad input is answered with an
error status (401/413/503/500) and an error object — never a decision; an unexpected
exception is logged with its traceback and answered 500.

The handlers live by job: :mod:`~coopcheck.serve.answers` (decide, explain, compare),
:mod:`~coopcheck.serve.views` (policies, terms, health, metrics, the page);
:mod:`~coopcheck.serve.requests` reads and bounds a request, :mod:`~coopcheck.serve.service`
holds the configuration and the state the routes share. The names this module has always
offered (``ServeConfig``, ``Service``, ``ApiError``, ``error_object``, ``health``, ``Source``)
are still importable from it.

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

import contextlib
import logging
import time
import uuid

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coopcheck.dsl.errors import CoopcheckError

from coopcheck.serve.answers import compare_route, decide_route, explain_route, opa_route
from coopcheck.serve.requests import Guard
from coopcheck.serve.responses import JSON, ApiError, BadBody, error_object
from coopcheck.serve.service import ServeConfig, Service
from coopcheck.serve.store import Source
from coopcheck.serve.views import (health, health_route, metrics_route, openapi_route, page_route, policies_route,
                                   script_route, style_route, terms_route)

log = logging.getLogger("coopcheck.serve")


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


def _route(path: str, handler, method: str) -> Route:
    return Route(path, endpoint(path)(handler), methods=[method])


#: Every route: its path, its handler (wrapped by :func:`endpoint`), its method.
ROUTES = [
    _route("/", page_route, "GET"),
    _route("/static/app.js", script_route, "GET"),
    _route("/static/app.css", style_route, "GET"),
    _route("/health", health_route, "GET"),
    _route("/metrics", metrics_route, "GET"),
    _route("/openapi.json", openapi_route, "GET"),
    _route("/v1/policies", policies_route, "GET"),
    _route("/v1/terms", terms_route, "GET"),
    _route("/v1/decide", decide_route, "POST"),
    _route("/v1/explain", explain_route, "POST"),
    _route("/v1/compare", compare_route, "POST"),
    _route("/v1/data/coopcheck/decide", opa_route, "POST"),
]


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
