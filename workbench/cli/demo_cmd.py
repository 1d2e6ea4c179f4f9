"""``workbench demo``: the whole study offline, on the embedded store."""

from __future__ import annotations

import json

import click

from . import State, cli


@cli.command()
@click.option("--headless", is_flag=True, help="Run steps 1-6 and stop every server; the last line is a JSON summary.")
@click.option("--tasks", "n_tasks", default=6, show_default=True, help="Images to annotate.")
@click.option("--workers-per-task", default=2, show_default=True, help="Simulated workers per task (for agreement).")
@click.option("--project-only", is_flag=True, help="Only create the demo project and its tasks.")
@click.pass_obj
def demo(state: State, headless: bool, n_tasks: int, workers_per_task: int, project_only: bool) -> None:
    """The demo study: project, simulator, server, HITs, simulated workers, sync, ingest and export.

    Without --headless, JupyterLab (the panels) and Voila (the dashboard) start afterwards.
    """
    if project_only:
        from .. import demo as demo_core

        click.echo(json.dumps(demo_core.run(state.store(), n_tasks=n_tasks, echo=click.echo), default=str))
        return
    from .. import demo_study

    summary = demo_study.run(headless=headless, n_tasks=n_tasks, workers_per_task=workers_per_task, echo=click.echo,
                             database_url=state.database_url)
    click.echo(json.dumps(summary, default=str))
