"""Simulated panel participants (``devtools.link_panel``) on a real workbench server that takes a link-out panel.

They open a link's entry URL with their panel id, answer in the real pages, and end on the code page or are
redirected to the panel's own page (a local HTTP server stands in for the panel's site). The codes they take
back are checked against the sessions the store holds; a full link turns a newcomer away (410) until it is
given more places. The server, the store and the panel's page are stopped in the module fixture's finalizer.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from workbench.crowd.providers import WorkSpec, get_provider
from workbench.devtools import demo
from workbench.devtools.link_panel import panel_id, run_panel
from workbench.store import Store
from workbench.store.models import WorkerSession
from workbench.study import tasks

from tests.workbench_site import workbench_site

SPEC = dict(title="Shapes", description="Label the shapes in a picture.", reward_cents=20, max_assignments=1)


@dataclass
class PanelPage:
    """The panel's own completion page: answers 200 and keeps the query of every visit."""

    visits: list[dict[str, list[str]]] = field(default_factory=list)

    def start(self, stack: ExitStack) -> str:
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                page.visits.append(parse_qs(urlsplit(self.path).query))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        return f"http://127.0.0.1:{server.server_address[1]}/done"


@dataclass
class Site:
    store: Store
    provider: object
    panel: PanelPage
    panel_url: str

    def link(self, images: int, **options) -> str:
        """A new demo project of ``images`` pictures (two tasks each, one annotation each) and its link's URL."""
        made = demo.run(self.store, n_tasks=images, target_annotations=1, echo=lambda _line: None)
        with self.store.session() as s:
            task_ids = [t.id for t in tasks.list_(s, project=made["project"], limit=100)]
        link = self.provider.create_work(made["project"], task_ids, WorkSpec(**SPEC), **options).hit_ids[0]
        return link

    def codes(self, link: str) -> dict[str, str]:
        """{participant: completion code} of the link's finished sessions, as the store holds them."""
        with self.store.session() as s:
            return {v.worker_id: v.completion_code for v in s.scalars(select(WorkerSession).where(
                WorkerSession.hit_id == link, WorkerSession.completion_code.is_not(None)))}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with ExitStack() as stack:
        panel = PanelPage()
        panel_url = panel.start(stack)
        store, base_url = stack.enter_context(workbench_site(tmp_path_factory.mktemp("panel"),
                                                             {"WORKBENCH_PROVIDER": "link-out"}))
        yield Site(store, get_provider("link-out", "local", store=store, public_base_url=base_url), panel, panel_url)


@pytest.mark.slow
def test_panel_participants_do_the_tasks_and_read_their_own_code(site):
    link = site.link(images=1)  # two tasks, two places
    done = run_panel(site.provider.entry_url(link), 2, seed=1)
    assert done.counts == {"completed": 2, "no_task": 0, "abandoned": 0, "refused": 0, "failed": 0}, \
        [o.error for o in done.outcomes]
    assert {o.participant_id: o.completion_code for o in done.outcomes} == site.codes(link)
    assert done.tasks_done == 2 and all(o.redirected_to is None for o in done.outcomes)


@pytest.mark.slow
def test_panel_participants_follow_the_redirect_back_to_the_panel(site):
    link = site.link(images=1, completion_url=site.panel_url + "?code={code}&pid={participant}")
    done = run_panel(site.provider.entry_url(link), 2, seed=2)
    assert done.counts["completed"] == 2, [o.error for o in done.outcomes]
    assert all(o.redirected_to.startswith(site.panel_url + "?") for o in done.outcomes)
    # the panel's page saw each participant once, with the code of their own session
    assert {(v["pid"][0], v["code"][0]) for v in site.panel.visits} == set(site.codes(link).items())
    assert len(site.panel.visits) == 2


@pytest.mark.slow
def test_an_abandoned_visit_keeps_its_place_until_the_link_grows(site):
    link = site.link(images=1)  # two places
    entry = site.provider.entry_url(link)
    left = run_panel(entry, 1, seed=3, share_abandon=1.0)
    assert left.counts["abandoned"] == 1 and left.tasks_done == 0

    crowded = run_panel(entry, 2, seed=3, first=1)
    assert (crowded.counts["completed"], crowded.counts["refused"]) == (1, 1), [o.error for o in crowded.outcomes]
    refused = next(o for o in crowded.outcomes if o.outcome == "refused")
    assert "HTTP 410" in refused.error  # the link is full: a "closed" page for a newcomer

    site.provider.extend(link, assignments=1)
    late = run_panel(entry, 1, seed=3, first=3)
    assert late.counts["completed"] == 1 and late.outcomes[0].participant_id == panel_id(3, 3)
    assert set(site.codes(link)) == {o.participant_id for o in crowded.outcomes + late.outcomes
                                     if o.outcome == "completed"}
