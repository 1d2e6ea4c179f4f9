"""Annotation plugins: manifest validation, discovery, registration, and lookup by task type.

A manifest's ``worker_fields`` (``{"payload": [...], "metadata": [...]}``) names the task
payload and asset metadata fields the plugin reads: what a worker sees of a task whose
definition declares no ``ui_config.worker_fields`` of its own. Nothing else reaches the
worker's page. Its ``default_definition``, when given, is held to the rules every
definition meets (``definitions.check_definition``).

A plugin is a folder with ``manifest.json`` and the static files it lists. Its ``root``
is written relative to the folder that holds the plugins root (``plugins/<name>``), and
every path must stay inside the plugins root: no absolute paths, no ``..``, no symlink
that leads out, and every listed file must exist. Plugins come from a plugins folder (the
repository's ``plugins/``) and from installed packages, through the entry point group
``workbench.study.plugins`` whose value is a plugins folder (a path, a module beside which the
folder lies, or a callable returning the path).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import events
from . import definitions, json_safety
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.models import Plugin, TaskType

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "workbench.study.plugins"
REQUIRED = ("name", "task_type", "version", "root", "js", "css", "result_schema_version")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: The longest file or folder name most file systems take, in bytes.
NAME_MAX = 255


@dataclass(frozen=True)
class Found:
    """A plugin found on disk: its checked manifest and the folder its files are served from."""

    manifest: dict[str, Any]
    root: Path

    @property
    def key(self) -> tuple[str, str]:
        return self.manifest["name"], self.manifest["version"]


# -- validation ---------------------------------------------------------------------
def validate_manifest(manifest: Any, plugins_root: str | Path) -> Found:
    """Check a manifest against the seed's rules; the error names the field and the reason."""
    if not isinstance(manifest, dict):
        raise ValidationError("manifest", "must be a JSON object")
    json_safety.check_storable(manifest, "manifest")  # it is stored as JSON; nothing below walks it unbounded
    for key in REQUIRED:
        if key not in manifest:
            raise ValidationError(f"manifest.{key}", "is required")
    for key in ("name", "task_type"):
        if not isinstance(manifest[key], str) or not NAME.match(manifest[key]):
            raise ValidationError(f"manifest.{key}", "must be 1-64 characters of lower-case letters, digits, - and _")
    for key in ("version", "result_schema_version"):
        if not isinstance(manifest[key], str) or not definitions.VERSION.match(manifest[key]):
            raise ValidationError(f"manifest.{key}", "must be 1-32 characters of letters, digits and . - _ +")
    base = Path(plugins_root).resolve()
    root = _inside(base, base.parent, manifest["root"], "manifest.root")
    if root == base or not path_is(root, Path.is_dir):
        raise ValidationError("manifest.root", "must be a plugin folder inside the plugins root")
    for key in ("js", "css"):
        files = manifest[key]
        if not isinstance(files, list) or (key == "js" and not files):
            raise ValidationError(f"manifest.{key}", "must be a list of file paths" + (" (at least one)" if key == "js"
                                                                                       else ""))
        for index, name in enumerate(files):
            field = f"manifest.{key}[{index}]"
            path = _inside(root, root, name, field)
            if not path_is(path, Path.is_file):
                raise ValidationError(field, f"no such file in the plugin folder: {name}")
            if not path.resolve().is_relative_to(base):
                raise ValidationError(field, "leads outside the plugins root")
    if "worker_fields" in manifest:
        definitions.check_worker_fields(manifest["worker_fields"], "manifest.worker_fields")
    if "default_definition" in manifest:
        try:
            definitions.check_definition(manifest["default_definition"])
        except ValidationError as exc:
            raise ValidationError(f"manifest.default_definition{exc.field.removeprefix('definition')}",
                                  exc.reason) from None
    return Found(manifest=dict(manifest), root=root)


def _inside(limit: Path, start: Path, value: Any, field: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a non-empty relative path")
    if "\\" in value or "\x00" in value or SCHEME.match(value):
        raise ValidationError(field, "must be a plain relative path (no backslash, no scheme)")
    pure = PurePosixPath(value)
    if any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX for part in pure.parts):
        raise ValidationError(field, f"has a file or folder name over {NAME_MAX} bytes")
    if pure.is_absolute():
        raise ValidationError(field, "must be relative, not absolute")
    if ".." in pure.parts:
        raise ValidationError(field, "must not contain '..'")
    path = (start / pure).resolve()
    if not path.is_relative_to(limit):
        raise ValidationError(field, "leads outside the plugins root")
    return path


def path_is(path: Path, kind) -> bool:
    """``kind(path)`` (``Path.is_file``, ``Path.is_dir``), False where the file system cannot even look it up."""
    try:
        return kind(path)
    except (OSError, ValueError):
        return False


# -- discovery ----------------------------------------------------------------------
def discover(plugins_root: str | Path | None = None, *, use_entry_points: bool = True) -> list[Found]:
    """Every valid plugin in ``plugins_root`` and in installed packages; invalid ones are logged and left out."""
    roots: list[Path] = [Path(plugins_root)] if plugins_root else []
    if use_entry_points:
        roots.extend(entry_point_roots())
    found: dict[tuple[str, str], Found] = {}
    for root in roots:
        for plugin in scan(root):
            found.setdefault(plugin.key, plugin)
    return list(found.values())


def scan(plugins_root: str | Path) -> list[Found]:
    """The valid plugins in one plugins folder (one sub-folder with manifest.json each)."""
    base = Path(plugins_root)
    out = []
    if not base.is_dir():
        return out
    for manifest_path in sorted(base.glob("*/manifest.json")):
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            plugin = validate_manifest(manifest, base)
            if plugin.root != manifest_path.parent.resolve():
                raise ValidationError("manifest.root", "must name the folder that holds manifest.json")
        except (ValueError, ValidationError) as exc:
            log.warning("plugin %s skipped: %s", manifest_path.parent.name, exc)
            continue
        out.append(plugin)
    return out


def entry_point_roots() -> list[Path]:
    """The plugins folders installed packages declare in the ``workbench.study.plugins`` group."""
    roots = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            value = ep.load()
            if isinstance(value, ModuleType):
                value = Path(value.__file__).parent / "plugins"
            elif callable(value):
                value = value()
            roots.append(Path(value))
        except Exception as exc:  # noqa: BLE001 - one broken package must not stop the server
            log.warning("plugin entry point %s skipped: %s", ep.name, exc)
    return roots


# -- the Plugin table ---------------------------------------------------------------
def register(session: Session, manifest: Any, plugins_root: str | Path, *, actor: str = events.SYSTEM) -> Plugin:
    """Validate and record a plugin version, making it the active one of its name.

    Registering the same (name, version) with the same manifest again changes nothing;
    with a different manifest it is a conflict (a published version is immutable).
    """
    found = validate_manifest(manifest, plugins_root)
    return register_found(session, found, actor=actor)


def register_found(session: Session, found: Found, *, actor: str = events.SYSTEM) -> Plugin:
    manifest = found.manifest
    name, version = found.key
    existing = session.scalars(select(Plugin).where(Plugin.name == name, Plugin.version == version)).one_or_none()
    if existing is not None:
        if existing.manifest != manifest:
            raise ConflictError(f"plugin {name} {version} is registered with another manifest; bump the version",
                                field="manifest.version", reason="already registered")
        return existing
    task_type = session.scalars(select(TaskType).where(TaskType.slug == manifest["task_type"])).one_or_none()
    for other in session.scalars(select(Plugin).where(Plugin.name == name, Plugin.active.is_(True))):
        other.active = False
    row = Plugin(name=name, version=version, manifest=manifest, active=True,
                 task_type_id=task_type.id if task_type else None)
    session.add(row)
    session.flush()
    events.record(session, "plugin.registered", actor=actor, plugin_id=row.id, name=name, version=version,
                  task_type=manifest["task_type"])
    return row


def get(session: Session, name: str, version: str | None = None) -> Plugin:
    """A plugin by name: the given version, or the active one."""
    stmt = select(Plugin).where(Plugin.name == name)
    stmt = stmt.where(Plugin.version == version) if version else stmt.where(Plugin.active.is_(True))
    row = session.scalars(stmt.order_by(Plugin.id.desc())).first()
    if row is None:
        raise NotFoundError("plugin", name if version is None else f"{name} {version}")
    return row


def list_(session: Session, *, active: bool | None = None, limit: int = 100, offset: int = 0) -> list[Plugin]:
    stmt = select(Plugin).order_by(Plugin.id)
    if active is not None:
        stmt = stmt.where(Plugin.active.is_(active))
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def for_task_type(session: Session, task_type: TaskType) -> Plugin | None:
    """The active plugin that annotates ``task_type`` (the newest registered, if several)."""
    rows = session.scalars(select(Plugin).where(Plugin.active.is_(True)).order_by(Plugin.id.desc()))
    for row in rows:
        if row.task_type_id == task_type.id or row.manifest.get("task_type") == task_type.slug:
            return row
    return None


def urls(manifest: dict[str, Any], base_url: str) -> dict[str, list[str]]:
    """The plugin's JS and CSS URLs under ``base_url``, versioned so they can be cached for a year."""
    prefix = f"{base_url.rstrip('/')}/{manifest['name']}/{manifest['version']}/"
    return {key: [prefix + quote(str(PurePosixPath(path))) for path in manifest[key]] for key in ("js", "css")}
