"""Crowd providers: the registry that turns a name and an environment into a provider.

``get_provider("mturk", environment="sandbox", store=store)``. A new platform (Prolific, a
plain link-in/code-out provider) implements ``base.CrowdProvider`` and registers itself
here; callers do not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from workbench.errors import ValidationError
from .base import (CreateResult, CrowdProvider, CustomRequirement, IngestResult, Qualifications,
                   RemoteAssignment, SyncResult, WorkSpec)

@dataclass(frozen=True)
class Registration:
    """What the workbench knows of a provider before making one: how to make it, and its settings.

    ``environment(name)`` resolves an environment name (None: the configured default);
    ``endpoint(env)`` says where it acts; ``check_production(env, confirm)`` refuses real money
    without confirmation; ``fees()`` is the provider's fee schedule (``bonus_fee(cents)``,
    ``hit_fee(reward_cents, max_assignments, payload)``), read by the dashboard without a client.
    """

    factory: Callable[..., CrowdProvider]
    environment: Callable[[str | None], str]
    endpoint: Callable[[str], str]
    check_production: Callable[[str, bool], None]
    fees: Callable[[], Any]


_REGISTRY: dict[str, Registration] = {}


def register(name: str, registration: Registration) -> None:
    _REGISTRY[name] = registration


def registration(name: str) -> Registration:
    if name not in _REGISTRY:
        raise ValidationError("provider", f"unknown provider {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def place(name: str, environment: str | None = None, *, confirm_production: bool = False) -> tuple[str, str]:
    """(environment, endpoint) that ``get_provider(name, environment)`` would use, checked before anything
    is opened: an unknown environment, or production without ``confirm_production``, is refused."""
    known = registration(name)
    env = known.environment(environment)
    known.check_production(env, confirm_production)
    return env, known.endpoint(env)


def environment(name: str, environment: str | None = None) -> str:
    """The environment a read-only view of ``name`` looks at (None: the configured default)."""
    return registration(name).environment(environment)


def fees(name: str) -> Any:
    """The fee schedule of ``name``."""
    return registration(name).fees()


def _mturk(**options: Any) -> CrowdProvider:
    from .mturk import MTurkProvider  # boto3 is imported only by who talks to MTurk

    store = options.pop("store", None)
    if store is None:
        from workbench.store import open_store  # the store is opened only when the caller gave none

        store = open_store()
    return MTurkProvider(store, **options)


def _mturk_client():
    from .mturk import client  # imported on use: the registry itself stays free of boto3

    return client


def _mturk_fees():
    from .mturk import costs  # imported on use, like the client

    return costs


register("mturk", Registration(
    factory=_mturk, environment=lambda env: _mturk_client().environment(env),
    endpoint=lambda env: _mturk_client().endpoint(env),
    check_production=lambda env, confirm: _mturk_client().check_production(env, confirm), fees=_mturk_fees))


def _prolific(**options: Any) -> CrowdProvider:
    from .prolific import ProlificProvider  # httpx and the provider's modules are imported on use

    store = options.pop("store", None)
    if store is None:
        from workbench.store import open_store

        store = open_store()
    return ProlificProvider(store, **options)


def _prolific_client():
    from .prolific import client  # imported on use, like MTurk's

    return client


def _prolific_fees():
    from .prolific import costs

    return costs


register("prolific", Registration(
    factory=_prolific, environment=lambda env: _prolific_client().environment(env),
    endpoint=lambda env: _prolific_client().endpoint(env),
    check_production=lambda env, confirm: _prolific_client().check_production(env, confirm), fees=_prolific_fees))


def get_provider(name: str = "mturk", environment: str | None = None, **options: Any) -> CrowdProvider:
    """The provider ``name`` in ``environment`` (default: its own default, e.g. ``MTURK_ENVIRONMENT``).

    Options go to the provider: ``store``, ``client``, ``confirm_production``, and for MTurk
    ``endpoint_url``, ``retry_mode``, ``max_attempts``.
    """
    return registration(name).factory(environment=environment, **options)


__all__ = ["CreateResult", "CrowdProvider", "CustomRequirement", "IngestResult", "Qualifications",
           "Registration", "RemoteAssignment", "SyncResult", "WorkSpec", "environment", "fees", "get_provider", "place",
           "register", "registration"]
