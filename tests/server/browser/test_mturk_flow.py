"""Each built-in plugin, as an MTurk worker uses it: framed cross-site by MTurk's worker site over https, annotate,
submit, the form to MTurk, and MTurk's redirect on to its worker site (a third origin); with third-party cookies
blocked and allowed."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from workbench.store.models import Annotation

pytestmark = pytest.mark.browser


def image_point(page, frame, selector, x, y, natural=(640, 480)):
    box = frame.locator(selector).bounding_box()
    return box["x"] + x * box["width"] / natural[0], box["y"] + y * box["height"] / natural[1]


def submit_button(frame):
    return frame.locator("#wb-plugin-root").get_by_role("button", name="Submit")


def stored(server_store, assignment_id):
    with server_store.store.session() as s:
        return list(s.scalars(select(Annotation).where(Annotation.submission_id == assignment_id)))


def check_round_trip(page, server_store, wait_posted, task_id, assignment_id, expected):
    post = wait_posted(assignment_id)
    assert (post["host"], post["path"]) == ("www.mturk.com", "/mturk/externalSubmit")
    assert json.loads(post["form"]["result"]) == expected
    # MTurk answered with a redirect to https://worker.mturk.com: the frame got there (form-action allowed it)
    page.frame_locator("#hit").locator("#done").wait_for()
    assert page.frames[1].url.startswith("https://worker.mturk.com/mturk/submitted?")
    rows = stored(server_store, assignment_id)
    assert [(r.task_id, r.result, r.actor) for r in rows] == [(task_id, expected, "WORKER1")]
    assert rows[0].raw_payload["hit_id"] == "HIT1" and rows[0].assignment_pk is not None


def test_the_conditions_are_those_workers_have(page, open_hit, new_task):
    """The page is framed cross-site over https; with third-party cookies blocked, it cannot keep one."""
    open_hit(new_task("classification"), "ASSIGN-PROBE")
    top, framed = page.frames[0], page.frames[1]
    assert top.url.startswith("https://worker.mturk.com/") and framed.url.startswith("https://annotate.test/")
    kept = framed.evaluate("() => { document.cookie = 'probe=1; SameSite=None; Secure; Path=/';"
                           " return document.cookie.includes('probe=1'); }")
    assert kept is (page.cookie_mode == "third-party-cookies-allowed")


def test_classification_by_mouse(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("classification")
    frame = open_hit(task_id, "ASSIGN-CLS-MOUSE")
    frame.locator("#wb-plugin-root").get_by_role("radio", name="dog", exact=True).click()
    submit_button(frame).click()
    check_round_trip(page, server_store, wait_posted, task_id, "ASSIGN-CLS-MOUSE", {"labels": ["dog"]})


def test_classification_by_keyboard(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("classification")
    frame = open_hit(task_id, "ASSIGN-CLS")
    frame.locator("#wb-plugin-root").get_by_role("radio", name="dog", exact=True).focus()
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    check_round_trip(page, server_store, wait_posted, task_id, "ASSIGN-CLS", {"labels": ["cat"]})


def test_bounding_box_by_mouse(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("bounding-box")
    frame = open_hit(task_id, "ASSIGN-BB")
    frame.locator("#wb-plugin-root .wb-plugin[data-ready=true]").wait_for()
    image = "#wb-plugin-root .wb-bb-image"
    page.mouse.move(*image_point(page, frame, image, 100, 100))
    page.mouse.down()
    page.mouse.move(*image_point(page, frame, image, 200, 180), steps=5)
    page.mouse.up()
    submit_button(frame).click()
    post = wait_posted("ASSIGN-BB")
    result = json.loads(post["form"]["result"])
    [box] = result["boxes"]
    assert (round(box["x"]), round(box["y"]), round(box["w"]), round(box["h"])) == (100, 100, 100, 80)
    check_round_trip(page, server_store, wait_posted, task_id, "ASSIGN-BB", result)


def test_bounding_box_by_keyboard(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("bounding-box")
    frame = open_hit(task_id, "ASSIGN-BB-KEYS")
    frame.locator("#wb-plugin-root .wb-plugin[data-ready=true]").wait_for()
    frame.locator("#wb-plugin-root .wb-bb-stage").focus()
    page.keyboard.press("n")  # a box at the centre of the image
    page.keyboard.press("2")  # the second label
    page.keyboard.press("Shift+ArrowRight")
    submit_button(frame).focus()
    page.keyboard.press("Enter")
    result = json.loads(wait_posted("ASSIGN-BB-KEYS")["form"]["result"])
    [box] = result["boxes"]
    assert (box["x"], box["y"], box["w"], box["h"]) == (266, 192, 128, 96) and box["label"]
    check_round_trip(page, server_store, wait_posted, task_id, "ASSIGN-BB-KEYS", result)


def test_a_site_other_than_mturk_cannot_frame_the_page(page, open_hit, new_task, server_store):
    task_id = new_task("classification")
    open_hit(task_id, "ASSIGN-FRAMED", frame_origin="https://frames.example", wait=False)
    deadline = time.monotonic() + 10
    while not any("frame-ancestors" in e for e in page.errors) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert [e for e in page.errors if "frame-ancestors" in e], page.errors
    assert "https://annotate.test/" in page.errors[0]
    assert page.frames[1].evaluate("document.getElementById('wb-plugin-root')") is None
    page.errors.clear()  # the refused frame is the point of this test
    assert stored(server_store, "ASSIGN-FRAMED") == []


def test_polygon_by_mouse_and_keyboard(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("polygon")
    frame = open_hit(task_id, "ASSIGN-POLY")
    frame.locator("#wb-plugin-root .wb-plugin[data-ready=true]").wait_for()
    image = "#wb-plugin-root .wb-poly-image"
    for point in ((80, 80), (240, 80), (240, 240)):
        page.mouse.click(*image_point(page, frame, image, *point))
    page.keyboard.press("Enter")  # closes the polygon
    submit_button(frame).click()
    result = json.loads(wait_posted("ASSIGN-POLY")["form"]["result"])
    [polygon] = result["polygons"]
    assert [[round(x), round(y)] for x, y in polygon["points"]] == [[80, 80], [240, 80], [240, 240]]
    check_round_trip(page, server_store, wait_posted, task_id, "ASSIGN-POLY", result)


def test_free_text_by_keyboard(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("free-text")
    frame = open_hit(task_id, "ASSIGN-TXT")
    # The worker is told what the page measures, in one sentence at its foot (issue 17).
    assert "nothing in other tabs" in frame.locator("#wb-telemetry-note").inner_text()
    frame.locator("#wb-plugin-root textarea").click()
    page.keyboard.type("A grey, empty scene with nothing in it.")
    page.keyboard.press("Control+Enter")
    check_round_trip(page, server_store, wait_posted, task_id, "ASSIGN-TXT",
                     {"text": "A grey, empty scene with nothing in it."})
    # What the page measured came with the answer (issue 17): 39 characters typed, then Control and Enter (a
    # keydown each), so at least 41 key presses; nothing pasted; times within the page's life.
    [row] = stored(server_store, "ASSIGN-TXT")
    measured = row.telemetry
    assert measured["final_text_length"] == 39 and measured["keystrokes"] >= 41 and measured["pastes"] == []
    assert measured["visible_ms"] > 0 and 0 <= measured["active_ms"] <= measured["visible_ms"]
    assert 0 <= measured["first_interaction_ms"] <= measured["visible_ms"]


PASTE = """(node, text) => { const data = new DataTransfer(); data.setData('text/plain', text);
  node.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})); }"""


def test_a_paste_is_measured_by_its_length_never_its_text(page, open_hit, new_task, server_store, wait_posted):
    task_id = new_task("free-text")
    frame = open_hit(task_id, "ASSIGN-PASTE")
    area = frame.locator("#wb-plugin-root textarea")
    area.click()
    area.evaluate(PASTE, "zq-pasted-" + "x" * 110)  # 120 characters on the clipboard
    page.keyboard.type("Typed after the paste.")
    page.keyboard.press("Control+Enter")
    wait_posted("ASSIGN-PASTE")
    [row] = stored(server_store, "ASSIGN-PASTE")
    assert [p["length"] for p in row.telemetry["pastes"]] == [120]
    assert "zq-pasted" not in json.dumps(row.telemetry)


def test_a_definition_can_turn_pasting_off(page, open_hit, new_task, server_store):
    from workbench.study import definitions

    with server_store.store.transaction() as s:
        spec = definitions.get_definition(s, "free-text", "1")
        definitions.create_definition(s, "free-text", "nopaste", {
            "ui_config": {**spec.ui_config, "disable_paste": True}, "label_schema": spec.label_schema})
    frame = open_hit(new_task("free-text", version="nopaste"), "ASSIGN-NOPASTE")
    area = frame.locator("#wb-plugin-root textarea")
    area.click()
    prevented = area.evaluate("""(node) => { const data = new DataTransfer(); data.setData('text/plain', 'copied');
      const event = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
      node.dispatchEvent(event); return event.defaultPrevented; }""")
    assert prevented is True
    assert "Pasting is turned off" in frame.locator("#wb-status").inner_text()


def test_preview_cannot_submit(page, open_hit, new_task, server_store):
    task_id = new_task("classification")
    frame = open_hit(task_id, "ASSIGNMENT_ID_NOT_AVAILABLE")
    assert frame.locator("body").get_attribute("data-state") == "preview"
    assert frame.locator("#wb-preview").is_visible()
    assert submit_button(frame).is_disabled()
    assert stored(server_store, "ASSIGNMENT_ID_NOT_AVAILABLE") == []


def test_a_refused_result_is_shown_to_the_worker(page, open_hit, new_task, server_store, mturk):
    """The server's 400 reaches the plugin as an Error whose message it shows; nothing goes to MTurk."""
    task_id = new_task("classification", version="strict")
    frame = open_hit(task_id, "ASSIGN-REFUSED")
    frame.locator("#wb-plugin-root").get_by_role("radio", name="other", exact=True).click()
    submit_button(frame).click()
    message = frame.locator("#wb-plugin-root").get_by_text("This answer was not accepted", exact=False)
    message.wait_for()
    assert "result.labels" not in message.text_content()  # plain words, not the field's path
    assert page.errors == ["console error: Failed to load resource: the server responded with a status of 400 "
                           "(Bad Request)"]
    page.errors.clear()  # the refused request is the point of this test
    assert stored(server_store, "ASSIGN-REFUSED") == []
    assert not [p for p in mturk.posted if p["form"].get("assignmentId") == "ASSIGN-REFUSED"]
    # the worker corrects the answer and submits again
    frame.locator("#wb-plugin-root").get_by_role("radio", name="bird", exact=True).click()
    submit_button(frame).click()
    page.frame_locator("#hit").locator("#done").wait_for()
    assert [r.result for r in stored(server_store, "ASSIGN-REFUSED")] == [{"labels": ["bird"]}]
