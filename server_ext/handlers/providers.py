"""Researcher API: the crowd providers a client can offer work on, each in its own words.

``GET /workbench/api/providers`` lists every registered provider with its environments (and the
one configured by default), its words (HIT or study, assignment or submission, worker or
participant) and its capabilities (pause, bulk approval, …), so that a client labels its
screens and shows its buttons from the answer instead of from the provider's name. Nothing is
asked of a platform: no client is made.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.crowd import capabilities, providers

from .base import ApiHandler, route


def describe(name: str) -> dict:
    """What a client shows of provider ``name``."""
    return {"name": name, "environments": list(providers.environments(name)),
            "environment": providers.environment(name), "words": providers.words(name).to_dict(),
            "capabilities": sorted(capabilities.of(providers.provider_class(name)))}


class ProvidersHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send({"items": [describe(name) for name in providers.names()]})


default_handlers = [(route("/providers"), ProvidersHandler)]
