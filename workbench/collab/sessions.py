"""Studies, the waiting room, seats and the life of a session, as functions over the store.

Every function takes the SQLAlchemy session first and, where time matters, an explicit
``now``, so that matching, waiting, grace periods and timeouts are deterministic under
test. The live hub calls them with the wall clock.

Life of a session: a worker who joins takes a free human seat of a waiting session of the
study, or opens a new one (its condition drawn by ``design``). When every human seat is
taken the session starts. A session left waiting ``max_wait_s`` is either completed with
agents (``on_timeout: agent``) or ended, its workers released with a completion code and
flagged for partial pay (``release``). A worker whose socket drops may come back within
``grace_s``; later, the session ends with reason ``dropout``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench import events
from workbench.crowd import worker_sessions
from workbench.study import annotations, bundles, projects
from ..crowd.codes import hash_token, new_token, token_matches, unique_code
from ..errors import ConflictError, NotFoundError, ValidationError, WorkbenchError
from ..store.models import Asset, CollabParticipant, CollabSession, CollabStudy, Event, Task, WorkerSession
from . import agents, design, paradigms
from .paradigms import assisted_labelling


class ForbiddenError(WorkbenchError):
    """A token that does not prove a seat in the session asked for."""

    status = 403
    code = "forbidden"


@dataclass
class Seat:
    """What ``join`` did: the worker's seat, the token for their browser, whether it was a return."""

    participant: CollabParticipant
    token: str
    resumed: bool

    @property
    def session(self) -> CollabSession:
        return self.participant.session


# -- studies ---------------------------------------------------------------------------
def create_study(s: Session, slug: str, config: dict[str, Any], *, project: int | str | None = None,
                 name: str = "", actor: str = events.SYSTEM) -> CollabStudy:
    """A study; its configuration (defaults filled in) and conditions are stored with the data."""
    if not isinstance(slug, str) or not slug or len(slug) > 64 or not slug.replace("-", "").replace("_", "").isalnum():
        raise ValidationError("slug", "must be 1-64 letters, digits, '-' or '_'")
    full = design.check_config(config)
    if s.scalars(select(CollabStudy).where(CollabStudy.slug == slug)).first() is not None:
        raise ConflictError(f"study {slug!r} already exists", field="slug", reason="taken")
    project_id = projects.get(s, project).id if project is not None else None
    if full["paradigm"] == "assisted_labelling":
        if project_id is None:
            raise ValidationError("project", "is required for assisted labelling (its tasks are labelled)")
    study = CollabStudy(slug=slug, project_id=project_id, name=name or slug, paradigm=full["paradigm"],
                        config=full, conditions=design.conditions(full), seed=int(full.get("seed", 0)))
    s.add(study)
    s.flush()
    events.record(s, "collab.study_created", actor=actor, project_id=project_id, study=slug, config=full)
    return study


def get_study(s: Session, study: int | str) -> CollabStudy:
    column = CollabStudy.id if isinstance(study, int) else CollabStudy.slug
    row = s.scalars(select(CollabStudy).where(column == study)).first()
    if row is None:
        raise NotFoundError("study", study)
    return row


def get(s: Session, session_id: int) -> CollabSession:
    row = s.get(CollabSession, session_id)
    if row is None:
        raise NotFoundError("collaboration session", session_id)
    return row


def list_(s: Session, *, study: int | str | None = None, status: str | None = None,
          limit: int = 200) -> list[CollabSession]:
    stmt = select(CollabSession).order_by(CollabSession.id.desc()).limit(limit)
    if study is not None:
        stmt = stmt.where(CollabSession.study_id == get_study(s, study).id)
    if status is not None:
        stmt = stmt.where(CollabSession.status == status)
    return list(s.scalars(stmt))


# -- joining ---------------------------------------------------------------------------

def join(s: Session, study: int | str, *, worker_id: str, assignment_id: str, hit_id: str = "",
         provider: str = "mturk", now: datetime) -> Seat:
    """Seat a worker: their existing seat (with a fresh token), or a free seat, or a new session."""
    worker_sessions.check_ids(assignment_id, worker_id, hit_id)  # the URL's ids, checked as for link-out
    study_row = get_study(s, study)
    token = new_token()
    existing = s.scalars(select(CollabParticipant).where(CollabParticipant.provider == provider,
                                                         CollabParticipant.assignment_id == assignment_id)).first()
    if existing is not None:
        if existing.worker_id != worker_id:
            raise ConflictError("this assignment belongs to another worker", field="workerId",
                                reason="does not match the assignment")
        existing.token_hash = hash_token(token)
        return Seat(existing, token, True)
    if study_row.status != "open":
        raise ConflictError(f"study {study_row.slug!r} is closed", field="study", reason="closed")
    # Joins to one study queue on its row (SQLite's write lock already serialises them),
    # so two workers arriving together fill one session instead of opening two.
    s.refresh(study_row, with_for_update=True)
    stmt = (select(CollabSession).where(CollabSession.study_id == study_row.id, CollabSession.status == "waiting")
            .order_by(CollabSession.id))
    target, role = None, None
    for candidate in s.scalars(stmt):
        free = free_human_seats(candidate)
        if free:
            target, role = candidate, free[0]
            break
    if target is None:
        target = _new_session(s, study_row, now)
        role = free_human_seats(target)[0]
    participant = CollabParticipant(session=target, kind="human", role=role, provider=provider, worker_id=worker_id,
                                    assignment_id=assignment_id, hit_id=hit_id, token_hash=hash_token(token),
                                    joined_at=now)
    s.add(participant)
    s.flush()
    record(s, target, "collab.join", participant, now, kind="human")
    if not free_human_seats(target):
        start(s, target, now)
    return Seat(participant, token, False)


def free_human_seats(cs: CollabSession) -> list[str]:
    taken = {p.role for p in cs.participants}
    return [role for role, kind in cs.state["seats"].items() if kind == "human" and role not in taken]


def _new_session(s: Session, study: CollabStudy, now: datetime) -> CollabSession:
    s.refresh(study, with_for_update=True)  # the draw counter advances under the study's lock
    index = design.position(study.seed, len(study.conditions), study.assigned)
    study.assigned += 1
    condition = study.conditions[index]
    paradigm = paradigms.get(study.paradigm)
    agent_role = condition.get("agent_role") or paradigm.AGENT_ROLE
    if condition["agent"] and agent_role in getattr(paradigm, "EXTRA_AGENT_ROLES", ()):
        seats = {**{role: "human" for role in paradigm.ROLES}, agent_role: "agent"}
    elif condition["agent"]:
        seats = {role: "agent" if role == agent_role else "human" for role in paradigm.ROLES}
    elif study.paradigm == "assisted_labelling":
        seats = {"annotator": "human"}  # without the agent there is no assistant
    else:
        seats = {role: "human" for role in paradigm.ROLES}
    cs = CollabSession(study=study, study_id=study.id, condition=condition, condition_index=index,
                       paradigm=study.paradigm, status="waiting", state={"seats": seats, "game": None},
                       created_at=now, updated_at=now)
    s.add(cs)
    s.flush()
    for role, kind in seats.items():
        if kind == "agent":
            add_agent(s, cs, role, now)
    record(s, cs, "collab.created", None, now, condition=condition, condition_index=index, seats=seats)
    return cs


def add_agent(s: Session, cs: CollabSession, role: str, now: datetime) -> CollabParticipant:
    """Seat an agent, storing its persona, backend, model and prompts with the session."""
    config = cs.study.config
    persona = config["personas"][cs.condition.get("persona", "default")]
    spec = config["agent"]
    agent = agents.make(spec["backend"], paradigm=cs.paradigm, role=role, persona=persona,
                        model=spec.get("model", ""), seed=cs.id, chat=cs.condition.get("chat", True))
    participant = CollabParticipant(session=cs, kind="agent", role=role, persona=persona, backend=spec["backend"],
                                    model=spec.get("model", ""), prompts=agent.prompts(), connection="agent",
                                    joined_at=now)
    s.add(participant)
    s.flush()
    record(s, cs, "collab.join", participant, now, kind="agent", backend=spec["backend"], model=spec.get("model", ""))
    return participant


def start(s: Session, cs: CollabSession, now: datetime) -> None:
    paradigm = paradigms.get(cs.paradigm)
    config = cs.study.config.get(cs.paradigm, {})
    context = _task_context(s, cs) if cs.paradigm == "assisted_labelling" else {}
    cs.state = {**cs.state, "game": paradigm.new_state(config, cs.study.seed * 1_000_003 + cs.id, context)}
    cs.status, cs.started_at = "active", now
    record(s, cs, "collab.start", None, now, state=cs.state["game"])


def _task_context(s: Session, cs: CollabSession) -> dict[str, Any]:
    """The next open task of the study's project that no other session of the study is labelling."""
    busy = [c.state["game"]["task_id"] for c in s.scalars(select(CollabSession).where(
        CollabSession.study_id == cs.study_id, CollabSession.status == "active")) if c.state.get("game")]
    task = s.scalars(select(Task).where(Task.project_id == cs.study.project_id,
                                        Task.status.in_(("pending", "in_progress")), Task.id.not_in(busy))
                     .order_by(Task.priority.desc(), Task.id).limit(1)).first()
    if task is None:
        raise ConflictError("the study's project has no open task to label", field="project", reason="no open tasks")
    asset = s.get(Asset, task.asset_id) if task.asset_id else None
    plugin = bundles.plugin_of(s, task)
    shown = bundles.worker_fields(task.definition, plugin, s)["metadata"] if plugin is not None else []
    return {"task_id": task.id, "plugin": task.definition.task_type.slug, "ui_config": task.definition.ui_config,
            "label_schema": task.definition.label_schema, "assistant": cs.state["seats"].get("assistant") == "agent",
            "asset": {"id": asset.id, "width": asset.width, "height": asset.height, "metadata": asset.meta}
            if asset else {}, "shown_metadata": shown}


# -- the socket ------------------------------------------------------------------------
def authenticate(s: Session, session_id: int, token: Any) -> CollabParticipant:
    """The human seat in ``session_id`` that ``token`` proves; ForbiddenError for anything else."""
    if not isinstance(token, str) or not 10 <= len(token) <= 200:
        raise ForbiddenError("not allowed")
    participant = s.scalars(select(CollabParticipant).where(
        CollabParticipant.token_hash == hash_token(token))).first()
    if (participant is None or participant.kind != "human" or participant.session_id != session_id
            or not token_matches(participant.token_hash, token)):
        raise ForbiddenError("not allowed")
    return participant


def connect(s: Session, participant: CollabParticipant, now: datetime) -> bool:
    """Mark the seat connected; True if this resumes a dropped connection."""
    resumed = participant.connection == "disconnected"
    participant.connection, participant.last_seen = "connected", now
    record(s, participant.session, "collab.connect", participant, now, resumed=resumed)
    return resumed


def disconnect(s: Session, participant: CollabParticipant, now: datetime) -> None:
    participant.connection, participant.last_seen = "disconnected", now
    record(s, participant.session, "collab.leave", participant, now)


# -- time passing ----------------------------------------------------------------------
def tick(s: Session, now: datetime, *, study: int | str | None = None) -> list[dict[str, Any]]:
    """Apply the study's clocks: fill or release long waits, end sessions past their grace or duration."""
    changes: list[dict[str, Any]] = []
    stmt = select(CollabSession).where(CollabSession.status.in_(("waiting", "active"))).order_by(CollabSession.id)
    if study is not None:
        stmt = stmt.where(CollabSession.study_id == get_study(s, study).id)
    for cs in s.scalars(stmt):
        config = cs.study.config
        if cs.status == "waiting":
            if now - cs.created_at < timedelta(seconds=config["max_wait_s"]):
                continue
            if config["on_timeout"] == "agent":
                filled = free_human_seats(cs)
                for role in filled:
                    add_agent(s, cs, role, now)
                cs.state = {**cs.state, "seats": {**cs.state["seats"], **{role: "agent" for role in filled}},
                            "filled_by_agent": filled}
                start(s, cs, now)
                changes.append({"session_id": cs.id, "change": "filled", "roles": filled})
            else:
                end(s, cs, "no_partner", now)
                changes.append({"session_id": cs.id, "change": "released"})
            continue
        dropped = [p for p in cs.participants if p.kind == "human" and p.connection == "disconnected"
                   and p.last_seen is not None and now - p.last_seen >= timedelta(seconds=config["grace_s"])]
        if dropped:
            end(s, cs, "dropout", now, dropped=dropped)
            changes.append({"session_id": cs.id, "change": "dropout", "dropped": [p.id for p in dropped]})
        elif cs.started_at and now - cs.started_at >= timedelta(seconds=config["max_duration_s"]):
            end(s, cs, "timeout", now)
            changes.append({"session_id": cs.id, "change": "timeout"})
    return changes


def end(s: Session, cs: CollabSession, reason: str, now: datetime, *,
        dropped: list[CollabParticipant] = ()) -> dict[str, Any]:
    """End the session once: its outcome, each remaining worker's completion code, the reason, recorded."""
    if cs.status == "ended":
        return cs.outcome
    paradigm = paradigms.get(cs.paradigm)
    game = cs.state.get("game")
    outcome = (paradigm.outcome(game) if game else None) or {"success": False, "result": reason}
    if cs.paradigm == "assisted_labelling" and game and game.get("final") is not None:
        outcome["annotation_id"] = _store_annotation(s, cs, game)
    cs.status, cs.ended_at, cs.end_reason, cs.outcome = "ended", now, reason, outcome
    dropped_ids = {p.id for p in dropped}
    for p in cs.participants:
        if p.kind != "human":
            continue
        if p.id in dropped_ids:
            p.connection, p.left_at = "dropped", now
            continue
        p.partial_pay = reason != "completed"
        p.left_at = p.left_at or now
        issue_code(s, cs, p, now)
    record(s, cs, "collab.end", None, now, reason=reason, outcome=outcome, dropped=sorted(dropped_ids),
           partial_pay=[p.id for p in cs.participants if p.partial_pay])
    return outcome


def _store_annotation(s: Session, cs: CollabSession, game: dict[str, Any]) -> int:
    annotator = next(p for p in cs.participants if p.role == "annotator")
    changes = assisted_labelling.diff(game.get("proposal"), game["final"])
    done = annotations.submit(s, game["task_id"], game["final"], actor=annotator.worker_id or "",
                              submission_id=f"collab-{cs.id}", tool_version="collab",
                              raw_payload={"collab_session_id": cs.id, "condition": cs.condition,
                                           "agent_proposal": game.get("proposal"), "human_changes": changes})
    return done.annotation.id


def issue_code(s: Session, cs: CollabSession, p: CollabParticipant, now: datetime) -> str:
    """The worker's completion code, also kept on the link-out WorkerSession so review checks it alike."""
    if p.completion_code:
        return p.completion_code
    code = unique_code(s)
    p.completion_code = code
    visit = s.scalars(select(WorkerSession).where(WorkerSession.provider == p.provider,
                                                  WorkerSession.assignment_id == p.assignment_id)).first()
    if visit is None:
        visit = WorkerSession(provider=p.provider, assignment_id=p.assignment_id, worker_id=p.worker_id,
                              hit_id=p.hit_id, project_id=cs.study.project_id, task_ids=[],
                              token=hash_token(new_token()), created_at=now)
        s.add(visit)
    visit.completion_code, visit.status, visit.completed_at = code, "complete", now
    visit.payload = {**(visit.payload or {}), "collab_session_id": cs.id, "partial_pay": p.partial_pay}
    return code


# -- the record ------------------------------------------------------------------------
def record(s: Session, cs: CollabSession, type: str, participant: CollabParticipant | None, ts: datetime,
           **payload: Any) -> None:
    """One ``collab.*`` Event stamped with the server's time of the thing it records."""
    event = events.record(s, type, actor=participant.label if participant else events.SYSTEM,
                          project_id=cs.study.project_id,
                          **event_payload(cs.id, cs.study.slug, participant.role if participant else None,
                                          participant.id if participant else None, payload))
    event.ts = ts


def event_payload(session_id: int, study: str, role: str | None, participant_id: int | None,
                  payload: dict[str, Any]) -> dict[str, Any]:
    """The payload every ``collab.*`` Event carries, so transcripts can be cut by session, study and role."""
    return {"session_id": session_id, "study": study, "role": role, "participant_id": participant_id, **payload}


def snapshot(cs: CollabSession) -> dict[str, Any]:
    """The session as the monitor and the API show it (no tokens)."""
    return {**cs.to_dict(), "study": cs.study.slug,
            "participants": [p.to_dict() | {"label": p.label} for p in cs.participants]}


def overview(s: Session, *, study: int | str | None = None, status: str | None = None,
             limit: int = 200) -> list[dict[str, Any]]:
    """The monitor's rows: each session with its condition, seats, connection states and message count."""
    rows = list_(s, study=study, status=status, limit=limit)
    ids = [cs.id for cs in rows]
    session_id = Event.payload["session_id"].as_integer()
    counts = dict(s.execute(select(session_id, func.count()).where(Event.type == "collab.message", session_id.in_(ids))
                            .group_by(session_id)).all()) if ids else {}
    return [{"session_id": cs.id, "study": cs.study.slug, "condition": cs.condition.get("label", ""),
             "status": cs.status, "seats": ", ".join(f"{p.role}:{p.kind}:{p.connection}" for p in cs.participants),
             "messages": counts.get(cs.id, 0), "created_at": cs.created_at, "started_at": cs.started_at,
             "end_reason": cs.end_reason, "result": (cs.outcome or {}).get("result", "")} for cs in rows]
