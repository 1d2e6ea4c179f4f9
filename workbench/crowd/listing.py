"""Read-only views the faces show: assignments filtered four ways, workers, a worker and their history.

Provider-neutral: each view is of one provider's rows (``provider``: its name), and of one
environment where the rows have one (HITs).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.study import projects
from ..errors import NotFoundError, ValidationError
from ..store.models import ASSIGNMENT_STATUSES, HIT, Assignment, Bonus, QualificationGrant, QualificationType, Worker


def assignments(session: Session, provider: str, environment: str, *, status: str | None = None, hit_id: str | None = None,
                worker_id: str | None = None, project: int | str | None = None, limit: int = 100,
                offset: int = 0) -> list[dict[str, Any]]:
    if status is not None and status not in ASSIGNMENT_STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(ASSIGNMENT_STATUSES)}")
    stmt = (select(Assignment, HIT.hit_id, HIT.project_id).join(HIT, HIT.id == Assignment.hit_pk)
            .where(Assignment.provider == provider, HIT.environment == environment).order_by(Assignment.id))
    if status is not None:
        stmt = stmt.where(Assignment.status == status)
    if hit_id is not None:
        stmt = stmt.where(HIT.hit_id == hit_id)
    if worker_id is not None:
        stmt = stmt.where(Assignment.worker_id == worker_id)
    if project is not None:
        stmt = stmt.where(HIT.project_id == projects.get(session, project).id)
    return [{**a.to_dict(), "hit_id": h, "project_id": p}
            for a, h, p in session.execute(stmt.limit(limit).offset(offset))]


def workers(session: Session, provider: str, *, project: int | str | None = None, blocked: bool | None = None, limit: int = 100,
            offset: int = 0) -> list[dict[str, Any]]:
    stmt = select(Worker).where(Worker.provider == provider).order_by(Worker.id)
    if blocked is not None:
        stmt = stmt.where(Worker.blocked == blocked)
    if project is not None:
        ids = (select(Assignment.worker_id).join(HIT, HIT.id == Assignment.hit_pk)
               .where(HIT.project_id == projects.get(session, project).id))
        stmt = stmt.where(Worker.worker_id.in_(ids))
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    counts = {}
    if rows:
        counts = {(w, s): n for w, s, n in session.execute(
            select(Assignment.worker_id, Assignment.status, func.count())
            .where(Assignment.worker_id.in_([r.worker_id for r in rows])).group_by(Assignment.worker_id,
                                                                                   Assignment.status))}
    return [{**r.to_dict(), "assignments": {s: n for (w, s), n in counts.items() if w == r.worker_id}} for r in rows]


def worker(session: Session, provider: str, worker_id: str) -> dict[str, Any]:
    """A worker, every assignment they did, their bonuses and qualifications."""
    row = session.scalars(select(Worker).where(Worker.provider == provider,
                                               Worker.worker_id == worker_id)).one_or_none()
    if row is None:
        raise NotFoundError("worker", worker_id)
    history = [{**a.to_dict(), "hit_id": h, "project_id": p} for a, h, p in session.execute(
        select(Assignment, HIT.hit_id, HIT.project_id).join(HIT, HIT.id == Assignment.hit_pk)
        .where(Assignment.provider == provider, Assignment.worker_id == worker_id).order_by(Assignment.accept_time, Assignment.id))]
    bonuses = [b.to_dict() for b in session.scalars(select(Bonus).where(Bonus.provider == provider, Bonus.worker_id == worker_id)
                                                    .order_by(Bonus.id))]
    quals = [{**g.to_dict(), "qualification_type_id": q, "name": n} for g, q, n in session.execute(
        select(QualificationGrant, QualificationType.qualification_type_id, QualificationType.name)
        .join(QualificationType, QualificationType.id == QualificationGrant.qualification_type_pk)
        .where(QualificationGrant.worker_id == worker_id))]
    return {**row.to_dict(), "assignments": history, "bonuses": bonuses, "qualifications": quals}


def qualification_types(session: Session, provider: str, environment: str) -> list[dict[str, Any]]:
    return [q.to_dict() for q in session.scalars(select(QualificationType).where(
        QualificationType.provider == provider, QualificationType.environment == environment)
        .order_by(QualificationType.id))]
