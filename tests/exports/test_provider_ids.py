"""Every export says which provider a rating came through and carries that provider's own ids: an MTurk
HIT, assignment and worker, or a Prolific study, submission and participant (the local Prolific simulator)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from workbench.crowd.providers import WorkSpec, get_provider
from workbench.results import exports
from tests.prolific.conftest import sim, sim_faults  # noqa: F401 (fixtures)
from tests.prolific_visits import answered

from workbench.study import definitions, projects, tasks

from ..study_data import seed_study


@pytest.fixture
def mixed(store, sim, tmp_path, monkeypatch):
    """Project "shapes": the seeded MTurk work; project "cats": one Prolific participant's answer."""
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "local")
    seed_study(store, tmp_path / "images")
    with store.transaction() as s:  # a second project on the seeded classification definition, for Prolific
        project = projects.create(s, "cats", "Cats")
        task_ids = [tasks.create(s, project.id, definitions.get_definition(s, "classification", "1.0").id).id]
    provider = get_provider("prolific", store=store, endpoint_url=sim.url, public_base_url="http://wb.invalid")
    spec = WorkSpec(title="Cat or dog", description="One label", reward_cents=50, duration=1800,
                    max_assignments=1, mode="link-out")
    study_id = provider.create_work("cats", task_ids, spec).hit_ids[0]
    sub_id = answered(store, sim, study_id, "PEXPORT1", "cats", {"labels": ["circle"]})
    provider.sync()
    provider.sync()
    provider.client.close()
    return study_id, sub_id


def test_tabular_exports_carry_provider_and_its_ids(store, mixed, tmp_path):
    study_id, sub_id = mixed
    table = pq.read_table(exports.export(store, None, "parquet", tmp_path / "a.parquet").path).to_pylist()
    prolific = [r for r in table if r["provider"] == "prolific"]
    assert len(prolific) == 1
    row = prolific[0]
    assert (row["hit_id"], row["assignment_id"], row["worker_id"], row["rater"]) == \
        (study_id, sub_id, "PEXPORT1", "PEXPORT1")
    assert row["submission_id"] == sub_id and json.loads(row["result"]) == {"labels": ["circle"]}
    mturk = [r for r in table if r["provider"] == "mturk"]
    assert mturk and all(r["hit_id"] and r["assignment_id"] and r["worker_id"] for r in mturk)
    researcher = [r for r in table if r["provider"] is None]
    assert researcher and all(r["hit_id"] is None and r["rater"] == r["actor"] for r in researcher)
    out = tmp_path / "a.csv"
    exports.export(store, None, "csv", out)
    with open(out, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["provider"] == "prolific"]
    assert [(r["hit_id"], r["assignment_id"], r["worker_id"]) for r in rows] == [(study_id, sub_id, "PEXPORT1")]


def test_long_and_coco_say_whose_id_the_rater_is(store, mixed, tmp_path):
    long = pq.read_table(exports.export(store, None, "long", tmp_path / "l.parquet").path).to_pylist()
    by_rater = {(r["rater"], r["provider"]) for r in long}
    assert ("PEXPORT1", "prolific") in by_rater and any(p == "mturk" for _, p in by_rater)
    coco = json.loads(Path(exports.export(store, "shapes", "coco", tmp_path / "c.json").path).read_text())
    assert all("provider" in a for a in coco["annotations"])  # boxes by MTurk workers, polygons by a researcher
    assert {(a["rater"][:1], a["provider"]) for a in coco["annotations"]} >= {("W", "mturk")}
