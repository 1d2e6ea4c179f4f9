"""Deterministic example values from a JSON Schema, and values that break it, for simulated workers."""
from __future__ import annotations

import math
import random
import string
from typing import Any

_LETTERS = string.ascii_lowercase


def generate(schema: dict, rng: random.Random | int = 0, root: dict | None = None) -> Any:
    """A value valid under `schema` (the subset annotation schemas use), the same for one seed."""
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    root = root or schema
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return generate(schema[key][0], rng, root)
    if schema.get("allOf"):
        merged: dict = {}
        for part in schema["allOf"]:
            merged = _merge(merged, _resolve(part, root))
        return generate(_merge(merged, {k: v for k, v in schema.items() if k != "allOf"}), rng, root)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, rng, root)
    if kind == "array":
        return _array(schema, rng, root)
    if kind == "string":
        return _string(schema, rng)
    if kind in ("number", "integer"):
        return _number(schema, rng, kind == "integer")
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return {}


def break_value(schema: dict, value: Any, rng: random.Random | int = 0) -> Any:
    """A variant of a valid `value` that `schema` refuses (a missing field or a wrong type)."""
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    kind = _type_of(schema)
    if kind == "object" and isinstance(value, dict):
        required = schema.get("required") or []
        if required:
            broken = dict(value)
            broken.pop(required[0], None)
            return broken
        props = schema.get("properties") or {}
        for name, sub in props.items():
            sub_kind = _type_of(sub)
            if sub_kind or "enum" in sub or "const" in sub:
                broken = dict(value)
                broken[name] = _wrong_value(sub_kind)
                return broken
    if kind == "array" and schema.get("minItems", 0) > 0:
        return []
    if "enum" in schema or "const" in schema:
        return "\u0000not-an-allowed-value"
    return _wrong_value(kind)


def _wrong_value(kind: str | None) -> Any:
    return 12345 if kind == "string" else "not-a-" + (kind or "value")


def _resolve(schema: dict, root: dict) -> dict:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, not {ref!r}")
        node: Any = root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema, seen = node, seen + 1
    return schema


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, val in b.items():
        if k == "properties":
            out[k] = {**out.get(k, {}), **val}
        elif k == "required":
            out[k] = list(dict.fromkeys(out.get(k, []) + list(val)))
        else:
            out[k] = val
    return out


def _type_of(schema: dict) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None:
        if "properties" in schema or "required" in schema:
            return "object"
        if "items" in schema:
            return "array"
    return kind


def _object(schema: dict, rng: random.Random, root: dict) -> dict:
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out = {}
    for name, sub in props.items():
        if name in required or rng.random() < 0.5:
            out[name] = generate(sub, rng, root)
    for name in required - set(out):
        out[name] = "x"  # required but undescribed: any value will do
    return out


def _array(schema: dict, rng: random.Random, root: dict) -> list:
    lo = schema.get("minItems", 0)
    hi = schema.get("maxItems", max(lo, 3))
    count = rng.randint(lo, max(lo, min(hi, lo + 3)))
    items = schema.get("items") or {}
    if isinstance(items, list):  # tuple form
        return [generate(s, rng, root) for s in items][:max(count, len(items))]
    out: list = []
    for _ in range(count * 5):
        if len(out) >= count:
            break
        item = generate(items, rng, root)
        if schema.get("uniqueItems") and item in out:
            continue
        out.append(item)
    return out


def _string(schema: dict, rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2025-01-01T00:00:00Z"
    if fmt == "date":
        return "2025-01-01"
    if fmt == "email":
        return "worker@example.org"
    if fmt in ("uri", "url"):
        return "https://example.org/"
    lo = schema.get("minLength", 1)
    hi = schema.get("maxLength", max(lo, 12))
    size = rng.randint(lo, max(lo, hi))
    return "".join(rng.choice(_LETTERS) for _ in range(size))


def _number(schema: dict, rng: random.Random, integer: bool):
    # Every bound counts: a box side may say both exclusiveMinimum 0 and minimum 4.
    nudge = 1 if integer else 1e-6
    lows = [schema["minimum"]] if _numeric(schema.get("minimum")) else []
    lows += [schema["exclusiveMinimum"] + nudge] if _numeric(schema.get("exclusiveMinimum")) else []
    lo = max(lows, default=0)
    highs = [schema["maximum"]] if _numeric(schema.get("maximum")) else []
    highs += [schema["exclusiveMaximum"] - nudge] if _numeric(schema.get("exclusiveMaximum")) else []
    hi = min(highs, default=lo + 100)
    step = schema.get("multipleOf")
    if integer:
        lo_i, hi_i = math.ceil(lo), math.floor(hi)
        if step:
            choices = [n for n in range(lo_i, hi_i + 1) if n % step == 0] or [lo_i]
            return rng.choice(choices)
        return rng.randint(lo_i, max(lo_i, hi_i))
    if step:
        k = rng.randint(int(lo // step) + 1, max(int(lo // step) + 1, int(hi // step)))
        return k * step
    return min(max(round(rng.uniform(lo, hi), 4), lo), hi)


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
