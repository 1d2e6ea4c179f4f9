"""Tabular files (Parquet, CSV, JSONL, JSON) written by DuckDB from a stream of Arrow batches.

DuckDB pulls the batches one at a time from the reader and writes them as it goes
(``COPY (SELECT …) TO``), so neither the rows nor the file are ever held whole in memory.
It also gives each column its final type: JSON documents stay JSON, timestamps become
UTC timestamps, and the time on task is computed from the assignment's times.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from ..errors import ValidationError
from .source import Column

#: DuckDB ``COPY`` options per file format.
COPY_OPTIONS = {
    # Smaller row groups than DuckDB's default (122,880): the writer buffers one at a time.
    "parquet": "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 50000",
    "csv": "FORMAT csv, HEADER true",
    "jsonl": "FORMAT json",
    "json": "FORMAT json, ARRAY true",
}
TABULAR_FORMATS = tuple(COPY_OPTIONS)
#: Columns computed from others, placed right after the column named as key.
DERIVED = {
    "rejection_time": ("time_on_task_seconds",
                       "CAST(epoch(CAST(submit_time AS TIMESTAMPTZ) - CAST(accept_time AS TIMESTAMPTZ)) AS DOUBLE)"),
}


def connect():
    """A DuckDB connection that renders timestamps in UTC and keeps its memory bounded.

    One thread: the source is a single stream, so a second thread adds no speed, only a
    second set of write buffers (measured: 506 MB peak instead of 347 MB at 1M rows).
    """
    import duckdb

    con = duckdb.connect(config={"memory_limit": "256MB", "threads": 1, "preserve_insertion_order": True})
    con.execute("SET TimeZone = 'UTC'")
    return con


def projection(columns: Sequence[Column]) -> str:
    parts = []
    for column in columns:
        parts.append(f"CAST({column.name} AS {column.duck}) AS {column.name}")
        if column.name in DERIVED:
            name, expr = DERIVED[column.name]
            parts.append(f"{expr} AS {name}")
    return ",\n  ".join(parts)


def quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write(reader: pa.RecordBatchReader, columns: Sequence[Column], fmt: str, out: Path) -> int:
    """Write the stream to ``out`` in ``fmt``; return the number of rows written."""
    if fmt not in COPY_OPTIONS:
        raise ValidationError("format", f"must be one of {', '.join(TABULAR_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    con = connect()
    try:
        con.register("source_rows", reader)
        sql = (f"COPY (SELECT\n  {projection(columns)}\nFROM source_rows) "
               f"TO {quote_path(out)} ({COPY_OPTIONS[fmt]})")
        written = con.execute(sql).fetchone()
        return int(written[0]) if written else 0
    finally:
        con.close()
