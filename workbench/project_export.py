"""A project's annotations as flat records, streamed in batches for JSON and JSONL downloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import projects
from .store.models import Annotation, Task, TaskDefinition, TaskType

FORMATS = ("json", "jsonl")


def check_format(fmt: Any) -> str:
    if fmt not in FORMATS:
        from .errors import ValidationError

        raise ValidationError("format", f"must be one of {', '.join(FORMATS)}")
    return fmt


def records(session: Session, project: int | str, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """One record per annotation: the task it answers, its asset, who made it, the result."""
    after = 0
    while True:
        rows, after = page(session, project, after=after, batch=batch)
        yield from rows
        if after is None:
            return


def page(session: Session, project: int | str, *, after: int = 0,
         batch: int = 500) -> tuple[list[dict[str, Any]], int | None]:
    """Up to ``batch`` records with annotation ids above ``after``, and the ``after`` of the next page (None: done).

    Keyset pages let a caller stream a large project in short transactions.
    """
    owner = projects.get(session, project)
    stmt = (select(Annotation, Task, TaskDefinition.version, TaskType.slug)
            .join(Task, Task.id == Annotation.task_id)
            .join(TaskDefinition, TaskDefinition.id == Task.definition_id)
            .join(TaskType, TaskType.id == TaskDefinition.task_type_id)
            .where(Task.project_id == owner.id, Annotation.id > after).order_by(Annotation.id).limit(batch))
    rows = session.execute(stmt).all()
    out = [{"annotation_id": annotation.id, "task_id": task.id, "asset_id": task.asset_id,
            "project": owner.slug, "task_type": slug, "definition_version": version,
            "payload": task.payload, "actor": annotation.actor, "submission_id": annotation.submission_id,
            "result": annotation.result, "schema_version": annotation.schema_version,
            "tool_version": annotation.tool_version, "created_at": annotation.created_at.isoformat()}
           for annotation, task, version, slug in rows]
    return out, (rows[-1][0].id if len(rows) == batch else None)
