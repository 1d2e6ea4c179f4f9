"""What a crowd worker's browser may submit: one result for one task, under its assignment.

Both worker modes end here. The assignment id is the submission id, so a retried or
doubled submit stores one annotation and answers with it. A preview (MTurk's
placeholder assignment) cannot submit. An assignment that belongs to a link-out session
may only submit from that session's browser, for that session's tasks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import annotations, worker_sessions
from .annotations import Submission
from .errors import ValidationError
from .signing import SignatureError
from .store.models import Assignment

FIELDS = ("task_id", "assignment_id", "hit_id", "worker_id", "result")


def parse(body: Any) -> dict[str, Any]:
    """The submission fields of a request body, checked for shape (the result is checked later)."""
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS) - {"tool_version"})
    if unknown:
        raise ValidationError(unknown[0], f"is not a submission field (fields: {', '.join(FIELDS)})")
    task_id = body.get("task_id")
    if isinstance(task_id, str) and task_id.isdigit():
        task_id = int(task_id)
    if isinstance(task_id, bool) or not isinstance(task_id, int) or task_id < 1:
        raise ValidationError("task_id", "must be a positive integer")
    if "result" not in body:
        raise ValidationError("result", "is required")
    worker_sessions.check_ids(body.get("assignment_id"), body.get("worker_id"), body.get("hit_id", ""))
    tool_version = body.get("tool_version", "")
    if not isinstance(tool_version, str) or len(tool_version) > 64:
        raise ValidationError("tool_version", "must be a string of at most 64 characters")
    return {"task_id": task_id, "assignment_id": body["assignment_id"], "hit_id": body.get("hit_id", ""),
            "worker_id": body["worker_id"], "result": body["result"], "tool_version": tool_version}


def submit_from_worker(session: Session, submission: dict[str, Any], *, provider: str = "mturk",
                       session_token: str | None = None) -> Submission:
    """Store a worker's result (``submission`` as returned by ``parse``); idempotent per assignment."""
    assignment_id = submission["assignment_id"]
    visit = worker_sessions.find(session, assignment_id, provider=provider)
    if visit is not None:
        # A link-out assignment: only its browser, only its tasks, only its worker.
        visit = worker_sessions.authenticate(session, assignment_id, session_token, provider=provider)
        if submission["task_id"] not in visit.task_ids:
            raise ValidationError("task_id", "is not one of this session's tasks")
        if submission["worker_id"] != visit.worker_id:
            raise SignatureError("workerId does not match the session", field="worker_id", reason="mismatch")
    assignment_pk = session.scalars(select(Assignment.id).where(Assignment.provider == provider,
                                                                Assignment.assignment_id == assignment_id)).first()
    raw = {"provider": provider, "assignment_id": assignment_id, "hit_id": submission["hit_id"],
           "worker_id": submission["worker_id"], "mode": "link-out" if visit is not None else "external-question"}
    return annotations.submit(session, submission["task_id"], submission["result"], actor=submission["worker_id"],
                              submission_id=assignment_id, tool_version=submission["tool_version"],
                              raw_payload=raw, assignment_pk=assignment_pk)
