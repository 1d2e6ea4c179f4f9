"""``POST /workbench/api/submissions``: where both worker modes send a result.

Order of refusals: a body over the size limit (413) before anything is parsed, then the
per-IP rate (429), then malformed JSON or fields (400), then the page token (403), then the
per-worker rate (429), then the core's checks (schema 400, missing task 404, link-out session 403).

No cookie is needed: the worker page is framed cross-site by MTurk, and browsers that block
third-party cookies never send one back. The page's signed token (``X-Workbench-Token``,
bound to the task, assignment, worker and HIT) stands in for Jupyter's XSRF cookie: a
page on another site cannot read it, so it cannot make a worker's browser submit for it,
nor change the ids a page was given. (The annotate page is public, so the token proves which
page a submission comes from, not who the worker is: MTurk says that, at sync.) A link-out
visit, which is a top-level page, still proves its browser with its session cookie.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import allow_unauthenticated

from workbench import WorkbenchError
from workbench.crowd import submissions
from workbench.errors import ValidationError

from ..ratelimit import refuse_if_limited
from .base import ApiHandler, declared_length, route
from .worker import session_cookie


class PayloadTooLarge(WorkbenchError):
    status = 413
    code = "payload_too_large"


class SubmissionsHandler(ApiHandler):
    def check_xsrf_cookie(self) -> None:
        """The page token replaces the XSRF cookie here (see the module's docstring); ``post`` checks it."""

    async def prepare(self) -> None:
        await super().prepare()
        limit = self.wb.max_body_bytes
        try:
            declared = declared_length(self.request.headers) or 0
        except ValueError:
            raise ValidationError("Content-Length", "must be a number of bytes") from None
        if declared > limit or len(self.request.body or b"") > limit:
            raise PayloadTooLarge(f"the submission is larger than {limit} bytes", field="body", reason="too large")
        self._limit(self.wb.ip_limits, self.request.remote_ip or "", "ip")

    def _limit(self, buckets, key: str, what: str) -> None:
        refuse_if_limited(buckets, key, what, "submissions")

    @allow_unauthenticated
    async def post(self) -> None:
        submission = submissions.parse(self.json_body())
        submissions.check_page_token(submission, self.request.headers.get(submissions.TOKEN_HEADER),
                                     provider=self.wb.provider)
        self._limit(self.wb.worker_limits, submission["worker_id"], "worker")
        token = self.get_cookie(session_cookie(submission["assignment_id"]))
        status, stored = await self.wb.submission_writer.submit(submission, token)
        self.send_json_text(stored, status)


default_handlers = [
    (route("/submissions"), SubmissionsHandler),
]
