"""Fixtures: a local Prolific simulator per test (stopped in the finalizer), the real provider on it, a small study."""

from __future__ import annotations

import httpx
import pytest

from workbench.crowd.providers import WorkSpec, get_provider
from workbench.devtools.prolific_sim import Faults, Simulator
from tests.study_data import cats_study


@pytest.fixture
def study(store):
    return cats_study(store)


@pytest.fixture
def sim_faults():
    return Faults(bonus_pay_delay=0.05)


@pytest.fixture
def sim(sim_faults):
    started = Simulator(seed=11, faults=sim_faults)
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def provider(store, sim, monkeypatch):
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "local")
    monkeypatch.delenv("PROLIFIC_API_TOKEN", raising=False)
    made = get_provider("prolific", store=store, endpoint_url=sim.url, public_base_url="http://wb.invalid",
                        backoff=0.01)
    yield made
    made.client.close()


SPEC = WorkSpec(title="Label cats", description="Say whether each picture shows a cat or a dog.", reward_cents=150,
                duration=1800, max_assignments=2, mode="link-out")


def api(sim) -> httpx.Client:
    return httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token test"}, timeout=10)


def remote_study(sim, study_id: str) -> dict:
    with api(sim) as c:
        return c.get(f"studies/{study_id}/").json()


def take_part(sim, pid: str, study_id: str, code: str | None) -> httpx.Response:
    """A participant's browser: start (not following the redirect to the workbench), then complete with ``code``."""
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        start = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id})
        if start.status_code != 302 or code is None:
            return start
        done = browser.get("/submissions/complete", params={"cc": code})
        assert done.status_code == 200, done.text
        return start


def calls(sim) -> int:
    return sum(sim.status()["calls"].values())
