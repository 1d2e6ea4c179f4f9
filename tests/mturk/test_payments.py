"""The payment ledger from Python: a bonus is paid exactly once, whoever retries and whatever is lost on the way.

Expected figures come from outside the code under test:
- MTurk's fee on a bonus is 20 % of the amount, at least $0.01 (MTurk pricing, requester.mturk.com/pricing);
- SendBonus's UniqueRequestToken is honoured for 24 hours, a repeat within them answers
  ``AWS.MechanicalTurk.DuplicateRequest`` (AWS MTurk API reference, SendBonus);
- ListBonusPayments lists the bonuses paid for one assignment or one HIT (API reference, ListBonusPayments).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from workbench import review
from workbench.crowd import payments
from workbench.errors import ConflictError, ValidationError, WorkbenchError
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.store.models import Bonus, Event
from workbench.store.types import utcnow
from tests.concurrently import concurrently

from .conftest import work

SPEC = WorkSpec(title="Label", description="Pick a label", reward_cents=20)


def _submitted(mt, sim, study, worker="A1PAY", task_index=0):
    hit_id = mt.create_work("cats", study.task_ids[task_index:task_index + 1], SPEC).hit_ids[0]
    assignment_id = work(sim, hit_id, worker)
    mt.sync()
    return assignment_id


def _paid_at_mturk(sim, assignment_id):
    return sim.client().list_bonus_payments(AssignmentId=assignment_id)["BonusPayments"]


def _rows(store):
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(Bonus))


def _no_retry_provider(store, sim):
    """A provider whose boto3 client does not retry: a lost answer reaches the ledger as an error."""
    return MTurkProvider(store, client=sim.client(retries={"total_max_attempts": 1}))


def test_the_same_bonus_again_is_already_paid_and_pays_nothing(mt, sim, study, store):
    assignment_id = _submitted(mt, sim, study)
    before = mt.balance()
    first = review.bonus(mt, assignment_id, 50, "Thorough")
    again = review.bonus(mt, assignment_id, 50, "Thorough")
    assert (first.already_paid, again.already_paid) == (False, True)
    assert first.id == again.id and first.confirmed
    assert "already paid" in again.summary and "new key" in again.summary
    assert len(_paid_at_mturk(sim, assignment_id)) == 1
    assert before - mt.balance() == 50 + 10  # 20 % fee on $0.50
    assert _rows(store) == 1


def test_a_lost_answer_is_confirmed_not_repaid(store, sim, study):
    mt = _no_retry_provider(store, sim)
    assignment_id = _submitted(mt, sim, study)
    sim.faults.update(lose_answers=1, operations=["SendBonus"])
    with pytest.raises(WorkbenchError):
        review.bonus(mt, assignment_id, 30, "Careful")  # MTurk paid; the answer never came
    with store.session() as s:
        row = s.scalars(select(Bonus)).one()
        assert row.status == "pending" and row.attempted_at is not None and row.error
    sim.faults.clear()
    sim.reset_call_count()
    retried = review.bonus(mt, assignment_id, 30, "Careful")
    assert retried.already_paid and retried.status == "paid" and retried.confirmed
    assert "SendBonus" not in sim.call_count  # found in ListBonusPayments: MTurk was not asked again
    assert len(_paid_at_mturk(sim, assignment_id)) == 1


def test_a_lost_answer_is_not_repaid_after_the_token_has_expired(store, sim, study):
    mt = _no_retry_provider(store, sim)
    assignment_id = _submitted(mt, sim, study)
    sim.faults.update(lose_answers=1, operations=["SendBonus"])
    with pytest.raises(WorkbenchError):
        review.bonus(mt, assignment_id, 30, "Careful")
    sim.faults.clear()
    sim.clock.advance(25 * 3600)  # MTurk forgets a UniqueRequestToken after 24 hours
    assert review.bonus(mt, assignment_id, 30, "Careful").already_paid
    assert len(_paid_at_mturk(sim, assignment_id)) == 1


def test_a_send_left_in_flight_by_a_dead_process_waits_out_its_lease_then_pays_once(store, sim, study, monkeypatch):
    """A process killed after claiming an intent, before MTurk paid it, leaves the row claimed with no error: another
    caller does not send it while the claim is fresh (409 naming the key), and once it is stale a retry pays it."""
    monkeypatch.setattr(payments, "IN_FLIGHT_WAIT", 3.0)
    mt = _no_retry_provider(store, sim)
    assignment_id = _submitted(mt, sim, study)
    sim.faults.update(throttle_rate=1.0, operations=["SendBonus"])
    with pytest.raises(WorkbenchError):
        review.bonus(mt, assignment_id, 30, "Careful")  # refused: nothing paid, the intent is recorded
    sim.faults.clear()
    with store.transaction() as s:  # what a process killed right after claiming the intent leaves behind
        row = s.scalars(select(Bonus)).one()
        row.error, row.attempted_at = "", utcnow()
    with pytest.raises(ConflictError) as caught:
        review.bonus(mt, assignment_id, 30, "Careful")
    assert caught.value.field == "key" and "in progress" in caught.value.reason
    assert _paid_at_mturk(sim, assignment_id) == []
    time.sleep(3.2)  # the claim is stale: its process is taken for dead
    paid = review.bonus(mt, assignment_id, 30, "Careful")
    assert paid.status == "paid" and len(_paid_at_mturk(sim, assignment_id)) == 1
    assert review.bonus(mt, assignment_id, 30, "Careful").already_paid
    assert len(_paid_at_mturk(sim, assignment_id)) == 1


def test_botocores_own_retry_of_a_lost_answer_pays_once(mt, sim, study, store):
    """The retrying client sends the same token again; MTurk answers DuplicateRequest, the ledger records paid."""
    assignment_id = _submitted(mt, sim, study)
    sim.faults.update(lose_answers=1, operations=["SendBonus"])
    result = review.bonus(mt, assignment_id, 30, "Careful")
    assert result.status == "paid" and result.already_paid  # nothing was paid by the call that answered
    assert sim.call_count["SendBonus"] == 2 and len(_paid_at_mturk(sim, assignment_id)) == 1


def test_a_deliberate_second_bonus_needs_a_new_key(mt, sim, study, store):
    assignment_id = _submitted(mt, sim, study)
    review.bonus(mt, assignment_id, 20, "Great")
    second = review.bonus(mt, assignment_id, 20, "Great", key="week-2")
    assert not second.already_paid and second.key == "week-2"
    assert review.bonus(mt, assignment_id, 20, "Great", key="week-2").already_paid
    with pytest.raises(ConflictError) as caught:
        review.bonus(mt, assignment_id, 99, "Great", key="week-2")  # a key names one bonus
    assert caught.value.field == "key"
    for bad in ("", " x", "auto:mine", "row-1", "a" * 121, 5):
        with pytest.raises(ValidationError) as caught:
            review.bonus(mt, assignment_id, 20, "Great", key=bad)
        assert caught.value.field == "key"
    assert len(_paid_at_mturk(sim, assignment_id)) == 2 and _rows(store) == 2


def test_concurrent_requests_for_one_bonus_pay_it_once(mt, sim, study, store):
    assignment_id = _submitted(mt, sim, study)
    sim.faults.update(latency_ms=30)  # the calls overlap
    results, errors = concurrently(lambda: review.bonus(mt, assignment_id, 40, "Quick and right"))
    assert not errors, errors
    assert len({r.id for r in results}) == 1 and _rows(store) == 1
    assert len(_paid_at_mturk(sim, assignment_id)) == 1


def test_bonus_input_is_checked_before_anything_is_recorded(mt, sim, study, store):
    assignment_id = _submitted(mt, sim, study)
    for amount, reason, field in ((0, "r", "amount_cents"), (1.5, "r", "amount_cents"), (True, "r", "amount_cents"),
                                  (10**7, "r", "amount_cents"), (10, "", "reason"), (10, "x" * 4097, "reason")):
        with pytest.raises(ValidationError) as caught:
            review.bonus(mt, assignment_id, amount, reason)
        assert caught.value.field == field
    assert _rows(store) == 0


def test_reconcile_reports_what_only_one_side_holds(mt, sim, study, store):
    assignment_id = _submitted(mt, sim, study)
    review.bonus(mt, assignment_id, 25, "Good")
    assert payments.reconcile(mt, project="cats").clean
    # A bonus paid with another tool, straight through boto3, and a ledger row MTurk never saw.
    worker_id = sim.client().get_assignment(AssignmentId=assignment_id)["Assignment"]["WorkerId"]
    sim.client().send_bonus(WorkerId=worker_id, BonusAmount="0.07", AssignmentId=assignment_id, Reason="by hand",
                            UniqueRequestToken="outside-the-ledger")
    with store.transaction() as s:
        known = s.scalars(select(Bonus)).one()
        s.add(Bonus(provider="mturk", assignment_pk=known.assignment_pk, worker_id=worker_id, amount_cents=11,
                    reason="never sent", idempotency_key="ghost", unique_request_token="g" * 64, status="paid"))
    report = payments.reconcile(mt, project="cats")
    assert not report.clean and report.confirmed == 1
    assert [(u["amount_cents"], u["reason"]) for u in report.unknown] == [(7, "by hand")]
    assert [r["key"] for r in report.not_shown] == ["ghost"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(Event.type == "mturk.payments.reconciled")) == 2


def test_approving_a_rejected_assignment_needs_an_explicit_override(mt, sim, study, store):
    assignment_id = _submitted(mt, sim, study)
    review.reject(mt, assignment_id, "Not a cat.")
    with pytest.raises(ConflictError) as caught:
        review.approve(mt, assignment_id)
    assert caught.value.field == "override"
    # MTurk's own record is unchanged (AssignmentStatus, API reference GetAssignment).
    assert sim.client().get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Rejected"
    assert review.approve_all(mt, [assignment_id])["failed"][0]["assignment_id"] == assignment_id
    assert review.approve(mt, assignment_id, override=True).status == "approved"
    assert sim.client().get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Approved"
