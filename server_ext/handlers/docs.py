"""The API's description (the OpenAPI spec as JSON, Swagger UI for researchers) and the public health checks.

``/health`` and ``/health/ready`` answer 200 only when the store serves (ready: and its
schema is the code's); ``/health/live`` says the process answers. None of them says why
not: the reason goes to the log, never to the public, in one line (a probe polls: a
traceback each time would bury the log, at start-up most of all).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import yaml
from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from jupyter_server.base.handlers import JupyterHandler
from sqlalchemy import text
from swagger_ui_bundle import swagger_ui_path
from tornado import web

from .base import ApiHandler, PageHandler, SafeStaticMixin, WorkbenchMixin, route

SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"


@functools.lru_cache(maxsize=1)
def spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


class OpenAPIHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send(spec())


class NoLoginRedirect:
    """Under the API an anonymous GET is refused with 403 in JSON, as the spec says, not sent to the login page
    (what Jupyter's APIHandler does too)."""

    def get_login_url(self) -> str:
        if not self.current_user:
            raise web.HTTPError(403)
        return super().get_login_url()


class DocsHandler(NoLoginRedirect, PageHandler):
    """Swagger UI, from the swagger-ui-bundle package (no CDN). Under the API, its errors are JSON."""

    write_error = WorkbenchMixin.write_error

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(self.render_template("docs.html", spec_url=self.base_url + "workbench/api/openapi.json"))


class DocsStaticHandler(NoLoginRedirect, SafeStaticMixin, WorkbenchMixin, JupyterHandler, web.StaticFileHandler):
    """Swagger UI's files, for logged-in researchers only (errors in JSON, as everywhere under the API)."""

    @web.authenticated
    @authorized
    def head(self, path: str):
        return web.StaticFileHandler.get(self, path, include_body=False)

    @web.authenticated
    @authorized
    def get(self, path: str, include_body: bool = True):
        return web.StaticFileHandler.get(self, path, include_body=include_body)


class NotReady(Exception):
    """An expected reason not to serve yet (logged at INFO)."""


class HealthHandler(ApiHandler):
    """For load balancers: says ok or unavailable, and nothing else."""

    def check(self) -> None:
        """Raise when this process cannot serve; runs on the store's threads."""
        with self.wb.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @allow_unauthenticated
    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        try:
            await self.wb.run(self.check)
        except Exception as exc:  # noqa: BLE001 - any failure means the store cannot serve
            level = logging.INFO if isinstance(exc, NotReady) else logging.WARNING
            self.log.log(level, "health check %s: unavailable: %s: %s", self.request.path, type(exc).__name__, exc)
            self.send({"status": "unavailable"}, 503)
            return
        self.send({"status": "ok"})


class ReadyHandler(HealthHandler):
    """Readiness: the store answers, its schema is at the code's head revision (migrations are done), and
    the submission writer runs (where the server starts it with itself)."""

    def check(self) -> None:
        self.wb.store.check_current()
        if not self.wb.submission_writer.ready:
            raise NotReady("the submission writer is not running yet")


class LiveHandler(ApiHandler):
    """Liveness: the process and its event loop answer. It never touches the store, so a database outage
    makes replicas unready, not restarted."""

    @allow_unauthenticated
    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.send({"status": "ok"})


default_handlers = [
    (route("/health"), HealthHandler),
    (route("/health/live"), LiveHandler),
    (route("/health/ready"), ReadyHandler),
    (route("/openapi.json"), OpenAPIHandler),
    (route("/docs"), DocsHandler),
    (route("/docs/static/(?P<path>.+)"), DocsStaticHandler, {"path": swagger_ui_path}),
]
