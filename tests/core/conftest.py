"""A small study in a store: one project, one task type with a definition, one image asset."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from workbench.study import assets, definitions, projects

LABELS_SCHEMA = {
    "type": "object",
    "required": ["labels"],
    "additionalProperties": False,
    "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": ["cat", "dog"]}}},
}


@pytest.fixture
def image(tmp_path):
    from PIL import Image

    path = tmp_path / "cat.png"
    Image.new("RGB", (32, 24), (200, 10, 10)).save(path)
    return path


@pytest.fixture
def study(store, image):
    with store.transaction() as s:
        project = projects.create(s, "cats", "Cats")
        task_type = definitions.create_type(s, "classification")
        # Several labels an item: the schema sets no maxItems, so ui_config says multi (or it would be one).
        spec = definitions.create_definition(s, "classification", "1.0", {
            "ui_config": {"labels": ["cat", "dog"], "multi": True}, "label_schema": LABELS_SCHEMA})
        asset = assets.register_file(s, project.id, image)
    return SimpleNamespace(store=store, project=project, task_type=task_type, definition=spec, asset=asset)
