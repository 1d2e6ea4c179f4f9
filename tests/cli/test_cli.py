"""The ``workbench`` command, in-process (click's runner) and once as the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from workbench.cli import cli


@pytest.fixture
def run(store):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--database-url", store.url, *args], catch_exceptions=False)

    return invoke


def test_init_twice_and_db_current(run):
    first, second = run("init"), run("init")
    assert first.exit_code == 0 and second.exit_code == 0
    assert "up to date" in second.output
    current = json.loads(run("db", "current", "--json").output)
    assert current["up_to_date"] and current["current"] == current["head"]


def test_project_create_list_stats(run):
    assert run("project", "create", "birds", "--name", "Birds").exit_code == 0
    listed = json.loads(run("project", "list", "--json").output)
    assert [p["slug"] for p in listed] == ["birds"]
    stats = run("project", "stats", "birds")
    assert stats.exit_code == 0 and "pending 0" in stats.output


def test_errors_are_one_line_without_traceback(run):
    run("project", "create", "birds")
    again = run("project", "create", "birds")
    assert again.exit_code == 1
    assert "already exists" in again.output and "Traceback" not in again.output
    missing = run("project", "stats", "nope")
    assert missing.exit_code == 1 and "not found" in missing.output


def test_tasks_import(run, tmp_path):
    schema = {"label_schema": {"type": "object"}, "ui_config": {}}
    (tmp_path / "def.json").write_text(json.dumps(schema))
    run("project", "create", "birds")
    run("tasktype", "create", "free-text")
    assert run("definition", "create", "free-text:1.0", "--file", str(tmp_path / "def.json")).exit_code == 0
    good = tmp_path / "tasks.csv"
    good.write_text("priority,text\n1,a\n2,b\n3,c\n")
    result = run("tasks", "import", str(good), "--project", "birds", "--definition", "free-text:1.0")
    assert result.exit_code == 0, result.output
    assert "imported 3 tasks" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("priority,text\n1,a\nlots,b\n")
    refused = run("tasks", "import", str(bad), "--project", "birds", "--definition", "free-text:1.0", "--quiet")
    assert refused.exit_code == 1 and "row 2 (line 3)" in refused.output and "priority" in refused.output
    stats = json.loads(run("project", "stats", "birds", "--json").output)
    assert stats["tasks"]["total"] == 3


def test_console_script_and_debug(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "workbench")
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path)}
    assert subprocess.run([exe, "init"], env=env, capture_output=True, timeout=60).returncode == 0
    plain = subprocess.run([exe, "project", "stats", "nope"], env=env, capture_output=True, text=True, timeout=60)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr and "not found" in plain.stderr
    debug = subprocess.run([exe, "--debug", "project", "stats", "nope"], env=env, capture_output=True, text=True,
                           timeout=60)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    assert (tmp_path / "workbench.db").exists()


def test_demo_makes_a_project(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["demo", "--project-only", "--tasks", "3"], catch_exceptions=False)
    assert result.exit_code == 0
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["tasks"] == 6 and summary["assets"] == 3
    again = CliRunner().invoke(cli, ["demo", "--project-only", "--tasks", "3"], catch_exceptions=False)
    assert json.loads(again.output.strip().splitlines()[-1])["tasks"] == 6
