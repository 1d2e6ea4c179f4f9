"""``jupyter workbench``: the public server routes the workbench and nothing that runs code or reads files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOKEN = "public-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def public_server(make_store, tmp_path):
    store = make_store("sqlite")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    log = open(tmp_path / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from server_ext.app import main; main()", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--WorkbenchApp.database_url={store.url}",
         f"--ServerApp.root_dir={tmp_path}", *(["--allow-root"] if os.getuid() == 0 else [])], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                break
            try:
                if get(base + "/workbench/api/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the public server did not start")
        if process.poll() is not None:
            pytest.fail((tmp_path / "server.log").read_text())
        yield base, tmp_path / "server.log"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


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
