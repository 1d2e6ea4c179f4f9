"""Review and money: approve, reject (Prolific's rules checked first), returns, bonuses paid once, balance.

Prolific's bonus pay call is not idempotent (every call pays the whole bulk bonus again), so
``send_bonus`` asks the submission's ``bonus_payments`` first, writes a ``prolific.bonus.pay_requested``
Event (with the ledger's token) before paying, and pays at most once per token: a retry after an
answer that was lost waits for the payment to show rather than paying again.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import select

from workbench import events
from workbench.crowd import payments
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.models import HIT, Assignment, Bonus, Event
from workbench.store.types import utcnow
from .client import ProlificError, ProlificUnreachable
from .studies import PROVIDER

if TYPE_CHECKING:
    from . import ProlificProvider

#: prolific-openapi.yml, the submission transition's ``rejection_category`` enum, and its message rule.
REJECTION_CATEGORIES = ("TOO_QUICKLY", "TOO_SLOWLY", "FAILED_INSTRUCTIONS", "INCOMP_LONGITUDINAL", "FAILED_CHECK",
                        "LOW_EFFORT", "MALINGERING", "NO_CODE", "BAD_CODE", "NO_DATA", "UNSUPP_DEVICE", "OTHER")
MIN_REJECTION_MESSAGE = 100
#: How long a paid bonus is waited for to show on the submission (Prolific pays asynchronously).
SHOW_WAIT = 5.0


def _assignment(s, assignment_id: str) -> Assignment:
    row = s.scalars(select(Assignment).where(Assignment.provider == PROVIDER,
                                             Assignment.assignment_id == assignment_id)).first()
    if row is None:
        raise NotFoundError("assignment", assignment_id, hint="run the Prolific sync to fetch new submissions")
    return row


def _study_of(s, row: Assignment) -> str:
    hit = s.get(HIT, row.hit_pk) if row.hit_pk else None
    if hit is None:
        raise ConflictError(f"submission {row.assignment_id} has no recorded study", field="assignment_id")
    return hit.hit_id


def _settle(pr: "ProlificProvider", assignment_id: str, status: str, event: str, actor: str, **details) -> Assignment:
    with pr.store.transaction() as s:
        row = _assignment(s, assignment_id)
        row.status = status
        now = utcnow()
        if status == "approved":
            row.approval_time = now
        if status == "rejected":
            row.rejection_time = now
        if "feedback" in details:
            row.feedback = details["feedback"]
        row.payload = {**(row.payload or {}), "prolific_status": status.upper(), "settled": True}
        events.record(s, event, actor=actor, hit_id=_study_of(s, row), assignment_id=assignment_id,
                      worker_id=row.worker_id, status=status, **details)
    return row


def approve(pr: "ProlificProvider", assignment_id: str, *, feedback: str = "", override: bool = False,
            actor: str = "") -> Assignment:
    """Approve a submission. Prolific cannot approve one it rejected: that is refused, ``override`` or not."""
    with pr.store.session() as s:
        _assignment(s, assignment_id)
    remote = pr.client.get(f"submissions/{assignment_id}/")
    if remote.get("status") == "REJECTED":
        raise ConflictError(f"submission {assignment_id} was rejected: Prolific cannot approve a rejected submission"
                            + (" (override is not possible on Prolific)" if override else ""),
                            field="assignment_id", reason="rejected on Prolific",
                            hint="pay the participant a bonus instead")
    _transition(pr, assignment_id, remote, {"action": "APPROVE"}, "APPROVED")
    return _settle(pr, assignment_id, "approved", "prolific.submission.approved", actor)


def _transition(pr: "ProlificProvider", assignment_id: str, remote: dict, body: dict, reached: str) -> None:
    """Ask Prolific for a transition unless the submission (``remote``, as just read) shows ``reached``. A refusal
    while it reads ``reached`` now is an earlier call whose answer was lost (or the client's retry of it): done."""
    if remote.get("status") == reached:
        return
    try:
        pr.client.post(f"submissions/{assignment_id}/transition/", body, idempotent=True)
    except ProlificError:
        if pr.client.get(f"submissions/{assignment_id}/").get("status") != reached:
            raise


def check_rejection(feedback: Any, category: Any) -> tuple[str, str]:
    if not isinstance(feedback, str) or len(feedback.strip()) < MIN_REJECTION_MESSAGE:
        raise ValidationError("feedback", f"Prolific needs a rejection message of at least {MIN_REJECTION_MESSAGE} "
                                          f"characters (this one has {len(feedback or '') if isinstance(feedback, str) else 0})")
    if category not in REJECTION_CATEGORIES:
        raise ValidationError("category", f"must be one of {', '.join(REJECTION_CATEGORIES)}")
    return feedback, category


def reject(pr: "ProlificProvider", assignment_id: str, feedback: str, *, category: str = "OTHER",
           actor: str = "") -> Assignment:
    """Reject with Prolific's rules checked before any call: a message of 100+ characters and a category.

    A submission Prolific already shows REJECTED (an earlier call whose answer was lost, or the client's own retry
    of it, which Prolific refuses) is recorded as rejected, and not asked again."""
    feedback, category = check_rejection(feedback, category)
    with pr.store.session() as s:
        _assignment(s, assignment_id)
    _transition(pr, assignment_id, pr.client.get(f"submissions/{assignment_id}/"),
                {"action": "REJECT", "message": feedback, "rejection_category": category}, "REJECTED")
    return _settle(pr, assignment_id, "rejected", "prolific.submission.rejected", actor, feedback=feedback,
                   category=category)


def bulk_approve(pr: "ProlificProvider", assignment_ids: Sequence[str], *, actor: str = "") -> int:
    """Approve many submissions of one study in one call (``POST submissions/bulk-approve/``)."""
    ids = list(dict.fromkeys(assignment_ids))
    if not ids:
        return 0
    with pr.store.session() as s:
        studies = {_study_of(s, _assignment(s, a)) for a in ids}
    if len(studies) != 1:
        raise ValidationError("assignment_ids", "bulk approval takes the submissions of one study")
    pr.client.post("submissions/bulk-approve/", {"study_id": studies.pop(), "submission_ids": ids}, idempotent=True)
    for a in ids:
        _settle(pr, a, "approved", "prolific.submission.approved", actor, bulk=True)
    return len(ids)


def request_return(pr: "ProlificProvider", assignment_id: str, reasons: Sequence[str], *, actor: str = "") -> Any:
    reasons = [r for r in reasons if isinstance(r, str) and r.strip()]
    if not reasons:
        raise ValidationError("reasons", "give at least one reason for asking the participant to return")
    with pr.store.session() as s:
        row = _assignment(s, assignment_id)
    answer = pr.client.post(f"submissions/{assignment_id}/request-return/", {"request_return_reasons": reasons},
                            idempotent=True)
    with pr.store.transaction() as s:
        events.record(s, "prolific.submission.return_requested", actor=actor, assignment_id=assignment_id,
                      worker_id=row.worker_id, reasons=reasons)
    return answer


# -- bonuses --------------------------------------------------------------------------------

def _paid_cents(pr: "ProlificProvider", assignment_id: str) -> tuple[list[int], dict]:
    sub = pr.client.get(f"submissions/{assignment_id}/")
    return [int(x) for x in sub.get("bonus_payments") or []], sub


def _others_paid(s, assignment_pk: int, amount: int, token: str) -> int:
    """The other intents of this amount for the submission that may have reached it (``payments.given``): paid,
    of unknown outcome, or being sent now. Counting only the paid ones would take a concurrent intent's payment,
    already shown, for this one's."""
    return len(list(s.scalars(select(Bonus.id).where(
        Bonus.provider == PROVIDER, Bonus.assignment_pk == assignment_pk, Bonus.amount_cents == amount,
        payments.given(), Bonus.unique_request_token != token))))


def _requested(s, token: str) -> bool:
    """Was a pay call for ``token`` sent (and neither refused outright nor released as not paid by an operator)?"""
    last = None
    for e in s.scalars(select(Event).where(Event.type.in_(
            ("prolific.bonus.pay_requested", "prolific.bonus.pay_refused", "prolific.bonus.released")))
                       .order_by(Event.id)):
        payload = e.payload or {}
        if payload.get("token") == token and (e.type != "prolific.bonus.released" or payload.get("paid") is False):
            last = e.type
    return last == "prolific.bonus.pay_requested"


def send_bonus(pr: "ProlificProvider", worker_id: str, assignment_id: str, amount_cents: int, reason: str,
               token: str) -> bool:
    with pr.store.session() as s:
        row = _assignment(s, assignment_id)
        study_id, pk = _study_of(s, row), row.id
        others = _others_paid(s, pk, amount_cents, token)
        requested = _requested(s, token)
    deadline = time.monotonic() + (SHOW_WAIT if requested else 0)
    while True:
        paid, _ = _paid_cents(pr, assignment_id)
        if paid.count(amount_cents) > others:
            return True  # this intent is already on the submission
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if requested:
        raise ProlificUnreachable(
            f"a bonus payment for {assignment_id} was requested before and does not show yet; it is not paid again",
            field="token", reason="outcome unknown", outcome="unknown",
            hint="retry later: the ledger confirms it once Prolific shows it")
    amount = (Decimal(amount_cents) / 100).quantize(Decimal("0.01"))
    setup = pr.client.post("submissions/bonus-payments/",
                           {"study_id": study_id, "csv_bonuses": f"{assignment_id},{amount}"}, idempotent=True)
    with pr.store.transaction() as s:
        events.record(s, "prolific.bonus.pay_requested", token=token, assignment_id=assignment_id,
                      worker_id=worker_id, amount_cents=amount_cents, bulk_bonus_id=setup["id"])
    try:
        pr.client.post(f"bulk-bonus-payments/{setup['id']}/pay/", idempotent=False)
    except ProlificError:
        with pr.store.transaction() as s:  # refused outright: nothing was paid, a retry may ask again
            events.record(s, "prolific.bonus.pay_refused", token=token, assignment_id=assignment_id)
        raise
    end = time.monotonic() + SHOW_WAIT  # wait for the asynchronous payment, so the ledger can confirm it
    while time.monotonic() < end and _paid_cents(pr, assignment_id)[0].count(amount_cents) <= others:
        time.sleep(0.1)
    return False


def bonus_payments(pr: "ProlificProvider", *, assignment_id: str | None = None,
                   hit_id: str | None = None) -> list[dict[str, Any]]:
    """The bonuses Prolific shows on the submission(s): amounts only; the reason is filled from the ledger's
    rows of the same amount (paid first), the time is unknown (None)."""
    if assignment_id is None and hit_id is None:
        raise ValidationError("assignment_id", "give an assignment id or a study id")
    ids = [assignment_id] if assignment_id else [x["id"] for x in pr.client.listing(f"studies/{hit_id}/submissions/")]
    out: list[dict[str, Any]] = []
    for sub_id in ids:
        paid, sub = _paid_cents(pr, sub_id)
        with pr.store.session() as s:
            a = s.scalars(select(Assignment).where(Assignment.provider == PROVIDER,
                                                   Assignment.assignment_id == sub_id)).first()
            ledger = list(s.scalars(select(Bonus).where(Bonus.provider == PROVIDER, Bonus.assignment_pk == a.id)
                                    .order_by((Bonus.status != "paid"), Bonus.id))) if a else []
        for amount in paid:
            match = next((b for b in ledger if b.amount_cents == amount), None)
            if match is not None:
                ledger.remove(match)
            out.append({"worker_id": sub.get("participant") or sub.get("participant_id") or "",
                        "assignment_id": sub_id, "amount_cents": amount,
                        "reason": match.reason if match else "", "granted_at": None})
    return out


def balance(pr: "ProlificProvider") -> int:
    answer = pr.client.get(f"workspaces/{pr.client.workspace_id()}/balance/")
    return int(answer.get("available_balance", answer.get("total_balance", 0)))
