"""The wheel carries what an installed workbench needs: migrations, the server config, plugins, notebooks."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contents(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
                   check=True, timeout=300)
    wheel = next(tmp_path.glob("hitl_workbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/data/")[0] for n in names if ".data/data/" in n)
    assert f"{data}/data/etc/jupyter/jupyter_server_config.d/hitl_workbench.json" in names
    assert "workbench/store/migrations/env.py" in names
    assert any(n.startswith("workbench/store/migrations/versions/0001") for n in names)
    assert "server_ext/__init__.py" in names
    assert "server_ext/openapi.yaml" in names
    assert any(n.startswith("server_ext/templates/") for n in names)
    assert any(n.startswith("server_ext/static/") for n in names)
    for plugin in ("classification", "bounding-box", "polygon", "free-text"):
        assert f"{data}/data/share/hitl-workbench/plugins/{plugin}/manifest.json" in names
    assert "workbench/cli/__init__.py" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_entry_points():
    from importlib.metadata import entry_points

    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts["workbench"] == "workbench.cli:main"


def _requirements() -> tuple[list[str], list[str]]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"], project["optional-dependencies"]["test"]


def _name(requirement: str) -> str:
    import re

    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_is_in_step_with_pyproject():
    import re

    conda_names = {"duckdb": "python-duckdb", "fastjsonschema": "python-fastjsonschema"}
    listed = {_name(re.sub(r"^\s*-\s*", "", line)) for line in (ROOT / "environment.yml").read_text().splitlines()
              if re.match(r"^\s*-\s*[A-Za-z]", line)}
    runtime, test = _requirements()
    missing = [r for r in runtime + test if conda_names.get(_name(r), _name(r)) not in listed]
    assert not missing, f"environment.yml lacks {missing}"


def test_the_deployment_lock_pins_every_runtime_dependency():
    pinned = {_name(line) for line in (ROOT / "deploy" / "constraints.txt").read_text().splitlines()
              if line and not line.startswith("#")}
    runtime, _ = _requirements()
    missing = [r for r in runtime if _name(r) not in pinned]
    assert not missing, f"deploy/constraints.txt lacks {missing}"
