"""Sync and ingest: a link's finished sessions become Assignment rows, so review and exports treat them alike.

The page is the source: nothing is asked of the panel. ``sync`` reads the finished WorkerSessions of
this environment's links that no Assignment settled yet (so a run costs what is new, and locks only the
links that have some) and records each as an Assignment (``assignment_id`` = the session's, the
participant as worker): ``submitted`` when the participant did their tasks, ``returned`` when no task
was left for them (the sheet says ``no_task``; nothing is owed). The worker page recorded the row
``accepted`` when the first answer arrived (``assignments.link_arrivals``); sync completes that row,
never a second one, and carries the session's code as the answer's ``completion_code`` so the code
verdict of review is ``ok``. A rerun changes nothing. ``ingest`` counts the answers as link-out (they
came through the page and were joined to their assignment then) and records the code verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workbench import events
from workbench.crowd import verdict, worker_sessions
from workbench.store.engine import dialect_insert
from workbench.store.models import HIT, Assignment, Worker, WorkerSession
from workbench.store.types import utcnow
from ..base import IngestResult, SyncResult
from .links import PROVIDER, entered

if TYPE_CHECKING:
    from . import LinkOutProvider

FINISHED = ("complete", worker_sessions.NO_TASK)
#: The statuses sync may still move: a row the page recorded, or none yet.
UNSETTLED = ("accepted",)
INGESTED = ("submitted", "approved", "rejected", "returned")


def _unsettled(stmt):
    """``stmt`` over finished WorkerSessions narrowed to those no Assignment settled yet (none, or ``accepted``):
    a run reads what is new, not every session ever finished."""
    return stmt.outerjoin(Assignment, (Assignment.provider == PROVIDER)
                          & (Assignment.assignment_id == WorkerSession.assignment_id)).where(
        WorkerSession.provider == PROVIDER, WorkerSession.status.in_(FINISHED),
        Assignment.id.is_(None) | Assignment.status.in_(UNSETTLED))


def sync(lo: "LinkOutProvider", *, actor: str = "", **_ignored: Any) -> SyncResult:
    """Settle the finished sessions of this environment's links; only links with such a session are locked."""
    result = SyncResult()
    with lo.store.session() as s:
        live = select(HIT.hit_id).where(HIT.provider == PROVIDER, HIT.environment == lo.environment,
                                        HIT.status != "disposed")
        links = sorted(set(s.scalars(_unsettled(select(WorkerSession.hit_id)).where(WorkerSession.hit_id.in_(live)))))
    result.changed_hits = len(links)
    for link in links:
        _sync_link(lo, link, result, actor)
    return result


def _sync_link(lo: "LinkOutProvider", link: str, result: SyncResult, actor: str) -> None:
    with lo.store.transaction() as s:
        # The link's row is locked: two syncs of one link take turns, and the second finds nothing to do.
        hit = s.scalars(select(HIT).where(HIT.provider == PROVIDER, HIT.environment == lo.environment,
                                          HIT.hit_id == link).with_for_update()).one()
        visits = list(s.scalars(_unsettled(select(WorkerSession)).where(WorkerSession.hit_id == link)
                                .order_by(WorkerSession.assignment_id)))
        result.conflicts.extend({"kind": "session", "assignment_id": v.assignment_id, "hit_id": link,
                                 "reason": "not started by the entry route"} for v in visits if not entered(v))
        visits = [v for v in visits if entered(v)]
        if not visits:
            return
        ids = [v.assignment_id for v in visits]
        held = {a.assignment_id: a for a in s.scalars(select(Assignment).where(
            Assignment.provider == PROVIDER, Assignment.assignment_id.in_(ids)))}
        now = utcnow()
        new = [v for v in visits if v.assignment_id not in held]
        if new:
            # In id order, as the page writes them; a row the page makes meanwhile is taken, not doubled.
            s.execute(dialect_insert(s)(Assignment).values([
                {"provider": PROVIDER, "assignment_id": v.assignment_id, "hit_pk": hit.id, "task_id": None,
                 "worker_id": v.worker_id, "status": "accepted", "answer_raw": "", "answer": {}, "feedback": "",
                 "payload": {"source": "link-out sync"}, "created_at": now, "updated_at": now} for v in new
            ]).on_conflict_do_nothing(index_elements=["provider", "assignment_id"]))
            held = {a.assignment_id: a for a in s.scalars(select(Assignment).where(
                Assignment.provider == PROVIDER, Assignment.assignment_id.in_(ids)).with_for_update()
                .execution_options(populate_existing=True))}
            result.assignments_new += len(new)
        for visit in visits:
            row = held[visit.assignment_id]
            if row.hit_pk not in (None, hit.id):
                result.conflicts.append({"kind": "assignment", "assignment_id": row.assignment_id, "hit_id": link})
                continue
            if row.status not in UNSETTLED:
                continue
            no_task = visit.status == worker_sessions.NO_TASK
            row.hit_pk, row.worker_id = hit.id, visit.worker_id
            row.status = "returned" if no_task else "submitted"
            row.accept_time = row.accept_time or visit.created_at
            row.submit_time = visit.completed_at
            row.answer = {**(row.answer or {}), lo.code_field: visit.completion_code}
            row.payload = {**(row.payload or {}), "worker_session_id": visit.id, "no_task": no_task}
            if visit not in new:
                result.assignments_updated += 1
            events.record(s, "link-out.session.synced", actor=actor, project_id=hit.project_id, hit_id=link,
                          assignment_id=row.assignment_id, worker_id=row.worker_id, status=row.status)
        result.workers_new += _workers(s, {v.worker_id for v in visits}, now)
        hit.last_synced_at = now


def _workers(s, worker_ids: set[str], now) -> int:
    known = set(s.scalars(select(Worker.worker_id).where(Worker.provider == PROVIDER,
                                                         Worker.worker_id.in_(worker_ids))))
    fresh = sorted(worker_ids - known)
    if fresh:
        s.execute(dialect_insert(s)(Worker).values([
            {"provider": PROVIDER, "worker_id": w, "blocked": False, "block_reason": "", "first_seen_at": now,
             "last_seen_at": now} for w in fresh]).on_conflict_do_nothing(index_elements=["provider", "worker_id"]))
    return len(fresh)


def ingest(lo: "LinkOutProvider", *, chunk_size: int = 500, actor: str = "", **_ignored: Any) -> IngestResult:
    """Mark synced assignments ingested, with their code's verdict; their answers came through the page."""
    result = IngestResult()
    while True:
        with lo.store.transaction() as s:
            rows = list(s.scalars(select(Assignment).join(HIT, HIT.id == Assignment.hit_pk).where(
                Assignment.provider == PROVIDER, HIT.environment == lo.environment,
                Assignment.status.in_(INGESTED), Assignment.ingested_at.is_(None))
                .order_by(Assignment.id).limit(max(1, chunk_size)).with_for_update()))
            if not rows:
                break
            now = utcnow()
            for row in rows:
                code = verdict.check_code(s, PROVIDER, row.assignment_id, row.worker_id,
                                          (row.answer or {}).get(lo.code_field))
                row.ingested_at = now
                row.payload = {**(row.payload or {}), "ingest": {"outcome": "link_out", "code": code}}
            result.link_out += len(rows)
            events.record(s, "link-out.ingested", actor=actor, environment=lo.environment, link_out=len(rows))
    return result
