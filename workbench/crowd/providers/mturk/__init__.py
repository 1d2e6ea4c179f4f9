"""Amazon Mechanical Turk as a crowd provider, over boto3 (or the local simulator).

``MTurkProvider`` implements ``CrowdProvider`` by delegating to one module per seam:
``client`` (endpoint, credentials, retries), ``questions``, ``qualifications``, ``hits``,
``sync``, ``ingest``, ``reconcile``, ``review`` and ``costs``.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..base import CreateResult, CrowdProvider, IngestResult, Progress, SyncResult, WorkSpec
from . import client as _client
from . import costs, hits, ingest, qualifications, questions, reconcile, review, sync


class MTurkProvider(CrowdProvider):
    """MTurk in one environment (local, sandbox or production), recording into one Store."""

    name = "mturk"
    fees = costs
    #: MTurk enforces the WorkSpec's locale, approval-rate, approved-count and Masters requirements itself.
    capabilities = frozenset({"qualification_requirements", "sync_methods", "framed_pages"})
    #: The answer field a link-out assignment's completion code comes in.
    code_field = questions.CODE_FIELD

    def __init__(self, store, *, environment: str | None = None, client: Any = None,
                 confirm_production: bool = False, **client_options: Any) -> None:
        self.store = store
        self.environment = _client.environment(environment)
        _client.check_production(self.environment, confirm_production)
        self.client = client or _client.make_client(self.environment, confirm_production=confirm_production,
                                                    **client_options)

    def __repr__(self) -> str:
        return f"<MTurkProvider {self.environment} {self.client.meta.endpoint_url}>"

    # -- work ---------------------------------------------------------------------
    def create_work(self, project, task_ids, spec: WorkSpec, *, round: int = 0, batch_size: int = 50,
                    progress: Progress | None = None, actor: str = "", **options) -> CreateResult:
        return hits.create_for_tasks(self, project, task_ids, spec, round=round, batch_size=batch_size,
                                     progress=progress, actor=actor, **options)

    def extend(self, hit_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = ""):
        return hits.extend(self, hit_id, assignments=assignments, seconds=seconds, actor=actor)

    def expire(self, hit_id: str, *, actor: str = ""):
        return hits.expire(self, hit_id, actor=actor)

    def delete(self, hit_id: str, *, actor: str = ""):
        return hits.delete(self, hit_id, actor=actor)

    def associate(self, hit_id: str, project, task_id: int | None = None, *, actor: str = ""):
        return hits.associate(self, hit_id, project, task_id, actor=actor)

    # -- data ---------------------------------------------------------------------
    def sync(self, *, actor: str = "", **options) -> SyncResult:
        return sync.sync(self, actor=actor, **options)

    def ingest(self, *, chunk_size: int = 500, actor: str = "", **options) -> IngestResult:
        return ingest.ingest(self, chunk_size=chunk_size, actor=actor, **options)

    def reconcile(self, *, project=None, recover: bool = False, actor: str = ""):
        return reconcile.reconcile(self, project=project, recover=recover, actor=actor)

    # -- review -------------------------------------------------------------------
    def approve(self, assignment_id: str, *, feedback: str = "", override: bool = False, actor: str = ""):
        return review.approve(self, assignment_id, feedback=feedback, override=override, actor=actor)

    def reject(self, assignment_id: str, feedback: str, *, actor: str = ""):
        return review.reject(self, assignment_id, feedback, actor=actor)

    def send_bonus(self, worker_id: str, assignment_id: str, amount_cents: int, reason: str, token: str) -> bool:
        return review.send_bonus(self, worker_id, assignment_id, amount_cents, reason, token)

    def bonus_payments(self, *, assignment_id: str | None = None, hit_id: str | None = None) -> list[dict]:
        return review.bonus_payments(self, assignment_id=assignment_id, hit_id=hit_id)

    def block(self, worker_id: str, reason: str, *, actor: str = ""):
        return review.block(self, worker_id, reason, actor=actor)

    def unblock(self, worker_id: str, *, reason: str = "", actor: str = ""):
        return review.unblock(self, worker_id, reason=reason, actor=actor)

    def create_qualification(self, name: str, description: str, *, actor: str = "", **options):
        return qualifications.create_type(self, name, description, actor=actor, **options)

    def grant(self, qualification_type_id: str, worker_id: str, value: int = 1, *, actor: str = ""):
        return qualifications.grant(self, qualification_type_id, worker_id, value, actor=actor)

    def revoke(self, qualification_type_id: str, worker_id: str, *, reason: str = "", actor: str = ""):
        return qualifications.revoke(self, qualification_type_id, worker_id, reason=reason, actor=actor)

    def notify(self, worker_ids: Sequence[str], subject: str, message: str, *, actor: str = ""):
        return review.notify(self, worker_ids, subject, message, actor=actor)

    def balance(self) -> int:
        return review.balance(self)


__all__ = ["MTurkProvider"]
