"""The annotation join, streamed out of the store as Arrow record batches.

DuckDB's ``sqlite`` and ``postgres`` scanner extensions are downloaded at run time, which
an offline machine cannot do, so the store's own database runs the join and hands the
rows over in fixed-size chunks: as Arrow batches built in C by the ADBC drivers (for the
file formats DuckDB writes), or as Python tuples from a DB-API cursor (a server-side one
on PostgreSQL) for the exports that look at each row. Memory is bounded by the chunk size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from workbench.errors import ValidationError
from workbench.store import Store

BATCH_SIZE = 50_000
ROW_BYTES = 512


@dataclass(frozen=True)
class Column:
    name: str
    sql: str           # the expression in the store's SQL (``{ts}`` marks a timestamp to render as text)
    kind: str          # the type in the Arrow batch: a key of ARROW_TYPES
    duck: str          # the type the exported file gets (DuckDB)


def _cols(*specs: tuple[str, str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


#: One row per annotation, with what a paper's methods section needs about where it came from.
ANNOTATION_COLUMNS = _cols(
    ("annotation_id", "an.id", "int", "BIGINT"),
    ("project", "p.slug", "str", "VARCHAR"),
    ("task_id", "t.id", "int", "BIGINT"),
    ("task_type", "tt.slug", "str", "VARCHAR"),
    ("definition_version", "d.version", "str", "VARCHAR"),
    ("schema_version", "an.schema_version", "str", "VARCHAR"),
    ("tool_version", "an.tool_version", "str", "VARCHAR"),
    ("rater", "COALESCE(NULLIF(asg.worker_id, ''), an.actor)", "str", "VARCHAR"),
    ("actor", "an.actor", "str", "VARCHAR"),
    ("submission_id", "an.submission_id", "str", "VARCHAR"),
    ("result", "CAST(an.result AS TEXT)", "str", "JSON"),
    ("gold_score", "an.gold_score", "float", "DOUBLE"),
    ("gold_passed", "CAST(an.gold_passed AS INTEGER)", "int", "BOOLEAN"),
    ("telemetry", "CAST(an.telemetry AS TEXT)", "str", "JSON"),
    ("annotated_at", "{ts:an.created_at}", "str", "TIMESTAMPTZ"),
    ("task_status", "t.status", "str", "VARCHAR"),
    ("task_priority", "t.priority", "int", "INTEGER"),
    ("target_annotations", "t.target_annotations", "int", "INTEGER"),
    ("task_payload", "CAST(t.payload AS TEXT)", "str", "JSON"),
    ("asset_id", "ast.id", "int", "BIGINT"),
    ("media_type", "ast.media_type", "str", "VARCHAR"),
    ("asset_path", "ast.local_path", "str", "VARCHAR"),
    ("asset_s3_bucket", "ast.s3_bucket", "str", "VARCHAR"),
    ("asset_s3_key", "ast.s3_key", "str", "VARCHAR"),
    ("asset_sha256", "ast.sha256", "str", "VARCHAR"),
    ("image_width", "ast.width", "int", "INTEGER"),
    ("image_height", "ast.height", "int", "INTEGER"),
    ("assignment_id", "asg.assignment_id", "str", "VARCHAR"),
    ("assignment_status", "asg.status", "str", "VARCHAR"),
    ("worker_id", "asg.worker_id", "str", "VARCHAR"),
    ("worker_blocked", "CAST(w.blocked AS INTEGER)", "int", "BOOLEAN"),
    ("accept_time", "{ts:asg.accept_time}", "str", "TIMESTAMPTZ"),
    ("submit_time", "{ts:asg.submit_time}", "str", "TIMESTAMPTZ"),
    ("approval_time", "{ts:asg.approval_time}", "str", "TIMESTAMPTZ"),
    ("rejection_time", "{ts:asg.rejection_time}", "str", "TIMESTAMPTZ"),
    ("provider", "h.provider", "str", "VARCHAR"),
    ("environment", "h.environment", "str", "VARCHAR"),
    ("hit_id", "h.hit_id", "str", "VARCHAR"),
    ("hit_type_id", "h.hit_type_id", "str", "VARCHAR"),
    ("hit_round", "h.round", "int", "INTEGER"),
    ("reward_cents", "h.reward_cents", "int", "INTEGER"),
)

JOIN = """
FROM annotations an
JOIN tasks t ON t.id = an.task_id
JOIN projects p ON p.id = t.project_id
JOIN task_definitions d ON d.id = t.definition_id
JOIN task_types tt ON tt.id = d.task_type_id
LEFT JOIN assets ast ON ast.id = t.asset_id
LEFT JOIN assignments asg ON asg.id = an.assignment_pk
LEFT JOIN hits h ON h.id = asg.hit_pk
LEFT JOIN workers w ON w.provider = asg.provider AND w.worker_id = asg.worker_id
"""


def _render(expr: str, dialect: str) -> str:
    if not expr.startswith("{ts:"):
        return expr
    column = expr[4:-1]
    # SQLite keeps UTC timestamps as naive text already; PostgreSQL's text form carries the offset.
    return column if dialect == "sqlite" else f"CAST({column} AS TEXT)"


#: How each driver marks the project parameter.
PLACEHOLDERS = {"sqlite3": ":project", "psycopg": "%(project)s", "adbc-sqlite": "?", "adbc-postgresql": "$1"}


def annotation_sql(dialect: str, project: str | None, *, driver: str | None = None) -> tuple[str, Any]:
    """The join as SQL for the store's dialect and driver, and its parameters."""
    driver = driver or ("sqlite3" if dialect == "sqlite" else "psycopg")
    select = ",\n  ".join(f"{_render(c.sql, dialect)} AS {c.name}" for c in ANNOTATION_COLUMNS)
    join = JOIN
    if dialect == "sqlite":
        # Walk the annotations in id order (SQLite's CROSS JOIN fixes the loop order), so
        # that ORDER BY needs no sort of the whole result.
        join = join.replace("JOIN tasks t", "CROSS JOIN tasks t")
    where = "" if project is None else f"WHERE p.slug = {PLACEHOLDERS[driver]}"
    sql = f"SELECT\n  {select}\n{join}{where}\nORDER BY an.id"
    if project is None:
        return sql, ({} if driver in ("sqlite3", "psycopg") else ())
    return sql, ({"project": project} if driver in ("sqlite3", "psycopg") else (project,))


ARROW_TYPES = {"int": pa.int64(), "str": pa.string(), "float": pa.float64(), "timestamp": pa.timestamp("us", tz="UTC")}


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in columns])


def to_batch(rows: list[Sequence[Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows (tuples) to one columnar batch."""
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.RecordBatch.from_arrays([pa.array(col, type=field.type) for col, field in zip(columns, schema)],
                                      schema=schema)


def stream_rows(store: Store, sql: str, params: dict[str, Any], *,
                batch_size: int = BATCH_SIZE) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of raw rows from the store, never more than ``batch_size`` in memory at once."""
    raw = store.engine.raw_connection()
    try:
        if store.dialect == "postgresql":
            # A named cursor lives on the server: rows cross the wire a chunk at a time.
            cursor = raw.driver_connection.cursor(name="workbench_export")
            cursor.itersize = batch_size
        else:
            cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(batch_size):
                yield rows
        finally:
            cursor.close()
            raw.rollback()
    finally:
        raw.close()


@contextmanager
def annotation_batches(store: Store, project: str | None, *,
                       batch_size: int = BATCH_SIZE) -> Iterator[pa.RecordBatchReader]:
    """The annotation join as a lazy Arrow reader (what DuckDB consumes), open while in the block.

    ADBC drivers turn the store's rows into Arrow batches in C. SQLite's driver guesses
    each column's type from the first batch, so a first row of the right types keeps a
    column that starts with NULLs from being taken for integers; the reader drops that row
    before anyone sees it.
    """
    driver = "adbc-sqlite" if store.dialect == "sqlite" else "adbc-postgresql"
    sql, params = annotation_sql(store.dialect, project, driver=driver)
    if store.dialect == "sqlite":
        typed = ", ".join(f"{_typed_literal(c)} AS {c.name}" for c in ANNOTATION_COLUMNS)
        sql = f"SELECT {typed} UNION ALL SELECT * FROM ({sql})"
    with _adbc_connect(store) as connection:
        cursor = connection.cursor()
        try:
            if store.dialect == "sqlite":
                cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_size)})
            else:
                # PostgreSQL's driver sizes batches in bytes; an annotation row is a few hundred.
                cursor.adbc_statement.set_options(
                    **{"adbc.postgresql.batch_size_hint_bytes": str(batch_size * ROW_BYTES)})
            cursor.execute(sql, params or None)
            yield prefetch(cursor.fetch_record_batch(), skip_rows=1 if store.dialect == "sqlite" else 0)
        finally:
            cursor.close()


def prefetch(reader: pa.RecordBatchReader, depth: int = 2, *, skip_rows: int = 0) -> pa.RecordBatchReader:
    """Read the next batches on a thread of their own while the consumer works on the current one
    (after dropping the first ``skip_rows`` rows).

    The driver builds batches in C without the GIL, and DuckDB converts and writes without
    it, so on two cores the two overlap; at most ``depth`` batches wait in between.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item) -> bool:
        """Hand ``item`` over unless the consumer stopped meanwhile; whether it was handed over."""
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in reader:
                if not put(batch):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(exc)

    def batches() -> Iterator[pa.RecordBatch]:
        # The thread starts with the first read: a consumer that never reads leaves none behind.
        thread = threading.Thread(target=produce, name="workbench-export-prefetch", daemon=True)
        thread.start()
        skip = skip_rows
        try:
            while (item := slots.get()) is not done:
                if isinstance(item, BaseException):
                    raise item
                if skip:
                    item, skip = item.slice(min(skip, item.num_rows)), skip - min(skip, item.num_rows)
                yield item
        finally:
            stop.set()
            thread.join()

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _typed_literal(column: Column) -> str:
    if column.name == "annotation_id":
        return "-1"
    return "0" if column.kind == "int" else "''"


@contextmanager
def _adbc_connect(store: Store):
    if store.dialect == "sqlite":
        # only the store's backend's adbc driver, loaded on use: its dbapi brings pandas (~0.5 s)
        import adbc_driver_sqlite.dbapi as adbc

        if store.path is None:
            raise ValidationError("database_url", "an in-memory SQLite store cannot be exported; use a file")
        connection = adbc.connect(str(store.path))
    else:
        # only the store's backend's adbc driver, loaded on use: its dbapi brings pandas (~0.5 s)
        import adbc_driver_postgresql.dbapi as adbc

        # libpq wants a plain postgresql:// URI, without SQLAlchemy's driver name.
        uri = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = adbc.connect(uri)
    try:
        yield connection
    finally:
        connection.close()


def annotation_rows(store: Store, project: str | None, *,
                    batch_size: int = BATCH_SIZE) -> Iterator[dict[str, Any]]:
    """The annotation join one row at a time, as dicts (for COCO and the long table)."""
    sql, params = annotation_sql(store.dialect, project)
    names = [c.name for c in ANNOTATION_COLUMNS]
    for rows in stream_rows(store, sql, params, batch_size=batch_size):
        for row in rows:
            yield dict(zip(names, row))
