"""The worker pages as a crowd worker reads them: inside MTurk's 760 px frame in a 1280×800 window, and on a 390×844
phone. Error pages in plain words that say what to do next; the question before the item; a missing answer named
where the answer is given, in view; boxes held to their minimum and a too-small drag shown; an assignment already
submitted reopened read-only with its answer; a link-out worker with no task left sent off with a code.

Every page checked is kept as a screenshot (``seen.keep``: ``test-artifacts/screenshots/``).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from workbench.crowd import submissions, worker_sessions
from workbench.study import projects
from workbench.store.models import Annotation

from ..processes import REPO
from .seen import in_view, keep

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MTURK_IDS = {"assignmentId": "ASSIGN-ERR", "hitId": "HIT1", "workerId": "WORKER1",
             "turkSubmitTo": "https://www.mturk.com"}
# name: (path under /workbench/, query, HTTP status, heading, what to do next, the field refused)
ERRORS = {
    "not-from-mturk": ("annotate/{task}", {**MTURK_IDS, "turkSubmitTo": "https://evil.example"}, 400,
                       "This task link does not work", "Return the HIT", "turkSubmitTo"),
    "no-such-task": ("annotate/999999", MTURK_IDS, 404, "This task is no longer available", "Return the HIT", None),
    "link-out-preview": ("login", {"assignmentId": worker_sessions.PREVIEW_ASSIGNMENT, "workerId": "WORKER1",
                                   "project": "browser"}, 400, "Accept the HIT first", "Accept the HIT",
                         "assignmentId"),
    "no-such-study": ("login", {"assignmentId": "ASSIGN-NOSTUDY", "workerId": "WORKER1", "project": "nope"}, 404,
                      "This task is no longer available", "Return the HIT", None),
}


def manifest_ui(plugin: str) -> dict:
    return json.loads((REPO / "plugins" / plugin / "manifest.json").read_text())["default_definition"]["ui_config"]


def submit_button(frame):
    return frame.locator("#wb-plugin-root").get_by_role("button", name="Submit")


def image_point(page, frame, selector, x, y, natural=(640, 480)):
    box = frame.locator(selector).bounding_box()
    return box["x"] + x * box["width"] / natural[0], box["y"] + y * box["height"] / natural[1]


def drag(page, frame, start, end):
    image = "#wb-plugin-root .wb-bb-image"
    page.mouse.move(*image_point(page, frame, image, *start))
    page.mouse.down()
    page.mouse.move(*image_point(page, frame, image, *end), steps=5)
    page.mouse.up()


def question_first(frame, plugin: str) -> bool:
    """The plugin's question (its instructions, or free text's prompt) ends above the image it is about."""
    ui = manifest_ui(plugin)
    asked = frame.locator("#wb-plugin-root").get_by_text(ui.get("instructions") or ui["prompt"], exact=True)
    question, image = asked.bounding_box(), frame.locator("#wb-plugin-root img").bounding_box()
    return question["y"] + question["height"] <= image["y"]


def posts_for(mturk, assignment_id):
    return [json.loads(p["form"]["result"]) for p in mturk.posted if p["form"].get("assignmentId") == assignment_id]


def stored(server_store, assignment_id):
    with server_store.store.session() as s:
        return [a.result for a in s.scalars(select(Annotation).where(Annotation.submission_id == assignment_id))]


def check_error_page(body, heading: str, next_step: str, field: str | None) -> None:
    assert body.get_by_role("heading", level=1).text_content() == heading
    assert body.get_by_role("alert").is_visible()
    text = body.inner_text()
    assert next_step.lower() in text.lower() and "requester" in text
    assert "Traceback" not in text
    if field:  # kept for support, out of the worker's sight
        assert field not in text and body.get_attribute("data-field") == field
    assert body.evaluate("() => document.scripts.length") == 0
    # styled by worker.css: the message is a card of bounded width, not the browser's bare default page
    assert body.evaluate("() => getComputedStyle(document.querySelector('main')).maxWidth") != "none"


@pytest.mark.parametrize("case", ERRORS)
def test_error_pages_say_in_plain_words_what_to_do(page, server, mturk, new_task, case):
    path, query, status, heading, next_step, field = ERRORS[case]
    url = f"{server.base}/workbench/{path.format(task=new_task('classification'))}?{urlencode(query)}"
    page.goto(f"{mturk.frame_origin}/projects/hit?{urlencode({'src': url})}")  # as MTurk shows it, in its frame
    frame = page.frame_locator("#hit")
    frame.locator("body[data-state=error]").wait_for()
    check_error_page(frame.locator("body"), heading, next_step, field)
    keep(page, f"error-{case}-framed")
    page.set_viewport_size(PHONE)
    response = page.goto(url)
    assert response.status == status
    check_error_page(page.locator("body"), heading, next_step, field)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    keep(page, f"error-{case}")
    assert page.errors and all(f"status of {status}" in e for e in page.errors), page.errors
    page.errors.clear()  # the refused pages are the point of this test


@pytest.mark.parametrize("plugin", ["classification", "bounding-box", "polygon", "free-text"])
def test_each_plugin_asks_first_in_the_frame_and_on_a_phone(page, open_hit, new_task, plugin):
    task_id = new_task(plugin)
    for name, viewport in (("framed", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        frame = open_hit(task_id, f"ASSIGN-LOOK-{plugin}")
        frame.locator("#wb-plugin-root .wb-plugin[data-ready=true]").wait_for()
        assert page.frames[1].evaluate("window.innerHeight") == 760  # MTurk's frame, not the window
        assert question_first(frame, plugin)
        assert page.frames[1].evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert submit_button(frame).is_visible()
        keep(page, f"annotate-{plugin}-{name}")


def test_a_missing_label_is_named_at_the_labels_in_view(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("classification")
    frame = open_hit(task_id, "ASSIGN-CLS-EMPTY")
    submit_button(frame).click()
    labels = frame.locator("#wb-plugin-root").get_by_role("group")
    message = labels.get_by_role("alert")
    assert message.text_content() == "Choose a label."
    assert in_view(message) and labels.get_attribute("aria-invalid") == "true"
    keep(page, "annotate-classification-no-label-framed")
    assert stored(server_store, "ASSIGN-CLS-EMPTY") == []
    labels.get_by_role("radio", name="bird", exact=True).click()
    assert message.is_hidden()
    submit_button(frame).click()
    assert json.loads(wait_posted("ASSIGN-CLS-EMPTY")["form"]["result"]) == {"labels": ["bird"]}


def test_boxes_are_required_and_a_too_small_drag_is_shown(page, open_hit, new_task, server_store, mturk,
                                                          wait_posted):
    task_id = new_task("bounding-box", version="min1")  # ui_config.min_boxes = 1
    frame = open_hit(task_id, "ASSIGN-BB-MIN")
    frame.locator("#wb-plugin-root .wb-plugin[data-ready=true]").wait_for()
    submit_button(frame).click()
    note = frame.locator("#wb-plugin-root .wb-bb-figure").get_by_role("alert")
    assert note.text_content() == "Draw at least 1 box."
    assert in_view(note)
    keep(page, "annotate-bounding-box-no-box-framed")
    assert posts_for(mturk, "ASSIGN-BB-MIN") == [] and stored(server_store, "ASSIGN-BB-MIN") == []
    drag(page, frame, (100, 100), (102, 103))  # under min_size (4 px)
    assert "too small" in note.text_content() and in_view(note)
    keep(page, "annotate-bounding-box-too-small-framed")
    drag(page, frame, (100, 100), (200, 180))
    assert note.is_hidden()
    submit_button(frame).click()
    [box] = json.loads(wait_posted("ASSIGN-BB-MIN")["form"]["result"])["boxes"]
    assert (round(box["w"]), round(box["h"])) == (100, 80)


def test_a_submitted_assignment_reopens_read_only_with_its_answer(page, open_hit, new_task, server_store, mturk,
                                                                  wait_posted):
    task_id = new_task("classification")
    frame = open_hit(task_id, "ASSIGN-AGAIN")
    frame.locator("#wb-plugin-root").get_by_role("radio", name="dog", exact=True).click()
    submit_button(frame).click()
    wait_posted("ASSIGN-AGAIN")
    page.frame_locator("#hit").locator("#done").wait_for()
    for name, viewport in (("framed", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        frame = open_hit(task_id, "ASSIGN-AGAIN")  # the worker comes back to the same assignment
        assert frame.locator("body").get_attribute("data-state") == "submitted"
        assert "You have already submitted this task" in frame.locator("#wb-already").text_content()
        dog = frame.locator("#wb-plugin-root").get_by_role("radio", name="dog", exact=True)
        assert dog.is_checked() and dog.is_disabled()
        assert submit_button(frame).is_disabled()
        keep(page, f"annotate-already-submitted-{name}")
    # If MTurk never got the form (the frame was closed in between), the answer kept here can still reach it.
    frame.get_by_role("button", name="Send this answer to MTurk").click()
    page.frame_locator("#hit").locator("#done").wait_for()
    assert posts_for(mturk, "ASSIGN-AGAIN") == [{"labels": ["dog"]}] * 2
    assert stored(server_store, "ASSIGN-AGAIN") == [{"labels": ["dog"]}]


def test_a_second_answer_from_a_stale_page_is_told_and_the_first_is_kept(page, open_hit, new_task, server_store,
                                                                         mturk, wait_posted):
    """A page left open in another tab, after the assignment has been answered: the worker is told that the first
    answer stands, and MTurk gets that answer, not the one the study dropped."""
    task_id = new_task("classification")
    frame = open_hit(task_id, "ASSIGN-STALE")
    with server_store.store.transaction() as s:  # the answer given meanwhile in the other tab
        submissions.submit_from_worker(s, submissions.parse({
            "task_id": task_id, "assignment_id": "ASSIGN-STALE", "hit_id": "HIT1", "worker_id": "WORKER1",
            "result": {"labels": ["bird"]}}))
    frame.locator("#wb-plugin-root").get_by_role("radio", name="cat", exact=True).click()
    submit_button(frame).click()
    assert json.loads(wait_posted("ASSIGN-STALE")["form"]["result"]) == {"labels": ["bird"]}
    assert stored(server_store, "ASSIGN-STALE") == [{"labels": ["bird"]}]


def test_a_link_out_worker_with_no_task_left_gets_a_code(page, server, server_store):
    with server_store.store.transaction() as s:
        projects.create(s, "emptied")  # every task done, or none posted yet: nothing for this worker
    query = {"workerId": "LATECOMER", "assignmentId": "LATE-A1", "hitId": "LATE-H1", "project": "emptied"}
    login = f"{server.base}/workbench/login?{urlencode(query)}"
    codes = []
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        response = page.goto(login)  # the second visit shows the same code
        assert response.status == 200
        assert page.get_by_role("heading", level=1).text_content() == "No task is left for you"
        assert "Copy this code" in page.locator("main").inner_text()
        codes.append(page.locator("#wb-completion-code").text_content())
        keep(page, f"link-out-no-task-{name}")
    assert codes[0] == codes[1] and len(codes[0]) == 16
    with server_store.store.session() as s:
        row = worker_sessions.find(s, "LATE-A1")
        assert (row.status, row.task_ids, row.worker_id) == ("no_task", [], "LATECOMER")
        verdict = worker_sessions.check_code(s, "LATE-A1", codes[0])
    assert verdict["valid"] is True and verdict["status"] == "no_task"  # for review to tell apart from work done
