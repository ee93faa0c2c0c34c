"""The service's views of itself: the policies served (``/v1/policies``), their vocabulary
(``/v1/terms``), ``/health``, ``/metrics``, ``/openapi.json``, and the page for compliance
staff with its script and style.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from coopcheck.core.search import term_entries
from coopcheck.serve import openapi, page
from coopcheck.serve.responses import JSON, ApiError
from coopcheck.serve.service import Service
from coopcheck.serve.store import iso_time


#: Words for a kind in ``GET /v1/terms?kind=`` (as ``coopcheck terms KIND``).
KIND_WORDS = {"item": "item", "items": "item", "data": "item", "party": "party", "parties": "party",
              "recipient": "party", "recipients": "party", "purpose": "purpose", "purposes": "purpose",
              "subject": "subject", "subjects": "subject", "exception": "exception", "exceptions": "exception",
              "obligation": "obligation", "obligations": "obligation", "coop": "coop", "coops": "coop",
              "co-op": "coop", "co-ops": "coop"}


async def policies_route(request: Request, svc: Service) -> Response:
    """``GET /v1/policies``: each policy served, with its revision."""
    snap = svc.store.snapshot
    return JSON([snap.policies[i].to_json() for i in snap.ids()])


async def terms_route(request: Request, svc: Service) -> Response:
    """``GET /v1/terms``: a policy's vocabulary terms (``?kind=``, ``?q=``, ``?coop=``)."""
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


async def health_route(request: Request, svc: Service) -> Response:
    """``GET /health``: :func:`health`; without the token (when one is required), the status only."""
    code, body = health(svc)
    if not request.scope.get("state", {}).get("authenticated", True):
        body = {"status": body["status"], "detail": "send the bearer token for the details"}
    return JSON(body, status_code=code)


async def metrics_route(request: Request, svc: Service) -> Response:
    """``GET /metrics``: the Prometheus text exposition."""
    return PlainTextResponse(svc.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


async def openapi_route(request: Request, svc: Service) -> Response:
    """``GET /openapi.json``: the OpenAPI document."""
    return JSON(openapi.document())


_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def page_route(request: Request, svc: Service) -> Response:
    """``GET /``: the page for compliance staff, under a strict content security policy."""
    html = page.render_page(svc.store.snapshot, token_required=bool(svc.tokens))
    return HTMLResponse(html, headers=_PAGE_HEADERS)


async def script_route(request: Request, svc: Service) -> Response:
    """``GET /static/app.js``: the page's script."""
    return Response(page.SCRIPT, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"})


async def style_route(request: Request, svc: Service) -> Response:
    """``GET /static/app.css``: the page's style sheet."""
    return Response(page.STYLE, media_type="text/css; charset=utf-8", headers={"Cache-Control": "no-cache"})
