"""The extension's handlers, one module per resource; each module ends with ``default_handlers``."""

from __future__ import annotations


def all_handlers() -> list[tuple]:
    from . import annotations_api, assets, docs, files, plugins_api, projects, submissions, task_types, tasks, worker

    out: list[tuple] = []
    for module in (docs, projects, assets, task_types, tasks, annotations_api, plugins_api, submissions, worker, files):
        out.extend(module.default_handlers)
    return out
