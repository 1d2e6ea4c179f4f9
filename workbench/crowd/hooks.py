"""A crowd platform's signed webhooks: their signature, and each event applied once.

``verify`` checks Prolific's signature (prolific-openapi.yml, Hooks: ``X-Prolific-Request-Signature`` =
base64(HMAC-SHA256(secret, timestamp + body)), compared in constant time) and the timestamp's window.
``deliver`` applies an event once per event id, however many copies arrive and however close together: a
``hook_deliveries`` row, unique on (provider, event id), is claimed before the event is applied and marked
applied or refused after (with its Event ``<provider>.hook``). A second delivery finds the claim: done, it
is a duplicate; still being applied, it is told to retry (``Retry``, a 503), so that if the first applier
fails the event is not lost; a claim older than ``CLAIM_LEASE`` (its applier died) is taken over. An
applier that fails where a retry may succeed (Prolific unreachable, or refusing our token) lets go of
its claim and raises ``Retry``, so Prolific's own retry applies the event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from typing import Any, Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from workbench import events
from workbench.errors import WorkbenchError
from workbench.store.models import HookDelivery
from workbench.store.types import utcnow

#: How long a delivery may hold an event's claim before another delivery of it may apply it (seconds).
CLAIM_LEASE = 120.0


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


class Retry(WorkbenchError):
    """The event was not applied now and must be delivered again (the platform retries a non-2xx answer)."""

    status = 503
    code = "unavailable"


def retryable(exc: WorkbenchError) -> bool:
    """Whether applying may succeed later: the platform unreachable (5xx), or refusing our token (401/403)."""
    return exc.status >= 500 or getattr(exc, "http_status", None) in (401, 403)


def deliver(store, provider: str, event_id: str, event_type: str, resource_id: str,
            apply: Callable[[], Any]) -> dict[str, Any]:
    """Apply one delivery of a hook event, once per ``event_id`` (none: every delivery applies): what it did,
    ``{"status": "applied", "result": …}``, ``"refused"`` with the message, or ``"duplicate"``; ``Retry`` when
    it must come again."""
    claim = _claim(store, provider, event_id, event_type, resource_id) if event_id else None
    if claim is False:
        return {"status": "duplicate"}
    try:
        result = apply()
        outcome: dict[str, Any] = {"status": "applied", "result": result.to_dict()}
    except WorkbenchError as exc:
        if not retryable(exc):
            outcome = {"status": "refused", "message": exc.message}
        else:
            _let_go(store, claim)
            raise Retry(f"the event was not applied; retry later ({exc.message})", field=provider,
                        reason="unreachable") from None
    except BaseException:
        _let_go(store, claim)
        raise
    with store.transaction() as s:
        if claim is not None:
            s.execute(update(HookDelivery).where(HookDelivery.id == claim)
                      .values(status=outcome["status"], done_at=utcnow()))
        events.record(s, f"{provider}.hook", actor=provider, event_id=event_id, event_type=event_type,
                      resource_id=resource_id, status=outcome["status"])
    return outcome


def _claim(store, provider: str, event_id: str, event_type: str, resource_id: str) -> int | bool:
    """The id of this delivery's claim on the event, False when the event was done already, ``Retry`` while
    another delivery applies it."""
    for _ in range(3):  # a claim let go of between our insert and our read: claim again
        now = utcnow()
        try:
            with store.transaction() as s:
                row = HookDelivery(provider=provider, event_id=event_id, event_type=event_type,
                                   resource_id=resource_id, status="applying", claimed_at=now)
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            pass
        with store.session() as s:
            held = s.scalars(select(HookDelivery).where(HookDelivery.provider == provider,
                                                        HookDelivery.event_id == event_id)).first()
        if held is None:
            continue
        if held.status != "applying":
            return False
        if held.claimed_at < now - timedelta(seconds=CLAIM_LEASE):
            with store.transaction() as s:
                taken = s.execute(update(HookDelivery).where(
                    HookDelivery.id == held.id, HookDelivery.status == "applying",
                    HookDelivery.claimed_at == held.claimed_at).values(claimed_at=now)
                    .execution_options(synchronize_session=False))
            if taken.rowcount == 1:
                return held.id
        break
    raise Retry(f"event {event_id} is being applied by another delivery; retry later", field="X-Event-ID",
                reason="in progress")


def _let_go(store, claim: int | None) -> None:
    if claim is not None:
        with store.transaction() as s:
            s.execute(delete(HookDelivery).where(HookDelivery.id == claim, HookDelivery.status == "applying"))
