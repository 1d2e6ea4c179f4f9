"""Fault injection (throttling retried by botocore, faults, latency) and the /_sim/ admin surface."""
from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from workbench.devtools.mturk_sim import Simulator

from .conftest import hit_args, make_client


def admin(sim, action, payload=None, method=None):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(f"{sim.url}/_sim/{action}", data=data,
                                 method=method or ("POST" if data is not None else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_throttling_is_retried_by_botocore(sim, mode):
    client = make_client(sim.url, retries={"mode": mode, "max_attempts": 5})
    sim.faults.update(throttle_every=2)
    for _ in range(3):
        assert client.get_account_balance()["AvailableBalance"] == "10000.00"
    counts = sim.call_count
    assert counts["_throttled"] >= 1
    assert counts["GetAccountBalance"] == 3 + counts["_throttled"]


def test_persistent_throttling_surfaces_as_throttling_exception(sim):
    client = make_client(sim.url, retries={"mode": "standard", "max_attempts": 2})
    sim.faults.update(throttle_rate=1.0)
    with pytest.raises(ClientError) as err:
        client.list_hits()
    assert err.value.response["Error"]["Code"] == "ThrottlingException"
    # botocore's max_attempts counts retries: the first call and two more.
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert sim.call_count["ListHITs"] == 3


def test_faults_can_target_operations_and_add_latency(sim):
    client = make_client(sim.url, retries={"mode": "standard", "max_attempts": 1})
    sim.faults.update(service_fault_rate=1.0, operations=["CreateHIT"], latency_ms=20)
    assert client.get_account_balance()["AvailableBalance"] == "10000.00"
    with pytest.raises(client.exceptions.ServiceFault):
        client.create_hit(**hit_args())
    sim.faults.clear()
    assert client.create_hit(**hit_args())["HIT"]["HITStatus"] == "Assignable"
    with pytest.raises(ValueError):
        sim.faults.update(no_such_knob=1)


def test_faults_configured_at_start():
    with Simulator(faults={"throttle_every": 1, "operations": ["ListHITs"]}) as sim:
        client = make_client(sim.url, retries={"mode": "standard", "max_attempts": 1})
        with pytest.raises(ClientError):
            client.list_hits()
        assert client.get_account_balance()


def test_admin_surface_drives_a_simulator_in_another_process(sim, page):
    client = make_client(sim.url)
    assert admin(sim, "faults", {"latency_ms": 5})["latency_ms"] == 5
    assert admin(sim, "faults")["latency_ms"] == 5
    admin(sim, "faults", {"latency_ms": 0})
    hit_id = client.create_hit(**hit_args(page.task_url(3), MaxAssignments=2,
                                          AutoApprovalDelayInSeconds=100))["HIT"]["HITId"]
    assert [h["HITId"] for h in admin(sim, "hits")["HITs"]] == [hit_id]
    run = admin(sim, "workers/run", {"n": 2, "mode": "valid", "concurrency": 2})
    assert [o["error"] for o in run["outcomes"]] == [None, None]
    assert admin(sim, "calls")["CreateHIT"] == 1
    now = admin(sim, "clock")["now"]
    assert admin(sim, "clock/advance", {"seconds": 100})["now"] == now + 100
    assigned = client.list_assignments_for_hit(HITId=hit_id)["Assignments"]
    assert {a["AssignmentStatus"] for a in assigned} == {"Approved"}
    status = admin(sim, "status")
    assert status["hits_by_status"] == {"Reviewable": 1} and status["balance"] == "9998.80"
    admin(sim, "calls/reset", {})
    assert admin(sim, "calls") == {}
    seeded = admin(sim, "seed/hits", {"n": 3, "max_assignments": 1})["HITIds"]
    acc = admin(sim, "accept", {"hit_id": seeded[0], "worker_id": "A1ADMIN"})
    admin(sim, "submit", {"assignment_id": acc["AssignmentId"], "answers": {"result": {"x": 1}}})
    acc2 = admin(sim, "accept", {"hit_id": seeded[1], "worker_id": "A1ADMIN"})
    admin(sim, "return", {"assignment_id": acc2["AssignmentId"]})
    assert admin(sim, "seed/submissions", {"hit_ids": [seeded[2]], "per_hit": 1})["AssignmentIds"]
    assert client.list_reviewable_hits()["NumResults"] == 3
    assert admin(sim, "balance", {"balance": "12.34"})["AvailableBalance"] == "12.34"
    with pytest.raises(urllib.error.HTTPError) as err:
        admin(sim, "accept", {"hit_id": "3NOPE", "worker_id": "A1ADMIN"})
    assert err.value.code == 400


def test_unknown_operation_and_bad_body_are_faults(sim):
    for target, body in (("MTurkRequesterServiceV20170117.LaunchRockets", b"{}"),
                         ("MTurkRequesterServiceV20170117.GetHIT", b"[1, 2]")):
        req = urllib.request.Request(sim.url + "/", data=body, method="POST", headers={
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 400
        assert "__type" in json.loads(err.value.read())
