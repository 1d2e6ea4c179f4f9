"""Tornado handlers: Prolific's /api/v1/, the participant's pages and the /_sim/ admin surface."""
from __future__ import annotations

import html
import json
import logging

from tornado import web

from .backend import BARE_ERROR_OPERATIONS, resolve
from .errors import ApiError
from .participants import Refused

log = logging.getLogger("workbench.devtools.prolific_sim")
SESSION_COOKIE = "prolific_sim_session"


class _Base(web.RequestHandler):
    def check_xsrf_cookie(self):
        pass

    @property
    def sim(self):
        return self.settings["sim"]

    def send_json(self, payload, status: int = 200, headers: dict | None = None) -> None:
        self.set_status(status)
        for k, v in (headers or {}).items():
            self.set_header(k, v)
        if status == 204:
            return self.finish()
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def page(self, title: str, text: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
                    f"<p>{html.escape(text)}</p>")


class ApiHandler(_Base):
    """Everything under /api/v1/: token check, route, JSON body, Prolific's Error shape."""

    SUPPORTED_METHODS = ("GET", "POST", "PATCH", "DELETE")

    def _serve(self, path: str) -> None:
        backend, spec_path = self.sim.backend, None
        try:
            handler, params, spec_path = resolve(self.request.method, path)
            auth = self.request.headers.get("Authorization", "")
            scheme, _, token = auth.partition(" ")
            if scheme != "Token" or not token.strip():
                raise ApiError(401, "Authentication credentials were not provided.",
                               "Authentication failed")
            backend.call_count[(self.request.method, spec_path)] += 1
            body = self._body()
            query = {k: self.get_query_argument(k) for k in self.request.query_arguments}
            status, payload, *headers = handler(backend, params, query, body)
        except ApiError as exc:
            body = exc.body()
            if (self.request.method, spec_path) in BARE_ERROR_OPERATIONS:
                body = body["error"]
            return self.send_json(body, exc.status)
        except Exception:  # a bug of the simulator still answers in Prolific's shape
            log.exception("prolific-sim failure on %s %s", self.request.method, path)
            return self.send_json(ApiError(500, "Internal error.", "Server error").body(), 500)
        if status == 200 and payload is None:  # a DELETE the spec answers with an empty 200
            self.set_status(200)
            return self.finish()
        self.send_json(payload, status, headers[0] if headers else None)

    def _body(self) -> dict:
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError:
            raise ApiError(400, "JSON parse error - the request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    get = post = patch = delete = _serve


class StartHandler(_Base):
    """/_sim/participants/{pid}/start?study_id=S: what following a study's link on Prolific does."""

    def get(self, pid):
        try:
            sub, url = self.sim.backend.start(pid, self.get_query_argument("study_id", ""))
        except Refused as exc:
            return self.page("Not available", str(exc), exc.status)
        self.set_cookie(SESSION_COOKIE, sub["id"], path="/")
        self.redirect(url, status=302)


class ReturnHandler(_Base):
    def get(self, pid):
        try:
            sub = self.sim.backend.give_back(pid, self.get_query_argument("study_id", ""))
        except Refused as exc:
            return self.page("Cannot return", str(exc), exc.status)
        self.clear_cookie(SESSION_COOKIE, path="/")
        self.page("Study returned", f"Submission {sub['id']} was returned.")

    post = get


class CompleteHandler(_Base):
    """/submissions/complete?cc=CODE: the completion URL of app.prolific.com."""

    def get(self):
        sub_id = self.get_query_argument("session_id", None) or self.get_cookie(SESSION_COOKIE)
        try:
            sub = self.sim.backend.complete(sub_id, self.get_query_argument("cc", ""))
        except (Refused, ApiError) as exc:
            return self.page("Invalid completion", str(exc), getattr(exc, "status", 400))
        self.clear_cookie(SESSION_COOKIE, path="/")
        self.page("Submission complete", f"Thank you. Your submission {sub['id']} has been recorded.")


class AdminHandler(_Base):
    """/_sim/status and /_sim/clock/advance, for a simulator in another process."""

    def get(self, action):
        if action == "status":
            return self.send_json(self.sim.status())
        if action == "operations":
            return self.send_json({"operations": [list(op) for op in self.sim.operations]})
        if action == "clock":
            return self.send_json({"now": self.sim.clock.now()})
        raise web.HTTPError(404)

    def post(self, action):
        try:
            body = json.loads(self.request.body or b"{}")
            if action == "clock/advance":
                return self.send_json({"now": self.sim.advance(float(body.get("seconds", 0)))})
        except (ValueError, TypeError, AttributeError) as exc:
            return self.send_json({"error": f"bad request: {exc}"}, 400)
        raise web.HTTPError(404)


def make_app(sim) -> web.Application:
    return web.Application([
        (r"/api/v1/(.*)", ApiHandler),
        (r"/_sim/participants/([^/]+)/start", StartHandler),
        (r"/_sim/participants/([^/]+)/return", ReturnHandler),
        (r"/submissions/complete/?", CompleteHandler),
        (r"/_sim/(status|operations|clock|clock/advance)", AdminHandler),
    ], sim=sim, log_function=lambda handler: log.debug(
        "%d %s", handler.get_status(), handler._request_summary()))
