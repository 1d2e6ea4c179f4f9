"""Collaboration figures for the dashboard: messages per session, response latency, outcome by condition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..store import Store
from ..store.models import CollabSession, CollabStudy
from . import export


@dataclass
class Metrics:
    per_session: Any  # pandas.DataFrame, one row per session
    by_condition: Any  # pandas.DataFrame, one row per condition
    summary: dict[str, Any]


def collect(store: Store, *, study: str | None = None, project: int | str | None = None) -> Metrics:
    # pandas is heavy (~1 s); loaded only when the figures are computed
    import pandas as pd

    frames = [pd.DataFrame(batch) for batch in export.rows(store, study=study, project=project)]
    log = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[c for c, _ in export.COLUMNS])
    with store.session() as s:
        stmt = export.scope_studies(s, select(CollabSession, CollabStudy.slug).join(CollabStudy).order_by(CollabSession.id),
                              study, project)
        sessions = pd.DataFrame([{
            "session_id": cs.id, "study": slug, "condition_label": cs.condition.get("label", ""),
            "status": cs.status, "end_reason": cs.end_reason or None,
            "success": (cs.outcome or {}).get("success") if cs.status == "ended" else None,
            "duration_s": (cs.ended_at - cs.started_at).total_seconds() if cs.ended_at and cs.started_at else None,
        } for cs, slug in s.execute(stmt).all()], columns=["session_id", "study", "condition_label", "status",
                                                          "end_reason", "success", "duration_s"])
    messages = log[log["type"] == "message"]
    turns = log[log["type"].isin(["message", "action"])]
    calls = log[log["type"] == "agent_call"]
    per = sessions.set_index("session_id")
    per["messages"] = messages.groupby("session_id").size()
    per["human_messages"] = messages[messages["participant_kind"] == "human"].groupby("session_id").size()
    per["agent_messages"] = messages[messages["participant_kind"] == "agent"].groupby("session_id").size()
    per["response_latency_ms"] = turns.groupby("session_id")["latency_ms"].median()
    per["agent_latency_ms"] = calls.groupby("session_id")["latency_ms"].mean()
    per["agent_errors"] = calls[calls["error"].notna()].groupby("session_id").size()
    for column in ("messages", "human_messages", "agent_messages", "agent_errors"):
        per[column] = per[column].fillna(0).astype(int)
    per = per.reset_index()
    ended = per[per["status"] == "ended"]
    by = per.groupby("condition_label").agg(sessions=("session_id", "count"),
                                           messages_per_session=("messages", "mean"),
                                           response_latency_ms=("response_latency_ms", "median"))
    by["ended"] = ended.groupby("condition_label").size()
    by["success_rate"] = ended.groupby("condition_label")["success"].apply(lambda s: s.astype(float).mean())
    by = by.fillna({"ended": 0}).reset_index()
    summary = {"sessions": int(len(per)), "ended": int(len(ended)), "messages": int(len(messages)),
               "messages_per_session": float(per["messages"].mean()) if len(per) else 0.0,
               "response_latency_ms_median": float(turns["latency_ms"].median()) if turns["latency_ms"].notna().any() else None,
               "success_rate": float(ended["success"].astype(float).mean()) if len(ended) else None}
    return Metrics(per, by, summary)
