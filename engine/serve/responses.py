"""What the decision service answers with: :class:`JSON` (the response every answer is
written in) and the error objects.

Every error is an ``{"error": {"code", "message", "help", ...}}`` object: a bad scenario or a
body that is not JSON gets the object the CLI writes for it (:func:`error_object`, ``code``
E4xx; :class:`BadBody` carries one), a refusal of the service a word (:class:`ApiError`:
``unauthorized``, ``too_large``, ``timeout``, ``unavailable``, ``log_unavailable``,
``internal``, …) with its HTTP status.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic


class ApiError(Exception):
    """A request the service refuses: HTTP status and the error object's fields."""

    def __init__(self, status: int, code: str, message: str, help: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.help, self.headers = status, code, message, help, headers

    def response(self) -> Response:
        """The refusal as a response: its status, headers and error object."""
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


def input_error(code: Code, message: str, help: str | None = None) -> CoopcheckError:
    """A bad-input error with one diagnostic (no span: it is about the request body)."""
    return CoopcheckError([Diagnostic(code, message, None, help)])


class BadBody(Exception):
    """A request body that is not JSON: answered 400 with the error object."""

    def __init__(self, err: CoopcheckError):
        super().__init__(str(err))
        self.err = err
