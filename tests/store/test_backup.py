"""``workbench db backup``: a SQLite snapshot, and pg_dump for PostgreSQL, restored and counted."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL
from workbench.study import definitions, projects, tasks
from workbench.cli import cli
from workbench.store import Store
from workbench.store.backup import libpq_url, pg_dump
from workbench.store.models import Task


def fill(store: Store, n: int = 7) -> None:
    with store.transaction() as s:
        projects.create(s, "cats")
        definitions.create_type(s, "classification")
        definitions.create_definition(s, "classification", "1.0", {"label_schema": {"type": "object"}})
        for i in range(n):
            tasks.create(s, "cats", "classification:1.0", payload={"n": i})


def invoke(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, "db", "backup", *args], catch_exceptions=False)


def test_sqlite_snapshot_holds_every_row(make_store, tmp_path):
    store = make_store("sqlite")
    fill(store)
    out = tmp_path / "snap.db"
    result = invoke(store.url, "--out", str(out))
    assert result.exit_code == 0 and str(out) in result.output
    with sqlite3.connect(out) as db:
        assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] == 7
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_libpq_url_drops_the_driver_and_the_password():
    url, password = libpq_url("postgresql+psycopg://wb:s3cr%40t@db.example.org:6543/workbench?sslmode=require")
    assert url == "postgresql://wb@db.example.org:6543/workbench?sslmode=require" and password == "s3cr@t"
    dump = pg_dump("postgresql+psycopg://wb:s3cr%40t@db.example.org/workbench", Path("x.dump"))
    assert "s3cr" not in dump.command and dump.env == {"PGPASSWORD": "s3cr@t"} and dump.out == Path("x.dump")
    assert dump.argv[:2] == ["pg_dump", "--format=custom"]


def test_postgresql_prints_the_command_then_runs_it_and_the_dump_restores(make_store, tmp_path):
    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "the PostgreSQL client is installed here"
    store = make_store("postgresql")
    fill(store, 11)
    # The same database, named with a password in the URL: it must never be printed.
    url = make_url(store.url).set(password="never-printed").render_as_string(hide_password=False)
    printed = invoke(url, "--out", str(tmp_path / "wb.dump"))
    database = make_url(store.url).database
    assert printed.exit_code == 0
    assert printed.output.strip() == (f"pg_dump --format=custom --no-owner --file={tmp_path / 'wb.dump'} "
                                      f"postgresql://postgres@127.0.0.1:5432/{database}")
    assert "never-printed" not in printed.output and not (tmp_path / "wb.dump").exists()

    ran = invoke(url, "--out", str(tmp_path / "wb.dump"), "--run")
    assert ran.exit_code == 0 and "never-printed" not in ran.output
    assert (tmp_path / "wb.dump").read_bytes()[:5] == b"PGDMP"

    fresh = f"wb_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        target, _ = libpq_url(make_url(store.url).set(database=fresh).render_as_string(hide_password=False))
        done = subprocess.run(["pg_restore", "--no-owner", f"--dbname={target}", str(tmp_path / "wb.dump")],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        restored = Store(make_url(store.url).set(database=fresh).render_as_string(hide_password=False))
        restored.check_current()  # the schema revision came along
        with restored.session() as s:
            assert s.scalar(select(func.count()).select_from(Task)) == 11
        restored.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_dump_failure_is_one_clear_line(tmp_path):
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/wb_no_such_database_here"
    result = CliRunner().invoke(cli, ["--database-url", url, "db", "backup", "--out", str(tmp_path / "x.dump"),
                                      "--run"])
    assert result.exit_code == 1 and "pg_dump failed" in result.output and "Traceback" not in result.output
