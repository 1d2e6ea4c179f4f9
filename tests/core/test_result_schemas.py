"""Results held to the study's design: a definition's label_schema takes the label set, counts and lengths its
ui_config gives the plugin's UI, a schema that says otherwise is refused, and results outside it are refused
with the field named, on the submission path and by the simulated workers' generator."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from workbench import ValidationError
from workbench.study import definitions, fast_validation, plugins, tasks
from workbench.cli import cli
from workbench.devtools.schema_gen import generate

from .test_plugins import make_plugin

REPO_PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
SHAPES = ["square", "circle", "triangle", "other"]


def manifest_definition(name: str) -> dict:
    return json.loads((REPO_PLUGINS / name / "manifest.json").read_text(encoding="utf-8"))["default_definition"]


def made(study, name: str, ui_config: dict | None = None, version: str = "2.0"):
    """A definition made from plugin ``name``'s manifest (its ui_config updated by ``ui_config``), stored."""
    body = manifest_definition(name)
    body["ui_config"].update(ui_config or {})
    with study.store.transaction() as s:
        if name != "classification":
            definitions.create_type(s, name)
        return definitions.create_definition(s, name, version, body)


def test_classification_takes_its_labels_and_one_label_an_item(study):
    schema = made(study, "classification").label_schema["properties"]["labels"]
    assert schema["items"]["enum"] == ["cat", "dog", "bird", "other"] and schema["maxItems"] == 1


def test_classification_with_multi_takes_several_labels(study):
    # The manifest's schema says maxItems 1, so a multi-label definition says so in its schema too.
    body = manifest_definition("classification")
    body["ui_config"]["multi"] = True
    del body["label_schema"]["properties"]["labels"]["maxItems"]
    with study.store.transaction() as s:
        schema = definitions.create_definition(s, "classification", "multi", body).label_schema
    assert "maxItems" not in schema["properties"]["labels"]
    assert schema["properties"]["labels"]["items"]["enum"] == ["cat", "dog", "bird", "other"]


def test_bounding_box_takes_labels_counts_and_box_size(study):
    boxes = made(study, "bounding-box", {"max_boxes": 5}).label_schema["properties"]["boxes"]
    assert boxes["items"]["properties"]["label"]["enum"] == SHAPES
    assert (boxes["minItems"], boxes["maxItems"]) == (1, 5)  # min_boxes is 1 in the manifest
    assert boxes["items"]["properties"]["w"]["minimum"] == 4 and boxes["items"]["properties"]["h"]["minimum"] == 4


def test_polygon_takes_labels_and_counts(study):
    polygons = made(study, "polygon", {"max_polygons": 3}).label_schema["properties"]["polygons"]
    assert polygons["items"]["properties"]["label"]["enum"] == SHAPES
    assert (polygons["minItems"], polygons["maxItems"]) == (1, 3)


def test_free_text_takes_its_lengths(study):
    body = manifest_definition("free-text")
    body["ui_config"].update(min_length=20, max_length=80)
    del body["label_schema"]["properties"]["text"]["minLength"], body["label_schema"]["properties"]["text"]["maxLength"]
    with study.store.transaction() as s:
        definitions.create_type(s, "free-text")
        text = definitions.create_definition(s, "free-text", "1.0", body).label_schema["properties"]["text"]
    assert (text["minLength"], text["maxLength"]) == (20, 80)


def test_an_edit_is_held_to_ui_config_too(study):
    spec = made(study, "polygon")
    body = manifest_definition("polygon")
    body["ui_config"]["labels"] = ["road", "river"]
    with study.store.transaction() as s:
        edited = definitions.update_definition(s, spec.id, body)
        assert edited.label_schema["properties"]["polygons"]["items"]["properties"]["label"]["enum"] == ["road", "river"]


def test_a_schema_with_nothing_to_hold_is_kept_as_written(study):
    body = {"ui_config": {"labels": ["a", "b"], "min_boxes": 2}, "label_schema": {"type": "object",
                                                                                  "required": ["boxes"]}}
    with study.store.transaction() as s:
        assert definitions.create_definition(s, "classification", "loose", body).label_schema == body["label_schema"]


def test_a_labels_schema_not_made_for_the_label_ui_keeps_its_own_count(study):
    """Without ui_config.labels it is not the classification UI's: several labels stay allowed, as written."""
    schema = {"type": "object", "required": ["labels"], "properties": {"labels": {
        "type": "array", "items": {"type": "string"}, "maxItems": 5}}}
    with study.store.transaction() as s:
        kept = definitions.create_definition(s, "classification", "tags", {"ui_config": {}, "label_schema": schema})
    assert kept.label_schema == schema


def test_no_box_limit_at_zero_is_no_limit_in_the_schema_either(study):
    boxes = made(study, "bounding-box", {"max_boxes": 0}).label_schema["properties"]["boxes"]
    assert "maxItems" not in boxes and boxes["minItems"] == 1


def edit(name, ui=None, at=(), **schema_changes):
    """The manifest's definition with ui_config changes and keyword changes at ``at`` inside the result schema."""
    body = manifest_definition(name)
    body["ui_config"].update(ui or {})
    node = body["label_schema"]["properties"]
    for part in at:
        node = node[part]
    node.update(schema_changes)
    return name, body


@pytest.mark.parametrize("case, field, words", [
    (edit("classification", at=("labels", "items"), enum=["cat", "dog", "bird"]),
     "definition.label_schema.properties.labels.items.enum", "missing: other"),
    (edit("classification", at=("labels", "items"), enum=["cat", "dog", "bird", "other", "horse"]),
     "definition.label_schema.properties.labels.items.enum", "not in ui_config.labels: horse"),
    (edit("classification", {"multi": True}), "definition.label_schema.properties.labels.maxItems", "multi"),
    (edit("classification", at=("labels",), maxItems=2), "definition.label_schema.properties.labels.maxItems",
     "ui_config.multi is not true"),
    (edit("bounding-box", {"min_boxes": 2}, at=("boxes",), minItems=1),
     "definition.label_schema.properties.boxes.minItems", "ui_config.min_boxes is 2"),
    (edit("bounding-box", at=("boxes", "items", "properties", "w"), minimum=1),
     "definition.label_schema.properties.boxes.items.properties.w.minimum", "ui_config.min_size is 4"),
    (edit("bounding-box", at=("boxes", "items", "properties", "label"), enum=["car"]),
     "definition.label_schema.properties.boxes.items.properties.label.enum", "ui_config.labels"),
    (edit("polygon", {"max_polygons": 2}, at=("polygons",), maxItems=4),
     "definition.label_schema.properties.polygons.maxItems", "ui_config.max_polygons is 2"),
    (edit("free-text", at=("text",), minLength=5), "definition.label_schema.properties.text.minLength",
     "ui_config.min_length is 10"),
    (edit("free-text", at=("text",), maxLength=1000), "definition.label_schema.properties.text.maxLength",
     "ui_config.max_length is 500"),
])
def test_a_schema_that_contradicts_its_ui_config_is_refused(study, case, field, words):
    name, body = case
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        if name != "classification":
            definitions.create_type(s, name)
        definitions.create_definition(s, name, "2.0", body)
    assert caught.value.field == field and words in caught.value.reason
    with study.store.session() as s:
        assert [d.version for d in definitions.list_definitions(s)] == ["1.0"]


@pytest.mark.parametrize("ui, field", [
    ({"labels": "cat"}, "definition.ui_config.labels"),
    ({"labels": []}, "definition.ui_config.labels"),
    ({"labels": ["cat", "cat"]}, "definition.ui_config.labels"),
    ({"labels": ["cat", 3]}, "definition.ui_config.labels"),
    ({"multi": "yes"}, "definition.ui_config.multi"),
    ({"min_boxes": -1}, "definition.ui_config.min_boxes"),
    ({"max_polygons": 2.5}, "definition.ui_config.max_polygons"),
    ({"min_length": True}, "definition.ui_config.min_length"),
    ({"min_size": 0}, "definition.ui_config.min_size"),
    ({"min_length": 50, "max_length": 10}, "definition.ui_config.max_length"),
])
def test_malformed_ui_config_is_refused(study, ui, field):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        definitions.create_definition(s, "classification", "2.0", {"ui_config": ui, "label_schema": {}})
    assert caught.value.field == field


# A result outside the derived schema, and the field the refusal names.
OUTSIDE = [
    ("classification", {"labels": ["zbiby"]}, "result.labels[0]"),
    ("classification", {"labels": ["cat", "dog"]}, "result.labels"),
    ("bounding-box", {"boxes": []}, "result.boxes"),
    ("bounding-box", {"boxes": [{"x": 1, "y": 1, "w": 10, "h": 10, "label": "xlocywscgjfv"}]}, "result.boxes[0].label"),
    ("bounding-box", {"boxes": [{"x": 1, "y": 1, "w": 3, "h": 10, "label": "circle"}]}, "result.boxes[0].w"),
    ("polygon", {"polygons": [{"points": [[0, 0], [9, 0], [9, 9]], "label": "road"}]}, "result.polygons[0].label"),
    ("free-text", {"text": "short"}, "result.text"),
]


@pytest.mark.parametrize("name, result, field", OUTSIDE)
def test_a_result_outside_the_derived_schema_is_refused_with_the_field(study, name, result, field):
    spec = made(study, name, {"labels": SHAPES} if name == "bounding-box" else {})
    check = fast_validation.checker(spec.id, spec.version, spec.label_schema)
    with pytest.raises(ValidationError) as fast:
        check(result)
    with pytest.raises(ValidationError) as slow:
        definitions.validate_result(spec, result)
    assert fast.value.field == slow.value.field == field


def test_a_worker_submission_outside_the_labels_is_refused(study):
    from workbench.crowd import submissions

    spec = made(study, "classification")
    with study.store.transaction() as s:
        task_id = tasks.create(s, "cats", spec.id).id
    item = submissions.parse({"task_id": task_id, "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1",
                              "result": {"labels": ["zbiby"]}})
    with study.store.transaction() as s:
        [outcome] = submissions.submit_many(s, [(item, None)])
    assert isinstance(outcome, ValidationError) and outcome.field == "result.labels[0]"


@pytest.mark.parametrize("name", ["classification", "bounding-box", "polygon", "free-text"])
def test_simulated_workers_answer_with_the_study_labels(study, name):
    schema = made(study, name, {"labels": SHAPES} if name != "free-text" else {}).label_schema
    for seed in range(20):
        value = generate(schema, seed)
        jsonschema.Draft202012Validator(schema).validate(value)
        labels = value.get("labels") or [item["label"] for item in value.get("boxes", []) + value.get("polygons", [])]
        assert set(labels) <= set(SHAPES)
        if name == "bounding-box":
            assert value["boxes"] and all(box["w"] >= 4 and box["h"] >= 4 for box in value["boxes"])


def test_a_manifest_whose_default_definition_contradicts_itself_is_refused(tmp_path):
    root = tmp_path / "plugins"
    body = copy.deepcopy(manifest_definition("free-text"))
    body["ui_config"]["min_length"] = 50
    manifest = make_plugin(root, "texts", task_type="free-text", default_definition=body)
    with pytest.raises(ValidationError) as caught:
        plugins.validate_manifest(manifest, root)
    assert caught.value.field == "manifest.default_definition.label_schema.properties.text.minLength"


def test_the_cli_refuses_a_contradiction_naming_the_field(store, tmp_path):
    _, body = edit("classification", at=("labels", "items"), enum=["cat"])
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(body))
    runner = CliRunner()
    assert runner.invoke(cli, ["--database-url", store.url, "tasktype", "create", "classification"]).exit_code == 0
    refused = runner.invoke(cli, ["--database-url", store.url, "definition", "create", "classification:1.0",
                                  "--file", str(path)])
    assert refused.exit_code == 1 and "definition.label_schema.properties.labels.items.enum" in refused.output
