"""Review extras: qualifications, notifications, workers' history, link-out codes (bonuses: tests/crowd)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from workbench import events
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench import review
from workbench.errors import ConflictError
from workbench.crowd import listing
from workbench.store.models import Assignment, QualificationGrant, WorkerSession

from .conftest import work

SPEC = WorkSpec(title="Label", description="Pick a label", reward_cents=20)


def _submitted(mt, sim, study, worker="A1W", task_index=0):
    hit_id = mt.create_work("cats", study.task_ids[task_index:task_index + 1], SPEC).hit_ids[0]
    assignment_id = work(sim, hit_id, worker)
    mt.sync()
    return assignment_id


def test_qualification_types_grant_and_revoke(mt, sim, study, store):
    qual = mt.create_qualification("trained", "Passed our training")
    assert mt.create_qualification("trained", "Passed our training").id == qual.id
    mt.grant(qual.qualification_type_id, "A1W", 3)
    score = sim.client().get_qualification_score(QualificationTypeId=qual.qualification_type_id, WorkerId="A1W")
    assert score["Qualification"]["IntegerValue"] == 3
    mt.revoke(qual.qualification_type_id, "A1W", reason="expired")
    with store.session() as s:
        grant = s.scalars(select(QualificationGrant)).one()
    assert grant.status == "revoked" and grant.revoked_at is not None
    spec = WorkSpec(title="Only trained", description="d", reward_cents=5,
                    qualifications={"custom": [{"qualification_type_id": qual.qualification_type_id,
                                                "comparator": "GreaterThanOrEqualTo", "values": [2]}]})
    hit_id = mt.create_work("cats", study.task_ids[:1], spec).hit_ids[0]
    with pytest.raises(RuntimeError, match="does not meet"):
        SimulatedWorker(sim.url, "A1W").accept(hit_id)
    mt.grant(qual.qualification_type_id, "A1W", 2)
    assert SimulatedWorker(sim.url, "A1W").accept(hit_id)["HITId"] == hit_id


def test_notify_workers_and_their_history(mt, sim, study, store):
    assignment_id = _submitted(mt, sim, study, worker="A1KNOWN")
    mt.approve(assignment_id)
    review.bonus(mt, assignment_id, 5, "thanks")
    sent = mt.notify(["A1KNOWN", "A1STRANGER"], "New HITs", "We posted more work.")
    assert sent["sent"] == 1 and sent["failures"][0]["worker_id"] == "A1STRANGER"
    with store.session() as s:
        history = listing.worker(s, "mturk", "A1KNOWN")
        listed = listing.assignments(s, "mturk", "local", status="approved", worker_id="A1KNOWN", project="cats")
    assert [a["assignment_id"] for a in history["assignments"]] == [assignment_id]
    assert history["bonuses"][0]["amount_cents"] == 5 and listed[0]["assignment_id"] == assignment_id


def test_link_out_codes_are_checked_at_ingest_and_review(mt, sim, study, store):
    spec = WorkSpec(title="Chat with an agent", description="Open the link", reward_cents=100, mode="link-out",
                    max_assignments=4)
    hit_id = mt.create_work("cats", [None], spec).hit_ids[0]
    honest, typo, copycat, stranger = "A1HONEST", "A1TYPO", "A1COPY", "A1STRANGER"
    accepted = {w: SimulatedWorker(sim.url, w).accept(hit_id) for w in (honest, typo, copycat, stranger)}
    code = secrets.token_hex(8).upper()
    with store.transaction() as s:  # what the server's link-out flow records
        for w in (honest, typo, copycat):
            own = code if w == honest else secrets.token_hex(8).upper()
            s.add(WorkerSession(assignment_id=accepted[w]["AssignmentId"], worker_id=w, hit_id=hit_id,
                                project_id=study.project.id, token=secrets.token_hex(16), completion_code=own,
                                status="completed"))
    # The honest worker types the code in lower case; the stranger never opened the link.
    for w, given in ((honest, code.lower()), (typo, "nope"), (copycat, code), (stranger, code)):
        SimulatedWorker(sim.url, w).submit_to_mturk(accepted[w]["AssignmentId"], {"completion_code": given})
    mt.sync()
    result = mt.ingest()
    assert result.link_out == 4 and result.ingested == 0
    report = mt.reconcile(project="cats")
    verdicts = {d.worker_id: d.detail for d in report.disagreements if d.kind == "bad_code"}
    assert verdicts == {typo: "completion code wrong", copycat: "completion code copied",
                        stranger: "completion code no_session"}
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(WorkerSession)) == 3
        honest_row = s.scalars(select(Assignment).where(Assignment.worker_id == honest)).one()
    assert honest_row.payload["ingest"] == {"outcome": "link_out", "code": "ok"}
    # Review sees each verdict, and approving a bad code needs an explicit override (issue 15).
    queue = {item["worker_id"]: item for item in review.queue(mt, project="cats")}
    assert {w: (i["code_verdict"], i["needs_override"]) for w, i in queue.items()} == {
        honest: ("ok", False), typo: ("wrong", True), copycat: ("copied", True), stranger: ("no_session", True)}
    assert review.approve(mt, accepted[honest]["AssignmentId"]).status == "approved"
    for w, verdict in ((typo, "wrong"), (copycat, "copied"), (stranger, "no_session")):
        with pytest.raises(ConflictError) as caught:
            review.approve(mt, accepted[w]["AssignmentId"])
        assert caught.value.field == "override" and caught.value.context["code_verdict"] == verdict
    assert review.approve_all(mt, [accepted[typo]["AssignmentId"]])["failed"]
    assert sim.client().get_assignment(AssignmentId=accepted[typo]["AssignmentId"])["Assignment"][
        "AssignmentStatus"] == "Submitted"
    assert review.approve(mt, accepted[typo]["AssignmentId"], override=True).status == "approved"


def test_a_link_out_worker_who_found_no_task_is_told_apart_at_ingest_and_review(mt, sim, study, store):
    """They get a code (no dead end), but review sees a code with no annotation behind it, not finished work."""
    from workbench.crowd import worker_sessions
    from workbench.study import tasks

    spec = WorkSpec(title="Label", description="Open the link", reward_cents=10, mode="link-out", max_assignments=1)
    hit_id = mt.create_work("cats", [None], spec).hit_ids[0]
    with store.transaction() as s:
        for task_id in study.task_ids:  # nothing left to do in the project
            tasks.set_status(s, task_id, "complete", actor="test", reason="done")
    worker = SimulatedWorker(sim.url, "A1LATE")
    accepted = worker.accept(hit_id)
    with store.transaction() as s:
        visit = worker_sessions.start_or_resume(s, "mturk", accepted["AssignmentId"], "A1LATE", hit_id, "cats",
                                                close_if_no_task=True)
        code = worker_sessions.complete(s, visit.session)
    worker.submit_to_mturk(accepted["AssignmentId"], {"completion_code": code})
    mt.sync()
    assert mt.ingest().link_out == 1
    with store.session() as s:
        row = s.scalars(select(Assignment).where(Assignment.worker_id == "A1LATE")).one()
    assert row.payload["ingest"] == {"outcome": "link_out", "code": "no_task"}
    [found] = mt.reconcile(project="cats").disagreements
    assert (found.kind, found.worker_id) == ("no_task", "A1LATE") and "no annotation" in found.detail
