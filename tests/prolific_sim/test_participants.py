"""Simulated participants (``prolific_sim.crowd``) against the simulator and a real workbench server.

The study is made by the workbench's Prolific provider, so its URL is the server's entry route; the
participants start at the simulator, are redirected there, answer in the real pages and come back to
the simulator's completion URL. Expected statuses and code types are Prolific's (prolific-openapi.yml),
read back from the simulator's API, not from the module under test. The server and the simulator are
started once for the module and stopped in the fixture's finalizer, also when a test fails.
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from workbench.crowd.providers import WorkSpec, get_provider
from workbench.devtools import demo
from workbench.devtools.prolific_sim import Faults, Simulator, run_participants
from workbench.devtools.prolific_sim.crowd import participant_id, plan
from workbench.store import Store
from workbench.store.models import Annotation
from workbench.study import tasks

from tests.workbench_site import workbench_site

from .helpers import published

SPEC = dict(title="Shapes", description="Label the shapes in a picture.", reward_cents=20, duration=1800)


@dataclass
class Site:
    store: Store
    sim: Simulator
    base_url: str
    provider: object

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.sim.api_url, headers={"Authorization": "Token test"}, timeout=10)

    def study(self, images: int, per_task: int = 1) -> tuple[str, list[int]]:
        """A new demo project of ``images`` pictures (two tasks each) and its published study."""
        made = demo.run(self.store, n_tasks=images, target_annotations=per_task, echo=lambda _line: None)
        with self.store.session() as s:
            task_ids = [t.id for t in tasks.list_(s, project=made["project"], limit=100)]
        created = self.provider.create_work(made["project"], task_ids, WorkSpec(**SPEC, max_assignments=per_task))
        return created.hit_ids[0], task_ids

    def codes(self, study_id: str) -> dict[str, str]:
        """{code_type: code} of the study, as the simulator holds it."""
        with self.api() as api:
            return {c["code_type"]: c["code"] for c in api.get(f"studies/{study_id}/").json()["completion_codes"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with ExitStack() as stack:
        sim = Simulator(seed=5, faults=Faults(bonus_pay_delay=0.05)).start()
        stack.callback(sim.stop)
        store, base_url = stack.enter_context(workbench_site(tmp_path_factory.mktemp("participants"), {
            "WORKBENCH_PROVIDER": "prolific", "PROLIFIC_ENVIRONMENT": "local", "PROLIFIC_ENDPOINT_URL": sim.url,
            "PROLIFIC_COMPLETION_URL": f"{sim.url}/submissions/complete"}))
        provider = get_provider("prolific", "local", store=store, endpoint_url=sim.url, public_base_url=base_url)
        stack.callback(provider.client.close)
        yield Site(store, sim, base_url, provider)


def test_plan_takes_the_shares_and_the_seed_fixes_the_order():
    made = plan(10, seed=1, share_return=0.2, share_timeout=0.1)
    assert sorted(made) == ["complete"] * 7 + ["return"] * 2 + ["time_out"]
    assert plan(10, seed=1, share_return=0.2, share_timeout=0.1) == made
    assert {tuple(plan(10, seed=s, share_return=0.2, share_timeout=0.1)) for s in range(5)} != {tuple(made)}
    with pytest.raises(ValueError):
        plan(4, share_return=0.75, share_timeout=0.75)
    assert len({participant_id(1, i) for i in range(50)} | {participant_id(2, i) for i in range(50)}) == 100


@pytest.mark.slow
def test_participants_complete_return_and_time_out_through_the_entry_route(site):
    study_id, task_ids = site.study(images=3)  # six tasks, one annotation each: six places
    codes = site.codes(study_id)

    done = run_participants(site.sim.url, study_id, 6, seed=3, share_return=1 / 6, share_timeout=1 / 6)

    assert done.counts == {"completed": 4, "no_task": 0, "returned": 1, "timed_out": 1, "stalled": 0,
                           "refused": 0, "failed": 0}, [o.error for o in done.outcomes]
    by_outcome = {o.outcome: [] for o in done.outcomes}
    for o in done.outcomes:
        by_outcome[o.outcome].append(o)
    # prolific-openapi.yml, Submission.status: the simulator's record of each
    assert {o.submission_status for o in by_outcome["completed"]} == {"AWAITING REVIEW"}
    assert [o.submission_status for o in by_outcome["returned"]] == ["RETURNED"]
    assert [o.submission_status for o in by_outcome["timed_out"]] == ["TIMED-OUT"]
    # the completed came back with the study's COMPLETED code (BaseStudy.completion_codes code_type)
    assert {o.completion_code for o in by_outcome["completed"]} == {codes["COMPLETED"]}
    # the clock moved past the study's maximum_allowed_time (minutes)
    with site.api() as api:
        maximum = api.get(f"studies/{study_id}/").json()["maximum_allowed_time"]
    assert done.clock_advanced > maximum * 60
    # each completed participant's answer is in the workbench's store, under their id, for a task of the study
    with site.store.session() as s:
        stored = {(a.actor, a.task_id) for a in s.scalars(select(Annotation).where(Annotation.task_id.in_(task_ids)))}
    assert stored == {(o.participant_id, t) for o in by_outcome["completed"] for t in o.tasks}
    assert len(stored) == 4 and done.tasks_done == 4


@pytest.mark.slow
def test_a_full_study_turns_a_participant_away_and_one_with_no_task_left_is_sent_back(site):
    study_id, _ = site.study(images=1)  # two tasks, two places
    codes = site.codes(study_id)
    first = run_participants(site.sim.url, study_id, 2, seed=4)
    assert first.counts["completed"] == 2, [o.error for o in first.outcomes]

    full = run_participants(site.sim.url, study_id, 1, seed=4, first=2)
    # every place taken: the study waits for review and takes no one (the simulator's 403 page says why)
    assert full.counts["refused"] == 1 and "AWAITING REVIEW" in full.outcomes[0].error

    site.provider.extend(study_id, assignments=1)  # a place, but no task left for it
    late = site.sim.run_participants(study_id, 1, seed=4, first=3)
    [outcome] = late.outcomes
    assert (outcome.outcome, outcome.tasks) == ("no_task", []), outcome.error
    # sent back with the study's OTHER code, whose action asks them to return the study (RequestReturn)
    assert outcome.completion_code == codes["OTHER"] != codes["COMPLETED"]
    with site.api() as api:
        sub = api.get(f"submissions/{outcome.submission_id}/").json()
    assert sub["return_requested"] is not None and sub["entered_code"] == codes["OTHER"]


def test_a_participant_who_cannot_reach_the_simulator_is_counted_failed(tmp_path):
    done = run_participants("http://127.0.0.1:9", "no-such-study", 1, timeout=2)
    assert done.counts["failed"] == 1 and done.outcomes[0].error


def test_a_site_that_never_sends_them_back_is_a_failure_not_a_completion(prolific, api):
    """A study whose URL leads nowhere near a study site (here: the simulator's own status page)."""
    study = published(api, external_study_url=f"{prolific.url}/_sim/status?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}")
    done = run_participants(prolific.url, study["id"], 1)
    [outcome] = done.outcomes
    assert outcome.outcome == "failed" and "HTTP 200" in outcome.error and outcome.submission_status == "ACTIVE"
