"""Reviewing crowd work: one set of rules for every face and every provider.

``review.approve(provider, assignment_id)`` is what the CLI, the panels, the REST API and a
notebook all call. The rules live here once:

- approving a rejected assignment overrides the rejection, and needs ``override=True``;
- approving link-out work whose completion code is wrong, missing, copied or from no visit
  needs ``override=True`` too (the code's verdict is in every queue item);
- a block needs a reason; only a worker the store knows can be unblocked;
- a bonus is an intent in the payment ledger (``crowd.payments``), paid exactly once.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..errors import ConflictError, ValidationError, WorkbenchError
from ..store.models import ASSIGNMENT_STATUSES, Annotation, Asset, Task
from . import capabilities, checks, listing, payments, verdict

bonus = payments.bonus
#: Assignment statuses, what a reviewer looks at first (submitted) first.
STATUSES = ("submitted", *(s for s in ASSIGNMENT_STATUSES if s != "submitted"))


def approve(provider: Any, assignment_id: str, *, feedback: str = "", override: bool = False,
            actor: str = "") -> Any:
    """Pay for the work. ``override`` approves over a rejection or over a bad completion code."""
    feedback = checks.text("feedback", feedback, provider.limits["feedback"], required=False)
    a = approvable(provider, assignment_id, override=override)
    if a.status == "approved":
        return a
    return provider.approve(assignment_id, feedback=feedback, override=override, actor=actor)


def approvable(provider: Any, assignment_id: str, *, override: bool = False) -> Any:
    """The assignment's row if approving it is allowed (or it is approved already); else the refusal."""
    with provider.store.session() as s:
        a = checks.assignment(s, provider, assignment_id)
        code = verdict.of_assignment(s, provider, a)
    if a.status == "approved":
        return a
    if a.status == "rejected" and not override:
        raise ConflictError(f"assignment {assignment_id} was rejected", field="override",
                            reason="approving a rejected assignment overrides the rejection",
                            hint="pass override=True (--override, the Override box) to approve it and pay the worker")
    if code is not None and code not in verdict.APPROVABLE and not override:
        raise ConflictError(f"assignment {assignment_id}'s completion code is {code}", field="override",
                            reason=f"the completion code is {code}", code_verdict=code,
                            hint="check the work; pass override=True (--override, the Override box) to pay anyway")
    return a


def reject(provider: Any, assignment_id: str, feedback: str, *, category: str | None = None, actor: str = "") -> Any:
    """Refuse the work; the feedback is required and shown to the worker. ``category`` files it under one of the
    platform's ``rejection_categories`` (Prolific's; its own default when not given), refused where it has none."""
    feedback = checks.text("feedback", feedback, provider.limits["feedback"], required=True)
    if category is None:
        return provider.reject(assignment_id, feedback, actor=actor)
    known = tuple(provider.rejection_categories)
    if not known:
        raise ValidationError("category", f"{provider.words.platform} files rejections under no category")
    if category not in known:
        raise ValidationError("category", f"must be one of {', '.join(known)}")
    return provider.reject(assignment_id, feedback, category=category, actor=actor)


def block(provider: Any, worker_id: str, reason: str, *, actor: str = "") -> Any:
    checks.ident("worker_id", worker_id)
    reason = checks.text("reason", reason, provider.limits["block_reason"], required=True,
                         shown_to="the platform (and may reach the worker)")
    return provider.block(worker_id, reason, actor=actor)


def unblock(provider: Any, worker_id: str, *, reason: str = "", actor: str = "") -> Any:
    """Lift a block; only a worker whose work is recorded here (a typo would lift nobody's)."""
    reason = checks.text("reason", reason, provider.limits["block_reason"], required=False)
    with provider.store.session() as s:
        checks.known_worker(s, provider, worker_id)
    return provider.unblock(worker_id, reason=reason, actor=actor)


def notify(provider: Any, worker_ids: Sequence[str], subject: str, message: str, *, actor: str = "") -> Any:
    return provider.notify(worker_ids, subject, message, actor=actor)


# -- what the faces list ---------------------------------------------------------------

def assignments(provider: Any, **filters: Any) -> list[dict[str, Any]]:
    """Assignments filtered by ``status``, ``hit_id``, ``worker_id`` and ``project`` (``limit``, ``offset``)."""
    with provider.store.session() as s:
        return listing.assignments(s, provider.name, provider.environment, **filters)


def workers(provider: Any, **filters: Any) -> list[dict[str, Any]]:
    with provider.store.session() as s:
        return listing.workers(s, provider.name, **filters)


def worker(provider: Any, worker_id: str) -> dict[str, Any]:
    with provider.store.session() as s:
        return listing.worker(s, provider.name, worker_id)


def qualification_types(provider: Any) -> list[dict[str, Any]]:
    """The qualification types recorded in the provider's environment."""
    with provider.store.session() as s:
        return listing.qualification_types(s, provider.name, provider.environment)


def queue(provider: Any, *, status: str | None = "submitted", worker_id: str | None = None,
          project: int | str | None = None, hit_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The review queue: assignments, each with its annotation's result, its image and its code verdict."""
    rows = assignments(provider, status=status, worker_id=worker_id or None, project=project,
                       hit_id=hit_id or None, limit=limit)
    if not rows:
        return rows
    with provider.store.session() as s:
        found = s.execute(select(Annotation.assignment_pk, Annotation.submission_id, Annotation.result,
                                 Asset.local_path, Asset.width, Asset.height)
                          .join(Task, Task.id == Annotation.task_id).outerjoin(Asset, Asset.id == Task.asset_id)
                          .where((Annotation.assignment_pk.in_([r["id"] for r in rows]))
                                 | Annotation.submission_id.in_([r["assignment_id"] for r in rows]))).all()
        codes = {r["id"]: verdict.of_assignment(s, provider, checks.assignment(s, provider, r["assignment_id"]))
                 for r in rows}
    by_pk = {row.assignment_pk: row for row in found if row.assignment_pk}
    by_sub = {row.submission_id: row for row in found}
    for item in rows:
        match = by_pk.get(item["id"]) or by_sub.get(item["assignment_id"])
        item["result"] = match.result if match else (item.get("answer") or {}).get("result")
        item["image_path"] = match.local_path if match else None
        item["image_size"] = (match.width, match.height) if match else (None, None)
        item["code_verdict"] = codes[item["id"]]
        item["needs_override"] = item["status"] == "rejected" or (
            item["code_verdict"] is not None and item["code_verdict"] not in verdict.APPROVABLE)
    return rows


def approve_all(provider: Any, assignment_ids: Sequence[str], *, feedback: str = "", actor: str = "",
                progress: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Approve each (never over a rejection or a bad code); one failure does not stop the rest.

    A platform that approves in bulk (``capabilities.BULK_APPROVE``, Prolific) is asked once per HIT
    for those the rules allow; feedback, which a bulk approval cannot carry, goes one by one."""
    if capabilities.has(provider, capabilities.BULK_APPROVE) and not feedback:
        return bulk_approve(provider, assignment_ids, actor=actor, progress=progress)
    approved, failed = [], []
    for assignment_id in assignment_ids:
        try:
            approve(provider, assignment_id, feedback=feedback, actor=actor)
            approved.append(assignment_id)
        except WorkbenchError as exc:
            failed.append({"assignment_id": assignment_id, "error": str(exc)})
        if progress:
            progress(1)
    return {"approved": approved, "failed": failed}


def bulk_approve(provider: Any, assignment_ids: Sequence[str], *, actor: str = "",
                 progress: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Approve in the platform's bulk call, one per HIT, those the rules allow (no override in bulk);
    the others, and a HIT whose call failed, are listed as failed with the reason."""
    capabilities.require(provider, capabilities.BULK_APPROVE)
    approved, failed, by_hit = [], [], {}
    for assignment_id in dict.fromkeys(assignment_ids):
        try:
            row = approvable(provider, assignment_id)
        except WorkbenchError as exc:
            failed.append({"assignment_id": assignment_id, "error": str(exc)})
            if progress:
                progress(1)
            continue
        if row.status == "approved":
            approved.append(assignment_id)
            if progress:
                progress(1)
        else:
            by_hit.setdefault(row.hit_pk, []).append(assignment_id)
    for ids in by_hit.values():
        try:
            provider.bulk_approve(ids, actor=actor)
            approved.extend(ids)
        except WorkbenchError as exc:
            failed.extend({"assignment_id": a, "error": str(exc)} for a in ids)
        if progress:
            progress(len(ids))
    return {"approved": approved, "failed": failed}


def approval_stats(statuses: Iterable[str]) -> dict[str, Any]:
    """Approved, rejected and the approval rate of the reviewed (None before any review): one definition."""
    listed = list(statuses)
    approved, rejected = listed.count("approved"), listed.count("rejected")
    reviewed = approved + rejected
    return {"approved": approved, "rejected": rejected, "approval_rate": approved / reviewed if reviewed else None}


def worker_summary(provider: Any, worker_id: str) -> dict[str, Any]:
    """A worker at a glance: assignments by status, approval rate, median time on task, bonuses, block."""
    data = worker(provider, worker_id)
    history = data["assignments"]
    by_status: dict[str, int] = {}
    for a in history:
        by_status[a["status"]] = by_status.get(a["status"], 0) + 1
    seconds = [_seconds(a) for a in history if a.get("accept_time") and a.get("submit_time")]
    return {"worker_id": worker_id, "blocked": data["blocked"], "assignments": len(history), "by_status": by_status,
            "approval_rate": approval_stats(a["status"] for a in history)["approval_rate"],
            "median_seconds": statistics.median(seconds) if seconds else None,
            "bonuses_cents": sum(b["amount_cents"] for b in data["bonuses"] if b["status"] == "paid"),
            "history": history}


def _seconds(a: dict[str, Any]) -> float:
    return (datetime.fromisoformat(a["submit_time"]) - datetime.fromisoformat(a["accept_time"])).total_seconds()
