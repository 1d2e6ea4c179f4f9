"""Hostile requests below the routes (issue 14): bodies larger than a route takes (refused on their
Content-Length before they are sent), framing tornado refuses, tokens and forms that do not decode, and what
the server tells strangers about itself. Each is a clear 4xx in JSON, and the server logs no traceback.

Most run against a real public server (``jupyter workbench``) over a raw socket, which sends what an HTTP
client would not.
"""

from __future__ import annotations

import json
import logging
import socket
from urllib.parse import urlsplit

import pytest

from .processes import TOKEN, get, public_server

ANON = {"Authorization": ""}


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
