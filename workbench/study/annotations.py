"""Annotations: validated against their definition before anything is written, idempotent per submission.

Before the schema, a result must be something every store keeps as it is and every export writes back as JSON
(``json_safety.check_storable``: finite numbers, no NUL, no unpaired surrogate, bounded depth), and its task id
one the store's id column holds (``tasks.check_id``): a value the database would refuse fails its own request with
a 400 naming the field, never the transaction it shares with others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench import events
from . import definitions, gold, json_safety, projects, tasks
from workbench.errors import NotFoundError, ValidationError
from workbench.store.models import Annotation, Task


@dataclass
class Submission:
    """What ``submit`` did: the stored annotation, and whether it was already there."""

    annotation: Annotation
    duplicate: bool

    def to_dict(self) -> dict[str, Any]:
        return {**self.annotation.to_dict(), "duplicate": self.duplicate}


def get(session: Session, annotation_id: int) -> Annotation:
    annotation = session.get(Annotation, annotation_id)
    if annotation is None:
        raise NotFoundError("annotation", annotation_id)
    return annotation


def list_(session: Session, *, task_id: int | None = None, project: int | str | None = None,
          actor: str | None = None, limit: int = 100, offset: int = 0) -> list[Annotation]:
    stmt = select(Annotation).order_by(Annotation.id)
    if task_id is not None:
        stmt = stmt.where(Annotation.task_id == task_id)
    if project is not None:
        stmt = stmt.join(Task).where(Task.project_id == projects.get(session, project).id)
    if actor is not None:
        stmt = stmt.where(Annotation.actor == actor)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def submit(session: Session, task_id: int, result: Any, *, actor: str = "", submission_id: str | None = None,
           tool_version: str = "", raw_payload: dict[str, Any] | None = None,
           assignment_pk: int | None = None, telemetry: dict[str, Any] | None = None) -> Submission:
    """Store a result for a task.

    The same (task, submission_id) a second time returns the first record with
    ``duplicate=True`` and writes nothing. A missing submission_id is generated. The
    result is checked against the task's definition before anything is written.
    """
    task = tasks.get(session, tasks.check_id("task_id", task_id))
    _check_short("actor", actor)
    if submission_id is not None:
        _check_short("submission_id", submission_id)
        if not submission_id:
            raise ValidationError("submission_id", "must not be empty")
        existing = _find(session, task.id, submission_id)
        if existing is not None:
            return Submission(existing, True)
    _check_short("tool_version", tool_version, 64)
    json_safety.check_storable(result)
    definitions.validate_result(task.definition, result)
    annotation = Annotation(task_id=task.id, result=result, schema_version=task.definition.version,
                            tool_version=tool_version, actor=actor, submission_id=submission_id or uuid.uuid4().hex,
                            raw_payload=raw_payload or {}, assignment_pk=assignment_pk, telemetry=telemetry,
                            **gold.grade(task.payload, result))
    try:
        with session.begin_nested():
            session.add(annotation)
    except IntegrityError:
        # Another request stored the same submission between our check and our insert.
        existing = _find(session, task.id, annotation.submission_id)
        if existing is None:
            raise
        return Submission(existing, True)
    events.record(session, "annotation.created", actor=actor, project_id=task.project_id, task_id=task.id,
                  annotation_id=annotation.id, submission_id=annotation.submission_id)
    _advance(session, task, actor)
    return Submission(annotation, False)


def _advance(session: Session, task: Task, actor: str) -> None:
    """A task with enough annotations is complete; one with some is in progress (``tasks.status_after_annotations``)."""
    if task.status not in ("pending", "in_progress"):
        return
    count = session.scalar(select(func.count()).where(Annotation.task_id == task.id))
    after = tasks.status_after_annotations(task.status, count, task.target_annotations)
    if after is not None:
        tasks.set_status(session, task.id, after, actor=actor or events.SYSTEM, reason="annotation received")


def _find(session: Session, task_id: int, submission_id: str) -> Annotation | None:
    return session.scalars(select(Annotation).where(Annotation.task_id == task_id,
                                                    Annotation.submission_id == submission_id)).one_or_none()


def _check_short(field: str, value: Any, limit: int = 128) -> None:
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if len(value) > limit:
        raise ValidationError(field, f"must be at most {limit} characters")
    json_safety.check_storable(value, field)
