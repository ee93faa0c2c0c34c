"""What a request must be and carry before anything is decided: the bearer token
(:class:`Guard`, in front of every route), the query parameters ``lang`` and ``coop``, a body
read within the size and time limits and parsed as JSON (:func:`read_json`: a body that is
not JSON is a 400 with an E406 error object), and at most ``max_batch`` scenarios.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.requests import Request

from coopcheck.dsl.codes import Code

from coopcheck.core.jsontext import NotJson, loads_strict
from coopcheck.serve.responses import ApiError, BadBody, input_error
from coopcheck.serve.service import Service


#: Paths anyone may ask for when a token is required: the page shell and its assets (they hold
#: the vocabulary's labels, nothing else) and /health (its status only; details need the token).
PUBLIC_PATHS = frozenset({"/", "/static/app.js", "/static/app.css", "/health"})


def lang_and_coop(request: Request) -> tuple[str, str | None]:
    """The ``lang`` (``en``/``ja``) and ``coop`` query parameters (400 for another language)."""
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
        raise BadBody(input_error(Code.E406, f"the request body is not UTF-8 text (byte {err.start})", None)) from None
    if not text.strip():
        raise BadBody(input_error(Code.E406, "the request body is empty",
                                   "send one scenario as a JSON object, or an array of them"))
    try:
        return loads_strict(text)
    except NotJson as err:  # the same reading as check --json and the audit
        if err.line is None:
            raise BadBody(input_error(Code.E406, f"invalid JSON: {err.message[:200]}", None)) from None
        raise BadBody(input_error(Code.E406, f"invalid JSON: {err.message} at line {err.line} column {err.column}",
                                  "send one scenario as a JSON object, or an array of them")) from None


def scenario_batch(body: Any, svc: Service) -> tuple[list, bool]:
    """The scenarios of a body and whether it was one scenario (not an array)."""
    if isinstance(body, list):
        if len(body) > svc.config.max_batch:
            raise ApiError(413, "too_large", f"{len(body)} scenarios in one request; at most {svc.config.max_batch}",
                           "split the batch")
        return body, False
    return [body], True


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
