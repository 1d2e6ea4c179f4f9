"""Browser tests of the worker pages: a real ``jupyter workbench``, a stand-in for MTurk, and Chromium.

The stand-in serves a HIT page that frames the annotate page (as MTurk's worker site
does) and records the form posted to ``/mturk/externalSubmit``. Both run on 127.0.0.1
(other ports), so the framing origin is configured in ``frame_ancestors``. Every page
collects console errors (a CSP violation shows up there) and fails the test if any appear.
"""

from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from workbench import assets, definitions, projects, tasks
from workbench.store import Store

from ..processes import REPO, free_port, public_server

CHROMIUM = "/usr/bin/chromium"
PLUGINS = ("classification", "bounding-box", "polygon", "free-text")


class MTurkStandIn(BaseHTTPRequestHandler):
    posted: list[dict] = []

    def do_GET(self):  # noqa: N802 - the base class's name
        query = parse_qs(urlsplit(self.path).query)
        src = html.escape(query.get("src", [""])[0], quote=True)
        body = (f'<!doctype html><title>HIT</title><iframe id="hit" src="{src}" width="1200" height="900">'
                "</iframe>").encode()
        self._reply(body)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        type(self).posted.append({"path": self.path, "form": form})
        self._reply(b"<!doctype html><title>Submitted</title><p id='done'>HIT submitted</p>")

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def jp_asyncio_loop():
    """Playwright's sync API runs its own loop: pytest-jupyter's loop fixture stays out of these tests."""
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup():
    """No in-process Jupyter server here: the server under test is a child process."""
    yield


@pytest.fixture(scope="module")
def mturk():
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), MTurkStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    MTurkStandIn.posted = []
    yield SimpleNamespace(origin=f"http://127.0.0.1:{port}", posted=MTurkStandIn.posted)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server_store(tmp_path_factory):
    """One store for the module: a project per built-in plugin, with its default definition and an image."""
    from PIL import Image

    workdir = tmp_path_factory.mktemp("browser")
    image = workdir / "scene.png"
    Image.new("RGB", (640, 480), (240, 240, 240)).save(image)
    store = Store(f"sqlite:///{workdir / 'workbench.db'}")
    store.upgrade(backup=False)
    with store.transaction() as s:
        project = projects.create(s, "browser")
        asset = assets.register_file(s, project.id, image, metadata={"alt": "A grey scene"})
        for name in PLUGINS:
            manifest = json.loads((REPO / "plugins" / name / "manifest.json").read_text())
            definitions.create_type(s, manifest["task_type"], manifest["title"])
            definitions.create_definition(s, manifest["task_type"], "1", manifest["default_definition"])
        # The UI offers "other", the schema refuses it: how a server-side refusal reaches the worker.
        strict = json.loads((REPO / "plugins" / "classification" / "manifest.json").read_text())["default_definition"]
        strict["label_schema"]["properties"]["labels"]["items"] = {"enum": ["cat", "dog", "bird"]}
        definitions.create_definition(s, "classification", "strict", strict)
    yield SimpleNamespace(store=store, workdir=workdir, asset_id=asset.id)
    store.dispose()


@pytest.fixture(scope="module")
def server(server_store, mturk):
    with public_server(server_store.store.url, server_store.workdir,
                       f"--WorkbenchApp.frame_ancestors={mturk.origin}") as (base, log):
        yield SimpleNamespace(base=base, log=log)


@pytest.fixture
def new_task(server_store):
    def make(task_type: str, payload: dict | None = None, metadata: dict | None = None, version: str = "1") -> int:
        with server_store.store.transaction() as s:
            asset_id = server_store.asset_id
            if metadata is not None:
                asset_id = assets.register_file(s, "browser", server_store.workdir / "scene.png",
                                                metadata=metadata).id
            return tasks.create(s, "browser", f"{task_type}:{version}", asset_id=asset_id,
                                payload=payload or {"text": "Describe what you see."}).id
    return make


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is required for the browser tests"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.errors = errors
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture
def open_hit(page, server, mturk):
    """Open the annotate page inside the stand-in's HIT frame, as MTurk's worker site does."""

    def open_(task_id: int, assignment_id: str, worker_id: str = "WORKER1", hit_id: str = "HIT1"):
        query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                           "turkSubmitTo": mturk.origin})
        src = f"{server.base}/workbench/annotate/{task_id}?{query}"
        page.goto(f"{mturk.origin}/hit?{urlencode({'src': src})}")
        frame = page.frame_locator("#hit")
        frame.locator("body[data-state=ready], body[data-state=preview], body[data-state=error]").wait_for()
        return frame

    return open_


@pytest.fixture
def wait_posted(mturk):
    def wait(assignment_id: str, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for post in mturk.posted:
                if post["form"].get("assignmentId") == assignment_id:
                    return post
            time.sleep(0.05)
        raise AssertionError(f"no form posted to externalSubmit for {assignment_id}")
    return wait
