"""What the server decides before a handler runs: on a request's headers, before tornado reads its body.

``install`` puts ``Gate`` at the head of the server's routes. It finds the handler the request
would reach (the routing is not done twice: that handler is what it returns), and:

- a method the handler does not have gets 405 with ``Allow`` at once, as JSON, whoever asks (the
  routes and their methods are no secret: the spec lists them). Tornado would refuse ``TRACE`` or
  ``CONNECT`` itself, but Jupyter's pages then ask for a user before ``prepare`` has found one and
  log a traceback writing their error page; and a ``PUT`` on a static file would be refused by the
  XSRF check, 403 instead of 405. A handler with no method of its own (a catch-all 404 answering
  in ``prepare``) is left to answer;
- a form body tornado cannot parse gets 400 for the same reason: the error would reach those pages
  before any user is known. A ``multipart/form-data`` type without a boundary is refused on the
  headers; for Jupyter's HTML pages (its login, its 404, the collaboration join page), a form body
  is also parsed once it has arrived, and refused here if it does not parse (``FormChecked``);
- a body the route does not take is refused by its ``Content-Length`` with 413 before a byte of
  it is read, and a body sent without one (chunked) is cut off at the same limit: tornado drops
  the connection past it. The limit is ``WorkbenchApp.max_body_bytes`` for public routes (those
  whose method is ``@allow_unauthenticated``, Jupyter's login page included) and
  ``max_api_body_bytes`` for the workbench's researcher routes; Jupyter's other routes keep the
  server's own (``ServerApp.max_body_size``), which file uploads need.

Without it tornado buffers every body up to ``max_body_size`` (512 MB in Jupyter) before any
handler code runs.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import httputil, routing, web

from .handlers.base import WorkbenchMixin, allowed_methods

ERRORS = {400: "validation_error", 405: "method_not_allowed", 413: "payload_too_large"}


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


class FormChecked(httputil.HTTPMessageDelegate):
    """A Jupyter page's request with a form body: the body is parsed as tornado will parse it before the page's
    handler exists, and a body that does not parse is answered 400 here."""

    def __init__(self, gate: Gate, request: httputil.HTTPServerRequest, inner: httputil.HTTPMessageDelegate) -> None:
        self.gate, self.request, self.inner = gate, request, inner
        self.chunks: list[bytes] = []

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders) -> Any:
        self.start = (start_line, headers)
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        self.chunks.append(chunk)
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        try:
            httputil.parse_body_arguments(self.request.headers.get("Content-Type", ""), b"".join(self.chunks), {}, {},
                                          self.request.headers)
        except httputil.HTTPInputError:
            refusal = self.gate._refuse(self.request, 400, "body", "cannot be parsed", "the form's body cannot be parsed")
            refusal.headers_received(*self.start)
            refusal.finish()
            return
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()


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
        if _unparsable_form(request.headers):
            return self._refuse(request, 400, "Content-Type", "multipart/form-data without a boundary, or encoded",
                                "the body's Content-Type cannot be parsed")
        limit = self._limit(handler, method)
        if limit is not None:
            declared = request.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                return self._refuse(request, 413, "body", "too large", f"the body is larger than {limit} bytes")
            connection = request.connection
            if hasattr(connection, "set_max_body_size"):
                connection.set_max_body_size(limit)  # a chunked body too: tornado stops reading past it
        if _is_page(handler) and request.headers.get("Content-Type", "").startswith(FORMS):
            return FormChecked(self, request, delegate)
        return delegate

    def _limit(self, handler: type, method: str) -> int | None:
        if getattr(getattr(handler, method.lower(), None), "__allow_unauthenticated", False):
            return self.workbench.max_body_bytes
        if issubclass(handler, WorkbenchMixin):
            return self.workbench.max_api_body_bytes
        return None

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


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _is_page(handler: type) -> bool:
    """A Jupyter handler whose error page asks for the user (the workbench's own and the APIs' do not)."""
    return issubclass(handler, JupyterHandler) and not issubclass(handler, (WorkbenchMixin, APIHandler))


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
