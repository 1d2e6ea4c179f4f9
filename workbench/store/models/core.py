"""The annotation domain: projects, task types and definitions, assets, tasks, annotations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..types import utcnow
from .base import Base, Timestamped

TASK_STATUSES = ("pending", "in_progress", "complete", "failed")


class Project(Timestamped, Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TaskType(Timestamped, Base):
    __tablename__ = "task_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    definitions: Mapped[list["TaskDefinition"]] = relationship(
        back_populates="task_type", cascade="all, delete-orphan", passive_deletes=True)


class TaskDefinition(Timestamped, Base):
    """One version of a task type's configuration; ``definition`` holds ui_config and label_schema."""

    __tablename__ = "task_definitions"
    __table_args__ = (UniqueConstraint("task_type_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict[str, Any]]

    task_type: Mapped[TaskType] = relationship(back_populates="definitions")

    @property
    def label_schema(self) -> dict[str, Any]:
        return self.definition.get("label_schema", {})

    @property
    def ui_config(self) -> dict[str, Any]:
        return self.definition.get("ui_config", {})


class Asset(Timestamped, Base):
    """A media file: a local path (sha256 checked) or an S3 object."""

    __tablename__ = "assets"
    __table_args__ = (Index(None, "project_id", "media_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    media_type: Mapped[str] = mapped_column(String(32), default="image")
    local_path: Mapped[Optional[str]] = mapped_column(Text)
    s3_bucket: Mapped[Optional[str]] = mapped_column(String(255))
    s3_key: Mapped[Optional[str]] = mapped_column(String(1024))
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    width: Mapped[Optional[int]]
    height: Mapped[Optional[int]]
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)


class Task(Timestamped, Base):
    __tablename__ = "tasks"
    __table_args__ = (Index(None, "project_id", "status"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    asset_id: Mapped[Optional[int]] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("task_definitions.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    priority: Mapped[int] = mapped_column(default=0)
    #: How many annotations complete the task (several raters give agreement statistics).
    target_annotations: Mapped[int] = mapped_column(default=1)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The plugin version the task was created with; its worker page keeps loading that version.
    plugin_id: Mapped[Optional[int]] = mapped_column(ForeignKey("plugins.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    definition: Mapped[TaskDefinition] = relationship(lazy="joined")
    asset: Mapped[Optional[Asset]] = relationship()
    plugin: Mapped[Optional["Plugin"]] = relationship()


class Annotation(Timestamped, Base):
    __tablename__ = "annotations"
    __table_args__ = (UniqueConstraint("task_id", "submission_id"), Index(None, "actor"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    result: Mapped[dict[str, Any]]
    schema_version: Mapped[str] = mapped_column(String(32))
    tool_version: Mapped[str] = mapped_column(String(64), default="")
    actor: Mapped[str] = mapped_column(String(128), default="")
    submission_id: Mapped[str] = mapped_column(String(128))
    raw_payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assignment_pk: Mapped[Optional[int]] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL"), index=True)
    #: Of a gold task's annotation (``workbench.study.gold``): the score in [0, 1], and whether every field passed.
    gold_score: Mapped[Optional[float]]
    gold_passed: Mapped[Optional[bool]]
    #: What the worker page measured while the task was open (``workbench.study.telemetry``), if it sent any.
    telemetry: Mapped[Optional[dict[str, Any]]]

    _private = ("raw_payload",)


class Plugin(Timestamped, Base):
    __tablename__ = "plugins"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(32))
    manifest: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=True)


class Event(Base):
    """The audit log: one row per state change, written in the change's own transaction."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "type", "ts"), Index(None, "project_id", "ts"))

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128), default="")
    # No foreign key: the audit trail outlives what it describes.
    project_id: Mapped[Optional[int]]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
