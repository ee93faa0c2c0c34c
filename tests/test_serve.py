"""``coopcheck serve``: the decision service answers as the library and the CLI do.

Most tests drive the ASGI application in-process with Starlette's TestClient; one starts the
real server (``python -m coopcheck serve``) on a free loopback port, asks it through
:class:`coopcheck.Client`, and stops it.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

starlette = pytest.importorskip("starlette", reason="pip install '.[test]' (starlette, uvicorn, httpx)")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # newer Starlette prefers httpx2; httpx still works
    from starlette.testclient import TestClient

import coopcheck
from coopcheck import decide, decision_json, load_policy, shipped_policies
from coopcheck.analysis.explain import explain
from coopcheck.core.api import make_scenario
from coopcheck.dsl.errors import CoopcheckError
from coopcheck.presentation.explain_json import explanation_json
from coopcheck.serve import command, openapi
from coopcheck.serve.app import ROUTES, ServeConfig, create_app, error_object
from coopcheck.serve.client import Client
from coopcheck.serve.decisionlog import MASK
from coopcheck.serve.store import Source

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx2")

REPO = Path(__file__).resolve().parents[1]
POLICIES = {c: load_policy(c) for c in shipped_policies()}
JOINT_USE = {"coop": "aizu", "action": "share", "data": ["購買履歴"], "recipient": "日本生協連", "purpose": "delivery"}
DENIED = {"coop": "aizu", "action": "share", "data": ["purchase_history"], "recipient": "coop_kyosai",
          "purpose": "delivery"}
TOKEN = "test-token-0123456789abcdef"
STAMPS = ("revision", "decision_id")

TINY = """policy testcoop
import vocabulary

name may be used for {purpose}   [clause 1]
"""


def strip(answer):
    """An answer without the service's stamps (revision, decision_id), lists element-wise."""
    if isinstance(answer, list):
        return [strip(a) for a in answer]
    return {k: v for k, v in answer.items() if k not in STAMPS}


def flat(answers):
    """Answers as the CLI writes them: one per co-op, in order."""
    out = []
    for a in answers:
        out.extend(a if isinstance(a, list) else [a])
    return out


def body_of(scenario: dict) -> dict:
    return {k: v for k, v in scenario.items() if k != "coop"}


def client_for(config: ServeConfig) -> TestClient:
    return TestClient(create_app(config))


@pytest.fixture(scope="module")
def client():
    with client_for(ServeConfig()) as c:
        yield c


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


# ---- the same answers as the library and the CLI ---------------------------------------------

def test_decision_is_the_librarys_and_the_clis(client, cli):
    r = client.post("/v1/decide", json=JOINT_USE)
    assert r.status_code == 200
    got = r.json()
    assert strip(got) == decision_json(decide(POLICIES["aizu"], body_of(JOINT_USE)))
    code, out, _ = cli("check", "--json", "-", stdin=json.dumps(JOINT_USE, ensure_ascii=False))
    assert code == 0 and strip(got) == json.loads(out)
    revisions = {p["id"]: p["revision"] for p in client.get("/v1/policies").json()}
    assert got["revision"] == revisions["aizu"] and len(got["decision_id"]) == 36


def test_batch_in_order_bad_scenarios_get_the_clis_error_objects(client, cli):
    batch = [JOINT_USE, {"coop": "aizu", "action": "share", "data": ["no_such_item"], "purpose": "delivery"},
             DENIED, "not an object", {"coop": "all", "action": "use", "data": "name", "purpose": "delivery"},
             {"coop": "aizu", "action": "use", "data": ["name"], "purpose": "delivery", "colour": "red"},
             {"coop": "コープあいづ", "action": "use", "data": ["氏名"], "purpose": "delivery", "consent": "yes"},
             {"coop": 7, "action": "use", "data": ["name"], "purpose": "delivery"},
             {"coop": "kuruko、aizu", "action": "use", "data": ["name"], "purpose": "delivery"}]
    for lang in ("en", "ja"):
        r = client.post(f"/v1/decide?lang={lang}", json=batch)
        assert r.status_code == 200
        answers = r.json()
        assert len(answers) == len(batch)
        assert isinstance(answers[4], list) and [a["coop"] for a in answers[4]] == sorted(shipped_policies())
        code, out, _ = cli("check", "--json", "-", "--lang", lang, stdin=json.dumps(batch, ensure_ascii=False))
        assert code == 2  # the CLI exits 2 when a line was bad; the service answers every line
        assert strip(flat(answers)) == [json.loads(line) for line in out.splitlines()]
    # a scenario's own `coop` names one co-op or all, never a list (as in the CLI and the API)
    assert [a.get("error", {}).get("code") for a in answers if isinstance(a, dict)] == [
        None, "E402", None, "E404", "E401", "E404", "E404", "E402"]


def test_batches_from_templates_are_the_librarys_decisions_byte_for_byte(tmp_path):
    """The service writes decisions from its decision tables and line templates: each answer
    of a batch of golden scenarios over every co-op (some for all co-ops), asked cold and then
    again warm, is the library's decision, written as the JSON response class writes it (the
    stamps last), and the decision log keeps each one whole."""
    from bench.service import scenarios

    from coopcheck.serve.responses import JSON

    batch = scenarios(300, 7)
    batch[::25] = [{**sc, "coop": "all"} for sc in batch[::25]]
    log = tmp_path / "decisions.log"
    with client_for(ServeConfig(decision_log=str(log))) as c:
        for _ in range(2):
            r = c.post("/v1/decide", json=batch)
            assert r.status_code == 200
            answers = r.json()
            assert r.content == JSON(answers).body  # the bytes json.dumps gives
            for sent, got in zip(batch, answers):
                if sent["coop"] == "all":
                    try:
                        want = [decision_json(decide(POLICIES[c], body_of(sent))) for c in sorted(POLICIES)]
                    except CoopcheckError:  # a term one of the co-ops does not have
                        assert set(got) == {"error"}
                        continue
                else:
                    want = decision_json(decide(POLICIES[ALIASES.get(sent["coop"], sent["coop"])], body_of(sent)))
                assert strip(got) == want
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    decided = flat(answers)
    assert len(logged) == 2 * len(decided)
    assert [x["decision"] for x in logged[len(decided):]] == decided


def test_single_bad_scenario_is_a_400_with_the_error_object(client):
    r = client.post("/v1/decide", json={"coop": "aizu", "action": "share", "data": ["name"], "purpose": "delivery"})
    assert r.status_code == 400
    with pytest.raises(CoopcheckError) as err:
        decide(POLICIES["aizu"], {"action": "share", "data": ["name"], "purpose": "delivery"})
    assert r.json() == error_object(err.value, 1)
    r = client.post("/v1/decide", json={"action": "use", "data": ["name"], "purpose": "delivery"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "E403"
    r = client.post("/v1/decide?coop=aizu", json={"action": "use", "data": ["name"], "purpose": "delivery"})
    assert r.status_code == 200 and r.json()["coop"] == "aizu"


def test_explanation_is_the_clis(client, cli):
    for lang in ("en", "ja"):
        r = client.post(f"/v1/explain?lang={lang}", json=[DENIED, JOINT_USE])
        assert r.status_code == 200
        code, out, _ = cli("explain", "--format", "json", "--json", "-", "--lang", lang,
                           stdin=json.dumps([DENIED, JOINT_USE], ensure_ascii=False))
        assert code == 0 and strip(r.json()) == [json.loads(line) for line in out.splitlines()]
    rs = POLICIES["aizu"]
    lib = explanation_json(explain(rs, make_scenario(rs, body_of(DENIED))), "ja")
    assert strip(r.json()[0]) == lib and lib["why_not"]


def test_opa_shaped_call(client):
    r = client.post("/v1/data/coopcheck/decide", json={"input": JOINT_USE})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"result", "decision_id"} and body["decision_id"] == body["result"]["decision_id"]
    assert strip(body["result"]) == strip(client.post("/v1/decide", json=JOINT_USE).json())
    assert client.post("/v1/data/coopcheck/decide", json={"inptu": JOINT_USE}).json()["error"]["code"] == "E403"
    bad = client.post("/v1/data/coopcheck/decide", json={"input": {**JOINT_USE, "data": []}})
    assert bad.status_code == 400 and "result" not in bad.json()


def test_compare_is_the_side_by_side_table(client):
    r = client.post("/v1/compare?lang=ja", json={k: v for k, v in JOINT_USE.items() if k != "coop"})
    body = r.json()
    assert r.status_code == 200 and body["coops"] == sorted(shipped_policies())
    cells = {c["coop"]: c for c in body["rows"][0]["results"]}
    assert cells["aizu"]["decision"] == "permit" and cells["aizu"]["text"].startswith("許可")
    assert cells["kuruko"]["decision"] == "deny"


def test_policies_terms_and_the_cli(client, cli):
    policies = client.get("/v1/policies").json()
    assert [p["id"] for p in policies] == sorted(shipped_policies())
    assert all(len(p["revision"]) == 16 and p["loaded_at"].endswith("Z") and p["name"] for p in policies)
    terms = client.get("/v1/terms?kind=coop").json()
    code, out, _ = cli("terms", "coop", "--format", "json")
    assert code == 0 and terms == json.loads(out)
    found = client.get("/v1/terms", params={"q": "配達"}).json()
    assert found[0]["id"] == "delivery" and found[0]["found_by"] == "everyday word"
    items = client.get("/v1/terms?kind=items").json()
    assert {"id": "purchase_history", "label": "購買履歴"}.items() <= next(
        t for t in items if t["id"] == "purchase_history").items()
    assert client.get("/v1/terms?kind=colour").status_code == 400


def test_health_and_metrics(client):
    client.post("/v1/decide", json=[JOINT_USE, DENIED, {"coop": "aizu"}])
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and set(r.json()["policies"]) == set(POLICIES)
    text = client.get("/metrics").text
    assert 'coopcheck_decisions_total{coop="aizu",effect="permit"}' in text
    assert 'coopcheck_decisions_total{coop="aizu",effect="deny"}' in text
    assert 'coopcheck_input_errors_total{code="E403"}' in text
    assert 'coopcheck_request_duration_seconds_bucket{route="/v1/decide",le="+Inf"}' in text
    for family in ("coopcheck_policy_reloads_total", "coopcheck_decision_log_write_failures_total",
                   "coopcheck_errors_total"):
        assert f"# TYPE {family} counter" in text


def test_page_offers_the_vocabulary_in_both_languages(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    page = r.text
    for text in ("購買履歴 · purchase history", "日本生活協同組合連合会 · jccu", "生活協同組合コープあいづ · aizu",
                 "提供 · share", 'name="consent"', 'name="exception"', "/static/app.js"):
        assert text in page
    assert "<script>" not in page and "style=" not in page  # nothing the CSP would block
    assert client.get("/static/app.js").text.count("textContent") >= 2
    assert "Noto Sans CJK JP" in client.get("/static/app.css").text


# ---- the OpenAPI document matches the service ----------------------------------------------------

def _check(schema, value, doc, where="$"):
    """A small JSON Schema check (the subset the document uses): raises AssertionError."""
    if "$ref" in schema:
        return _check(doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], value, doc, where)
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                return _check(option, value, doc, where)
            except AssertionError as err:
                errors.append(str(err))
        raise AssertionError(f"{where}: matches no option: {errors}")
    for part in schema.get("allOf", ()):
        _check(part, value, doc, where)
    kinds = schema.get("type")
    if kinds:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        py = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = any((k == "integer" and type(value) is int) or (k == "number" and type(value) in (int, float))
                 or (k in py and type(value) is py[k]) for k in kinds)
        assert ok, f"{where}: {type(value).__name__} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            assert key in value, f"{where}: missing {key}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _check(sub, value[key], doc, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            _check(schema["items"], v, doc, f"{where}[{i}]")


def test_openapi_documents_every_route_and_nothing_else(client):
    doc = client.get("/openapi.json").json()
    assert doc == openapi.document()
    served = {(r.path, m.lower()) for r in ROUTES for m in r.methods if m != "HEAD"}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented


def test_answers_match_the_openapi_schemas(client):
    doc = openapi.document()

    def holds(path, method, response):
        op = doc["paths"][path][method]
        spec = op["responses"][str(response.status_code)]
        media = next(iter(spec["content"]))
        assert response.headers["content-type"].startswith(media)
        if media == "application/json":
            _check(spec["content"][media]["schema"], response.json(), doc, f"{method} {path} {response.status_code}")

    holds("/v1/decide", "post", client.post("/v1/decide", json=JOINT_USE))
    holds("/v1/decide", "post", client.post("/v1/decide", json={**JOINT_USE, "coop": "all"}))
    holds("/v1/decide", "post", client.post("/v1/decide", json=[JOINT_USE, {}, {**DENIED, "coop": "ALL"}]))
    holds("/v1/decide", "post", client.post("/v1/decide", json={"coop": "aizu"}))
    holds("/v1/decide", "post", client.post("/v1/decide", content=b"[1,"))
    holds("/v1/explain", "post", client.post("/v1/explain", json=[DENIED, 3]))
    holds("/v1/compare", "post", client.post("/v1/compare", json=[body_of(DENIED), "x"]))
    holds("/v1/data/coopcheck/decide", "post", client.post("/v1/data/coopcheck/decide", json={"input": DENIED}))
    holds("/v1/policies", "get", client.get("/v1/policies"))
    holds("/v1/terms", "get", client.get("/v1/terms?kind=party"))
    holds("/v1/terms", "get", client.get("/v1/terms?kind=nope"))
    holds("/health", "get", client.get("/health"))
    holds("/metrics", "get", client.get("/metrics"))
    holds("/", "get", client.get("/"))


# ---- limits, tokens, failing closed ------------------------------------------------------------

def test_bodies_and_batches_are_bounded():
    with client_for(ServeConfig(max_body=4096, max_batch=3)) as c:
        r = c.post("/v1/decide", json=[JOINT_USE] * 4)
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        r = c.post("/v1/decide", content=b"[" + b" " * 5000 + b"]")
        assert r.status_code == 413
        assert c.post("/v1/decide", json=[JOINT_USE] * 3).status_code == 200
        for raw, message in ((b"", "empty"), (b"\xff\xfe", "not UTF-8"), (b"[" * 3000, "nested too deeply"),
                             (b'{"coop": NaN}', "`NaN` is not JSON"), (b'{"coop": "aizu",}', "invalid JSON")):
            r = c.post("/v1/decide", content=raw)
            assert r.status_code == 400 and r.json()["error"]["code"] == "E406"
            assert message in r.json()["error"]["message"]
    with client_for(ServeConfig(timeout=1e-9)) as c:
        r = c.post("/v1/decide", json=[JOINT_USE] * 50)
        assert r.status_code == 503 and r.json()["error"]["code"] == "timeout"


def test_token_is_required_when_set(tmp_path):
    log = tmp_path / "decisions.log"
    with client_for(ServeConfig(tokens={TOKEN: "billing-system"}, decision_log=str(log))) as c:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}):
            r = c.post("/v1/decide", json=JOINT_USE, headers=headers)
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert c.get("/v1/policies", headers=headers).status_code == 401
        ok = c.post("/v1/decide", json=JOINT_USE, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json()["decision"] == "permit"
        public = c.get("/health")
        assert public.status_code == 200 and set(public.json()) == {"status", "detail"}
        assert "policies" in c.get("/health", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert c.get("/").status_code == 200 and 'id="token"' in c.get("/").text
    record = json.loads(log.read_text(encoding="utf-8"))
    assert record["caller"] == "billing-system" and record["decision_id"] == ok.json()["decision_id"]


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    command.register(p)
    return p.parse_args(list(argv))


def test_non_loopback_without_token_is_refused(cli, tmp_path):
    code, out, err = cli("serve", "--host", "0.0.0.0", "--port", "0")
    assert code == 2
    assert "refusing to listen on 0.0.0.0 without --token-file" in err and "127.0.0.1" in err
    code, _, err = cli("serve", "--host", "192.168.10.20", "--port", "0")
    assert code == 2 and "refusing" in err
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# callers\nbilling {TOKEN}\n", encoding="utf-8")
    os.chmod(tokens, 0o600)
    config = command.config_from_args(_args("--host", "0.0.0.0", "--token-file", str(tokens)))
    assert config.tokens == {TOKEN: "billing"}
    for text, message in (("short\n", "at least 16"), ("", "holds no token"), (f"a b {TOKEN}\n", "CALLER TOKEN")):
        tokens.write_text(text, encoding="utf-8")
        with pytest.raises(command.UsageError, match=message):
            command.config_from_args(_args("--token-file", str(tokens)))
    with pytest.raises(command.UsageError, match="needs --decision-log"):
        command.config_from_args(_args("--require-log"))
    code, _, err = cli("serve", "--policies", str(tmp_path / "missing.policy"))
    assert code == 2 and "no such policy file or folder" in err


@pytest.mark.parametrize("broken_part", ["evaluator", "writer"])
def test_internal_errors_fail_closed(client, monkeypatch, broken_part):
    """An internal error — in the evaluator (deciding, or reading its tables) or in writing the
    decision (from a template, or whole) — answers 500, never a decision."""
    from coopcheck.core.evaluator import Evaluator
    from coopcheck.presentation.decision_json import DecisionWriter

    def broken(self, *args, **kwargs):
        raise RuntimeError("boom")

    names = ("decide", "table_cells") if broken_part == "evaluator" else ("table_line", "line_bytes")
    for name in names:
        monkeypatch.setattr(Evaluator if broken_part == "evaluator" else DecisionWriter, name, broken)
    r = client.post("/v1/decide", json=JOINT_USE)
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal" and "decision" not in r.json()
    r = client.post("/v1/data/coopcheck/decide", json={"input": JOINT_USE})
    assert r.status_code == 500 and "result" not in r.json()
    assert "permit" not in client.post("/v1/decide", json=[JOINT_USE]).text


def test_client_treats_every_error_as_deny(monkeypatch):
    answers = iter([(500, {"decision": "permit"}), (200, {"error": {"code": "E402", "message": "unknown"}}),
                    (200, {"decision": "permit", "error": {"code": "x", "message": "y"}}), (200, ["permit"]),
                    (200, {"decision": "PERMIT"}), (401, {"error": {"code": "unauthorized", "message": "no"}}),
                    (200, {"decision": "permit"})])
    c = Client("http://127.0.0.1:1")
    monkeypatch.setattr(c, "_request", lambda *a, **k: next(answers))
    results = [c.permits(JOINT_USE) for _ in range(7)]
    assert results == [False] * 6 + [True]


# ---- policy files changing under a running service -----------------------------------------------

def test_edited_policy_is_picked_up_and_a_broken_edit_keeps_the_last_good(tmp_path):
    policy = tmp_path / "testcoop.policy"
    policy.write_text(TINY.format(purpose="delivery"), encoding="utf-8")
    ask = {"coop": "testcoop", "action": "use", "data": ["name"], "purpose": "delivery"}
    with client_for(ServeConfig(sources=[Source(str(tmp_path))], poll_interval=0.05)) as c:
        first = c.post("/v1/decide", json=ask).json()
        assert first["decision"] == "permit"
        policy.write_text(TINY.format(purpose="billing"), encoding="utf-8")
        second = wait_for(lambda: (d := c.post("/v1/decide", json=ask).json())["revision"] != first["revision"]
                          and d)
        assert second["decision"] == "deny"
        assert c.get("/v1/policies").json()[0]["revision"] == second["revision"]
        policy.write_text(TINY.format(purpose="delivery") + "this is not a rule\n", encoding="utf-8")
        health = wait_for(lambda: (h := c.get("/health").json())["problems"] and h)
        problem = health["problems"][0]
        assert health["status"] == "degraded" and problem["serving"] == second["revision"]
        assert problem["diagnostics"] and problem["diagnostics"][0]["code"].startswith("E")
        assert c.post("/v1/decide", json=ask).json()["revision"] == second["revision"]  # the last good one
        (tmp_path / "other.policy").write_text(TINY.replace("testcoop", "othercoop").format(purpose="delivery"),
                                               encoding="utf-8")
        wait_for(lambda: "othercoop" in c.get("/health").json()["policies"])
        policy.write_text(TINY.format(purpose="delivery"), encoding="utf-8")
        wait_for(lambda: not c.get("/health").json()["problems"])
        assert c.post("/v1/decide", json=ask).json() | {"decision_id": None} == first | {"decision_id": None}
        metrics = c.get("/metrics").text
        assert 'coopcheck_policy_reloads_total{result="ok"}' in metrics
        assert 'coopcheck_policy_reloads_total{result="failed"} 1' in metrics


def test_a_named_policy_replaces_the_shipped_one_with_its_id(tmp_path):
    text = (REPO / "policies" / "aizu.policy").read_text(encoding="utf-8")
    (tmp_path / "aizu.policy").write_text(text + "\npurchase history may be shared with coop kyosai for delivery"
                                          "   [指針2]\n", encoding="utf-8")
    with client_for(ServeConfig(sources=[*ServeConfig().sources, Source(str(tmp_path))])) as c:
        served = {p["id"]: p for p in c.get("/v1/policies").json()}
        assert served["aizu"]["source"] == str(tmp_path / "aizu.policy") and not served["aizu"]["shipped"]
        assert c.get("/health").json()["status"] == "ok"
        assert c.post("/v1/decide", json=DENIED).json()["decision"] == "permit"


def test_a_policy_that_never_compiled_makes_health_503(tmp_path):
    (tmp_path / "bad.policy").write_text("policy bad\nimport vocabulary\nnonsense here\n", encoding="utf-8")
    with client_for(ServeConfig(sources=[Source(str(tmp_path / "bad.policy"))])) as c:
        r = c.get("/health")
        assert r.status_code == 503 and r.json()["status"] == "unavailable"
        assert any("bad.policy" in reason for reason in r.json()["reasons"])
        r = c.post("/v1/decide", json={"coop": "bad", "action": "use", "data": ["name"], "purpose": "delivery"})
        assert r.status_code in (400, 503) and "error" in r.json()


# ---- the decision log ---------------------------------------------------------------------------

def test_decision_log_one_line_per_decision_masked_and_dropped(tmp_path):
    log = tmp_path / "decisions.log"
    config = ServeConfig(decision_log=str(log), log_mask=("recipient", "input.data"), log_drop=("decision.reasons",))
    with client_for(config) as c:
        answers = c.post("/v1/decide", json=[JOINT_USE, DENIED, {"coop": "aizu"},
                                             {**JOINT_USE, "coop": "all"}]).json()
        opa = c.post("/v1/data/coopcheck/decide", json={"input": DENIED}).json()
    decided = [a for a in flat(answers) if "error" not in a] + [opa["result"]]
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(decided) == 8
    assert [x["decision_id"] for x in lines] == [d["decision_id"] for d in decided]
    for line, d in zip(lines, decided):
        assert line["policy"] == {"id": d["coop"], "revision": d["revision"]}
        assert line["decision"]["decision"] == d["decision"] and "reasons" not in line["decision"]
        assert line["input"]["data"] == MASK and line["input"]["recipient"] == MASK
        assert line["decision"]["scenario"]["recipient"] == MASK
        assert line["decision"]["scenario"]["data"] == d["scenario"]["data"]  # only input.data was named
        assert line["time"].endswith("Z") and line["remote"]
    assert "日本生協連" not in log.read_text(encoding="utf-8")


def test_decision_log_rotates_by_size(tmp_path):
    log = tmp_path / "decisions.log"
    with client_for(ServeConfig(decision_log=str(log), log_max_bytes=6000, log_backups=2)) as c:
        for _ in range(12):
            assert c.post("/v1/decide", json=JOINT_USE).status_code == 200
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["decisions.log", "decisions.log.1", "decisions.log.2"]
    for f in files:
        assert f.stat().st_size <= 6000
        assert all(json.loads(line)["decision"]["decision"] == "permit" for line in f.read_text("utf-8").splitlines())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_log_write_failures_are_counted_and_require_log_refuses():
    with client_for(ServeConfig(decision_log="/dev/full")) as c:
        assert c.post("/v1/decide", json=JOINT_USE).status_code == 200  # answered; the line is lost and counted
        health = wait_for(lambda: (h := c.get("/health").json())["decision_log"]["failures"] and h)
        assert health["decision_log"]["failing"] and "No space left" in health["decision_log"]["last_error"]
        assert health["status"] == "degraded" and c.get("/health").status_code == 200
        assert "coopcheck_decision_log_write_failures_total 1" in c.get("/metrics").text
    with client_for(ServeConfig(decision_log="/dev/full", require_log=True)) as c:
        r = c.post("/v1/decide", json=JOINT_USE)
        assert r.status_code == 503 and r.json()["error"]["code"] == "log_unavailable" and "decision" not in r.json()
        assert c.get("/health").status_code == 503


# ---- malformed scenarios: the library's decision or a clean error, never a 500 ------------------

VOCAB = POLICIES["aizu"].vocabulary
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 20), st.floats(allow_nan=False, allow_infinity=False),
                 st.text(max_size=30), st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                                                   st.integers(),
                                                                                                   max_size=2))


def _names(kind):
    ids = VOCAB.of_kind(kind)
    labels = [VOCAB.terms[t].label for t in ids if VOCAB.terms[t].label]
    return st.sampled_from(ids + labels)


@st.composite
def scenarios(draw):
    """Scenarios over the vocabulary, with fields dropped, mistyped or junk, and unknown fields."""
    s = {"coop": draw(st.sampled_from(sorted(POLICIES) + ["コープあいづ", "ALL", "nowhere"])),
         "action": draw(st.sampled_from(["use", "collect", "share", "publish", " Share ", "sell"])),
         "data": draw(st.one_of(st.lists(_names("item"), min_size=1, max_size=3), _names("item"))),
         "purpose": draw(_names("purpose"))}
    if s["action"].strip().lower() == "share" or draw(st.booleans()):
        s["recipient"] = draw(_names("party"))
    for name in ("subject", "exception"):
        if draw(st.booleans()):
            s[name] = draw(_names(name))
    if draw(st.booleans()):
        s["consent"] = draw(st.one_of(st.booleans(), st.none()))
    for _ in range(draw(st.integers(0, 2))):
        field = draw(st.sampled_from(["coop", "action", "data", "purpose", "recipient", "subject", "consent",
                                      "exception", "extra"]))
        if draw(st.booleans()):
            s.pop(field, None)
        else:
            s[field] = draw(JUNK)
    return s


ALIASES = {"コープあいづ": "aizu"}


def _expected(scenario):
    """What the library says for a scenario naming one shipped policy (by id or name)."""
    try:
        return decision_json(decide(POLICIES[ALIASES.get(scenario["coop"], scenario["coop"])], body_of(scenario)))
    except CoopcheckError as err:
        return error_object(err, 1)


def _assert_librarys_answers(body, r) -> None:
    """A /v1/decide answer to ``body`` (a scenario, junk or an array of them) is 200 or 400, one
    answer per scenario, each a decision stamped with its revision or a clean E4xx error, and,
    for a scenario naming one shipped policy, exactly the library's answer."""
    assert r.status_code in (200, 400), r.text
    answer = r.json()
    items = answer if isinstance(body, list) else [answer]
    assert len(items) == (len(body) if isinstance(body, list) else 1)
    for line, (sent, got) in enumerate(zip(body if isinstance(body, list) else [body], items), 1):
        for one in (got if isinstance(got, list) else [got]):
            assert set(one) == {"error"} or (one["decision"] in ("permit", "deny") and one["revision"])
            if "error" in one:
                assert one["error"]["code"].startswith("E4") and one["error"]["message"]
        if isinstance(sent, dict) and ALIASES.get(sent.get("coop"), sent.get("coop")) in POLICIES:
            expected = _expected(sent)
            if "error" in expected:
                expected["error"]["line"] = line
            assert strip(got) == expected


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.one_of(scenarios(), JUNK, st.lists(st.one_of(scenarios(), JUNK), max_size=4)))
def test_malformed_scenarios_get_the_librarys_answer_or_a_clean_error(client, body):
    _assert_librarys_answers(body, client.post("/v1/decide", json=body))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(st.binary(max_size=200))
def test_any_bytes_get_an_answer_never_a_500(client, raw):
    r = client.post("/v1/decide", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 400) and ("error" in r.json() or isinstance(r.json(), list))


# ---- the real server, and the layering -----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: How many requests the properties against the real server may send, in all (bounded).
LIVE_REQUESTS = 400


@pytest.fixture(scope="module")
def live():
    """The real service (uvicorn, HTTP over loopback) on a free port of 127.0.0.1, with an
    httpx client, for this module's properties: it stops when they are done, after at most
    :data:`LIVE_REQUESTS` requests, or after two minutes, whichever comes first."""
    import threading

    import httpx
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ServeConfig()), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on", limit_max_requests=LIVE_REQUESTS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    stop = threading.Timer(120, lambda: setattr(server, "should_exit", True))
    stop.daemon = True
    stop.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        yield http
    stop.cancel()
    server.should_exit = True
    thread.join(timeout=15)
    assert not thread.is_alive(), "the server did not stop"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=120,
          deadline=None)
@given(st.one_of(scenarios(), JUNK, st.lists(st.one_of(scenarios(), JUNK), max_size=4)))
def test_the_real_server_gives_the_librarys_answer_or_a_clean_error(live, body):
    """Generated scenarios, malformed ones among them, sent over HTTP to the running server:
    every answer is the library's decision for that scenario or a clean error, never a 500."""
    r = live.post("/v1/decide", content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    _assert_librarys_answers(body, r)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["application/json", "text/plain", "application/x-ndjson", None]),
       st.booleans())
def test_the_real_server_answers_any_bytes_without_a_500(live, raw, content_type, chunked):
    """Any body, under any content type, sent whole or in chunks (no Content-Length), gets a
    JSON answer with 200 or a 4xx from the running server, never a 500 or a dropped
    connection."""
    headers = {"Content-Type": content_type} if content_type else {}
    content = iter([raw[: len(raw) // 2], raw[len(raw) // 2:]]) if chunked else raw
    r = live.post("/v1/decide", content=content, headers=headers)
    assert r.status_code == 200 or 400 <= r.status_code < 500, r.text
    answer = r.json()
    assert isinstance(answer, list) or "error" in answer or answer.get("decision") in ("permit", "deny")


def test_real_server_with_the_client(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "coopcheck", "serve", "--port", str(port), "--log-level", "warning",
                             "--decision-log", str(tmp_path / "d.log")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        c = Client(f"http://127.0.0.1:{port}", timeout=5)
        wait_for(lambda: c.health().get("status") == "ok" or proc.poll() is not None, timeout=30, step=0.1)
        assert proc.poll() is None, proc.stderr.read().decode()
        got = c.decide(JOINT_USE)
        assert strip(got) == decision_json(decide(POLICIES["aizu"], body_of(JOINT_USE)))
        assert c.permits(JOINT_USE) and not c.permits(DENIED)
        many = c.decide_many([JOINT_USE, {"coop": "aizu"}, DENIED])
        assert [d["decision"] for d in many] == ["permit", "deny", "deny"] and many[1]["error"]["code"] == "E403"
        assert coopcheck.Client is Client
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert "listening on http://127.0.0.1:" in err.decode()
    assert len((tmp_path / "d.log").read_text(encoding="utf-8").splitlines()) == 5  # flushed on shutdown
    assert not Client(f"http://127.0.0.1:{port}", timeout=2).permits(JOINT_USE)  # gone: deny


def test_serve_does_not_import_the_cli_and_the_library_does_not_import_serve():
    root = Path(coopcheck.__file__).resolve().parent
    for path in (root / "serve").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("coopcheck.cli"), f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("coopcheck.cli") for a in node.names), path.name
    probe = ("import sys, coopcheck; from coopcheck import decide, load_policy; "
             "decide(load_policy('aizu'), action='use', data=['name'], purpose='delivery'); "
             "print(sorted(m for m in sys.modules if m.startswith(('coopcheck.serve', 'starlette', 'uvicorn'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_the_listening_socket_says_tcp_so_responses_are_not_held_back():
    """asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol is IPPROTO_TCP; one
    made with protocol 0 held every kept-alive response ~40 ms for the peer's delayed ACK (the
    benchmark's service section found it)."""
    from coopcheck.serve.command import _listen

    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_decision_ids_are_distinct_random_uuids():
    from coopcheck.serve.answers import DecisionIds

    ids = DecisionIds()
    drawn = [ids.next() for _ in range(1000)] + [DecisionIds().next() for _ in range(50)]
    assert len(set(drawn)) == len(drawn)
    assert all(uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122 and str(uuid.UUID(i)) == i
               for i in drawn)


def test_large_batches_take_turns_and_small_requests_do_not_wait_for_them(monkeypatch):
    """Requests of over BATCH_LANE scenarios are decided one at a time (one writer, one core's
    worth of work); a request of one scenario is answered meanwhile."""
    import threading as _threading
    from concurrent.futures import ThreadPoolExecutor

    from coopcheck.serve import answers
    from coopcheck.serve.service import BATCH_LANE

    inside, most, lock = [0], [0], _threading.Lock()
    real = answers.Work.decide

    def counting(self, items):
        if not self.batch:
            return real(self, items)
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.05)
            return real(self, items)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(answers.Work, "decide", counting)
    batch = [JOINT_USE] * (BATCH_LANE + 1)
    with client_for(ServeConfig()) as c, ThreadPoolExecutor(4) as pool:
        big = [pool.submit(c.post, "/v1/decide", json=batch) for _ in range(4)]
        small = c.post("/v1/decide", json=JOINT_USE)
        assert small.status_code == 200 and not all(f.done() for f in big)
        results = [f.result() for f in big]
    assert all(r.status_code == 200 and len(r.json()) == len(batch) for r in results)
    assert most[0] == 1


def test_the_service_holds_two_decision_writers_a_language_whatever_the_threads():
    """A writer's caches grow with the distinct scenarios it has written (tens of MB over
    millions): the service keeps one for the event loop and one its worker threads share, per
    language, however many threads answer."""
    from concurrent.futures import ThreadPoolExecutor

    app = create_app(ServeConfig())
    svc = app.state.service
    with TestClient(app) as c, ThreadPoolExecutor(6) as pool:
        bodies = [(lang, JOINT_USE if n % 2 else [JOINT_USE, DENIED] * (n % 5 + 1))
                  for n in range(40) for lang in ("en", "ja")]
        answers = list(pool.map(lambda b: c.post(f"/v1/decide?lang={b[0]}", json=b[1]), bodies))
    assert all(r.status_code == 200 for r in answers)
    assert set(svc._loop_writers) == {"en", "ja"} and set(svc._shared_writers) == {"en", "ja"}
