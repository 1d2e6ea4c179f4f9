"""What some platforms can do beyond the common interface, asked of the provider, never of its name.

Faces show Prolific's pause and resume, its bulk approval and its return requests, or MTurk's
qualification requirements, when the provider in hand can do them: ``has(provider, PAUSE)``.
A capability is a method of the provider (``pause`` and ``resume``, ``bulk_approve``,
``request_return``, ``reconcile``, ``setup_hooks``, ``payout_batch``), or, where no method says
it, a name in the provider's ``capabilities`` set (``qualification_requirements``: MTurk enforces the WorkSpec's locales
and approval rates; Prolific's studies take their own filters). A class answers as its
instances do, so the CLI can ask before any client is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ValidationError

PAUSE = "pause"
BULK_APPROVE = "bulk_approve"
REQUEST_RETURN = "request_return"
RECONCILE = "reconcile"
QUALIFICATION_REQUIREMENTS = "qualification_requirements"
#: Sync by the platform's own reviewable listing, or by polling every open piece of work, with a window of
#: how long work may go unseen (MTurk's ``method`` and ``max_unseen``); Prolific's sync takes only ``sweep``.
SYNC_METHODS = "sync_methods"
#: Signed webhooks to the workbench's hook route, set up by the provider (Prolific's ``setup_hooks``).
WEBHOOKS = "webhooks"
#: Paid from a sheet the workbench exports, each export a payout batch (link-out's ``payout_batch``).
PAYMENT_SHEET = "payment_sheet"
#: The worker page shown in the platform's own frame (MTurk's ExternalQuestion), with a frame height, or as a
#: link out to it (``WorkSpec.mode``); elsewhere workers always come by link.
FRAMED_PAGES = "framed_pages"
#: Every capability a provider may have (``GET /workbench/api/providers`` answers with these names).
ALL = (BULK_APPROVE, FRAMED_PAGES, PAUSE, PAYMENT_SHEET, QUALIFICATION_REQUIREMENTS, RECONCILE, REQUEST_RETURN,
       SYNC_METHODS, WEBHOOKS)

#: Capabilities a provider has by having these methods.
METHODS = {PAUSE: ("pause", "resume"), BULK_APPROVE: ("bulk_approve",), REQUEST_RETURN: ("request_return",),
           RECONCILE: ("reconcile",), WEBHOOKS: ("setup_hooks",),
           PAYMENT_SHEET: ("payout_batch",)}
#: What a refusal says the platform cannot do.
DOING = {PAUSE: "pause or resume its work", BULK_APPROVE: "approve in bulk", REQUEST_RETURN: "ask for a return",
         RECONCILE: "reconcile", QUALIFICATION_REQUIREMENTS: "enforce qualification requirements",
         SYNC_METHODS: "choose how to sync", WEBHOOKS: "send webhooks",
         PAYMENT_SHEET: "be paid from an exported sheet", FRAMED_PAGES: "show the worker page in its own frame"}


def of(provider: Any) -> frozenset[str]:
    """The capabilities of ``provider`` (an instance or its class)."""
    declared = set(getattr(provider, "capabilities", ()) or ())
    by_method = {name for name, methods in METHODS.items()
                 if all(callable(getattr(provider, m, None)) for m in methods)}
    return frozenset(declared | by_method)


def has(provider: Any, capability: str) -> bool:
    return capability in of(provider)


def require(provider: Any, capability: str) -> None:
    """Refuse, in the platform's own name, what it cannot do."""
    if not has(provider, capability):
        raise ValidationError("provider", f"{provider.words.platform} cannot {DOING.get(capability, capability)}")


def pause(provider: Any, hit_id: str, *, actor: str = "") -> Any:
    """Stop taking new workers for a while (Prolific: the PAUSE transition)."""
    require(provider, PAUSE)
    return provider.pause(hit_id, actor=actor)


def resume(provider: Any, hit_id: str, *, actor: str = "") -> Any:
    """Take workers again after a pause (Prolific: START)."""
    require(provider, PAUSE)
    return provider.resume(hit_id, actor=actor)


def request_return(provider: Any, assignment_id: str, reasons: Sequence[str], *, actor: str = "") -> Any:
    """Ask the worker to return the work (they are then not paid, and the place opens again)."""
    require(provider, REQUEST_RETURN)
    if isinstance(reasons, str) or not isinstance(reasons, Sequence):
        raise ValidationError("reasons", "must be a list of texts")
    return provider.request_return(assignment_id, list(reasons), actor=actor)


__all__ = ["ALL", "BULK_APPROVE", "FRAMED_PAGES", "PAUSE", "PAYMENT_SHEET", "QUALIFICATION_REQUIREMENTS", "RECONCILE",
           "REQUEST_RETURN", "SYNC_METHODS", "WEBHOOKS", "has", "of", "pause", "request_return", "require", "resume"]
