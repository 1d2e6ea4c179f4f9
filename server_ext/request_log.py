"""Request ids on every response and one access-log line per request, in text or JSON.

``RequestIdTransform`` runs for every request the server answers (Jupyter's own routes
and 404s included): it takes nginx's ``X-Request-Id`` when well formed, else makes one,
sets it in ``workbench.logs.request_id`` for the handler's task, and echoes it in the
``X-Request-Id`` response header; it also drops tornado's ``Server`` header, which names
its version. ``access_log`` replaces the server's log function: it logs the path without
its query string (MTurk and login query strings carry worker ids and tokens), the status,
the time taken, the client address and the request id. In JSON
mode every request is an INFO line, for log aggregation; in text mode successes stay at
DEBUG, as Jupyter logs them.
"""

from __future__ import annotations

import logging
from typing import Any

from jupyter_server.prometheus.log_functions import prometheus_log_method
from tornado import httputil, web

from workbench import logs

HEADER = "X-Request-Id"


class RequestIdTransform(web.OutputTransform):
    def __init__(self, request: httputil.HTTPServerRequest) -> None:
        self.request_id = logs.accept_request_id(request.headers.get(HEADER))
        request.workbench_request_id = self.request_id  # type: ignore[attr-defined]
        # Set before tornado wraps the handler in a task, so the task (and the store threads it
        # hands work to) inherit it.
        logs.request_id.set(self.request_id)

    def transform_first_chunk(self, status_code: int, headers: httputil.HTTPHeaders, chunk: bytes,
                              finishing: bool) -> tuple[int, httputil.HTTPHeaders, bytes]:
        headers[HEADER] = self.request_id
        headers.pop("Server", None)  # tornado's name and version: of use to no client, and to attackers
        return status_code, headers, chunk


def request_id_of(handler: web.RequestHandler) -> str | None:
    return getattr(handler.request, "workbench_request_id", None)


def access_log(handler: web.RequestHandler, *, style: str = "text", metrics: bool = True) -> None:
    """The server's ``log_function``: one line per finished request."""
    status = handler.get_status()
    request = handler.request
    logger = getattr(handler, "log", None) or logging.getLogger("tornado.access")
    if status >= 500:
        level = logging.ERROR
    elif status >= 400:
        level = logging.WARNING
    elif status >= 300 and status != 304:
        level = logging.INFO
    else:
        level = logging.INFO if style == "json" else logging.DEBUG
    if _emits(logger, level):
        took = 1000.0 * request.request_time()
        rid = request_id_of(handler)
        user = _username(handler)
        http: dict[str, Any] = {"method": request.method, "path": request.path, "status": status,
                                "duration_ms": round(took, 2), "remote_ip": request.remote_ip}
        if user:
            http["user"] = user
        logger.log(level, "%d %s %s (%s@%s) %.2fms rid=%s", status, request.method, request.path, user,
                   request.remote_ip, took, rid, extra={"request_id": rid, "http": http})
    if metrics:
        prometheus_log_method(handler)


def _emits(logger: logging.Logger, level: int) -> bool:
    """Whether a record at ``level`` reaches a handler that writes it.

    Jupyter leaves its loggers at DEBUG and filters at the console handler, so
    ``isEnabledFor`` alone says yes to every success line; making the record and dropping
    it at the handler cost more than the rest of the access log, on every request.
    """
    if not logger.isEnabledFor(level):
        return False
    current: logging.Logger | None = logger
    found = False
    while current is not None:
        if any(level >= handler.level for handler in current.handlers):
            return True
        found = found or bool(current.handlers)
        current = current.parent if current.propagate else None
    # With no handler on the way, logging writes to its last resort (WARNING and up, to stderr).
    return not found and logging.lastResort is not None and level >= logging.lastResort.level


def _username(handler: web.RequestHandler) -> str:
    try:
        user = handler.current_user
    except Exception:  # noqa: BLE001 - logging must never fail a request
        return ""
    return getattr(user, "username", "") if user else ""
