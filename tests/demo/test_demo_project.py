"""The demo's project: each run makes a new one, and an earlier demo is never touched."""

from __future__ import annotations

import json

from click.testing import CliRunner

from workbench import config
from workbench.devtools import demo
from workbench.study import projects
from workbench.cli import cli
from workbench.store import Store


def test_each_run_makes_a_new_project_and_keeps_the_earlier_ones(store):
    said: list[str] = []
    first = demo.run(store, n_tasks=2, echo=said.append)
    with store.transaction() as s:
        projects.update(s, "demo", name="Pilot I keep", actor="researcher")
        projects.create(s, "demo-2", "The researcher's own project", actor="researcher")
    with store.session() as s:
        kept = projects.stats(s, "demo")

    second = demo.run(store, n_tasks=3, echo=said.append)

    assert (first["project"], second["project"]) == ("demo", "demo-3")  # demo-2 was taken by the researcher
    assert "project 'demo' exists and is kept as it is; this demo makes project 'demo-3'" in said
    assert "project:  demo-3 (id 3)" in said
    with store.session() as s:
        assert projects.stats(s, "demo") == kept and kept["tasks"]["total"] == 4
        assert projects.get(s, "demo").name == "Pilot I keep"
        assert projects.stats(s, "demo-2")["tasks"]["total"] == 0
        assert projects.stats(s, "demo-3")["tasks"]["total"] == 6
    assert sorted(p.name for p in (config.home() / "demo-3" / "assets").iterdir()) == [
        "shapes-000.png", "shapes-001.png", "shapes-002.png"]


def test_demo_creates_a_missing_store_as_init_does(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'demo.db'}"
    runner = CliRunner()

    made = runner.invoke(cli, ["--database-url", url, "demo", "--project-only", "--tasks", "1"])
    again = runner.invoke(cli, ["--database-url", url, "demo", "--project-only", "--tasks", "1"])

    assert made.exit_code == 0 and again.exit_code == 0, made.output + again.output
    assert (tmp_path / "new" / "demo.db").is_file()
    assert json.loads(made.output.splitlines()[-1])["project"] == "demo"
    assert json.loads(again.output.splitlines()[-1])["project"] == "demo-2"
    store = Store(url, create=False)
    with store.session() as s:
        assert [p.slug for p in projects.list_(s)] == ["demo", "demo-2"]
    store.dispose()
