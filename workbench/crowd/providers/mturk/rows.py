"""Store helpers the MTurk modules share: finding rows by MTurk id, money and time conversions, upserts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.crowd import money
from workbench.crowd.checks import ident as check_id
from workbench.errors import NotFoundError
from workbench.store.engine import dialect_insert
from workbench.store.models import HIT, Assignment, Worker
from workbench.store.types import utcnow

PROVIDER = "mturk"
#: MTurk's amounts are dollar strings ("1.25"); the workbench's are cents: one conversion, crowd.money's.
dollars, cents = money.dollars, money.cents

HIT_STATUS = {"Assignable": "assignable", "Unassignable": "unassignable", "Reviewable": "reviewable",
              "Reviewing": "reviewing", "Disposed": "disposed"}
ASSIGNMENT_STATUS = {"Submitted": "submitted", "Approved": "approved", "Rejected": "rejected"}


def aware(value: Any) -> datetime | None:
    """botocore gives datetimes (aware); epoch numbers and naive values are read as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).astimezone(timezone.utc)


def get_hit(session: Session, environment: str, hit_id: str) -> HIT:
    check_id("hit_id", hit_id)
    row = session.scalars(select(HIT).where(HIT.provider == PROVIDER, HIT.environment == environment,
                                            HIT.hit_id == hit_id)).one_or_none()
    if row is None:
        raise NotFoundError("HIT", hit_id, hint=f"no HIT with this id is recorded in environment {environment!r}; "
                                                "`workbench mturk hits associate` adopts one created elsewhere")
    return row


def get_assignment(session: Session, assignment_id: str, *, for_update: bool = False) -> Assignment:
    check_id("assignment_id", assignment_id)
    stmt = select(Assignment).where(Assignment.provider == PROVIDER, Assignment.assignment_id == assignment_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise NotFoundError("assignment", assignment_id, hint="run `workbench mturk sync` to fetch new assignments")
    return row


def upsert_workers(session: Session, worker_ids: Iterable[str]) -> int:
    """Insert the workers not yet known (race-safe); touch last_seen_at of the others. Returns the new count."""
    ids = sorted({w for w in worker_ids if w})
    if not ids:
        return 0
    now = utcnow()
    known = set(session.scalars(select(Worker.worker_id).where(Worker.provider == PROVIDER,
                                                                 Worker.worker_id.in_(ids))))
    stmt = dialect_insert(session)(Worker).values(
        [{"provider": PROVIDER, "worker_id": w, "blocked": False, "block_reason": "", "first_seen_at": now,
          "last_seen_at": now} for w in ids])
    stmt = stmt.on_conflict_do_update(index_elements=["provider", "worker_id"],
                                      set_={"last_seen_at": stmt.excluded.last_seen_at})
    session.execute(stmt)
    return len(set(ids) - known)


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
