"""The whole MTurk lifecycle through a real boto3 client against the local simulator."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from workbench import review
from workbench.crowd.providers import WorkSpec
from workbench.store.models import HIT, Annotation, Assignment, Bonus, Event, Task, Worker

from .conftest import work


def test_create_work_sync_ingest_review_pay(mt, sim, study, store):
    start = Decimal(sim.client().get_account_balance()["AvailableBalance"])
    spec = WorkSpec(title="Label a cat", description="Is it a cat or a dog?", reward_cents=50, max_assignments=2,
                    keywords=["image", "label"], qualifications={"locales": ["US"], "min_approval_rate": 95})
    created = mt.create_work("cats", study.task_ids, spec, batch_size=3)
    assert (created.created, created.recovered, created.existing) == (4, 0, 0)
    with store.session() as s:
        rows = list(s.scalars(select(HIT).order_by(HIT.task_id)))
    assert [r.task_id for r in rows] == study.task_ids
    assert {r.environment for r in rows} == {"local"} and all(len(r.unique_request_token) == 64 for r in rows)
    remote = sim.client().get_hit(HITId=rows[0].hit_id)["HIT"]
    assert f"/workbench/annotate/{study.task_ids[0]}" in remote["Question"]
    assert {q["QualificationTypeId"] for q in remote["QualificationRequirements"]} == {
        "00000000000000000071", "000000000000000000L0"}

    # Two HITs get both their assignments (they become Reviewable); one gets one of two.
    done = {}
    for hit in rows[:2]:
        done[hit.hit_id] = [work(sim, hit.hit_id, f"A1WORKER{k}", {"label": "cat" if k else "dog"}) for k in (1, 2)]
    work(sim, rows[2].hit_id, "A1WORKER1")

    synced = mt.sync()
    assert synced.changed_hits == 2 and synced.assignments_new == 4 and synced.workers_new == 2
    assert synced.api_calls == 1 + 2  # one page of reviewable HITs, one listing per changed HIT
    assert mt.sync().changed_hits == 0  # nothing changed since: not asked again

    ingested = mt.ingest()
    assert (ingested.ingested, ingested.invalid, ingested.duplicates) == (4, 0, 0)
    assert mt.ingest().ingested == 0
    with store.session() as s:
        notes = list(s.scalars(select(Annotation).order_by(Annotation.id)))
        assert len(notes) == 4 and {n.submission_id for n in notes} == {a for ids in done.values() for a in ids}
        assert all(n.raw_payload["source"] == "mturk" and n.raw_payload["submit_time"] for n in notes)
        assert all(n.assignment_pk is not None for n in notes)
        assert s.scalar(select(func.count()).select_from(Task).where(Task.status == "complete")) == 2
        assert s.scalar(select(func.count()).select_from(Worker)) == 2

    first, second = done[rows[0].hit_id]
    mt.approve(first, feedback="Thanks")
    mt.reject(second, "The image shows a dog, not a cat.")
    mt.approve(second, override=True)
    paid = review.bonus(mt, first, 25, "Careful work")
    mt.block("A1WORKER2", "Too fast")
    mt.unblock("A1WORKER2", reason="Appealed")
    mt.block("A1WORKER2", "Too fast again")

    with store.session() as s:
        statuses = dict(s.execute(select(Assignment.assignment_id, Assignment.status)).all())
        assert statuses[first] == statuses[second] == "approved"
        assert s.get(Bonus, paid.id).status == "paid"
        assert s.scalars(select(Worker).where(Worker.worker_id == "A1WORKER2")).one().blocked
        types = {e.type for e in s.scalars(select(Event))}
    assert {"mturk.hit.created", "mturk.synced", "mturk.ingested", "annotation.created", "mturk.assignment.approved",
            "mturk.assignment.rejected", "mturk.bonus.paid", "mturk.worker.blocked",
            "mturk.worker.unblocked"} <= types
    assert sim.client().list_worker_blocks()["WorkerBlocks"][0]["WorkerId"] == "A1WORKER2"

    cost = mt.cost(project="cats")
    # Two approved assignments at $0.50 + 20 % fee, one $0.25 bonus + 20 % fee.
    assert (cost["rewards_cents"], cost["reward_fees_cents"]) == (100, 20)
    assert (cost["bonuses_cents"], cost["bonus_fees_cents"]) == (25, 5)
    assert cost["committed_rewards_cents"] == 100  # two more submitted, not yet reviewed
    assert mt.balance() == int(start * 100) - cost["spent_cents"]


def test_fees_are_40_percent_for_hits_of_ten_or_more_and_match_mturk(mt, sim, study):
    start = mt.balance()
    big = WorkSpec(title="Many raters", description="d", reward_cents=10, max_assignments=10)
    small = WorkSpec(title="Few raters", description="d", reward_cents=10, max_assignments=1)
    big_hit = mt.create_work("cats", study.task_ids[:1], big).hit_ids[0]
    small_hit = mt.create_work("cats", study.task_ids[1:2], small).hit_ids[0]
    done = [work(sim, big_hit, f"A1RATER{i:02d}") for i in range(10)] + [work(sim, small_hit, "A1RATER00")]
    assert mt.sync().assignments_new == 11
    for assignment_id in done:
        mt.approve(assignment_id)
    cost = mt.cost()
    assert cost["rewards_cents"] == 110 and cost["reward_fees_cents"] == 10 * 4 + 2
    assert start - mt.balance() == cost["spent_cents"] == 152
