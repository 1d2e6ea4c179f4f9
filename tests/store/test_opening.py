"""Opening the store from Python: a missing store is an error that says how to create one, unless
creating is asked for; only the embedded store in the home is made on first use."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from workbench import open_store
from workbench.study import projects
from workbench.errors import StoreError
from workbench.store import Store


def _refused(url: str) -> StoreError:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    return caught.value


def test_a_missing_sqlite_file_is_refused_and_nothing_is_made(tmp_path):
    in_missing_folder = tmp_path / "typo" / "dir" / "x.db"
    in_existing_folder = tmp_path / "x.db"
    for path in (in_missing_folder, in_existing_folder):
        error = _refused(f"sqlite:///{path}")
        assert f"no store at {path}" in str(error) and "`workbench init`" in str(error)
        assert "open_store(create=True)" in str(error)
    assert list(tmp_path.iterdir()) == []


def test_a_mistyped_environment_url_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'typo' / 'x.db'}")
    with pytest.raises(StoreError, match="no store at"):
        open_store()
    assert not (tmp_path / "typo").exists()


def test_create_makes_the_folder_and_a_store_at_the_code_s_schema(tmp_path):
    path = tmp_path / "new" / "dir" / "x.db"
    store = open_store(f"sqlite:///{path}", create=True)
    assert path.is_file()
    now, head = store.revision()
    assert now == head
    with store.transaction() as s:
        projects.create(s, "birds")
    store.dispose()
    reopened = open_store(f"sqlite:///{path}")  # it exists now: no create needed
    with reopened.session() as s:
        assert [p.slug for p in projects.list_(s)] == ["birds"]
    reopened.dispose()


def test_the_embedded_store_is_made_on_first_use(tmp_path, monkeypatch):
    """A notebook on a fresh machine begins with ``open_store()``: the store in WORKBENCH_HOME is made then."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "fresh-home"))
    store = open_store()
    assert store.path == tmp_path / "fresh-home" / "workbench.db" and store.path.is_file()
    assert store.revision()[0] == store.revision()[1]
    store.dispose()
    open_store(create=False).dispose()  # it is there now
    for leftover in (tmp_path / "fresh-home").glob("workbench.db*"):
        leftover.unlink()
    with pytest.raises(StoreError, match="no store at"):
        open_store(create=False)  # as the CLI opens it
    assert not (tmp_path / "fresh-home" / "workbench.db").exists()


def test_store_create_false_refuses_only_a_missing_file(tmp_path, sqlite_template):
    with pytest.raises(StoreError, match="no store at"):
        Store(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", create=False)
    assert not (tmp_path / "missing").exists()
    store = Store(f"sqlite:///{sqlite_template}", create=False)
    assert "projects" in store.table_names()
    store.dispose()
    in_memory = Store("sqlite://", create=False)  # nothing on disk to miss
    assert in_memory.path is None
    in_memory.dispose()


def test_a_missing_server_database_says_how_to_make_one(pg_database):
    url = make_url(pg_database).set(database="wb_no_such_database").render_as_string(hide_password=False)
    error = _refused(url)
    assert "cannot reach the store" in str(error) and "`workbench db upgrade`" in str(error)
