"""The researcher API through a real server: happy paths and bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from workbench import events
from workbench.study import annotations
from workbench.store.models import Project

BOTH = pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])

DEFINITION = {"ui_config": {"labels": ["cat", "dog"]},
              "label_schema": {"type": "object", "required": ["labels"],
                               "properties": {"labels": {"type": "array", "items": {"enum": ["cat", "dog"]}}}}}


@BOTH
async def test_projects_crud_stats_and_pages(fetch_json, wb_store):
    for i in range(3):
        status, data, _ = await fetch_json("workbench/api/projects", method="POST",
                                           body={"slug": f"p{i}", "name": f"P {i}"})
        assert status == 201 and data["slug"] == f"p{i}"
    status, page, _ = await fetch_json("workbench/api/projects", params={"limit": 2})
    assert [p["slug"] for p in page["items"]] == ["p0", "p1"] and page["next_offset"] == 2
    status, page, _ = await fetch_json("workbench/api/projects", params={"limit": 2, "offset": 2})
    assert [p["slug"] for p in page["items"]] == ["p2"] and page["next_offset"] is None
    status, data, _ = await fetch_json("workbench/api/projects/p1", method="PATCH", body={"name": "Renamed"})
    assert (status, data["name"]) == (200, "Renamed")
    status, data, _ = await fetch_json("workbench/api/projects/p1/stats")
    assert status == 200 and data["tasks"]["total"] == 0
    status, _, _ = await fetch_json("workbench/api/projects/p1", method="DELETE")
    assert status == 204
    status, data, _ = await fetch_json("workbench/api/projects/p1")
    assert status == 404 and data["error"] == "not_found"
    with wb_store.session() as s:
        assert s.query(Project).count() == 2
        assert events.query(s, type="project.created")[0].actor  # the researcher's name is recorded


@pytest.mark.parametrize("call, status, field", [
    (("workbench/api/projects", "POST", "not json"), 400, "body"),
    (("workbench/api/projects", "POST", "[1]"), 400, "body"),
    (("workbench/api/projects", "POST", {"slug": "Bad Slug"}), 400, "slug"),
    (("workbench/api/projects", "POST", {"slug": "cats"}), 409, "slug"),
    (("workbench/api/projects/cats", "PATCH", {"slug": "x"}), 400, "slug"),
    (("workbench/api/projects", "GET", None, {"limit": "0"}), 400, "limit"),
    (("workbench/api/projects", "GET", None, {"offset": "x"}), 400, "offset"),
    (("workbench/api/projects/cats/export", "GET", None, {"format": "xml"}), 400, "format"),
    (("workbench/api/assets", "GET", None), 400, "project"),
    (("workbench/api/assets", "POST", {"project": "cats", "path": "/nope.png"}), 400, "path"),
    (("workbench/api/assets", "POST", {"project": "cats"}), 400, "path"),
    (("workbench/api/assets", "POST", {"project": "cats", "s3_key": "/abs", "bucket": "b"}), 400, "s3_key"),
    (("workbench/api/assets", "POST", {"project": "cats", "path": "x", "colour": 1}), 400, "colour"),
    (("workbench/api/task-types", "POST", {"slug": "classification"}), 409, "slug"),
    (("workbench/api/task-types/classification/definitions", "POST",
      {"version": "2.0", "definition": {"label_schema": {"type": 12}}}), 400, "definition.label_schema.type"),
    (("workbench/api/task-types/classification/definitions", "POST",
      {"version": "1.0", "definition": DEFINITION}), 409, "version"),
    (("workbench/api/task-types/classification/definitions/1.0", "PUT", {"definition": DEFINITION}), 409, "version"),
    (("workbench/api/tasks", "POST", {"project": "cats"}), 400, "definition"),
    (("workbench/api/tasks", "POST", {"project": "cats", "definition": "classification:1.0", "priority": "hi"}),
     400, "priority"),
    (("workbench/api/tasks", "GET", None, {"status": "weird"}), 400, "status"),
    (("workbench/api/tasks/1", "PATCH", {"status": "failed", "priority": "x"}), 400, "priority"),
    (("workbench/api/tasks/1", "PATCH", {"status": "bogus"}), 400, "status"),
    (("workbench/api/annotations", "POST", {"task_id": 1, "result": {"labels": ["horse"]}}), 400,
     "result.labels[0]"),
    (("workbench/api/annotations", "POST", {"task_id": "1", "result": {}}), 400, "task_id"),
    (("workbench/api/annotations", "GET", None, {"task_id": "one"}), 400, "task_id"),
    (("workbench/api/plugins", "POST", {"name": "x"}), 400, "manifest.task_type"),
    (("workbench/api/plugins", "POST", {"name": "evil", "task_type": "t", "version": "1", "root": "../etc",
                                        "js": ["a.js"], "css": [], "result_schema_version": "1"}), 400,
     "manifest.root"),
    (("workbench/api/events", "GET", None, {"since": "yesterday"}), 400, "since"),
    (("workbench/api/events", "GET", None, {"since": "2026-01-01T00:00:00"}), 400, "since"),
    (("workbench/api/events", "GET", None, {"colour": "red"}), 400, "colour"),
    (("workbench/api/completion-codes/check", "POST", {"code": "x"}), 400, "assignment_id"),
])
async def test_bad_input_is_a_clear_error(fetch_json, study, call, status, field):
    path, method, body, *params = call
    got, data, _ = await fetch_json(path, method=method, body=body, params=params[0] if params else None)
    assert (got, data.get("field")) == (status, field), data
    assert data["message"] and "Traceback" not in json.dumps(data)


@pytest.mark.parametrize("path", ["workbench/api/projects/nope", "workbench/api/projects/nope/stats",
                                  "workbench/api/projects/nope/export", "workbench/api/assets/999",
                                  "workbench/api/task-types/nope", "workbench/api/task-types/nope/definitions",
                                  "workbench/api/task-types/classification/definitions/9.9",
                                  "workbench/api/tasks/999", "workbench/api/tasks/999/bundle",
                                  "workbench/api/annotations/999", "workbench/api/plugins/nope"])
async def test_missing_is_404(fetch_json, study, path):
    status, data, _ = await fetch_json(path)
    assert status == 404 and data["error"] == "not_found"


@BOTH
async def test_assets_types_definitions_tasks(fetch_json, study, image):
    status, asset, _ = await fetch_json("workbench/api/assets", method="POST",
                                        body={"project": "cats", "path": str(image), "metadata": {"k": 1}})
    assert status == 201 and asset["width"] == 64 and asset["sha256"]
    status, page, _ = await fetch_json("workbench/api/assets", params={"project": "cats"})
    assert [a["id"] for a in page["items"]] == [study.asset.id, asset["id"]]
    status, s3, _ = await fetch_json("workbench/api/assets", method="POST",
                                     body={"project": "cats", "s3_key": "img/1.png", "bucket": "b", "width": 5})
    assert status == 201 and s3["s3_key"] == "img/1.png"
    assert (await fetch_json(f"workbench/api/assets/{s3['id']}", method="DELETE"))[0] == 204

    status, t, _ = await fetch_json("workbench/api/task-types", method="POST", body={"slug": "boxes"})
    assert status == 201
    status, d, _ = await fetch_json("workbench/api/task-types/boxes/definitions", method="POST",
                                    body={"version": "1", "definition": DEFINITION})
    assert status == 201 and d["version"] == "1"
    status, d, _ = await fetch_json("workbench/api/task-types/boxes/definitions/1", method="PUT",
                                    body={"definition": {**DEFINITION, "ui_config": {"labels": ["cat", "dog"],
                                                                                     "instructions": "Cat or dog?"}}})
    assert status == 200 and d["definition"]["ui_config"]["instructions"] == "Cat or dog?"
    status, page, _ = await fetch_json("workbench/api/task-types")
    assert {x["slug"] for x in page["items"]} == {"classification", "boxes"}
    status, page, _ = await fetch_json("workbench/api/task-types/boxes/definitions")
    assert [x["version"] for x in page["items"]] == ["1"]
    assert (await fetch_json("workbench/api/task-types/boxes/definitions/1", method="DELETE"))[0] == 204
    assert (await fetch_json("workbench/api/task-types/boxes", method="DELETE"))[0] == 204
    assert (await fetch_json("workbench/api/task-types/classification", method="DELETE"))[0] == 409

    status, task, _ = await fetch_json("workbench/api/tasks", method="POST", body={
        "project": "cats", "definition": "classification:1.0", "asset_id": study.asset.id,
        "payload": {"q": "?"}, "priority": 3})
    assert status == 201 and task["priority"] == 3
    status, task, _ = await fetch_json(f"workbench/api/tasks/{task['id']}", method="PATCH",
                                       body={"priority": 4, "status": "failed"})
    assert (status, task["priority"], task["status"]) == (200, 4, "failed")
    status, page, _ = await fetch_json("workbench/api/tasks", params={"project": "cats", "status": "failed"})
    assert [x["id"] for x in page["items"]] == [task["id"]]
    status, copy, _ = await fetch_json(f"workbench/api/tasks/{task['id']}/duplicate", method="POST")
    assert status == 201 and copy["status"] == "pending" and copy["payload"] == {"q": "?"}
    assert (await fetch_json(f"workbench/api/tasks/{copy['id']}", method="DELETE"))[0] == 204
    status, bundle, _ = await fetch_json(f"workbench/api/tasks/{task['id']}/bundle")
    assert status == 200
    assert bundle["plugin"]["name"] == "classification"
    assert bundle["plugin"]["js"][0].endswith("/workbench/plugins/classification/1.1.0/plugin.js")
    assert bundle["asset"]["media_type"] == "image/png" and "sig=" in bundle["asset"]["url"]


@BOTH
async def test_annotations_export_plugins_events(fetch_json, study):
    task_id = study.task_ids[0]
    status, ann, _ = await fetch_json("workbench/api/annotations", method="POST",
                                      body={"task_id": task_id, "result": {"labels": ["cat"]}, "submission_id": "s1"})
    assert status == 201 and ann["duplicate"] is False
    status, again, _ = await fetch_json("workbench/api/annotations", method="POST",
                                        body={"task_id": task_id, "result": {"labels": ["dog"]}, "submission_id": "s1"})
    assert status == 200 and again["duplicate"] is True and again["id"] == ann["id"]
    status, page, _ = await fetch_json("workbench/api/annotations", params={"project": "cats"})
    assert [a["id"] for a in page["items"]] == [ann["id"]]
    assert (await fetch_json(f"workbench/api/annotations/{ann['id']}"))[1]["result"] == {"labels": ["cat"]}
    with study.store.transaction() as s:
        annotations.submit(s, study.task_ids[1], {"labels": ["dog"]}, actor="w2")
    _, _, response = await fetch_json("workbench/api/projects/cats/export", params={"format": "jsonl"})
    lines = [json.loads(line) for line in response.body.decode().splitlines()]
    assert [(r["task_id"], r["result"]) for r in lines] == [(task_id, {"labels": ["cat"]}),
                                                            (study.task_ids[1], {"labels": ["dog"]})]
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    _, records, _ = await fetch_json("workbench/api/projects/cats/export")
    assert records == lines

    status, page, _ = await fetch_json("workbench/api/plugins", params={"active": "true"})
    assert {"classification", "bounding-box", "polygon"} <= {p["name"] for p in page["items"]}
    status, plugin, _ = await fetch_json("workbench/api/plugins/classification")
    manifest = dict(plugin["manifest"])
    status, data, _ = await fetch_json("workbench/api/plugins", method="POST", body={**manifest, "css": []})
    assert status == 409 and data["field"] == "manifest.version"
    status, data, _ = await fetch_json("workbench/api/plugins", method="POST", body={**manifest, "version": "1.0.1"})
    assert status == 201 and data["active"] is True

    status, page, _ = await fetch_json("workbench/api/events", params={"type": "annotation.", "project": "cats"})
    assert status == 200 and [e["type"] for e in page["items"]] == ["annotation.created"] * 2
    status, page, _ = await fetch_json("workbench/api/events", params={"type": "plugin.registered",
                                                                      "since": "2000-01-01T00:00:00Z"})
    assert len(page["items"]) >= 4
    status, page, _ = await fetch_json("workbench/api/events", params={"until": "2000-01-01T00:00:00Z"})
    assert page["items"] == []
