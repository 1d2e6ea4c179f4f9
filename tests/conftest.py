"""Fixtures shared by the whole suite: stores on SQLite and PostgreSQL, and a local MTurk simulator.

Every store test runs on both backends. PostgreSQL is at ``WORKBENCH_TEST_PG`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test session works in a
database of its own. When ``CI`` is set an unreachable PostgreSQL fails the run; on a
laptop without one, the PostgreSQL half is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from workbench.store import Store
from workbench.store.models import Base

PG_ADMIN_URL = os.environ.get("WORKBENCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session", autouse=True)
def _asset_roots(tmp_path_factory):
    """Files a test makes under pytest's temporary folders may be registered as assets (the suite's default
    configuration; ``WORKBENCH_ASSET_ROOTS`` in a real deployment). Session-wide, so that module fixtures, and
    the servers they start, see it too. A test of the rule itself sets its own roots."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_ASSET_ROOTS", str(tmp_path_factory.getbasetemp()))
        yield


@pytest.fixture(autouse=True)
def _workbench_home(tmp_path, monkeypatch):
    """Each test gets its own WORKBENCH_HOME, and no store URL leaks in from the shell."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WORKBENCH_DATABASE_URL", raising=False)


def _pg_admin():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session, migrated to head; dropped afterwards."""
    name = f"wb_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        admin.dispose()
        message = f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)} unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: PostgreSQL is required)")
        pytest.skip(message)
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    store.upgrade()
    store.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "workbench.db"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def make_store(request, tmp_path, sqlite_template):
    """A factory: ``make_store("sqlite")`` or ``make_store("postgresql")`` gives an empty, migrated store."""
    made = []

    def factory(backend: str) -> Store:
        if backend == "sqlite":
            path = tmp_path / f"store-{len(made)}.db"
            shutil.copy(sqlite_template, path)
            store = Store(f"sqlite:///{path}")
        else:
            url = request.getfixturevalue("pg_database")
            _truncate_all(url)
            store = Store(url)
        made.append(store)
        return store

    yield factory
    for store in made:
        store.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store(make_store, backend) -> Store:
    """An empty, migrated store, once on SQLite and once on PostgreSQL."""
    return make_store(backend)


@pytest.fixture
def sim():
    """The local MTurk simulator, on a port of its own for one test."""
    from workbench.devtools.mturk_sim import Simulator

    simulator = Simulator().start()
    yield simulator
    simulator.stop()


def pytest_xdist_make_scheduler(config, log):
    """``make test`` hands whole files to its workers (``--dist loadfile``); the Prolific simulator's folder goes to
    one worker whole, since its last file checks that every operation the simulator serves was validated by the
    files before it (in this process)."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling  # only under xdist: the plain run never loads it

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "tests/prolific_sim" if scope.startswith("tests/prolific_sim/") else scope

    return Scheduling(config, log)
