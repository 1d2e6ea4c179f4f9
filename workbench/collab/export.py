"""Transcripts and actions as files: one row per message, action or agent call, JSONL or Parquet.

Each row carries the session, its condition, the role and kind of who spoke or acted, the
server timestamp, the time since the session started, and a latency: for an agent call
the call's own latency, for a message or action the time since the last message or action
by someone else in the session (the response latency). Rows stream from the store in
batches, so memory stays flat however long the study ran.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from workbench.study import projects
from ..errors import ValidationError
from ..store import Store
from ..store.models import CollabParticipant, CollabSession, CollabStudy, Event

ROW_TYPES = ("collab.message", "collab.action", "collab.agent_call")
FORMATS = ("jsonl", "parquet")
COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id", "int"), ("study", "str"), ("session_id", "int"), ("paradigm", "str"), ("condition", "str"),
    ("condition_label", "str"), ("type", "str"), ("ts", "timestamp"), ("t_session_ms", "float"),
    ("role", "str"), ("participant_kind", "str"), ("actor", "str"), ("text", "str"), ("action", "str"),
    ("latency_ms", "float"), ("prompt_tokens", "int"), ("completion_tokens", "int"), ("model", "str"),
    ("error", "str"),
)
#: The type each kind of column gets in the file.
DUCK_TYPES = {"int": "BIGINT", "str": "VARCHAR", "float": "DOUBLE", "timestamp": "TIMESTAMPTZ"}


def rows(store: Store, *, study: str | None = None, project: int | str | None = None,
         batch_size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """Batches of transcript rows, in the order things happened (of one study, or of a project's studies)."""
    with store.session() as s:
        stmt = select(CollabSession.id, CollabSession.paradigm, CollabSession.condition, CollabSession.started_at,
                      CollabStudy.slug).join(CollabStudy)
        stmt = scope_studies(s, stmt, study, project)
        sessions = {sid: (paradigm, condition, started, slug) for sid, paradigm, condition, started, slug
                    in s.execute(stmt)}
        kinds = dict(s.execute(select(CollabParticipant.id, CollabParticipant.kind)).all())
        query = select(Event).where(Event.type.in_(ROW_TYPES)).order_by(Event.ts, Event.id)
        if study is not None:
            query = query.where(Event.payload["study"].as_string() == study)
        last: dict[int, tuple[int | None, datetime]] = {}
        batch: list[dict[str, Any]] = []
        for event in s.scalars(query.execution_options(yield_per=batch_size)):
            p = event.payload
            sid = p.get("session_id")
            if sid not in sessions:
                continue
            paradigm, condition, started, slug = sessions[sid]
            pid = p.get("participant_id")
            latency = p.get("latency_ms") if event.type == "collab.agent_call" else None
            if event.type != "collab.agent_call":
                before = last.get(sid)
                if before is not None and before[0] != pid:
                    latency = (event.ts - before[1]).total_seconds() * 1000
                last[sid] = (pid, event.ts)
            batch.append({
                "event_id": event.id, "study": slug, "session_id": sid, "paradigm": paradigm,
                "condition": json.dumps({k: v for k, v in condition.items() if k != "label"}, sort_keys=True),
                "condition_label": condition.get("label", ""), "type": event.type.removeprefix("collab."),
                "ts": event.ts, "t_session_ms": (event.ts - started).total_seconds() * 1000 if started else None,
                "role": p.get("role"), "participant_kind": kinds.get(pid), "actor": event.actor,
                "text": p.get("text") if event.type == "collab.message" else p.get("say"),
                "action": json.dumps(p.get("action") if event.type == "collab.action" else p.get("act"))
                if (p.get("action") or p.get("act")) is not None else None,
                "latency_ms": latency, "prompt_tokens": p.get("prompt_tokens"),
                "completion_tokens": p.get("completion_tokens"), "model": p.get("model"), "error": p.get("error"),
            })
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch


def export(store: Store, out: str | Path, fmt: str | None = None, *, study: str | None = None) -> dict[str, Any]:
    """Write the transcript rows to ``out`` (format from ``fmt`` or the suffix); return what was written.

    The file is written by the exports' writer of that format (``workbench.results.exports.tabular``), the one the
    annotation exports use.
    """
    out = Path(out).expanduser()
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(FORMATS)} (or a file ending in one)")
    # Imported here, not at the top: pyarrow and DuckDB, which the metrics and the CLI's option lists do not need.
    import pyarrow as pa

    # tabular brings DuckDB, source pyarrow: the same reason
    from workbench.results.exports import tabular
    from workbench.results.exports.source import Column, arrow_schema

    columns = [Column(name, "", kind, DUCK_TYPES[kind]) for name, kind in COLUMNS]
    schema = arrow_schema(columns)
    batches = (pa.RecordBatch.from_pylist(batch, schema=schema) for batch in rows(store, study=study))
    count = tabular.write(pa.RecordBatchReader.from_batches(schema, batches), columns, fmt, out)
    return {"path": str(out), "format": fmt, "rows": count, "study": study}


def scope_studies(s, stmt, study: str | None, project: int | str | None):
    """``stmt`` (joined to CollabStudy) narrowed to one study and/or one project's studies."""
    if study is not None:
        stmt = stmt.where(CollabStudy.slug == study)
    if project is not None:
        stmt = stmt.where(CollabStudy.project_id == projects.get(s, project).id)
    return stmt
