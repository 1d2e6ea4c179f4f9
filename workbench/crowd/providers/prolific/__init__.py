"""Prolific as a crowd provider, over its researcher API (or the local simulator).

``ProlificProvider`` implements ``CrowdProvider`` by delegating to one module per seam: ``client``
(endpoint, token, errors, retries), ``studies`` (a study per project and round), ``sync`` (submissions
into assignments; ``apply_event`` for hooks; ingest), ``review`` (approve, reject, returns, bonuses,
balance), ``groups`` (block list, allow lists, messages) and ``costs``. Prolific is always link-out: the
study URL is the workbench's entry route and the participant's tasks are handed out at login.
"""

from __future__ import annotations

from typing import Any, Sequence

from workbench import config
from workbench.errors import ValidationError
from ..base import PROLIFIC_WORDS, CreateResult, CrowdProvider, IngestResult, Progress, SyncResult, WorkSpec
from . import client as _client
from . import costs, groups, hooks_setup, review, studies, sync


class ProlificProvider(CrowdProvider):
    """Prolific in one environment (local or production), recording into one Store."""

    name = "prolific"
    words = PROLIFIC_WORDS
    fees = costs
    rejection_categories = review.REJECTION_CATEGORIES
    limits = {"bonus_reason": 4096, "feedback": 4096, "block_reason": 1024}

    def __init__(self, store, *, environment: str | None = None, client: Any = None, confirm_production: bool = False,
                 public_base_url: str | None = None, **client_options: Any) -> None:
        self.store = store
        self.environment = _client.environment(environment)
        _client.check_production(self.environment, confirm_production)
        self.client = client or _client.Client(self.environment, confirm_production=confirm_production,
                                               **client_options)
        self.public_base_url = public_base_url or config.public_base_url() or None
        self._blocklist: str | None = None

    def __repr__(self) -> str:
        return f"<ProlificProvider {self.environment} {self.client.base_url}>"

    def block_group(self, *, create: bool = True) -> str | None:
        return groups.block_group(self, create=create)

    # -- work ---------------------------------------------------------------------
    def create_work(self, project, task_ids, spec: WorkSpec, *, round: int = 0, batch_size: int = 50,
                    progress: Progress | None = None, actor: str = "", **options) -> CreateResult:
        result = studies.create_work(self, project, task_ids, spec, round=round, actor=actor, **options)
        if progress is not None:
            progress(len(list(task_ids)))
        return result

    def extend(self, hit_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = ""):
        return studies.extend(self, hit_id, assignments=assignments, seconds=seconds, actor=actor)

    def expire(self, hit_id: str, *, actor: str = ""):
        return studies.transition(self, hit_id, "STOP", "prolific.study.stopped", actor)

    def pause(self, hit_id: str, *, actor: str = ""):
        return studies.transition(self, hit_id, "PAUSE", "prolific.study.paused", actor)

    def resume(self, hit_id: str, *, actor: str = ""):
        return studies.transition(self, hit_id, "START", "prolific.study.resumed", actor)

    def delete(self, hit_id: str, *, actor: str = ""):
        return studies.delete(self, hit_id, actor=actor)

    def associate(self, hit_id: str, project, task_id: int | None = None, *, actor: str = ""):
        raise ValidationError("hit_id", "adopting a study made elsewhere is not supported for Prolific yet",
                              hint="create the study with create_work so that it carries the workbench's URL and codes")

    # -- data ---------------------------------------------------------------------
    def sync(self, *, actor: str = "", **options) -> SyncResult:
        return sync.sync(self, actor=actor, **options)

    def apply_event(self, resource_id: str, event_type: str, *, actor: str = "hook") -> SyncResult:
        return sync.apply_event(self, resource_id, event_type, actor=actor)

    def setup_hooks(self, *, base_url: str | None = None, rotate: bool = False, actor: str = "") -> hooks_setup.HookSetup:
        """Subscribe the workbench's hook route to Prolific's status events (``hooks_setup.setup``)."""
        return hooks_setup.setup(self, base_url=base_url, rotate=rotate, actor=actor)

    def ingest(self, *, chunk_size: int = 500, actor: str = "", **options) -> IngestResult:
        return sync.ingest(self, chunk_size=chunk_size, actor=actor, **options)

    # -- review -------------------------------------------------------------------
    def approve(self, assignment_id: str, *, feedback: str = "", override: bool = False, actor: str = ""):
        return review.approve(self, assignment_id, feedback=feedback, override=override, actor=actor)

    def reject(self, assignment_id: str, feedback: str, *, category: str = "OTHER", actor: str = ""):
        return review.reject(self, assignment_id, feedback, category=category, actor=actor)

    def bulk_approve(self, assignment_ids: Sequence[str], *, actor: str = "") -> int:
        return review.bulk_approve(self, assignment_ids, actor=actor)

    def request_return(self, assignment_id: str, reasons: Sequence[str], *, actor: str = ""):
        return review.request_return(self, assignment_id, reasons, actor=actor)

    def send_bonus(self, worker_id: str, assignment_id: str, amount_cents: int, reason: str, token: str) -> bool:
        return review.send_bonus(self, worker_id, assignment_id, amount_cents, reason, token)

    def bonus_payments(self, *, assignment_id: str | None = None, hit_id: str | None = None) -> list[dict]:
        return review.bonus_payments(self, assignment_id=assignment_id, hit_id=hit_id)

    def block(self, worker_id: str, reason: str, *, actor: str = ""):
        return groups.block(self, worker_id, reason, actor=actor)

    def unblock(self, worker_id: str, *, reason: str = "", actor: str = ""):
        return groups.unblock(self, worker_id, reason=reason, actor=actor)

    def create_qualification(self, name: str, description: str, *, actor: str = "", **options):
        return groups.create_qualification(self, name, description, actor=actor)

    def grant(self, qualification_type_id: str, worker_id: str, value: int = 1, *, actor: str = ""):
        return groups.grant(self, qualification_type_id, worker_id, value, actor=actor)

    def revoke(self, qualification_type_id: str, worker_id: str, *, reason: str = "", actor: str = ""):
        return groups.revoke(self, qualification_type_id, worker_id, reason=reason, actor=actor)

    def notify(self, worker_ids: Sequence[str], subject: str, message: str, *, actor: str = ""):
        return groups.notify(self, worker_ids, subject, message, actor=actor)

    def balance(self) -> int:
        return review.balance(self)


__all__ = ["ProlificProvider"]
