"""The REST export (``GET /workbench/api/projects/{slug}/export``) is the exports package's rows, streamed.

Same rows as ``workbench.results.exports.export`` of the same project and format (field names, values and bytes), on
SQLite and PostgreSQL; sent a chunk at a time as the store yields them; researchers only.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from openapi_schema_validator import OAS30Validator

from server_ext.handlers.docs import spec
from server_ext.handlers.projects import ProjectExportHandler
from workbench.results import exports

from ..study_data import seed_study

BOTH = pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])


@pytest.fixture
def shapes(wb_store, tmp_path):
    """Project "shapes": 13 annotations by three MTurk workers and a researcher (tests/study_data.py)."""
    return seed_study(wb_store, tmp_path / "images")


@BOTH
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
async def test_rest_and_python_exports_give_the_same_rows(fetch_json, shapes, tmp_path, fmt):
    status, _, response = await fetch_json("workbench/api/projects/shapes/export", params={"format": fmt})
    assert status == 200
    written = exports.export(shapes.store, "shapes", fmt, tmp_path / f"shapes.{fmt}")
    assert response.body == (tmp_path / f"shapes.{fmt}").read_bytes()
    text = response.body.decode()
    rows = [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else json.loads(text)
    assert len(rows) == written.rows == shapes.annotations == 13
    # The columns README documents for every tabular export, in the order of the Parquet file's.
    parquet = exports.export(shapes.store, "shapes", "parquet", tmp_path / "shapes.parquet")
    assert list(rows[0]) == pq.read_table(parquet.path).column_names
    assert {"annotated_at", "task_payload"} <= set(rows[0]) and not {"created_at", "payload"} & set(rows[0])
    first = next(r for r in rows if r["submission_id"] == "A001")
    assert first["result"] == {"labels": ["circle"]} and first["task_payload"] == {}
    assert (first["worker_id"], first["assignment_status"], first["time_on_task_seconds"]) == ("W1", "approved", 40.0)
    assert [r["annotation_id"] for r in rows] == sorted(r["annotation_id"] for r in rows)
    # What the spec promises (server_ext/openapi.yaml, AnnotationRow): each field, in order, of its type.
    schema = spec()["components"]["schemas"]["AnnotationRow"]
    assert list(schema["properties"]) == list(rows[0])
    for row in rows:
        OAS30Validator(schema).validate(row)


async def test_an_empty_project_is_an_empty_array_or_no_lines(fetch_json, wb_store):
    status, _, _ = await fetch_json("workbench/api/projects", method="POST", body={"slug": "empty", "name": "Empty"})
    assert status == 201
    status, data, response = await fetch_json("workbench/api/projects/empty/export")
    assert (status, data, response.headers["Content-Type"]) == (200, [], "application/json")
    status, _, response = await fetch_json("workbench/api/projects/empty/export", params={"format": "jsonl"})
    assert (status, response.body, response.headers["Content-Type"]) == (200, b"", "application/x-ndjson")


async def test_the_response_is_flushed_a_chunk_at_a_time_as_the_store_yields_them(fetch_json, shapes,
                                                                                   monkeypatch):
    """Each chunk goes out before the next is read: a handler that built the body whole would read every
    chunk first and flush once."""
    seen: list[str] = []
    real_stream, real_flush = exports.stream, ProjectExportHandler.flush

    def stream(*args, **kwargs):
        for chunk in real_stream(*args, **kwargs):
            seen.append("read")
            yield chunk

    def flush(self, *args, **kwargs):
        seen.append("flush")
        return real_flush(self, *args, **kwargs)

    monkeypatch.setattr(exports, "stream", stream)
    monkeypatch.setattr(ProjectExportHandler, "flush", flush)
    monkeypatch.setattr(ProjectExportHandler, "batch_size", 2)
    status, _, response = await fetch_json("workbench/api/projects/shapes/export", params={"format": "jsonl"})
    assert status == 200 and len(response.body.decode().splitlines()) == 13
    # 13 rows in chunks of 2: seven chunks, each read then flushed before the next is read (then finish flushes).
    assert seen[:14] == ["read", "flush"] * 7 and set(seen[14:]) <= {"flush"}


@pytest.mark.parametrize("params, status, field", [({"format": "xml"}, 400, "format"),
                                                   ({"format": "parquet"}, 400, "format")])
async def test_a_bad_format_is_refused_before_any_row(fetch_json, shapes, params, status, field):
    code, data, response = await fetch_json("workbench/api/projects/shapes/export", params=params)
    assert (code, data["field"], response.headers["Content-Type"]) == (status, field, "application/json")


async def test_a_missing_project_is_404_and_an_anonymous_caller_403(fetch_json, shapes):
    status, data, _ = await fetch_json("workbench/api/projects/nope/export")
    assert (status, data["error"]) == (404, "not_found")
    status, data, _ = await fetch_json("workbench/api/projects/shapes/export", headers={"Authorization": ""})
    assert status == 403 and "annotation_id" not in json.dumps(data)
