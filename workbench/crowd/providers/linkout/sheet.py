"""The payment sheet: what the panel (or the researcher, by hand) pays each participant, one row per session.

A panel with no API is paid from a sheet: every session of the project's links in this environment,
with the participant's id on the panel, the link, the session (assignment) id, its completion code, the
review's outcome (``approved``, ``rejected``, ``submitted`` not yet reviewed, ``no_task`` when no task
was left), the reward owed (approved sessions only), the bonuses owed (the ledger's paid rows), when it
was reviewed and the feedback. Money is given in cents and in the major unit (dollars, pounds: the
panel's own). A session not yet synced reads ``submitted`` from its WorkerSession, so the sheet is
complete even before ``sync`` ran; an unfinished one is left out.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from workbench.crowd import worker_sessions
from workbench.store.models import HIT, Assignment, Bonus, WorkerSession
from workbench.study import projects
from .links import PROVIDER, entered

if TYPE_CHECKING:
    from . import LinkOutProvider

COLUMNS = ("participant_id", "link_id", "session_id", "completion_code", "status", "reward_cents", "reward",
           "bonus_cents", "bonus", "total_cents", "total", "reviewed_at", "feedback")


def major(cents: int) -> str:
    """Cents in the major unit with two decimals: 150 -> "1.50"."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _status(assignment: Assignment | None, visit: WorkerSession) -> str:
    if assignment is None or assignment.status == "accepted":
        return worker_sessions.NO_TASK if visit.status == worker_sessions.NO_TASK else "submitted"
    if assignment.status == "returned":
        return worker_sessions.NO_TASK
    return assignment.status


def payment_sheet(lo: "LinkOutProvider", project: int | str) -> list[dict[str, Any]]:
    """The sheet's rows for ``project`` in the provider's environment, in the order the sessions finished."""
    with lo.store.session() as s:
        project_id = projects.get(s, project).id
        links = {h.hit_id: h for h in s.scalars(select(HIT).where(
            HIT.provider == PROVIDER, HIT.environment == lo.environment, HIT.project_id == project_id))}
        visits = list(s.scalars(select(WorkerSession).where(
            WorkerSession.provider == PROVIDER, WorkerSession.hit_id.in_(list(links)),
            WorkerSession.completed_at.is_not(None)).order_by(WorkerSession.completed_at, WorkerSession.id)))
        held = {a.assignment_id: a for a in s.scalars(select(Assignment).where(
            Assignment.provider == PROVIDER, Assignment.assignment_id.in_([v.assignment_id for v in visits])))}
        bonuses = dict(s.execute(select(Bonus.assignment_pk, func.sum(Bonus.amount_cents)).where(
            Bonus.provider == PROVIDER, Bonus.status == "paid",
            Bonus.assignment_pk.in_([a.id for a in held.values()])).group_by(Bonus.assignment_pk)).all())
    rows = []
    for visit in filter(entered, visits):
        a = held.get(visit.assignment_id)
        status = _status(a, visit)
        reward = links[visit.hit_id].reward_cents if status == "approved" else 0
        bonus = int(bonuses.get(a.id, 0)) if a is not None else 0
        reviewed = (a.approval_time if status == "approved" else a.rejection_time if status == "rejected"
                    else None) if a is not None else None
        rows.append({"participant_id": visit.worker_id, "link_id": visit.hit_id, "session_id": visit.assignment_id,
                     "completion_code": visit.completion_code or "", "status": status, "reward_cents": reward,
                     "reward": major(reward), "bonus_cents": bonus, "bonus": major(bonus),
                     "total_cents": reward + bonus, "total": major(reward + bonus),
                     "reviewed_at": reviewed.isoformat() if reviewed else "",
                     "feedback": a.feedback if a is not None else ""})
    return rows


def write_csv(rows: list[dict[str, Any]], out: str | Path) -> Path:
    """The sheet as CSV (UTF-8, a header row), for a spreadsheet or the panel's upload."""
    path = Path(out)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row[k]) for k in COLUMNS})
    return path


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: a participant id or feedback could.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
