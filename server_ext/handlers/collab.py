"""Collaboration sessions on the web: the join page and the session's WebSocket. Both are public.

``GET /workbench/collab/join?study=…&workerId=…&assignmentId=…&hitId=…`` seats the worker
(the link a crowd platform sends them to) and renders the session page with a token for
this seat; in an assisted-labelling session the page also carries the task's bundle and
loads its annotation plugin (through ``plugin_host.js``, as the annotate page does).
``/workbench/collab/ws/{session_id}`` is the session's socket: its first frame must be
``{"type": "hello", "token": …}``; a token that proves no seat in that session is refused
with close code 4403 and no detail. Frames over ``MAX_FRAME`` bytes, malformed JSON, JSON
nested deeper than ``base.MAX_DEPTH``, and frames that break the schema or hold what no
store keeps (``live.check_frame``) get an error frame on that socket only (carrying the
frame's ``client_id``, so the page can tell which submit was refused); the socket stays.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from workbench.collab import briefing, sessions, task_page
from workbench.collab.live import UNREADABLE, check_frame
from workbench.errors import ValidationError, WorkbenchError
from workbench.store.types import utcnow

from .. import csp
from ..ratelimit import TokenBuckets
from .base import ID, parse_json
from .worker import script_json

HERE = Path(__file__).parent.parent
SETTINGS_KEY = "workbench_collab"
MAX_FRAME = 8 * 1024  # bytes; a chat line or an action is far smaller
HARD_MAX_FRAME = 64 * 1024  # beyond this tornado drops only the offending socket (1009)
HELLO_TIMEOUT = 10.0
RATE, BURST = 10.0, 30  # frames per second per socket, and the burst allowed before the rate applies
CLOSE_FORBIDDEN = 4403


class CollabPageHandler(JupyterHandler):
    """The join link: seat the worker, render the session page."""

    @property
    def service(self):
        return self.settings[SETTINGS_KEY]

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", csp.collab_policy())
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if not hasattr(self, "_jupyter_current_user"):
            # An error before ``prepare`` knows no user yet, and Jupyter's error page would raise asking for one
            # (as ``PageHandler.write_error``).
            self.current_user = self._jupyter_current_user = None
        super().write_error(status_code, **kwargs)

    @allow_unauthenticated
    async def get(self) -> None:
        args = {name: self.get_query_argument(name, "") for name in ("study", "workerId", "assignmentId", "hitId")}
        try:
            if not args["study"]:
                raise ValidationError("study", "is required")
            seat = await self.service.run_write(self._join, args)
        except WorkbenchError as exc:
            # The worker reads plain words; the researcher's reason (the field, the rule) goes to the log.
            self.log.info("collaboration join refused: %s", exc)
            self.set_status(exc.status)
            self.finish(self.service.render("collab_error.html", static=self.service.static_url,
                                            **briefing.join_refusal(exc)))
            return
        await self.service.hub.notify(seat["session_id"])
        bundle = seat.pop("bundle")
        code_origins, media_origins = csp.bundle_origins(bundle)
        self.set_header("Content-Security-Policy", csp.collab_policy(code_origins=code_origins,
                                                                     media_origins=media_origins))
        self.finish(self.service.render("collab.html", static=self.service.static_url, bundle=bundle,
                                        bundle_json=script_json(bundle) if bundle else "", **seat))

    def _join(self, s, args: dict[str, str]) -> dict[str, Any]:
        seat = sessions.join(s, args["study"], worker_id=args["workerId"], assignment_id=args["assignmentId"],
                             hit_id=args["hitId"], now=utcnow())
        # In the join's transaction: a task the page cannot show leaves the worker unseated.
        bundle = task_page.bundle(s, seat.session, self.service.plugin_urls)
        return {"session_id": seat.session.id, "token": seat.token, "role": seat.participant.role,
                "ws_path": self.base_url + f"workbench/collab/ws/{seat.session.id}", "bundle": bundle,
                "briefing": briefing.for_seat(seat.session, seat.participant.role)}


class CollabSocketHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """A seat's live connection to its session."""

    @property
    def service(self):
        return self.settings[SETTINGS_KEY]

    @property
    def max_message_size(self) -> int:
        return HARD_MAX_FRAME

    def set_default_headers(self) -> None:
        """No page headers on a socket."""

    @allow_unauthenticated
    async def get(self, session_id: str) -> None:
        await super().get(session_id)

    def open(self, session_id: str) -> None:  # type: ignore[override]
        super().open()
        self.session_id = int(session_id)
        self.member_id: int | None = None
        self._frames = TokenBuckets(RATE, BURST, max_keys=1)  # this socket's own bucket
        self.service.hub.start()
        self._hello_timer = asyncio.get_running_loop().call_later(HELLO_TIMEOUT, self._no_hello)

    def _no_hello(self) -> None:
        if self.member_id is None:
            self.close(CLOSE_FORBIDDEN, "forbidden")

    async def on_message(self, raw: str | bytes) -> None:
        hub = self.service.hub
        if len(raw) > MAX_FRAME:
            hub.reject(self, ValidationError("frame", f"is larger than {MAX_FRAME} bytes",
                                             message="That was too long to send; make it shorter."))
            return
        if self._frames.take("frames"):
            hub.reject(self, ValidationError("frame", "too many frames; slow down",
                                             message="Too much at once: wait a moment, then try again."))
            return
        try:
            frame = parse_json(raw, "frame")
        except ValidationError as exc:
            hub.reject(self, ValidationError(exc.field, exc.reason, message=UNREADABLE))
            return
        if self.member_id is None:
            await self._hello(frame)
            return
        hub.receive(self.session_id, self.member_id, frame)

    async def _hello(self, frame: Any) -> None:
        try:
            frame = check_frame(frame)
        except ValidationError:
            frame = None
        if frame is None or frame["type"] != "hello":
            self.close(CLOSE_FORBIDDEN, "forbidden")
            return
        try:
            member = await self.service.hub.attach(self.session_id, frame.get("token"), self)
        except sessions.ForbiddenError:
            self.close(CLOSE_FORBIDDEN, "forbidden")
            return
        self._hello_timer.cancel()
        self.member_id = member.id

    def on_close(self) -> None:
        self._hello_timer.cancel()
        if self.member_id is not None:
            asyncio.ensure_future(self.service.hub.detach(self.session_id, self.member_id, self))

    def send(self, frame: dict[str, Any]) -> None:
        try:
            self.write_message(json.dumps(frame, default=str))
        except WebSocketClosedError:
            pass


class CollabStaticHandler(JupyterHandler, web.StaticFileHandler):
    """The session page's scripts and style sheet (no inline code: the CSP forbids it)."""

    @allow_unauthenticated
    def get(self, path: str, include_body: bool = True):
        return web.StaticFileHandler.get(self, path, include_body)

    @allow_unauthenticated
    def head(self, path: str):
        return web.StaticFileHandler.head(self, path)

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("X-Content-Type-Options", "nosniff")


default_handlers = [
    (r"/workbench/collab/join", CollabPageHandler),
    (rf"/workbench/collab/ws/(?P<session_id>{ID})", CollabSocketHandler),
    (r"/workbench/collab/static/(?P<path>collab\.css|collab\.js|plugin_host\.js)", CollabStaticHandler,
     {"path": str(HERE / "static")}),
]
