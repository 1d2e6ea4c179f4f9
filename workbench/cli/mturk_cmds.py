"""``workbench mturk …`` (HITs, sync, ingest, review, balance) and ``workbench mturk-sim``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from workbench.crowd import providers
from ..crowd import money, work
from ..errors import ConflictError, ValidationError
from .base import State, cli, emit


class Ctx:
    """The store and the provider, made on first use so that ``--help`` needs neither."""

    def __init__(self, state: State, environment: str | None, confirm_production: bool, endpoint_url: str | None):
        self.state, self.environment = state, environment
        self.confirm_production, self.endpoint_url = confirm_production, endpoint_url
        self._provider = None

    @property
    def provider(self):
        if self._provider is None:
            env, _ = providers.place("mturk", self.environment, confirm_production=self.confirm_production)
            options = {"endpoint_url": self.endpoint_url} if self.endpoint_url else {}
            self._provider = providers.get_provider("mturk", env, store=self.state.store(),
                                          confirm_production=self.confirm_production, **options)
        return self._provider


pass_ctx = click.make_pass_decorator(Ctx)


def _cents(value: str, param: str) -> int:
    try:
        return money.parse(value, param)
    except ValidationError as exc:
        raise click.BadParameter(exc.reason or str(exc), param_hint=param) from None


@cli.group()
@click.option("--environment", "-e", envvar="MTURK_ENVIRONMENT", default=None,
              type=click.Choice(["local", "sandbox", "production"]),
              help="local (the simulator, default), sandbox or production; also MTURK_ENVIRONMENT.")
@click.option("--confirm-production", is_flag=True, help="Required to act in production (real money).")
@click.option("--endpoint-url", default=None, help="Override the endpoint (default: from the environment).")
@click.pass_context
def mturk(ctx: click.Context, environment, confirm_production, endpoint_url) -> None:
    """Amazon Mechanical Turk: HITs, sync, ingest, review, balance."""
    ctx.obj = Ctx(ctx.find_object(State), environment, confirm_production, endpoint_url)


# -- HITs ---------------------------------------------------------------------------------

@mturk.group()
def hits() -> None:
    """Create, list, extend, expire and associate HITs."""


@hits.command("create")
@click.option("--project", required=True, help="Project slug.")
@click.option("--task", "task_ids", type=int, multiple=True, help="Task id (repeatable); default: every pending task.")
@click.option("--spec", "spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file with the WorkSpec fields; options below override it.")
@click.option("--title")
@click.option("--description")
@click.option("--reward", help="Reward per assignment in dollars, e.g. 0.50.")
@click.option("--max-assignments", type=int)
@click.option("--duration", type=int, help="Seconds a worker has once they accept.")
@click.option("--lifetime", type=int, help="Seconds the HIT stays on offer.")
@click.option("--auto-approval-delay", type=int, help="Seconds until submitted work is approved automatically.")
@click.option("--keywords", help="Comma-separated.")
@click.option("--frame-height", type=int)
@click.option("--mode", type=click.Choice(["external", "link-out"]))
@click.option("--locale", "locales", multiple=True, help="Country (US) or subdivision (US-NY); repeatable.")
@click.option("--min-approval-rate", type=int)
@click.option("--min-approved", type=int)
@click.option("--masters", is_flag=True, default=None)
@click.option("--exclude-past", is_flag=True, default=None, help="Exclude workers who took part in this project.")
@click.option("--exclude-project", "exclude_projects", multiple=True, help="Exclude participants of this project.")
@click.option("--round", "round_", type=int, default=0, show_default=True,
              help="A new round makes new HITs for the same tasks.")
@click.option("--batch-size", type=int, default=50, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def hits_create(ctx: Ctx, project, task_ids, spec_file, title, description, reward, max_assignments, duration,
                lifetime, auto_approval_delay, keywords, frame_height, mode, locales, min_approval_rate, min_approved,
                masters, exclude_past, exclude_projects, round_, batch_size, quiet, as_json) -> None:
    """Create one HIT per task; a rerun never makes a second HIT for the same task and round."""
    from tqdm import tqdm  # only this command draws a progress bar

    data = json.loads(spec_file.read_text()) if spec_file else {}
    for key, value in (("title", title), ("description", description), ("max_assignments", max_assignments),
                       ("duration", duration), ("lifetime", lifetime), ("auto_approval_delay", auto_approval_delay),
                       ("keywords", keywords), ("frame_height", frame_height), ("mode", mode)):
        if value is not None:
            data[key] = value
    if reward is not None:
        data["reward_cents"] = _cents(reward, "--reward")
    quals = dict(data.get("qualifications") or {})
    for key, value in (("locales", list(locales) or None), ("min_approval_rate", min_approval_rate),
                       ("min_approved", min_approved), ("masters", masters),
                       ("exclude_past_participants", exclude_past),
                       ("exclude_projects", list(exclude_projects) or None)):
        if value is not None:
            quals[key] = value
    data["qualifications"] = quals
    for needed in ("title", "description", "reward_cents"):
        if needed not in data:
            raise click.UsageError(f"--{needed.replace('_cents', '').replace('_', '-')} is required (or give --spec)")
    spec = providers.WorkSpec.from_dict(data)
    provider = ctx.provider
    with provider.store.session() as s:  # the one rule: pending tasks not yet on a HIT in this environment
        ids = list(task_ids) or work.select_tasks(s, project, environment=provider.environment, limit=1_000_000)
    with tqdm(total=len(ids), unit="HIT", disable=quiet) as bar:
        result = work.create(provider, project, spec, ids, round=round_, batch_size=batch_size,
                             progress=bar.update, actor="cli")
    emit(result.to_dict(), as_json, f"{result.created} HITs created, {result.recovered} recovered, "
                                    f"{result.existing} already recorded ({provider.environment})")
    _refuse_conflicts(result.conflicts)


def _refuse_conflicts(conflicts: list[dict]) -> None:
    """Exit 1 naming each id MTurk gave that the store holds for other work (nothing was merged)."""
    if conflicts:
        named = "; ".join(f"{c['kind']} {c.get('assignment_id') or c['hit_id']} is recorded for task "
                          f"{c.get('recorded_task_id')}, MTurk gave it for task {c.get('task_id')}" for c in conflicts)
        raise ConflictError(f"{len(conflicts)} conflict(s), left unrecorded: {named}", field="hit_id",
                            reason="held for another task",
                            hint="is the store pointed at another MTurk (a new simulator)? `workbench mturk "
                                 "reconcile` and the events of type mturk.conflict have the details")


@hits.command("list")
@click.option("--project", default=None)
@click.option("--status", default=None)
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def hits_list(ctx: Ctx, project, status, limit, as_json) -> None:
    """HITs recorded in this environment."""
    rows = work.list_(ctx.provider, project=project, status=status, limit=limit)
    lines = [f"{r['hit_id']}  task {r['task_id']!s:>6}  {r['status']:<12} {r['max_assignments']} x "
             f"{money.display(r['reward_cents'])}  {r['title']}" for r in rows] or ["no HITs"]
    emit(rows, as_json, "\n".join(lines))


@hits.command("extend")
@click.argument("hit_id")
@click.option("--assignments", type=int, default=0, help="How many more assignments.")
@click.option("--seconds", type=int, default=0, help="How much longer the HIT stays on offer.")
@pass_ctx
def hits_extend(ctx: Ctx, hit_id, assignments, seconds) -> None:
    """Add assignments to a HIT and/or push its expiry back."""
    row = work.extend(ctx.provider, hit_id, assignments=assignments, seconds=seconds, actor="cli")
    click.echo(f"HIT {row.hit_id}: {row.max_assignments} assignments, expires {row.expires_at}, {row.status}")


@hits.command("expire")
@click.argument("hit_id")
@pass_ctx
def hits_expire(ctx: Ctx, hit_id) -> None:
    """Take a HIT off the market now."""
    row = work.expire(ctx.provider, hit_id, actor="cli")
    click.echo(f"HIT {row.hit_id} expired ({row.status})")


@hits.command("delete")
@click.argument("hit_id")
@pass_ctx
def hits_delete(ctx: Ctx, hit_id) -> None:
    """Dispose of a reviewed HIT on MTurk (its records stay here)."""
    row = work.delete(ctx.provider, hit_id, actor="cli")
    click.echo(f"HIT {row.hit_id} deleted")


@hits.command("associate")
@click.argument("hit_id")
@click.option("--project", required=True)
@click.option("--task", "task_id", type=int, default=None)
@pass_ctx
def hits_associate(ctx: Ctx, hit_id, project, task_id) -> None:
    """Adopt a HIT created elsewhere into a project (and task)."""
    row = work.associate(ctx.provider, hit_id, project, task_id, actor="cli")
    click.echo(f"HIT {row.hit_id} associated with project {project}" + (f", task {task_id}" if task_id else ""))


# -- data -----------------------------------------------------------------------------------

@mturk.command("sync")
@click.option("--method", type=click.Choice(["reviewable", "poll"]), default="reviewable", show_default=True,
              help="reviewable: the Reviewable HITs, those with worker-page or link-out activity since their last "
                   "sync, and a sweep of the rest; poll asks about every open HIT (slow; the old way).")
@click.option("--sweep", type=click.IntRange(0), default=100, show_default=True,
              help="Most other open HITs looked at per run, oldest-seen first.")
@click.option("--max-unseen", type=click.IntRange(0), default=86400, show_default=True, metavar="SECONDS",
              help="How long an open HIT may go unseen before the sweep takes it.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sync_cmd(ctx: Ctx, method, sweep, max_unseen, as_json) -> None:
    """Fetch what changed on MTurk into the store."""
    result = ctx.provider.sync(method=method, sweep=sweep, max_unseen=max_unseen, actor="cli")
    emit(result.to_dict(), as_json, "another sync is running; nothing done" if result.skipped else
         f"{result.changed_hits} changed HITs, {result.assignments_new} new and {result.assignments_updated} "
         f"updated assignments, {result.workers_new} new workers, {result.api_calls} API calls "
         f"({result.active_hits} HITs asked for worker-page activity, {result.swept_hits} swept)")
    _refuse_conflicts(result.conflicts)


@mturk.command("ingest")
@click.option("--chunk-size", type=int, default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ingest_cmd(ctx: Ctx, chunk_size, as_json) -> None:
    """Turn submitted assignments into annotations (once each)."""
    result = ctx.provider.ingest(chunk_size=chunk_size, actor="cli")
    emit(result.to_dict(), as_json, "another ingest is running; nothing done" if result.skipped else
         f"{result.ingested} ingested, {result.duplicates} already stored, {result.invalid} invalid, "
         f"{result.unmatched} without a task, {result.link_out} link-out")


@mturk.command("reconcile")
@click.option("--project", default=None)
@click.option("--recover", is_flag=True, help="Ingest submissions only MTurk has.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def reconcile_cmd(ctx: Ctx, project, recover, as_json) -> None:
    """Disagreements between the worker page's records and MTurk's."""
    report = ctx.provider.reconcile(project=project, recover=recover, actor="cli")
    lines = [f"{d.kind:<18} {d.assignment_id}  task {d.task_id}  {d.worker_id}  {d.detail}"
             for d in report.disagreements] or ["no disagreements"]
    emit(report.to_dict(), as_json, "\n".join(lines))


@mturk.command("balance")
@click.option("--project", default=None, help="Cost of one project only.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def balance_cmd(ctx: Ctx, project, as_json) -> None:
    """The account balance and what the work has cost so far."""
    balance = ctx.provider.balance()
    cost = ctx.provider.cost(project=project)
    d = money.display
    text = (f"balance {d(balance)} ({ctx.provider.environment})\n"
            f"spent {d(cost['spent_cents'])}: rewards {d(cost['rewards_cents'])}, "
            f"bonuses {d(cost['bonuses_cents'])}, fees {d(cost['fees_cents'])}\n"
            f"committed {d(cost['committed_cents'])} ({cost['assignments_submitted']} assignments "
            f"awaiting review)")
    emit({"balance_cents": balance, "cost": cost}, as_json, text)


def _register_simulator() -> None:
    from workbench.devtools.mturk_sim.cli import mturk_sim  # a dev tool: the core never imports it

    cli.add_command(mturk_sim, "mturk-sim")


_register_simulator()
