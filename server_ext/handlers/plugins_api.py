"""Researcher API: annotation plugins (list, read, register with a validated manifest) and the audit log."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench import events
from workbench.study import plugins, projects
from workbench.errors import ValidationError

from ..api_models import Manifest
from .base import ApiHandler, route

EVENT_FILTERS = ("type", "project", "since", "until", "limit", "offset")


class PluginsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        active = self.get_query_argument("active", None)
        if active not in (None, "true", "false"):
            raise ValidationError("active", "must be true or false")
        await self.send_page(plugins.list_, active=None if active is None else active == "true")

    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.body_as(Manifest, prefix="manifest")
        manifest = self.json_object()  # stored as sent
        found = plugins.validate_manifest(manifest, self.wb.plugins_dir)
        actor = self.current_user.username
        row = await self.write_store(lambda s: plugins.register_found(s, found, actor=actor).to_dict())
        self.wb.catalog[found.key] = found.root
        self.send(row, 201)


class PluginHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        version = self.get_query_argument("version", None)
        self.send(await self.read_store(lambda s: plugins.get(s, name, version).to_dict()))


class EventsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        unknown = sorted(set(self.request.query_arguments) - set(EVENT_FILTERS))
        if unknown:
            raise ValidationError(unknown[0], f"is not a filter ({', '.join(EVENT_FILTERS)})")
        since, until = self.time_arg("since"), self.time_arg("until")
        project = self.get_query_argument("project", None)
        type_ = self.get_query_argument("type", None)

        def query(session, limit, offset):
            project_id = projects.get(session, project).id if project else None
            return events.query(session, type=type_, project_id=project_id, since=since, until=until,
                                limit=limit, offset=offset)

        await self.send_page(query)


default_handlers = [
    (route("/plugins"), PluginsHandler),
    (route("/plugins/(?P<name>[^/]+)"), PluginHandler),
    (route("/events"), EventsHandler),
]
