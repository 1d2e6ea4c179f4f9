"""Commands that only some platforms have, shown by a provider's group when it can do them.

``hooks setup`` (Prolific's webhooks to this workbench's hook route; the secret goes to a file, never the screen).

``hits pause``, ``resume`` and ``stop`` (Prolific's study transitions), ``review bulk-approve`` and
``review request-return``: template commands (``crowd_cmds.crowd``) that each name the capability
they need (``crowd.capabilities``), so ``workbench prolific studies pause`` exists and ``workbench
mturk hits pause`` does not, without a look at the provider's name.
"""

from __future__ import annotations

import os

import click

from ..crowd import capabilities, work
from ..crowd import review as service
from .base import emit
from .crowd_cmds import Ctx, crowd, pass_ctx, work_command
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


@_needs(capabilities.WEBHOOKS)
@crowd.group("hooks")
def hooks() -> None:
    """The platform's signed webhooks to this workbench's hook route."""


@hooks.command("setup")
@click.option("--base-url", default=None, help="The public origin the hook route answers at "
                                                "(default: WORKBENCH_PUBLIC_BASE_URL); https outside local.")
@click.option("--secret-file", type=click.Path(dir_okay=False), required=True,
              help="Where the workspace's hook secret is written (mode 600), for PROLIFIC_WEBHOOK_SECRET; "
                   "it is never printed.")
@click.option("--rotate", is_flag=True, help="Replace the workspace's secret (every server then needs the new one).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def hooks_setup(ctx: Ctx, base_url, secret_file, rotate, as_json) -> None:
    """Subscribe the hook route to the platform's status events, confirmed; a rerun makes nothing twice."""
    capabilities.require(ctx.provider, capabilities.WEBHOOKS)
    done = ctx.provider.setup_hooks(base_url=base_url, rotate=rotate, actor="cli")
    handle = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w") as out:
        out.write(done.secret + "\n")
    os.chmod(secret_file, 0o600)  # an existing file keeps its mode through O_CREAT
    summary = done.to_dict()
    lines = [f"hooks to {done.target_url}: subscribed {', '.join(done.subscribed) or 'nothing new'}"
             + (f"; already there: {', '.join(done.kept)}" if done.kept else ""),
             f"secret {'made' if done.secret_created else 'kept'}; written to {secret_file}: set it as "
             "PROLIFIC_WEBHOOK_SECRET on every worker server"]
    lines += [f"still enabled elsewhere: {e['event_type']} -> {e['target_url']} (delete it on the platform if old)"
              for e in done.elsewhere]
    emit(summary, as_json, "\n".join(lines))
