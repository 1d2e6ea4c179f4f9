"""The API's description (the OpenAPI spec as JSON, Swagger UI for researchers) and the public health checks.

``/health`` and ``/health/ready`` answer 200 only when the store serves (ready: and its
schema is the code's); ``/health/live`` says the process answers. None of them says why
not: the reason goes to the log, never to the public.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from jupyter_server.base.handlers import JupyterHandler
from sqlalchemy import text
from swagger_ui_bundle import swagger_ui_path
from tornado import web

from .base import AUTH_RESOURCE, ApiHandler, PageHandler, route

SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"


@functools.lru_cache(maxsize=1)
def spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


class OpenAPIHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send(spec())


class DocsHandler(PageHandler):
    """Swagger UI, from the swagger-ui-bundle package (no CDN)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(self.render_template("docs.html", spec_url=self.base_url + "workbench/api/openapi.json"))


class DocsStaticHandler(JupyterHandler, web.StaticFileHandler):
    """Swagger UI's files, for logged-in researchers only."""

    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    def head(self, path: str):
        return web.StaticFileHandler.get(self, path, include_body=False)

    @web.authenticated
    @authorized
    def get(self, path: str, include_body: bool = True):
        return web.StaticFileHandler.get(self, path, include_body=include_body)


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
        except Exception:  # noqa: BLE001 - any failure means the store cannot serve
            self.log.warning("health check %s: unavailable", self.request.path, exc_info=True)
            self.send({"status": "unavailable"}, 503)
            return
        self.send({"status": "ok"})


class ReadyHandler(HealthHandler):
    """Readiness: the store answers, its schema is at the code's head revision (migrations are done), and
    the submission writer runs (where the server starts it with itself)."""

    def check(self) -> None:
        self.wb.store.check_current()
        if not self.wb.submission_writer.ready:
            raise RuntimeError("the submission writer is not running yet")


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
