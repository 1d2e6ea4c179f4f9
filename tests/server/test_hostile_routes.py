"""Hostile requests to the routes (issue 14): each is a clear 4xx in JSON, never a 500 or a traceback, and a
refused request leaves the store as it was.

Deep JSON, ids past what the store's columns hold, NUL bytes in file paths, bodies larger than the route
takes (refused on their Content-Length before they are sent), malformed researcher bodies, methods and paths
the server does not have, and what the server tells strangers about itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from .processes import TOKEN, get, public_server
from .test_auth import SAMPLES, operations

ANON = {"Authorization": ""}
BOTH = pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
DEEP = "[" * 5000 + "]" * 5000
# The routes that read a JSON body (the issue counted 19 then; each route added since reads through the same one).
JSON_ROUTES = sorted({(m, p) for m, p in operations() if m in ("POST", "PUT", "PATCH") and p.startswith("/workbench/api")})
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


# -- defect 7: file routes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "workbench/static/worker.css%00", "workbench/static/%00",
    "workbench/plugins/classification/1.1.0/plugin.js%00", "workbench/api/docs/static/swagger-ui.css%00",
])
async def test_a_nul_in_a_file_path_is_a_404(http_server_client, jp_base_url, jp_auth_header, study, path):
    # Sent as it is: jp_fetch would escape the % itself.
    response = await http_server_client.fetch(jp_base_url + path, headers=jp_auth_header, raise_error=False)
    assert response.code == 404


async def test_a_signature_that_is_not_ascii_is_a_403_naming_sig(fetch_json, study):
    # As long as a real one (an HMAC-SHA256 in hex: 64 characters), so that no length check stops it before the
    # comparison, which raises on text that is not ASCII.
    status, data, _ = await fetch_json("workbench", "assets", str(study.asset.id), headers=dict(ANON),
                                       params={"exp": "99999999999", "sig": "é" * 64})
    assert (status, data["field"]) == (403, "sig")


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


# -- defect 9: body limits before the body; defect 13: noise and leaks (a real public server) --------------------
@pytest.fixture
def served(make_store, tmp_path):
    with public_server(make_store("sqlite").url, tmp_path) as running:
        yield running


def raw_request(base: str, head: str, body: bytes = b"") -> bytes:
    """Send ``head`` (and ``body``) on a socket and read the answer until the server closes the connection or
    answers it; a server waiting for a body it was promised would leave the read to time out. ``head`` is sent
    as Latin-1, so that "²" is the one byte 0xB2 a client may put in a header."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n")
        try:
            if body:
                sock.sendall(body)
            answer = b""
            while not answer.endswith(b"}") and (chunk := sock.recv(65536)):
                answer += chunk
        except (ConnectionResetError, BrokenPipeError):
            answer = b"<reset>"
    return answer


#: One 64 KB chunk of a body sent without a length (Transfer-Encoding: chunked), as the client frames it.
CHUNK = b"10000\r\n" + b" " * 0x10000 + b"\r\n"


def json_answer(answer: bytes) -> tuple[int | None, str | None]:
    """The status of a raw answer and the field its JSON body names (None for what is not there)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else None
    try:
        return status, json.loads(body)["field"]
    except (ValueError, KeyError, TypeError):
        return status, None


def test_a_body_over_the_limit_is_refused_on_its_length_before_it_is_sent(served):
    base, log = served
    for route in ("POST /workbench/api/submissions", "GET /workbench/annotate/1", "POST /login"):
        answer = raw_request(base, f"{route} HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                                   "Content-Length: 1000000000\n")  # a gigabyte promised, never sent
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line == b"HTTP/1.1 413 Request Entity Too Large", (route, answer[:200])
        body = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert (body["error"], body["field"]) == ("payload_too_large", "body")
    # a researcher route takes more, but not without limit either
    answer = raw_request(base, "POST /workbench/api/projects HTTP/1.1\nHost: x\n"
                               f"Authorization: token {TOKEN}\nContent-Length: 100000000\n")
    assert answer.startswith(b"HTTP/1.1 413 ")
    # a body sent without a length is cut off at the limit, and answered in JSON too: the rest is not read
    for route in ("POST /workbench/api/submissions", "POST /nosuch", "POST /login"):
        answer = raw_request(base, f"{route} HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                                   "Transfer-Encoding: chunked\n", CHUNK * 3)
        assert json_answer(answer) == (413, "body"), (route, answer[:300])
    assert "Traceback" not in log.read_text()


def test_the_public_server_says_nothing_about_itself_and_logs_no_traceback_for_refusals(served):
    base, log = served
    status, body = get(base + "/api")
    assert status == 404 and b"version" not in body and json.loads(body)["error"] == "not_found"
    import urllib.request

    request = urllib.request.Request(base + "/workbench/api/projects/cats", method="DELETE")
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        data = json.loads(exc.read())
        assert exc.code == 403 and exc.headers["Content-Type"] == "application/json"
        assert "_xsrf" not in data["message"] and data["field"] == "Authorization"
        assert "Server" not in exc.headers
    for path in ("/login", "/workbench/collab/join", "/workbench/api/docs", "/nosuch", "/workbench/annotate/1"):
        answer = raw_request(base, f"TRACE {path} HTTP/1.1\nHost: x\n")
        assert answer.startswith(b"HTTP/1.1 405 ") and b"\r\nAllow: " in answer, (path, answer[:200])
    # form bodies tornado cannot parse, to Jupyter's pages (its login and 404, the collaboration page)
    cut_part = b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nno end'
    many_fields = b"&".join([b"a=1"] * 1500)
    for route, content_type, body in [
        ("GET /workbench/collab/join", "multipart/form-data", b"--"),
        ("GET /workbench/collab/join", "multipart/form-data; boundary=b", cut_part),
        ("POST /login", "multipart/form-data; boundary=b", cut_part),
        ("POST /login", "application/x-www-form-urlencoded", many_fields),
        ("GET /nosuch", "application/x-www-form-urlencoded", many_fields),
    ]:
        answer = raw_request(base, f"{route} HTTP/1.1\nHost: x\nContent-Type: {content_type}\n"
                                   f"Content-Length: {len(body)}\n", body)
        assert answer.startswith(b"HTTP/1.1 400 "), (route, content_type, answer[:200])
    # start-up's readiness polls (503 until the submission writer runs) and the refusals above: no traceback
    assert "Traceback" not in log.read_text()


# -- review of issue 14's fixes: what still reached a traceback, a bare answer or a full buffer ------------------
def test_a_token_that_is_not_utf8_is_a_400_naming_it_before_any_user_is_known(served):
    """Jupyter's identity provider decodes ``token`` before a handler knows its user; Jupyter's error page then
    failed asking for one: a logged traceback and an empty 400."""
    base, log = served
    for path in ("/login", "/workbench/collab/join", "/workbench/collab/ws/1", "/nosuch", "/lab", "/api/status",
                 "/workbench/api/health", "/workbench/assets/1"):
        answer = raw_request(base, f"GET {path}?token=%ff HTTP/1.1\nHost: x\nConnection: close\n")
        assert json_answer(answer) == (400, "token"), (path, answer[:300])
    # in a form's body too, where the identity provider looks as well
    body = b"token=%ff"
    answer = raw_request(base, "POST /login HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\n"
                               f"Connection: close\nContent-Length: {len(body)}\n", body)
    assert json_answer(answer) == (400, "token"), answer[:300]
    # the worker's page answers with the worker's error page, as for any query that does not decode
    answer = raw_request(base, "GET /workbench/annotate/1?token=%ff HTTP/1.1\nHost: x\nConnection: close\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and b'data-field="token"' in answer, answer[:300]
    assert "Traceback" not in log.read_text()


async def test_the_collaboration_page_writes_its_error_page_for_an_error_before_prepare(
        study, http_server_client, jp_base_url, monkeypatch):
    """The gate refuses the one such error known (above); were another to reach the page, its error page still
    renders, as the worker pages' do (``PageHandler.write_error``)."""
    from server_ext import gate

    monkeypatch.setattr(gate, "_decodes", lambda values: True)  # let the token through to the page
    logged = Remember()
    logging.getLogger("tornado.application").addHandler(logged)
    try:
        response = await http_server_client.fetch(f"{jp_base_url}workbench/collab/join?token=%ff", raise_error=False)
    finally:
        logging.getLogger("tornado.application").removeHandler(logged)
    assert response.code == 400 and b"<html" in (response.body or b"").lower()
    assert not [record for record in logged.records if record.exc_info], [r.getMessage() for r in logged.records]


class Remember(logging.Handler):
    """The records a logger passed on, traceback or not."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("length, body", [
    ("\u00b2", b"x"), ("\u00b9\u00b2", b"x"), ("1\u00b2", b"x"),  # digits to str.isdigit, not to int
    ("+5", b"12345"), ("5, 6", b"12345"), ("0x5", b"12345"), ("9" * 5000, b""),
])
def test_a_content_length_that_is_not_a_number_of_bytes_is_a_400_naming_it(served, length, body):
    base, log = served
    for route in ("POST /workbench/api/submissions", "POST /workbench/api/projects", "POST /login", "POST /nosuch"):
        answer = raw_request(base, f"{route} HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                                   f"Content-Length: {length}\n", body)
        assert json_answer(answer) == (400, "Content-Length"), (route, answer[:300])
    assert "Traceback" not in log.read_text()


def test_framing_tornado_reads_is_read_and_framing_it_refuses_is_a_json_400(served):
    base, log = served
    # one length repeated, as proxies sometimes send it, is that length: the body is read (and is no JSON)
    answer = raw_request(base, "POST /workbench/api/submissions HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                               "Content-Length: 5, 5\n", b"12 34")
    assert json_answer(answer) == (400, "body"), answer[:300]
    for encoding in ("gzip", "chunked\nContent-Length: 5"):
        answer = raw_request(base, "POST /workbench/api/submissions HTTP/1.1\nHost: x\n"
                                   f"Transfer-Encoding: {encoding}\n", b"12345")
        assert json_answer(answer) == (400, "Transfer-Encoding"), (encoding, answer[:300])
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("value, length", [("0", 0), ("65536", 65536), ("5, 5", 5), ("5,5", 5)])
def test_declared_length_reads_what_tornado_reads(value, length):
    from tornado.httputil import HTTPHeaders

    from server_ext.gate import declared_length

    assert declared_length(HTTPHeaders({"Content-Length": value})) == length


@pytest.mark.parametrize("value", ["\u00b2", "1\u00b2", "\u0661", "+5", "-5", "5.0", "", "5, 6", "9" * 5000])
def test_declared_length_refuses_what_tornado_refuses(value):
    from tornado.httputil import HTTPHeaders

    from server_ext.gate import declared_length

    with pytest.raises(ValueError):
        declared_length(HTTPHeaders({"Content-Length": value}))


def test_a_body_no_route_takes_from_a_stranger_is_refused_before_it_is_read(served):
    """Catch-all 404s and Jupyter's own routes kept tornado's 512 MB: a stranger's body was read whole (a form's
    twice) before the 403 or 404."""
    base, log = served
    # catch-alls, Jupyter's shutdown (for a researcher only) and its trailing-slash redirect
    for route in ("POST /nosuch", "PUT /nosuch/deeper", "POST /api/nosuch", "POST /api/shutdown", "POST /x/"):
        answer = raw_request(base, f"{route} HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\n"
                                   "Content-Length: 150000000\n")  # promised, never sent
        assert json_answer(answer) == (413, "body"), (route, answer[:300])
        answer = raw_request(base, f"{route} HTTP/1.1\nHost: x\nContent-Type: application/octet-stream\n"
                                   "Transfer-Encoding: chunked\n", CHUNK * 3)
        assert json_answer(answer) == (413, "body"), (route, answer[:300])
    assert "Traceback" not in log.read_text()


async def test_jupyter_s_own_api_takes_a_large_body_from_a_researcher_only(fetch_json, study):
    """Uploads through the contents API keep the server's own limit for a logged-in researcher."""
    body = {"type": "file", "format": "text", "content": "a" * 200_000}  # past the public limit of 64 KB
    status, data, _ = await fetch_json("api", "contents", "big.txt", method="PUT", body=body, headers=dict(ANON))
    assert (status, data["error"], data["field"]) == (413, "payload_too_large", "body"), data
    status, data, _ = await fetch_json("api", "contents", "big.txt", method="PUT", body=body)
    assert status == 201 and data["size"] == 200_000, data


@pytest.mark.parametrize("path, method, content_type, body, field", [
    ("workbench/assets/{asset}?exp=-1&sig=%ff", "GET", None, None, "sig"),
    ("workbench/api/health?token=%ff", "GET", None, None, "token"),
    ("workbench/api/annotations?task_id=%ff", "GET", None, None, "task_id"),
    ("workbench/api/submissions", "POST", "multipart/form-data; boundary=b",
     b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nno end', "body"),
    ("workbench/api/projects", "POST", "application/x-www-form-urlencoded", b"&".join([b"a=1"] * 1500), "body"),
    ("workbench/api/projects", "POST", "application/x-www-form-urlencoded", b"token=%ff", "token"),
])
async def test_an_argument_or_form_a_workbench_route_cannot_read_is_a_400_naming_it(
        study, http_server_client, jp_base_url, jp_auth_header, path, method, content_type, body, field):
    url = jp_base_url + path.format(asset=study.asset.id)  # sent as it is: jp_fetch would escape the %
    response = await http_server_client.fetch(url, method=method, body=body, raise_error=False,
                                              headers={**jp_auth_header, **({"Content-Type": content_type}
                                                                            if content_type else {})})
    data = json.loads(response.body)
    assert (response.code, data["error"], data["field"]) == (400, "validation_error", field), data
    assert data["reason"]


@pytest.fixture
def swapped_asset(study, tmp_path, monkeypatch):
    """An asset in a folder of its own, and ``swap(change)``: ``change(folder, file)`` runs just after the server
    has checked the file it will serve, and before it opens it (the race a local user could win)."""
    from workbench.study import assets

    folder = tmp_path / "pics"
    folder.mkdir()
    file = folder / "cat.png"
    file.write_bytes(Path(study.asset.local_path).read_bytes())
    with study.store.transaction() as s:
        asset_id = assets.register_file(s, "cats", file).id
    checked = assets.file_to_serve

    def swap(change):
        def file_to_serve(session, wanted):
            found = checked(session, wanted)
            change(folder, file)
            return found

        monkeypatch.setattr(assets, "file_to_serve", file_to_serve)

    return asset_id, swap


async def fetch_asset(fetch_json, asset_id: int):
    from workbench.study import bundles, signing

    return await fetch_json("workbench", "assets", str(asset_id), headers=dict(ANON),
                            params=signing.sign(bundles.asset_message(asset_id)))


async def test_an_asset_folder_swapped_for_a_symlink_after_the_check_is_not_followed(fetch_json, swapped_asset,
                                                                                      tmp_path):
    asset_id, swap = swapped_asset
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "cat.png").write_bytes(b"SECRET")

    def folder_to_symlink(folder, file):
        folder.rename(folder.with_name("pics-before"))
        folder.symlink_to(elsewhere, target_is_directory=True)

    status, _, response = await fetch_asset(fetch_json, asset_id)
    assert status == 200  # as registered
    swap(folder_to_symlink)
    status, data, response = await fetch_asset(fetch_json, asset_id)
    assert status == 404 and data["error"] == "not_found", response.body[:100]


async def test_an_asset_file_swapped_for_a_fifo_after_the_check_is_a_404_not_a_wait(fetch_json, swapped_asset):
    asset_id, swap = swapped_asset
    fifos, writers = [], []

    def file_to_fifo(folder, file):
        file.unlink()
        os.mkfifo(file)
        fifos.append(file)
        # A writer, so that a server that opened the FIFO as a file would read "SECRET" rather than wait forever.
        writers.append(threading.Thread(target=write_fifo, args=(file,), daemon=True))
        writers[-1].start()

    swap(file_to_fifo)
    try:
        status, data, response = await fetch_asset(fetch_json, asset_id)
        assert status == 404 and data["error"] == "not_found", response.body[:100]
    finally:
        for fifo in fifos:  # a writer still waiting for a reader is let go
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        for writer in writers:
            writer.join()


def write_fifo(path) -> None:
    with contextlib.suppress(BrokenPipeError), open(path, "wb") as pipe:
        pipe.write(b"SECRET")
