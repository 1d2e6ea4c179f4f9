"""``jupyter workbench``: the workbench alone in a locked-down Jupyter server, for public deployments.

Only authentication and the workbench are routed: no kernels, contents, files,
sessions, kernelspecs, terminals, nbconvert or config services, and no other server
extension is loaded, so the public side of a deployment has nothing to run code with.
"""

from __future__ import annotations

import gc

from jupyter_server.serverapp import ServerApp
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from traitlets import default

from .app import WorkbenchApp
from .handlers.base import ApiNotFoundHandler


class NoFilesContentsManager(AsyncLargeFileManager):
    """A contents manager that routes nothing (no /files/ handler)."""

    def get_extra_handlers(self) -> list:
        return []


class PublicServerApp(ServerApp):
    """A Jupyter server that routes only authentication and the workbench."""

    name = "jupyter-workbench"
    default_services = ("auth",)

    @default("contents_manager_class")
    def _default_contents_manager_class(self) -> type:
        return NoFilesContentsManager


class PublicWorkbenchApp(WorkbenchApp):
    """The workbench extension as the starter app of a PublicServerApp."""

    serverapp_class = PublicServerApp
    load_other_extensions = False
    extension_url = "/workbench/api/health"
    serverapp_config = {
        "terminals_enabled": False,
        "allow_unauthenticated_access": False,
        # Behind a reverse proxy the Host header is the public name, not a loopback one.
        "allow_remote_access": True,
        # The public server runs behind the proxy (deploy/nginx): the client's address (for the per-IP rate
        # limit and the logs) and https come from X-Real-IP and X-Forwarded-Proto, not from the proxy's socket.
        "trust_xheaders": True,
        "open_browser": False,
        # The workbench is all this server does: a setting it refuses must stop the server, not be logged and skipped.
        "reraise_server_extension_failures": True,
        "jpserver_extensions": {"server_ext.public": True},
    }

    @default("writer_at_start")
    def _default_writer_at_start(self) -> bool:
        return True

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        """Once the loop runs: start the submission writer, then freeze the start-up heap.

        Everything imported and built so far lives as long as the server. Frozen, it is left out of the
        collector's full passes, which otherwise walk it all and grew to pauses of 100-170 ms under load,
        each one stalling every request in flight.
        """
        await super()._start_jupyter_server_extension(serverapp)
        gc.collect()
        gc.freeze()

    def initialize_handlers(self) -> None:
        super().initialize_handlers()
        # Jupyter's /api tells anyone the server's version: here it is a path like any unknown one.
        self.handlers.append((r"/api", ApiNotFoundHandler))

    @classmethod
    def get_extension_package(cls) -> str:
        return "server_ext.public"


def _jupyter_server_extension_points():
    return [{"module": "server_ext.public", "app": PublicWorkbenchApp}]


#: Entry point of ``jupyter-workbench`` (``jupyter workbench``): the locked-down public server.
main = PublicWorkbenchApp.launch_instance
