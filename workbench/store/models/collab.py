"""Human–agent collaboration studies: the study, its live sessions, and who sits in each seat.

Messages and actions are not kept here: each is an Event (``collab.*``) with the server's
timestamp, so the audit log and the transcript are one record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..types import utcnow
from .base import Base, Timestamped

COLLAB_SESSION_STATUSES = ("waiting", "active", "ended")


class CollabStudy(Timestamped, Base):
    """A configured study: its paradigm, its conditions and the configuration stored with the data."""

    __tablename__ = "collab_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    paradigm: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conditions: Mapped[list[Any]] = mapped_column(default=list)
    #: Seeds the permuted blocks, so the sequence of conditions can be replayed.
    seed: Mapped[int] = mapped_column(default=0)
    #: How many sessions have drawn a condition; the next draw is position ``assigned`` in the sequence.
    assigned: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")


class CollabSession(Timestamped, Base):
    __tablename__ = "collab_sessions"
    __table_args__ = (Index(None, "study_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("collab_studies.id", ondelete="CASCADE"))
    condition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    condition_index: Mapped[int] = mapped_column(default=0)
    paradigm: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[Optional[datetime]]
    ended_at: Mapped[Optional[datetime]]
    end_reason: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    study: Mapped[CollabStudy] = relationship(lazy="joined")
    participants: Mapped[list["CollabParticipant"]] = relationship(
        back_populates="session", order_by="CollabParticipant.id", cascade="all, delete-orphan",
        passive_deletes=True)


class CollabParticipant(Base):
    """One seat of a session: a crowd worker, or an agent with its persona, backend, model and prompts."""

    __tablename__ = "collab_participants"
    __table_args__ = (UniqueConstraint("provider", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("collab_sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(32))
    provider: Mapped[Optional[str]] = mapped_column(String(32))
    worker_id: Mapped[Optional[str]] = mapped_column(String(128), index=True)
    assignment_id: Mapped[Optional[str]] = mapped_column(String(128))
    hit_id: Mapped[str] = mapped_column(String(128), default="")
    persona: Mapped[str] = mapped_column(Text, default="")
    backend: Mapped[str] = mapped_column(String(32), default="")
    model: Mapped[str] = mapped_column(String(128), default="")
    prompts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: SHA-256 of the token that proves this seat to the WebSocket; the token itself is never stored.
    token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    connection: Mapped[str] = mapped_column(String(16), default="new")
    last_seen: Mapped[Optional[datetime]]
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[Optional[datetime]]
    partial_pay: Mapped[bool] = mapped_column(default=False)
    completion_code: Mapped[Optional[str]] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    session: Mapped[CollabSession] = relationship(back_populates="participants")

    _private = ("token_hash",)

    @property
    def label(self) -> str:
        """Who this seat is in the transcript: the worker id, or ``agent:<role>``."""
        return self.worker_id if self.kind == "human" and self.worker_id else f"agent:{self.role}"
