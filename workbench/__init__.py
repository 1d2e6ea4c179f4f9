"""HITL Workbench: the core library of a Jupyter-first crowd-annotation workbench.

Every rule of the domain lives in this package. Faces (the Jupyter server extension,
widget panels, notebooks and the CLI) parse input, call one function here and render
the result. Nothing here imports tornado or ipywidgets at module top level.
"""

__version__ = "0.1.0"

from .errors import ConflictError, NotFoundError, ValidationError, WorkbenchError  # noqa: E402
from .store import Store, open_store  # noqa: E402

__all__ = [
    "ConflictError",
    "NotFoundError",
    "Store",
    "ValidationError",
    "WorkbenchError",
    "__version__",
    "open_store",
]
