"""Private by default over HTTP: no payload or metadata field a definition keeps from workers appears in any
public response (pages, error pages, refusals, accepted submissions); the researcher's bundle route shows it."""

from __future__ import annotations

import re
import shutil

import pytest

from sqlalchemy import select

from workbench.crowd import worker_sessions
from workbench.store.models import Annotation
from workbench.study import assets, projects, tasks

from .test_worker import ANON, MTURK, cookie_header, open_page, parse_page, post_submission, token_for

SECRET = "zq-secret-answer-7f3a"


@pytest.fixture
def secret_task(study, tmp_path):
    """Project "secrets": one classification task whose payload and asset metadata hold the answer key, and
    whose image file's name does too."""
    image = tmp_path / f"{SECRET}.png"
    shutil.copy(study.asset.local_path, image)
    with study.store.transaction() as s:
        projects.create(s, "secrets", "Secrets")
        asset = assets.register_file(s, "secrets", image, metadata={
            "alt": "a red square", "truth": [{"label": "cat", "note": SECRET}], "notes": SECRET})
        return tasks.create(s, "secrets", "classification:1.0", asset_id=asset.id, target_annotations=2, payload={
            "text": "Which?", "label": SECRET, "gold": {"expected": {"labels": [SECRET]}}}).id


def assert_private(response, what):
    text = (response.body or b"").decode("utf-8", "replace")
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.get_all())
    assert SECRET not in text and SECRET not in headers, what


@pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
async def test_no_public_response_carries_a_private_field(fetch_json, study, secret_task):
    async def public(what, *parts, **kwargs):
        status, data, response = await fetch_json(*parts, **kwargs)
        assert_private(response, what)
        return status, data, response

    # The annotate page, as MTurk frames it and as a preview; what the plugin reads is there, the rest is not.
    page_response = await open_page(fetch_json, secret_task, MTURK)
    assert_private(page_response, "annotate page")
    _, _, page, token, _ = parse_page(page_response)
    assert page["task"]["payload"] == {"text": "Which?"} and page["asset"]["metadata"] == {"alt": "a red square"}
    preview = await open_page(fetch_json, secret_task, {"assignmentId": worker_sessions.PREVIEW_ASSIGNMENT})
    assert_private(preview, "preview page")
    status, _, _ = await public("annotate error page", f"workbench/annotate/{secret_task}", headers=dict(ANON),
                                params={**MTURK, "turkSubmitTo": "https://evil.example"})
    assert status == 400

    # Refused submissions: outside the label set, without the page's token, for a preview.
    body = {"task_id": secret_task, "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1",
            "result": {"labels": ["horse"]}}
    for what, sent, sent_token, expected in (
            ("schema refusal", body, token, 400), ("token refusal", {**body, "result": {"labels": ["cat"]}}, "x.y", 403),
            ("unknown field refusal", {**body, "result": {"labels": ["cat"], "gold": SECRET[:3]}}, token, 400)):
        status, data, response = await post_submission(fetch_json, sent, sent_token)
        assert_private(response, what)
        assert status == expected and data["message"], what
    # Accepted, and again (a duplicate answers with the stored annotation).
    for what, expected in (("accepted submission", 201), ("duplicate submission", 200)):
        status, data, response = await post_submission(fetch_json, {**body, "result": {"labels": ["cat"]}}, token)
        assert_private(response, what)
        assert status == expected and data["result"] == {"labels": ["cat"]}
        # Scored against the task's gold (issue 17), and the score kept from the worker: it would say the task was gold.
        assert not {"gold_score", "gold_passed"} & set(data), data
    with study.store.session() as s:
        [scored] = s.scalars(select(Annotation).where(Annotation.task_id == secret_task)).all()
        assert (scored.gold_score, scored.gold_passed) == (0.0, False)  # "cat" is not the gold label
    # The public page hands a token to any ids (this one opened before the answer was in, as token_for mints):
    # naming the assignment as another worker is refused, and the stored answer is not echoed to them.
    stranger = {**body, "worker_id": "W2", "result": {"labels": ["dog"]}}
    status, data, response = await post_submission(fetch_json, stranger, token_for(stranger))
    assert status == 409 and data["field"] == "worker_id" and "cat" not in response.body.decode()

    # The link-out visit: its task page, its submission, its completion code page.
    params = {"workerId": "W9", "assignmentId": "LA1", "hitId": "LH1", "project": "secrets"}
    status, _, login = await public("login page", "workbench/login", headers=dict(ANON), params=params)
    _, _, page, login_token, cookies = parse_page(login)
    assert status == 200 and page["task"]["id"] == secret_task and page["task"]["payload"] == {"text": "Which?"}
    link_body = {**body, "assignment_id": "LA1", "hit_id": "LH1", "worker_id": "W9", "result": {"labels": ["dog"]}}
    status, _, response = await post_submission(fetch_json, link_body, login_token, cookies)
    assert_private(response, "link-out submission")
    assert status == 201
    status, _, done = await public("completion page", "workbench/login",
                                   headers={**ANON, "Cookie": cookie_header(cookies)}, params=params)
    assert status == 200 and re.search(r'id="wb-completion-code"', done.body.decode())

    # The researcher's own bundle route shows every field.
    status, bundle, _ = await fetch_json(f"workbench/api/tasks/{secret_task}/bundle")
    assert status == 200 and bundle["task"]["payload"]["gold"] == {"expected": {"labels": [SECRET]}}
    assert bundle["asset"]["metadata"]["notes"] == SECRET

