"""Compiled result validators, cached per definition version, for the submission hot path.

``fastjsonschema`` compiles a schema to Python code, about twenty times faster than
walking it with ``jsonschema``. It speaks draft-07, so it is used only for schemas whose
keywords mean the same in draft 2020-12 (the common ones: types, properties, enums,
lengths, ranges, combinators); anything else is checked by ``jsonschema`` alone. A result
the compiled check refuses is checked again by ``definitions.check_result``, so the
error that names the field and the reason is always jsonschema's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import fastjsonschema

from . import definitions

#: Keywords whose meaning draft-07 and draft 2020-12 share.
SAME_IN_BOTH = frozenset({
    "$schema", "title", "description", "default", "examples", "type", "enum", "const", "properties", "required",
    "additionalProperties", "minProperties", "maxProperties", "items", "minItems", "maxItems", "uniqueItems",
    "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "anyOf", "oneOf", "allOf", "not",
})
SUBSCHEMA_MAPS = ("properties",)
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
SUBSCHEMAS = ("additionalProperties", "items", "not")


def checker(definition_id: int, version: str, label_schema: Any) -> Callable[[Any], None]:
    """The check of a definition's results: it raises ValidationError (field and reason) for a bad one."""
    return _checker(definition_id, version, json.dumps(label_schema, sort_keys=True))


@lru_cache(maxsize=256)
def _checker(definition_id: int, version: str, schema_json: str) -> Callable[[Any], None]:
    compiled = _compiled(json.loads(schema_json))

    def check(result: Any) -> None:
        if compiled is not None:
            try:
                compiled(result)
                return
            except fastjsonschema.JsonSchemaException:
                pass
        definitions.check_result(definition_id, version, schema_json, result)

    return check


def _compiled(schema: Any) -> Callable[[Any], Any] | None:
    if not isinstance(schema, dict) or not _portable(schema):
        return None
    schema = {k: v for k, v in schema.items() if k != "$schema"}
    try:
        return fastjsonschema.compile({"$schema": "http://json-schema.org/draft-07/schema#", **schema})
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


def _portable(schema: Any) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= SAME_IN_BOTH:
        return False
    if isinstance(schema.get("items"), list):
        return False  # tuple form: prefixItems in 2020-12
    for key in SUBSCHEMA_MAPS:
        if key in schema and not all(_portable(s) for s in schema[key].values()):
            return False
    for key in SUBSCHEMA_LISTS:
        if key in schema and not all(_portable(s) for s in schema[key]):
            return False
    return all(_portable(schema[key]) for key in SUBSCHEMAS if key in schema)
