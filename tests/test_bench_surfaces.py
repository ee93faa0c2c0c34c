"""The service and audit sections of the benchmark, not their timings: ``coopcheck serve``
answers every benchmark scenario as ``decide`` does (one a request and in arrays), a wrong
answer stops the harness, the service process is stopped whatever happens, and the audit
decides each distinct case once on one machine and gives the same result on a Dask cluster of
one and of two worker processes. Nothing here is timed.
"""

from __future__ import annotations

import json

import pytest

from bench import service
from bench.measure import Disagreement


def test_service_agrees_with_decide_and_is_stopped():
    fig = service.measure(100, threads=2, sample=60, check_only=True)
    assert fig["checked"] == 120 and fig["url"].startswith("http://127.0.0.1:")


def test_service_timed_streams_are_checked():
    """A small timed run: every timed answer is compared after timing; the figures add up."""
    fig = service.measure(100, threads=4, repeats=1, sample=10)
    single, batched = fig["rows"][1], fig["rows"][2]
    assert single["requests"] == 100 and single["decisions"] == 100
    assert batched["requests"] == 1 and batched["decisions"] == 100
    assert "decisions/s" in service.table(fig)


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
