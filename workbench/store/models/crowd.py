"""Crowd-platform records: HITs, assignments, workers, bonuses, qualification types.

One row per provider object, keyed by the provider's own id, so that a sync or a
retried call upserts instead of doubling. Money is kept in integer cents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..types import utcnow
from .base import Base, Timestamped

ASSIGNMENT_STATUSES = ("accepted", "submitted", "approved", "rejected", "returned", "abandoned", "expired")
#: A HIT row is ``creating`` while it only holds its idempotency key: claimed before the platform is asked, so
#: that of concurrent creators one makes the work, and a rerun after a crash finds the claim and completes it.
CREATING = "creating"
HIT_STATUSES = ("assignable", "unassignable", "reviewable", "reviewing", "disposed", "expired", CREATING)


class Worker(Base):
    __tablename__ = "workers"
    __table_args__ = (UniqueConstraint("provider", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), default="mturk")
    worker_id: Mapped[str] = mapped_column(String(128))
    blocked: Mapped[bool] = mapped_column(default=False)
    block_reason: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class HIT(Timestamped, Base):
    """One crowd work unit offered to workers (an MTurk HIT)."""

    __tablename__ = "hits"
    __table_args__ = (UniqueConstraint("provider", "environment", "hit_id"), Index(None, "project_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), default="mturk")
    environment: Mapped[str] = mapped_column(String(16))
    hit_id: Mapped[str] = mapped_column(String(128))
    hit_type_id: Mapped[str] = mapped_column(String(128), default="")
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), index=True)
    round: Mapped[int] = mapped_column(default=0)
    unique_request_token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="assignable")
    title: Mapped[str] = mapped_column(String(255), default="")
    reward_cents: Mapped[int] = mapped_column(default=0)
    max_assignments: Mapped[int] = mapped_column(default=1)
    expires_at: Mapped[Optional[datetime]]
    question: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_synced_at: Mapped[Optional[datetime]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    _private = ("question",)


class Assignment(Timestamped, Base):
    """One worker's attempt at a HIT (an MTurk assignment), keyed by the provider's id."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("provider", "assignment_id"), Index(None, "status", "ingested_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), default="mturk")
    assignment_id: Mapped[str] = mapped_column(String(128))
    hit_pk: Mapped[Optional[int]] = mapped_column(ForeignKey("hits.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), index=True)
    worker_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    accept_time: Mapped[Optional[datetime]]
    submit_time: Mapped[Optional[datetime]]
    approval_time: Mapped[Optional[datetime]]
    rejection_time: Mapped[Optional[datetime]]
    auto_approval_time: Mapped[Optional[datetime]]
    answer_raw: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    feedback: Mapped[str] = mapped_column(Text, default="")
    ingested_at: Mapped[Optional[datetime]]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    hit: Mapped[Optional[HIT]] = relationship()

    _private = ("answer_raw",)


class Bonus(Timestamped, Base):
    """A payment intent in the ledger: one row per idempotency key, paid at most once (``crowd.payments``)."""

    __tablename__ = "bonuses"
    __table_args__ = (Index("uq_bonuses_provider_key", "provider", "idempotency_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), default="mturk")
    assignment_pk: Mapped[Optional[int]] = mapped_column(ForeignKey("assignments.id", ondelete="SET NULL"), index=True)
    worker_id: Mapped[str] = mapped_column(String(128), index=True)
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    unique_request_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    paid_at: Mapped[Optional[datetime]]
    idempotency_key: Mapped[str] = mapped_column(String(128))
    attempted_at: Mapped[Optional[datetime]]
    confirmed_at: Mapped[Optional[datetime]]
    error: Mapped[str] = mapped_column(Text, default="", server_default="")


class QualificationType(Timestamped, Base):
    __tablename__ = "qualification_types"
    __table_args__ = (UniqueConstraint("provider", "environment", "qualification_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), default="mturk")
    environment: Mapped[str] = mapped_column(String(16))
    qualification_type_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class QualificationGrant(Base):
    """One worker's standing on one qualification type: granted (with a value) or revoked."""

    __tablename__ = "qualification_grants"
    __table_args__ = (UniqueConstraint("qualification_type_pk", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_type_pk: Mapped[int] = mapped_column(
        ForeignKey("qualification_types.id", ondelete="CASCADE", name="fk_qualification_grants_type"))
    worker_id: Mapped[str] = mapped_column(String(128), index=True)
    value: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="granted")
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[datetime]]


class WorkerSession(Timestamped, Base):
    """A link-out visit: one per provider assignment, resumed on a second visit, ended by a code."""

    __tablename__ = "worker_sessions"
    __table_args__ = (UniqueConstraint("provider", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), default="mturk")
    assignment_id: Mapped[str] = mapped_column(String(128))
    worker_id: Mapped[str] = mapped_column(String(128), index=True)
    hit_id: Mapped[str] = mapped_column(String(128), default="")
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_ids: Mapped[list[Any]] = mapped_column(default=list)
    #: Proves to later requests of this visit that the browser is the one that started it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    completion_code: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    completed_at: Mapped[Optional[datetime]]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    _private = ("token",)


class HookDelivery(Base):
    """A platform's hook event, keyed by its event id: claimed while it is applied, then applied or refused.

    The unique key makes concurrent deliveries of one event (Prolific delivers at least once, and retries)
    apply it once; a claim older than the hook route's lease (its applier died) may be taken again."""

    __tablename__ = "hook_deliveries"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(128), default="")
    resource_id: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16), default="applying")
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[Optional[datetime]]


class JobRun(Base):
    """One scheduled notebook run (sync, ingest, export…): when, how it went, where its output is."""

    __tablename__ = "job_runs"
    __table_args__ = (Index(None, "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output_path: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[Optional[int]]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
