"""Planning HITs before creating them: which tasks a filter picks, and what they will cost."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import projects
from .errors import ValidationError
from .store.models import HIT, TASK_STATUSES, Task, TaskDefinition, TaskType


def select_tasks(session: Session, project: int | str, *, status: str | None = "pending",
                 task_type: str | None = None, without_hits: bool = True, environment: str | None = None,
                 limit: int = 10_000) -> list[int]:
    """Ids of the project's tasks that match: by status, by task type, and (by default) not yet on a HIT,
    in ``environment`` when given (a sandbox pilot's HITs do not take a task out of production)."""
    if status is not None and status not in TASK_STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(TASK_STATUSES)}")
    project_id = projects.get(session, project).id
    stmt = select(Task.id).where(Task.project_id == project_id).order_by(Task.priority.desc(), Task.id)
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if task_type:
        stmt = (stmt.join(TaskDefinition, TaskDefinition.id == Task.definition_id)
                .join(TaskType, TaskType.id == TaskDefinition.task_type_id).where(TaskType.slug == task_type))
    if without_hits:
        on_hits = select(HIT.id).where(HIT.task_id == Task.id)
        if environment is not None:
            on_hits = on_hits.where(HIT.environment == environment)
        stmt = stmt.where(~on_hits.exists())
    return list(session.scalars(stmt.limit(limit)))


def task_types(session: Session, project: int | str) -> list[str]:
    project_id = projects.get(session, project).id
    return list(session.scalars(select(TaskType.slug).distinct()
                                .join(TaskDefinition, TaskDefinition.task_type_id == TaskType.id)
                                .join(Task, Task.definition_id == TaskDefinition.id)
                                .where(Task.project_id == project_id).order_by(TaskType.slug)))


def preview_cost(task_count: int, reward_cents: int, max_assignments: int) -> dict[str, Any]:
    """What one HIT per task costs if every assignment is approved: rewards plus MTurk's fees, in cents."""
    from .providers.mturk.costs import reward_fee

    for name, value in (("task_count", task_count), ("reward_cents", reward_cents),
                        ("max_assignments", max_assignments)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(name, "must be a non-negative integer")
    assignments = task_count * max_assignments
    rewards = reward_cents * assignments
    fees = reward_fee(reward_cents, max_assignments) * assignments if reward_cents and assignments else 0
    return {"hits": task_count, "assignments": assignments, "rewards_cents": rewards, "fees_cents": fees,
            "total_cents": rewards + fees}
