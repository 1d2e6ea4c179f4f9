"""A link-out panel's public route: the entry URL the panel sends its participants to.

``GET /workbench/link/entry?link=<id>&<id_param>=<participant>`` is the URL the provider prints for
a link (``LinkOutProvider.entry_url``): the link-out visit of ``worker.LoginHandler`` with a panel's
names. The participant id comes under the query name the link was made with (``id_param``, such as
``participant_id``); the session (the assignment) id is derived from (link, participant), so a
second visit resumes the first. The link is checked in the visit's transaction: an unknown link is a
404, a closed, paused, full or deleted one a 410 "closed" page for a new participant, a blocked or
excluded participant a 403; each names its field (``link`` or the id parameter) and shows no
traceback. The visit ends with the session's completion code on the page, or with a 302 to the link's
redirect template, ``{code}``, ``{participant}`` and ``{link}`` filled in URL-encoded. The participant id
is the only credential (a SONA id is short), so a finished session's code (page or redirect) goes only
to the browser holding its cookie (``CODE_TO_ITS_BROWSER``); another gets a 409 page saying to use that
browser, and the session's token stays where it was. An unfinished session still resumes in a new browser, which takes it over.

The server takes the workers of one provider (``WorkbenchApp.provider``); this route answers 404
unless it is ``link-out``, as the Prolific entry does unless it is ``prolific``. On a link-out server the
plain ``/workbench/login`` answers 404 (``LoginHandler.OWNS``): it would start sessions on a link without
the checks above.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated

from workbench.crowd import providers
from workbench.errors import NotFoundError, ValidationError

from .worker import LoginHandler

PROVIDER = "link-out"


class LinkOutEntryHandler(LoginHandler):
    """``/workbench/link/entry``: a link-out panel's participant, ending at a code page or the panel's URL."""

    PATH = "workbench/link/entry"
    OWNS = PROVIDER
    BACK_TO = "the panel's page for this study"
    CODE_TO_ITS_BROWSER = True

    def visit_provider(self) -> str:
        return PROVIDER

    @cached_property
    def provider(self) -> Any:
        """The link-out provider on this server's store (nothing remote: made once per request)."""
        # It records nothing the panel pays from: production needs no confirmation to admit a visit.
        return providers.get_provider(PROVIDER, store=self.wb.store, confirm_production=True)

    @allow_unauthenticated
    async def get(self) -> None:
        if self.wb.provider != PROVIDER:  # the submission route signs and checks the pages of one provider
            raise NotFoundError("link-out provider", self.wb.provider, hint="this server takes the workers of "
                                f"{self.wb.provider}; start it with WorkbenchApp.provider=link-out")
        provider = self.provider
        link = await self.read_store(provider.entry, self.raw_argument("link"))
        self.link, self.id_param = link["link"], link["id_param"]
        participant = self.raw_argument(self.id_param)
        await self.run_visit(provider.session_id(self.link, participant), participant, self.link, None)

    def raw_argument(self, name: str) -> str:
        """A query argument as it was sent: tornado's own reading turns control characters into spaces and
        strips them, which would let an id the core refuses through as another id."""
        values = self.request.query_arguments.get(name, [])
        if len(values) > 1:
            raise ValidationError(name, "must be given once")
        return self.decode_argument(values[0], name=name) if values else ""

    def admit(self, session, assignment_id: str, worker_id: str, hit_id: str) -> None:
        self.ending = self.provider.admit(session, hit_id, worker_id, assignment_id)

    def visit_state(self, session, hit_id: str) -> dict[str, Any]:
        return self.ending

    def next_query(self, assignment_id: str, worker_id: str, hit_id: str, project: str | None) -> dict[str, str]:
        return {"link": hit_id, self.id_param: worker_id}

    def finish_visit(self, state: dict[str, Any], worker_id: str) -> None:
        target = self.provider.completion_target(state, code=state["code"], participant=worker_id, link=self.link)
        if target is None:
            super().finish_visit(state, worker_id)
        else:
            self.redirect(target)


default_handlers = [
    (r"/workbench/link/entry", LinkOutEntryHandler),
]
