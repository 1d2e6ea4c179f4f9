"""``workbench run sync|ingest|export -p NAME VALUE``: the scheduled notebooks, run by papermill."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from .. import jobs
from ..jobs import JOBS
from .base import State, cli, emit


def parse_value(value: str) -> Any:
    """A parameter value as papermill's CLI reads it: numbers, true/false/none and JSON, else the text."""
    lowered = value.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return json.loads(value)
    except ValueError:
        return value


@cli.command("run")
@click.argument("job", type=click.Choice(JOBS))
@click.option("-p", "--parameter", "parameters", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A notebook parameter (repeatable).")
@click.option("--wait", default=0.0, show_default=True, metavar="SECONDS",
              help="If another run of this job is in progress, wait this long for it before skipping.")
@click.option("--timeout", "execution_timeout", default=None, type=float, metavar="SECONDS",
              help="Fail a cell that runs longer than this.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.pass_obj
def run_job(state: State, job: str, parameters: tuple[tuple[str, str], ...], wait: float,
            execution_timeout: float | None, as_json: bool) -> None:
    """Run the JOB notebook with papermill; the run and its executed notebook are recorded.

    A second run of the same job while one is in progress is skipped with a message and
    exit status 0 (cron stays quiet); a failed run exits 1 and names the kept notebook.
    """
    values = {name: parse_value(value) for name, value in parameters}
    try:
        result = jobs.run(job, values, store=state.store(), wait=wait, execution_timeout=execution_timeout)
    except jobs.JobBusy as exc:
        click.echo(f"skipped: {exc}", err=True)
        return
    run = result.run
    emit(result.to_dict(), as_json,
         f"{job} run {run['id']} succeeded in {_seconds(run)}; notebook: {run['output_path']}"
         + (f"\n{json.dumps(result.summary)}" if result.summary else ""))


@cli.command("runs")
@click.argument("job", required=False, type=click.Choice(JOBS))
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_runs(state: State, job: str | None, limit: int, as_json: bool) -> None:
    """The latest job runs, newest first."""
    rows = jobs.history(state.store(), job, limit=limit)
    lines = [f"{r['id']:>5}  {r['job']:<7} {r['status']:<10} {r['started_at']}  {r['error'][:60]}" for r in rows]
    emit(rows, as_json, "\n".join(lines) or "no runs yet")


def _seconds(run: dict[str, Any]) -> str:
    if not run.get("finished_at"):
        return "?"
    delta = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
    return f"{delta.total_seconds():.1f}s"
