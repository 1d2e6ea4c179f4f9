from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench import NotFoundError, ValidationError
from workbench.study import assets, projects, tasks
from workbench.store.models import Event, Task


def test_create_update_duplicate_delete(study, image):
    store = study.store
    with store.transaction() as s:
        task = tasks.create(s, "cats", "classification:1.0", asset_id=study.asset.id, payload={"q": "?"}, priority=3)
        other = assets.register_file(s, "cats", image, metadata={"source": "second"})
    with store.transaction() as s:
        tasks.update(s, task.id, priority=5, payload={"q": "which?"})
        copy = tasks.duplicate(s, task.id, asset_id=other.id)
    with store.session() as s:
        original, dup = tasks.get(s, task.id), tasks.get(s, copy.id)
        assert (original.priority, original.payload) == (5, {"q": "which?"})
        assert (dup.asset_id, dup.payload, dup.priority, dup.status) == (other.id, {"q": "which?"}, 5, "pending")
        assert dup.definition_id == original.definition_id
    with store.transaction() as s:
        tasks.delete(s, task.id)
    with store.session() as s:
        assert [t.id for t in tasks.list_(s, project="cats")] == [copy.id]
        kinds = [e.type for e in s.scalars(select(Event).where(Event.type.startswith("task.")).order_by(Event.id))]
    assert kinds == ["task.created", "task.updated", "task.duplicated", "task.deleted"]


def test_status_transitions(study):
    store = study.store
    with store.transaction() as s:
        task = tasks.create(s, "cats", study.definition.id)
    for status in ("in_progress", "complete", "pending", "failed", "pending"):
        with store.transaction() as s:
            tasks.set_status(s, task.id, status)
    with store.session() as s:
        assert tasks.get(s, task.id).status == "pending"


@pytest.mark.parametrize("path", [("complete", "in_progress"), ("failed", "complete"), ("pending", "pending")])
def test_illegal_transitions_are_refused_and_change_nothing(study, path):
    store = study.store
    with store.transaction() as s:
        task = tasks.create(s, "cats", study.definition.id)
        if path[0] != "pending":
            tasks.set_status(s, task.id, path[0])
    with pytest.raises(ValidationError) as caught, store.transaction() as s:
        tasks.set_status(s, task.id, path[1])
    assert caught.value.field == "status"
    assert f"from {path[0]} to {path[1]}" in caught.value.reason
    with store.session() as s:
        assert tasks.get(s, task.id).status == path[0]


def test_set_status_many_moves_each_as_read_records_events_and_refuses_illegal_moves(study):
    store = study.store
    with store.transaction() as s:
        a, b, c = (tasks.create(s, "cats", study.definition.id) for _ in range(3))
        tasks.set_status(s, c.id, "in_progress")
    pid = study.project.id
    with store.transaction() as s:
        tasks.set_status_many(s, [(a.id, pid, "pending", "in_progress", "W1"), (b.id, pid, "pending", "complete", "W2"),
                                  (c.id, pid, "pending", "complete", "W3")],  # c was read stale: left as it is
                              reason="annotation received")
    with store.session() as s:
        assert [tasks.get(s, t.id).status for t in (a, b, c)] == ["in_progress", "complete", "in_progress"]
        moved = s.scalars(select(Event).where(Event.type == "task.status_changed", Event.actor != "system")
                          .order_by(Event.id)).all()
        assert [(e.actor, e.payload["task_id"], e.payload["after"], e.payload["reason"]) for e in moved] == [
            ("W1", a.id, "in_progress", "annotation received"), ("W2", b.id, "complete", "annotation received")]
    with pytest.raises(ValidationError) as caught, store.transaction() as s:
        tasks.set_status_many(s, [(a.id, pid, "in_progress", "pending", "W1"), (b.id, pid, "complete", "failed", "W1")])
    assert "from complete to failed" in caught.value.reason
    with store.session() as s:
        assert tasks.get(s, a.id).status == "in_progress"  # the refusal changed nothing


def test_unknown_status_project_definition_task(study):
    store = study.store
    with store.transaction() as s:
        task = tasks.create(s, "cats", study.definition.id)
    with pytest.raises(ValidationError), store.transaction() as s:
        tasks.set_status(s, task.id, "done")
    with pytest.raises(NotFoundError), store.transaction() as s:
        tasks.create(s, "dogs", study.definition.id)
    with pytest.raises(NotFoundError), store.transaction() as s:
        tasks.create(s, "cats", "classification:7")
    with pytest.raises(NotFoundError), store.session() as s:
        tasks.get(s, 999)


def test_asset_of_another_project_is_refused(study, image):
    with study.store.transaction() as s:
        projects.create(s, "dogs")
        foreign = assets.register_file(s, "dogs", image)
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        tasks.create(s, "cats", study.definition.id, asset_id=foreign.id)
    assert caught.value.field == "asset_id"
    with study.store.session() as s:
        assert s.scalars(select(Task)).first() is None


@pytest.mark.parametrize("fields, bad", [({"priority": "high"}, "priority"), ({"payload": [1]}, "payload"),
                                         ({"target_annotations": 0}, "target_annotations")])
def test_bad_fields(study, fields, bad):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        tasks.create(s, "cats", study.definition.id, **fields)
    assert caught.value.field == bad
