"""The service's OpenAPI 3.1 document (``GET /openapi.json``), written by hand.

tests/test_serve.py holds it to the application: every route is documented with its method,
nothing undocumented is served, and the answers of real requests match the documented schema
for their status.

>>> doc = document()
>>> doc["openapi"], sorted(doc["paths"])[:3]
('3.1.0', ['/', '/health', '/metrics'])
"""

from __future__ import annotations

import copy


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_STR_LIST = {"type": "array", "items": {"type": "string"}}
_NULLABLE_STR = {"type": ["string", "null"]}

SCHEMAS = {
    "Scenario": {
        "type": "object",
        "description": "A proposed data use in the JSON contract (docs/input.md). Names may be ids, words, "
                       "Japanese labels or aliases. `coop` is a policy id, a co-op's name, `all`, or a "
                       "list of them (`aizu,kuruko`).",
        "properties": {
            "coop": {"type": "string"}, "action": {"type": "string", "enum": ["use", "collect", "share", "publish"]},
            "data": {"anyOf": [_STR_LIST, {"type": "string"}]}, "purpose": {"type": "string"},
            "subject": {"type": "string"}, "recipient": _NULLABLE_STR, "consent": {"type": ["boolean", "null"]},
            "exception": _NULLABLE_STR},
        "required": ["action", "data", "purpose"],
        "example": {"coop": "aizu", "action": "share", "data": ["購買履歴"], "recipient": "日本生協連",
                    "purpose": "delivery"},
    },
    "ResolvedScenario": {
        "type": "object",
        "properties": {"coop": {"type": "string"}, "action": {"type": "string"}, "subject": {"type": "string"},
                       "data": _STR_LIST, "recipient": _NULLABLE_STR, "purpose": {"type": "string"},
                       "consent": {"type": "boolean"}, "exception": _NULLABLE_STR},
        "required": ["coop", "action", "subject", "data", "recipient", "purpose", "consent", "exception"],
    },
    "ItemDecision": {
        "type": "object",
        "properties": {"item": {"type": "string"}, "decision": {"type": "string", "enum": ["permit", "deny"]},
                       "basis": {"type": "string"}, "rule": _NULLABLE_STR, "rules": _STR_LIST,
                       "citations": _STR_LIST},
        "required": ["item", "decision", "basis", "rule", "rules", "citations"],
    },
    "Decision": {
        "type": "object",
        "description": "The decision contract of `coopcheck check --json` (docs/semantics.md §6), with the "
                       "revision of the policy that made it and the decision's id (as in the decision log).",
        "properties": {
            "coop": {"type": "string"}, "decision": {"type": "string", "enum": ["permit", "deny"]},
            "basis": {"type": "string"}, "obligations": _STR_LIST, "citations": _STR_LIST, "reasons": _STR_LIST,
            "would_permit_with_consent": {"type": ["boolean", "null"]},
            "items": {"type": "array", "items": _ref("ItemDecision")}, "rules": _STR_LIST,
            "scenario": _ref("ResolvedScenario"), "revision": {"type": "string"},
            "decision_id": {"type": "string"}},
        "required": ["coop", "decision", "basis", "obligations", "citations", "reasons", "would_permit_with_consent",
                     "items", "rules", "scenario", "revision", "decision_id"],
    },
    "Explanation": {
        "description": "The decision plus how it was derived and, on a deny, what would permit it (as "
                       "`coopcheck explain --format json`).",
        "allOf": [_ref("Decision"), {
            "type": "object",
            "properties": {"derivation": {"type": "object"}, "why_not": {"type": "array", "items": {"type": "object"}},
                           "why_not_more": {"type": "integer"}},
            "required": ["derivation", "why_not", "why_not_more"]}],
    },
    "Error": {
        "type": "object",
        "description": "An error instead of an answer. `code` is E4xx for a bad scenario (as the CLI writes "
                       "it, `line` being the scenario's 1-based place in the request), or a word for a refusal "
                       "of the service: unauthorized, too_large, timeout, unavailable, log_unavailable, "
                       "bad_parameter, not_found, method_not_allowed, internal.",
        "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "help": {"type": "string"},
            "severity": {"type": "string"}, "line": {"type": "integer"}, "field": {"type": "string"},
            "location": {"type": "object"}}, "required": ["code", "message"]}},
        "required": ["error"],
    },
    "DecideOne": {"anyOf": [_ref("Decision"), {"type": "array", "items": _ref("Decision")}],
                  "description": "A decision; for `coop: all` or a list of co-ops, one per co-op."},
    "DecideAnswer": {"anyOf": [_ref("DecideOne"), {"type": "array", "items": {"anyOf": [_ref("DecideOne"),
                                                                                          _ref("Error")]}}]},
    "ExplainOne": {"anyOf": [_ref("Explanation"), {"type": "array", "items": _ref("Explanation")}]},
    "ExplainAnswer": {"anyOf": [_ref("ExplainOne"), {"type": "array", "items": {"anyOf": [_ref("ExplainOne"),
                                                                                            _ref("Error")]}}]},
    "OpaAnswer": {"type": "object", "properties": {"result": _ref("DecideOne"), "decision_id": {"type": "string"}},
                  "required": ["result", "decision_id"]},
    "CompareAnswer": {
        "type": "object",
        "properties": {
            "coops": _STR_LIST, "names": {"type": "object"}, "revisions": {"type": "object"},
            "rows": {"type": "array", "items": {"type": "object", "properties": {
                "line": {"type": "integer"}, "name": _NULLABLE_STR, "scenario": {}, "label": {"type": "string"},
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "coop": {"type": "string"}, "decision": {"type": "string"}, "text": {"type": "string"},
                    "revision": {"type": "string"}, "decision_id": {"type": "string"}},
                    "required": ["coop", "text", "revision"]}},
                "error": {"type": "object"}}, "required": ["line", "label"]}}},
        "required": ["coops", "names", "revisions", "rows"],
    },
    "Policy": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "name": _NULLABLE_STR, "revision": {"type": "string"},
                       "loaded_at": {"type": "string", "format": "date-time"}, "source": {"type": "string"},
                       "files": _STR_LIST, "shipped": {"type": "boolean"}, "rules": {"type": "integer"}},
        "required": ["id", "name", "revision", "loaded_at", "source", "files", "shipped", "rules"],
    },
    "Term": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "label": _NULLABLE_STR,
                       "aliases": _STR_LIST, "parents": _STR_LIST, "found_by": {"type": "string"}},
        "required": ["id", "kind", "label", "aliases", "parents"],
    },
    "Health": {
        "type": "object",
        "description": "Without the bearer token (when one is required) only `status` and `detail`.",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]}, "detail": {"type": "string"},
            "reasons": _STR_LIST, "policies": {"type": "object"}, "problems": {"type": "array",
                                                                               "items": {"type": "object"}},
            "decision_log": {"type": ["object", "null"]}, "require_log": {"type": "boolean"}},
        "required": ["status"],
    },
}


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_ERRORS = {
    "401": _json("Error", "a bearer token is required (when the service has --token-file)"),
    "413": _json("Error", "body over the size limit, or more scenarios than the batch limit"),
    "503": _json("Error", "timed out, no policy loaded, or (with --require-log) the decision log is failing"),
    "500": _json("Error", "internal error: nothing was decided"),
}

_LANG = {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["en", "ja"], "default": "en"},
         "description": "language of the reasons"}
_COOP = {"name": "coop", "in": "query", "schema": {"type": "string"},
         "description": "the co-op of scenarios that do not name one (as --coop)"}
_BODY = {"required": True, "content": {
    "application/json": {"schema": {"anyOf": [_ref("Scenario"), {"type": "array", "items": _ref("Scenario"),
                                                                  "maxItems": 1000}]}}}}


def _post(summary: str, answer: str, params: list, body: dict | None = None) -> dict:
    return {"post": {"summary": summary, "parameters": params, "requestBody": body or _BODY,
                     "responses": {"200": _json(answer, "the answer; for an array, one entry per scenario in "
                                                        "order, a bad scenario's entry an error object"),
                                   "400": _json("Error", "a bad scenario (a single one) or a body that is not JSON"),
                                   **_ERRORS}}}


def _get(summary: str, schema: dict, params: list | None = None, media: str = "application/json",
         public: bool = False, extra: dict | None = None) -> dict:
    op = {"summary": summary, "parameters": params or [],
          "responses": {"200": {"description": "OK", "content": {media: {"schema": schema}}}, **(extra or {})}}
    if public:
        op["security"] = [{}, {"bearerAuth": []}]
    return {"get": op}


PATHS = {
    "/v1/decide": _post("Decide one scenario, or an array of them in order", "DecideAnswer", [_LANG, _COOP]),
    "/v1/explain": _post("Explain decisions: the rules checked, the deciding clause and the why-nots",
                         "ExplainAnswer", [_LANG, _COOP, {"name": "all", "in": "query", "schema": {"type": "boolean"},
                                                          "description": "every rule not matching, every why-not"}]),
    "/v1/compare": _post("Scenarios against several co-ops, side by side", "CompareAnswer",
                         [_LANG, {"name": "coops", "in": "query", "schema": {"type": "string"},
                                  "description": "comma-separated co-ops (default: every served policy)"}]),
    "/v1/data/coopcheck/decide": _post(
        "Decide one scenario in OPA's wire shape: {\"input\": scenario} -> {\"result\": decision}",
        "OpaAnswer", [_LANG, _COOP],
        {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"input": _ref("Scenario")}, "required": ["input"]}}}}),
    "/v1/policies": _get("The policies served: ids, names, revisions, load times",
                         {"type": "array", "items": _ref("Policy")}, extra={"401": _ERRORS["401"]}),
    "/v1/terms": _get("The vocabulary: ids, Japanese labels, aliases, parents (optionally one kind, or a search)",
                      {"type": "array", "items": _ref("Term")},
                      [{"name": "kind", "in": "query", "schema": {"type": "string"}},
                       {"name": "q", "in": "query", "schema": {"type": "string"},
                        "description": "search by id, words, label, alias or an everyday word"},
                       {"name": "coop", "in": "query", "schema": {"type": "string"},
                        "description": "whose vocabulary (default: the first served policy's)"}],
                      extra={"400": _json("Error", "unknown kind"), "401": _ERRORS["401"]}),
    "/health": _get("200 when every policy is loaded; 503 with the reasons otherwise", _ref("Health"), public=True,
                    extra={"503": _json("Health", "a policy file never compiled, no policy is loaded, or "
                                                  "(with --require-log) the decision log is failing")}),
    "/metrics": _get("Prometheus metrics", {"type": "string"}, media="text/plain", extra={"401": _ERRORS["401"]}),
    "/openapi.json": _get("This document", {"type": "object"}, extra={"401": _ERRORS["401"]}),
    "/": _get("The page for compliance staff", {"type": "string"}, media="text/html", public=True),
    "/static/app.js": _get("The page's script", {"type": "string"}, media="text/javascript", public=True),
    "/static/app.css": _get("The page's style sheet", {"type": "string"}, media="text/css", public=True),
}


def document() -> dict:
    """The OpenAPI document (a fresh copy)."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "coopcheck decision service", "version": "1",
                 "description": "Decisions on proposed uses of personal data against Japanese consumer co-ops' "
                                "privacy policies, in the JSON contract of `coopcheck check --json`. Every decision "
                                "names the policy revision that made it. Clients should treat any error as a deny."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                          "description": "required when the service runs with "
                                                                         "--token-file"}}},
        "security": [{"bearerAuth": []}],
    })
