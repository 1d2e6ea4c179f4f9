from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench import ConflictError, NotFoundError, ValidationError
from workbench.study import annotations, projects, tasks
from workbench.store.models import Event, Project


def count(store, model, *where):
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_create_read_update_delete_write_events(store):
    with store.transaction() as s:
        created = projects.create(s, "birds", "Birds", "Which bird is it?")
    with store.transaction() as s:
        projects.update(s, "birds", name="Birds of Europe")
    with store.session() as s:
        row = projects.get(s, created.id)
        assert (row.slug, row.name, row.description) == ("birds", "Birds of Europe", "Which bird is it?")
        assert [p.slug for p in projects.list_(s)] == ["birds"]
    with store.transaction() as s:
        projects.delete(s, "birds")
    assert count(store, Project) == 0
    with store.session() as s:
        types = [e.type for e in s.scalars(select(Event).order_by(Event.id))]
    assert types == ["project.created", "project.updated", "project.deleted"]


def test_duplicate_slug_is_a_conflict_and_writes_nothing(store):
    with store.transaction() as s:
        projects.create(s, "birds")
    with pytest.raises(ConflictError) as caught, store.transaction() as s:
        projects.create(s, "birds", "Again")
    assert caught.value.field == "slug"
    assert count(store, Project) == 1
    assert count(store, Event) == 1


@pytest.mark.parametrize("slug", ["", "Has Space", "UPPER", "-lead", "x" * 65, 7])
def test_bad_slug_names_the_field(store, slug):
    with pytest.raises(ValidationError) as caught, store.transaction() as s:
        projects.create(s, slug)
    assert caught.value.field == "slug"
    assert count(store, Project) == 0


def test_unknown_project(store):
    with store.session() as s:
        with pytest.raises(NotFoundError) as caught:
            projects.get(s, "nope")
        with pytest.raises(NotFoundError):
            projects.stats(s, 404)
    assert "nope" in str(caught.value)


def test_update_refuses_unknown_fields(store):
    with store.transaction() as s:
        projects.create(s, "birds")
    with pytest.raises(ValidationError) as caught, store.transaction() as s:
        projects.update(s, "birds", slug="fish")
    assert caught.value.field == "slug"


def test_stats_in_the_seed_shape(study):
    store = study.store
    with store.transaction() as s:
        t1 = tasks.create(s, "cats", study.definition.id, asset_id=study.asset.id)
        t2 = tasks.create(s, "cats", study.definition.id, asset_id=study.asset.id, target_annotations=2)
        tasks.create(s, "cats", study.definition.id)
    with store.transaction() as s:
        annotations.submit(s, t1.id, {"labels": ["cat"]}, actor="W1")
        annotations.submit(s, t2.id, {"labels": ["dog"]}, actor="W1")
        annotations.submit(s, t2.id, {"labels": ["cat"]}, actor="W2")
        tasks.set_status(s, 3, "failed")
    with store.session() as s:
        stats = projects.stats(s, "cats")
    assert stats["project_slug"] == "cats"
    assert stats["tasks"] == {"total": 3, "pending": 0, "in_progress": 0, "complete": 2, "failed": 1}
    assert stats["annotations"] == {"total": 3, "unique_actors": 2}
    assert stats["assignments"]["total"] == 0
