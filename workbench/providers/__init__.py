"""Crowd providers: the registry that turns a name and an environment into a provider.

``get_provider("mturk", environment="sandbox", store=store)``. A new platform (Prolific, a
plain link-in/code-out provider) implements ``base.CrowdProvider`` and registers itself
here; callers do not change.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ValidationError
from .base import (CreateResult, CrowdProvider, CustomRequirement, IngestResult, Qualifications,
                   RemoteAssignment, SyncResult, WorkSpec)

_REGISTRY: dict[str, Callable[..., CrowdProvider]] = {}
_PLACES: dict[str, Callable[..., tuple[str, str]]] = {}


def register(name: str, factory: Callable[..., CrowdProvider],
             place: Callable[..., tuple[str, str]] | None = None) -> None:
    """``factory(environment=…, **options)`` makes the provider; ``place(environment, confirm_production)``
    names the environment it would act in and its endpoint, refusing production without confirmation."""
    _REGISTRY[name] = factory
    if place is not None:
        _PLACES[name] = place


def _mturk(**options: Any) -> CrowdProvider:
    from .mturk import MTurkProvider  # boto3 is imported only by who talks to MTurk

    store = options.pop("store", None)
    if store is None:
        from ..store import open_store  # the store is opened only when the caller gave none

        store = open_store()
    return MTurkProvider(store, **options)


def _mturk_place(environment: str | None, confirm_production: bool) -> tuple[str, str]:
    from .mturk import client  # boto3 is imported only by who talks to MTurk

    env = client.environment(environment)
    client.check_production(env, confirm_production)
    return env, client.endpoint(env)


register("mturk", _mturk, _mturk_place)


def place(name: str, environment: str | None = None, *, confirm_production: bool = False) -> tuple[str, str]:
    """(environment, endpoint) that ``get_provider(name, environment)`` would use, checked before anything
    is opened: an unknown environment, or production without ``confirm_production``, is refused."""
    if name not in _PLACES:
        raise ValidationError("provider", f"unknown provider {name!r}; known: {', '.join(sorted(_PLACES))}")
    return _PLACES[name](environment, confirm_production)


def get_provider(name: str = "mturk", environment: str | None = None, **options: Any) -> CrowdProvider:
    """The provider ``name`` in ``environment`` (default: its own default, e.g. ``MTURK_ENVIRONMENT``).

    Options go to the provider: ``store``, ``client``, ``confirm_production``, and for MTurk
    ``endpoint_url``, ``retry_mode``, ``max_attempts``.
    """
    if name not in _REGISTRY:
        raise ValidationError("provider", f"unknown provider {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](environment=environment, **options)


__all__ = ["CreateResult", "CrowdProvider", "CustomRequirement", "IngestResult", "Qualifications",
           "RemoteAssignment", "SyncResult", "WorkSpec", "get_provider", "place", "register"]
