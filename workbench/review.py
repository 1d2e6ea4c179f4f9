"""Reviewing crowd work, in the researcher's words: ``review.approve(provider, assignment_id)``.

Thin names over the provider (one implementation, in ``workbench.providers``).
"""

from __future__ import annotations

from typing import Any, Sequence

from .providers import CrowdProvider


def approve(provider: CrowdProvider, assignment_id: str, *, feedback: str = "", override: bool = False,
            actor: str = ""):
    return provider.approve(assignment_id, feedback=feedback, override=override, actor=actor)


def reject(provider: CrowdProvider, assignment_id: str, feedback: str, *, actor: str = ""):
    return provider.reject(assignment_id, feedback, actor=actor)


def bonus(provider: CrowdProvider, assignment_id: str, amount_cents: int, reason: str, *, actor: str = ""):
    return provider.bonus(assignment_id, amount_cents, reason, actor=actor)


def block(provider: CrowdProvider, worker_id: str, reason: str, *, actor: str = ""):
    return provider.block(worker_id, reason, actor=actor)


def unblock(provider: CrowdProvider, worker_id: str, *, reason: str = "", actor: str = ""):
    return provider.unblock(worker_id, reason=reason, actor=actor)


def notify(provider: CrowdProvider, worker_ids: Sequence[str], subject: str, message: str, *, actor: str = ""):
    return provider.notify(worker_ids, subject, message, actor=actor)


def assignments(provider: CrowdProvider, **filters: Any) -> list[dict[str, Any]]:
    """Assignments filtered by ``status``, ``hit_id``, ``worker_id`` and ``project``."""
    from .providers.mturk import listing

    with provider.store.session() as s:
        return listing.assignments(s, provider.environment, **filters)
