"""The store: one SQLite file by default, PostgreSQL for deployments, same code on both.

A ``Store`` owns the engine. Work happens in units: ``with store.transaction() as s:``
commits everything done inside (the change and its Event) or nothing; ``with
store.session() as s:`` reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .. import config
from ..errors import StoreError
from . import migrate
from .engine import make_engine

log = logging.getLogger(__name__)


class Store:
    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        self.url = config.database_url(url)
        self.engine = make_engine(self.url, echo=echo)
        self.dialect = self.engine.dialect.name
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        writer_bind = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.dialect == "sqlite" else self.engine
        self._writer = sessionmaker(writer_bind, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"<Store {config.redact(self.url)}>"

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server database."""
        database = self.engine.url.database
        return Path(database) if self.dialect == "sqlite" and database and database != ":memory:" else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work that commits on success and leaves the store untouched on error."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading; anything written in it is discarded when it closes.

        Rows read in it stay usable afterwards (closing, unlike a rollback, expires nothing).
        """
        with self._reader() as session:
            yield session

    # -- schema ---------------------------------------------------------------------
    def upgrade(self, revision: str = "head", *, backup: bool = True) -> migrate.UpgradeResult:
        try:
            result = migrate.upgrade(self.engine, revision, backup=backup)
        except OperationalError as exc:
            raise StoreError(f"cannot reach the store at {config.redact(self.url)}: {exc.orig}") from exc
        if result.changed:
            log.info("store upgraded from %s to %s", result.before, result.after)
        return result

    def revision(self) -> tuple[str | None, str]:
        """(current, head) schema revisions."""
        return migrate.current_revision(self.engine), migrate.head_revision(self.engine)

    def check_current(self) -> None:
        """Refuse to work on a store whose schema is not the code's."""
        try:
            current, head = self.revision()
        except OperationalError as exc:
            raise StoreError(f"cannot reach the store at {config.redact(self.url)}: {exc.orig}") from exc
        if current != head:
            state = "is empty" if current is None else f"is at revision {current}"
            raise StoreError(f"the store {state}; this workbench needs {head}",
                             hint="run `workbench db upgrade` (or `workbench init` for a new store)")

    def backup(self, dest: Path | None = None) -> Path | None:
        return migrate.sqlite_backup(self.engine, dest)

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, *, upgrade: bool | None = None, echo: bool = False) -> Store:
    """Open the configured store.

    ``upgrade=None`` (the default) migrates the embedded SQLite file in place, with a
    backup first, and only checks a server database: there, migrations are an explicit
    step (``workbench db upgrade``) so that several replicas never race to run them.
    """
    store = Store(url, echo=echo)
    if upgrade or (upgrade is None and store.dialect == "sqlite"):
        store.upgrade()
    else:
        store.check_current()
    return store


__all__ = ["Store", "open_store"]
