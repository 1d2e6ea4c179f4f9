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

from workbench.crowd import payments, providers, review, work
from workbench.errors import ValidationError

from ..api_models_mturk import BY_ACTION, MTurkBody, NewHITs, NewQualificationType, Reconciliation
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

    #: The body of a POST, read as its route's model (``api_models_mturk``); None for a GET.
    body: MTurkBody | None = None
    action: str = ""

    def initialize(self, action: str = "", **kwargs: Any) -> None:
        super().initialize(**kwargs)
        self.action = action

    def read(self, model: type[MTurkBody] | None = None) -> Any:
        """The body as ``model`` (by default the action's), kept for ``place``."""
        self.body = self.body_as(model or BY_ACTION[self.action], optional=True)
        return self.body

    def place(self) -> tuple[str, str]:
        """(environment, endpoint) of the request: ``environment`` (MTURK_ENVIRONMENT, else local)."""
        if self.request.method == "POST":
            body = self.body if self.body is not None else self.read()
            name, confirm = body.environment, body.confirm_production
        else:
            name = self.get_query_argument("environment", _ABSENT)
            if name is not _ABSENT and not name:  # "" is no environment
                raise ValidationError("environment", "must be local, sandbox or production")
            name = None if name is _ABSENT else name
            confirm = _flag("confirm_production", self.get_query_argument("confirm_production", "false"))
        return providers.place("mturk", name, confirm_production=confirm)

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
        """One page of ``items`` (asked for ``limit + 1`` to know whether there is a next), with the provider's
        name and words, which a client prints as its labels ("HIT", "assignment")."""
        provider = self.provider()
        self.send({"items": items[:limit], "limit": limit, "offset": offset,
                   "next_offset": offset + limit if len(items) > limit else None,
                   "provider": provider.name, "words": provider.words.to_dict()})


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
        body = self.read(NewHITs)
        offer = providers.WorkSpec.from_dict(body.spec)
        actor = self.current_user.username
        base_url = self.wb.public_base_url or None  # else WORKBENCH_PUBLIC_BASE_URL
        result = await self.act(lambda p: work.create(p, body.project, offer, body.task_ids, round=body.round,
                                                      batch_size=body.batch_size, base_url=base_url, actor=actor))
        self.send(result.to_dict(), 201)


class HITActionHandler(MTurkHandler):
    """POST /mturk/hits/{hit_id}/{extend|expire|associate}."""

    @web.authenticated
    @authorized
    async def post(self, hit_id: str) -> None:
        actor, body = self.current_user.username, self.read()
        if self.action == "extend":
            row = await self.act(lambda p: work.extend(p, hit_id, assignments=body.assignments, seconds=body.seconds,
                                                       actor=actor))
        elif self.action == "expire":
            row = await self.act(lambda p: work.expire(p, hit_id, actor=actor))
        else:
            row = await self.act(lambda p: work.associate(p, hit_id, body.project, body.task_id, actor=actor))
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
        actor, body = self.current_user.username, self.read()
        if self.action == "approve":
            row = await self.act(lambda p: review.approve(p, assignment_id, feedback=body.feedback,
                                                          override=body.override, actor=actor))
        elif self.action == "reject":
            row = await self.act(lambda p: review.reject(p, assignment_id, body.feedback, actor=actor))
        else:
            row = await self.act(lambda p: review.bonus(p, assignment_id, body.amount_cents, body.reason,
                                                        key=body.key, actor=actor))
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
        actor, body = self.current_user.username, self.read()
        if self.action == "block":
            row = await self.act(lambda p: review.block(p, worker_id, body.reason, actor=actor))
        else:
            row = await self.act(lambda p: review.unblock(p, worker_id, reason=body.reason, actor=actor))
        self.send(row.to_dict())


class QualificationTypesHandler(MTurkHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send({"items": await self.act(review.qualification_types)})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body, actor = self.read(NewQualificationType), self.current_user.username
        row = await self.act(lambda p: p.create_qualification(body.name, body.description, actor=actor))
        self.send(row.to_dict(), 201)


class QualificationActionHandler(MTurkHandler):
    """POST /mturk/qualification-types/{qualification_type_id}/{grant|revoke}."""

    @web.authenticated
    @authorized
    async def post(self, qualification_type_id: str) -> None:
        body, actor = self.read(), self.current_user.username
        if self.action == "grant":
            row = await self.act(lambda p: p.grant(qualification_type_id, body.worker_id, body.value, actor=actor))
        else:
            row = await self.act(lambda p: p.revoke(qualification_type_id, body.worker_id, reason=body.reason,
                                                    actor=actor))
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
        body, actor = self.read(Reconciliation), self.current_user.username
        report = await self.act(lambda p: payments.reconcile(p, project=body.project, actor=actor))
        self.send(report.to_dict())


class JobHandler(MTurkHandler):
    """POST /mturk/sync and /mturk/ingest: run now, answer with what was done."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        actor, body = self.current_user.username, self.read()
        if self.action == "sync":
            options = body.model_dump(include={"sweep", "max_unseen"}, exclude_unset=True)
            result = await self.act(lambda p: p.sync(method=body.method, actor=actor, **options))
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
