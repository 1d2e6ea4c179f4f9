"""The review queue's data: assignments with the annotation each produced, bulk approval, worker summaries.

The panels (and any script) call these; the single-assignment actions are ``workbench.review``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select

from . import review
from .errors import WorkbenchError
from .store.models import Annotation, Asset, Task


def items(provider, *, status: str | None = "submitted", worker_id: str | None = None,
          project: int | str | None = None, hit_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Assignments (filtered) each with its annotation's result and the task's image, for previews."""
    rows = review.assignments(provider, status=status, worker_id=worker_id or None, project=project,
                              hit_id=hit_id or None, limit=limit)
    if not rows:
        return rows
    pks = [r["id"] for r in rows]
    with provider.store.session() as s:
        found = s.execute(select(Annotation.assignment_pk, Annotation.submission_id, Annotation.result,
                                 Asset.local_path, Asset.width, Asset.height)
                          .join(Task, Task.id == Annotation.task_id).outerjoin(Asset, Asset.id == Task.asset_id)
                          .where((Annotation.assignment_pk.in_(pks))
                                 | Annotation.submission_id.in_([r["assignment_id"] for r in rows]))).all()
    by_pk = {row.assignment_pk: row for row in found if row.assignment_pk}
    by_sub = {row.submission_id: row for row in found}
    for item in rows:
        match = by_pk.get(item["id"]) or by_sub.get(item["assignment_id"])
        item["result"] = match.result if match else (item.get("answer") or {}).get("result")
        item["image_path"] = match.local_path if match else None
        item["image_size"] = (match.width, match.height) if match else (None, None)
    return rows


def approve_all(provider, assignment_ids: Sequence[str], *, feedback: str = "", actor: str = "",
                progress: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Approve each assignment; one failure does not stop the rest. Returns what happened to each."""
    approved, failed = [], []
    for assignment_id in assignment_ids:
        try:
            review.approve(provider, assignment_id, feedback=feedback, actor=actor)
            approved.append(assignment_id)
        except WorkbenchError as exc:
            failed.append({"assignment_id": assignment_id, "error": str(exc)})
        if progress:
            progress(1)
    return {"approved": approved, "failed": failed}


def worker_summary(provider, worker_id: str) -> dict[str, Any]:
    """A worker at a glance: assignments by status, approval rate, median time on task, bonuses, block."""
    from .providers.mturk import listing

    with provider.store.session() as s:
        data = listing.worker(s, worker_id)
    history = data["assignments"]
    by_status: dict[str, int] = {}
    for a in history:
        by_status[a["status"]] = by_status.get(a["status"], 0) + 1
    reviewed = by_status.get("approved", 0) + by_status.get("rejected", 0)
    seconds = [_seconds(a) for a in history if a.get("accept_time") and a.get("submit_time")]
    return {"worker_id": worker_id, "blocked": data["blocked"], "assignments": len(history), "by_status": by_status,
            "approval_rate": by_status.get("approved", 0) / reviewed if reviewed else None,
            "median_seconds": statistics.median(seconds) if seconds else None,
            "bonuses_cents": sum(b["amount_cents"] for b in data["bonuses"]), "history": history}


def _seconds(a: dict[str, Any]) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(a["submit_time"]) - datetime.fromisoformat(a["accept_time"])).total_seconds()
