"""Researcher API: projects (CRUD, progress statistics, annotation export)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from workbench.results import exports
from workbench.study import projects

from ..api_models import NewProject, ProjectChanges
from .base import ApiHandler, route


class ProjectsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.send_page(projects.list_)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body_as(NewProject)
        actor = self.current_user.username
        project = await self.write_store(lambda s: projects.create(
            s, body.slug, body.name, body.description, actor=actor).to_dict())
        self.send(project, 201)


class ProjectHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, slug: str) -> None:
        self.send(await self.read_store(lambda s: projects.get(s, slug).to_dict()))

    @web.authenticated
    @authorized
    async def patch(self, slug: str) -> None:
        changes = self.body_as(ProjectChanges).model_dump(exclude_unset=True)
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
    """The project's annotations as one JSON array or as JSON lines: the rows of ``workbench.results.exports`` (those of a
    ``workbench export --format json|jsonl`` file), sent and flushed a chunk at a time as the store yields them."""

    #: Rows per chunk; None: the exports' default. The tests make it small, to see several chunks go out.
    batch_size: int | None = None

    @web.authenticated
    @authorized
    async def get(self, slug: str) -> None:
        fmt = self.get_query_argument("format", "json")
        # A bad format or a missing project fails here, before any byte; each chunk is read on the store's threads.
        chunks = await self.wb.run(exports.stream, self.wb.store, slug, fmt, batch_size=self.batch_size)
        content_type = "application/json" if fmt == "json" else "application/x-ndjson"
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{slug}.{fmt}"')
        try:
            while (chunk := await self.wb.run(next, chunks, None)) is not None:
                self.write(chunk)
                await self.flush()
        except StreamClosedError:
            return  # the client went away: stop reading the store
        finally:
            await self.wb.run(chunks.close)
        # Jupyter's API handlers say JSON when they finish unless told: an empty export has sent no header yet.
        self.finish(set_content_type=content_type)


default_handlers = [
    (route("/projects"), ProjectsHandler),
    (route("/projects/(?P<slug>[^/]+)"), ProjectHandler),
    (route("/projects/(?P<slug>[^/]+)/stats"), ProjectStatsHandler),
    (route("/projects/(?P<slug>[^/]+)/export"), ProjectExportHandler),
]
