"""The simulated workers' answers: valid under the label schema, deterministic, breakable."""
from __future__ import annotations

import jsonschema
import pytest

from workbench.devtools.schema_gen import break_value, generate

from .conftest import LABEL_SCHEMA

SCHEMAS = [
    LABEL_SCHEMA,
    {"type": "object", "required": ["boxes"], "properties": {"boxes": {
        "type": "array", "minItems": 2, "maxItems": 5, "items": {
            "type": "object", "required": ["x", "y", "w", "h", "label"],
            "properties": {"x": {"type": "number", "minimum": 0, "maximum": 1},
                           "y": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                           "w": {"type": "integer", "minimum": 1, "maximum": 640},
                           "h": {"type": "integer", "multipleOf": 8, "minimum": 8, "maximum": 64},
                           "label": {"$ref": "#/$defs/label"}}}}},
     "$defs": {"label": {"type": "string", "enum": ["car", "bike"]}}},
    {"type": "array", "items": {"type": "string", "minLength": 3, "maxLength": 3},
     "minItems": 1, "uniqueItems": True},
    {"type": "boolean"},
    {"const": 42},
    {"type": ["string", "null"], "maxLength": 4},
    {"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "boolean"}}},
               {"required": ["b"], "properties": {"b": {"type": "integer", "minimum": 5}}}]},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_generated_values_are_valid_and_deterministic(schema):
    for seed in range(25):
        value = generate(schema, seed)
        jsonschema.validate(value, schema)
        assert generate(schema, seed) == value


@pytest.mark.parametrize("schema", [s for s in SCHEMAS if s.get("type") != ["string", "null"]])
def test_broken_values_are_invalid(schema):
    value = generate(schema, 1)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(break_value(schema, value, 1), schema)
