"""Sync: ask MTurk what changed and bring the HIT, Assignment and Worker rows up to date.

``ListReviewableHITs`` (paginated) names the HITs with work to review; a HIT whose counts
and status are what the last sync saw is skipped; ``ListAssignmentsForHIT`` is called only
for the rest. Rows are upserted with INSERT … ON CONFLICT, in chunks, each chunk with its
Event, so two syncs at once double nothing and a crash loses only the chunk in flight. On
PostgreSQL a job lock keeps a second scheduler from repeating the work.

``method="poll"`` is the seed's way, kept for comparison: every open HIT the store knows
is asked for its assignments, changed or not.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ... import events
from ...errors import ValidationError
from ...store.locks import job_lock
from ...store.models import HIT, Assignment, Project
from ...store.types import utcnow
from ..base import SyncResult
from . import answers
from .client import call
from .rows import ASSIGNMENT_STATUS, HIT_STATUS, PROVIDER, aware, cents, chunks, dialect_insert, upsert_workers

if TYPE_CHECKING:
    from . import MTurkProvider

METHODS = ("reviewable", "poll")
OPEN = ("assignable", "unassignable", "reviewable", "reviewing")
_ANNOTATION = re.compile(r"^workbench:([a-z0-9][a-z0-9_-]*):(\d*):(\d+)$")


def sync(mt: "MTurkProvider", *, method: str = "reviewable", statuses: tuple[str, ...] = ("Reviewable",),
         concurrency: int = 8, chunk_size: int = 200, lock: bool = True, actor: str = "") -> SyncResult:
    if method not in METHODS:
        raise ValidationError("method", f"must be one of {', '.join(METHODS)}")
    result = SyncResult()
    guard = job_lock(mt.store, f"mturk.sync:{mt.environment}") if lock else nullcontext(True)
    with guard as got:
        if not got:
            result.skipped = True
            return result
        if method == "reviewable":
            remote_hits = _reviewable(mt, statuses, result)
            todo = _changed(mt, remote_hits)
            targets = [(h["HITId"], h) for h in todo]
        else:
            with mt.store.session() as s:
                targets = [(hit_id, None) for hit_id in s.scalars(
                    select(HIT.hit_id).where(HIT.provider == PROVIDER, HIT.environment == mt.environment,
                                             HIT.status.in_(OPEN)).order_by(HIT.id))]
        result.changed_hits = len(targets)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for batch in chunks(targets, chunk_size):
                listed = list(pool.map(lambda target: _assignments(mt, target[0]), batch))
                result.api_calls += sum(calls for _, calls in listed)
                _record(mt, batch, [items for items, _ in listed], result, actor)
    return result


def _reviewable(mt: "MTurkProvider", statuses: tuple[str, ...], result: SyncResult) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for status in statuses:
        token = None
        while True:
            page = call(mt.client, "ListReviewableHITs", Status=status, MaxResults=100,
                        **({"NextToken": token} if token else {}))
            result.api_calls += 1
            for hit in page.get("HITs", []):
                found[hit["HITId"]] = hit
            token = page.get("NextToken")
            if not token:
                break
    return list(found.values())


def fingerprint(remote: dict[str, Any]) -> list[Any]:
    """What makes a HIT worth asking about again: its status and its assignment counts."""
    expiration = aware(remote.get("Expiration"))
    return [remote.get("HITStatus"), remote.get("MaxAssignments"), remote.get("NumberOfAssignmentsPending"),
            remote.get("NumberOfAssignmentsAvailable"), remote.get("NumberOfAssignmentsCompleted"),
            expiration.isoformat() if expiration else None]


def _changed(mt: "MTurkProvider", remote_hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, Any] = {}
    with mt.store.session() as s:
        for batch in chunks([h["HITId"] for h in remote_hits], 500):
            for hit_id, payload in s.execute(select(HIT.hit_id, HIT.payload).where(
                    HIT.provider == PROVIDER, HIT.environment == mt.environment, HIT.hit_id.in_(batch))):
                seen[hit_id] = (payload or {}).get("sync_fingerprint")
    return [h for h in remote_hits if seen.get(h["HITId"]) != fingerprint(h)]


def _assignments(mt: "MTurkProvider", hit_id: str) -> tuple[list[dict[str, Any]], int]:
    items, token, calls = [], None, 0
    while True:
        page = call(mt.client, "ListAssignmentsForHIT", HITId=hit_id, MaxResults=100,
                    **({"NextToken": token} if token else {}))
        calls += 1
        items.extend(page.get("Assignments", []))
        token = page.get("NextToken")
        if not token:
            return items, calls


def _record(mt: "MTurkProvider", batch: list[tuple[str, dict | None]], listed: list[list[dict]],
            result: SyncResult, actor: str) -> None:
    now = utcnow()
    with mt.store.transaction() as s:
        hit_rows = _hits(mt, s, batch, result, now)
        found = [a for items in listed for a in items]
        result.workers_new += upsert_workers(s, (a["WorkerId"] for a in found))
        ids = sorted({a["AssignmentId"] for a in found})
        before = dict(s.execute(select(Assignment.assignment_id, Assignment.status).where(
            Assignment.provider == PROVIDER, Assignment.assignment_id.in_(ids))).all()) if ids else {}
        values = [_assignment_values(a, hit_rows[a["HITId"]], now) for a in sorted(found, key=lambda a: a["AssignmentId"])]
        for part in chunks(values, 500):
            stmt = dialect_insert(s)(Assignment).values(part)
            keep = ("status", "accept_time", "submit_time", "approval_time", "rejection_time", "auto_approval_time",
                    "answer_raw", "answer", "feedback", "worker_id", "hit_pk", "task_id", "updated_at")
            s.execute(stmt.on_conflict_do_update(index_elements=["provider", "assignment_id"],
                                                 set_={k: stmt.excluded[k] for k in keep}))
        new = sum(1 for v in values if v["assignment_id"] not in before)
        updated = sum(1 for v in values if v["assignment_id"] in before and before[v["assignment_id"]] != v["status"])
        result.assignments_new += new
        result.assignments_updated += updated
        events.record(s, "mturk.synced", actor=actor, environment=mt.environment, hits=len(batch),
                      assignments_new=new, assignments_updated=updated)


def _hits(mt: "MTurkProvider", s, batch, result: SyncResult, now) -> dict[str, HIT]:
    """The HIT rows of the batch, inserting those MTurk knows and the store does not; refreshed from MTurk."""
    hit_ids = [hit_id for hit_id, _ in batch]
    rows = {h.hit_id: h for h in s.scalars(select(HIT).where(
        HIT.provider == PROVIDER, HIT.environment == mt.environment, HIT.hit_id.in_(hit_ids)))}
    unknown = [remote for hit_id, remote in batch if hit_id not in rows and remote is not None]
    if unknown:
        slugs = dict(s.execute(select(Project.slug, Project.id)).all())
        values = [_new_hit_values(mt, remote, slugs, now) for remote in unknown]
        s.execute(dialect_insert(s)(HIT).values(values).on_conflict_do_nothing())
        result.hits_inserted += len(unknown)
        rows.update({h.hit_id: h for h in s.scalars(select(HIT).where(
            HIT.provider == PROVIDER, HIT.environment == mt.environment,
            HIT.hit_id.in_([r["HITId"] for r in unknown])))})
    for hit_id, remote in batch:
        row = rows[hit_id]
        row.last_synced_at = now
        if remote is not None:
            row.status = HIT_STATUS.get(remote["HITStatus"], row.status)
            row.max_assignments = remote["MaxAssignments"]
            row.expires_at = aware(remote.get("Expiration"))
            row.payload = {**(row.payload or {}), "sync_fingerprint": fingerprint(remote)}
    s.flush()
    return rows


def _new_hit_values(mt: "MTurkProvider", remote: dict[str, Any], slugs: dict[str, int], now) -> dict[str, Any]:
    project_id = task_id = None
    round_ = 0
    match = _ANNOTATION.match(remote.get("RequesterAnnotation") or "")
    if match and match.group(1) in slugs:
        project_id, round_ = slugs[match.group(1)], int(match.group(3))
        task_id = int(match.group(2)) if match.group(2) else None
    return dict(provider=PROVIDER, environment=mt.environment, hit_id=remote["HITId"],
                hit_type_id=remote.get("HITTypeId", ""), project_id=project_id, task_id=task_id, round=round_,
                unique_request_token=None, status=HIT_STATUS.get(remote["HITStatus"], "reviewable"),
                title=remote.get("Title", "")[:255], reward_cents=cents(remote.get("Reward", "0")),
                max_assignments=remote["MaxAssignments"], expires_at=aware(remote.get("Expiration")),
                question=remote.get("Question", ""), created_at=now, updated_at=now,
                payload={"initial_max_assignments": remote["MaxAssignments"], "found_by_sync": True,
                         "mode": "link-out" if "HTMLQuestion" in remote.get("Question", "") else "external",
                         "requester_annotation": remote.get("RequesterAnnotation", "")})


def _assignment_values(remote: dict[str, Any], hit: HIT, now) -> dict[str, Any]:
    raw = remote.get("Answer") or ""
    try:
        answer = answers.parse(raw)
    except ValidationError:
        answer = {}  # kept raw; ingest reports the reason
    return dict(provider=PROVIDER, assignment_id=remote["AssignmentId"], hit_pk=hit.id, task_id=hit.task_id,
                worker_id=remote["WorkerId"], status=ASSIGNMENT_STATUS.get(remote["AssignmentStatus"], "submitted"),
                accept_time=aware(remote.get("AcceptTime")), submit_time=aware(remote.get("SubmitTime")),
                approval_time=aware(remote.get("ApprovalTime")), rejection_time=aware(remote.get("RejectionTime")),
                auto_approval_time=aware(remote.get("AutoApprovalTime")), answer_raw=raw, answer=answer,
                feedback=remote.get("RequesterFeedback") or "", payload={}, created_at=now, updated_at=now)
