"""Reconcile: every disagreement between what the worker page stored and what MTurk says.

Both directions are reported:

- ``missing_on_server``: MTurk shows a submission the worker page never stored (the page
  was down, the worker's browser lost the request). ``recover=True`` ingests it from
  MTurk's answer, so the data is not lost.
- ``missing_on_mturk``: the page stored an answer for an assignment MTurk does not show as
  submitted (the worker's form never reached MTurk: they may be unpaid); the detail says
  whether a sync has asked MTurk since the answer arrived.
- ``status``: the page's record and MTurk's disagree on the assignment (returned or
  abandoned on MTurk, yet stored by the page).
- ``result_differs``: both have the answer, with different results.
- ``no_task``: a link-out assignment whose worker found no task left: its code is valid, but there is
  no annotation behind it (decide how to pay it).
- ``bad_code``: a link-out assignment whose completion code is missing, wrong, copied from another
  assignment, or that never came through the link (no session).

The page's annotations are those whose ``submission_id`` is an assignment id of one of
this environment's HITs' tasks and that ingest did not write (``raw_payload.source``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workbench.study import projects
from workbench.crowd import verdict
from workbench.store.models import HIT, Annotation, Assignment
from ..base import Outcome
from .ingest import ingest
from .questions import CODE_FIELD
from .rows import PROVIDER

if TYPE_CHECKING:
    from . import MTurkProvider


@dataclass
class Disagreement:
    kind: str
    assignment_id: str
    task_id: int | None = None
    worker_id: str = ""
    detail: str = ""


@dataclass
class ReconcileReport(Outcome):
    checked_assignments: int = 0
    checked_annotations: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    recovered: int = 0

    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.disagreements:
            out[item.kind] = out.get(item.kind, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "by_kind": self.by_kind()}


def reconcile(mt: "MTurkProvider", *, project: int | str | None = None, recover: bool = False,
              actor: str = "") -> ReconcileReport:
    report = ReconcileReport()
    with mt.store.session() as s:
        project_id = projects.get(s, project).id if project is not None else None
        hit_filter = [HIT.provider == PROVIDER, HIT.environment == mt.environment]
        if project_id is not None:
            hit_filter.append(HIT.project_id == project_id)
        rows = list(s.execute(select(Assignment, HIT).join(HIT, HIT.id == Assignment.hit_pk).where(*hit_filter)))
        task_ids = select(HIT.task_id).where(*hit_filter, HIT.task_id.is_not(None))
        page_notes = {n.submission_id: n for n in s.scalars(select(Annotation).where(Annotation.task_id.in_(task_ids)))
                      if (n.raw_payload or {}).get("source") != "mturk"}
        ingested = {n.submission_id for n in s.scalars(select(Annotation).where(Annotation.task_id.in_(task_ids)))
                    if (n.raw_payload or {}).get("source") == "mturk"}
        by_id = {a.assignment_id: (a, h) for a, h in rows}
        report.checked_assignments, report.checked_annotations = len(rows), len(page_notes)
        to_recover = []
        for a, hit in rows:
            link_out = (hit.payload or {}).get("mode") == "link-out"
            if a.status == "accepted":
                # Recorded by the worker page as the answer arrived; MTurk has not (yet) listed it as submitted.
                if a.assignment_id in page_notes:
                    report.disagreements.append(Disagreement("missing_on_mturk", a.assignment_id, a.task_id,
                                                             a.worker_id, _unconfirmed(a, hit)))
                continue
            if a.status not in ("submitted", "approved", "rejected"):
                if a.assignment_id in page_notes:
                    report.disagreements.append(Disagreement("status", a.assignment_id, a.task_id, a.worker_id,
                                                             f"MTurk says {a.status}; the page stored an answer"))
                continue
            if link_out:
                code = verdict.check_code(s, PROVIDER, a.assignment_id, a.worker_id, (a.answer or {}).get(CODE_FIELD))
                if code == "no_task":
                    report.disagreements.append(Disagreement(
                        "no_task", a.assignment_id, a.task_id, a.worker_id,
                        "the worker came through the link when no task was left for them: a valid code, no annotation"))
                elif code != "ok":
                    report.disagreements.append(Disagreement("bad_code", a.assignment_id, a.task_id, a.worker_id,
                                                             f"completion code {code}"))
                continue
            note = page_notes.get(a.assignment_id)
            if note is None:
                recovered = a.assignment_id in ingested
                report.disagreements.append(Disagreement(
                    "missing_on_server", a.assignment_id, a.task_id, a.worker_id,
                    "MTurk has a submission the worker page never stored"
                    + ("; recovered from MTurk's answer" if recovered else "")))
                if not recovered:
                    to_recover.append(a.assignment_id)
            elif "result" in (a.answer or {}) and a.answer["result"] != note.result:
                report.disagreements.append(Disagreement("result_differs", a.assignment_id, a.task_id, a.worker_id,
                                                         "the page and MTurk hold different results"))
        for submission_id, note in page_notes.items():
            if submission_id not in by_id:
                if _looks_like_assignment(note):
                    report.disagreements.append(Disagreement(
                        "missing_on_mturk", submission_id, note.task_id, note.actor,
                        "the page stored an answer MTurk does not show as submitted (run sync first)"))
    if recover and to_recover:
        report.recovered = _recover(mt, to_recover, actor)
    return report


def _unconfirmed(a: Assignment, hit: HIT) -> str:
    said = "the page stored an answer MTurk does not show as submitted"
    if hit.last_synced_at is not None and hit.last_synced_at > a.created_at:
        return f"{said} (as of the sync at {hit.last_synced_at.isoformat()}): the worker's form may never have " \
               "reached MTurk, so they may go unpaid"
    return f"{said} yet: MTurk has not been asked since it arrived (run sync first)"


def _looks_like_assignment(note: Annotation) -> bool:
    raw = note.raw_payload or {}
    return bool(raw.get("assignment_id") or raw.get("hit_id")) or note.submission_id == raw.get("assignmentId")


def _recover(mt: "MTurkProvider", assignment_ids: list[str], actor: str) -> int:
    """Take the missing answers in from MTurk (ingest takes exactly what is not yet ingested)."""
    return ingest(mt, actor=actor).ingested
