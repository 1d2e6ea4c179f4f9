"""Migrations: from empty, twice, from an older revision with data in it, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text

from workbench import open_store
from workbench.study import projects
from workbench.errors import StoreError
from workbench.store import Store
from workbench.store.models import Base, Event, HookDelivery

import pytest


def _empty_pg(pg_database):
    store = Store(pg_database)
    with store.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return store


@pytest.fixture
def empty_store(backend, tmp_path, request):
    if backend == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    else:
        store = _empty_pg(request.getfixturevalue("pg_database"))
    yield store
    if backend == "postgresql":
        store.upgrade()  # leave the shared test database at head for the other tests
    store.dispose()


def test_from_empty_and_twice(empty_store):
    first = empty_store.upgrade()
    assert (first.before, first.after) == (None, first.after) and first.after
    second = empty_store.upgrade()
    assert not second.changed and second.backup is None
    assert {"projects", "tasks", "annotations", "hits", "assignments", "workers", "bonuses",
            "qualification_types", "events", "plugins"} <= set(empty_store.table_names())


def test_models_and_migrations_agree(empty_store):
    empty_store.upgrade()
    with empty_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_an_older_store_opens_and_upgrades_in_place(empty_store, backend):
    empty_store.upgrade("0001")
    with empty_store.transaction() as s:
        projects.create(s, "old", "Made by 0001")
    assert "hits" not in empty_store.table_names()
    result = empty_store.upgrade()
    assert (result.before, result.after) == ("0001", empty_store.revision()[1])
    if backend == "sqlite":
        assert result.backup is not None and result.backup.exists()
        old = Store(f"sqlite:///{result.backup}")
        assert old.revision()[0] == "0001"
        old.dispose()
    with empty_store.session() as s:
        assert projects.get(s, "old").name == "Made by 0001"
    assert "hits" in empty_store.table_names()


def test_server_stores_are_not_migrated_silently(empty_store, backend):
    if backend == "sqlite":
        empty_store.upgrade("0001")
        store = open_store(empty_store.url)  # an existing SQLite store migrates itself
        assert store.revision()[0] == store.revision()[1]
        store.dispose()
        return
    with pytest.raises(StoreError) as caught:
        open_store(empty_store.url)
    assert "workbench db upgrade" in str(caught.value)
    empty_store.upgrade()
    open_store(empty_store.url).dispose()


def test_sqlite_store_is_in_wal_mode(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'wal.db'}")
    store.upgrade()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()


def old_annotation(s, **values) -> None:
    """An annotation as a store of an older version holds it: only the columns given (and those with defaults), not
    the model's later ones (the ORM would name every column it has)."""
    from workbench.store.models import Annotation

    s.execute(insert(Annotation.__table__).values(**values))


def test_annotations_the_page_stored_before_0006_are_joined_to_their_assignments(empty_store):
    """0006 backfills the link for annotations whose assignment a sync recorded after they arrived."""
    from workbench.study import definitions, tasks
    from workbench.store.models import HIT, Annotation, Assignment

    empty_store.upgrade("0005")
    with empty_store.transaction() as s:
        project = projects.create(s, "old")
        definitions.create_type(s, "classification")
        definition = definitions.create_definition(s, "classification", "1", {"label_schema": {"type": "object"}})
        task = tasks.create(s, project.id, definition.id)
        hit = HIT(environment="local", hit_id="3HIT", project_id=project.id, task_id=task.id, payload={})
        s.add(hit)
        s.flush()
        other = tasks.create(s, project.id, definition.id)
        synced = Assignment(assignment_id="3ASSIGNED", hit_pk=hit.id, task_id=task.id, worker_id="A1OLD",
                            status="submitted")
        elsewhere = Assignment(assignment_id="3OTHERTASK", hit_pk=hit.id, task_id=other.id, worker_id="A1OLD",
                               status="submitted")
        s.add_all([synced, elsewhere])
        s.flush()
        for submission_id in ("3ASSIGNED", "3NEVERSYNCED", "3OTHERTASK"):
            old_annotation(s, task_id=task.id, result={}, schema_version="1", actor="A1OLD",
                           submission_id=submission_id, raw_payload={"provider": "mturk"})
    empty_store.upgrade()
    with empty_store.session() as s:
        links = dict(s.execute(select(Annotation.submission_id, Annotation.assignment_pk)).all())
    assert links == {"3ASSIGNED": synced.id, "3NEVERSYNCED": None, "3OTHERTASK": None}


def test_0007_makes_bonuses_a_ledger_and_0008_names_the_framed_mode_external(empty_store):
    """Bonuses from before 0007 keep their tokens and get keys of their own; 0008 renames a stored mode."""
    from workbench.study import definitions, tasks
    from workbench.store.models import Annotation

    empty_store.upgrade("0006")
    with empty_store.transaction() as s:
        project = projects.create(s, "old")
        definitions.create_type(s, "classification")
        definition = definitions.create_definition(s, "classification", "1", {"label_schema": {"type": "object"}})
        task = tasks.create(s, project.id, definition.id)
        for sid, mode in (("3FRAMED", "external-question"), ("3LINKED", "link-out")):
            old_annotation(s, task_id=task.id, result={}, schema_version="1", actor="A1OLD", submission_id=sid,
                           raw_payload={"provider": "mturk", "mode": mode, "hit_id": "3HIT"})
        for token in ("old-token-1", "old-token-2"):
            s.execute(text("INSERT INTO bonuses (provider, worker_id, amount_cents, reason, unique_request_token, "
                           "status, created_at) VALUES ('mturk', 'A1OLD', 10, 'thanks', :t, 'paid', "
                           "CURRENT_TIMESTAMP)"), {"t": token})
    empty_store.upgrade()
    with empty_store.session() as s:
        keys = s.execute(text("SELECT id, idempotency_key, unique_request_token, error FROM bonuses ORDER BY id")).all()
        modes = dict(s.execute(select(Annotation.submission_id, Annotation.raw_payload)).all())
    assert [(k, t, e) for _, k, t, e in keys] == [(f"row-{keys[0][0]}", "old-token-1", ""),
                                                  (f"row-{keys[1][0]}", "old-token-2", "")]
    assert modes["3FRAMED"] == {"provider": "mturk", "mode": "external", "hit_id": "3HIT"}
    assert modes["3LINKED"]["mode"] == "link-out"
    with empty_store.engine.begin() as conn, pytest.raises(Exception, match="(?i)unique"):
        conn.execute(text("UPDATE bonuses SET idempotency_key = :k WHERE id = :i"),
                     {"k": f"row-{keys[0][0]}", "i": keys[1][0]})


def test_0009_keys_hook_deliveries_and_keeps_the_event_ids_already_applied(empty_store):
    """Hook event ids recorded in Event payloads before 0009 become hook_deliveries rows, one per (provider, id)."""
    empty_store.upgrade("0008")
    with empty_store.transaction() as s:
        for event_id, status in (("EV1", "applied"), ("EV1", "applied"), ("EV2", "refused"), ("", "applied")):
            s.add(Event(type="prolific.hook", actor="prolific", payload={
                "event_id": event_id, "event_type": "submission.status.change", "resource_id": "S1", "status": status}))
    empty_store.upgrade()
    with empty_store.session() as s:
        rows = [(d.provider, d.event_id, d.status, d.resource_id) for d in s.scalars(select(HookDelivery)
                                                                                      .order_by(HookDelivery.id))]
    assert rows == [("prolific", "EV1", "applied", "S1"), ("prolific", "EV2", "refused", "S1")]
    with empty_store.engine.begin() as conn, pytest.raises(Exception, match="(?i)unique|duplicate"):
        conn.execute(text("INSERT INTO hook_deliveries (provider, event_id, event_type, resource_id, status, "
                          "claimed_at) VALUES ('prolific', 'EV1', '', '', 'applying', CURRENT_TIMESTAMP)"))
