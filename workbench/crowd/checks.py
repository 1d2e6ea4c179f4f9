"""Checks every crowd operation shares, whatever the face or the provider: texts, ids, rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFoundError, ValidationError
from ..store.models import HIT, Assignment, Worker


def text(field: str, value: Any, limit: int, *, required: bool, shown_to: str = "the worker") -> str:
    """A free text a platform takes (feedback, reason, message): a string within ``limit``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if required and not value.strip():
        raise ValidationError(field, f"is required: it is shown to {shown_to}")
    if len(value) > limit:
        raise ValidationError(field, f"must be at most {limit} characters")
    return value


def ident(field: str, value: Any) -> str:
    """A platform's id: a non-empty string of at most 128 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise ValidationError(field, "must be a non-empty id of at most 128 characters")
    return value


def assignment(session: Session, provider: Any, assignment_id: Any, *, for_update: bool = False) -> Assignment:
    """The provider's assignment (MTurk assignment, Prolific submission) recorded in the store."""
    ident("assignment_id", assignment_id)
    stmt = select(Assignment).where(Assignment.provider == provider.name, Assignment.assignment_id == assignment_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise NotFoundError("assignment", assignment_id, hint=f"run `workbench {provider.name} sync` to fetch new work")
    return row


def project_of(session: Session, row: Assignment) -> int | None:
    return session.scalar(select(HIT.project_id).where(HIT.id == row.hit_pk)) if row.hit_pk else None


def hit_of(session: Session, row: Assignment) -> HIT | None:
    return session.get(HIT, row.hit_pk) if row.hit_pk else None


def known_worker(session: Session, provider: Any, worker_id: Any) -> Worker:
    """A worker the store has seen for this provider (only those can be unblocked or messaged by id)."""
    ident("worker_id", worker_id)
    row = session.scalars(select(Worker).where(Worker.provider == provider.name,
                                               Worker.worker_id == worker_id)).one_or_none()
    if row is None:
        raise NotFoundError("worker", worker_id, hint="no work by this worker is recorded here")
    return row
