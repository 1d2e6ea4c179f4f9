"""Review on MTurk: approve (also over an earlier rejection), reject with feedback, bonus calls, block, notify.

MTurk is asked first and the store records what happened, with its Event, afterwards.
Bonuses are decided by the payment ledger (``workbench.crowd.payments``); this module only
makes the two calls it needs: SendBonus with the intent's token, and ListBonusPayments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from sqlalchemy import select

from workbench import events
from workbench.errors import ConflictError, ValidationError
from workbench.store.models import HIT, Assignment, Worker
from workbench.store.types import utcnow
from .client import MTurkError, call
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


# -- bonuses (the ledger in workbench.crowd.payments decides when) -----------------------

def send_bonus(mt: "MTurkProvider", worker_id: str, assignment_id: str, amount_cents: int, reason: str,
               token: str) -> bool:
    """SendBonus with the intent's token; True when MTurk says this token already paid."""
    try:
        call(mt.client, "SendBonus", WorkerId=worker_id, BonusAmount=dollars(amount_cents),
             AssignmentId=assignment_id, Reason=reason, UniqueRequestToken=token)
    except MTurkError as exc:
        if exc.turk_code != "AWS.MechanicalTurk.DuplicateRequest":
            raise
        return True
    return False


def bonus_payments(mt: "MTurkProvider", *, assignment_id: str | None = None,
                   hit_id: str | None = None) -> list[dict]:
    """ListBonusPayments for one assignment or one HIT, every page."""
    if bool(assignment_id) == bool(hit_id):
        raise ValidationError("assignment_id", "name exactly one of assignment_id and hit_id")
    where = {"AssignmentId": assignment_id} if assignment_id else {"HITId": hit_id}
    out, token = [], None
    while True:
        page = call(mt.client, "ListBonusPayments", MaxResults=100, **where, **({"NextToken": token} if token else {}))
        out.extend({"worker_id": p["WorkerId"], "assignment_id": p["AssignmentId"],
                    "amount_cents": cents(p["BonusAmount"]), "reason": p.get("Reason", ""),
                    "granted_at": aware(p.get("GrantTime"))} for p in page.get("BonusPayments", []))
        token = page.get("NextToken")
        if not token or not page.get("BonusPayments"):
            return out


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
