"""The audit's decision step on Arrow record batches (coopcheck.audit.batches), as Spark's
mapInArrow would call it: the same decisions as ``coopcheck audit`` on the same log, and, where
pyspark is installed, the same through a real Spark job."""

from __future__ import annotations

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("polars")

from coopcheck.audit.batches import OUTPUT_FIELDS, decide_batches  # noqa: E402
from coopcheck.audit.generate import write_log  # noqa: E402
from coopcheck.audit.run import audit  # noqa: E402


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    path = tmp_path_factory.mktemp("batches") / "events.parquet"
    write_log(path, 3000, cases=300, seed=11, row_group=700)
    return path


def test_batches_decide_each_event_as_the_audit_does(log):
    table = pq.read_table(log)
    out = pa.Table.from_batches(list(decide_batches(table.to_batches(max_chunksize=500))))
    assert out.num_rows == table.num_rows and out.schema.names[-3:] == list(OUTPUT_FIELDS)
    assert out.schema.names[:-3] == table.schema.names  # the event's own columns pass through
    result = audit([str(log)], keep_events=True)
    events = result.frame.sort("row")
    assert out.column("decision").to_pylist() == events.get_column("decision").to_list()
    assert out.column("error_code").to_pylist() == events.get_column("code").to_list()
    decided = [c for c, d in zip(out.column("decided_coop").to_pylist(), out.column("decision").to_pylist())
               if d != "error"]
    assert decided and all(decided)


def test_each_distinct_case_is_decided_once_per_call(log):
    from coopcheck.audit.run import policy_set

    policies = policy_set()
    calls = []
    real = policies._decide

    def counting(fields):
        calls.append(1)
        return real(fields)

    policies._decide = counting
    table = pq.read_table(log)
    list(decide_batches(table.to_batches(max_chunksize=250), policies))
    result = audit([str(log)])
    assert len(calls) == result.distinct_cases


def test_a_spark_job_gives_the_same_decisions(log):
    """Where pyspark (and Java) are installed: mapInArrow over the log equals the audit."""
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StringType, StructField, StructType

    spark = (SparkSession.builder.master("local[2]").appName("coopcheck-test")
             .config("spark.driver.host", "127.0.0.1").config("spark.ui.enabled", "false").getOrCreate())
    try:
        events = spark.read.parquet(str(log))
        schema = StructType(list(events.schema.fields) + [StructField(n, StringType()) for n in OUTPUT_FIELDS])
        rows = events.mapInArrow(decide_batches, schema).select("decision").collect()
    finally:
        spark.stop()
    result = audit([str(log)])
    assert sorted(r.decision for r in rows) == sorted(
        ["permit"] * result.permitted + ["deny"] * result.denied + ["error"] * result.errors)
    assert pyspark  # the job ran on the installed Spark


def test_a_batch_without_scenario_columns_is_answered_row_by_row():
    """Every row of a batch gets its answer, even when no column is a scenario field (each an
    input error), and an empty batch stays empty."""
    batch = pa.RecordBatch.from_pylist([{"note": "x"}, {"note": "y"}])
    [out] = decide_batches([batch])
    assert out.column("decision").to_pylist() == ["error", "error"]
    assert out.column("error_code").to_pylist() == ["E403", "E403"]
    [empty] = decide_batches([batch.slice(0, 0)])
    assert empty.num_rows == 0 and empty.schema.names[-3:] == list(OUTPUT_FIELDS)
