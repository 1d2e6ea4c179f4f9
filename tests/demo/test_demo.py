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

ROOT = Path(__file__).resolve().parents[2]
COCO_SCHEMA = json.loads((ROOT / "tests" / "exports" / "coco_schema.json").read_text())


@pytest.mark.slow
def test_headless_demo_runs_the_study_and_stops_its_servers(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "MTURK_"))}
    env.update(WORKBENCH_HOME=str(tmp_path / "home"),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run([sys.executable, "-c", "from workbench.cli import main; main()", "demo", "--headless",
                           "--tasks", "3"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
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
