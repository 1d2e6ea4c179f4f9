"""The researcher API's request bodies as pydantic models, and the refusal a body that breaks one gets.

Each POST, PUT and PATCH of ``/workbench/api/`` reads its JSON object through one of these
(``ApiHandler.body_as``), and ``openapi_gen`` writes their JSON Schemas into the spec, so the
spec says what the handlers take. Types are strict, as the hand checks they replace were: a
string is a JSON string, an integer a JSON integer (not 1.0, not true), a boolean true or
false. Each body keeps its route's rule for fields it does not know: refused
(``extra="forbid"``), ignored (the default), or kept (a manifest, a definition: stored as
sent). The limits the service checks (lengths, ranges, a slug's pattern) are stated here
too, from the service's own constants where it has them; what needs the store (does the
project exist, is the version taken) stays the service's to say.

``refusal`` turns pydantic's first error into the workbench's ``ValidationError``: the field
is the error's dotted location (``payload.x[1]``, ``task_ids[2]``), the reason plain words.
A key missing from a nested object is reported on that object (``spec``: "description is
required"), as these routes always named it; one missing from the body names the key.
The crowd routes' bodies (every provider's) are in ``api_models_crowd``.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Callable, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from workbench.errors import ValidationError
from workbench.study import assets, definitions, plugins, projects, tasks

MAX_ID = projects.MAX_ID
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class Body(BaseModel):
    """A JSON request body: strict types; unknown fields are ignored unless a body says otherwise."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Closed(Body):
    """A body that refuses fields it does not know, naming the first."""

    model_config = ConfigDict(extra="forbid")


# -- field types ----------------------------------------------------------------------
#: An integer the store's INTEGER columns hold on every backend (PostgreSQL's are 32-bit).
Int = Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)]
#: A row's id.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A string with something in it besides white space.
Filled = Annotated[str, Field(pattern=r"\S")]
#: A JSON object, stored as sent.
Object = dict[str, Any]


def either(name: str, accepts: Callable[[Any], bool], reason: str, schema: dict[str, Any]) -> Any:
    """A field of two JSON types (one error, on the field itself, rather than pydantic's one per type)."""

    def check(value: Any) -> Any:
        if not accepts(value):
            raise PydanticCustomError(name, reason)
        return value

    return Annotated[Any, PlainValidator(check), WithJsonSchema(schema)]


#: A project by slug or id (as ``projects.get`` takes it).
ProjectKey = either("project_key", lambda v: isinstance(v, str) or tasks.is_id(v), "must be a project's slug or id",
                    {"anyOf": [{"type": "string"}, ID_SCHEMA], "description": "The project's slug (or its id)"})


# -- the refusal ----------------------------------------------------------------------
#: The words for a pattern a field did not match (by the pattern's text).
PATTERNS = {
    projects.SLUG.pattern: "must be 1-64 characters of lower-case letters, digits and '-', starting with a letter "
                           "or digit",
    definitions.VERSION.pattern: "must be 1-32 characters of letters, digits and . - _ +",
    plugins.NAME.pattern: "must be 1-64 characters of lower-case letters, digits, - and _",
    r"\S": "must not be blank",
}
REASONS = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a list",
    "string_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "must hold at least {min_length} items",
    "too_long": "must hold at most {max_length} items",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
}


def refusal(exc: pydantic.ValidationError, model: type[BaseModel], prefix: str = "") -> ValidationError:
    """The first of ``exc``'s errors as a ValidationError on its dotted location (under ``prefix``)."""
    error = exc.errors(include_url=False)[0]
    loc, kind, ctx = list(error["loc"]), error["type"], error.get("ctx") or {}
    if kind == "missing" and len(loc) > 1:
        reason = f"{loc.pop()} is required"
    elif kind == "extra_forbidden":
        known = ", ".join(_model_at(model, loc[:-1]).model_fields)
        reason = f"is not a field here (the fields are {known})"
    elif kind == "string_pattern_mismatch":
        reason = PATTERNS.get(ctx.get("pattern"), f"must match {ctx.get('pattern')}")
    elif kind in REASONS:
        reason = REASONS[kind].format(**ctx)
    else:  # ours (PydanticCustomError), already in plain words
        reason = error["msg"]
        if "field" in ctx:  # a check of the whole object, on the field it names
            loc.append(ctx["field"])
    if reason == "must be at least 1 characters":
        reason = "must not be empty"
    return ValidationError(location(prefix, loc), reason)


def location(prefix: str, loc: list[str | int]) -> str:
    """``payload.x[1]``: keys joined with dots, list indexes in brackets; "body" for the body itself."""
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "body"


def _model_at(model: type[BaseModel], loc: list[str | int]) -> type[BaseModel]:
    """The model that the object at ``loc`` (inside ``model``) is read as."""
    for part in loc:
        if isinstance(part, str):
            model = _model_in(model.model_fields[part].annotation) or model
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds, perhaps inside a list or an Optional."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (found := _model_in(arg)) is not None:
            return found
    return None


# -- projects and task types ----------------------------------------------------------
Slug = Annotated[str, Field(pattern=projects.SLUG.pattern, description="1-64 lower-case letters, digits and '-'")]
Name = Annotated[str | None, Field(max_length=200, description="Absent, null or empty: the slug")]


class NewProject(Body):
    """A new project."""

    slug: Slug
    name: Name = None
    description: str = ""


class ProjectChanges(Closed):
    """A project's new name and/or description (nothing else of a project changes)."""

    name: str = Field(None, max_length=200)
    description: str = Field(None)


class NewTaskType(Body):
    """A new task type."""

    slug: Slug
    name: Name = None
    description: str = ""


class Definition(Body):
    """How the annotation UI behaves (``ui_config``) and the JSON Schema every result must satisfy
    (``label_schema``); other keys are stored as sent."""

    model_config = ConfigDict(extra="allow")

    ui_config: Object = Field(None, description="Read by the task type's plugin (labels, instructions, ...)")
    label_schema: Object = Field(description="A JSON Schema every result must satisfy")


class NewDefinition(Body):
    """A new version of the task type's definition."""

    version: str = Field(pattern=definitions.VERSION.pattern, description="1-32 letters, digits and . - _ +")
    definition: Definition


class DefinitionReplacement(Body):
    """The definition a version gets in place of its own (only while it has no tasks)."""

    definition: Definition


# -- tasks ----------------------------------------------------------------------------
TaskStatus = Literal[tasks.TASK_STATUSES]  # type: ignore[valid-type]
Target = Annotated[int, Field(ge=1, le=MAX_ID, description="Annotations that complete the task")]
DefinitionKey = either("definition_key", lambda v: isinstance(v, str) or tasks.is_id(v),
                       "must be TYPE:VERSION or a definition's id",
                       {"anyOf": [{"type": "string"}, ID_SCHEMA],
                        "description": "TYPE:VERSION, for example classification:1.0 (or the definition's id)"})


class NewTask(Closed):
    """A new pending task."""

    project: ProjectKey
    definition: DefinitionKey
    asset_id: Id | None = None
    payload: Object | None = Field(None, description="What the worker page shows with the asset (null: {})")
    priority: Int = 0
    target_annotations: Target = 1


class TaskChanges(Closed):
    """Fields to change and/or the status to move to, all or nothing."""

    priority: Int = Field(None)
    payload: Object | None = Field(None, description="null: {}")
    target_annotations: Target = Field(None)
    status: TaskStatus | None = Field(None, description="The status to move to (null: stay)")


class TaskCopy(Body):
    """Where the copy's asset comes from (default: the task's own)."""

    asset_id: Id | None = None


# -- assets ---------------------------------------------------------------------------
class NewAsset(Closed):
    """A local file (``path``, inside the project's asset roots) or an S3 object (``s3_key``): one of the two."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["path"]}, {"required": ["s3_key"]}]})

    project: ProjectKey
    path: str = Field(None, min_length=1, description="A local file")
    s3_key: str = Field(None, description="An S3 object's key, relative")
    bucket: str | None = Field(None, description="Default: WORKBENCH_S3_BUCKET")
    media_type: Literal[assets.MEDIA_TYPES] | None = Field(  # type: ignore[valid-type]
        None, description="Default: guessed from a file's name; image for an S3 object")
    sha256: str | None = Field(None, description="A file's must match its content")
    width: Int | None = Field(None, description="An S3 image's (a file's is read from it)")
    height: Int | None = Field(None, description="An S3 image's (a file's is read from it)")
    metadata: Object | None = None

    @model_validator(mode="after")
    def _one_source(self) -> NewAsset:
        if ("path" in self.model_fields_set) == ("s3_key" in self.model_fields_set):
            raise PydanticCustomError("one_source", "give either path (a local file) or s3_key (an S3 object)",
                                      {"field": "path"})
        return self


# -- annotations and completion codes -------------------------------------------------
class NewAnnotation(Body):
    """An annotation the researcher submits for a task."""

    task_id: Id
    result: Any = Field(description="Checked against the definition's label_schema")
    submission_id: str | None = Field(None, min_length=1, max_length=128,
                                      description="The same one again answers the first (duplicate true)")
    tool_version: str = Field("", max_length=64)


class CodeCheck(Body):
    """A link-out assignment and the completion code its worker gave."""

    assignment_id: str = Field(min_length=1)
    code: str = Field(min_length=1)


# -- plugins --------------------------------------------------------------------------
PluginName = Annotated[str, Field(pattern=plugins.NAME.pattern, description="1-64 lower-case letters, digits, - and _")]
Version = Annotated[str, Field(pattern=definitions.VERSION.pattern, description="1-32 letters, digits and . - _ +")]


class WorkerFields(Closed):
    """The payload and asset-metadata fields a worker may see."""

    payload: list[Annotated[str, Field(min_length=1)]] = Field(None)
    metadata: list[Annotated[str, Field(min_length=1)]] = Field(None)


class Manifest(Body):
    """A plugin version's manifest; its files are checked against the plugins folder, and it is stored as sent."""

    model_config = ConfigDict(extra="allow")

    name: PluginName
    task_type: PluginName
    version: Version
    root: str = Field(description="plugins/<name>, relative, inside the plugins folder")
    js: list[str] = Field(min_length=1, description="Files in the plugin's folder")
    css: list[str] = Field(description="Files in the plugin's folder")
    result_schema_version: Version
    title: str = Field(None)
    description: str = Field(None)
    worker_fields: WorkerFields = Field(None)
    default_definition: Definition = Field(None)
