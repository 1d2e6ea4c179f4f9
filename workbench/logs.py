"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

``WORKBENCH_LOG_FORMAT=json`` (or ``c.WorkbenchApp.log_style = "json"``) puts
``JsonFormatter`` on the server's log handlers. The request id lives in a context
variable that the web face sets for each request and that follows the request onto the
store's threads, so a line the core writes while serving a request names that request.
A request id offered by the proxy is taken only when it is well formed; anything else
is replaced, so a client cannot write arbitrary text into the logs.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import re
import uuid
from datetime import datetime, timezone

STYLES = ("text", "json")
#: What a proxy's request id may look like (nginx's $request_id is 32 hex digits).
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
#: Attributes every LogRecord has; anything else on a record was passed in ``extra=`` and is logged.
_STANDARD = set(vars(logging.LogRecord("x", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "color", "end_color", "highlevel"}  # the last three: text formatters' own

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("workbench_request_id", default=None)


def style_from_env(default: str = "text") -> str:
    """The log style named by ``WORKBENCH_LOG_FORMAT`` (text or json); anything else is the default."""
    value = (os.environ.get("WORKBENCH_LOG_FORMAT") or "").strip().lower()
    return value if value in STYLES else default


def accept_request_id(offered: str | None) -> str:
    """The proxy's request id when it is well formed, else a new one."""
    if offered and REQUEST_ID.match(offered):
        return offered
    return new_request_id()


# A new id is this process's random prefix and a count: unique across processes and restarts like a
# uuid4 (32 hex digits, as nginx's), without a call for random bytes on every request.
def _reseed() -> None:
    global _prefix, _count
    _prefix = uuid.uuid4().hex[:20]
    _count = itertools.count(1)


_reseed()
os.register_at_fork(after_in_child=_reseed)


def new_request_id() -> str:
    return f"{_prefix}{next(_count) & 0xFFFFFFFFFFFF:012x}"


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or None) on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id"?, ...extra, "exc_info"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            data["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in data:
                data[key] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def install(style: str, loggers: list[logging.Logger], *, level: int = logging.INFO) -> None:
    """Give ``loggers`` the style: their handlers get the request-id filter and, for json, the JSON formatter.

    The first logger's handlers replace the others' (the extension app's own console
    handler, and the workbench's loggers, which otherwise only reach Python's last-resort
    handler), so every line goes to one stream, once, in one format.
    """
    if style not in STYLES:
        raise ValueError(f"log style must be one of {', '.join(STYLES)}, not {style!r}")
    main, *others = loggers
    for handler in main.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if style == "json":
            handler.setFormatter(JsonFormatter())
    for logger in others:
        if logger is not main:
            logger.handlers = list(main.handlers)
            logger.propagate = False
        if logger.level == logging.NOTSET or logger.level > level:
            logger.setLevel(level)
