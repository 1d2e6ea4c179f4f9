"""The Jupyter server extension of HITL Workbench: the researcher REST API and the public worker pages.

Installing the package enables it in every Jupyter server (``jupyter lab``, ``jupyter
server``) through ``etc/jupyter/jupyter_server_config.d/hitl_workbench.json``; the
``jupyter workbench`` command runs it alone in a locked-down public server.
"""

from __future__ import annotations


def _jupyter_server_extension_points():
    # the app brings jupyter_server (seconds); loaded when Jupyter asks for the extension, so that importing
    # a module of this package (server_ext.api_models, server_ext.openapi_gen) stays light
    from .app import WorkbenchApp

    return [{"module": "server_ext.app", "app": WorkbenchApp}]
