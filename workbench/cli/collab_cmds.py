"""``workbench collab-demo`` and ``workbench collab export``: collaboration studies from the command line."""

from __future__ import annotations

import json

import click

from ..collab import export
from .base import cli, emit


@cli.command("collab-demo")
@click.option("--headless", is_flag=True, help="Run a simulated worker against the local agent and exit.")
@click.option("--sessions", "n_sessions", default=1, show_default=True, type=click.IntRange(1, 50))
@click.pass_obj
def collab_demo(state, headless: bool, n_sessions: int) -> None:
    """A word-guessing session over the real WebSocket; the last line is a JSON summary."""
    # the dev tools' collab demo brings httpx and websockets (~0.15 s); loaded only by this command
    from workbench.devtools.collab import demo, runner

    store = state.store(create=True)  # a demo, like `workbench demo`: it may make the store it runs in
    if headless:
        summary = demo.run(store, n_sessions=n_sessions, echo=lambda line: click.echo(line, err=False))
        click.echo(json.dumps(summary))
        return
    demo.ensure_study(store)
    with runner.start(store.url) as server:
        click.echo("Open this link in a browser (each new assignmentId is a new worker):")
        click.echo(server.join_url(demo.STUDY, "YOU", "LOCAL-1", "DEMOHIT"))
        click.echo("Press Ctrl-C to stop.")
        try:
            server.proc.wait()
        except KeyboardInterrupt:
            pass


@cli.group("collab")
def collab_group() -> None:
    """Collaboration studies: transcripts and figures."""


@collab_group.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--study", default=None, help="Only this study (slug).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default=None,
              help="Default: from the file's suffix.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def collab_export(state, out: str, study: str | None, fmt: str | None, as_json: bool) -> None:
    """Write transcripts and actions, one row per message or action."""
    result = export.export(state.store(), out, fmt, study=study)
    emit(result, as_json, f"{result['rows']} rows written to {result['path']}")
