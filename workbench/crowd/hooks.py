"""A crowd platform's signed webhooks, and what its public routes read from the store.

``verify`` checks Prolific's signature (prolific-openapi.yml, Hooks: ``X-Prolific-Request-Signature`` =
base64(HMAC-SHA256(secret, timestamp + body)), compared in constant time) and the timestamp's window.
``seen``/``mark`` de-duplicate deliveries by their event id: an Event row of type ``<provider>.hook``
with the id in its payload, written once the event was applied. ``completion_code`` is the code a
study gives every participant for one outcome (``payload.completion_codes`` of its HIT row).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import events
from workbench.errors import NotFoundError, WorkbenchError
from workbench.store.models import HIT, Event


class Unauthorized(WorkbenchError):
    """A hook without a valid signature, or with a timestamp outside the window; ``field`` names the header."""

    status = 401
    code = "unauthorized"


def verify(secret: str, body: bytes, timestamp: str, signature: str, *, tolerance: float = 300,
           timestamp_header: str = "X-Prolific-Request-Timestamp",
           signature_header: str = "X-Prolific-Request-Signature", now: float | None = None) -> None:
    """Unauthorized, naming the header, unless ``signature`` signs ``timestamp + body`` and the time is fresh."""
    if not secret:
        raise ValueError("a hook secret is required")
    if not timestamp:
        raise Unauthorized(f"{timestamp_header} is required", field=timestamp_header, reason="missing")
    if not signature:
        raise Unauthorized(f"{signature_header} is required", field=signature_header, reason="missing")
    try:
        when = float(timestamp) if len(timestamp) <= 32 else float("nan")
    except ValueError:
        when = float("nan")
    if when != when or when in (float("inf"), float("-inf")):
        raise Unauthorized(f"{timestamp_header} must be a UNIX time in seconds", field=timestamp_header,
                           reason="malformed")
    # Headers arrive as latin-1 text: encoding them back gives the bytes sent.
    expected = base64.b64encode(hmac.new(secret.encode(), timestamp.encode("latin-1") + body,
                                         hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.encode("latin-1")):
        raise Unauthorized(f"{signature_header} does not match the body", field=signature_header, reason="wrong")
    if abs((time.time() if now is None else now) - when) > tolerance:
        raise Unauthorized(f"{timestamp_header} is more than {tolerance:g} s from now", field=timestamp_header,
                           reason="stale")


def seen(session: Session, provider: str, event_id: str) -> bool:
    """Whether the hook event ``event_id`` of ``provider`` was applied already."""
    return session.scalars(select(Event.id).where(
        Event.type == f"{provider}.hook", Event.payload["event_id"].as_string() == event_id)).first() is not None


def mark(session: Session, provider: str, event_id: str, event_type: str, resource_id: str, status: str) -> None:
    """Record an applied (or refused) event, once per event id."""
    if not event_id or not seen(session, provider, event_id):
        events.record(session, f"{provider}.hook", actor=provider, event_id=event_id, event_type=event_type,
                      resource_id=resource_id, status=status)


def completion_code(session: Session, provider: str, study_id: str, outcome: str = "complete", *,
                    required: bool = True) -> str | None:
    """The code study ``study_id`` gives every participant for ``outcome``; NotFoundError for an unknown study
    (or, when ``required``, a study without a code for ``outcome``), else None when it has none."""
    study = session.scalars(select(HIT).where(HIT.provider == provider, HIT.hit_id == study_id)).first()
    code = ((study.payload or {}).get("completion_codes") or {}).get(outcome) if study is not None else None
    if not code and (required or study is None):
        raise NotFoundError("study", study_id, hint="create_work records the studies it makes")
    return code or None
