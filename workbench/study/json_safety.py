"""JSON the server did not write: what every store keeps of it, and label schemas it may run on it.

Results, MTurk answers and researcher bodies come from outside. ``check_storable`` refuses, naming
the field, what a store would refuse or keep as invalid JSON (NaN, NUL, unpaired surrogates, deep
nesting). A definition's ``label_schema`` runs on every worker's result, so ``check_label_schema``
allows only what cannot reach outside the schema or take more than linear time, and
``result_validator`` is jsonschema held to the same rules (RE2 patterns, ``LOCAL_ONLY`` references).
"""

from __future__ import annotations

import math
import urllib.parse
from functools import lru_cache
from typing import Any

import jsonschema
import re2
import referencing
import referencing.exceptions
from jsonschema.exceptions import best_match

from workbench.errors import ValidationError

# -- values the stores keep ------------------------------------------------------
#: How deep a result may nest: far deeper than any plugin's result, far shallower than a recursive reader survives.
MAX_DEPTH = 64


def check_storable(value: Any, field: str = "result", *, plain: bool = True, by_keys: bool = False) -> None:
    """Refuse, naming the field, what no store keeps as JSON: a number that is not finite (NaN, Infinity), a NUL
    or an unpaired surrogate in a string or a key, nesting deeper than ``MAX_DEPTH``. Walked without recursion, so
    a deep value cannot exhaust the stack.

    A value inside is named ``field.key[0]``; with ``by_keys`` by its keys alone (``payload.x[1]``: a request
    body's fields), and too deep a nesting is then said of ``field`` itself. Without ``plain`` only the depth is
    checked."""
    stack = [(value, "" if by_keys else field, 0)]
    while stack:
        node, path, depth = stack.pop()
        if plain and isinstance(node, float) and not math.isfinite(node):
            raise ValidationError(path or field, "must be a finite number, not NaN or Infinity")
        if isinstance(node, str):
            if plain:
                _check_text(node, path or field, "holds")
        elif isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise ValidationError(field if by_keys else path, f"nests deeper than {MAX_DEPTH} levels")
            if isinstance(node, dict):
                if plain:
                    for key in node:
                        _check_text(key, path or field, "has a key holding")
                stack.extend((child, f"{path}.{key}" if path else str(key), depth + 1) for key, child in node.items())
            else:
                stack.extend((child, f"{path or field}[{index}]", depth + 1) for index, child in enumerate(node))


def _check_text(text: str, field: str, says: str) -> None:
    if "\x00" in text:
        raise ValidationError(field, f"{says} a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, f"{says} an unpaired surrogate (not text)") from None



def result_validator(label_schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    """A jsonschema validator of results that runs only what ``check_label_schema`` allows: patterns on RE2 (linear
    time), and no reference resolved outside the schema. A stored schema that breaks those rules fails closed: its
    check raises ValidationError(field="definition.label_schema…") for every result."""
    check_label_schema(label_schema)
    cls = jsonschema.validators.validator_for(label_schema, default=jsonschema.Draft202012Validator)
    return _linear(cls)(label_schema, registry=LOCAL_ONLY)


# -- label schemas: what a worker's input may make the server run ---------------------
#: Keywords that refer to another schema: only local ones (``#…``) are followed.
REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
#: Keywords that apply their schemas to the very value they sit on: a reference that comes back through only
#: these (and other references) never reaches the end of the answer, so the check would go on forever.
IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def check_label_schema(schema: Any, field: str = "definition.label_schema") -> None:
    """Refuse, naming the keyword, a schema that would make the server reach outside it or take more than linear
    time on a worker's input: a ``$ref`` that is not local (``#/$defs/…``), a local one that comes back to where it
    started without reading into the answer (``{"$ref": "#"}``), a ``pattern`` or ``patternProperties`` regular
    expression RE2 cannot run (backreferences, lookarounds), or ``unevaluatedProperties`` beside
    ``patternProperties`` (jsonschema matches those with Python's backtracking engine).

    Every object in the schema is looked at, also inside ``enum``, ``const`` or ``default`` and under property
    names that look like keywords: a local reference can point anywhere, and what it points at is run as a
    schema."""
    if isinstance(schema, dict) and not isinstance(schema.get("$schema", ""), str):
        raise ValidationError(f"{field}.$schema", "must be the URI of a JSON Schema dialect, such as "
                                                   "https://json-schema.org/draft/2020-12/schema")
    stack, keywords = [(schema, field)], set()
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        keywords.update(node)
        for key, value in node.items():
            if key in REF_KEYWORDS and isinstance(value, str) and not value.startswith("#"):
                raise ValidationError(f"{path}.{key}", "must be a local reference such as #/$defs/label; the "
                                                       "server fetches no schema from a URL or a file")
            if key == "pattern" and isinstance(value, str):
                regex(value, f"{path}.{key}")
            if key == "patternProperties" and isinstance(value, dict):
                for pattern in value:
                    regex(pattern, f"{path}.{key}")
            stack.append((value, f"{path}.{key}"))
    if {"unevaluatedProperties", "patternProperties"} <= keywords:
        raise ValidationError(f"{field}.unevaluatedProperties", "cannot be used with patternProperties; list the "
                                                                "properties, or use additionalProperties")
    _check_no_ref_cycle(schema, field)


def _check_no_ref_cycle(schema: Any, field: str) -> None:
    """Refuse a local reference from which the check comes back to the same schema, at the same place in the
    answer, through references and ``IN_PLACE`` keywords only. (A reference under ``properties`` or ``items``
    reads one level further into the answer each time: a tree's schema may refer to itself that way.)"""
    nodes: dict[str, tuple[dict[str, Any], str, str]] = {}  # JSON pointer: (schema, its path in words, its resource)
    anchors: dict[tuple[str, str], str] = {}
    stack: list[tuple[Any, str, str, str]] = [(schema, "", field, "")]
    while stack:
        node, pointer, path, resource = stack.pop()
        if isinstance(node, list):
            stack.extend((item, f"{pointer}/{i}", f"{path}[{i}]", resource) for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("$id"), str):
            resource = pointer  # "#…" inside it is read from here (a base URI of its own)
        nodes[pointer] = (node, path, resource)
        for key in ("$anchor", "$dynamicAnchor"):
            if isinstance(node.get(key), str):
                anchors[(resource, node[key])] = pointer
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            stack.append((value, f"{pointer}/{escaped}", f"{path}.{key}", resource))

    def target(ref: str, resource: str) -> str | None:
        fragment = urllib.parse.unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            return anchors.get((resource, fragment))
        return resource + fragment

    def next_in_place(pointer: str) -> list[tuple[str, str]]:
        node, path, resource = nodes[pointer]
        out = []
        for key in REF_KEYWORDS:
            if isinstance(node.get(key), str) and (to := target(node[key], resource)) in nodes:
                out.append((to, f"{path}.{key}"))
        for key in IN_PLACE:
            value = node.get(key)
            children = (range(len(value)) if isinstance(value, list) else value if isinstance(value, dict)
                        and key == "dependentSchemas" else [None])
            for child in children:
                if child is None:
                    to = f"{pointer}/{key}"
                else:
                    to = f"{pointer}/{key}/{str(child).replace('~', '~0').replace('/', '~1')}"
                if to in nodes:
                    out.append((to, nodes[to][1]))
        return out

    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    for start in nodes:
        if start in state:
            continue
        state[start] = 1
        walk = [(start, iter(next_in_place(start)))]
        while walk:
            pointer, edges = walk[-1]
            step = next(edges, None)
            if step is None:
                state[pointer] = 2
                walk.pop()
                continue
            to, path = step
            if state.get(to) == 1:
                raise ValidationError(path, "leads back to a schema it came from without reading any further "
                                            "into the answer, so no answer could ever be checked; refer to a "
                                            "schema only under properties or items to repeat it")
            if to not in state:
                state[to] = 1
                walk.append((to, iter(next_in_place(to))))


def first_error(validator: jsonschema.protocols.Validator, result: Any, **context: Any) -> Any:
    """jsonschema's best error for ``result``, or None. A schema that cannot be run (a reference that leads
    nowhere, or comes back without end in a schema stored before the rules) fails closed: ValidationError on
    ``definition.label_schema``, which names no file or host and lets the caller go on with other work."""
    try:
        return best_match(validator.iter_errors(result))
    except referencing.exceptions.Unresolvable:
        reason = "has a reference that does not resolve inside it"
    except RecursionError:
        reason = "refers to itself without end"
    raise ValidationError("definition.label_schema", f"{reason}; the definition must be fixed", **context)


def regex(pattern: str, field: str = "pattern") -> Any:
    """``pattern`` compiled by RE2, which matches in time linear in the input; ValidationError naming ``field`` when
    RE2 cannot run it."""
    try:
        return _re2(pattern)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValidationError(field, f"is not a regular expression the workbench can run in linear time ({reason}); "
                                     "use RE2 syntax: no backreferences, lookahead or lookbehind") from None


@lru_cache(maxsize=1024)
def _re2(pattern: str) -> Any:
    return re2.compile(pattern, _RE2_OPTIONS)


def _refuse_retrieval(uri: str) -> referencing.Resource:
    raise referencing.exceptions.NoSuchResource(ref=uri)


#: Where a result validator looks up references: the schema itself, and nothing is ever retrieved.
LOCAL_ONLY = referencing.Registry(retrieve=_refuse_retrieval)


def _pattern(validator, pattern: str, instance: Any, schema: dict[str, Any]):
    if validator.is_type(instance, "string") and not regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if regex(pattern).search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


@lru_cache(maxsize=None)
def _linear(cls: type) -> type:
    """``cls`` with every keyword that matches a regular expression on input matching it with RE2."""
    additional = cls.VALIDATORS.get("additionalProperties")

    def additional_properties(validator, allowed, instance, schema):
        # Properties the patterns match count as listed, so jsonschema's own check never runs a pattern itself.
        if validator.is_type(instance, "object") and schema.get("patternProperties"):
            matched = {key: True for key in instance
                       if any(regex(pattern).search(key) for pattern in schema["patternProperties"])}
            schema = {**schema, "properties": {**schema.get("properties", {}), **matched}, "patternProperties": {}}
        yield from additional(validator, allowed, instance, schema)

    overrides = {"pattern": _pattern, "patternProperties": _pattern_properties,
                 "additionalProperties": additional_properties}
    return jsonschema.validators.extend(cls, {k: v for k, v in overrides.items() if k in cls.VALIDATORS})
