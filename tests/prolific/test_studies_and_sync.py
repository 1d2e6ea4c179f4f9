"""Prolific studies made once by concurrent callers, qualifications as the spec's filters, a bounded and locked sync,
and a rejection retried after its answer was lost; on the real simulator and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from workbench.crowd import payments
from workbench.crowd.providers import CustomRequirement, Qualifications, get_provider
from workbench.crowd.providers.prolific.client import ProlificUnreachable
from workbench.errors import ValidationError
from workbench.store.locks import job_lock
from workbench.store.models import HIT, Assignment
from workbench.store.types import utcnow
from tests.concurrently import concurrently

from .conftest import SPEC, api, calls, remote_study, take_part
from .test_provider import _assignment, _codes, _submitted


def _hits(store) -> list[HIT]:
    with store.session() as s:
        return list(s.scalars(select(HIT).where(HIT.provider == "prolific").order_by(HIT.id)))


def test_eight_concurrent_creators_publish_one_study(provider, sim, store, study):
    results, errors = concurrently(lambda: provider.create_work(study.project.slug, study.task_ids, SPEC))
    assert not errors, errors
    assert sim.status()["studies"] == 1
    rows = _hits(store)
    assert len(rows) == 1 and rows[0].status == "assignable"
    assert {tuple(r.hit_ids) for r in results} == {(rows[0].hit_id,)}
    assert sorted(r.created for r in results) == [0] * 7 + [1]


def test_a_claim_left_by_a_dead_creator_is_completed_by_a_rerun(provider, sim, store, study):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    # the creator died after Prolific made the study and before it recorded it: its claim is all that is left
    old = utcnow() - timedelta(hours=1)
    with store.transaction() as s:
        s.execute(update(HIT).values(status="creating", hit_id="creating:x", updated_at=old, payload={}))
    again = provider.create_work(study.project.slug, study.task_ids, SPEC)
    assert (again.created, again.recovered, again.hit_ids) == (0, 1, made.hit_ids)
    assert [(h.hit_id, h.status) for h in _hits(store)] == [(made.hit_ids[0], "assignable")]
    assert sim.status()["studies"] == 1


def test_a_creation_that_fails_leaves_the_store_as_it_was(store, study, monkeypatch):
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "local")
    down = get_provider("prolific", store=store, endpoint_url="http://127.0.0.1:9", max_attempts=1)
    with pytest.raises(ProlificUnreachable):
        down.create_work(study.project.slug, study.task_ids, SPEC)
    assert _hits(store) == []
    down.client.close()


def test_qualifications_become_filters_named_by_the_spec(provider, sim, store, study):
    group = provider.create_qualification("trusted", "people we trust")
    for pid in ("PAST1", "TRUSTED1"):
        provider.grant(group, pid)
    first = provider.create_work(study.project.slug, study.task_ids, SPEC).hit_ids[0]
    assert take_part(sim, "PAST1", first, _codes(store, first)["complete"]).status_code == 302
    quals = Qualifications(min_approval_rate=95, custom=[CustomRequirement(group)], exclude_past_participants=True)
    second = provider.create_work(study.project.slug, study.task_ids, replace(SPEC, qualifications=quals),
                                  round=1).hit_ids[0]
    # prolific-openapi.yml: RangeFilter (selected_range lower/upper) with the GetEligibleCount example's
    # "approval_rate"; SelectFilter (selected_values) with the study examples' "participant_group_allowlist" and
    # "previous_studies_blocklist" (study_with_blocked_studies: "not accessible to participants of studies ...")
    assert remote_study(sim, second)["filters"][1:] == [
        {"filter_id": "approval_rate", "selected_range": {"lower": 95, "upper": 100}},
        {"filter_id": "participant_group_allowlist", "selected_values": [group]},
        {"filter_id": "previous_studies_blocklist", "selected_values": [first]},
    ]
    assert take_part(sim, "PAST1", second, None).status_code == 403      # took part in round 0
    assert take_part(sim, "STRANGER1", second, None).status_code == 403  # not in the allow list
    assert take_part(sim, "TRUSTED1", second, None).status_code == 302


@pytest.mark.parametrize("quals, field", [
    (Qualifications(locales=["GB"]), "qualifications.locales"),
    (Qualifications(min_approved=100), "qualifications.min_approved"),
    (Qualifications(masters=True), "qualifications.masters"),
    (Qualifications(min_approval_rate=101), "qualifications.min_approval_rate"),
    (Qualifications(custom=[CustomRequirement("not-a-group")]), "qualifications.custom[0].qualification_type_id"),
    (Qualifications(custom=[CustomRequirement("g", "GreaterThan", [3])]), "qualifications.custom[0].comparator"),
    (Qualifications(exclude_projects=["no-such-project"]), "qualifications.exclude_projects"),
])
def test_what_prolific_cannot_express_is_refused_before_any_call(provider, sim, store, study, quals, field):
    before = calls(sim)
    with pytest.raises(ValidationError) as refused:
        provider.create_work(study.project.slug, study.task_ids, replace(SPEC, qualifications=quals))
    assert refused.value.field == field
    assert calls(sim) == before and _hits(store) == []


def test_one_sync_per_environment_at_a_time(provider, sim, store, study):
    provider.create_work(study.project.slug, study.task_ids, SPEC)
    before = calls(sim)
    with job_lock(store, "prolific.sync:local", on_sqlite=True) as held:
        assert held
        result = provider.sync()
    assert result.skipped and result.changed_hits == 0 and calls(sim) == before
    assert not provider.sync().skipped


def test_a_sync_reads_at_most_sweep_studies_oldest_looked_at_first(provider, sim, store, study):
    made = [provider.create_work(study.project.slug, study.task_ids, SPEC, round=r).hit_ids[0] for r in range(3)]

    def synced() -> dict[str, object]:
        return {h.hit_id: h.last_synced_at for h in _hits(store)}

    assert provider.sync(sweep=2).changed_hits == 2
    first = synced()
    assert first[made[2]] is None and first[made[0]] and first[made[1]]
    assert provider.sync(sweep=2).changed_hits == 2                   # the never-read one, then the oldest read
    second = synced()
    assert second[made[2]] is not None and second[made[0]] > first[made[0]] and second[made[1]] == first[made[1]]
    with pytest.raises(ValidationError) as bad:
        provider.sync(sweep=0)
    assert bad.value.field == "sweep"


def test_a_rejection_retried_after_its_answer_was_lost_is_recorded(provider, sim, store, study):
    _, sub_id = _submitted(provider, sim, store, study)
    real = provider.client.http.request
    lost = []

    def answer_lost_once(method, url, **kw):
        response = real(method, url, **kw)
        if url.endswith("/transition/") and not lost:
            lost.append(url)
            raise httpx.ReadTimeout("the answer was lost", request=response.request)  # Prolific did reject it
        return response

    provider.client.http.request = answer_lost_once
    try:
        row = provider.reject(sub_id, "z" * 100, category="LOW_EFFORT")
    finally:
        provider.client.http.request = real
    assert lost and row.status == "rejected" and _assignment(store, sub_id).status == "rejected"
    with api(sim) as c:
        assert c.get(f"submissions/{sub_id}/").json()["status"] == "REJECTED"
    # and a rejection Prolific already holds is recorded, not asked again
    before = calls(sim)
    with store.transaction() as s:
        s.execute(update(Assignment).where(Assignment.assignment_id == sub_id).values(status="submitted"))
    assert provider.reject(sub_id, "z" * 100, category="LOW_EFFORT").status == "rejected"
    assert calls(sim) == before + 1                                   # the read, no transition


def test_a_study_being_created_is_left_to_its_creator_by_sync_and_reconcile(provider, sim, store, study):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC, round=0).hit_ids[0]
    with store.transaction() as s:  # round 1's creator has claimed its key and not yet heard from Prolific
        s.add(HIT(provider="prolific", environment="local", hit_id="creating:r1", project_id=study.project.id,
                  round=1, unique_request_token="r1-key", status="creating", max_assignments=0))
    assert provider.sync().changed_hits == 1
    assert payments.reconcile(provider, project=study.project.slug).hits_checked == 1
    assert [h.hit_id for h in _hits(store)] == [made, "creating:r1"]


def test_a_study_hands_out_only_its_own_tasks(provider, store, study):
    """The study covers the last task only (its ``payload.task_ids``); the project has three more open."""
    from workbench.crowd import worker_sessions  # the visit the entry route runs, called as it calls it
    from workbench.store.models import WorkerSession

    study_id = provider.create_work("cats", study.task_ids[3:], SPEC).hit_ids[0]
    with store.transaction() as s:
        step = worker_sessions.visit(s, "prolific", "S-ONLY-ITS-OWN", "5f00000000000000000000a1", study_id)
    assert step.next_task_id == study.task_ids[3]
    with store.session() as s:
        assert s.scalars(select(WorkerSession.task_ids)).one() == study.task_ids[3:]
