"""Tasks: one at a time, in bulk from files and DataFrames, duplicated, and moved through their states."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from workbench import events
from . import assets, definitions, gold, plugins, projects
from workbench.errors import NotFoundError, ValidationError
from workbench.store.models import TASK_STATUSES, Annotation, Task
from workbench.store.types import utcnow

#: Which status may follow which. ``complete -> pending`` reopens a task for another round.
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"in_progress", "complete", "failed"}),
    "in_progress": frozenset({"pending", "complete", "failed"}),
    "complete": frozenset({"pending"}),
    "failed": frozenset({"pending"}),
}
EDITABLE = ("priority", "payload", "target_annotations")


def get(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id) if is_id(task_id) else None
    if task is None:
        raise NotFoundError("task", task_id)
    return task


def list_(session: Session, *, project: int | str | None = None, status: str | None = None,
          definition_id: int | None = None, limit: int = 100, offset: int = 0) -> list[Task]:
    stmt = select(Task).order_by(Task.id)
    if project is not None:
        stmt = stmt.where(Task.project_id == projects.get(session, project).id)
    if status is not None:
        _check_status(status)
        stmt = stmt.where(Task.status == status)
    if definition_id is not None:
        stmt = stmt.where(Task.definition_id == definition_id)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def create(session: Session, project: int | str, definition: int | str, *, asset_id: int | None = None,
           payload: dict[str, Any] | None = None, priority: int = 0, target_annotations: int = 1,
           actor: str = events.SYSTEM) -> Task:
    owner = projects.get(session, project)
    if isinstance(definition, bool) or not isinstance(definition, (int, str)):
        raise ValidationError("definition", "must be TYPE:VERSION or a definition's id")
    spec = definitions.get_definition(session, check_id("definition", definition) if isinstance(definition, int)
                                      else definition)
    if asset_id is not None and assets.get(session, check_id("asset_id", asset_id)).project_id != owner.id:
        raise ValidationError("asset_id", f"asset {asset_id} belongs to another project")
    task = Task(project_id=owner.id, definition_id=spec.id, asset_id=asset_id, payload=check_payload(payload),
                priority=check_int("priority", priority), target_annotations=check_target(target_annotations),
                plugin_id=pinned_plugin(session, spec))
    session.add(task)
    session.flush()
    events.record(session, "task.created", actor=actor, project_id=owner.id, task_id=task.id)
    return task


def update(session: Session, task_id: int, fields: dict[str, Any] | None = None, /, *,
           actor: str = events.SYSTEM, **changes: Any) -> Task:
    """Change the ``EDITABLE`` fields given in ``fields`` (a request's body, whatever its keys) or as keywords."""
    changes = {**(fields or {}), **changes}
    task = get(session, task_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"cannot be changed here; editable fields are {', '.join(EDITABLE)}"
                              + (" (use set_status for status)" if "status" in unknown else ""))
    if "priority" in changes:
        task.priority = check_int("priority", changes["priority"])
    if "payload" in changes:
        task.payload = check_payload(changes["payload"])
    if "target_annotations" in changes:
        task.target_annotations = check_target(changes["target_annotations"])
    events.record(session, "task.updated", actor=actor, project_id=task.project_id, task_id=task.id,
                  fields=sorted(changes))
    return task


def delete(session: Session, task_id: int, *, actor: str = events.SYSTEM) -> None:
    task = get(session, task_id)
    events.record(session, "task.deleted", actor=actor, project_id=task.project_id, task_id=task.id)
    session.delete(task)


def set_status(session: Session, task_id: int, status: str, *, actor: str = events.SYSTEM,
               reason: str = "") -> Task:
    """Move a task to ``status``; a move that TRANSITIONS does not allow is refused."""
    _check_status(status)
    task = get(session, task_id)
    _check_move(task.id, task.status, status)
    previous, task.status = task.status, status
    events.record(session, "task.status_changed", actor=actor, project_id=task.project_id, task_id=task.id,
                  before=previous, after=status, reason=reason)
    return task


def set_status_many(session: Session, moves: list[tuple[int, int, str, str, str]], *, reason: str = "") -> None:
    """``set_status`` for many tasks in a few statements, from rows the caller read in this transaction.

    ``moves`` are ``(task_id, project_id, before, after, actor)``. One UPDATE per kind of
    move, guarded by the status read (a task another writer moved meanwhile is left as
    it is, and gets no event), and one insert of the events of the moves made.
    """
    now = utcnow()
    groups: dict[tuple[str, str], list[int]] = {}
    for task_id, _, before, after, _ in moves:
        _check_status(after)
        _check_move(task_id, before, after)
        groups.setdefault((before, after), []).append(task_id)
    moved: set[int] = set()
    for (before, after), task_ids in groups.items():
        moved.update(session.connection().execute(
            _MOVE, {"task_ids": task_ids, "before": before, "after": after, "now": now}).scalars())
    events.record_many(session, [
        events.row("task.status_changed", ts=now, actor=actor, project_id=project_id, task_id=task_id,
                   before=before, after=after, reason=reason)
        for task_id, project_id, before, after, actor in moves if task_id in moved])


def status_after_annotations(status: str, annotations: int, target: int) -> str | None:
    """The rule of annotations arriving: with ``target`` of them a pending or in-progress task is complete,
    with fewer it is in progress. The status to move to, or None to stay."""
    if status not in ("pending", "in_progress"):
        return None
    after = "complete" if annotations >= target else "in_progress"
    return after if after != status else None


def advance_many(session: Session, touched: list[tuple[Any, str]], *, reason: str) -> None:
    """Apply ``status_after_annotations`` to tasks that just got annotations, in a few statements.

    ``touched`` are ``(task, actor)``, the task as read in this transaction (any row with
    ``id``, ``project_id``, ``status`` and ``target_annotations``).
    """
    open_tasks = {task.id: (task, actor) for task, actor in touched if task.status in ("pending", "in_progress")}
    if not open_tasks:
        return
    counts = annotation_counts(session, sorted(open_tasks))
    moves = []
    for task_id, (task, actor) in open_tasks.items():
        after = status_after_annotations(task.status, counts.get(task_id, 0), task.target_annotations)
        if after is not None:
            moves.append((task_id, task.project_id, task.status, after, actor or events.SYSTEM))
    set_status_many(session, moves, reason=reason)


def annotation_counts(session: Session, task_ids: list[int]) -> dict[int, int]:
    """How many annotations each of ``task_ids`` has (those with none are left out)."""
    return dict(session.connection().execute(_COUNTS, {"task_ids": task_ids}).all())


_ANNOTATIONS = Annotation.__table__
_COUNTS = select(_ANNOTATIONS.c.task_id, func.count()).where(
    _ANNOTATIONS.c.task_id.in_(bindparam("task_ids", expanding=True))).group_by(_ANNOTATIONS.c.task_id)
_TASKS = Task.__table__
_MOVE = (_TASKS.update()
         .where(_TASKS.c.id.in_(bindparam("task_ids", expanding=True)), _TASKS.c.status == bindparam("before"))
         .values(status=bindparam("after"), updated_at=bindparam("now"))
         .returning(_TASKS.c.id))


def _check_move(task_id: int, before: str, after: str) -> None:
    if after not in TRANSITIONS[before]:
        allowed = ", ".join(sorted(TRANSITIONS[before]))
        raise ValidationError("status", f"cannot go from {before} to {after} (allowed: {allowed})", task_id=task_id)


def duplicate(session: Session, task_id: int, *, asset_id: int | None = None, actor: str = events.SYSTEM) -> Task:
    """A new pending task like ``task_id``, on another asset of the same project if given."""
    source = get(session, task_id)
    if asset_id is not None and assets.get(session, check_id("asset_id", asset_id)).project_id != source.project_id:
        raise ValidationError("asset_id", f"asset {asset_id} belongs to another project")
    copy = Task(project_id=source.project_id, definition_id=source.definition_id,
                asset_id=source.asset_id if asset_id is None else asset_id, payload=dict(source.payload),
                priority=source.priority, target_annotations=source.target_annotations, plugin_id=source.plugin_id)
    session.add(copy)
    session.flush()
    events.record(session, "task.duplicated", actor=actor, project_id=source.project_id, task_id=copy.id,
                  source_task_id=source.id)
    return copy


def pinned_plugin(session: Session, definition) -> int | None:
    """The id of the plugin version new tasks of ``definition`` are pinned to: the active one of its type."""
    plugin = plugins.for_task_type(session, definition.task_type)
    return plugin.id if plugin is not None else None


# -- field checks shared with bulk import ----------------------------------------------
def check_payload(payload: Any) -> dict[str, Any]:
    """A task's payload: a JSON object, whose gold answer (if any, ``gold.GOLD_KEY``) is a valid gold spec."""
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ValidationError("payload", "must be a JSON object")
    gold.gold_of(payload)
    return payload


def check_int(field: str, value: Any) -> int:
    """An integer the store's INTEGER columns hold on every backend."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be an integer")
    if not -projects.MAX_ID <= value <= projects.MAX_ID:
        raise ValidationError(field, f"must be between {-projects.MAX_ID} and {projects.MAX_ID}")
    return value


def is_id(value: Any) -> bool:
    """Whether ``value`` can be a row's id: a positive integer the store's columns hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= projects.MAX_ID


def check_id(field: str, value: Any) -> int:
    if not is_id(value):
        raise ValidationError(field, f"must be an id (an integer from 1 to {projects.MAX_ID})")
    return value


def check_target(value: Any) -> int:
    value = check_int("target_annotations", value)
    if value < 1:
        raise ValidationError("target_annotations", "must be at least 1")
    return value


def _check_status(status: Any) -> None:
    if status not in TASK_STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(TASK_STATUSES)}")
