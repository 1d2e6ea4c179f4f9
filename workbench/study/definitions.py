"""Task types and their versioned definitions, and the validation of results against them.

A definition holds ``ui_config`` (how the annotation UI behaves) and ``label_schema``
(a JSON Schema every result must satisfy). A version that has tasks is frozen: change
the schema by adding a version, so old annotations keep the schema they were made under.

A definition is held to its study's design when it is created or edited: the schema
takes the label set, the counts and the lengths the plugin's UI enforces from
``ui_config`` (``RULES``), and a schema that says otherwise is refused. Definitions
already stored are left as they are. ``ui_config.worker_fields`` names the payload and
asset-metadata fields a worker may see (``bundles.for_worker``). What a label schema may ask
of the server, and what a result may hold, is ``json_safety``'s.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import events
from workbench.errors import ConflictError, NotFoundError, ValidationError
# Their home until the split; still importable from here.
from .json_safety import (LOCAL_ONLY, MAX_DEPTH, check_label_schema, check_storable, first_error,  # noqa: F401
                          regex, result_validator)
from . import flags, gold
from .projects import SLUG, text
from workbench.store.models import Task, TaskDefinition, TaskType

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
    name = text("name", slug if name is None else name, 200) or slug  # an empty name is the slug
    task_type = TaskType(slug=slug, name=name, description=text("description", description))
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
    definition = check_definition(definition)
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
    row.definition = check_definition(definition)
    events.record(session, "task_definition.updated", actor=actor, definition_id=row.id)
    return row


def delete_definition(session: Session, key: int | str, *, actor: str = events.SYSTEM) -> None:
    row = get_definition(session, key)
    if session.scalars(select(Task.id).where(Task.definition_id == row.id)).first() is not None:
        raise ConflictError(f"definition {row.version!r} has tasks; delete them first")
    events.record(session, "task_definition.deleted", actor=actor, definition_id=row.id)
    session.delete(row)


def check_definition(definition: Any) -> dict[str, Any]:
    """The definition to store: refused without a usable ``label_schema``, with a malformed ``ui_config``, or
    with a ``label_schema`` that contradicts its ``ui_config``; otherwise with the schema held to ``ui_config``
    (``held_to_ui_config``)."""
    if not isinstance(definition, dict):
        raise ValidationError("definition", "must be a JSON object with ui_config and label_schema")
    ui_config = definition.get("ui_config", {})
    if not isinstance(ui_config, dict):
        raise ValidationError("definition.ui_config", "must be a JSON object")
    schema = definition.get("label_schema")
    if not isinstance(schema, dict):
        raise ValidationError("definition.label_schema", "must be a JSON Schema object")
    check_storable(definition, "definition")
    check_label_schema(schema)
    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValidationError("definition.label_schema" + _path(exc.absolute_path),
                              f"is not a valid JSON Schema: {exc.message}") from None
    check_ui_config(ui_config)
    try:
        flags.thresholds_from(definition)  # the review flags' thresholds, if the definition sets any
    except ValidationError as exc:
        raise ValidationError(f"definition.{exc.field}", exc.reason) from None
    return {**definition, "label_schema": held_to_ui_config(schema, ui_config)}


# -- ui_config, and the results it allows ---------------------------------------------
#: The kinds of field ``ui_config.worker_fields`` names: task payload fields and asset metadata fields.
WORKER_FIELD_KINDS = ("payload", "metadata")
#: Counts the plugins' UIs enforce, in the pairs that bound them.
BOUNDS = (("min_boxes", "max_boxes"), ("min_polygons", "max_polygons"), ("min_length", "max_length"))
#: Maxima the drawing tools read as "no limit" when 0.
UNLIMITED_AT_0 = ("max_boxes", "max_polygons")


@dataclass(frozen=True)
class Rule:
    """``ui_config[key]`` fixes ``keyword`` of the schema node at ``at`` inside a result property's schema."""

    key: str
    at: tuple[str, ...]
    keyword: str


#: What each built-in plugin's UI enforces, by the result property it fills (see plugins/README.md).
RULES: dict[str, tuple[Rule, ...]] = {
    "labels": (Rule("labels", ("items",), "enum"), Rule("multi", (), "maxItems")),
    "boxes": (Rule("labels", ("items", "properties", "label"), "enum"), Rule("min_boxes", (), "minItems"),
              Rule("max_boxes", (), "maxItems"), Rule("min_size", ("items", "properties", "w"), "minimum"),
              Rule("min_size", ("items", "properties", "h"), "minimum")),
    "polygons": (Rule("labels", ("items", "properties", "label"), "enum"), Rule("min_polygons", (), "minItems"),
                 Rule("max_polygons", (), "maxItems")),
    "text": (Rule("min_length", (), "minLength"), Rule("max_length", (), "maxLength")),
}


def check_ui_config(ui_config: dict[str, Any]) -> None:
    """Refuse a malformed value of a ``ui_config`` key the plugins read, naming the key."""
    def refuse(key: str, reason: str) -> None:
        raise ValidationError(f"definition.ui_config.{key}", reason)

    labels = ui_config.get("labels")
    if "labels" in ui_config and (not isinstance(labels, list) or not labels or len(set(map(str, labels))) != len(labels)
                                  or not all(isinstance(label, str) and label for label in labels)):
        refuse("labels", "must be a list of distinct, non-empty strings")
    for key in ("multi", "disable_paste"):  # disable_paste: the worker page refuses pastes into its text fields
        if key in ui_config and not isinstance(ui_config[key], bool):
            refuse(key, "must be true or false")
    for key in (key for pair in BOUNDS for key in pair if key in ui_config):
        if not _count(ui_config[key]):
            refuse(key, "must be a whole number, 0 or more")
    size = ui_config.get("min_size")
    if "min_size" in ui_config and (not isinstance(size, (int, float)) or isinstance(size, bool)
                                    or not math.isfinite(size) or size <= 0):
        refuse("min_size", "must be a number of pixels above 0")
    for low, high in BOUNDS:
        unlimited = high in UNLIMITED_AT_0 and ui_config.get(high) == 0
        if low in ui_config and high in ui_config and not unlimited and ui_config[low] > ui_config[high]:
            refuse(high, f"is below ui_config.{low} ({ui_config[low]})")
    if "worker_fields" in ui_config:
        check_worker_fields(ui_config["worker_fields"], "definition.ui_config.worker_fields")


def check_worker_fields(value: Any, field: str) -> None:
    """Refuse a ``worker_fields`` that is not ``{"payload": [names], "metadata": [names]}`` (either list may be
    left out)."""
    if not isinstance(value, dict):
        raise ValidationError(field, 'must be an object such as {"payload": ["text"], "metadata": ["alt"]}')
    for kind, names in value.items():
        if kind not in WORKER_FIELD_KINDS:
            raise ValidationError(f"{field}.{kind}", f"is not a kind of field; use {' or '.join(WORKER_FIELD_KINDS)}")
        if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
            raise ValidationError(f"{field}.{kind}", "must be a list of field names (non-empty strings)")
        if kind == "payload" and gold.GOLD_KEY in names:
            raise ValidationError(f"{field}.{kind}", f"{gold.GOLD_KEY!r} is the task's gold answer: it never reaches "
                                                     "the worker page")


def held_to_ui_config(label_schema: dict[str, Any], ui_config: dict[str, Any]) -> dict[str, Any]:
    """``label_schema`` with the constraints ``ui_config`` sets (``RULES``) added where it describes the result
    property; ValidationError naming the schema keyword when the schema already says otherwise.

    A classification result (``labels``) of a definition for the label-choosing UI (``ui_config.labels`` given)
    holds one label unless ``ui_config.multi`` is true; every other rule applies when its ``ui_config`` key is
    given (``max_boxes``/``max_polygons`` 0: no limit, as the tools read it).
    """
    out = copy.deepcopy(label_schema)
    properties = out.get("properties")
    if not isinstance(properties, dict):
        return out
    for name, rules in RULES.items():
        for rule in rules:
            node = properties.get(name)
            for part in rule.at:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                _hold(node, rule, ui_config, ".".join(("definition.label_schema.properties", name, *rule.at,
                                                       rule.keyword)))
    return out


def _hold(node: dict[str, Any], rule: Rule, ui_config: dict[str, Any], field: str) -> None:
    have = node.get(rule.keyword)
    if rule.key == "multi":
        if "labels" not in ui_config:
            return  # not a definition for the label-choosing UI: its schema says how many labels, as written
        if ui_config.get("multi") is True:
            if have is not None and have < 2:
                raise ValidationError(field, f"is {have}, but ui_config.multi is true (a worker may choose several "
                                             "labels); raise it or leave it out")
            return
        want: Any = 1
    elif rule.key in ui_config and not (rule.key in UNLIMITED_AT_0 and ui_config[rule.key] == 0):
        want = ui_config[rule.key]
    else:
        return
    if have is None:
        node[rule.keyword] = list(want) if rule.keyword == "enum" else want
    elif rule.keyword == "enum":
        extra = [v for v in have if v not in want]
        missing = [v for v in want if v not in have]
        if extra or missing:
            raise ValidationError(field, "must list exactly ui_config.labels"
                                  + (f"; not in ui_config.labels: {', '.join(map(str, extra))}" if extra else "")
                                  + (f"; missing: {', '.join(map(str, missing))}" if missing else ""))
    elif have != want:
        said = "is not true" if rule.key == "multi" else f"is {want}"
        raise ValidationError(field, f"is {have}, but ui_config.{rule.key} {said}; make them agree or leave "
                                     f"{rule.keyword} out (it follows ui_config)")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# -- results ------------------------------------------------------------------------
def validate_result(definition: TaskDefinition, result: Any, *, field: str = "result") -> None:
    """Raise ValidationError naming the first offending field when ``result`` breaks the schema."""
    check_result(definition.id, definition.version, json.dumps(definition.label_schema, sort_keys=True), result,
                 field=field)


def check_result(definition_id: int, version: str, schema_json: str, result: Any, *, field: str = "result") -> None:
    """``validate_result`` for a definition given by its id, version and schema (as sorted JSON text)."""
    error = first_error(_validator(definition_id, schema_json), result, schema_version=version)
    if error is not None:
        raise ValidationError(field + _path(error.absolute_path), error.message, schema_version=version)


@lru_cache(maxsize=256)
def _validator(definition_id: int, schema_json: str) -> jsonschema.protocols.Validator:
    # Keyed by the schema text too, so an edit of an unused definition is seen at once.
    return result_validator(json.loads(schema_json))


def _path(parts) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
