"""A worker's hostile answer is recorded as invalid on its own assignment; sync and ingest go on with the rest.

The answers reach the real simulator the way a worker's browser sends them, a form posted to
externalSubmit, and come back through boto3 in MTurk's answer XML. One is handed back by a
hostile MTurk (or a man in the middle): the simulator's stored answer is replaced.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workbench.crowd import submissions
from workbench.errors import ValidationError
from workbench.devtools.mturk_sim.answers import ANSWERS_NS
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import answers
from workbench.store.models import HIT, Annotation, Assignment, Event
from workbench.store.types import utcnow

from .conftest import work

#: What each hostile form's ``result`` holds, and the words its recorded reason must carry.
HOSTILE = {
    "A1DEEP": ("[" * 3000 + "]" * 3000, "nests deeper than"),
    "A1SURROGATE": ('{"label": "cat \\ud800"}', "unpaired surrogate"),
    "A1NUL": ('{"label": "cat\\u0000"}', "NUL"),
    "A1NAN": ('{"label": "cat", "confidence": NaN}', "finite"),
    "A1INFINITE": ('{"label": "cat", "confidence": 1e999}', "finite"),
}
HONEST = {"A1HONEST1": "cat", "A1HONEST2": "dog"}
UTF7_WORKER = "A1UTF7"
UTF7 = (f'<?xml version="1.0" encoding="UTF-7"?><QuestionFormAnswers xmlns="{ANSWERS_NS}"><Answer>'
        '<QuestionIdentifier>result</QuestionIdentifier><FreeText>+AHsAIg-label+ACI-: +ACI-cat+ACIAfQ-</FreeText>'
        '</Answer></QuestionFormAnswers>')


def _post_all(mt, sim, study) -> dict[str, str]:
    """Every worker's form on one HIT (so one sync batch holds them all); the worker id of each assignment."""
    spec = WorkSpec(title="Label", description="Cat or dog?", reward_cents=10,
                    max_assignments=len(HONEST) + len(HOSTILE) + 1)
    [hit_id] = mt.create_work("cats", study.task_ids[:1], spec).hit_ids
    made = {work(sim, hit_id, worker, {"label": label}): worker for worker, label in HONEST.items()}
    made.update({work(sim, hit_id, worker, fields={"result": result}): worker
                 for worker, (result, _) in HOSTILE.items()})
    utf7 = work(sim, hit_id, UTF7_WORKER)
    with sim.store.transaction() as s:
        s.conn.execute("UPDATE assignments SET answer=? WHERE id=?", (UTF7, utf7))
    made[utf7] = UTF7_WORKER
    return made


@pytest.mark.parametrize("method", ["reviewable", "poll"])
def test_hostile_answers_are_recorded_invalid_and_the_honest_ones_are_ingested(mt, sim, study, store, method):
    made = _post_all(mt, sim, study)
    first = mt.sync(method=method)
    again = mt.sync(method=method, max_unseen=0)  # a later sync works too (it used to fail from then on)
    assert first.assignments_new == len(made) and again.conflicts == []
    ingested, rerun = mt.ingest(), mt.ingest()
    assert (ingested.ingested, ingested.invalid) == (len(HONEST), len(HOSTILE) + 1)
    assert (rerun.ingested, rerun.invalid) == (0, 0)  # each assignment taken up once
    with store.session() as s:
        rows = {made[a.assignment_id]: a for a in s.scalars(select(Assignment))}
        notes = dict(s.execute(select(Annotation.actor, Annotation.result)).all())
    assert notes == {worker: {"label": label} for worker, label in HONEST.items()}
    for worker, (_, words) in {**HOSTILE, UTF7_WORKER: ("", "encoding")}.items():
        row = rows[worker]
        outcome = row.payload["ingest"]
        assert outcome["outcome"] == "invalid", (worker, outcome)
        assert outcome["error"]["field"].startswith("answer") and words in outcome["error"]["reason"], outcome
        assert row.answer_raw.startswith("<?xml") and "QuestionFormAnswers" in row.answer_raw  # kept for review
        assert row.status == "submitted"  # left for the researcher to approve or reject


def test_hostile_answers_are_kept_raw_even_when_no_store_can_hold_their_characters(mt, sim, study, store,
                                                                                   monkeypatch):
    """MTurk's JSON may carry a NUL or a lone surrogate in the answer XML itself: stored marked, never refused."""
    spec = WorkSpec(title="Label", description="Cat or dog?", reward_cents=10, max_assignments=3)
    [hit_id] = mt.create_work("cats", study.task_ids[:1], spec).hit_ids
    honest = work(sim, hit_id, "A1HONEST")
    broken = {work(sim, hit_id, "A1RAWNUL"): "\x00", work(sim, hit_id, "A1RAWSURROGATE"): "\ud800"}
    listing = sim.backend.ListAssignmentsForHIT

    def hostile_mturk(p):  # boto3 decodes "\u0000" or "\ud800" in MTurk's JSON into the answer's text
        out = listing(p)
        for a in out["Assignments"]:
            if a["AssignmentId"] in broken:
                a["Answer"] = a["Answer"].replace("cat", "c" + broken[a["AssignmentId"]])
        return out

    monkeypatch.setattr(sim.backend, "ListAssignmentsForHIT", hostile_mturk)
    assert mt.sync().assignments_new == 3
    assert (mt.ingest().ingested, mt.ingest().ingested) == (1, 0)
    with store.session() as s:
        rows = {a.assignment_id: a for a in s.scalars(select(Assignment))}
    assert rows[honest].payload["ingest"]["outcome"] == "ingested"
    for assignment_id in broken:
        row = rows[assignment_id]
        assert row.payload["ingest"]["outcome"] == "invalid"
        assert "\ufffd" in row.answer_raw and "\x00" not in row.answer_raw  # what it held, marked
        assert row.payload["ingest"]["error"]["field"] == "answer"


def test_a_poll_that_meets_a_hit_mturk_no_longer_has_records_it_and_goes_on(mt, sim, study, store):
    spec = WorkSpec(title="Label", description="Cat or dog?", reward_cents=10, max_assignments=2)
    hit_ids = mt.create_work("cats", study.task_ids[:2], spec).hit_ids
    ghosts = ["3GONEGONEGONEGONEGONEGONEGONE0", "3GONEGONEGONEGONEGONEGONEGONE1"]
    with store.transaction() as s:
        for ghost in ghosts:
            s.add(HIT(environment="local", hit_id=ghost, project_id=study.project.id, task_id=study.task_ids[2],
                      status="assignable", payload={}, created_at=utcnow() - timedelta(days=3)))
    # The worker page saw work on the second ghost: the reviewable sync asks MTurk about it directly.
    item = submissions.parse({"task_id": study.task_ids[2], "assignment_id": "3GHOSTASSIGNMENT00000000000000",
                              "hit_id": ghosts[1], "worker_id": "A1GHOST", "result": {"label": "cat"}})
    with store.transaction() as s:
        submissions.submit_many(s, [(item, None)])
    done = work(sim, hit_ids[1], "A1REAL")
    assert mt.sync(method="reviewable", sweep=0).active_hits == 1
    polled = mt.sync(method="poll")
    assert polled.assignments_new == 1
    with store.session() as s:
        assert dict(s.execute(select(HIT.hit_id, HIT.status).where(HIT.hit_id.in_(ghosts))).all()) == {
            ghost: "disposed" for ghost in ghosts}
        gone = [e["hit_id"] for e in s.scalars(select(Event.payload).where(Event.type == "mturk.hit.gone"))]
        assert sorted(gone) == ghosts
        assert s.scalar(select(Assignment.status).where(Assignment.assignment_id == done)) == "submitted"
    assert mt.sync(method="poll").changed_hits == len(hit_ids)  # the ghosts are no longer asked about


def test_an_answer_that_reached_the_page_and_a_hostile_form_on_mturk(mt, sim, study, store):
    """The worker page stored an honest answer; the form sent to MTurk was hostile: the answer stored stands."""
    spec = WorkSpec(title="Label", description="Cat or dog?", reward_cents=10, max_assignments=1)
    [hit_id] = mt.create_work("cats", study.task_ids[:1], spec).hit_ids
    worker = SimulatedWorker(sim.url, "A1TWOFACED")
    accepted = worker.accept(hit_id)
    item = submissions.parse({"task_id": study.task_ids[0], "assignment_id": accepted["AssignmentId"],
                              "hit_id": hit_id, "worker_id": "A1TWOFACED", "result": {"label": "dog"}})
    with store.transaction() as s:
        submissions.submit_many(s, [(item, None)])
    assert worker.submit_to_mturk(accepted["AssignmentId"], {"result": "[" * 3000}) == 200
    mt.sync()
    outcome = mt.ingest()
    assert (outcome.ingested, outcome.duplicates, outcome.invalid) == (0, 1, 0)
    with store.session() as s:
        assert s.scalars(select(Annotation.result)).all() == [{"label": "dog"}]
        assert s.scalar(select(func.count()).select_from(Assignment)) == 1
        row = s.scalars(select(Assignment)).one()
        assert row.payload["answer_error"]["field"] == "answer.result"
    assert json.loads(json.dumps(row.payload))  # the recorded error is plain JSON


@pytest.mark.parametrize("declaration, refused", [
    ("", False), ('<?xml version="1.0" encoding="ASCII"?>', False), ("<?xml version='1.0' encoding='utf-8'?>", False),
    ('<?xml version="1.0" encoding="UTF-7"?>', True), ('\ufeff<?xml version="1.0" encoding="UTF-7"?>', True),
    ('<?xml version="1.0" encoding="UTF-16"?>', True), ('<?xml version="1.0" encoding="x-nonsense"?>', True),
    ('<?xml version="1.0" encoding="latin-1"?>', True),  # it was read as Latin-1: "é" became "Ã©"
])
def test_an_answer_is_read_as_the_text_it_came_as(declaration, refused):
    """boto3 hands the answer over as text: a declaration of another encoding than MTurk's is refused, not obeyed."""
    text = (f'{declaration}<QuestionFormAnswers xmlns="{ANSWERS_NS}"><Answer><QuestionIdentifier>note'
            '</QuestionIdentifier><FreeText>café</FreeText></Answer></QuestionFormAnswers>')
    if refused:
        with pytest.raises(ValidationError) as caught:
            answers.parse(text)
        assert caught.value.field == "answer" and "encoding" in caught.value.reason
    else:
        assert answers.parse(text) == {"note": "café"}
