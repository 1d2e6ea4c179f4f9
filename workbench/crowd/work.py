"""Crowd work, planned and posted: which tasks a filter picks, what they cost, offering them, and after.

One rule for every face: ``create(provider, project, spec)`` without task ids offers the
project's pending tasks that are not yet on a HIT in the provider's environment (a rerun
never offers a task twice; a sandbox pilot does not take a task out of production).
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.study import projects
from ..errors import ValidationError
from .providers import WorkSpec
from ..store.models import HIT, TASK_STATUSES, Task, TaskDefinition, TaskType

__all__ = ["TASK_STATUSES", "associate", "create", "delete", "expire", "extend", "list_", "preview_cost",
           "select_tasks", "task_types"]


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


def preview_cost(provider: Any, task_count: int, reward_cents: int, max_assignments: int) -> dict[str, Any]:
    """What one HIT per task costs if every assignment is approved: rewards plus the platform's fees, in cents."""
    for name, value in (("task_count", task_count), ("reward_cents", reward_cents),
                        ("max_assignments", max_assignments)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(name, "must be a non-negative integer")
    assignments = task_count * max_assignments
    rewards = reward_cents * assignments
    fees = provider.reward_fee(reward_cents, max_assignments) * assignments if reward_cents and assignments else 0
    return {"hits": task_count, "assignments": assignments, "rewards_cents": rewards, "fees_cents": fees,
            "total_cents": rewards + fees}


def create(provider: Any, project: int | str, spec: WorkSpec | dict[str, Any], task_ids: Sequence[int] | None = None,
           **options: Any):
    """Offer tasks (by default every pending task not yet on a HIT here), idempotently per task and round.

    ``options``: ``round``, ``batch_size``, ``progress``, ``actor``, and the provider's own (``base_url``).
    """
    if not isinstance(spec, WorkSpec):
        spec = WorkSpec.from_dict(spec)
    if task_ids is None:
        with provider.store.session() as s:
            task_ids = select_tasks(s, project, environment=provider.environment, limit=1_000_000)
    return provider.create_work(project, list(task_ids), spec, **options)


def extend(provider: Any, hit_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = ""):
    return provider.extend(hit_id, assignments=assignments, seconds=seconds, actor=actor)


def expire(provider: Any, hit_id: str, *, actor: str = ""):
    return provider.expire(hit_id, actor=actor)


def delete(provider: Any, hit_id: str, *, actor: str = ""):
    return provider.delete(hit_id, actor=actor)


def associate(provider: Any, hit_id: str, project: int | str, task_id: int | None = None, *, actor: str = ""):
    return provider.associate(hit_id, project, task_id, actor=actor)


def list_(provider: Any, *, project: int | str | None = None, status: str | None = None, task_id: int | None = None,
          limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Recorded HITs of the provider's environment."""
    with provider.store.session() as s:
        stmt = select(HIT).where(HIT.provider == provider.name, HIT.environment == provider.environment)
        if project is not None:
            stmt = stmt.where(HIT.project_id == projects.get(s, project).id)
        if status is not None:
            stmt = stmt.where(HIT.status == status)
        if task_id is not None:
            stmt = stmt.where(HIT.task_id == task_id)
        return [h.to_dict() for h in s.scalars(stmt.order_by(HIT.id).limit(limit).offset(offset))]
