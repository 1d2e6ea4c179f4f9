"""What a study has cost so far: rewards, bonuses and MTurk's fees, in cents.

MTurk's commission is 20 % of each reward, 40 % when the HIT has 10 or more assignments,
and 20 % of each bonus; at least one cent each time. Approved work counts as spent;
submitted work not yet reviewed counts as committed (it is approved automatically when
its delay runs out).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.study import projects
from workbench.store.models import HIT, Assignment, Bonus
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
    stmt = (select(Assignment.status, HIT.reward_cents, HIT.max_assignments, HIT.payload, func.count())
            .join(HIT, HIT.id == Assignment.hit_pk)
            .where(Assignment.provider == PROVIDER, HIT.environment == environment,
                   Assignment.status.in_(("approved", "submitted")))
            .group_by(Assignment.status, HIT.id))
    bonus_stmt = (select(Bonus.amount_cents).join(Assignment, Assignment.id == Bonus.assignment_pk)
                  .join(HIT, HIT.id == Assignment.hit_pk)
                  .where(Bonus.status == "paid", HIT.environment == environment))
    project_id = None
    if project is not None:
        project_id = projects.get(session, project).id
        stmt = stmt.where(HIT.project_id == project_id)
        bonus_stmt = bonus_stmt.where(HIT.project_id == project_id)
    out = {"rewards_cents": 0, "reward_fees_cents": 0, "committed_rewards_cents": 0, "committed_fees_cents": 0,
           "bonuses_cents": 0, "bonus_fees_cents": 0, "assignments_approved": 0, "assignments_submitted": 0,
           "bonuses_paid": 0}
    for status, reward, max_assignments, payload, count in session.execute(stmt):
        prefix = "" if status == "approved" else "committed_"
        out[f"{prefix}rewards_cents"] += reward * count
        out[f"{prefix}{'reward_' if status == 'approved' else ''}fees_cents"] += hit_fee(reward, max_assignments,
                                                                                      payload) * count
        out[f"assignments_{status}"] += count
    for (amount,) in session.execute(bonus_stmt):
        out["bonuses_cents"] += amount
        out["bonus_fees_cents"] += bonus_fee(amount)
        out["bonuses_paid"] += 1
    out["fees_cents"] = out["reward_fees_cents"] + out["bonus_fees_cents"]
    out["spent_cents"] = out["rewards_cents"] + out["bonuses_cents"] + out["fees_cents"]
    out["committed_cents"] = out["committed_rewards_cents"] + out["committed_fees_cents"]
    out["total_cents"] = out["spent_cents"] + out["committed_cents"]
    out.update(environment=environment, project_id=project_id)
    return out
