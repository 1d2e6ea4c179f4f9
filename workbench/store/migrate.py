"""Schema migrations with Alembic, shipped inside the package.

``upgrade`` backs a SQLite file up before it changes anything, and on PostgreSQL holds
an advisory lock so that two processes starting at once never migrate together.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from .types import utcnow

MIGRATIONS = Path(__file__).parent / "migrations"
#: Key of the PostgreSQL advisory lock held while migrating ("wbmigr" in ASCII).
MIGRATION_LOCK = 0x77626D696772


@dataclass
class UpgradeResult:
    before: str | None
    after: str | None
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def sqlite_backup(engine: Engine, dest: Path | None = None, *, label: str = "backup") -> Path | None:
    """A consistent snapshot of a SQLite store through SQLite's online backup API."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    source = Path(database)
    if not source.exists():
        return None
    dest = dest or source.with_name(f"{source.name}.{label}-{utcnow():%Y%m%dT%H%M%S%f}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    return dest


def upgrade(engine: Engine, revision: str = "head", *, backup: bool = True) -> UpgradeResult:
    before = current_revision(engine)
    target = head_revision(engine) if revision == "head" else revision
    if before == target:
        return UpgradeResult(before, before, None)
    saved = sqlite_backup(engine, label=f"pre-{target}") if backup and before is not None else None
    config = alembic_config(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()
        finally:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
    return UpgradeResult(before, current_revision(engine), saved)
