"""Crowd providers: the registry that turns a name and an environment into a provider.

``get_provider("mturk", environment="sandbox", store=store)``. A new platform (Prolific, a
plain link-in/code-out provider) implements ``base.CrowdProvider`` and registers itself
here; callers do not change.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ValidationError
from .base import (CreateResult, CrowdProvider, CustomRequirement, HITSpec, IngestResult, Qualifications,
                   RemoteAssignment, SyncResult, WorkSpec)

_REGISTRY: dict[str, Callable[..., CrowdProvider]] = {}


def register(name: str, factory: Callable[..., CrowdProvider]) -> None:
    _REGISTRY[name] = factory


def _mturk(**options: Any) -> CrowdProvider:
    from .mturk import MTurkProvider

    store = options.pop("store", None)
    if store is None:
        from ..store import open_store

        store = open_store()
    return MTurkProvider(store, **options)


register("mturk", _mturk)


def get_provider(name: str = "mturk", environment: str | None = None, **options: Any) -> CrowdProvider:
    """The provider ``name`` in ``environment`` (default: its own default, e.g. ``MTURK_ENVIRONMENT``).

    Options go to the provider: ``store``, ``client``, ``confirm_production``, and for MTurk
    ``endpoint_url``, ``retry_mode``, ``max_attempts``.
    """
    if name not in _REGISTRY:
        raise ValidationError("provider", f"unknown provider {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](environment=environment, **options)


__all__ = ["CreateResult", "CrowdProvider", "CustomRequirement", "HITSpec", "IngestResult", "Qualifications",
           "RemoteAssignment", "SyncResult", "WorkSpec", "get_provider", "register"]
