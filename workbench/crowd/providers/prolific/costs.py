"""Prolific's fees and what a project has spent there.

The rate is Prolific's published platform (service) fee on what participants are paid, 33.3%, with VAT
(20%, UK) charged on the fee; the local simulator's fee model (``prolific_sim.studies.fees_for``) is the
same, so the ledger's fund check and the dashboard agree with the simulator's debits. Amounts are in the
account's minor unit (pence, shown as cents).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workbench.crowd import spending

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
    """Rewards, bonuses and fees spent (approved) and committed (submitted), for one project or all."""
    return spending.cost(session, PROVIDER, environment, hit_fee=hit_fee, bonus_fee=bonus_fee, project=project)
