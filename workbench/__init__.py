"""HITL Workbench: the core library of a Jupyter-first crowd-annotation workbench.

Every rule of the domain lives in this package, by area: ``store`` (the database),
``study`` (projects, task types, tasks, assets, imports, plugins), ``crowd`` (planning,
posting, review, payments and link-out visits, with the providers behind them),
``results`` (exports, agreement, the dashboard's frames) and ``collab`` (live sessions with
agents). Faces (the Jupyter server extension ``server_ext``, the widget ``panels``,
notebooks and the ``cli``) parse input, call one function here and render the result;
``devtools`` (the MTurk simulator, the demos) is never imported by the core.

The README's names are here too: ``from workbench import projects, tasks, annotations``,
``hits``, ``review``, ``providers``, ``exports``, ``agreement``.
"""

import importlib as _importlib

__version__ = "0.1.0"

from . import _moved  # noqa: E402
from .errors import ConflictError, NotFoundError, ValidationError, WorkbenchError  # noqa: E402
from .store import Store, open_store  # noqa: E402

_moved.install()

#: The modules the README names at the top of the package, loaded on first use.
_PUBLIC = {"projects": "workbench.study.projects", "tasks": "workbench.study.tasks",
           "annotations": "workbench.study.annotations", "definitions": "workbench.study.definitions",
           "assets": "workbench.study.assets", "plugins": "workbench.study.plugins",
           "providers": "workbench.crowd.providers", "exports": "workbench.results.exports",
           "agreement": "workbench.results.agreement", "dashboard": "workbench.results.dashboard"}


def __getattr__(name: str):
    if name in _PUBLIC:
        return _importlib.import_module(_PUBLIC[name])
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")

__all__ = [
    "ConflictError",
    "NotFoundError",
    "Store",
    "ValidationError",
    "WorkbenchError",
    "__version__",
    "open_store",
]
