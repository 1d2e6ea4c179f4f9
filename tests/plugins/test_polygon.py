"""The polygon plugin in Chromium: click vertices, close, edit, undo, cancel, label, delete."""

import pytest

pytestmark = pytest.mark.browser

ROOT = "#plugin-root"
IMAGE = f"{ROOT} .wb-poly-image"


def click(page, wb, *points):
    for point in points:
        page.mouse.click(*wb.image_point(page, IMAGE, *point))


def drag(page, wb, start, end):
    page.mouse.move(*wb.image_point(page, IMAGE, *start))
    page.mouse.down()
    page.mouse.move(*wb.image_point(page, IMAGE, *end), steps=5)
    page.mouse.up()


def current(page):
    return page.evaluate("window.__handle.getResult()")["polygons"]


def note(page):
    """The message about the drawing, shown at the image."""
    return page.locator(f"{ROOT} .wb-poly-figure [role=alert]").text_content()


def submit(page):
    page.locator(ROOT).get_by_role("button", name="Submit").click()
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()


def test_draw_close_edit_undo_cancel_by_mouse(playground, wb):
    page = playground("polygon")
    root = page.locator(ROOT)

    click(page, wb, (80, 80), (240, 80), (240, 240), (80, 240))
    assert current(page) == []  # still in progress
    click(page, wb, (80, 80))  # clicking the first vertex closes the shape
    assert current(page) == [{"points": [[80, 80], [240, 80], [240, 240], [80, 240]], "label": "square"}]

    click(page, wb, (160, 440), (300, 280), (440, 440))
    page.keyboard.press("Enter")  # Enter closes too
    root.get_by_label("Label for new polygons").select_option("triangle")  # for the next polygon
    assert current(page)[1]["label"] == "square"
    root.get_by_label("Label of polygon 2").select_option("triangle")
    assert current(page)[1] == {"points": [[160, 440], [300, 280], [440, 440]], "label": "triangle"}

    click(page, wb, (160, 160))  # select the square, drag one vertex, delete another
    drag(page, wb, (240, 240), (250, 250))
    click(page, wb, (80, 240))
    page.keyboard.press("Delete")
    assert current(page)[0]["points"] == [[80, 80], [240, 80], [250, 250]]
    click(page, wb, (80, 80))
    page.keyboard.press("Delete")  # a triangle keeps its three points
    assert "at least 3 points" in note(page)
    assert len(current(page)[0]["points"]) == 3

    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    click(page, wb, (500, 350), (600, 350))
    page.keyboard.press("Escape")  # cancels the shape in progress
    assert page.locator(f"{ROOT} .wb-poly-draft").count() == 0

    click(page, wb, (340, 60), (540, 60), (540, 260), (600, 300))
    root.get_by_role("button", name="Submit").click()
    assert "Close the shape in progress" in note(page)
    page.keyboard.press("Control+z")  # removes the last vertex
    root.get_by_role("button", name="Close shape").click()
    page.keyboard.press("2")
    assert len(current(page)) == 3

    submit(page)
    result = wb.last_result(page)
    assert result == {"polygons": [
        {"points": [[80, 80], [240, 80], [250, 250]], "label": "square"},
        {"points": [[160, 440], [300, 280], [440, 440]], "label": "triangle"},
        {"points": [[340, 60], [540, 60], [540, 260]], "label": "circle"},
    ]}
    wb.assert_valid("polygon", result)
    assert page.evaluate("window.__lastChange") == result


def test_drag_a_polygon_and_delete_one(playground, wb):
    page = playground("polygon")
    click(page, wb, (100, 100), (200, 100), (150, 200), (100, 100))
    click(page, wb, (400, 100), (500, 100), (450, 200), (400, 100))
    drag(page, wb, (150, 130), (160, 140))  # drags the whole first polygon
    click(page, wb, (450, 130))
    page.locator(ROOT).get_by_role("button", name="Delete polygon").click()
    submit(page)
    assert wb.last_result(page) == {"polygons": [{"points": [[110, 110], [210, 110], [160, 210]], "label": "square"}]}


def test_keyboard_square_and_vertex_editing(playground, wb):
    page = playground("polygon")
    keys = page.keyboard
    keys.press("n")  # a square of a fifth of the shorter side, centred
    keys.press("4")
    keys.press("]")
    keys.press("Shift+ArrowUp")
    keys.press("ArrowLeft")
    for _ in range(10):
        if page.evaluate("document.activeElement.textContent") == "Submit":
            break
        keys.press("Tab")
    keys.press("Enter")
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    result = wb.last_result(page)
    assert result == {"polygons": [
        {"points": [[271, 182], [368, 192], [368, 288], [272, 288]], "label": "other"},
    ]}
    wb.assert_valid("polygon", result)


def test_read_only_shows_polygons_but_allows_no_edit(playground, wb):
    initial = {"polygons": [{"points": [[100, 100], [200, 100], [150, 200]], "label": "square"}]}
    page = playground("polygon", readonly="1", initial=initial)
    assert page.locator(f"{ROOT} .wb-poly-area").count() == 1
    assert page.locator(ROOT).get_by_role("button", name="Submit").is_disabled()
    click(page, wb, (300, 300), (400, 300), (400, 400), (300, 300))
    page.keyboard.press("n")
    assert current(page) == initial["polygons"]
    assert page.evaluate("window.__submissions.length") == 0


def test_initial_prefill_is_cleaned_shown_and_edited(playground, wb):
    initial = {"polygons": [
        {"points": [[100, 100], [200, 100], [150, 200]], "label": "square"},
        {"points": [[1, 1], [2, 2]], "label": "too short"},
        {"points": [[500, 400], [700, -5], [600, 470]], "label": "circle"},
    ]}
    page = playground("polygon", initial=initial)
    assert page.locator(f"{ROOT} .wb-poly-area").count() == 2
    page.locator(f"{ROOT} .wb-poly-item").first.click()
    page.keyboard.press("]")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("3")
    submit(page)
    result = wb.last_result(page)
    assert result == {"polygons": [
        {"points": [[102, 100], [200, 100], [150, 200]], "label": "triangle"},
        {"points": [[500, 400], [640, 0], [600, 470]], "label": "circle"},
    ]}
    wb.assert_valid("polygon", result)


def test_rejected_submit_shows_the_error_and_allows_a_retry(playground, wb):
    page = playground("polygon", reject="Too many requests")
    button = page.locator(ROOT).get_by_role("button", name="Submit")
    button.click()
    assert note(page) == "Draw at least 1 polygon."
    click(page, wb, (10, 10), (60, 10), (30, 50))
    page.keyboard.press("Enter")
    button.click()
    page.locator(ROOT).get_by_text("Too many requests").wait_for()
    assert button.is_enabled()
    submit(page)
    assert wb.last_result(page) == {"polygons": [{"points": [[10, 10], [60, 10], [30, 50]], "label": "square"}]}


def test_min_polygons_blocks_submit_with_a_message_at_the_image(playground, page, wb):
    page.set_viewport_size({"width": 1280, "height": 600})
    page = playground("polygon", ui_config={"min_polygons": 2})
    root = page.locator(ROOT)
    assert "at least 2 polygons" in root.locator(".wb-poly-requirement").text_content()
    click(page, wb, (100, 100), (200, 100), (150, 200), (100, 100))
    root.get_by_role("button", name="Submit").click()
    message = root.locator(".wb-poly-figure").get_by_role("alert")
    assert message.text_content() == "Draw at least 2 polygons: 1 so far."
    assert wb.in_view(message)
    assert page.evaluate("window.__submissions.length") == 0
    click(page, wb, (400, 100), (500, 100), (450, 200), (400, 100))
    assert message.is_hidden()
    submit(page)
    assert len(wb.last_result(page)["polygons"]) == 2


def test_the_label_for_new_polygons_leaves_the_polygon_just_closed_alone(playground, wb):
    page = playground("polygon")
    root = page.locator(ROOT)
    click(page, wb, (100, 100), (200, 100), (150, 200), (100, 100))
    root.get_by_label("Label for new polygons").select_option("circle")
    click(page, wb, (400, 100), (500, 100), (450, 200), (400, 100))
    assert [polygon["label"] for polygon in current(page)] == ["square", "circle"]
