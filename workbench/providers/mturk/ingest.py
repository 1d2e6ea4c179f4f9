"""Ingest: submitted assignments become Annotations, once each, whatever happens half-way.

Work goes in chunks; each chunk writes its annotations, their Events and the assignments'
``ingested_at`` in one transaction, so a crash loses at most the chunk in flight and a
rerun takes up exactly what is left. The annotation's ``submission_id`` is the assignment
id, so an answer the worker page already stored is recognised, not doubled. The raw
answer XML and the accept and submit times travel in the annotation's ``raw_payload``.

A link-out assignment carries a completion code instead of a result (the data came
through the worker page): its code is checked against the link-out session and the
verdict kept on the assignment for review.
"""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ... import annotations, definitions, events, tasks
from ...errors import ValidationError
from ...store.locks import job_lock
from ...store.models import HIT, Annotation, Assignment, Task, WorkerSession
from ...store.types import utcnow
from ..base import IngestResult, Progress
from . import answers
from .questions import CODE_FIELD
from .rows import PROVIDER

if TYPE_CHECKING:
    from . import MTurkProvider

INGESTIBLE = ("submitted", "approved")


def ingest(mt: "MTurkProvider", *, chunk_size: int = 500, lock: bool = True, progress: Progress | None = None,
           actor: str = "") -> IngestResult:
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValidationError("chunk_size", "must be a positive integer")
    result = IngestResult()
    guard = job_lock(mt.store, f"mturk.ingest:{mt.environment}") if lock else nullcontext(True)
    with guard as got:
        if not got:
            result.skipped = True
            return result
        while True:
            participants: set[tuple[int, str]] = set()
            with mt.store.transaction() as s:
                rows = _next_chunk(mt, s, chunk_size)
                if not rows:
                    break
                try:
                    with s.begin_nested():
                        _chunk(s, rows, result, participants, actor, bulk=True)
                except IntegrityError:
                    # The worker page stored one of these answers meanwhile: go one by one, race-safe.
                    _chunk(s, rows, result, participants, actor, bulk=False)
            if participants:
                from .qualifications import grant_participation

                grant_participation(mt, participants, actor=actor)
            if progress is not None:
                progress(len(rows))
    return result


def _next_chunk(mt: "MTurkProvider", s, size: int) -> list[tuple[Assignment, HIT]]:
    stmt = (select(Assignment, HIT).join(HIT, HIT.id == Assignment.hit_pk)
            .where(Assignment.provider == PROVIDER, HIT.environment == mt.environment,
                   Assignment.status.in_(INGESTIBLE), Assignment.ingested_at.is_(None))
            .order_by(Assignment.id).limit(size))
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Assignment, skip_locked=True)
    return list(s.execute(stmt).all())


def _chunk(s, rows, result: IngestResult, participants: set, actor: str, *, bulk: bool) -> None:
    now = utcnow()
    counts: Counter = Counter()
    task_ids = {a.task_id or h.task_id for a, h in rows} - {None}
    task_rows = {t.id: t for t in s.scalars(select(Task).where(Task.id.in_(task_ids)))} if task_ids else {}
    ids = [a.assignment_id for a, _ in rows]
    stored = {(t, sid): pk for t, sid, pk in s.execute(select(Annotation.task_id, Annotation.submission_id,
                                                               Annotation.id).where(Annotation.submission_id.in_(ids)))}
    made: list[tuple[Annotation, Task]] = []
    for a, hit in rows:
        task = task_rows.get(a.task_id or hit.task_id)
        outcome: dict[str, Any]
        if (hit.payload or {}).get("mode") == "link-out":
            outcome = {"outcome": "link_out", "code": _check_code(s, a)}
            counts["link_out"] += 1
        elif task is None:
            outcome = {"outcome": "unmatched", "reason": "the HIT is not associated with a task"}
            counts["unmatched"] += 1
        elif (task.id, a.assignment_id) in stored:
            outcome = {"outcome": "duplicate", "annotation_id": stored[(task.id, a.assignment_id)]}
            counts["duplicates"] += 1
        else:
            try:
                value = _result(a)
                definitions.validate_result(task.definition, value)
            except ValidationError as exc:
                outcome = {"outcome": "invalid", "error": exc.to_dict()}
                counts["invalid"] += 1
            else:
                raw = {"source": "mturk", "hit_id": hit.hit_id, "worker_id": a.worker_id, "answer_xml": a.answer_raw,
                       "accept_time": _iso(a.accept_time), "submit_time": _iso(a.submit_time)}
                if bulk:
                    note = Annotation(task_id=task.id, result=value, schema_version=task.definition.version,
                                      tool_version=str(a.answer.get("tool_version", ""))[:64], actor=a.worker_id,
                                      submission_id=a.assignment_id, raw_payload=raw, assignment_pk=a.id)
                    made.append((note, task))
                else:
                    done = annotations.submit(s, task.id, value, actor=a.worker_id, submission_id=a.assignment_id,
                                              raw_payload=raw, assignment_pk=a.id)
                    if done.duplicate:
                        counts["duplicates"] += 1
                        outcome = {"outcome": "duplicate", "annotation_id": done.annotation.id}
                        a.ingested_at, a.payload = now, {**(a.payload or {}), "ingest": outcome}
                        continue
                outcome = {"outcome": "ingested"}
                counts["ingested"] += 1
                if hit.project_id is not None:
                    participants.add((hit.project_id, a.worker_id))
        a.ingested_at = now
        a.payload = {**(a.payload or {}), "ingest": outcome}
    if made:
        s.add_all([note for note, _ in made])
        s.flush()
        for note, task in made:
            events.record(s, "annotation.created", actor=note.actor, project_id=task.project_id, task_id=task.id,
                          annotation_id=note.id, submission_id=note.submission_id)
        _advance(s, {task.id: task for _, task in made}, actor)
    events.record(s, "mturk.ingested", actor=actor, assignments=len(rows), **dict(counts))
    for key, value in counts.items():
        setattr(result, key, getattr(result, key) + value)


def _result(a: Assignment) -> Any:
    fields = a.answer or (answers.parse(a.answer_raw) if a.answer_raw else {})
    if "result" not in fields:
        raise ValidationError("answer.result", "the answer has no result field")
    return fields["result"]


def _advance(s, touched: dict[int, Task], actor: str) -> None:
    """The same rule as a single submission: enough annotations complete a task, some start it."""
    counts = dict(s.execute(select(Annotation.task_id, func.count()).where(Annotation.task_id.in_(list(touched)))
                            .group_by(Annotation.task_id)).all())
    for task_id, task in touched.items():
        if task.status not in ("pending", "in_progress"):
            continue
        target = "complete" if counts.get(task_id, 0) >= task.target_annotations else "in_progress"
        if target != task.status:
            tasks.set_status(s, task_id, target, actor=actor or events.SYSTEM, reason="annotation ingested")


def _check_code(s, a: Assignment) -> str:
    """ok, missing (no code in the answer), unknown (no such code) or mismatch (another assignment's code)."""
    code = (a.answer or {}).get(CODE_FIELD)
    if not code or not isinstance(code, str):
        return "missing"
    session = s.scalars(select(WorkerSession).where(WorkerSession.completion_code == code.strip())).one_or_none()
    if session is None:
        return "unknown"
    if session.assignment_id != a.assignment_id or session.worker_id != a.worker_id:
        return "mismatch"
    return "ok"


def _iso(value) -> str | None:
    return value.isoformat() if value else None
