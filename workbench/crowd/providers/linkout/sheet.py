"""The payment sheet: what the panel (or the researcher, by hand) pays each participant, one row per session.

A panel with no API is paid from a sheet: every session of the project's links in this environment,
with the participant's id on the panel, the link, the session (assignment) id, its completion code, the
review's outcome (``approved``, ``rejected``, ``submitted`` not yet reviewed, ``no_task`` when no task
was left), the reward owed (approved sessions only), the bonuses owed (the ledger's paid rows), when it
was reviewed and the feedback. A rejected or no-task session is owed nothing: a bonus recorded before the
decision shows in ``bonus_withheld_cents``, flagged, never in the total.

Each export is a payout batch (an ``EXPORTED`` Event with a batch id and what it covered of each
session), for a sheet has no "paid" state of its own and paying from a second full export would pay
everyone twice: ``new_only`` lists only what no earlier batch covered (``paid_before_cents`` says what
one did). Money is given in cents and in the major unit (dollars, pounds: the
panel's own). A session not yet synced reads ``submitted`` from its WorkerSession, so the sheet is
complete even before ``sync`` ran; an unfinished one is left out.
"""

from __future__ import annotations

import csv
import secrets
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import func, select

from workbench import events
from workbench.crowd import worker_sessions
from workbench.store.models import HIT, Assignment, Bonus, Event, WorkerSession
from workbench.store.types import utcnow
from workbench.study import projects
from .links import PROVIDER, entered

if TYPE_CHECKING:
    from . import LinkOutProvider

COLUMNS = ("participant_id", "link_id", "session_id", "completion_code", "status", "reward_cents", "reward",
           "bonus_cents", "bonus", "total_cents", "total", "reviewed_at", "feedback", "paid_before_cents",
           "bonus_withheld_cents", "flag")
#: The Event of one export of the sheet: a payout batch, with what it covered of each session.
EXPORTED = "link-out.sheet.exported"
#: Statuses owed nothing at all, a bonus recorded before the decision included (it shows as withheld).
OWED_NOTHING = ("rejected", worker_sessions.NO_TASK)
WITHHELD_FLAG = "bonus_withheld"


def major(cents: int) -> str:
    """Cents in the major unit with two decimals: 150 -> "1.50"."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _status(assignment: Assignment | None, visit: WorkerSession) -> str:
    if assignment is None or assignment.status == "accepted":
        return worker_sessions.NO_TASK if visit.status == worker_sessions.NO_TASK else "submitted"
    if assignment.status == "returned":
        return worker_sessions.NO_TASK
    return assignment.status


def payment_sheet(lo: "LinkOutProvider", project: int | str, *, new_only: bool = False) -> list[dict[str, Any]]:
    """The sheet's rows for ``project`` in the provider's environment, in the order the sessions finished.

    ``new_only``: only what no earlier batch (``write_payment_sheet``) covered: sessions in none, and of the
    others only what they are owed beyond it (a bonus granted since, a reward approved since)."""
    with lo.store.session() as s:
        project_id = projects.get(s, project).id
        return _rows(s, lo, project_id, covered(s, lo, project_id), new_only=new_only)


def covered(s, lo: "LinkOutProvider", project_id: int) -> dict[str, tuple[int, int]]:
    """What the earlier batches of the project's sheet covered of each session: (reward, bonus) in cents."""
    out: dict[str, tuple[int, int]] = {}
    for payload in s.scalars(select(Event.payload).where(Event.type == EXPORTED, Event.project_id == project_id)):
        if payload.get("environment") != lo.environment:
            continue
        for session_id, (reward, bonus) in (payload.get("sessions") or {}).items():
            was = out.get(session_id, (0, 0))
            out[session_id] = (max(was[0], reward), max(was[1], bonus))
    return out


def _rows(s, lo: "LinkOutProvider", project_id: int, before: dict[str, tuple[int, int]], *,
          new_only: bool) -> list[dict[str, Any]]:
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
        granted = int(bonuses.get(a.id, 0)) if a is not None else 0
        withheld = granted if status in OWED_NOTHING else 0  # a bonus recorded before the rejection is not owed
        bonus = granted - withheld
        paid_reward, paid_bonus = before.get(visit.assignment_id, (0, 0))
        if new_only:
            if visit.assignment_id in before and reward <= paid_reward and bonus <= paid_bonus:
                continue
            reward, bonus = max(0, reward - paid_reward), max(0, bonus - paid_bonus)
        reviewed = (a.approval_time if status == "approved" else a.rejection_time if status == "rejected"
                    else None) if a is not None else None
        rows.append({"participant_id": visit.worker_id, "link_id": visit.hit_id, "session_id": visit.assignment_id,
                     "completion_code": visit.completion_code or "", "status": status, "reward_cents": reward,
                     "reward": major(reward), "bonus_cents": bonus, "bonus": major(bonus),
                     "total_cents": reward + bonus, "total": major(reward + bonus),
                     "reviewed_at": reviewed.isoformat() if reviewed else "",
                     "feedback": a.feedback if a is not None else "", "paid_before_cents": paid_reward + paid_bonus,
                     "bonus_withheld_cents": withheld, "flag": WITHHELD_FLAG if withheld else ""})
    return rows


def write_payment_sheet(lo: "LinkOutProvider", project: int | str, out: str | Path, *, new_only: bool = False,
                        record: bool = True) -> dict[str, Any]:
    """Write the sheet as CSV and, with ``record``, record it as a payout batch; what was written, with the
    totals owed (``payout_batch``)."""
    _, summary = payout_batch(lo, project, new_only=new_only, record=record, write=lambda rows: write_csv(rows, out))
    return summary


def payout_batch(lo: "LinkOutProvider", project: int | str, *, new_only: bool = False, record: bool = True,
                 write: Callable[[list[dict[str, Any]]], Any] | None = None,
                 where: str = "") -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The sheet's rows and, with ``record``, the payout batch they are (an ``EXPORTED`` Event naming what it
    covered of each session), in one transaction with the reading: two exports take turns, and a failed
    ``write(rows)`` (which answers where it wrote) records nothing. ``where``: where the rows went, when not to a
    file (the REST answer). The summary's ``earlier_rows``: the project's sessions an earlier batch covered."""
    with lo.store.transaction() as s:
        project_id = projects.get(s, project).id
        # The project's links, locked: a second exporter on PostgreSQL waits for this batch (SQLite's write
        # transaction is exclusive already).
        s.execute(select(HIT.id).where(HIT.provider == PROVIDER, HIT.environment == lo.environment,
                                       HIT.project_id == project_id).with_for_update()).all()
        before = covered(s, lo, project_id)
        rows = _rows(s, lo, project_id, before, new_only=new_only)
        everyone = rows if not new_only else _rows(s, lo, project_id, before, new_only=False)
        if write is not None:
            where = str(write(rows))
        batch = f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(4)}" if record else None
        if record:
            owed = {r["session_id"]: r for r in everyone}
            events.record(s, EXPORTED, project_id=project_id, environment=lo.environment, batch=batch,
                          new_only=new_only, path=where, sessions={
                              r["session_id"]: [max(before.get(r["session_id"], (0, 0))[0],
                                                    owed[r["session_id"]]["reward_cents"]),
                                                max(before.get(r["session_id"], (0, 0))[1],
                                                    owed[r["session_id"]]["bonus_cents"])] for r in rows})
    total = sum(r["total_cents"] for r in rows)
    return rows, {"path": where, "rows": len(rows), "owed_cents": total, "owed": major(total),
                  "environment": lo.environment, "batch": batch, "new_only": new_only,
                  "earlier_rows": sum(1 for r in everyone if r["session_id"] in before)}


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
