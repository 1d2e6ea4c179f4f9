"""What a study has cost on one provider so far: rewards, bonuses and the provider's fees, in cents.

Approved work counts as spent; submitted work not yet reviewed counts as committed (the
provider approves it on its own when its delay runs out). Each provider brings its fee
schedule (``hit_fee``, ``bonus_fee`` of its ``costs`` module); the counting is the same.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.store.models import HIT, Assignment, Bonus
from workbench.study import projects

#: ``hit_fee(reward_cents, max_assignments, payload)``: the fee on one assignment's reward.
HitFee = Callable[[int, int, "dict[str, Any] | None"], int]


def cost(session: Session, provider: str, environment: str, *, hit_fee: HitFee, bonus_fee: Callable[[int], int],
         project: int | str | None = None) -> dict[str, Any]:
    """Rewards, bonuses and fees spent (approved) and committed (submitted), for one project or all."""
    stmt = (select(Assignment.status, HIT.reward_cents, HIT.max_assignments, HIT.payload, func.count())
            .join(HIT, HIT.id == Assignment.hit_pk)
            .where(Assignment.provider == provider, HIT.environment == environment,
                   Assignment.status.in_(("approved", "submitted")))
            .group_by(Assignment.status, HIT.id))
    bonus_stmt = (select(Bonus.amount_cents).join(Assignment, Assignment.id == Bonus.assignment_pk)
                  .join(HIT, HIT.id == Assignment.hit_pk)
                  .where(Bonus.provider == provider, Bonus.status == "paid", HIT.environment == environment))
    project_id = None
    if project is not None:
        project_id = projects.get(session, project).id
        stmt, bonus_stmt = stmt.where(HIT.project_id == project_id), bonus_stmt.where(HIT.project_id == project_id)
    out = {"rewards_cents": 0, "reward_fees_cents": 0, "committed_rewards_cents": 0, "committed_fees_cents": 0,
           "bonuses_cents": 0, "bonus_fees_cents": 0, "assignments_approved": 0, "assignments_submitted": 0,
           "bonuses_paid": 0}
    for status, reward, max_assignments, payload, count in session.execute(stmt):
        spent = status == "approved"
        out["rewards_cents" if spent else "committed_rewards_cents"] += reward * count
        out["reward_fees_cents" if spent else "committed_fees_cents"] += hit_fee(reward, max_assignments,
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
