"""Publish plugin files to S3, so worker pages load them from a bucket or CDN instead of the servers.

Each valid plugin's folder goes to ``s3://BUCKET/PREFIX/<name>/<version>/<path>`` with
``Cache-Control: public, max-age=31536000, immutable`` and its Content-Type. The URL
names the version and a published version never changes, so browsers and CDNs may keep
a file for a year. Source maps stay home (they would publish the sources), as do hidden
files. Running it again uploads nothing new; a file whose bytes differ from the
published ones is a conflict: bump the plugin's version instead.

Point ``c.WorkbenchApp.plugins_url`` (or ``WORKBENCH_PLUGINS_URL``) at
``https://BUCKET.s3.amazonaws.com/PREFIX`` (or the CDN in front of it).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import plugins
from workbench.errors import ConflictError, ValidationError

CACHE_CONTROL = "public, max-age=31536000, immutable"
EXCLUDED_SUFFIXES = (".map",)
PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: Types browsers insist on for code; the rest come from the mimetypes table.
TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json", ".html": "text/html; charset=utf-8",
         ".svg": "image/svg+xml", ".wasm": "application/wasm", ".woff2": "font/woff2", ".woff": "font/woff"}


@dataclass
class UploadResult:
    bucket: str
    prefix: str
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix, "plugins": self.plugins, "uploaded": len(self.uploaded),
                "unchanged": len(self.unchanged), "excluded": self.excluded, "keys": self.uploaded}


def content_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def plugin_files(found: plugins.Found) -> tuple[list[tuple[str, Path]], list[str]]:
    """(relative path, file) for each file to publish, and the relative paths left out."""
    root = found.root.resolve()
    keep, left_out = [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in PurePosixPath(rel).parts) or rel.endswith(EXCLUDED_SUFFIXES):
            left_out.append(rel)
            continue
        if not path.resolve().is_relative_to(root):
            raise ValidationError(f"{found.key[0]}/{rel}", "is a link that leads outside the plugin folder")
        keep.append((rel, path))
    return keep, left_out


def key_for(prefix: str, found: plugins.Found, rel: str) -> str:
    name, version = found.key
    return "/".join(p for p in (prefix.strip("/"), name, version, rel) if p)


def upload(bucket: str, *, prefix: str = "plugins", plugins_dir: str | Path | None = None, client: Any = None,
           use_entry_points: bool = True) -> UploadResult:
    """Upload every valid plugin found in ``plugins_dir`` (and installed packages) to ``bucket``."""
    if not isinstance(bucket, str) or not BUCKET.match(bucket):
        raise ValidationError("bucket", "must be an S3 bucket name (3-63 lower-case letters, digits, '.', '-')")
    prefix = (prefix or "").strip("/")
    if prefix and (not PREFIX.match(prefix) or ".." in prefix.split("/")):
        raise ValidationError("prefix", "must be a plain key prefix such as plugins (letters, digits, . _ - /)")
    found = plugins.discover(plugins_dir, use_entry_points=use_entry_points)
    if not found:
        raise ValidationError("plugins_dir", f"holds no valid plugin: {plugins_dir}")
    if client is None:
        # boto3 is heavy (~0.15 s); loaded only when no client is given (the CLI imports this module)
        import boto3

        client = boto3.client("s3", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    result = UploadResult(bucket=bucket, prefix=prefix)
    planned = []
    # Check everything before writing anything: a conflict leaves the bucket as it was.
    for plugin in found:
        files, left_out = plugin_files(plugin)
        result.plugins.append("{}@{}".format(*plugin.key))
        result.excluded.extend(key_for(prefix, plugin, rel) for rel in left_out)
        for rel, path in files:
            key = key_for(prefix, plugin, rel)
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()
            published = _published_sha256(client, bucket, key)
            if published == digest:
                result.unchanged.append(key)
            elif published is not None:
                raise ConflictError(f"s3://{bucket}/{key} is published with other bytes; a published plugin "
                                    f"version never changes: bump the version of {plugin.key[0]}",
                                    field="version", reason="already published")
            else:
                planned.append((key, body, digest))
    for key, body, digest in planned:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type(key),
                          CacheControl=CACHE_CONTROL, Metadata={"sha256": digest})
        result.uploaded.append(key)
    return result


def _published_sha256(client: Any, bucket: str, key: str) -> str | None:
    """The sha256 recorded on an object already at ``key`` ("" when it has none), or None when absent."""
    # botocore comes with boto3 (see upload); a module-level import would put it on the CLI's start
    from botocore.exceptions import ClientError

    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head.get("Metadata", {}).get("sha256", "")
