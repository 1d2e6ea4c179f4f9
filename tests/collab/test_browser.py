"""Two workers in Chromium and the local agent in one session, over the real socket, under the page's CSP."""

from __future__ import annotations

import asyncio

import pytest

from workbench.collab import sessions

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TRIO = {"paradigm": "word_guessing", "conditions": [{"agent": True, "agent_role": "helper"}], "max_wait_s": 600}

pytestmark = pytest.mark.browser


async def test_two_browsers_and_the_agent_play_one_session(collab_store, jp_fetch, jp_http_port, jp_base_url):
    # jp_fetch: pytest-jupyter starts the HTTP server that listens on jp_http_port.
    from playwright.async_api import async_playwright

    with collab_store.transaction() as s:
        sessions.create_study(s, "trio", TRIO)
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}workbench/collab/join?study=trio&hitId=H"
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages = []
        for n in (1, 2):
            context = await browser.new_context()
            page = await context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(f"{base}&workerId=W{n}&assignmentId=A{n}")
            pages.append(page)
        for page in pages:
            await page.wait_for_selector("#collab[data-status='active']")
        roles = [await p.text_content("#role") for p in pages]
        assert sorted(roles) == ["guesser", "hinter"]
        hinter, guesser = pages if roles[0] == "hinter" else pages[::-1]
        assert await guesser.is_hidden("#target-line") and await hinter.is_visible("#target-line")
        target = await hinter.text_content("#target")

        await hinter.fill("#hint-word", "clue")
        await hinter.click("#hint-form button")
        await guesser.wait_for_selector("#collab[data-turn='guesser']")
        assert await guesser.text_content("#hints") == "clue"

        await guesser.fill("#chat-text", "any idea, helper?")
        await guesser.click("#chat-form button")
        for page in pages:  # the agent answers both people, and both see the question
            await page.wait_for_selector("#messages li.agent")
            assert "any idea, helper?" in await page.text_content("#messages")
        assert (await hinter.text_content("#messages li.agent")).startswith("helper: ")

        await guesser.click(f"#board button[data-word='{target}']")
        for page in pages:
            await page.wait_for_selector("#done:not([hidden])")
            assert len((await page.text_content("#code")).strip()) == 16
        assert '"result": "won"' in (await guesser.get_attribute("#collab", "data-outcome")).replace('":"', '": "')
        await browser.close()
    assert problems == []
    await asyncio.sleep(0.2)
    with collab_store.session() as s:
        cs = sessions.list_(s, study="trio")[0]
        assert cs.status == "ended" and cs.outcome["success"] is True
        assert sorted(p.kind for p in cs.participants) == ["agent", "human", "human"]
