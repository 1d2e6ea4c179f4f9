"""Fixtures: a local MTurk simulator per test, a real boto3 client on it, a provider, a small study."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from workbench.study import definitions, projects, tasks
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client

LABEL_SCHEMA = {
    "type": "object",
    "required": ["label"],
    "additionalProperties": False,
    "properties": {"label": {"enum": ["cat", "dog"]}, "confidence": {"type": "number"}},
}


@pytest.fixture
def mt(store, sim, monkeypatch):
    monkeypatch.setenv("MTURK_ENVIRONMENT", "local")
    client = make_client("local", endpoint_url=sim.url, retry_mode="standard", max_attempts=3)
    return MTurkProvider(store, client=client)


@pytest.fixture
def study(store):
    with store.transaction() as s:
        project = projects.create(s, "cats", "Cats")
        definitions.create_type(s, "classification")
        spec = definitions.create_definition(s, "classification", "1.0",
                                             {"ui_config": {"labels": ["cat", "dog"]}, "label_schema": LABEL_SCHEMA})
        made = [tasks.create(s, project.id, spec.id, payload={"n": i}) for i in range(4)]
    return SimpleNamespace(project=project, definition=spec, task_ids=[t.id for t in made])


def work(sim, hit_id: str, worker_id: str, result=None, fields: dict | None = None) -> str:
    """A simulated worker accepts ``hit_id`` and posts their form to the simulator's externalSubmit."""
    worker = SimulatedWorker(sim.url, worker_id)
    accepted = worker.accept(hit_id)
    status = worker.submit_to_mturk(accepted["AssignmentId"],
                                    fields if fields is not None else {"result": json.dumps(result or {"label": "cat"})})
    assert status == 200
    return accepted["AssignmentId"]
