"""Assets: local files (hashed and checked) or S3 objects (served through presigned URLs).

``add`` registers many at once, as ``workbench assets add`` does: files, globs, folders and
S3 keys or prefixes, each once per project. ``media_needed`` says which media a task type's
plugin shows, so that an import can refuse tasks without it.

A local file is an asset only inside one of its project's asset roots (``config.asset_roots``:
``$WORKBENCH_HOME/assets``, ``$WORKBENCH_HOME/<project>/assets`` and ``WORKBENCH_ASSET_ROOTS``),
checked on its real path, symlinks followed, when it is registered and again whenever it is
served (``file_to_serve``): a file registered before the rule, or a symlink changed since,
is not served. A path outside the roots is refused in the same words whether it exists or
not.

The S3 side (the client, presigned URLs, listing and downloading) is ``asset_storage``; its
``s3_client`` and ``presigned_url`` are importable from here too.
"""

from __future__ import annotations

import glob
import hashlib
import itertools
import mimetypes
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import config, events, resources
from . import asset_storage, plugins, projects
from .asset_storage import presigned_url, s3_client  # noqa: F401 - presigned_url is re-exported
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.models import Asset, Project, TaskType

MEDIA_TYPES = ("image", "video_frame", "video", "audio", "text", "other")
#: The manifest key by which a plugin may declare the media its tasks must have (null: none).
MANIFEST_KEY = "asset_media"
_GLOB = re.compile(r"[*?[]")


def get(session: Session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFoundError("asset", asset_id)
    return asset


def list_(session: Session, project: int | str, *, limit: int = 100, offset: int = 0) -> list[Asset]:
    project_id = projects.get(session, project).id
    stmt = select(Asset).where(Asset.project_id == project_id).order_by(Asset.id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def register_file(session: Session, project: int | str, path: str | os.PathLike, *, media_type: str | None = None,
                  sha256: str | None = None, metadata: dict[str, Any] | None = None,
                  actor: str = events.SYSTEM) -> Asset:
    """Register a local file inside the project's asset roots. Its sha256 is computed; a given ``sha256`` must
    match it."""
    file = local_file(projects.get(session, project).slug, path)
    if not plugins.path_is(file, Path.is_file):
        raise ValidationError("path", f"no such file: {file}")
    digest = sha256_of(file)
    if sha256 is not None and sha256.lower() != digest:
        raise ValidationError("sha256", f"does not match the file's content (file has {digest})")
    return _register_local(session, project, file, digest, media_type, _metadata(metadata), actor)


def _register_local(session: Session, project: int | str, file: Path, digest: str, media_type: str | None,
                    meta: dict[str, Any], actor: str) -> Asset:
    media_type = media_type or _guess_media_type(file)
    with open(file, "rb") as handle:
        width, height = _image_size(handle, file.name) if media_type == "image" else (None, None)
    return _add(session, project, actor=actor, media_type=media_type, local_path=str(file), sha256=digest,
                width=width, height=height, meta=meta)


def register_s3(session: Session, project: int | str, key: str, *, bucket: str | None = None,
                media_type: str = "image", sha256: str | None = None, width: int | None = None,
                height: int | None = None, metadata: dict[str, Any] | None = None,
                actor: str = events.SYSTEM) -> Asset:
    """Register an S3 object by key (bucket defaults to ``WORKBENCH_S3_BUCKET``)."""
    bucket = bucket or os.environ.get("WORKBENCH_S3_BUCKET")
    if not bucket:
        raise ValidationError("bucket", "is required (or set WORKBENCH_S3_BUCKET)")
    if not isinstance(key, str) or not key or key.startswith("/") or len(key) > 1024:
        raise ValidationError("s3_key", "must be a relative S3 key of 1-1024 characters")
    if sha256 is not None and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower())):
        raise ValidationError("sha256", "must be 64 hexadecimal characters")
    for name, value in (("width", width), ("height", height)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValidationError(name, "must be a positive integer")
    _check_media_type(media_type)
    return _add(session, project, actor=actor, media_type=media_type, s3_bucket=bucket, s3_key=key,
                sha256=sha256 and sha256.lower(), width=width, height=height, meta=_metadata(metadata))


@dataclass
class Added:
    """What ``add`` did: every asset its sources name, in order, and which of them are new."""

    project: str
    assets: list[Asset] = field(default_factory=list)
    new: list[bool] = field(default_factory=list)

    def add(self, asset: Asset, new: bool) -> None:
        self.assets.append(asset)
        self.new.append(new)

    def to_dict(self) -> dict[str, Any]:
        count = sum(self.new)
        return {"project": self.project, "new": count, "existing": len(self.new) - count,
                "assets": [{**asset.to_dict(), "new": new} for asset, new in zip(self.assets, self.new)]}


def add(session: Session, project: int | str, sources: Iterable[str], *, media_type: str | None = None,
        client: Any = None, actor: str = events.SYSTEM) -> Added:
    """Register local files and S3 objects, each once per project (``workbench assets add``).

    A source is a file, a glob (``**`` included), a folder (every file below it, hidden ones
    left out), ``s3://bucket/key``, or ``s3://bucket/prefix/`` (every object under it). Each
    file or object is hashed and its size in bytes kept as ``metadata.size_bytes``. A path or
    S3 object the project already has is that asset again, not a second one; if its content
    changed since, it is refused, because its tasks were made for the old content.
    """
    owner = projects.get(session, project)
    known: dict[str, Asset] = {}
    for asset in session.scalars(select(Asset).where(Asset.project_id == owner.id).order_by(Asset.id.desc())):
        known[_source(asset)] = asset  # the oldest of a path wins, as in bulk import
    done = Added(owner.slug)
    for source in sources:
        if source.startswith("s3://"):
            bucket, _, key = source[5:].partition("/")
            if not bucket:
                raise ValidationError("source", f"{source!r} names no bucket")
            client = client or s3_client()
            for k in _s3_keys(client, bucket, key, source) if not key or key.endswith("/") else [key]:
                done.add(*_add_s3_object(session, owner.id, client, bucket, k, known, media_type, actor))
        else:
            for file in local_files(source, config.asset_roots(owner.slug)):
                done.add(*_add_file(session, owner.id, file, known, media_type, actor))
    if not done.assets:
        raise ValidationError("files", "name no file: give files, globs, folders or s3:// keys")
    return done


def local_files(source: str, roots: list[Path]) -> list[Path]:
    """The files a path, glob or folder inside ``roots`` names, sorted, as real paths; hidden files and folders below
    a folder are left out. A source, or a file it leads to, outside the roots is refused."""
    try:
        path = Path(source).expanduser()
    except RuntimeError:  # ~nosuchuser
        raise ValidationError("path", _outside(source, roots)) from None
    # A source whose fixed part (a glob's, up to its first wildcard) is outside the roots is refused unseen.
    fixed = Path(*itertools.takewhile(lambda part: not _GLOB.search(part), path.parts)) if path.parts else path
    if ".." in path.parts[len(fixed.parts):]:  # it could leave the fixed part, and say what exists outside
        raise ValidationError("path", "a glob may not go up a folder (..) after its first wildcard")
    if not _within(_real(fixed), roots, itself=True):
        raise ValidationError("path", _outside(source, roots))
    if plugins.path_is(path, Path.is_file):
        files = [path]
    else:
        if plugins.path_is(path, Path.is_dir):
            tops = [path]
        elif _GLOB.search(source):
            tops = [Path(p) for p in sorted(glob.glob(os.path.expanduser(source), recursive=True))]
        else:
            raise ValidationError("path", f"no such file or folder: {source}")
        files = []
        for top in tops:
            if plugins.path_is(top, Path.is_dir):
                files.extend(p for p in sorted(top.rglob("*"))
                             if plugins.path_is(p, Path.is_file) and not _hidden(p.relative_to(top).as_posix()))
            elif plugins.path_is(top, Path.is_file):
                files.append(top)
        if not files:
            held = "holds" if plugins.path_is(path, Path.is_dir) else "matches"
            raise ValidationError("path", f"{source} {held} no file")
    real = [_real(f) for f in files]
    for file, found in zip(files, real):
        if not _within(found, roots):
            raise ValidationError("path", _outside(str(file), roots))
    return real


def local_file(project_slug: str, path: str | os.PathLike, field: str = "path") -> Path:
    """The real path (symlinks followed) of ``path`` if it lies inside one of the project's asset roots;
    ValidationError naming ``field`` otherwise, in the same words whether or not it exists."""
    roots = config.asset_roots(project_slug)
    found = _real(path)
    if not _within(found, roots):
        raise ValidationError(field, _outside(path, roots))
    return found


def _outside(path: Any, roots: list[Path]) -> str:
    """Why a path is refused: it says nothing of whether the path exists."""
    shown = str(path)
    shown = shown if len(shown) <= 200 else shown[:200] + "…"
    return (f"{shown!r} is not inside an asset folder of the project ({', '.join(map(str, roots))}); put the file "
            "there, or add its folder to WORKBENCH_ASSET_ROOTS")


def file_to_serve(session: Session, asset_id: int) -> tuple[Asset, Path]:
    """A local asset and its file's real path, if that file is still a regular file inside the project's asset roots
    (a symlink is followed now, not when it was registered); NotFoundError otherwise, the same for every reason."""
    asset = get(session, asset_id)
    found = _real(asset.local_path) if asset.local_path else None
    project = session.get(Project, asset.project_id)
    if (found is None or project is None or not _within(found, config.asset_roots(project.slug))
            or not plugins.path_is(found, Path.is_file)):
        raise NotFoundError("asset file", asset_id)
    return asset, found


def _real(path: Any) -> Path | None:
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError, TypeError):  # a NUL, a name too long, ~nosuchuser, a symlink loop
        return None


def _within(path: Path | None, roots: list[Path], *, itself: bool = False) -> bool:
    """Whether ``path`` lies below one of ``roots`` (or is one, if ``itself``)."""
    return path is not None and any(root in path.parents or (itself and path == root) for root in roots)


def _add_file(session: Session, project_id: int, file: Path, known: dict[str, Asset], media_type: str | None,
              actor: str) -> tuple[Asset, bool]:
    digest = sha256_of(file)
    found = _again(known, str(file), digest)
    if found is not None:
        return found, False
    asset = _register_local(session, project_id, file, digest, media_type, {"size_bytes": file.stat().st_size},
                            actor)
    known[str(file)] = asset
    return asset, True


def _add_s3_object(session: Session, project_id: int, client: Any, bucket: str, key: str, known: dict[str, Asset],
                   media_type: str | None, actor: str) -> tuple[Asset, bool]:
    name = f"s3://{bucket}/{key}"
    with tempfile.SpooledTemporaryFile(max_size=16 << 20) as spool:
        digest = asset_storage.download(client, bucket, key, spool)
        found = _again(known, name, digest)
        if found is not None:
            return found, False
        size = spool.tell()
        media_type = media_type or _guess_media_type(Path(key))
        spool.seek(0)
        width, height = _image_size(spool, key) if media_type == "image" else (None, None)
    asset = register_s3(session, project_id, key, bucket=bucket, media_type=media_type, sha256=digest, width=width,
                        height=height, metadata={"size_bytes": size}, actor=actor)
    known[name] = asset
    return asset, True


def _again(known: dict[str, Asset], name: str, digest: str) -> Asset | None:
    """The project's asset for ``name``, if any; refused if its content changed since it was registered."""
    found = known.get(name)
    if found is not None and found.sha256 and found.sha256 != digest:
        raise ConflictError(f"{name} changed since it was registered as asset {found.id} "
                            f"(sha256 {found.sha256[:12]}…, now {digest[:12]}…); register it under another name",
                            field="sha256", reason="differs from the registered content")
    return found


def _s3_keys(client: Any, bucket: str, prefix: str, source: str) -> list[str]:
    """The objects under ``prefix``, sorted, without folder markers and hidden ones; refused when none is left."""
    keys = asset_storage.list_keys(client, bucket, prefix, source)
    keys = sorted(k for k in keys if not k.endswith("/") and not _hidden(k[len(prefix):]))
    if not keys:
        raise ValidationError("source", f"{source} holds no object")
    return keys


def _source(asset: Asset) -> str:
    return asset.local_path or f"s3://{asset.s3_bucket}/{asset.s3_key}"


def _hidden(relative: str) -> bool:
    return any(part.startswith(".") for part in relative.split("/"))


def media_needed(session: Session, task_type: TaskType) -> str | None:
    """The media type every task of ``task_type`` must have an asset of, or None.

    The type's plugin decides: the active registered one, else the one installed (the
    plugins folder and entry points). Its manifest may declare ``asset_media``; the built-in
    manifests do not, so it is derived: a plugin whose results hold positions (objects
    with ``x`` and ``y``, or ``points``, in its default ``label_schema``) marks up an image.
    """
    manifest = _manifest_of(session, task_type)
    if manifest is None:
        return None
    if MANIFEST_KEY in manifest:
        declared = manifest[MANIFEST_KEY]
        if declared is not None and declared not in MEDIA_TYPES:
            raise ValidationError(f"manifest.{MANIFEST_KEY}", f"must be null or one of {', '.join(MEDIA_TYPES)}")
        return declared
    schema = (manifest.get("default_definition") or {}).get("label_schema")
    return "image" if _holds_positions(schema) else None


def _manifest_of(session: Session, task_type: TaskType) -> dict[str, Any] | None:
    row = plugins.for_task_type(session, task_type)
    if row is not None:
        return row.manifest
    for found in plugins.discover(resources.plugins_root()):
        if found.manifest["task_type"] == task_type.slug:
            return found.manifest
    return None


def _holds_positions(schema: Any) -> bool:
    if isinstance(schema, list):
        return any(_holds_positions(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    names = schema.get("properties")
    if isinstance(names, dict) and ({"x", "y"} <= names.keys() or "points" in names):
        return True
    return any(_holds_positions(value) for value in schema.values())


def delete(session: Session, asset_id: int, *, actor: str = events.SYSTEM) -> None:
    asset = get(session, asset_id)
    events.record(session, "asset.deleted", actor=actor, project_id=asset.project_id, asset_id=asset.id)
    session.delete(asset)


def _add(session: Session, project: int | str, *, actor: str, **fields: Any) -> Asset:
    _check_media_type(fields["media_type"])
    owner = projects.get(session, project)
    asset = Asset(project_id=owner.id, **fields)
    session.add(asset)
    session.flush()
    events.record(session, "asset.registered", actor=actor, project_id=owner.id, asset_id=asset.id,
                  source=fields.get("local_path") or f"s3://{fields.get('s3_bucket')}/{fields.get('s3_key')}")
    return asset


def _check_media_type(media_type: str) -> None:
    if media_type not in MEDIA_TYPES:
        raise ValidationError("media_type", f"must be one of {', '.join(MEDIA_TYPES)}")


def _metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError("metadata", "must be a JSON object")
    return metadata


def _guess_media_type(file: Path) -> str:
    mime = mimetypes.guess_type(file.name)[0] or ""
    kind = mime.split("/", 1)[0]
    return kind if kind in ("image", "video", "audio", "text") else "other"


def _image_size(handle: IO[bytes], name: str) -> tuple[int | None, int | None]:
    # Pillow is loaded only when an image is registered; the CLI imports this module
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(handle) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        raise ValidationError("path", f"{name} is not an image Pillow can read") from None
