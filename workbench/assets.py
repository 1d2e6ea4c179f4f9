"""Assets: local files (hashed and checked) or S3 objects (served through presigned URLs)."""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import events, projects
from .errors import NotFoundError, ValidationError
from .store.models import Asset

MEDIA_TYPES = ("image", "video_frame", "video", "audio", "text", "other")


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
    """Register a local file. Its sha256 is computed; a given ``sha256`` must match it."""
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise ValidationError("path", f"no such file: {file}")
    digest = sha256_of(file)
    if sha256 is not None and sha256.lower() != digest:
        raise ValidationError("sha256", f"does not match the file's content (file has {digest})")
    media_type = media_type or _guess_media_type(file)
    width, height = _image_size(file) if media_type == "image" else (None, None)
    return _add(session, project, actor=actor, media_type=media_type, local_path=str(file), sha256=digest,
                width=width, height=height, meta=_metadata(metadata))


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
    for field, value in (("width", width), ("height", height)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValidationError(field, "must be a positive integer")
    _check_media_type(media_type)
    return _add(session, project, actor=actor, media_type=media_type, s3_bucket=bucket, s3_key=key,
                sha256=sha256 and sha256.lower(), width=width, height=height, meta=_metadata(metadata))


def presigned_url(asset: Asset, *, expires_in: int = 3600, client: Any = None) -> str:
    """A time-limited GET URL for an S3 asset; the worker's browser never sees credentials."""
    if not asset.s3_key:
        raise ValidationError("asset", "is a local file, not an S3 object")
    if client is None:
        import boto3

        client = boto3.client("s3", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                              or "us-east-1")
    return client.generate_presigned_url("get_object", Params={"Bucket": asset.s3_bucket, "Key": asset.s3_key},
                                         ExpiresIn=expires_in)


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


def _image_size(file: Path) -> tuple[int | None, int | None]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        raise ValidationError("path", f"{file.name} is not an image Pillow can read") from None
