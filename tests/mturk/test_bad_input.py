"""Bad input gets a clear error naming the field and the reason, and leaves the store as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench import review
from workbench.errors import ConflictError, NotFoundError, ValidationError, WorkbenchError
from workbench.crowd.providers import WorkSpec, get_provider
from workbench.crowd.providers.mturk import answers
from workbench.crowd.providers.mturk.client import MTurkError, ProductionNotConfirmed, make_client
from workbench.store.models import Assignment, Bonus, Event

from .conftest import work

SPEC = WorkSpec(title="Label", description="Pick a label", reward_cents=40, max_assignments=1)


def _count(store, model) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _one_submitted(mt, sim, study):
    hit_id = mt.create_work("cats", study.task_ids[:1], SPEC).hit_ids[0]
    assignment_id = work(sim, hit_id, "A1BAD")
    mt.sync()
    return hit_id, assignment_id


def test_unknown_hit_id(mt, study):
    for action in (lambda: mt.extend("NOSUCHHIT0000000000000000000", assignments=1),
                   lambda: mt.expire("NOSUCHHIT0000000000000000000")):
        with pytest.raises(NotFoundError) as caught:
            action()
        assert caught.value.status == 404 and "NOSUCHHIT" in str(caught.value)
    with pytest.raises(MTurkError) as caught:  # associate asks MTurk, which names the reason
        mt.associate("NOSUCHHIT0000000000000000000", "cats")
    assert caught.value.status == 404 and caught.value.turk_code == "AWS.MechanicalTurk.HITDoesNotExist"


def test_rejecting_an_approved_assignment(mt, sim, study, store):
    _, assignment_id = _one_submitted(mt, sim, study)
    mt.approve(assignment_id)
    events_before = _count(store, Event)
    with pytest.raises(ConflictError) as caught:
        mt.reject(assignment_id, "changed my mind")
    assert caught.value.field == "assignment_id" and "cannot be rejected" in caught.value.reason
    assert _count(store, Event) == events_before
    assert sim.client().get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Approved"


def test_reject_needs_feedback_and_approve_over_rejection_needs_override(mt, sim, study):
    _, assignment_id = _one_submitted(mt, sim, study)
    with pytest.raises(ValidationError) as caught:
        mt.reject(assignment_id, "  ")
    assert caught.value.field == "feedback"
    mt.reject(assignment_id, "Wrong label")
    with pytest.raises(ConflictError) as caught:
        mt.approve(assignment_id)
    assert caught.value.field == "override"
    assert mt.approve(assignment_id, override=True).status == "approved"


def test_bonus_over_the_balance_is_refused_before_mturk_is_asked(mt, sim, study, store):
    _, assignment_id = _one_submitted(mt, sim, study)
    sim.set_balance("1.00")
    sim.reset_call_count()
    with pytest.raises(ValidationError) as caught:
        review.bonus(mt, assignment_id, 90, "great")  # 0.90 + 0.18 fee > 1.00
    assert caught.value.field == "amount_cents" and "balance" in caught.value.reason
    assert "SendBonus" not in sim.call_count and _count(store, Bonus) == 0
    assert review.bonus(mt, assignment_id, 80, "great").status == "paid"  # 0.80 + 0.16 fits


def test_bonus_amount_and_reason(mt, sim, study):
    _, assignment_id = _one_submitted(mt, sim, study)
    for amount, reason, field in ((0, "r", "amount_cents"), (1.5, "r", "amount_cents"), (10, "", "reason")):
        with pytest.raises(ValidationError) as caught:
            review.bonus(mt, assignment_id, amount, reason)
        assert caught.value.field == field


@pytest.mark.parametrize("xml, reason", [
    ('<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     '<QuestionFormAnswers><Answer><QuestionIdentifier>result</QuestionIdentifier><FreeText>&b;</FreeText>'
     '</Answer></QuestionFormAnswers>', "hostile XML"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><QuestionFormAnswers>'
     '<Answer><QuestionIdentifier>result</QuestionIdentifier><FreeText>&e;</FreeText></Answer>'
     '</QuestionFormAnswers>', "hostile XML"),
    ("<QuestionFormAnswers><Answer>", "not well-formed"),
    ("<Other/>", "not <QuestionFormAnswers>"),
])
def test_malformed_or_hostile_answer_xml(xml, reason):
    with pytest.raises(ValidationError) as caught:
        answers.parse(xml)
    assert caught.value.field == "answer" and reason in caught.value.reason


def test_hostile_answer_from_mturk_is_refused_at_ingest_not_expanded(mt, sim, study, store):
    hit_id, assignment_id = _one_submitted(mt, sim, study)
    bomb = ('<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            '<QuestionFormAnswers><Answer><QuestionIdentifier>result</QuestionIdentifier>'
            '<FreeText>&b;</FreeText></Answer></QuestionFormAnswers>')
    with sim.store.transaction() as s:  # a hostile MTurk (or a man in the middle) hands this back
        s.conn.execute("UPDATE assignments SET answer=? WHERE id=?", (bomb, assignment_id))
    mt.client.update_hit_review_status(HITId=hit_id)  # so that sync looks at it again
    mt.sync(statuses=("Reviewing",))
    result = mt.ingest()
    assert (result.ingested, result.invalid) == (0, 1)
    with store.session() as s:
        a = s.scalars(select(Assignment)).one()
        assert a.payload["ingest"]["outcome"] == "invalid"
        assert a.payload["ingest"]["error"]["field"] == "answer" and "aaaaaaaaaa" not in str(a.answer)


def test_production_without_confirmation(store, monkeypatch):
    monkeypatch.setenv("MTURK_ENVIRONMENT", "production")
    with pytest.raises(ProductionNotConfirmed) as caught:
        get_provider("mturk", store=store)
    assert caught.value.field == "environment" and "confirm" in caught.value.hint
    with pytest.raises(ProductionNotConfirmed):
        make_client("production")
    client = make_client("production", confirm_production=True)
    assert client.meta.endpoint_url == "https://mturk-requester.us-east-1.amazonaws.com"


def test_unknown_environment(store):
    with pytest.raises(ValidationError) as caught:
        get_provider("mturk", environment="staging", store=store)
    assert caught.value.field == "environment"
    with pytest.raises(ValidationError) as caught:
        get_provider("crowdflower", store=store)
    assert caught.value.field == "provider" and "mturk" in caught.value.reason and "prolific" in caught.value.reason


def test_work_spec_checks(mt, study):
    with pytest.raises(ValidationError) as caught:
        WorkSpec(title="", description="d", reward_cents=10)
    assert caught.value.field == "title"
    with pytest.raises(ValidationError) as caught:
        WorkSpec(title="t", description="d", reward_cents=10, mode="popup")
    assert caught.value.field == "mode"
    with pytest.raises(ValidationError) as caught:
        mt.create_work("cats", [987654], SPEC)
    assert caught.value.field == "task_ids"
    with pytest.raises(ValidationError) as caught:
        mt.create_work("cats", study.task_ids[:1],
                       WorkSpec(title="t", description="d", reward_cents=10, qualifications={"locales": ["USA"]}))
    assert caught.value.field == "qualifications.locales"
    assert isinstance(caught.value, WorkbenchError)
