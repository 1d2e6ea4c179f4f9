"""Researcher API: tasks (CRUD, status moves, the bundle a worker page receives, duplication)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.study import bundles, tasks

from ..api_models import NewTask, TaskChanges, TaskCopy
from .base import ID, ApiHandler, route


def _create(session, body: NewTask, actor):
    return tasks.create(session, body.project, body.definition, asset_id=body.asset_id, payload=body.payload,
                        priority=body.priority, target_annotations=body.target_annotations, actor=actor).to_dict()


def _change(session, task_id, changes, actor):
    """Edit fields and, with ``status``, move the task; all or nothing."""
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
        body = self.body_as(NewTask)
        self.send(await self.write_store(_create, body, self.current_user.username), 201)


class TaskHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.send(await self.read_store(lambda s: tasks.get(s, int(task_id)).to_dict()))

    @web.authenticated
    @authorized
    async def patch(self, task_id: str) -> None:
        changes = self.body_as(TaskChanges).model_dump(exclude_unset=True)
        self.send(await self.write_store(_change, int(task_id), changes, self.current_user.username))

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
        asset_id = self.body_as(TaskCopy, optional=True).asset_id
        actor = self.current_user.username
        self.send(await self.write_store(lambda s: tasks.duplicate(s, int(task_id), asset_id=asset_id,
                                                             actor=actor).to_dict()), 201)


default_handlers = [
    (route("/tasks"), TasksHandler),
    (route(f"/tasks/(?P<task_id>{ID})"), TaskHandler),
    (route(f"/tasks/(?P<task_id>{ID})/bundle"), TaskBundleHandler),
    (route(f"/tasks/(?P<task_id>{ID})/duplicate"), TaskDuplicateHandler),
]
