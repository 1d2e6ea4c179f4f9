"""The extension's handlers, one module per resource; each module ends with ``default_handlers``."""

from __future__ import annotations


def all_handlers() -> list[tuple]:
    # Imported when the routes are built, not with the package: a module that needs one handler module
    # (the gate needs ``handlers.base``) does not load them all.
    from . import (annotations_api, assets, base, collab, crowd, docs, files, linkout, plugins_api, projects,
                   prolific, providers, submissions, task_types, tasks, worker)

    out: list[tuple] = []
    # The worker routes first: tornado tries the patterns in order, and submissions are the hot path. The
    # catch-all 404s of ``base`` come last, for the paths no other pattern took.
    for module in (submissions, worker, prolific, linkout, files, collab, docs, projects, assets, task_types, tasks,
                   annotations_api, plugins_api, providers, crowd, base):
        out.extend(module.default_handlers)
    return out
