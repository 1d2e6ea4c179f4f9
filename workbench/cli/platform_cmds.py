"""Commands that only some platforms have, shown by a provider's group when it can do them.

``hits pause``, ``resume`` and ``stop`` (Prolific's study transitions), ``review bulk-approve`` and
``review request-return``: template commands (``crowd_cmds.crowd``) that each name the capability
they need (``crowd.capabilities``), so ``workbench prolific studies pause`` exists and ``workbench
mturk hits pause`` does not, without a look at the provider's name.
"""

from __future__ import annotations

import click

from ..crowd import capabilities, work
from ..crowd import review as service
from .base import emit
from .crowd_cmds import Ctx, pass_ctx, work_command
from .review_cmds import review


def _needs(capability: str):
    def mark(command: click.Command) -> click.Command:
        command.needs = capability
        return command
    return mark


hits_pause = work_command("pause", capabilities.pause, "paused",
                          "Stop taking new workers on a HIT for now (resume takes them again).",
                          needs=capabilities.PAUSE)
hits_resume = work_command("resume", capabilities.resume, "resumed", "Take workers on a paused HIT again.",
                           needs=capabilities.PAUSE)
hits_stop = work_command("stop", work.expire, "stopped", "End a HIT for good: no new workers, no resume (what expire "
                         "does).", needs=capabilities.PAUSE)


@_needs(capabilities.BULK_APPROVE)
@review.command("bulk-approve")
@click.argument("assignment_ids", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def review_bulk_approve(ctx: Ctx, assignment_ids, as_json) -> None:
    """Approve assignments in one call per HIT, under the rules of one approval; exit 1 if any was refused."""
    result = service.bulk_approve(ctx.provider, assignment_ids, actor="cli")
    lines = [f"{a} approved" for a in result["approved"]] + [f"{f['assignment_id']} refused: {f['error']}"
                                                               for f in result["failed"]]
    emit(result, as_json, "\n".join(lines))
    if result["failed"]:
        raise SystemExit(1)


@_needs(capabilities.REQUEST_RETURN)
@review.command("request-return")
@click.argument("assignment_id")
@click.option("--reason", "reasons", multiple=True, required=True, help="Why (shown to the worker); repeatable.")
@pass_ctx
def review_request_return(ctx: Ctx, assignment_id, reasons) -> None:
    """Ask the worker to return an assignment (unpaid; the place opens again)."""
    capabilities.request_return(ctx.provider, assignment_id, list(reasons), actor="cli")
    click.echo(f"{assignment_id}: return requested")
