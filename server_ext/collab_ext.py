"""The collaboration face as a Jupyter server extension: the store, the live hub, the handlers.

``server_ext.collab_ext`` can be enabled on its own (``--ServerApp.jpserver_extensions=
{"server_ext.collab_ext": true}``). The workbench extension serves the face itself: the routes
are in its own table (``handlers.all_handlers``) and it calls ``install`` for the service, on
its store and with its plugins (which assisted labelling needs). One hub per server process:
sessions in play live in that process's memory. So the face is installed once per web
application: when the workbench extension is enabled too, this one leaves the face to it,
whichever of the two loads first; its ``CollabHub`` options (all but ``database_url``) apply
to the workbench's hub.
"""

from __future__ import annotations

import asyncio
import atexit
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from jupyter_server.utils import url_path_join

from workbench import open_store
from workbench.collab.hub import Hub
from workbench.study.bundles import PluginUrls
from workbench.store import Store

from .handlers import collab

TEMPLATES = Path(__file__).parent / "templates"


class CollabService:
    """What the collaboration handlers share: the store, the hub, templates and a thread pool."""

    def __init__(self, store: Store, base_url: str, *, plugin_urls: PluginUrls | None = None,
                 **hub_options: Any) -> None:
        self.store = store
        #: Where plugin files and asset links are served; None (this extension alone) hosts no labelling.
        self.plugin_urls = plugin_urls
        self.hub = Hub(store, **hub_options)
        self.static_url = url_path_join(base_url, "workbench/collab/static")
        self.executor = ThreadPoolExecutor(4, thread_name_prefix="collab")
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)

    def render(self, name: str, **context: Any) -> str:
        return self.templates.get_template(name).render(**context)

    async def run_write(self, fn, *args: Any) -> Any:
        def work():
            with self.store.transaction() as s:
                return fn(s, *args)
        return await asyncio.get_running_loop().run_in_executor(self.executor, partial(work))


def install(web_app, base_url: str, store: Store, *, add_routes: bool = True, **options: Any) -> CollabService:
    """The face in ``web_app``: its service (and hub) in the settings, and its routes unless the caller has them
    among its own (``add_routes=False``). Once: a second call returns the service already there, with its hub,
    rather than make a second one."""
    installed = web_app.settings.get(collab.SETTINGS_KEY)
    if installed is not None:
        return installed
    service = CollabService(store, base_url, **options)
    web_app.settings[collab.SETTINGS_KEY] = service
    if add_routes:
        handlers = [(url_path_join(base_url, pattern), *rest) for pattern, *rest in collab.default_handlers]
        web_app.add_handlers(".*$", handlers)
    return service


def _jupyter_server_extension_points():
    return [{"module": "server_ext.collab_ext"}]


def hub_options(serverapp) -> dict[str, Any]:
    """The ``CollabHub`` settings of the server's configuration that tune the hub (its clocks)."""
    return {k: v for k, v in serverapp.config.get("CollabHub", {}).items() if k != "database_url"}


def workbench_linked(serverapp) -> bool:
    """Whether the workbench's extension (``server_ext``, ``server_ext.public``) is linked to this server, and so
    installs the face itself when it loads. Every extension is linked before any loads, in whatever order."""
    return any(getattr(point.app, "name", None) == "workbench" and point.linked
               for package in serverapp.extension_manager.extensions.values()
               for point in package.extension_points.values())


def _load_jupyter_server_extension(serverapp) -> None:
    if workbench_linked(serverapp):
        serverapp.log.info("workbench collaboration sessions: served by the workbench extension")
        return
    store = open_store(serverapp.config.get("CollabHub", {}).get("database_url") or None)
    service = install(serverapp.web_app, serverapp.base_url, store, **hub_options(serverapp))
    # A module extension gets no stop hook: write what is still pending when the process exits.
    atexit.register(service.hub.flush_now)
    serverapp.log.info("workbench collaboration sessions at %sworkbench/collab/", serverapp.base_url)
