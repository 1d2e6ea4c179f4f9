"""The public worker surface over HTTP: annotate page contract, submissions, link-out, files, limits."""

from __future__ import annotations

import html
import json
import re
from http.cookies import SimpleCookie

import pytest

from workbench.crowd import submissions, worker_sessions
from workbench.study import bundles, signing
from workbench.store.models import Annotation, Assignment, Event, WorkerSession

ANON = {"Authorization": ""}
MTURK = {"assignmentId": "A1", "hitId": "H1", "workerId": "W1", "turkSubmitTo": "https://workersandbox.mturk.com"}
XSS = '</script><script>window.__xss=1</script><img src=x onerror="window.__xss=2">&amp;'


def parse_page(response):
    text = response.body.decode()
    raw = re.search(r'<script type="application/json" id="wb-bundle">(.*?)</script>', text, re.S).group(1)
    token = re.search(r'<meta name="wb-submit-token" content="([^"]*)">', text).group(1)
    cookies = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        cookies.load(header)
    return text, raw, json.loads(raw), html.unescape(token), cookies


def token_for(body, *, expires_in=3600, now=None):
    """The token a page showing ``body``'s task to ``body``'s ids would carry (for bodies no page was opened for)."""
    return submissions.page_token("mturk", body["task_id"], body["assignment_id"], body["worker_id"],
                                  body.get("hit_id", ""), expires_in=expires_in, now=now)


def cookie_header(*jars):
    return "; ".join(f"{k}={m.value}" for jar in jars for k, m in jar.items())


async def open_page(fetch_json, task_id, params=None):
    status, _, response = await fetch_json(f"workbench/annotate/{task_id}", headers=dict(ANON), params=params)
    assert status == 200, response.body[:500]
    return response


async def post_submission(fetch_json, body, token, cookies=(), extra_cookies=""):
    """POST as the worker page does: its token in X-Workbench-Token, and only the cookies given (none inside
    MTurk's frame when the browser blocks third-party cookies)."""
    headers = {**ANON, "Content-Type": "application/json"}
    if token is not None:
        headers[submissions.TOKEN_HEADER] = token
    cookie = "; ".join(c for c in (cookie_header(cookies) if cookies else "", extra_cookies) if c)
    if cookie:
        headers["Cookie"] = cookie
    return await fetch_json("workbench/api/submissions", method="POST", body=body, headers=headers)


async def test_annotate_page_contract_and_submission(fetch_json, study):
    task_id = study.task_ids[0]
    response = await open_page(fetch_json, task_id, MTURK)
    text, raw, page, token, cookies = parse_page(response)
    assert page["task"]["id"] == task_id and page["submit_url"].endswith("/workbench/api/submissions")
    assert page["definition"]["version"] == "1.0" and page["definition"]["label_schema"]["required"] == ["labels"]
    assert page["definition"]["ui_config"] == {"labels": ["cat", "dog"]}
    assert page["external_submit_url"] == "https://workersandbox.mturk.com/mturk/externalSubmit"
    assert page["mode"] == "external" and page["readonly"] is False and page["worker_id"] == "W1"
    assert not cookies  # a page inside MTurk's frame is a third party: it must not need a cookie, so it sets none
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://worker.mturk.com https://workersandbox.mturk.com;" in policy
    # MTurk answers the posted form with a redirect to its worker site, and form-action applies to every hop.
    assert "script-src 'self';" in policy and ("form-action 'self' https://workersandbox.mturk.com "
                                               "https://www.mturk.com https://worker.mturk.com;") in policy
    assert "unsafe-inline" not in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert "/workbench/plugins/classification/1.1.0/plugin.js" in text

    body = {"task_id": task_id, "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1",
            "result": {"labels": ["cat"]}}
    status, data, _ = await post_submission(fetch_json, body, token)
    assert status == 201 and data["duplicate"] is False and data["submission_id"] == "A1" and data["actor"] == "W1"
    status, again, _ = await post_submission(fetch_json, {**body, "result": {"labels": ["dog"]}}, token)
    assert status == 200 and again["duplicate"] is True and again["id"] == data["id"]
    with study.store.session() as s:
        rows = s.query(Annotation).all()
        assert [(r.result, r.raw_payload["hit_id"]) for r in rows] == [({"labels": ["cat"]}, "H1")]
        # joined to its assignment from the moment it arrived: MTurk has not been asked yet
        [assignment] = s.query(Assignment).all()
        assert rows[0].assignment_pk == assignment.id
        assert (assignment.assignment_id, assignment.worker_id, assignment.status, assignment.task_id) == \
            ("A1", "W1", "accepted", task_id)
        assert assignment.submit_time is not None and assignment.accept_time is None
        recorded = s.query(Event).filter(Event.type == "assignment.recorded").all()  # once: the retry made none
        assert [(e.actor, e.payload["assignment_id"], e.payload["hit_id"]) for e in recorded] == [("W1", "A1", "H1")]


async def test_preview_is_read_only(fetch_json, study):
    response = await open_page(fetch_json, study.task_ids[0], {"assignmentId": worker_sessions.PREVIEW_ASSIGNMENT,
                                                               "hitId": "H1"})
    _, _, page, token, _ = parse_page(response)
    assert page["mode"] == "external" and page["preview"] is True and page["readonly"] is True and "external_submit_url" not in page
    assert token == ""  # a preview cannot submit
    status, data, _ = await post_submission(fetch_json, {"task_id": study.task_ids[0],
                                                         "assignment_id": worker_sessions.PREVIEW_ASSIGNMENT,
                                                         "worker_id": "W1", "result": {"labels": ["cat"]}},
                                            "")
    assert status == 400 and data["field"] == "assignmentId"


async def test_a_submission_needs_the_token_of_its_own_page(fetch_json, study):
    """No cookie is involved: the page's signed token is what a forged, expired or swapped submission lacks."""
    _, _, _, token, _ = parse_page(await open_page(fetch_json, study.task_ids[0], MTURK))
    body = {"task_id": study.task_ids[0], "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1",
            "result": {"labels": ["cat"]}}
    exp, _, sig = token.partition(".")
    refused = {
        "missing": (None, "missing"),
        "empty": ("", "missing"),
        "forged": (f"{exp}.{'0' * 64}", "does not match"),
        "garbage": ("not a token", "does not match"),
        "not hex": (f"{exp}.{'z' * 64}", "does not match"),
        "non-ASCII": (f"{exp}.\u00e9", "does not match"),  # latin-1 on the wire; once made compare_digest raise
        "UTF-8 bytes": ("\u0661\u0662.\u00e9".encode().decode("latin-1"), "does not match"),  # as tornado reads them
        "huge expiry": (f"{'9' * 400}.{sig}", "does not match"),
        "later expiry": (f"{int(exp) + 3600}.{sig}", "does not match"),
        "expired": (token_for(body, expires_in=60, now=1_000_000), "expired"),
        "another assignment's": (token_for({**body, "assignment_id": "A2"}), "does not match"),
        "another worker's": (token_for({**body, "worker_id": "W2"}), "does not match"),
        "another task's": (token_for({**body, "task_id": study.task_ids[1]}), "does not match"),
        "another HIT's": (token_for({**body, "hit_id": "H2"}), "does not match"),
    }
    for name, (bad, reason) in refused.items():
        status, data, _ = await post_submission(fetch_json, body, bad)
        assert (status, data.get("field"), data.get("reason")) == (403, "token", reason), name
        assert "Traceback" not in json.dumps(data)
    with study.store.session() as s:
        assert s.query(Annotation).count() == 0 and s.query(Assignment).count() == 0
    status, _, _ = await post_submission(fetch_json, body, token)
    assert status == 201


@pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("body, status, field", [
    ("{not json", 400, "body"),
    ('"text"', 400, "body"),
    ({"assignment_id": "A1", "worker_id": "W1", "result": {}}, 400, "task_id"),
    ({"task_id": 1, "assignment_id": "A1", "worker_id": "", "result": {}}, 400, "workerId"),
    ({"task_id": 1, "assignment_id": "A1", "worker_id": "W1"}, 400, "result"),
    ({"task_id": 1, "assignment_id": "A1", "worker_id": "W1", "result": {"labels": ["horse"]}}, 400,
     "result.labels[0]"),
    ({"task_id": 1, "assignment_id": "A1", "worker_id": "W1", "result": {}}, 400, "result"),
    ({"task_id": 999, "assignment_id": "A1", "worker_id": "W1", "result": {}}, 404, None),
])
async def test_bad_submissions_are_clear_errors(fetch_json, study, body, status, field):
    token = token_for(body) if isinstance(body, dict) and field not in ("task_id", "workerId") else ""
    got, data, _ = await post_submission(fetch_json, body, token)
    assert got == status and data.get("field") == field and data["message"], data
    with study.store.session() as s:
        assert s.query(Annotation).count() == 0


@pytest.mark.parametrize("wb_config", [{"max_body_bytes": 200}])
async def test_body_limit(fetch_json, study):
    body = {"task_id": study.task_ids[0], "assignment_id": "A1", "worker_id": "W1", "result": {"labels": ["cat"] * 50}}
    status, data, _ = await post_submission(fetch_json, body, token_for(body))
    assert status == 413 and data["field"] == "body"


@pytest.mark.parametrize("wb_config", [{"rate_limit_worker": 0.01, "rate_limit_worker_burst": 2,
                                        "rate_limit_ip": 0.01, "rate_limit_ip_burst": 4}])
async def test_rate_limits(fetch_json, study):
    statuses = []
    for i, worker in enumerate(["W1", "W1", "W1", "W2", "W3"]):
        body = {"task_id": study.task_ids[0], "assignment_id": f"A{i}", "worker_id": worker,
                "result": {"labels": ["cat"]}}
        status, data, response = await post_submission(fetch_json, body, token_for(body))
        statuses.append(status)
        if status == 429:
            assert int(response.headers["Retry-After"]) >= 1 and data["field"] in ("worker", "ip")
    assert statuses == [201, 201, 429, 201, 429]  # W1's third is over its burst; the 5th is over the IP's


@pytest.mark.parametrize("params, field", [
    ({**MTURK, "turkSubmitTo": "https://evil.example"}, "turkSubmitTo"),
    ({**MTURK, "turkSubmitTo": "javascript:alert(1)"}, "turkSubmitTo"),
    # a user-info part would carry its text into the CSP header: "form-action ... http://x; frame-ancestors *"
    ({**MTURK, "turkSubmitTo": "http://x; frame-ancestors *; a@127.0.0.1"}, "turkSubmitTo"),
    ({**MTURK, "turkSubmitTo": "http://127.0.0.1;report-uri=x"}, "turkSubmitTo"),
    ({**MTURK, "turkSubmitTo": ""}, "turkSubmitTo"),
    ({**MTURK, "workerId": ""}, "workerId"),
])
async def test_annotate_page_refuses_bad_parameters(fetch_json, study, params, field):
    status, _, response = await fetch_json(f"workbench/annotate/{study.task_ids[0]}", headers=dict(ANON),
                                           params=params)
    text = response.body.decode()
    assert status == 400 and "Traceback" not in text and "<script" not in text
    # in plain words for the worker; the field refused kept for support, out of the page's text
    assert "This task link does not work" in text and "return the HIT and contact the requester" in text
    assert f'data-field="{field}"' in text and f"{field}:" not in text
    assert "frame-ancestors *" not in response.headers["Content-Security-Policy"]


async def test_a_query_that_does_not_decode_gets_the_plain_error_page(study, http_server_client, jp_base_url,
                                                                      caplog):
    for query in ("assignmentId=%FF%FE&workerId=W1&turkSubmitTo=https://www.mturk.com", "workerId=%C3%28"):
        path = f"{jp_base_url}workbench/annotate/{study.task_ids[0]}?{query}"  # sent as it is, not re-escaped
        response = await http_server_client.fetch(path, raise_error=False, follow_redirects=False)
        text = (response.body or b"").decode()
        assert response.code == 400 and "<html" in text.lower() and "Traceback" not in text, (query, response.code)
    assert "Traceback" not in caplog.text and "Uncaught exception" not in caplog.text


async def test_worker_pages_show_no_traceback(fetch_json, study):
    status, _, response = await fetch_json("workbench/annotate/999999", headers=dict(ANON))
    text = response.body.decode()
    assert status == 404 and "This task is no longer available" in text and "Traceback" not in text
    assert "not found" not in text and "Return the HIT" in text
    assert "frame-ancestors https://worker.mturk.com" in response.headers["Content-Security-Policy"]
    assert re.search(r'<link rel="stylesheet" href="[^"]*/workbench/static/worker\.css\?v=\w+">', text)  # styled


async def test_xss_payloads_are_escaped(fetch_json, study):
    with study.store.transaction() as s:
        from workbench.study import assets, tasks

        asset = assets.register_file(s, "cats", study.asset.local_path, metadata={"alt": XSS, "caption": XSS})
        task_id = tasks.create(s, "cats", "classification:1.0", asset_id=asset.id, payload={"text": XSS}).id
    response = await open_page(fetch_json, task_id, {**MTURK, "workerId": XSS, "hitId": "<b>h</b>"})
    text, raw, page, _, _ = parse_page(response)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert page["task"]["payload"]["text"] == XSS and page["worker_id"] == XSS
    assert page["asset"]["metadata"]["alt"] == XSS
    assert text.count("<script") == 1 + 1 + 1 + 1  # the bundle, plugin_host.js, the plugin, worker.js


async def test_signed_asset_links(fetch_json, study):
    _, _, page, _, _ = parse_page(await open_page(fetch_json, study.task_ids[0], MTURK))
    url = page["asset"]["url"]
    path, query = url.split("?")
    path = "workbench/" + path.split("/workbench/", 1)[1]
    params = dict(p.split("=") for p in query.split("&"))
    status, _, response = await fetch_json(path, headers=dict(ANON), params=params)
    assert status == 200 and response.body[:4] == b"\x89PNG" and response.headers["Content-Type"] == "image/png"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    for bad in ({**params, "sig": "0" * 64}, {"exp": params["exp"]}, {**params, "sig": "\u00e9" * 64},
                {**params, "exp": "\u0661" * 10},
                {**signing.sign(bundles.asset_message(study.asset.id), expires_in=-10)}):
        status, data, _ = await fetch_json(path, headers=dict(ANON), params=bad)
        assert status == 403 and data["field"] in ("sig", "exp")
    other = signing.sign(bundles.asset_message(study.asset.id + 1))
    status, _, _ = await fetch_json(path, headers=dict(ANON), params=other)
    assert status == 403


async def test_plugin_and_page_files(fetch_json, study):
    status, _, response = await fetch_json("workbench/plugins/classification/1.1.0/plugin.js", headers=dict(ANON))
    assert status == 200 and b"Workbench.register" in response.body
    assert "max-age=31536000" in response.headers["Cache-Control"]
    for path in ("workbench/plugins/classification/9.9.9/plugin.js", "workbench/plugins/nope/1/plugin.js",
                 "workbench/plugins/classification/1.1.0/..%2F..%2Fpyproject.toml",
                 "workbench/plugins/classification/1.1.0/../polygon/manifest.json"):
        status, _, _ = await fetch_json(path, headers=dict(ANON))
        assert status in (403, 404), path
    status, _, response = await fetch_json("workbench/static/worker.js", headers=dict(ANON), params={"v": "x"})
    assert status == 200 and b"window.Workbench" in response.body


async def test_health_is_public_and_says_nothing_else(fetch_json, study):
    status, data, response = await fetch_json("workbench/api/health", headers=dict(ANON))
    assert (status, data) == (200, {"status": "ok"})


async def test_link_out_flow_to_its_completion_code(fetch_json, study):
    params = {"workerId": "W9", "assignmentId": "LA1", "hitId": "LH1", "project": "cats"}
    status, _, response = await fetch_json("workbench/login", headers=dict(ANON), params=params)
    assert status == 200
    text, _, page, token, cookies = parse_page(response)
    assert page["mode"] == "link-out" and page["progress"] == {"done": 0, "total": 1}
    session_cookie = [k for k in cookies if k.startswith("wb_session_")]
    assert session_cookie and cookies[session_cookie[0]]["httponly"]
    task_id = page["task"]["id"]
    # a second visit from the same browser resumes the session: same task, no new session
    status, _, again = await fetch_json("workbench/login", headers={**ANON, "Cookie": cookie_header(cookies)},
                                        params=params)
    assert parse_page(again)[2]["task"]["id"] == task_id
    body = {"task_id": task_id, "assignment_id": "LA1", "hit_id": "LH1", "worker_id": "W9",
            "result": {"labels": ["dog"]}}
    # another task id, or no session cookie, is refused
    other = {**body, "task_id": study.task_ids[1] if task_id == study.task_ids[0] else study.task_ids[0]}
    status, data, _ = await post_submission(fetch_json, other, token_for(other), cookies)
    assert status == 400 and data["field"] == "task_id"
    status, data, _ = await post_submission(fetch_json, body, token)  # the page's token, but not its browser
    assert status == 403 and data["field"] == "session"
    status, data, _ = await post_submission(fetch_json, body, token, cookies)
    assert status == 201
    status, _, done = await fetch_json("workbench/login", headers={**ANON, "Cookie": cookie_header(cookies)},
                                       params=params)
    code = re.search(r'id="wb-completion-code" class="wb-code">([A-Z0-9]+)<', done.body.decode()).group(1)
    status, _, done_again = await fetch_json("workbench/login", headers={**ANON, "Cookie": cookie_header(cookies)},
                                             params=params)
    assert code in done_again.body.decode()
    status, check, _ = await fetch_json("workbench/api/completion-codes/check", method="POST",
                                        body={"assignment_id": "LA1", "code": code})
    assert status == 200 and check["valid"] is True and check["worker_id"] == "W9"
    status, check, _ = await fetch_json("workbench/api/completion-codes/check", method="POST",
                                        body={"assignment_id": "LA1", "code": "WRONGCODE"})
    assert check["valid"] is False
    with study.store.session() as s:
        assert s.query(WorkerSession).count() == 1


async def test_link_out_refusals(fetch_json, study):
    status, _, response = await fetch_json("workbench/login", headers=dict(ANON),
                                           params={"workerId": "W1", "assignmentId": "X", "project": "nope"})
    assert status == 404 and "This task is no longer available" in response.body.decode()
    status, _, response = await fetch_json("workbench/login", headers=dict(ANON), params={"workerId": "W1"})
    text = response.body.decode()
    assert status == 400 and 'data-field="assignmentId"' in text and "This task link does not work" in text
    status, _, response = await fetch_json("workbench/login", headers=dict(ANON), params={
        "workerId": "W1", "assignmentId": worker_sessions.PREVIEW_ASSIGNMENT, "project": "cats"})
    assert status == 400 and "Accept the HIT first" in response.body.decode()


async def test_a_submitted_assignment_reopens_read_only_with_its_answer(fetch_json, study):
    task_id = study.task_ids[0]
    _, _, _, token, _ = parse_page(await open_page(fetch_json, task_id, MTURK))
    body = {"task_id": task_id, "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1",
            "result": {"labels": ["dog"]}}
    status, _, _ = await post_submission(fetch_json, body, token)
    assert status == 201
    text, _, page, token, _ = parse_page(await open_page(fetch_json, task_id, MTURK))
    assert page["readonly"] is True and page["submitted"]["result"] == {"labels": ["dog"]}
    assert token == ""  # nothing more to submit from this page
    assert page["external_submit_url"] == "https://workersandbox.mturk.com/mturk/externalSubmit"
    assert "You have already submitted this task." in text
    # the same assignment opened with another worker id: said to be done, its answer not shown
    _, _, other, _, _ = parse_page(await open_page(fetch_json, task_id, {**MTURK, "workerId": "W2"}))
    assert other["readonly"] is True and other["submitted"]["result"] is None
    # another task of the same assignment (a HIT of several tasks) is still open
    _, _, fresh, token, _ = parse_page(await open_page(fetch_json, study.task_ids[1], MTURK))
    assert fresh["readonly"] is False and "submitted" not in fresh and token


async def test_link_out_with_no_task_left_ends_on_a_code_marked_no_task(fetch_json, study):
    with study.store.transaction() as s:
        from workbench.study import projects

        projects.create(s, "emptied")
    params = {"workerId": "W9", "assignmentId": "LA-EMPTY", "hitId": "LH9", "project": "emptied"}
    status, _, response = await fetch_json("workbench/login", headers=dict(ANON), params=params)
    text = response.body.decode()
    assert status == 200 and "No task is left for you" in text
    code = re.search(r'id="wb-completion-code" class="wb-code">([A-Z0-9]+)<', text).group(1)
    status, check, _ = await fetch_json("workbench/api/completion-codes/check", method="POST",
                                        body={"assignment_id": "LA-EMPTY", "code": code})
    assert status == 200 and check["valid"] is True and check["status"] == "no_task"
    with study.store.session() as s:
        [row] = s.query(WorkerSession).filter_by(assignment_id="LA-EMPTY").all()
        assert (row.status, row.task_ids, row.completion_code) == ("no_task", [], code)
