"""Links: one per (project, round, environment), made idempotently; what a link admits, and how a visit ends.

A link is a HIT row (``provider="link-out"``, ``hit_id`` = the link id, ``task_id`` None) whose places
are the tasks × assignments; the tasks are handed out at the entry route by
``worker_sessions.start_or_resume``, as on Prolific. The link id is derived from the key of (project,
round, environment), which is also the row's ``unique_request_token``: a rerun, or a concurrent
second call, finds the same row. Its payload keeps what the panel needs: the id parameter the panel
fills in (``id_param``), the ending (a per-session code shown on the page, or a redirect URL template
with ``{code}``, ``{participant}`` and ``{link}``), and the entry URL to paste into the panel.

Nothing is remote: closing a link (``expire``) or pausing it refuses new participants at the entry
route (a participant who has started may finish, as on MTurk and Prolific); a deleted link refuses
everyone.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from workbench import events
from workbench.crowd import worker_sessions
from workbench.errors import ConflictError, NotFoundError, ValidationError, WorkbenchError
from workbench.store.models import HIT, Assignment, Project, Task, Worker, WorkerSession
from workbench.store.types import utcnow
from workbench.study import projects
from ..base import CreateResult, WorkSpec
from . import client
from .settings import DEFAULT_ID_PARAM, check_completion_url, check_id_param, fill

if TYPE_CHECKING:
    from . import LinkOutProvider

PROVIDER = "link-out"
MAX_ID = 128
#: HIT statuses of a link that takes new participants.
OPEN = "assignable"


class LinkClosed(WorkbenchError):
    """The link takes no new participant (closed, paused, deleted, expired or full)."""

    status = 410
    code = "closed"


class ParticipantRefused(WorkbenchError):
    """This participant may not take part (blocked, or excluded by an earlier study)."""

    status = 403
    code = "refused"


def check_text(field: str, value: Any) -> str:
    """An id that arrives in the entry URL: present, at most 128 printable characters."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "is required")
    if len(value) > MAX_ID or not value.isprintable():
        raise ValidationError(field, f"must be at most {MAX_ID} printable characters")
    return value


def link_key(project_id: int, round: int, environment: str) -> str:
    return hashlib.sha256(f"workbench-link-out:{project_id}:{round}:{environment}".encode()).hexdigest()


def link_id(key: str) -> str:
    return "L" + key[:23].upper()


def session_id(link: str, participant: str) -> str:
    """The assignment id of ``participant``'s session on ``link``: the same on every visit, so a second one
    resumes."""
    return "LS" + hashlib.sha256(f"workbench-link-session:{link}\n{participant}".encode()).hexdigest()[:38].upper()


def entered(visit: WorkerSession) -> bool:
    """Whether a WorkerSession was started by the entry route (its id derived from its link and participant);
    sync and the payment sheet count no other."""
    return visit.assignment_id == session_id(visit.hit_id, visit.worker_id)


def entry_url(base: str, link: str, id_param: str) -> str:
    """The URL to paste into the panel: the entry route with the link, ending in ``<id_param>=``.

    The panel appends its participant id to it (SONA, most pools), or a placeholder of its own is put
    after the ``=`` (``...&participant_id=%SURVEY_CODE%``, ``{{%PROLIFIC_PID%}}``), which the panel
    substitutes."""
    return f"{base}{client.ENTRY_PATH}?link={quote(link, safe='')}&{id_param}="


def get_link(s, link: str, *, environment: str | None = None, for_update: bool = False) -> HIT:
    stmt = select(HIT).where(HIT.provider == PROVIDER, HIT.hit_id == link)
    if environment is not None:
        stmt = stmt.where(HIT.environment == environment)
    if for_update:  # read afresh under the lock, not the copy this session may hold from before it
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = s.scalars(stmt).first()
    if row is None:
        raise NotFoundError("link", link, hint="create_work records the links it makes")
    return row


# -- work -----------------------------------------------------------------------------------

def _settings(options: dict[str, Any]) -> dict[str, Any]:
    template = check_completion_url(options.get("completion_url"))
    return {"id_param": check_id_param(options.get("id_param")),
            "completion": {"kind": "redirect", "url_template": template} if template else {"kind": "code"}}


def create_work(lo: "LinkOutProvider", project, task_ids: Sequence[int], spec: WorkSpec, *, round: int = 0,
                actor: str = "", **options: Any) -> CreateResult:
    """One link for the tasks. Options: ``id_param``, ``completion_url``, ``base_url`` (the workbench's public
    origin, as for every provider; ``public_base_url`` is its older name)."""
    if isinstance(round, bool) or not isinstance(round, int) or round < 0:
        raise ValidationError("round", "must be a non-negative integer")
    settings = _settings(options)
    base = client.public_base_url(options.get("base_url") or options.get("public_base_url") or lo.public_base_url)
    wanted = list(dict.fromkeys(t for t in task_ids if t is not None))
    if not wanted:
        raise ValidationError("task_ids", "give the tasks the link covers")
    result = CreateResult()
    with lo.store.session() as s:
        proj = projects.get(s, project)
        known = set(s.scalars(select(Task.id).where(Task.project_id == proj.id, Task.id.in_(wanted))))
        if len(known) != len(wanted):
            raise ValidationError("task_ids", f"tasks {[t for t in wanted if t not in known][:10]} are not in "
                                              f"project {proj.slug!r}")
        exclusions = _exclusions(s, spec)
        key = link_key(proj.id, round, lo.environment)
        recorded = s.scalars(select(HIT).where(HIT.unique_request_token == key)).first()
        if recorded is not None:
            _same_settings(recorded, settings, round, wanted, spec)
            result.existing, result.hit_ids = 1, [recorded.hit_id]
            return result
    made, now = link_id(key), utcnow()
    url = entry_url(base, made, settings["id_param"])
    try:
        with lo.store.transaction() as s:
            s.add(HIT(provider=PROVIDER, environment=lo.environment, hit_id=made, project_id=proj.id, task_id=None,
                      round=round, unique_request_token=key, status=OPEN, title=spec.title[:255],
                      reward_cents=spec.reward_cents, max_assignments=len(wanted) * spec.max_assignments,
                      expires_at=now + timedelta(seconds=spec.lifetime), question=url, created_at=now,
                      updated_at=now,
                      payload={"task_ids": wanted, "mode": "link-out", "spec": spec.to_dict(), "entry_url": url,
                               **settings, **exclusions, "initial_max_assignments": spec.max_assignments}))
            events.record(s, "link-out.link.created", actor=actor, project_id=proj.id, hit_id=made,
                          environment=lo.environment, round=round, tasks=len(wanted), id_param=settings["id_param"],
                          completion=settings["completion"]["kind"])
    except IntegrityError:  # a concurrent call made it first: the same link, if it asked for the same
        with lo.store.session() as s:
            recorded = s.scalars(select(HIT).where(HIT.unique_request_token == key)).first()
            if recorded is None:
                raise
            _same_settings(recorded, settings, round, wanted, spec)
        result.existing, result.hit_ids = 1, [made]
        return result
    result.created, result.hit_ids = 1, [made]
    return result


def _same_settings(row: HIT, settings: dict[str, Any], round: int, task_ids: list[int], spec: WorkSpec) -> None:
    """A rerun asks for the link it made; other tasks, reward, spec or settings for the same round would change a
    link in use (or be silently ignored), so they are refused naming the first field that differs."""
    payload = row.payload or {}
    made = payload.get("spec") or {}
    asked = json.loads(json.dumps(spec.to_dict()))  # as the payload's JSON keeps it
    pairs = [("id_param", settings["id_param"], payload.get("id_param")),
             ("completion_url", settings["completion"].get("url_template"),
              (payload.get("completion") or {}).get("url_template")),
             ("task_ids", task_ids, payload.get("task_ids")),
             ("reward_cents", asked.get("reward_cents"), made.get("reward_cents"))]
    pairs += [(name, asked.get(name), made.get(name)) for name in sorted(set(asked) | set(made))]
    for field, now, then in pairs:
        if now != then:
            shown = then if len(repr(then)) <= 80 else repr(then)[:77] + "..."
            raise ConflictError(f"link {row.hit_id} of round {round} was made with {field} {shown!r}",
                                field=field, reason="the link of this project and round has another setting",
                                hint="use another round for a link with other tasks or settings")


def _exclusions(s, spec: WorkSpec) -> dict[str, Any]:
    """What the workbench enforces itself at the entry route; the panel's own filters are set on the panel.

    Excluded projects are kept by id, resolved now: an unknown slug is refused here, naming the field, where at
    the entry route it would refuse every participant; a project deleted later is skipped there."""
    q = spec.qualifications
    for field, value in (("locales", q.locales), ("min_approval_rate", q.min_approval_rate),
                         ("min_approved", q.min_approved), ("masters", q.masters), ("custom", q.custom)):
        if value:
            raise ValidationError(f"qualifications.{field}", "a link-out panel has no API to enforce it",
                                  hint="set the panel's own prescreening; the link enforces only "
                                       "exclude_past_participants and exclude_projects")
    excluded = []
    for slug in q.exclude_projects:
        try:
            excluded.append(projects.get(s, slug).id)
        except (NotFoundError, ValidationError):
            raise ValidationError("qualifications.exclude_projects", f"project {slug!r} is not in the store",
                                  hint="`workbench project list` shows the projects") from None
    return {"exclude_past_participants": bool(q.exclude_past_participants),
            "exclude_projects": list(dict.fromkeys(excluded))}


def _change(lo: "LinkOutProvider", link: str, event: str, actor: str, change, **details) -> HIT:
    with lo.store.transaction() as s:
        row = get_link(s, link, environment=lo.environment, for_update=True)
        change(s, row)
        events.record(s, event, actor=actor, project_id=row.project_id, hit_id=link, environment=lo.environment,
                      status=row.status, places=row.max_assignments,
                      expires_at=row.expires_at.isoformat() if row.expires_at else None, **details)
    return row


def extend(lo: "LinkOutProvider", link: str, *, assignments: int = 0, seconds: int = 0, actor: str = "") -> HIT:
    """More places and/or a later close. A later close reopens a link whose time ran out or that was closed,
    as MTurk's new expiry does; a deleted link stays deleted."""
    for field, value in (("assignments", assignments), ("seconds", seconds)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(field, "must be a non-negative integer")
    if not assignments and not seconds:
        raise ValidationError("assignments", "give more places (assignments) or more time (seconds)")

    def change(s, row: HIT) -> None:
        if row.status == "disposed":
            raise ConflictError(f"link {link} was deleted", field="hit_id", reason="deleted")
        row.max_assignments += assignments
        if seconds:
            now = utcnow()
            row.expires_at = max(row.expires_at or now, now) + timedelta(seconds=seconds)
            if row.status == "expired":
                row.status = OPEN

    return _change(lo, link, "link-out.link.extended", actor, change, assignments=assignments, seconds=seconds)


def set_status(lo: "LinkOutProvider", link: str, status: str, event: str, actor: str = "") -> HIT:
    """Close (``expired``), pause (``unassignable``) or reopen (``assignable``) a link.

    Reopening a link whose time is up (closed, or paused past its close) is refused, pointing to ``extend``:
    it would read ``assignable`` and still turn every participant away."""
    def change(s, row: HIT) -> None:
        if row.status == "disposed":
            raise ConflictError(f"link {link} was deleted", field="hit_id", reason="deleted")
        if status == OPEN and row.expires_at is not None and row.expires_at <= utcnow():
            raise ConflictError(f"link {link} closed at {row.expires_at.isoformat()}", field="hit_id",
                                reason="expired", hint="reopen it with a later close: extend(hit_id, seconds=...)")
        if status == "expired":
            row.expires_at = min(row.expires_at or utcnow(), utcnow())
        row.status = status

    return _change(lo, link, event, actor, change)


def delete(lo: "LinkOutProvider", link: str, *, actor: str = "") -> HIT:
    """Delete a closed link whose work is all reviewed; afterwards nobody is let in."""
    def change(s, row: HIT) -> None:
        if row.status == OPEN:
            raise ConflictError(f"link {link} is open", field="hit_id", reason="close it first",
                                hint="close it with expire() first")
        open_review = s.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.hit_pk == row.id, Assignment.status.in_(("accepted", "submitted"))))
        active = s.scalar(select(func.count()).select_from(WorkerSession).where(
            WorkerSession.provider == PROVIDER, WorkerSession.hit_id == link, WorkerSession.status == "active"))
        if open_review or active:
            raise ConflictError(f"link {link} has {open_review} unreviewed and {active} unfinished session(s)",
                                field="hit_id", reason="work not yet reviewed",
                                hint="sync, then approve or reject the submitted work first")
        row.status = "disposed"

    return _change(lo, link, "link-out.link.deleted", actor, change)


# -- the entry route --------------------------------------------------------------------------

def entry(s, link: str) -> dict[str, Any]:
    """What the entry route needs before the visit: the link's id parameter. An unknown link is a 404."""
    row = get_link(s, check_text("link", link))
    return {"link": row.hit_id, "id_param": (row.payload or {}).get("id_param") or DEFAULT_ID_PARAM}


def admit(s, link: str, participant: str, assignment_id: str) -> dict[str, Any]:
    """Refuse a visit the link does not take (in the visit's transaction), else say how the visit ends.

    A new participant needs an open link with a place left and an open task of the link they have not
    annotated (``worker_sessions.open_tasks``: nobody is let in only to find no task; a no-task session is
    left only to a race with work done elsewhere), and must not be blocked or excluded; one who started
    before resumes unless the link was deleted."""
    row = get_link(s, link)
    payload = row.payload or {}
    id_param = payload.get("id_param") or DEFAULT_ID_PARAM
    check_text(id_param, participant)
    started = s.scalars(select(WorkerSession.id).where(WorkerSession.provider == PROVIDER,
                                                       WorkerSession.assignment_id == assignment_id)).first()
    if row.status == "disposed":
        raise LinkClosed(f"link {link} was deleted", field="link", reason="deleted")
    if started is None:
        # One new participant at a time counts the places (read afresh under the lock); a resume takes no lock.
        row = get_link(s, link, for_update=True)
        _check_open(s, row)
        _check_participant(s, row, participant, id_param)
        if not worker_sessions.open_tasks(s, row, participant):
            raise LinkClosed(f"link {link} has no open task left for this participant", field="link",
                             reason="full")
    template = (payload.get("completion") or {}).get("url_template")
    return {"completion_url": template}


def _check_open(s, row: HIT) -> None:
    if row.status != OPEN or (row.expires_at is not None and row.expires_at <= utcnow()):
        raise LinkClosed(f"link {row.hit_id} takes no new participant", field="link", reason="closed")
    taken = s.scalar(select(func.count()).select_from(WorkerSession).where(
        WorkerSession.provider == PROVIDER, WorkerSession.hit_id == row.hit_id))
    if taken >= row.max_assignments:
        raise LinkClosed(f"link {row.hit_id} has no place left ({row.max_assignments})", field="link",
                         reason="full")


def _check_participant(s, row: HIT, participant: str, id_param: str) -> None:
    blocked = s.scalars(select(Worker.id).where(Worker.provider == PROVIDER, Worker.worker_id == participant,
                                                Worker.blocked.is_(True))).first()
    if blocked is not None:
        raise ParticipantRefused("this participant is blocked", field=id_param, reason="blocked")
    payload = row.payload or {}
    wanted = payload.get("exclude_projects") or []
    excluded = list(s.scalars(select(Project.id).where(or_(  # a project since deleted is skipped
        Project.id.in_([p for p in wanted if isinstance(p, int)]),
        Project.slug.in_([p for p in wanted if isinstance(p, str)]))))) if wanted else []
    earlier = select(WorkerSession.id).where(WorkerSession.provider == PROVIDER,
                                             WorkerSession.worker_id == participant, WorkerSession.hit_id != row.hit_id)
    if payload.get("exclude_past_participants"):
        excluded.append(row.project_id)
    if excluded and s.scalars(earlier.where(WorkerSession.project_id.in_(excluded))).first() is not None:
        raise ParticipantRefused("this participant took part in an excluded study", field=id_param,
                                 reason="took part before")


def completion_target(state: dict[str, Any], *, code: str, participant: str, link: str) -> str | None:
    """Where a finished participant goes: the filled redirect template, or None for the code page."""
    template = state.get("completion_url")
    return fill(template, code=code, participant=participant, link=link) if template else None
