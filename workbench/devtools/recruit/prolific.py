"""The demo on Prolific: the local Prolific simulator, one study, simulated participants, signed hooks.

The workbench server runs with ``WorkbenchApp.provider=prolific`` and the ``PROLIFIC_*`` settings a
deployment has: the simulator as the endpoint, its completion URL, and the hook secret the simulator
made, under which it signs every delivery to the server's ``/workbench/prolific/hooks``. The hooks
come as on a bad day (``FAULTS``): each twice, those due together newest first, and all held until
the clock has moved ten minutes. The first wave's arrive after the time-outs move the clock; the
second wave's are still held when sync runs, which records them: polling is the backstop.

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
HOOK_EVENTS = ("submission.status.change",)
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
        # the researcher's side of the account, as on prolific.com: any non-empty token is taken
        self.api = httpx.Client(base_url=self.sim.api_url, headers={"Authorization": "Token demo"}, timeout=30)
        stack.callback(self.api.close)
        self.workspace = self._call("GET", "workspaces/")["results"][0]["id"]
        self.secret = self._call("POST", "hooks/secrets/", json={"workspace_id": self.workspace})["value"]

    def describe(self) -> str:
        return f"simulator: {self.sim.url}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.api.request(method, path, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def server_env(self) -> dict[str, str]:
        return {**super().server_env(), "PROLIFIC_ENVIRONMENT": "local", "PROLIFIC_ENDPOINT_URL": self.sim.url,
                "PROLIFIC_COMPLETION_URL": f"{self.sim.url}/submissions/complete",
                "PROLIFIC_WEBHOOK_SECRET": self.secret, "PROLIFIC_WEBHOOK_TOLERANCE": HOOK_TOLERANCE}

    def connect(self, base_url: str) -> None:
        """Subscribe the server's hook route, and confirm it with the secret the subscription answers (the Hooks
        section of prolific-openapi.yml)."""
        for event_type in HOOK_EVENTS:
            answer = self.api.post("hooks/subscriptions/", json={
                "workspace_id": self.workspace, "event_type": event_type,
                "target_url": f"{base_url}/workbench/prolific/hooks"})
            answer.raise_for_status()
            self._call("POST", f"hooks/subscriptions/{answer.json()['id']}/",
                       json={"secret": answer.headers["X-Hook-Secret"]})

    def provider(self, store: Store, base_url: str) -> CrowdProvider:
        made = get_provider("prolific", "local", store=store, endpoint_url=self.sim.url, public_base_url=base_url)
        self.stack.callback(made.client.close)
        return made

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
        return [int(cents) for cents in self._call("GET", f"submissions/{assignment_id}/")["bonus_payments"]]

    def figures(self) -> dict[str, Any]:
        status = self.sim.status()
        return {"simulator": {"submissions_by_status": status["submissions_by_status"],
                              "hooks": status["events"], "bonus_pay_calls": status["calls"].get(PAY_CALL, 0),
                              "clock_advanced": sum(w["clock_advanced"] for w in self.waves)}}
