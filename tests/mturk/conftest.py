"""Fixtures: a local MTurk simulator per test, a real boto3 client on it, a provider, a small study."""

from __future__ import annotations

import json

import pytest

from tests.study_data import cats_study
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client


@pytest.fixture
def mt(store, sim, monkeypatch):
    monkeypatch.setenv("MTURK_ENVIRONMENT", "local")
    client = make_client("local", endpoint_url=sim.url, retry_mode="standard", max_attempts=3)
    return MTurkProvider(store, client=client)


@pytest.fixture
def study(store):
    return cats_study(store)


def work(sim, hit_id: str, worker_id: str, result=None, fields: dict | None = None) -> str:
    """A simulated worker accepts ``hit_id`` and posts their form to the simulator's externalSubmit."""
    worker = SimulatedWorker(sim.url, worker_id)
    accepted = worker.accept(hit_id)
    status = worker.submit_to_mturk(accepted["AssignmentId"],
                                    fields if fields is not None else {"result": json.dumps(result or {"label": "cat"})})
    assert status == 200
    return accepted["AssignmentId"]
