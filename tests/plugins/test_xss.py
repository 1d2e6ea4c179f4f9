"""Labels, payload text and asset metadata are shown as text, never run as markup."""

import pytest

pytestmark = pytest.mark.browser

ROOT = "#plugin-root"
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
HOSTILE = {
    "payload": {"text": f"payload {IMG} {SCRIPT}"},
    "metadata": {"alt": f"alt {IMG}", "caption": f"caption {SCRIPT} {IMG}"},
}


def assert_inert(page):
    root = page.locator(ROOT)
    assert page.evaluate("window.__xss") is None
    assert root.locator("script").count() == 0
    assert root.locator("img[src=x], img[onerror]").count() == 0
    root.get_by_text(f"payload {IMG} {SCRIPT}", exact=True).wait_for()
    root.get_by_text(f"caption {SCRIPT} {IMG}", exact=True).wait_for()
    assert root.get_by_role("img", name=f"alt {IMG}").count() == 1


def test_classification(playground, wb):
    page = playground("classification", ui_config={"labels": [IMG, SCRIPT], "multi": True, "instructions": SCRIPT},
                      **HOSTILE)
    assert_inert(page)
    page.locator(ROOT).get_by_role("group", name=SCRIPT).wait_for()
    page.locator(ROOT).get_by_role("checkbox", name=IMG, exact=True).click()
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"labels": [IMG, SCRIPT]}
    assert page.evaluate("window.__xss") is None


def test_bounding_box(playground, wb):
    page = playground("bounding-box", ui_config={"labels": [IMG, SCRIPT], "instructions": IMG}, **HOSTILE)
    assert_inert(page)
    page.keyboard.press("n")
    page.keyboard.press("2")
    root = page.locator(ROOT)
    assert root.locator("svg text").text_content() == f"1 {SCRIPT}"
    assert root.locator(".wb-bb-item").text_content().startswith(f"Box 1: {SCRIPT}")
    root.get_by_role("button", name="Submit").click()
    root.get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page)["boxes"][0]["label"] == SCRIPT
    assert page.evaluate("window.__xss") is None


def test_polygon(playground, wb):
    page = playground("polygon", ui_config={"labels": [SCRIPT, IMG], "instructions": SCRIPT}, **HOSTILE)
    assert_inert(page)
    page.keyboard.press("n")
    page.keyboard.press("2")
    root = page.locator(ROOT)
    assert root.locator("svg text").text_content() == f"1 {IMG}"
    root.get_by_role("button", name="Submit").click()
    root.get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page)["polygons"][0]["label"] == IMG
    assert page.evaluate("window.__xss") is None


def test_free_text(playground, wb):
    page = playground("free-text", ui_config={"prompt": IMG, "placeholder": SCRIPT}, **HOSTILE)
    assert_inert(page)
    text = page.locator(ROOT).get_by_label(IMG, exact=True)
    assert text.get_attribute("placeholder") == SCRIPT
    text.fill(f"{SCRIPT} typed by a worker {IMG}")
    text.press("Control+Enter")
    page.locator(ROOT).get_by_text("Submitted", exact=True).wait_for()
    assert wb.last_result(page) == {"text": f"{SCRIPT} typed by a worker {IMG}"}
    assert page.locator("#pg-result").text_content().count("window.__xss=1") == 2  # shown, as text
    assert page.evaluate("window.__xss") is None


@pytest.mark.parametrize("plugin", ["classification", "bounding-box", "polygon", "free-text"])
def test_script_url_for_the_asset_is_refused(playground, plugin):
    has_no_image_yet = plugin in ("bounding-box", "polygon")  # they never become ready
    page = playground(plugin, ready=not has_no_image_yet, asset_url="javascript:window.__xss=1")
    root = page.locator(ROOT)
    assert root.locator("img[src^='javascript'], a[href^='javascript']").count() == 0
    if has_no_image_yet:
        assert root.locator("[role=status]").text_content() == "This task has no image to draw on."
        assert root.get_by_role("button", name="Submit").is_disabled()
    else:
        assert root.locator("figure").count() == 0
    assert page.evaluate("window.__xss") is None
