"""``workbench mturk …`` against the simulator, in-process through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.cli_invoke import invoker
from workbench.cli import cli

from .conftest import work


@pytest.fixture
def run(store, sim, monkeypatch):
    monkeypatch.setenv("MTURK_LOCAL_ENDPOINT", sim.url)
    monkeypatch.delenv("MTURK_ENVIRONMENT", raising=False)
    return invoker(store)


def test_hits_sync_ingest_review_balance(run, sim, study):
    created = json.loads(run("mturk", "hits", "create", "--project", "cats", "--title", "Label",
                             "--description", "Pick a label", "--reward", "0.25", "--max-assignments", "1",
                             "--locale", "US", "--quiet", "--json").output)
    assert created["created"] == 4
    again = run("mturk", "hits", "create", "--project", "cats", "--title", "Label", "--description", "Pick a label",
                "--reward", "0.25", "--max-assignments", "1", "--quiet", *sum([["--task", str(t)] for t in study.task_ids], []))
    assert "0 HITs created, 0 recovered, 4 already recorded (local)" in again.output
    listed = json.loads(run("mturk", "hits", "list", "--project", "cats", "--json").output)
    assert len(listed) == 4 and {h["environment"] for h in listed} == {"local"}
    hit_ids = [h["hit_id"] for h in listed]
    assignments = [work(sim, hit_id, f"A1CLI{i}") for i, hit_id in enumerate(hit_ids[:3])]

    assert "3 changed HITs, 3 new and 0 updated assignments" in run("mturk", "sync").output
    assert "3 ingested" in run("mturk", "ingest").output
    run("mturk", "review", "approve", assignments[0], "--feedback", "thanks")
    refused = run("mturk", "review", "reject", assignments[1], ok=False)
    assert refused.exit_code == 2 and "--feedback" in refused.output
    run("mturk", "review", "reject", assignments[1], "--feedback", "wrong label")
    wrong = run("mturk", "review", "reject", assignments[0], "--feedback", "no", ok=False)
    assert wrong.exit_code == 1 and "already approved" in wrong.output
    assert f"$0.10 to A1CLI0 for {assignments[0]}, paid" in run("mturk", "review", "bonus", assignments[0],
                                                                 "--amount", "0.10", "--reason", "good").output
    run("mturk", "review", "block", "A1CLI1", "--reason", "spam")
    run("mturk", "review", "unblock", "A1CLI1")
    run("mturk", "hits", "extend", hit_ids[3], "--assignments", "2")
    assert "expired" in run("mturk", "hits", "expire", hit_ids[3]).output
    balance = json.loads(run("mturk", "balance", "--json").output)
    assert balance["cost"]["rewards_cents"] == 25 and balance["cost"]["bonuses_cents"] == 10
    assert balance["balance_cents"] == 1_000_000 - 25 - 5 - 10 - 2


def test_associate_and_production_needs_confirmation(run, sim, study):
    from workbench.devtools.mturk_sim.seeding import external_question

    hit_id = sim.client().create_hit(Title="t", Description="d", Reward="0.10", AssignmentDurationInSeconds=60,
                                     LifetimeInSeconds=600, Question=external_question("https://e.org/"))["HIT"]["HITId"]
    assert "associated with project cats, task" in run("mturk", "hits", "associate", hit_id, "--project", "cats",
                                                       "--task", str(study.task_ids[0])).output
    refused = run("mturk", "--environment", "production", "sync", ok=False)
    assert refused.exit_code == 1 and "--confirm-production" in refused.output
    unknown = run("mturk", "review", "approve", "NOSUCHASSIGNMENT", ok=False)
    assert unknown.exit_code == 1 and "assignment 'NOSUCHASSIGNMENT' not found" in unknown.output


def test_mturk_sim_command_is_registered():
    result = CliRunner().invoke(cli, ["mturk-sim", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "--db" in result.output


def test_hits_outside_local_need_a_public_address(run, study, monkeypatch):
    monkeypatch.setenv("MTURK_ENVIRONMENT", "sandbox")
    monkeypatch.delenv("WORKBENCH_PUBLIC_BASE_URL", raising=False)
    refused = run("mturk", "hits", "create", "--project", "cats", "--title", "Label", "--description", "Pick",
                  "--reward", "0.25", "--quiet", ok=False)
    assert refused.exit_code == 1
    assert "public_base_url: is not set" in refused.output and "WORKBENCH_PUBLIC_BASE_URL" in refused.output
    monkeypatch.setenv("WORKBENCH_PUBLIC_BASE_URL", "http://annotate.example.org")
    refused = run("mturk", "hits", "create", "--project", "cats", "--title", "Label", "--description", "Pick",
                  "--reward", "0.25", "--quiet", ok=False)
    assert refused.exit_code == 1 and "is not https" in refused.output


def test_a_reused_simulator_is_a_conflict_not_a_remapping(store, study, monkeypatch):
    """A fresh simulator with the same seed hands out the same HIT ids: the CLI says so and exits 1."""
    from workbench.devtools.mturk_sim import Simulator

    monkeypatch.delenv("MTURK_ENVIRONMENT", raising=False)
    args = ["--database-url", store.url, "mturk", "hits", "create", "--project", "cats", "--title", "Label",
            "--description", "Pick", "--reward", "0.25", "--quiet"]
    for tasks, expected in ((study.task_ids[:2], 0), (study.task_ids[2:], 1)):
        with Simulator(seed=7) as sim:
            monkeypatch.setenv("MTURK_LOCAL_ENDPOINT", sim.url)
            done = CliRunner().invoke(cli, [*args, *sum([["--task", str(t)] for t in tasks], [])])
        assert done.exit_code == expected, done.output
    assert "2 conflict(s), left unrecorded: hit " in done.output and "held" not in done.output
    # (which request got which id is the order in which they reached the simulator)
    for recorded, given in ((study.task_ids[:2], study.task_ids[2]), (study.task_ids[:2], study.task_ids[3])):
        assert any(f"is recorded for task {r}, MTurk gave it for task {given}" in done.output for r in recorded)


def test_money_on_the_command_line_a_rerun_bonus_pays_once_and_overrides_are_explicit(run, sim, study):
    """Issue 15: `review bonus` run twice printed "paid" twice and MTurk paid twice."""
    run("mturk", "hits", "create", "--project", "cats", "--title", "Label", "--description", "Pick",
        "--reward", "0.25", "--quiet")
    listed = json.loads(run("mturk", "hits", "list", "--project", "cats", "--json").output)
    first, second = (work(sim, h["hit_id"], f"A1RERUN{i}") for i, h in enumerate(listed[:2]))
    run("mturk", "sync")
    command = ("mturk", "review", "bonus", first, "--amount", "0.10", "--reason", "R")
    assert ", paid" in run(*command).output
    rerun = run(*command).output
    assert "already paid" in rerun and "--key" in rerun
    assert len(sim.client().list_bonus_payments(AssignmentId=first)["BonusPayments"]) == 1
    assert "already" not in run(*command, "--key", "round-2").output
    assert len(sim.client().list_bonus_payments(AssignmentId=first)["BonusPayments"]) == 2
    for amount in ("0.001", "-1", "abc", "nan"):
        refused = run("mturk", "review", "bonus", first, "--amount", amount, "--reason", "R", ok=False)
        assert refused.exit_code == 2 and "--amount" in refused.output
    ledger = json.loads(run("mturk", "payments", "list", "--json").output)
    assert [r["idempotency_key"] for r in ledger][0] == "round-2" and len(ledger) == 2
    assert "2 payments confirmed" in run("mturk", "payments", "reconcile", "--project", "cats").output
    sim.client().send_bonus(WorkerId="A1RERUN0", BonusAmount="0.03", AssignmentId=first, Reason="by hand",
                            UniqueRequestToken="paid-outside-the-workbench")
    disagree = run("mturk", "payments", "reconcile", "--project", "cats", ok=False)
    assert disagree.exit_code == 1 and "paid on the platform, not in the ledger" in disagree.output

    run("mturk", "review", "reject", second, "--feedback", "wrong")
    refused = run("mturk", "review", "approve", second, ok=False)
    assert refused.exit_code == 1 and "was rejected" in refused.output and "--override" in refused.output
    assert f"{second} approved" in run("mturk", "review", "approve", second, "--override").output
    assert run("mturk", "review", "block", "A1RERUN0", ok=False).exit_code == 2  # --reason is required
    unknown = run("mturk", "review", "unblock", "A1NOBODY", ok=False)
    assert unknown.exit_code == 1 and "not found" in unknown.output
    assert run("mturk", "review", "block", "A1RERUN0", "--undo", ok=False).exit_code == 2  # the alias is gone
