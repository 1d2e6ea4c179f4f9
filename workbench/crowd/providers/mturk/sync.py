"""Sync: ask MTurk what changed and bring the HIT, Assignment and Worker rows up to date.

MTurk is asked about three kinds of HIT, never about every open HIT:

- the **Reviewable** ones (``ListReviewableHITs``, paginated): full or expired, with work to review;
- the ones with **worker-page or link-out activity** since their last sync: an assignment the
  worker page recorded as it arrived, or a link-out session that started or finished. These are
  the partly filled HITs, which MTurk does not list as Reviewable until they fill, while their
  submitted work may auto-approve before anyone reviews it;
- a bounded, rotating **sweep** of the other open HITs, oldest-seen first: at most ``sweep`` a
  run, those unseen for ``max_unseen`` seconds, so work that reached MTurk without passing the
  worker page (the page was down) is still seen in bounded time.

MTurk's listing names HIT ids only. A listed HIT the last sync already saw in that status is
skipped; ``ListAssignmentsForHIT`` is called only for the rest (a HIT with activity is asked
directly; a swept one is read with ``GetHIT`` first and asked only if its counts changed).
Rows are upserted with INSERT … ON CONFLICT, in chunks, each chunk with its Event, so two
syncs at once double nothing and a crash loses only the chunk in flight. An assignment id
the store holds under another HIT is a conflict: reported and never merged. On PostgreSQL a
job lock keeps a second scheduler from repeating the work.

One worker's answer never stops a sync: an answer ``answers.parse`` refuses (malformed, hostile,
or holding what no store keeps) is stored raw with the reason in ``payload.answer_error``, and
ingest records it as invalid for review. A HIT MTurk no longer has, met by any of the ways
above, is marked disposed with an Event, and the rest go on.

``method="poll"`` is the seed's way, kept for comparison: every open HIT the store knows
is asked for its assignments, changed or not.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from contextlib import nullcontext
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from workbench import events
from workbench.errors import ValidationError
from workbench.store.locks import job_lock
from workbench.store.models import HIT, Assignment, Project, WorkerSession
from workbench.store.types import utcnow
from ..base import RemoteAssignment, SyncResult
from . import answers
from .client import MTurkError, call
from .rows import ASSIGNMENT_STATUS, HIT_STATUS, PROVIDER, aware, cents, chunks, dialect_insert, upsert_workers

if TYPE_CHECKING:
    from . import MTurkProvider

METHODS = ("reviewable", "poll")
OPEN = ("assignable", "unassignable", "reviewable", "reviewing")
#: Most open HITs without known activity asked in one run (the sweep), and how long one may stay unseen.
SWEEP = 100
MAX_UNSEEN = 24 * 3600
#: How far back worker-page activity is looked for (what is older, and never synced, the sweep finds).
ACTIVITY_WINDOW = timedelta(days=7)
#: Activity this close before a HIT's last sync counts again: the worker's form may reach MTurk just after
#: the page stored the answer, and a sync in between would otherwise not look at that HIT again.
OVERLAP = timedelta(seconds=60)
_ANNOTATION = re.compile(r"^workbench:([a-z0-9][a-z0-9_-]*):(\d*):(\d+)$")
HIT_GONE = "AWS.MechanicalTurk.HITDoesNotExist"


def sync(mt: "MTurkProvider", *, method: str = "reviewable", statuses: tuple[str, ...] = ("Reviewable",),
         sweep: int = SWEEP, max_unseen: int = MAX_UNSEEN, concurrency: int = 8, chunk_size: int = 200,
         lock: bool = True, actor: str = "") -> SyncResult:
    if method not in METHODS:
        raise ValidationError("method", f"must be one of {', '.join(METHODS)}")
    for name, value, most in (("sweep", sweep, 100_000), ("max_unseen", max_unseen, 366 * 86400)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
            raise ValidationError(name, f"must be an integer from 0 to {most}")
    result = SyncResult()
    guard = job_lock(mt.store, f"mturk.sync:{mt.environment}") if lock else nullcontext(True)
    with guard as got:
        if not got:
            result.skipped = True
            return result
        if method == "reviewable":
            targets = _listed_targets(mt, _reviewable(mt, statuses, result), concurrency, result)
            asked = {hit_id for hit_id, _ in targets}
            # A listed HIT skipped as already seen is still one the activity or, when stale, the sweep may take:
            # its work can change while it stays Reviewable (auto-approval, review in another tool).
            active = [hit_id for hit_id in _with_activity(mt) if hit_id not in asked]
            result.active_hits = len(active)
            targets += [(hit_id, None) for hit_id in active]
            targets += _sweep(mt, asked | set(active), sweep, max_unseen, concurrency, result, actor)
        else:
            with mt.store.session() as s:
                targets = [(hit_id, None) for hit_id in s.scalars(
                    select(HIT.hit_id).where(HIT.provider == PROVIDER, HIT.environment == mt.environment,
                                             HIT.status.in_(OPEN)).order_by(HIT.id))]
        result.changed_hits = len(targets)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for batch in chunks(targets, chunk_size):
                asked_at = utcnow()  # what the HITs' rows say was seen, and when: as of before MTurk was asked
                listed = list(pool.map(lambda target: _assignments(mt, target[0]), batch))
                result.api_calls += sum(calls for _, calls in listed)
                # A HIT MTurk no longer has (items None) is recorded as gone already; the rest go on.
                there = [(target, items) for target, (items, _) in zip(batch, listed) if items is not None]
                if there:
                    _record(mt, [target for target, _ in there], [items for _, items in there], result, actor,
                            asked_at)
    return result


def _reviewable(mt: "MTurkProvider", statuses: tuple[str, ...], result: SyncResult) -> dict[str, str]:
    """The listed HITs' ids and the status they were listed under (MTurk's listing carries nothing else)."""
    found: dict[str, str] = {}
    for status in statuses:
        token = None
        while True:
            page = call(mt.client, "ListReviewableHITs", Status=status, MaxResults=100,
                        **({"NextToken": token} if token else {}))
            result.api_calls += 1
            for hit in page.get("HITs", []):
                found[hit["HITId"]] = status
            token = page.get("NextToken")
            if not token:
                break
    return found


def _listed_targets(mt: "MTurkProvider", listed: dict[str, str], concurrency: int,
                    result: SyncResult) -> list[tuple[str, dict[str, Any]]]:
    """The listed HITs to ask for their assignments: those the last sync did not see in the status they are
    listed under. A HIT the store does not know is read with GetHIT, to be recorded whole."""
    synced = {hit_id: payload.get("synced_status") for hit_id, payload in _payloads(mt, list(listed)).items()}
    unknown = [hit_id for hit_id in listed if hit_id not in synced]
    targets = [(hit_id, {"HITId": hit_id, "HITStatus": status}) for hit_id, status in listed.items()
               if hit_id in synced and synced[hit_id] != status]
    if unknown:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            remotes = list(pool.map(lambda hit_id: _get_hit(mt, hit_id), unknown))
        result.api_calls += len(unknown)
        targets += [(remote["HITId"], remote) for remote in remotes if remote is not None]
    return targets


def _with_activity(mt: "MTurkProvider") -> list[str]:
    """Open HITs with an assignment the worker page recorded, or a link-out session started or finished, since
    their last sync (less ``OVERLAP``), within ``ACTIVITY_WINDOW``."""
    since = utcnow() - ACTIVITY_WINDOW
    mine = [HIT.provider == PROVIDER, HIT.environment == mt.environment, HIT.status.in_(OPEN)]
    with mt.store.session() as s:
        arrivals = s.execute(select(HIT.hit_id, HIT.last_synced_at, func.max(Assignment.updated_at))
                             .join(Assignment, Assignment.hit_pk == HIT.id)
                             .where(*mine, Assignment.status == "accepted", Assignment.updated_at >= since)
                             .group_by(HIT.id, HIT.hit_id, HIT.last_synced_at)).all()
        visits = s.execute(select(HIT.hit_id, HIT.last_synced_at,
                                  func.max(func.coalesce(WorkerSession.completed_at, WorkerSession.created_at)))
                           .join(WorkerSession, (WorkerSession.provider == HIT.provider)
                                 & (WorkerSession.hit_id == HIT.hit_id))
                           .where(*mine, (WorkerSession.created_at >= since) | (WorkerSession.completed_at >= since))
                           .group_by(HIT.id, HIT.hit_id, HIT.last_synced_at)).all()
    active = {hit_id for hit_id, synced, latest in (*arrivals, *visits)
              if synced is None or aware(latest) > aware(synced) - OVERLAP}
    return sorted(active)


def _sweep(mt: "MTurkProvider", skip: set[str], limit: int, max_unseen: int, concurrency: int,
           result: SyncResult, actor: str) -> list[tuple[str, dict[str, Any]]]:
    """Up to ``limit`` open HITs unseen for ``max_unseen`` seconds, oldest first, read with GetHIT; the ones whose
    counts changed are returned to be asked for their assignments, the others are only marked seen."""
    if not limit:
        return []
    seen = func.coalesce(HIT.last_synced_at, HIT.created_at)
    with mt.store.session() as s:
        stale = [hit_id for hit_id in s.scalars(
            select(HIT.hit_id).where(HIT.provider == PROVIDER, HIT.environment == mt.environment,
                                     HIT.status.in_(OPEN), seen < utcnow() - timedelta(seconds=max_unseen))
            .order_by(seen, HIT.id).limit(limit + len(skip))) if hit_id not in skip][:limit]
    if not stale:
        return []
    asked_at = utcnow()
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        remotes = [r for r in pool.map(lambda hit_id: _get_hit(mt, hit_id), stale) if r is not None]
    result.api_calls += len(stale)
    result.swept_hits = len(stale)
    changed = {h["HITId"] for h in _changed(mt, remotes) if _taken(h)}
    unchanged = [(h["HITId"], h) for h in remotes if h["HITId"] not in changed]
    if unchanged:
        _record(mt, unchanged, [[] for _ in unchanged], result, actor, asked_at)
    return [(h["HITId"], h) for h in remotes if h["HITId"] in changed]


def _taken(remote: dict[str, Any]) -> bool:
    """Whether any of the HIT's assignments was ever taken (accepted, submitted or reviewed): else none to list."""
    return remote.get("NumberOfAssignmentsAvailable", 0) < remote.get("MaxAssignments", 1)


def _get_hit(mt: "MTurkProvider", hit_id: str) -> dict[str, Any] | None:
    """MTurk's record of a HIT; None (and the row marked seen as disposed) when MTurk no longer has it."""
    try:
        return call(mt.client, "GetHIT", HITId=hit_id)["HIT"]
    except MTurkError as exc:
        _gone(mt, hit_id, exc)
    return None


def _gone(mt: "MTurkProvider", hit_id: str, exc: MTurkError) -> None:
    """Mark the HIT's row, if the store has one, seen as disposed: MTurk said it has no such HIT. Any other refusal
    is raised."""
    if exc.turk_code != HIT_GONE:
        raise exc
    with mt.store.transaction() as s:
        row = s.scalars(select(HIT).where(HIT.provider == PROVIDER, HIT.environment == mt.environment,
                                          HIT.hit_id == hit_id)).one_or_none()
        if row is not None:
            row.status, row.last_synced_at = "disposed", utcnow()
            events.record(s, "mturk.hit.gone", project_id=row.project_id, hit_id=hit_id, environment=mt.environment)


def fingerprint(remote: dict[str, Any]) -> list[Any]:
    """What makes a HIT worth asking about again: its status and its assignment counts."""
    expiration = aware(remote.get("Expiration"))
    return [remote.get("HITStatus"), remote.get("MaxAssignments"), remote.get("NumberOfAssignmentsPending"),
            remote.get("NumberOfAssignmentsAvailable"), remote.get("NumberOfAssignmentsCompleted"),
            expiration.isoformat() if expiration else None]


def _payloads(mt: "MTurkProvider", hit_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The recorded payload (what the last sync saw) of each of these HITs the store knows."""
    out: dict[str, dict[str, Any]] = {}
    with mt.store.session() as s:
        for batch in chunks(hit_ids, 500):
            for hit_id, payload in s.execute(select(HIT.hit_id, HIT.payload).where(
                    HIT.provider == PROVIDER, HIT.environment == mt.environment, HIT.hit_id.in_(batch))):
                out[hit_id] = payload or {}
    return out


def _changed(mt: "MTurkProvider", remote_hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = _payloads(mt, [h["HITId"] for h in remote_hits])
    return [h for h in remote_hits if seen.get(h["HITId"], {}).get("sync_fingerprint") != fingerprint(h)]


def _assignments(mt: "MTurkProvider", hit_id: str) -> tuple[list[dict[str, Any]] | None, int]:
    """The HIT's assignments and the calls it took; None for the assignments of a HIT MTurk no longer has."""
    items, token, calls = [], None, 0
    while True:
        calls += 1
        try:
            page = call(mt.client, "ListAssignmentsForHIT", HITId=hit_id, MaxResults=100,
                        **({"NextToken": token} if token else {}))
        except MTurkError as exc:
            _gone(mt, hit_id, exc)
            return None, calls
        items.extend(page.get("Assignments", []))
        token = page.get("NextToken")
        if not token:
            return items, calls


def _record(mt: "MTurkProvider", batch: list[tuple[str, dict | None]], listed: list[list[dict]],
            result: SyncResult, actor: str, now) -> None:
    with mt.store.transaction() as s:
        hit_rows = _hits(mt, s, batch, result, now)
        found = [a for items in listed for a in items]
        result.workers_new += upsert_workers(s, (a["WorkerId"] for a in found))
        ids = sorted({a["AssignmentId"] for a in found})
        before = {row.assignment_id: row for row in s.execute(
            select(Assignment.assignment_id, Assignment.status, Assignment.hit_pk).where(
                Assignment.provider == PROVIDER, Assignment.assignment_id.in_(ids)))} if ids else {}
        values, refused = [], {}
        for a in sorted(found, key=lambda a: a["AssignmentId"]):
            hit, held = hit_rows[a["HITId"]], before.get(a["AssignmentId"])
            if held is not None and held.hit_pk not in (None, hit.id):
                _conflict(s, mt, result, a, hit, held.hit_pk, actor)
                continue
            remote, error = remote_assignment(a)
            values.append(_assignment_values(remote, hit, now))
            if error is not None:
                refused[remote.assignment_id] = error
        for part in chunks(values, 500):
            stmt = dialect_insert(s)(Assignment).values(part)
            keep = ("status", "accept_time", "submit_time", "approval_time", "rejection_time", "auto_approval_time",
                    "answer_raw", "answer", "feedback", "worker_id", "hit_pk", "task_id", "updated_at")
            s.execute(stmt.on_conflict_do_update(index_elements=["provider", "assignment_id"],
                                                 set_={k: stmt.excluded[k] for k in keep}))
        _record_refusals(s, refused)
        new = sum(1 for v in values if v["assignment_id"] not in before)
        updated = sum(1 for v in values
                      if v["assignment_id"] in before and before[v["assignment_id"]].status != v["status"])
        result.assignments_new += new
        result.assignments_updated += updated
        events.record(s, "mturk.synced", actor=actor, environment=mt.environment, hits=len(batch),
                      assignments_new=new, assignments_updated=updated)


def _conflict(s, mt: "MTurkProvider", result: SyncResult, remote: dict[str, Any], hit: HIT, held_by: int,
              actor: str) -> None:
    """MTurk names an assignment the store holds under another HIT: reported, never merged into that row."""
    other = s.get(HIT, held_by)
    found = {"kind": "assignment", "assignment_id": remote["AssignmentId"], "hit_id": hit.hit_id,
             "task_id": hit.task_id, "recorded_hit_id": other.hit_id if other else None,
             "recorded_task_id": other.task_id if other else None}
    result.conflicts.append(found)
    events.record(s, "mturk.conflict", actor=actor, project_id=hit.project_id, environment=mt.environment, **found)


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
        payload = dict(row.payload or {})
        whole = remote is not None and "MaxAssignments" in remote  # GetHIT's record, not a listing's id
        if remote is not None:
            row.status = HIT_STATUS.get(remote["HITStatus"], row.status)
            payload["synced_status"] = remote["HITStatus"]
        if whole:
            row.max_assignments = remote["MaxAssignments"]
            row.expires_at = aware(remote.get("Expiration"))
        # What the sweep compares GetHIT's counts with: known only from a whole record.
        payload["sync_fingerprint"] = fingerprint(remote) if whole else None
        row.payload = payload
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


def remote_assignment(remote: dict[str, Any]) -> tuple[RemoteAssignment, dict[str, Any] | None]:
    """MTurk's Assignment structure in the provider-neutral shape, and why its answer was refused (None if it was
    not). A refused answer is kept raw, as far as a store can hold it (``answers.storable``), with no fields."""
    raw = remote.get("Answer") or ""
    raw = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    try:
        answer, error = answers.parse(raw), None
    except ValidationError as exc:
        answer, error = {}, exc.to_dict()
    return RemoteAssignment(
        assignment_id=remote["AssignmentId"], hit_id=remote["HITId"], worker_id=remote["WorkerId"],
        status=ASSIGNMENT_STATUS.get(remote["AssignmentStatus"], "submitted"),
        accept_time=aware(remote.get("AcceptTime")), submit_time=aware(remote.get("SubmitTime")),
        approval_time=aware(remote.get("ApprovalTime")), rejection_time=aware(remote.get("RejectionTime")),
        auto_approval_time=aware(remote.get("AutoApprovalTime")), answer_raw=answers.storable(raw), answer=answer,
        feedback=remote.get("RequesterFeedback") or ""), error


def _record_refusals(s, refused: dict[str, dict[str, Any]]) -> None:
    """Keep on each assignment why its answer was refused (``payload.answer_error``): ingest records it as invalid,
    for review, and never reads the kept raw text again."""
    if not refused:
        return
    for row in s.scalars(select(Assignment).where(Assignment.provider == PROVIDER,
                                                   Assignment.assignment_id.in_(sorted(refused)))):
        row.payload = {**(row.payload or {}), "answer_error": refused[row.assignment_id]}


def _assignment_values(remote: RemoteAssignment, hit: HIT, now) -> dict[str, Any]:
    values = asdict(remote)
    del values["hit_id"]
    return dict(values, provider=PROVIDER, hit_pk=hit.id, task_id=hit.task_id, payload={}, created_at=now,
                updated_at=now)
