"""Results held to the study's design, through the REST API and the worker's submission endpoint."""

from __future__ import annotations

import json

from workbench.study import tasks

from .conftest import PLUGINS
from .test_worker import MTURK, open_page, parse_page, post_submission


def manifest_definition(name: str) -> dict:
    return json.loads((PLUGINS / name / "manifest.json").read_text(encoding="utf-8"))["default_definition"]


async def test_definitions_made_over_rest_are_held_to_ui_config(fetch_json, study):
    body = manifest_definition("classification")
    body["ui_config"]["labels"] = ["cat", "dog", "fox"]
    wrong = json.loads(json.dumps(body))
    wrong["label_schema"]["properties"]["labels"]["items"]["enum"] = ["cat", "dog"]
    status, data, _ = await fetch_json("workbench/api/task-types/classification/definitions", method="POST",
                                       body={"version": "2.0", "definition": wrong})
    assert status == 400 and data["field"] == "definition.label_schema.properties.labels.items.enum"
    assert "missing: fox" in data["reason"]

    status, data, _ = await fetch_json("workbench/api/task-types/classification/definitions", method="POST",
                                       body={"version": "2.0", "definition": body})
    assert status == 201
    labels = data["definition"]["label_schema"]["properties"]["labels"]
    assert labels["items"]["enum"] == ["cat", "dog", "fox"] and labels["maxItems"] == 1

    with study.store.transaction() as s:
        task_id = tasks.create(s, "cats", data["id"], asset_id=study.asset.id).id
    _, _, page, token, _ = parse_page(await open_page(fetch_json, task_id, MTURK))
    assert page["definition"]["label_schema"]["properties"]["labels"]["items"]["enum"] == ["cat", "dog", "fox"]
    submission = {"task_id": task_id, "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1"}
    for result, field in (({"labels": ["zbiby"]}, "result.labels[0]"), ({"labels": ["cat", "fox"]}, "result.labels")):
        status, data, _ = await post_submission(fetch_json, {**submission, "result": result}, token)
        assert (status, data["field"]) == (400, field)
    status, data, _ = await post_submission(fetch_json, {**submission, "result": {"labels": ["fox"]}}, token)
    assert status == 201 and data["result"] == {"labels": ["fox"]}
