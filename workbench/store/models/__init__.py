"""The store's typed SQLAlchemy 2 models."""

from .base import Base
from .core import TASK_STATUSES, Annotation, Asset, Event, Plugin, Project, Task, TaskDefinition, TaskType
from .crowd import (
    ASSIGNMENT_STATUSES,
    HIT,
    HIT_STATUSES,
    Assignment,
    Bonus,
    JobRun,
    QualificationGrant,
    QualificationType,
    Worker,
    WorkerSession,
)

__all__ = [
    "ASSIGNMENT_STATUSES", "HIT", "HIT_STATUSES", "TASK_STATUSES", "Annotation", "Asset", "Assignment",
    "Base", "Bonus", "Event", "JobRun", "Plugin", "Project", "QualificationGrant", "QualificationType", "Task", "TaskDefinition",
    "TaskType", "Worker", "WorkerSession",
]
