"""Flood requests at the researcher's routes: every operation of the spec (with the token, without it, forged),
hostile label schemas, odd methods; and the plausible values that carry one hostile part past the rest."""

from __future__ import annotations

import json
import re
from typing import Any

from benchmarks.hostile.draw import Draw
from benchmarks.hostile.payloads import CONTENT_TYPES, DEEP, MALFORMED, NUMBERS, ODD_METHODS
from benchmarks.hostile.study import LABELS_SCHEMA, TOKEN
from benchmarks.hostile.wire import Shot, enc, splice
from workbench.crowd import providers


def spec_op(d: Draw) -> Shot:
    d.op_cycle.append(op := d.op_cycle.pop(0))
    auth_label, headers, authed = d.auth()
    family = auth_label
    target = op.path
    for name in re.findall(r"{(\w+)}", op.path):
        kind, value = d.path_value(name, plausible_path(d, op.path, name, authed))
        family = kind if kind != "plausible" else family
        target = target.replace("{" + name + "}", value, 1)
    params = []
    for name, schema in op.query:
        if d.rng.random() < 0.5:
            kind, value = d.query_value(str(plausible_value(d, name, schema, 0)))
            family = kind if kind != "plausible" else family
            params.append((name, value))
    if d.rng.random() < 0.1:
        params.append((d.pick(["__proto__", "_xsrf", "limit", "\u00e9", "x" * 300]), enc(d.pick(NUMBERS))))
    if params:
        target += "?" + d.query(params)
    body = None
    if op.body is not None:
        kind, body, content_type = hostile_body(d, op)
        family = kind
        headers.append(("Content-Type", content_type))
    return d.shot(family, f"{op.method} {op.path}", op.method, target, headers, body)


def definition(d: Draw) -> Shot:
    """A researcher's definition with a hostile label schema: remote $ref, catastrophic patterns, poison."""
    schemas = ['{"$ref": "%s/schema.json"}' % d.listener, '{"$ref": "file:///etc/passwd"}',
               '{"type": "object", "properties": {"x": {"$ref": "%s"}}}' % d.listener,
               '{"type": "string", "pattern": "^(a+)+$"}', '{"type": "string", "pattern": "(a)\\\\1"}',
               '{"type": "string", "pattern": "(?<=a)b"}', '{"patternProperties": {"^(a|a)*$": {}}}',
               '{"$schema": 5}', '{"minimum": NaN}', '{"enum": ["\\u0000"]}', '{"enum": ["\\ud800"]}',
               '{"$dynamicRef": "%s"}' % d.listener, '{"type": "object", "$defs": {"x": ' + DEEP[2] + "}}",
               DEEP[0], '{"properties": {"labels": {"$ref": "#/nowhere"}}}', '{"type": "nonsense"}']
    family = d.pick(["schema", "schema", "deep", "nonfinite"])
    schema = d.pick(schemas)
    definition = '{"ui_config": {"labels": ["cat", "dog"]}, "label_schema": %s}' % schema
    authed = d.rng.random() < 0.85
    headers = [("Content-Type", "application/json")] + ([("Authorization", f"token {TOKEN}")] if authed else [])
    if d.rng.random() < 0.5:
        n = d.next_id()
        body = ('{"version": "%d.0", "definition": %s}' % (n + 100, definition)).encode()
        return d.shot(family, "POST /workbench/api/task-types/{slug}/definitions", "POST",
                      "/workbench/api/task-types/decoytype/definitions", headers, body)
    body = ('{"definition": %s}' % definition).encode()
    return d.shot(family, "PUT /workbench/api/task-types/{slug}/definitions/{version}", "PUT",
                  "/workbench/api/task-types/decoytype/definitions/1.0", headers, body)


def odd_method(d: Draw) -> Shot:
    op = d.pick(d.ops)
    method = d.pick(ODD_METHODS)
    auth_label, headers, authed = d.auth()
    # with the token, a DELETE or PATCH that a path has names the decoys, never the study
    target = re.sub(r"{(\w+)}", lambda m: plausible_path(d, op.path, m.group(1), authed), op.path)
    body = None if d.rng.random() < 0.6 else b'{"a": 1}'
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    return d.shot("methods", f"{method} {op.path}", method, target, headers, body)


# plausible values: what a correct caller would send, so that one hostile part gets past the rest


def plausible_path(d: Draw, path: str, name: str, authed: bool) -> str:
    study = d.study
    if name == "slug":
        return "decoytype" if "/task-types/" in path else ("decoy" if authed else "cats")
    if name == "task_id":
        return str(d.pick(study.decoy) if authed else study.page_task)
    if name == "asset_id":
        return str(study.decoy_asset if authed else study.asset)
    if name == "provider":  # each provider's routes, against its simulator (none for link-out)
        return d.pick(providers.names())
    return {"annotation_id": "1", "version": "1.0" if "/task-types/" in path else "1.1.0",
            "name": "classification", "hit_id": "3NOSUCHHIT", "assignment_id": "3NOSUCHASSIGNMENT",
            "worker_id": "A1CAMPAIGNDECOY", "qualification_type_id": "3NOSUCHTYPE", "session_id": "1",
            "path": "swagger-ui.css" if "/docs/" in path else "worker.css"}.get(name, "1")


def plausible_value(d: Draw, name: str, schema: dict, depth: int) -> Any:
    study = d.study
    named = {"project": "decoy", "slug": f"hc{d.next_id()}", "name": "Hostile campaign",
             "task_id": study.decoy[0], "task_ids": [study.decoy[0]], "asset_id": study.decoy_asset,
             "result": {"labels": ["cat"]}, "version": f"9.{d.next_id()}", "label_schema": LABELS_SCHEMA,
             "feedback": "thanks", "reason": "campaign", "amount_cents": 1, "worker_id": "A1CAMPAIGNDECOY",
             "code": "NOCODE", "assignment_id": "3NOSUCHASSIGNMENT", "environment": "local", "payload": {"n": 1},
             "root": "plugins/classification", "js": ["plugin.js"], "css": [], "path": "/etc/passwd",
             "limit": 10, "offset": 0, "status": "pending", "since": "2020-01-01T00:00:00Z"}
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if name == "definition" and kind != "object":
        return "classification:1.0"
    if name in named and not (kind == "object" and not isinstance(named[name], dict)):
        return named[name]
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" and depth < 3:
        props = schema.get("properties", {})
        keys = list(schema.get("required", [])) + [k for k in props if d.rng.random() < 0.3]
        resolve = d.ops[0].resolve
        return {k: plausible_value(d, k, resolve(props.get(k, {})), depth + 1) for k in dict.fromkeys(keys)}
    return {"integer": 1, "number": 1.0, "boolean": False, "array": [], "object": {}}.get(kind, "x")


def hostile_body(d: Draw, op) -> tuple[str, bytes, str]:
    base = plausible_value(d, "body", op.body, 0)
    if not isinstance(base, dict):
        base = {}
    r = d.rng.random()
    content_type = "application/json"
    if r < 0.5:
        family, raw = d.hostile_json()
        keys = list(op.body.get("properties", {})) + ["__proto__", "actor", "session", "id", "\u0000"]
        body = splice(base, **{d.pick(keys): raw})
    elif r < 0.7:
        family, raw = d.hostile_json()
        key = d.pick(list(op.body.get("properties", {})) or ["x"])
        body = splice(base, **{key: '{"x": [%s]}' % raw})
    elif r < 0.9:
        family, body = "malformed", d.pick(MALFORMED)
    else:
        family, body = "content_type", json.dumps(base).encode()
        content_type = d.pick(CONTENT_TYPES)
    return family, body, content_type
