"""``hooks_setup.setup``: the workspace's secret and confirmed subscriptions, made by the provider, then used.

Prolific's steps (prolific-openapi.yml, Hooks: secret, subscription with ``X-Hook-Secret``, confirmation) are
driven against the simulator; the secret it hands back, set as ``PROLIFIC_WEBHOOK_SECRET``, verifies the
simulator's own signed deliveries to a real server's hook route, which applies them with no sync run.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from workbench.crowd.providers import get_provider
from workbench.crowd.providers.prolific import hooks_setup
from workbench.errors import ValidationError

from tests.prolific.conftest import api, sim, sim_faults  # noqa: F401 - the simulator, stopped in its finalizer
from .test_prolific_routes import assignments, prolific, server_url, study_id, wb_config  # noqa: F401 - fixtures


def subscriptions(sim) -> list[dict]:
    with api(sim) as c:
        ws = c.get("workspaces/").json()["results"][0]["id"]
        return c.get("hooks/subscriptions/", params={"workspace_id": ws}).json()["results"]


def secrets_held(sim) -> list[str]:
    with api(sim) as c:
        ws = c.get("workspaces/").json()["results"][0]["id"]
        return [row["value"] for row in c.get("hooks/secrets/", params={"workspace_id": ws}).json()["results"]]


async def test_setup_subscribes_the_hook_route_and_its_secret_verifies_the_deliveries(
        fetch_json, sim, prolific, study_id, server_url, wb_store, monkeypatch):  # fetch_json: the server serves
    done = hooks_setup.setup(prolific, base_url=server_url, actor="test")
    target = server_url + "/workbench/prolific/hooks"
    assert done.target_url == target and done.secret_created
    assert sorted(done.subscribed) == ["study.status.change", "submission.status.change"] and done.kept == []
    assert secrets_held(sim) == [done.secret]  # the workspace's one secret (the spec: one active per workspace)
    assert sorted((s["event_type"], s["target_url"], s["is_enabled"]) for s in subscriptions(sim)) == [
        (e, target, True) for e in sorted(done.subscribed)]
    assert done.secret not in repr(done) and "secret" not in done.to_dict()

    monkeypatch.setenv("PROLIFIC_WEBHOOK_SECRET", done.secret)
    pid = "5f00000000000000000000a1"
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        entry = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id}).headers["Location"]
        session_id = parse_qs(urlsplit(entry).query)["SESSION_ID"][0]
        code = prolific.client.get(f"studies/{study_id}/")["completion_codes"][0]["code"]
        assert browser.get("/submissions/complete", params={"cc": code}).status_code == 200
    for _ in range(200):  # no sync runs: only the signed deliveries can bring the submission in
        if assignments(wb_store).get(session_id) == "submitted":
            break
        await asyncio.sleep(0.05)
    assert assignments(wb_store) == {session_id: "submitted"}


def test_setup_again_keeps_the_secret_and_subscribes_nothing_twice(sim, prolific, server_url):
    first = hooks_setup.setup(prolific, base_url=server_url)
    again = prolific.setup_hooks(base_url=server_url)
    assert (again.secret, again.secret_created, again.subscribed) == (first.secret, False, [])
    assert sorted(again.kept) == sorted(hooks_setup.EVENT_TYPES)
    assert len(subscriptions(sim)) == 2
    rotated = hooks_setup.setup(prolific, base_url=server_url, rotate=True)
    assert rotated.secret_created and rotated.secret != first.secret and secrets_held(sim) == [rotated.secret]


def test_setup_replaces_a_subscription_never_confirmed_and_reports_one_to_an_old_origin(sim, prolific, server_url):
    target = server_url + "/workbench/prolific/hooks"
    with api(sim) as c:  # a set-up cut short before its confirmation, and a confirmed one to an old origin
        ws = c.get("workspaces/").json()["results"][0]["id"]
        c.post("hooks/secrets/", json={"workspace_id": ws})
        cut = c.post("hooks/subscriptions/", json={"workspace_id": ws, "event_type": "submission.status.change",
                                                   "target_url": target}).json()["id"]
        old = c.post("hooks/subscriptions/", json={"workspace_id": ws, "event_type": "study.status.change",
                                                   "target_url": "http://old.example.org/workbench/prolific/hooks"})
        c.post(f"hooks/subscriptions/{old.json()['id']}/", json={"secret": old.headers["X-Hook-Secret"]})
    done = hooks_setup.setup(prolific, base_url=server_url)
    assert done.replaced == [cut] and sorted(done.subscribed) == sorted(hooks_setup.EVENT_TYPES)
    assert [e["target_url"] for e in done.elsewhere] == ["http://old.example.org/workbench/prolific/hooks"]
    mine = sorted((s["event_type"], s["is_enabled"]) for s in subscriptions(sim) if s["target_url"] == target)
    assert mine == [("study.status.change", True), ("submission.status.change", True)]


def test_setup_refuses_what_prolific_would_not_post_to(sim, prolific, wb_store, server_url):
    with pytest.raises(ValidationError) as refused:
        hooks_setup.setup(prolific, base_url=server_url, event_types=["study.deleted"])
    assert refused.value.field == "event_types"
    live = get_provider("prolific", "production", store=wb_store, confirm_production=True, endpoint_url=sim.url,
                        token="t", public_base_url="http://127.0.0.1:8888")
    try:
        for base in ("http://annotate.example.org", "https://localhost:8888", "https://127.0.0.2",
                     "https://10.0.0.5", "https://[::1]:8443", "https://169.254.169.254", "https://app.localhost"):
            with pytest.raises(ValidationError) as refused:
                hooks_setup.setup(live, base_url=base)
            assert refused.value.field == "target_url" and "public https" in refused.value.reason
    finally:
        live.client.close()
    assert subscriptions(sim) == [] and secrets_held(sim) == []  # refused before Prolific was asked
