from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from workbench import NotFoundError, ValidationError
from workbench.study import assets, bulk, definitions
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


# -- files as spreadsheets write them (issue 13) ----------------------------------------
def imported(store):
    with store.session() as s:
        return [(t.asset_id, t.priority, t.payload) for t in s.scalars(select(Task).order_by(Task.id))]


def refused(study, path, definition=None):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        bulk.import_file(s, "cats", definition or study.definition.id, path)
    assert task_count(study.store) == 0
    return caught.value


def test_excel_semicolon_csv_with_a_bom_is_read_by_its_columns(study, tmp_path):
    # Excel's "CSV UTF-8" in locales with a decimal comma: a BOM, ';' between cells, CRLF.
    path = tmp_path / "excel.csv"
    path.write_bytes(f"\ufeffasset_id;priority;score\r\n{study.asset.id};5;0,5\r\n".encode())
    with study.store.transaction() as s:
        assert bulk.import_file(s, "cats", study.definition.id, path).created == 1
    assert imported(study.store) == [(study.asset.id, 5, {"score": "0,5"})]


@pytest.mark.parametrize("encoding, delimiter", [("utf-8-sig", ","), ("utf-8-sig", "\t"), ("utf-16", "\t"),
                                                 ("utf-8", ";")])
def test_delimiter_and_byte_order_mark(study, tmp_path, encoding, delimiter):
    path = tmp_path / "tasks.csv"
    rows = [["asset_id", " priority", "question"], [str(study.asset.id), "2", "Cat, or dog?"], ["", "3", "Empty"]]
    path.write_text("".join(delimiter.join(f'"{c}"' if "," in c else c for c in row) + "\n" for row in rows),
                    encoding=encoding)
    with study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, path)
    assert imported(study.store) == [(study.asset.id, 2, {"question": "Cat, or dog?"}),
                                     (None, 3, {"question": "Empty"})]


def test_a_header_that_splits_two_ways_is_refused_not_guessed(study, tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("a,b;c\n1,2;3\n")
    error = refused(study, path)
    assert error.field == "file" and "cannot tell its delimiter" in str(error)
    assert "comma and semicolon" in str(error)


def test_a_header_that_splits_two_ways_is_settled_by_the_rows(study, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("priority;note,x\n1;a,b,c\n2;d\n")  # only ';' gives every row the header's two cells
    with study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, path)
    assert imported(study.store) == [(None, 1, {"note,x": "a,b,c"}), (None, 2, {"note,x": "d"})]


@pytest.mark.parametrize("body, row", [("a;b\n1;2\n1;2;3\n", "row 2 (line 3)"), ("a\tb\n1\n", "row 1 (line 2)")])
def test_a_row_of_the_wrong_width_is_named_whatever_the_delimiter(study, tmp_path, body, row):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    error = refused(study, path)
    assert error.context["row"] == row and row in str(error)


@pytest.mark.parametrize("body, words", [("a,a\n1,2\n", "column 'a' appears twice"),
                                         ("a,,b\n1,2,3\n", "column 2 has no name")])
def test_a_header_that_loses_cells_is_refused(study, tmp_path, body, words):
    path = tmp_path / "header.csv"
    path.write_text(body)
    error = refused(study, path)
    assert error.field == "header" and words in str(error)


def test_a_cell_over_the_csv_size_limit_is_named(study, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("text\na\n" + "x" * 200_000 + "\n")  # Python's csv reads cells of up to 131072 characters
    error = refused(study, path)
    assert error.context["row"] == "row 2 (line 3)" and "field limit" in str(error)


def test_a_file_that_is_not_utf8_is_refused(study, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("question\nQuelle sorte d'oiseau ? \xe9t\xe9\n".encode("latin-1"))
    error = refused(study, path)
    assert error.field == "file" and "not UTF-8" in str(error)


def test_a_relative_asset_path_is_read_from_the_csv_folder(study, tmp_path, image):
    folder = image.parent
    path = folder / "tasks.csv"
    path.write_text(f"asset,priority\n{image.name},1\n./{image.name},2\n")
    with study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, path)
    assert [row[:2] for row in imported(study.store)] == [(study.asset.id, 1), (study.asset.id, 2)]


# -- tasks of an image plugin need an image (issue 13) ----------------------------------
@pytest.fixture
def boxes(study):
    with study.store.transaction() as s:
        definitions.create_type(s, "bounding-box")
        spec = definitions.create_definition(s, "bounding-box", "1.0", {
            "ui_config": {"labels": ["cat"]}, "label_schema": {"type": "object", "required": ["boxes"]}})
    return spec.id


def test_image_tasks_without_an_asset_are_refused_naming_the_row_and_the_column(study, boxes, tmp_path):
    path = tmp_path / "urls.csv"
    path.write_text(f"asset,label\n{study.asset.local_path},cat\n,dog\n")
    error = refused(study, path, boxes)
    assert error.field == "asset" and error.context["row"] == "row 2 (line 3)"
    path.write_text("image_url,label\nhttps://example.org/cat.png,cat\n")
    error = refused(study, path, boxes)
    assert error.context["row"] == "row 1 (line 2)"
    assert "'image_url' is not a recognised column" in str(error) and "'asset_id'" in str(error)


def test_image_tasks_need_an_image_asset(study, boxes, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("not a picture")
    with study.store.transaction() as s:
        text = assets.register_file(s, "cats", note)
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        bulk.import_records(s, "cats", boxes, [{"asset_id": study.asset.id}, {"asset_id": text.id}])
    assert caught.value.context["row"] == "row 2" and "media type 'text'" in str(caught.value)
    with study.store.transaction() as s:
        frame = assets.register_file(s, "cats", study.asset.local_path, media_type="video_frame")
        assert bulk.import_records(s, "cats", boxes, [{"asset_id": study.asset.id}, {"asset_id": frame.id}]).created == 2


def test_text_tasks_need_no_asset(study, tmp_path):
    with study.store.transaction() as s:
        definitions.create_type(s, "free-text")
        definitions.create_definition(s, "free-text", "1.0", {"ui_config": {}, "label_schema": {"type": "object"}})
        assert bulk.import_records(s, "cats", "free-text:1.0", [{"text": "Describe a cat."}]).created == 1
    assert imported(study.store) == [(None, 0, {"text": "Describe a cat."})]
