"""The classification plugin in Chromium: mouse, keyboard, preview, prefill, rejection."""

import pytest

pytestmark = pytest.mark.browser

ROOT = "#plugin-root"


def option(page, name, role="radio"):
    return page.locator(ROOT).get_by_role(role, name=name, exact=True)


def test_single_label_by_mouse(playground, wb):
    page = playground("classification")
    option(page, "dog").click()
    option(page, "cat").click()
    assert option(page, "dog").is_checked() is False
    page.locator(ROOT).get_by_role("button", name="Submit").click()
    page.get_by_text("Submitted", exact=True).wait_for()
    result = wb.last_result(page)
    assert result == {"labels": ["cat"]}
    wb.assert_valid("classification", result)
    assert page.evaluate("window.__lastChange") == {"labels": ["cat"]}
    assert page.locator(ROOT).get_by_role("button", name="Submit").is_disabled()


def test_multi_label_by_mouse(playground, wb):
    page = playground("classification", ui_config={"multi": True, "labels": ["red", "green", "blue"]})
    option(page, "blue", "checkbox").click()
    option(page, "red", "checkbox").click()
    option(page, "green", "checkbox").click()
    option(page, "green", "checkbox").click()
    assert page.locator(f"{ROOT} input[type=checkbox]").count() == 3
    page.locator(ROOT).get_by_role("button", name="Submit").click()
    page.get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"labels": ["red", "blue"]}


def test_single_label_by_keyboard_only(playground, wb):
    page = playground("classification")
    page.keyboard.press("3")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.get_by_text("Submitted", exact=True).wait_for()
    result = wb.last_result(page)
    assert result == {"labels": ["dog"]}
    wb.assert_valid("classification", result)


def test_multi_label_by_keyboard_only(playground, wb):
    page = playground("classification", ui_config={"multi": True})
    for key in ["1", "4", "2", "1"]:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"labels": ["dog", "other"]}


def test_tab_space_and_enter_on_the_button(playground, wb):
    page = playground("classification")
    radio = option(page, "cat")
    radio.focus()
    page.keyboard.press("ArrowDown")  # native radio-group behaviour moves to the next label
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Submit"
    page.keyboard.press("Enter")
    page.get_by_text("Submitted", exact=True).wait_for()
    assert page.evaluate("window.__submissions.length") == 1
    assert wb.last_result(page) == {"labels": ["dog"]}


def test_submit_without_a_label_says_so_at_the_labels(playground, page, wb):
    """The message sits in the group of labels it is about, in view, and goes once a label is chosen."""
    page.set_viewport_size({"width": 1280, "height": 500})
    page = playground("classification")
    page.locator(ROOT).get_by_role("button", name="Submit").click()
    group = page.locator(ROOT).get_by_role("group")
    message = group.get_by_role("alert")
    assert message.text_content() == "Choose a label."
    assert group.get_attribute("aria-invalid") == "true"
    assert wb.in_view(message)
    assert page.evaluate("window.__submissions.length") == 0
    option(page, "bird").click()
    assert message.is_hidden() and group.get_attribute("aria-invalid") is None


def test_the_labels_of_a_multi_choice_name_what_is_missing(playground, page):
    page = playground("classification", ui_config={"multi": True})
    page.keyboard.press("Enter")
    assert page.locator(ROOT).get_by_role("group").get_by_role("alert").text_content() == "Choose at least one label."


def test_read_only_preview_disables_everything(playground):
    page = playground("classification", readonly="1")
    assert page.locator(ROOT).get_by_role("button", name="Submit").is_disabled()
    assert all(r.is_disabled() for r in page.locator(f"{ROOT} input").all())
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    assert page.locator(f"{ROOT} input:checked").count() == 0
    assert page.evaluate("window.__submissions.length") == 0


def test_initial_prefill_is_shown_and_edited(playground, wb):
    page = playground("classification", initial={"labels": ["bird"]})
    assert option(page, "bird").is_checked()
    assert page.evaluate("window.__handle.getResult()") == {"labels": ["bird"]}
    option(page, "other").click()
    page.locator(ROOT).get_by_role("button", name="Submit").click()
    page.get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"labels": ["other"]}


def test_rejected_submit_shows_the_error_and_allows_a_retry(playground, wb):
    page = playground("classification", reject="Server says: slow down")
    page.keyboard.press("1")
    button = page.locator(ROOT).get_by_role("button", name="Submit")
    button.click()
    page.get_by_text("Server says: slow down").wait_for()
    assert button.is_enabled()
    assert wb.last_result(page) is None
    button.click()
    page.get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"labels": ["cat"]}
    assert page.evaluate("window.__submissions.map(s => s.outcome)") == ["rejected", "accepted"]


def test_destroy_removes_the_ui_and_its_key_handler(playground):
    page = playground("classification")
    page.evaluate("window.__handle.destroy()")
    assert page.locator(f"{ROOT} *").count() == 0
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    assert page.evaluate("window.__submissions.length") == 0
