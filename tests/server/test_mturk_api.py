"""The MTurk researcher API through a real Jupyter server, against the local simulator."""

from __future__ import annotations

import asyncio
import json

import pytest

from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.store.models import Annotation, Event

BOTH = pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
SPEC = {"title": "Label an image", "description": "Cat or dog?", "reward_cents": 30, "max_assignments": 1}


@pytest.fixture
def sim(sim, monkeypatch):
    """The suite's simulator, where the server's provider finds it."""
    monkeypatch.setenv("MTURK_LOCAL_ENDPOINT", sim.url)
    monkeypatch.setenv("MTURK_MAX_ATTEMPTS", "3")
    monkeypatch.delenv("MTURK_ENVIRONMENT", raising=False)
    return sim


def submit(sim, hit_id: str, worker_id: str, result) -> str:
    worker = SimulatedWorker(sim.url, worker_id)
    assignment_id = worker.accept(hit_id)["AssignmentId"]
    assert worker.submit_to_mturk(assignment_id, {"result": json.dumps(result)}) == 200
    return assignment_id


@BOTH
async def test_sync_and_ingest_over_http_survive_hostile_answers(fetch_json, study, sim, wb_store):
    """Issue 14, defect 2: a result of 3,000 nested brackets (or a lone surrogate) posted to externalSubmit made
    every later POST /api/mturk/sync answer 500. Now it is an invalid answer on its own assignment."""
    api = "workbench/api/mturk"
    spec = {**SPEC, "max_assignments": 3}
    status, created, _ = await fetch_json(api, "hits", method="POST",
                                          body={"project": "cats", "task_ids": study.task_ids[:1], "spec": spec})
    assert status == 201
    [hit_id] = created["hit_ids"]
    submit(sim, hit_id, "A1HONEST", {"labels": ["cat"]})
    for worker_id, result in (("A1DEEP", "[" * 3000 + "]" * 3000), ("A1SURROGATE", '{"labels": ["\\ud800"]}')):
        worker = SimulatedWorker(sim.url, worker_id)
        assert worker.submit_to_mturk(worker.accept(hit_id)["AssignmentId"], {"result": result}) == 200
    outcomes = []
    for _ in range(2):  # and again: nothing is left that fails every later run
        for method in ("reviewable", "poll"):
            status, synced, _ = await fetch_json(api, "sync", method="POST", body={"method": method})
            assert status == 200, synced
        status, ingested, _ = await fetch_json(api, "ingest", method="POST", body={})
        assert status == 200, ingested
        outcomes.append((ingested["ingested"], ingested["invalid"]))
    assert outcomes == [(1, 2), (0, 0)]  # each assignment taken up once: the honest one stored, two for review
    status, page, _ = await fetch_json(api, "assignments", params={"project": "cats", "status": "submitted"})
    assert sorted(a["worker_id"] for a in page["items"]) == ["A1DEEP", "A1HONEST", "A1SURROGATE"]
    with wb_store.session() as s:
        assert [a.actor for a in s.query(Annotation)] == ["A1HONEST"]


@BOTH
async def test_hits_sync_ingest_review_through_the_api(fetch_json, study, sim, wb_store):
    api = "workbench/api/mturk"
    status, created, _ = await fetch_json(api, "hits", method="POST",
                                          body={"project": "cats", "task_ids": study.task_ids, "spec": SPEC})
    assert status == 201 and created["created"] == 2
    status, again, _ = await fetch_json(api, "hits", method="POST",
                                        body={"project": "cats", "task_ids": study.task_ids, "spec": SPEC})
    assert status == 201 and again["existing"] == 2 and again["created"] == 0
    status, page, _ = await fetch_json(api, "hits", params={"project": "cats"})
    assert status == 200 and [h["environment"] for h in page["items"]] == ["local", "local"]
    hit_ids = created["hit_ids"]
    done = [submit(sim, hit_ids[0], "A1API1", {"labels": ["cat"]}),
            submit(sim, hit_ids[1], "A1API2", {"labels": ["dog"]})]

    status, synced, _ = await fetch_json(api, "sync", method="POST", body={})
    assert status == 200 and synced["changed_hits"] == 2 and synced["assignments_new"] == 2
    status, ingested, _ = await fetch_json(api, "ingest", method="POST", body={})
    assert status == 200 and ingested["ingested"] == 2
    status, page, _ = await fetch_json(api, "assignments", params={"status": "submitted", "project": "cats"})
    assert sorted(a["assignment_id"] for a in page["items"]) == sorted(done)

    status, row, _ = await fetch_json(api, "assignments", done[0], "approve", method="POST", body={"feedback": "ok"})
    assert status == 200 and row["status"] == "approved"
    status, err, _ = await fetch_json(api, "assignments", done[0], "reject", method="POST", body={"feedback": "no"})
    assert status == 409 and err["field"] == "assignment_id"
    status, err, _ = await fetch_json(api, "assignments", done[1], "reject", method="POST", body={})
    assert status == 400 and err["field"] == "feedback"
    status, row, _ = await fetch_json(api, "assignments", done[1], "reject", method="POST",
                                      body={"feedback": "It is a cat."})
    assert status == 200 and row["status"] == "rejected"
    status, row, _ = await fetch_json(api, "assignments", done[0], "bonus", method="POST",
                                      body={"amount_cents": 20, "reason": "careful"})
    assert status == 200 and row["status"] == "paid"
    status, err, _ = await fetch_json(api, "assignments", done[0], "bonus", method="POST",
                                      body={"amount_cents": 10**9, "reason": "too much"})
    assert status == 400 and err["field"] == "amount_cents"
    status, err, _ = await fetch_json(api, "assignments", "NOSUCHASSIGNMENT", "approve", method="POST", body={})
    assert status == 404
    status, row, _ = await fetch_json(api, "workers", "A1API2", "block", method="POST", body={"reason": "careless"})
    assert status == 200 and row["blocked"]
    status, row, _ = await fetch_json(api, "workers", "A1API2", "unblock", method="POST", body={})
    assert status == 200 and not row["blocked"]
    status, history, _ = await fetch_json(api, "workers", "A1API1")
    assert status == 200 and history["assignments"][0]["status"] == "approved" and history["bonuses"]
    status, page, _ = await fetch_json(api, "workers", params={"project": "cats"})
    assert {w["worker_id"] for w in page["items"]} == {"A1API1", "A1API2"}

    status, qual, _ = await fetch_json(api, "qualification-types", method="POST",
                                       body={"name": "trained", "description": "Did the training"})
    assert status == 201
    qid = qual["qualification_type_id"]
    status, grant, _ = await fetch_json(api, "qualification-types", qid, "grant", method="POST",
                                        body={"worker_id": "A1API1", "value": 5})
    assert status == 200 and grant["value"] == 5
    status, grant, _ = await fetch_json(api, "qualification-types", qid, "revoke", method="POST",
                                        body={"worker_id": "A1API1"})
    assert status == 200 and grant["status"] == "revoked"

    status, money, _ = await fetch_json(api, "balance", params={"project": "cats"})
    assert status == 200 and money["cost"]["rewards_cents"] == 30 and money["cost"]["bonuses_cents"] == 20
    assert money["balance_cents"] == 1_000_000 - 30 - 6 - 20 - 4
    with wb_store.session() as s:
        assert s.query(Annotation).count() == 2
        actors = {e.actor for e in s.query(Event).filter(Event.type.like("mturk.%"))}
    assert actors and "" not in actors  # the researcher's name is recorded


@BOTH
async def test_money_over_rest_a_repeated_or_concurrent_bonus_pays_once(fetch_json, study, sim, wb_store):
    """Issue 15: a bonus POSTed again (a retry, a double submit) answers already_paid and pays nothing; approving
    a rejection needs override. Counts at MTurk are read back through boto3's ListBonusPayments."""
    api = "workbench/api/mturk"
    status, created, _ = await fetch_json(api, "hits", method="POST", body={"project": "cats", "spec": SPEC})
    assert status == 201 and created["created"] == 2  # no task ids: every pending task not yet on a HIT
    done = [submit(sim, created["hit_ids"][0], "A1MONEY1", {"labels": ["cat"]}),
            submit(sim, created["hit_ids"][1], "A1MONEY2", {"labels": ["dog"]})]
    assert (await fetch_json(api, "sync", method="POST", body={}))[0] == 200
    body = {"amount_cents": 15, "reason": "careful"}
    first, second = await asyncio.gather(*(fetch_json(api, "assignments", done[0], "bonus", method="POST", body=body)
                                           for _ in range(2)))
    assert (first[0], second[0]) == (200, 200)
    assert first[1]["id"] == second[1]["id"] and {first[1]["status"], second[1]["status"]} == {"paid"}
    status, again, _ = await fetch_json(api, "assignments", done[0], "bonus", method="POST", body=body)
    assert status == 200 and again["already_paid"] and "new key" in again["summary"]
    assert len(sim.client().list_bonus_payments(AssignmentId=done[0])["BonusPayments"]) == 1
    status, other, _ = await fetch_json(api, "assignments", done[0], "bonus", method="POST",
                                        body={**body, "key": "second-round"})
    assert status == 200 and not other["already_paid"] and other["key"] == "second-round"
    assert len(sim.client().list_bonus_payments(AssignmentId=done[0])["BonusPayments"]) == 2
    status, err, _ = await fetch_json(api, "assignments", done[0], "bonus", method="POST",
                                      body={"amount_cents": 99, "reason": "careful", "key": "second-round"})
    assert status == 409 and err["field"] == "key"
    status, ledger, _ = await fetch_json(api, "payments", params={"assignment_id": done[0]})
    assert status == 200 and len(ledger["items"]) == 2 and all(r["confirmed_at"] for r in ledger["items"])
    status, report, _ = await fetch_json(api, "payments", "reconcile", method="POST", body={"project": "cats"})
    assert status == 200 and report["clean"] and report["confirmed"] == 2

    status, _, _ = await fetch_json(api, "assignments", done[1], "reject", method="POST", body={"feedback": "No."})
    assert status == 200
    status, err, _ = await fetch_json(api, "assignments", done[1], "approve", method="POST", body={})
    assert status == 409 and err["field"] == "override"
    assert sim.client().get_assignment(AssignmentId=done[1])["Assignment"]["AssignmentStatus"] == "Rejected"
    status, row, _ = await fetch_json(api, "assignments", done[1], "approve", method="POST", body={"override": True})
    assert status == 200 and row["status"] == "approved"
    status, err, _ = await fetch_json(api, "workers", "A1NEVERSEEN", "unblock", method="POST", body={})
    assert status == 404


async def test_hit_actions_and_environment_rules(fetch_json, study, sim):
    api = "workbench/api/mturk"
    status, created, _ = await fetch_json(api, "hits", method="POST",
                                          body={"project": "cats", "task_ids": study.task_ids[:1], "spec": SPEC})
    hit_id = created["hit_ids"][0]
    status, row, _ = await fetch_json(api, "hits", hit_id, "extend", method="POST", body={"assignments": 2})
    assert status == 200 and row["max_assignments"] == 3
    status, row, _ = await fetch_json(api, "hits", hit_id, "expire", method="POST", body={})
    assert status == 200 and row["status"] == "reviewable"
    status, row, _ = await fetch_json(api, "hits", hit_id, "associate", method="POST",
                                      body={"project": "cats", "task_id": study.task_ids[1]})
    assert status == 200 and row["task_id"] == study.task_ids[1]
    status, err, _ = await fetch_json(api, "hits", "NOSUCHHIT", "expire", method="POST", body={})
    assert status == 404 and err["error"] == "not_found"
    status, err, _ = await fetch_json(api, "sync", method="POST", body={"environment": "production"})
    assert status == 400 and err["field"] == "environment" and "confirm" in err["hint"]
    status, err, _ = await fetch_json(api, "hits", params={"environment": "staging"})
    assert status == 400 and err["field"] == "environment"
    status, err, _ = await fetch_json(api, "hits", method="POST", body={"project": "cats", "task_ids": [1],
                                                                          "spec": {"title": "t"}})
    assert status == 400 and err["field"] == "spec"


@pytest.fixture
def wb_config(jp_http_port, jp_base_url):
    """The server's own address as the public base URL that HITs point workers at."""
    return {"public_base_url": f"http://127.0.0.1:{jp_http_port}{jp_base_url}".rstrip("/")}


async def test_a_sandbox_hit_is_refused_a_loopback_public_address(fetch_json, study, sim, wb_store):
    """The server's public_base_url is this machine: fine for the local simulator, refused for real workers."""
    status, error, _ = await fetch_json("workbench/api/mturk/hits", method="POST", body={
        "environment": "sandbox", "project": "cats", "task_ids": study.task_ids[:1], "spec": SPEC})
    assert status == 400 and error["field"] == "public_base_url"
    assert "loopback" in error["reason"] and "WorkbenchApp.public_base_url" in error["reason"]
    assert sim.call_count == {}
    with wb_store.session() as s:
        assert s.query(Event).filter(Event.type == "mturk.hit.created").count() == 0


async def test_workers_submit_through_the_real_annotate_page(fetch_json, study, sim, wb_store, wb_config):
    """The whole loop: HITs point at the server's page, simulated workers open it and submit like browsers."""
    status, created, _ = await fetch_json("workbench/api/mturk/hits", method="POST", body={
        "project": "cats", "task_ids": study.task_ids, "spec": {**SPEC, "max_assignments": 2}})
    assert status == 201, created
    with wb_store.session() as s:
        from workbench.store.models import HIT

        assert all(h.question.count(wb_config["public_base_url"] + "/workbench/annotate/") for h in s.query(HIT))
    outcomes = await asyncio.get_running_loop().run_in_executor(
        None, lambda: sim.run_workers(4, hit_ids=created["hit_ids"], concurrency=2))
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert all(o.server_status == [201] or o.server_status == [200] for o in outcomes)
    status, synced, _ = await fetch_json("workbench/api/mturk/sync", method="POST", body={})
    # The page recorded each assignment as its answer arrived; sync completes those rows, it makes none.
    assert (synced["assignments_new"], synced["assignments_updated"]) == (0, 4)
    status, ingested, _ = await fetch_json("workbench/api/mturk/ingest", method="POST", body={})
    # The page stored every answer already; ingest recognises them and doubles nothing.
    assert ingested["duplicates"] == 4 and ingested["ingested"] == 0
    with wb_store.session() as s:
        assert s.query(Annotation).count() == 4
