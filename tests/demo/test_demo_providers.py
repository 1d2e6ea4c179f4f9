"""``workbench demo --headless --provider prolific|link-out``: the demo study, unchanged, on the other providers.

Each provider's demo runs once (a module fixture, as a child process in a session of its own; whatever
happens, every process it was seen to start is killed at the end) and the tests read what it did: its
summary, its store, its exports. People went through the real pages (the Prolific simulator's
participants through the workbench's entry route; a panel's participants through a link's entry URL),
every task got its annotations, and the bonus asked for twice with one key was paid once on the
platform's own record (the simulator's submission; for a panel with no API, its payment sheet).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from workbench.cli.demo_cmd import DEMO_PROVIDERS
from workbench.devtools import recruit
from workbench.store import Store
from workbench.store.models import Annotation, Bonus, Project, Task

from .test_demo import COCO_SCHEMA
from .test_demo_signals import left_behind, ports, refuses, running_demo

TASKS = 3        # images; each has a classification and a bounding-box task
PER_TASK = 2     # the demo's default annotations per task
PLACES = 2 * TASKS * PER_TASK
REWARD_CENTS = 5  # the demo's reward per piece of work (devtools.demo_study.SPEC)


@dataclass
class Ran:
    provider: str
    home: Path
    text: str
    left: list[str]
    summary: dict[str, Any]

    def store(self) -> Store:
        return Store(f"sqlite:///{self.home / 'workbench.db'}", create=False)


def run_demo(tmp_path_factory, provider: str):
    home = tmp_path_factory.mktemp(provider) / "home"
    with running_demo(["--headless", "--tasks", str(TASKS), "--provider", provider], home) as demo:
        code = demo.finish(timeout=900)
        assert code == 0, demo.text() + demo.logs()
        yield Ran(provider, home, demo.text(), left_behind(demo), json.loads(demo.output[-1]))


@pytest.fixture(scope="module")
def prolific(tmp_path_factory):
    yield from run_demo(tmp_path_factory, "prolific")


@pytest.fixture(scope="module")
def link_out(tmp_path_factory):
    yield from run_demo(tmp_path_factory, "link-out")


@pytest.fixture(params=["prolific", "link_out"])
def ran(request) -> Ran:
    """Each provider's one demo, for what every provider must do alike."""
    return request.getfixturevalue(request.param)


def annotations_per_task(store: Store, project: str) -> dict[int, tuple[int, int]]:
    """{task id: (annotations, target)} of the project, read from the store."""
    with store.session() as s:
        rows = s.execute(select(Task.id, Task.target_annotations, func.count(Annotation.id))
                         .join(Project, Project.id == Task.project_id)
                         .outerjoin(Annotation, Annotation.task_id == Task.id)
                         .where(Project.slug == project).group_by(Task.id, Task.target_annotations)).all()
    return {task_id: (count, target) for task_id, target, count in rows}


# -- what every provider does alike ----------------------------------------------------

@pytest.mark.slow
def test_the_same_study_runs_through_the_real_pages(ran):
    summary = ran.summary
    assert summary["provider"] == ran.provider and summary["project"] == "demo"
    assert summary["tasks"] == 2 * TASKS and summary["hits"] == 1  # one study, one link: every task
    assert summary["assignments_submitted"] == PLACES == summary["annotations_ingested"]
    assert summary["recruited"]["failed"] == 0 and summary["recruited"]["tasks_done"] == PLACES
    assert summary["review"] == {"approved": PLACES, "failed": []}  # no override needed: each code checked out
    assert summary["assignments_by_status"]["approved"] == PLACES


@pytest.mark.slow
def test_nothing_is_lost(ran):
    assert ran.summary["tasks_short"] == []
    store = ran.store()
    try:
        found = annotations_per_task(store, "demo")
    finally:
        store.dispose()
    assert len(found) == 2 * TASKS
    assert all(count == target == PER_TASK for count, target in found.values()), found


@pytest.mark.slow
def test_a_bonus_asked_twice_is_paid_once(ran):
    bonus = ran.summary["bonus"]
    assert bonus["calls"] == 2 and bonus["already_paid"] == [False, True]
    assert bonus["platform_payments"] == 1
    store = ran.store()
    try:
        with store.session() as s:
            rows = s.scalars(select(Bonus).where(Bonus.idempotency_key == bonus["key"])).all()
    finally:
        store.dispose()
    assert [(r.provider, r.status, r.amount_cents) for r in rows] == [(ran.provider, "paid", bonus["amount_cents"])]


@pytest.mark.slow
def test_exports_carry_the_provider_and_every_annotation(ran):
    files = {f["format"]: f for f in ran.summary["exports"]}
    table = pq.read_table(files["parquet"]["path"])
    assert table.num_rows == files["parquet"]["rows"] == PLACES
    assert set(table.column("provider").to_pylist()) == {ran.provider}
    assert len(set(table.column("assignment_id").to_pylist())) == PLACES  # one session per piece of work here
    assert all(table.column("worker_id").to_pylist())
    coco = json.loads(Path(files["coco"]["path"]).read_text())
    jsonschema.validate(coco, COCO_SCHEMA)
    assert len(coco["images"]) == TASKS and files["long"]["rows"] == PLACES


@pytest.mark.slow
def test_the_demo_stops_what_it_started(ran):
    assert ran.left == []
    found = ports(ran.text)
    assert "server" in found
    assert all(refuses(port) for port in found.values()), found


# -- Prolific ---------------------------------------------------------------------------

@pytest.mark.slow
def test_prolific_participants_return_and_time_out_and_both_records_agree(prolific):
    summary = prolific.summary
    people = summary["recruited"]["participants"]
    # some returned the study, some started and never finished (timed out by the simulator's clock)
    assert people["returned"] >= 1 and people["timed_out"] >= 1 and people["completed"] == PLACES, people
    assert summary["simulator"]["submissions_by_status"] == {
        "APPROVED": PLACES, "RETURNED": people["returned"], "TIMED-OUT": people["timed_out"]}
    assert summary["assignments_by_status"] == {
        "approved": PLACES, "returned": people["returned"], "expired": people["timed_out"]}
    assert set(ports(prolific.text)) == {"simulator", "server"}


@pytest.mark.slow
def test_prolific_hooks_are_the_fast_path_and_sync_the_backstop(prolific):
    """The demo's hooks come twice, out of order and held until the simulator's clock moves ten minutes
    (recruit.prolific.FAULTS): those of the first wave arrive after the time-outs move it, later ones wait."""
    hooks = prolific.summary["simulator"]["hooks"]
    # every delivery made to /workbench/prolific/hooks was accepted (signature, window, duplicates); some wait still
    assert hooks["SUCCEEDED"] > 0 and hooks["FAILED"] == 0 and hooks["PENDING"] > 0, hooks
    people = prolific.summary["recruited"]["participants"]
    before = prolific.summary["assignments_before_sync"]
    # a return reaches the workbench only from Prolific: its hook had recorded it before any sync ran
    assert before.get("returned") == people["returned"], before
    # every piece of work was recorded before sync, as it arrived at the pages or from a hook
    assert before.get("submitted", 0) + before.get("accepted", 0) == people["completed"], before
    # and after the sync (the backstop) the workbench holds Prolific's final word on each submission
    assert prolific.summary["assignments_by_status"] == {
        "approved": PLACES, "returned": people["returned"], "expired": people["timed_out"]}
    assert all(Path(p).is_file() for p in prolific.summary["notebooks"])


@pytest.mark.slow
def test_prolific_pay_call_is_made_once(prolific):
    """Prolific's pay call is not idempotent (a repeat pays again): the ledger's retry made no second call."""
    assert prolific.summary["simulator"]["bonus_pay_calls"] == 1


# -- link-out ---------------------------------------------------------------------------

@pytest.mark.slow
def test_link_out_participants_read_their_codes_and_the_link_grows_for_those_who_left(link_out):
    recruited = link_out.summary["recruited"]
    assert recruited["participants"]["abandoned"] >= 1 and recruited["participants"]["completed"] == PLACES
    assert recruited["codes_read"] == PLACES  # each read a code off the code page
    assert link_out.summary["assignments_by_status"] == {"approved": PLACES}  # an abandoned visit is no work
    assert link_out.summary["ingest"]["link_out"] == PLACES
    assert set(ports(link_out.text)) == {"server"}  # a panel with no API: nothing but the server to start


@pytest.mark.slow
def test_link_out_payment_sheet_pays_each_participant_and_the_bonus_once(link_out):
    files = {f["format"]: f for f in link_out.summary["exports"]}
    with open(files["payment-sheet"]["path"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == files["payment-sheet"]["rows"] == PLACES
    assert {r["status"] for r in rows} == {"approved"}
    assert len({r["participant_id"] for r in rows}) == PLACES
    bonus = link_out.summary["bonus"]
    assert [int(r["bonus_cents"]) for r in rows if int(r["bonus_cents"])] == [bonus["amount_cents"]]
    assert sum(int(r["total_cents"]) for r in rows) == PLACES * REWARD_CENTS + bonus["amount_cents"]
    assert link_out.summary["payment_sheet"]["owed_cents"] == PLACES * REWARD_CENTS + bonus["amount_cents"]


def test_the_command_offers_every_provider_the_demo_runs_on():
    assert DEMO_PROVIDERS == recruit.NAMES == ("mturk", "prolific", "link-out")
