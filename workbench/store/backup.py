"""Backups of the store: SQLite's online snapshot, or PostgreSQL's own ``pg_dump``.

For PostgreSQL the workbench does not reinvent a dump: it says the exact ``pg_dump``
command (custom format, restorable with ``pg_restore``) with the store's URL turned into
libpq's form, and can run it. The password never appears in the command line, printed
or run: it goes to ``pg_dump`` through ``PGPASSWORD`` (or comes from ``~/.pgpass``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..errors import StoreError, ValidationError
from .types import utcnow


@dataclass
class PgDump:
    """A ``pg_dump`` invocation: ``argv`` holds no password; ``env`` carries it when the URL had one."""

    argv: list[str]
    out: Path
    env: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def command(self) -> str:
        """The command as a shell line, safe to print."""
        return shlex.join(self.argv)


def libpq_url(url: str) -> tuple[str, str | None]:
    """``postgresql+psycopg://u:p@h:5432/db?x=y`` → (``postgresql://u@h:5432/db?x=y``, ``p``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValidationError("database_url", f"is not a PostgreSQL URL ({parsed.get_backend_name()})")
    password = parsed.password
    plain = URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                       database=parsed.database, query=parsed.query)
    return plain.render_as_string(hide_password=False), password


def default_dump_path(folder: Path) -> Path:
    return folder / f"workbench-{utcnow():%Y%m%dT%H%M%S}.dump"


def pg_dump(url: str, out: Path) -> PgDump:
    """The ``pg_dump`` command that backs up the store at ``url`` into ``out`` (custom format)."""
    target, password = libpq_url(url)
    argv = ["pg_dump", "--format=custom", "--no-owner", f"--file={out}", target]
    return PgDump(argv=argv, out=out, env={"PGPASSWORD": password} if password else {})


def run_pg_dump(dump: PgDump, *, timeout: float | None = None) -> Path:
    """Run ``dump``; StoreError with pg_dump's own message when it fails."""
    binary = shutil.which("pg_dump")
    if binary is None:
        raise StoreError("pg_dump is not on PATH", hint="install the PostgreSQL client (apt-get install "
                                                         "postgresql-client), or run the printed command elsewhere")
    dump.out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([binary, *dump.argv[1:]], env={**os.environ, **dump.env}, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise StoreError(f"pg_dump failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return dump.out
