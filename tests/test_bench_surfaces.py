"""The service and audit sections of the benchmark, not their timings: ``coopcheck serve``
answers every benchmark scenario as ``decide`` does (one a request and in arrays), a wrong
answer stops the harness, the service process is stopped whatever happens, and the audit
decides each distinct case once on one machine and gives the same result on a Dask cluster of
one and of two worker processes. Nothing here is timed.
"""

from __future__ import annotations

import json

import pytest

from bench import bare_asgi, service, targets
from bench.measure import Disagreement


def test_service_agrees_with_decide_and_is_stopped():
    fig = service.measure(100, threads=2, sample=60, check_only=True)
    assert fig["checked"] == 120 and fig["url"].startswith("http://127.0.0.1:")


def test_service_timed_streams_are_checked():
    """A small timed run: the bare floor, the streams and the open-loop run; every timed
    answer is compared after timing; the figures add up and the three targets are judged."""
    fig = service.measure(100, threads=4, repeats=1, sample=10, batches=1, steady_s=0.4)
    floor, single, steady, batched = (service.row(fig, k) for k in ("floor", "single", "steady", "batched"))
    assert floor["requests"] == 100 and floor["decisions"] is None and floor["vs_floor"] == 1.0
    assert single["requests"] == 100 and single["decisions"] == 100
    assert batched["requests"] == 1 and batched["decisions"] == service.BATCH == 1000
    assert steady["requests"] == 200 and steady["p99_ms"] >= steady["p50_ms"] > 0
    assert 0 < batched["server_cores"] < 2
    text = service.table(fig)
    assert "decisions/s" in text and "open loop, the service: 200 requests due at 500/s" in text
    assert service.row(fig, "floor_steady")["requests"] == 200
    judged = targets.service_targets(fig)
    assert len(judged) == 3 and all(t.met is not None for t in judged)


def test_batches_are_the_services_largest():
    import subprocess
    import sys

    # read in a child: importing the service's modules here made the next test's service
    # ignore an early SIGTERM (stopped only by the SIGKILL 10 s later)
    out = subprocess.run([sys.executable, "-c", "from coopcheck.serve.service import MAX_BATCH; print(MAX_BATCH)"],
                         capture_output=True, text=True, check=True).stdout
    assert service.BATCH == int(out)


def test_the_bare_floor_answers_its_fixed_body_on_loopback():
    import httpx

    with service.Service(args=service.BARE) as bare:
        assert bare.url.startswith("http://127.0.0.1:")
        run = service.drive(bare.url, [b'{"coop": "aizu"}'] * 20, 2, path=bare_asgi.PATH, server=bare)
        proc = bare.proc
        assert httpx.get(bare.url + bare_asgi.PATH).content == bare_asgi.BODY
    assert proc.poll() is not None
    assert run["responses"] == [bare_asgi.BODY] * 20 and run["server_cpu_s"] is not None
    assert 500 < len(bare_asgi.BODY) < 2000 and json.loads(bare_asgi.BODY)["decision"] == "permit"


def test_service_targets():
    """Judged on the figures: within 2x of the floor, p99 < 5 ms keeping up at 500/s,
    50 000 decisions/s in batches of 1 000; not measured without timings."""
    rows = [{"key": "floor", "requests_per_s": 1000.0}, {"key": "single", "requests_per_s": 600.0},
            {"key": "steady", "requests_per_s": 499.0, "p50_ms": 1.0, "p99_ms": 4.0, "kept_up": True,
             "scheduled_s": 10.0},
            {"key": "batched", "decisions_per_s": 9000.0, "server_cores": 0.9},
            {"key": "again", "decisions_per_s": 60000.0}]
    fig = {"rows": rows, "rate": 500.0, "batch": 1000}
    assert [t.verdict for t in targets.service_targets(fig)] == ["MET", "MET", "MISSED"]
    rows[1]["requests_per_s"], rows[2]["kept_up"] = 400.0, False
    assert [t.verdict for t in targets.service_targets(fig)] == ["MISSED", "MISSED", "MISSED"]
    assert [t.verdict for t in targets.service_targets({"checked": 4})] == ["NOT MEASURED"] * 3


def test_a_wrong_answer_stops_the_harness():
    dicts = service.scenarios(3)
    want = service.expected(dicts)
    got = [dict(w, revision="r", decision_id="x") for w in want]
    service.compare("ok", dicts, got, want)  # the stamps are left out
    got[1]["decision"] = "permit" if want[1]["decision"] == "deny" else "deny"
    with pytest.raises(Disagreement, match="1 of 3 answers differ"):
        service.compare("wrong", dicts, got, want)


def test_the_service_is_stopped_on_an_error():
    with pytest.raises(RuntimeError, match="boom"):
        with service.Service() as svc:
            proc = svc.proc
            assert proc.poll() is None
            raise RuntimeError("boom")
    assert proc.poll() is not None


def test_scenarios_are_distinct_and_valid():
    dicts = service.scenarios(300)
    assert len({json.dumps(d, sort_keys=True) for d in dicts}) == 300
    assert all(w["decision"] in ("permit", "deny") for w in service.expected(dicts[:50]))


def test_audit_each_case_decided_once_and_dask_agrees():
    pytest.importorskip("distributed")
    from bench import audit

    fig = audit.measure(8000, check_only=True)
    assert fig["distinct_cases"] > 100
    assert fig["decided_local"] == fig["distinct_cases"]
    assert [r["workers"] for r in fig["dask"]] == [1, 2] and all(r["checked"] for r in fig["dask"])
    one, two = fig["dask"]
    assert one["decided_per_worker"] == [fig["distinct_cases"]]
    assert all(n <= fig["distinct_cases"] for n in two["decided_per_worker"])
    assert sum(two["decided_per_worker"]) >= fig["distinct_cases"]
