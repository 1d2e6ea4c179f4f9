"""Public files: the worker page's own JS and CSS, plugin files (versioned, cached a year), and signed asset links."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import BinaryIO

from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web

from workbench.study import assets, bundles, signing
from workbench.errors import NotFoundError

from .base import STATIC, ApiHandler, SafeStaticMixin

YEAR = 365 * 24 * 3600
CHUNK = 256 * 1024  # bytes of an asset file read and sent at a time


class WorkerStaticHandler(SafeStaticMixin, web.StaticFileHandler):
    """The worker page's own files (``?v=<hash>`` URLs are cached for a year)."""

    @allow_unauthenticated
    def head(self, path: str):
        return super().get(path, include_body=False)

    @allow_unauthenticated
    def get(self, path: str, include_body: bool = True):
        return super().get(path, include_body=include_body)


class PluginFileHandler(SafeStaticMixin, web.StaticFileHandler):
    """A file of a plugin version, from that plugin's own folder and nowhere else."""

    def initialize(self, path: str = "", default_filename: str | None = None) -> None:
        super().initialize(path or str(STATIC), default_filename)

    def _root(self, name: str, version: str) -> None:
        root = self.settings["workbench"].plugin_root(name, version)
        if root is None:
            raise web.HTTPError(404)
        self.root = str(root)

    @allow_unauthenticated
    def head(self, name: str, version: str, path: str):
        self._root(name, version)
        return super().get(path, include_body=False)

    @allow_unauthenticated
    def get(self, name: str, version: str, path: str, include_body: bool = True):
        self._root(name, version)
        return super().get(path, include_body=include_body)

    def get_cache_time(self, path: str, modified, mime_type: str) -> int:
        # The URL names the version, and a published version never changes.
        return YEAR

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", f"public, max-age={YEAR}, immutable")


class AssetFileHandler(ApiHandler):
    """A local asset's bytes, for whoever holds an unexpired link signed by this server."""

    @allow_unauthenticated
    async def get(self, asset_id: str) -> None:
        signing.verify(bundles.asset_message(int(asset_id)), self.get_query_argument("exp", None),
                       self.get_query_argument("sig", None))
        # Checked against the asset roots now, on the file's real path: registered before the rule, or a symlink
        # changed since, it is not served.
        asset, path = await self.read_store(assets.file_to_serve, int(asset_id))
        # Off the event loop: a slow disk, or a FIFO put in the file's place, holds one thread, not the server.
        loop = asyncio.get_running_loop()
        handle = await loop.run_in_executor(None, open_checked, path)
        if handle is None:
            raise NotFoundError("asset file", asset_id)
        with handle:
            self.set_header("Content-Type", bundles.mime_type(asset))
            # Served from this origin, an uploaded HTML or SVG file must not be able to run anything.
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
            self.set_header("Cache-Control", "private, max-age=3600")
            while chunk := await loop.run_in_executor(None, handle.read, CHUNK):
                self.write(chunk)
                await self.flush()
        self.finish()


def open_checked(path: Path) -> BinaryIO | None:
    """The regular file at ``path`` (a real path, just checked) open for reading, or None if ``path`` no longer
    leads to one: a symlink put in its place, or in place of a folder above it, is not followed to another file.

    ``O_NOFOLLOW`` refuses a symlink as the last component only; the open file is then compared with what the
    path names: the same device and inode as ``path`` has now, and (where ``/proc`` shows it) the path the open
    file really has. ``O_NONBLOCK``: opening a FIFO would wait for a writer; it is refused as no regular file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return None
    try:
        opened, now = os.fstat(fd), os.stat(path)
        if stat.S_ISREG(opened.st_mode) and (opened.st_dev, opened.st_ino) == (now.st_dev, now.st_ino) \
                and _opened_path(fd) in (None, str(path)):
            return os.fdopen(fd, "rb")
    except OSError:
        pass
    os.close(fd)
    return None


def _opened_path(fd: int) -> str | None:
    """The path the kernel resolved for an open file (Linux), or None where it does not say."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


default_handlers = [
    (r"/workbench/static/(?P<path>.+)", WorkerStaticHandler, {"path": str(STATIC)}),
    (r"/workbench/plugins/(?P<name>[^/]+)/(?P<version>[^/]+)/(?P<path>.+)", PluginFileHandler),
    (r"/workbench/assets/(?P<asset_id>\d+)", AssetFileHandler),
]
