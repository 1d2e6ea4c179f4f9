"""Where modules went when the package was laid out by area, and how their old names keep working.

``workbench/`` was 32 flat modules; it is now ``store/``, ``study/``, ``crowd/``, ``results/``,
``collab/``, the faces (``cli/``, ``panels/``, ``server_ext``) and ``devtools/``. A notebook
that imports an old path (``import workbench.exports``, ``from workbench.providers import
WorkSpec``) still gets the same module object, with a DeprecationWarning naming the new path.
``from workbench import projects`` (the README's spelling) works without a warning: see
``workbench.__getattr__``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "workbench.projects": "workbench.study.projects",
    "workbench.tasks": "workbench.study.tasks",
    "workbench.annotations": "workbench.study.annotations",
    "workbench.assets": "workbench.study.assets",
    "workbench.bulk": "workbench.study.bulk",
    "workbench.bundles": "workbench.study.bundles",
    "workbench.definitions": "workbench.study.definitions",
    "workbench.json_safety": "workbench.study.json_safety",
    "workbench.fast_validation": "workbench.study.fast_validation",
    "workbench.plugins": "workbench.study.plugins",
    "workbench.plugin_upload": "workbench.study.plugin_upload",
    "workbench.signing": "workbench.study.signing",
    "workbench.providers": "workbench.crowd.providers",
    "workbench.worker_sessions": "workbench.crowd.worker_sessions",
    "workbench.submissions": "workbench.crowd.submissions",
    "workbench.submission_writer": "workbench.crowd.submission_writer",
    "workbench.assignments": "workbench.crowd.assignments",
    "workbench.exports": "workbench.results.exports",
    "workbench.agreement": "workbench.results.agreement",
    "workbench.dashboard": "workbench.results.dashboard",
    "workbench.previews": "workbench.results.previews",
    "workbench.mturk_sim": "workbench.devtools.mturk_sim",
    "workbench.demo": "workbench.devtools.demo",
    "workbench.demo_study": "workbench.devtools.demo_study",
    "workbench.child_servers": "workbench.devtools.child_servers",
    "workbench.collab.demo": "workbench.devtools.collab.demo",
    "workbench.collab.runner": "workbench.devtools.collab.runner",
    "workbench.collab.simclient": "workbench.devtools.collab.simclient",
}


def new_name(old: str) -> str | None:
    """The module's name now, for an old name or a module inside an old package; None if it did not move."""
    for prefix in sorted(MOVED, key=len, reverse=True):
        if old == prefix or old.startswith(prefix + "."):
            return MOVED[prefix] + old[len(prefix):]
    return None


class _OldNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old name as the module at its new place (one module object under both names)."""

    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if new_name(fullname) else None

    def create_module(self, spec):
        new = new_name(spec.name)
        warnings.warn(f"{spec.name} is now {new}; the old name will go in a later version",
                      DeprecationWarning, stacklevel=3)
        return importlib.import_module(new)

    def exec_module(self, module) -> None:
        """The module was executed under its new name already."""


def install() -> None:
    if not any(isinstance(finder, _OldNames) for finder in sys.meta_path):
        sys.meta_path.insert(0, _OldNames())  # before the path finder, which would load a second copy
