"""Browser tests of the worker pages as workers meet them: framed cross-site, over https, by MTurk.

Chromium resolves every host name to 127.0.0.1 (``--host-resolver-rules``): the workbench is
``https://annotate.test`` (a real ``jupyter workbench`` serving a certificate made here with
``trustme``), and MTurk's own sites, ``https://worker.mturk.com`` (which frames the HIT),
``https://www.mturk.com`` (the ``turkSubmitTo`` the worker's form is posted to, which answers
with a redirect to its worker site, as MTurk does) and ``https://workersandbox.mturk.com``, are
one stand-in server. ``https://frames.example`` is a site MTurk's worker pages must refuse to
be framed by. Because the real MTurk origins are used, the workbench's own defaults (its
frame-ancestors and form-action lists) are what is tested, not a configured exception.

Every test runs twice: with third-party cookies blocked (``--test-third-party-cookie-phaseout``:
Safari, Brave, Chrome Incognito and Chrome's phase-out behave so) and with them allowed. Every page
collects console errors (a CSP violation shows up there) and fails the test if any appear.
"""

from __future__ import annotations

import html
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from workbench.study import assets, definitions, projects, tasks
from workbench.store import Store

from ..processes import REPO, free_port, public_server

CHROMIUM = "/usr/bin/chromium"
PLUGINS = ("classification", "bounding-box", "polygon", "free-text")
WORKBENCH_HOST = "annotate.test"
MTURK_HOSTS = ("worker.mturk.com", "www.mturk.com", "workersandbox.mturk.com")
HOSTILE_HOST = "frames.example"
COOKIE_MODES = ("third-party-cookies-blocked", "third-party-cookies-allowed")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FRAME_HEIGHT = 760


class MTurkStandIn(BaseHTTPRequestHandler):
    """MTurk's worker site (frames the HIT) and its externalSubmit (redirects to the worker site)."""

    posted: list[dict] = []

    def do_GET(self):  # noqa: N802 - the base class's name
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/mturk/submitted":
            return self._reply(b"<!doctype html><title>Submitted</title><p id='done'>HIT submitted</p>")
        src = html.escape(query.get("src", [""])[0], quote=True)
        # As MTurk's worker site: the HIT's frame spans the page's width and is FrameHeight tall (760 px here, so
        # the whole frame shows in a 1280x800 window). No frame border: Playwright's bounding boxes inside a
        # cross-site (out-of-process) frame leave it out.
        self._reply(f'<!doctype html><title>HIT</title><iframe id="hit" src="{src}" class="hit" height="{FRAME_HEIGHT}" '
                    'style="border:0;width:100%;display:block"></iframe>'.encode())

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        host = (self.headers.get("Host") or "").split(":")[0]
        type(self).posted.append({"path": self.path, "host": host, "form": form})
        # www.mturk.com takes the form and sends the frame on to the worker site: a third origin.
        next_host = "worker.mturk.com" if host == "www.mturk.com" else host
        self.send_response(302)
        self.send_header("Location", f"https://{next_host}/mturk/submitted?"
                                     + urlencode({"assignmentId": form.get("assignmentId", "")}))
        self.send_header("Content-Length", "0")
        self.end_headers()

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
def tls():
    """A certificate authority made for this module, and one certificate for every host name the tests use."""
    import trustme

    authority = trustme.CA()
    return authority, authority.issue_cert(WORKBENCH_HOST, *MTURK_HOSTS, HOSTILE_HOST, "127.0.0.1")


@pytest.fixture(scope="module", params=COOKIE_MODES)
def cookie_mode(request) -> str:
    """Each module runs once per mode, each time with its own store, server and MTurk stand-in."""
    return request.param


@pytest.fixture(scope="module")
def mturk(tls, cookie_mode):
    authority, certificate = tls
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), MTurkStandIn)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    MTurkStandIn.posted = []
    yield SimpleNamespace(port=port, origin="https://www.mturk.com", frame_origin="https://worker.mturk.com",
                          posted=MTurkStandIn.posted)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server_store(tmp_path_factory, cookie_mode):
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
        # The UI offers "other", the schema refuses it: how a server-side refusal reaches the worker. (Refused by
        # "not", for a schema whose enum left out a label of ui_config would be refused when it is created.)
        strict = json.loads((REPO / "plugins" / "classification" / "manifest.json").read_text())["default_definition"]
        strict["label_schema"]["properties"]["labels"]["items"]["not"] = {"const": "other"}
        definitions.create_definition(s, "classification", "strict", strict)
        # Boxes required: the instructions ask for one per object, and Submit must hold the worker to it.
        boxes = json.loads((REPO / "plugins" / "bounding-box" / "manifest.json").read_text())["default_definition"]
        boxes["ui_config"]["min_boxes"] = 1
        boxes["label_schema"]["properties"]["boxes"]["minItems"] = 1
        definitions.create_definition(s, "bounding-box", "min1", boxes)
    yield SimpleNamespace(store=store, workdir=workdir, asset_id=asset.id)
    store.dispose()


@pytest.fixture(scope="module")
def server(server_store, tls):
    """``jupyter workbench`` over https with its defaults: no framing origin or submit origin configured."""
    with public_server(server_store.store.url, server_store.workdir,
                       f"--WorkbenchApp.public_base_url=https://{WORKBENCH_HOST}", tls=tls) as (local, log):
        yield SimpleNamespace(base=f"https://{WORKBENCH_HOST}", port=int(local.rsplit(":", 1)[1]), log=log)


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
def browser(cookie_mode, server, mturk, tmp_path_factory):
    """Chromium, in a profile of its own, that reaches every test host name on this machine; third-party cookies
    blocked (the profile's default here, and the phase-out switch) or allowed (the profile's cookie setting)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is required for the browser tests"
    from playwright.sync_api import sync_playwright

    rules = ", ".join([f"MAP {WORKBENCH_HOST} 127.0.0.1:{server.port}",
                       *(f"MAP {host} 127.0.0.1:{mturk.port}" for host in (*MTURK_HOSTS, HOSTILE_HOST))])
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            f"--host-resolver-rules={rules}"]
    profile = tmp_path_factory.mktemp("chromium-profile")
    if cookie_mode == "third-party-cookies-blocked":
        args.append("--test-third-party-cookie-phaseout")
    else:
        # Chrome's setting "Allow third-party cookies" (cookie_controls_mode 0).
        (profile / "Default").mkdir()
        (profile / "Default" / "Preferences").write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    with sync_playwright() as p:
        # The certificate is this module's own, so the browser is told to accept it (pages stay https).
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=args, ignore_https_errors=True,
            viewport=DESKTOP)
        context.cookie_mode = cookie_mode
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.errors = errors
    page.cookie_mode = browser.cookie_mode
    yield page
    page.close()
    assert errors == [], errors


@pytest.fixture
def open_hit(page, server, mturk):
    """Open the annotate page inside MTurk's worker site's frame, with MTurk's query parameters."""

    def open_(task_id: int, assignment_id: str, worker_id: str = "WORKER1", hit_id: str = "HIT1",
              frame_origin: str | None = None, wait: bool = True):
        query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                           "turkSubmitTo": mturk.origin})
        src = f"{server.base}/workbench/annotate/{task_id}?{query}"
        page.goto(f"{frame_origin or mturk.frame_origin}/projects/hit?{urlencode({'src': src})}")
        frame = page.frame_locator("#hit")
        if wait:
            frame.locator("body[data-state=ready], body[data-state=preview], body[data-state=submitted], "
                          "body[data-state=error]").wait_for()
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
