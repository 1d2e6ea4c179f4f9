"""``workbench link-out sheet``: a link-out panel's payment sheet as CSV, for the panel's own payment run."""

from __future__ import annotations

import click

from workbench.crowd import providers
from .base import State, cli, emit

PROVIDER = "link-out"


@cli.group("link-out")
@click.option("--environment", "-e", envvar="LINKOUT_ENVIRONMENT", default=None,
              type=click.Choice(["local", "production"]),
              help="local (pilots, default) or production; also LINKOUT_ENVIRONMENT.")
@click.pass_context
def link_out(ctx: click.Context, environment: str | None) -> None:
    """A link-out panel (no API): its payment sheet."""
    ctx.obj = (ctx.find_object(State), environment)


@link_out.command("sheet")
@click.option("--project", required=True, metavar="SLUG", help="The project whose sessions to list.")
@click.option("--out", required=True, metavar="FILE", help="The CSV file to write.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def sheet(obj: tuple[State, str | None], project: str, out: str, as_json: bool) -> None:
    """One row per finished session: participant id, link, session, code, status, reward and bonus owed
    (cents and major units), reviewed at, feedback."""
    state, environment = obj
    # Writing the sheet reads the store and spends nothing: production needs no confirmation for it.
    provider = providers.get_provider(PROVIDER, environment, store=state.store(), confirm_production=True)
    result = provider.write_payment_sheet(project, out)
    emit(result, as_json, f"wrote {result['rows']} rows to {result['path']} ({result['environment']}): "
                          f"{result['owed']} owed in all")
