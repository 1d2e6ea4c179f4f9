"""The assisted-labelling join page: it carries the task's bundle and plugin files, or refuses to seat the worker."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from workbench import resources
from workbench.study import assets, definitions, plugins, projects, tasks
from workbench.collab import sessions, task_page
from workbench.errors import ConflictError
from workbench.store.models import CollabParticipant, CollabSession

from .conftest import LABELS_SCHEMA, T0

URLS = task_page.PluginUrls("/workbench/plugins", "/workbench/assets", 600)


def _labelling_study(store, study, *, with_plugin: bool) -> int:
    with store.transaction() as s:
        if with_plugin:
            for found in plugins.scan(resources.plugins_root()):
                if found.manifest["name"] == "classification":
                    plugins.register_found(s, found)
        task_id = tasks.create(s, "cats", "classification:1.0", asset_id=study.asset.id).id
        sessions.create_study(s, "assist", {"paradigm": "assisted_labelling"}, project="cats")
    return task_id


def test_the_bundle_is_the_task_being_labelled(study):
    task_id = _labelling_study(study.store, study, with_plugin=True)
    with study.store.transaction() as s:
        seat = sessions.join(s, "assist", worker_id="W1", assignment_id="A1", now=T0)
        bundle = task_page.bundle(s, seat.session, URLS)
        assert bundle["task"]["id"] == task_id and bundle["plugin"]["name"] == "classification"
        assert bundle["plugin"]["js"] == ["/workbench/plugins/classification/1.1.0/plugin.js"]
        assert re.fullmatch(rf"/workbench/assets/{study.asset.id}\?exp=\d+&sig=[0-9a-f]{{64}}", bundle["asset"]["url"])
        with pytest.raises(ConflictError) as refused:  # a face that serves no plugins cannot host labelling
            task_page.bundle(s, seat.session, None)
        assert refused.value.field == "study"
        sessions.create_study(s, "words", {"paradigm": "word_guessing"})
        other = sessions.join(s, "words", worker_id="W2", assignment_id="A2", now=T0)
        assert task_page.bundle(s, other.session, URLS) is None


@pytest.fixture
def cats(collab_store, image):
    """The core ``study`` fixture's project, in the store the server under test uses."""
    with collab_store.transaction() as s:
        projects.create(s, "cats", "Cats")
        definitions.create_type(s, "classification")
        definitions.create_definition(s, "classification", "1.0",
                                      {"ui_config": {"labels": ["cat", "dog"]}, "label_schema": LABELS_SCHEMA})
        asset = assets.register_file(s, "cats", image)
    return SimpleNamespace(store=collab_store, asset=asset)


async def test_the_join_page_loads_the_plugin_under_a_strict_policy(cats, jp_fetch):
    task_id = _labelling_study(cats.store, cats, with_plugin=True)
    page = await jp_fetch("workbench", "collab", "join", method="GET",
                          params={"study": "assist", "workerId": "W1", "assignmentId": "A1"})
    html = page.body.decode()
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe" not in policy
    assert "media-src 'self' data: blob:" in policy  # an audio or video asset plays, as on a worker page
    bundle = json.loads(re.search(r'<script type="application/json" id="wb-bundle">(.*?)</script>', html, re.S)[1])
    assert bundle["task"]["id"] == task_id and bundle["plugin"]["name"] == "classification"
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', html)
    assert [src.rsplit("/", 1)[-1] for src in scripts] == ["plugin_host.js", "plugin.js", "collab.js"]
    assert 'rel="stylesheet" href="' + bundle["plugin"]["css"][0] + '"' in html
    assert html.count("<script") == 4 and "<textarea" not in html
    host = await jp_fetch(*scripts[0].strip("/").split("/")[1:], method="GET")
    assert b"window.Workbench = {" in host.body


async def test_a_task_without_a_plugin_leaves_the_worker_unseated(cats, jp_fetch):
    _labelling_study(cats.store, cats, with_plugin=False)
    page = await jp_fetch("workbench", "collab", "join", method="GET", raise_error=False,
                          params={"study": "assist", "workerId": "W1", "assignmentId": "A1"})
    body = page.body.decode()
    # Told in a worker's words, with what to do next; the researcher's reason stays in the server's log.
    assert page.code == 409 and "The session cannot open" in body and "return the HIT" in body
    assert "plugin" not in body and "task type" not in body
    with cats.store.session() as s:
        assert s.scalar(select(func.count()).select_from(CollabParticipant)) == 0
        assert s.scalar(select(func.count()).select_from(CollabSession)) == 0
        assert sessions.get_study(s, "assist").assigned == 0


def test_a_person_in_the_assistant_seat_sees_only_the_worker_fields():
    """The answer key is the agent's to read; when a person holds the assistant seat, they see what people see."""
    from workbench.collab.paradigms import assisted_labelling as paradigm

    context = {"task_id": 1, "asset": {"id": 2, "metadata": {"alt": "A picture", "truth": [{"label": "dog"}]}},
               "shown_metadata": ["alt"]}
    with_agent = paradigm.new_state({}, 1, {**context, "assistant": True})
    with_person = paradigm.new_state({}, 1, {**context, "assistant": False})
    assert with_agent and paradigm.view(with_agent, "assistant")["asset"]["metadata"]["truth"]
    for state, role in ((with_agent, "annotator"), (with_person, "assistant"), (with_person, "annotator")):
        assert paradigm.view(state, role)["asset"]["metadata"] == {"alt": "A picture"}, role
