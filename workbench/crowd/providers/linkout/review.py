"""Review and money on a panel with no API: every decision is recorded here, and paid from the payment sheet.

Approve, reject and bulk approval change the Assignment row with its Event in one transaction; the
rules of ``crowd.review`` (feedback, overrides, code verdicts) come first, as for the others. A
bonus is a ledger intent (``crowd.payments``); ``send_bonus`` records it as owed (a
``link-out.bonus.sent`` Event, once per ledger token), and ``bonus_payments`` reads back what was
recorded so, which is how the ledger confirms it. A block is kept in the store and enforced at the
entry route. What only a platform's API could do (qualifications, messages) is refused, naming the
field and saying what to do on the panel instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import select

from workbench import events
from workbench.crowd import checks
from workbench.errors import ConflictError, ValidationError
from workbench.store.models import HIT, Assignment, Bonus, Event, Worker
from workbench.store.types import utcnow
from .links import PROVIDER

if TYPE_CHECKING:
    from . import LinkOutProvider

#: No account on the panel to draw from: the ledger's fund check passes, the researcher pays from the sheet.
UNLIMITED_CENTS = 10**12
SENT = "link-out.bonus.sent"


def _reviewable(a: Assignment, *, approving: bool, override: bool) -> bool:
    """Whether the decision is still to be made (False: already made); refuses one that cannot be."""
    if a.status == "accepted":
        raise ConflictError(f"session {a.assignment_id} is not finished (run sync after the participant is done)",
                            field="assignment_id", reason="not submitted")
    if approving:
        if a.status == "approved":
            return False
        if a.status == "returned" and not override:
            raise ConflictError(f"session {a.assignment_id} found no task: nothing was done", field="override",
                                reason="no task was done", hint="pass override=True to owe the reward anyway")
        return True
    if a.status == "rejected":
        return False
    if a.status == "approved":
        raise ConflictError(f"session {a.assignment_id} was approved: the payment sheet owes it", field="assignment_id",
                            reason="already approved")
    return True


def _decide(lo: "LinkOutProvider", ids: Sequence[str], status: str, actor: str, *, feedback: str = "",
            override: bool = False, **details: Any) -> list[Assignment]:
    """Approve or reject ``ids`` in one transaction: all, or (on a refusal) none."""
    approving = status == "approved"
    with lo.store.transaction() as s:
        rows = [checks.assignment(s, lo, a, for_update=True) for a in ids]
        now = utcnow()
        for row in rows:
            if not _reviewable(row, approving=approving, override=override):
                continue
            row.status = status
            if approving:
                row.approval_time = now
            else:
                row.rejection_time = now
            if feedback or not approving:
                row.feedback = feedback
            events.record(s, f"link-out.assignment.{status}", actor=actor, project_id=checks.project_of(s, row),
                          assignment_id=row.assignment_id, worker_id=row.worker_id, feedback=feedback, **details)
    return rows


def approve(lo: "LinkOutProvider", assignment_id: str, *, feedback: str = "", override: bool = False,
            actor: str = "") -> Assignment:
    feedback = checks.text("feedback", feedback, lo.limits["feedback"], required=False)
    return _decide(lo, [assignment_id], "approved", actor, feedback=feedback, override=override,
                   override_used=override)[0]


def reject(lo: "LinkOutProvider", assignment_id: str, feedback: str, *, actor: str = "") -> Assignment:
    feedback = checks.text("feedback", feedback, lo.limits["feedback"], required=True,
                           shown_to="the participant on the payment sheet")
    return _decide(lo, [assignment_id], "rejected", actor, feedback=feedback)[0]


def bulk_approve(lo: "LinkOutProvider", assignment_ids: Sequence[str], *, actor: str = "") -> int:
    """Approve many sessions at once: every one, or none when one cannot be."""
    ids = list(dict.fromkeys(assignment_ids))
    if not ids:
        return 0
    return len(_decide(lo, ids, "approved", actor, bulk=True))


# -- bonuses ------------------------------------------------------------------------------

def _sent(s, tokens: list[str]) -> dict[str, Event]:
    if not tokens:
        return {}
    found = s.scalars(select(Event).where(Event.type == SENT, Event.payload["token"].as_string().in_(tokens)))
    return {e.payload["token"]: e for e in found}


def send_bonus(lo: "LinkOutProvider", worker_id: str, assignment_id: str, amount_cents: int, reason: str,
               token: str) -> bool:
    """Record the bonus as owed (once per token); True when it was recorded before."""
    with lo.store.transaction() as s:
        a = checks.assignment(s, lo, assignment_id, for_update=True)  # one recorder of this assignment at a time
        if _sent(s, [token]):
            return True
        events.record(s, SENT, project_id=checks.project_of(s, a), token=token, assignment_id=assignment_id,
                      worker_id=worker_id, amount_cents=amount_cents, reason=reason)
    return False


def bonus_payments(lo: "LinkOutProvider", *, assignment_id: str | None = None,
                   hit_id: str | None = None) -> list[dict[str, Any]]:
    """The bonuses recorded as owed, for one session or one link, from the ledger's rows."""
    if assignment_id is None and hit_id is None:
        raise ValidationError("assignment_id", "give an assignment id or a link id")
    with lo.store.session() as s:
        stmt = (select(Bonus, Assignment.assignment_id).join(Assignment, Assignment.id == Bonus.assignment_pk)
                .where(Bonus.provider == PROVIDER).order_by(Bonus.id))
        if assignment_id is not None:
            stmt = stmt.where(Assignment.assignment_id == assignment_id)
        if hit_id is not None:
            stmt = stmt.join(HIT, HIT.id == Assignment.hit_pk).where(HIT.hit_id == hit_id)
        rows = s.execute(stmt).all()
        sent = _sent(s, [b.unique_request_token for b, _ in rows])
    return [{"worker_id": b.worker_id, "assignment_id": aid, "amount_cents": b.amount_cents, "reason": b.reason,
             "granted_at": sent[b.unique_request_token].ts} for b, aid in rows if b.unique_request_token in sent]


def balance(lo: "LinkOutProvider") -> int:
    return UNLIMITED_CENTS


# -- participants ----------------------------------------------------------------------------

def _worker(s, worker_id: str) -> Worker:
    row = s.scalars(select(Worker).where(Worker.provider == PROVIDER, Worker.worker_id == worker_id)
                    .with_for_update()).first()
    if row is None:
        now = utcnow()
        row = Worker(provider=PROVIDER, worker_id=worker_id, first_seen_at=now, last_seen_at=now)
        s.add(row)
    return row


def block(lo: "LinkOutProvider", worker_id: str, reason: str, *, actor: str = "") -> dict[str, Any]:
    """Refuse the participant at the entry route from now on (a session begun may still be finished)."""
    checks.ident("worker_id", worker_id)
    reason = checks.text("reason", reason, lo.limits["block_reason"], required=True, shown_to="the researcher")
    with lo.store.transaction() as s:
        row = _worker(s, worker_id)
        row.blocked, row.block_reason = True, reason
        events.record(s, "link-out.worker.blocked", actor=actor, worker_id=worker_id, reason=reason)
    return {"worker_id": worker_id, "blocked": True}


def unblock(lo: "LinkOutProvider", worker_id: str, *, reason: str = "", actor: str = "") -> dict[str, Any]:
    with lo.store.transaction() as s:
        row = _worker(s, checks.ident("worker_id", worker_id))
        row.blocked, row.block_reason = False, ""
        events.record(s, "link-out.worker.unblocked", actor=actor, worker_id=worker_id, reason=reason)
    return {"worker_id": worker_id, "blocked": False}


def no_api(field: str, what: str, instead: str) -> ValidationError:
    """The refusal of what only a platform's API could do."""
    return ValidationError(field, f"a link-out panel has no API: the workbench cannot {what} there", hint=instead)
