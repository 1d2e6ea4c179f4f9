"""The payment ledger: every bonus is an intent row, paid exactly once whoever retries.

A bonus is keyed by an idempotency key: the caller's (``--key``), or one derived from the
(assignment, amount, reason). The same request again (a retried command, a double click, a
second REST call, a rerun after a crash) finds the same row, and a paid row is never paid
again: the answer says it was already paid and that a deliberate second bonus needs a new key.

Paying a row: it is marked attempted first; the platform is called with a token derived
from the key (MTurk's ``UniqueRequestToken`` answers a repeat "already done"); the outcome is
confirmed against the platform's own list of payments (MTurk's ``ListBonusPayments``). A row
that was attempted before is looked up in that list before the platform is asked again, so a
payment whose answer was lost is recorded, not repeated, even after the token has expired.
``reconcile`` compares the ledger with the platform: rows it does not show, and payments
the ledger does not hold.

A row whose pay call was sent and whose answer was lost is ``unknown`` (Prolific's pay call is not
idempotent, so it is never simply sent again): a retry confirms it once the platform shows it, and
``release`` settles it: by itself when the platform's record shows the payment, else by an operator who
checked the platform's own record (paid, or back to retryable), with an Event. What the ledger counts as
already given to an assignment (``given``) holds such rows, and rows being sent now, beside the paid ones,
so that two intents sent together never take one payment for both.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import events
from ..errors import ConflictError, NotFoundError, ValidationError, WorkbenchError
from ..store.models import CREATING, HIT, Assignment, Bonus
from ..store.types import utcnow
from ..study import projects
from . import checks, money

#: What a caller's key may look like (it is printed, logged and typed again to retry).
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,119}$")
#: The assignment statuses a bonus may go to; a provider narrows them with a ``bonusable`` attribute (link-out).
BONUSABLE = ("submitted", "approved", "rejected")


@dataclass
class BonusResult:
    """What a bonus call did. ``already_paid``: this intent was paid before, nothing was paid now."""

    id: int
    key: str
    assignment_id: str
    worker_id: str
    amount_cents: int
    reason: str
    status: str
    already_paid: bool = False
    confirmed: bool = False

    @property
    def summary(self) -> str:
        """One line every face prints."""
        head = f"bonus {self.id}: ${money.dollars(self.amount_cents)} to {self.worker_id} for {self.assignment_id}"
        if self.already_paid:
            return (f"{head} was already paid (key {self.key}); nothing was paid now. "
                    f"A deliberate second bonus needs a new key (--key).")
        return f"{head}, {self.status}" + ("" if self.confirmed else " (not yet shown by the platform)")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary}


@dataclass
class Reconciliation:
    """The ledger against the platform's list of payments, for the HITs looked at."""

    hits_checked: int = 0
    confirmed: int = 0                                          # paid rows the platform shows
    not_shown: list[dict[str, Any]] = field(default_factory=list)   # paid here, not shown there
    paid_not_recorded: list[dict[str, Any]] = field(default_factory=list)  # pending here, shown there
    unknown: list[dict[str, Any]] = field(default_factory=list)     # shown there, not in the ledger
    pending: list[dict[str, Any]] = field(default_factory=list)     # recorded, never sent

    @property
    def clean(self) -> bool:
        return not (self.not_shown or self.paid_not_recorded or self.unknown)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "clean": self.clean}


#: How long a caller waits for the payment of an intent another caller is sending (seconds).
IN_FLIGHT_WAIT = 30.0
#: The status of a row whose pay call was sent and whose outcome is unknown (its answer was lost).
UNKNOWN = "unknown"


def given():
    """The ledger rows that may have reached the worker: paid, of unknown outcome, or being sent now (claimed and
    not failed). A check of what an assignment was already given counts all of them, not just the paid ones."""
    return or_(Bonus.status.in_(("paid", UNKNOWN)), and_(Bonus.attempted_at.is_not(None), Bonus.error == ""))


def derive_key(assignment_id: str, amount_cents: int, reason: str) -> str:
    """The key of "this bonus": the same assignment, amount and reason give the same key."""
    digest = hashlib.sha256(json.dumps([assignment_id, amount_cents, reason]).encode()).hexdigest()
    return f"auto:{digest[:40]}"


def token(provider_name: str, key: str) -> str:
    """The platform's idempotency token for an intent (64 hex characters: MTurk's limit is 64)."""
    return hashlib.sha256(f"workbench-payment:{provider_name}:{key}".encode()).hexdigest()


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not KEY.match(key) or key.startswith("auto:") or key.startswith("row-"):
        raise ValidationError("key", "must be 1 to 120 letters, digits or ._:@/+- , start with a letter or "
                                     "digit, and not start with 'auto:' or 'row-' (those are the ledger's own)")
    return key


def bonus(provider: Any, assignment_id: str, amount_cents: int, reason: str, *, key: str | None = None,
          actor: str = "") -> BonusResult:
    """Pay a bonus once: a repeat of the same intent answers ``already_paid`` and pays nothing."""
    amount_cents = money.check_cents(amount_cents)
    reason = checks.text("reason", reason, provider.limits["bonus_reason"], required=True)
    key = derive_key(assignment_id, amount_cents, reason) if key is None else check_key(key)
    with provider.store.session() as s:
        a = checks.assignment(s, provider, assignment_id)
        row = _by_key(s, provider.name, key)
        if row is None and a.status not in getattr(provider, "bonusable", BONUSABLE):
            raise ConflictError(f"assignment {assignment_id} is {a.status}; bonuses go to submitted work",
                                field="assignment_id", reason=f"status is {a.status}")
    if row is None:
        _check_funds(provider, amount_cents)
        row = _record(provider, a, key, amount_cents, reason, actor)
    _same_intent(row, a, amount_cents, reason)
    if row.status == "paid":
        return _result(row, assignment_id, already=True)
    return pay(provider, row.id, actor=actor)


def pay(provider: Any, bonus_id: int, *, actor: str = "") -> BonusResult:
    """Send one recorded intent to the platform; a paid (or found-paid) row is never sent again."""
    with provider.store.session() as s:
        row = s.get(Bonus, bonus_id)
        if row is None or row.provider != provider.name:
            raise NotFoundError("bonus", bonus_id)
        a = s.get(Assignment, row.assignment_pk) if row.assignment_pk else None
        if a is None:
            raise ConflictError(f"bonus {bonus_id} has lost its assignment", field="bonus_id",
                                reason="the assignment was deleted")
        assignment_id = a.assignment_id
    if row.status == "paid":
        return _result(row, assignment_id, already=True)
    if row.attempted_at is not None and _shown(provider, row, assignment_id):
        return _settle(provider, row.id, assignment_id, actor, already=True, confirmed=True)
    if not _claim(provider, row):  # another caller is sending this intent now: its outcome is ours
        return _await(provider, row.id, assignment_id)
    try:
        already = provider.send_bonus(row.worker_id, assignment_id, row.amount_cents, row.reason,
                                      row.unique_request_token)
    except WorkbenchError as exc:
        unknown = exc.context.get("outcome") == "unknown"
        with provider.store.transaction() as s:
            held = s.get(Bonus, row.id)
            held.error = str(exc)[:2000] or type(exc).__name__  # frees the claim
            if unknown:  # it may have paid: counted as given, and settled by a retry or ``release``
                held.status = UNKNOWN
            events.record(s, f"{provider.name}.bonus.{'unknown' if unknown else 'refused'}", actor=actor,
                          project_id=_project(s, row), bonus_id=row.id, assignment_id=assignment_id,
                          error=str(exc)[:500])
        if unknown:
            exc.hint = (f"the platform may have paid it: retry to confirm it once its record shows the payment, "
                        f"or check its record and release bonus {row.id} (payments release)")
        raise
    return _settle(provider, row.id, assignment_id, actor, already=already,
                   confirmed=_shown(provider, row, assignment_id))


def release(provider: Any, bonus: int | str, *, paid: bool | None = None, actor: str = "",
            reason: str = "") -> BonusResult:
    """Settle a bonus of unknown outcome (``bonus``: its id or key). When the platform's own record (Prolific: the
    submission's ``bonus_payments``) shows the payment it is marked paid, whatever ``paid`` says. Otherwise an
    operator who checked the platform's record says ``paid=True`` (marked paid) or ``paid=False`` (back to
    retryable: the next bonus call sends it again); ``paid=None`` then is a conflict asking for that answer.
    Refused for a row whose outcome is known."""
    with provider.store.session() as s:
        if isinstance(bonus, int) and not isinstance(bonus, bool):
            row = s.get(Bonus, bonus)
        elif isinstance(bonus, str) and bonus.isdigit():
            row = s.get(Bonus, int(bonus))
        elif isinstance(bonus, str):
            row = _by_key(s, provider.name, bonus)
        else:
            raise ValidationError("bonus", "give a bonus id or key")
        if row is None or row.provider != provider.name:
            raise NotFoundError("bonus", bonus)
        a = s.get(Assignment, row.assignment_pk) if row.assignment_pk else None
        assignment_id = a.assignment_id if a is not None else ""
    if row.status != UNKNOWN:
        raise ConflictError(f"bonus {row.id} is {row.status}, not of unknown outcome: there is nothing to release",
                            field="bonus", reason=f"status is {row.status}")
    reason = checks.text("reason", reason, 1000, required=paid is not None, shown_to="whoever audits the ledger")
    if assignment_id and _shown(provider, row, assignment_id):
        return _released(provider, row.id, assignment_id, actor, reason, paid=True, by="platform")
    if paid is None:
        raise ConflictError(f"bonus {row.id}: the platform's record does not show this payment (yet); check it "
                            "there, then release it as paid or not paid", field="paid",
                            reason="the outcome cannot be read from the platform",
                            hint="Prolific pays asynchronously: look at the submission's bonus payments first")
    return _released(provider, row.id, assignment_id, actor, reason, paid=bool(paid), by="operator")


def reconcile(provider: Any, *, project: int | str | None = None, actor: str = "") -> Reconciliation:
    """The ledger against the platform, HIT by HIT; confirms the paid rows the platform shows."""
    out = Reconciliation()
    with provider.store.session() as s:
        stmt = select(HIT.id, HIT.hit_id).where(HIT.provider == provider.name, HIT.status != CREATING,
                                                HIT.environment == provider.environment)
        if project is not None:
            stmt = stmt.where(HIT.project_id == projects.get(s, project).id)
        hits = s.execute(stmt.order_by(HIT.id)).all()
        ledger = s.execute(select(Bonus, Assignment.assignment_id).join(Assignment, Assignment.id == Bonus.assignment_pk)
                           .where(Bonus.provider == provider.name,
                                  Assignment.hit_pk.in_([h.id for h in hits]))).all()
    remote: Counter = Counter()
    shown_rows: list[dict[str, Any]] = []
    for hit in hits:
        for p in provider.bonus_payments(hit_id=hit.hit_id):
            remote[(p["assignment_id"], p["amount_cents"], p["reason"])] += 1
            shown_rows.append(p)
        out.hits_checked += 1
    confirmed_ids = []
    for row, assignment_id in sorted(ledger, key=lambda r: (r[0].status != "paid", r[0].id)):
        item = {"bonus_id": row.id, "key": row.idempotency_key, "assignment_id": assignment_id,
                "worker_id": row.worker_id, "amount_cents": row.amount_cents, "reason": row.reason}
        triple = (assignment_id, row.amount_cents, row.reason)
        if remote[triple] > 0:
            remote[triple] -= 1
            if row.status == "paid":
                out.confirmed += 1
                confirmed_ids.append(row.id)
            else:
                out.paid_not_recorded.append(item)
        elif row.status == "paid":
            out.not_shown.append(item)
        elif row.attempted_at is None:
            out.pending.append(item)
        else:
            out.pending.append({**item, "error": row.error})
    for p in shown_rows:
        triple = (p["assignment_id"], p["amount_cents"], p["reason"])
        if remote[triple] > 0:
            remote[triple] -= 1
            out.unknown.append(p)
    with provider.store.transaction() as s:
        now = utcnow()
        for bonus_id in confirmed_ids:
            row = s.get(Bonus, bonus_id)
            row.confirmed_at = row.confirmed_at or now
        events.record(s, f"{provider.name}.payments.reconciled", actor=actor, hits=out.hits_checked,
                      confirmed=out.confirmed, not_shown=len(out.not_shown),
                      paid_not_recorded=len(out.paid_not_recorded), unknown=len(out.unknown))
    return out


def ledger(provider: Any, *, assignment_id: str | None = None, worker_id: str | None = None,
           limit: int = 100) -> list[dict[str, Any]]:
    """Ledger rows, newest first (the key, status, attempts and confirmation of each)."""
    with provider.store.session() as s:
        stmt = (select(Bonus, Assignment.assignment_id).outerjoin(Assignment, Assignment.id == Bonus.assignment_pk)
                .where(Bonus.provider == provider.name).order_by(Bonus.id.desc()).limit(limit))
        if assignment_id:
            stmt = stmt.where(Assignment.assignment_id == assignment_id)
        if worker_id:
            stmt = stmt.where(Bonus.worker_id == worker_id)
        return [{**row.to_dict(), "assignment_id": aid} for row, aid in s.execute(stmt)]


# -- inside ----------------------------------------------------------------------------

def _by_key(s, provider_name: str, key: str) -> Bonus | None:
    return s.scalars(select(Bonus).where(Bonus.provider == provider_name, Bonus.idempotency_key == key)).one_or_none()


def _record(provider: Any, a: Assignment, key: str, amount_cents: int, reason: str, actor: str) -> Bonus:
    """Insert the intent; a concurrent insert of the same key wins and its row is returned instead."""
    try:
        with provider.store.transaction() as s:
            row = Bonus(provider=provider.name, assignment_pk=a.id, worker_id=a.worker_id, amount_cents=amount_cents,
                        reason=reason, idempotency_key=key, unique_request_token=token(provider.name, key),
                        status="pending")
            s.add(row)
            s.flush()
            events.record(s, f"{provider.name}.bonus.recorded", actor=actor, project_id=checks.project_of(s, a),
                          bonus_id=row.id, key=key, assignment_id=a.assignment_id, worker_id=a.worker_id,
                          amount_cents=amount_cents, reason=reason)
        return row
    except IntegrityError:
        with provider.store.session() as s:
            row = _by_key(s, provider.name, key)
        if row is None:
            raise
        return row


def _same_intent(row: Bonus, a: Assignment, amount_cents: int, reason: str) -> None:
    if (row.assignment_pk, row.amount_cents, row.reason) != (a.id, amount_cents, reason):
        raise ConflictError(f"key {row.idempotency_key!r} already names bonus {row.id} "
                            f"(${money.dollars(row.amount_cents)} for another assignment or reason)", field="key",
                            reason="an idempotency key names one bonus", hint="choose a new key for a new bonus")


def _claim(provider: Any, row: Bonus) -> bool:
    """Take the right to send ``row``, so that of concurrent callers exactly one sends (a platform's pay call may
    not be idempotent: Prolific's is not). A row is free when never sent, when its last send failed (``error``),
    or when its last send began over ``IN_FLIGHT_WAIT`` seconds ago (that caller died); the update is atomic."""
    now = utcnow()
    free = or_(Bonus.attempted_at.is_(None), Bonus.error != "",
               Bonus.attempted_at < now - timedelta(seconds=IN_FLIGHT_WAIT))
    with provider.store.transaction() as s:
        claimed = s.execute(update(Bonus).where(Bonus.id == row.id, Bonus.status != "paid", free)
                            .values(attempted_at=now, error="").execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def _await(provider: Any, bonus_id: int, assignment_id: str) -> BonusResult:
    """The outcome of the caller that claimed ``bonus_id`` (nothing is sent from here): its paid row, or a
    conflict when it failed or has not settled within ``IN_FLIGHT_WAIT`` seconds (a retry then sends or confirms)."""
    end = time.monotonic() + IN_FLIGHT_WAIT
    while True:
        with provider.store.session() as s:
            row = s.get(Bonus, bonus_id)
        if row.status == "paid":
            return _result(row, assignment_id, already=True)
        if row.error or time.monotonic() >= end:
            raise ConflictError(f"bonus {bonus_id} was being paid by another request ({row.error or 'in progress'});"
                                " retry to send or confirm it", field="key", reason="payment in progress")
        time.sleep(0.1)


def _shown(provider: Any, row: Bonus, assignment_id: str) -> bool:
    """Does the platform list more payments like this row than the ledger's other rows may have given?"""
    remote = sum(1 for p in provider.bonus_payments(assignment_id=assignment_id)
                 if (p["amount_cents"], p["reason"], p["worker_id"]) == (row.amount_cents, row.reason, row.worker_id))
    with provider.store.session() as s:
        local = s.scalar(select(func.count()).select_from(Bonus).where(
            Bonus.provider == provider.name, Bonus.assignment_pk == row.assignment_pk, Bonus.id != row.id,
            Bonus.amount_cents == row.amount_cents, Bonus.reason == row.reason, given()))
    return remote > local


def _settle(provider: Any, bonus_id: int, assignment_id: str, actor: str, *, already: bool,
            confirmed: bool) -> BonusResult:
    with provider.store.transaction() as s:
        row = s.get(Bonus, bonus_id)
        now = utcnow()
        row.status, row.paid_at, row.error = "paid", row.paid_at or now, ""
        row.confirmed_at = now if confirmed else row.confirmed_at
        events.record(s, f"{provider.name}.bonus.paid", actor=actor, project_id=_project(s, row), bonus_id=row.id,
                      key=row.idempotency_key, assignment_id=assignment_id, worker_id=row.worker_id,
                      amount_cents=row.amount_cents, already_paid=already, confirmed=confirmed)
    return _result(row, assignment_id, already=already)


def _released(provider: Any, bonus_id: int, assignment_id: str, actor: str, reason: str, *, paid: bool,
              by: str) -> BonusResult:
    with provider.store.transaction() as s:
        row = s.get(Bonus, bonus_id)
        if row.status != UNKNOWN:  # a concurrent retry or release settled it first
            raise ConflictError(f"bonus {bonus_id} was settled meanwhile ({row.status})", field="bonus",
                                reason=f"status is {row.status}")
        now = utcnow()
        if paid:
            row.status, row.paid_at, row.error = "paid", row.paid_at or now, ""
            row.confirmed_at = now if by == "platform" else row.confirmed_at
        else:
            row.status, row.error = "pending", f"released as not paid: {reason}"[:2000]
        events.record(s, f"{provider.name}.bonus.released", actor=actor, project_id=_project(s, row),
                      bonus_id=row.id, key=row.idempotency_key, token=row.unique_request_token,
                      assignment_id=assignment_id, paid=paid, decided_by=by, reason=reason)
    return _result(row, assignment_id, already=paid)


def _project(s, row: Bonus) -> int | None:
    a = s.get(Assignment, row.assignment_pk) if row.assignment_pk else None
    return checks.project_of(s, a) if a is not None else None


def _check_funds(provider: Any, amount_cents: int) -> None:
    available = provider.balance()
    needed = amount_cents + provider.bonus_fee(amount_cents)
    if needed > available:
        raise ValidationError("amount_cents", f"the bonus costs ${money.dollars(needed)} with the platform's fee "
                                              f"but the balance is ${money.dollars(available)}",
                              balance_cents=available, cost_cents=needed)


def _result(row: Bonus, assignment_id: str, *, already: bool) -> BonusResult:
    return BonusResult(id=row.id, key=row.idempotency_key, assignment_id=assignment_id, worker_id=row.worker_id,
                       amount_cents=row.amount_cents, reason=row.reason, status=row.status, already_paid=already,
                       confirmed=row.confirmed_at is not None)
