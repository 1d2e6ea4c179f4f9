"""Fixtures for the plugin tests: a static server with the worker page's CSP, and Chromium.

The server serves the repository root and sends the same strict Content-Security-Policy as
the worker page, so a plugin that needs inline script or style fails here first. Every page
collects console errors and uncaught exceptions; a test fails if any appear.
"""

from __future__ import annotations

import functools
import types
import json
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import jsonschema
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGINS_DIR = REPO_ROOT / "plugins"
CHROMIUM = "/usr/bin/chromium"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'"
)

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.server.browser import seen  # noqa: E402 - after the repository is on the path


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright")


class _CSPHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".json": "application/json",
        ".css": "text/css",
    }

    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="session")
def static_server():
    handler = functools.partial(_CSPHandler, directory=str(REPO_ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# Module scope: a live sync Playwright keeps its event loop registered on this thread,
# which would break the pytest-jupyter tests that run after the plugin modules.
@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is required for the browser tests (make test installs it)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.errors = errors
    yield page
    context.close()
    assert errors == [], "the page logged errors (a CSP violation shows up here too)"


@pytest.fixture
def playground(page, static_server):
    """Open the playground on one plugin and wait until the plugin is mounted."""

    def open_(plugin: str, ready: bool = True, **params) -> object:
        query = {"plugin": plugin}
        for key, value in params.items():
            if value is None:
                continue
            query[key] = value if isinstance(value, str) else json.dumps(value)
        page.goto(f"{static_server}/plugins/_playground/index.html?{urlencode(query)}")
        page.wait_for_function("() => window.__ready === true || document.body.dataset.state === 'error'")
        error = page.locator("#pg-error").text_content()
        assert not error, error
        if ready:  # image plugins become interactive once their image has loaded
            page.locator("#plugin-root .wb-plugin[data-ready=true]").wait_for()
        return page

    return open_


def manifest(name: str) -> dict:
    return json.loads((PLUGINS_DIR / name / "manifest.json").read_text(encoding="utf-8"))


def assert_valid_result(plugin: str, result: dict) -> None:
    """The result must satisfy the plugin's default label_schema, as the server will check."""
    schema = manifest(plugin)["default_definition"]["label_schema"]
    jsonschema.Draft202012Validator(schema).validate(result)


def _last_result(page):
    return page.evaluate("window.__lastResult")


def image_point(page, selector: str, x: float, y: float, natural=(640, 480)):
    """Page coordinates of natural-image pixel (x, y) of the image shown at selector."""
    box = page.locator(selector).bounding_box()
    return box["x"] + x * box["width"] / natural[0], box["y"] + y * box["height"] / natural[1]


@pytest.fixture
def wb():
    """Helpers for the tests, as a fixture so test modules import nothing from here."""
    return types.SimpleNamespace(
        manifest=manifest,
        assert_valid=assert_valid_result,
        last_result=_last_result,
        image_point=image_point,
        in_view=seen.in_view,
        keep=seen.keep,
    )
