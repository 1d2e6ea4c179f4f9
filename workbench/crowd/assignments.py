"""The assignment a worker's submission belongs to, recorded the moment the submission arrives.

A worker page knows the provider's assignment, HIT and worker ids before the provider is
asked anything. ``link_arrivals`` finds the Assignment row of each arriving submission,
or makes one (with its ``assignment.recorded`` Event) in the submission's own transaction:
status ``accepted`` (the provider has not yet said the work was submitted there), the
worker, the HIT when the store knows it, the page's submit time, and ``source`` in its
payload, which says where the row was first recorded. Sync later completes the row from
the provider's own record and ingest never makes a second one, so every annotation is
joined to its assignment and worker from the start, and to its HIT once the store knows
the HIT; an export then has those columns filled.

An assignment id the store already holds under another HIT is a conflict: it is recorded
as an Event (``<provider>.conflict``) and left unlinked, never merged into the other HIT's row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from workbench import events
from workbench.store.engine import dialect_insert
from workbench.store.models import HIT, Assignment
from workbench.store.types import utcnow

#: Where an arrival row was first recorded (its payload's ``source``).
SOURCE = "worker_page"

_ASSIGNMENTS, _HITS = Assignment.__table__, HIT.__table__
_KNOWN = (select(_ASSIGNMENTS.c.assignment_id, _ASSIGNMENTS.c.id, _HITS.c.hit_id)
          .select_from(_ASSIGNMENTS.outerjoin(_HITS, _HITS.c.id == _ASSIGNMENTS.c.hit_pk))
          .where(_ASSIGNMENTS.c.provider == bindparam("provider"),
                 _ASSIGNMENTS.c.assignment_id.in_(bindparam("ids", expanding=True))))
_HIT_ROWS = select(_HITS.c.hit_id, _HITS.c.id, _HITS.c.task_id, _HITS.c.project_id).where(
    _HITS.c.provider == bindparam("provider"), _HITS.c.hit_id.in_(bindparam("hit_ids", expanding=True)))


@dataclass(frozen=True)
class Arrival:
    """One submission as the worker page hands it in."""

    assignment_id: str
    hit_id: str
    worker_id: str
    task_id: int
    project_id: int
    link_out: bool = False


def link_arrivals(session: Session, provider: str, arrivals: list[Arrival]) -> dict[str, int | None]:
    """The Assignment id (primary key) of each arrival's assignment: the recorded row, or an ``accepted`` row
    made now; None for an assignment id the store holds under another HIT (recorded as a conflict)."""
    firsts = {a.assignment_id: a for a in reversed(arrivals)}  # the first arrival of each assignment wins
    if not firsts:
        return {}
    run = session.connection().execute
    known = {row.assignment_id: row for row in run(_KNOWN, {"provider": provider, "ids": sorted(firsts)})}
    # In id order, as sync writes them: two writers inserting overlapping ids never wait on each other in a circle.
    new = sorted((a for a in firsts.values() if a.assignment_id not in known), key=lambda a: a.assignment_id)
    if new:
        now = utcnow()
        hits = _hits_for(session, provider, new)
        rows = [{"provider": provider, "assignment_id": a.assignment_id, "hit_pk": hits.get(a.assignment_id),
                 "task_id": None if a.link_out else a.task_id, "worker_id": a.worker_id, "status": "accepted",
                 "submit_time": now, "answer_raw": "", "answer": {}, "feedback": "", "payload": {"source": SOURCE},
                 "created_at": now, "updated_at": now} for a in new]
        insert = dialect_insert(session)(Assignment).values(rows).on_conflict_do_nothing(
            index_elements=["provider", "assignment_id"]).returning(_ASSIGNMENTS.c.assignment_id)
        made = set(run(insert).scalars())
        events.record_many(session, [
            events.row("assignment.recorded", ts=now, actor=a.worker_id, project_id=a.project_id, provider=provider,
                       assignment_id=a.assignment_id, hit_id=a.hit_id, source=SOURCE)
            for a in new if a.assignment_id in made])
        # Made here or, in a race, by a concurrent sync: read back either way.
        known.update({row.assignment_id: row for row in run(
            _KNOWN, {"provider": provider, "ids": [a.assignment_id for a in new]})})
    linked: dict[str, int | None] = {}
    for assignment_id, arrival in firsts.items():
        row = known[assignment_id]
        if row.hit_id is not None and arrival.hit_id and row.hit_id != arrival.hit_id:
            linked[assignment_id] = None
            events.record(session, f"{provider}.conflict", actor=arrival.worker_id, project_id=arrival.project_id,
                          kind="assignment", source=SOURCE, assignment_id=assignment_id, hit_id=arrival.hit_id,
                          task_id=arrival.task_id, recorded_hit_id=row.hit_id)
        else:
            linked[assignment_id] = row.id
    return linked


def warm(session: Session) -> None:
    """Compile the queries ``link_arrivals`` runs (the submission writer does this before its first batch)."""
    run = session.connection().execute
    run(_KNOWN, {"provider": "", "ids": []}).all()
    run(_HIT_ROWS, {"provider": "", "hit_ids": []}).all()


def _hits_for(session: Session, provider: str, arrivals: list[Arrival]) -> dict[str, int]:
    """The HIT row each arrival names: of its task, else of its project, else the only one with that id."""
    hit_ids = sorted({a.hit_id for a in arrivals if a.hit_id})
    if not hit_ids:
        return {}
    by_hit: dict[str, list] = {}
    for row in session.connection().execute(_HIT_ROWS, {"provider": provider, "hit_ids": hit_ids}):
        by_hit.setdefault(row.hit_id, []).append(row)
    out = {}
    for a in arrivals:
        candidates = by_hit.get(a.hit_id, [])
        chosen = ([h for h in candidates if h.task_id == a.task_id]
                  or [h for h in candidates if h.project_id == a.project_id]
                  or (candidates if len(candidates) == 1 else []))
        if chosen:
            out[a.assignment_id] = chosen[0].id
    return out
