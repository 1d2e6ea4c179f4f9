"""Researcher API: assets (register a local file or an S3 object, read, list, delete)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from workbench.study import assets
from workbench.errors import ValidationError
from workbench.study.tasks import check_int

from .base import ID, ApiHandler, route

FIELDS = {"project", "path", "s3_key", "bucket", "media_type", "sha256", "width", "height", "metadata"}
TEXT = ("s3_key", "bucket", "media_type", "sha256")


def _check_shape(body: dict) -> None:
    """Each field's type; what the path or key leads to, and whether it may, is for ``assets`` to check."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ValidationError(unknown[0], f"is not an asset field ({', '.join(sorted(FIELDS))})")
    if "project" not in body:
        raise ValidationError("project", "is required")
    if ("path" in body) == ("s3_key" in body):
        raise ValidationError("path", "give either path (a local file) or s3_key (an S3 object)")
    if "path" in body and (not isinstance(body["path"], str) or not body["path"]):
        raise ValidationError("path", "must be a file path")
    for field in TEXT:
        if body.get(field) is not None and not isinstance(body[field], str):
            raise ValidationError(field, "must be a string")
    for field in ("width", "height"):
        if body.get(field) is not None:
            check_int(field, body[field])
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise ValidationError("metadata", "must be a JSON object")


def _register(session, body, actor):
    _check_shape(body)
    common = {"media_type": body.get("media_type"), "sha256": body.get("sha256"), "metadata": body.get("metadata"),
              "actor": actor}
    if "path" in body:
        return assets.register_file(session, body["project"], body["path"], **common).to_dict()
    common["media_type"] = common["media_type"] or "image"
    return assets.register_s3(session, body["project"], body["s3_key"], bucket=body.get("bucket"),
                              width=body.get("width"), height=body.get("height"), **common).to_dict()


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
        body = self.json_object()
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
