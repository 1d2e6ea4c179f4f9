"""A study with work submitted through the local MTurk simulator, synced and ingested, for the panels."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client

from ..study_data import seed_study


@pytest.fixture
def crowd(store, sim, tmp_path, monkeypatch):
    """Two classification HITs, two workers each, submitted, synced and ingested; plus the rest of the study."""
    monkeypatch.setenv("MTURK_ENVIRONMENT", "local")
    study = seed_study(store, tmp_path / "images", slug="crowd", crowd_rows=False)
    provider = MTurkProvider(store, client=make_client("local", endpoint_url=sim.url))
    created = provider.create_work("crowd", study.task_ids["classification"],
                                   WorkSpec(title="Name the shape", description="One label", reward_cents=5,
                                            max_assignments=2))
    answers = {"A1PANELWA": ["circle"], "A1PANELWB": ["square"]}
    for hit_id in created.hit_ids:
        for worker, labels in answers.items():
            visitor = SimulatedWorker(sim.url, worker)
            accepted = visitor.accept(hit_id)
            assert visitor.submit_to_mturk(accepted["AssignmentId"], {"result": json.dumps({"labels": labels})}) == 200
    provider.sync()
    assert provider.ingest().ingested == 4
    return SimpleNamespace(store=store, provider=provider, hit_ids=created.hit_ids, study=study, sim=sim)
