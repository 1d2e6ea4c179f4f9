"""The link-out entry route on a real Jupyter server, over HTTP, with the real provider and store.

A participant opens the entry URL the provider printed (with their panel id appended), does the task
through the submission API as the page does, and ends on the code page, or is redirected to the panel's
completion URL with the code filled in. A second visit resumes; hostile ids, unknown, closed and blocked
cases are 4xx pages naming the field; a double submit stores one answer; the sheet and the ledger agree
with what the test did.
"""

from __future__ import annotations

import html
import logging
import re
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from sqlalchemy import select

from workbench.crowd import payments, review, submissions
from workbench.crowd.providers import get_provider
from workbench.store.models import Annotation, Bonus, WorkerSession
from tests.server.test_auth import PUBLIC
from tests.server.test_worker import ANON, cookie_header, parse_page, post_submission

from .conftest import SPEC

BOTH = pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
PANEL_DONE = "https://panel.example.edu/credit?code={code}&survey={participant}&from={link}"


@pytest.fixture
def wb_config():
    return {"provider": "link-out"}


@pytest.fixture
def server_url(jp_http_port, jp_base_url):
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}".rstrip("/")


@pytest.fixture
def link_out(wb_store, server_url, monkeypatch):
    for name in ("LINKOUT_ENVIRONMENT", "LINKOUT_ID_PARAM", "LINKOUT_COMPLETION_URL"):
        monkeypatch.delenv(name, raising=False)
    return get_provider("link-out", store=wb_store, public_base_url=server_url)


@pytest.fixture
def link(study, link_out):
    return link_out.create_work("cats", study.task_ids, SPEC).hit_ids[0]


def entry(link_out, link: str, participant: str, server_url: str) -> dict[str, str]:
    """The query of the entry URL the researcher pasted into the panel, with the panel's id appended."""
    url = link_out.entry_url(link) + quote(participant, safe="")
    assert url.startswith(server_url + "/workbench/link/entry?")
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


async def visit(fetch_json, params, cookies=None):
    headers = {**ANON, "Cookie": cookie_header(cookies)} if cookies else dict(ANON)
    return await fetch_json("workbench/link/entry", params=params, headers=headers)


async def do_the_task(fetch_json, params, label="cat"):
    """Open the entry URL, answer the page's task as the page does; the page and the browser's cookies."""
    status, _, response = await visit(fetch_json, params)
    assert status == 200, response.body[:500]
    _, _, page, token, cookies = parse_page(response)
    body = {"task_id": page["task"]["id"], "assignment_id": page["assignment_id"], "hit_id": page["hit_id"],
            "worker_id": page["worker_id"], "result": {"labels": [label]}}
    status, data, _ = await post_submission(fetch_json, body, token, cookies)
    assert status == 201, data
    return page, body, token, cookies


def code_on(response) -> str:
    return re.search(r'id="wb-completion-code" class="wb-code">([A-Z0-9]+)<', response.body.decode()).group(1)


def sessions(store) -> dict[str, WorkerSession]:
    with store.session() as s:
        return {v.worker_id: v for v in s.scalars(select(WorkerSession).where(WorkerSession.provider == "link-out"))}


def test_the_entry_route_is_listed_as_public():
    assert ("GET", "/workbench/link/entry") in PUBLIC


@BOTH
async def test_a_participant_does_the_study_and_gets_the_code_page(fetch_json, link_out, link, server_url, wb_store,
                                                                   caplog):
    params = entry(link_out, link, "SONA-4711", server_url)
    assert params == {"link": link, "participant_id": "SONA-4711"}
    page, body, token, cookies = await do_the_task(fetch_json, params)
    assert page["mode"] == "link-out" and page["worker_id"] == "SONA-4711" and page["hit_id"] == link
    assert urlsplit(page["next_url"]).path.endswith("/workbench/link/entry")
    assert dict(parse_qsl(urlsplit(page["next_url"]).query)) == params
    # the same submission again (a double click): one answer stored
    status, data, _ = await post_submission(fetch_json, body, token, cookies)
    assert status in (200, 201) and data["duplicate"] is True
    status, _, done = await visit(fetch_json, params, cookies)
    assert status == 200 and "the panel's page for this study" in html.unescape(done.body.decode())
    code = code_on(done)
    assert code == sessions(wb_store)["SONA-4711"].completion_code
    # a second visit from the same browser shows the same code (another browser sees none: the test below)
    status, _, again = await visit(fetch_json, params, cookies)
    assert status == 200 and code_on(again) == code
    assert list(sessions(wb_store)) == ["SONA-4711"]
    with wb_store.session() as s:
        assert len(list(s.scalars(select(Annotation.id).where(Annotation.submission_id == page["assignment_id"])))) == 1
    result = link_out.sync()
    assert (result.assignments_new, result.assignments_updated) == (0, 1)
    assert link_out.sync().assignments_updated == 0
    assert "Traceback" not in caplog.text


async def test_a_half_done_visit_resumes_on_its_task(fetch_json, link_out, link, server_url, wb_store):
    params = entry(link_out, link, "P-resume", server_url)
    status, _, first = await visit(fetch_json, params)
    status, _, second = await visit(fetch_json, params)  # no cookie: another browser, the same session
    assert status == 200 and parse_page(second)[2]["task"]["id"] == parse_page(first)[2]["task"]["id"]
    assert parse_page(second)[2]["assignment_id"] == parse_page(first)[2]["assignment_id"]
    assert len(sessions(wb_store)) == 1


async def test_the_redirect_template_is_filled_url_encoded(fetch_json, study, link_out, server_url, wb_store):
    link = link_out.create_work("cats", study.task_ids, SPEC, id_param="survey_code",
                                completion_url=PANEL_DONE).hit_ids[0]
    participant = "p 7&x=1"
    params = entry(link_out, link, participant, server_url)
    assert params["survey_code"] == participant
    _, _, _, cookies = await do_the_task(fetch_json, params, label="dog")
    status, _, done = await visit(fetch_json, params, cookies)
    code = sessions(wb_store)[participant].completion_code
    assert status == 302
    # the template, filled by hand: each value percent-encoded (RFC 3986) in its place
    assert done.headers["Location"] == (f"https://panel.example.edu/credit?code={code}&survey=p%207%26x%3D1"
                                        f"&from={link}")


@pytest.mark.parametrize("params, status, field", [
    ({"participant_id": "P1"}, 400, "link"),
    ({"link": "L" * 129, "participant_id": "P1"}, 400, "link"),
    ({"link": "L\x7f", "participant_id": "P1"}, 400, "link"),
    ({"link": "LNOSUCHLINK", "participant_id": "P1"}, 404, None),
    ("no participant", 400, "participant_id"),
    ("empty participant", 400, "participant_id"),
    ("long participant", 400, "participant_id"),
    ("control participant", 400, "participant_id"),
    ("padded participant", 400, "participant_id"),
    ("two participants", 400, "participant_id"),
])
async def test_hostile_entries_are_4xx_pages_naming_the_field(fetch_json, link, params, status, field, wb_store,
                                                              caplog):
    made = {"no participant": {"link": link}, "empty participant": {"link": link, "participant_id": ""},
            "long participant": {"link": link, "participant_id": "P" * 129},
            "control participant": {"link": link, "participant_id": "P\x01"},
            "padded participant": {"link": link, "participant_id": "\x01P\x1f"},
            "two participants": [("link", link), ("participant_id", "P1"), ("participant_id", "P2")]}
    caplog.set_level(logging.INFO)
    got, _, response = await visit(fetch_json, made.get(params, params) if isinstance(params, str) else params)
    text = response.body.decode()
    assert got == status and "<html" in text.lower() and "Traceback" not in text
    if field:
        assert f'data-field="{field}"' in text
    assert "Content-Security-Policy" in response.headers
    assert sessions(wb_store) == {} and "Traceback" not in caplog.text


async def test_a_closed_link_and_a_blocked_participant_are_refused(fetch_json, link_out, link, server_url, wb_store):
    review.block(link_out, "P-bad", "answered at random in an earlier study")
    status, _, response = await visit(fetch_json, entry(link_out, link, "P-bad", server_url))
    assert status == 403 and 'data-field="participant_id"' in response.body.decode()
    started = entry(link_out, link, "P-started", server_url)
    assert (await visit(fetch_json, started))[0] == 200
    link_out.expire(link)
    status, _, response = await visit(fetch_json, entry(link_out, link, "P-late", server_url))
    text = response.body.decode()
    assert status == 410 and 'data-field="link"' in text and "This study is closed" in text
    assert (await visit(fetch_json, started))[0] == 200  # who started may finish
    assert set(sessions(wb_store)) == {"P-started"}


@pytest.mark.parametrize("wb_config", [{"provider": "mturk"}])
async def test_a_server_of_another_provider_refuses_the_route(fetch_json, link_out, link, server_url, wb_store):
    status, _, response = await visit(fetch_json, entry(link_out, link, "P1", server_url))
    assert status == 404 and "<html" in response.body.decode().lower()
    assert sessions(wb_store) == {}


@BOTH
async def test_review_bonus_and_payment_sheet_after_real_visits(fetch_json, link_out, link, server_url, wb_store):
    codes = {}
    for participant in ("P-good", "P-poor"):
        params = entry(link_out, link, participant, server_url)
        _, _, _, cookies = await do_the_task(fetch_json, params)
        codes[participant] = code_on((await visit(fetch_json, params, cookies))[2])
    link_out.sync()
    good, poor = (sessions(wb_store)[p].assignment_id for p in ("P-good", "P-poor"))
    review.approve(link_out, good, feedback="Thank you")
    review.reject(link_out, poor, "The labels do not match the pictures.")
    first = payments.bonus(link_out, good, 30, "Accurate labels")
    retried = payments.bonus(link_out, good, 30, "Accurate labels")  # the same intent, asked again
    assert (first.already_paid, retried.already_paid, retried.id) == (False, True, first.id)
    with wb_store.session() as s:
        assert [b.amount_cents for b in s.scalars(select(Bonus))] == [30]
    rows = {r["participant_id"]: r for r in link_out.payment_sheet("cats")}
    reward = SPEC.reward_cents  # what the test offered; the rejected session is owed nothing
    assert rows["P-good"] == {"participant_id": "P-good", "link_id": link, "session_id": good,
                              "completion_code": codes["P-good"], "status": "approved", "reward_cents": reward,
                              "reward": "%.2f" % (reward / 100), "bonus_cents": 30, "bonus": "0.30",
                              "total_cents": reward + 30, "total": "%.2f" % ((reward + 30) / 100),
                              "reviewed_at": rows["P-good"]["reviewed_at"], "feedback": "Thank you",
                              "paid_before_cents": 0, "bonus_withheld_cents": 0, "flag": ""}
    assert rows["P-good"]["reviewed_at"]
    assert (rows["P-poor"]["status"], rows["P-poor"]["total_cents"], rows["P-poor"]["completion_code"]) == (
        "rejected", 0, codes["P-poor"])


async def test_the_plain_login_route_takes_no_link_out_participant(fetch_json, link_out, link, wb_store):
    """It would start a session on the link without the entry route's checks (closed, full, blocked)."""
    review.block(link_out, "P-bad", "answered at random")
    params = {"assignmentId": link_out.session_id(link, "P-bad"), "workerId": "P-bad", "hitId": link}
    status, _, response = await fetch_json("workbench/login", params=params, headers=dict(ANON))
    assert status == 404 and "<html" in response.body.decode().lower()
    assert sessions(wb_store) == {}


async def test_the_annotate_page_and_a_sessionless_submission_are_closed_on_a_link_out_server(
        fetch_json, link_out, link, server_url, wb_store, study):
    """MTurk's annotate page would bypass the entry route: the session id is derived from the participant id, so
    anyone could read a participant's answer there, and its page token let a blocked participant submit on a
    closed link."""
    page, _, _, _ = await do_the_task(fetch_json, entry(link_out, link, "P-victim", server_url), label="dog")
    victim = {"assignmentId": link_out.session_id(link, "P-victim"), "workerId": "P-victim", "hitId": link,
              "turkSubmitTo": "https://workersandbox.mturk.com"}
    status, _, response = await fetch_json(f"workbench/annotate/{page['task']['id']}", params=victim,
                                           headers=dict(ANON))
    text = response.body.decode()
    assert status == 404 and 'id="wb-bundle"' not in text and "wb-submit-token" not in text
    review.block(link_out, "P-blocked", "answered at random")
    link_out.expire(link)
    body = {"task_id": study.task_ids[1], "assignment_id": "ANY-1", "hit_id": link, "worker_id": "P-blocked",
            "result": {"labels": ["cat"]}}
    token = submissions.page_token("link-out", body["task_id"], body["assignment_id"], body["worker_id"], link,
                                   expires_in=600)  # what the annotate page signed before it was closed
    status, data, _ = await post_submission(fetch_json, body, token)
    assert (status, data["field"], data["reason"]) == (403, "session", "no session")
    with wb_store.session() as s:
        assert s.scalars(select(Annotation.id).where(Annotation.actor == "P-blocked")).all() == []


async def test_a_finished_sessions_code_goes_only_to_the_browser_that_holds_it(fetch_json, study, link_out,
                                                                               server_url, wb_store):
    """The participant id is the only credential (SONA ids are short): another browser naming a finished
    participant learns nothing, while an unfinished session still resumes in a new browser."""
    link = link_out.create_work("cats", study.task_ids, SPEC, completion_url=PANEL_DONE).hit_ids[0]
    params = entry(link_out, link, "SONA-1001", server_url)
    _, _, _, cookies = await do_the_task(fetch_json, params)
    status, _, done = await visit(fetch_json, params, cookies)
    assert status == 302
    code = sessions(wb_store)["SONA-1001"].completion_code
    assert f"code={code}" in done.headers["Location"]
    status, _, other = await visit(fetch_json, params)  # another browser, no cookie of the session's
    text = other.body.decode()
    assert status == 409 and "Location" not in other.headers and code not in text
    assert 'data-field="session"' in text and "the browser you started it in" in html.unescape(text)
    status, _, again = await visit(fetch_json, params, cookies)  # the first browser still gets its code
    assert status == 302 and f"code={code}" in again.headers["Location"]
    half = entry(link_out, link, "SONA-1002", server_url)
    assert (await visit(fetch_json, half))[0] == 200
    assert (await visit(fetch_json, half))[0] == 200  # unfinished: a new browser takes it over


@pytest.mark.parametrize("wb_config", [{"provider": "link-out", "rate_limit_ip": 0.001, "rate_limit_ip_burst": 2}])
async def test_new_sessions_at_the_entry_count_against_the_ips_rate(fetch_json, link_out, link, server_url,
                                                                    wb_store):
    """Participant ids cost nothing to make up: one address may not fill the link's places. A resume is free."""
    for participant in ("P1", "P2"):
        assert (await visit(fetch_json, entry(link_out, link, participant, server_url)))[0] == 200
    status, _, refused = await visit(fetch_json, entry(link_out, link, "P3", server_url))
    assert status == 429 and 'data-field="ip"' in refused.body.decode() and refused.headers["Retry-After"]
    assert (await visit(fetch_json, entry(link_out, link, "P1", server_url)))[0] == 200
    assert sorted(sessions(wb_store)) == ["P1", "P2"]
