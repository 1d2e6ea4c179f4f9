"""Projects: create, read, update, delete, and the progress statistics researchers watch."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from workbench import events
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.models import ASSIGNMENT_STATUSES, TASK_STATUSES, Annotation, Assignment, Project, Task

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
EDITABLE = ("name", "description")
#: The largest id the store's INTEGER columns hold on every backend (PostgreSQL's are 32-bit).
MAX_ID = 2**31 - 1


def _check_slug(slug: Any) -> str:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValidationError("slug", "must be 1-64 characters of lower-case letters, digits and '-', "
                                      "starting with a letter or digit")
    return slug


def get(session: Session, key: int | str) -> Project:
    """A project by id or slug."""
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise ValidationError("project", "must be a project's slug or id")
    if isinstance(key, int) and not 0 < key <= MAX_ID:
        raise NotFoundError("project", key)
    stmt = select(Project).where(Project.id == key if isinstance(key, int) else Project.slug == key)
    project = session.scalars(stmt).one_or_none()
    if project is None:
        raise NotFoundError("project", key, hint="`workbench project list` shows the projects")
    return project


def list_(session: Session, *, limit: int = 100, offset: int = 0) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.id).limit(limit).offset(offset)))


def create(session: Session, slug: str, name: str | None = None, description: str = "", *,
           actor: str = events.SYSTEM) -> Project:
    _check_slug(slug)
    if session.scalars(select(Project.id).where(Project.slug == slug)).first() is not None:
        raise ConflictError(f"a project with slug {slug!r} already exists", field="slug",
                            reason="already exists")
    name = text("name", slug if name is None else name, 200) or slug  # an empty name is the slug
    project = Project(slug=slug, name=name, description=text("description", description))
    session.add(project)
    session.flush()
    events.record(session, "project.created", actor=actor, project_id=project.id, slug=slug)
    return project


def update(session: Session, key: int | str, fields: dict[str, Any] | None = None, /, *,
           actor: str = events.SYSTEM, **changes: Any) -> Project:
    """Change the ``EDITABLE`` fields given in ``fields`` (a request's body, whatever its keys) or as keywords."""
    changes = {**(fields or {}), **changes}
    project = get(session, key)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"cannot be changed; editable fields are {', '.join(EDITABLE)}")
    for field, value in changes.items():
        setattr(project, field, text(field, value, 200 if field == "name" else None))
    events.record(session, "project.updated", actor=actor, project_id=project.id, changes=changes)
    return project


def delete(session: Session, key: int | str, *, actor: str = events.SYSTEM) -> None:
    """Delete a project with its assets, tasks, annotations and HITs."""
    project = get(session, key)
    events.record(session, "project.deleted", actor=actor, project_id=project.id, slug=project.slug)
    session.delete(project)


def stats(session: Session, key: int | str) -> dict[str, Any]:
    """Tasks by status, annotations (total, unique actors), assignments by status."""
    project = get(session, key)
    tasks = dict.fromkeys(TASK_STATUSES, 0)
    for status, count in session.execute(
            select(Task.status, func.count()).where(Task.project_id == project.id).group_by(Task.status)):
        tasks[status] = count
    total, actors = session.execute(
        select(func.count(Annotation.id), func.count(distinct(Annotation.actor)))
        .join(Task, Task.id == Annotation.task_id).where(Task.project_id == project.id)).one()
    assignments = dict.fromkeys(ASSIGNMENT_STATUSES, 0)
    for status, count in session.execute(
            select(Assignment.status, func.count()).join(Task, Task.id == Assignment.task_id)
            .where(Task.project_id == project.id).group_by(Assignment.status)):
        assignments[status] = count
    return {
        "project_id": project.id,
        "project_slug": project.slug,
        "tasks": {"total": sum(tasks.values()), **tasks},
        "annotations": {"total": total, "unique_actors": actors},
        "assignments": {"total": sum(assignments.values()), **assignments},
    }


def text(field: str, value: Any, max_length: int | None = None) -> str:
    """``value`` if it is a string of at most ``max_length`` characters, else a ValidationError on ``field``."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if max_length and len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return value
