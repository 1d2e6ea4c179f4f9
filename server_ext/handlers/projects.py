"""Researcher API: projects (CRUD, progress statistics, annotation export)."""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench import project_export, projects

from .base import ApiHandler, route


class ProjectsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.send_page(projects.list_)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_object()
        actor = self.current_user.username
        project = await self.write_store(lambda s: projects.create(
            s, body.get("slug"), body.get("name"), body.get("description", ""), actor=actor).to_dict())
        self.send(project, 201)


class ProjectHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, slug: str) -> None:
        self.send(await self.read_store(lambda s: projects.get(s, slug).to_dict()))

    @web.authenticated
    @authorized
    async def patch(self, slug: str) -> None:
        changes = self.json_object()
        actor = self.current_user.username
        self.send(await self.write_store(lambda s: projects.update(s, slug, changes, actor=actor).to_dict()))

    @web.authenticated
    @authorized
    async def delete(self, slug: str) -> None:
        await self.write_store(projects.delete, slug, actor=self.current_user.username)
        self.set_status(204)
        self.finish()


class ProjectStatsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, slug: str) -> None:
        self.send(await self.read_store(projects.stats, slug))


class ProjectExportHandler(ApiHandler):
    """Annotations as one JSON array or as JSON lines, written in batches."""

    @web.authenticated
    @authorized
    async def get(self, slug: str) -> None:
        fmt = project_export.check_format(self.get_query_argument("format", "json"))
        rows, after = await self.read_store(project_export.page, slug)  # a missing project fails before any byte
        content_type = "application/json" if fmt == "json" else "application/x-ndjson"
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{slug}.{fmt}"')
        if fmt == "json":
            self.write("[")
        first = True
        while True:
            lines = [json.dumps(row) for row in rows]
            if lines:
                if fmt == "json":
                    self.write(("" if first else ",") + ",".join(lines))
                else:
                    self.write("\n".join(lines) + "\n")
                first = False
                await self.flush()
            if after is None:
                break
            rows, after = await self.read_store(project_export.page, slug, after=after)
        if fmt == "json":
            self.write("]")
        # Jupyter's API handlers say JSON when they finish unless told: an empty export has sent no header yet.
        self.finish(set_content_type=content_type)


default_handlers = [
    (route("/projects"), ProjectsHandler),
    (route("/projects/(?P<slug>[^/]+)"), ProjectHandler),
    (route("/projects/(?P<slug>[^/]+)/stats"), ProjectStatsHandler),
    (route("/projects/(?P<slug>[^/]+)/export"), ProjectExportHandler),
]
