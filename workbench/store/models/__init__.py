"""The store's typed SQLAlchemy 2 models."""

from .base import Base
from .collab import COLLAB_SESSION_STATUSES, CollabParticipant, CollabSession, CollabStudy
from .core import TASK_STATUSES, Annotation, Asset, Event, Plugin, Project, Task, TaskDefinition, TaskType
from .crowd import (
    ASSIGNMENT_STATUSES,
    CREATING,
    HIT,
    HIT_STATUSES,
    Assignment,
    HookDelivery,
    Bonus,
    JobRun,
    QualificationGrant,
    QualificationType,
    Worker,
    WorkerSession,
)

__all__ = [
    "COLLAB_SESSION_STATUSES", "CollabParticipant", "CollabSession", "CollabStudy",
    "ASSIGNMENT_STATUSES", "CREATING", "HIT", "HIT_STATUSES", "TASK_STATUSES", "Annotation", "Asset", "Assignment",
    "Base", "Bonus", "Event", "HookDelivery", "JobRun", "Plugin", "Project", "QualificationGrant", "QualificationType", "Task", "TaskDefinition",
    "TaskType", "Worker", "WorkerSession",
]
