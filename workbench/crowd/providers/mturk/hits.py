"""HITs: create them for tasks in idempotent batches; extend, expire, delete; adopt one made elsewhere.

Each (project, task, round, environment) has one deterministic ``UniqueRequestToken``. A
batch asks MTurk first and records afterwards, so a crash in between loses nothing: the
rerun's request carries the same token, MTurk answers ``HitAlreadyExists`` naming the HIT,
and the HIT is fetched and recorded instead of made twice. (MTurk remembers a token for at
least 24 hours; the store remembers it for ever, so a rerun after that asks nothing.)
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import select, update

from workbench import events
from workbench.study import projects
from workbench.errors import NotFoundError, ValidationError
from workbench.store.models import HIT, Task
from workbench.store.types import utcnow
from ..base import CreateResult, Progress, WorkSpec
from . import qualifications, questions
from .client import MTurkError, call
from .rows import HIT_STATUS, PROVIDER, aware, cents, chunks, dialect_insert, dollars, get_hit

if TYPE_CHECKING:
    from . import MTurkProvider

_EXISTING = re.compile(r"HIT with ID ([A-Z0-9]+) already exists")
_PAST = datetime(2015, 1, 1, tzinfo=timezone.utc)


def request_token(project_id: int, task_id: int | None, round: int, environment: str) -> str:
    """The HIT's UniqueRequestToken: the same inputs always give the same 64 characters."""
    return hashlib.sha256(f"workbench-hit:{project_id}:{task_id}:{round}:{environment}".encode()).hexdigest()


def annotation(project_slug: str, task_id: int | None, round: int) -> str:
    """RequesterAnnotation: lets a HIT found by sync alone be traced back to its task."""
    return f"workbench:{project_slug}:{task_id if task_id is not None else ''}:{round}"[:255]


def hit_type(mt: "MTurkProvider", project_slug: str, spec: WorkSpec) -> str:
    """The HIT type for a spec (MTurk returns the same id for the same properties)."""
    params: dict[str, Any] = dict(
        Title=spec.title, Description=spec.description, Reward=dollars(spec.reward_cents),
        AssignmentDurationInSeconds=spec.duration, AutoApprovalDelayInSeconds=spec.auto_approval_delay,
        Keywords=", ".join(spec.keywords))
    reqs = qualifications.requirements(mt, project_slug, spec.qualifications)
    if reqs:
        params["QualificationRequirements"] = reqs
    return call(mt.client, "CreateHITType", **params)["HITTypeId"]


def question_for(spec: WorkSpec, project_slug: str, task_id: int | None, base_url: str | None) -> str:
    if spec.mode == "link-out":
        return questions.link_out_question(project_slug, title=spec.title, description=spec.description,
                                           frame_height=spec.frame_height, base_url=base_url)
    if task_id is None:
        raise ValidationError("task_ids", "an external-question HIT shows one task; give task ids")
    return questions.external_question(task_id, frame_height=spec.frame_height, base_url=base_url)


def create_for_tasks(mt: "MTurkProvider", project: int | str, task_ids: Sequence[int | None], spec: WorkSpec, *,
                     round: int = 0, batch_size: int = 50, concurrency: int = 4, progress: Progress | None = None,
                     base_url: str | None = None, actor: str = "") -> CreateResult:
    """One HIT per task (``None``: one HIT for the whole project, for link-out), ``batch_size`` per commit."""
    if isinstance(round, bool) or not isinstance(round, int) or round < 0:
        raise ValidationError("round", "must be a non-negative integer")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError("batch_size", "must be a positive integer")
    with mt.store.session() as s:
        proj = projects.get(s, project)
        wanted = [t for t in task_ids if t is not None]
        found = set(s.scalars(select(Task.id).where(Task.project_id == proj.id, Task.id.in_(wanted)))) if wanted else set()
    missing = [t for t in wanted if t not in found]
    if missing:
        raise ValidationError("task_ids", f"tasks {missing[:10]} are not in project {proj.slug!r}")
    base_url = questions.public_base_url(base_url, environment=mt.environment)  # refused before MTurk is asked
    result = CreateResult()
    type_id = hit_type(mt, proj.slug, spec)
    for batch in chunks(list(dict.fromkeys(task_ids)), batch_size):
        _create_batch(mt, proj, batch, spec, type_id, round, concurrency, base_url, actor, result)
        if progress is not None:
            progress(len(batch))
    return result


def _create_batch(mt, proj, batch, spec, type_id, round, concurrency, base_url, actor, result) -> None:
    tokens = {task_id: request_token(proj.id, task_id, round, mt.environment) for task_id in batch}
    with mt.store.session() as s:
        recorded = dict(s.execute(select(HIT.unique_request_token, HIT.hit_id).where(
            HIT.unique_request_token.in_(list(tokens.values())))).all())
    todo = [t for t in batch if tokens[t] not in recorded]
    result.existing += len(batch) - len(todo)
    result.hit_ids.extend(recorded[tokens[t]] for t in batch if tokens[t] in recorded)

    def one(task_id):
        params = dict(HITTypeId=type_id, MaxAssignments=spec.max_assignments, LifetimeInSeconds=spec.lifetime,
                      Question=question_for(spec, proj.slug, task_id, base_url),
                      RequesterAnnotation=annotation(proj.slug, task_id, round), UniqueRequestToken=tokens[task_id])
        try:
            return task_id, call(mt.client, "CreateHITWithHITType", **params)["HIT"], False
        except MTurkError as exc:
            match = _EXISTING.search(str(exc))
            if exc.turk_code != "AWS.MechanicalTurk.HitAlreadyExists" or not match:
                raise
            return task_id, call(mt.client, "GetHIT", HITId=match.group(1))["HIT"], True

    if concurrency > 1 and len(todo) > 1:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            made = list(pool.map(one, todo))
    else:
        made = [one(t) for t in todo]
    if not made:
        return
    with mt.store.transaction() as s:
        held = {row.hit_id: row for row in s.execute(
            select(HIT.hit_id, HIT.project_id, HIT.task_id).where(
                HIT.provider == PROVIDER, HIT.environment == mt.environment,
                HIT.hit_id.in_([remote["HITId"] for _, remote, _ in made])))}
        clashes = {remote["HITId"]: task_id for task_id, remote, _ in made
                   if remote["HITId"] in held and (held[remote["HITId"]].project_id, held[remote["HITId"]].task_id)
                   != (proj.id, task_id)}
        for hit_id, task_id in clashes.items():
            _conflict(s, mt, result, proj, task_id, hit_id, held[hit_id].task_id, actor)
        made = [m for m in made if m[1]["HITId"] not in clashes]
        # The same HIT for the same task, recorded meanwhile by sync (from its RequesterAnnotation): it gets its token.
        for task_id, remote, _ in made:
            if remote["HITId"] in held:
                s.execute(update(HIT).where(HIT.provider == PROVIDER, HIT.environment == mt.environment,
                                            HIT.hit_id == remote["HITId"]).values(unique_request_token=tokens[task_id]))
        rows = [_hit_values(mt, remote, proj.id, task_id, round, tokens[task_id], spec) for task_id, remote, _ in made]
        if rows:
            stmt = dialect_insert(s)(HIT).values(rows)
            s.execute(stmt.on_conflict_do_nothing())
        for task_id, remote, recovered in made:
            events.record(s, "mturk.hit.created", actor=actor, project_id=proj.id, task_id=task_id,
                          hit_id=remote["HITId"], environment=mt.environment, round=round, recovered=recovered)
    for _, remote, recovered in made:
        result.hit_ids.append(remote["HITId"])
        if recovered:
            result.recovered += 1
        else:
            result.created += 1


def _conflict(s, mt, result: CreateResult, proj, task_id, hit_id: str, held_task_id, actor: str) -> None:
    """MTurk answered with a HIT id the store holds for another task (a reused simulator, a HIT made by another
    tool): reported and left unrecorded, never remapped onto this task."""
    found = {"kind": "hit", "hit_id": hit_id, "task_id": task_id, "recorded_task_id": held_task_id}
    result.conflicts.append(found)
    events.record(s, "mturk.conflict", actor=actor, project_id=proj.id, environment=mt.environment, **found)


def _hit_values(mt, remote: dict[str, Any], project_id, task_id, round, token, spec: WorkSpec | None) -> dict:
    now = utcnow()
    payload: dict[str, Any] = {"initial_max_assignments": remote["MaxAssignments"],
                               "requester_annotation": remote.get("RequesterAnnotation", "")}
    if spec is not None:
        payload.update(mode=spec.mode, spec=spec.to_dict())
    return dict(provider=PROVIDER, environment=mt.environment, hit_id=remote["HITId"],
                hit_type_id=remote.get("HITTypeId", ""), project_id=project_id, task_id=task_id, round=round,
                unique_request_token=token, status=HIT_STATUS.get(remote.get("HITStatus"), "assignable"),
                title=remote.get("Title", "")[:255], reward_cents=cents(remote.get("Reward", "0")),
                max_assignments=remote["MaxAssignments"], expires_at=aware(remote.get("Expiration")),
                question=remote.get("Question", ""), payload=payload, created_at=now, updated_at=now)


def create_one(mt: "MTurkProvider", project: int | str, task_id: int | None, spec: WorkSpec, **options) -> HIT:
    """One HIT for one task (or, with ``None``, one link-out HIT for the project)."""
    result = create_for_tasks(mt, project, [task_id], spec, **options)
    with mt.store.session() as s:
        return get_hit(s, mt.environment, result.hit_ids[0])


# -- changing a HIT ---------------------------------------------------------------------

def refresh(mt: "MTurkProvider", hit_id: str, *, event: str | None = None, actor: str = "", **details) -> HIT:
    """Read the HIT back from MTurk and record what it says (with an Event when ``event`` is given)."""
    remote = call(mt.client, "GetHIT", HITId=hit_id)["HIT"]
    with mt.store.transaction() as s:
        row = get_hit(s, mt.environment, hit_id)
        row.status = HIT_STATUS.get(remote["HITStatus"], row.status)
        row.max_assignments = remote["MaxAssignments"]
        row.expires_at = aware(remote.get("Expiration"))
        # Changed by our own hand (extended, expired): the next sync asks for its assignments even if MTurk
        # lists it in the status the last sync saw.
        row.payload = {**(row.payload or {}), "synced_status": None}
        if event:
            events.record(s, event, actor=actor, project_id=row.project_id, hit_id=hit_id,
                          environment=mt.environment, status=row.status, max_assignments=row.max_assignments,
                          expires_at=row.expires_at.isoformat() if row.expires_at else None, **details)
    return row


def extend(mt: "MTurkProvider", hit_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = "") -> HIT:
    """More assignments and/or a later expiry (``seconds`` past the current one, or past now once expired).

    Rerunning an extension that crashed before it was recorded does not add the assignments twice.
    """
    for name, value in (("assignments", assignments), ("seconds", seconds)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(name, "must be a non-negative integer")
    if not assignments and not seconds:
        raise ValidationError("assignments", "give more assignments, more seconds, or both")
    with mt.store.session() as s:
        recorded = get_hit(s, mt.environment, hit_id).max_assignments
    remote = call(mt.client, "GetHIT", HITId=hit_id)["HIT"]
    if assignments:
        # The token names the extension from the count the store recorded, which changes only once an
        # extension is recorded: a rerun after a crash between MTurk's answer and the record sends the
        # same token, and MTurk refuses it as a duplicate instead of adding the assignments again.
        token = hashlib.sha256(f"workbench-extend:{hit_id}:{recorded}:{assignments}".encode()).hexdigest()
        try:
            call(mt.client, "CreateAdditionalAssignmentsForHIT", HITId=hit_id, NumberOfAdditionalAssignments=assignments,
                 UniqueRequestToken=token)
        except MTurkError as exc:
            if exc.turk_code != "AWS.MechanicalTurk.DuplicateRequest":
                raise  # a DuplicateRequest means this very extension already happened
    if seconds:
        current = aware(remote.get("Expiration")) or utcnow()
        base = current if remote["HITStatus"] in ("Assignable", "Unassignable") else max(current, utcnow())
        call(mt.client, "UpdateExpirationForHIT", HITId=hit_id, ExpireAt=base + timedelta(seconds=seconds))
    return refresh(mt, hit_id, event="mturk.hit.extended", actor=actor, assignments=assignments, seconds=seconds)


def expire(mt: "MTurkProvider", hit_id: str, *, actor: str = "") -> HIT:
    """Take the HIT off the market now; work already accepted may still be submitted."""
    with mt.store.session() as s:
        get_hit(s, mt.environment, hit_id)
    call(mt.client, "UpdateExpirationForHIT", HITId=hit_id, ExpireAt=_PAST)
    return refresh(mt, hit_id, event="mturk.hit.expired", actor=actor)


def delete(mt: "MTurkProvider", hit_id: str, *, actor: str = "") -> HIT:
    """Dispose of a reviewed HIT on MTurk; its row and assignments stay in the store."""
    with mt.store.session() as s:
        get_hit(s, mt.environment, hit_id)
    call(mt.client, "DeleteHIT", HITId=hit_id)
    with mt.store.transaction() as s:
        row = get_hit(s, mt.environment, hit_id)
        row.status = "disposed"
        events.record(s, "mturk.hit.deleted", actor=actor, project_id=row.project_id, hit_id=hit_id,
                      environment=mt.environment)
    return row


def associate(mt: "MTurkProvider", hit_id: str, project: int | str, task_id: int | None = None, *,
              actor: str = "") -> HIT:
    """Adopt a HIT made elsewhere (the MTurk console, another tool) into a project and, optionally, a task."""
    with mt.store.session() as s:
        proj = projects.get(s, project)
        if task_id is not None:
            task = s.get(Task, task_id)
            if task is None or task.project_id != proj.id:
                raise NotFoundError("task", task_id, hint=f"the task must belong to project {proj.slug!r}")
    remote = call(mt.client, "GetHIT", HITId=hit_id)["HIT"]
    with mt.store.transaction() as s:
        row = s.scalars(select(HIT).where(HIT.provider == PROVIDER, HIT.environment == mt.environment,
                                          HIT.hit_id == hit_id)).one_or_none()
        before = None
        if row is None:
            values = _hit_values(mt, remote, proj.id, task_id, 0, None, None)
            values["payload"]["mode"] = "link-out" if "HTMLQuestion" in values["question"] else "external"
            values["payload"]["associated"] = True
            row = HIT(**values)
            s.add(row)
        else:
            before = {"project_id": row.project_id, "task_id": row.task_id}
            row.project_id, row.task_id = proj.id, task_id
        s.flush()
        events.record(s, "mturk.hit.associated", actor=actor, project_id=proj.id, hit_id=hit_id, task_id=task_id,
                      environment=mt.environment, before=before)
    return row
