"""The boto3 client: environments and endpoints, credentials, and botocore's retries under throttling."""

from __future__ import annotations

import pytest

from workbench.crowd.providers import WorkSpec, get_provider
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import MTurkUnreachable, make_client

from .conftest import work


@pytest.mark.parametrize("env, url", [
    ("sandbox", "https://mturk-requester-sandbox.us-east-1.amazonaws.com"),
    ("local", "http://127.0.0.1:8443"),
])
def test_environment_picks_the_endpoint(env, url, monkeypatch, store):
    monkeypatch.setenv("MTURK_ENVIRONMENT", env)
    monkeypatch.delenv("MTURK_LOCAL_ENDPOINT", raising=False)
    provider = get_provider("mturk", store=store)
    assert provider.environment == env and provider.client.meta.endpoint_url == url
    retries = provider.client.meta.config.retries
    assert retries["mode"] in ("standard", "adaptive") and retries.get("total_max_attempts", 0) >= 2


def test_local_is_the_default_and_its_endpoint_configurable(monkeypatch):
    monkeypatch.delenv("MTURK_ENVIRONMENT", raising=False)
    monkeypatch.setenv("MTURK_LOCAL_ENDPOINT", "http://127.0.0.1:9999")
    monkeypatch.setenv("MTURK_RETRY_MODE", "standard")
    client = make_client()
    assert client.meta.endpoint_url == "http://127.0.0.1:9999"
    assert client.meta.config.retries["mode"] == "standard"


def test_throttled_calls_are_retried_by_botocore(store, sim, study):
    mt = MTurkProvider(store, client=make_client("local", endpoint_url=sim.url, retry_mode="standard",
                                                 max_attempts=5))
    spec = WorkSpec(title="Label", description="d", reward_cents=5)
    sim.faults.update(throttle_every=3)  # every third call answers ThrottlingException
    hit_ids = mt.create_work("cats", study.task_ids, spec, concurrency=1).hit_ids
    for i, hit_id in enumerate(hit_ids):
        work(sim, hit_id, f"A1T{i}")
    assert mt.sync(concurrency=1).assignments_new == 4
    assert sim.call_count["_throttled"] >= 3 and len(set(hit_ids)) == 4
    assert sim.client().list_hits()["NumResults"] == 4  # retried creations made no second HITs


def test_an_unreachable_endpoint_is_a_clear_error(store):
    mt = MTurkProvider(store, client=make_client("local", endpoint_url="http://127.0.0.1:9", max_attempts=1))
    with pytest.raises(MTurkUnreachable) as caught:
        mt.balance()
    assert caught.value.status == 503 and "mturk-sim" in caught.value.hint
