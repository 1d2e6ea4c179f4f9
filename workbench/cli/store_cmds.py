"""``workbench init`` and ``workbench db …``: create, upgrade, inspect and back up the store."""

from __future__ import annotations

from pathlib import Path

import click

from .. import config
from ..store import Store
from . import State, cli, emit


@cli.command()
@click.pass_obj
def init(state: State) -> None:
    """Create the store, or upgrade it to this version's schema."""
    store = Store(state.database_url)
    result = store.upgrade()
    where = store.path or config.redact(store.url)
    if result.before is None:
        click.echo(f"created a new store at {where} (schema {result.after})")
    elif result.changed:
        click.echo(f"upgraded the store at {where} from {result.before} to {result.after}")
    else:
        click.echo(f"the store at {where} is up to date (schema {result.after})")
    if result.backup:
        click.echo(f"backup of the previous store: {result.backup}")


@cli.group()
def db() -> None:
    """The store's schema and backups."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target schema revision.")
@click.pass_obj
def upgrade(state: State, revision: str) -> None:
    """Migrate the store (a SQLite file is backed up first)."""
    store = Store(state.database_url)
    result = store.upgrade(revision)
    if result.changed:
        click.echo(f"upgraded from {result.before or '(empty)'} to {result.after}")
        if result.backup:
            click.echo(f"backup: {result.backup}")
    else:
        click.echo(f"already at {result.after}")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def current(state: State, as_json: bool) -> None:
    """Show the store's schema revision and the code's."""
    store = Store(state.database_url)
    now, head = store.revision()
    data = {"url": config.redact(store.url), "current": now, "head": head, "up_to_date": now == head}
    emit(data, as_json, f"{data['url']}: {now or '(empty)'} (code expects {head})")


@db.command()
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Where to write the snapshot.")
@click.pass_obj
def backup(state: State, out: Path | None) -> None:
    """Write a consistent snapshot of a SQLite store."""
    store = Store(state.database_url)
    if store.path is None:
        raise click.ClickException(
            "this store is on a database server; back it up with the server's tools, for example\n"
            "  pg_dump --format=custom --file=workbench.dump \"$WORKBENCH_DATABASE_URL\"")
    click.echo(f"snapshot written to {store.backup(out)}")
