"""Prolific's two public routes: the study's entry page, and the webhook Prolific posts its events to.

``GET /workbench/prolific/entry?PROLIFIC_PID=&STUDY_ID=&SESSION_ID=&project=`` is the study URL the
provider writes (``studies.entry_url``): the link-out visit of ``worker.LoginHandler`` with Prolific's
names (the submission is the assignment, the participant the worker, the study the HIT). When the
session is done it redirects to Prolific's completion URL with the study's code for the outcome, which
``workbench.crowd.completion`` chooses. ``PROLIFIC_COMPLETION_URL`` moves that URL (the simulator's
``<url>/submissions/complete``).

``POST /workbench/prolific/hooks`` is public but signed: ``X-Prolific-Request-Signature`` is
base64(HMAC-SHA256(secret, timestamp + body)) with the secret of ``PROLIFIC_WEBHOOK_SECRET``, and
``X-Prolific-Request-Timestamp`` must be within ``PROLIFIC_WEBHOOK_TOLERANCE`` seconds (300) of now.
No secret configured refuses every hook (503). The event's status is not trusted: the provider's
``apply_event`` reads the current state from Prolific, so a late or reordered event is harmless. Each
``X-Event-ID`` is applied once (``workbench.crowd.hooks.deliver``): one seen before answers 200 and does
nothing, one another request is applying now a 503, and one not applied because Prolific is unreachable
a 503 too, so that Prolific delivers it again.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated

from workbench import WorkbenchError
from workbench.crowd import completion, hooks, providers
from workbench.errors import NotFoundError, ValidationError

from .base import ApiHandler, parse_json
from .worker import LoginHandler

PROVIDER = "prolific"
SIGNATURE = "X-Prolific-Request-Signature"
TIMESTAMP = "X-Prolific-Request-Timestamp"
EVENT_ID = "X-Event-ID"
DEFAULT_TOLERANCE = 300
MAX_TOLERANCE = 3600
_lock = threading.Lock()


class HooksUnavailable(WorkbenchError):
    status = 503
    code = "unavailable"


def check_text(field: str, value: Any, *, required: bool = True) -> str:
    """An id Prolific sends: a string of at most 128 printable characters (present unless not ``required``)."""
    if not isinstance(value, str) or (required and not value):
        raise ValidationError(field, "is required" if required else "must be a string")
    if len(value) > 128 or not value.isprintable():
        raise ValidationError(field, "must be at most 128 printable characters")
    return value


class ProlificEntryHandler(LoginHandler):
    """``/workbench/prolific/entry``: a Prolific participant's visit, ending at Prolific's completion URL."""

    ID_ARGS = ("SESSION_ID", "PROLIFIC_PID", "STUDY_ID")
    PATH = "workbench/prolific/entry"
    #: On a Prolific server the plain /workbench/login is closed: it would start sessions for a study it never
    #: checks (any ids), where this route takes only a study the store made.
    OWNS = PROVIDER
    BACK_TO = "Prolific"

    def visit_provider(self) -> str:
        return PROVIDER

    def check_visit(self, assignment_id: str, worker_id: str, hit_id: str) -> None:
        for field, value in (("PROLIFIC_PID", worker_id), ("STUDY_ID", hit_id), ("SESSION_ID", assignment_id)):
            check_text(field, value)
        if self.wb.provider != PROVIDER:  # the submission route signs and checks the pages of one provider
            raise NotFoundError("study", hit_id, hint="this server takes the workers of "
                                f"{self.wb.provider}; start it with WorkbenchApp.provider=prolific")

    def visit_state(self, session, hit_id: str) -> dict[str, Any]:
        return completion.study_codes(session, PROVIDER, hit_id)

    def finish_visit(self, state: dict[str, Any], worker_id: str) -> None:
        """Done: Prolific's completion URL with the study's code for the outcome (``crowd.completion``)."""
        self.redirect(completion.finish_url(state, no_task=state["no_task"]))


class ProlificHooksHandler(ApiHandler):
    """``POST /workbench/prolific/hooks``: public but signed (see the module's docstring)."""

    def check_xsrf_cookie(self) -> None:
        """Prolific sends no cookie: the signature stands in for the XSRF check; ``post`` verifies it."""

    def verify(self, body: bytes) -> None:
        secret = os.environ.get("PROLIFIC_WEBHOOK_SECRET", "")
        if not secret:
            raise HooksUnavailable("PROLIFIC_WEBHOOK_SECRET is not set: no hook is accepted unsigned",
                                   field="PROLIFIC_WEBHOOK_SECRET", reason="not configured")
        try:
            tolerance = float(os.environ.get("PROLIFIC_WEBHOOK_TOLERANCE") or DEFAULT_TOLERANCE)
        except ValueError:
            tolerance = float("nan")
        if not 0 < tolerance <= MAX_TOLERANCE:  # NaN too: an unbounded window would accept a replay forever
            raise HooksUnavailable(f"PROLIFIC_WEBHOOK_TOLERANCE must be a number of seconds from 1 to {MAX_TOLERANCE}",
                                   field="PROLIFIC_WEBHOOK_TOLERANCE", reason="out of range")
        headers = self.request.headers
        hooks.verify(secret, body, headers.get(TIMESTAMP, ""), headers.get(SIGNATURE, ""), tolerance=tolerance,
                     timestamp_header=TIMESTAMP, signature_header=SIGNATURE)

    def provider(self):
        """The Prolific provider of this server's store (PROLIFIC_ENVIRONMENT, PROLIFIC_ENDPOINT_URL), made once."""
        env = os.environ.get("PROLIFIC_ENVIRONMENT") or "local"
        cache = self.wb.__dict__.setdefault("_prolific_providers", {})
        with _lock:
            if env not in cache:
                # It only reads from Prolific: production needs no confirmation to spend nothing.
                cache[env] = providers.get_provider(PROVIDER, env, store=self.wb.store, confirm_production=True)
            return cache[env]

    @allow_unauthenticated
    async def post(self) -> None:
        body = self.request.body or b""
        if len(body) > self.wb.max_body_bytes:
            raise ValidationError("body", f"is larger than {self.wb.max_body_bytes} bytes")
        self.verify(body)
        data = parse_json(body)
        if not isinstance(data, dict):
            raise ValidationError("body", "must be a JSON object with resource_id and event_type")
        resource_id = check_text("body.resource_id", data.get("resource_id"))
        event_type = check_text("body.event_type", data.get("event_type"))
        event_id = check_text(EVENT_ID, self.request.headers.get(EVENT_ID, ""), required=False)
        try:
            provider = await self.wb.run(self.provider)
        except WorkbenchError as exc:  # this server's Prolific settings: Prolific retries while they are mended
            raise HooksUnavailable(f"the Prolific provider cannot be made here: {exc.message}",
                                   field=getattr(exc, "field", None) or "prolific", reason="not configured") from None
        try:
            outcome = await self.wb.run(hooks.deliver, self.wb.store, PROVIDER, event_id, event_type, resource_id,
                                        partial(provider.apply_event, resource_id, event_type))
        except hooks.Retry as exc:
            exc.headers = {"Retry-After": "60"}
            raise
        if outcome["status"] == "refused":
            self.log.info("prolific hook %s %s %s refused: %s", event_id, event_type, resource_id, outcome["message"])
        self.send({"event_id": event_id or None, **outcome})


default_handlers = [
    (r"/workbench/prolific/entry", ProlificEntryHandler),
    (r"/workbench/prolific/hooks", ProlificHooksHandler),
]
