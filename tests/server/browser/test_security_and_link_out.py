"""XSS payloads stay text on every worker page, and the link-out flow ends on its completion code."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from workbench.crowd import worker_sessions
from workbench.study import assets, projects, tasks
from workbench.store.models import WorkerSession

pytestmark = pytest.mark.browser

XSS = ('"><script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
       "</script><svg onload=\"window.__xss=3\"></svg>&lt;b&gt;")


@pytest.mark.parametrize("plugin", ["classification", "bounding-box", "polygon", "free-text"])
def test_xss_payloads_are_text_on_the_annotate_page(page, open_hit, new_task, plugin):
    task_id = new_task(plugin, payload={"text": XSS, "prompt": XSS}, metadata={"alt": XSS, "caption": XSS})
    frame = open_hit(task_id, "ASSIGN-XSS-" + plugin, worker_id=XSS, hit_id=XSS)
    assert frame.locator("body").get_attribute("data-state") == "ready"
    inner = page.frames[1]
    assert inner.evaluate("typeof window.__xss") == "undefined"
    assert inner.evaluate("document.querySelectorAll('svg[onload], img[onerror]').length") == 0
    assert inner.evaluate("document.querySelectorAll('script').length") == 4  # bundle, host, plugin, page
    if plugin in ("classification", "free-text"):
        assert XSS in inner.evaluate("document.body.textContent")


def test_xss_payloads_are_text_on_the_error_and_completion_pages(page, server, new_task, server_store):
    page.goto(f"{server.base}/workbench/annotate/1?" + urlencode({"assignmentId": "A", "workerId": XSS,
                                                                  "turkSubmitTo": XSS}))
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#wb-error").is_visible()
    assert "Traceback" not in page.content()
    page.goto(f"{server.base}/workbench/login?" + urlencode({"assignmentId": "A", "workerId": XSS,
                                                             "project": XSS}))
    assert page.evaluate("typeof window.__xss") == "undefined" and "Traceback" not in page.content()
    assert page.get_by_role("heading", level=1).text_content() == "This task is no longer available"
    assert "__xss" not in page.content()  # the worker's words only: nothing of the request is echoed
    assert all("status of 40" in e for e in page.errors), page.errors
    page.errors.clear()  # the refused pages are the point of this test


def test_link_out_to_the_completion_code(page, server, server_store):
    with server_store.store.transaction() as s:
        projects.create(s, "linkout")
        asset = assets.register_file(s, "linkout", server_store.workdir / "scene.png")
        task_id = tasks.create(s, "linkout", "free-text:1", asset_id=asset.id, payload={"text": "Describe it."}).id
    params = {"workerId": "LINKWORKER", "assignmentId": "LINK-A1", "hitId": "LINK-H1", "project": "linkout"}
    login = f"{server.base}/workbench/login?{urlencode(params)}"
    page.goto(login)
    page.locator("body[data-state=ready]").wait_for()
    shown = page.evaluate("JSON.parse(document.getElementById('wb-bundle').textContent).task.id")
    page.reload()  # a second visit resumes the same session
    page.locator("body[data-state=ready]").wait_for()
    assert page.evaluate("JSON.parse(document.getElementById('wb-bundle').textContent).task.id") == shown
    page.locator("#wb-plugin-root textarea").click()
    page.keyboard.type("Nothing but a grey background here.")
    page.keyboard.press("Control+Enter")
    code_box = page.locator("#wb-completion-code")
    code_box.wait_for()
    code = code_box.text_content()
    assert len(code) == 16
    page.goto(login)  # coming back shows the same code
    assert page.locator("#wb-completion-code").text_content() == code
    with server_store.store.session() as s:
        rows = list(s.scalars(select(WorkerSession).where(WorkerSession.assignment_id == "LINK-A1")))
        assert len(rows) == 1 and rows[0].completion_code == code and rows[0].status == "complete"
        assert worker_sessions.check_code(s, "LINK-A1", code)["valid"] is True
    assert rows[0].task_ids == [task_id] == [shown]
