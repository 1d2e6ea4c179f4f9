"""Exports on SQLite and PostgreSQL: every format, read back and counted; COCO against its schema; S3 via moto."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest

from workbench.results import exports
from workbench.errors import NotFoundError, ValidationError

from ..study_data import seed_study

COCO_SCHEMA = json.loads((Path(__file__).parent / "coco_schema.json").read_text())


@pytest.fixture
def study(store, tmp_path):
    return seed_study(store, tmp_path / "images")


def test_parquet_has_every_annotation_with_its_provenance(study, tmp_path):
    result = exports.export(study.store, "shapes", "parquet", tmp_path / "a.parquet")
    table = pq.read_table(result.path)
    assert result.rows == table.num_rows == study.annotations == 13
    rows = {r["submission_id"]: r for r in table.to_pylist()}
    first = rows["A001"]
    assert first["worker_id"] == first["rater"] == "W1"
    assert first["hit_id"].startswith("HIT") and first["assignment_status"] == "approved"
    assert first["task_type"] == "classification" and first["definition_version"] == "1.0"
    assert first["tool_version"] == "classification@1.0.0" and first["image_width"] == 64
    assert first["time_on_task_seconds"] == pytest.approx(40.0)
    assert first["accept_time"].tzinfo is not None
    assert json.loads(first["result"]) == {"labels": ["circle"]}
    polygon = [r for r in rows.values() if r["task_type"] == "polygon"][0]
    assert polygon["rater"] == "researcher" and polygon["hit_id"] is None


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_text_formats_hold_the_same_rows(study, tmp_path, fmt):
    out = tmp_path / f"a.{fmt}"
    result = exports.export(study.store, "shapes", fmt, out)
    if fmt == "csv":
        with open(out, newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert json.loads(rows[0]["result"]) == {"labels": ["circle"]}
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert rows[0]["result"] == {"labels": ["circle"]}
    else:
        rows = json.loads(out.read_text())
    assert result.rows == len(rows) == 13
    assert [r["annotation_id"] for r in rows] == sorted(int(r["annotation_id"]) for r in rows) or fmt == "csv"


def test_coco_is_valid_and_holds_boxes_and_polygons(study, tmp_path):
    out = tmp_path / "coco.json"
    result = exports.export(study.store, "shapes", "coco", out)
    data = json.loads(out.read_text())
    jsonschema.validate(data, COCO_SCHEMA)
    # W1, W2: one box each on image 0; W3: two; one polygon: 5 regions.
    assert result.rows == len(data["annotations"]) == 5
    assert {i["file_name"] for i in data["images"]} == {"img-0.png", "img-1.png"}
    assert [c["name"] for c in data["categories"]] == ["circle", "square", "triangle"]
    polygon = [a for a in data["annotations"] if a["segmentation"]][0]
    assert polygon["area"] == 100.0 and polygon["bbox"] == [0.0, 0.0, 10.0, 10.0]
    ids = {c["id"] for c in data["categories"]}
    assert all(a["category_id"] in ids for a in data["annotations"])


def test_long_table_has_one_row_per_rater_unit_and_field(study, tmp_path):
    result = exports.export(study.store, "shapes", "long", tmp_path / "long.csv")
    with open(result.path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert result.rows == len(rows) == 13
    labels = {(r["rater"], int(r["unit"])): r["value"] for r in rows if r["field"] == "labels"}
    second = study.task_ids["classification"][1]
    assert labels[("W3", second)] == "triangle" and labels[("W1", second)] == "square"


def test_s3_upload_with_moto(study, tmp_path, monkeypatch):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="lab-exports")
        result = exports.export(study.store, "shapes", "parquet", tmp_path / "a.parquet",
                                s3_uri="s3://lab-exports/shapes/a.parquet")
        body = boto3.client("s3").get_object(Bucket="lab-exports", Key="shapes/a.parquet")["Body"].read()
    assert result.s3_uri == "s3://lab-exports/shapes/a.parquet"
    assert body == Path(result.path).read_bytes()


def test_bad_input_names_the_field(study, tmp_path):
    with pytest.raises(ValidationError) as excinfo:
        exports.export(study.store, "shapes", "xlsx", tmp_path / "a.xlsx")
    assert excinfo.value.field == "format"
    with pytest.raises(ValidationError) as excinfo:
        exports.export(study.store, "shapes", "parquet", tmp_path / "a.parquet", s3_uri="bucket/key")
    assert excinfo.value.field == "s3"
    with pytest.raises(NotFoundError):
        exports.export(study.store, "nope", "parquet", tmp_path / "a.parquet")
    assert not (tmp_path / "a.parquet").exists()


def test_batches_are_streamed_in_chunks(study, tmp_path, backend):
    """A batch size below the row count gives several Arrow batches and the same file."""
    with exports.annotation_batches(study.store, "shapes", batch_size=4) as reader:
        sizes = [batch.num_rows for batch in reader]
    # SQLite's driver counts rows (its typed first row is dropped before the reader yields); PostgreSQL's
    # counts bytes.
    assert sum(sizes) == 13
    if backend == "sqlite":
        assert len(sizes) >= 3 and max(sizes) <= 4
    result = exports.export(study.store, "shapes", "parquet", tmp_path / "b.parquet", batch_size=4)
    assert result.rows == 13


def _prefetch_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "workbench-export-prefetch"]


def test_prefetch_leaves_no_thread_behind_when_the_consumer_stops_early_or_never_reads():
    import gc

    import pyarrow as pa

    from workbench.results.exports.source import prefetch

    batches = [pa.record_batch({"n": list(range(i, i + 10))}) for i in range(0, 100, 10)]
    unread = prefetch(pa.RecordBatchReader.from_batches(batches[0].schema, iter(batches)))
    assert _prefetch_threads() == []  # nothing reads it: no thread was started for it
    del unread
    reader = prefetch(pa.RecordBatchReader.from_batches(batches[0].schema, iter(batches)), depth=1)
    assert reader.read_next_batch().column(0).to_pylist() == list(range(10))
    del reader  # the consumer drops it with batches still to come, the queue full
    gc.collect()
    assert _prefetch_threads() == []
    whole = prefetch(pa.RecordBatchReader.from_batches(batches[0].schema, iter(batches)))
    assert whole.read_all().num_rows == 100 and _prefetch_threads() == []
