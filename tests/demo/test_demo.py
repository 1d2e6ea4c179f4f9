"""``workbench demo --headless``: the whole offline study in a child process, as CI runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from workbench.study import projects, tasks
from workbench.store import Store
from workbench.store.models import Task

ROOT = Path(__file__).resolve().parents[2]
COCO_SCHEMA = json.loads((ROOT / "tests" / "exports" / "coco_schema.json").read_text())


def headless_demo(home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "MTURK_"))}
    env.update(WORKBENCH_HOME=str(home),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run([sys.executable, "-c", "from workbench.cli import main; main()", "demo", "--headless",
                           "--tasks", "3"], cwd=home.parent, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def first_demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One headless demo on a fresh home, shared by this module's tests: the first reads what it printed,
    the second runs a demo again in the same home (a demo takes half a minute)."""
    home = tmp_path_factory.mktemp("demo") / "home"
    return home, headless_demo(home)


@pytest.mark.slow
def test_headless_demo_runs_the_study_and_stops_its_servers(first_demo):
    _, done = first_demo
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["project"] == "demo"
    assert summary["tasks"] == 6 and summary["hits"] == 6
    assert summary["assignments_submitted"] == 12 == summary["assignments_synced"]
    assert summary["annotations_ingested"] == 12 and summary["ingest"]["invalid"] == 0
    files = {f["format"]: f for f in summary["exports"]}
    table = pq.read_table(files["parquet"]["path"])
    assert table.num_rows == files["parquet"]["rows"] == 12
    # Who did the work, on which HIT, and when: filled for every crowd annotation, none left empty.
    for column in ("assignment_id", "worker_id", "hit_id", "assignment_status", "accept_time", "submit_time",
                   "time_on_task_seconds"):
        values = table.column(column).to_pylist()
        assert all(v not in (None, "") for v in values), (column, values)
    assert all(v >= 0 for v in table.column("time_on_task_seconds").to_pylist())
    assert len(set(table.column("assignment_id").to_pylist())) == 12
    coco = json.loads(Path(files["coco"]["path"]).read_text())
    jsonschema.validate(coco, COCO_SCHEMA)
    assert len(coco["annotations"]) == files["coco"]["rows"] and len(coco["images"]) == 3
    assert files["long"]["rows"] == 12
    # Every server it started is gone.
    for url in re.findall(r"(?:simulator|server):\s+(http://\S+)", done.stdout):
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=3)


@pytest.mark.slow
def test_a_second_demo_makes_a_new_project_and_keeps_the_first(first_demo):
    """Rerunning ``make demo`` used to delete the ``demo`` project and all the researcher had added to it."""
    home, done = first_demo
    first = json.loads(done.stdout.strip().splitlines()[-1])
    store = Store(f"sqlite:///{home / 'workbench.db'}", create=False)
    with store.transaction() as s:  # the researcher's own work in the demo project
        projects.update(s, "demo", description="My notes on the pilot", actor="researcher")
        definition, asset = s.execute(select(Task.definition_id, Task.asset_id).limit(1)).one()
        tasks.create(s, "demo", definition, asset_id=asset, payload={"mine": True}, actor="researcher")
    with store.session() as s:
        before = projects.stats(s, "demo")
    store.dispose()

    again = headless_demo(home)

    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert "project 'demo' exists and is kept as it is; this demo makes project 'demo-2'" in again.stdout
    assert second["project"] == "demo-2"
    assert (second["tasks"], second["hits"], second["assignments_submitted"], second["annotations_ingested"]) == \
        (6, 6, 12, 12)
    assert second["assignments_synced"] == 12 and second["ingest"]["invalid"] == 0
    store = Store(f"sqlite:///{home / 'workbench.db'}", create=False)
    with store.session() as s:
        assert projects.stats(s, "demo") == before
        assert projects.get(s, "demo").description == "My notes on the pilot"
        assert before["tasks"]["total"] == 7 and before["annotations"]["total"] == 12
    store.dispose()
    # Each demo's files are its own: the first one's exports are still there, beside the second's.
    first_files = {f["format"]: Path(f["path"]) for f in first["exports"]}
    second_files = {f["format"]: Path(f["path"]) for f in second["exports"]}
    assert all(path.is_file() for path in [*first_files.values(), *second_files.values()])
    assert first_files["parquet"].parent == home / "demo" / "exports"
    assert second_files["parquet"].parent == home / "demo-2" / "exports"
    assert pq.read_table(first_files["parquet"]).num_rows == 12
