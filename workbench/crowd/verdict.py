"""The verdict on a link-out assignment's completion code, one rule for ingest and for review.

``ok``: the code of this worker's finished visit. ``no_task``: the valid code of a visit that
found no task left (the worker did nothing wrong; there is simply no annotation). ``missing``:
no code was given. ``no_session``: the worker never came through the link. ``copied``:
another assignment's code. ``wrong``: any other code. Only ``ok`` and ``no_task`` may be
approved without an explicit override.

A platform whose codes are per outcome, the same for every participant (Prolific's: the study's
``completion_codes`` in its HIT payload), cannot tell people apart by the code: there the code a
submission was completed with (``study_code``, recorded by sync) must be the code of the outcome
the worker's own visit reached, ``complete`` or ``no_task``.
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import worker_sessions
from ..errors import NotFoundError
from ..store.models import HIT, Assignment, WorkerSession

APPROVABLE = ("ok", worker_sessions.NO_TASK)


def mode_of(hit: HIT | None) -> str:
    """The work mode a HIT was offered in (one vocabulary: ``external`` or ``link-out``)."""
    return "link-out" if hit is not None and (hit.payload or {}).get("mode") == "link-out" else "external"


def check_code(s: Session, provider: str, assignment_id: str, worker_id: str, code: Any) -> str:
    """The verdict (module docstring) on ``code`` given for ``assignment_id`` by ``worker_id``."""
    if not code or not isinstance(code, str) or not code.strip():
        return "missing"
    try:
        found = worker_sessions.check_code(s, assignment_id, code, provider=provider)
    except NotFoundError:
        return "no_session"
    if found["valid"] and found["worker_id"] == worker_id:
        return worker_sessions.NO_TASK if found["status"] == worker_sessions.NO_TASK else "ok"
    owner = s.scalars(select(WorkerSession.assignment_id).where(
        WorkerSession.provider == provider, WorkerSession.completion_code == code.strip().upper())).first()
    return "copied" if owner is not None and owner != assignment_id else "wrong"


def of_assignment(s: Session, provider: Any, a: Assignment) -> str | None:
    """The code verdict of a link-out assignment (ingest's, or checked now); None for framed work."""
    hit = s.get(HIT, a.hit_pk) if a.hit_pk else None
    if mode_of(hit) != "link-out":
        return None
    judged = ((a.payload or {}).get("ingest") or {}).get("code")
    if judged:
        return judged
    per_outcome = (hit.payload or {}).get("completion_codes")
    if isinstance(per_outcome, dict) and per_outcome:
        return check_outcome_code(s, provider.name, a, per_outcome)
    return check_code(s, provider.name, a.assignment_id, a.worker_id, (a.answer or {}).get(provider.code_field))


def check_outcome_code(s: Session, provider: str, a: Assignment, codes: dict[str, Any]) -> str:
    """The verdict on the per-outcome code ``a`` was completed with (module docstring)."""
    code = (a.payload or {}).get("study_code")
    if not code or not isinstance(code, str) or not code.strip():
        return "missing"
    visit = worker_sessions.find(s, a.assignment_id, provider=provider)
    if visit is None or visit.worker_id != a.worker_id:
        return "no_session"
    if not visit.completion_code:
        return "wrong"  # the visit never reached its end: whatever code was entered, it was not earned here
    outcome = worker_sessions.NO_TASK if visit.status == worker_sessions.NO_TASK else "complete"
    expected = codes.get(outcome)
    if not isinstance(expected, str) or not hmac.compare_digest(code.strip().encode(), expected.encode()):
        return "wrong"
    return worker_sessions.NO_TASK if outcome == worker_sessions.NO_TASK else "ok"
