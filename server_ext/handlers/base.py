"""What every workbench handler shares: the app and store, JSON in and out, and one error mapping.

``WorkbenchError`` becomes its status with ``to_dict()`` as the body; malformed JSON is a
400 naming the field ``body``; anything else is a 500 without a traceback. Researcher
handlers derive from ``ApiHandler`` and mark every method ``@web.authenticated`` then
``@authorized``; the few public worker handlers mark theirs ``@allow_unauthenticated``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerJinjaMixin, ExtensionHandlerMixin
from tornado import web

from workbench import WorkbenchError
from workbench.errors import ValidationError
from workbench.store.types import json_default

AUTH_RESOURCE = "workbench"
API = "/workbench/api"
MAX_PAGE = 500


class WorkbenchMixin(ExtensionHandlerMixin):
    auth_resource = AUTH_RESOURCE

    @property
    def wb(self):
        """The WorkbenchApp."""
        return self.extensionapp

    async def read_store(self, fn, *args, **kwargs):
        """``fn(session, ...)`` in a read session on the store's threads."""
        return await self.wb.read(fn, *args, **kwargs)

    async def write_store(self, fn, *args, **kwargs):
        """``fn(session, ...)`` in a transaction on the store's threads."""
        return await self.wb.write(fn, *args, **kwargs)

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, WorkbenchError):
            self.log.info("%s %s: %s %s", self.request.method, self.request.path, value.status, value.message)
        else:
            super().log_exception(typ, value, tb)

    def error_body(self, status_code: int, exc: BaseException | None) -> tuple[int, dict[str, Any]]:
        if isinstance(exc, WorkbenchError):
            return exc.status, exc.to_dict()
        if isinstance(exc, web.HTTPError):
            message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
            return status_code, {"error": "http_error", "message": message or self._reason}
        if status_code >= 500:
            return status_code, {"error": "internal_error", "message": "internal error; it has been logged"}
        return status_code, {"error": "http_error", "message": self._reason}


class ApiHandler(WorkbenchMixin, APIHandler):
    """JSON in, JSON out."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, body = self.error_body(status_code, exc)
        self.set_status(status)
        # send_error cleared the headers; an error may carry its own (Retry-After).
        for name, value in getattr(exc, "headers", {}).items():
            self.set_header(name, value)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def json_body(self) -> Any:
        if not self.request.body:
            raise ValidationError("body", "is empty; send a JSON object")
        try:
            return json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError("body", f"is not valid JSON: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        body = self.json_body()
        if not isinstance(body, dict):
            raise ValidationError("body", "must be a JSON object")
        return body

    def send(self, data: Any, status: int = 200) -> None:
        self.send_json_text(json.dumps(data, default=json_default), status)

    def send_json_text(self, text: str, status: int = 200) -> None:
        """Send a body that is JSON already."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(text)

    # -- query parameters -----------------------------------------------------------
    def int_arg(self, name: str, default: int | None = None, *, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(name, "must be an integer") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ValidationError(name, f"must be between {minimum} and {maximum}")
        return value

    def time_arg(self, name: str) -> datetime | None:
        raw = self.get_query_argument(name, None)
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(name, "must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z") from None
        if value.tzinfo is None:
            raise ValidationError(name, "must carry a time zone (Z or +hh:mm)")
        return value

    def page(self) -> tuple[int, int]:
        return (self.int_arg("limit", 100, minimum=1, maximum=MAX_PAGE), self.int_arg("offset", 0, minimum=0,
                                                                                       maximum=10**9))

    async def send_page(self, lister, *args, **kwargs) -> None:
        """Call ``lister(session, *args, limit=, offset=, **kwargs)`` and send one page of its rows."""
        limit, offset = self.page()

        def rows(session):
            return [row.to_dict() for row in lister(session, *args, limit=limit + 1, offset=offset, **kwargs)]

        items = await self.read_store(rows)
        more = len(items) > limit
        self.send({"items": items[:limit], "limit": limit, "offset": offset,
                   "next_offset": offset + limit if more else None})


class PageHandler(WorkbenchMixin, ExtensionHandlerJinjaMixin, JupyterHandler):
    """An HTML page; errors are an error page without a traceback."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The error page a crowd worker can act on: what happened and what to do next, in plain words
        (``error.html`` chooses them by status). The developer's message and field stay out of sight: the
        field is kept in a data attribute for support, the message in the server's log."""
        from workbench.worker_sessions import PREVIEW_ASSIGNMENT

        from .files import static_url  # files imports this module

        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, body = self.error_body(status_code, exc)
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        # A preview's placeholder assignment where a real one is needed: the worker has only to accept the HIT.
        # The raw bytes: a query that does not decode may be what brought us here, and must not fail this page too.
        preview = status == 400 and PREVIEW_ASSIGNMENT.encode() in self.request.arguments.get("assignmentId", [])
        self.finish(self.render_template("error.html", status=status, field=body.get("field"), preview=preview,
                                         worker_css=static_url(self, "worker.css")))


def route(path: str) -> str:
    """A URL pattern under the API prefix."""
    return API + path
