"""Task types and their versioned definitions, and the validation of results against them.

A definition holds ``ui_config`` (how the annotation UI behaves) and ``label_schema``
(a JSON Schema every result must satisfy). A version that has tasks is frozen: change
the schema by adding a version, so old annotations keep the schema they were made under.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import events
from .errors import ConflictError, NotFoundError, ValidationError
from .projects import SLUG
from .store.models import Task, TaskDefinition, TaskType

VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_+]{0,31}$")


# -- task types ---------------------------------------------------------------------
def get_type(session: Session, key: int | str) -> TaskType:
    stmt = select(TaskType).where(TaskType.id == key if isinstance(key, int) else TaskType.slug == key)
    task_type = session.scalars(stmt).one_or_none()
    if task_type is None:
        raise NotFoundError("task type", key)
    return task_type


def list_types(session: Session) -> list[TaskType]:
    return list(session.scalars(select(TaskType).order_by(TaskType.id)))


def create_type(session: Session, slug: str, name: str | None = None, description: str = "", *,
                actor: str = events.SYSTEM) -> TaskType:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValidationError("slug", "must be 1-64 characters of lower-case letters, digits and '-'")
    if session.scalars(select(TaskType.id).where(TaskType.slug == slug)).first() is not None:
        raise ConflictError(f"a task type with slug {slug!r} already exists", field="slug", reason="already exists")
    task_type = TaskType(slug=slug, name=name or slug, description=description or "")
    session.add(task_type)
    session.flush()
    events.record(session, "task_type.created", actor=actor, task_type_id=task_type.id, slug=slug)
    return task_type


def delete_type(session: Session, key: int | str, *, actor: str = events.SYSTEM) -> None:
    task_type = get_type(session, key)
    if session.scalars(select(Task.id).join(TaskDefinition).where(TaskDefinition.task_type_id == task_type.id)).first():
        raise ConflictError(f"task type {task_type.slug!r} has tasks; delete them first")
    events.record(session, "task_type.deleted", actor=actor, task_type_id=task_type.id, slug=task_type.slug)
    session.delete(task_type)


# -- definitions --------------------------------------------------------------------
def get_definition(session: Session, key: int | str, version: str | None = None) -> TaskDefinition:
    """A definition by id, by ``"type:version"``, or by (type slug, version)."""
    if isinstance(key, int):
        definition = session.get(TaskDefinition, key)
    else:
        if version is None:
            if ":" not in key:
                raise ValidationError("definition", "must be TYPE:VERSION, for example 'bounding-box:1.0'")
            key, version = key.rsplit(":", 1)
        definition = session.scalars(select(TaskDefinition).join(TaskType)
                                     .where(TaskType.slug == key, TaskDefinition.version == version)).one_or_none()
    if definition is None:
        raise NotFoundError("task definition", key if version is None else f"{key}:{version}")
    return definition


def list_definitions(session: Session, task_type: int | str | None = None) -> list[TaskDefinition]:
    stmt = select(TaskDefinition).order_by(TaskDefinition.id)
    if task_type is not None:
        stmt = stmt.where(TaskDefinition.task_type_id == get_type(session, task_type).id)
    return list(session.scalars(stmt))


def create_definition(session: Session, task_type: int | str, version: str, definition: dict[str, Any], *,
                      actor: str = events.SYSTEM) -> TaskDefinition:
    owner = get_type(session, task_type)
    if not isinstance(version, str) or not VERSION.match(version):
        raise ValidationError("version", "must be 1-32 characters of letters, digits and . - _ +")
    check_definition(definition)
    exists = select(TaskDefinition.id).where(TaskDefinition.task_type_id == owner.id, TaskDefinition.version == version)
    if session.scalars(exists).first() is not None:
        raise ConflictError(f"{owner.slug} already has a definition version {version!r}; add a new version instead",
                            field="version", reason="already exists")
    row = TaskDefinition(task_type_id=owner.id, version=version, definition=definition)
    session.add(row)
    session.flush()
    events.record(session, "task_definition.created", actor=actor, definition_id=row.id,
                  task_type=owner.slug, version=version)
    return row


def update_definition(session: Session, key: int | str, definition: dict[str, Any], *,
                      actor: str = events.SYSTEM) -> TaskDefinition:
    row = get_definition(session, key)
    if session.scalars(select(Task.id).where(Task.definition_id == row.id)).first() is not None:
        raise ConflictError(f"definition {row.version!r} has tasks and is frozen; create a new version",
                            field="version", reason="in use")
    check_definition(definition)
    row.definition = definition
    events.record(session, "task_definition.updated", actor=actor, definition_id=row.id)
    return row


def delete_definition(session: Session, key: int | str, *, actor: str = events.SYSTEM) -> None:
    row = get_definition(session, key)
    if session.scalars(select(Task.id).where(Task.definition_id == row.id)).first() is not None:
        raise ConflictError(f"definition {row.version!r} has tasks; delete them first")
    events.record(session, "task_definition.deleted", actor=actor, definition_id=row.id)
    session.delete(row)


def check_definition(definition: Any) -> None:
    """Refuse a definition without a usable ``label_schema`` or with a non-object ``ui_config``."""
    if not isinstance(definition, dict):
        raise ValidationError("definition", "must be a JSON object with ui_config and label_schema")
    if not isinstance(definition.get("ui_config", {}), dict):
        raise ValidationError("definition.ui_config", "must be a JSON object")
    schema = definition.get("label_schema")
    if not isinstance(schema, dict):
        raise ValidationError("definition.label_schema", "must be a JSON Schema object")
    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValidationError("definition.label_schema" + _path(exc.absolute_path),
                              f"is not a valid JSON Schema: {exc.message}") from None


# -- results ------------------------------------------------------------------------
def validate_result(definition: TaskDefinition, result: Any, *, field: str = "result") -> None:
    """Raise ValidationError naming the first offending field when ``result`` breaks the schema."""
    check_result(definition.id, definition.version, json.dumps(definition.label_schema, sort_keys=True), result,
                 field=field)


def check_result(definition_id: int, version: str, schema_json: str, result: Any, *, field: str = "result") -> None:
    """``validate_result`` for a definition given by its id, version and schema (as sorted JSON text)."""
    error = best_match(_validator(definition_id, schema_json).iter_errors(result))
    if error is not None:
        raise ValidationError(field + _path(error.absolute_path), error.message, schema_version=version)


@lru_cache(maxsize=256)
def _validator(definition_id: int, schema_json: str) -> jsonschema.protocols.Validator:
    # Keyed by the schema text too, so an edit of an unused definition is seen at once.
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def _path(parts) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
