"""Studies: one per (project, round, environment), made idempotently; extend, stop, pause, delete.

A study is a HIT row (``provider="prolific"``, ``hit_id`` = the study id) with ``task_id`` None: its
places are the tasks × assignments, and the tasks themselves are handed out at login by
``worker_sessions.start_or_resume`` (the covered ids are in ``payload.task_ids``). The key derived from
(project, round, environment) is the row's ``unique_request_token`` and is carried in the study's
``internal_name``. The row is claimed first: inserted under that unique key, ``creating``, with a
placeholder id, before Prolific is asked, so that of concurrent creators exactly one makes the study
and the others wait for its row (``CREATE_WAIT``). A claim whose creator died (older than
``CREATE_WAIT``) is taken over by a rerun, which finds the study on Prolific by its internal name
(a crash between Prolific's answer and the record) or makes it; a creator that fails removes its claim,
leaving the store as it was. The WorkSpec's qualifications become the study's filters (``filters``).
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

from sqlalchemy import delete as sql_delete
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workbench import config, events
from workbench.crowd import codes
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.models import CREATING, HIT, Task
from workbench.store.types import utcnow
from workbench.study import projects
from ..base import CreateResult, WorkSpec
from . import filters

if TYPE_CHECKING:
    from . import ProlificProvider

PROVIDER = "prolific"
#: How long a claimed study may stay ``creating`` before a rerun takes it over (seconds); also how long a
#: concurrent caller waits for the creator's outcome.
CREATE_WAIT = 60.0
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8888"
#: Prolific's study statuses in the workbench's HIT words.
STUDY_STATUS = {"UNPUBLISHED": "assignable", "SCHEDULED": "assignable", "PUBLISHING": "assignable",
                "ACTIVE": "assignable", "PAUSED": "unassignable", "AWAITING REVIEW": "reviewable",
                "COMPLETED": "expired"}
#: The completion codes a study carries: (outcome, code_type, actions) — prolific-openapi.yml, BaseStudy
#: completion_codes (code_type enum COMPLETED, NO_CONSENT, FAILED_ATTENTION_CHECK, OTHER; RequestReturn needs a
#: return_reason).
OUTCOMES = (("complete", "COMPLETED", [{"action": "MANUALLY_REVIEW"}]),
            ("no_consent", "NO_CONSENT", [{"action": "REQUEST_RETURN", "return_reason": "Did not consent"}]),
            ("failed_check", "FAILED_ATTENTION_CHECK", [{"action": "MANUALLY_REVIEW"}]),
            # a participant who arrives when no task is left: asked to return the study (no pay, no penalty),
            # never sent the COMPLETED code of work they did not do
            ("no_task", "OTHER", [{"action": "REQUEST_RETURN", "return_reason": "No task was left for you"}]))


def study_key(project_id: int, round: int, environment: str) -> str:
    return hashlib.sha256(f"workbench-prolific-study:{project_id}:{round}:{environment}".encode()).hexdigest()


def internal_name(project_slug: str, round: int, key: str) -> str:
    return f"workbench:{project_slug}:{round}:{key[:32]}"


def public_base_url(value: str | None = None) -> str:
    return (value or config.public_base_url() or DEFAULT_PUBLIC_URL).strip().rstrip("/")


def entry_url(base: str, project_slug: str) -> str:
    """The study URL: the workbench's Prolific entry route, with Prolific's three placeholders."""
    return (f"{base}/workbench/prolific/entry?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}&STUDY_ID={{{{%STUDY_ID%}}}}"
            f"&SESSION_ID={{{{%SESSION_ID%}}}}&project={quote(project_slug)}")


def minutes(spec: WorkSpec, estimated: int | None) -> tuple[int, int]:
    """(estimated_completion_time, maximum_allowed_time) in minutes from ``spec.duration`` (seconds).

    Prolific's minimum for the maximum is 2 + 2·estimate + 2·√estimate (BaseStudy.maximum_allowed_time)."""
    maximum = max(1, math.ceil(spec.duration / 60))
    if estimated is None:
        estimated = max([e for e in range(1, maximum + 1) if 2 + 2 * e + 2 * math.sqrt(e) <= maximum] or [1])
    floor = math.ceil(2 + 2 * estimated + 2 * math.sqrt(estimated))
    return estimated, max(maximum, floor)


def get_study(s, environment: str, study_id: str) -> HIT:
    row = s.scalars(select(HIT).where(HIT.provider == PROVIDER, HIT.environment == environment,
                                      HIT.hit_id == study_id)).first()
    if row is None:
        raise NotFoundError("study", study_id, hint="create_work records the studies it makes")
    return row


def create_work(pr: "ProlificProvider", project, task_ids: Sequence[int], spec: WorkSpec, *, round: int = 0,
                base_url: str | None = None, estimated_minutes: int | None = None, actor: str = "",
                **_ignored: Any) -> CreateResult:
    if isinstance(round, bool) or not isinstance(round, int) or round < 0:
        raise ValidationError("round", "must be a non-negative integer")
    wanted = list(dict.fromkeys(t for t in task_ids if t is not None))
    if not wanted:
        raise ValidationError("task_ids", "give the tasks the study covers")
    with pr.store.session() as s:
        proj = projects.get(s, project)
        found = set(s.scalars(select(Task.id).where(Task.project_id == proj.id, Task.id.in_(wanted))))
        missing = [t for t in wanted if t not in found]
        if missing:
            raise ValidationError("task_ids", f"tasks {missing[:10]} are not in project {proj.slug!r}")
        study_filters = filters.study_filters(s, pr.environment, proj, spec.qualifications)
        key = study_key(proj.id, round, pr.environment)
    result = CreateResult()
    claim = _claim(pr, proj.id, round, key, wanted, actor)
    if isinstance(claim, str):
        result.existing, result.hit_ids = 1, [claim]
        return result
    try:
        remote, recovered = _make(pr, proj, round, key, spec, len(wanted) * spec.max_assignments,
                                  estimated_minutes, base_url, study_filters)
    except BaseException:
        with pr.store.transaction() as s:  # the claim goes: the store is as it was, and a rerun starts afresh
            s.execute(sql_delete(HIT).where(HIT.id == claim, HIT.status == CREATING))
        raise
    by_type = {c["code_type"]: c["code"] for c in remote.get("completion_codes") or []}
    with pr.store.transaction() as s:
        row = s.get(HIT, claim)
        now = utcnow()
        row.hit_id, row.status = remote["id"], STUDY_STATUS.get(remote.get("status"), "assignable")
        row.reward_cents = int(remote.get("reward") or spec.reward_cents)
        row.max_assignments = int(remote.get("total_available_places") or 0)
        row.question, row.title, row.created_at, row.updated_at = remote.get("external_study_url", ""), \
            spec.title[:255], now, now
        row.payload = {"task_ids": wanted, "mode": "link-out", "spec": spec.to_dict(),
                       "internal_name": internal_name(proj.slug, round, key), "study_status": remote.get("status"),
                       "completion_codes": {o: by_type.get(t) for o, t, _ in OUTCOMES},
                       "initial_max_assignments": spec.max_assignments, "filters": study_filters}
        events.record(s, "prolific.study.created", actor=actor, project_id=proj.id, hit_id=remote["id"],
                      environment=pr.environment, round=round, tasks=len(wanted), recovered=recovered)
    result.hit_ids = [remote["id"]]
    if recovered:
        result.recovered = 1
    else:
        result.created = 1
    return result


def _claim(pr: "ProlificProvider", project_id: int, round: int, key: str, wanted: list[int],
           actor: str) -> int | str:
    """The claimed row's id (this caller makes the study), or the study id another caller recorded.

    A claim held by a live creator is waited for up to ``CREATE_WAIT`` seconds, then refused with a conflict;
    one claimed longer ago than that (its creator died) is taken over (an atomic compare-and-set)."""
    end = time.monotonic() + CREATE_WAIT
    while True:
        now = utcnow()
        with pr.store.session() as s:
            held = s.scalars(select(HIT).where(HIT.unique_request_token == key)).first()
        if held is None:
            try:
                with pr.store.transaction() as s:
                    row = HIT(provider=PROVIDER, environment=pr.environment, hit_id=f"{CREATING}:{key[:40]}",
                              project_id=project_id, task_id=None, round=round, unique_request_token=key,
                              status=CREATING, max_assignments=0, created_at=now, updated_at=now,
                              payload={"task_ids": wanted})
                    s.add(row)
                    s.flush()
                    events.record(s, "prolific.study.claimed", actor=actor, project_id=project_id, round=round,
                                  environment=pr.environment)
                    return row.id
            except IntegrityError:
                continue  # a concurrent caller claimed it first: read its row
        if held.status != CREATING:
            return held.hit_id
        if held.updated_at < now - timedelta(seconds=CREATE_WAIT):
            with pr.store.transaction() as s:
                taken = s.execute(update(HIT).where(HIT.id == held.id, HIT.status == CREATING,
                                                    HIT.updated_at == held.updated_at)
                                  .values(updated_at=now).execution_options(synchronize_session=False))
            if taken.rowcount == 1:
                return held.id
            continue
        if time.monotonic() >= end:
            raise ConflictError(f"the study of round {round} is being created by another request; retry",
                                field="round", reason="creation in progress")
        time.sleep(0.1)


def _make(pr: "ProlificProvider", proj, round: int, key: str, spec: WorkSpec, places: int,
          estimated_minutes: int | None, base_url: str | None,
          study_filters: list[dict[str, Any]]) -> tuple[dict, bool]:
    """The published study on Prolific, found by its internal name (a creator that crashed made it) or made now;
    and whether it was found."""
    name = internal_name(proj.slug, round, key)
    remote = next((st for st in pr.client.listing("studies/") if st.get("internal_name") == name), None)
    recovered = remote is not None
    if remote is None:
        with pr.store.session() as s:
            code_map = {outcome: codes.unique_code(s) for outcome, _, _ in OUTCOMES}
        estimated, maximum = minutes(spec, estimated_minutes)
        body = {"name": spec.title, "internal_name": name, "description": spec.description,
                "external_study_url": entry_url(public_base_url(base_url or pr.public_base_url), proj.slug),
                "prolific_id_option": "url_parameters",
                "completion_codes": [{"code": code_map[o], "code_type": t, "actions": a} for o, t, a in OUTCOMES],
                "estimated_completion_time": estimated, "maximum_allowed_time": maximum,
                "reward": spec.reward_cents, "total_available_places": places}
        blocklist = pr.block_group(create=True)
        body["filters"] = [{"filter_id": "participant_group_blocklist", "selected_values": [blocklist]},
                           *study_filters]
        remote = pr.client.post("studies/", body)
    if remote.get("status", "UNPUBLISHED") == "UNPUBLISHED":
        remote = pr.client.post(f"studies/{remote['id']}/transition/", {"action": "PUBLISH"}, idempotent=True)
    return pr.client.get(f"studies/{remote['id']}/"), recovered


def refresh(pr: "ProlificProvider", study_id: str, *, event: str | None = None, actor: str = "", **details) -> HIT:
    remote = pr.client.get(f"studies/{study_id}/")
    with pr.store.transaction() as s:
        row = get_study(s, pr.environment, study_id)
        row.status = STUDY_STATUS.get(remote.get("status"), row.status)
        row.max_assignments = int(remote.get("total_available_places") or row.max_assignments)
        row.payload = {**(row.payload or {}), "study_status": remote.get("status")}
        if event:
            events.record(s, event, actor=actor, project_id=row.project_id, hit_id=study_id,
                          environment=pr.environment, status=row.status, places=row.max_assignments, **details)
    return row


def extend(pr: "ProlificProvider", study_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = "") -> HIT:
    """More places (Prolific's places only go up). A study has no expiry to move: ``seconds`` is refused."""
    if seconds:
        raise ValidationError("seconds", "a Prolific study has no expiry to extend; it runs until stopped")
    if isinstance(assignments, bool) or not isinstance(assignments, int) or assignments < 1:
        raise ValidationError("assignments", "must be a positive integer (more places)")
    with pr.store.session() as s:
        recorded = get_study(s, pr.environment, study_id).max_assignments
    # From the recorded count, not the remote one: a rerun after a crash sets the same total, not a larger one.
    pr.client.patch(f"studies/{study_id}/", {"total_available_places": recorded + assignments})
    return refresh(pr, study_id, event="prolific.study.extended", actor=actor, assignments=assignments)


def transition(pr: "ProlificProvider", study_id: str, action: str, event: str, actor: str = "") -> HIT:
    with pr.store.session() as s:
        get_study(s, pr.environment, study_id)
    pr.client.post(f"studies/{study_id}/transition/", {"action": action}, idempotent=True)
    return refresh(pr, study_id, event=event, actor=actor)


def delete(pr: "ProlificProvider", study_id: str, *, actor: str = "") -> HIT:
    """Prolific deletes only an unpublished study; a published one is stopped instead (``expire``)."""
    remote = pr.client.get(f"studies/{study_id}/")
    if remote.get("status") != "UNPUBLISHED":
        raise ConflictError(f"study {study_id} is {remote.get('status')}: Prolific deletes only unpublished studies",
                            field="hit_id", reason="only an unpublished study can be deleted",
                            hint="stop it with expire() instead")
    pr.client.delete(f"studies/{study_id}/")
    with pr.store.transaction() as s:
        row = get_study(s, pr.environment, study_id)
        row.status = "disposed"
        events.record(s, "prolific.study.deleted", actor=actor, project_id=row.project_id, hit_id=study_id,
                      environment=pr.environment)
    return row
