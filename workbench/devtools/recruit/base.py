"""The part of the demo that differs by provider (see ``devtools.recruit``)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable, Sequence

from workbench.crowd.providers import CreateResult, CrowdProvider
from workbench.store import Store
from ..worker_pages import Crowd


class Recruiter:
    """The provider-specific part of the demo. ``name`` is the provider's name in the registry."""

    name = ""

    def start(self, stack: ExitStack) -> None:
        """Start the platform's local stand-in (its simulator), stopped when ``stack`` closes."""

    def server_env(self) -> dict[str, str]:
        """Environment of the workbench server (and of the notebooks started beside it): the one setting that
        names the provider, and the platform's own."""
        return {"WORKBENCH_PROVIDER": self.name}

    def provider(self, store: Store, base_url: str) -> CrowdProvider:
        """The provider, recording into ``store``, for work whose pages are served at ``base_url``."""
        raise NotImplementedError

    def connect(self, provider: CrowdProvider, base_url: str) -> None:
        """Before the server starts at ``base_url``: tell the platform where it will answer (a hook subscription),
        and keep what the server needs from that for ``server_env``."""

    def recruit(self, created: CreateResult, places: int, echo: Callable[[str], None]) -> dict[str, Any]:
        """People do the work posted as ``created`` (``places`` = tasks × annotations per task) through the
        real pages; returns figures, ``submitted`` among them (work submitted through the pages)."""
        raise NotImplementedError

    def settle(self) -> None:
        """Wait for what the platform does on its own time (hook deliveries, asynchronous payments)."""

    def job_parameters(self) -> dict[str, Any]:
        """Parameters of the sync and ingest notebooks."""
        return {"provider": self.name}

    def platform_bonuses(self, provider: CrowdProvider, project: str, assignment_id: str) -> list[int]:
        """The bonuses (cents) the platform's own record shows for ``assignment_id``, read without the ledger."""
        raise NotImplementedError

    def extra_exports(self, project: str) -> list[dict[str, Any]]:
        """Exports only this provider has (a payment sheet): ``{"format", "path", "rows"}`` each."""
        return []

    def figures(self) -> dict[str, Any]:
        """Summary figures only this platform has."""
        return {}

    def describe(self) -> str:
        """One line for the console: where its simulator listens."""
        return ""


def together(waves: Sequence[Crowd]) -> dict[str, Any]:
    """What waves of people did, added up: ``submitted`` (completed), ``failed``, each outcome's count under
    ``participants``, ``tasks_done``, and the first errors."""
    names = waves[0].names
    counts = {name: sum(w.counts[name] for w in waves) for name in names}
    errors = [o.error for w in waves for o in w.outcomes if o.error]
    return {"submitted": counts["completed"], "failed": counts["failed"], "participants": counts,
            "tasks_done": sum(w.tasks_done for w in waves), "errors": errors[:3]}


def failures(figures: dict[str, Any]) -> str:
    """The end of a console line: how many failed, and the first error."""
    return f"; {figures['failed']} failed, first: {figures['errors'][0]}" if figures["errors"] else ""
