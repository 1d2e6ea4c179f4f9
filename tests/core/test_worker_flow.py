"""Link-out sessions, worker submissions and task bundles, on both stores."""

import pytest

from workbench import ConflictError, ValidationError
from workbench.crowd import submissions, worker_sessions
from workbench.study import bundles, plugins, signing, tasks
from workbench.store.models import Annotation, WorkerSession

from .test_plugins import make_plugin


@pytest.fixture
def three_tasks(study):
    with study.store.transaction() as s:
        ids = [tasks.create(s, "cats", "classification:1.0", asset_id=study.asset.id, priority=p).id
               for p in (0, 5, 1)]
    return ids


def body(task_id, assignment="A1", worker="W1", result=None):
    return submissions.parse({"task_id": task_id, "assignment_id": assignment, "hit_id": "H1", "worker_id": worker,
                              "result": result or {"labels": ["cat"]}})


def test_start_resume_and_complete(study, three_tasks):
    with study.store.transaction() as s:
        visit = worker_sessions.start_or_resume(s, "mturk", "A1", "W1", "H1", "cats", tasks_per_session=2)
        assert not visit.resumed and visit.token
        assert visit.session.task_ids == [three_tasks[1], three_tasks[2]]  # by priority
        assert visit.session.token != visit.token  # only the hash is stored
    with study.store.transaction() as s:
        again = worker_sessions.start_or_resume(s, "mturk", "A1", "W1", "H1", "cats", token=visit.token)
        assert again.resumed and again.token == visit.token and again.session.id == visit.session.id
        with pytest.raises(ConflictError):
            worker_sessions.complete(s, again.session)
    for task_id in visit.session.task_ids:
        with study.store.transaction() as s:
            submissions.submit_from_worker(s, body(task_id), session_token=visit.token)
    with study.store.transaction() as s:
        row = worker_sessions.authenticate(s, "A1", visit.token)
        assert worker_sessions.remaining(s, row) == []
        code = worker_sessions.complete(s, row)
        assert worker_sessions.complete(s, row) == code
    assert len(code) == 16
    with study.store.session() as s:
        assert worker_sessions.check_code(s, "A1", code)["valid"] is True
        assert worker_sessions.check_code(s, "A1", code.lower())["valid"] is True
        assert worker_sessions.check_code(s, "A1", "X" * 16)["valid"] is False
        assert s.query(WorkerSession).count() == 1


def test_resume_in_another_browser_rotates_the_token(study, three_tasks):
    with study.store.transaction() as s:
        first = worker_sessions.start_or_resume(s, "mturk", "A1", "W1", "", "cats")
    with study.store.transaction() as s:
        second = worker_sessions.start_or_resume(s, "mturk", "A1", "W1", "", "cats")
    assert second.resumed and second.token != first.token
    with study.store.session() as s:
        worker_sessions.authenticate(s, "A1", second.token)
        with pytest.raises(signing.SignatureError):
            worker_sessions.authenticate(s, "A1", first.token)


def test_session_refusals(study, three_tasks):
    with study.store.transaction() as s:
        visit = worker_sessions.start_or_resume(s, "mturk", "A1", "W1", "", "cats")
    with pytest.raises(ConflictError) as info, study.store.transaction() as s:
        worker_sessions.start_or_resume(s, "mturk", "A1", "W2", "", "cats")
    assert info.value.field == "workerId"
    with pytest.raises(ValidationError) as info, study.store.transaction() as s:
        worker_sessions.start_or_resume(s, "mturk", worker_sessions.PREVIEW_ASSIGNMENT, "W1", "", "cats")
    assert info.value.field == "assignmentId"
    with pytest.raises(ValidationError) as info, study.store.transaction() as s:
        worker_sessions.start_or_resume(s, "mturk", "A2", "W1", "", None)
    assert info.value.field == "project"
    other = next(t for t in three_tasks if t not in visit.session.task_ids)
    with pytest.raises(ValidationError) as info, study.store.transaction() as s:
        submissions.submit_from_worker(s, body(other), session_token=visit.token)
    assert info.value.field == "task_id"
    with pytest.raises(signing.SignatureError), study.store.transaction() as s:
        submissions.submit_from_worker(s, body(visit.session.task_ids[0]), session_token="forged")
    with study.store.session() as s:
        assert s.query(Annotation).count() == 0


def test_no_open_tasks(study):
    with pytest.raises(ConflictError) as info, study.store.transaction() as s:
        worker_sessions.start_or_resume(s, "mturk", "A1", "W1", "", "cats")
    assert info.value.reason == "no open tasks"


def test_external_question_submission_is_idempotent(study, three_tasks):
    with study.store.transaction() as s:
        first = submissions.submit_from_worker(s, body(three_tasks[0]))
    with study.store.transaction() as s:
        second = submissions.submit_from_worker(s, body(three_tasks[0], result={"labels": ["dog"]}))
    assert not first.duplicate and second.duplicate
    assert second.annotation.id == first.annotation.id and second.annotation.result == {"labels": ["cat"]}
    with study.store.session() as s:
        stored = s.get(Annotation, first.annotation.id)
        assert stored.submission_id == "A1" and stored.actor == "W1"
        assert stored.raw_payload == {"provider": "mturk", "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1",
                                      "mode": "external"}


@pytest.mark.parametrize("raw, field", [
    ([], "body"),
    ({"task_id": "x"}, "task_id"),
    ({"task_id": 1, "assignment_id": "A", "worker_id": "W"}, "result"),
    ({"task_id": 1, "assignment_id": "", "worker_id": "W", "result": {}}, "assignmentId"),
    ({"task_id": 1, "assignment_id": "A", "worker_id": "W" * 200, "result": {}}, "workerId"),
    ({"task_id": 1, "assignment_id": "A", "worker_id": "W", "result": {}, "admin": True}, "admin"),
])
def test_parse_refuses(raw, field):
    with pytest.raises(ValidationError) as info:
        submissions.parse(raw)
    assert info.value.field == field


def test_bundle(study, three_tasks, tmp_path):
    root = tmp_path / "plugins"
    make_plugin(root, "cls")
    with study.store.transaction() as s:
        plugins.register(s, plugins.scan(root)[0].manifest, root)
    with study.store.session() as s:
        bundle = bundles.for_task(s, three_tasks[0])
    assert bundle["task"] == {"id": three_tasks[0], "payload": {}, "priority": 0, "status": "pending"}
    assert bundle["task_type"] == {"slug": "classification", "name": "classification"}
    assert bundle["definition"]["version"] == "1.0" and bundle["definition"]["label_schema"]["required"] == ["labels"]
    assert bundle["plugin"]["js"] == ["/workbench/plugins/cls/1.0.0/plugin.js"]
    asset = bundle["asset"]
    assert asset["media_type"] == "image/png" and (asset["width"], asset["height"]) == (32, 24)
    path, query = asset["url"].split("?")
    assert path == f"/workbench/assets/{study.asset.id}"
    params = dict(part.split("=") for part in query.split("&"))
    signing.verify(bundles.asset_message(study.asset.id), params["exp"], params["sig"])


def test_submit_many_matches_one_by_one(study, three_tasks):
    with study.store.transaction() as s:
        visit = worker_sessions.start_or_resume(s, "mturk", "L1", "WL", "", "cats")
        submissions.submit_from_worker(s, body(three_tasks[0], assignment="OLD"))
    linked = visit.session.task_ids[0]
    batch = [
        (body(three_tasks[0], assignment="B1"), None),                       # new
        (body(three_tasks[0], assignment="B1", result={"labels": ["dog"]}), None),  # same batch duplicate
        (body(three_tasks[0], assignment="OLD"), None),                      # stored earlier
        (body(three_tasks[1], assignment="B2", result={"labels": ["horse"]}), None),  # schema refusal
        (body(999, assignment="B3"), None),                                  # missing task
        (body(linked, assignment="L1", worker="WL"), "forged"),              # link-out without its token
        (body(linked, assignment="L1", worker="WL"), visit.token),           # link-out with its token
    ]
    with study.store.transaction() as s:
        out = submissions.submit_many(s, batch)
    assert out[0]["duplicate"] is False and out[0]["result"] == {"labels": ["cat"]}
    assert out[1]["duplicate"] is True and out[1]["id"] == out[0]["id"]
    assert out[2]["duplicate"] is True and out[2]["submission_id"] == "OLD"
    assert isinstance(out[3], ValidationError) and out[3].field == "result.labels[0]"
    assert out[4].status == 404
    assert isinstance(out[5], signing.SignatureError)
    assert out[6]["duplicate"] is False and out[6]["actor"] == "WL"
    with study.store.session() as s:
        assert s.query(Annotation).count() == 3
        from workbench import events
        from workbench.study import tasks as tasks_mod

        assert len(events.query(s, type="annotation.created")) == 3
        assert tasks_mod.get(s, three_tasks[0]).status == "complete"
        stored = s.query(Annotation).filter_by(submission_id="B1").one()
        assert out[0] == {**stored.to_dict(), "duplicate": False}
        assert stored.raw_payload["mode"] == "external" and stored.schema_version == "1.0"
    with study.store.transaction() as s:  # a batch with nothing new to write
        refused, again = submissions.submit_many(s, [batch[3], batch[0]])
    assert isinstance(refused, ValidationError) and again["duplicate"] is True and again["id"] == out[0]["id"]


def test_an_assignment_answered_by_one_worker_is_never_echoed_to_another(study, three_tasks):
    """A duplicate is answered with the stored answer only for its own worker: the page handing out tokens is
    public, so anyone may name an assignment; in one batch, from an earlier one, and one by one alike."""
    with study.store.transaction() as s:
        mine, theirs = submissions.submit_many(s, [
            (body(three_tasks[0], assignment="X1"), None),
            (body(three_tasks[0], assignment="X1", worker="W9", result={"labels": ["dog"]}), None)])
    assert mine["duplicate"] is False and isinstance(theirs, ConflictError) and theirs.field == "worker_id"
    with study.store.transaction() as s:
        [later] = submissions.submit_many(s, [(body(three_tasks[0], assignment="X1", worker="W9"), None)])
        assert isinstance(later, ConflictError)
        with pytest.raises(ConflictError):
            submissions.submit_from_worker(s, body(three_tasks[0], assignment="X1", worker="W9"))
        [own] = submissions.submit_many(s, [(body(three_tasks[0], assignment="X1"), None)])
    assert own["duplicate"] is True and own["result"] == {"labels": ["cat"]}
