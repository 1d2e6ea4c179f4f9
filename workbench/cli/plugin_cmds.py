"""``workbench plugins …``: publish the annotation plugins' files to S3 for a bucket- or CDN-served deployment."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.study.plugin_upload import upload as publish
from .. import resources
from .base import cli, emit


@cli.group()
def plugins() -> None:
    """Annotation plugins."""


@plugins.command("upload")
@click.option("--bucket", required=True, help="S3 bucket to publish to.")
@click.option("--prefix", default="plugins", show_default=True, help="Key prefix inside the bucket.")
@click.option("--plugins-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Plugins folder (default: the repository's plugins/), plus plugins of installed packages.")
@click.option("--endpoint-url", default=None,
              help="S3-compatible endpoint (MinIO, a test server); default: AWS.")
@click.option("--json", "as_json", is_flag=True)
def upload(bucket: str, prefix: str, plugins_dir: Path | None, endpoint_url: str | None, as_json: bool) -> None:
    """Upload each plugin to s3://BUCKET/PREFIX/<name>/<version>/ with immutable cache headers (no source maps).

    Then set WORKBENCH_PLUGINS_URL (c.WorkbenchApp.plugins_url) to the bucket's or the CDN's
    URL for PREFIX, so worker pages load each task's plugin version from there.
    """
    client = None
    if endpoint_url:
        # boto3 is heavy (~0.15 s); loaded only when S3 is used, not on every start of the CLI
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint_url)
    result = publish(bucket, prefix=prefix, plugins_dir=plugins_dir or resources.plugins_root(), client=client)
    base = f"https://{bucket}.s3.amazonaws.com/{result.prefix}".rstrip("/")
    emit({**result.to_dict(), "plugins_url": base}, as_json,
         f"{len(result.uploaded)} file(s) uploaded, {len(result.unchanged)} already there, "
         f"{len(result.excluded)} left out, for {', '.join(result.plugins)}\n"
         f"set WORKBENCH_PLUGINS_URL={base} (or your CDN's URL for it)")
