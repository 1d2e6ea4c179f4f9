"""The task bundle: everything an annotation plugin needs to show one task, and nothing secret.

A bundle holds the task (id, payload, priority, status), its asset with a URL the
worker's browser can load (a presigned S3 URL, or a signed, expiring link to the local
file), the task type, the definition (version, ui_config, label_schema) and the plugin
that annotates the type, with its versioned JS and CSS URLs.
"""

from __future__ import annotations

import mimetypes
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from . import assets, plugins, signing, tasks
from .errors import ConflictError
from .store.models import Asset, Task

#: The file type a browser needs, for the kinds whose files carry no telling name.
FALLBACK_MIME = {"image": "image/*", "video_frame": "image/*", "video": "video/*", "audio": "audio/*",
                 "text": "text/plain", "other": "application/octet-stream"}


@dataclass(frozen=True)
class PluginUrls:
    """Where the serving face publishes plugin files and signed asset links, and how long a link lasts."""

    plugin_base_url: str = "/workbench/plugins"
    asset_base_url: str = "/workbench/assets"
    expires_in: int = 3600

    def options(self) -> dict[str, Any]:
        """As ``for_task``'s keyword arguments."""
        return asdict(self)


def for_task(session: Session, task_id: int, *, plugin_base_url: str = "/workbench/plugins",
             asset_base_url: str = "/workbench/assets", expires_in: int = 3600, s3_client: Any = None) -> dict[str, Any]:
    """The bundle of ``task_id``; ``plugin`` is None when no active plugin annotates its type."""
    task = tasks.get(session, task_id)
    return build(session, task, plugin_base_url=plugin_base_url, asset_base_url=asset_base_url,
                 expires_in=expires_in, s3_client=s3_client)


def for_worker(session: Session, task_id: int, **options: Any) -> dict[str, Any]:
    """The bundle a worker's page shows (``for_task``); ConflictError when no active plugin annotates the
    task's type, for the page has nothing to show the worker then."""
    out = for_task(session, task_id, **options)
    if out["plugin"] is None:
        raise ConflictError(f"no annotation plugin is active for task type {out['task_type']['slug']!r}",
                            field="plugin", reason="missing")
    return out


def build(session: Session, task: Task, *, plugin_base_url: str, asset_base_url: str, expires_in: int = 3600,
          s3_client: Any = None) -> dict[str, Any]:
    definition = task.definition
    task_type = definition.task_type
    # The version the task was created with, so a page never changes under old tasks.
    plugin = task.plugin if task.plugin_id is not None else plugins.for_task_type(session, task_type)
    return {
        "task": {"id": task.id, "payload": task.payload, "priority": task.priority, "status": task.status},
        "asset": asset_view(task.asset, asset_base_url, expires_in=expires_in, s3_client=s3_client)
        if task.asset is not None else None,
        "task_type": {"slug": task_type.slug, "name": task_type.name},
        "definition": {"version": definition.version, "ui_config": definition.ui_config,
                       "label_schema": definition.label_schema},
        "plugin": None if plugin is None else {
            "name": plugin.name, "version": plugin.version, "title": plugin.manifest.get("title", plugin.name),
            "result_schema_version": plugin.manifest["result_schema_version"],
            **plugins.urls(plugin.manifest, plugin_base_url)},
    }


def asset_view(asset: Asset, asset_base_url: str, *, expires_in: int = 3600, s3_client: Any = None) -> dict[str, Any]:
    return {
        "id": asset.id,
        "url": asset_url(asset, asset_base_url, expires_in=expires_in, s3_client=s3_client),
        "media_type": mime_type(asset),
        "kind": asset.media_type,
        "width": asset.width,
        "height": asset.height,
        "metadata": asset.meta,
    }


def asset_url(asset: Asset, asset_base_url: str, *, expires_in: int = 3600, s3_client: Any = None) -> str:
    """A URL the worker's browser may fetch for a while without any login."""
    if asset.s3_key:
        return assets.presigned_url(asset, expires_in=expires_in, client=s3_client)
    query = urlencode(signing.sign(asset_message(asset.id), expires_in=expires_in))
    return f"{asset_base_url.rstrip('/')}/{asset.id}?{query}"


def asset_message(asset_id: int) -> str:
    """What an asset link signs: the asset, so a signature opens that file and no other."""
    return f"asset:{asset_id}"


def mime_type(asset: Asset) -> str:
    guessed = mimetypes.guess_type(asset.local_path or asset.s3_key or "")[0]
    return guessed or FALLBACK_MIME.get(asset.media_type, "application/octet-stream")
