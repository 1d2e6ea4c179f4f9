"""The collaboration pages as workers see them, in Chromium: framed at 1280×800 as a HIT, and on a 390×844 phone.

Each test runs in both views. The framed view is a page of the server's own origin (answered by
the browser, so the server needs no such route) holding the session page in a 760 px high frame,
as MTurk's worker site frames a HIT; the phone view is a mobile viewport, where the page's
viewport meta decides the layout width. Every page keeps a screenshot per step (see the
``artifacts`` fixture), fails on console errors (a CSP violation shows there), and is checked for
what a person would miss: roles and rules on screen, refusals in plain words beside the control,
no sideways scrolling.
"""

from __future__ import annotations

import asyncio
import html
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from workbench.collab import sessions
from workbench.collab.paradigms import word_guessing

from .test_assisted_browser import labels_and_an_older_schema, set_up
from .test_briefing import FIELD_PATH
from .test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser

FRAME_HEIGHT = 760  # the HIT's frame on MTurk's worker site
VIEWS = {
    "framed-1280x800": {"viewport": {"width": 1280, "height": 800}},
    "phone-390x844": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
PAIRS = {"paradigm": "word_guessing", "conditions": [{"agent": False}], "max_wait_s": 600, "grace_s": 600,
         "word_guessing": {"max_guesses": 4}}
AGENT_GUESSES = {"paradigm": "word_guessing", "conditions": [{"agent": True, "agent_role": "guesser"}]}


@pytest.fixture(params=sorted(VIEWS))
def view(request) -> str:
    return request.param


class Seen:
    """One worker's page in one view: ``surface`` is the session page (the frame when framed)."""

    def __init__(self, page, surface, view: str, folder: Path, name: str) -> None:
        self.page, self.surface, self.view, self.folder, self.name = page, surface, view, folder, name
        self.height = FRAME_HEIGHT if view.startswith("framed") else VIEWS[view]["viewport"]["height"]

    async def shot(self, step: str) -> None:
        await self.page.screenshot(path=str(self.folder / f"{self.view}-{self.name}-{step}.png"))

    async def in_view(self, selector: str) -> bool:
        """Whether the element is on screen as it stands (inside the frame's 760 px when framed)."""
        box = await self.surface.locator(selector).bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= self.height

    async def fits_across(self) -> bool:
        return await self.surface.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    async def layout_width(self) -> int:
        return await self.surface.evaluate("document.documentElement.clientWidth")


@asynccontextmanager
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_seen(browser, url: str, view: str, folder: Path, name: str, problems: list[str]) -> Seen:
    context = await browser.new_context(**VIEWS[view])
    page = await context.new_page()
    page.on("console", lambda m: problems.append(f"{name}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{name}: {e}"))
    if not view.startswith("framed"):
        await page.goto(url)
        return Seen(page, page, view, folder, name)
    host = url.split("/workbench/")[0] + "/mturk-hit-frame"
    body = (f'<!doctype html><title>HIT</title><body style="margin:0"><iframe id="hit" src="{html.escape(url)}" '
            f'style="border:0;width:100%;height:{FRAME_HEIGHT}px"></iframe></body>')
    await context.route(host, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    await page.goto(host)
    frame = await (await page.wait_for_selector("#hit")).content_frame()
    await frame.wait_for_load_state()
    return Seen(page, frame, view, folder, name)


def join_url(jp_http_port, jp_base_url, study: str, n: int) -> str:
    return (f"http://127.0.0.1:{jp_http_port}{jp_base_url}workbench/collab/join?study={study}"
            f"&workerId=W{n}&assignmentId=A{n}&hitId=H1")


async def two_workers(browser, collab_store, jp_http_port, jp_base_url, view, artifacts, problems):
    """Two workers of a study without an agent, both in ``view``, in play: (hinter, guesser)."""
    with collab_store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    first = await open_seen(browser, join_url(jp_http_port, jp_base_url, "pairs", 1), view, artifacts, "w1", problems)
    await first.surface.wait_for_selector("#collab[data-status='waiting']")
    second = await open_seen(browser, join_url(jp_http_port, jp_base_url, "pairs", 2), view, artifacts, "w2",
                             problems)
    for seen in (first, second):
        await seen.surface.wait_for_selector("#collab[data-status='active']")
    hinter, guesser = (first, second) if await first.surface.text_content("#role") == "hinter" else (second, first)
    hinter.name, guesser.name = "hinter", "guesser"
    return hinter, guesser


async def shown_errors(seen: Seen) -> dict[str, str]:
    """The text of every place the page shows an error, read as it stands (no waiting)."""
    return await seen.surface.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#notice, .error')].map(e => [e.id, e.textContent]))")


async def test_each_worker_reads_their_role_the_others_and_the_rules(collab_store, jp_fetch, jp_http_port,
                                                                     jp_base_url, view, artifacts):
    problems: list[str] = []
    async with chromium() as browser:
        hinter, guesser = await two_workers(browser, collab_store, jp_http_port, jp_base_url, view, artifacts,
                                            problems)
        await hinter.shot("start")
        await guesser.shot("start")
        assert (await hinter.surface.inner_text("#you")).startswith(
            "Your role: hinter. You see which word on the board is the secret one.")
        assert "The guesser picks the word on the board that the hints point to." in \
            await hinter.surface.inner_text("#briefing")
        assert (await guesser.surface.inner_text("#you")).startswith("Your role: guesser. You do not see the secret")
        assert "The hinter sees the secret word and gives one-word hints." in \
            await guesser.surface.inner_text("#briefing")
        for seen in (hinter, guesser):
            rules = await seen.surface.inner_text("#rules")
            assert "The guesser has 4 guesses." in rules and "completion code" in rules
            assert await seen.fits_across(), f"{seen.name} scrolls sideways"
            assert await seen.in_view("#you") and await seen.in_view("#rules li >> nth=0")
            if view.startswith("phone"):
                assert await seen.layout_width() == 390  # laid out for the phone, not a shrunken desktop
            else:  # the role, the rules and the board side by side, all inside the frame
                assert await seen.in_view("#rules") and await seen.in_view("#board")
        assert await hinter.surface.text_content("#turn") == "Your turn: give a one-word hint."
    assert problems == []


async def test_a_refused_hint_is_told_plainly_beside_the_hint_box_and_cleared_by_a_good_one(
        collab_store, jp_fetch, jp_http_port, jp_base_url, view, artifacts):
    problems: list[str] = []
    async with chromium() as browser:
        hinter, guesser = await two_workers(browser, collab_store, jp_http_port, jp_base_url, view, artifacts,
                                            problems)
        # A hint that is a board word: refused, in plain words, beside the hint box, on screen.
        board = await hinter.surface.get_attribute("#board button >> nth=1", "data-word")
        await hinter.surface.fill("#hint-word", board)
        await hinter.surface.click("#hint-form button")
        # (A CSS selector, not wait_for_function: the page's CSP forbids the eval that polling would use.)
        await hinter.surface.wait_for_selector("#notice:not(:empty), .error:not(:empty)")
        await hinter.shot("refused-hint")
        shown = await shown_errors(hinter)
        assert shown.get("hint-error") == f"“{board}” is on the board: give a hint that is not.", shown
        assert not any(FIELD_PATH.search(text) for text in shown.values()), shown
        assert await hinter.in_view("#hint-error") and await hinter.in_view("#hint-word")

        # A good hint goes through: the refusal is gone, and the guesser is asked to pick.
        await hinter.surface.fill("#hint-word", "clue")
        await hinter.surface.click("#hint-form button")
        await guesser.surface.wait_for_selector("#collab[data-turn='guesser']")
        await hinter.surface.wait_for_selector("#hints:text('clue')")
        await hinter.shot("after-hint")
        assert set((await shown_errors(hinter)).values()) == {""}
        assert await guesser.surface.text_content("#turn") == "Your turn: pick a word on the board."

        # An empty chat line is refused beside the chat box; the next line that goes through clears it.
        await guesser.surface.click("#chat-form button")
        assert (await shown_errors(guesser)).get("chat-error") == "Write a message first."
        await guesser.shot("refused-chat")
        await guesser.surface.fill("#chat-text", "is it a fruit?")
        await guesser.surface.click("#chat-form button")
        await hinter.surface.wait_for_selector("#messages li")
        await guesser.surface.wait_for_selector("#chat-error:empty", state="attached")
        assert await hinter.surface.text_content("#messages li") == "guesser: is it a fruit?"
        await guesser.shot("after-chat")
    assert problems == []


async def test_the_agents_winning_line_shows_and_the_chat_closes_at_the_end(
        collab_store, jp_fetch, jp_http_port, jp_base_url, view, artifacts):
    with collab_store.transaction() as s:
        sessions.create_study(s, "agent-guesses", AGENT_GUESSES)
    problems: list[str] = []
    async with chromium() as browser:
        me = await open_seen(browser, join_url(jp_http_port, jp_base_url, "agent-guesses", 1), view, artifacts,
                             "hinter", problems)
        await me.surface.wait_for_selector("#collab[data-status='active']")
        assert await me.surface.text_content("#role") == "hinter"
        target = await me.surface.text_content("#target")
        await me.surface.fill("#hint-word", word_guessing.VOCABULARY[target][0])
        await me.surface.click("#hint-form button")
        await me.surface.wait_for_selector("#done:not([hidden])")
        await me.shot("ended")
        seen = {
            # The agent's guess that won is on the page, as its last line.
            "last line": (await me.surface.locator("#messages li").all_text_contents())[-1:],
            # Nobody is left to read the chat: it stays readable, takes no more lines.
            "chat box disabled": await me.surface.is_disabled("#chat-text"),
            "send disabled": await me.surface.is_disabled("#chat-form button"),
            "turn": await me.surface.text_content("#turn"),
        }
        assert seen == {"last line": [f"guesser: I guess {target}."], "chat box disabled": True,
                        "send disabled": True, "turn": f"You won together: the secret word was “{target}”."}
        assert await me.surface.get_attribute("#chat-text", "placeholder") == "The session has ended."
        assert len((await me.surface.text_content("#code")).strip()) == 16
        assert await me.surface.text_content("#end-reason") == "The session is complete."
        assert await me.in_view("#code") and await me.fits_across()
    assert problems == []
    await asyncio.sleep(0.2)  # the hub writes in batches
    with collab_store.session() as s:
        assert sessions.list_(s, study="agent-guesses")[0].outcome["result"] == "won"


async def test_the_labelling_page_states_roles_and_rules_and_words_a_refused_label(
        collab_store, jp_fetch, jp_http_port, jp_base_url, tmp_path, view, artifacts):
    # The UI offers "other", the stored schema refuses it: the refusal comes from the session, over the socket.
    definition, older = labels_and_an_older_schema()
    set_up(collab_store, tmp_path, "classification", definition, [{"x": 1, "y": 1, "w": 9, "h": 9, "label": "dog"}],
           stored_schema=older)
    problems: list[str] = []
    async with chromium() as browser:
        me = await open_seen(browser, join_url(jp_http_port, jp_base_url, "assist", 1), view, artifacts,
                             "annotator", problems)
        await me.surface.wait_for_selector("#wb-plugin-root .wb-plugin[data-ready='true']")
        await me.shot("proposal")
        tool = me.surface.locator("#wb-plugin-root")
        await tool.get_by_role("radio", name="other", exact=True).check()
        await tool.get_by_role("button", name="Submit").click()
        await me.surface.wait_for_selector("#wb-plugin-root .wb-status-error")
        await me.shot("refused-label")
        said = await me.surface.text_content("#wb-plugin-root .wb-status")
        assert "“other” is not one of the choices this task allows (cat, dog)." in said
        assert not FIELD_PATH.search(said) and await me.in_view("#wb-plugin-root .wb-status")
        assert await me.fits_across()
        assert (await me.surface.inner_text("#you")).startswith(
            "Your role: annotator. You label the task below and submit the answer.")
        rules = await me.surface.inner_text("#rules")
        assert "The assistant fills in a proposal for the task below." in rules
        assert "Check it: keep what is right and correct what is wrong." in rules
    assert problems == []


async def test_a_refused_join_is_a_plain_styled_page_that_fits(collab_store, jp_fetch, jp_http_port, jp_base_url,
                                                               view, artifacts):
    problems: list[str] = []
    async with chromium() as browser:
        url = join_url(jp_http_port, jp_base_url, "no-such-study", 1)
        me = await open_seen(browser, url, view, artifacts, "refused", problems)
        await me.surface.wait_for_selector("h1")
        await me.shot("page")
        text = await me.surface.inner_text("body")
        seen = {
            "title": await me.surface.text_content("h1"),
            "what to do next": "return the HIT" in text,
            "field names or ids": bool(FIELD_PATH.search(text)) or "no-such-study" in text,
            # Styled by the page's own sheet (the strict CSP allows it) ...
            "styled": "system-ui" in await me.surface.evaluate("getComputedStyle(document.body).fontFamily"),
            # ... and laid out for the screen it is on: a phone lays a page without viewport meta out 980 px wide.
            "layout width": await me.layout_width() if view.startswith("phone") else None,
            "fits across": await me.fits_across(),
        }
        assert seen == {"title": "This link leads to no study", "what to do next": True, "field names or ids": False,
                        "styled": True, "layout width": 390 if view.startswith("phone") else None,
                        "fits across": True}
        assert await me.in_view("#next")
    assert [p for p in problems if "404" not in p] == []  # the page itself answers 404, as it should
