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
from coopcheck.audit.logs import FIELDS

#: The columns :func:`decide_batches` appends, all strings.
OUTPUT_FIELDS = ("decision", "decided_coop", "error_code")


def decide_batches(batches: Iterable[Any], policies: PolicySet | None = None,
                   default_coop: str | None = None) -> Iterator[Any]:
    """Each record batch of events with :data:`OUTPUT_FIELDS` appended (see the module
    docstring). ``policies``: the policy set to decide with (default: every shipped policy,
    made on the first batch, where this runs); ``default_coop``: the co-op of events without
    one, as ``coopcheck audit --coop``."""
    import pyarrow as pa

    for batch in batches:
        if policies is None:
            from coopcheck.audit.run import policy_set

            policies = policy_set(default_coop)
        columns = {name: batch.column(name).to_pylist() if name in batch.schema.names else None
                   for name in FIELDS}
        decisions, coops, codes = [], [], []
        for row in range(batch.num_rows):
            values = tuple(col[row] if col is not None else None for col in columns.values())
            outcome = policies.outcome(scenario_fields(values, text_consent=True))
            decisions.append(outcome.status)
            coops.append(outcome.coop)
            codes.append(outcome.error[0] if outcome.error else None)
        yield pa.RecordBatch.from_arrays(
            list(batch.columns) + [pa.array(v, type=pa.string()) for v in (decisions, coops, codes)],
            names=list(batch.schema.names) + list(OUTPUT_FIELDS))
