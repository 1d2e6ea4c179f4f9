"""``workbench run sync`` and ``ingest``: papermill notebooks against the local MTurk simulator."""

from __future__ import annotations

import json


from workbench import jobs
from workbench.study import projects
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client

from ..study_data import seed_study


def test_sync_then_ingest_through_papermill(store, sim, tmp_path, monkeypatch):
    monkeypatch.setenv("MTURK_ENVIRONMENT", "local")
    study = seed_study(store, tmp_path / "images", slug="fresh")
    provider = MTurkProvider(store, client=make_client("local", endpoint_url=sim.url))
    task_ids = study.task_ids["classification"]
    created = provider.create_work("fresh", task_ids, WorkSpec(title="Name the shape", description="One label",
                                                              reward_cents=5, max_assignments=2))
    for hit_id in created.hit_ids:
        for worker in ("WSIM1", "WSIM2"):
            visitor = SimulatedWorker(sim.url, worker)
            accepted = visitor.accept(hit_id)
            assert visitor.submit_to_mturk(accepted["AssignmentId"],
                                           {"result": json.dumps({"labels": ["circle"]})}) == 200
    params = {"environment": "local", "endpoint_url": sim.url}
    synced = jobs.run("sync", params, store=store)
    assert synced.run["status"] == "succeeded"
    assert synced.summary["assignments_new"] == 4
    ingested = jobs.run("ingest", {**params, "chunk_size": 3}, store=store)
    assert ingested.summary["ingested"] == 4 and ingested.summary["invalid"] == 0
    with store.session() as s:
        assert projects.stats(s, "fresh")["annotations"]["total"] == study.annotations + 4
    again = jobs.run("ingest", params, store=store)
    assert again.summary["ingested"] == 0
    assert [r["status"] for r in jobs.history(store)] == ["succeeded"] * 3
