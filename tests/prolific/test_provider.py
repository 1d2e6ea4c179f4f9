"""The Prolific provider against the local simulator, on a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, select

from workbench.crowd import payments
from workbench.errors import ConflictError, ValidationError
from workbench.store.models import HIT, Assignment
from workbench.crowd.providers.prolific.client import ProlificUnreachable
from tests.concurrently import concurrently

from .conftest import SPEC, calls, remote_study, take_part


def _codes(store, study_id):
    with store.session() as s:
        return s.scalars(select(HIT).where(HIT.hit_id == study_id)).one().payload["completion_codes"]


def _assignment(store, sub_id):
    with store.session() as s:
        return s.scalars(select(Assignment).where(Assignment.assignment_id == sub_id)).one()


def _submitted(provider, sim, store, study, pid="P1"):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    study_id = made.hit_ids[0]
    start = take_part(sim, pid, study_id, _codes(store, study_id)["complete"])
    sub_id = httpx.URL(start.headers["location"]).params["SESSION_ID"]
    provider.sync()
    return study_id, sub_id


def test_create_work_one_published_study_and_a_rerun_makes_none(provider, sim, store, study):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    assert (made.created, len(made.hit_ids)) == (1, 1)
    remote = remote_study(sim, made.hit_ids[0])
    assert remote["status"] == "ACTIVE"                       # transition PUBLISH
    assert remote["reward"] == 150                            # BaseStudy.reward: cents
    assert remote["total_available_places"] == 8              # 4 tasks × 2 assignments
    assert remote["maximum_allowed_time"] == 30               # BaseStudy: minutes (1800 s)
    assert 2 + 2 * remote["estimated_completion_time"] + 2 * remote["estimated_completion_time"] ** 0.5 <= 30
    url = remote["external_study_url"]
    for placeholder in ("PROLIFIC_PID={{%PROLIFIC_PID%}}", "STUDY_ID={{%STUDY_ID%}}", "SESSION_ID={{%SESSION_ID%}}"):
        assert placeholder in url                             # BaseStudy.external_study_url placeholders
    assert url.startswith("http://wb.invalid/workbench/prolific/entry?") and url.endswith("&project=cats")
    kinds = {c["code_type"]: c["actions"] for c in remote["completion_codes"]}
    assert kinds["COMPLETED"] == [{"action": "MANUALLY_REVIEW"}]  # completion_codes code_type/actions enums
    assert {"NO_CONSENT", "FAILED_ATTENTION_CHECK"} <= set(kinds)
    with store.session() as s:
        row = s.scalars(select(HIT).where(HIT.provider == "prolific")).one()
        assert (row.task_id, row.payload["task_ids"]) == (None, study.task_ids)
    again = provider.create_work(study.project.slug, study.task_ids, SPEC)
    assert (again.created, again.existing, again.hit_ids) == (0, 1, made.hit_ids)
    # a crash between Prolific's answer and the record: the rerun finds the study by its internal_name
    with store.transaction() as s:
        s.execute(delete(HIT).where(HIT.provider == "prolific"))
    recovered = provider.create_work(study.project.slug, study.task_ids, SPEC)
    assert (recovered.created, recovered.recovered, recovered.hit_ids) == (0, 1, made.hit_ids)
    assert sim.status()["studies"] == 1


@pytest.mark.parametrize("sim_faults", [{"processing_reads": 1, "bonus_pay_delay": 0.05}])
def test_participant_sync_processing_then_settled_ingest_approve(provider, sim, store, study):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    study_id = made.hit_ids[0]
    start = take_part(sim, "PARTICIPANT1", study_id, _codes(store, study_id)["complete"])
    assert start.status_code == 302
    params = httpx.URL(start.headers["location"]).params
    assert (params["PROLIFIC_PID"], params["STUDY_ID"]) == ("PARTICIPANT1", study_id) and params["SESSION_ID"]
    sub_id = params["SESSION_ID"]
    first = provider.sync()
    assert first.assignments_new == 1 and first.workers_new == 1
    row = _assignment(store, sub_id)
    assert (row.status, row.payload["prolific_status"], row.worker_id) == ("accepted", "PROCESSING", "PARTICIPANT1")
    assert provider.ingest().link_out == 0
    second = provider.sync()
    assert second.assignments_updated == 1
    assert _assignment(store, sub_id).status == "submitted"   # AWAITING REVIEW
    assert provider.ingest().link_out == 1
    assert provider.ingest().link_out == 0
    provider.approve(sub_id)
    with httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token t"}) as c:
        assert c.get(f"submissions/{sub_id}/").json()["status"] == "APPROVED"
    assert _assignment(store, sub_id).status == "approved"


def test_reject_rules_checked_before_any_call(provider, sim, store, study):
    _, sub_id = _submitted(provider, sim, store, study)
    before = calls(sim)
    with pytest.raises(ValidationError) as refused:
        provider.reject(sub_id, "x" * 99)                     # message: at least 100 chars
    assert refused.value.field == "feedback"
    with pytest.raises(ValidationError):
        provider.reject(sub_id, "x" * 120, category="RUDE")   # rejection_category enum
    assert calls(sim) == before
    provider.reject(sub_id, "y" * 100, category="LOW_EFFORT")
    assert _assignment(store, sub_id).status == "rejected"
    with pytest.raises(ConflictError):
        provider.approve(sub_id, override=True)               # Prolific cannot approve a rejected submission


def test_ledger_pays_once_even_when_the_pay_answer_is_lost(provider, sim, store, study):
    _, sub_id = _submitted(provider, sim, store, study)
    provider.approve(sub_id)
    paid = payments.bonus(provider, sub_id, 50, "thanks for the careful work")
    assert paid.status == "paid" and not paid.already_paid
    again = payments.bonus(provider, sub_id, 50, "thanks for the careful work")
    assert again.already_paid
    real = provider.client.request

    def lost(method, path, **kw):
        answer = real(method, path, **kw)
        if path.endswith("/pay/"):
            raise ProlificUnreachable("the answer was lost")  # the call reached the simulator
        return answer

    provider.client.request = lost
    with pytest.raises(ProlificUnreachable):
        payments.bonus(provider, sub_id, 75, "a second, deliberate bonus")
    provider.client.request = real
    retried = payments.bonus(provider, sub_id, 75, "a second, deliberate bonus")
    assert retried.status == "paid"
    payments.bonus(provider, sub_id, 75, "a second, deliberate bonus")
    sim.flush()
    # the simulator's own record: one payout per intent, and the submission's bonus_payments (cents)
    assert len(sim.store.all("payout")) == 2
    with httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token t"}) as c:
        assert sorted(c.get(f"submissions/{sub_id}/").json()["bonus_payments"]) == [50, 75]


def test_concurrent_requests_for_one_bonus_pay_it_once(provider, sim, store, study):
    """Prolific's pay call is not idempotent (prolific-openapi.yml, PayBonusPayments: "made asynchronously"; each
    call pays): of eight concurrent callers of one intent exactly one may reach it."""
    _, sub_id = _submitted(provider, sim, store, study)
    provider.approve(sub_id)
    results, errors = concurrently(lambda: payments.bonus(provider, sub_id, 40, "quick and right"))
    sim.flush()
    assert not errors, errors
    assert len({r.id for r in results}) == 1 and all(r.status == "paid" for r in results)
    assert len(sim.store.all("payout")) == 1
    with httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token t"}) as c:
        assert c.get(f"submissions/{sub_id}/").json()["bonus_payments"] == [40]


def test_block_refuses_the_participant_at_the_start_page(provider, sim, store, study):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    provider.block("BLOCKED1", "copied answers")
    refused = take_part(sim, "BLOCKED1", made.hit_ids[0], None)
    assert refused.status_code == 403
    assert take_part(sim, "WELCOME1", made.hit_ids[0], None).status_code == 302
    provider.unblock("BLOCKED1")
    assert take_part(sim, "BLOCKED1", made.hit_ids[0], None).status_code == 302


def test_extend_stop_balance_and_groups(provider, sim, store, study):
    made = provider.create_work(study.project.slug, study.task_ids, SPEC)
    study_id = made.hit_ids[0]
    assert provider.extend(study_id, assignments=2).max_assignments == 10
    assert remote_study(sim, study_id)["total_available_places"] == 10
    group = provider.create_qualification("trusted", "people we trust")
    provider.grant(group, "P9")
    provider.revoke(group, "P9")
    assert provider.balance() > 0
    provider.pause(study_id)
    assert remote_study(sim, study_id)["status"] == "PAUSED"
    provider.expire(study_id)
    assert remote_study(sim, study_id)["status"] in ("AWAITING REVIEW", "COMPLETED")
    with pytest.raises(ConflictError):
        provider.delete(study_id)
