"""The dashboard's figures from a store: cost as a step over the real dates, time on task from real times."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from workbench.results import dashboard
from workbench.study import projects
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench.store.models import HIT, Assignment, Bonus, Worker

from ..panels.conftest import crowd  # noqa: F401  (the fixture)
from ..study_data import seed_study

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def paid(store, monkeypatch):
    """Three assignments of one HIT (50¢, 3 assignments) worked within one hour, two approved, one bonus paid."""
    monkeypatch.setenv("MTURK_ENVIRONMENT", "local")
    with store.transaction() as s:
        project = projects.create(s, "money")
        hit = HIT(provider="mturk", environment="local", hit_id="HITM", project_id=project.id, status="reviewable",
                  reward_cents=50, max_assignments=3, created_at=T0)
        s.add(hit)
        s.flush()
        for n, (accepted, submitted, approved) in enumerate([(0, 4, 10), (1, 7, 12), (2, 30, None)]):
            s.add(Worker(provider="mturk", worker_id=f"W{n}"))
            s.add(Assignment(provider="mturk", assignment_id=f"AM{n}", hit_pk=hit.id, worker_id=f"W{n}",
                             status="approved" if approved is not None else "submitted",
                             accept_time=minutes(accepted), submit_time=minutes(submitted),
                             approval_time=minutes(approved) if approved is not None else None))
        s.flush()
        first = s.query(Assignment).filter_by(assignment_id="AM0").one()
        s.add(Bonus(provider="mturk", assignment_pk=first.id, worker_id="W0", amount_cents=100, reason="thanks",
                    idempotency_key="k-AM0", unique_request_token="bonus-AM0", status="paid", paid_at=minutes(20)))
    return store


def test_cost_is_a_step_from_nothing_at_the_first_accept_to_the_total_at_the_last_event(paid):
    frame = dashboard.assignments_frame(paid, "money")
    cost = dashboard.cost_over_time(paid, "money", frame)
    # MTurk's fees (its pricing page): 20 % of a reward for HITs of fewer than 10 assignments, 20 % of a bonus.
    # So an approval costs 50¢ + 10¢ and the $1 bonus $1.20.
    assert list(cost.index) == [minutes(0), minutes(10), minutes(12), minutes(20), minutes(30)]
    assert list(cost.round(2)) == [0.0, 0.6, 1.2, 2.4, 2.4]
    # Drawn over the hour it happened in, not over years.
    first, last = dashboard.date_limits(cost.index)
    assert (first, last) == (minutes(0), minutes(30))


def test_an_axis_for_one_instant_spans_minutes_not_years():
    one = pd.DatetimeIndex([minutes(5)])
    assert dashboard.date_limits(one) == (minutes(0), minutes(10))
    assert dashboard.date_limits(one, least=pd.Timedelta(hours=2), margin=pd.Timedelta(minutes=1)) == (
        minutes(5 - 61), minutes(5 + 61))
    with pytest.raises(ValueError):
        dashboard.date_limits(pd.DatetimeIndex([]))


def test_nothing_spent_is_an_empty_series(store, tmp_path, monkeypatch):
    monkeypatch.setenv("MTURK_ENVIRONMENT", "local")
    seed_study(store, tmp_path / "images", slug="unpaid")  # submitted and approved rows, no approval times
    frame = dashboard.assignments_frame(store, "unpaid")
    assert len(frame) == 12 and dashboard.cost_over_time(store, "unpaid", frame).empty


def test_time_on_task_comes_from_accept_and_submit_times_and_a_standing_clock_measures_nothing(crowd):
    """Through the simulator and a real sync. The ``crowd`` fixture's two workers accepted and submitted while
    the simulator's virtual clock stood still: no time on task, not 0 s. A third worker's clock is advanced
    between accept and submit, as real time passes while a worker works."""
    created = crowd.provider.create_work("crowd", crowd.study.task_ids["bounding-box"],
                                         WorkSpec(title="Box the shapes", description="Boxes", reward_cents=5,
                                                  max_assignments=1))
    took = [40, 60]
    for hit_id, seconds in zip(created.hit_ids, took):
        visitor = SimulatedWorker(crowd.sim.url, "A1FAST")
        accepted = visitor.accept(hit_id)
        crowd.sim.clock.advance(seconds)
        assert visitor.submit_to_mturk(accepted["AssignmentId"], {"result": json.dumps({"boxes": []})}) == 200
    crowd.provider.sync()

    frame = dashboard.assignments_frame(crowd.store, "crowd")
    by = frame.set_index(["worker_id", "hit_id"])["seconds_on_task"]
    assert [by[("A1FAST", hit_id)] for hit_id in created.hit_ids] == [40.0, 60.0]
    still = frame[frame["worker_id"] != "A1FAST"]
    assert len(still) == 4 and still["seconds_on_task"].isna().all()
    table = dashboard.worker_table(frame)
    assert list(table.columns) == dashboard.WORKER_COLUMNS
    assert table.loc["A1FAST", ["timed", "median_seconds"]].tolist() == [2, 50.0]
    # Effective hourly pay: two 5-cent HITs in 40 + 60 s, 10 cents per 100 s = 360 cents an hour.
    assert table.loc["A1FAST", "hourly_pay_cents"] == pytest.approx(360.0)
    for worker in ("A1PANELWA", "A1PANELWB"):
        assert table.loc[worker, "timed"] == 0 and pd.isna(table.loc[worker, "median_seconds"])
        assert pd.isna(table.loc[worker, "hourly_pay_cents"])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_gold_table_counts_each_workers_gold_items_and_their_accuracy(make_store, backend):
    """Issue 17: a worker's running gold accuracy, with its count; a worker with no gold item is not listed."""
    from workbench.study import annotations

    from ..study_data import gold_project

    store = make_store(backend)
    with store.transaction() as s:
        golds, [plain] = gold_project(s, ["cat", "dog", "cat"])
        # W1: right, right, wrong (2 of 3); W2: wrong (0 of 1); W3 answers only the plain task.
        for worker, task_id, label in (("W1", golds[0], "cat"), ("W1", golds[1], "dog"), ("W1", golds[2], "dog"),
                                       ("W2", golds[0], "dog"), ("W3", plain, "cat")):
            annotations.submit(s, task_id, {"labels": [label]}, actor=worker)
    table = dashboard.gold_table(store, "gold")
    assert list(table.columns) == dashboard.GOLD_COLUMNS
    assert table.to_dict("index") == {
        "W2": {"gold_items": 1, "gold_correct": 0, "gold_accuracy": 0.0, "mean_gold_score": 0.0},
        "W1": {"gold_items": 3, "gold_correct": 2, "gold_accuracy": pytest.approx(2 / 3),
               "mean_gold_score": pytest.approx(2 / 3)}}
    assert list(table.index) == ["W2", "W1"]  # the least accurate first, for review
