"""``jupyter workbench``: the public server routes the workbench and nothing that runs code or reads files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    shared = project["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["jupyter-config/server-config"] == "etc/jupyter/jupyter_server_config.d"
    config = json.loads((REPO / "jupyter-config/server-config/hitl_workbench.json").read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"server_ext": True}}}
    # …and the install put it where every `jupyter server` of this environment reads it.
    installed = Path(sys.prefix) / "etc/jupyter/jupyter_server_config.d/hitl_workbench.json"
    assert json.loads(installed.read_text()) == config
    assert project["project"]["scripts"]["jupyter-workbench"] == "server_ext.public:main"
    from server_ext import _jupyter_server_extension_points
    from server_ext.app import WorkbenchApp

    assert _jupyter_server_extension_points() == [{"module": "server_ext.app", "app": WorkbenchApp}]
    assert WorkbenchApp.name == "workbench"


@pytest.mark.parametrize("setting, said", [
    ("--WorkbenchApp.frame_ancestors=https://annotate.example.org/path", "WorkbenchApp.frame_ancestors: "),
    ("--WorkbenchApp.submit_origins=https://*.mturk.com", "WorkbenchApp.submit_origins: "),
    ("--WorkbenchApp.submit_origins=www.mturk.com", "WorkbenchApp.submit_origins: "),
    ("--WorkbenchApp.public_base_url=annotate.example.org", "WorkbenchApp.public_base_url: "),
    ("WORKBENCH_PUBLIC_BASE_URL=https://annotate.example.org?x=1", "WORKBENCH_PUBLIC_BASE_URL: "),
    # a provider name the registry does not know: its workers' pages would all be refused
    ("--WorkbenchApp.provider=prolifc", "WorkbenchApp.provider: 'prolifc' is not a crowd provider"),
    ("WORKBENCH_PROVIDER=sona", "WORKBENCH_PROVIDER: 'sona' is not a crowd provider"),
])
def test_a_malformed_origin_setting_stops_the_server_at_start_up(make_store, tmp_path, setting, said):
    """Written into the CSP or the HITs as it is, it would refuse every frame or form in silence, or send workers
    nowhere; it is refused instead, from the command line and from the environment alike."""
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    argv = [sys.executable, "-c", "from server_ext.public import main; main()", "--port=0",
            f"--WorkbenchApp.database_url={make_store('sqlite').url}", f"--ServerApp.root_dir={tmp_path}",
            *(["--allow-root"] if os.getuid() == 0 else [])]
    if setting.startswith("--"):
        argv.append(setting)
    else:
        env.update([setting.split("=", 1)])
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr[-2000:]
    assert said in done.stderr and ("is not an origin" in done.stderr or "must be an http(s) URL" in done.stderr
                                    or "known: link-out, mturk, prolific" in done.stderr)
    assert "Jupyter Server" not in done.stderr  # it never started serving


@pytest.mark.parametrize("env, expected", [(None, "mturk"), ("prolific", "prolific"), (" Link-Out ", "link-out")])
def test_the_server_takes_the_provider_of_workbench_provider(monkeypatch, env, expected):
    """One setting moves the worker server with the notebooks and the demo; unset, the server takes MTurk's workers
    (the default before the setting existed)."""
    from server_ext.app import WorkbenchApp

    if env is None:
        monkeypatch.delenv("WORKBENCH_PROVIDER", raising=False)
    else:
        monkeypatch.setenv("WORKBENCH_PROVIDER", env)
    assert WorkbenchApp().provider == expected
