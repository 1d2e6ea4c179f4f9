"""JSON and JSON lines: one writer for a file and for a stream (the REST export), on SQLite and PostgreSQL.

The expected bytes come from outside the writer: DuckDB's own ``COPY … (FORMAT json)`` of the same rows.
"""

from __future__ import annotations

import gc
import json
import threading

import pytest

from workbench.results import exports
from workbench.errors import NotFoundError, ValidationError
from workbench.results.exports import tabular
from workbench.results.exports.source import ANNOTATION_COLUMNS, annotation_batches

from ..study_data import seed_study

#: DuckDB's COPY options of its own JSON writer (https://duckdb.org/docs/stable/data/json/json_export).
DUCKDB_COPY = {"jsonl": "FORMAT json", "json": "FORMAT json, ARRAY true"}


@pytest.fixture
def study(store, tmp_path):
    return seed_study(store, tmp_path / "images")


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_files_are_what_duckdb_writes_and_the_stream_is_the_file(study, tmp_path, fmt):
    result = exports.export(study.store, "shapes", fmt, tmp_path / f"ours.{fmt}")
    theirs = tmp_path / f"duckdb.{fmt}"
    with annotation_batches(study.store, "shapes") as reader:
        con = tabular.connect()
        con.register("source_rows", reader)
        con.execute(f"COPY (SELECT {tabular.projection(ANNOTATION_COLUMNS)} FROM source_rows) "
                    f"TO {tabular.quote_path(theirs)} ({DUCKDB_COPY[fmt]})")
        con.close()
    assert (tmp_path / f"ours.{fmt}").read_bytes() == theirs.read_bytes()
    assert result.rows == 13
    chunks = list(exports.stream(study.store, "shapes", fmt, batch_size=4))
    assert "".join(chunks).encode() == theirs.read_bytes()
    # 13 rows by 4: four chunks of rows (and the array's brackets, each a chunk of its own).
    with_rows = [c for c in chunks if "annotation_id" in c]
    assert len(with_rows) == 4 and all(c.count('"annotation_id"') <= 4 for c in with_rows)


def test_the_rows_are_the_documented_columns(study):
    rows = [json.loads(line) for line in "".join(exports.stream(study.store, "shapes", "jsonl")).splitlines()]
    names = [c.name for c in ANNOTATION_COLUMNS]
    names.insert(names.index("rejection_time") + 1, "time_on_task_seconds")
    assert all(list(row) == names for row in rows)
    assert {"annotated_at", "task_payload"} <= set(names) and not {"created_at", "payload"} & set(names)


def test_stream_refuses_a_bad_format_or_a_missing_project_before_the_first_chunk(study):
    with pytest.raises(ValidationError) as caught:
        exports.stream(study.store, "shapes", "parquet")
    assert caught.value.field == "format"
    with pytest.raises(NotFoundError):
        exports.stream(study.store, "nope", "jsonl")
    assert exports.STREAM_FORMATS == tabular.TEXT_FORMATS  # the CLI's list and the writer's agree


def test_a_stream_closed_early_leaves_no_thread_behind(study, tmp_path):
    chunks = exports.stream(study.store, "shapes", "jsonl", batch_size=2)
    assert next(chunks).count("\n") == 2
    chunks.close()
    gc.collect()
    assert [t for t in threading.enumerate() if t.name == "workbench-export-prefetch"] == []
    # and the store is free: a file export of the same project runs as usual.
    assert exports.export(study.store, "shapes", "jsonl", tmp_path / "after.jsonl").rows == 13


def test_an_empty_project_is_an_empty_array_or_no_lines(store, tmp_path):
    seed_study(store, tmp_path / "images", crowd_rows=False)  # tasks, no annotation
    assert "".join(exports.stream(store, "shapes", "jsonl")) == ""
    assert json.loads("".join(exports.stream(store, "shapes", "json"))) == []
