"""A Python client for ``coopcheck serve`` that fails closed: every error is a deny.

Standard library only (``urllib``), so a system that only asks for decisions needs nothing
beyond coopcheck itself. Whatever goes wrong — the service cannot be reached, times out,
answers 4xx/5xx, answers something that is not a decision, or answers an ``{"error": ...}``
object for the scenario — :meth:`Client.decide` returns a *deny* that carries the error, and
:meth:`Client.permits` returns False. Only a well-formed ``"decision": "permit"`` permits.

>>> c = Client("http://127.0.0.1:9", timeout=0.5)       # nothing listens on port 9
>>> c.permits({"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"})
False
>>> d = c.decide({"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery"})
>>> d["decision"], d["error"]["code"]
('deny', 'unreachable')
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterable, Mapping

__all__ = ["Client"]

EFFECTS = ("permit", "deny")


def _deny(code: str, message: str, help: str | None = None, status: int | None = None) -> dict:
    """A deny standing for an error: never mistaken for a permit."""
    error: dict = {"code": code, "message": message}
    if help:
        error["help"] = help
    if status is not None:
        error["status"] = status
    return {"decision": "deny", "basis": "none", "obligations": [], "citations": [], "reasons": [message],
            "error": error}


def _is_decision(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("decision") in EFFECTS and "error" not in obj


def _as_decision(obj: Any) -> dict | list:
    """A decision (or, for ``coop: all``, a list of them) as the service sent it, each error
    or malformed answer turned into a deny."""
    if isinstance(obj, list):
        return [_as_decision(x) if isinstance(x, (dict, list)) else _deny("bad_answer", "not a decision")
                for x in obj] or [_deny("bad_answer", "an empty answer")]
    if _is_decision(obj):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("error"), dict):
        err = obj["error"]
        return _deny(str(err.get("code", "error")), str(err.get("message", "error")), err.get("help"))
    return _deny("bad_answer", "the service's answer is not a decision")


def permitted(answer: dict | list) -> bool:
    """Whether an answer of :meth:`Client.decide` permits: every decision in it is a permit."""
    if isinstance(answer, list):
        return bool(answer) and all(permitted(a) for a in answer)
    return _is_decision(answer) and answer["decision"] == "permit"


class Client:
    """Asks a coopcheck decision service at ``url`` (``http://127.0.0.1:8181``) for decisions,
    with a bearer ``token`` when the service requires one. ``lang``: the language of reasons."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 5.0, lang: str = "en"):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.lang = lang

    def __repr__(self) -> str:
        return f"Client({self.url!r}, token={'***' if self.token else None})"

    def _request(self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None):
        """``(status, parsed JSON)``; raises OSError/ValueError on transport or parse failure."""
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        return status, json.loads(raw.decode("utf-8"))

    def _call(self, path: str, body: Any) -> Any:
        """The answer to a POST, or a deny (a list of denies for a list body) on any failure."""
        try:
            status, obj = self._request("POST", path, body, {"lang": self.lang})
        except (OSError, ValueError) as err:  # URLError, timeouts and refused connections are OSErrors
            reason = getattr(err, "reason", err)
            return _deny("unreachable", f"the decision service at {self.url} could not be asked: {reason}")
        except Exception as err:  # noqa: BLE001 — fail closed on anything at all
            return _deny("client_error", f"asking the decision service failed: {err!r}")
        if status != 200:  # only a 200 carries decisions; a 400 carries the scenario's error object
            err = obj.get("error") if isinstance(obj, dict) else None
            if isinstance(err, dict):
                return _deny(str(err.get("code", "error")), str(err.get("message", "error")), err.get("help"),
                             status=status)
            return _deny("service_error", f"the decision service answered HTTP {status}", status=status)
        return obj

    def decide(self, scenario: Mapping[str, Any]) -> dict | list:
        """The decision for one scenario (a list for ``coop: all`` or a list of co-ops); a deny with ``"error"``
        on any failure."""
        return _as_decision(self._call("/v1/decide", dict(scenario)))

    def permits(self, scenario: Mapping[str, Any]) -> bool:
        """True only for a well-formed permit (every co-op's, for ``coop: all``)."""
        return permitted(self.decide(scenario))

    def decide_many(self, scenarios: Iterable[Mapping[str, Any]]) -> list:
        """Decisions for several scenarios in one request, in order (each failure a deny)."""
        body = [dict(s) for s in scenarios]
        answer = self._call("/v1/decide", body)
        if isinstance(answer, list) and len(answer) == len(body):
            return [_as_decision(a) for a in answer]
        failed = _as_decision(answer) if isinstance(answer, dict) else _deny("bad_answer", "not one answer each")
        if failed.get("decision") == "permit":  # a single permit for a batch is not an answer
            failed = _deny("bad_answer", "not one answer per scenario")
        return [failed for _ in body]

    def explain(self, scenario: Mapping[str, Any]) -> dict | list:
        """The explanation (the decision with its derivation and why-nots); a deny with
        ``"error"`` on any failure."""
        return _as_decision(self._call("/v1/explain", dict(scenario)))

    def health(self) -> dict:
        """``GET /health`` (``{"status": "unreachable", ...}`` when it cannot be asked)."""
        try:
            status, obj = self._request("GET", "/health")
        except Exception as err:  # noqa: BLE001
            return {"status": "unreachable", "error": str(err)}
        return obj if isinstance(obj, dict) else {"status": "bad_answer", "http_status": status}
