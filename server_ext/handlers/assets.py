"""Researcher API: assets (register a local file or an S3 object, read, list, delete)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.errors import ValidationError
from workbench.study import assets

from ..api_models import NewAsset
from .base import ID, ApiHandler, route


def _register(session, body: NewAsset, actor):
    """What the path or key leads to, and whether it may, is for ``assets`` to check."""
    common = {"media_type": body.media_type, "sha256": body.sha256, "metadata": body.metadata, "actor": actor}
    if body.path is not None:
        return assets.register_file(session, body.project, body.path, **common).to_dict()
    common["media_type"] = common["media_type"] or "image"
    return assets.register_s3(session, body.project, body.s3_key, bucket=body.bucket, width=body.width,
                              height=body.height, **common).to_dict()


class AssetsHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        project = self.get_query_argument("project", None)
        if not project:
            raise ValidationError("project", "is required (a project slug)")
        await self.send_page(assets.list_, project)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body_as(NewAsset)
        self.send(await self.write_store(_register, body, self.current_user.username), 201)


class AssetHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def get(self, asset_id: str) -> None:
        self.send(await self.read_store(lambda s: assets.get(s, int(asset_id)).to_dict()))

    @web.authenticated
    @authorized
    async def delete(self, asset_id: str) -> None:
        await self.write_store(assets.delete, int(asset_id), actor=self.current_user.username)
        self.set_status(204)
        self.finish()


default_handlers = [
    (route("/assets"), AssetsHandler),
    (route(f"/assets/(?P<asset_id>{ID})"), AssetHandler),
]
