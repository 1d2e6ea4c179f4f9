"""Sync and ingest: Prolific submissions into Assignment and Worker rows, with Events.

A sync reads at most ``sweep`` studies (HIT rows of this environment, not disposed, not still being
created), the ones looked at longest ago first (never looked at before all), so a large account does not
make one run unbounded: the next run goes on where this one stopped. Hooks are the fast path
(``apply_event``); this sweep is the backstop. One sync per environment runs at a time (a job lock, taken on
SQLite too): a second one started meanwhile answers ``skipped``. Each study read is asked for its submissions
(``GET studies/{id}/submissions/``); each is upserted as an Assignment (``assignment_id`` = the
submission id, ``worker_id`` = the participant id) with its status in the workbench's words. A
submission that reads PROCESSING (Prolific is still settling it) is recorded as not yet settled
(``accepted``) and picked up again by the next sync. ``apply_event`` is the webhook route's entry: it
syncs just the study or submission an event names. Ingest: the answers came through the workbench's
own pages, so settled submissions are only marked ingested and counted as link-out.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workbench import events
from workbench.errors import ValidationError
from workbench.store.locks import job_lock
from workbench.store.models import HIT, Assignment, Worker
from workbench.store.types import utcnow
from ..base import IngestResult, SyncResult
from .studies import CREATING, PROVIDER, STUDY_STATUS

if TYPE_CHECKING:
    from . import ProlificProvider

#: Prolific's submission statuses in the workbench's words; SubmissionShort spells a time-out TIME-OUT,
#: Submission TIMED-OUT (prolific-openapi.yml). PROCESSING (outside the spec's enums) is not yet settled.
SUBMISSION_STATUS = {"ACTIVE": "accepted", "RESERVED": "accepted", "PROCESSING": "accepted",
                     "AWAITING REVIEW": "submitted", "APPROVED": "approved", "PARTIALLY APPROVED": "approved",
                     "REJECTED": "rejected", "RETURNED": "returned", "SCREENED OUT": "returned",
                     "TIMED-OUT": "expired", "TIME-OUT": "expired"}
SETTLED = ("submitted", "approved", "rejected")
#: Most studies one sync reads (each a study read and its submission pages).
SWEEP = 50


def when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def sync(pr: "ProlificProvider", *, sweep: int = SWEEP, lock: bool = True, actor: str = "",
         **_ignored: Any) -> SyncResult:
    """Read up to ``sweep`` studies, oldest-looked-at first; ``skipped`` when another sync holds the lock."""
    if isinstance(sweep, bool) or not isinstance(sweep, int) or not 1 <= sweep <= 100_000:
        raise ValidationError("sweep", "must be an integer from 1 to 100000")
    result = SyncResult()
    guard = job_lock(pr.store, f"prolific.sync:{pr.environment}", on_sqlite=True) if lock else nullcontext(True)
    with guard as got:
        if not got:
            result.skipped = True
            return result
        with pr.store.session() as s:
            studies = list(s.scalars(
                select(HIT.hit_id).where(HIT.provider == PROVIDER, HIT.environment == pr.environment,
                                         HIT.status.not_in(("disposed", CREATING)))
                .order_by(HIT.last_synced_at.asc().nulls_first(), HIT.id).limit(sweep)))
        result.changed_hits = result.swept_hits = len(studies)
        for study_id in studies:
            sync_study(pr, study_id, result, actor)
    return result


def sync_study(pr: "ProlificProvider", study_id: str, result: SyncResult, actor: str = "") -> None:
    study = pr.client.get(f"studies/{study_id}/")
    subs = pr.client.listing(f"studies/{study_id}/submissions/")
    result.api_calls += 2
    _record(pr, study_id, study, subs, result, actor)


def apply_event(pr: "ProlificProvider", resource_id: str, event_type: str, *, actor: str = "hook") -> SyncResult:
    """Sync what one hook event names: ``submission.*`` its submission, ``study.*`` its study."""
    result = SyncResult()
    if event_type.startswith("submission."):
        sub = pr.client.get(f"submissions/{resource_id}/")
        result.api_calls += 1
        short = {"id": sub["id"], "participant_id": sub.get("participant") or sub.get("participant_id"),
                 "status": sub.get("status"), "started_at": sub.get("started_at"),
                 "completed_at": sub.get("completed_at"), "study_code": sub.get("entered_code")}
        _record(pr, sub["study_id"], None, [short], result, actor)
    elif event_type.startswith("study."):
        sync_study(pr, resource_id, result, actor)
    return result


def _record(pr: "ProlificProvider", study_id: str, study: dict | None, subs: list[dict], result: SyncResult,
            actor: str, *, attempts: int = 3) -> None:
    """Record a study's submissions, counted into ``result``. Two writers of one new submission or participant (a
    hook beside a sync, or two hooks) race on the store's unique keys: the loser's transaction is undone, and it
    reads again and records what is left."""
    for attempt in range(1, attempts + 1):
        part = SyncResult()
        try:
            _record_once(pr, study_id, study, subs, part, actor)
        except IntegrityError:
            if attempt == attempts:
                raise
            continue
        for name, value in vars(part).items():
            if isinstance(value, list):
                getattr(result, name).extend(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                setattr(result, name, getattr(result, name) + value)
        return


def _record_once(pr: "ProlificProvider", study_id: str, study: dict | None, subs: list[dict], result: SyncResult,
                 actor: str) -> None:
    now = utcnow()
    with pr.store.transaction() as s:
        hit = s.scalars(select(HIT).where(HIT.provider == PROVIDER, HIT.environment == pr.environment,
                                          HIT.hit_id == study_id)).first()
        if hit is None:
            return  # a study made elsewhere: adopted by create_work's record only
        if study is not None:
            hit.status = STUDY_STATUS.get(study.get("status"), hit.status)
            hit.max_assignments = int(study.get("total_available_places") or hit.max_assignments)
            hit.payload = {**(hit.payload or {}), "study_status": study.get("status")}
        hit.last_synced_at = now
        held = {a.assignment_id: a for a in s.scalars(select(Assignment).where(
            Assignment.provider == PROVIDER, Assignment.assignment_id.in_([x["id"] for x in subs])))} if subs else {}
        new_workers = 0
        for sub in subs:
            remote_status = sub.get("status") or ""
            status = SUBMISSION_STATUS.get(remote_status, "accepted")
            worker = sub.get("participant_id") or sub.get("participant") or ""
            values = dict(status=status, accept_time=when(sub.get("started_at")),
                          submit_time=when(sub.get("completed_at")) if status != "accepted" else None)
            row = held.get(sub["id"])
            if row is not None and row.hit_pk != hit.id:
                result.conflicts.append({"kind": "assignment", "assignment_id": sub["id"], "hit_id": study_id})
                continue
            if row is None:
                row = Assignment(provider=PROVIDER, assignment_id=sub["id"], hit_pk=hit.id, task_id=None,
                                 worker_id=worker, payload={}, created_at=now, updated_at=now, **values)
                s.add(row)
                result.assignments_new += 1
            elif row.status != status or (row.payload or {}).get("prolific_status") != remote_status:
                for k, v in values.items():
                    setattr(row, k, v)
                result.assignments_updated += 1
            else:
                continue
            if status == "approved" and row.approval_time is None:
                row.approval_time = now
            if status == "rejected" and row.rejection_time is None:
                row.rejection_time = now
            row.payload = {**(row.payload or {}), "prolific_status": remote_status,
                           "study_code": sub.get("study_code"), "settled": remote_status != "PROCESSING"}
            if worker and s.scalars(select(Worker.id).where(Worker.provider == PROVIDER,
                                                             Worker.worker_id == worker)).first() is None:
                s.add(Worker(provider=PROVIDER, worker_id=worker, first_seen_at=now, last_seen_at=now))
                s.flush()
                new_workers += 1
            events.record(s, "prolific.submission.synced", actor=actor, project_id=hit.project_id, hit_id=study_id,
                          assignment_id=sub["id"], worker_id=worker, status=status, prolific_status=remote_status)
        result.workers_new += new_workers


def ingest(pr: "ProlificProvider", *, chunk_size: int = 500, actor: str = "", **_ignored: Any) -> IngestResult:
    result = IngestResult()
    with pr.store.transaction() as s:
        rows = list(s.scalars(select(Assignment).join(HIT, HIT.id == Assignment.hit_pk).where(
            Assignment.provider == PROVIDER, HIT.environment == pr.environment, Assignment.status.in_(SETTLED),
            Assignment.ingested_at.is_(None)).limit(max(1, chunk_size) * 100)))
        now = utcnow()
        for row in rows:
            if (row.payload or {}).get("settled") is False:
                continue
            row.ingested_at = now
            result.link_out += 1
        if result.link_out:
            events.record(s, "prolific.ingested", actor=actor, environment=pr.environment, link_out=result.link_out)
    return result
