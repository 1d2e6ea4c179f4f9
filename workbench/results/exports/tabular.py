"""Tabular exports (Parquet, CSV, JSON, JSON lines) from a stream of Arrow batches: one writer per format.

DuckDB reads the batches one at a time and gives each column its final type: JSON documents
stay JSON, timestamps become UTC timestamps, and the time on task is computed from the
assignment's times. Parquet and CSV go straight to a file (``COPY (SELECT …) TO``). JSON and
JSON lines come out as text chunks, one per batch of rows (DuckDB's ``to_json`` of each row,
what its own JSON ``COPY`` writes), so that a file and an HTTP response are written by the
same code; neither the rows nor the output are ever held whole in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from workbench.errors import ValidationError
from .source import BATCH_SIZE, Column

#: DuckDB ``COPY`` options of the formats DuckDB writes to a file itself.
COPY_OPTIONS = {
    # Smaller row groups than DuckDB's default (122,880): the writer buffers one at a time.
    "parquet": "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 50000",
    "csv": "FORMAT csv, HEADER true",
}
#: The formats written as text chunks (a file, or a response as it streams).
TEXT_FORMATS = ("jsonl", "json")
TABULAR_FORMATS = (*COPY_OPTIONS, *TEXT_FORMATS)
#: Rows per text chunk at most: a few megabytes of JSON.
CHUNK_ROWS = 5_000
#: How a JSON array opens, separates its rows and closes: the layout of DuckDB's ``COPY … (FORMAT json, ARRAY
#: true)``, so that the file is the one DuckDB wrote before the rows went through here.
ARRAY_OPEN, ARRAY_SEPARATOR, ARRAY_CLOSE = "[\n\t", ",\n\t", "\n]\n"
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


def names(columns: Sequence[Column]) -> list[str]:
    """The columns an export holds, in order: those given and the ones derived from them."""
    out = []
    for column in columns:
        out.append(column.name)
        if column.name in DERIVED:
            out.append(DERIVED[column.name][0])
    return out


def quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def check_format(fmt: str, formats: Sequence[str] = TABULAR_FORMATS) -> str:
    if fmt not in formats:
        raise ValidationError("format", f"must be one of {', '.join(formats)}")
    return fmt


@contextmanager
def _registered(reader: pa.RecordBatchReader):
    con = connect()
    try:
        con.register("source_rows", reader)
        yield con
    finally:
        con.close()


def write(reader: pa.RecordBatchReader, columns: Sequence[Column], fmt: str, out: Path) -> int:
    """Write the stream to ``out`` in ``fmt``; return the number of rows written."""
    check_format(fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt in TEXT_FORMATS:
        rows = 0
        with open(out, "w", encoding="utf-8") as handle:
            for chunk, count in _text(reader, columns, fmt, BATCH_SIZE):
                handle.write(chunk)
                rows += count
        return rows
    with _registered(reader) as con:
        sql = (f"COPY (SELECT\n  {projection(columns)}\nFROM source_rows) "
               f"TO {quote_path(out)} ({COPY_OPTIONS[fmt]})")
        written = con.execute(sql).fetchone()
        return int(written[0]) if written else 0


def text_chunks(reader: pa.RecordBatchReader, columns: Sequence[Column], fmt: str, *,
                batch_size: int = BATCH_SIZE) -> Iterator[str]:
    """The stream as JSON (one array) or JSON lines, in chunks of at most ``batch_size`` rows (and CHUNK_ROWS)."""
    check_format(fmt, TEXT_FORMATS)
    for chunk, _count in _text(reader, columns, fmt, batch_size):
        yield chunk


def _text(reader: pa.RecordBatchReader, columns: Sequence[Column], fmt: str,
          batch_size: int) -> Iterator[tuple[str, int]]:
    """(text, rows in it) per chunk; the array's brackets come in chunks of their own with no rows."""
    with _registered(reader) as con:
        fields = ", ".join(f"{name} := {name}" for name in names(columns))
        rows = con.sql(f"SELECT to_json(struct_pack({fields})) AS line FROM (SELECT\n  {projection(columns)}\n"
                       "FROM source_rows)")
        # to_arrow_reader is DuckDB 2's name for what 1.x (which pyproject allows) calls fetch_arrow_reader.
        arrow = getattr(rows, "to_arrow_reader", None) or rows.fetch_arrow_reader
        first = True
        if fmt == "json":
            yield ARRAY_OPEN, 0
        for batch in arrow(max(1, min(batch_size, CHUNK_ROWS))):
            lines = batch.column(0).to_pylist()
            if not lines:
                continue
            if fmt == "json":
                yield ("" if first else ARRAY_SEPARATOR) + ARRAY_SEPARATOR.join(lines), len(lines)
            else:
                yield "\n".join(lines) + "\n", len(lines)
            first = False
        if fmt == "json":
            yield ARRAY_CLOSE, 0
