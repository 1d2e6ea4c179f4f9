from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from workbench import NotFoundError, ValidationError, bulk
from workbench.store.models import Event, Task


def task_count(store):
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(Task))


def test_csv_import_maps_columns(study, tmp_path):
    path = tmp_path / "tasks.csv"
    path.write_text("asset,priority,payload,question\n"
                    f"{study.asset.local_path},2,\"{{\"\"k\"\": 1}}\",Which animal?\n"
                    ",,,Second\n")
    seen = []
    with study.store.transaction() as s:
        result = bulk.import_file(s, "cats", "classification:1.0", path, progress=seen.append)
    assert result.created == 2 and sum(seen) == 2
    with study.store.session() as s:
        rows = s.scalars(select(Task).order_by(Task.id)).all()
        event = s.scalars(select(Event).where(Event.type == "tasks.imported")).one()
    assert [(r.asset_id, r.priority, r.payload, r.status) for r in rows] == [
        (study.asset.id, 2, {"k": 1, "question": "Which animal?"}, "pending"),
        (None, 0, {"question": "Second"}, "pending")]
    assert event.payload["count"] == 2 and event.payload["source"] == "tasks.csv"


def test_jsonl_and_dataframe(study, tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps({"asset_id": study.asset.id, "payload": {"n": i}, "target_annotations": 3})
                              for i in range(5)) + "\n")
    frame = pd.DataFrame({"priority": [1, 2], "text": ["a", None]})
    with study.store.transaction() as s:
        assert bulk.import_file(s, "cats", study.definition.id, path).created == 5
        assert bulk.import_dataframe(s, "cats", study.definition.id, frame).created == 2
    with study.store.session() as s:
        rows = s.scalars(select(Task).order_by(Task.id)).all()
    assert [r.target_annotations for r in rows[:5]] == [3] * 5
    assert [(r.priority, r.payload) for r in rows[5:]] == [(1, {"text": "a"}), (2, {})]


@pytest.mark.parametrize("body, row, field", [
    ("priority,question\n1,a\nhigh,b\n", "row 2 (line 3)", "priority"),
    ("payload\n{}\n[1]\n", "row 2 (line 3)", "payload"),
    ("payload\n{bad json\n", "row 1 (line 2)", "payload"),
    ("asset_id\n99999\n", "row 1 (line 2)", "asset_id"),
    ("asset\nmissing.png\n", "row 1 (line 2)", "asset"),
    ("a,b\n1,2\n1,2,3\n", "row 2 (line 3)", "row"),
    ("a,b\n1,2\n1\n", "row 2 (line 3)", "row"),
])
def test_a_malformed_csv_row_refuses_the_whole_import(study, tmp_path, body, row, field):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, path)
    assert caught.value.context["row"] == row
    assert caught.value.field == field
    assert row in str(caught.value)
    assert task_count(study.store) == 0


def test_bad_jsonl_line_is_named(study, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"priority": 1}\n\nnot json\n')
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, path)
    assert caught.value.context["row"] == "line 3"
    assert task_count(study.store) == 0


def test_unknown_project_format_and_empty(study, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("priority\n1\n")
    with pytest.raises(NotFoundError), study.store.transaction() as s:
        bulk.import_file(s, "dogs", study.definition.id, path)
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(ValidationError), study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, tmp_path / "t.xlsx")
    (tmp_path / "empty.csv").write_text("priority\n")
    with pytest.raises(ValidationError), study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, tmp_path / "empty.csv")


def test_many_rows_in_one_transaction(study, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("priority,text\n" + "".join(f"{i % 5},item {i}\n" for i in range(25_000)))
    with study.store.transaction() as s:
        assert bulk.import_file(s, "cats", study.definition.id, path).created == 25_000
    assert task_count(study.store) == 25_000
