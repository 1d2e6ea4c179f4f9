"""``workbench export --project SLUG --format … --out PATH [--s3 s3://bucket/key]``."""

from __future__ import annotations

import click

from workbench.results.exports import FORMATS, export
from .base import State, cli, emit


@cli.command("export")
@click.option("--project", default=None, metavar="SLUG", help="The project to export (default: every project).")
@click.option("--format", "fmt", required=True,
              type=click.Choice(FORMATS),
              help="The annotation join as a file, COCO (boxes and polygons) or the long (rater, unit, value) table.")
@click.option("--out", required=True, metavar="PATH", help="The file to write (the long table's format follows "
                                                            "its suffix: .csv, .jsonl, .json, else Parquet).")
@click.option("--s3", "s3_uri", default=None, metavar="s3://BUCKET/KEY", help="Upload the file there as well.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def export_cmd(state: State, project: str | None, fmt: str, out: str, s3_uri: str | None, as_json: bool) -> None:
    """Export annotations with DuckDB, streaming (memory stays flat as the data grows)."""
    result = export(state.store(), project, fmt, out, s3_uri=s3_uri)
    where = result.path + (f" and {result.s3_uri}" if result.s3_uri else "")
    emit(result.to_dict(), as_json, f"wrote {result.rows} rows ({result.format}) to {where}")
