"""``workbench assets add`` and ``workbench assets list``: register a project's images and other media."""

from __future__ import annotations

import click

from workbench.study import assets as core
from .base import State, cli, emit


@cli.group()
def assets() -> None:
    """Media files (local or in S3) that tasks show."""


@assets.command("add")
@click.argument("sources", nargs=-1, required=True, metavar="FILES…")
@click.option("--project", "project_slug", required=True, help="Project slug.")
@click.option("--media-type", type=click.Choice(core.MEDIA_TYPES), default=None,
              help="Media type of every file (default: guessed from each file's name).")
@click.option("--endpoint-url", default=None, help="S3-compatible endpoint for s3:// sources (default: AWS).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def assets_add(state: State, sources: tuple[str, ...], project_slug: str, media_type: str | None,
               endpoint_url: str | None, as_json: bool) -> None:
    """Register FILES… with the project, all or nothing: files, globs, folders (recursively), s3://bucket/key
    or s3://bucket/prefix/. A file registered before is not registered twice."""
    client = core.s3_client(endpoint_url) if endpoint_url else None
    with state.store().transaction() as session:
        data = core.add(session, project_slug, sources, media_type=media_type, client=client, actor="cli").to_dict()
    emit(data, as_json, f"{len(data['assets'])} asset(s) in {data['project']}: {data['new']} new, "
                        f"{data['existing']} already registered")


@assets.command("list")
@click.option("--project", "project_slug", required=True, help="Project slug.")
@click.option("--limit", default=1000, show_default=True, help="At most this many assets.")
@click.option("--offset", default=0, show_default=True, help="Skip this many first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def assets_list(state: State, project_slug: str, limit: int, offset: int, as_json: bool) -> None:
    """List a project's assets: id, media type, size, sha256 and where the file is."""
    with state.store().session() as session:
        rows = [a.to_dict() for a in core.list_(session, project_slug, limit=limit, offset=offset)]
    lines = [_line(r) for r in rows] or [f"no assets in {project_slug} yet"]
    if len(rows) == limit:
        lines.append(f"(showing {limit} from offset {offset}; --offset {offset + limit} for more)")
    emit(rows, as_json, "\n".join(lines))


def _line(row: dict) -> str:
    size = row["meta"].get("size_bytes")
    shape = f"{row['width']}x{row['height']}" if row["width"] else "-"
    where = row["local_path"] or f"s3://{row['s3_bucket']}/{row['s3_key']}"
    return (f"{row['id']:>6}  {row['media_type']:<6} {shape:>11} {'-' if size is None else size:>10} B  "
            f"{(row['sha256'] or '-')[:12]:<12}  {where}")
