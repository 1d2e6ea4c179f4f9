"""Every operation the simulator implements answers JSON that botocore's MTurk model accepts."""
from __future__ import annotations

import datetime as dt
import json

import botocore.session
import pytest

from workbench.devtools.mturk_sim import OPERATIONS, Simulator
from workbench.devtools.mturk_sim.seeding import external_question

from .conftest import hit_args, make_client
from .documented import QUESTIONS

MODEL = botocore.session.get_session().get_service_model("mturk")
REQUIRED_OPERATIONS = {
    "CreateHITType", "CreateHITWithHITType", "CreateHIT", "GetHIT", "ListHITs",
    "ListReviewableHITs", "ListAssignmentsForHIT", "GetAssignment", "ApproveAssignment",
    "RejectAssignment", "SendBonus", "ListBonusPayments", "CreateWorkerBlock", "DeleteWorkerBlock",
    "ListWorkerBlocks", "CreateQualificationType", "ListQualificationTypes",
    "GetQualificationType", "AssociateQualificationWithWorker",
    "DisassociateQualificationFromWorker", "ListWorkersWithQualificationType", "NotifyWorkers",
    "UpdateExpirationForHIT", "CreateAdditionalAssignmentsForHIT", "DeleteHIT",
    "GetAccountBalance", "UpdateHITReviewStatus",
}


def check_shape(shape, value, path="$"):
    """Raw json-1.1 `value` against a botocore shape: required members, types, enums."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: expected object, got {value!r}"
        for name in shape.required_members:
            assert name in value, f"{path}: missing required member {name}"
        for name, item in value.items():
            assert name in shape.members, f"{path}: unknown member {name}"
            check_shape(shape.members[name], item, f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected list"
        for i, item in enumerate(value):
            check_shape(shape.member, item, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: expected map"
        for k, item in value.items():
            check_shape(shape.key, k, f"{path}<key>")
            check_shape(shape.value, item, f"{path}[{k}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected string, got {value!r}"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected int"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: expected boolean"
    elif kind == "timestamp":
        # json-1.1 carries timestamps as epoch seconds.
        assert isinstance(value, (int, float)) and not isinstance(value, bool), \
            f"{path}: expected epoch number, got {value!r}"
    elif kind in ("double", "float"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: number"
    else:
        raise AssertionError(f"{path}: unhandled shape type {kind}")


@pytest.fixture(scope="module")
def world():
    sim = Simulator(start_time=1_700_000_000).start()
    client = make_client(sim.url)
    raw: dict[str, list] = {}

    def capture(http_response, model, **_):
        raw.setdefault(model.name, []).append((http_response.status_code, http_response.content))

    client.meta.events.register("after-call.mturk", capture)
    hit_type = client.create_hit_type(Title="T", Description="D", Reward="0.20",
                                      AssignmentDurationInSeconds=300)["HITTypeId"]
    qual = client.create_qualification_type(Name="contract-qual", Description="q",
                                            QualificationTypeStatus="Active")
    qual_id = qual["QualificationType"]["QualificationTypeId"]
    hit = client.create_hit(**hit_args(MaxAssignments=3))["HIT"]
    done = []
    for worker in ("A1CONTRACT0001", "A1CONTRACT0002", "A1CONTRACT0003"):
        acc = sim.backend.accept(hit["HITId"], worker)
        sim.backend.submit(acc["AssignmentId"], {"result": json.dumps({"label": "cat"})})
        done.append(acc["AssignmentId"])
    yield dict(sim=sim, client=client, raw=raw, hit_type=hit_type, qual_id=qual_id,
               hit_id=hit["HITId"], assignments=done)
    sim.stop()


def _delete_hit(c, w):
    h = c.create_hit(**hit_args(MaxAssignments=1))["HIT"]["HITId"]
    c.update_expiration_for_hit(HITId=h, ExpireAt=dt.datetime(2015, 1, 1))
    return c.delete_hit(HITId=h)


def _review_status(c, w):
    h = c.create_hit(**hit_args(MaxAssignments=1))["HIT"]["HITId"]
    c.update_expiration_for_hit(HITId=h, ExpireAt=dt.datetime(2015, 1, 1))
    return c.update_hit_review_status(HITId=h, Revert=False)


CALLS = {
    "CreateHITType": lambda c, w: c.create_hit_type(
        Title="T2", Description="D", Reward="0.30", AssignmentDurationInSeconds=300,
        AutoApprovalDelayInSeconds=60, Keywords="k",
        QualificationRequirements=[{"QualificationTypeId": "00000000000000000071",
                                    "Comparator": "In",
                                    "LocaleValues": [{"Country": "US"}, {"Country": "CA"}]}]),
    "CreateHITWithHITType": lambda c, w: c.create_hit_with_hit_type(
        HITTypeId=w["hit_type"], MaxAssignments=1, LifetimeInSeconds=600,
        Question=external_question("https://example.org/a?b=1"), RequesterAnnotation="note"),
    "CreateHIT": lambda c, w: c.create_hit(**hit_args(QualificationRequirements=[
        {"QualificationTypeId": w["qual_id"], "Comparator": "GreaterThan",
         "IntegerValues": [0], "ActionsGuarded": "Accept"}])),
    "GetHIT": lambda c, w: c.get_hit(HITId=w["hit_id"]),
    "ListHITs": lambda c, w: c.list_hits(MaxResults=2),
    "ListReviewableHITs": lambda c, w: c.list_reviewable_hits(MaxResults=5),
    "ListAssignmentsForHIT": lambda c, w: c.list_assignments_for_hit(HITId=w["hit_id"], MaxResults=2),
    "GetAssignment": lambda c, w: c.get_assignment(AssignmentId=w["assignments"][0]),
    "ApproveAssignment": lambda c, w: c.approve_assignment(
        AssignmentId=w["assignments"][0], RequesterFeedback="thanks"),
    "RejectAssignment": lambda c, w: c.reject_assignment(
        AssignmentId=w["assignments"][1], RequesterFeedback="wrong label"),
    "SendBonus": lambda c, w: c.send_bonus(
        WorkerId="A1CONTRACT0001", BonusAmount="1.00", AssignmentId=w["assignments"][0],
        Reason="good", UniqueRequestToken="contract-bonus"),
    "ListBonusPayments": lambda c, w: (c.send_bonus(
        WorkerId="A1CONTRACT0003", BonusAmount="0.25", AssignmentId=w["assignments"][2],
        Reason="r"), c.list_bonus_payments(HITId=w["hit_id"]))[1],
    "CreateWorkerBlock": lambda c, w: c.create_worker_block(WorkerId="A1BLOCKED", Reason="spam"),
    "DeleteWorkerBlock": lambda c, w: c.delete_worker_block(WorkerId="A1BLOCKED", Reason="ok"),
    "ListWorkerBlocks": lambda c, w: (c.create_worker_block(WorkerId="A1B2", Reason="x"),
                                      c.list_worker_blocks())[1],
    "CreateQualificationType": lambda c, w: c.create_qualification_type(
        Name="q2", Description="d", QualificationTypeStatus="Active", AutoGranted=True,
        AutoGrantedValue=5, Keywords="k"),
    "ListQualificationTypes": lambda c, w: c.list_qualification_types(
        MustBeRequestable=False, MustBeOwnedByCaller=True),
    "GetQualificationType": lambda c, w: c.get_qualification_type(QualificationTypeId=w["qual_id"]),
    "DeleteQualificationType": lambda c, w: c.delete_qualification_type(
        QualificationTypeId=c.create_qualification_type(
            Name="doomed", Description="d", QualificationTypeStatus="Inactive"
        )["QualificationType"]["QualificationTypeId"]),
    "AssociateQualificationWithWorker": lambda c, w: c.associate_qualification_with_worker(
        QualificationTypeId=w["qual_id"], WorkerId="A1QUAL", IntegerValue=7, SendNotification=False),
    "DisassociateQualificationFromWorker": lambda c, w: (
        c.associate_qualification_with_worker(QualificationTypeId=w["qual_id"], WorkerId="A1GONE"),
        c.disassociate_qualification_from_worker(QualificationTypeId=w["qual_id"],
                                                 WorkerId="A1GONE", Reason="r"))[1],
    "GetQualificationScore": lambda c, w: (
        c.associate_qualification_with_worker(QualificationTypeId=w["qual_id"], WorkerId="A1SC"),
        c.get_qualification_score(QualificationTypeId=w["qual_id"], WorkerId="A1SC"))[1],
    "ListWorkersWithQualificationType": lambda c, w: (
        c.associate_qualification_with_worker(QualificationTypeId=w["qual_id"], WorkerId="A1L"),
        c.list_workers_with_qualification_type(QualificationTypeId=w["qual_id"]))[1],
    "NotifyWorkers": lambda c, w: c.notify_workers(
        Subject="hi", MessageText="hello", WorkerIds=["A1CONTRACT0001", "A1NEVERSEEN"]),
    "UpdateExpirationForHIT": lambda c, w: c.update_expiration_for_hit(
        HITId=w["hit_id"], ExpireAt=dt.datetime(2030, 1, 1)),
    "CreateAdditionalAssignmentsForHIT": lambda c, w: c.create_additional_assignments_for_hit(
        HITId=w["hit_id"], NumberOfAdditionalAssignments=2, UniqueRequestToken="more"),
    "DeleteHIT": _delete_hit,
    "GetAccountBalance": lambda c, w: c.get_account_balance(),
    "UpdateHITReviewStatus": _review_status,
}


def test_required_operations_are_implemented():
    assert REQUIRED_OPERATIONS <= set(OPERATIONS)
    assert set(OPERATIONS) <= set(MODEL.operation_names)
    assert set(CALLS) == set(OPERATIONS)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_response_matches_botocore_model(world, operation):
    client, raw = world["client"], world["raw"]
    raw.pop(operation, None)
    parsed = CALLS[operation](client, world)
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 200
    status, body = raw[operation][-1]
    assert status == 200
    check_shape(MODEL.operation_model(operation).output_shape, json.loads(body))


def test_rich_responses_carry_the_fields_botocore_models(world):
    client = world["client"]
    hit = client.get_hit(HITId=world["hit_id"])["HIT"]
    for key in ("HITId", "HITTypeId", "HITGroupId", "CreationTime", "Expiration", "Question",
                "HITStatus", "HITReviewStatus", "NumberOfAssignmentsPending",
                "NumberOfAssignmentsAvailable", "NumberOfAssignmentsCompleted",
                "QualificationRequirements", "Reward", "AssignmentDurationInSeconds",
                "AutoApprovalDelayInSeconds", "MaxAssignments", "Title", "Description"):
        assert key in hit
    assert isinstance(hit["CreationTime"], dt.datetime)
    asg = client.get_assignment(AssignmentId=world["assignments"][2])["Assignment"]
    for key in ("AssignmentId", "WorkerId", "HITId", "AssignmentStatus", "AutoApprovalTime",
                "AcceptTime", "SubmitTime", "Answer", "Deadline"):
        assert key in asg


def test_errors_match_the_modeled_fault_shape(world):
    client, raw = world["client"], world["raw"]
    with pytest.raises(client.exceptions.RequestError) as err:
        client.get_hit(HITId="3NOSUCHHIT0000000000000000000A")
    assert err.value.response["Error"]["Code"] == "RequestError"
    assert err.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.HITDoesNotExist"
    status, body = raw["GetHIT"][-1]
    assert status == 400
    doc = json.loads(body)
    assert doc.pop("__type") == "RequestError"
    check_shape(MODEL.shape_for("RequestError"), doc)


def test_simulator_and_admin_expose_the_operations(world):
    import urllib.request
    sim = world["sim"]
    assert tuple(sim.operations) == OPERATIONS
    with urllib.request.urlopen(f"{sim.url}/_sim/operations") as resp:
        assert json.loads(resp.read())["operations"] == list(OPERATIONS)


def members_seen(shape, value, seen: set) -> None:
    """(structure name, member) for every member present in a raw answer, at any depth."""
    if shape.type_name == "structure":
        for name, item in value.items():
            seen.add((shape.name, name))
            members_seen(shape.members[name], item, seen)
    elif shape.type_name == "list":
        for item in value:
            members_seen(shape.member, item, seen)


def test_every_modeled_output_member_is_filled_somewhere(sim, client, wire):
    """Each member of each output structure shows up in some answer; the exceptions are named."""
    qid = client.create_qualification_type(
        Name="tested", Description="d", QualificationTypeStatus="Active", Keywords="k",
        Test=QUESTIONS["QuestionForm"], AnswerKey="<AnswerKey/>", TestDurationInSeconds=600,
        RetryDelayInSeconds=60)["QualificationType"]["QualificationTypeId"]
    auto = client.create_qualification_type(Name="auto", Description="d", AutoGranted=True,
                                            QualificationTypeStatus="Active")
    hit = client.create_hit(**hit_args(MaxAssignments=3, RequesterAnnotation="a",
                                       QualificationRequirements=[{
                                           "QualificationTypeId": qid, "Comparator": "Exists",
                                           "ActionsGuarded": "Accept", "RequiredToPreview": False}]))
    hit_id = hit["HIT"]["HITId"]
    done = []
    for worker in ("A1SEEN1", "A1SEEN2", "A1SEEN3"):
        client.associate_qualification_with_worker(QualificationTypeId=qid, WorkerId=worker)
        acc = sim.backend.accept(hit_id, worker)
        sim.backend.submit(acc["AssignmentId"], {"result": "{}"})
        done.append(acc["AssignmentId"])
    client.approve_assignment(AssignmentId=done[0], RequesterFeedback="thanks")
    client.reject_assignment(AssignmentId=done[1], RequesterFeedback="no")
    client.create_hit(**hit_args(QualificationRequirements=[
        {"QualificationTypeId": "00000000000000000071", "Comparator": "In",
         "LocaleValues": [{"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}]},
        {"QualificationTypeId": "00000000000000000040", "Comparator": "GreaterThan",
         "IntegerValues": [100]}]))
    for assignment_id, worker in zip(done, ("A1SEEN1", "A1SEEN2")):
        client.send_bonus(WorkerId=worker, AssignmentId=assignment_id, BonusAmount="1", Reason="r")
        client.create_worker_block(WorkerId=worker.replace("SEEN", "BAD"), Reason="spam")
    client.get_hit(HITId=hit_id)
    client.list_assignments_for_hit(HITId=hit_id, MaxResults=1)
    for assignment_id in done[:2]:  # approved, rejected
        client.get_assignment(AssignmentId=assignment_id)
    client.list_bonus_payments(HITId=hit_id, MaxResults=1)
    client.list_worker_blocks(MaxResults=1)
    client.get_qualification_type(QualificationTypeId=auto["QualificationType"]["QualificationTypeId"])
    client.get_qualification_score(QualificationTypeId=qid, WorkerId="A1SEEN1")
    client.list_workers_with_qualification_type(QualificationTypeId=qid, MaxResults=1)
    client.notify_workers(Subject="s", MessageText="m", WorkerIds=["A1STRANGER"])
    client.get_account_balance()
    client.list_hits(MaxResults=1)
    seen: set = set()
    modeled: set = set()
    for status, body, operation in wire:
        assert status == 200
        members_seen(MODEL.operation_model(operation).output_shape, body, seen)
        collect_members(MODEL.operation_model(operation).output_shape, modeled)
    # HITLayoutId: the simulator makes no HIT from a HIT layout. LocaleValue: it grants integer
    # qualifications only (Worker_Locale is a system qualification it does not store).
    assert modeled - seen == {("HIT", "HITLayoutId"), ("Qualification", "LocaleValue")}


def collect_members(shape, out: set, stack=()) -> None:
    if shape.name in stack:
        return
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            out.add((shape.name, name))
            collect_members(member, out, (*stack, shape.name))
    elif shape.type_name == "list":
        collect_members(shape.member, out, (*stack, shape.name))
