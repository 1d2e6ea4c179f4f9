"""Tornado handlers: MTurk's json-1.1 endpoint, the worker form target and the /_sim/ admin surface."""
from __future__ import annotations

import asyncio
import json
import logging
import uuid

from tornado import web
from tornado.ioloop import IOLoop

from .errors import ServiceFault, SimError, Throttled, UnknownOperation
from .worker_side import SubmitRefused

TARGET_PREFIX = "MTurkRequesterServiceV20170117"
log = logging.getLogger("workbench.devtools.mturk_sim")


class _Base(web.RequestHandler):
    @property
    def sim(self):
        return self.settings["sim"]

    def json_body(self) -> dict:
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError:
            raise web.HTTPError(400, "body is not JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPError(400, "body must be a JSON object")
        return body

    def send_json(self, payload, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def write_error(self, status_code, **kwargs):
        self.send_json({"error": self._reason}, status_code)


class ApiHandler(_Base):
    """POST / with X-Amz-Target: the requester API, answered the way MTurk answers."""

    def check_xsrf_cookie(self):
        pass

    async def post(self):
        self.set_header("x-amzn-RequestId", str(uuid.uuid4()))
        prefix, _, operation = self.request.headers.get("X-Amz-Target", "").partition(".")
        backend, faults = self.sim.backend, self.sim.faults
        if prefix != TARGET_PREFIX or operation not in backend.operations:
            return self._fault(UnknownOperation(f"Operation {operation or '?'} is not supported."))
        backend.count(operation)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000.0)
        decision = faults.decide(operation)
        if decision == "throttle":
            backend.count("_throttled")
            return self._fault(Throttled())
        if decision == "fault":
            return self._fault(ServiceFault("Internal service fault (injected).",
                                            "AWS.MechanicalTurk.ServiceFault"))
        try:
            params = json.loads(self.request.body or b"{}")
            if not isinstance(params, dict):
                raise ValueError("not an object")
        except ValueError:
            return self._fault(_Serialization("Request body is not a JSON object."))
        try:
            result = backend.dispatch(operation, params)
        except SimError as exc:
            return self._fault(exc)
        except Exception:  # a bug of the simulator must still answer as MTurk would
            log.exception("simulator failure in %s", operation)
            return self._fault(ServiceFault("Internal service failure.",
                                            "AWS.MechanicalTurk.InternalServiceError"))
        if faults.lose_answer(operation):  # done, but the client never hears so (a dropped connection)
            return self._fault(ServiceFault("Internal service fault (injected after the call was carried out).",
                                            "AWS.MechanicalTurk.ServiceFault"))
        self._amz(200, result)

    def _fault(self, exc: SimError) -> None:
        self._amz(exc.status, exc.body())

    def _amz(self, status: int, payload: dict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/x-amz-json-1.1")
        self.finish(json.dumps(payload))


class _Serialization(SimError):
    type_name = "SerializationException"


class ExternalSubmitHandler(_Base):
    """/mturk/externalSubmit: where an ExternalQuestion page posts the worker's form."""

    def check_xsrf_cookie(self):
        pass

    def post(self):
        self._submit({k: self.get_argument(k) for k in self.request.arguments})

    def get(self):
        self._submit({k: self.get_query_argument(k) for k in self.request.query_arguments})

    def _submit(self, form: dict) -> None:
        self.sim.backend.count("_externalSubmit")
        assignment_id = form.pop("assignmentId", "")
        # "Any data submitted with a field name of hitId will be ignored, and will not appear
        # in the results data for the HIT" (API Reference, ExternalQuestion, The Form Action).
        form.pop("hitId", None)
        if self.sim.faults.drop_external_submit:
            self.sim.backend.count("_externalSubmit_dropped")
            return self._done(assignment_id)
        try:
            self.sim.backend.submit(assignment_id, form)
        except SubmitRefused as exc:
            return self.send_json({"error": exc.message, "code": exc.turk_code}, exc.status)
        self._done(assignment_id)

    def _done(self, assignment_id: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish("<!doctype html><title>HIT submitted</title>"
                    "<p>Your HIT has been submitted. Thank you.</p>")


class AdminHandler(_Base):
    """The /_sim/ control surface: JSON in, JSON out, for a simulator in another process."""

    def check_xsrf_cookie(self):
        pass

    def get(self, action):
        sim = self.sim
        if action == "status":
            return self.send_json(sim.status())
        if action == "operations":
            return self.send_json({"operations": list(sim.backend.operations)})
        if action == "clock":
            return self.send_json({"now": sim.clock.now()})
        if action == "faults":
            return self.send_json(sim.faults.as_dict())
        if action == "calls":
            return self.send_json(sim.call_count)
        if action == "hits":
            hits = sim.backend.assignable_hits(int(self.get_argument("limit", "10000")),
                                               self.get_argument("hit_type_id", None))
            return self.send_json({"HITs": hits})
        raise web.HTTPError(404)

    async def post(self, action):
        sim, body = self.sim, self.json_body()
        try:
            if action == "clock/advance":
                return self.send_json({"now": sim.clock.advance(float(body.get("seconds", 0)))})
            if action == "faults":
                return self.send_json(sim.faults.update(**body).as_dict())
            if action == "calls/reset":
                sim.reset_call_count()
                return self.send_json({})
            if action == "accept":
                return self.send_json(sim.backend.accept(body["hit_id"], body["worker_id"]))
            if action == "return":
                sim.backend.return_assignment(body["assignment_id"])
                return self.send_json({})
            if action == "submit":
                answers = {k: v if isinstance(v, str) else json.dumps(v)
                           for k, v in body.get("answers", {}).items()}
                return self.send_json(sim.backend.submit(body["assignment_id"], answers))
            if action == "balance":
                sim.set_balance(str(body["balance"]))
                return self.send_json(sim.backend.GetAccountBalance({}))
            if action == "seed/hits":
                ids = await IOLoop.current().run_in_executor(None, lambda: sim.seed_hits(**body))
                return self.send_json({"HITIds": ids})
            if action == "seed/submissions":
                ids = await IOLoop.current().run_in_executor(
                    None, lambda: sim.seed_submissions(**body))
                return self.send_json({"AssignmentIds": ids})
            if action == "workers/run":
                # Workers call back into this server, so they must not run on its loop.
                outcomes = await IOLoop.current().run_in_executor(
                    None, lambda: sim.run_workers(**body))
                return self.send_json({"outcomes": [o.as_dict() for o in outcomes]})
        except SubmitRefused as exc:
            return self.send_json({"error": exc.message, "code": exc.turk_code}, exc.status)
        except SimError as exc:
            return self.send_json({"error": exc.message, "code": exc.turk_code}, 400)
        except (KeyError, TypeError, ValueError) as exc:
            return self.send_json({"error": f"bad request: {exc!r}"}, 400)
        raise web.HTTPError(404)


def make_app(sim) -> web.Application:
    """The simulator's tornado application; `sim` is a Simulator (backend, faults, clock...)."""
    return web.Application([
        (r"/", ApiHandler),
        (r"/mturk/externalSubmit", ExternalSubmitHandler),
        (r"/_sim/(.+)", AdminHandler),
    ], sim=sim, log_function=_log_request)


def _log_request(handler) -> None:
    # Refusals are the simulator's normal answers; keep them out of warning logs.
    log.debug("%d %s %.1fms", handler.get_status(), handler._request_summary(),
              1000.0 * handler.request.request_time())
