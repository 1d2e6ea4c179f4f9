"""``workbench prolific …`` against the local Prolific simulator, in-process through click's runner: the same
everyday commands as ``workbench mturk …`` (one template), in Prolific's words, plus Prolific's own."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from tests.cli_invoke import invoker
from workbench.store.models import HIT

from .conftest import remote_study, take_part


@pytest.fixture
def run(store, sim, monkeypatch):
    monkeypatch.setenv("PROLIFIC_ENDPOINT_URL", sim.url)
    monkeypatch.setenv("WORKBENCH_PUBLIC_BASE_URL", "http://wb.invalid")
    monkeypatch.delenv("PROLIFIC_ENVIRONMENT", raising=False)
    monkeypatch.delenv("PROLIFIC_API_TOKEN", raising=False)
    return invoker(store)


def test_help_is_in_prolifics_words_with_prolifics_own_commands(run):
    top = run("prolific", "--help").output
    assert "studies" in top and "HIT" not in top and "reconcile" not in top  # reconcile: MTurk's alone
    studies = run("prolific", "studies", "--help").output
    for command in ("create", "list", "extend", "expire", "pause", "resume", "stop"):
        assert f"  {command} " in studies
    assert "HIT" not in studies and "assignment" not in studies
    review = run("prolific", "review", "--help").output
    assert "bulk-approve" in review and "request-return" in review and "participant" in review
    approve = run("prolific", "review", "approve", "--help").output
    assert "SUBMISSION_IDS..." in approve and "Approve submissions" in approve
    # MTurk's group is the same template in MTurk's words, without Prolific's commands.
    hits = run("mturk", "hits", "--help").output
    assert "pause" not in hits and "Create, list, extend, expire and associate HITs." in hits
    assert "ASSIGNMENT_IDS..." in run("mturk", "review", "approve", "--help").output
    assert "bulk-approve" not in run("mturk", "review", "--help").output
    assert run("mturk", "hits", "pause", "X", ok=False).exit_code == 2


def test_studies_create_offers_only_what_a_study_can_take(run):
    """MTurk's frame (--frame-height, --mode) and the requirements Prolific has no filter for (--locale,
    --min-approved, --masters: refused with the field named) are left out of Prolific's help and parser."""
    mturk_only = ("--frame-height", "--mode", "--locale", "--min-approved", "--masters")
    shown = run("prolific", "studies", "create", "--help").output
    assert "--min-approval-rate" in shown and "--exclude-past" in shown  # Prolific's approval_rate and blocklist
    assert not [flag for flag in mturk_only if flag in shown]
    on_mturk = run("mturk", "hits", "create", "--help").output
    assert all(flag in on_mturk for flag in mturk_only)
    refused = run("prolific", "studies", "create", "--project", "cats", "--masters", ok=False)
    assert refused.exit_code == 2 and "No such option '--masters'" in refused.output


def test_production_needs_confirmation_as_on_mturk(run, sim):
    before = sum(sim.status()["calls"].values())
    refused = run("prolific", "-e", "production", "studies", "list", ok=False)
    assert refused.exit_code == 1 and "confirm" in refused.output.lower() and "production" in refused.output
    assert sum(sim.status()["calls"].values()) == before


def test_studies_sync_review_pause_cost(run, sim, store, study):
    created = json.loads(run("prolific", "studies", "create", "--project", "cats", "--title", "Label cats",
                             "--description", "Cat or dog?", "--reward", "1.50", "--max-assignments", "2",
                             "--duration", "1800", "--quiet", "--json").output)
    assert created["created"] == 1
    again = run("prolific", "studies", "create", "--project", "cats", "--title", "Label cats", "--description",
                "Cat or dog?", "--reward", "1.50", "--max-assignments", "2", "--duration", "1800", "--quiet").output
    assert "0 studies created, 0 recovered, 1 already recorded (local)" in again
    study_id = created["hit_ids"][0]
    listed = run("prolific", "studies", "list", "--project", "cats").output
    assert listed.startswith(study_id)

    assert f"study {study_id} paused" in run("prolific", "studies", "pause", study_id).output
    assert remote_study(sim, study_id)["status"] == "PAUSED"   # the spec's study status enum
    assert f"study {study_id} resumed" in run("prolific", "studies", "resume", study_id).output
    assert remote_study(sim, study_id)["status"] == "ACTIVE"

    with store.session() as s:
        code = s.scalars(select(HIT).where(HIT.hit_id == study_id)).one().payload["completion_codes"]["complete"]
    start = take_part(sim, "PCLI1", study_id, code)
    sub_id = httpx.URL(start.headers["location"]).params["SESSION_ID"]
    run("prolific", "sync")
    synced = run("prolific", "sync").output
    assert "studies" in synced and "HIT" not in synced

    refused = run("prolific", "review", "bulk-approve", sub_id, ok=False)  # no visit through the study URL
    assert refused.exit_code == 1 and f"{sub_id} refused" in refused.output and "completion code" in refused.output
    run("prolific", "review", "request-return", sub_id, "--reason", "You opened the study twice.")
    with httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token t"}) as c:
        assert c.get(f"submissions/{sub_id}/").json()["return_requested"]

    cost = json.loads(run("prolific", "cost", "--json").output)
    assert cost["spent_cents"] == 0 and "committed_cents" in cost
    assert "Prolific (local): spent $0.00" in run("prolific", "cost").output
    assert f"study {study_id} stopped" in run("prolific", "studies", "stop", study_id).output
    # STOP ends the study: the spec's study status enum has AWAITING REVIEW while submissions await review.
    assert remote_study(sim, study_id)["status"] in ("AWAITING REVIEW", "COMPLETED")


def test_sync_offers_only_what_prolifics_sync_takes(run):
    """MTurk's --method and --max-unseen would be ignored on Prolific: its sync has no such choice, so its help
    lists only --sweep (and an MTurk option is an unknown option there, not a silent no-op)."""
    shown = run("prolific", "sync", "--help").output
    assert "--sweep" in shown and "--method" not in shown and "--max-unseen" not in shown
    assert "--method" in run("mturk", "sync", "--help").output
    refused = run("prolific", "sync", "--method", "poll", ok=False)
    assert refused.exit_code == 2 and "No such option '--method'" in refused.output


def test_hooks_setup_writes_the_secret_to_a_private_file_and_never_prints_it(run, sim, tmp_path):
    secret_file = tmp_path / "hook-secret"
    done = run("prolific", "hooks", "setup", "--base-url", "http://wb.invalid", "--secret-file", str(secret_file))
    secret = secret_file.read_text().strip()
    with httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token t"}) as c:
        ws = c.get("workspaces/").json()["results"][0]["id"]
        held = [row["value"] for row in c.get("hooks/secrets/", params={"workspace_id": ws}).json()["results"]]
        subs = c.get("hooks/subscriptions/", params={"workspace_id": ws}).json()["results"]
    assert held == [secret] and secret not in done.output
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
    assert {(s["target_url"], s["is_enabled"]) for s in subs} == {("http://wb.invalid/workbench/prolific/hooks", True)}
    again = run("prolific", "hooks", "setup", "--base-url", "http://wb.invalid", "--secret-file", str(secret_file),
                "--json")
    assert json.loads(again.output)["subscribed"] == [] and secret_file.read_text().strip() == secret
    assert "No such command 'hooks'" in run("mturk", "hooks", "--help", ok=False).output  # MTurk has no webhooks
