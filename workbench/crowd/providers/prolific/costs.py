"""Prolific's fees and what a project has spent there.

The rate is Prolific's published platform (service) fee on what participants are paid, 33.3%, with VAT
(20%, UK) charged on the fee; the local simulator's fee model (``prolific_sim.studies.fees_for``) is the
same, so the ledger's fund check and the dashboard agree with the simulator's debits. Amounts are in the
account's minor unit (pence, shown as cents).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.store.models import HIT, Assignment, Bonus
from workbench.study import projects

FEE_NUM, FEE_DEN = 1, 3          # 33.3% (one third) service fee
VAT_PERCENT = 20                # VAT on the fee
PROVIDER = "prolific"


def _fee(cents: int) -> int:
    fee = (cents * FEE_NUM + FEE_DEN // 2) // FEE_DEN
    return fee + (fee * VAT_PERCENT + 50) // 100


def reward_fee(reward_cents: int, max_assignments: int = 1) -> int:
    """The fee on one submission's reward (Prolific's rate does not depend on the number of places)."""
    return _fee(reward_cents)


def bonus_fee(amount_cents: int) -> int:
    return _fee(amount_cents)


def hit_fee(reward_cents: int, max_assignments: int, payload: dict[str, Any] | None = None) -> int:
    return _fee(reward_cents)


def cost(session: Session, environment: str, *, project: int | str | None = None) -> dict[str, Any]:
    """Rewards, bonuses and fees spent (approved) and committed (awaiting review), for one project or all."""
    stmt = (select(Assignment.status, HIT.reward_cents, func.count()).join(HIT, HIT.id == Assignment.hit_pk)
            .where(Assignment.provider == PROVIDER, HIT.environment == environment,
                   Assignment.status.in_(("approved", "submitted"))).group_by(Assignment.status, HIT.reward_cents))
    bonus_stmt = (select(Bonus.amount_cents).join(Assignment, Assignment.id == Bonus.assignment_pk)
                  .join(HIT, HIT.id == Assignment.hit_pk)
                  .where(Bonus.provider == PROVIDER, Bonus.status == "paid", HIT.environment == environment))
    project_id = None
    if project is not None:
        project_id = projects.get(session, project).id
        stmt, bonus_stmt = stmt.where(HIT.project_id == project_id), bonus_stmt.where(HIT.project_id == project_id)
    out = {"rewards_cents": 0, "reward_fees_cents": 0, "committed_rewards_cents": 0, "committed_fees_cents": 0,
           "bonuses_cents": 0, "bonus_fees_cents": 0, "assignments_approved": 0, "assignments_submitted": 0,
           "bonuses_paid": 0}
    for status, reward, count in session.execute(stmt):
        if status == "approved":
            out["rewards_cents"] += reward * count
            out["reward_fees_cents"] += reward_fee(reward) * count
        else:
            out["committed_rewards_cents"] += reward * count
            out["committed_fees_cents"] += reward_fee(reward) * count
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
