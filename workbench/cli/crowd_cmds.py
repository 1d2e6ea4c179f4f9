"""One command group per crowd provider (``workbench mturk …``, ``workbench prolific …``), built from one template.

The commands are written once, on the template group ``crowd`` (never routed itself), in the
workbench's model words: HIT, assignment, worker. ``provider_group(name, …)`` makes a provider's
group whose commands are copies of the template's, with every help text, the ``hits`` group's
name and the id arguments in the provider's own words (``providers.words``: ``workbench
prolific studies create``, "Approve submissions"), and without the commands that need a
capability the provider lacks (``crowd.capabilities``: Prolific's pause, MTurk's reconcile).
Nothing here branches on a provider's name. Its environment and production confirmation go
through ``providers.place``, as for every face.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import click

from workbench.crowd import capabilities, providers
from ..crowd import money, work
from ..crowd.providers import MTURK_WORDS, Words
from ..errors import ConflictError, ValidationError
from .base import State, cli, emit


class Ctx:
    """The store and the provider, made on first use so that ``--help`` needs neither."""

    def __init__(self, state: State, name: str, environment: str | None, confirm_production: bool,
                 endpoint_url: str | None):
        self.state, self.name, self.environment = state, name, environment
        self.confirm_production, self.endpoint_url = confirm_production, endpoint_url
        self.words = providers.words(name)
        self._provider = None

    @property
    def provider(self):
        if self._provider is None:
            env, _ = providers.place(self.name, self.environment, confirm_production=self.confirm_production)
            options = {"endpoint_url": self.endpoint_url} if self.endpoint_url else {}
            self._provider = providers.get_provider(self.name, env, store=self.state.store(),
                                                    confirm_production=self.confirm_production, **options)
        return self._provider


pass_ctx = click.make_pass_decorator(Ctx)


def _cents(value: str, param: str) -> int:
    try:
        return money.parse(value, param)
    except ValidationError as exc:
        raise click.BadParameter(exc.reason or str(exc), param_hint=param) from None


# -- the provider's words ------------------------------------------------------------------

_MODEL_WORD = re.compile(r"\b(?:(an?|An?) )?(MTurk|HITs|HIT|[Aa]ssignments|[Aa]ssignment|[Ww]orkers|[Ww]orker)\b")


def say(text: str | None, words: Words) -> str | None:
    """``text``, written in the model's words (HIT, assignment, worker, MTurk), in ``words``."""
    if not text or words == MTURK_WORDS:
        return text
    by_model = {getattr(MTURK_WORDS, key).lower(): said for key, said in words.to_dict().items()}

    def swap(match: re.Match) -> str:
        article, word = match.group(1), match.group(2)
        said = by_model[word.lower()]
        starts = match.start() == 0 or text[:match.start()].rstrip().endswith((".", ":"))
        if (word[0].isupper() and word.lower() == word[0].lower() + word[1:]) or (starts and not article):
            said = said[:1].upper() + said[1:]
        if article:
            new = "an" if said[:1].lower() in "aeiou" else "a"
            return f"{new.capitalize() if article[0].isupper() else new} {said}"
        return said

    return _MODEL_WORD.sub(swap, text)


def _metavar(param: click.Argument, words: Words) -> str:
    name = param.name.upper()
    for model, own in (("HIT", words.work), ("ASSIGNMENT", words.attempt), ("WORKER", words.worker)):
        name = name.replace(model, own.upper().replace(" ", "_").replace("-", "_"))
    name = name if param.required else f"[{name}]"
    return name + ("..." if param.nargs != 1 else "")


def _worded(command: click.Command, words: Words, abilities: frozenset[str]) -> click.Command:
    """A copy of a template command (and its subcommands) in ``words``, without what needs other abilities."""
    made = copy.copy(command)
    made.help, made.short_help = say(command.help, words), say(command.short_help, words)
    made.params = []
    for param in command.params:
        if getattr(param, "needs", None) not in (None, *abilities):
            continue  # an option of what this provider cannot do (MTurk's sync methods on Prolific)
        param = copy.copy(param)
        if isinstance(param, click.Option):
            param.help = say(param.help, words)
        elif words != MTURK_WORDS:
            param.metavar = _metavar(param, words)
        made.params.append(param)
    if isinstance(command, click.Group):
        made.commands = {}
        for name, sub in command.commands.items():
            if getattr(sub, "needs", None) in (None, *abilities):
                own = words.works.lower() if name == "hits" else name
                made.commands[own] = _worded(sub, words, abilities)
                made.commands[own].name = own
    return made


class ProviderGroup(click.Group):
    """A provider's group: the template's commands in its words, those it can do, made on first use."""

    def __init__(self, *args, provider: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.provider, self.words = provider, providers.words(provider)
        self._made: click.Group | None = None

    def _commands(self) -> dict[str, click.Command]:
        if self._made is None:
            abilities = capabilities.of(providers.provider_class(self.provider))
            self._made = _worded(crowd, self.words, abilities)
        return {**self._made.commands, **self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._commands())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands().get(name)


def provider_group(name: str, *, environments: tuple[str, ...], envvar: str, help: str) -> ProviderGroup:
    """Add ``workbench NAME …`` to the CLI: the template's commands for provider ``name``."""
    first, *rest = environments
    named = f"{first} (the simulator, default)" + (f", {', '.join(rest[:-1])}" if len(rest) > 1 else "") + \
        (f" or {rest[-1]}" if rest else "")

    @cli.group(name, cls=ProviderGroup, provider=name, help=help)
    @click.option("--environment", "-e", envvar=envvar, default=None, type=click.Choice(list(environments)),
                  help=f"{named}; also {envvar}.")
    @click.option("--confirm-production", is_flag=True, help="Required to act in production (real money).")
    @click.option("--endpoint-url", default=None, help="Override the endpoint (default: from the environment).")
    @click.pass_context
    def group(ctx: click.Context, environment, confirm_production, endpoint_url) -> None:
        ctx.obj = Ctx(ctx.find_object(State), name, environment, confirm_production, endpoint_url)

    return group


@click.group()
def crowd() -> None:
    """The template of every provider's group (never routed itself)."""


# -- HITs ---------------------------------------------------------------------------------

@crowd.group()
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
                lifetime, auto_approval_delay, keywords, min_approval_rate, exclude_past, exclude_projects, round_,
                batch_size, quiet, as_json, frame_height=None, mode=None, locales=(), min_approved=None,
                masters=None) -> None:
    """Offer the tasks as HITs; a rerun never offers a task again in the same round."""
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
    provider, words = ctx.provider, ctx.words
    with provider.store.session() as s:  # the one rule: pending tasks not yet on a HIT in this environment
        ids = list(task_ids) or work.select_tasks(s, project, environment=provider.environment, limit=1_000_000)
    with tqdm(total=len(ids), unit="task", disable=quiet) as bar:
        result = work.create(provider, project, spec, ids, round=round_, batch_size=batch_size,
                             progress=bar.update, actor="cli")
    emit(result.to_dict(), as_json, f"{result.created} {words.works} created, {result.recovered} recovered, "
                                    f"{result.existing} already recorded ({provider.environment})")
    _refuse_conflicts(ctx, result.conflicts)


# What only some platforms take: a Prolific or link-out group leaves these options out of its help and its parser.
for _param in hits_create.params:
    if _param.name in ("frame_height", "mode"):
        _param.needs = capabilities.FRAMED_PAGES
    elif _param.name in ("locales", "min_approved", "masters"):
        _param.needs = capabilities.QUALIFICATION_REQUIREMENTS


def _refuse_conflicts(ctx: Ctx, conflicts: list[dict]) -> None:
    """Exit 1 naming each id the platform gave that the store holds for other work (nothing was merged)."""
    if conflicts:
        words = ctx.words
        named = "; ".join(f"{c['kind']} {c.get('assignment_id') or c['hit_id']} is recorded for task "
                          f"{c.get('recorded_task_id')}, {words.platform} gave it for task {c.get('task_id')}"
                          for c in conflicts)
        raise ConflictError(f"{len(conflicts)} conflict(s), left unrecorded: {named}", field="hit_id",
                            reason="held for another task",
                            hint=f"is the store pointed at another {words.platform} (a new simulator)? `workbench "
                                 f"{ctx.name} reconcile` and the events of type {ctx.name}.conflict have the details")


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
             f"{money.display(r['reward_cents'])}  {r['title']}" for r in rows] or [f"no {ctx.words.works}"]
    emit(rows, as_json, "\n".join(lines))


@hits.command("extend")
@click.argument("hit_id")
@click.option("--assignments", type=int, default=0, help="How many more assignments.")
@click.option("--seconds", type=int, default=0, help="How much longer the HIT stays on offer.")
@pass_ctx
def hits_extend(ctx: Ctx, hit_id, assignments, seconds) -> None:
    """Add assignments to a HIT and/or push its expiry back."""
    row = work.extend(ctx.provider, hit_id, assignments=assignments, seconds=seconds, actor="cli")
    click.echo(f"{ctx.words.work} {row.hit_id}: {row.max_assignments} {ctx.words.attempts}, expires "
               f"{row.expires_at}, {row.status}")


def work_command(name: str, action, done: str, help: str, *, needs: str | None = None) -> click.Command:
    """``hits NAME HIT_ID``: ``action(provider, hit_id, actor=)`` on one HIT, then "<HIT> <id> <done> (<status>)";
    ``needs``: the capability without which a provider's group leaves the command out."""
    @hits.command(name, help=help)
    @click.argument("hit_id")
    @pass_ctx
    def command(ctx: Ctx, hit_id) -> None:
        row = action(ctx.provider, hit_id, actor="cli")
        click.echo(f"{ctx.words.work} {row.hit_id} {done} ({row.status})")
    command.needs = needs
    return command


hits_expire = work_command("expire", work.expire, "expired", "Take a HIT off the market now.")
hits_delete = work_command("delete", work.delete, "deleted",
                           "Dispose of a reviewed HIT on MTurk (its records stay here).")


@hits.command("associate")
@click.argument("hit_id")
@click.option("--project", required=True)
@click.option("--task", "task_id", type=int, default=None)
@pass_ctx
def hits_associate(ctx: Ctx, hit_id, project, task_id) -> None:
    """Adopt a HIT created elsewhere into a project (and task)."""
    row = work.associate(ctx.provider, hit_id, project, task_id, actor="cli")
    click.echo(f"{ctx.words.work} {row.hit_id} associated with project {project}"
               + (f", task {task_id}" if task_id else ""))


# -- data -----------------------------------------------------------------------------------

@crowd.command("sync")
@click.option("--method", type=click.Choice(["reviewable", "poll"]), default="reviewable", show_default=True,
              help="reviewable: the Reviewable HITs, those with worker-page or link-out activity since their last "
                   "sync, and a sweep of the rest; poll asks about every open HIT (slow; the old way).")
@click.option("--sweep", type=click.IntRange(0), default=100, show_default=True,
              help="Most other open HITs looked at per run, oldest-seen first.")
@click.option("--max-unseen", type=click.IntRange(0), default=86400, show_default=True, metavar="SECONDS",
              help="How long an open HIT may go unseen before the sweep takes it.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sync_cmd(ctx: Ctx, as_json, sweep, method=None, max_unseen=None) -> None:
    """Fetch what changed on MTurk into the store."""
    options = {"method": method, "max_unseen": max_unseen} if method is not None else {}
    result = ctx.provider.sync(sweep=sweep, **options, actor="cli")
    w = ctx.words
    emit(result.to_dict(), as_json, "another sync is running; nothing done" if result.skipped else
         f"{result.changed_hits} changed {w.works}, {result.assignments_new} new and {result.assignments_updated} "
         f"updated {w.attempts}, {result.workers_new} new {w.workers}, {result.api_calls} API calls "
         f"({result.active_hits} {w.works} asked for {w.worker}-page activity, {result.swept_hits} swept)")
    _refuse_conflicts(ctx, result.conflicts)


for _param in sync_cmd.params:
    if _param.name in ("method", "max_unseen"):
        _param.needs = capabilities.SYNC_METHODS


@crowd.command("ingest")
@click.option("--chunk-size", type=int, default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ingest_cmd(ctx: Ctx, chunk_size, as_json) -> None:
    """Turn submitted assignments into annotations (once each)."""
    result = ctx.provider.ingest(chunk_size=chunk_size, actor="cli")
    emit(result.to_dict(), as_json, "another ingest is running; nothing done" if result.skipped else
         f"{result.ingested} ingested, {result.duplicates} already stored, {result.invalid} invalid, "
         f"{result.unmatched} without a task, {result.link_out} link-out")


@crowd.command("reconcile")
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


reconcile_cmd.needs = capabilities.RECONCILE


def _cost_text(ctx: Ctx, cost: dict) -> str:
    d = money.display
    return (f"spent {d(cost['spent_cents'])}: rewards {d(cost['rewards_cents'])}, "
            f"bonuses {d(cost['bonuses_cents'])}, fees {d(cost['fees_cents'])}\n"
            f"committed {d(cost['committed_cents'])} ({cost['assignments_submitted']} {ctx.words.attempts} "
            f"awaiting review)")


@crowd.command("balance")
@click.option("--project", default=None, help="Cost of one project only.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def balance_cmd(ctx: Ctx, project, as_json) -> None:
    """The account balance and what the work has cost so far."""
    balance = ctx.provider.balance()
    cost = ctx.provider.cost(project=project)
    emit({"balance_cents": balance, "cost": cost}, as_json,
         f"balance {money.display(balance)} ({ctx.provider.environment})\n" + _cost_text(ctx, cost))


@crowd.command("cost")
@click.option("--project", default=None, help="Cost of one project only.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def cost_cmd(ctx: Ctx, project, as_json) -> None:
    """What the work has cost on MTurk so far, from the store (MTurk is not asked)."""
    cost = ctx.provider.cost(project=project)
    emit(cost, as_json, f"{ctx.words.platform} ({ctx.provider.environment}): " + _cost_text(ctx, cost))
