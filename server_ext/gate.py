"""What the server decides before a handler runs: on a request's headers, before tornado reads its body.

``install`` puts ``Gate`` at the head of the server's routes. It finds the handler the request
would reach (the routing is not done twice: that handler is what it returns), and:

- a method the handler does not have gets 405 with ``Allow`` at once, as JSON, whoever asks (the
  routes and their methods are no secret: the spec lists them). Tornado would refuse ``TRACE`` or
  ``CONNECT`` itself, but Jupyter's pages then ask for a user before ``prepare`` has found one and
  log a traceback writing their error page; and a ``PUT`` on a static file would be refused by the
  XSRF check, 403 instead of 405. A handler with no method of its own (a catch-all 404 answering
  in ``prepare``) is left to answer;
- framing tornado would refuse with a bare ``400`` and no body gets a JSON 400 naming the header: a
  ``Content-Length`` that is not ASCII digits (``str.isdigit`` takes "²", which ``int`` refuses),
  two different lengths, or a ``Transfer-Encoding`` other than ``chunked`` or beside a length;
- a ``token`` query argument that is not UTF-8 gets 400 naming it, on Jupyter's handlers and other
  extensions': Jupyter's identity provider decodes it to find the user, and the error would reach
  Jupyter's error page before any user is known, which then fails asking for one. Other arguments
  are decoded by the handler once it knows its user. The workbench's handlers name any argument that
  does not decode in their own 400, a page or JSON (``WorkbenchMixin.decode_argument``);
- a form body tornado cannot parse gets 400 for the same reason. A ``multipart/form-data`` type
  without a boundary is refused on the headers; on the other Jupyter handlers a form body is parsed
  once it has arrived (from the buffer tornado keeps for the handler, not a copy of it), and refused
  here if it does not parse or carries a ``token`` that is not UTF-8 (``BodyChecked``);
- a body the route does not take is refused by its ``Content-Length`` with 413 before a byte of it
  is read, and a body sent without one (chunked) is answered 413 once it passes the limit, the rest
  unread (``BodyChecked``). The limit is ``WorkbenchApp.max_body_bytes`` for what anyone may send:
  the public routes (those whose method is ``@allow_unauthenticated``, Jupyter's login page
  included) and the handlers that answer in ``prepare`` (catch-all 404s), which read no body at all.
  On every other route it is the limit for callers the server's identity provider does not know,
  checked on the headers before the body is read (``Gate.authenticated``); a known researcher may
  send up to ``max_api_body_bytes`` to the workbench's researcher routes and up to the server's own
  limit (``ServerApp.max_body_size``) to Jupyter's, which file uploads and nbconvert need.

Without it tornado buffers every body up to ``max_body_size`` (512 MB in Jupyter) before any
handler code runs. One answer stays tornado's: a chunked body to a handler that streams its body
(the workbench has none) is cut off by tornado itself past the limit, which then closes the
connection after a bare ``400`` the gate cannot word, the handler having taken the body already.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from tornado import httputil, routing, web

from .handlers.base import WorkbenchMixin, allowed_methods, declared_length

ERRORS = {400: "validation_error", 405: "method_not_allowed", 413: "payload_too_large"}
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
#: Decoded by Jupyter's identity provider to find the user, before any handler code runs.
TOKEN = "token"


@web.stream_request_body
class Refusal(web.RequestHandler):
    """An answer given on the headers alone. Streaming, so that tornado runs it before reading any body."""

    def initialize(self, status: int, field: str, reason: str, message: str, allow: list[str] | None = None) -> None:
        self.status = status
        self.refusal = {"error": ERRORS[status], "message": message, "field": field, "reason": reason}
        self.allow = allow
        self.SUPPORTED_METHODS = (self.request.method or "GET",)  # type: ignore[misc] - this one request's

    def prepare(self) -> None:
        self.set_status(self.status)
        if self.allow is not None:
            self.set_header("Allow", ", ".join(self.allow))
        self.set_header("Content-Type", "application/json")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(json.dumps(self.refusal))

    def check_xsrf_cookie(self) -> None:
        """Nothing is done here for anyone: there is nothing to protect."""

    def data_received(self, chunk: bytes) -> None:
        """The body of a refused request is never read: the connection closes after the answer."""


class BodyChecked(httputil.HTTPMessageDelegate):
    """A request the gate follows past its headers, in front of the delegate tornado gave (``inner``), which
    buffers the body for a handler that does not stream it:

    - ``anonymous``, ``known``: the most its body may hold if the identity provider does not know the caller,
      and if it does (None: the server's own limit); asked once the headers are in, before the body is read;
    - the body is counted as it arrives, and answered 413 past the limit (a body sent without a length);
    - ``form``: once it has arrived, the body is parsed as tornado will parse it before the handler can answer
      with a user, and refused if it does not parse or its ``token`` is not UTF-8.

    A refusal takes the place of ``inner``, which never runs its handler.
    """

    def __init__(self, gate: Gate, request: httputil.HTTPServerRequest, inner: Any, *, anonymous: int,
                 known: int | None, form: bool) -> None:
        self.gate, self.request, self.inner, self.target = gate, request, inner, inner
        self.limit, self.known, self.form = anonymous, known, form
        self.received = 0

    async def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders) -> None:
        self.start = (start_line, headers)
        if self.limit != self.known and await self.gate.authenticated(self.request):
            self.limit = self.known
        declared = declared_length(headers)  # the gate has checked it reads
        if self.limit is not None and declared is not None and declared > self.limit:
            self._refuse(413, "body", "too large", f"the body is larger than {self.limit} bytes")
            return
        answer = self.inner.headers_received(start_line, headers)
        if answer is not None:
            await answer

    def data_received(self, chunk: bytes) -> Any:
        if self.target is not self.inner:
            return None  # refused: the rest is not kept
        self.received += len(chunk)
        if self.limit is not None and self.received > self.limit:
            self._refuse(413, "body", "too large", f"the body is larger than {self.limit} bytes")
            return None
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        if self.target is not self.inner:
            return
        if self.form and not self._form_is_readable():
            return
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.target.on_connection_close()

    def _form_is_readable(self) -> bool:
        # The buffer tornado keeps for the handler, read here, not copied: a bytearray since tornado 6.5, a list of
        # chunks before.
        body = getattr(self.inner, "chunks", None) or b""
        if isinstance(body, list):
            body = b"".join(body)
        arguments: dict[str, list[bytes]] = {}
        try:
            httputil.parse_body_arguments(self.request.headers.get("Content-Type", ""), body, arguments, {},
                                          self.request.headers)
        except httputil.HTTPInputError:
            self._refuse(400, "body", "cannot be parsed", "the form's body cannot be parsed")
            return False
        if not _decodes(arguments.get(TOKEN, [])):
            self._refuse(400, TOKEN, "is not valid UTF-8", "the token in the form's body is not valid UTF-8")
            return False
        return True

    def _refuse(self, status: int, field: str, reason: str, message: str) -> None:
        self.target = self.gate._refuse(self.request, status, field, reason, message)
        self.target.headers_received(*self.start)


class Gate(routing.Router):
    """The first rule of the server's router (see the module's docstring)."""

    def __init__(self, web_app: web.Application, workbench: Any) -> None:
        self.web_app = web_app
        self.workbench = workbench

    def find_handler(self, request: httputil.HTTPServerRequest, **kwargs: Any) -> httputil.HTTPMessageDelegate | None:
        delegate = self._route(request)
        handler = getattr(delegate, "handler_class", None)
        if handler is None:
            return delegate
        method = request.method or ""
        allow = allowed_methods(handler)
        answers_in_prepare = not set(allow) - {"OPTIONS"}  # a catch-all 404, or Jupyter's
        if method not in allow and not (answers_in_prepare and method in handler.SUPPORTED_METHODS):
            return self._refuse(request, 405, "method", "not allowed", f"{method} is not a method of this URL",
                                allow=allow)
        headers = request.headers
        try:
            declared = declared_length(headers)
        except ValueError:
            return self._refuse(request, 400, "Content-Length", "must be a number of bytes",
                                "the body's Content-Length is not a number of bytes")
        chunked = "Transfer-Encoding" in headers
        if chunked and (declared is not None or headers["Transfer-Encoding"].lower() != "chunked"):
            return self._refuse(request, 400, "Transfer-Encoding", "must be chunked, without a Content-Length",
                                "the body's Transfer-Encoding cannot be read")
        if _unparsable_form(headers):
            return self._refuse(request, 400, "Content-Type", "multipart/form-data without a boundary, or encoded",
                                "the body's Content-Type cannot be parsed")
        jupyter = issubclass(handler, JupyterHandler)
        # The workbench's own handlers name the argument themselves, in their own kind of answer (a page or JSON).
        if jupyter and not issubclass(handler, WorkbenchMixin) and not _decodes(request.query_arguments.get(TOKEN, [])):
            return self._refuse(request, 400, TOKEN, "is not valid UTF-8", "the token in the query is not valid UTF-8")
        anonymous, known = self._limits(handler, method, answers_in_prepare)
        if anonymous == known and declared is not None and declared > anonymous:
            return self._refuse(request, 413, "body", "too large", f"the body is larger than {anonymous} bytes")
        if getattr(delegate, "stream_request_body", True):
            # The handler reads the body itself, as it arrives: no buffer to spare, and no caller is asked for.
            limit = anonymous if anonymous == known else known
            if limit is not None and declared is not None and declared > limit:
                return self._refuse(request, 413, "body", "too large", f"the body is larger than {limit} bytes")
            if limit is not None and chunked and hasattr(request.connection, "set_max_body_size"):
                request.connection.set_max_body_size(limit)  # tornado stops reading past it (docstring)
            return delegate
        form = jupyter and headers.get("Content-Type", "").startswith(FORMS)
        over = chunked or (declared is not None and declared > anonymous)
        if form or over:
            return BodyChecked(self, request, delegate, anonymous=anonymous, known=known if over else anonymous,
                               form=form)
        return delegate

    def _limits(self, handler: type, method: str, answers_in_prepare: bool) -> tuple[int, int | None]:
        """The most a body may hold from a caller the identity provider does not know, and from one it does
        (None: the server's own limit)."""
        public = self.workbench.max_body_bytes
        if answers_in_prepare or getattr(getattr(handler, method.lower(), None), "__allow_unauthenticated", False):
            return public, public
        if issubclass(handler, WorkbenchMixin):
            return public, self.workbench.max_api_body_bytes
        return public, None

    async def authenticated(self, request: httputil.HTTPServerRequest) -> bool:
        """Whether the server's identity provider knows who sends ``request``, from its headers and query (its
        token or login cookie), asked as the handler will ask it in ``prepare``."""
        probe = JupyterHandler(self.web_app, request)
        try:
            user = probe.identity_provider.get_user(probe)
            if inspect.isawaitable(user):
                user = await user
        except Exception:  # noqa: BLE001 - whatever it cannot read proves no one; the handler will say why
            user = None
        finally:
            # The probe's construction made it the connection's listener; the handler tornado makes will be.
            forget = getattr(request.connection, "set_close_callback", None)
            if forget is not None:
                forget(None)
        return user is not None

    def _route(self, request: httputil.HTTPServerRequest) -> httputil.HTTPMessageDelegate | None:
        """The delegate the rest of the server's rules give, as ``RuleRouter.find_handler`` finds it."""
        router = self.web_app.default_router
        for rule in router.rules:
            if rule.target is self:
                continue
            params = rule.matcher.match(request)
            if params is None:
                continue
            if rule.target_kwargs:
                params["target_kwargs"] = rule.target_kwargs
            delegate = router.get_target_delegate(rule.target, request, **params)
            if delegate is not None:
                return delegate
        return None

    def _refuse(self, request: httputil.HTTPServerRequest, status: int, field: str, reason: str, message: str,
                allow: list[str] | None = None) -> httputil.HTTPMessageDelegate:
        return self.web_app.get_handler_delegate(request, Refusal, {
            "status": status, "field": field, "reason": reason, "message": message, "allow": allow})


def _decodes(values: list[bytes]) -> bool:
    """Whether tornado can decode these argument values (``RequestHandler.decode_argument``)."""
    try:
        for value in values:
            value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unparsable_form(headers: httputil.HTTPHeaders) -> bool:
    """What tornado's ``parse_body_arguments`` refuses on the headers alone, whatever the body."""
    content_type = headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        return False
    fields = [field.strip() for field in content_type.split(";")]
    has_boundary = any(k == "boundary" and v for k, _, v in (field.partition("=") for field in fields[1:]))
    return fields[0] != "multipart/form-data" or not has_boundary or "Content-Encoding" in headers


def install(web_app: web.Application, workbench: Any) -> None:
    """Put the gate first, before the server's and every extension's routes."""
    web_app.default_router.rules.insert(0, routing.Rule(routing.AnyMatches(), Gate(web_app, workbench)))
