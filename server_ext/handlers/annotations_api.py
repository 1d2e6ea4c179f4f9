"""Researcher API: annotations (list, read, and submit one as the researcher) and completion-code checks."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.crowd import worker_sessions
from workbench.study import annotations

from ..api_models import CodeCheck, NewAnnotation
from .base import ID, ApiHandler, route


class AnnotationsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.send_page(annotations.list_, task_id=self.int_arg("task_id", None, minimum=1),
                             project=self.get_query_argument("project", None),
                             actor=self.get_query_argument("actor", None))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body_as(NewAnnotation)
        actor = self.current_user.username
        submission = await self.write_store(lambda s: annotations.submit(
            s, body.task_id, body.result, actor=actor, submission_id=body.submission_id,
            tool_version=body.tool_version).to_dict())
        self.send(submission, 200 if submission["duplicate"] else 201)


class AnnotationHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, annotation_id: str) -> None:
        self.send(await self.read_store(lambda s: annotations.get(s, int(annotation_id)).to_dict()))


class CompletionCodeCheckHandler(ApiHandler):
    """Review of link-out work: does this code belong to this assignment?"""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body_as(CodeCheck)
        provider = self.wb.provider
        self.send(await self.read_store(worker_sessions.check_code, body.assignment_id, body.code, provider=provider))


default_handlers = [
    (route("/annotations"), AnnotationsHandler),
    (route(f"/annotations/(?P<annotation_id>{ID})"), AnnotationHandler),
    (route("/completion-codes/check"), CompletionCodeCheckHandler),
]
