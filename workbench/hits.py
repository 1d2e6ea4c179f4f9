"""Crowd work, in the researcher's words: ``hits.create(provider, "birds", spec)``.

The names of ``workbench.crowd.work``, where the rules live once for every face.
``create_for_tasks(provider, project, task_ids, spec)``, the name of earlier versions, still
works for a while and warns; ``create(provider, project, spec, task_ids)`` replaces it.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

from .crowd.work import associate, create, delete, expire, extend, list_, preview_cost, select_tasks


def create_for_tasks(provider: Any, project: int | str, task_ids: Sequence[int], spec: Any, **options: Any):
    """Deprecated: ``create(provider, project, spec, task_ids)``."""
    warnings.warn("hits.create_for_tasks(provider, project, task_ids, spec) is now "
                  "hits.create(provider, project, spec, task_ids)", DeprecationWarning, stacklevel=2)
    return create(provider, project, spec, task_ids, **options)


__all__ = ["associate", "create", "create_for_tasks", "delete", "expire", "extend", "list_", "preview_cost",
           "select_tasks"]
