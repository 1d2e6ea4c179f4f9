"""The task bundle: everything an annotation plugin needs to show one task, and nothing secret.

A bundle holds the task (id, payload, priority, status), its asset with a URL the
worker's browser can load (a presigned S3 URL, or a signed, expiring link to the local
file), the task type, the definition (version, ui_config, label_schema) and the plugin
that annotates the type, with its versioned JS and CSS URLs.

Private by default: a worker's bundle (``for_worker``, behind every public page) carries
only the payload and asset-metadata fields the definition's ``ui_config.worker_fields``
names, or, when it names none, those its plugin's manifest says the plugin reads. Answers,
gold and the researcher's notes stay on the server. The researcher's bundle (``for_task``)
shows everything.
"""

from __future__ import annotations

import mimetypes
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import assets, definitions, gold, plugins, signing, tasks
from workbench.errors import ConflictError
from workbench.store.models import Asset, Plugin, Task, TaskDefinition

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
    """The researcher's bundle of ``task_id``, with every payload and metadata field; ``plugin`` is None when no
    active plugin annotates its type."""
    task = tasks.get(session, task_id)
    return build(session, task, plugin_base_url=plugin_base_url, asset_base_url=asset_base_url,
                 expires_in=expires_in, s3_client=s3_client)


def for_worker(session: Session, task_id: int, **options: Any) -> dict[str, Any]:
    """The bundle a worker's page shows: ``for_task``'s, with only the payload and asset-metadata fields
    ``worker_fields`` allows. ConflictError when no active plugin annotates the task's type, for the page has
    nothing to show the worker then."""
    task = tasks.get(session, task_id)
    plugin = plugin_of(session, task)
    if plugin is None:
        raise ConflictError(f"no annotation plugin is active for task type {task.definition.task_type.slug!r}",
                            field="plugin", reason="missing")
    return build(session, task, shown=worker_fields(task.definition, plugin, session), **options)


def worker_fields(definition: TaskDefinition, plugin: Plugin, session: Session | None = None) -> dict[str, list[str]]:
    """What of a task its worker may see: the definition's ``ui_config.worker_fields``, or else the fields its
    plugin's manifest says the plugin reads; a kind of field left out shows none.

    A task pinned to a version registered before manifests declared them (1.0.0 of the built-ins) takes the
    declaration of the newest registered version of its plugin that has one, so an upgrade hides nothing the
    plugin shows.
    """
    declared = definition.ui_config.get("worker_fields")
    if declared is None:
        declared = plugin.manifest.get("worker_fields")
    if declared is None and session is not None:
        declared = next((row.manifest["worker_fields"] for row in session.scalars(
            select(Plugin).where(Plugin.name == plugin.name).order_by(Plugin.id.desc()))
            if "worker_fields" in row.manifest), None)
    declared = declared or {}
    return {kind: list(declared.get(kind, [])) for kind in definitions.WORKER_FIELD_KINDS}


def plugin_of(session: Session, task: Task) -> Plugin | None:
    """The plugin that shows ``task``: the version the task was created with, so a page never changes under old
    tasks, or else the active one of its type."""
    return task.plugin if task.plugin_id is not None else plugins.for_task_type(session, task.definition.task_type)


def build(session: Session, task: Task, *, plugin_base_url: str = "/workbench/plugins",
          asset_base_url: str = "/workbench/assets", expires_in: int = 3600, s3_client: Any = None,
          shown: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The bundle of ``task``; with ``shown`` (``worker_fields``), only those payload and metadata fields, and never
    the task's gold answer (``gold.GOLD_KEY``)."""
    definition = task.definition
    task_type = definition.task_type
    plugin = plugin_of(session, task)
    payload = task.payload if shown is None else _only(gold.redact(task.payload), shown["payload"])
    asset = None
    if task.asset is not None:
        asset = asset_view(task.asset, asset_base_url, expires_in=expires_in, s3_client=s3_client)
        if shown is not None:
            asset["metadata"] = _only(asset["metadata"], shown["metadata"])
    return {
        "task": {"id": task.id, "payload": payload, "priority": task.priority, "status": task.status},
        "asset": asset,
        "task_type": {"slug": task_type.slug, "name": task_type.name},
        "definition": {"version": definition.version, "ui_config": definition.ui_config,
                       "label_schema": definition.label_schema},
        "plugin": None if plugin is None else {
            "name": plugin.name, "version": plugin.version, "title": plugin.manifest.get("title", plugin.name),
            "result_schema_version": plugin.manifest["result_schema_version"],
            **plugins.urls(plugin.manifest, plugin_base_url)},
    }


def _only(fields: dict[str, Any] | None, names: list[str]) -> dict[str, Any]:
    return {name: fields[name] for name in names if name in (fields or {})}


def asset_view(asset: Asset, asset_base_url: str, *, expires_in: int = 3600, s3_client: Any = None) -> dict[str, Any]:
    """The asset as a bundle shows it, with all its metadata (``build`` keeps a worker's share of it)."""
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
