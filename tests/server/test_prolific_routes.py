"""Prolific's public routes on a real server, against the real simulator and provider.

The entry route (the study URL): a participant started at the simulator's start page is redirected to it,
does the task through the submission API as the page would, and ends at the simulator's completion URL
with the study's complete code. The hook route, public but signed: a delivery of the simulator itself is
applied with no sync run; a duplicate X-Event-ID is applied once; a bad or missing signature, a stale
timestamp and malformed JSON are refused, naming the header or the body, and change nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update

from workbench.crowd.providers import WorkSpec, get_provider
from workbench.crowd.providers.prolific.studies import get_study
from workbench.store.models import Assignment, Event, Task

from tests.prolific.conftest import api, sim, sim_faults  # noqa: F401 - the simulator, stopped in its finalizer

from .test_worker import ANON, cookie_header, parse_page, post_submission

SECRET = "test-hook-secret"
SPEC = WorkSpec(title="Label cats", description="Say whether each picture shows a cat or a dog.", reward_cents=150,
                duration=1800, max_assignments=1, mode="link-out")


@pytest.fixture
def server_url(jp_http_port, jp_base_url):
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}".rstrip("/")


@pytest.fixture
def wb_config():
    return {"provider": "prolific"}


@pytest.fixture
def prolific(wb_store, sim, server_url, monkeypatch):
    """The provider the server's hook route uses (by its environment), and the test's own, on the simulator."""
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "local")
    monkeypatch.setenv("PROLIFIC_ENDPOINT_URL", sim.url)
    monkeypatch.delenv("PROLIFIC_API_TOKEN", raising=False)
    monkeypatch.setenv("PROLIFIC_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PROLIFIC_COMPLETION_URL", sim.url + "/submissions/complete")
    made = get_provider("prolific", store=wb_store, endpoint_url=sim.url, public_base_url=server_url, backoff=0.01)
    yield made
    made.client.close()


@pytest.fixture
def study_id(study, prolific):
    return prolific.create_work("cats", study.task_ids, SPEC).hit_ids[0]


def signed(body: bytes, *, secret: str = SECRET, stamp: str | None = None, event_id: str = "E1") -> dict:
    stamp = stamp or str(int(time.time()))
    digest = base64.b64encode(hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()).decode()
    return {**ANON, "Content-Type": "application/json", "X-Prolific-Request-Timestamp": stamp,
            "X-Prolific-Request-Signature": digest, "X-Event-ID": event_id}


def start(sim, pid: str, study_id: str) -> str:
    """The participant's start at the simulator: the study URL it redirects to."""
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        answer = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id})
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def hook_events(store) -> list[dict]:
    with store.session() as s:
        return [e.payload for e in s.query(Event).filter(Event.type == "prolific.hook")]


def assignments(store) -> dict[str, str]:
    with store.session() as s:
        return {a.assignment_id: a.status for a in s.query(Assignment).filter(Assignment.provider == "prolific")}


async def do_the_study(fetch_json, sim, server_url, study_id, pid="5f0000000000000000000001"):
    """Start at the simulator, follow to the entry route, answer, and come back: the final redirect and ids."""
    entry = start(sim, pid, study_id)
    assert entry.startswith(server_url + "/workbench/prolific/entry?")
    path = urlsplit(entry)
    params = {k: v[0] for k, v in parse_qs(path.query).items()}
    status, _, response = await fetch_json("workbench/prolific/entry", params=params, headers=dict(ANON))
    assert status == 200, response.body[:500]
    _, _, page, token, cookies = parse_page(response)
    assert page["mode"] == "link-out" and "/workbench/prolific/entry?" in page["next_url"]
    body = {"task_id": page["task"]["id"], "assignment_id": params["SESSION_ID"], "hit_id": study_id,
            "worker_id": pid, "result": {"labels": ["cat"]}}
    status, data, _ = await post_submission(fetch_json, body, token, cookies)
    assert status == 201, data
    status, _, done = await fetch_json("workbench/prolific/entry", params=params,
                                       headers={**ANON, "Cookie": cookie_header(cookies)})
    return status, done, params


async def test_entry_route_ends_at_prolifics_completion_url(fetch_json, sim, prolific, study_id, server_url, wb_store):
    status, done, params = await do_the_study(fetch_json, sim, server_url, study_id)
    with wb_store.session() as s:
        code = get_study(s, "local", study_id).payload["completion_codes"]["complete"]
    assert status == 302
    target = done.headers["Location"]
    assert target == f"{sim.url}/submissions/complete?cc={code}"
    assert "default-src" in done.headers["Content-Security-Policy"]
    with api(sim) as c:
        subs = c.get(f"studies/{study_id}/submissions/").json()["results"]
    assert [s["id"] for s in subs] == [params["SESSION_ID"]]


async def test_a_participant_who_finds_no_task_is_asked_to_return_not_sent_the_completed_code(
        fetch_json, sim, prolific, study_id, wb_store):
    """The COMPLETED code's action is MANUALLY_REVIEW, so a bulk approval would pay it: a participant who found no
    task left gets the study's REQUEST_RETURN code (prolific-openapi.yml, RequestReturn: action, return_reason)."""
    with wb_store.transaction() as s:
        s.execute(update(Task).values(status="complete"))
        codes = get_study(s, "local", study_id).payload["completion_codes"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(start(sim, "5f0000000000000000000009", study_id)).query).items()}
    status, _, done = await fetch_json("workbench/prolific/entry", params=params, headers=dict(ANON))
    assert status == 302, done.body[:300]
    assert done.headers["Location"] == f"{sim.url}/submissions/complete?cc={codes['no_task']}"
    assert codes["no_task"] != codes["complete"]
    with api(sim) as c:
        kinds = {x["code"]: x for x in c.get(f"studies/{study_id}/").json()["completion_codes"]}
    assert kinds[codes["no_task"]]["actions"][0]["action"] == "REQUEST_RETURN"


async def test_entry_route_completes_the_submission_at_the_simulator(fetch_json, sim, prolific, study_id, server_url):
    pid = "5f0000000000000000000002"
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        entry = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id}).headers["Location"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(entry).query).items()}
        status, _, response = await fetch_json("workbench/prolific/entry", params=params, headers=dict(ANON))
        _, _, page, token, cookies = parse_page(response)
        body = {"task_id": page["task"]["id"], "assignment_id": params["SESSION_ID"], "hit_id": study_id,
                "worker_id": pid, "result": {"labels": ["dog"]}}
        assert (await post_submission(fetch_json, body, token, cookies))[0] == 201
        status, _, done = await fetch_json("workbench/prolific/entry", params=params,
                                           headers={**ANON, "Cookie": cookie_header(cookies)})
        assert status == 302
        finish = urlsplit(done.headers["Location"])
        answer = browser.get(finish.path, params=parse_qs(finish.query))  # the same browser: its cookie
        assert answer.status_code == 200, answer.text
    with api(sim) as c:
        sub = c.get(f"submissions/{params['SESSION_ID']}/").json()
    assert sub["status"] == "AWAITING REVIEW"


async def test_signed_hook_from_the_simulator_is_applied_once(fetch_json, sim, prolific, study_id, server_url,
                                                              wb_store, monkeypatch):
    with api(sim) as c:
        ws = c.get("workspaces/").json()["results"][0]["id"]
        secret = c.post("hooks/secrets/", json={"workspace_id": ws}).json()["value"]
        monkeypatch.setenv("PROLIFIC_WEBHOOK_SECRET", secret)
        answer = c.post("hooks/subscriptions/", json={"workspace_id": ws, "event_type": "submission.status.change",
                                                      "target_url": server_url + "/workbench/prolific/hooks"})
        sub_id = answer.json()["id"]
        confirmed = c.post(f"hooks/subscriptions/{sub_id}/", json={"secret": answer.headers["X-Hook-Secret"]})
        assert confirmed.json()["is_enabled"] is True
    pid = "5f0000000000000000000003"
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        entry = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id}).headers["Location"]
        session_id = parse_qs(urlsplit(entry).query)["SESSION_ID"][0]
        code = prolific.client.get(f"studies/{study_id}/")["completion_codes"][0]["code"]
        assert browser.get("/submissions/complete", params={"cc": code}).status_code == 200
    # no sync runs: the simulator's deliveries (ACTIVE, then AWAITING REVIEW) reach the route
    for _ in range(200):
        if assignments(wb_store).get(session_id) == "submitted" and len(hook_events(wb_store)) >= 2:
            break
        await asyncio.sleep(0.05)
    assert assignments(wb_store) == {session_id: "submitted"}
    seen = hook_events(wb_store)
    assert len(seen) == 2 and {e["status"] for e in seen} == {"applied"}
    # the same X-Event-ID again: 200, and nothing more
    event_id = seen[0]["event_id"]
    body = json.dumps({"resource_id": session_id, "event_type": "submission.status.change"}).encode()
    calls = sum(sim.status()["calls"].values())
    status, data, _ = await fetch_json("workbench/prolific/hooks", method="POST", body=body,
                                       headers=signed(body, secret=secret, event_id=event_id))
    assert (status, data["status"]) == (200, "duplicate")
    assert sum(sim.status()["calls"].values()) == calls and len(hook_events(wb_store)) == 2


async def test_one_event_id_twice_is_processed_once(fetch_json, sim, prolific, study_id, wb_store):
    session_id = parse_qs(urlsplit(start(sim, "5f0000000000000000000004", study_id)).query)["SESSION_ID"][0]
    body = json.dumps({"resource_id": session_id, "event_type": "submission.status.change"}).encode()
    first = await fetch_json("workbench/prolific/hooks", method="POST", body=body, headers=signed(body, event_id="X1"))
    assert (first[0], first[1]["status"]) == (200, "applied"), first[1]
    assert assignments(wb_store) == {session_id: "accepted"}
    calls = sum(sim.status()["calls"].values())
    again = await fetch_json("workbench/prolific/hooks", method="POST", body=body, headers=signed(body, event_id="X1"))
    assert (again[0], again[1]["status"]) == (200, "duplicate")
    assert sum(sim.status()["calls"].values()) == calls
    assert [e["event_id"] for e in hook_events(wb_store)] == ["X1"]


async def test_concurrent_deliveries_of_one_event_id_apply_it_once(fetch_json, sim, prolific, study_id, wb_store):
    """Prolific delivers at least once, and may send copies together: the hook_deliveries key lets one apply it;
    a copy that arrives while it is applied is a 503 (Prolific retries it, and then finds it done)."""
    session_id = parse_qs(urlsplit(start(sim, "5f0000000000000000000005", study_id)).query)["SESSION_ID"][0]
    body = json.dumps({"resource_id": session_id, "event_type": "submission.status.change"}).encode()
    reads = sim.status()["calls"].get("GET /api/v1/submissions/{id}/", 0)
    answers = await asyncio.gather(*[fetch_json("workbench/prolific/hooks", method="POST", body=body,
                                                headers=signed(body, event_id="TWIN")) for _ in range(4)])
    outcomes = sorted((status, data.get("status") or data.get("error")) for status, data, _ in answers)
    assert outcomes.count((200, "applied")) == 1, outcomes
    assert set(outcomes) <= {(200, "applied"), (200, "duplicate"), (503, "unavailable")}, outcomes
    assert sim.status()["calls"].get("GET /api/v1/submissions/{id}/", 0) == reads + 1
    assert [e["event_id"] for e in hook_events(wb_store)] == ["TWIN"]
    again = await fetch_json("workbench/prolific/hooks", method="POST", body=body, headers=signed(body, event_id="TWIN"))
    assert (again[0], again[1]["status"]) == (200, "duplicate")


@pytest.mark.parametrize("change, status, field", [
    ({"X-Prolific-Request-Signature": base64.b64encode(b"x" * 32).decode()}, 401, "X-Prolific-Request-Signature"),
    ({"X-Prolific-Request-Signature": ""}, 401, "X-Prolific-Request-Signature"),
    ({"X-Prolific-Request-Timestamp": ""}, 401, "X-Prolific-Request-Timestamp"),
    ({"X-Prolific-Request-Timestamp": "yesterday"}, 401, "X-Prolific-Request-Timestamp"),
    ({"X-Event-ID": "e" * 200}, 400, "X-Event-ID"),
])
async def test_refused_hooks_change_nothing(fetch_json, sim, prolific, study_id, wb_store, change, status, field):
    body = json.dumps({"resource_id": "S1", "event_type": "submission.status.change"}).encode()
    headers = {**signed(body), **change}
    got, data, response = await fetch_json("workbench/prolific/hooks", method="POST", body=body, headers=headers)
    assert (got, data["field"]) == (status, field), data
    assert "Traceback" not in response.body.decode()
    assert hook_events(wb_store) == [] and assignments(wb_store) == {}


async def test_stale_and_badly_signed_and_malformed_hooks(fetch_json, prolific, wb_store, monkeypatch, caplog):
    body = json.dumps({"resource_id": "S1", "event_type": "submission.status.change"}).encode()
    stale = signed(body, stamp=str(int(time.time()) - 3600))
    got, data, _ = await fetch_json("workbench/prolific/hooks", method="POST", body=body, headers=stale)
    assert (got, data["field"], data["reason"]) == (401, "X-Prolific-Request-Timestamp", "stale")
    got, data, _ = await fetch_json("workbench/prolific/hooks", method="POST", body=body,
                                    headers=signed(body, secret="another"))
    assert (got, data["field"]) == (401, "X-Prolific-Request-Signature")
    for bad in (b"{not json", b"[1, 2]", b'{"resource_id": 5, "event_type": "x"}'):
        got, data, response = await fetch_json("workbench/prolific/hooks", method="POST", body=bad, headers=signed(bad))
        assert got == 400 and data["field"].startswith("body"), data
    assert "Traceback" not in caplog.text
    monkeypatch.delenv("PROLIFIC_WEBHOOK_SECRET")
    got, data, _ = await fetch_json("workbench/prolific/hooks", method="POST", body=body, headers=signed(body))
    assert (got, data["field"]) == (503, "PROLIFIC_WEBHOOK_SECRET")
    assert hook_events(wb_store) == []


async def test_unreachable_prolific_is_a_503_and_the_event_stays_unseen(fetch_json, prolific, wb_store, monkeypatch):
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "local")
    monkeypatch.setenv("PROLIFIC_ENDPOINT_URL", "http://127.0.0.1:9")
    body = json.dumps({"resource_id": "S1", "event_type": "study.status.change"}).encode()
    got, data, response = await fetch_json("workbench/prolific/hooks", method="POST", body=body,
                                           headers=signed(body, event_id="U1"))
    assert got == 503, data
    assert hook_events(wb_store) == []


@pytest.mark.parametrize("tolerance", ["nan", "inf", "0", "-5", "86400", "soon"])
async def test_a_hook_window_that_is_not_a_bounded_number_refuses_every_hook(fetch_json, prolific, wb_store,
                                                                             monkeypatch, tolerance):
    monkeypatch.setenv("PROLIFIC_WEBHOOK_TOLERANCE", tolerance)
    body = json.dumps({"resource_id": "S1", "event_type": "study.status.change"}).encode()
    got, data, _ = await fetch_json("workbench/prolific/hooks", method="POST", body=body, headers=signed(body))
    assert (got, data["field"]) == (503, "PROLIFIC_WEBHOOK_TOLERANCE")
    assert hook_events(wb_store) == []


@pytest.fixture
def refusing_prolific():
    """A local listener answering every call 401, as Prolific does to a revoked token."""
    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            payload = json.dumps({"error": {"status": 401, "detail": "Invalid token."}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_refused_token_is_a_503_and_the_event_stays_unseen(fetch_json, prolific, wb_store, monkeypatch,
                                                                   refusing_prolific):
    """Prolific retries a hook for a day (prolific-openapi.yml, Hooks); an event applied with a revoked token
    must stay unseen so that a retry after the token is mended applies it."""
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "local")
    monkeypatch.setenv("PROLIFIC_ENDPOINT_URL", refusing_prolific)
    body = json.dumps({"resource_id": "S1", "event_type": "study.status.change"}).encode()
    got, data, _ = await fetch_json("workbench/prolific/hooks", method="POST", body=body,
                                    headers=signed(body, event_id="T1"))
    assert got == 503, data
    assert hook_events(wb_store) == []


@pytest.mark.parametrize("params, field", [
    ({"STUDY_ID": "S", "SESSION_ID": "X"}, "PROLIFIC_PID"),
    ({"PROLIFIC_PID": "P", "SESSION_ID": "X"}, "STUDY_ID"),
    ({"PROLIFIC_PID": "P", "STUDY_ID": "S"}, "SESSION_ID"),
    ({"PROLIFIC_PID": "P" * 129, "STUDY_ID": "S", "SESSION_ID": "X"}, "PROLIFIC_PID"),
    ({"PROLIFIC_PID": "P", "STUDY_ID": "S\x7f", "SESSION_ID": "X"}, "STUDY_ID"),
])
async def test_entry_route_refuses_bad_ids(fetch_json, prolific, params, field):
    status, _, response = await fetch_json("workbench/prolific/entry", params=params, headers=dict(ANON))
    text = response.body.decode()
    assert status == 400 and f'data-field="{field}"' in text and "Traceback" not in text


async def test_entry_route_unknown_study_is_a_plain_404(fetch_json, prolific, study):
    params = {"PROLIFIC_PID": "P1", "STUDY_ID": "0" * 24, "SESSION_ID": "S1", "project": "cats"}
    status, _, response = await fetch_json("workbench/prolific/entry", params=params, headers=dict(ANON))
    assert status == 404 and "<html" in response.body.decode().lower()
    assert "Content-Security-Policy" in response.headers


async def test_the_plain_login_route_takes_no_prolific_participant(fetch_json, prolific, study_id, wb_store):
    """On a Prolific server /workbench/login is closed: it would start a session for any ids, for a study the store
    never made, where the entry route takes only the store's studies."""
    from workbench.store.models import WorkerSession

    for hit in (study_id, "NOT-A-STUDY"):
        params = {"assignmentId": "S-LOGIN-1", "workerId": "5f00000000000000000000f1", "hitId": hit}
        status, _, response = await fetch_json("workbench/login", params=params, headers=dict(ANON))
        assert status == 404 and "<html" in response.body.decode().lower(), response.body[:300]
    with wb_store.session() as s:
        assert s.query(WorkerSession).count() == 0


async def test_the_annotate_page_and_a_sessionless_submission_are_closed_on_a_prolific_server(
        fetch_json, sim, prolific, study_id, server_url, wb_store, study):
    """MTurk's annotate page would serve a participant's answer to anyone naming the session, and sign pages whose
    submissions no entry admitted (a study Prolific closed, a participant it never sent)."""
    from workbench.crowd import submissions  # only this test signs a page itself
    from workbench.store.models import Annotation

    _, _, params = await do_the_study(fetch_json, sim, server_url, study_id)
    query = {"assignmentId": params["SESSION_ID"], "workerId": params["PROLIFIC_PID"], "hitId": study_id,
             "turkSubmitTo": "https://workersandbox.mturk.com"}
    status, _, response = await fetch_json(f"workbench/annotate/{study.task_ids[0]}", params=query,
                                           headers=dict(ANON))
    assert status == 404 and 'id="wb-bundle"' not in response.body.decode()
    body = {"task_id": study.task_ids[1], "assignment_id": "S-NEVER-ADMITTED", "hit_id": study_id,
            "worker_id": "5f00000000000000000000f2", "result": {"labels": ["cat"]}}
    token = submissions.page_token("prolific", body["task_id"], body["assignment_id"], body["worker_id"], study_id,
                                   expires_in=600)
    status, data, _ = await post_submission(fetch_json, body, token)
    assert (status, data["field"], data["reason"]) == (403, "session", "no session")
    with wb_store.session() as s:
        assert s.query(Annotation).filter(Annotation.submission_id == "S-NEVER-ADMITTED").count() == 0
