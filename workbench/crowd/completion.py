"""Where a Prolific participant is sent when their visit ends: the study's completion code for the outcome.

Prolific's completion codes are per outcome, not per person (prolific-openapi.yml, BaseStudy
``completion_codes``): a participant who did their tasks gets the study's ``complete`` code (COMPLETED,
for manual review); one who found no task left gets its ``no_task`` code (OTHER, asking them to return
the study), never the COMPLETED code a bulk approval would pay. A study made before it had a return code
has no code for that outcome: the participant is asked to return it (a conflict page). The code travels
to Prolific's completion URL (``PROLIFIC_COMPLETION_URL``, default app.prolific.com's), which completes
the submission and applies the code's actions. The entry route only redirects to ``finish_url``.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.errors import ConflictError, NotFoundError, WorkbenchError
from workbench.store.models import HIT

DEFAULT_COMPLETION_URL = "https://app.prolific.com/submissions/complete"


class NotConfigured(WorkbenchError):
    """This server's completion URL setting is unusable: the participant cannot be sent on (503)."""

    status = 503
    code = "unavailable"


def completion_code(session: Session, provider: str, study_id: str, outcome: str = "complete", *,
                    required: bool = True) -> str | None:
    """The code study ``study_id`` gives every participant for ``outcome``; NotFoundError for an unknown study
    (or, when ``required``, a study without a code for ``outcome``), else None when it has none."""
    study = session.scalars(select(HIT).where(HIT.provider == provider, HIT.hit_id == study_id)).first()
    code = ((study.payload or {}).get("completion_codes") or {}).get(outcome) if study is not None else None
    if not code and (required or study is None):
        raise NotFoundError("study", study_id, hint="create_work records the studies it makes")
    return code or None


def study_codes(session: Session, provider: str, study_id: str) -> dict[str, Any]:
    """The codes a visit of ``study_id`` may end with (read when the visit starts, in its transaction)."""
    return {"complete_code": completion_code(session, provider, study_id, "complete"),
            "no_task_code": completion_code(session, provider, study_id, "no_task", required=False)}


def code_for(codes: dict[str, Any], *, no_task: bool) -> str:
    """The code for the visit's outcome; a conflict asking the participant to return a study with no return code."""
    if not no_task:
        return codes["complete_code"]
    if codes.get("no_task_code"):
        return codes["no_task_code"]
    raise ConflictError("No task is left for you in this study. Please return it on Prolific: a return is "
                        "not held against you.", field="STUDY_ID", reason="no task left")


def completion_url(code: str) -> str:
    """Prolific's completion URL for ``code`` (``PROLIFIC_COMPLETION_URL``, else app.prolific.com's)."""
    base = (os.environ.get("PROLIFIC_COMPLETION_URL") or DEFAULT_COMPLETION_URL).strip()
    if urlsplit(base).scheme not in ("http", "https"):
        raise NotConfigured("PROLIFIC_COMPLETION_URL must be an http(s) URL", field="PROLIFIC_COMPLETION_URL")
    return f"{base}{'&' if '?' in base else '?'}cc={quote(code, safe='')}"


def finish_url(codes: dict[str, Any], *, no_task: bool) -> str:
    """Where the participant goes: Prolific's completion URL with the code for the outcome."""
    return completion_url(code_for(codes, no_task=no_task))
