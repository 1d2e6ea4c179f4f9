"""Model-assisted labelling end to end over the socket: the agent proposes, the worker edits and submits."""

from __future__ import annotations

import asyncio
import json

from PIL import Image

from workbench import resources
from workbench.study import annotations, assets, definitions, plugins, projects, tasks
from workbench.collab import sessions

from .conftest import LABELS_SCHEMA
from .wsclient import Client, join


async def test_the_agent_proposes_and_the_annotation_records_the_human_changes(collab_store, jp_fetch, jp_http_port,
                                                                              jp_base_url, tmp_path):
    picture = tmp_path / "pet.png"
    Image.new("RGB", (40, 30), (10, 10, 200)).save(picture)
    with collab_store.transaction() as s:
        for found in plugins.scan(resources.plugins_root()):  # the join page shows the task in its plugin
            if found.manifest["name"] == "classification":
                plugins.register_found(s, found)
        project = projects.create(s, "pets", "Pets")
        definitions.create_type(s, "classification")
        spec = definitions.create_definition(s, "classification", "1.0",
                                             {"ui_config": {"labels": ["cat", "dog"]}, "label_schema": LABELS_SCHEMA})
        asset = assets.register_file(s, project.id, picture, metadata={
            "alt": "A blue picture", "truth": [{"x": 1, "y": 1, "w": 20, "h": 20, "label": "dog", "note": "ANSWERKEY"}]})
        task = tasks.create(s, project.id, spec.id, asset_id=asset.id)
        sessions.create_study(s, "assist", {"paradigm": "assisted_labelling"}, project="pets")
    seat = await join(jp_fetch, "assist", "W1", "A1")
    me = await Client.open(jp_http_port, jp_base_url, seat["session"], seat["token"])
    welcome = await me.until(lambda f: f["type"] == "welcome")
    assert welcome["role"] == "annotator" and welcome["paradigm"] == "assisted_labelling"
    proposed = welcome if (welcome["state"] or {}).get("proposal") else \
        await me.until(lambda f: f["type"] == "state" and f["state"]["proposal"])
    assert proposed["state"]["proposal"] == {"labels": ["dog"]} and proposed["state"]["plugin"] == "classification"
    # The agent read the answer key to propose; the person sees the worker fields only, never the key.
    assert proposed["state"]["asset"]["metadata"] == {"alt": "A blue picture"}
    assert "ANSWERKEY" not in json.dumps(welcome) + json.dumps(proposed)
    await me.send({"type": "action", "action": {"kind": "submit", "result": {"labels": ["bird"]}}, "client_id": "s1"})
    error = await me.until(lambda f: f["type"] == "error")
    assert error["field"].startswith("action.result.labels")  # checked against the task's label schema
    assert error["client_id"] == "s1"  # so the page settles the submit the error answers
    await me.send({"type": "action", "action": {"kind": "edit", "result": {"labels": ["dog", "cat"]}}})
    await me.send({"type": "action", "action": {"kind": "submit", "result": {"labels": ["cat"]}}})
    end = await me.until(lambda f: f["type"] == "end")
    assert end["reason"] == "completed" and end["completion_code"]
    changes = end["outcome"]["changes"]
    assert changes == {"changed": True, "fields": {"labels": {"added": ["cat"], "removed": ["dog"]}}}
    me.close()
    await asyncio.sleep(0.1)
    with collab_store.session() as s:
        stored = annotations.get(s, end["outcome"]["annotation_id"])
        assert stored.task_id == task.id and stored.result == {"labels": ["cat"]} and stored.actor == "W1"
        assert stored.raw_payload["agent_proposal"] == {"labels": ["dog"]}
        assert stored.raw_payload["human_changes"] == changes
        assert tasks.get(s, task.id).status == "complete"
