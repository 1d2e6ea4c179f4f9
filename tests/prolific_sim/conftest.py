"""Fixtures of the Prolific simulator's contract tests: a simulator, API clients, a hook listener.

Every fixture that starts something stops it in its finalizer, also when the test fails."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from workbench.devtools.prolific_sim import Faults, Simulator

from .spec_check import check, request_errors, template_of

TOKEN = "Token sim-test-token"


class SpecClient:
    """httpx against the simulator, every answer checked against the spec (path resolved)."""

    def __init__(self, sim: Simulator):
        self.http = httpx.Client(base_url=sim.url, headers={"Authorization": TOKEN}, timeout=10)

    def call(self, method: str, path: str, expect: int | None = None, **kwargs):
        template = template_of("/api/v1/" + path)
        if expect is not None and expect < 300:  # a call meant to succeed sends a spec-valid body
            problems = request_errors(kwargs.get("json"), method, template)
            assert not problems, f"the test's {method} {template} body breaks the spec: {problems}"
        response = self.http.request(method, "/api/v1/" + path, **kwargs)
        body = check(response, method, template, expect)
        return response, body

    def get(self, path, expect=200, **kw):
        return self.call("GET", path, expect, **kw)[1]

    def post(self, path, expect=None, **kw):
        return self.call("POST", path, expect, **kw)[1]

    def patch(self, path, expect=None, **kw):
        return self.call("PATCH", path, expect, **kw)[1]

    def delete(self, path, expect=None, **kw):
        return self.call("DELETE", path, expect, **kw)[1]

    def close(self):
        self.http.close()


@pytest.fixture
def make_sim():
    """Start simulators with any options; all are stopped at teardown."""
    started: list[Simulator] = []

    def factory(**options) -> Simulator:
        if isinstance(options.get("faults"), dict):
            options["faults"] = Faults(**options["faults"])
        sim = Simulator(seed=options.pop("seed", 7), **options).start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def prolific(make_sim):
    return make_sim()


@pytest.fixture
def api(prolific):
    client = SpecClient(prolific)
    yield client
    client.close()


class Listener:
    """A local hook target: records every POST; answers `status` (a list is used in turn)."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        self.arrived = threading.Condition()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                status = listener.statuses.pop(0) if listener.statuses else 200
                with listener.arrived:
                    listener.received.append({"headers": dict(self.headers), "raw": raw,
                                              "body": json.loads(raw), "answered": status})
                    listener.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= n, timeout)
        return list(self.received)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    target = Listener()
    yield target
    target.stop()
