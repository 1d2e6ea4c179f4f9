"""Researcher API: tasks (CRUD, status moves, the bundle a worker page receives, duplication)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.study import bundles, tasks
from workbench.errors import ValidationError

from .base import ID, ApiHandler, route

CREATE_FIELDS = {"project", "definition", "asset_id", "payload", "priority", "target_annotations"}


def _create(session, body, actor):
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise ValidationError(unknown[0], f"is not a task field ({', '.join(sorted(CREATE_FIELDS))})")
    for field in ("project", "definition"):
        if field not in body:
            raise ValidationError(field, "is required")
    return tasks.create(session, body["project"], body["definition"], asset_id=body.get("asset_id"),
                        payload=body.get("payload"), priority=body.get("priority", 0),
                        target_annotations=body.get("target_annotations", 1), actor=actor).to_dict()


def _change(session, task_id, body, actor):
    """Edit fields and, with ``status``, move the task; all or nothing."""
    changes = dict(body)
    status = changes.pop("status", None)
    if changes:
        tasks.update(session, task_id, changes, actor=actor)
    if status is not None:
        tasks.set_status(session, task_id, status, actor=actor, reason="researcher API")
    return tasks.get(session, task_id).to_dict()


class TasksHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        definition_id = self.int_arg("definition_id", None, minimum=1)
        await self.send_page(tasks.list_, project=self.get_query_argument("project", None),
                             status=self.get_query_argument("status", None), definition_id=definition_id)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_object()
        self.send(await self.write_store(_create, body, self.current_user.username), 201)


class TaskHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.send(await self.read_store(lambda s: tasks.get(s, int(task_id)).to_dict()))

    @web.authenticated
    @authorized
    async def patch(self, task_id: str) -> None:
        body = self.json_object()
        self.send(await self.write_store(_change, int(task_id), body, self.current_user.username))

    @web.authenticated
    @authorized
    async def delete(self, task_id: str) -> None:
        await self.write_store(tasks.delete, int(task_id), actor=self.current_user.username)
        self.set_status(204)
        self.finish()


class TaskBundleHandler(ApiHandler):
    """The task's whole bundle, every payload and asset-metadata field included (a worker's page shows only
    those its definition lets workers see), for researchers to check a task before publishing it."""

    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.send(await self.read_store(bundles.for_task, int(task_id), **self.wb.plugin_urls.options()))


class TaskDuplicateHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def post(self, task_id: str) -> None:
        body = self.json_object() if self.request.body else {}
        asset_id = body.get("asset_id")
        actor = self.current_user.username
        self.send(await self.write_store(lambda s: tasks.duplicate(s, int(task_id), asset_id=asset_id,
                                                             actor=actor).to_dict()), 201)


default_handlers = [
    (route("/tasks"), TasksHandler),
    (route(f"/tasks/(?P<task_id>{ID})"), TaskHandler),
    (route(f"/tasks/(?P<task_id>{ID})/bundle"), TaskBundleHandler),
    (route(f"/tasks/(?P<task_id>{ID})/duplicate"), TaskDuplicateHandler),
]
