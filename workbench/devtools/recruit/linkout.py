"""The demo on a link-out panel: no platform at all, one link, the panel's participants, a payment sheet.

A panel with no API has nothing to simulate but its people (``devtools.link_panel``): they open the
link's entry URL with their panel id, do the tasks and read their code off the code page. Review and
bonuses are the workbench's own record; the panel is paid from the payment sheet it exports.

Participants come in two waves: in the first some abandon (they open a task and never come back, and
their session keeps its place, as a panel cannot tell); the researcher then adds as many places to
the link (``extend``), and the second wave does the tasks left. They arrive one at a time, for the
reason given in ``recruit.prolific``.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable

from workbench.crowd.providers import CreateResult, CrowdProvider, get_provider
from workbench.store import Store
from .. import demo
from ..link_panel import run_panel
from .base import Recruiter, failures, together

SHARE_ABANDON = 0.1


class LinkOutRecruiter(Recruiter):
    name = "link-out"

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self.made: Any = None  # the LinkOutProvider: its link's entry URL, extend and payment sheet
        self.waves: list[dict[str, Any]] = []
        self.sheet: dict[str, Any] = {}

    def start(self, stack: ExitStack) -> None:
        """Nothing to start: the panel has no API, and its people are ``link_panel``'s."""

    def describe(self) -> str:
        return "panel:     none to start (no API; participants open the link's entry URL)"

    def server_env(self) -> dict[str, str]:
        return {**super().server_env(), "LINKOUT_ENVIRONMENT": "local"}

    def provider(self, store: Store, base_url: str) -> CrowdProvider:
        self.made = get_provider("link-out", "local", store=store, public_base_url=base_url)
        return self.made

    def recruit(self, created: CreateResult, places: int, echo: Callable[[str], None]) -> dict[str, Any]:
        link = created.hit_ids[0]
        entry = self.made.entry_url(link)
        first = run_panel(entry, places, seed=self.seed, share_abandon=SHARE_ABANDON)
        left = places - first.counts["completed"]
        if first.counts["abandoned"]:
            self.made.extend(link, assignments=first.counts["abandoned"], actor="demo")
        second = run_panel(entry, left, seed=self.seed, first=len(first.outcomes))
        self.waves = [first.as_dict(), second.as_dict()]
        done = together([first, second])
        counts = done["participants"]
        echo(f"panel:     {counts['completed']} completed through the entry route and read their code, "
             f"{counts['abandoned']} abandoned (the link got {first.counts['abandoned']} more places)" + failures(done))
        return {**done, "codes_read": sum(1 for w in (first, second) for o in w.outcomes if o.completion_code)}

    def platform_bonuses(self, provider: CrowdProvider, project: str, assignment_id: str) -> list[int]:
        """There is no platform: the panel pays what its payment sheet says, so the sheet is its record."""
        rows = [r for r in provider.payment_sheet(project) if r["session_id"] == assignment_id]
        return [r["bonus_cents"] for r in rows if r["bonus_cents"]]

    def extra_exports(self, project: str) -> list[dict[str, Any]]:
        written = self.made.write_payment_sheet(project, demo.project_folder(project) / "exports" / "payments.csv")
        self.sheet = {"owed_cents": written["owed_cents"], "rows": written["rows"]}
        return [{"format": "payment-sheet", "path": written["path"], "rows": written["rows"]}]

    def figures(self) -> dict[str, Any]:
        return {"payment_sheet": self.sheet}
