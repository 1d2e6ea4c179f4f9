"""What a worker sees first, in every built-in plugin: the question above the item, on a desktop and on a phone.

Each plugin is shown at 1280×800 and at 390×844 (a phone); the screenshots are kept as test artefacts.
"""

import pytest

pytestmark = pytest.mark.browser

ROOT = "#plugin-root"
QUESTION_KEY = {"classification": "instructions", "bounding-box": "instructions", "polygon": "instructions",
                "free-text": "prompt"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def question_and_media(page, wb, plugin):
    question = wb.manifest(plugin)["default_definition"]["ui_config"][QUESTION_KEY[plugin]]
    return page.locator(ROOT).get_by_text(question, exact=True), page.locator(f"{ROOT} img")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("plugin", sorted(QUESTION_KEY))
def test_the_question_comes_before_the_item(playground, page, wb, plugin, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    playground(plugin)
    question, media = question_and_media(page, wb, plugin)
    asked, shown = question.bounding_box(), media.bounding_box()
    assert asked["y"] + asked["height"] <= shown["y"], "the question sits below the image"
    wb.keep(page, f"playground-{plugin}")
    # nothing wider than the screen: no sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    submit = page.locator(ROOT).get_by_role("button", name="Submit")
    assert submit.is_visible()
