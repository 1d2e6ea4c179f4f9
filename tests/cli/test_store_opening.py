"""Which commands may create the store: ``init``, ``db upgrade`` and ``demo``. Every other one refuses a
store that is not there, says how to create it, and makes no file or folder (a mistyped URL used to
become a new, empty store, and ``project list`` on it exited 0)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import cli

#: Commands that only read, and commands that write into an existing store: none of them creates one.
USING = [
    ["project", "list"],
    ["project", "list", "--json"],
    ["project", "stats", "birds"],
    ["project", "create", "birds"],
    ["db", "current"],
    ["db", "backup"],
    ["runs"],
    ["mturk", "hits", "list", "--project", "birds"],
]


def invoke(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def assert_refused(result, path: Path) -> None:
    assert result.exit_code == 1, result.output
    assert f"no store at {path}" in result.output and "`workbench init`" in result.output, result.output
    assert "Traceback" not in result.output


def test_project_list_on_the_issue_s_mistyped_url_exits_1_and_makes_nothing():
    if Path("/nonexistent").exists():
        pytest.skip("/nonexistent exists on this machine")
    result = invoke("sqlite:////nonexistent/dir/x.db", "project", "list")
    assert_refused(result, Path("/nonexistent/dir/x.db"))
    assert not Path("/nonexistent").exists()


@pytest.mark.parametrize("command", USING, ids=" ".join)
@pytest.mark.parametrize("where", ["missing folder", "missing file"])
def test_commands_that_use_the_store_refuse_a_missing_one(tmp_path, command, where):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "typo" / "x.db" if where == "missing folder" else folder / "x.db"

    result = invoke(f"sqlite:///{path}", *command)

    assert_refused(result, path)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command, said", [(["init"], "created a new store at"),
                                           (["db", "upgrade"], "upgraded from (empty) to")])
def test_init_and_db_upgrade_create_the_store_and_its_folder(tmp_path, command, said):
    path = tmp_path / "new" / "dir" / "x.db"
    url = f"sqlite:///{path}"

    made = invoke(url, *command)

    assert made.exit_code == 0 and said in made.output, made.output
    assert path.is_file()
    listed = invoke(url, "project", "list")
    assert listed.exit_code == 0 and "no projects yet" in listed.output


def test_the_console_script_on_a_fresh_home_asks_for_init(tmp_path):
    """As a researcher meets it: the default store in WORKBENCH_HOME is made by `workbench init`, not by a
    command that reads."""
    exe = os.path.join(os.path.dirname(sys.executable), "workbench")
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_DATABASE_URL"}
    env["WORKBENCH_HOME"] = str(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=60)

    first = run("project", "stats", "birds")
    assert first.returncode == 1 and "Traceback" not in first.stderr
    assert f"no store at {tmp_path / 'workbench.db'}" in first.stderr and "`workbench init`" in first.stderr
    assert not (tmp_path / "workbench.db").exists()
    assert run("init").returncode == 0 and (tmp_path / "workbench.db").is_file()
    after = run("project", "stats", "birds")
    assert after.returncode == 1 and "project 'birds' not found" in after.stderr


@pytest.mark.parametrize("command", [["project", "list"], ["project", "create", "birds"], ["init"]], ids=" ".join)
def test_someone_else_s_database_is_never_written_into(tmp_path, command):
    """A URL that names another program's SQLite file is refused by every command, init included."""
    import sqlite3

    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    before = path.read_bytes()

    result = invoke(f"sqlite:///{path}", *command)

    assert result.exit_code == 1 and "is not a workbench store" in result.output and "users" in result.output
    assert path.read_bytes() == before
    with sqlite3.connect(path) as db:
        assert [t for t, in db.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["users"]


def test_an_empty_file_becomes_a_store_only_when_creating(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    refused = invoke(f"sqlite:///{path}", "project", "list")
    assert refused.exit_code == 1 and "is empty" in refused.output and "`workbench init`" in refused.output
    assert path.stat().st_size == 0
    assert invoke(f"sqlite:///{path}", "init").exit_code == 0
    assert invoke(f"sqlite:///{path}", "project", "list").exit_code == 0
