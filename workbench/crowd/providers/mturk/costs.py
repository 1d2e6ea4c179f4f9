"""What a study has cost so far: rewards, bonuses and MTurk's fees, in cents.

MTurk's commission is 20 % of each reward, 40 % when the HIT has 10 or more assignments,
and 20 % of each bonus; at least one cent each time. Approved work counts as spent;
submitted work not yet reviewed counts as committed (it is approved automatically when
its delay runs out).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from workbench.crowd import spending
from .rows import PROVIDER

LARGE_HIT = 10


def fee(amount_cents: int, rate: str) -> int:
    return max(1, int((Decimal(amount_cents) * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def reward_fee(reward_cents: int, assignments_in_hit: int) -> int:
    return fee(reward_cents, "0.40" if assignments_in_hit >= LARGE_HIT else "0.20")


def bonus_fee(amount_cents: int) -> int:
    return fee(amount_cents, "0.20")


def hit_fee(reward_cents: int, max_assignments: int, payload: dict[str, Any] | None) -> int:
    """The fee on one assignment's reward: its tier follows the HIT's first MaxAssignments (extensions,
    recorded in ``payload``, do not change it)."""
    return reward_fee(reward_cents, (payload or {}).get("initial_max_assignments", max_assignments))


def cost(session: Session, environment: str, *, project: int | str | None = None) -> dict[str, Any]:
    """Rewards, bonuses and fees spent (approved) and committed (submitted), for one project or all."""
    return spending.cost(session, PROVIDER, environment, hit_fee=hit_fee, bonus_fee=bonus_fee, project=project)
