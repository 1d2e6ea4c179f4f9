"""``workbench link-out links`` (each link's entry URL, to paste into the panel) and ``workbench link-out sheet``
(the payment sheet as CSV, for the panel's own payment run)."""

from __future__ import annotations

import click

from workbench.crowd import providers, work
from .base import State, cli, emit

PROVIDER = "link-out"


@cli.group("link-out")
@click.option("--environment", "-e", envvar="LINKOUT_ENVIRONMENT", default=None,
              type=click.Choice(["local", "production"]),
              help="local (pilots, default) or production; also LINKOUT_ENVIRONMENT.")
@click.pass_context
def link_out(ctx: click.Context, environment: str | None) -> None:
    """A link-out panel (no API): its links and its payment sheet."""
    ctx.obj = (ctx.find_object(State), environment)


def _provider(state: State, environment: str | None):
    # Listing links and writing the sheet read the store and spend nothing: production needs no confirmation.
    return providers.get_provider(PROVIDER, environment, store=state.store(), confirm_production=True)


@link_out.command("links")
@click.option("--project", default=None, metavar="SLUG", help="Only this project's links.")
@click.option("--json", "as_json", is_flag=True, help="Print the links as JSON.")
@click.pass_obj
def links(obj: tuple[State, str | None], project: str | None, as_json: bool) -> None:
    """Each link with its status, places and the entry URL to paste into the panel (it ends in ``<id_param>=``:
    the panel appends its participant id, or its own placeholder goes after the ``=``)."""
    rows = [{"link": h["hit_id"], "status": h["status"], "places": h["max_assignments"], "round": h["round"],
             "entry_url": (h.get("payload") or {}).get("entry_url", "")}
            for h in work.list_(_provider(*obj), project=project, limit=1000)]
    emit(rows, as_json, "\n".join(f"{r['link']}  {r['status']:<12} {r['places']:>5} places  {r['entry_url']}"
                                   for r in rows) or "no links")


@link_out.command("sheet")
@click.option("--project", required=True, metavar="SLUG", help="The project whose sessions to list.")
@click.option("--out", required=True, metavar="FILE", help="The CSV file to write.")
@click.option("--new-only", is_flag=True, help="Only what no earlier export (payout batch) covered: new sessions, "
                                               "and of the others only what they are owed since.")
@click.option("--no-record", "no_record", is_flag=True, help="Do not record this export as a payout batch (a "
                                                             "look, not a payment run).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def sheet(obj: tuple[State, str | None], project: str, out: str, new_only: bool, no_record: bool,
          as_json: bool) -> None:
    """One row per finished session: participant id, link, session, code, status, reward and bonus owed
    (cents and major units), reviewed at, feedback, what earlier batches paid. Each export is recorded as a
    payout batch, so that --new-only pays nobody twice."""
    result = _provider(*obj).write_payment_sheet(project, out, new_only=new_only, record=not no_record)
    earlier = result["earlier_rows"]
    note = ("" if not earlier else
            f"; {earlier} of the project's sessions were in earlier batches"
            + (" (only what they are owed since is listed)" if new_only else " (pay only --new-only rows)"))
    batch = f" as batch {result['batch']}" if result["batch"] else " (not recorded)"
    emit(result, as_json, f"wrote {result['rows']} rows to {result['path']} ({result['environment']}){batch}: "
                          f"{result['owed']} owed in all{note}")
