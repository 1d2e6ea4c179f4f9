"""Researcher API: task types and their versioned definitions."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.study import definitions

from ..api_models import DefinitionReplacement, NewDefinition, NewTaskType
from .base import ApiHandler, route


class TaskTypesHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.send_page(lambda s, limit, offset: definitions.list_types(s)[offset:offset + limit])

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body_as(NewTaskType)
        actor = self.current_user.username
        self.send(await self.write_store(lambda s: definitions.create_type(
            s, body.slug, body.name, body.description, actor=actor).to_dict()), 201)


class TaskTypeHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, slug: str) -> None:
        self.send(await self.read_store(lambda s: definitions.get_type(s, slug).to_dict()))

    @web.authenticated
    @authorized
    async def delete(self, slug: str) -> None:
        await self.write_store(definitions.delete_type, slug, actor=self.current_user.username)
        self.set_status(204)
        self.finish()


class DefinitionsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, slug: str) -> None:
        await self.send_page(lambda s, limit, offset: definitions.list_definitions(s, slug)[offset:offset + limit])

    @web.authenticated
    @authorized
    async def post(self, slug: str) -> None:
        version = self.body_as(NewDefinition).version
        definition = self.json_object()["definition"]  # stored as sent: the checked body's own object
        actor = self.current_user.username
        self.send(await self.write_store(lambda s: definitions.create_definition(
            s, slug, version, definition, actor=actor).to_dict()), 201)


class DefinitionHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, slug: str, version: str) -> None:
        self.send(await self.read_store(lambda s: definitions.get_definition(s, slug, version).to_dict()))

    @web.authenticated
    @authorized
    async def put(self, slug: str, version: str) -> None:
        self.body_as(DefinitionReplacement)
        definition = self.json_object()["definition"]  # stored as sent
        actor = self.current_user.username

        def update(s):
            key = definitions.get_definition(s, slug, version).id
            return definitions.update_definition(s, key, definition, actor=actor).to_dict()

        self.send(await self.write_store(update))

    @web.authenticated
    @authorized
    async def delete(self, slug: str, version: str) -> None:
        actor = self.current_user.username
        await self.write_store(lambda s: definitions.delete_definition(s, definitions.get_definition(s, slug, version).id,
                                                                 actor=actor))
        self.set_status(204)
        self.finish()


default_handlers = [
    (route("/task-types"), TaskTypesHandler),
    (route("/task-types/(?P<slug>[^/]+)"), TaskTypeHandler),
    (route("/task-types/(?P<slug>[^/]+)/definitions"), DefinitionsHandler),
    (route("/task-types/(?P<slug>[^/]+)/definitions/(?P<version>[^/]+)"), DefinitionHandler),
]
