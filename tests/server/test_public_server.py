"""``jupyter workbench``: the public server routes the workbench and nothing that runs code or reads files."""

from __future__ import annotations

import json

import pytest

from .processes import REPO, TOKEN, get, public_server as start


@pytest.fixture
def public_server(make_store, tmp_path):
    with start(make_store("sqlite").url, tmp_path) as running:
        yield running


def test_public_server_is_locked_down(public_server):
    base, log = public_server
    assert get(base + "/workbench/api/health") == (200, b'{"status": "ok"}')
    status, body = get(base + "/workbench/api/projects", TOKEN)
    assert status == 200 and json.loads(body)["items"] == []
    assert get(base + "/workbench/api/projects")[0] == 403
    for path in ("/api/kernels", "/api/contents", "/api/sessions", "/api/kernelspecs", "/api/terminals",
                 "/api/status", "/files/server.log", "/terminals/websocket/1", "/lab", "/tree", "/nbconvert/html/x",
                 "/api/config/x", "/api/shutdown"):
        status, _ = get(base + path, TOKEN)
        assert status in (403, 404, 405), (path, status)
    text = log.read_text()
    assert "workbench is running without loading other extensions" in text
    assert "jupyterlab" not in text.lower().replace("jupyterlab_", "")


def test_installing_enables_the_extension_everywhere():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = project["tool"]["setuptools"]["data-files"]["etc/jupyter/jupyter_server_config.d"]
    assert shipped == ["etc/jupyter/jupyter_server_config.d/hitl_workbench.json"]
    config = json.loads((REPO / shipped[0]).read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"server_ext": True}}}
    assert project["project"]["scripts"]["jupyter-workbench"] == "server_ext.app:main"
    from server_ext import _jupyter_server_extension_points
    from server_ext.app import WorkbenchApp

    assert _jupyter_server_extension_points() == [{"module": "server_ext.app", "app": WorkbenchApp}]
    assert WorkbenchApp.name == "workbench"
