"""Link-out visits: a worker arrives with an assignment, does its tasks, leaves with a completion code.

One WorkerSession per (provider, assignment id): a second visit resumes it. The browser
that holds the session's token (a random string; the store keeps only its SHA-256) may
submit for the session's tasks and nothing else. When every task has the worker's
annotation the session completes and gets a completion code (``crowd.codes``) that the
worker pastes back into the crowd platform and the researcher checks at review time.

A worker who arrives when the project has no open task left for them is not turned away
with a HIT they cannot finish: with ``close_if_no_task`` the visit becomes a session
without tasks, marked ``no_task``, whose code lets the worker submit the HIT and lets review
tell it apart from work done (``check_code`` reports the status).

Also here, for the worker pages: ``earlier_answer``, what an assignment already submitted
for a task, so a worker who reopens it sees that answer instead of a task whose new answer
would be dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import events
from workbench.study import projects, tasks
from .codes import code_matches, hash_token, new_token, token_matches, unique_code
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.models import HIT, Annotation, Task, WorkerSession
from workbench.store.types import utcnow
from workbench.study.signing import SignatureError

PREVIEW_ASSIGNMENT = "ASSIGNMENT_ID_NOT_AVAILABLE"
#: The status of a session that found no open task for its worker (``start_or_resume(close_if_no_task=True)``).
NO_TASK = "no_task"
#: The statuses of a task a new session may be given.
OPEN_TASK = ("pending", "in_progress")


@dataclass
class Visit:
    """What ``start_or_resume`` did: the session, the token for the browser, whether it was resumed."""

    session: WorkerSession
    token: str | None
    resumed: bool


def check_ids(assignment_id: Any, worker_id: Any, hit_id: Any = "") -> None:
    """The ids a crowd platform passes in the URL: present, short, printable."""
    for field, value, required in (("assignmentId", assignment_id, True), ("workerId", worker_id, True),
                                   ("hitId", hit_id, False)):
        if not isinstance(value, str) or (required and not value):
            raise ValidationError(field, "is required" if required else "must be a string")
        if len(value) > 128 or not value.isprintable():
            raise ValidationError(field, "must be at most 128 printable characters")
    if assignment_id == PREVIEW_ASSIGNMENT:
        raise ValidationError("assignmentId", "is the preview placeholder; accept the HIT first")


def start_or_resume(session: Session, provider: str, assignment_id: str, worker_id: str, hit_id: str = "",
                    project: int | str | None = None, *, token: str | None = None,
                    tasks_per_session: int = 1, close_if_no_task: bool = False) -> Visit:
    """Start the visit of an assignment, or resume it.

    A resume by a browser without the session's token gets a fresh token (the worker
    changed browsers); the old one stops working. A different worker id for the same
    assignment is refused. New sessions take the HIT's task if the HIT names one; on a link
    or a study (a HIT covering ``payload.task_ids``) only its own open tasks (``open_tasks``); else the project's open tasks this worker has not annotated, highest
    priority first. When
    there is none, ConflictError (reason "no open tasks"); or, with ``close_if_no_task``, a
    session without tasks with status ``NO_TASK``, which ``complete`` gives its code.
    """
    check_ids(assignment_id, worker_id, hit_id)
    existing = session.scalars(select(WorkerSession).where(WorkerSession.provider == provider,
                                                           WorkerSession.assignment_id == assignment_id)
                               ).one_or_none()
    if existing is not None:
        if existing.worker_id != worker_id:
            raise ConflictError("this assignment belongs to another worker", field="workerId",
                                reason="does not match the assignment")
        if token is not None and token_matches(existing.token, token):
            return Visit(existing, token, True)
        fresh = new_token()
        existing.token = hash_token(fresh)
        events.record(session, "worker_session.resumed", actor=worker_id, project_id=existing.project_id,
                      worker_session_id=existing.id, assignment_id=assignment_id)
        return Visit(existing, fresh, True)
    task_ids, project_id = _pick_tasks(session, hit_id, project, worker_id, provider, tasks_per_session)
    if not task_ids and not close_if_no_task:
        raise ConflictError(f"project {projects.get(session, project_id).slug!r} has no open task for this worker",
                            field="project", reason="no open tasks")
    fresh = new_token()
    row = WorkerSession(provider=provider, assignment_id=assignment_id, worker_id=worker_id, hit_id=hit_id,
                        project_id=project_id, task_ids=task_ids, token=hash_token(fresh),
                        status="active" if task_ids else NO_TASK)
    session.add(row)
    session.flush()
    events.record(session, "worker_session.started", actor=worker_id, project_id=project_id,
                  worker_session_id=row.id, assignment_id=assignment_id, hit_id=hit_id, task_ids=task_ids)
    return Visit(row, fresh, False)


@dataclass
class Step:
    """Where a link-out visit stands: the browser's token, then the next task, or the completion code."""

    token: str | None
    next_task_id: int | None = None
    done: int = 0
    total: int = 0
    code: str | None = None
    no_task: bool = False
    #: The session is finished, and this browser is not the one that holds it (``code_to_its_browser``).
    elsewhere: bool = False


def visit(session: Session, provider: str, assignment_id: str, worker_id: str, hit_id: str = "",
          project: int | str | None = None, *, token: str | None = None, tasks_per_session: int = 1,
          code_to_its_browser: bool = False) -> Step:
    """The link-out flow in one call: start or resume the visit, then its next task or its code.

    A worker with no task left gets a code (the session is marked ``NO_TASK`` for review)
    rather than a dead end. With ``code_to_its_browser`` (where the worker id is the only
    credential, as on a link-out panel) a finished session's code goes only to the browser
    holding its token: another gets ``elsewhere`` and no code, and the token is not moved.
    """
    if code_to_its_browser:
        existing = find(session, assignment_id, provider=provider)
        if existing is not None and existing.completion_code and existing.worker_id == worker_id \
                and not (token and token_matches(existing.token, token)):
            return Step(None, elsewhere=True, no_task=existing.status == NO_TASK)
    started = start_or_resume(session, provider, assignment_id, worker_id, hit_id, project, token=token,
                              tasks_per_session=tasks_per_session, close_if_no_task=True)
    row = started.session
    left = remaining(session, row)
    if not left:
        return Step(started.token, code=complete(session, row), no_task=row.status == NO_TASK)
    total = len(row.task_ids)
    return Step(started.token, next_task_id=left[0], done=total - len(left), total=total)


def _pick_tasks(session: Session, hit_id: str, project: int | str | None, worker_id: str, provider: str,
                count: int) -> tuple[list[int], int]:
    if hit_id:
        hit = session.scalars(select(HIT).where(HIT.provider == provider, HIT.hit_id == hit_id)).first()
        if hit is not None and hit.task_id is not None:
            return [hit.task_id], hit.project_id
        if hit is not None and covered(hit) is not None:
            return open_tasks(session, hit, worker_id, count), hit.project_id
        if hit is not None and project is None and hit.project_id is not None:
            project = hit.project_id
    if project is None:
        raise ValidationError("project", "is required when the HIT names no task")
    owner = projects.get(session, project)
    done = select(Annotation.task_id).where(Annotation.actor == worker_id)
    stmt = (select(Task.id).where(Task.project_id == owner.id, Task.status.in_(OPEN_TASK),
                                  Task.id.not_in(done))
            .order_by(Task.priority.desc(), Task.id).limit(max(1, count)))
    return list(session.scalars(stmt)), owner.id


def covered(hit: HIT) -> list[int] | None:
    """The tasks a link or a study hands out (its ``payload.task_ids``); None for a HIT of the whole project."""
    ids = (hit.payload or {}).get("task_ids")
    return [int(t) for t in ids] if isinstance(ids, list) else None


def open_tasks(session: Session, hit: HIT, worker_id: str, count: int = 1) -> list[int]:
    """Up to ``count`` of the tasks ``hit`` covers (``covered``) that are open and that ``worker_id`` has not
    annotated: what a new session of a link or a study is given.

    Highest priority first and, among equals, the least taken: its annotations plus the sessions of the HIT begun
    within its duration that hold it. So participants who arrive together are spread over the tasks instead of
    all given the first (which would over-fill it while places run out for the rest), and a task a session begun
    and not finished holds is only put back, never withheld: an abandoned visit must not keep it from being done."""
    ids = covered(hit) or []
    if not ids:
        return []
    done = select(Annotation.task_id).where(Annotation.actor == worker_id)
    candidates = session.execute(select(Task.id, Task.priority).where(
        Task.id.in_(ids), Task.status.in_(OPEN_TASK), Task.id.not_in(done))).all()
    if not candidates:
        return []
    taken = tasks.annotation_counts(session, [row.id for row in candidates])
    holding = select(WorkerSession.task_ids).where(WorkerSession.provider == hit.provider,
                                                   WorkerSession.hit_id == hit.hit_id, WorkerSession.status == "active")
    duration = int(((hit.payload or {}).get("spec") or {}).get("duration") or 0)
    if duration:
        holding = holding.where(WorkerSession.created_at > utcnow() - timedelta(seconds=duration))
    for held in session.scalars(holding):
        for task_id in held or ():
            taken[task_id] = taken.get(task_id, 0) + 1
    ordered = sorted(candidates, key=lambda row: (-(row.priority or 0), taken.get(row.id, 0), row.id))
    return [row.id for row in ordered[:max(1, count)]]


def authenticate(session: Session, assignment_id: str, token: str | None, *, provider: str = "mturk") -> WorkerSession:
    """The session of ``assignment_id`` if ``token`` is its token; SignatureError otherwise."""
    row = find(session, assignment_id, provider=provider)
    if row is None or not token or not token_matches(row.token, token):
        raise SignatureError("this browser has no session for the assignment; open the study link again",
                             field="session", reason="missing or wrong")
    return row


def find(session: Session, assignment_id: str, *, provider: str = "mturk") -> WorkerSession | None:
    return session.scalars(select(WorkerSession).where(WorkerSession.provider == provider,
                                                       WorkerSession.assignment_id == assignment_id)).one_or_none()


def remaining(session: Session, row: WorkerSession) -> list[int]:
    """The session's task ids still without this assignment's annotation, in order."""
    done = set(session.scalars(select(Annotation.task_id).where(Annotation.task_id.in_(row.task_ids),
                                                                 Annotation.submission_id == row.assignment_id)))
    return [task_id for task_id in row.task_ids if task_id not in done]


def complete(session: Session, row: WorkerSession) -> str:
    """Close the session and return its completion code (the same code on every call)."""
    if row.completion_code:
        return row.completion_code
    left = remaining(session, row)
    if left:
        raise ConflictError(f"{len(left)} task(s) of this session still need an answer", field="tasks",
                            reason="not all annotated", remaining=left)
    code = unique_code(session)
    row.completion_code = code
    if row.status != NO_TASK:  # a session without tasks keeps its mark for review
        row.status = "complete"
    row.completed_at = utcnow()
    events.record(session, "worker_session.completed", actor=row.worker_id, project_id=row.project_id,
                  worker_session_id=row.id, assignment_id=row.assignment_id, status=row.status)
    return code


def check_code(session: Session, assignment_id: str, code: str, *, provider: str = "mturk") -> dict[str, Any]:
    """Review: does ``code`` belong to ``assignment_id``? Compared in constant time. ``status`` is the session's:
    ``complete``, or ``NO_TASK`` for a code given because no task was left for the worker."""
    if not isinstance(code, str) or not code:
        raise ValidationError("code", "is required")
    row = find(session, assignment_id, provider=provider)
    if row is None:
        raise NotFoundError("worker session", assignment_id)
    valid = code_matches(row.completion_code, code)
    return {"assignment_id": assignment_id, "worker_id": row.worker_id, "valid": valid, "status": row.status,
            "completed_at": row.completed_at.isoformat() if row.completed_at else None}


def earlier_answer(session: Session, task_id: int, assignment_id: str) -> Annotation | None:
    """The annotation ``assignment_id`` already submitted for ``task_id``, if any (one at most: a submission is
    stored once per task and assignment)."""
    return session.scalars(select(Annotation).where(Annotation.task_id == task_id,
                                                    Annotation.submission_id == assignment_id)).one_or_none()
