"""Researcher API for every crowd provider: work, assignments, review, workers, qualifications, money, sync, ingest.

``/workbench/api/{provider}/...`` with ``provider`` one of the registered providers (``mturk``,
``prolific``, ``link-out``): the same routes and bodies on each, answered in the provider's own
words (``words`` in every page: HIT or study or link, assignment or submission or session).
``/workbench/api/mturk/...`` is what it always was. What only some platforms can do (pause,
bulk approval, return requests, reconciliation, a payment sheet) is asked of the provider's
capabilities, never of its name: where it lacks one the answer is a 400 naming ``provider``
and what the platform cannot do, and ``GET /workbench/api/providers`` says beforehand.

Each request names its environment (``environment``, default the provider's setting, e.g.
``MTURK_ENVIRONMENT`` or ``PROLIFIC_ENVIRONMENT``, else ``local``); production also needs
``confirm_production: true``. Calls to the platform and the store run on the workbench's
threads, never on the event loop. A provider (and its client) is made once per store,
provider and environment.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.crowd import capabilities, payments, providers, review, work
from workbench.errors import ValidationError

from ..api_models_crowd import BY_ACTION, CrowdBody, NewHITs, NewQualificationType, Reconciliation
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


def shown(value: Any, id_field: str = "id") -> dict[str, Any]:
    """What a provider answered, as JSON: a store row as its ``to_dict``, a dict as it is, a bare id under
    ``id_field`` (providers answer in their own forms; the route answers an object in each)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value if isinstance(value, dict) else {id_field: value}


class CrowdHandler(ApiHandler):
    """Finds the provider, the environment and the provider object of a request."""

    #: The body of a POST, read as its route's model (``api_models_crowd``); None for a GET.
    body: CrowdBody | None = None
    action: str = ""
    #: The provider named by the path (``mturk``, ``prolific``, ``link-out``).
    platform: str = ""

    def initialize(self, action: str = "", **kwargs: Any) -> None:
        super().initialize(**kwargs)
        self.action = action

    async def prepare(self) -> None:
        # The provider is the path's first part; the methods take only the resource's own ids.
        self.platform = self.path_kwargs.pop("provider")
        await super().prepare()

    def read(self, model: type[CrowdBody] | None = None) -> Any:
        """The body as ``model`` (by default the action's), kept for ``place``."""
        self.body = self.body_as(model or BY_ACTION[self.action], optional=True)
        return self.body

    def place(self) -> tuple[str, str]:
        """(environment, endpoint) of the request: ``environment`` (the provider's setting, else local)."""
        if self.request.method == "POST":
            body = self.body if self.body is not None else self.read()
            name, confirm = body.environment, body.confirm_production
        else:
            name = self.get_query_argument("environment", _ABSENT)
            if name is not _ABSENT and not name:  # "" is no environment
                known = providers.environments(self.platform)
                raise ValidationError("environment", f"must be one of {', '.join(known)}")
            name = None if name is _ABSENT else name
            confirm = _flag("confirm_production", self.get_query_argument("confirm_production", "false"))
        return providers.place(self.platform, name, confirm_production=confirm)

    def environment(self) -> str:
        return self.place()[0]

    def provider(self):
        key = (self.platform, *self.place())
        # Kept on the app, so that a provider lives and dies with the store it records into.
        cache = self.wb.__dict__.setdefault("_crowd_providers", {})
        with _lock:
            if key not in cache:
                cache[key] = providers.get_provider(self.platform, key[1], store=self.wb.store,
                                                    confirm_production=True)
            return cache[key]

    def able(self, capability: str):
        """The provider, if it can do ``capability``; else the 400 that says what its platform cannot do."""
        provider = self.provider()
        capabilities.require(provider, capability)
        return provider

    async def act(self, fn, *args, **kwargs) -> Any:
        """Run ``fn(provider, ...)`` off the event loop."""
        provider = self.provider()
        return await self.wb.run(fn, provider, *args, **kwargs)

    def send_page(self, items: list[Any], limit: int, offset: int) -> None:
        """One page of ``items`` (asked for ``limit + 1`` to know whether there is a next), with the provider's
        name and words, which a client prints as its labels ("HIT", "study", "assignment", "submission")."""
        provider = self.provider()
        self.send({"items": items[:limit], "limit": limit, "offset": offset,
                   "next_offset": offset + limit if len(items) > limit else None,
                   "provider": provider.name, "words": provider.words.to_dict()})


class HITsHandler(CrowdHandler):
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


class HITActionHandler(CrowdHandler):
    """POST /{provider}/hits/{hit_id}/{extend|expire|associate|pause|resume|stop}."""

    #: Actions only some platforms have: the capability each needs.
    NEEDS = {"pause": capabilities.PAUSE, "resume": capabilities.PAUSE, "stop": capabilities.PAUSE}

    @web.authenticated
    @authorized
    async def post(self, hit_id: str) -> None:
        actor, body = self.current_user.username, self.read()
        if self.action in self.NEEDS:
            self.able(self.NEEDS[self.action])
        if self.action == "extend":
            row = await self.act(lambda p: work.extend(p, hit_id, assignments=body.assignments, seconds=body.seconds,
                                                       actor=actor))
        elif self.action == "associate":
            row = await self.act(lambda p: work.associate(p, hit_id, body.project, body.task_id, actor=actor))
        else:  # stop is expire on a platform that can also pause
            do = {"pause": capabilities.pause, "resume": capabilities.resume}.get(self.action, work.expire)
            row = await self.act(lambda p: do(p, hit_id, actor=actor))
        self.send(shown(row))


class AssignmentsHandler(CrowdHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        limit, offset = self.page()
        filters = {k: self.get_query_argument(k, None) for k in ("status", "hit_id", "worker_id", "project")}
        items = await self.act(lambda p: review.assignments(p, limit=limit + 1, offset=offset, **filters))
        self.send_page(items, limit, offset)


class ReviewHandler(CrowdHandler):
    """POST /{provider}/assignments/{assignment_id}/{approve|reject|bonus|request-return}."""

    @web.authenticated
    @authorized
    async def post(self, assignment_id: str) -> None:
        actor, body = self.current_user.username, self.read()
        if self.action == "approve":
            row = await self.act(lambda p: review.approve(p, assignment_id, feedback=body.feedback,
                                                          override=body.override, actor=actor))
        elif self.action == "reject":
            row = await self.act(lambda p: review.reject(p, assignment_id, body.feedback, category=body.category,
                                                         actor=actor))
        elif self.action == "request-return":
            self.able(capabilities.REQUEST_RETURN)
            await self.act(lambda p: capabilities.request_return(p, assignment_id, body.reasons, actor=actor))
            # The platform's answer is its own; what was asked is the workbench's.
            self.send({"assignment_id": assignment_id, "return_requested": True, "reasons": body.reasons})
            return
        else:
            row = await self.act(lambda p: review.bonus(p, assignment_id, body.amount_cents, body.reason,
                                                        key=body.key, actor=actor))
        self.send(shown(row))


class BulkApproveHandler(CrowdHandler):
    """POST /{provider}/assignments/bulk-approve: one call per HIT; what was refused is listed, not raised."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        actor, body = self.current_user.username, self.read()
        self.able(capabilities.BULK_APPROVE)
        self.send(await self.act(lambda p: review.bulk_approve(p, body.assignment_ids, actor=actor)))


class WorkersHandler(CrowdHandler):
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


class WorkerHandler(CrowdHandler):
    @web.authenticated
    @authorized
    async def get(self, worker_id: str) -> None:
        self.send(await self.act(review.worker, worker_id))


class WorkerActionHandler(CrowdHandler):
    """POST /{provider}/workers/{worker_id}/{block|unblock}."""

    @web.authenticated
    @authorized
    async def post(self, worker_id: str) -> None:
        actor, body = self.current_user.username, self.read()
        if self.action == "block":
            row = await self.act(lambda p: review.block(p, worker_id, body.reason, actor=actor))
        else:
            row = await self.act(lambda p: review.unblock(p, worker_id, reason=body.reason, actor=actor))
        self.send(shown(row))


class QualificationTypesHandler(CrowdHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send({"items": await self.act(review.qualification_types)})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body, actor = self.read(NewQualificationType), self.current_user.username
        row = await self.act(lambda p: p.create_qualification(body.name, body.description, actor=actor))
        self.send(shown(row, "qualification_type_id"), 201)


class QualificationActionHandler(CrowdHandler):
    """POST /{provider}/qualification-types/{qualification_type_id}/{grant|revoke}."""

    @web.authenticated
    @authorized
    async def post(self, qualification_type_id: str) -> None:
        body, actor = self.read(), self.current_user.username
        if self.action == "grant":
            row = await self.act(lambda p: p.grant(qualification_type_id, body.worker_id, body.value, actor=actor))
        else:
            row = await self.act(lambda p: p.revoke(qualification_type_id, body.worker_id, reason=body.reason,
                                                    actor=actor))
        self.send(shown(row))


class BalanceHandler(CrowdHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        env, project = self.environment(), self.get_query_argument("project", None)
        cost = await self.act(lambda p: p.cost(project=project))
        balance = await self.act(lambda p: p.balance())
        self.send({"environment": env, "balance_cents": balance, "cost": cost})


class PaymentsHandler(CrowdHandler):
    """GET /{provider}/payments: the ledger, newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        limit, _ = self.page()
        filters = {k: self.get_query_argument(k, None) for k in ("assignment_id", "worker_id")}
        self.send({"items": await self.act(lambda p: payments.ledger(p, limit=limit, **filters)), "limit": limit})


class ReconcilePaymentsHandler(CrowdHandler):
    """POST /{provider}/payments/reconcile: the ledger against the platform's own list of payments."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body, actor = self.read(Reconciliation), self.current_user.username
        self.able(capabilities.RECONCILE)
        report = await self.act(lambda p: payments.reconcile(p, project=body.project, actor=actor))
        self.send(report.to_dict())


class PaymentSheetHandler(CrowdHandler):
    """POST /{provider}/payments/sheet: the payment sheet's rows, recorded as a payout batch (a platform paid from
    a sheet: link-out). A POST, for each answer is a batch: ``new_only`` then lists only what no batch covered."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body, user = self.read(), self.current_user.username
        self.able(capabilities.PAYMENT_SHEET)
        rows, summary = await self.act(lambda p: p.payout_batch(body.project, new_only=body.new_only,
                                                                where=f"REST answer to {user}"))
        self.send({**summary, "items": rows})


class JobHandler(CrowdHandler):
    """POST /{provider}/sync and /{provider}/ingest: run now, answer with what was done."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        actor, body = self.current_user.username, self.read()
        if self.action == "ingest":
            self.send((await self.act(lambda p: p.ingest(actor=actor))).to_dict())
            return
        options = body.model_dump(include={"method", "sweep", "max_unseen"}, exclude_none=True)
        chosen = sorted(set(options) & {"method", "max_unseen"})
        if chosen and not capabilities.has(self.provider(), capabilities.SYNC_METHODS):
            raise ValidationError(chosen[0], f"{self.provider().words.platform} cannot choose how to sync")
        result = await self.act(lambda p: p.sync(actor=actor, **options))
        self.send(result.to_dict())


ID = r"[A-Za-z0-9_.-]{1,128}"
#: The path's provider: any registered one.
PROVIDER = "(?P<provider>" + "|".join(re.escape(name) for name in providers.names()) + ")"


def _routes(path: str, handler: type, actions: tuple[str, ...] = ()) -> list[tuple]:
    """``path`` under every provider (with each of ``actions`` as its last part, when given)."""
    if not actions:
        return [(route(f"/{PROVIDER}{path}"), handler)]
    return [(route(f"/{PROVIDER}{path}/{action}"), handler, {"action": action}) for action in actions]


default_handlers = [
    *_routes("/hits", HITsHandler),
    *_routes(rf"/hits/(?P<hit_id>{ID})", HITActionHandler, ("extend", "expire", "associate", "pause", "resume", "stop")),
    *_routes("/assignments", AssignmentsHandler),
    *_routes("/assignments", BulkApproveHandler, ("bulk-approve",)),
    *_routes(rf"/assignments/(?P<assignment_id>{ID})", ReviewHandler, ("approve", "reject", "bonus", "request-return")),
    *_routes("/workers", WorkersHandler),
    *_routes(rf"/workers/(?P<worker_id>{ID})", WorkerHandler),
    *_routes(rf"/workers/(?P<worker_id>{ID})", WorkerActionHandler, ("block", "unblock")),
    *_routes("/qualification-types", QualificationTypesHandler),
    *_routes(rf"/qualification-types/(?P<qualification_type_id>{ID})", QualificationActionHandler,
             ("grant", "revoke")),
    *_routes("/balance", BalanceHandler),
    *_routes("/payments", PaymentsHandler),
    *_routes("/payments", ReconcilePaymentsHandler, ("reconcile",)),
    *_routes("/payments", PaymentSheetHandler, ("sheet",)),
    *_routes("", JobHandler, ("sync", "ingest")),
]
