"""The dashboard in Voila and the panels in a real JupyterLab, each opened in Debian's Chromium."""

from __future__ import annotations

import re
import secrets
import sys
from contextlib import contextmanager

import pytest

from workbench.devtools.child_servers import free_port, serving

from ..collab.conftest import artifact_folder
from ..notebooks.conftest import ROOT, notebook_env  # noqa: F401  (the fixture)

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def in_thread(drive) -> None:
    """Run ``drive`` on a thread of its own: Playwright's sync API refuses a thread whose asyncio loop
    runs, and an earlier test in the same session (pytest-jupyter's) may have left one running here."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(drive).result()


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def test_voila_dashboard_renders_its_plots(notebook_env, tmp_path):
    port = free_port()
    args = [sys.executable, "-m", "voila", "notebooks/dashboard.ipynb", "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    url = f"http://127.0.0.1:{port}/"
    folder = artifact_folder("ui", "voila-dashboard", tmp_path)
    with serving(args, url, notebook_env, tmp_path / "voila.log", timeout=180, cwd=ROOT):
        in_thread(lambda: _check_dashboard(url, folder))


def _check_dashboard(url: str, folder) -> None:
    with chromium() as page:
        page.goto(url, timeout=180_000)
        # Voila streams cells as they run: the agreement table comes last.
        page.get_by_text("krippendorff_alpha_nominal").first.wait_for(timeout=180_000)
        plots = page.locator("img[src^='data:image/png']")
        plots.first.wait_for(state="visible", timeout=180_000)
        page.wait_for_function("document.querySelectorAll(\"img[src^='data:image/png']\").length >= 4",
                               timeout=180_000)
        visible = [plots.nth(i).is_visible() for i in range(plots.count())]
        assert len(visible) >= 4 and all(visible)
        boxes = [plots.nth(i).bounding_box() for i in range(plots.count())]
        assert all(b and b["width"] > 200 and b["height"] > 100 for b in boxes)
        page.screenshot(path=str(folder / "dashboard-1400.png"), full_page=True)
        text = page.inner_text("body")
        assert "Traceback" not in text, text
        assert re.search(r"demo: \d of 5 tasks complete", text) and "krippendorff_alpha_nominal" in text, text


def test_panels_render_in_jupyterlab(notebook_env, tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
            "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    env = {**notebook_env, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    with serving(args, f"http://127.0.0.1:{port}/api/status?token={token}", env, tmp_path / "lab.log",
                 timeout=180, cwd=ROOT):
        in_thread(lambda: _check_panels(f"http://127.0.0.1:{port}/lab/tree/notebooks/panels.ipynb?token={token}"))


def _check_panels(url: str) -> None:
    with chromium() as page:
        page.goto(url, timeout=180_000)
        page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=180_000)
        panels = page.locator(".wb-panel")
        # "Run All Cells" does nothing until the kernel is connected: ask again until the panels come.
        for _attempt in range(6):
            page.keyboard.press("Escape")  # close a menu a previous attempt may have left open
            # On a loaded machine the notebook can open before the kernel specs did, and JupyterLab asks which
            # kernel to start (a modal dialog over the menus): take its default, the notebook's own kernel.
            dialog = page.locator(".jp-Dialog .jp-mod-accept")
            if dialog.count() and dialog.first.is_visible():
                dialog.first.click()
            try:
                page.get_by_role("menuitem", name="Run", exact=True).click(timeout=30_000)
                page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=30_000)
                page.wait_for_function("document.querySelectorAll('.wb-panel').length >= 4", timeout=30_000)
                break
            except Exception:  # noqa: BLE001 - playwright's TimeoutError (a dialog in the way, no kernel yet): again
                continue
        assert panels.count() == 4
        assert "Review queue" in panels.nth(2).inner_text()
        status = page.locator(".wb-status").first
        # The overview's status is filled by the kernel after its widget is drawn: wait for it, do not race it.
        page.wait_for_function("(document.querySelector('.wb-status') || {}).innerText?.includes('demo:')",
                               timeout=60_000)
        assert "demo:" in status.inner_text() and "tasks complete" in status.inner_text()
        # The HIT manager's cost preview ran in the kernel and came back through the widget protocol.
        assert "assignments would cost" in panels.nth(1).inner_text()
