"""Crowd providers: the registry that turns a name and an environment into a provider.

``get_provider("mturk", environment="sandbox", store=store)``. A new platform (Prolific, a
plain link-in/code-out provider) implements ``base.CrowdProvider`` and registers itself
here; callers do not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from workbench.errors import ValidationError
from .base import (LINK_OUT_WORDS, MTURK_WORDS, PROLIFIC_WORDS, CreateResult, CrowdProvider, CustomRequirement,
                   IngestResult, Qualifications, RemoteAssignment, SyncResult, Words, WorkSpec)

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
    #: The platform's own words (HIT or study, assignment or submission), known without making a client.
    words: Words = MTURK_WORDS
    #: The provider's class (its package imported on use), for what a face asks of it before making one.
    provider_class: Callable[[], type[CrowdProvider]] | None = None
    #: The environments it can act in (its client's ``ENVIRONMENTS``).
    environments: Callable[[], tuple[str, ...]] = lambda: ("local",)


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


def words(name: str) -> Words:
    """The words ``name`` uses for HIT, assignment and worker (``Words``), for faces to print."""
    return registration(name).words


def environments(name: str) -> tuple[str, ...]:
    """The environments ``name`` can act in ("local", "sandbox", "production")."""
    return tuple(registration(name).environments())


def provider_class(name: str) -> type[CrowdProvider]:
    """The class of ``name``'s provider (its package is imported), without making a client."""
    known = registration(name)
    if known.provider_class is None:
        raise ValidationError("provider", f"provider {name!r} does not say its class")
    return known.provider_class()


def names() -> list[str]:
    """The registered providers' names."""
    return sorted(_REGISTRY)


def _store(options: dict[str, Any]) -> Any:
    store = options.pop("store", None)
    if store is None:
        from workbench.store import open_store  # the store is opened only when the caller gave none

        store = open_store()
    return store


def _on_use(load: Callable[[], Any], provider_class: str, words: Words) -> Registration:
    """The registration of a provider package that ``load`` imports on first use (so the registry itself
    stays free of boto3 and httpx): its provider class and its ``client`` and ``costs`` modules."""
    def factory(**options: Any) -> CrowdProvider:
        return getattr(load(), provider_class)(_store(options), **options)

    return Registration(factory=factory, environment=lambda env: load().client.environment(env),
                        endpoint=lambda env: load().client.endpoint(env),
                        check_production=lambda env, confirm: load().client.check_production(env, confirm),
                        fees=lambda: load().costs, words=words,
                        provider_class=lambda: getattr(load(), provider_class),
                        environments=lambda: load().client.ENVIRONMENTS)


def _mturk() -> Any:
    from . import mturk  # imported on use: boto3 is loaded only by who talks to MTurk

    return mturk


def _prolific() -> Any:
    from . import prolific  # imported on use: httpx is loaded only by who talks to Prolific

    return prolific


def _link_out() -> Any:
    from . import linkout  # imported on use, as the others

    return linkout


register("mturk", _on_use(_mturk, "MTurkProvider", MTURK_WORDS))
register("prolific", _on_use(_prolific, "ProlificProvider", PROLIFIC_WORDS))
register("link-out", _on_use(_link_out, "LinkOutProvider", LINK_OUT_WORDS))


def get_provider(name: str = "mturk", environment: str | None = None, **options: Any) -> CrowdProvider:
    """The provider ``name`` in ``environment`` (default: its own default, e.g. ``MTURK_ENVIRONMENT``).

    Options go to the provider: ``store``, ``client``, ``confirm_production``, and for MTurk
    ``endpoint_url``, ``retry_mode``, ``max_attempts``.
    """
    return registration(name).factory(environment=environment, **options)


__all__ = ["CreateResult", "CrowdProvider", "CustomRequirement", "IngestResult", "Qualifications", "Registration",
           "RemoteAssignment", "SyncResult", "Words", "WorkSpec", "environment", "environments", "fees", "get_provider", "names", "place",
           "provider_class", "register", "registration", "words"]
