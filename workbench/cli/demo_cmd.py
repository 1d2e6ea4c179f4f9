"""``workbench demo``: the whole study offline, on the embedded store (created if need be)."""

from __future__ import annotations

import json

import click

from .base import State, cli

#: The providers the demo runs on (``devtools.recruit.NAMES``, named here so that --help loads no dev tool).
DEMO_PROVIDERS = ("mturk", "prolific", "link-out")


@cli.command()
@click.option("--headless", is_flag=True, help="Run steps 1-6 and stop every server; the last line is a JSON summary.")
@click.option("--tasks", "n_tasks", default=6, show_default=True, help="Images to annotate.")
@click.option("--workers-per-task", default=2, show_default=True, help="Simulated workers per task (for agreement).")
@click.option("--provider", default="mturk", show_default=True, type=click.Choice(DEMO_PROVIDERS),
              help="The crowd platform the study runs on, each with its local simulator.")
@click.option("--project-only", is_flag=True, help="Only create the demo project and its tasks.")
@click.pass_obj
def demo(state: State, headless: bool, n_tasks: int, workers_per_task: int, provider: str,
         project_only: bool) -> None:
    """The demo study: project, simulator, server, posted work, simulated people, sync, ingest, review, a bonus
    and exports, on MTurk, Prolific or a link-out panel (--provider).

    Each run makes a new project: `demo`, or `demo-2`, `demo-3`, … when that exists; earlier
    demo projects are kept as they are. The summary names the project. Without --headless,
    JupyterLab (the panels) and Voila (the dashboard) start afterwards, until Ctrl-C or SIGTERM;
    either stops every server the demo started.
    """
    if project_only:
        # dev tools are loaded only by the demo command; the other commands start without them
        from workbench.devtools import demo as demo_core

        made = demo_core.run(state.store(create=True), n_tasks=n_tasks, echo=click.echo)
        click.echo(json.dumps(made, default=str))
        return
    # dev tools are loaded only by the demo command; the other commands start without them
    from workbench.devtools import demo_study
    from workbench.devtools.child_servers import Stopped

    try:
        summary = demo_study.run(headless=headless, n_tasks=n_tasks, workers_per_task=workers_per_task,
                                 provider=provider, echo=click.echo, database_url=state.database_url)
    except Stopped as stop:
        click.echo(f"{stop.name}: the demo stopped before the end; every server it started is stopped", err=True)
        raise SystemExit(128 + stop.signum) from None
    click.echo(json.dumps(summary, default=str))
