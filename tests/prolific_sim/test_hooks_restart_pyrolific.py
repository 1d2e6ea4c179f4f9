"""Hooks (subscribe, confirm, signed deliveries, faults), a killed process restarted on the same
--db, and the simulator driven by pyrolific, a client generated from Prolific's spec."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import TOKEN, SpecClient
from .helpers import DRAFT, draft, published, take_part
from .spec_check import check


def subscribe(api, listener, event_type="submission.status.change") -> tuple[str, dict]:
    """The Hooks section's three steps: a secret, a subscription, its confirmation."""
    ws = api.get("workspaces/")["results"][0]["id"]
    types = {t["event_type"] for t in api.get("hooks/event-types/")["results"]}
    assert {"study.status.change", "submission.status.change"} <= types  # named in the spec's Hooks section
    secret = api.post("hooks/secrets/", 201, json={"workspace_id": ws})
    # prolific-openapi.yml, GET /api/v1/hooks/secrets/: workspace_id is a required query parameter
    assert "workspace_id" in api.get("hooks/secrets/", 400)["error"]["detail"]
    assert api.get("hooks/secrets/", params={"workspace_id": ws})["results"][-1]["value"] == secret["value"]
    answer, created = api.call("POST", "hooks/subscriptions/", 201,
                               json={"workspace_id": ws, "event_type": event_type, "target_url": listener.url})
    sub_id = created["id"]
    assert created["results"][0]["is_enabled"] is False
    # confirming with a wrong secret fails; with the X-Hook-Secret header's value it succeeds
    assert "secret" in api.post(f"hooks/subscriptions/{sub_id}/", 400, json={"secret": "nope"})["error"]["detail"]
    confirmed = api.post(f"hooks/subscriptions/{sub_id}/", 200, json={"secret": answer.headers["X-Hook-Secret"]})
    assert confirmed["is_enabled"] is True
    assert api.get(f"hooks/subscriptions/{sub_id}/")["target_url"] == listener.url
    assert [s["id"] for s in api.get("hooks/subscriptions/", params={"workspace_id": ws})["results"]] == [sub_id]
    return secret["value"], confirmed


def spec_signature_is_valid(secret: str, delivery: dict) -> bool:
    """prolific-openapi.yml, Hooks, Verifying: the spec's "Example with Python", verbatim."""
    SECRET, body = secret, delivery["body"]
    timestamp = delivery["headers"]["X-Prolific-Request-Timestamp"]
    signature = delivery["headers"]["X-Prolific-Request-Signature"]
    encoded_secret = SECRET.encode()
    body = json.dumps(body)
    calculated_signature = base64.b64encode(
        hmac.new(
            encoded_secret, str.encode(timestamp + body), hashlib.sha256
        ).digest()
    )
    is_valid = hmac.compare_digest(
        calculated_signature, str.encode(signature)
    )
    return is_valid


def test_hook_deliveries_are_signed_as_the_spec_verifies(prolific, api, listener):
    secret, sub = subscribe(api, listener)
    study = published(api)
    session = take_part(prolific, "P-H", study["id"])
    deliveries = listener.wait_for(2)  # ACTIVE, then AWAITING REVIEW
    assert len(deliveries) == 2
    for delivery in deliveries:
        # prolific-openapi.yml, Hooks, Receiving: {"resource_id": ..., "event_type": ...}
        assert delivery["body"] == {"resource_id": session, "event_type": "submission.status.change"}
        assert spec_signature_is_valid(secret, delivery)
        stamp = int(delivery["headers"]["X-Prolific-Request-Timestamp"])
        assert abs(stamp - prolific.clock.now()) < 5  # UNIX seconds of the virtual clock
    assert len({d["headers"]["X-Event-ID"] for d in deliveries}) == 2
    assert not spec_signature_is_valid("another secret", deliveries[0])
    prolific.flush()
    events = api.get(f"hooks/subscriptions/{sub['id']}/events/")["results"]
    assert [e["status"] for e in events] == ["SUCCEEDED", "SUCCEEDED"]  # SubscriptionEvent.status enum


def test_a_deleted_subscription_delivers_nothing_more(prolific, api, listener):
    _, sub = subscribe(api, listener)
    # prolific-openapi.yml, DELETE /api/v1/hooks/subscriptions/{subscription_id}/: 204 Deleted, 4XX Error
    assert api.delete(f"hooks/subscriptions/{sub['id']}/", 204) is None
    api.get(f"hooks/subscriptions/{sub['id']}/", 404)
    api.delete(f"hooks/subscriptions/{sub['id']}/", 404)
    study = published(api)
    take_part(prolific, "P-DEL", study["id"])
    prolific.flush()
    assert listener.received == []  # flush sent what was due: nothing, for a deleted subscription


def test_hook_faults_duplicate_late_and_retry(make_sim, listener):
    sim = make_sim(faults={"duplicate_deliveries": 1, "late_delivery_seconds": 60, "retry_backoff": 0.01})
    api = SpecClient(sim)
    try:
        subscribe(api, listener, event_type="study.status.change")
        listener.statuses = [500, 500]  # the first delivery (both copies) fails: retried
        study = published(api)
        time.sleep(0.3)
        assert listener.received == []  # held: the clock has not moved 60 seconds yet
        sim.advance(61)
        deliveries = listener.wait_for(3)
        ids = [d["headers"]["X-Event-ID"] for d in deliveries]
        assert len(deliveries) == 3 and len(set(ids)) == 1  # 2 copies answered 500, then the retry
        assert deliveries[0]["body"] == {"resource_id": study["id"], "event_type": "study.status.change"}
        assert [d["answered"] for d in deliveries] == [500, 500, 200]
    finally:
        api.close()


def test_hooks_out_of_order(make_sim, listener):
    sim = make_sim(faults={"late_delivery_seconds": 10, "out_of_order": True})
    api = SpecClient(sim)
    try:
        subscribe(api, listener, event_type="study.status.change")
        study = published(api)
        api.post(f"studies/{study['id']}/transition/", 200, json={"action": "PAUSE"})
        sim.advance(11)
        deliveries = listener.wait_for(2)
        events = api.get(f"hooks/subscriptions/{api.get('hooks/subscriptions/')['results'][0]['id']}/events/")
        order = [e["id"] for e in events["results"]]  # creation order
        assert [d["headers"]["X-Event-ID"] for d in deliveries] == order[::-1]
    finally:
        api.close()


@pytest.fixture
def process_sim(tmp_path):
    """`python -m workbench.devtools.prolific_sim --db ...` in a process of its own (killed at teardown)."""
    procs = []

    def start(db):
        proc = subprocess.Popen([sys.executable, "-m", "workbench.devtools.prolific_sim", "--port", "0",
                                 "--db", str(db), "--seed", "3"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        procs.append(proc)
        line = proc.stdout.readline()
        assert "listening on " in line, line
        return proc, line.rsplit(" ", 1)[-1].strip()

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_killed_process_restarted_on_the_same_db_keeps_state(tmp_path, process_sim):
    db = tmp_path / "prolific.sqlite"
    proc, url = process_sim(db)
    headers = {"Authorization": TOKEN}
    study = check(httpx.post(url + "/api/v1/studies/", json=DRAFT, headers=headers), "POST", "/api/v1/studies/", 201)
    check(httpx.post(f"{url}/api/v1/studies/{study['id']}/transition/", json={"action": "PUBLISH"}, headers=headers),
          "POST", "/api/v1/studies/{id}/transition/", 200)
    start = httpx.get(f"{url}/_sim/participants/P-K/start", params={"study_id": study["id"]})
    assert start.status_code == 302
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    _, url = process_sim(db)
    again = check(httpx.get(f"{url}/api/v1/studies/{study['id']}/", headers=headers), "GET", "/api/v1/studies/{id}/", 200)
    assert again["status"] == "ACTIVE" and again["places_taken"] == 1
    subs = httpx.get(f"{url}/api/v1/studies/{study['id']}/submissions/", headers=headers).json()["results"]
    assert [s["participant_id"] for s in subs] == ["P-K"]


def test_pyrolific_drives_the_simulator(prolific):
    """pyrolific's generated client against the simulator: the spec's other reader agrees."""
    from pyrolific import AuthenticatedClient
    from pyrolific.api.bonuses import create_bonus_payments, pay_bonus_payments
    from pyrolific.api.participant_groups import create_participant_group, get_participant_group_participants
    from pyrolific.api.studies import create_study, get_studies, get_study, get_study_submissions, publish_study
    from pyrolific.api.workspaces import get_workspace_balance, get_workspaces
    from pyrolific.api.submissions import get_submission, transition_submission
    from pyrolific.api.users import get_user
    from pyrolific.models import CreateStudy, StudyTransition, SubmissionTransition
    from pyrolific.models.create_bonus_payments_body import CreateBonusPaymentsBody
    from pyrolific.models.create_participant_group_body import CreateParticipantGroupBody

    client = AuthenticatedClient(base_url=prolific.url, token="sim", prefix="Token")
    auth = TOKEN
    with client:
        me = get_user.sync_detailed(client=client, authorization=auth)
        assert me.status_code == 200 and me.parsed.id
        created = create_study.sync_detailed(client=client, authorization=auth, body=CreateStudy.from_dict(DRAFT))
        assert created.status_code == 201, created.content
        study = created.parsed
        assert study.id and study.status == "UNPUBLISHED" and study.reward == 150
        published_ = publish_study.sync_detailed(study.id, client=client, authorization=auth,
                                                 body=StudyTransition(action="PUBLISH"))
        assert published_.parsed.status == "ACTIVE"
        assert get_study.sync_detailed(study.id, client=client, authorization=auth).parsed.id == study.id
        session = take_part(prolific, "P-PY", study.id)
        sub = get_submission.sync_detailed(session, client=client, authorization=auth)
        assert sub.parsed.status == "AWAITING REVIEW" and sub.parsed.participant == "P-PY"
        approved = transition_submission.sync_detailed(session, client=client, authorization=auth,
                                                       body=SubmissionTransition.from_dict({"action": "APPROVE"}))
        assert approved.status_code == 200 and approved.parsed.status == "APPROVED"
        bonus = create_bonus_payments.sync_detailed(
            client=client, authorization=auth,
            body=CreateBonusPaymentsBody(study_id=study.id, csv_bonuses=f"{session},0.10"))
        assert bonus.status_code == 201 and bonus.parsed.amount == 10
        paid = pay_bonus_payments.sync_detailed(bonus.parsed.id, client=client, authorization=auth)
        assert paid.status_code == 202
        listed = get_study_submissions.sync_detailed(study.id, client=client, authorization=auth).parsed
        assert [s.participant_id for s in listed.results] == ["P-PY"]
        assert [s.id for s in get_studies.sync_detailed(client=client, authorization=auth).parsed.results] == [study.id]
        ws = get_workspaces.sync_detailed(client=client, authorization=auth).parsed.results[0].id
        assert get_workspace_balance.sync_detailed(ws, client=client, authorization=auth).parsed.currency_code
        # participant-group operations take the token from the client (no authorization argument)
        group = create_participant_group.sync_detailed(
            client=client, body=CreateParticipantGroupBody.from_dict({"workspace_id": ws, "name": "G",
                                                                      "participant_ids": ["P-PY"]}))
        assert group.status_code == 201 and group.parsed.participant_count == 1
        members = get_participant_group_participants.sync_detailed(group.parsed.id, client=client).parsed
        assert [m.participant_id for m in members.results] == ["P-PY"]
    prolific.flush()
    api = SpecClient(prolific)
    try:
        assert api.get(f"submissions/{session}/")["bonus_payments"] == [10]
    finally:
        api.close()
