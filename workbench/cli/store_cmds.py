"""``workbench init`` and ``workbench db …``: create, upgrade, inspect and back up the store.

``init`` and ``db upgrade`` create a store that is not there; ``db current`` and ``db backup``
refuse one.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import config
from ..store import Store
from ..store import backup as backups
from .base import State, cli, emit


@cli.command()
@click.pass_obj
def init(state: State) -> None:
    """Create the store, or upgrade it to this version's schema."""
    store = Store(state.database_url)
    result = store.upgrade()
    where = store.location
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
    store = Store(state.database_url, create=False)
    now, head = store.revision()
    data = {"url": config.redact(store.url), "current": now, "head": head, "up_to_date": now == head}
    emit(data, as_json, f"{data['url']}: {now or '(empty)'} (code expects {head})")


@db.command()
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write the snapshot (SQLite) or the dump (PostgreSQL, with --run).")
@click.option("--run", "run_dump", is_flag=True,
              help="PostgreSQL: run pg_dump now instead of only printing the command.")
@click.pass_obj
def backup(state: State, out: Path | None, run_dump: bool) -> None:
    """Back up the store: a consistent SQLite snapshot, or the pg_dump command for PostgreSQL.

    For PostgreSQL the command is printed with the URL in libpq's form and without the
    password (pg_dump reads it from PGPASSWORD or ~/.pgpass); --run runs it into --out.
    Restore with: pg_restore --no-owner --dbname=postgresql://... FILE
    """
    store = Store(state.database_url, create=False)
    if store.path is not None:
        click.echo(f"snapshot written to {store.backup(out)}")
        return
    if store.dialect != "postgresql":
        raise click.ClickException(f"no backup command for {store.dialect}; use the database's own tools")
    dump = backups.pg_dump(store.url, out or backups.default_dump_path(config.home() / "backups"))
    if not run_dump:
        click.echo(dump.command)
        return
    written = backups.run_pg_dump(dump)
    click.echo(f"pg_dump written to {written} ({written.stat().st_size} bytes)")
