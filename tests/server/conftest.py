"""A real Jupyter server with the workbench extension, on a test store.

The server runs with ``allow_unauthenticated_access=False`` (and the suite turns
JupyterServerAuthWarning into an error), so an undecorated handler fails here. The
pytest-jupyter fixtures are imported rather than named in ``pytest_plugins``, which
pytest allows only in the top-level conftest.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 - jp_fetch, jp_serverapp and their hooks
from traitlets.config import Config

from workbench.study import assets, definitions, projects, tasks

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "plugins"
LABELS_SCHEMA = {
    "type": "object",
    "required": ["labels"],
    "additionalProperties": False,
    "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": ["cat", "dog"]}}},
}


@pytest.fixture(autouse=True)
def _mturk_fails_fast(monkeypatch):
    """No simulator runs for these tests: an MTurk call fails at once instead of retrying for seconds."""
    monkeypatch.setenv("MTURK_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("MTURK_LOCAL_ENDPOINT", "http://127.0.0.1:9")


@pytest.fixture
def wb_backend() -> str:
    """The store backend; tests that touch the store on PostgreSQL too parametrise this."""
    return "sqlite"


@pytest.fixture
def wb_store(make_store, wb_backend):
    return make_store(wb_backend)


@pytest.fixture
def wb_config() -> dict:
    """Extra WorkbenchApp traits for one test."""
    return {}


@pytest.fixture
def jp_server_config(wb_store, wb_config):
    return Config({
        "ServerApp": {"jpserver_extensions": {"server_ext": True, "jupyter_server_terminals": False},
                      "allow_unauthenticated_access": False},
        "WorkbenchApp": {"database_url": wb_store.url, "plugins_dir": str(PLUGINS), **wb_config},
    })


def make_image(folder: Path) -> Path:
    from PIL import Image

    path = folder / "cat.png"
    Image.new("RGB", (64, 48), (200, 10, 10)).save(path)
    return path


@pytest.fixture
def image(tmp_path):
    return make_image(tmp_path)


def make_study(store, image: Path) -> SimpleNamespace:
    """Project "cats", type "classification" (the built-in plugin's type), definition 1.0, an image, two tasks."""
    with store.transaction() as s:
        project = projects.create(s, "cats", "Cats")
        definitions.create_type(s, "classification", "Classification")
        spec = definitions.create_definition(s, "classification", "1.0",
                                             {"ui_config": {"labels": ["cat", "dog"]}, "label_schema": LABELS_SCHEMA})
        asset = assets.register_file(s, project.id, image, metadata={"alt": "a red square"})
        task_ids = [tasks.create(s, "cats", "classification:1.0", asset_id=asset.id, payload={"text": "Which?"}).id
                    for _ in range(2)]
    return SimpleNamespace(store=store, project=project, definition=spec, asset=asset, task_ids=task_ids)


@pytest.fixture
def study(wb_store, image):
    return make_study(wb_store, image)


def body_of(response) -> dict:
    return json.loads(response.body)


@pytest.fixture
def fetch_json(jp_fetch):
    """jp_fetch that raises nothing: returns (status, parsed body or None, response)."""
    from tornado.httpclient import HTTPClientError

    async def call(*parts, method="GET", body=None, headers=None, params=None, **kwargs):
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        try:
            response = await jp_fetch(*parts, method=method, body=body, headers=headers, params=params,
                                      allow_nonstandard_methods=True, follow_redirects=False, **kwargs)
        except HTTPClientError as exc:
            response = exc.response
        if response is None:
            raise AssertionError("no response")
        text = response.body or b""
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        return response.code, data, response

    return call
