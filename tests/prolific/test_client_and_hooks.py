"""The client's rules (token, production, errors, retries) and the hook entry, bulk approval and returns."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from workbench.crowd.providers import place
from workbench.crowd.providers.prolific.client import (Client, ProductionNotConfirmed, ProlificError,
                                                       ProlificUnreachable)
from workbench.errors import ValidationError
from workbench.store.models import HIT, Assignment, Worker
from workbench.crowd.providers.base import SyncResult
from workbench.crowd.providers.prolific import sync
from tests.concurrently import concurrently

from .conftest import SPEC, take_part


def _mocked(handler) -> Client:
    client = Client("local", endpoint_url="http://prolific.invalid", backoff=0)
    client.http = httpx.Client(base_url=client.base_url, transport=httpx.MockTransport(handler))
    return client


def test_production_needs_confirmation_and_a_token(monkeypatch):
    monkeypatch.delenv("PROLIFIC_API_TOKEN", raising=False)
    with pytest.raises(ProductionNotConfirmed):
        place("prolific", "production")
    with pytest.raises(ValidationError) as missing:
        Client("production", confirm_production=True)
    assert missing.value.field == "PROLIFIC_API_TOKEN"
    monkeypatch.setenv("PROLIFIC_API_TOKEN", "secret-token-value")
    made = Client("production", confirm_production=True)
    assert made.base_url == "https://api.prolific.com" and "secret-token-value" not in repr(made)


def test_errors_name_the_field_and_a_payment_is_never_sent_twice():
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path))
        if request.url.path.endswith("/studies/"):
            return httpx.Response(400, json={"error": {"detail": {"reward": ["Ensure this value is positive."]}}})
        return httpx.Response(503)

    client = _mocked(handler)
    with pytest.raises(ProlificError) as refused:
        client.post("studies/", {"reward": -1})
    assert refused.value.field == "reward"
    with pytest.raises(ProlificUnreachable):
        client.post("bulk-bonus-payments/B1/pay/", idempotent=False)
    assert seen.count(("POST", "/api/v1/bulk-bonus-payments/B1/pay/")) == 1
    with pytest.raises(ProlificUnreachable):
        client.get("studies/S1/")
    assert seen.count(("GET", "/api/v1/studies/S1/")) == client.max_attempts  # reads are retried


def test_apply_event_bulk_approve_and_request_return(provider, sim, store, study):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    study_id = made.hit_ids[0]
    with store.session() as s:
        code = s.query(HIT).filter_by(hit_id=study_id).one().payload["completion_codes"]["complete"]
    subs = [httpx.URL(take_part(sim, pid, study_id, code).headers["location"]).params["SESSION_ID"]
            for pid in ("A1", "A2", "A3")]
    result = provider.apply_event(subs[0], "submission.status.change")
    assert result.assignments_new == 1
    provider.apply_event(study_id, "study.status.change")
    assert provider.bulk_approve(subs[:2]) == 2
    provider.request_return(subs[2], ["Did not finish the task"])
    with httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token t"}) as c:
        assert [c.get(f"submissions/{x}/").json()["status"] for x in subs[:2]] == ["APPROVED", "APPROVED"]
    provider.notify(["A1"], "Thanks", "Your answers were very useful.")
    assert [m["recipient_id"] for m in sim.store.all("message")] == ["A1"]


def test_a_next_page_outside_prolifics_api_is_not_followed_with_the_token():
    """_links.next (prolific-openapi.yml, list answers) is followed only under the same origin's /api/v1/: a link
    to another host would carry the Authorization header there."""
    asked = []

    def handler(request):
        asked.append(str(request.url))
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json={"results": [{"id": "W2"}], "_links": {"next": {"href": None}}})
        if request.url.path == "/api/v1/workspaces/":
            return httpx.Response(200, json={"results": [{"id": "W1"}], "_links": {
                "next": {"href": "http://prolific.invalid/api/v1/workspaces/?page=2"}}})
        return httpx.Response(200, json={"results": [{"id": "S1"}], "_links": {
            "next": {"href": "https://elsewhere.invalid/api/v1/studies/?page=2"}}})

    client = _mocked(handler)
    assert [w["id"] for w in client.listing("workspaces/")] == ["W1", "W2"]
    with pytest.raises(ProlificUnreachable) as refused:
        client.listing("studies/")
    assert refused.value.field == "_links.next"
    assert not any("elsewhere" in url for url in asked)


def test_concurrent_events_for_one_new_submission_record_it_once(provider, sim, store, study):
    """Prolific delivers hooks at least once and in no order (prolific-openapi.yml, Hooks), so several may name one
    new submission at the same moment: each is applied without an error, and the store holds it once."""
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    study_id = made.hit_ids[0]
    with store.session() as s:
        code = s.scalars(select(HIT).where(HIT.hit_id == study_id)).one().payload["completion_codes"]["complete"]
    sub = httpx.URL(take_part(sim, "C1", study_id, code).headers["location"]).params["SESSION_ID"]
    remote = provider.client.get(f"submissions/{sub}/")
    short = {"id": sub, "participant_id": remote["participant"], "status": remote["status"],
             "started_at": remote.get("started_at"), "completed_at": remote.get("completed_at")}

    def record():  # what apply_event records once it has read the submission: here the writers start together
        result = SyncResult()
        sync._record(provider, study_id, None, [dict(short)], result, "hook")
        return result

    results, errors = concurrently(record)
    assert not errors, errors
    assert sum(r.assignments_new for r in results) == 1 and sum(r.workers_new for r in results) == 1
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.assignment_id == sub)) == 1
        assert s.scalar(select(func.count()).select_from(Worker).where(Worker.worker_id == "C1")) == 1
