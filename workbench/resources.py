"""Where the workbench's shipped files are: the plugins and notebooks folders.

In a checkout they sit beside the package; an installed wheel puts them under
``{sys.prefix}/share/hitl-workbench/``. ``WORKBENCH_NOTEBOOKS`` names another notebooks
folder (a deployment's own sync, ingest and export notebooks).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
_SHARED = Path(sys.prefix) / "share" / "hitl-workbench"


def _find(name: str) -> Path:
    in_checkout = _CHECKOUT / name
    if (_CHECKOUT / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    return _SHARED / name


def plugins_root() -> Path:
    """The folder of the built-in annotation plugins."""
    return _find("plugins")


def notebooks_root() -> Path:
    """The folder of the papermill notebooks and the dashboard: ``WORKBENCH_NOTEBOOKS``, else the shipped one."""
    configured = os.environ.get("WORKBENCH_NOTEBOOKS")
    return Path(configured) if configured else _find("notebooks")
