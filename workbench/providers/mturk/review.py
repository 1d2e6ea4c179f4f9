"""Review: approve (also over an earlier rejection), reject with feedback, bonus, block, notify.

MTurk is asked first and the store records what happened, with its Event, afterwards. A
bonus is a Bonus row first: its ``UniqueRequestToken`` derives from the row, so paying the
same row again (a retry, a rerun after a crash) is answered "already done" by MTurk and
never pays twice. A bonus that would overdraw the balance is refused before MTurk is asked.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Sequence

from sqlalchemy import select

from ... import events
from ...errors import ConflictError, NotFoundError, ValidationError
from ...store.models import HIT, Assignment, Bonus, Worker
from ...store.types import utcnow
from .client import MTurkError, call
from .costs import bonus_fee
from .rows import ASSIGNMENT_STATUS, PROVIDER, aware, cents, check_id, dollars, get_assignment, upsert_workers

if TYPE_CHECKING:
    from . import MTurkProvider


def _project_of(s, a: Assignment) -> int | None:
    return s.scalar(select(HIT.project_id).where(HIT.id == a.hit_pk)) if a.hit_pk else None


def _text(field: str, value, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if required and not value.strip():
        raise ValidationError(field, "is required: MTurk shows it to the worker")
    if len(value) > limit:
        raise ValidationError(field, f"must be at most {limit} characters")
    return value


def approve(mt: "MTurkProvider", assignment_id: str, *, feedback: str = "", override: bool = False,
            actor: str = "") -> Assignment:
    feedback = _text("feedback", feedback, 1024, required=False)
    with mt.store.session() as s:
        a = get_assignment(s, assignment_id)
    if a.status == "approved":
        return a
    if a.status == "rejected" and not override:
        raise ConflictError(f"assignment {assignment_id} was rejected", field="override",
                            reason="approving a rejected assignment overrides the rejection",
                            hint="pass override=True (--override) to approve it and pay the worker")
    if a.status not in ("submitted", "rejected"):
        raise ConflictError(f"assignment {assignment_id} is {a.status}; only submitted work can be approved",
                            field="assignment_id", reason=f"status is {a.status}")
    params = {"AssignmentId": assignment_id, "OverrideRejection": a.status == "rejected"}
    if feedback:
        params["RequesterFeedback"] = feedback
    try:
        call(mt.client, "ApproveAssignment", **params)
    except MTurkError as exc:
        if exc.turk_code != "AWS.MechanicalTurk.InvalidAssignmentState":
            raise
        return _adopt_remote(mt, assignment_id, actor, wanted="approved", error=exc)
    return _set(mt, assignment_id, "approved", feedback, actor, override=a.status == "rejected")


def reject(mt: "MTurkProvider", assignment_id: str, feedback: str, *, actor: str = "") -> Assignment:
    feedback = _text("feedback", feedback, 1024, required=True)
    with mt.store.session() as s:
        a = get_assignment(s, assignment_id)
    if a.status == "rejected":
        return a
    if a.status == "approved":
        raise ConflictError(f"assignment {assignment_id} is already approved; MTurk cannot take an approval back",
                            field="assignment_id", reason="an approved assignment cannot be rejected",
                            hint="a worker already paid can be excluded from later work with block or a qualification")
    if a.status != "submitted":
        raise ConflictError(f"assignment {assignment_id} is {a.status}; only submitted work can be rejected",
                            field="assignment_id", reason=f"status is {a.status}")
    try:
        call(mt.client, "RejectAssignment", AssignmentId=assignment_id, RequesterFeedback=feedback)
    except MTurkError as exc:
        if exc.turk_code != "AWS.MechanicalTurk.InvalidAssignmentState":
            raise
        return _adopt_remote(mt, assignment_id, actor, wanted="rejected", error=exc)
    return _set(mt, assignment_id, "rejected", feedback, actor)


def _set(mt, assignment_id: str, status: str, feedback: str, actor: str, *, override: bool = False) -> Assignment:
    with mt.store.transaction() as s:
        a = get_assignment(s, assignment_id, for_update=True)
        before, a.status = a.status, status
        if status == "approved":
            a.approval_time = utcnow()
        else:
            a.rejection_time = utcnow()
        a.feedback = feedback or a.feedback
        events.record(s, f"mturk.assignment.{status}", actor=actor, project_id=_project_of(s, a),
                      assignment_id=assignment_id, worker_id=a.worker_id, before=before, feedback=feedback,
                      override=override)
    return a


def _adopt_remote(mt, assignment_id: str, actor: str, *, wanted: str, error: MTurkError) -> Assignment:
    """MTurk says the state moved on (an auto-approval, a retry that landed): record what it says."""
    remote = call(mt.client, "GetAssignment", AssignmentId=assignment_id)["Assignment"]
    status = ASSIGNMENT_STATUS.get(remote["AssignmentStatus"], "submitted")
    with mt.store.transaction() as s:
        a = get_assignment(s, assignment_id, for_update=True)
        before, a.status = a.status, status
        a.approval_time = aware(remote.get("ApprovalTime")) or a.approval_time
        a.rejection_time = aware(remote.get("RejectionTime")) or a.rejection_time
        events.record(s, "mturk.assignment.refreshed", actor=actor, project_id=_project_of(s, a),
                      assignment_id=assignment_id, before=before, after=status, wanted=wanted)
    if status != wanted:
        raise error
    return a


# -- bonuses ---------------------------------------------------------------------------

def bonus_token(bonus_id: int, assignment_id: str, amount_cents: int) -> str:
    return hashlib.sha256(f"workbench-bonus:{bonus_id}:{assignment_id}:{amount_cents}".encode()).hexdigest()


def bonus(mt: "MTurkProvider", assignment_id: str, amount_cents: int, reason: str, *, actor: str = "") -> Bonus:
    """Pay a bonus for an assignment: recorded first, paid once, refused over the balance."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 1:
        raise ValidationError("amount_cents", "must be a positive whole number of cents")
    reason = _text("reason", reason, 4096, required=True)
    with mt.store.session() as s:
        a = get_assignment(s, assignment_id)
    if a.status not in ("submitted", "approved", "rejected"):
        raise ConflictError(f"assignment {assignment_id} is {a.status}; bonuses go to submitted work",
                            field="assignment_id", reason=f"status is {a.status}")
    _check_funds(mt, amount_cents)
    with mt.store.transaction() as s:
        row = Bonus(provider=PROVIDER, assignment_pk=a.id, worker_id=a.worker_id, amount_cents=amount_cents,
                    reason=reason, unique_request_token=uuid.uuid4().hex, status="pending")
        s.add(row)
        s.flush()
        row.unique_request_token = bonus_token(row.id, assignment_id, amount_cents)
        events.record(s, "mturk.bonus.recorded", actor=actor, project_id=_project_of(s, a), bonus_id=row.id,
                      assignment_id=assignment_id, worker_id=a.worker_id, amount_cents=amount_cents, reason=reason)
    return pay_bonus(mt, row.id, actor=actor)


def pay_bonus(mt: "MTurkProvider", bonus_id: int, *, actor: str = "") -> Bonus:
    """Send a recorded bonus to MTurk; a second call for the same row never pays again."""
    with mt.store.session() as s:
        row = s.get(Bonus, bonus_id)
        if row is None:
            raise NotFoundError("bonus", bonus_id)
        a = s.get(Assignment, row.assignment_pk) if row.assignment_pk else None
    if row.status == "paid":
        return row
    if a is None:
        raise ConflictError(f"bonus {bonus_id} has lost its assignment", field="bonus_id",
                            reason="the assignment was deleted")
    duplicate = False
    try:
        call(mt.client, "SendBonus", WorkerId=row.worker_id, BonusAmount=dollars(row.amount_cents),
             AssignmentId=a.assignment_id, Reason=row.reason, UniqueRequestToken=row.unique_request_token)
    except MTurkError as exc:
        if exc.turk_code != "AWS.MechanicalTurk.DuplicateRequest":
            raise
        duplicate = True  # this very bonus was paid before the crash or the lost answer
    with mt.store.transaction() as s:
        row = s.get(Bonus, bonus_id)
        row.status, row.paid_at = "paid", utcnow()
        events.record(s, "mturk.bonus.paid", actor=actor, project_id=_project_of(s, a), bonus_id=row.id,
                      assignment_id=a.assignment_id, worker_id=row.worker_id, amount_cents=row.amount_cents,
                      already_paid=duplicate)
    return row


def _check_funds(mt: "MTurkProvider", amount_cents: int) -> None:
    available = balance(mt)
    needed = amount_cents + bonus_fee(amount_cents)
    if needed > available:
        raise ValidationError("amount_cents", f"the bonus costs {dollars(needed)} with MTurk's fee but the balance "
                                              f"is {dollars(available)}", balance_cents=available,
                              cost_cents=needed)


def balance(mt: "MTurkProvider") -> int:
    """Available balance in cents."""
    return cents(call(mt.client, "GetAccountBalance")["AvailableBalance"])


# -- workers ---------------------------------------------------------------------------

def block(mt: "MTurkProvider", worker_id: str, reason: str, *, actor: str = "") -> Worker:
    check_id("worker_id", worker_id)
    reason = _text("reason", reason, 1024, required=True)
    call(mt.client, "CreateWorkerBlock", WorkerId=worker_id, Reason=reason)
    return _set_block(mt, worker_id, True, reason, actor)


def unblock(mt: "MTurkProvider", worker_id: str, *, reason: str = "", actor: str = "") -> Worker:
    check_id("worker_id", worker_id)
    reason = _text("reason", reason, 1024, required=False)
    call(mt.client, "DeleteWorkerBlock", WorkerId=worker_id, **({"Reason": reason} if reason else {}))
    return _set_block(mt, worker_id, False, reason, actor)


def _set_block(mt, worker_id: str, blocked: bool, reason: str, actor: str) -> Worker:
    with mt.store.transaction() as s:
        upsert_workers(s, [worker_id])
        row = s.scalars(select(Worker).where(Worker.provider == PROVIDER, Worker.worker_id == worker_id)).one()
        row.blocked, row.block_reason = blocked, reason if blocked else ""
        events.record(s, "mturk.worker.blocked" if blocked else "mturk.worker.unblocked", actor=actor,
                      worker_id=worker_id, reason=reason, environment=mt.environment)
    return row


def notify(mt: "MTurkProvider", worker_ids: Sequence[str], subject: str, message: str, *,
           actor: str = "") -> dict:
    """Message workers (100 per MTurk call); returns those MTurk could not reach, with its reasons."""
    ids = list(dict.fromkeys(worker_ids))
    if not ids:
        raise ValidationError("worker_ids", "name at least one worker")
    for wid in ids:
        check_id("worker_ids", wid)
    subject = _text("subject", subject, 200, required=True)
    message = _text("message", message, 4096, required=True)
    failures = []
    for start in range(0, len(ids), 100):
        answer = call(mt.client, "NotifyWorkers", Subject=subject, MessageText=message, WorkerIds=ids[start:start + 100])
        failures.extend({"worker_id": f["WorkerId"], "code": f.get("NotifyWorkersFailureCode"),
                         "message": f.get("NotifyWorkersFailureMessage")}
                        for f in answer.get("NotifyWorkersFailureStatuses", []))
    with mt.store.transaction() as s:
        events.record(s, "mturk.workers.notified", actor=actor, worker_ids=ids, subject=subject,
                      failed=[f["worker_id"] for f in failures])
    return {"sent": len(ids) - len(failures), "failures": failures}
