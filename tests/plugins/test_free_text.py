"""The free-text plugin in Chromium: counter, bounds, mouse and keyboard, preview, prefill."""

import pytest

pytestmark = pytest.mark.browser

ROOT = "#plugin-root"


def parts(page):
    root = page.locator(ROOT)
    return (
        root.get_by_label("Describe the image in one or two sentences."),
        root.get_by_role("button", name="Submit"),
        root.locator(".wb-ft-counter"),
    )


def test_type_and_submit_by_mouse(playground, wb):
    page = playground("free-text")
    text, button, counter = parts(page)
    assert page.locator(f"{ROOT} blockquote").text_content().startswith("Sample payload text")
    assert page.locator(f"{ROOT} img").count() == 1
    assert button.is_disabled()
    text.click()
    page.keyboard.type("Too short")
    assert counter.text_content() == "9 / 500 — 1 more needed"
    assert button.is_disabled()
    page.keyboard.type("!")
    assert counter.text_content() == "10 / 500"
    assert button.is_enabled()
    page.keyboard.type(" A red square.  ")
    button.click()
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    result = wb.last_result(page)
    assert result == {"text": "Too short! A red square."}
    wb.assert_valid("free-text", result)
    assert page.evaluate("window.__lastChange") == result
    assert text.get_attribute("readonly") is not None


def test_keyboard_only(playground, wb):
    page = playground("free-text")
    keys = page.keyboard
    for _ in range(20):  # Tab from the top of the page, past the playground's controls
        if page.evaluate("document.activeElement.matches('#plugin-root textarea')"):
            break
        keys.press("Tab")
    keys.type("A green triangle under a blue circle.")
    keys.press("Control+Enter")
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    result = wb.last_result(page)
    assert result == {"text": "A green triangle under a blue circle."}
    wb.assert_valid("free-text", result)


def test_keyboard_tab_to_the_button(playground, wb):
    page = playground("free-text", ui_config={"min_length": 3, "max_length": 12})
    text, button, counter = parts(page)
    text.focus()
    page.keyboard.type("ünïcødé 🙂 ok")  # 12 code points, 13 UTF-16 units
    assert counter.text_content() == "12 / 12"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"text": "ünïcødé 🙂 ok"}


def test_too_long_text_disables_submit(playground):
    page = playground("free-text", ui_config={"max_length": 20})
    text, button, counter = parts(page)
    text.fill("x" * 25)
    assert counter.text_content() == "25 / 20 — 5 too many"
    assert button.is_disabled()
    assert text.get_attribute("aria-invalid") == "true"
    text.press("Control+Enter")
    assert page.evaluate("window.__submissions.length") == 0
    text.fill("x" * 20)
    assert button.is_enabled()


def test_white_space_does_not_count(playground):
    page = playground("free-text")
    text, button, counter = parts(page)
    text.fill("    a b     \n\n   ")
    assert counter.text_content().startswith("3 / 500")
    assert button.is_disabled()


def test_read_only_preview(playground):
    page = playground("free-text", readonly="1", initial={"text": "A proposal from the model."})
    text, button, _ = parts(page)
    assert text.input_value() == "A proposal from the model."
    assert button.is_disabled()
    text.press("End")
    page.keyboard.type(" more")
    text.press("Control+Enter")
    assert text.input_value() == "A proposal from the model."
    assert page.evaluate("window.__submissions.length") == 0


def test_initial_prefill_is_shown_and_edited(playground, wb):
    page = playground("free-text", initial={"text": "A red square and a blue circle"})
    text, button, counter = parts(page)
    assert counter.text_content() == "30 / 500"
    assert button.is_enabled()
    text.press("End")
    page.keyboard.type(" and a green triangle.")
    button.click()
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"text": "A red square and a blue circle and a green triangle."}


def test_rejected_submit_shows_the_error_and_allows_a_retry(playground, wb):
    page = playground("free-text", reject="The server is busy", asset="none", payload={})
    text, button, _ = parts(page)
    assert page.locator(f"{ROOT} img").count() == 0
    text.fill("Something long enough.")
    button.click()
    page.locator(ROOT).get_by_text("The server is busy").wait_for()
    assert button.is_enabled()
    text.press("Control+Enter")
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"text": "Something long enough."}
