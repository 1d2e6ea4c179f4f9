from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench import NotFoundError, ValidationError
from workbench.study import annotations, tasks
from workbench.store.models import Annotation, Event


def counts(store):
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(Annotation)),
                s.scalar(select(func.count()).select_from(Event)))


@pytest.fixture
def task(study):
    with study.store.transaction() as s:
        return tasks.create(s, "cats", study.definition.id, asset_id=study.asset.id, target_annotations=2)


def test_submit_stores_and_advances_the_task(study, task):
    with study.store.transaction() as s:
        first = annotations.submit(s, task.id, {"labels": ["cat"]}, actor="W1", submission_id="A1", tool_version="1.0.0",
                                   raw_payload={"ip": "hidden"})
    assert not first.duplicate
    note = first.annotation
    assert (note.schema_version, note.tool_version, note.actor, note.submission_id) == ("1.0", "1.0.0", "W1", "A1")
    with study.store.session() as s:
        assert tasks.get(s, task.id).status == "in_progress"
    with study.store.transaction() as s:
        annotations.submit(s, task.id, {"labels": ["dog"]}, actor="W2")
    with study.store.session() as s:
        assert tasks.get(s, task.id).status == "complete"
        assert [a.actor for a in annotations.list_(s, task_id=task.id)] == ["W1", "W2"]


def test_same_submission_twice_returns_the_first_and_writes_nothing(study, task):
    with study.store.transaction() as s:
        first = annotations.submit(s, task.id, {"labels": ["cat"]}, actor="W1", submission_id="A1")
    before = counts(study.store)
    with study.store.transaction() as s:
        again = annotations.submit(s, task.id, {"labels": ["dog"]}, actor="W1", submission_id="A1")
    assert again.duplicate and again.annotation.id == first.annotation.id
    assert again.annotation.result == {"labels": ["cat"]}
    assert counts(study.store) == before


def test_missing_submission_id_is_generated(study, task):
    with study.store.transaction() as s:
        a = annotations.submit(s, task.id, {"labels": ["cat"]}).annotation
        b = annotations.submit(s, task.id, {"labels": ["cat"]}).annotation
    assert a.submission_id and b.submission_id and a.submission_id != b.submission_id


def test_a_result_that_breaks_the_schema_is_refused_before_writing(study, task):
    before = counts(study.store)
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        annotations.submit(s, task.id, {"labels": ["horse"]}, actor="W1", submission_id="A1")
    assert caught.value.field == "result.labels[0]"
    assert counts(study.store) == before
    with study.store.session() as s:
        assert tasks.get(s, task.id).status == "pending"


def test_unknown_task_and_bad_ids(study, task):
    with pytest.raises(NotFoundError), study.store.transaction() as s:
        annotations.submit(s, 424242, {"labels": ["cat"]})
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        annotations.submit(s, task.id, {"labels": ["cat"]}, submission_id="x" * 129)
    assert caught.value.field == "submission_id"
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        annotations.submit(s, task.id, {"labels": ["cat"]}, actor=5)
    assert caught.value.field == "actor"
