"""The answers to scenarios: ``/v1/decide``, ``/v1/explain``, ``/v1/compare`` and the
OPA-style ``/v1/data/coopcheck/decide``.

:class:`Work` decides one request's scenarios on a worker thread against one snapshot of the
policies: each answer in the contract of ``coopcheck check --json`` / ``explain --format
json``, stamped with the policy's ``revision`` and a ``decision_id`` and kept for the
decision log; a bad scenario gets its error object in its place, the others are still
answered.

Decisions are written as ``coopcheck check --json`` writes them: by a
:class:`~coopcheck.presentation.decision_json.DecisionWriter` (two a language: the event
loop's, and one the worker threads take in turn: :meth:`Service.writer`), from the decision tables and a line template when every cell the scenario needs is
known (:meth:`~coopcheck.presentation.decision_json.DecisionWriter.table_line`), else from the
decision; the same bytes ``json.dumps(decision_json(d))`` gives. The stamps are added to those
bytes, and the decision log gets them as they are (its writer reads them back).
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core.api import make_scenario
from coopcheck.core.scenario import coop_request
from coopcheck.analysis.compare import ScenarioInput, compare_matrix
from coopcheck.analysis.explain import explain
from coopcheck.presentation.compare_render import cell_text, row_label
from coopcheck.presentation.decision_json import decision_json
from coopcheck.presentation.explain_json import explanation_json
from coopcheck.serve.requests import lang_and_coop, read_json, scenario_batch
from coopcheck.serve.responses import JSON, ApiError, BadBody, error_object, input_error
from coopcheck.serve.service import BATCH_LANE, Service
from coopcheck.serve.store import Snapshot, coop_names, iso_time


class DecisionIds:
    """Random (version 4) UUIDs as text, their random bytes drawn many at a time: one
    ``os.urandom`` call for the first 4 ids, then one per 256, instead of one per id (each
    call gives up the interpreter lock, and a worker thread deciding a batch then waited for
    it behind the event loop: ``uuid4`` per decision was half the service's time on batches
    of 1 000)."""

    FIRST, BATCH = 4, 256

    def __init__(self):
        self._raw = b""
        self._at = 0

    def next(self) -> str:
        """A new decision id."""
        if self._at >= len(self._raw):
            self._raw, self._at = os.urandom(16 * (self.BATCH if self._raw else self.FIRST)), 0
        at = self._at
        self._at = at + 16
        return str(uuid.UUID(bytes=self._raw[at:at + 16], version=4))


class Work:
    """One request's decisions, made on a worker thread against one snapshot."""

    def __init__(self, svc: Service, snapshot: Snapshot, lang: str, default_coop: str | None, endpoint: str,
                 caller: str | None, remote: str | None, batch: bool = False, inline: bool = False):
        self.svc, self.snapshot, self.lang, self.default_coop = svc, snapshot, lang, default_coop
        self.batch = batch  # run in the batch lane (Service.run)
        self.inline = inline  # run on the event loop (Service.run)
        self.endpoint, self.caller, self.remote = endpoint, caller, remote
        self.records: list[dict] = []
        self.now = time.time()
        self.ids = DecisionIds()

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
        decision_id = self.ids.next()
        answer["revision"] = policy.revision
        answer["decision_id"] = decision_id
        self.svc.metrics.inc("coopcheck_decisions_total", coop=policy.id, effect=str(decision.decision))
        if self.svc.log is not None:
            logged = {k: answer[k] for k in _DECISION_KEYS if k in answer}
            self._record(policy, decision_id, scenario_input, logged)
        return answer

    def _record(self, policy, decision_id: str, scenario_input: Any, decision: dict | bytes) -> None:
        """Keep a decision's log record (``decision``: its JSON object, or its JSON bytes)."""
        self.records.append({"decision_id": decision_id, "time": iso_time(time.time()), "endpoint": self.endpoint,
                             "policy": {"id": policy.id, "revision": policy.revision},
                             "caller": self.caller, "remote": self.remote, "input": scenario_input,
                             "decision": decision})

    def refused(self, err: CoopcheckError, line: int) -> dict:
        """The error object for scenario ``line`` (counted as an input error)."""
        self.svc.metrics.inc("coopcheck_input_errors_total", code=str(err.diagnostics[0].code))
        return error_object(err, line)

    def decide(self, items: list) -> list:
        """Each scenario's answer: its decision (:class:`Answered`: one, or a list of them for
        ``coop: all``) or its error object (a dict)."""
        writer, held = self.svc.writer(self.lang, self.inline)
        with held:
            return self._decide(items, writer)

    def _decide(self, items: list, writer) -> list:
        out = []
        effects: Counter = Counter()
        logging = self.svc.log is not None
        resolved: dict = {}  # a scenario's `coop` (None: not given) -> (its policies, whether several)
        for line, obj in enumerate(items, 1):
            try:
                coop = obj.get("coop") if type(obj) is dict else 0
                found = resolved.get(coop) if coop is None or type(coop) is str else None
                if found is None:
                    policies, _ = self.policies_for(obj)
                    found = (policies, _all(obj, self.default_coop))
                    if coop is None or type(coop) is str:
                        resolved[coop] = found
                policies, several = found
                lines = []
                for p in policies:
                    ev = p.evaluator
                    quick = writer.table_line(ev, obj, True)  # (which reads no `coop`)
                    if quick is None:
                        d = ev.decide(ev.scenario({k: v for k, v in obj.items() if k != "coop"}))
                        lines.append((p, writer.line_bytes(d), d.permitted))
                    else:
                        lines.append((p, *quick))
            except CoopcheckError as err:
                out.append(self.refused(err, line))
                continue
            stamped = []
            first_id = None
            for p, text, permitted in lines:
                decision_id = self.ids.next()
                first_id = first_id or decision_id
                # a revision is hex digits (store.REVISION_DIGITS): its JSON is itself in quotes
                answer = b"".join((text[:-1], b', "revision": "', p.revision.encode(), b'", "decision_id": "',
                                   decision_id.encode(), b'"}'))
                effects[p.id, "permit" if permitted else "deny"] += 1
                if logging:
                    self._record(p, decision_id, obj, answer)
                stamped.append(answer)
            out.append(Answered(b"[" + b", ".join(stamped) + b"]" if several else stamped[0], first_id))
        for (coop, effect), n in effects.items():
            self.svc.metrics.inc("coopcheck_decisions_total", n, coop=coop, effect=effect)
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


class Answered:
    """A scenario's decision as the service sends it: JSON bytes (an object, or a list of them
    for several co-ops) and the ``decision_id`` an OPA-shaped answer names (the first's)."""

    __slots__ = ("json", "decision_id")

    def __init__(self, json_bytes: bytes, decision_id: str):
        self.json, self.decision_id = json_bytes, decision_id


def answers_body(out: list) -> bytes:
    """A JSON array of answers: :class:`Answered` as their bytes, anything else (an error
    object) as :class:`~coopcheck.serve.responses.JSON` writes it."""
    render = JSON.render
    return b"[" + b", ".join(a.json if a.__class__ is Answered else render(None, a) for a in out) + b"]"


def answer_response(answer: Any) -> Response:
    """One scenario's answer: 200 with its decision, 400 with its error object."""
    if answer.__class__ is Answered:
        return Response(answer.json, media_type=JSON.media_type)
    return JSON(answer, status_code=400 if isinstance(answer, dict) and "error" in answer else 200)


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


def _work(request: Request, svc: Service, endpoint_name: str, lang: str, default_coop: str | None,
          scenarios: int = 1, inline: bool = False) -> Work:
    state = request.scope.get("state", {})
    client = request.client
    return Work(svc, svc.store.snapshot, lang, default_coop, endpoint_name, state.get("caller"),
                client.host if client else None, batch=scenarios > BATCH_LANE, inline=inline)


async def decide_route(request: Request, svc: Service) -> Response:
    """``POST /v1/decide``: each scenario's decision (one object for one scenario, 400 when it
    is refused; a list for an array)."""
    return await _answer_body(request, svc, "/v1/decide", lambda work, items: work.decide(items), inline_one=True)


async def explain_route(request: Request, svc: Service) -> Response:
    """``POST /v1/explain``: each scenario's explanation (``?all=1``: every rule considered)."""
    show_all = request.query_params.get("all", "").lower() in ("1", "true", "yes")
    return await _answer_body(request, svc, "/v1/explain", lambda work, items: work.explain(items, show_all))


async def _answer_body(request: Request, svc: Service, endpoint_name: str, answer,
                       inline_one: bool = False) -> Response:
    """Read a body of one scenario or an array, answer it with ``answer(work, items)`` in a
    worker thread, log the decisions, and respond: one object for one scenario (400 when it is
    refused), a list for an array."""
    lang, default_coop = lang_and_coop(request)
    body = await read_json(request, svc)
    items, single = scenario_batch(body, svc)
    work = _work(request, svc, endpoint_name, lang, default_coop, len(items), inline=single and inline_one)
    out = await svc.run(lambda: answer(work, items), work.batch, inline=work.inline)
    await svc.write_log(work.records)
    if single:
        return answer_response(out[0])
    if any(a.__class__ is Answered for a in out):
        return Response(answers_body(out), media_type=JSON.media_type)
    return JSON(out)


async def compare_route(request: Request, svc: Service) -> Response:
    """``POST /v1/compare``: every scenario against every co-op of ``?coops=`` (default: all)."""
    lang, _ = lang_and_coop(request)
    body = await read_json(request, svc)
    items, _single = scenario_batch(body, svc)
    work = _work(request, svc, "/v1/compare", lang, None, len(items))
    out = await svc.run(lambda: work.compare(items, request.query_params.get("coops")), work.batch)
    await svc.write_log(work.records)
    return JSON(out)


async def opa_route(request: Request, svc: Service) -> Response:
    """``POST /v1/data/coopcheck/decide``: one decision in OPA's shape, ``{"result", "decision_id"}``."""
    lang, default_coop = lang_and_coop(request)
    body = await read_json(request, svc)
    if not isinstance(body, dict):
        raise BadBody(input_error(Code.E404, "the request must be a JSON object with `input`",
                                   'send {"input": {...a scenario...}}'))
    if "input" not in body:
        raise BadBody(input_error(Code.E403, "missing field `input`", 'send {"input": {...a scenario...}}'))
    work = _work(request, svc, "/v1/data/coopcheck/decide", lang, default_coop, inline=True)
    out = (await svc.run(lambda: work.decide([body["input"]]), inline=True))[0]
    await svc.write_log(work.records)
    if out.__class__ is not Answered:
        return JSON(out, status_code=400)
    return Response(b"".join((b'{"result": ', out.json, b', "decision_id": "', out.decision_id.encode(), b'"}')),
                    media_type=JSON.media_type)
