"""What an assisted-labelling seat's page needs besides the socket: the bundle of the task being labelled.

The page mounts the task type's annotation plugin with that bundle (the same bundle the
annotate page gets: task, asset with a link the browser may load, definition, plugin and
its file URLs), pre-filled with the assistant's proposal. The URLs are those of the server
that serves plugins and assets; a face without them cannot host a labelling session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workbench.study import bundles
from workbench.study.bundles import PluginUrls
from ..errors import ConflictError
from ..store.models import CollabSession


def bundle(s: Session, cs: CollabSession, urls: PluginUrls | None) -> dict[str, Any] | None:
    """The bundle of the task ``cs`` labels; None when it labels none (another paradigm, not started).

    ConflictError when the task cannot be shown: no plugin URLs (a face that serves no
    plugins) or no active plugin for the task's type. Raised inside the join's transaction,
    it leaves the worker unseated.
    """
    game = (cs.state or {}).get("game") or {}
    if cs.paradigm != "assisted_labelling" or "task_id" not in game:
        return None
    if urls is None:
        raise ConflictError("assisted labelling needs the workbench extension, which serves the annotation plugins",
                            field="study", reason="no plugin host")
    return bundles.for_worker(s, game["task_id"], **urls.options())
