"""A link-out panel's fees (none the workbench knows of) and what a project has spent there.

The workbench pays nobody on a link-out panel: the researcher pays from the payment sheet (``sheet``),
by hand or through the panel, and whatever the panel charges for that is its own business (a credit pool
charges nothing). So every fee here is 0, and a project's cost is its approved rewards and its bonuses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workbench.crowd import spending

PROVIDER = "link-out"


def reward_fee(reward_cents: int, max_assignments: int = 1) -> int:
    return 0


def bonus_fee(amount_cents: int) -> int:
    return 0


def hit_fee(reward_cents: int, max_assignments: int, payload: dict[str, Any] | None = None) -> int:
    return 0


def cost(session: Session, environment: str, *, project: int | str | None = None) -> dict[str, Any]:
    """Rewards and bonuses spent (approved) and committed (submitted), for one project or all."""
    return spending.cost(session, PROVIDER, environment, hit_fee=hit_fee, bonus_fee=bonus_fee, project=project)
