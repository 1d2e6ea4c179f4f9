"""``workbench mturk review …`` and ``workbench mturk payments …``: the crowd review service on the command line.

Each command parses its options, calls one function of ``workbench.crowd`` and prints. The groups
belong to the template of every provider's group (``crowd_cmds.crowd``): ``workbench prolific
review …`` is the same command in Prolific's words.
"""

from __future__ import annotations

import click

from ..crowd import money, payments
from ..crowd import review as service
from .base import emit
from .crowd_cmds import Ctx, _cents, crowd, pass_ctx


@crowd.group()
def review() -> None:
    """Approve, reject, bonus, block, unblock."""


@review.command("approve")
@click.argument("assignment_ids", nargs=-1, required=True)
@click.option("--feedback", default="")
@click.option("--override", is_flag=True,
              help="Approve over an earlier rejection, or link-out work whose completion code is wrong or missing.")
@pass_ctx
def review_approve(ctx: Ctx, assignment_ids, feedback, override) -> None:
    """Approve assignments (and pay their rewards)."""
    for assignment_id in assignment_ids:
        row = service.approve(ctx.provider, assignment_id, feedback=feedback, override=override, actor="cli")
        click.echo(f"{row.assignment_id} {row.status}")


@review.command("reject")
@click.argument("assignment_ids", nargs=-1, required=True)
@click.option("--feedback", required=True, help="Why; the platform shows it to the worker.")
@click.option("--category", default=None,
              help="The platform's rejection category, where it has them (Prolific: LOW_EFFORT, FAILED_CHECK, …).")
@pass_ctx
def review_reject(ctx: Ctx, assignment_ids, feedback, category) -> None:
    """Reject assignments, saying why."""
    for assignment_id in assignment_ids:
        row = service.reject(ctx.provider, assignment_id, feedback, category=category, actor="cli")
        click.echo(f"{row.assignment_id} {row.status}")


@review.command("bonus")
@click.argument("assignment_id")
@click.option("--amount", required=True, help="Dollars, e.g. 0.25.")
@click.option("--reason", required=True, help="Shown to the worker.")
@click.option("--key", default=None,
              help="Idempotency key. Default: derived from the assignment, amount and reason, so running the "
                   "same command again never pays again; a deliberate second bonus needs a new key.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def review_bonus(ctx: Ctx, assignment_id, amount, reason, key, as_json) -> None:
    """Pay a bonus for an assignment, exactly once (a rerun answers "already paid")."""
    result = service.bonus(ctx.provider, assignment_id, _cents(amount, "--amount"), reason, key=key, actor="cli")
    emit(result.to_dict(), as_json, result.summary)


@review.command("block")
@click.argument("worker_id")
@click.option("--reason", required=True, help="Why (the platform keeps it).")
@pass_ctx
def review_block(ctx: Ctx, worker_id, reason) -> None:
    """Block a worker from all your work."""
    service.block(ctx.provider, worker_id, reason, actor="cli")
    click.echo(f"{worker_id} blocked")


@review.command("unblock")
@click.argument("worker_id")
@click.option("--reason", default="")
@pass_ctx
def review_unblock(ctx: Ctx, worker_id, reason) -> None:
    """Lift the block of a worker whose work is recorded here."""
    service.unblock(ctx.provider, worker_id, reason=reason, actor="cli")
    click.echo(f"{worker_id} unblocked")


@crowd.group("payments")
def payments_group() -> None:
    """The payment ledger: every bonus, and how it stands against the platform."""


@payments_group.command("list")
@click.option("--assignment", "assignment_id", default=None)
@click.option("--worker", "worker_id", default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def payments_list(ctx: Ctx, assignment_id, worker_id, limit, as_json) -> None:
    """Ledger rows, newest first: key, status, amount, confirmation."""
    rows = payments.ledger(ctx.provider, assignment_id=assignment_id, worker_id=worker_id, limit=limit)
    lines = [f"{r['id']:>5}  {r['status']:<8} {money.display(r['amount_cents'])}  {r['assignment_id']}  "
             f"{'confirmed' if r['confirmed_at'] else 'unconfirmed'}  {r['idempotency_key']}" for r in rows]
    emit(rows, as_json, "\n".join(lines) or "no payments")


@payments_group.command("reconcile")
@click.option("--project", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def payments_reconcile(ctx: Ctx, project, as_json) -> None:
    """The ledger against the platform's list of bonuses; exit 1 if they disagree."""
    report = payments.reconcile(ctx.provider, project=project, actor="cli")
    lines = [f"{report.hits_checked} {ctx.words.works} checked, {report.confirmed} payments confirmed, "
             f"{len(report.pending)} never sent"]
    lines += [f"paid here, not shown by the platform: bonus {r['bonus_id']} {r['assignment_id']}"
              for r in report.not_shown]
    lines += [f"shown by the platform, pending here: bonus {r['bonus_id']} {r['assignment_id']} "
              f"(rerun its bonus to record it)" for r in report.paid_not_recorded]
    lines += [f"paid on the platform, not in the ledger: {r['assignment_id']} {money.display(r['amount_cents'])} "
              f"{r['reason']!r}" for r in report.unknown]
    emit(report.to_dict(), as_json, "\n".join(lines))
    if not report.clean:
        raise SystemExit(1)


@payments_group.command("release")
@click.argument("bonus")
@click.option("--paid/--not-paid", default=None,
              help="What the platform's own record shows, when it cannot be read from here (Prolific: the "
                   "submission's bonus payments). --not-paid makes the bonus retryable: its next run sends it.")
@click.option("--reason", default="", help="What you checked; required with --paid or --not-paid.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def payments_release(ctx: Ctx, bonus, paid, reason, as_json) -> None:
    """Settle a bonus whose payment's outcome is unknown (BONUS: its id or key).

    Without --paid/--not-paid it is settled only if the platform's record shows the payment."""
    result = payments.release(ctx.provider, bonus, paid=paid, actor="cli", reason=reason)
    emit(result.to_dict(), as_json, f"bonus {result.id} released: {result.status}")
