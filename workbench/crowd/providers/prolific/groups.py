"""Participant groups: the workspace's block list, allow lists as qualifications, and messages.

``block`` adds the participant to one block-list group per workspace (made once, named
``workbench-blocklist``); every study ``create_work`` makes excludes that group with the
``participant_group_blocklist`` filter. A qualification is an allow-list group: ``grant`` adds,
``revoke`` removes; a study opens to it with ``participant_group_allowlist``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from sqlalchemy import select

from workbench import events
from workbench.errors import NotFoundError, ValidationError
from workbench.store.models import HIT, Assignment, QualificationGrant, QualificationType, Worker
from workbench.store.types import utcnow
from .studies import PROVIDER

if TYPE_CHECKING:
    from . import ProlificProvider

BLOCKLIST = "workbench-blocklist"


def block_group(pr: "ProlificProvider", *, create: bool = True) -> str | None:
    """The id of the workspace's block-list group, made on first use."""
    if pr._blocklist:
        return pr._blocklist
    workspace = pr.client.workspace_id()
    found = next((g for g in pr.client.listing("participant-groups/", workspace_id=workspace, active="true")
                  if g.get("name") == BLOCKLIST), None)
    if found is None and create:
        found = pr.client.post("participant-groups/", {"name": BLOCKLIST, "workspace_id": workspace,
                                                       "description": "Participants the workbench keeps out"},
                               idempotent=True)
    pr._blocklist = found["id"] if found else None
    return pr._blocklist


def _worker(s, worker_id: str) -> Worker:
    row = s.scalars(select(Worker).where(Worker.provider == PROVIDER, Worker.worker_id == worker_id)).first()
    if row is None:
        now = utcnow()
        row = Worker(provider=PROVIDER, worker_id=worker_id, first_seen_at=now, last_seen_at=now)
        s.add(row)
    return row


def block(pr: "ProlificProvider", worker_id: str, reason: str, *, actor: str = "") -> dict:
    if not worker_id or not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason", "a block needs a participant id and a reason")
    group = block_group(pr)
    pr.client.post(f"participant-groups/{group}/participants/", {"participant_ids": [worker_id]}, idempotent=True)
    with pr.store.transaction() as s:
        row = _worker(s, worker_id)
        row.blocked, row.block_reason = True, reason
        events.record(s, "prolific.worker.blocked", actor=actor, worker_id=worker_id, reason=reason, group=group)
    return {"worker_id": worker_id, "blocked": True, "group": group}


def unblock(pr: "ProlificProvider", worker_id: str, *, reason: str = "", actor: str = "") -> dict:
    group = block_group(pr)
    pr.client.request("DELETE", f"participant-groups/{group}/participants/", json={"participant_ids": [worker_id]},
                      idempotent=True)
    with pr.store.transaction() as s:
        row = _worker(s, worker_id)
        row.blocked, row.block_reason = False, ""
        events.record(s, "prolific.worker.unblocked", actor=actor, worker_id=worker_id, reason=reason, group=group)
    return {"worker_id": worker_id, "blocked": False, "group": group}


def create_qualification(pr: "ProlificProvider", name: str, description: str, *, actor: str = "") -> str:
    """An allow-list group; the same name again answers the group already made."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name", "must be a non-empty string")
    with pr.store.session() as s:
        known = s.scalars(select(QualificationType).where(
            QualificationType.provider == PROVIDER, QualificationType.environment == pr.environment,
            QualificationType.name == name)).first()
        if known is not None:
            return known.qualification_type_id
    group = pr.client.post("participant-groups/", {"name": name, "workspace_id": pr.client.workspace_id(),
                                                   "description": description or ""}, idempotent=True)
    with pr.store.transaction() as s:
        s.add(QualificationType(provider=PROVIDER, environment=pr.environment, qualification_type_id=group["id"],
                                name=name, description=description or "", payload={"kind": "participant_group"}))
        events.record(s, "prolific.qualification.created", actor=actor, qualification_type_id=group["id"], name=name)
    return group["id"]


def _qualification(s, pr, group_id: str) -> QualificationType:
    row = s.scalars(select(QualificationType).where(
        QualificationType.provider == PROVIDER, QualificationType.environment == pr.environment,
        QualificationType.qualification_type_id == group_id)).first()
    if row is None:
        raise NotFoundError("qualification", group_id, hint="create it with create_qualification")
    return row


def grant(pr: "ProlificProvider", group_id: str, worker_id: str, value: int = 1, *, actor: str = "") -> dict:
    with pr.store.session() as s:
        _qualification(s, pr, group_id)
    pr.client.post(f"participant-groups/{group_id}/participants/", {"participant_ids": [worker_id]}, idempotent=True)
    with pr.store.transaction() as s:
        q = _qualification(s, pr, group_id)
        g = s.scalars(select(QualificationGrant).where(QualificationGrant.qualification_type_pk == q.id,
                                                       QualificationGrant.worker_id == worker_id)).first()
        if g is None:
            s.add(QualificationGrant(qualification_type_pk=q.id, worker_id=worker_id, value=value))
        else:
            g.status, g.value, g.revoked_at = "granted", value, None
        events.record(s, "prolific.qualification.granted", actor=actor, qualification_type_id=group_id,
                      worker_id=worker_id)
    return {"qualification_type_id": group_id, "worker_id": worker_id, "status": "granted"}


def revoke(pr: "ProlificProvider", group_id: str, worker_id: str, *, reason: str = "", actor: str = "") -> dict:
    with pr.store.session() as s:
        _qualification(s, pr, group_id)
    pr.client.request("DELETE", f"participant-groups/{group_id}/participants/", json={"participant_ids": [worker_id]},
                      idempotent=True)
    with pr.store.transaction() as s:
        q = _qualification(s, pr, group_id)
        g = s.scalars(select(QualificationGrant).where(QualificationGrant.qualification_type_pk == q.id,
                                                       QualificationGrant.worker_id == worker_id)).first()
        if g is not None:
            g.status, g.revoked_at = "revoked", utcnow()
        events.record(s, "prolific.qualification.revoked", actor=actor, qualification_type_id=group_id,
                      worker_id=worker_id, reason=reason)
    return {"qualification_type_id": group_id, "worker_id": worker_id, "status": "revoked"}


def notify(pr: "ProlificProvider", worker_ids: Sequence[str], subject: str, message: str, *, actor: str = "") -> dict:
    """One message per participant (``POST messages/`` names a study: their latest one here)."""
    if not isinstance(message, str) or not message.strip():
        raise ValidationError("message", "must be a non-empty string")
    sent: list[str] = []
    for worker_id in dict.fromkeys(worker_ids):
        with pr.store.session() as s:
            study = s.scalars(select(HIT.hit_id).join(Assignment, Assignment.hit_pk == HIT.id).where(
                Assignment.provider == PROVIDER, Assignment.worker_id == worker_id).order_by(Assignment.id.desc())).first()
        if study is None:
            raise ValidationError("worker_ids", f"participant {worker_id} took none of this workbench's studies")
        body = f"{subject}\n\n{message}" if subject else message
        pr.client.post("messages/", {"recipient_id": worker_id, "body": body, "study_id": study}, idempotent=False)
        sent.append(worker_id)
    with pr.store.transaction() as s:
        events.record(s, "prolific.workers.notified", actor=actor, worker_ids=sent, subject=subject)
    return {"notified": sent}
