"""HIT lifecycle through a real boto3 client: create, work, review, pay, block, qualify, expire."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import jsonschema
import pytest
from botocore.exceptions import ClientError

from workbench.devtools.mturk_sim.answers import parse_answer_xml
from workbench.devtools.mturk_sim.errors import RequestError

from .conftest import LABEL_SCHEMA, hit_args

PAST = dt.datetime(2015, 1, 1)


def balance(client) -> Decimal:
    return Decimal(client.get_account_balance()["AvailableBalance"])


def work(sim, hit_id, worker, answer=None):
    acc = sim.backend.accept(hit_id, worker)
    sim.backend.submit(acc["AssignmentId"], {"result": json.dumps(answer or {"label": "cat"})})
    return acc["AssignmentId"]


def test_hit_type_is_reused_for_identical_properties(client):
    a = client.create_hit_type(Title="T", Description="D", Reward="0.10",
                               AssignmentDurationInSeconds=60)["HITTypeId"]
    b = client.create_hit_type(Title="T", Description="D", Reward="0.10",
                               AssignmentDurationInSeconds=60)["HITTypeId"]
    c = client.create_hit_type(Title="T", Description="D", Reward="0.11",
                               AssignmentDurationInSeconds=60)["HITTypeId"]
    assert a == b != c
    hit = client.create_hit_with_hit_type(HITTypeId=a, LifetimeInSeconds=60, MaxAssignments=1,
                                          Question=hit_args()["Question"])["HIT"]
    assert hit["HITTypeId"] == a and hit["Reward"] == "0.10" and hit["HITStatus"] == "Assignable"
    assert re.fullmatch(r"[A-Z0-9]{30}", hit["HITId"])


def test_token_reuse_names_the_existing_hit(client):
    first = client.create_hit(**hit_args(UniqueRequestToken="study-1-task-7"))["HIT"]["HITId"]
    for again in (lambda: client.create_hit(**hit_args(UniqueRequestToken="study-1-task-7")),
                  lambda: client.create_hit_with_hit_type(
                      HITTypeId=client.get_hit(HITId=first)["HIT"]["HITTypeId"],
                      LifetimeInSeconds=60, Question=hit_args()["Question"],
                      UniqueRequestToken="study-1-task-7")):
        with pytest.raises(client.exceptions.RequestError) as err:
            again()
        assert err.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.HitAlreadyExists"
        message = err.value.response["Error"]["Message"]
        assert re.search(r"HIT with ID ([A-Z0-9]{30}) already exists", message).group(1) == first
    assert client.list_hits()["NumResults"] == 1


def test_workers_submit_through_the_worker_page(sim, client, page):
    hits = [client.create_hit(**hit_args(page.task_url(task, "?study=demo"), MaxAssignments=2))
            ["HIT"]["HITId"] for task in (11, 12)]
    outcomes = sim.run_workers(4, concurrency=4)
    assert [o.error for o in outcomes] == [None] * 4
    assert {o.task_id for o in outcomes} == {11, 12}
    assert len({o.worker_id for o in outcomes}) == 4
    # The page got MTurk's parameters appended with '&' to its own query string.
    for visit in page.state.visits:
        assert visit["study"] == "demo" and visit["turkSubmitTo"] == sim.url
        assert visit["hitId"] in hits and visit["workerId"].startswith("A1SIMWORKER")
    assert len(page.state.submissions) == 4
    for hit_id in hits:
        hit = client.get_hit(HITId=hit_id)["HIT"]
        assert hit["HITStatus"] == "Reviewable"
        assert (hit["NumberOfAssignmentsAvailable"], hit["NumberOfAssignmentsPending"]) == (0, 0)
        for asg in client.list_assignments_for_hit(HITId=hit_id)["Assignments"]:
            assert asg["AssignmentStatus"] == "Submitted"
            result = json.loads(parse_answer_xml(asg["Answer"])["result"])
            jsonschema.validate(result, LABEL_SCHEMA)
            assert page.state.submissions[asg["AssignmentId"]]["result"] == result
    reviewable = client.list_reviewable_hits()["HITs"]
    assert sorted(h["HITId"] for h in reviewable) == sorted(hits)


def test_worker_modes(sim, client, page):
    hit_id = client.create_hit(**hit_args(page.task_url(5), MaxAssignments=3,
                                          AssignmentDurationInSeconds=60))["HIT"]["HITId"]
    invalid, abandoned, duplicate = sim.run_workers(
        3, mode=["invalid", "abandoned", "duplicate"], concurrency=1)
    assert invalid.server_status == [400] and invalid.mturk_status == [200]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(invalid.result, LABEL_SCHEMA)
    assert abandoned.server_status == [] and abandoned.mturk_status == []
    assert duplicate.server_status == [201, 200] and duplicate.mturk_status == [200, 409]
    hit = client.get_hit(HITId=hit_id)["HIT"]
    assert (hit["HITStatus"], hit["NumberOfAssignmentsPending"]) == ("Unassignable", 1)
    sim.clock.advance(61)  # the abandoned worker's deadline passes
    hit = client.get_hit(HITId=hit_id)["HIT"]
    assert (hit["HITStatus"], hit["NumberOfAssignmentsAvailable"]) == ("Assignable", 1)
    assert len(client.list_assignments_for_hit(HITId=hit_id)["Assignments"]) == 2


def test_worker_can_skip_the_workbench_and_mturk_can_drop(sim, client, page):
    hit_id = client.create_hit(**hit_args(page.task_url(8), MaxAssignments=2))["HIT"]["HITId"]
    skipped = sim.workers(post_to_server=False, worker_prefix="A1SKIP").run(1)[0]
    assert skipped.ok and skipped.server_status == [] and not page.state.submissions
    sim.faults.update(drop_external_submit=True)
    dropped = sim.run_workers(1)[0]
    assert dropped.ok and dropped.mturk_status == [200] and len(page.state.submissions) == 1
    hit = client.get_hit(HITId=hit_id)["HIT"]
    assert hit["NumberOfAssignmentsPending"] == 1  # MTurk lost the dropped submission
    assert len(client.list_assignments_for_hit(HITId=hit_id)["Assignments"]) == 1
    assert sim.call_count["_externalSubmit_dropped"] == 1


def test_html_question_answers_go_straight_to_mturk(sim, client):
    html = ('<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
            '2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<p>Hi</p>]]></HTMLContent>'
            '<FrameHeight>400</FrameHeight></HTMLQuestion>')
    hit_id = client.create_hit(**hit_args(Question=html, MaxAssignments=1))["HIT"]["HITId"]
    pool = sim.workers(answers={"completion_code": "ABC-123", "note": "<&> \"ünï\""})
    outcome = pool.run(1)[0]
    assert outcome.ok
    asg = client.list_assignments_for_hit(HITId=hit_id)["Assignments"][0]
    assert parse_answer_xml(asg["Answer"]) == {"completion_code": "ABC-123",
                                               "note": "<&> \"ünï\""}
    assert asg["Answer"].isascii()


def test_external_submit_refuses_unknown_and_double_submits(sim, client):
    worker = sim.workers().worker("A1DIRECT")
    assert worker.submit_to_mturk("3NOSUCHASSIGNMENT000000000000X", {"a": "b"}) == 404
    hit_id = client.create_hit(**hit_args(MaxAssignments=1))["HIT"]["HITId"]
    acc = worker.accept(hit_id)
    assert worker.submit_to_mturk(acc["AssignmentId"], {"a": "b"}) == 200
    assert worker.submit_to_mturk(acc["AssignmentId"], {"a": "c"}) == 409
    with pytest.raises(RuntimeError, match="already has an assignment|no longer available"):
        worker.accept(hit_id)


def test_list_reviewable_hits_paginates_and_filters(sim, client):
    ids = sim.seed_hits(25, max_assignments=1)
    other = sim.seed_hits(5, max_assignments=1, reward="0.20")
    sim.seed_submissions(ids + other, per_hit=1)
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"MaxResults": 10, **({"NextToken": token} if token else {})}
        page = client.list_reviewable_hits(**kwargs)
        seen += [h["HITId"] for h in page["HITs"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3 and seen == ids + other
    type_id = client.get_hit(HITId=other[0])["HIT"]["HITTypeId"]
    filtered = client.list_reviewable_hits(HITTypeId=type_id)["HITs"]
    assert [h["HITId"] for h in filtered] == other
    paginator = client.get_paginator("list_reviewable_hits")
    assert sum(len(p["HITs"]) for p in paginator.paginate(PaginationConfig={"PageSize": 7})) == 30
    client.update_hit_review_status(HITId=ids[0])
    assert [h["HITId"] for h in client.list_reviewable_hits(Status="Reviewing")["HITs"]] == [ids[0]]
    client.update_hit_review_status(HITId=ids[0], Revert=True)
    assert client.list_reviewable_hits(Status="Reviewing")["NumResults"] == 0
    with pytest.raises(ClientError, match="ParameterValidationError"):
        client.list_reviewable_hits(MaxResults=101)
    with pytest.raises(client.exceptions.RequestError):
        client.list_reviewable_hits(NextToken="garbage")


def test_approve_reject_override_and_fees(sim, client):
    hit_id = client.create_hit(**hit_args(MaxAssignments=3))["HIT"]["HITId"]
    a1, a2, a3 = (work(sim, hit_id, f"A1W{i}") for i in range(3))
    start = balance(client)
    client.approve_assignment(AssignmentId=a1)
    assert balance(client) == start - Decimal("0.60")  # 0.50 + 20% fee
    with pytest.raises(client.exceptions.RequestError) as err:
        client.approve_assignment(AssignmentId=a1)
    assert err.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidAssignmentState"
    client.reject_assignment(AssignmentId=a2, RequesterFeedback="Did not follow instructions")
    asg = client.get_assignment(AssignmentId=a2)["Assignment"]
    assert asg["AssignmentStatus"] == "Rejected" and "RejectionTime" in asg
    assert asg["RequesterFeedback"] == "Did not follow instructions"
    with pytest.raises(client.exceptions.RequestError):
        client.approve_assignment(AssignmentId=a2)
    client.approve_assignment(AssignmentId=a2, OverrideRejection=True)
    assert client.get_assignment(AssignmentId=a2)["Assignment"]["AssignmentStatus"] == "Approved"
    with pytest.raises(RequestError, match="(?i)requesterFeedback"):
        sim.backend.dispatch("RejectAssignment", {"AssignmentId": a3})
    hit = client.get_hit(HITId=hit_id)["HIT"]
    assert hit["NumberOfAssignmentsCompleted"] == 2 and hit["HITStatus"] == "Reviewable"
    statuses = {a["AssignmentStatus"] for a in client.list_assignments_for_hit(
        HITId=hit_id, AssignmentStatuses=["Approved"])["Assignments"]}
    assert statuses == {"Approved"}


def test_fee_is_40_percent_for_ten_or_more_assignments(sim, client):
    hit_id = client.create_hit(**hit_args(MaxAssignments=10, Reward="1.00"))["HIT"]["HITId"]
    a = work(sim, hit_id, "A1BIG")
    start = balance(client)
    client.approve_assignment(AssignmentId=a)
    assert balance(client) == start - Decimal("1.40")


def test_bonus_is_idempotent_by_token_and_refused_over_balance(sim, client):
    hit_id = client.create_hit(**hit_args(MaxAssignments=1))["HIT"]["HITId"]
    a = work(sim, hit_id, "A1BONUS")
    start = balance(client)
    args = dict(WorkerId="A1BONUS", AssignmentId=a, BonusAmount="2.00", Reason="great",
                UniqueRequestToken="bonus-a-1")
    client.send_bonus(**args)
    with pytest.raises(client.exceptions.RequestError) as err:
        client.send_bonus(**args)
    assert "bonus-a-1" in err.value.response["Error"]["Message"]
    assert balance(client) == start - Decimal("2.40")
    assert len(client.list_bonus_payments(AssignmentId=a)["BonusPayments"]) == 1
    sim.set_balance("1.00")
    with pytest.raises(client.exceptions.RequestError) as err:
        client.send_bonus(**{**args, "UniqueRequestToken": "bonus-a-2"})
    assert err.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.InsufficientFunds"
    assert balance(client) == Decimal("1.00")
    with pytest.raises(client.exceptions.RequestError):
        client.send_bonus(**{**args, "WorkerId": "A1SOMEONEELSE", "UniqueRequestToken": "x"})


def test_blocks_stop_workers_from_accepting(sim, client):
    hit_id = client.create_hit(**hit_args())["HIT"]["HITId"]
    client.create_worker_block(WorkerId="A1BAD", Reason="spam")
    assert client.list_worker_blocks()["WorkerBlocks"] == [{"WorkerId": "A1BAD", "Reason": "spam"}]
    with pytest.raises(RequestError, match="blocked"):
        sim.backend.accept(hit_id, "A1BAD")
    client.delete_worker_block(WorkerId="A1BAD")
    assert client.list_worker_blocks()["NumResults"] == 0
    assert sim.backend.accept(hit_id, "A1BAD")["HITId"] == hit_id


def test_qualifications_gate_hits(sim, client):
    qt = client.create_qualification_type(Name="expert", Description="Experts",
                                          QualificationTypeStatus="Active", Keywords="exp")
    qid = qt["QualificationType"]["QualificationTypeId"]
    with pytest.raises(client.exceptions.RequestError) as err:
        client.create_qualification_type(Name="expert", Description="again",
                                         QualificationTypeStatus="Active")
    assert err.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationTypeAlreadyExists"
    assert client.get_qualification_type(QualificationTypeId=qid)["QualificationType"]["Name"] == "expert"
    assert [q["Name"] for q in client.list_qualification_types(
        MustBeRequestable=False, Query="EXP")["QualificationTypes"]] == ["expert"]
    hit_id = client.create_hit(**hit_args(QualificationRequirements=[
        {"QualificationTypeId": qid, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [50]},
        {"QualificationTypeId": "00000000000000000071", "Comparator": "EqualTo",
         "LocaleValues": [{"Country": "US"}]}]))["HIT"]["HITId"]
    client.associate_qualification_with_worker(QualificationTypeId=qid, WorkerId="A1GOOD",
                                               IntegerValue=80)
    client.associate_qualification_with_worker(QualificationTypeId=qid, WorkerId="A1LOW",
                                               IntegerValue=10)
    with pytest.raises(RequestError, match="qualification"):
        sim.backend.accept(hit_id, "A1LOW")
    with pytest.raises(RequestError, match="qualification"):
        sim.backend.accept(hit_id, "A1NOBODY")
    assert sim.backend.accept(hit_id, "A1GOOD")
    client.disassociate_qualification_from_worker(QualificationTypeId=qid, WorkerId="A1LOW")
    granted = client.list_workers_with_qualification_type(QualificationTypeId=qid, Status="Granted")
    assert [q["WorkerId"] for q in granted["Qualifications"]] == ["A1GOOD"]
    revoked = client.list_workers_with_qualification_type(QualificationTypeId=qid, Status="Revoked")
    assert [q["WorkerId"] for q in revoked["Qualifications"]] == ["A1LOW"]
    with pytest.raises(client.exceptions.RequestError):
        client.create_hit(**hit_args(QualificationRequirements=[
            {"QualificationTypeId": "3NOSUCHQUAL00000000000000000Q", "Comparator": "Exists"}]))


def test_notify_workers_reports_workers_never_reviewed(sim, client):
    hit_id = client.create_hit(**hit_args())["HIT"]["HITId"]
    client.approve_assignment(AssignmentId=work(sim, hit_id, "A1KNOWN"))
    work(sim, hit_id, "A1WAITING")  # submitted, not yet approved or rejected
    out = client.notify_workers(Subject="Thanks", MessageText="New HITs tomorrow.",
                                WorkerIds=["A1KNOWN", "A1WAITING", "A1STRANGER"])
    assert [(f["WorkerId"], f["NotifyWorkersFailureCode"])
            for f in out["NotifyWorkersFailureStatuses"]] == [("A1WAITING", "HardFailure"),
                                                              ("A1STRANGER", "HardFailure")]
    rows = sim.store.q("SELECT worker_id, subject FROM notifications")
    assert [tuple(r) for r in rows] == [("A1KNOWN", "Thanks")]


def test_extend_expire_and_delete_rules(sim, client):
    hit_id = client.create_hit(**hit_args(MaxAssignments=3))["HIT"]["HITId"]
    with pytest.raises(client.exceptions.RequestError) as err:
        client.delete_hit(HITId=hit_id)
    assert "Assignable" in err.value.response["Error"]["Message"]
    a = work(sim, hit_id, "A1DEL")
    client.create_additional_assignments_for_hit(HITId=hit_id, NumberOfAdditionalAssignments=6,
                                                 UniqueRequestToken="ext-1")
    with pytest.raises(client.exceptions.RequestError):
        client.create_additional_assignments_for_hit(HITId=hit_id, NumberOfAdditionalAssignments=1,
                                                     UniqueRequestToken="ext-1")
    with pytest.raises(client.exceptions.RequestError) as err:
        client.create_additional_assignments_for_hit(HITId=hit_id, NumberOfAdditionalAssignments=1)
    assert err.value.response["TurkErrorCode"] == \
        "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease"
    hit = client.get_hit(HITId=hit_id)["HIT"]
    assert (hit["MaxAssignments"], hit["NumberOfAssignmentsAvailable"]) == (9, 8)
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=PAST)
    hit = client.get_hit(HITId=hit_id)["HIT"]
    assert hit["HITStatus"] == "Reviewable"
    assert hit["Expiration"].timestamp() == sim.clock.now()
    with pytest.raises(client.exceptions.RequestError):  # a submitted assignment is unreviewed
        client.delete_hit(HITId=hit_id)
    client.approve_assignment(AssignmentId=a)
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=dt.datetime.fromtimestamp(
        sim.clock.now() + 3600, dt.timezone.utc))
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Assignable"
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=PAST)
    client.delete_hit(HITId=hit_id)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Disposed"
    assert client.list_hits()["NumResults"] == 0
    with pytest.raises(client.exceptions.RequestError):
        client.update_expiration_for_hit(HITId=hit_id, ExpireAt=PAST)


def test_virtual_clock_expiry_abandonment_and_auto_approval(sim, client):
    start = sim.clock.now()
    hit_id = client.create_hit(**hit_args(LifetimeInSeconds=300, AssignmentDurationInSeconds=60,
                                          AutoApprovalDelayInSeconds=120, MaxAssignments=2))["HIT"]["HITId"]
    late = sim.backend.accept(hit_id, "A1LATE")["AssignmentId"]
    done = work(sim, hit_id, "A1ONTIME")
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Unassignable"
    assert sim.clock.now() == start  # time does not move by itself
    sim.clock.advance(61)
    hit = client.get_hit(HITId=hit_id)["HIT"]
    assert (hit["HITStatus"], hit["NumberOfAssignmentsPending"]) == ("Assignable", 0)
    refused = sim.workers().worker("A1LATE2")
    assert refused.submit_to_mturk(late, {"a": "b"}) == 409
    before = balance(client)
    sim.clock.advance(60)
    asg = client.get_assignment(AssignmentId=done)["Assignment"]
    assert asg["AssignmentStatus"] == "Approved"
    assert asg["ApprovalTime"] == asg["AutoApprovalTime"]
    assert balance(client) == before - Decimal("0.60")
    sim.clock.advance(200)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"
    with pytest.raises(RequestError, match="no longer available"):
        sim.backend.accept(hit_id, "A1TOOLATE")


def test_state_survives_a_restart_with_a_db_file(tmp_path):
    from workbench.devtools.mturk_sim import Simulator
    from .conftest import make_client
    db = str(tmp_path / "sim.db")
    with Simulator(db=db, balance="50.00") as sim:
        client = make_client(sim.url)
        hit_id = client.create_hit(**hit_args(MaxAssignments=1))["HIT"]["HITId"]
        other = client.create_hit(**hit_args(MaxAssignments=1, Title="x"))["HIT"]["HITId"]
    with Simulator(db=db) as sim:
        client = make_client(sim.url)
        assert client.get_hit(HITId=hit_id)["HIT"]["HITId"] == hit_id
        assert client.get_account_balance()["AvailableBalance"] == "50.00"
        again = [client.create_hit(**hit_args(MaxAssignments=1, Title=t))["HIT"]["HITId"]
                 for t in ("y", "z")]
        assert len({hit_id, other, *again}) == 4


def test_successive_worker_runs_use_new_worker_ids(sim, client, page):
    hit_id = client.create_hit(**hit_args(page.task_url(9), MaxAssignments=4))["HIT"]["HITId"]
    first = sim.run_workers(2)
    second = sim.run_workers(2)
    assert all(o.ok for o in first + second)
    assert [o.worker_id for o in first + second] == [f"A1SIMWORKER{i:04d}" for i in (1, 2, 3, 4)]
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"
    leftover = sim.run_workers(1)[0]
    assert leftover.error == "no open HIT"
