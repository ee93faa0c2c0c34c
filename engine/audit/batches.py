"""The audit's decision step as a function of Arrow record batches, for data engines that hand
a function one batch at a time: Spark's ``DataFrame.mapInArrow``, a pandas UDF, Ray Data,
DuckDB's Arrow streams.

:func:`decide_batches` takes an iterator of :class:`pyarrow.RecordBatch` holding events (the
scenario fields as columns, named as in a log, :data:`~coopcheck.audit.logs.FIELDS`; other
columns pass through) and yields each batch with three columns appended: ``decision``
(``permit``, ``deny`` or ``error``), ``decided_coop`` (the co-op whose policy decided) and
``error_code`` (the input error's code, else null). Each distinct case is decided once per call
(the policy set remembers outcomes across the batches of one iterator), with the same reading
of the fields as ``coopcheck audit`` (:func:`~coopcheck.audit.cases.scenario_fields`) and the
same decisions as ``coopcheck check`` (a ``consent`` column of strings reads ``true``/``false``
as the audit's CSV reader does).

With Spark (documented in the README; the function is shipped to the executors, which compile
or read the shipped policies themselves)::

    from pyspark.sql.types import StringType, StructField, StructType
    from coopcheck.audit.batches import OUTPUT_FIELDS, decide_batches
    schema = StructType(list(events.schema.fields) + [StructField(n, StringType()) for n in OUTPUT_FIELDS])
    decided = events.mapInArrow(decide_batches, schema)

>>> import pyarrow as pa
>>> batch = pa.RecordBatch.from_pylist([
...     {"coop": "aizu", "action": "share", "data": "購買履歴", "recipient": "jccu", "purpose": "delivery"},
...     {"coop": "aizu", "action": "share", "data": "購買履歴", "recipient": "unrelated_third_party",
...      "purpose": "delivery"},
...     {"coop": "nowhere", "action": "use", "data": "name", "purpose": "delivery", "recipient": None}])
>>> [out] = decide_batches([batch])
>>> out.column("decision").to_pylist(), out.column("error_code").to_pylist()
(['permit', 'deny', 'error'], [None, None, 'E402'])
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from coopcheck.audit.cases import PolicySet, scenario_fields
from coopcheck.audit.logs import FIELDS, case_numbers

#: The columns :func:`decide_batches` appends, all strings.
OUTPUT_FIELDS = ("decision", "decided_coop", "error_code")


def decide_batches(batches: Iterable[Any], policies: PolicySet | None = None,
                   default_coop: str | None = None) -> Iterator[Any]:
    """Each record batch of events with :data:`OUTPUT_FIELDS` appended (see the module
    docstring). ``policies``: the policy set to decide with (default: every shipped policy,
    made on the first batch, where this runs); ``default_coop``: the co-op of events without
    one, as ``coopcheck audit --coop``. A batch's events are numbered by case
    (:func:`~coopcheck.audit.logs.case_numbers`, as the audit numbers a partition's), each
    case is looked up once, and the answers are joined back onto the events in their order."""
    import polars as pl
    import pyarrow as pa

    for batch in batches:
        if policies is None:
            from coopcheck.audit.run import policy_set

            policies = policy_set(default_coop)
        given = [name for name in FIELDS if name in batch.schema.names]
        keyed = pl.from_arrow(pa.Table.from_batches([batch.select(given)])) if given else pl.DataFrame()
        keys = [name for name in given if keyed.schema[name] != pl.Null]
        numbers, ids, firsts = case_numbers(keyed.select(keys) if keys else pl.DataFrame(), batch.num_rows)
        at = {name: k for k, name in enumerate(keys)}
        decisions, coops, codes = [], [], []
        for row in (keyed.select(keys)[firsts].rows() if keys else [()] * len(firsts)):
            values = tuple(row[at[name]] if name in at else None for name in FIELDS)
            outcome = policies.outcome(scenario_fields(values, text_consent=True))
            decisions.append(outcome.status)
            coops.append(outcome.coop)
            codes.append(outcome.error[0] if outcome.error else None)
        table = pl.DataFrame({"__case": pl.Series(ids, dtype=pl.UInt64),
                              **{name: pl.Series(v, dtype=pl.String)
                                 for name, v in zip(OUTPUT_FIELDS, (decisions, coops, codes))}})
        answers = (pl.DataFrame({"__case": numbers}).join(table, on="__case", how="left", maintain_order="left")
                   .drop("__case").to_arrow())
        yield pa.RecordBatch.from_arrays(
            list(batch.columns) + [answers.column(name).combine_chunks().cast(pa.string()) for name in OUTPUT_FIELDS],
            names=list(batch.schema.names) + list(OUTPUT_FIELDS))
