"""The store: one SQLite file by default, PostgreSQL for deployments, same code on both.

A ``Store`` owns the engine. Work happens in units: ``with store.transaction() as s:``
commits everything done inside (the change and its Event) or nothing; ``with
store.session() as s:`` reads.

A store is created only where creating is meant (``workbench init``, ``workbench db
upgrade``, the demo, ``open_store(create=True)``, and the embedded store on first use):
elsewhere a SQLite file that is not there is an error, so a mistyped URL never becomes a
new, empty store.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .. import config
from ..errors import StoreError
from . import migrate
from .engine import make_engine

log = logging.getLogger(__name__)


class Store:
    def __init__(self, url: str | None = None, *, echo: bool = False, create: bool = True) -> None:
        """The store at ``url`` (default: ``WORKBENCH_DATABASE_URL``, or SQLite in the home); nothing connects yet.

        ``create=False`` refuses a SQLite file that does not exist (``StoreError`` saying how to
        create one) and makes neither the file nor its folder. ``create=True`` makes the folder;
        SQLite makes the file at the first connection.
        """
        self.url = config.database_url(url)
        self.engine = make_engine(self.url, echo=echo)
        self.dialect = self.engine.dialect.name
        path = self.path
        try:
            if path is not None and not path.exists():
                if not create:
                    raise missing_store(path)
                path.parent.mkdir(parents=True, exist_ok=True)
            elif path is not None:
                _check_sqlite_file(path, create)
        except StoreError:
            self.engine.dispose()
            raise
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

    @property
    def location(self) -> str:
        """Where the store is, to print: the SQLite file, or the URL without its password."""
        return str(self.path or config.redact(self.url))

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
            raise self._unreachable(exc) from exc
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
            raise self._unreachable(exc) from exc
        if current != head:
            state = "is empty" if current is None else f"is at revision {current}"
            raise StoreError(f"the store {state}; this workbench needs {head}",
                             hint="run `workbench db upgrade` (or `workbench init` for a new store)")

    def _unreachable(self, exc: OperationalError) -> StoreError:
        return StoreError(f"cannot reach the store at {config.redact(self.url)}: {exc.orig}",
                          hint="check the database URL and that its server runs; a new server database gets its "
                               "tables from `workbench db upgrade`")

    def backup(self, dest: Path | None = None) -> Path | None:
        return migrate.sqlite_backup(self.engine, dest)

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()


def _check_sqlite_file(path: Path, create: bool) -> None:
    """Before anything connects (a connection would switch the file to WAL): someone else's database is never
    written into, and an empty file becomes a store only when creating was asked for."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = [name for name, in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a SQLite database ({exc})",
                         hint="check the database URL; a new store needs a file of its own") from None
    if tables and "alembic_version" not in tables:
        raise StoreError(f"{path} is not a workbench store (it holds other tables: {', '.join(sorted(tables)[:5])})",
                         hint="check the database URL; a new store needs a file of its own")
    if not tables and not create:
        raise StoreError(f"the store at {path} is empty",
                         hint="create it with `workbench init`, or open_store(create=True) in Python; if it should "
                              "hold a study, check the database URL")


def missing_store(path: Path) -> StoreError:
    """The error for a SQLite store that is not there: where it was looked for, and how to make one."""
    return StoreError(f"no store at {path}",
                      hint="create it with `workbench init`, or open_store(create=True) in Python; "
                           "if it should exist, check the database URL")


def open_store(url: str | None = None, *, create: bool | None = None, upgrade: bool | None = None,
               echo: bool = False) -> Store:
    """Open the configured store.

    A SQLite file that does not exist is a ``StoreError`` that names ``workbench init``, unless
    creating is asked for: ``create=True`` makes any SQLite file (and its folder); ``create=None``
    (the default) makes only the embedded store, on first use, so that a notebook on a fresh
    machine can begin with ``open_store()``, while a mistyped URL or ``WORKBENCH_DATABASE_URL``
    is refused. The CLI passes ``create=False`` except for the commands that create.

    ``upgrade=None`` (the default) migrates the embedded SQLite file in place, with a
    backup first, and only checks a server database: there, migrations are an explicit
    step (``workbench db upgrade``, which also makes a new database's tables) so that
    several replicas never race to run them.
    """
    if create is None:
        create = _is_embedded(config.database_url(url))
    store = Store(url, echo=echo, create=create)
    if upgrade or (upgrade is None and store.dialect == "sqlite"):
        store.upgrade()
    else:
        store.check_current()
    return store


def _is_embedded(url: str) -> bool:
    """Whether ``url`` names the embedded store: ``workbench.db`` in the home, ``config.database_url``'s default."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return False
    path = Path(parsed.database)  # its name first: config.home() makes the home folder
    return path.name == "workbench.db" and path.resolve() == (config.home() / "workbench.db").resolve()


__all__ = ["Store", "open_store"]
