"""Hostile requests to the researcher API's routes (issue 14): each is a clear 4xx in JSON, never a 500 or a
traceback, and a refused request leaves the store as it was.

Deep JSON, ids past what the store's columns hold, NUL bytes in path parameters, malformed researcher bodies,
and methods and paths the server does not have. Requests no route can read (body limits, framing, tokens that
do not decode) are in ``test_hostile_http.py``, the asset file routes in ``test_hostile_asset_files.py``.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from .test_auth import SAMPLES, operations, per_provider

ANON = {"Authorization": ""}
BOTH = pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
DEEP = "[" * 5000 + "]" * 5000
# The routes that read a JSON body (the issue counted 19 then; each route added since reads through the same one).
JSON_ROUTES = sorted(per_provider({(m, p) for m, p in operations()
                                    if m in ("POST", "PUT", "PATCH") and p.startswith("/workbench/api")}))
TABLES = ("projects", "tasks", "annotations", "assets", "events")


def row_counts(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}


def url_of(path: str) -> list[str]:
    return path.format(**SAMPLES).strip("/").split("/")


# -- defect 5: deep JSON ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path", JSON_ROUTES, ids=[f"{m} {p}" for m, p in JSON_ROUTES])
async def test_deep_json_is_a_400_on_the_body_of_every_json_route(fetch_json, study, method, path):
    before = row_counts(study.store)
    status, data, _ = await fetch_json(*url_of(path), method=method, body=DEEP)
    assert (status, data["field"], data["error"]) == (400, "body", "validation_error"), data
    assert "nests deeper than 64 levels" in data["reason"]
    assert row_counts(study.store) == before


async def test_json_as_deep_as_the_limit_is_read_and_one_level_more_is_not(fetch_json, study):
    within = {"project": "cats", "definition": "classification:1.0", "payload": {"a": json.loads("[" * 62 + "]" * 62)}}
    status, data, _ = await fetch_json("workbench/api/tasks", method="POST", body=within)
    assert status == 201, data
    beyond = {**within, "payload": {"a": json.loads("[" * 63 + "]" * 63)}}
    status, data, _ = await fetch_json("workbench/api/tasks", method="POST", body=beyond)
    assert (status, data["field"]) == (400, "body")


# -- defect 6: ids past the store's integers ------------------------------------------------------------------
HUGE = "99999999999999999999999"


@BOTH
@pytest.mark.parametrize("method, path", [
    ("GET", f"workbench/api/tasks/{HUGE}"), ("PATCH", f"workbench/api/tasks/{HUGE}"),
    ("DELETE", f"workbench/api/tasks/{HUGE}"), ("GET", f"workbench/api/tasks/{HUGE}/bundle"),
    ("POST", f"workbench/api/tasks/{HUGE}/duplicate"), ("GET", f"workbench/api/assets/{HUGE}"),
    ("DELETE", f"workbench/api/assets/{HUGE}"), ("GET", f"workbench/api/annotations/{HUGE}"),
    # past PostgreSQL's 32-bit INTEGER, below SQLite's 64 bits
    ("GET", "workbench/api/tasks/2147483648"), ("GET", "workbench/api/assets/9999999999"),
])
async def test_a_path_id_past_the_store_is_a_json_404(fetch_json, study, method, path):
    status, data, response = await fetch_json(*path.split("/"), method=method,
                                              body="{}" if method in ("POST", "PATCH") else None)
    assert (status, data["error"]) == (404, "not_found"), data
    assert response.headers["Content-Type"] == "application/json"


@BOTH
@pytest.mark.parametrize("method, path", [
    ("GET", "workbench/api/projects/{nul}"), ("PATCH", "workbench/api/projects/{nul}"),
    ("DELETE", "workbench/api/projects/{nul}"), ("GET", "workbench/api/projects/{nul}/stats"),
    ("GET", "workbench/api/task-types/{nul}"), ("DELETE", "workbench/api/task-types/{nul}"),
    ("GET", "workbench/api/task-types/{nul}/definitions"), ("POST", "workbench/api/task-types/{nul}/definitions"),
    ("GET", "workbench/api/task-types/classification/definitions/{nul}"),
    ("PUT", "workbench/api/task-types/classification/definitions/{nul}"),
    ("DELETE", "workbench/api/task-types/classification/definitions/{nul}"), ("GET", "workbench/api/plugins/{nul}"),
])
async def test_a_nul_in_a_path_parameter_is_a_400_naming_it(fetch_json, study, method, path):
    """Found by the hostile campaign: PostgreSQL refuses a NUL in any query, and these answered 500."""
    before = row_counts(study.store)
    status, data, _ = await fetch_json(*path.format(nul="a\x00b").split("/"), method=method,
                                       body="{}" if method in ("POST", "PUT", "PATCH") else None)
    assert (status, data["error"], data["reason"]) == (400, "validation_error", "must not contain a NUL character")
    assert data["field"] in ("slug", "version", "name"), data
    assert row_counts(study.store) == before


@BOTH
async def test_an_annotate_page_past_the_store_is_the_404_page(fetch_json, study):
    for task_id in (HUGE, "2147483648", "999999999"):
        status, _, response = await fetch_json("workbench", "annotate", task_id, headers=dict(ANON))
        assert status == 404 and response.headers["Content-Type"].startswith("text/html"), task_id


@BOTH
@pytest.mark.parametrize("path, name, value", [
    ("workbench/api/annotations", "task_id", HUGE), ("workbench/api/annotations", "task_id", "2147483648"),
    ("workbench/api/tasks", "definition_id", HUGE), ("workbench/api/projects", "offset", HUGE),
    ("workbench/api/annotations", "task_id", "1_000"), ("workbench/api/annotations", "task_id", "١٢"),
    ("workbench/api/projects", "limit", ""), ("workbench/api/events", "until", ""),
    ("workbench/api/mturk/hits", "environment", ""), ("workbench/api/mturk/workers", "blocked", "yes"),
])
async def test_a_query_number_past_the_store_or_not_a_number_is_a_400_naming_it(fetch_json, study, path, name, value):
    status, data, _ = await fetch_json(*path.split("/"), params={name: value})
    assert (status, data["field"]) == (400, name), data


@BOTH
@pytest.mark.parametrize("method, path, body, field", [
    ("POST", "workbench/api/tasks", {"project": "cats", "definition": "classification:1.0", "asset_id": 2**31}, "asset_id"),
    ("POST", "workbench/api/tasks", {"project": "cats", "definition": 2**63}, "definition"),
    ("POST", "workbench/api/tasks", {"project": "cats", "definition": "classification:1.0", "priority": 2**40},
     "priority"),
    ("PATCH", "workbench/api/tasks/{task}", {"target_annotations": 2**31}, "target_annotations"),
    ("POST", "workbench/api/tasks/{task}/duplicate", {"asset_id": 2**64}, "asset_id"),
    ("POST", "workbench/api/annotations", {"task_id": 2**63, "result": {"labels": ["cat"]}}, "task_id"),
    ("POST", "workbench/api/mturk/hits/H1/associate", {"project": "cats", "task_id": 2**40}, "task_id"),
    ("POST", "workbench/api/mturk/hits", {"project": "cats", "task_ids": [1, 2**40], "spec": {}}, "task_ids[1]"),
    ("POST", "workbench/api/mturk/hits/H1/extend", {"assignments": 2**40}, "assignments"),
])
async def test_a_body_number_past_the_store_is_a_400_naming_it(fetch_json, study, method, path, body, field):
    before = row_counts(study.store)
    status, data, _ = await fetch_json(*path.format(task=study.task_ids[0]).split("/"), method=method, body=body)
    assert (status, data["field"]) == (400, field), data
    assert row_counts(study.store) == before


# -- defect 11: malformed researcher bodies -------------------------------------------------------------------
LONG = "a" * 300


@BOTH
@pytest.mark.parametrize("method, path, body, field", [
    ("PATCH", "workbench/api/tasks/{task}", {"actor": "mallory"}, "actor"),
    ("PATCH", "workbench/api/tasks/{task}", {"session": 1}, "session"),
    ("PATCH", "workbench/api/tasks/{task}", {"task_id": 2}, "task_id"),
    ("PATCH", "workbench/api/projects/cats", {"actor": "mallory"}, "actor"),
    ("PATCH", "workbench/api/projects/cats", {"session": 1}, "session"),
    ("PATCH", "workbench/api/projects/cats", {"key": "dogs"}, "key"),
    ("PATCH", "workbench/api/projects/cats", {"name": "x\u0000y"}, "name"),
    ("PATCH", "workbench/api/projects/cats", {"name": "\ud800"}, "name"),
    ("POST", "workbench/api/projects", {"slug": "dogs", "name": {}}, "name"),
    ("POST", "workbench/api/tasks", {"project": {}, "definition": "classification:1.0"}, "project"),
    ("POST", "workbench/api/tasks", {"project": ["cats"], "definition": "classification:1.0"}, "project"),
    ("POST", "workbench/api/tasks", {"project": "cats", "definition": 7.5}, "definition"),
    ("POST", "workbench/api/tasks", {"project": "cats", "definition": "classification:1.0", "payload": {"n": "\u0000"}},
     "payload.n"),
    ("POST", "workbench/api/assets", {"project": "cats", "path": "/tmp/a\u0000b.png"}, "path"),
    ("POST", "workbench/api/assets", {"project": "cats", "path": f"/tmp/{LONG}.png"}, "path"),
    ("POST", "workbench/api/assets", {"project": "cats", "path": "~nosuchuser/a.png"}, "path"),
    ("POST", "workbench/api/assets", {"project": "cats", "s3_key": "a.png", "bucket": "b", "sha256": 7}, "sha256"),
    ("POST", "workbench/api/assets", {"project": "cats", "s3_key": "a.png", "bucket": ["b"]}, "bucket"),
    ("POST", "workbench/api/assets", {"project": "cats", "s3_key": "a.png", "bucket": "b", "width": 2**40}, "width"),
    ("POST", "workbench/api/plugins", {"name": "x", "task_type": "classification", "version": "9",
                                       "root": "plugins/classification",
                                       "js": [f"{LONG}.js"], "css": [], "result_schema_version": "1.0"}, "manifest.js[0]"),
    ("POST", "workbench/api/plugins", {"name": "x", "task_type": "classification", "version": "9",
                                       "root": "plugins/classification",
                                       "js": ["plugin.js"], "css": [f"{LONG}.css"], "result_schema_version": "1.0"},
     "manifest.css[0]"),
    # found by the schemathesis run in CI: a number was stored as the description
    ("POST", "workbench/api/task-types", {"slug": "t1", "description": 3.7e16}, "description"),
    ("POST", "workbench/api/task-types", {"slug": "t1", "name": ["x"]}, "name"),
    ("POST", "workbench/api/task-types", {"slug": "t1", "name": "n" * 201}, "name"),
    ("POST", "workbench/api/mturk/sync", {"environment": ["local"]}, "environment"),
    ("POST", "workbench/api/mturk/ingest", {"environment": None}, "environment"),
    ("POST", "workbench/api/mturk/sync", {"confirm_production": "yes"}, "confirm_production"),
    ("POST", "workbench/api/mturk/assignments/A1/approve", {"override": "1"}, "override"),
])
async def test_a_malformed_researcher_body_is_a_400_naming_the_field(fetch_json, study, method, path, body, field):
    before = row_counts(study.store)
    status, data, _ = await fetch_json(*path.format(task=study.task_ids[0]).split("/"), method=method, body=body)
    assert (status, data["error"], data["field"]) == (400, "validation_error", field), data
    assert data["message"] and data["reason"]
    assert row_counts(study.store) == before


async def test_non_finite_numbers_are_refused_in_researcher_bodies(fetch_json, study):
    before = row_counts(study.store)
    body = '{"project": "cats", "definition": "classification:1.0", "payload": {"x": [1, NaN]}}'
    status, data, _ = await fetch_json("workbench", "api", "tasks", method="POST", body=body)
    assert (status, data["field"]) == (400, "payload.x[1]")
    status, data, _ = await fetch_json("workbench", "api", "tasks", method="POST", body=body.replace("NaN", "-Infinity"))
    assert (status, data["field"]) == (400, "payload.x[1]")
    assert row_counts(study.store) == before


# -- defect 12: the answers the spec describes -----------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("headers", [{}, ANON], ids=["researcher", "anonymous"])
async def test_an_unknown_api_path_is_a_json_404(fetch_json, study, method, headers):
    for path in ("workbench/api/nosuch", "workbench/api/tasks/abc", "workbench/api", "workbench/assets/abc"):
        status, data, response = await fetch_json(*path.split("/"), method=method, headers=dict(headers),
                                                  body="{}" if method == "POST" else None)
        assert (status, data["error"]) == (404, "not_found"), (path, status)
        assert response.headers["Content-Type"] == "application/json"


async def test_an_annotate_page_for_no_number_is_the_404_page_not_the_login(fetch_json, study):
    for path in ("workbench/annotate/abc", "workbench/annotate/-1", "workbench/nosuch"):
        status, _, response = await fetch_json(*path.split("/"), headers=dict(ANON))
        assert status == 404 and response.headers["Content-Type"].startswith("text/html"), path
        assert "Location" not in response.headers


@pytest.mark.parametrize("method, path, allow", [
    ("TRACE", "workbench/api/projects", "GET, POST, OPTIONS"),
    ("DELETE", "workbench/api/projects", "GET, POST, OPTIONS"),
    ("TRACE", "workbench/annotate/1", "GET"),
    ("PUT", "workbench/static/worker.css", "GET, HEAD"),
    ("PUT", "workbench/plugins/classification/1.1.0/plugin.js", "GET, HEAD"),
    ("TRACE", "workbench/api/submissions", "POST, OPTIONS"),
])
@pytest.mark.parametrize("headers", [{}, ANON], ids=["researcher", "anonymous"])
async def test_a_method_a_path_does_not_have_is_a_405_with_allow(fetch_json, study, method, path, allow, headers):
    status, data, response = await fetch_json(*path.split("/"), method=method, headers=dict(headers))
    assert (status, data["error"], data["field"]) == (405, "method_not_allowed", "method")
    assert response.headers["Allow"] == allow


def test_every_operation_documents_the_refusals_it_can_get():
    import yaml

    from server_ext.handlers.docs import SPEC

    spec = yaml.safe_load(SPEC.read_text())
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = set(op["responses"])
            assert "400" in codes, (method, path)  # a request no route can read (Content-Length, a token not UTF-8)
            if op.get("security") != []:
                assert "403" in codes, (method, path)
            if op.get("requestBody") or op.get("security") == []:
                assert "413" in codes, (method, path)
    assert {"403", "404", "413", "429", "503"} <= set(spec["paths"]["/workbench/api/submissions"]["post"]["responses"])
