"""Public files: the worker page's own JS and CSS, plugin files (versioned, cached a year), and signed asset links."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web

from workbench import assets, bundles, signing
from workbench.errors import NotFoundError

from .base import ApiHandler, SafeStaticMixin

STATIC = Path(__file__).resolve().parents[1] / "static"
YEAR = 365 * 24 * 3600


def static_url(handler: web.RequestHandler, path: str) -> str:
    """The worker static file's URL with its content hash, so browsers may cache it for good."""
    version = web.StaticFileHandler.get_version({"static_path": str(STATIC)}, path)
    return f"{handler.settings.get('base_url', '/')}workbench/static/{path}?v={version}"


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
        try:  # the checked path itself: a symlink put there since is not followed
            handle = os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")
        except OSError:
            raise NotFoundError("asset file", asset_id) from None
        self.set_header("Content-Type", bundles.mime_type(asset))
        # Served from this origin, an uploaded HTML or SVG file must not be able to run anything.
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        self.set_header("Cache-Control", "private, max-age=3600")
        with handle:
            while chunk := handle.read(256 * 1024):
                self.write(chunk)
                await self.flush()
        self.finish()


default_handlers = [
    (r"/workbench/static/(?P<path>.+)", WorkerStaticHandler, {"path": str(STATIC)}),
    (r"/workbench/plugins/(?P<name>[^/]+)/(?P<version>[^/]+)/(?P<path>.+)", PluginFileHandler),
    (r"/workbench/assets/(?P<asset_id>\d+)", AssetFileHandler),
]
