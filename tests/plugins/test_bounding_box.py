"""The bounding-box plugin in Chromium: draw, move, resize, label and delete, by mouse and keys."""

import pytest

pytestmark = pytest.mark.browser

ROOT = "#plugin-root"
IMAGE = f"{ROOT} .wb-bb-image"


def drag(page, wb, start, end, steps=5):
    page.mouse.move(*wb.image_point(page, IMAGE, *start))
    page.mouse.down()
    page.mouse.move(*wb.image_point(page, IMAGE, *end), steps=steps)
    page.mouse.up()


def click(page, wb, point):
    page.mouse.click(*wb.image_point(page, IMAGE, *point))


def submit(page):
    page.locator(ROOT).get_by_role("button", name="Submit").click()
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()


def current(page):
    return page.evaluate("window.__handle.getResult()")["boxes"]


def test_draw_move_resize_label_and_delete_by_mouse(playground, wb):
    page = playground("bounding-box")
    root = page.locator(ROOT)
    drag(page, wb, (100, 100), (200, 180))
    assert current(page) == [{"x": 100, "y": 100, "w": 100, "h": 80, "label": "square"}]

    root.get_by_label("Label for new boxes").select_option("circle")  # for the next box: the drawn one keeps its own
    assert current(page)[0]["label"] == "square"
    drag(page, wb, (300, 300), (340, 360))  # new boxes take the label chosen for them
    drag(page, wb, (320, 330), (420, 340))  # dragging a box moves it
    assert current(page)[1] == {"x": 400, "y": 310, "w": 40, "h": 60, "label": "circle"}

    root.get_by_label("Label of box 1").select_option("circle")  # each box has its own label
    click(page, wb, (150, 140))  # select the first box, then resize it by two corners
    drag(page, wb, (200, 180), (250, 200))
    drag(page, wb, (100, 100), (90, 95))
    assert current(page)[0] == {"x": 90, "y": 95, "w": 160, "h": 105, "label": "circle"}

    drag(page, wb, (10, 10), (12, 12))  # smaller than min_size: no box
    assert len(current(page)) == 2

    drag(page, wb, (560, 400), (700, 530))  # dragged past the image edge: clamped
    assert current(page)[2] == {"x": 560, "y": 400, "w": 80, "h": 80, "label": "circle"}
    page.keyboard.press("Delete")
    drag(page, wb, (20, 400), (60, 440))
    root.get_by_role("button", name="Delete box").click()
    assert len(current(page)) == 2

    drag(page, wb, (400, 310), (620, 100))  # moved as far as the right edge allows
    assert current(page)[1] == {"x": 600, "y": 100, "w": 40, "h": 60, "label": "circle"}

    submit(page)
    result = wb.last_result(page)
    assert result == {"boxes": [
        {"x": 90, "y": 95, "w": 160, "h": 105, "label": "circle"},
        {"x": 600, "y": 100, "w": 40, "h": 60, "label": "circle"},
    ]}
    wb.assert_valid("bounding-box", result)
    assert page.evaluate("window.__lastChange") == result


def test_keyboard_only(playground, wb):
    page = playground("bounding-box")
    keys = page.keyboard
    keys.press("n")  # a box at the centre, 1/5 of the image each way
    assert current(page) == [{"x": 256, "y": 192, "w": 128, "h": 96, "label": "square"}]
    focused = "(() => { const e = document.activeElement; return [e.className, getComputedStyle(e).outlineStyle]; })()"
    assert page.evaluate(focused) == ["wb-bb-stage", "solid"]  # the focus ring shows
    keys.press("2")
    for _ in range(3):
        keys.press("ArrowRight")
    keys.press("Shift+ArrowDown")
    keys.press("Alt+ArrowRight")
    keys.press("Alt+ArrowRight")
    keys.press("Control+ArrowUp")
    keys.press("n")
    keys.press("3")
    keys.press("n")
    keys.press("Backspace")
    keys.press("Shift+Tab")  # nothing selected after a delete: Shift+Tab starts from the last box
    keys.press("Shift+Tab")
    assert page.locator(f"{ROOT} .wb-bb-item[aria-pressed=true]").text_content().startswith("Box 1:")
    keys.press("ArrowLeft")
    for _ in range(10):  # Tab walks through the boxes, then leaves the image towards Submit
        if page.evaluate("document.activeElement.textContent") == "Submit":
            break
        keys.press("Tab")
    keys.press("Enter")
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    result = wb.last_result(page)
    assert result == {"boxes": [
        {"x": 258, "y": 202, "w": 130, "h": 95, "label": "circle"},
        {"x": 256, "y": 192, "w": 128, "h": 96, "label": "triangle"},
    ]}
    wb.assert_valid("bounding-box", result)


def test_displayed_size_maps_to_natural_pixels(playground, wb, page):
    page.set_viewport_size({"width": 420, "height": 900})
    playground("bounding-box")
    shown = page.locator(IMAGE).bounding_box()
    assert shown["width"] < 500  # really scaled down
    drag(page, wb, (100, 100), (300, 200))
    (box,) = current(page)
    tolerance = 640 / shown["width"]  # one displayed pixel in natural pixels
    for key, expected in {"x": 100, "y": 100, "w": 200, "h": 100}.items():
        assert abs(box[key] - expected) <= tolerance, (key, box)
        assert round(box[key] * 10) == box[key] * 10  # rounded to 0.1 px
    submit(page)
    wb.assert_valid("bounding-box", wb.last_result(page))


def test_read_only_shows_boxes_but_allows_no_edit(playground, wb):
    initial = {"boxes": [{"x": 80, "y": 80, "w": 160, "h": 160, "label": "square"}]}
    page = playground("bounding-box", readonly="1", initial=initial)
    root = page.locator(ROOT)
    assert root.locator(".wb-bb-rect").count() == 1
    assert root.get_by_role("button", name="Submit").is_disabled()
    assert root.get_by_role("button", name="New box").is_disabled()
    drag(page, wb, (300, 300), (400, 400))
    page.keyboard.press("n")
    assert current(page) == initial["boxes"]
    assert page.evaluate("window.__submissions.length") == 0


def test_initial_prefill_is_clamped_shown_and_edited(playground, wb):
    initial = {"boxes": [
        {"x": 80, "y": 80, "w": 160, "h": 160, "label": "square"},
        {"x": 600, "y": 400, "w": 100, "h": 100, "label": "circle"},
    ]}
    page = playground("bounding-box", initial=initial)
    root = page.locator(ROOT)
    assert root.locator(".wb-bb-rect").count() == 2
    root.locator(".wb-bb-item").first.click()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("4")
    submit(page)
    result = wb.last_result(page)
    assert result == {"boxes": [
        {"x": 79, "y": 80, "w": 160, "h": 160, "label": "other"},
        {"x": 600, "y": 400, "w": 40, "h": 80, "label": "circle"},
    ]}
    wb.assert_valid("bounding-box", result)


def test_rejected_submit_shows_the_error_and_allows_a_retry(playground, wb):
    page = playground("bounding-box", reject="Result rejected: try again")
    drag(page, wb, (100, 100), (150, 150))
    button = page.locator(ROOT).get_by_role("button", name="Submit")
    button.click()
    page.locator(ROOT).get_by_text("Result rejected: try again").wait_for()
    assert button.is_enabled()
    assert wb.last_result(page) is None
    submit(page)
    assert wb.last_result(page) == {"boxes": [{"x": 100, "y": 100, "w": 50, "h": 50, "label": "square"}]}


def test_the_label_for_new_boxes_leaves_the_box_just_drawn_alone(playground, wb):
    """Choosing a label, then drawing: the choice is for the box to come, as a worker drawing one class after
    another expects; the box just drawn keeps its label until its own label is changed."""
    page = playground("bounding-box")
    root = page.locator(ROOT)
    drag(page, wb, (100, 100), (200, 180))
    root.get_by_label("Label for new boxes").select_option("triangle")
    drag(page, wb, (300, 300), (360, 360))
    assert [box["label"] for box in current(page)] == ["square", "triangle"]
    assert root.get_by_label("Label of box 1").input_value() == "square"
    root.get_by_label("Label of box 2").select_option("circle")
    assert [box["label"] for box in current(page)] == ["square", "circle"]
    assert root.get_by_label("Label for new boxes").input_value() == "triangle"
    submit(page)
    assert [box["label"] for box in wb.last_result(page)["boxes"]] == ["square", "circle"]


def test_a_too_small_drag_says_so_where_it_was_drawn(playground, wb):
    page = playground("bounding-box", ui_config={"min_size": 20})
    root = page.locator(ROOT)
    drag(page, wb, (100, 100), (110, 150))
    assert current(page) == []
    note = root.locator(".wb-bb-figure").get_by_role("alert")
    assert "too small" in note.text_content() and "20" in note.text_content()
    assert wb.in_view(note) and note.bounding_box()["height"] >= 10  # seen, not only read out to a screen reader
    drag(page, wb, (100, 100), (130, 150))
    assert len(current(page)) == 1 and note.is_hidden()


def test_min_boxes_blocks_submit_with_a_message_at_the_image(playground, page, wb):
    page.set_viewport_size({"width": 1280, "height": 600})
    page = playground("bounding-box", ui_config={"min_boxes": 2})
    root = page.locator(ROOT)
    assert "at least 2 boxes" in root.locator(".wb-bb-requirement").text_content()
    drag(page, wb, (100, 100), (200, 180))
    root.get_by_role("button", name="Submit").click()
    note = root.locator(".wb-bb-figure").get_by_role("alert")
    assert note.text_content() == "Draw at least 2 boxes: 1 so far."
    assert wb.in_view(note)
    assert page.evaluate("window.__submissions.length") == 0
    drag(page, wb, (300, 300), (360, 360))
    assert note.is_hidden()
    submit(page)
    assert len(wb.last_result(page)["boxes"]) == 2


def test_max_boxes_holds_submit_back_until_the_extra_box_is_deleted(playground, wb):
    page = playground("bounding-box", ui_config={"min_boxes": 1, "max_boxes": 1})
    root = page.locator(ROOT)
    assert root.locator(".wb-bb-requirement").text_content() == "Draw exactly 1 box."
    drag(page, wb, (100, 100), (200, 180))
    drag(page, wb, (300, 300), (360, 360))
    root.get_by_role("button", name="Submit").click()
    assert root.locator(".wb-bb-figure").get_by_role("alert").text_content() == \
        "Draw at most 1 box: there are 2; delete 1."
    assert page.evaluate("window.__submissions.length") == 0
    page.keyboard.press("Delete")  # the box just drawn is selected
    submit(page)
    assert len(wb.last_result(page)["boxes"]) == 1
