"""Crashes and races: a killed ingest, bulk create or extension rerun loses nothing and doubles nothing; syncs race
safely."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client
from workbench.store.models import HIT, Annotation, Assignment, Event, Worker

ROOT = Path(__file__).resolve().parents[2]
SPEC = WorkSpec(title="Label", description="Pick a label", reward_cents=10, max_assignments=3)

#: Run in a child process: do ``action`` and die by SIGKILL just before the ``die_at``-th commit.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from workbench.store import Store
    from workbench.crowd.providers import WorkSpec
    from workbench.crowd.providers.mturk import MTurkProvider
    from workbench.crowd.providers.mturk.client import make_client

    url, endpoint, die_at, action = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    commits = []

    @event.listens_for(Session, "before_commit")
    def _die(session):
        if session.in_nested_transaction():
            return
        commits.append(1)
        if len(commits) == die_at:
            os.kill(os.getpid(), signal.SIGKILL)

    mt = MTurkProvider(Store(url), client=make_client("local", endpoint_url=endpoint))
    if action == "ingest":
        mt.ingest(chunk_size=4)
    elif action == "extend":
        mt.extend(sys.argv[5], assignments=int(sys.argv[6]))
    else:
        spec = WorkSpec(title="Label", description="Pick a label", reward_cents=10, max_assignments=3)
        mt.create_work("cats", [int(t) for t in sys.argv[5].split(",")], spec, batch_size=2, concurrency=1)
    print("finished without dying")
""")


def _run_child(store, sim, die_at: int, action: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", CHILD, store.url, sim.url, str(die_at), action, *extra],
                          env=env, capture_output=True, text=True, timeout=120)


def _count(store, model, *where) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _submitted(mt, sim, study, per_hit=3) -> list[str]:
    hit_ids = mt.create_work("cats", study.task_ids, SPEC).hit_ids
    sim.seed_submissions(hit_ids, per_hit=per_hit, answer={"result": {"label": "dog"}})
    assert mt.sync().assignments_new == len(hit_ids) * per_hit
    return hit_ids


def test_ingest_killed_half_way_then_rerun(mt, sim, study, store):
    _submitted(mt, sim, study)  # 4 tasks x 3 = 12 assignments, ingested 4 per chunk
    child = _run_child(store, sim, 2, "ingest")  # the first chunk commits, the process dies committing the second
    assert child.returncode == -9, child.stderr
    assert _count(store, Annotation) == 4
    assert _count(store, Assignment, Assignment.ingested_at.is_not(None)) == 4
    rerun = mt.ingest(chunk_size=4)
    assert rerun.ingested == 8 and rerun.duplicates == 0
    with store.session() as s:
        per_assignment = s.execute(select(Annotation.submission_id, func.count()).group_by(Annotation.submission_id)
                                   ).all()
        assert len(per_assignment) == 12 and {n for _, n in per_assignment} == {1}
        created = s.scalar(select(func.count()).select_from(Event).where(Event.type == "annotation.created"))
    assert created == 12  # the dead chunk's events died with it
    assert mt.ingest().ingested == 0


def test_extension_killed_before_its_record_then_rerun_adds_the_assignments_once(mt, sim, study, store):
    hit_id = mt.create_work("cats", study.task_ids[:1], SPEC).hit_ids[0]  # 3 assignments
    child = _run_child(store, sim, 1, "extend", hit_id, "2")  # MTurk extended it; the process died recording that
    assert child.returncode == -9, child.stderr
    assert sim.client().get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 5
    with store.session() as s:
        assert s.scalars(select(HIT.max_assignments)).one() == 3
    row = mt.extend(hit_id, assignments=2)  # the rerun: the same extension, recorded, not made again
    assert row.max_assignments == sim.client().get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 5
    assert mt.extend(hit_id, assignments=2).max_assignments == 7  # a new extension from the recorded count
    assert _count(store, Event, Event.type == "mturk.hit.extended") == 2


def test_bulk_create_killed_then_rerun_makes_no_second_hits(mt, sim, study, store):
    tasks = ",".join(str(t) for t in study.task_ids)
    child = _run_child(store, sim, 2, "create", tasks)  # batch 1 recorded; batch 2 made on MTurk, not recorded
    assert child.returncode == -9, child.stderr
    assert _count(store, HIT) == 2
    assert sim.client().list_hits()["NumResults"] == 4
    rerun = mt.create_work("cats", study.task_ids, SPEC, batch_size=2)
    assert (rerun.existing, rerun.recovered, rerun.created) == (2, 2, 0)
    assert sim.client().list_hits()["NumResults"] == 4 and _count(store, HIT) == 4
    with store.session() as s:
        assert sorted(s.scalars(select(HIT.task_id))) == sorted(study.task_ids)
    again = mt.create_work("cats", study.task_ids, SPEC)
    assert again.existing == 4 and sim.client().list_hits()["NumResults"] == 4
    assert mt.create_work("cats", study.task_ids, SPEC, round=1).created == 4  # a new round is new work


@pytest.mark.parametrize("lock", [False, True], ids=["upserts-only", "job-lock"])
def test_two_syncs_at_once_on_postgresql(make_store, sim, lock, request):
    store = make_store("postgresql")
    from workbench.study import definitions, projects, tasks

    with store.transaction() as s:
        project = projects.create(s, "cats", "Cats")
        definitions.create_type(s, "classification")
        spec = definitions.create_definition(s, "classification", "1.0", {"label_schema": {"type": "object"}})
        task_ids = [tasks.create(s, project.id, spec.id).id for _ in range(30)]
    providers = [MTurkProvider(store, client=make_client("local", endpoint_url=sim.url)) for _ in range(2)]
    hit_ids = providers[0].create_work("cats", task_ids, SPEC).hit_ids
    sim.seed_submissions(hit_ids, per_hit=3)
    sim.faults.update(latency_ms=5)  # long enough for the two to overlap
    barrier, results, errors = threading.Barrier(2), [], []

    def run(provider):
        barrier.wait()
        try:
            results.append(provider.sync(lock=lock, chunk_size=7, concurrency=4))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in providers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert _count(store, Assignment) == 90 and _count(store, HIT) == 30 and _count(store, Worker) == 3
    with store.session() as s:
        assert s.scalar(select(func.count(func.distinct(Assignment.assignment_id)))) == 90
    if lock:
        # One of them did the work; the other found the lock taken, or nothing left to do.
        assert sorted(r.assignments_new for r in results) == [0, 90]
    store.dispose()
