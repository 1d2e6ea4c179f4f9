"""The researcher REST API on Prolific and link-out (``/workbench/api/{provider}/...``), through a real Jupyter server.

The same routes and bodies as MTurk's (``test_mturk_api.py``), here against Prolific's wire-level simulator and
the link-out provider: participants take part through the real public routes (Prolific's entry route after the
simulator's start page, the link-out entry URL), and the researcher creates, syncs, ingests, reviews and pays
over HTTP. Where a platform lacks a capability the answer is a 400 naming ``provider`` that changes nothing;
where it has one (pause, bulk approval, return requests, the payment sheet) the platform shows the effect.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from workbench.store.models import HIT, Annotation, Assignment, Bonus, Event
from workbench.study import tasks

from tests.prolific.conftest import api, sim, sim_faults  # noqa: F401 - the simulator, stopped in its finalizer

from .test_hostile_routes import row_counts
from .test_worker import ANON, cookie_header, parse_page, post_submission

PROLIFIC = "workbench/api/prolific"
LINK_OUT = "workbench/api/link-out"
SPEC = {"title": "Label cats", "description": "Say whether each picture shows a cat or a dog.", "reward_cents": 150,
        "duration": 1800, "max_assignments": 3, "mode": "link-out"}
# prolific-openapi.yml, RejectSubmission: "message" must be at least 100 characters, and rejection_category one of
# its enum (LOW_EFFORT among them).
LONG_REASON = ("Thank you for taking part. Your answer did not follow the instructions given on the task page, "
               "so we cannot accept it.")


@pytest.fixture
def server_url(jp_http_port, jp_base_url):
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}".rstrip("/")


@pytest.fixture
def wb_config(server_url, request):
    """The server's public address is its own (the study URL and the link's entry URL point at it), and its worker
    pages are those of the provider the test names (``WORKBENCH_PROVIDER``); its REST API serves every provider."""
    return {"public_base_url": server_url, "provider": getattr(request, "param", "mturk")}


def pages_of(provider: str):
    return pytest.mark.parametrize("wb_config", [provider], indirect=True)


@pytest.fixture
def on_sim(sim, monkeypatch):
    """The server's Prolific provider finds the suite's simulator (the local environment)."""
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "local")
    monkeypatch.setenv("PROLIFIC_ENDPOINT_URL", sim.url)
    monkeypatch.delenv("PROLIFIC_API_TOKEN", raising=False)
    monkeypatch.setenv("PROLIFIC_COMPLETION_URL", sim.url + "/submissions/complete")
    return sim


async def take_part(fetch_json, sim, study_id: str, pid: str, label: str = "cat") -> str:
    """A participant's whole visit: start at the simulator, the entry route, the task as the page posts it, the
    completion redirect followed back to the simulator (in the same browser). Their submission id."""
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        start = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id})
        assert start.status_code == 302, start.text
        params = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}
        status, _, response = await fetch_json("workbench/prolific/entry", params=params, headers=dict(ANON))
        assert status == 200, (pid, response.headers.get("Location"))
        _, _, page, token, cookies = parse_page(response)
        body = {"task_id": page["task"]["id"], "assignment_id": params["SESSION_ID"], "hit_id": study_id,
                "worker_id": pid, "result": {"labels": [label]}}
        assert (await post_submission(fetch_json, body, token, cookies))[0] == 201
        status, _, done = await fetch_json("workbench/prolific/entry", params=params,
                                           headers={**ANON, "Cookie": cookie_header(cookies)})
        assert status == 302
        finish = urlsplit(done.headers["Location"])
        assert browser.get(finish.path, params=parse_qs(finish.query)).status_code == 200
    return params["SESSION_ID"]


def remote(sim, path: str) -> dict:
    with api(sim) as client:
        return client.get(path).json()


def pay_calls(sim) -> int:
    """The simulator's count of bulk bonus payments paid (prolific-openapi.yml: POST /api/v1/bulk-bonus-payments/
    {id}/pay/, which is not idempotent)."""
    return sum(n for call, n in sim.status()["calls"].items() if call.startswith("POST") and call.endswith("/pay/"))


@pages_of("prolific")
async def test_a_prolific_study_runs_through_the_rest_api(fetch_json, study, on_sim, wb_store, server_url):
    sim = on_sim
    with wb_store.transaction() as s:  # a task for each of the three participants
        task_ids = [*study.task_ids, tasks.create(s, "cats", "classification:1.0", asset_id=study.asset.id,
                                                  payload={"text": "Which?"}).id]
    status, created, _ = await fetch_json(PROLIFIC, "hits", method="POST",
                                          body={"project": "cats", "task_ids": task_ids, "spec": SPEC})
    assert status == 201, created
    [study_id] = created["hit_ids"]
    made = remote(sim, f"studies/{study_id}/")
    assert made["status"] == "ACTIVE"  # created as a draft, then published
    assert made["external_study_url"].startswith(server_url + "/workbench/prolific/entry?")  # the server's own
    status, page, _ = await fetch_json(PROLIFIC, "hits", params={"project": "cats"})
    assert status == 200 and [h["hit_id"] for h in page["items"]] == [study_id]
    assert (page["provider"], page["words"]["work"], page["words"]["attempt"]) == ("prolific", "study",
                                                                                 "submission")

    kept, refused, returned = [await take_part(fetch_json, sim, study_id, f"5f00000000000000000000a{n}", label)
                               for n, label in ((1, "cat"), (2, "dog"), (3, "cat"))]
    # MTurk's sync options are MTurk's: named here, they are refused before anything is asked.
    calls = dict(sim.status()["calls"])
    status, err, _ = await fetch_json(PROLIFIC, "sync", method="POST", body={"method": "poll"})
    assert (status, err["field"]) == (400, "method") and "Prolific" in err["reason"]
    assert sim.status()["calls"] == calls
    status, synced, _ = await fetch_json(PROLIFIC, "sync", method="POST", body={})
    # The entry route recorded the submissions; sync brings Prolific's status (AWAITING REVIEW: submitted).
    assert status == 200 and (synced["changed_hits"], synced["assignments_updated"]) == (1, 3), synced
    # The pages stored each answer with its submission already: ingest finds nothing to take twice.
    status, ingested, _ = await fetch_json(PROLIFIC, "ingest", method="POST", body={})
    assert status == 200 and ingested["ingested"] == 0, ingested
    with wb_store.session() as s:
        assert sorted(a.actor for a in s.scalars(select(Annotation))) == [f"5f00000000000000000000a{n}"
                                                                          for n in (1, 2, 3)]
    status, page, _ = await fetch_json(PROLIFIC, "assignments", params={"status": "submitted", "project": "cats"})
    assert sorted(a["assignment_id"] for a in page["items"]) == sorted([kept, refused, returned])

    # A rejection is held to Prolific's own rules before Prolific is asked.
    for body, field in (({"feedback": "Wrong label."}, "feedback"),
                        ({"feedback": LONG_REASON, "category": "NOT_A_CATEGORY"}, "category")):
        status, err, _ = await fetch_json(PROLIFIC, "assignments", refused, "reject", method="POST", body=body)
        assert (status, err["field"]) == (400, field), err
    assert remote(sim, f"submissions/{refused}/")["status"] == "AWAITING REVIEW"
    status, row, _ = await fetch_json(PROLIFIC, "assignments", refused, "reject", method="POST",
                                      body={"feedback": LONG_REASON, "category": "LOW_EFFORT"})
    assert status == 200 and row["status"] == "rejected"
    assert remote(sim, f"submissions/{refused}/")["status"] == "REJECTED"

    status, bulk, _ = await fetch_json(PROLIFIC, "assignments", "bulk-approve", method="POST",
                                       body={"assignment_ids": [kept, refused, "NOSUCHSUBMISSION"]})
    assert status == 200 and bulk["approved"] == [kept]
    assert sorted(f["assignment_id"] for f in bulk["failed"]) == sorted([refused, "NOSUCHSUBMISSION"])
    assert remote(sim, f"submissions/{kept}/")["status"] == "APPROVED"
    assert remote(sim, f"submissions/{refused}/")["status"] == "REJECTED"  # no override in bulk

    status, row, _ = await fetch_json(PROLIFIC, "assignments", returned, "request-return", method="POST",
                                      body={"reasons": ["You found no task to do."]})
    assert status == 200, row

    # Money exactly once: a double click (two at once) and a retry pay one bonus at Prolific.
    bonus = {"amount_cents": 50, "reason": "careful work"}
    answers = await asyncio.gather(*[fetch_json(PROLIFIC, "assignments", kept, "bonus", method="POST", body=bonus)
                                     for _ in range(2)])
    assert [a[0] for a in answers] == [200, 200]
    status, again, _ = await fetch_json(PROLIFIC, "assignments", kept, "bonus", method="POST", body=bonus)
    assert status == 200 and again["already_paid"] and again["status"] == "paid"
    assert pay_calls(sim) == 1
    with wb_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Bonus)) == 1
    status, ledger, _ = await fetch_json(PROLIFIC, "payments", params={"worker_id": "5f00000000000000000000a1"})
    assert status == 200 and [r["amount_cents"] for r in ledger["items"]] == [50]

    # A qualification is a participant group on Prolific (an allow list the study filters can name); its members
    # are read back as the spec gives them (ParticipantGroupMembershipListResponse: results of participant_id).
    status, qual, _ = await fetch_json(PROLIFIC, "qualification-types", method="POST",
                                       body={"name": "trained", "description": "Did the training"})
    assert status == 201 and qual["qualification_type_id"], qual
    group = qual["qualification_type_id"]
    status, grant, _ = await fetch_json(PROLIFIC, "qualification-types", group, "grant", method="POST",
                                        body={"worker_id": "5f00000000000000000000a1"})
    assert status == 200 and grant["status"] == "granted"
    members = remote(sim, f"participant-groups/{group}/participants/")["results"]
    assert [m["participant_id"] for m in members] == ["5f00000000000000000000a1"]
    status, revoked, _ = await fetch_json(PROLIFIC, "qualification-types", group, "revoke", method="POST",
                                          body={"worker_id": "5f00000000000000000000a1"})
    assert status == 200 and revoked["status"] == "revoked"
    assert remote(sim, f"participant-groups/{group}/participants/")["results"] == []

    # prolific-openapi.yml, study status: AWAITING REVIEW while "not all have been reviewed yet" (the submission
    # asked to return, and the rejected one, whose place stays open: "the study goes back to 'AWAITING REVIEW'").
    for action, remote_status in (("pause", "PAUSED"), ("resume", "ACTIVE"), ("stop", "AWAITING REVIEW")):
        status, row, _ = await fetch_json(PROLIFIC, "hits", study_id, action, method="POST", body={})
        assert status == 200, row
        assert remote(sim, f"studies/{study_id}/")["status"] == remote_status, action
    status, balance, _ = await fetch_json(PROLIFIC, "balance", params={"project": "cats"})
    assert status == 200 and balance["cost"]["bonuses_cents"] == 50, balance


@pytest.mark.parametrize("provider, path, body", [
    ("prolific", ("payments", "reconcile"), {}),  # Prolific has no list of payments to hold the ledger against
    ("prolific", ("payments", "sheet"), {"project": "cats"}),
    ("mturk", ("hits", "NOSUCHHIT", "pause"), {}),
    ("mturk", ("assignments", "bulk-approve"), {"assignment_ids": ["A1"]}),
    ("mturk", ("assignments", "A1", "request-return"), {"reasons": ["no"]}),
    ("mturk", ("payments", "sheet"), {"project": "cats"}),
    ("link-out", ("payments", "reconcile"), {}),
    ("link-out", ("assignments", "A1", "request-return"), {"reasons": ["no"]}),
])
async def test_what_a_platform_cannot_do_is_a_400_naming_the_provider(fetch_json, study, provider, path, body):
    before = row_counts(study.store)
    status, err, _ = await fetch_json("workbench/api", provider, *path, method="POST", body=body)
    assert (status, err["field"]) == (400, "provider"), err
    assert "cannot" in err["reason"]
    assert row_counts(study.store) == before


async def test_an_unknown_provider_or_environment_is_refused(fetch_json, study):
    status, err, _ = await fetch_json("workbench/api", "toloka", "hits")
    assert status == 404 and err["error"] == "not_found"
    # Prolific has no sandbox (its environments are local and production).
    status, err, _ = await fetch_json(PROLIFIC, "hits", params={"environment": "sandbox"})
    assert (status, err["field"]) == (400, "environment")
    status, err, _ = await fetch_json(PROLIFIC, "sync", method="POST", body={"environment": "production"})
    assert (status, err["field"]) == (400, "environment") and "confirm" in err["reason"]


async def link_visit(fetch_json, entry_url: str, participant: str, label: str) -> str:
    """A panel participant: the entry URL with their id, the task as the page posts it, the code page."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(entry_url + participant).query).items()}
    status, _, response = await fetch_json("workbench/link/entry", params=query, headers=dict(ANON))
    assert status == 200, response.body[:500]
    _, _, page, token, cookies = parse_page(response)
    body = {"task_id": page["task"]["id"], "assignment_id": page["assignment_id"], "hit_id": page["hit_id"],
            "worker_id": page["worker_id"], "result": {"labels": [label]}}
    assert (await post_submission(fetch_json, body, token, cookies))[0] == 201
    status, _, done = await fetch_json("workbench/link/entry", params=query,
                                       headers={**ANON, "Cookie": cookie_header(cookies)})
    assert status == 200 and b"wb-completion-code" in done.body
    return page["assignment_id"]


@pages_of("link-out")
async def test_a_link_out_study_is_reviewed_and_paid_from_its_sheet_over_rest(fetch_json, study, wb_store,
                                                                              server_url, monkeypatch):
    for name in ("LINKOUT_ENVIRONMENT", "LINKOUT_ID_PARAM", "LINKOUT_COMPLETION_URL"):
        monkeypatch.delenv(name, raising=False)
    status, created, _ = await fetch_json(LINK_OUT, "hits", method="POST",
                                          body={"project": "cats", "task_ids": study.task_ids, "spec": SPEC})
    assert status == 201, created
    [link] = created["hit_ids"]
    with wb_store.session() as s:
        entry_url = s.scalars(select(HIT).where(HIT.hit_id == link)).one().payload["entry_url"]
    assert entry_url.startswith(server_url + "/workbench/link/entry?")
    good = await link_visit(fetch_json, entry_url, "P-0001", "cat")
    bad = await link_visit(fetch_json, entry_url, "P-0002", "dog")

    status, synced, _ = await fetch_json(LINK_OUT, "sync", method="POST", body={})
    assert status == 200, synced
    status, ingested, _ = await fetch_json(LINK_OUT, "ingest", method="POST", body={})
    assert status == 200 and ingested["ingested"] == 0, ingested  # the page stored each answer with its session
    status, page, _ = await fetch_json(LINK_OUT, "assignments", params={"project": "cats"})
    assert page["provider"] == "link-out" and {a["assignment_id"] for a in page["items"]} == {good, bad}
    status, row, _ = await fetch_json(LINK_OUT, "assignments", good, "approve", method="POST", body={})
    assert status == 200 and row["status"] == "approved"
    status, row, _ = await fetch_json(LINK_OUT, "assignments", bad, "reject", method="POST",
                                      body={"feedback": "Not what was asked."})
    assert status == 200 and row["status"] == "rejected"
    # A category is a platform's own filing of rejections: the panel has none.
    status, err, _ = await fetch_json(LINK_OUT, "assignments", bad, "reject", method="POST",
                                      body={"feedback": "Again.", "category": "LOW_EFFORT"})
    assert (status, err["field"]) == (400, "category")
    status, row, _ = await fetch_json(LINK_OUT, "workers", "P-0002", "block", method="POST",
                                      body={"reason": "Random answers"})
    assert status == 200 and row == {"worker_id": "P-0002", "blocked": True}
    status, row, _ = await fetch_json(LINK_OUT, "workers", "P-0002", "unblock", method="POST", body={})
    assert status == 200 and row["blocked"] is False
    for _ in range(2):  # a retried bonus is owed once
        status, paid, _ = await fetch_json(LINK_OUT, "assignments", good, "bonus", method="POST",
                                           body={"amount_cents": 25, "reason": "careful"})
        assert status == 200

    status, sheet, _ = await fetch_json(LINK_OUT, "payments", "sheet", method="POST", body={"project": "cats"})
    assert status == 200, sheet
    owed = {r["participant_id"]: (r["status"], r["total_cents"]) for r in sheet["items"]}
    assert owed == {"P-0001": ("approved", 150 + 25), "P-0002": ("rejected", 0)}
    assert (sheet["owed_cents"], sheet["owed"], sheet["rows"]) == (175, "1.75", 2) and sheet["batch"]
    # The batch is recorded: a sheet of what is new since lists nobody, so nobody is paid twice.
    status, again, _ = await fetch_json(LINK_OUT, "payments", "sheet", method="POST",
                                        body={"project": "cats", "new_only": True})
    assert status == 200 and again["items"] == [] and again["owed_cents"] == 0 and again["earlier_rows"] == 2
    with wb_store.session() as s:
        batches = s.scalars(select(Event).where(Event.type == "link-out.sheet.exported")).all()
        assert len(batches) == 2 and batches[0].payload["path"].startswith("REST answer to")
        assert {a.status for a in s.scalars(select(Assignment))} == {"approved", "rejected"}
