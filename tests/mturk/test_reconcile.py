"""Reconcile: the worker page's records against MTurk's, in both directions, and recovery from MTurk."""

from __future__ import annotations

from sqlalchemy import select

from workbench.study import annotations
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench.store.models import Annotation

from .conftest import work

SPEC = WorkSpec(title="Label", description="Pick a label", reward_cents=20, max_assignments=1)


def _page_stores(store, task_id, assignment_id, hit_id, worker_id, result):
    """What the worker page does on submit: the annotation keyed by the assignment id."""
    with store.transaction() as s:
        annotations.submit(s, task_id, result, actor=worker_id, submission_id=assignment_id,
                           raw_payload={"assignment_id": assignment_id, "hit_id": hit_id, "worker_id": worker_id})


def test_both_directions_and_recovery(mt, sim, study, store):
    hit_ids = mt.create_work("cats", study.task_ids, SPEC).hit_ids
    t = study.task_ids
    # 1. Normal: the page stored it and MTurk has it.
    a_ok = work(sim, hit_ids[0], "A1OK", {"label": "cat"})
    _page_stores(store, t[0], a_ok, hit_ids[0], "A1OK", {"label": "cat"})
    # 2. MTurk has a submission the page never saw (the page was down).
    a_lost = work(sim, hit_ids[1], "A1LOST", {"label": "dog"})
    # 3. The page stored it, but the worker's form never reached MTurk.
    sim.faults.update(drop_external_submit=True)
    w = SimulatedWorker(sim.url, "A1UNPAID")
    a_unpaid = w.accept(hit_ids[2])["AssignmentId"]
    w.submit_to_mturk(a_unpaid, {"result": '{"label": "cat"}'})
    sim.faults.clear()
    _page_stores(store, t[2], a_unpaid, hit_ids[2], "A1UNPAID", {"label": "cat"})
    # 4. Both have it, with different results.
    a_diff = work(sim, hit_ids[3], "A1DIFF", {"label": "dog"})
    _page_stores(store, t[3], a_diff, hit_ids[3], "A1DIFF", {"label": "cat"})

    mt.sync()
    report = mt.reconcile(project="cats")
    kinds = {(d.kind, d.assignment_id) for d in report.disagreements}
    assert kinds == {("missing_on_server", a_lost), ("missing_on_mturk", a_unpaid), ("result_differs", a_diff)}

    recovered = mt.reconcile(project="cats", recover=True)
    assert recovered.recovered == 1
    with store.session() as s:
        note = s.scalars(select(Annotation).where(Annotation.submission_id == a_lost)).one()
        assert note.result == {"label": "dog"} and note.raw_payload["source"] == "mturk"
        assert len(list(s.scalars(select(Annotation)))) == 4  # the page's three and the recovered one, no doubles
    after = {(d.kind, d.assignment_id): d.detail for d in mt.reconcile().disagreements}
    assert "recovered" in after[("missing_on_server", a_lost)]
