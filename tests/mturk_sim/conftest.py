"""Fixtures: a started simulator, a real boto3 client on it, and a tiny worker page that follows the contract."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import boto3  # noqa: E402
import jsonschema  # noqa: E402
from botocore.config import Config  # noqa: E402
from tornado import web  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402
from tornado.ioloop import IOLoop  # noqa: E402
from tornado.netutil import bind_sockets  # noqa: E402

from workbench.devtools.mturk_sim import Simulator  # noqa: E402
from workbench.devtools.mturk_sim.seeding import external_question  # noqa: E402

LABEL_SCHEMA = {
    "type": "object",
    "required": ["label", "confidence", "tags"],
    "additionalProperties": False,
    "properties": {
        "label": {"type": "string", "enum": ["cat", "dog", "other"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "tags": {"type": "array", "minItems": 1, "maxItems": 3,
                 "items": {"type": "string", "minLength": 2, "maxLength": 8}},
        "count": {"type": "integer", "minimum": 1, "maximum": 5},
        "flagged": {"type": "boolean"},
        "version": {"const": "v1"},
    },
}


def make_client(url: str, **config):
    return boto3.client("mturk", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="y",
                        config=Config(**config) if config else None)


@pytest.fixture
def sim():
    s = Simulator(start_time=1_700_000_000).start()
    yield s
    s.stop()


@pytest.fixture
def client(sim):
    c = make_client(sim.url)
    yield c
    c.close()


class _ThreadedApp:
    """A tornado application served from its own thread and IOLoop."""

    def __init__(self, app: web.Application):
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(asyncio.new_event_loop())
            sockets = bind_sockets(0, "127.0.0.1")
            self.port = sockets[0].getsockname()[1]
            server = HTTPServer(app)
            server.add_sockets(sockets)
            self.loop = IOLoop.current()
            ready.set()
            self.loop.start()
            server.stop()
            self.loop.close(all_fds=True)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait()
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.loop.add_callback(self.loop.stop)
        self.thread.join(5)


def token_for(task_id, assignment_id, worker_id, hit_id) -> str:
    """The stand-in page's token: bound to its ids, as the worker page's is."""
    return hashlib.sha256(f"{task_id}|{assignment_id}|{worker_id}|{hit_id}".encode()).hexdigest()


class PageState:
    def __init__(self):
        self.visits: list[dict] = []
        self.submissions: dict[str, dict] = {}
        self.refused: list[dict] = []
        self.lock = threading.Lock()


class AnnotateHandler(web.RequestHandler):
    def get(self, task_id):
        state = self.settings["state"]
        with state.lock:
            state.visits.append({k: self.get_query_argument(k) for k in self.request.query_arguments})
        bundle = {"task": {"id": int(task_id), "asset": "img/1.png"},
                  "definition": {"version": "1.0", "label_schema": LABEL_SCHEMA,
                                 "ui_config": {"hint": "</script><b>tricky & escaped</b>"}},
                  "submit_url": "/workbench/api/submissions"}
        text = (json.dumps(bundle).replace("<", "\\u003c").replace(">", "\\u003e")
                .replace("&", "\\u0026"))
        ids = [task_id, *(self.get_query_argument(k, "") for k in ("assignmentId", "workerId", "hitId"))]
        self.finish(f"""<!doctype html><html><head>
<meta charset="utf-8"><meta name="wb-submit-token" content="{token_for(*ids)}">
</head><body><div id="app"></div>
<script type="application/json" id="wb-bundle">{text}</script></body></html>""")


class SubmissionsHandler(web.RequestHandler):
    def post(self):
        state = self.settings["state"]
        body = json.loads(self.request.body)
        ids = [str(body["task_id"]), body["assignment_id"], body["worker_id"], body.get("hit_id", "")]
        if self.request.headers.get("X-Workbench-Token") != token_for(*ids) or self.request.headers.get("Cookie"):
            self.set_status(403)  # the page's token, and no cookie: the page is framed by another site
            return self.finish({"error": "forbidden"})
        try:
            jsonschema.validate(body["result"], LABEL_SCHEMA)
        except jsonschema.ValidationError as exc:
            with state.lock:
                state.refused.append(body)
            self.set_status(400)
            return self.finish({"error": "result does not match the schema", "detail": exc.message})
        with state.lock:
            if body["assignment_id"] in state.submissions:
                return self.finish({"id": body["assignment_id"], "duplicate": True})
            state.submissions[body["assignment_id"]] = body
        self.set_status(201)
        self.finish({"id": body["assignment_id"]})


@pytest.fixture
def page():
    """The worker page contract, served on a real port; `.url`, `.state`, `.task_url(id)`."""
    state = PageState()
    app = web.Application([
        (r"/workbench/annotate/(\d+)", AnnotateHandler),
        (r"/workbench/api/submissions", SubmissionsHandler),
    ], state=state)
    served = _ThreadedApp(app)
    served.state = state
    served.task_url = lambda task_id, query="": f"{served.url}/workbench/annotate/{task_id}{query}"
    yield served
    served.stop()


def hit_args(url: str = "https://example.org/task", **over) -> dict:
    """CreateHIT arguments for an ExternalQuestion HIT."""
    args = dict(Title="Label an image", Description="Pick the right label.", Reward="0.50",
                AssignmentDurationInSeconds=600, LifetimeInSeconds=3600, MaxAssignments=2,
                AutoApprovalDelayInSeconds=86400, Keywords="image, label",
                Question=external_question(url))
    args.update(over)
    return args


@pytest.fixture
def wire(client):
    """(HTTP status, raw JSON body, operation) of every answer the client receives, newest last."""
    seen: list[tuple[int, dict, str]] = []
    client.meta.events.register("after-call.mturk", lambda http_response, model, **_: seen.append(
        (http_response.status_code, json.loads(http_response.content or b"{}"), model.name)))
    return seen
