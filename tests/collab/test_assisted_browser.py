"""Model-assisted labelling in Chromium: the worker edits the agent's proposal in the task's own plugin.

The join page mounts the built-in plugin (through the same plugin_host.js as the annotate
page) pre-filled with the local agent's proposal, under the page's strict CSP. The worker
edits it with the plugin's own controls and submits over the session's socket; the stored
annotation keeps the proposal and what the human changed.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from PIL import Image
from sqlalchemy import select

from workbench import resources
from workbench.study import annotations, assets, definitions, plugins, projects, tasks
from workbench.collab import sessions
from workbench.store.models import Event

from .test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser

TRUTH = [{"x": 100, "y": 100, "w": 100, "h": 80, "label": "square"},
         {"x": 300, "y": 200, "w": 60, "h": 120, "label": "circle"},
         {"x": 450, "y": 50, "w": 80, "h": 80, "label": "triangle"}]


def manifest(name: str) -> dict:
    return json.loads((resources.plugins_root() / name / "manifest.json").read_text())


def set_up(store, tmp_path, plugin: str, definition: dict, truth: list[dict], *,
           stored_schema: dict | None = None) -> int:
    """A project whose one task is annotated by ``plugin`` (registered, so the page can load it); its study.

    ``stored_schema`` replaces the definition's label schema in the store after it is made, as a store
    holds a definition made before definitions were held to their ``ui_config``."""
    picture = tmp_path / "scene.png"
    Image.new("RGB", (640, 480), (235, 235, 235)).save(picture)
    with store.transaction() as s:
        for found in plugins.scan(resources.plugins_root()):
            if found.manifest["name"] == plugin:
                plugins.register_found(s, found)
        project = projects.create(s, "scenes", "Scenes")
        task_type = manifest(plugin)["task_type"]
        definitions.create_type(s, task_type)
        spec = definitions.create_definition(s, task_type, "1", definition)
        if stored_schema is not None:
            spec.definition = {**spec.definition, "label_schema": stored_schema}
        asset = assets.register_file(s, project.id, picture, metadata={"alt": "A grey scene", "truth": truth})
        task = tasks.create(s, project.id, spec.id, asset_id=asset.id)
        sessions.create_study(s, "assist", {"paradigm": "assisted_labelling"}, project="scenes")
    return task.id


def labels_and_an_older_schema() -> tuple[dict, dict]:
    """A classification definition offering cat, dog and other, and a schema of an older store allowing two."""
    definition = manifest("classification")["default_definition"]
    definition["ui_config"] = {**definition["ui_config"], "labels": ["cat", "dog", "other"]}
    definition["label_schema"]["properties"]["labels"].pop("items", None)
    older = json.loads(json.dumps(definition["label_schema"]))
    older["properties"]["labels"]["items"] = {"enum": ["cat", "dog"]}
    return definition, older


async def open_page(pw, url: str, problems: list[str]):
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = await (await browser.new_context(viewport={"width": 1000, "height": 1100})).new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(url)
    await page.wait_for_selector("#collab[data-status='active']")
    await page.wait_for_selector("#wb-plugin-root .wb-plugin[data-ready='true']")
    return browser, page


async def stored_outcome(store, task_id: int):
    await asyncio.sleep(0.2)  # the hub writes the session's events in batches
    with store.session() as s:
        cs = sessions.list_(s, study="assist")[0]
        annotation = annotations.get(s, cs.outcome["annotation_id"])
        actions = [e.payload["action"] for e in s.scalars(select(Event).where(Event.type == "collab.action")
                                                          .order_by(Event.id))]
        assert annotation.task_id == task_id and annotation.actor == "W1"
        assert tasks.get(s, task_id).status == "complete"
        return cs, annotation, actions


async def test_the_worker_moves_relabels_and_deletes_the_agents_boxes(collab_store, jp_fetch, jp_http_port,
                                                                      jp_base_url, tmp_path):
    from playwright.async_api import async_playwright

    task_id = set_up(collab_store, tmp_path, "bounding-box", manifest("bounding-box")["default_definition"], TRUTH)
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}workbench/collab/join?study=assist&workerId=W1" \
          "&assignmentId=A1&hitId=H1"
    problems: list[str] = []
    async with async_playwright() as pw:
        browser, page = await open_page(pw, url, problems)
        items = page.locator("#wb-plugin-root .wb-bb-item")
        # The plugin, not a JSON box, shows the agent's three boxes.
        assert await items.all_text_contents() == ["Box 1: square, x 100, y 100, 100 by 80",
                                                   "Box 2: circle, x 300, y 200, 60 by 120",
                                                   "Box 3: triangle, x 450, y 50, 80 by 80"]
        assert await page.locator("#wb-plugin-root rect.wb-bb-rect").count() == 3
        assert "proposal" in await page.text_content("#labelling-note")
        assert await page.locator("textarea").count() == 0

        await items.nth(0).click()  # select box 1; move it 30 px right and 5 px down
        for key in ["Shift+ArrowRight"] * 3 + ["ArrowDown"] * 5:
            await page.keyboard.press(key)
        await items.nth(1).click()  # box 2 becomes a triangle (key 3)
        await page.keyboard.press("3")
        await items.nth(2).click()  # box 3 goes
        await page.get_by_role("button", name="Delete box").click()
        assert await items.count() == 2
        await page.wait_for_timeout(600)  # the page sends the working copy after a quiet moment
        await page.reload()  # a worker who reloads comes back to their edits, not to the proposal
        await page.wait_for_selector("#wb-plugin-root .wb-plugin[data-ready='true']")
        assert await items.all_text_contents() == ["Box 1: square, x 130, y 105, 100 by 80",
                                                   "Box 2: triangle, x 300, y 200, 60 by 120"]

        await page.locator("#wb-plugin-root").get_by_role("button", name="Submit").click()
        await page.wait_for_selector("#wb-plugin-root .wb-status-ok")
        assert await page.text_content("#wb-plugin-root .wb-status") == "Submitted"
        await page.wait_for_selector("#done:not([hidden])")
        assert len((await page.text_content("#code")).strip()) == 16
        await browser.close()
    assert problems == []

    final = {"boxes": [{"x": 130, "y": 105, "w": 100, "h": 80, "label": "square"},
                       {"x": 300, "y": 200, "w": 60, "h": 120, "label": "triangle"}]}
    cs, annotation, actions = await stored_outcome(collab_store, task_id)
    assert annotation.result == final
    assert annotation.raw_payload["agent_proposal"] == {"boxes": TRUTH}
    assert annotation.raw_payload["human_changes"] == {"changed": True, "fields": {"boxes": {
        "added": final["boxes"], "removed": TRUTH}}}
    assert cs.outcome["accepted_unchanged"] is False
    assert [a["kind"] for a in actions][0] == "propose" and actions[-1] == {"kind": "submit", "result": final}
    assert {"kind": "edit", "result": final} in actions  # the debounced working copy reached the session


async def test_a_refused_label_shows_in_the_plugin_and_the_worker_corrects_it(collab_store, jp_fetch, jp_http_port,
                                                                              jp_base_url, tmp_path):
    from playwright.async_api import async_playwright

    # The UI offers "other", the stored schema refuses it: the socket's error reaches the plugin's status line.
    definition, older = labels_and_an_older_schema()
    truth = [{"x": 1, "y": 1, "w": 200, "h": 200, "label": "dog"}]
    task_id = set_up(collab_store, tmp_path, "classification", definition, truth, stored_schema=older)
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}workbench/collab/join?study=assist&workerId=W1" \
          "&assignmentId=A1&hitId=H1"
    problems: list[str] = []
    async with async_playwright() as pw:
        browser, page = await open_page(pw, url, problems)
        radio = page.locator("#wb-plugin-root").get_by_role("radio", name="dog", exact=True)
        assert await radio.is_checked()  # pre-filled with the agent's proposal
        submit = page.locator("#wb-plugin-root").get_by_role("button", name="Submit")

        await page.locator("#wb-plugin-root").get_by_role("radio", name="other", exact=True).check()
        await submit.click()
        await page.wait_for_selector("#wb-plugin-root .wb-status-error")
        said = await page.text_content("#wb-plugin-root .wb-status")
        assert "“other” is not one of the choices this task allows" in said and "action.result" not in said
        assert await page.is_hidden("#done")

        await page.locator("#wb-plugin-root").get_by_role("radio", name="cat", exact=True).check()
        await submit.click()
        await page.wait_for_selector("#done:not([hidden])")
        assert await page.text_content("#wb-plugin-root .wb-status") == "Submitted"
        await browser.close()
    assert problems == []

    cs, annotation, _ = await stored_outcome(collab_store, task_id)
    assert annotation.result == {"labels": ["cat"]}
    assert annotation.raw_payload["agent_proposal"] == {"labels": ["dog"]}
    assert annotation.raw_payload["human_changes"] == {"changed": True, "fields": {"labels": {
        "added": ["cat"], "removed": ["dog"]}}}
