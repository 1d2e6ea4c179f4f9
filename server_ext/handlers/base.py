"""What every workbench handler shares: the app and store, JSON in and out, and one error mapping.

``WorkbenchError`` becomes its status with ``to_dict()`` as the body; malformed JSON, JSON
nested deeper than ``MAX_DEPTH`` and (for researcher bodies) values no backend stores
alike are a 400 naming the field; anything else is a 500 without a traceback. Researcher
handlers derive from ``ApiHandler`` and mark every method ``@web.authenticated`` then
``@authorized``; the few public worker handlers mark theirs ``@allow_unauthenticated``.
Ids in URLs match ``ID``, which no store column overflows; unknown paths under the
workbench end at ``default_handlers`` here (JSON under the API, a plain page elsewhere).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerJinjaMixin, ExtensionHandlerMixin
from tornado import httputil, web

from workbench import WorkbenchError
from workbench.study import projects
from workbench.study.json_safety import MAX_DEPTH, check_storable
from workbench.errors import NotFoundError, ValidationError, WorkbenchError as _Error
from workbench.store.types import json_default

from .. import api_models

AUTH_RESOURCE = "workbench"
STATIC = Path(__file__).resolve().parents[1] / "static"
API = "/workbench/api"
MAX_PAGE = 500
#: Largest id or integer a query may name: the store's INTEGER columns are 32-bit on PostgreSQL.
MAX_INT = projects.MAX_ID
#: An id in a URL: at most nine digits, so always below MAX_INT; a longer one matches no route (404).
ID = "[0-9]{1,9}"
_INTEGER = re.compile(r"-?[0-9]{1,10}")
Model = TypeVar("Model", bound=pydantic.BaseModel)


class Forbidden(_Error):
    status = 403
    code = "forbidden"


def parse_json(raw: bytes | str, field: str = "body", *, plain: bool = False) -> Any:
    """JSON text as Python, or a ValidationError naming ``field``: malformed, or nested over ``MAX_DEPTH``.

    ``plain`` also refuses what the backends do not store alike (the researcher API's bodies):
    NaN and infinities, NUL characters and unpaired surrogates, each named by its path
    (``json_safety.check_storable``).
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValidationError(field, f"nests deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(field, f"is not valid JSON: {exc}") from None
    check_storable(value, field, plain=plain, by_keys=True)
    return value


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

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """An argument (a path's parameter or a query's) as text; one that is not UTF-8 or holds a NUL is a 400
        naming it (tornado's own names it only in its message). Jupyter's identity provider decodes ``token``
        through this too, before any user is known."""
        try:
            text = super().decode_argument(value, name)
        except web.HTTPError:
            raise ValidationError(name or "path", "is not valid UTF-8") from None
        # PostgreSQL refuses a NUL in any query, and no name or argument of ours holds one. (A file's path with
        # one names no file: SafeStaticMixin answers 404.)
        if "\x00" in text and not isinstance(self, web.StaticFileHandler):
            raise ValidationError(name or "path", "must not contain a NUL character")
        return text

    def check_xsrf_cookie(self) -> None:
        """Jupyter's check, answered in plain words: an anonymous caller is told it is not logged in, not
        that an ``_xsrf`` argument is missing from a POST it may not have sent."""
        try:
            super().check_xsrf_cookie()
        except web.HTTPError as exc:
            if exc.status_code != 403:
                raise
            if self.current_user is None:
                raise Forbidden("log in, or send a token (Authorization: token ...)", field="Authorization",
                                reason="not authenticated") from None
            raise Forbidden("a browser session's request must carry its _xsrf cookie's value in X-XSRFToken",
                            field="X-XSRFToken", reason="missing or wrong") from None

    def error_body(self, status_code: int, exc: BaseException | None) -> tuple[int, dict[str, Any]]:
        if isinstance(exc, WorkbenchError):
            return exc.status, exc.to_dict()
        if status_code == 405:
            self.set_header("Allow", ", ".join(allowed_methods(type(self))))
        if isinstance(exc, web.HTTPError):
            message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
            return status_code, {"error": ERROR_CODES.get(status_code, "http_error"),
                                 "message": message or self._reason}
        if status_code >= 500:
            return status_code, {"error": "internal_error", "message": "internal error; it has been logged"}
        return status_code, {"error": ERROR_CODES.get(status_code, "http_error"), "message": self._reason}

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as JSON (``PageHandler`` writes a page instead)."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, body = self.error_body(status_code, exc)
        self.set_status(status)
        # send_error cleared the headers; an error may carry its own (Retry-After).
        for name, value in getattr(exc, "headers", {}).items():
            self.set_header(name, value)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


#: The ``error`` word of answers tornado or Jupyter raised, as ``WorkbenchError`` subclasses name theirs.
ERROR_CODES = {400: "validation_error", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def allowed_methods(handler_class: type) -> list[str]:
    """The methods a handler class implements, for the ``Allow`` header of a 405."""
    return [m for m in handler_class.SUPPORTED_METHODS
            if getattr(handler_class, m.lower(), None) is not getattr(web.RequestHandler, m.lower(), None)]


class ApiHandler(WorkbenchMixin, APIHandler):
    """JSON in, JSON out."""

    def json_body(self, *, plain: bool = False) -> Any:
        """The request's JSON body (the one reader of every JSON route); see ``parse_json``."""
        if not self.request.body:
            raise ValidationError("body", "is empty; send a JSON object")
        return parse_json(self.request.body, plain=plain)

    def json_object(self) -> dict[str, Any]:
        """A researcher's JSON object: its values are stored as they are, so they must be plain."""
        body = self.json_body(plain=True)
        if not isinstance(body, dict):
            raise ValidationError("body", "must be a JSON object")
        return body

    def body_as(self, model: type[Model], *, optional: bool = False, prefix: str = "") -> Model:
        """The JSON object sent, read as ``model`` (one of ``api_models``): a 400 names the first field that
        breaks it (under ``prefix``), and why. ``optional``: no body at all reads as ``{}``."""
        raw = {} if optional and not self.request.body else self.json_object()
        try:
            return model.model_validate(raw)
        except pydantic.ValidationError as exc:
            raise api_models.refusal(exc, model, prefix) from None

    def send(self, data: Any, status: int = 200) -> None:
        self.send_json_text(json.dumps(data, default=json_default), status)

    def send_json_text(self, text: str, status: int = 200) -> None:
        """Send a body that is JSON already."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(text)

    # -- query parameters -----------------------------------------------------------
    def int_arg(self, name: str, default: int | None = None, *, minimum: int = -MAX_INT,
                maximum: int = MAX_INT) -> int | None:
        """An integer query argument within [minimum, maximum] (by default what the store's columns hold)."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        if not _INTEGER.fullmatch(raw):
            raise ValidationError(name, "must be an integer")
        value = int(raw)
        if not minimum <= value <= maximum:
            raise ValidationError(name, f"must be between {minimum} and {maximum}")
        return value

    def time_arg(self, name: str) -> datetime | None:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(name, "must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z") from None
        if value.tzinfo is None:
            raise ValidationError(name, "must carry a time zone (Z or +hh:mm)")
        return value

    def page(self) -> tuple[int, int]:
        return (self.int_arg("limit", 100, minimum=1, maximum=MAX_PAGE), self.int_arg("offset", 0, minimum=0))

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
        from workbench.crowd.worker_sessions import PREVIEW_ASSIGNMENT  # only an error page needs it

        if not hasattr(self, "_jupyter_current_user"):
            # An error before ``prepare`` (a path or body tornado could not decode) knows no user yet, and
            # Jupyter's template namespace would raise asking for one.
            self.current_user = self._jupyter_current_user = None
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, body = self.error_body(status_code, exc)
        self.set_status(status)
        for name, value in getattr(exc, "headers", {}).items():  # an error may carry its own (Retry-After)
            self.set_header(name, value)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        # A preview's placeholder assignment where a real one is needed: the worker has only to accept the HIT.
        # The raw bytes: a query that does not decode may be what brought us here, and must not fail this page too.
        preview = status == 400 and PREVIEW_ASSIGNMENT.encode() in self.request.arguments.get("assignmentId", [])
        self.finish(self.render_template("error.html", status=status, field=body.get("field"), preview=preview,
                                         worker_css=static_url(self, "worker.css")))


class SafeStaticMixin:
    """For ``StaticFileHandler``s: a path the file system cannot name (a NUL byte) is no file, not a 500."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if "\x00" in absolute_path:
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)  # type: ignore[misc]


class ApiNotFoundHandler(ApiHandler):
    """Any other path under the API (or the signed asset links, which answer JSON too): a JSON 404 for every
    method, to anyone (no route is secret: the spec lists them all). It answers in ``prepare``, before
    authentication, so it has no method to decorate."""

    async def prepare(self) -> None:
        raise NotFoundError("API path", self.request.path, hint="/workbench/api/openapi.json lists the routes")


class PageNotFoundHandler(PageHandler):
    """Any other path under /workbench/: the plain 404 page, not a redirect to the login."""

    async def prepare(self) -> None:
        self.current_user = self._jupyter_current_user = None
        raise NotFoundError("page", self.request.path)


def route(path: str) -> str:
    """A URL pattern under the API prefix."""
    return API + path


#: Last of all the workbench's routes (``handlers.all_handlers``).
default_handlers = [
    ("/workbench/(?:api|assets)(?:/.*)?", ApiNotFoundHandler),
    (r"/workbench(?:/.*)?", PageNotFoundHandler),
]


def static_url(handler: web.RequestHandler, path: str) -> str:
    """The worker static file's URL with its content hash, so browsers may cache it for good."""
    version = web.StaticFileHandler.get_version({"static_path": str(STATIC)}, path)
    return f"{handler.settings.get('base_url', '/')}workbench/static/{path}?v={version}"


_DIGITS = re.compile(r"[0-9]+")
_REPEATED = re.compile(r",[ \t]*")  # tornado's reading of one length repeated by a proxy: "5, 5"


def declared_length(headers: httputil.HTTPHeaders) -> int | None:
    """A request's ``Content-Length`` as tornado reads it, or None without one.

    ValueError if tornado would refuse it: anything but ASCII digits, or two different lengths.
    """
    value = headers.get("Content-Length")
    if value is None:
        return None
    lengths = set(_REPEATED.split(value))
    length = lengths.pop()
    if lengths or not _DIGITS.fullmatch(length):
        raise ValueError(f"Content-Length {value!r} is not a number of bytes")
    return int(length)  # ValueError past Python's 4,300 digits too
