"""The demo on Prolific: the local Prolific simulator, one study, simulated participants, signed hooks.

The workbench server runs with ``WORKBENCH_PROVIDER=prolific`` and the ``PROLIFIC_*`` settings a
deployment has: the simulator as the endpoint, its completion URL, and the hook secret of the
workbench's own hook set-up (``setup_hooks``, run before the server starts), under which the
simulator signs every delivery to the server's ``/workbench/prolific/hooks``. The hooks
come as on a bad day (``FAULTS``): each twice, those due together newest first, and all held until
the clock has moved ten minutes. The first wave's arrive after the time-outs move the clock; later
ones are still held when sync runs: what the pages and the hooks have not recorded, polling does.

Participants come in two waves: the first fills every place, with some returning the study and
some starting and never finishing (the simulator's clock then passes the study's maximum time and
times them out); the second takes the places those freed, so that every task gets its annotations.
They arrive one at a time: the workbench hands a participant the first open task when they arrive,
not counting tasks already handed to someone still at work, so participants arriving together
would all annotate the same task.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable

import httpx

from workbench.crowd.providers import CreateResult, CrowdProvider, get_provider
from workbench.store import Store
from ..prolific_sim import Faults, Simulator
from ..prolific_sim.crowd import run_participants
from .base import Recruiter, failures, together

SHARE_RETURN = 0.1
SHARE_TIMEOUT = 0.1
#: Hooks carry the simulator's clock, which the time-outs move ahead of the wall clock by the study's maximum time
#: (30 minutes for the demo's half-hour work): a window of an hour still refuses a day-old replay.
HOOK_TOLERANCE = "3600"
FAULTS = Faults(bonus_pay_delay=0.05, duplicate_deliveries=1, out_of_order=True, late_delivery_seconds=600)
PAY_CALL = "POST /api/v1/bulk-bonus-payments/{id}/pay/"


class ProlificRecruiter(Recruiter):
    name = "prolific"

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self.stack: ExitStack | None = None
        self.sim: Simulator | None = None
        self.api: httpx.Client | None = None
        self.secret = ""
        self.waves: list[dict[str, Any]] = []

    def start(self, stack: ExitStack) -> None:
        self.stack = stack
        self.sim = Simulator(faults=FAULTS).start()
        stack.callback(self.sim.stop)
        # the simulator's own record, read as an independent client (any non-empty token is taken)
        self.api = httpx.Client(base_url=self.sim.api_url, headers={"Authorization": "Token demo"}, timeout=30)
        stack.callback(self.api.close)

    def describe(self) -> str:
        return f"simulator: {self.sim.url}"

    def server_env(self) -> dict[str, str]:
        return {**super().server_env(), "PROLIFIC_ENVIRONMENT": "local", "PROLIFIC_ENDPOINT_URL": self.sim.url,
                "PROLIFIC_COMPLETION_URL": f"{self.sim.url}/submissions/complete",
                "PROLIFIC_WEBHOOK_SECRET": self.secret, "PROLIFIC_WEBHOOK_TOLERANCE": HOOK_TOLERANCE}

    def provider(self, store: Store, base_url: str) -> CrowdProvider:
        made = get_provider("prolific", "local", store=store, endpoint_url=self.sim.url, public_base_url=base_url)
        self.stack.callback(made.client.close)
        return made

    def connect(self, provider: CrowdProvider, base_url: str) -> None:
        """The workbench's own hook set-up, as a researcher runs it: the workspace's secret and confirmed
        subscriptions of the server's ``/workbench/prolific/hooks``; the secret goes to the server's environment."""
        self.secret = provider.setup_hooks(base_url=base_url, actor="demo").secret

    def recruit(self, created: CreateResult, places: int, echo: Callable[[str], None]) -> dict[str, Any]:
        study_id = created.hit_ids[0]
        first = run_participants(self.sim.url, study_id, places, seed=self.seed, share_return=SHARE_RETURN,
                                 share_timeout=SHARE_TIMEOUT)
        second = run_participants(self.sim.url, study_id, places - first.counts["completed"], seed=self.seed,
                                  first=len(first.outcomes))
        self.waves = [first.as_dict(), second.as_dict()]
        done = together([first, second])
        counts = done["participants"]
        echo(f"participants: {counts['completed']} completed through the entry route, {counts['returned']} returned, "
             f"{counts['timed_out']} timed out (the clock moved {first.clock_advanced:.0f} s)" + failures(done))
        return done

    def settle(self) -> None:
        self.sim.flush(timeout=30)

    def job_parameters(self) -> dict[str, Any]:
        return {"provider": self.name, "environment": "local", "endpoint_url": self.sim.url}

    def platform_bonuses(self, provider: CrowdProvider, project: str, assignment_id: str) -> list[int]:
        self.settle()
        answer = self.api.get(f"submissions/{assignment_id}/")
        answer.raise_for_status()
        return [int(cents) for cents in answer.json()["bonus_payments"]]

    def figures(self) -> dict[str, Any]:
        status = self.sim.status()
        return {"simulator": {"submissions_by_status": status["submissions_by_status"],
                              "hooks": status["events"], "bonus_pay_calls": status["calls"].get(PAY_CALL, 0),
                              "clock_advanced": sum(w["clock_advanced"] for w in self.waves)}}
