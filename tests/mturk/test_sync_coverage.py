"""What sync asks MTurk about: Reviewable HITs, HITs with worker-page activity, a bounded sweep; conflicts kept apart.

Worker-page submissions go through ``submissions.submit_many``, the function the server's
submission writer calls, so each records its assignment as it arrives, as in production.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from workbench.crowd import submissions
from workbench.devtools.mturk_sim import Simulator
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client
from workbench.store.models import HIT, Annotation, Assignment, Event
from workbench.store.types import utcnow

from .conftest import work

SPEC = WorkSpec(title="Label a cat", description="Cat or dog?", reward_cents=10, max_assignments=3)


def page_submission(store, sim, hit_id: str, task_id: int, worker_id: str, label: str = "cat",
                    reach_mturk: bool = True) -> str:
    """A worker accepts on MTurk, submits on the worker page (stored), then (unless not) posts MTurk's form."""
    worker = SimulatedWorker(sim.url, worker_id)
    accepted = worker.accept(hit_id)
    item = submissions.parse({"task_id": task_id, "assignment_id": accepted["AssignmentId"], "hit_id": hit_id,
                              "worker_id": worker_id, "result": {"label": label}})
    with store.transaction() as s:
        [outcome] = submissions.submit_many(s, [(item, None)])
    assert outcome["duplicate"] is False, outcome
    if reach_mturk:
        assert worker.submit_to_mturk(accepted["AssignmentId"], {"result": json.dumps({"label": label})}) == 200
    return accepted["AssignmentId"]


def test_a_partly_filled_hit_is_synced_as_soon_as_the_page_saw_its_work(mt, sim, study, store):
    created = mt.create_work("cats", study.task_ids[:2], SPEC)
    hit_id, idle = created.hit_ids
    assignment = page_submission(store, sim, hit_id, study.task_ids[0], "A1PARTIAL1")
    with store.session() as s:
        row = s.scalars(select(Assignment).where(Assignment.assignment_id == assignment)).one()
        note = s.scalars(select(Annotation).where(Annotation.submission_id == assignment)).one()
        assert (row.status, row.accept_time, note.assignment_pk) == ("accepted", None, row.id)
        assert row.hit.hit_id == hit_id and row.worker_id == "A1PARTIAL1"
    before = mt.reconcile()
    assert [(d.kind, d.assignment_id) for d in before.disagreements] == [("missing_on_mturk", assignment)]
    assert "run sync first" in before.disagreements[0].detail

    synced = mt.sync()
    # 1 of 3 assignments: MTurk does not list the HIT as Reviewable, the page's record names it.
    assert (synced.changed_hits, synced.active_hits, synced.swept_hits) == (1, 1, 0)
    assert (synced.assignments_new, synced.assignments_updated) == (0, 1)
    assert synced.api_calls == 1 + 1  # the (empty) Reviewable listing, the HIT's assignments
    with store.session() as s:
        row = s.scalars(select(Assignment).where(Assignment.assignment_id == assignment)).one()
        assert row.status == "submitted" and row.accept_time is not None and row.answer["result"] == {"label": "cat"}
        assert s.scalars(select(Assignment.id)).all() == [row.id]  # completed, not doubled
    assert mt.reconcile().disagreements == []  # nothing to "run sync first" for
    assert mt.sync().changed_hits == 0  # no activity since: not asked again
    ingested = mt.ingest()
    assert (ingested.ingested, ingested.duplicates) == (0, 1)
    with store.session() as s:
        assert s.scalars(select(Annotation.assignment_pk)).all() == [row.id]


def test_a_form_that_never_reached_mturk_is_reported_after_sync_looked(mt, sim, study, store):
    hit_id = mt.create_work("cats", study.task_ids[:1], SPEC).hit_ids[0]
    lost = page_submission(store, sim, hit_id, study.task_ids[0], "A1UNPAID", reach_mturk=False)
    assert mt.sync().active_hits == 1
    [found] = mt.reconcile().disagreements
    assert (found.kind, found.assignment_id) == ("missing_on_mturk", lost)
    assert "as of the sync at" in found.detail and "run sync first" not in found.detail


def test_the_sweep_finds_work_that_bypassed_the_page_and_rotates_in_bounds(mt, sim, study, store):
    hit_ids = mt.create_work("cats", study.task_ids, SPEC).hit_ids
    direct = work(sim, hit_ids[2], "A1DIRECT")  # straight to MTurk: the page never saw it, the HIT is not full
    assert mt.sync().changed_hits == 0  # not Reviewable, no activity: nothing tells sync yet

    def seen():
        with store.session() as s:
            return [hit_id for hit_id, at in s.execute(select(HIT.hit_id, HIT.last_synced_at).order_by(HIT.id))
                    if at is not None]

    # Nobody has looked at the open HITs for longer than max_unseen (0 here): two a run, the least recently seen.
    first = mt.sync(sweep=2, max_unseen=0)
    assert (first.swept_hits, first.changed_hits, first.api_calls) == (2, 0, 1 + 2)  # listing, GetHIT x2
    assert seen() == hit_ids[:2]
    second = mt.sync(sweep=2, max_unseen=0)
    assert (second.swept_hits, second.changed_hits, second.api_calls) == (2, 1, 1 + 2 + 1)  # + its assignments
    assert seen() == hit_ids
    with store.session() as s:
        row = s.scalars(select(Assignment).where(Assignment.assignment_id == direct)).one()
        assert row.status == "submitted" and row.hit.hit_id == hit_ids[2]
        first_seen = {h: at for h, at in s.execute(select(HIT.hit_id, HIT.last_synced_at))}
    third = mt.sync(sweep=2, max_unseen=0)  # round again: the two seen longest ago
    with store.session() as s:
        again = {h for h, at in s.execute(select(HIT.hit_id, HIT.last_synced_at)) if at != first_seen[h]}
    assert third.swept_hits == 2 and again == set(hit_ids[:2])


def test_a_reviewable_hit_is_looked_at_again_when_its_work_changes_on_mturk(mt, sim, study, store):
    """Seen once as Reviewable, it is not asked on every run; its auto-approval is still found, by the sweep."""
    single = WorkSpec(title="Label a cat", description="Cat or dog?", reward_cents=10, max_assignments=1,
                      auto_approval_delay=3600)
    [hit_id] = mt.create_work("cats", study.task_ids[:1], single).hit_ids
    assignment = work(sim, hit_id, "A1AUTO")
    assert mt.sync().changed_hits == 1
    sim.clock.advance(7200)  # MTurk approves it by itself
    assert mt.sync().changed_hits == 0  # listed as before, seen an instant ago: not asked
    found = mt.sync(max_unseen=0)
    assert (found.swept_hits, found.changed_hits) == (1, 1)
    with store.session() as s:
        assert s.scalar(select(Assignment.status).where(Assignment.assignment_id == assignment)) == "approved"
    assert mt.sync(max_unseen=0).changed_hits == 0  # GetHIT's counts are now those recorded


def test_a_hit_mturk_no_longer_has_is_marked_and_the_sync_goes_on(mt, sim, study, store):
    hit_ids = mt.create_work("cats", study.task_ids[:2], SPEC).hit_ids
    with store.transaction() as s:
        ghost = HIT(environment="local", hit_id="3GONEGONEGONEGONEGONEGONEGONE0", project_id=study.project.id,
                    status="assignable", payload={}, created_at=utcnow() - timedelta(days=3))
        s.add(ghost)
    direct = work(sim, hit_ids[1], "A1DIRECT2")
    synced = mt.sync(max_unseen=0)
    assert synced.swept_hits == 3 and synced.changed_hits == 1
    with store.session() as s:
        assert s.scalar(select(HIT.status).where(HIT.hit_id == ghost.hit_id)) == "disposed"
        assert s.scalar(select(Event.payload).where(Event.type == "mturk.hit.gone"))["hit_id"] == ghost.hit_id
        assert s.scalar(select(Assignment.status).where(Assignment.assignment_id == direct)) == "submitted"


def test_an_assignment_held_under_another_hit_is_reported_never_merged(mt, sim, study, store):
    single = WorkSpec(title="Label a cat", description="Cat or dog?", reward_cents=10, max_assignments=1)
    hit_ids = mt.create_work("cats", study.task_ids[:2], single).hit_ids
    assignment = work(sim, hit_ids[0], "A1HELD")
    mt.sync()
    with store.transaction() as s:  # the store holds that id under the other HIT (another MTurk's answer)
        other = s.scalar(select(HIT.id).where(HIT.hit_id == hit_ids[1]))
        s.execute(update(Assignment).where(Assignment.assignment_id == assignment).values(hit_pk=other))
        s.execute(update(HIT).values(payload={}))  # as if never synced: the listing is asked about again
    synced = mt.sync()
    assert synced.conflicts == [{"kind": "assignment", "assignment_id": assignment, "hit_id": hit_ids[0],
                                 "task_id": study.task_ids[0], "recorded_hit_id": hit_ids[1],
                                 "recorded_task_id": study.task_ids[1]}]
    with store.session() as s:
        assert s.scalar(select(Assignment.hit_pk).where(Assignment.assignment_id == assignment)) == other
        assert s.scalar(select(Event.payload).where(Event.type == "mturk.conflict"))["assignment_id"] == assignment


def test_a_worker_page_naming_an_assignment_of_another_hit_is_stored_unlinked(mt, sim, study, store):
    hit_ids = mt.create_work("cats", study.task_ids[:2], SPEC).hit_ids
    assignment = page_submission(store, sim, hit_ids[0], study.task_ids[0], "A1FIRST")
    item = submissions.parse({"task_id": study.task_ids[1], "assignment_id": assignment, "hit_id": hit_ids[1],
                              "worker_id": "A1FIRST", "result": {"label": "dog"}})
    with store.transaction() as s:
        [outcome] = submissions.submit_many(s, [(item, None)])
    assert outcome["duplicate"] is False and outcome["assignment_pk"] is None  # the answer is kept, not merged
    with store.session() as s:
        assert len(s.scalars(select(Assignment)).all()) == 1
        conflict = s.scalar(select(Event.payload).where(Event.type == "mturk.conflict"))
        assert (conflict["kind"], conflict["source"]) == ("assignment", "worker_page")
        assert (conflict["recorded_hit_id"], conflict["hit_id"]) == (hit_ids[0], hit_ids[1])


@pytest.fixture
def twin():
    """A second simulator that hands out the ids a first one with the same seed did: a reused simulator."""
    made = []

    def start():
        made.append(Simulator(seed=20261201).start())
        return made[-1]

    yield start
    for sim in made:
        sim.stop()


def test_a_hit_id_the_store_holds_for_another_task_is_a_conflict(store, study, twin, monkeypatch):
    monkeypatch.setenv("MTURK_ENVIRONMENT", "local")
    first = twin()
    mt = MTurkProvider(store, client=make_client("local", endpoint_url=first.url))
    made = mt.create_work("cats", study.task_ids[:2], SPEC)
    first.stop()
    again = MTurkProvider(store, client=make_client("local", endpoint_url=twin().url))
    result = again.create_work("cats", study.task_ids[2:], SPEC)
    assert result.created == 0 and result.hit_ids == []
    # Which of the two requests (sent at once) got which id is the simulator's order of arrival, each time.
    recorded = dict(zip(made.hit_ids, study.task_ids[:2]))
    assert sorted(c["hit_id"] for c in result.conflicts) == sorted(made.hit_ids)
    assert sorted(c["task_id"] for c in result.conflicts) == study.task_ids[2:]
    assert all(c["recorded_task_id"] == recorded[c["hit_id"]] for c in result.conflicts)
    with store.session() as s:  # the old mapping stands; nothing was remapped
        assert dict(s.execute(select(HIT.hit_id, HIT.task_id)).all()) == dict(zip(made.hit_ids, study.task_ids[:2]))


def test_a_hit_sync_adopted_after_a_crash_is_recovered_by_the_rerun_not_a_conflict(mt, sim, study, store):
    """Created on MTurk, lost before it was recorded, found by sync from its annotation: the rerun recovers it."""
    single = WorkSpec(title="Label a cat", description="Cat or dog?", reward_cents=10, max_assignments=1)
    [hit_id] = mt.create_work("cats", study.task_ids[:1], single).hit_ids
    with store.transaction() as s:  # the crash: MTurk made the HIT, the store never recorded it
        s.execute(delete(HIT))
    work(sim, hit_id, "A1CRASH")
    assert mt.sync().hits_inserted == 1
    with store.session() as s:
        adopted = s.scalars(select(HIT)).one()
        assert (adopted.task_id, adopted.unique_request_token) == (study.task_ids[0], None)
    rerun = mt.create_work("cats", study.task_ids[:1], single)
    assert (rerun.created, rerun.recovered, rerun.conflicts) == (0, 1, [])
    with store.session() as s:
        assert s.scalars(select(HIT.unique_request_token)).one() is not None
    assert mt.create_work("cats", study.task_ids[:1], single).existing == 1  # recorded now: MTurk not asked
