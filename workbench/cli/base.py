"""What every ``workbench`` command shares: the root group, its State (the store, opened once) and ``emit``.

Each ``*_cmds`` module imports this one and adds its commands to ``cli``; the package's
``__init__`` imports them all, so nothing imports the package back (no import cycle).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import click

from ..errors import WorkbenchError


@dataclass
class State:
    debug: bool = False
    database_url: str | None = None
    _store: Any = field(default=None, repr=False)

    def store(self, *, create: bool = False):
        """The configured store, opened once per command (SQLite is migrated in place).

        A SQLite file that is not there is an error saying how to create one: only the commands
        meant to create a store (``init``, ``db upgrade``, ``demo``) pass ``create=True``.
        """
        if self._store is None:
            from ..store import open_store  # opened on use: ``--help`` needs no store

            self._store = open_store(self.database_url, create=create)
        return self._store


class WorkbenchGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except WorkbenchError as exc:
            if _debug(ctx):
                raise
            click.secho(f"error: {exc}", err=True, fg="red")
            ctx.exit(1)
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            if _debug(ctx):
                raise
            click.secho(f"unexpected error: {type(exc).__name__}: {exc}", err=True, fg="red")
            click.echo("run again with `workbench --debug …` to see the traceback", err=True)
            ctx.exit(1)


def _debug(ctx: click.Context) -> bool:
    state = ctx.find_object(State)
    return bool(state and state.debug) or os.environ.get("WORKBENCH_DEBUG") == "1"


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.option("--database-url", envvar="WORKBENCH_DATABASE_URL", default=None, metavar="URL",
              help="SQLAlchemy URL of the store (default: SQLite in $WORKBENCH_HOME).")
@click.version_option(package_name="hitl-workbench")
@click.pass_context
def cli(ctx: click.Context, debug: bool, database_url: str | None) -> None:
    """HITL Workbench: run crowd-annotation studies from Jupyter."""
    ctx.obj = State(debug=debug, database_url=database_url)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``text`` for people, or ``data`` as JSON for scripts."""
    click.echo(json.dumps(data, indent=2, default=str) if as_json or text is None else text)
