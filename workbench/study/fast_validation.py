"""Compiled result validators, cached per definition version, for the submission hot path.

``fastjsonschema`` compiles a schema to Python code, about twenty times faster than
walking it with ``jsonschema``. It speaks draft-07, so it is used only for schemas whose
keywords mean the same in draft 2020-12 (the common ones: types, properties, enums,
lengths, ranges, combinators); anything else is checked by ``jsonschema`` alone. A result
the compiled check refuses is checked again by ``definitions.check_result``, so the
error that names the field and the reason is always jsonschema's.

The compiled check runs only what ``json_safety.check_label_schema`` allows, as jsonschema's
does: it resolves no reference outside the schema (every URI scheme is refused, so a stored
schema with a remote ``$ref`` is never fetched), and its patterns match with RE2 in linear
time. fastjsonschema compiles patterns with Python's ``re``; the compiled ones are swapped for
RE2's before the check is used, and a schema whose patterns cannot be swapped is left to
jsonschema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import fastjsonschema

from . import definitions, json_safety
from workbench.errors import ValidationError

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
    try:
        json_safety.check_label_schema(schema)
    except ValidationError:
        return None  # jsonschema's check refuses every result, naming the definition's fault
    schema = {k: v for k, v in schema.items() if k != "$schema"}
    try:
        compiled = fastjsonschema.compile({"$schema": "http://json-schema.org/draft-07/schema#", **schema},
                                          handlers=RefuseEveryScheme())
    except (fastjsonschema.JsonSchemaDefinitionException, re.error):
        return None
    return _on_re2(compiled)


def _on_re2(compiled: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
    """``compiled`` with its patterns matched by RE2; None if they are not where fastjsonschema keeps them."""
    patterns = getattr(compiled, "__globals__", {}).get("REGEX_PATTERNS")
    if patterns is None:
        return None
    for pattern in list(patterns):
        try:
            patterns[pattern] = json_safety.regex(pattern)
        except ValidationError:
            return None
    return compiled


class RefuseEveryScheme(Mapping[str, Callable[[str], Any]]):
    """fastjsonschema's URI handlers, one per scheme: this one has every scheme, and each refuses. (Without a
    handler, fastjsonschema fetches the URI with urllib.)"""

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return self._refuse

    def __contains__(self, scheme: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    @staticmethod
    def _refuse(uri: str) -> Any:
        raise fastjsonschema.JsonSchemaDefinitionException("references outside the schema are not followed")


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
