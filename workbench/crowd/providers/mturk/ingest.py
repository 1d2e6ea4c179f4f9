"""Ingest: submitted assignments become Annotations, once each, whatever happens half-way.

Work goes in chunks; each chunk writes its annotations, their Events and the assignments'
``ingested_at`` in one transaction, so a crash loses at most the chunk in flight and a
rerun takes up exactly what is left. The annotation's ``submission_id`` is the assignment
id, so an answer the worker page already stored is recognised, not doubled. The raw
answer XML and the accept and submit times travel in the annotation's ``raw_payload``.

A chunk is written set-wise (a few statements per chunk rather than per assignment), with
the same rules as ``annotations.submit``: the definition's schema, one annotation per
(task, submission id), an Event per annotation, tasks advanced by ``tasks.TRANSITIONS``.
If the worker page stores one of the chunk's answers meanwhile, the chunk is redone one
by one through ``annotations.submit`` itself, which settles such races.

An answer sync refused (malformed, hostile, or holding what no store keeps) is recorded as
``invalid`` with sync's reason, left for the researcher to review, and the chunk goes on.

A link-out assignment carries a completion code instead of a result (the data came
through the worker page): its code is checked against the link-out session and the
verdict kept on the assignment for review.
"""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from workbench import events
from workbench.study import annotations, tasks
from workbench.crowd import verdict
from workbench.study.definitions import validate_result
from workbench.errors import ValidationError
from workbench.store.locks import job_lock
from workbench.store.models import HIT, Annotation, Assignment, Task, TaskDefinition
from workbench.store.types import utcnow
from ..base import IngestResult, Progress
from . import answers
from .qualifications import grant_participation
from .questions import CODE_FIELD
from .rows import PROVIDER

if TYPE_CHECKING:
    from . import MTurkProvider

INGESTIBLE = ("submitted", "approved")
_COLUMNS = (Assignment.id, Assignment.assignment_id, Assignment.task_id, Assignment.worker_id, Assignment.answer,
            Assignment.answer_raw, Assignment.accept_time, Assignment.submit_time, Assignment.payload,
            HIT.hit_id, HIT.task_id.label("hit_task_id"), HIT.project_id, HIT.payload.label("hit_payload"))


def ingest(mt: "MTurkProvider", *, chunk_size: int = 500, lock: bool = True, progress: Progress | None = None,
           actor: str = "") -> IngestResult:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
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
                counts: Counter = Counter()
                try:
                    with s.begin_nested():
                        _chunk(s, rows, counts, participants, actor)
                except IntegrityError:
                    counts.clear()
                    participants.clear()
                    _chunk_one_by_one(s, rows, counts, participants, actor)
                events.record(s, "mturk.ingested", actor=actor, environment=mt.environment, assignments=len(rows),
                              **dict(counts))
            for key, value in counts.items():
                setattr(result, key, getattr(result, key) + value)
            if participants:
                grant_participation(mt, participants, actor=actor)
            if progress is not None:
                progress(len(rows))
    return result


def _next_chunk(mt: "MTurkProvider", s, size: int) -> list[Any]:
    stmt = (select(*_COLUMNS).join(HIT, HIT.id == Assignment.hit_pk)
            .where(Assignment.provider == PROVIDER, HIT.environment == mt.environment,
                   Assignment.status.in_(INGESTIBLE), Assignment.ingested_at.is_(None))
            .order_by(Assignment.id).limit(size))
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Assignment, skip_locked=True)
    return list(s.execute(stmt).all())


class _Plan:
    """What a chunk does to each assignment, decided before anything is written."""

    def __init__(self, s, rows: list[Any]) -> None:
        task_ids = {r.task_id or r.hit_task_id for r in rows} - {None}
        self.tasks = {t.id: t for t in s.execute(select(Task.id, Task.project_id, Task.status, Task.definition_id,
                                                        Task.target_annotations).where(Task.id.in_(task_ids)))}
        definition_ids = {t.definition_id for t in self.tasks.values()}
        self.definitions = {d.id: d for d in s.scalars(select(TaskDefinition).where(
            TaskDefinition.id.in_(definition_ids)))} if definition_ids else {}
        # task_id first, so that the (task_id, submission_id) unique index answers it.
        self.stored = {(t, sid): pk for t, sid, pk in s.execute(select(
            Annotation.task_id, Annotation.submission_id, Annotation.id).where(
            Annotation.task_id.in_(task_ids), Annotation.submission_id.in_([r.assignment_id for r in rows])))
        } if task_ids else {}

    def decide(self, s, r) -> tuple[dict[str, Any], Any]:
        """(outcome, result to store or None)."""
        task = self.tasks.get(r.task_id or r.hit_task_id)
        if (r.hit_payload or {}).get("mode") == "link-out":
            code = verdict.check_code(s, PROVIDER, r.assignment_id, r.worker_id, (r.answer or {}).get(CODE_FIELD))
            return {"outcome": "link_out", "code": code}, None
        if task is None:
            return {"outcome": "unmatched", "reason": "the HIT is not associated with a task"}, None
        if (task.id, r.assignment_id) in self.stored:
            return {"outcome": "duplicate", "annotation_id": self.stored[(task.id, r.assignment_id)]}, None
        refused = (r.payload or {}).get("answer_error")
        if refused:  # sync refused the answer; its raw text is kept for review, never read again
            return {"outcome": "invalid", "error": refused}, None
        try:
            value = _result(r.answer, r.answer_raw)
            validate_result(self.definitions[task.definition_id], value)
        except ValidationError as exc:
            return {"outcome": "invalid", "error": exc.to_dict()}, None
        return {"outcome": "ingested"}, value


def _raw(r) -> dict[str, Any]:
    return {"source": "mturk", "hit_id": r.hit_id, "worker_id": r.worker_id, "answer_xml": r.answer_raw,
            "accept_time": r.accept_time.isoformat() if r.accept_time else None,
            "submit_time": r.submit_time.isoformat() if r.submit_time else None}


def _chunk(s, rows: list[Any], counts: Counter, participants: set, actor: str) -> None:
    now, plan = utcnow(), _Plan(s, rows)
    new_notes, marks, links = [], [], []
    for r in rows:
        outcome, value = plan.decide(s, r)
        if outcome["outcome"] == "duplicate":
            links.append({"note": outcome["annotation_id"], "assignment": r.id})
        counts[{"ingested": "ingested", "duplicate": "duplicates", "link_out": "link_out",
                "unmatched": "unmatched", "invalid": "invalid"}[outcome["outcome"]]] += 1
        marks.append({"pk": r.id, "ingested_at": now, "payload": {**(r.payload or {}), "ingest": outcome}})
        if value is not None:
            task = plan.tasks[r.task_id or r.hit_task_id]
            new_notes.append({"task_id": task.id, "result": value,
                              "schema_version": plan.definitions[task.definition_id].version,
                              "tool_version": str((r.answer or {}).get("tool_version", ""))[:64],
                              "actor": r.worker_id, "submission_id": r.assignment_id, "raw_payload": _raw(r),
                              "assignment_pk": r.id, "created_at": now})
            if r.project_id is not None:
                participants.add((r.project_id, r.worker_id))
    if new_notes:
        # Core statements on the session's connection: the ORM's per-row bookkeeping is what made this slow.
        conn, table = s.connection(), Annotation.__table__
        made = conn.execute(insert(table).returning(table.c.id, table.c.task_id, table.c.submission_id,
                                                    table.c.actor), new_notes).all()
        events.record_many(s, [events.row("annotation.created", ts=now, actor=m.actor,
                                          project_id=plan.tasks[m.task_id].project_id, task_id=m.task_id,
                                          annotation_id=m.id, submission_id=m.submission_id) for m in made])
        tasks.advance_many(s, [(plan.tasks[task_id], actor) for task_id in {m.task_id for m in made}],
                           reason="annotation ingested")
    s.connection().execute(update(Assignment.__table__).where(Assignment.__table__.c.id == bindparam("pk")),
                           marks)
    _link(s, links)


_NOTES = Annotation.__table__
_LINK = (update(_NOTES).where(_NOTES.c.id == bindparam("note"), _NOTES.c.assignment_pk.is_(None))
         .values(assignment_pk=bindparam("assignment")))


def _link(s, links: list[dict[str, int]]) -> None:
    """Join annotations the worker page stored before this assignment was recorded (older stores) to it."""
    if links:
        s.connection().execute(_LINK, links)


def _chunk_one_by_one(s, rows: list[Any], counts: Counter, participants: set, actor: str) -> None:
    now, plan = utcnow(), _Plan(s, rows)
    for r in rows:
        outcome, value = plan.decide(s, r)
        if value is not None:
            task = plan.tasks[r.task_id or r.hit_task_id]
            done = annotations.submit(s, task.id, value, actor=r.worker_id, submission_id=r.assignment_id,
                                      raw_payload=_raw(r), assignment_pk=r.id)
            if done.duplicate:
                outcome = {"outcome": "duplicate", "annotation_id": done.annotation.id}
            elif r.project_id is not None:
                participants.add((r.project_id, r.worker_id))
        if outcome["outcome"] == "duplicate":
            _link(s, [{"note": outcome["annotation_id"], "assignment": r.id}])
        counts[{"ingested": "ingested", "duplicate": "duplicates", "link_out": "link_out",
                "unmatched": "unmatched", "invalid": "invalid"}[outcome["outcome"]]] += 1
        a = s.get(Assignment, r.id)
        a.ingested_at, a.payload = now, {**(r.payload or {}), "ingest": outcome}


def _result(answer: dict[str, Any] | None, answer_raw: str) -> Any:
    fields = answer or (answers.parse(answer_raw) if answer_raw else {})
    if "result" not in fields:
        raise ValidationError("answer.result", "the answer has no result field")
    return fields["result"]
