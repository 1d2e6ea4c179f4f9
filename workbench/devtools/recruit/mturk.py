"""The demo on MTurk: the local MTurk simulator, a HIT per task, simulated workers through the worker page."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable

from workbench.crowd.providers import CreateResult, CrowdProvider, get_provider
from workbench.store import Store
from ..mturk_sim import Simulator
from ..mturk_sim.workers import run_workers
from .base import Recruiter, failures


class MTurkRecruiter(Recruiter):
    name = "mturk"

    def __init__(self) -> None:
        self.sim: Simulator | None = None

    def start(self, stack: ExitStack) -> None:
        self.sim = Simulator().start()
        stack.callback(self.sim.stop)

    def describe(self) -> str:
        return f"simulator: {self.sim.url}"

    def server_env(self) -> dict[str, str]:
        return {**super().server_env(), "MTURK_ENVIRONMENT": "local", "MTURK_LOCAL_ENDPOINT": self.sim.url}

    def provider(self, store: Store, base_url: str) -> CrowdProvider:
        return get_provider("mturk", "local", store=store, endpoint_url=self.sim.url)

    def recruit(self, created: CreateResult, places: int, echo: Callable[[str], None]) -> dict[str, Any]:
        outcomes = run_workers(self.sim.url, places, hit_ids=created.hit_ids, post_to_server=True, concurrency=4)
        errors = [o.error for o in outcomes if not o.ok]
        done = {"submitted": len(outcomes) - len(errors), "failed": len(errors), "errors": errors[:3]}
        echo(f"workers:   {done['submitted']} assignments submitted through the worker pages" + failures(done))
        return done

    def job_parameters(self) -> dict[str, Any]:
        return {"provider": self.name, "environment": "local", "endpoint_url": self.sim.url}

    def platform_bonuses(self, provider: CrowdProvider, project: str, assignment_id: str) -> list[int]:
        # boto3 against the simulator: MTurk's own list, not the provider's reading of it
        paid = self.sim.client().list_bonus_payments(AssignmentId=assignment_id)["BonusPayments"]
        return [round(float(p["BonusAmount"]) * 100) for p in paid]
