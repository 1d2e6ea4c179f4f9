"""The long (rater, unit, value) table that agreement statistics start from.

One row per annotation and result field: who rated (the worker, else the annotation's
actor), which unit (the task), and the value in a comparable form (sorted labels joined
by '|', text as is, boxes and polygons as sorted JSON). ``provider`` says whose id the
rater is (an MTurk worker, a Prolific participant; empty for a researcher's annotation).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from workbench.store import Store
from . import shapes
from .source import BATCH_SIZE, Column, annotation_sql, arrow_schema, stream_rows, to_batch, ANNOTATION_COLUMNS

LONG_COLUMNS = (
    Column("rater", "", "str", "VARCHAR"),
    Column("unit", "", "int", "BIGINT"),
    Column("value", "", "str", "VARCHAR"),
    Column("field", "", "str", "VARCHAR"),
    Column("task_type", "", "str", "VARCHAR"),
    Column("definition_version", "", "str", "VARCHAR"),
    Column("project", "", "str", "VARCHAR"),
    Column("annotation_id", "", "int", "BIGINT"),
    Column("asset_id", "", "int", "BIGINT"),
    Column("provider", "", "str", "VARCHAR"),
)
_INDEX = {c.name: i for i, c in enumerate(ANNOTATION_COLUMNS)}


def long_rows(store: Store, project: str | None, *, batch_size: int = BATCH_SIZE) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of long-table rows, computed from the streamed annotation join."""
    sql, params = annotation_sql(store.dialect, project)
    i = _INDEX
    for rows in stream_rows(store, sql, params, batch_size=batch_size):
        out = []
        for row in rows:
            for field, value in shapes.fields(row[i["result"]]):
                out.append((row[i["rater"]], row[i["task_id"]], value, field, row[i["task_type"]],
                            row[i["definition_version"]], row[i["project"]], row[i["annotation_id"]],
                            row[i["asset_id"]], row[i["provider"]]))
        yield out


def long_batches(store: Store, project: str | None, *, batch_size: int = BATCH_SIZE) -> pa.RecordBatchReader:
    schema = arrow_schema(LONG_COLUMNS)
    batches = (to_batch(rows, schema) for rows in long_rows(store, project, batch_size=batch_size))
    return pa.RecordBatchReader.from_batches(schema, batches)
