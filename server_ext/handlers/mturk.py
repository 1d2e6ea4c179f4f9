"""Researcher API for MTurk: HITs, assignments, review actions, workers, qualifications, balance, sync, ingest.

Each request names its environment (``environment``, default ``MTURK_ENVIRONMENT``, else
``local``); production also needs ``confirm_production: true``. Calls to MTurk and the
store run on the workbench's threads, never on the event loop. The provider (and its
boto3 client) is made once per store and environment.
"""

from __future__ import annotations

import threading
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.crowd import providers
from workbench.crowd import payments, review, work
from workbench.errors import ValidationError
from workbench.study.tasks import check_id, check_int

from .base import ApiHandler, route

_lock = threading.Lock()
_ABSENT = object()


def _flag(name: str, value: Any) -> bool:
    """A boolean: JSON's true or false in a body, the words true or false in a query."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValidationError(name, "must be true or false")


class MTurkHandler(ApiHandler):
    """Finds the environment and the provider of a request."""

    _body: dict[str, Any] | None = None
    action: str = ""

    def initialize(self, action: str = "", **kwargs: Any) -> None:
        super().initialize(**kwargs)
        self.action = action

    def body(self) -> dict[str, Any]:
        if self._body is None:
            self._body = self.json_object() if self.request.body else {}
        return self._body

    def option(self, name: str, default: Any = None) -> Any:
        if self.request.method in ("POST", "PUT", "PATCH"):
            return self.body().get(name, default)
        return self.get_query_argument(name, default)

    def place(self) -> tuple[str, str]:
        """(environment, endpoint) of the request: ``environment`` (MTURK_ENVIRONMENT, else local)."""
        name = self.option("environment", _ABSENT)
        if name is not _ABSENT and (not isinstance(name, str) or not name):  # null and "" are no environment
            raise ValidationError("environment", "must be local, sandbox or production")
        return providers.place("mturk", None if name is _ABSENT else name,
                               confirm_production=_flag("confirm_production", self.option("confirm_production", False)))

    def environment(self) -> str:
        return self.place()[0]

    def provider(self):
        key = self.place()
        env = key[0]
        # Kept on the app, so that a provider lives and dies with the store it records into.
        cache = self.wb.__dict__.setdefault("_mturk_providers", {})
        with _lock:
            if key not in cache:
                cache[key] = providers.get_provider("mturk", env, store=self.wb.store, confirm_production=True)
            return cache[key]

    async def act(self, fn, *args, **kwargs) -> Any:
        """Run ``fn(provider, ...)`` off the event loop."""
        provider = self.provider()
        return await self.wb.run(fn, provider, *args, **kwargs)

    def send_page(self, items: list[Any], limit: int, offset: int) -> None:
        """One page of ``items`` (asked for ``limit + 1`` to know whether there is a next)."""
        self.send({"items": items[:limit], "limit": limit, "offset": offset,
                   "next_offset": offset + limit if len(items) > limit else None})

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.body().get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise ValidationError(name, "is required" if required else "must be a string")
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        return check_int(name, self.body().get(name, default))


class HITsHandler(MTurkHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        limit, offset = self.page()
        filters = {"project": self.get_query_argument("project", None), "status": self.get_query_argument("status", None)}
        items = await self.act(lambda p: work.list_(p, limit=limit + 1, offset=offset, **filters))
        self.send_page(items, limit, offset)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        project = self.text("project")
        task_ids = body.get("task_ids")
        if task_ids is not None and (not isinstance(task_ids, list) or not task_ids):
            raise ValidationError("task_ids", "must be a non-empty list of task ids (null entries: one link-out "
                                              "HIT; absent: every pending task not yet on a HIT)")
        for index, task_id in enumerate(task_ids or []):
            if task_id is not None:
                check_id(f"task_ids[{index}]", task_id)
        spec = body.get("spec")
        if not isinstance(spec, dict):
            raise ValidationError("spec", "must be an object with title, description, reward_cents, …")
        offer = providers.WorkSpec.from_dict(spec)
        round_, batch = self.integer("round", 0), self.integer("batch_size", 50)
        actor = self.current_user.username
        base_url = self.wb.public_base_url or None  # else WORKBENCH_PUBLIC_BASE_URL
        result = await self.act(lambda p: work.create(p, project, offer, task_ids, round=round_, batch_size=batch,
                                                      base_url=base_url, actor=actor))
        self.send(result.to_dict(), 201)


class HITActionHandler(MTurkHandler):
    """POST /mturk/hits/{hit_id}/{extend|expire|associate}."""

    @web.authenticated
    @authorized
    async def post(self, hit_id: str) -> None:
        actor = self.current_user.username
        if self.action == "extend":
            assignments, seconds = self.integer("assignments", 0), self.integer("seconds", 0)
            row = await self.act(lambda p: work.extend(p, hit_id, assignments=assignments, seconds=seconds,
                                                       actor=actor))
        elif self.action == "expire":
            row = await self.act(lambda p: work.expire(p, hit_id, actor=actor))
        else:
            project = self.text("project")
            task_id = self.body().get("task_id")
            if task_id is not None:
                check_id("task_id", task_id)
            row = await self.act(lambda p: work.associate(p, hit_id, project, task_id, actor=actor))
        self.send(row.to_dict())


class AssignmentsHandler(MTurkHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        limit, offset = self.page()
        filters = {k: self.get_query_argument(k, None) for k in ("status", "hit_id", "worker_id", "project")}
        items = await self.act(lambda p: review.assignments(p, limit=limit + 1, offset=offset, **filters))
        self.send_page(items, limit, offset)


class ReviewHandler(MTurkHandler):
    """POST /mturk/assignments/{assignment_id}/{approve|reject|bonus}."""

    @web.authenticated
    @authorized
    async def post(self, assignment_id: str) -> None:
        actor = self.current_user.username
        if self.action == "approve":
            feedback, override = self.text("feedback", required=False), _flag("override", self.body().get("override", False))
            row = await self.act(lambda p: review.approve(p, assignment_id, feedback=feedback, override=override,
                                                          actor=actor))
        elif self.action == "reject":
            feedback = self.text("feedback")
            row = await self.act(lambda p: review.reject(p, assignment_id, feedback, actor=actor))
        else:
            amount, reason, key = self.integer("amount_cents"), self.text("reason"), self.body().get("key")
            row = await self.act(lambda p: review.bonus(p, assignment_id, amount, reason, key=key, actor=actor))
        self.send(row.to_dict())


class WorkersHandler(MTurkHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        limit, offset = self.page()
        project = self.get_query_argument("project", None)
        blocked = self.get_query_argument("blocked", None)
        flag = None if blocked is None else _flag("blocked", blocked)
        items = await self.act(lambda p: review.workers(p, project=project, blocked=flag, limit=limit + 1,
                                                        offset=offset))
        self.send_page(items, limit, offset)


class WorkerHandler(MTurkHandler):
    @web.authenticated
    @authorized
    async def get(self, worker_id: str) -> None:
        self.send(await self.act(review.worker, worker_id))


class WorkerActionHandler(MTurkHandler):
    """POST /mturk/workers/{worker_id}/{block|unblock}."""

    @web.authenticated
    @authorized
    async def post(self, worker_id: str) -> None:
        actor = self.current_user.username
        if self.action == "block":
            reason = self.text("reason")
            row = await self.act(lambda p: review.block(p, worker_id, reason, actor=actor))
        else:
            reason = self.text("reason", required=False)
            row = await self.act(lambda p: review.unblock(p, worker_id, reason=reason, actor=actor))
        self.send(row.to_dict())


class QualificationTypesHandler(MTurkHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send({"items": await self.act(review.qualification_types)})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        name, description = self.text("name"), self.text("description")
        actor = self.current_user.username
        row = await self.act(lambda p: p.create_qualification(name, description, actor=actor))
        self.send(row.to_dict(), 201)


class QualificationActionHandler(MTurkHandler):
    """POST /mturk/qualification-types/{qualification_type_id}/{grant|revoke}."""

    @web.authenticated
    @authorized
    async def post(self, qualification_type_id: str) -> None:
        worker_id, actor = self.text("worker_id"), self.current_user.username
        if self.action == "grant":
            value = self.integer("value", 1)
            row = await self.act(lambda p: p.grant(qualification_type_id, worker_id, value, actor=actor))
        else:
            reason = self.text("reason", required=False)
            row = await self.act(lambda p: p.revoke(qualification_type_id, worker_id, reason=reason, actor=actor))
        self.send(row.to_dict())


class BalanceHandler(MTurkHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        env, project = self.environment(), self.get_query_argument("project", None)
        cost = await self.act(lambda p: p.cost(project=project))
        balance = await self.act(lambda p: p.balance())
        self.send({"environment": env, "balance_cents": balance, "cost": cost})


class PaymentsHandler(MTurkHandler):
    """GET /mturk/payments: the ledger, newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        limit, _ = self.page()
        filters = {k: self.get_query_argument(k, None) for k in ("assignment_id", "worker_id")}
        self.send({"items": await self.act(lambda p: payments.ledger(p, limit=limit, **filters)), "limit": limit})


class ReconcilePaymentsHandler(MTurkHandler):
    """POST /mturk/payments/reconcile: the ledger against MTurk's ListBonusPayments."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        project, actor = self.body().get("project"), self.current_user.username
        if project is not None and not isinstance(project, str):
            raise ValidationError("project", "must be a project slug")
        report = await self.act(lambda p: payments.reconcile(p, project=project, actor=actor))
        self.send(report.to_dict())


class JobHandler(MTurkHandler):
    """POST /mturk/sync and /mturk/ingest: run now, answer with what was done."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        actor = self.current_user.username
        if self.action == "sync":
            method = self.body().get("method", "reviewable")
            options = {name: self.integer(name) for name in ("sweep", "max_unseen") if name in self.body()}
            result = await self.act(lambda p: p.sync(method=method, actor=actor, **options))
        else:
            result = await self.act(lambda p: p.ingest(actor=actor))
        self.send(result.to_dict())


ID = r"[A-Za-z0-9_.-]{1,128}"
default_handlers = [
    (route("/mturk/hits"), HITsHandler),
    *[(route(rf"/mturk/hits/(?P<hit_id>{ID})/{a}"), HITActionHandler, {"action": a})
      for a in ("extend", "expire", "associate")],
    (route("/mturk/assignments"), AssignmentsHandler),
    *[(route(rf"/mturk/assignments/(?P<assignment_id>{ID})/{a}"), ReviewHandler, {"action": a})
      for a in ("approve", "reject", "bonus")],
    (route("/mturk/workers"), WorkersHandler),
    (route(rf"/mturk/workers/(?P<worker_id>{ID})"), WorkerHandler),
    *[(route(rf"/mturk/workers/(?P<worker_id>{ID})/{a}"), WorkerActionHandler, {"action": a})
      for a in ("block", "unblock")],
    (route("/mturk/qualification-types"), QualificationTypesHandler),
    *[(route(rf"/mturk/qualification-types/(?P<qualification_type_id>{ID})/{a}"), QualificationActionHandler,
       {"action": a}) for a in ("grant", "revoke")],
    (route("/mturk/balance"), BalanceHandler),
    (route("/mturk/payments"), PaymentsHandler),
    (route("/mturk/payments/reconcile"), ReconcilePaymentsHandler),
    *[(route(f"/mturk/{job}"), JobHandler, {"action": job}) for job in ("sync", "ingest")],
]
