"""Where a link-out panel acts: its environments, its entry route, and the yes that production needs.

A link-out panel (SONA, a university pool, any panel with no API) is not called: it sends a participant
to the workbench's entry route with an id, and takes a completion code or a redirect back. So there is
no token and no endpoint to reach; ``endpoint`` is the entry route participants arrive at.
``LINKOUT_ENVIRONMENT=local|production`` (default ``local``: pilots, test participants) keeps the pilot's
links, sessions and payment sheets apart from the real study's; production needs confirmation exactly
as MTurk's and Prolific's do, since its payment sheet is what the panel pays real people from.
"""

from __future__ import annotations

from workbench import config
from workbench.errors import WorkbenchError
from ..base import resolve_environment

ENVIRONMENTS = ("local", "production")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8888"
ENTRY_PATH = "/workbench/link/entry"


class ProductionNotConfirmed(WorkbenchError):
    """Recording real participants' pay needs an explicit yes."""

    code = "production_not_confirmed"


def environment(name: str | None = None) -> str:
    """The environment asked for, or ``LINKOUT_ENVIRONMENT``, or ``local``; checked."""
    return resolve_environment(name, "LINKOUT_ENVIRONMENT", ENVIRONMENTS)


def public_base_url(value: str | None = None) -> str:
    """The origin participants reach the workbench at (``WORKBENCH_PUBLIC_BASE_URL``), checked."""
    return config.check_base_url(value or config.public_base_url() or DEFAULT_PUBLIC_URL, "public_base_url")


def endpoint(env: str) -> str:
    """The entry route participants arrive at (the same in both environments: the link says which)."""
    return public_base_url() + ENTRY_PATH


def check_production(env: str, confirm_production: bool) -> None:
    if env == "production" and not confirm_production:
        raise ProductionNotConfirmed(
            "LINKOUT_ENVIRONMENT is production: the payment sheet would be paid to real participants",
            field="environment", reason="production needs an explicit confirmation",
            hint="pass --confirm-production on the command line, or confirm_production=True in Python")
