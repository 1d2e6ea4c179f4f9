"""``workbench demo --headless --provider prolific``: the demo study, unchanged, on another provider, end to end.

The demo runs once per provider (a module fixture, as a child process in a session of its own; whatever
happens, every process it was seen to start is killed at the end) and the tests read what it did: its
summary, its store, its exports. People went through the real pages (participants of the Prolific
simulator through the workbench's entry route); every task got its annotations; the bonus asked for twice
with one key shows once on the platform's own record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from workbench.store import Store
from workbench.store.models import Annotation, Bonus, Project, Task

from .test_demo import COCO_SCHEMA
from .test_demo_signals import left_behind, ports, refuses, running_demo

TASKS = 3        # images; each has a classification and a bounding-box task
PER_TASK = 2     # the demo's default annotations per task


@dataclass
class Ran:
    home: Path
    code: int
    text: str
    left: list[str]
    summary: dict[str, Any]

    def store(self) -> Store:
        return Store(f"sqlite:///{self.home / 'workbench.db'}", create=False)


def run_demo(tmp_path_factory, provider: str):
    home = tmp_path_factory.mktemp(provider) / "home"
    with running_demo(["--headless", "--tasks", str(TASKS), "--provider", provider], home) as demo:
        code = demo.finish(timeout=900)
        text = demo.text()
        summary = json.loads(demo.output[-1]) if code == 0 else {}
        assert code == 0, text + demo.logs()
        yield Ran(home, code, text, left_behind(demo), summary)


@pytest.fixture(scope="module")
def prolific(tmp_path_factory):
    yield from run_demo(tmp_path_factory, "prolific")


def annotations_per_task(store: Store, project: str) -> dict[int, tuple[int, int]]:
    """{task id: (annotations, target)} of the project, read from the store."""
    with store.session() as s:
        rows = s.execute(select(Task.id, Task.target_annotations, func.count(Annotation.id))
                         .join(Project, Project.id == Task.project_id)
                         .outerjoin(Annotation, Annotation.task_id == Task.id)
                         .where(Project.slug == project).group_by(Task.id, Task.target_annotations)).all()
    return {task_id: (count, target) for task_id, target, count in rows}


@pytest.mark.slow
def test_prolific_demo_runs_the_same_study_through_the_entry_route(prolific):
    summary = prolific.summary
    assert summary["provider"] == "prolific" and summary["project"] == "demo"
    assert summary["tasks"] == 2 * TASKS and summary["hits"] == 1  # one study covers every task
    places = 2 * TASKS * PER_TASK
    people = summary["recruited"]["participants"]
    # some returned the study, some started and never finished (timed out by the simulator's clock)
    assert people["returned"] >= 1 and people["timed_out"] >= 1 and people["failed"] == 0, people
    assert people["completed"] == summary["assignments_submitted"] == places
    assert summary["annotations_ingested"] == summary["assignments_submitted"]
    # the simulator's own record of the submissions, and the workbench's, agree
    assert summary["simulator"]["submissions_by_status"] == {
        "APPROVED": places, "RETURNED": people["returned"], "TIMED-OUT": people["timed_out"]}
    assert summary["assignments_by_status"] == {
        "approved": places, "returned": people["returned"], "expired": people["timed_out"]}
    assert summary["review"] == {"approved": places, "failed": []}


@pytest.mark.slow
def test_prolific_demo_loses_nothing(prolific):
    assert prolific.summary["tasks_short"] == []
    store = prolific.store()
    try:
        found = annotations_per_task(store, "demo")
    finally:
        store.dispose()
    assert len(found) == 2 * TASKS
    assert all(count == target == PER_TASK for count, target in found.values()), found


@pytest.mark.slow
def test_prolific_hooks_arrive_signed_and_sync_is_the_backstop(prolific):
    hooks = prolific.summary["simulator"]["hooks"]
    # every delivery the simulator made to /workbench/prolific/hooks was accepted: signature and window held
    assert hooks["SUCCEEDED"] > 0 and hooks["FAILED"] == 0 and hooks["PENDING"] == 0, hooks
    # before the sync ran, the hooks alone had recorded every submission in its state (the polling is the backstop)
    people = prolific.summary["recruited"]["participants"]
    assert prolific.summary["assignments_before_sync"] == {
        "submitted": people["completed"], "returned": people["returned"], "expired": people["timed_out"]}
    assert all(Path(p).is_file() for p in prolific.summary["notebooks"])


@pytest.mark.slow
def test_prolific_bonus_asked_twice_is_paid_once_on_the_simulator(prolific):
    bonus = prolific.summary["bonus"]
    assert bonus["calls"] == 2 and bonus["already_paid"] == [False, True]
    assert bonus["platform_payments"] == 1  # the submission's bonus_payments on the simulator
    assert prolific.summary["simulator"]["bonus_pay_calls"] == 1  # Prolific's pay call is not idempotent: one call
    store = prolific.store()
    try:
        with store.session() as s:
            rows = s.scalars(select(Bonus).where(Bonus.idempotency_key == bonus["key"])).all()
    finally:
        store.dispose()
    assert [(r.provider, r.status, r.amount_cents) for r in rows] == [("prolific", "paid", bonus["amount_cents"])]


@pytest.mark.slow
def test_prolific_exports_carry_the_provider_and_every_annotation(prolific):
    files = {f["format"]: f for f in prolific.summary["exports"]}
    table = pq.read_table(files["parquet"]["path"])
    assert table.num_rows == files["parquet"]["rows"] == prolific.summary["annotations_ingested"]
    assert set(table.column("provider").to_pylist()) == {"prolific"}
    assert len(set(table.column("assignment_id").to_pylist())) == table.num_rows  # a submission per annotation
    assert all(table.column("worker_id").to_pylist())
    coco = json.loads(Path(files["coco"]["path"]).read_text())
    jsonschema.validate(coco, COCO_SCHEMA)
    assert len(coco["images"]) == TASKS and files["long"]["rows"] == table.num_rows


@pytest.mark.slow
def test_prolific_demo_stops_what_it_started(prolific):
    assert prolific.left == []
    found = ports(prolific.text)
    assert set(found) == {"simulator", "server"}
    assert all(refuses(port) for port in found.values()), found
