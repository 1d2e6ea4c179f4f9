"""Private by default: a worker's bundle carries only the fields its definition or plugin declares; the
researcher's bundle carries everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench import ConflictError, ValidationError
from workbench.study import assets, bundles, definitions, plugins, tasks

from .test_plugins import make_plugin

SECRET = "zq-secret-answer-7f3a"
REPO_PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PAYLOAD = {"text": "Which animal?", "label": SECRET, "gold": {"expected": {"labels": [SECRET]}}}
METADATA = {"alt": "a red square", "caption": "Photo 3", "truth": [{"label": SECRET}], "notes": SECRET}


@pytest.fixture
def secret_task(study, tmp_path):
    """A task whose payload and asset metadata hold answers, under the built-in classification plugin."""
    with study.store.transaction() as s:
        plugins.register(s, json.loads((REPO_PLUGINS / "classification" / "manifest.json").read_text()),
                         REPO_PLUGINS)
        asset = assets.register_file(s, study.project.id, study.asset.local_path, metadata=METADATA)
        return tasks.create(s, "cats", study.definition.id, asset_id=asset.id, payload=PAYLOAD).id


def test_a_worker_sees_what_the_plugin_reads_and_the_researcher_sees_everything(study, secret_task):
    with study.store.session() as s:
        worker = bundles.for_worker(s, secret_task)
        researcher = bundles.for_task(s, secret_task)
    # classification's manifest: it reads payload.text, metadata.alt and metadata.caption.
    assert worker["task"]["payload"] == {"text": "Which animal?"}
    assert worker["asset"]["metadata"] == {"alt": "a red square", "caption": "Photo 3"}
    assert SECRET not in json.dumps(worker)
    assert researcher["task"]["payload"] == PAYLOAD and researcher["asset"]["metadata"] == METADATA
    # Everything else a page needs is the same in both.
    for key in ("task_type", "definition", "plugin"):
        assert worker[key] == researcher[key]
    assert worker["asset"]["url"].split("?")[0] == researcher["asset"]["url"].split("?")[0]


def test_a_definition_declares_what_its_workers_see(study, secret_task):
    with study.store.transaction() as s:
        spec = definitions.create_definition(s, "classification", "open", {
            "ui_config": {"labels": ["cat", "dog"], "worker_fields": {"payload": ["label"]}},
            "label_schema": study.definition.label_schema})
        task = tasks.create(s, "cats", spec.id, asset_id=tasks.get(s, secret_task).asset_id, payload=PAYLOAD)
    with study.store.session() as s:
        worker = bundles.for_worker(s, task.id)
    # What it names, and nothing else: metadata is left out of the declaration, so none shows.
    assert worker["task"]["payload"] == {"label": SECRET}
    assert worker["asset"]["metadata"] == {}


def test_a_plugin_that_declares_nothing_shows_nothing(study, tmp_path):
    root = tmp_path / "plugins"
    make_plugin(root, "quiet")
    with study.store.transaction() as s:
        plugins.register(s, plugins.scan(root)[0].manifest, root)
        asset = assets.register_file(s, study.project.id, study.asset.local_path, metadata=METADATA)
        task_id = tasks.create(s, "cats", study.definition.id, asset_id=asset.id, payload=PAYLOAD).id
    with study.store.session() as s:
        worker = bundles.for_worker(s, task_id)
        assert bundles.for_task(s, task_id)["task"]["payload"] == PAYLOAD
    assert worker["task"]["payload"] == {} and worker["asset"]["metadata"] == {}


def test_a_task_pinned_to_a_version_from_before_worker_fields_shows_what_its_plugin_reads(study, tmp_path):
    """After an upgrade, an old task's plugin row has the old manifest: the newest declaration of that plugin
    applies, so the worker still sees the text, and still nothing secret."""
    manifest = json.loads((REPO_PLUGINS / "classification" / "manifest.json").read_text())
    old = {k: v for k, v in manifest.items() if k != "worker_fields"} | {"version": "0.9.0"}
    with study.store.transaction() as s:
        plugins.register(s, old, REPO_PLUGINS)
        asset = assets.register_file(s, study.project.id, study.asset.local_path, metadata=METADATA)
        task_id = tasks.create(s, "cats", study.definition.id, asset_id=asset.id, payload=PAYLOAD).id
        plugins.register(s, manifest, REPO_PLUGINS)  # the upgrade: the new version, with its declaration
    with study.store.session() as s:
        worker = bundles.for_worker(s, task_id)
    assert worker["plugin"]["version"] == "0.9.0"  # still pinned to the version it was made with
    assert worker["task"]["payload"] == {"text": "Which animal?"} and SECRET not in json.dumps(worker)


def test_no_plugin_no_worker_bundle(study):
    with study.store.transaction() as s:
        task_id = tasks.create(s, "cats", study.definition.id, payload=PAYLOAD).id
    with study.store.session() as s, pytest.raises(ConflictError) as caught:
        bundles.for_worker(s, task_id)
    assert caught.value.field == "plugin" and SECRET not in str(caught.value.to_dict())


@pytest.mark.parametrize("fields, field", [
    (["text"], "definition.ui_config.worker_fields"),
    ({"payload": "text"}, "definition.ui_config.worker_fields.payload"),
    ({"payload": ["text", 3]}, "definition.ui_config.worker_fields.payload"),
    ({"metadata": [""]}, "definition.ui_config.worker_fields.metadata"),
    ({"answers": ["label"]}, "definition.ui_config.worker_fields.answers"),
])
def test_worker_fields_are_checked_when_a_definition_is_made(study, fields, field):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        definitions.create_definition(s, "classification", "2.0", {
            "ui_config": {"worker_fields": fields}, "label_schema": {"type": "object"}})
    assert caught.value.field == field


def test_a_definition_cannot_show_workers_the_gold_answer(study):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        definitions.create_definition(s, "classification", "leaky", {
            "ui_config": {"worker_fields": {"payload": ["text", "gold"]}}, "label_schema": {"type": "object"}})
    assert caught.value.field == "definition.ui_config.worker_fields.payload" and "gold" in caught.value.reason


def test_a_plugin_that_declares_gold_still_never_gets_it(study, tmp_path, caplog):
    """Issue 17: gold answers never reach the worker page. A manifest asking for them is refused when scanned; one
    stored before that rule (written here into its row) still gets a bundle without them."""
    root = tmp_path / "plugins"
    make_plugin(root, "greedy", worker_fields={"payload": ["text", "gold"]})
    assert plugins.scan(root) == [] and "the task's gold answer" in caplog.text
    make_plugin(root, "greedy", worker_fields={"payload": ["text"]})
    with study.store.transaction() as s:
        row = plugins.register(s, plugins.scan(root)[0].manifest, root)
        row.manifest = {**row.manifest, "worker_fields": {"payload": ["text", "gold"]}}
        task_id = tasks.create(s, "cats", study.definition.id, payload=PAYLOAD).id
    with study.store.session() as s:
        assert bundles.for_worker(s, task_id)["task"]["payload"] == {"text": "Which animal?"}
        assert SECRET not in json.dumps(bundles.for_worker(s, task_id))


@pytest.mark.parametrize("gold, field", [
    ({"answer": "cat"}, "gold.answer"),
    ("cat", "gold"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"labels": {"kind": "iou", "min": 2}}}, "gold.tolerance.labels"),
])
def test_a_task_with_a_malformed_gold_answer_is_refused(study, gold, field):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        tasks.create(s, "cats", study.definition.id, payload={"text": "Which?", "gold": gold})
    assert caught.value.field.startswith(field), caught.value.field


def test_a_manifest_with_malformed_worker_fields_is_refused(tmp_path):
    root = tmp_path / "plugins"
    manifest = make_plugin(root, "leaky", worker_fields={"payload": ["text"], "everything": ["*"]})
    with pytest.raises(ValidationError) as caught:
        plugins.validate_manifest(manifest, root)
    assert caught.value.field == "manifest.worker_fields.everything"


def test_the_demo_keeps_its_truth_from_workers(study):
    """The demo's definitions (the plugins' own, with its labels) over an asset holding the demo's truth."""
    from workbench.devtools import demo

    with study.store.transaction() as s:
        for found in plugins.discover(REPO_PLUGINS, use_entry_points=False):
            plugins.register_found(s, found)
        asset = assets.register_file(s, study.project.id, study.asset.local_path, metadata={
            "truth": [{"x": 1, "y": 2, "w": 30, "h": 30, "label": "circle", "colour": SECRET}]})
        ids = []
        for slug, body in demo.demo_definitions().items():
            if slug != "classification":
                definitions.create_type(s, slug)
            spec = definitions.create_definition(s, slug, "demo-1", body)
            ids.append(tasks.create(s, "cats", spec.id, asset_id=asset.id,
                                    payload={"instructions": spec.ui_config.get("instructions", "")}).id)
    with study.store.session() as s:
        for task_id in ids:
            shown = bundles.for_worker(s, task_id)
            assert "truth" not in shown["asset"]["metadata"] and SECRET not in json.dumps(shown)
            assert bundles.for_task(s, task_id)["asset"]["metadata"]["truth"][0]["colour"] == SECRET
