"""Hook events applied once per event id (``crowd.hooks.deliver``), on a real store and the real provider."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import httpx
import pytest
from sqlalchemy import select, update

from workbench.crowd import hooks
from workbench.crowd.providers.prolific.client import ProlificUnreachable
from workbench.store.models import HookDelivery
from workbench.store.types import utcnow
from tests.concurrently import concurrently

from .conftest import SPEC, calls


def _deliveries(store) -> list[tuple[str, str]]:
    with store.session() as s:
        return [(d.event_id, d.status) for d in s.scalars(select(HookDelivery).order_by(HookDelivery.id))]


@pytest.fixture
def submission(provider, sim, study):
    study_id = provider.create_work(study.project.slug, study.task_ids, SPEC).hit_ids[0]
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        start = browser.get("/_sim/participants/P7/start", params={"study_id": study_id})
    return httpx.URL(start.headers["location"]).params["SESSION_ID"]


def _deliver(provider, store, submission, event_id="E1"):
    return hooks.deliver(store, "prolific", event_id, "submission.status.change", submission,
                         partial(provider.apply_event, submission, "submission.status.change"))


def test_eight_concurrent_deliveries_of_one_event_apply_it_once(provider, sim, store, submission):
    before = calls(sim)
    results, errors = concurrently(lambda: _deliver(provider, store, submission))
    assert all(isinstance(e, hooks.Retry) for e in errors), errors    # copies that came while it was applied
    statuses = sorted(r["status"] for r in results)
    assert statuses.count("applied") == 1 and set(statuses) <= {"applied", "duplicate"}
    assert calls(sim) == before + 1                                    # one read of the submission
    assert _deliveries(store) == [("E1", "applied")]
    assert _deliver(provider, store, submission)["status"] == "duplicate"


def test_a_delivery_that_cannot_reach_prolific_lets_go_and_the_retry_applies(provider, store, submission):
    def unreachable():
        raise ProlificUnreachable("Prolific is down")

    with pytest.raises(hooks.Retry):
        hooks.deliver(store, "prolific", "E2", "submission.status.change", submission, unreachable)
    assert _deliveries(store) == []
    assert _deliver(provider, store, submission, "E2")["status"] == "applied"


def test_a_claim_of_a_dead_applier_is_taken_over_and_a_live_one_is_retried_later(provider, store, submission):
    with store.transaction() as s:
        s.add(HookDelivery(provider="prolific", event_id="E3", status="applying", claimed_at=utcnow()))
    with pytest.raises(hooks.Retry) as busy:
        _deliver(provider, store, submission, "E3")
    assert busy.value.status == 503 and busy.value.field == "X-Event-ID"
    with store.transaction() as s:
        s.execute(update(HookDelivery).values(claimed_at=utcnow() - timedelta(seconds=hooks.CLAIM_LEASE + 1)))
    assert _deliver(provider, store, submission, "E3")["status"] == "applied"
    assert _deliveries(store) == [("E3", "applied")]
