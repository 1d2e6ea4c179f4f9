"""The public worker pages: MTurk's ExternalQuestion page and the link-out visit with its completion code.

These, the submission endpoint and the signed file routes are the only handlers a
worker reaches without a login; each method says so with ``@allow_unauthenticated``. On a server
whose provider has its own entry route (``LoginHandler.OWNS``: link-out, Prolific) the annotate page
and the plain login answer 404: that route alone admits a participant.
Pages carry a strict CSP, escape everything they echo, and never show a traceback; an
error is a page in plain words saying what to do next (``PageHandler.write_error``).

An assignment that has already answered its task reopens read-only, with that answer if it
is the same worker's. A link-out worker with no task left gets a completion code (the
session is marked ``no_task`` for review) rather than a dead end.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from jupyter_server.auth.decorator import allow_unauthenticated

from workbench.crowd import submissions, worker_sessions
from workbench.study import bundles, telemetry
from workbench.errors import NotFoundError, ValidationError

from .. import csp
from ..ratelimit import refuse_if_limited
from .base import ID, PageHandler, static_url

PREVIEW = worker_sessions.PREVIEW_ASSIGNMENT
SESSION_COOKIE = "wb_session_"
SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                  0x2028: "\\u2028", 0x2029: "\\u2029"}


def script_json(data: Any) -> str:
    """JSON that can sit inside <script type="application/json"> without ever closing it."""
    return json.dumps(data, separators=(",", ":")).translate(SCRIPT_ESCAPES)


def session_cookie(assignment_id: str) -> str:
    """One cookie per assignment, so two assignments in one browser keep apart."""
    return SESSION_COOKIE + hashlib.sha256(assignment_id.encode()).hexdigest()[:16]


class WorkerPageHandler(PageHandler):
    """Headers and helpers common to worker pages."""

    @property
    def content_security_policy(self) -> str:
        app = self.settings.get("workbench")
        return csp.worker_policy(frame_ancestors=tuple(app.frame_ancestors) if app else ())

    @property
    def template_namespace(self) -> dict[str, Any]:
        # Not Jupyter's namespace: it reads ``xsrf_token``, which sets the _xsrf cookie, and worker pages use
        # no cookie of Jupyter's (their submissions carry a signed page token instead).
        return {"base_url": self.base_url}

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")

    @property
    def secure(self) -> bool:
        return self.request.protocol == "https" or self.wb.public_base_url.startswith("https://")

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        if self.secure:
            # Inside MTurk's iframe this site is third-party: only SameSite=None cookies come back.
            kwargs.setdefault("secure", True)
            kwargs.setdefault("samesite", "None")
        super().set_cookie(name, value, *args, **kwargs)

    def render_worker_page(self, page: dict[str, Any], *, form_origins: tuple[str, ...] = ()) -> None:
        code_origins, media_origins = csp.bundle_origins(page)
        self.set_header("Content-Security-Policy", csp.worker_policy(
            frame_ancestors=tuple(self.wb.frame_ancestors), form_origins=form_origins, code_origins=code_origins,
            media_origins=media_origins))
        token = "" if page["readonly"] else submissions.page_token(
            self.wb.provider, page["task"]["id"], page["assignment_id"], page["worker_id"], page.get("hit_id", ""),
            expires_in=self.wb.submit_token_ttl)
        self.finish(self.render_template(
            "annotate.html", page=page, bundle_json=script_json(page), submit_token=token,
            worker_css=static_url(self, "worker.css"), worker_js=static_url(self, "worker.js"),
            host_js=static_url(self, "plugin_host.js"), telemetry_note=telemetry.DESCRIPTION))

    def page_bundle(self, session, task_id: int) -> dict[str, Any]:
        return bundles.for_worker(session, task_id, **self.wb.plugin_urls.options())


class AnnotateHandler(WorkerPageHandler):
    """``/workbench/annotate/{task_id}``: MTurk's ExternalQuestion page (a preview without an assignment)."""

    @allow_unauthenticated
    async def get(self, task_id: str) -> None:
        owner = entry_route_of(self.wb.provider)
        if owner is not None:  # its entry route admits (closed link, blocked participant); this page would not
            raise NotFoundError("annotate route", f"workbench/annotate/{task_id}",
                                hint=f"{owner.OWNS} participants enter at /{owner.PATH}")
        arg = self.get_query_argument
        assignment_id, hit_id = arg("assignmentId", ""), arg("hitId", "")
        worker_id, submit_to = arg("workerId", ""), arg("turkSubmitTo", "")
        preview = assignment_id in ("", PREVIEW)
        form_origins: tuple[str, ...] = ()
        page: dict[str, Any] = {"mode": "external", "preview": preview, "readonly": preview,
                                "submit_url": self.base_url + "workbench/api/submissions"}
        if not preview:
            worker_sessions.check_ids(assignment_id, worker_id, hit_id)
            if not submit_to:
                raise ValidationError("turkSubmitTo", "is required with an assignmentId")
            target = csp.check_submit_to(submit_to, self.wb.submit_origins)
            form_origins = csp.mturk_form_origins(target, self.wb.submit_origins)
            page.update(assignment_id=assignment_id, hit_id=hit_id, worker_id=worker_id,
                        external_submit_url=f"{target}/mturk/externalSubmit")
        page.update(await self.read_store(self._annotate, int(task_id), None if preview else assignment_id,
                                          worker_id))
        self.render_worker_page(page, form_origins=form_origins)

    def _annotate(self, session, task_id: int, assignment_id: str | None, worker_id: str) -> dict[str, Any]:
        """The page's bundle; read-only with ``submitted`` when the assignment has answered the task already.
        The answer is shown to its own worker only; a submission for the assignment would be a duplicate,
        whatever it said, so the page offers none."""
        out = self.page_bundle(session, task_id)
        earlier = worker_sessions.earlier_answer(session, task_id, assignment_id) if assignment_id else None
        if earlier is not None:
            out.update(readonly=True, submitted={"result": earlier.result if earlier.actor == worker_id else None})
        return out


class LoginHandler(WorkerPageHandler):
    """``/workbench/login``: the link-out visit. Shows the session's next task, or its completion code.

    A provider's entry route (``prolific.ProlificEntryHandler``) is this visit with its own query names
    (``ID_ARGS``: assignment, worker, HIT), its own provider and its own ending (``finish_visit``)."""

    #: The query arguments carrying (assignment id, worker id, HIT id).
    ID_ARGS = ("assignmentId", "workerId", "hitId")
    #: The path of this route under the base URL, for the page's ``next_url``.
    PATH = "workbench/login"
    #: Where the completion page tells the worker to paste the code.
    BACK_TO = "the HIT"
    #: The provider whose workers come in only through this route (which admits them), never the plain login.
    OWNS: str | None = None
    #: Show a finished session's code only to the browser holding its cookie (where the worker id, which anyone
    #: may know, is the only credential); another browser is told to use that one.
    CODE_TO_ITS_BROWSER = False

    def visit_provider(self) -> str:
        return self.wb.provider

    def check_visit(self, assignment_id: str, worker_id: str, hit_id: str) -> None:
        worker_sessions.check_ids(assignment_id, worker_id, hit_id)
        owner = entry_route_of(self.wb.provider)
        if owner is not None:  # its route checks what this one cannot (a closed link, a blocked participant)
            raise NotFoundError("login route", self.PATH, hint=f"{owner.OWNS} participants enter at /{owner.PATH}")

    @allow_unauthenticated
    async def get(self) -> None:
        arg = self.get_query_argument
        assignment_id, worker_id, hit_id = (arg(name, "") for name in self.ID_ARGS)
        project = arg("project", None) or None
        self.check_visit(assignment_id, worker_id, hit_id)
        await self.run_visit(assignment_id, worker_id, hit_id, project)

    def next_query(self, assignment_id: str, worker_id: str, hit_id: str, project: str | None) -> dict[str, str]:
        """The query of this route that reopens the visit (the page's ``next_url``)."""
        query = dict(zip(self.ID_ARGS, (assignment_id, worker_id, hit_id)))
        if project:
            query["project"] = project
        return query

    async def run_visit(self, assignment_id: str, worker_id: str, hit_id: str, project: str | None) -> None:
        """Start or resume the checked visit; render its next task, or end it (``finish_visit``)."""
        cookie = session_cookie(assignment_id)
        if self.wb.ip_limits.enabled and await self.read_store(self._is_new, assignment_id):
            # Ids are all a visit needs, and anyone can make them up: new sessions count against the IP's submission
            # bucket (``WorkbenchApp.rate_limit_ip``), so that one address cannot fill a link's places; a resume
            # is not counted.
            refuse_if_limited(self.wb.ip_limits, self.request.remote_ip or "", "ip", "new sessions")
        state = await self.write_store(self._visit, assignment_id, worker_id, hit_id, project, self.get_cookie(cookie))
        if state.get("elsewhere"):
            self.finish_elsewhere()
            return
        if state["token"] != self.get_cookie(cookie):
            self.set_cookie(cookie, state["token"], path=self.base_url + "workbench/", httponly=True,
                            expires_days=7, **({} if self.secure else {"samesite": "Lax"}))
        if state.get("code"):
            self.finish_visit(state, worker_id)
            return
        query = self.next_query(assignment_id, worker_id, hit_id, project)
        page = {"mode": "link-out", "readonly": False, "submit_url": self.base_url + "workbench/api/submissions",
                "assignment_id": assignment_id, "hit_id": hit_id, "worker_id": worker_id,
                "next_url": self.base_url + self.PATH + "?" + urlencode(query),
                "progress": state["progress"], **state["bundle"]}
        self.render_worker_page(page)

    def finish_visit(self, state: dict[str, Any], worker_id: str) -> None:
        """The end of a completed visit: the completion code's page."""
        self.finish(self.render_template("complete.html", code=state["code"], worker_id=worker_id,
                                         no_task=state["no_task"], back_to=self.BACK_TO,
                                         worker_css=static_url(self, "worker.css")))

    def _is_new(self, session, assignment_id: str) -> bool:
        return worker_sessions.find(session, assignment_id, provider=self.visit_provider()) is None

    def finish_elsewhere(self) -> None:
        """A finished session opened in another browser than its own (``CODE_TO_ITS_BROWSER``): a 409 page saying
        to use that browser, without the code."""
        self.set_status(409)
        self.finish(self.render_template("error.html", status=409, field="session", preview=False,
                                         kind="finished_elsewhere", worker_css=static_url(self, "worker.css")))

    def visit_state(self, session, hit_id: str) -> dict[str, Any]:
        """What a provider's visit adds to its state (read in the visit's transaction)."""
        return {}

    def admit(self, session, assignment_id: str, worker_id: str, hit_id: str) -> None:
        """Refuse a visit the provider does not take now (a closed link, a blocked participant), in the visit's
        transaction; every visit is taken here."""

    def _visit(self, session, assignment_id, worker_id, hit_id, project, token) -> dict[str, Any]:
        self.admit(session, assignment_id, worker_id, hit_id)
        extra = self.visit_state(session, hit_id)
        step = worker_sessions.visit(session, self.visit_provider(), assignment_id, worker_id, hit_id, project,
                                     token=token, tasks_per_session=self.wb.tasks_per_session,
                                     code_to_its_browser=self.CODE_TO_ITS_BROWSER)
        if step.elsewhere:
            return {**extra, "token": None, "elsewhere": True}
        if step.code:
            return {**extra, "token": step.token, "code": step.code, "no_task": step.no_task}
        return {**extra, "token": step.token, "bundle": self.page_bundle(session, step.next_task_id),
                "progress": {"done": step.done, "total": step.total}}


def entry_route_of(provider: str) -> type[LoginHandler] | None:
    """The route that alone admits ``provider``'s participants (``LoginHandler.OWNS``), if one does: on such a
    server neither the plain login nor MTurk's annotate page may start or serve a participant's work."""
    return next((h for h in LoginHandler.__subclasses__() if h.OWNS and h.OWNS == provider), None)


default_handlers = [
    (f"/workbench/annotate/(?P<task_id>{ID})", AnnotateHandler),
    (r"/workbench/login", LoginHandler),
]
