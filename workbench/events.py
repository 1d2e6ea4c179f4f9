"""The audit log: every state change records an Event in its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .store.models import Event

#: Who acts when no person is named (schedulers, the CLI without a user).
SYSTEM = "system"


def record(session: Session, type: str, *, actor: str = SYSTEM, project_id: int | None = None,
           **payload: Any) -> Event:
    """Add an Event to the session; it commits or rolls back with the change it describes."""
    event = Event(type=type, actor=actor or SYSTEM, project_id=project_id, payload=payload)
    session.add(event)
    return event


def row(type: str, *, ts: datetime, actor: str = SYSTEM, project_id: int | None = None, **payload: Any) -> dict:
    """What ``record`` adds, as a row for ``record_many``."""
    return {"type": type, "actor": actor or SYSTEM, "project_id": project_id, "ts": ts, "payload": payload}


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many events (``row``s) in one Core statement, in the session's transaction."""
    if rows:
        session.connection().execute(_INSERT, rows)


_INSERT = Event.__table__.insert()


def query(session: Session, *, type: str | None = None, project_id: int | None = None,
          since: datetime | None = None, until: datetime | None = None,
          limit: int = 100, offset: int = 0) -> list[Event]:
    """Events, newest first, filtered by type (a prefix ending in ``.`` matches a family) and time."""
    stmt = select(Event).order_by(Event.ts.desc(), Event.id.desc())
    if type:
        stmt = stmt.where(Event.type.startswith(type) if type.endswith(".") else Event.type == type)
    if project_id is not None:
        stmt = stmt.where(Event.project_id == project_id)
    if since is not None:
        stmt = stmt.where(Event.ts >= since)
    if until is not None:
        stmt = stmt.where(Event.ts < until)
    return list(session.scalars(stmt.limit(limit).offset(offset)))
