"""``workbench demo``: the whole study offline, on the embedded store."""

from __future__ import annotations

import json

import click

from . import State, cli


@cli.command()
@click.option("--headless", is_flag=True, help="Run without leaving servers up; the last line is a JSON summary.")
@click.option("--tasks", "n_tasks", default=12, show_default=True, help="Images to annotate.")
@click.pass_obj
def demo(state: State, headless: bool, n_tasks: int) -> None:
    """Create a demo project with generated images and tasks, and show what was made."""
    from .. import demo as demo_core

    summary = demo_core.run(state.store(), n_tasks=n_tasks, echo=click.echo)
    click.echo(json.dumps(summary, default=str))
