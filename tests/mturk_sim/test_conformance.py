"""MTurk conformance: the simulator against what AWS documents and what MTurk answered on the wire.

Every expected value is a literal with its source beside it: the MTurk API Reference
(docs.aws.amazon.com/AWSMechTurk/latest/AWSMturkAPI/...), botocore's MTurk service model, or a
real response quoted in a public issue thread. Nothing is imported from the workbench's own
constants, so a mistake the simulator shares with the provider cannot pass here. The simulator
is driven by a real boto3 client; the worker side (accepting, posting the form) by plain HTTP.
"""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import botocore.session
import pytest

from workbench.crowd.providers.mturk.questions import external_question, link_out_question

from .documented import (ANSWERS_NS, EXTERNAL_QUESTION_NS, HTML_QUESTION_NS, OLD_WRONG_NS,
                         QUESTIONS, STAMP, accept, advance, hit, refusal, submit)

MODEL = botocore.session.get_session().get_service_model("mturk")


# -- Question XML namespaces ---------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(QUESTIONS))
def test_documented_question_namespaces_are_accepted(client, kind):
    created = client.create_hit(**hit(Question=QUESTIONS[kind]))["HIT"]
    assert created["HITStatus"] == "Assignable"
    assert created["Question"] == QUESTIONS[kind]


def test_the_old_wrong_namespace_is_refused_as_mturk_refuses_bad_question_data(client, wire):
    doc = QUESTIONS["ExternalQuestion"].replace(EXTERNAL_QUESTION_NS, OLD_WRONG_NS)
    name, resp = refusal(lambda: client.create_hit(**hit(Question=doc)))
    # Question data that does not validate: HTTP 400, fault type ParameterValidationError,
    # "There was an error parsing the ... data in your request." (https://github.com/tylin/coco-ui/pull/4,
    # https://github.com/boto/boto3/issues/2108); not modeled, so botocore raises ClientError.
    assert (name, resp["Error"]["Code"]) == ("ClientError", "ParameterValidationError")
    status, body, _ = wire[-1]
    assert status == 400 and body["__type"] == "ParameterValidationError"
    assert body["Message"].startswith("There was an error parsing the ")
    assert client.list_hits()["NumResults"] == 0


def test_provider_question_builders_use_the_documented_namespaces(client):
    built = {
        "ExternalQuestion": external_question(7, base_url="https://example.org"),
        "HTMLQuestion": link_out_question("cats", title="Chat", description="Open the link",
                                          base_url="https://example.org"),
    }
    expected = {"ExternalQuestion": EXTERNAL_QUESTION_NS, "HTMLQuestion": HTML_QUESTION_NS}
    for kind, doc in built.items():
        assert ET.fromstring(doc).tag == f"{{{expected[kind]}}}{kind}"
        assert client.create_hit(**hit(Question=doc))["HIT"]["Question"] == doc


# -- errors as MTurk answers them --------------------------------------------------------

def test_unknown_hit(client, wire):
    # botocore's model lists RequestError among GetHIT's faults.
    assert "RequestError" in {s.name for s in MODEL.operation_model("GetHIT").error_shapes}
    name, resp = refusal(lambda: client.get_hit(HITId="3PR3LXCWSFNV4OJWZBHIMQOIJVSX9G"))
    assert name == "RequestError" and resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    # {"__type":"RequestError","Message":"Hit 3PR3LXCWSFNV4OJWZBHIMQOIJVSX9G does not exist.
    # (1624047673969)","TurkErrorCode":"AWS.MechanicalTurk.HITDoesNotExist"}, HTTP 400
    # (https://github.com/NRGI/resourcecontracts.org/issues/1384)
    status, body, _ = wire[-1]
    assert status == 400 and sorted(body) == ["Message", "TurkErrorCode", "__type"]
    assert body["__type"] == "RequestError"
    assert body["TurkErrorCode"] == "AWS.MechanicalTurk.HITDoesNotExist"
    assert re.match(r"^Hit 3PR3LXCWSFNV4OJWZBHIMQOIJVSX9G does not exist\." + STAMP, body["Message"])


def test_reused_unique_request_token_names_the_hit_until_it_expires(sim, client):
    first = client.create_hit(**hit(UniqueRequestToken="study-1-task-7"))["HIT"]["HITId"]
    name, resp = refusal(lambda: client.create_hit(**hit(UniqueRequestToken="study-1-task-7")))
    # "subsequent calls will return a AWS.MechanicalTurk.HitAlreadyExists error with a message
    # containing the HITId ... The unique token expires after 24 hours." (API Reference, CreateHIT)
    assert name == "RequestError"
    assert resp["TurkErrorCode"] == "AWS.MechanicalTurk.HitAlreadyExists"
    assert first in resp["Error"]["Message"]
    advance(sim, 24 * 3600 + 1)
    again = client.create_hit(**hit(UniqueRequestToken="study-1-task-7", LifetimeInSeconds=60))
    assert again["HIT"]["HITId"] != first


def test_reject_in_the_wrong_state(sim, client, wire):
    hit_id = client.create_hit(**hit())["HIT"]["HITId"]
    assignment = accept(sim, hit_id, "A1CONFORM")
    assert submit(sim, assignment, answer="cat") == 200
    client.approve_assignment(AssignmentId=assignment)
    name, resp = refusal(lambda: client.reject_assignment(AssignmentId=assignment,
                                                          RequesterFeedback="late"))
    # {"__type":"RequestError","Message":"This operation can be called with a status of:
    # Submitted (1624047673908)","TurkErrorCode":"AWS.MechanicalTurk.InvalidAssignmentState"}
    # (https://github.com/NRGI/resourcecontracts.org/issues/1384)
    assert name == "RequestError"
    status, body, _ = wire[-1]
    assert (status, body["__type"]) == (400, "RequestError")
    assert body["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidAssignmentState"
    assert re.match(r"^This operation can be called with a status of: Submitted" + STAMP,
                    body["Message"])


def test_delete_hit_with_open_or_unreviewed_assignments(sim, client):
    hit_id = client.create_hit(**hit())["HIT"]["HITId"]
    # "This HIT is currently in the state 'Reviewable'.  This operation can be called with a
    # status of: Reviewing, Reviewable (1567366957231 s)" (https://github.com/boto/boto3/issues/2107);
    # only Reviewable HITs whose submitted work is all approved or rejected can be deleted
    # (API Reference, DeleteHIT).
    _, resp = refusal(lambda: client.delete_hit(HITId=hit_id))
    assert re.match(r"^This HIT is currently in the state 'Assignable'\.  This operation can be "
                    r"called with a status of: Reviewing, Reviewable" + STAMP,
                    resp["Error"]["Message"])
    assignment = accept(sim, hit_id, "A1CONFORM")
    assert submit(sim, assignment, answer="cat") == 200
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"
    name, resp = refusal(lambda: client.delete_hit(HITId=hit_id))
    assert name == "RequestError"
    assert re.match(r"^This HIT is currently in the state 'Reviewable'\.  This operation can be "
                    r"called with a status of: Reviewing, Reviewable" + STAMP,
                    resp["Error"]["Message"])
    client.reject_assignment(AssignmentId=assignment, RequesterFeedback="Wrong label")
    client.delete_hit(HITId=hit_id)
    # "Disposed HITs are not returned in results for the ListHITs operation" and "After you
    # dispose of a HIT, you can no longer approve the HIT's rejected assignments" (DeleteHIT).
    assert client.list_hits()["NumResults"] == 0
    refusal(lambda: client.approve_assignment(AssignmentId=assignment, OverrideRejection=True))


def test_a_late_submit_is_abandoned_work(sim, client):
    hit_id = client.create_hit(**hit(AssignmentDurationInSeconds=60, MaxAssignments=2))["HIT"]["HITId"]
    late = accept(sim, hit_id, "A1LATE")
    advance(sim, 61)
    # "If a Worker does not complete the assignment within the specified duration, the
    # assignment is considered abandoned. If the HIT is still active ... the assignment becomes
    # available for other users to find and accept." (API Reference, CreateHIT)
    assert submit(sim, late, answer="cat") != 200
    counts = client.get_hit(HITId=hit_id)["HIT"]
    assert (counts["NumberOfAssignmentsAvailable"], counts["NumberOfAssignmentsPending"]) == (2, 0)
    # AssignmentStatus is only Submitted | Approved | Rejected (botocore's model, Assignment).
    assert client.list_assignments_for_hit(HITId=hit_id)["Assignments"] == []
    for call in (lambda: client.approve_assignment(AssignmentId=late),
                 lambda: client.reject_assignment(AssignmentId=late, RequesterFeedback="late")):
        name, resp = refusal(call)
        assert name == "RequestError"
        assert resp["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidAssignmentState"
        assert resp["Error"]["Message"].startswith("This operation can be called with a status of:")


def test_an_accepted_assignment_outlives_the_hit_lifetime(sim, client):
    hit_id = client.create_hit(**hit(LifetimeInSeconds=60, AssignmentDurationInSeconds=600))["HIT"]["HITId"]
    assignment = accept(sim, hit_id, "A1SLOW")
    advance(sim, 120)
    # "if the lifetime expires after a worker accepts an assignment, the worker can still submit
    # a response up until the assignment duration expires." (Developer Guide, HIT attributes,
    # https://docs.aws.amazon.com/AWSMechTurk/latest/AWSMechanicalTurkRequester/mturk-hits-attributes.html)
    assert submit(sim, assignment, answer="dog") == 200
    assert client.get_assignment(AssignmentId=assignment)["Assignment"]["AssignmentStatus"] == "Submitted"


def test_the_form_post_becomes_free_text_answers(sim, client):
    hit_id = client.create_hit(**hit())["HIT"]["HITId"]
    # A preview has assignmentId ASSIGNMENT_ID_NOT_AVAILABLE; its post "will not be accepted".
    assert submit(sim, "ASSIGNMENT_ID_NOT_AVAILABLE", answer="cat") != 200
    assignment = accept(sim, hit_id, "A1FORM")
    assert submit(sim, assignment, hitId=hit_id, answer="<cat & dog>") == 200
    # Each field is an Answer with QuestionIdentifier = field name and FreeText = value; a field
    # named hitId "will be ignored" (API Reference, ExternalQuestion, The Answer Data).
    raw = client.get_assignment(AssignmentId=assignment)["Assignment"]["Answer"]
    answers = ET.fromstring(raw.encode())
    assert answers.tag == f"{{{ANSWERS_NS}}}QuestionFormAnswers"
    pairs = [(a.findtext(f"{{{ANSWERS_NS}}}QuestionIdentifier"), a.findtext(f"{{{ANSWERS_NS}}}FreeText"))
             for a in answers.findall(f"{{{ANSWERS_NS}}}Answer")]
    assert pairs == [("answer", "<cat & dog>")]


# -- review rules ---------------------------------------------------------------------

def test_a_rejection_can_be_overridden_for_thirty_days(sim, client):
    hit_id = client.create_hit(**hit(MaxAssignments=2, LifetimeInSeconds=3 * 86400))["HIT"]["HITId"]
    old = accept(sim, hit_id, "A1OLD")
    assert submit(sim, old, answer="x") == 200
    advance(sim, 2 * 86400)
    recent = accept(sim, hit_id, "A1RECENT")
    assert submit(sim, recent, answer="y") == 200
    for assignment in (recent, old):
        client.reject_assignment(AssignmentId=assignment, RequesterFeedback="Wrong label")
    advance(sim, 29 * 86400)
    # "This works only on rejected assignments that were submitted within the previous 30 days"
    # (API Reference, ApproveAssignment, OverrideRejection).
    client.approve_assignment(AssignmentId=recent, OverrideRejection=True)
    assert client.get_assignment(AssignmentId=recent)["Assignment"]["AssignmentStatus"] == "Approved"
    name, _ = refusal(lambda: client.approve_assignment(AssignmentId=old, OverrideRejection=True))
    assert name == "RequestError"
    assert client.get_assignment(AssignmentId=old)["Assignment"]["AssignmentStatus"] == "Rejected"


def test_requester_feedback_refuses_control_characters(sim, client):
    hit_id = client.create_hit(**hit())["HIT"]["HITId"]
    assignment = accept(sim, hit_id, "A1FEEDBACK")
    assert submit(sim, assignment, answer="x") == 200
    # "cannot contain ASCII characters 0-8, 11,12, or 14-31 ... the operation throws an
    # InvalidParameterValue error"; "Can be up to 1024 characters" (ApproveAssignment).
    for bad in ("bell\x07", "tab-ok\tbut-vt\x0b", "x" * 1025):
        refusal(lambda: client.approve_assignment(AssignmentId=assignment, RequesterFeedback=bad))
    _, resp = refusal(lambda: client.reject_assignment(AssignmentId=assignment,
                                                       RequesterFeedback="esc\x1b"))
    assert "InvalidParameterValue" in resp["TurkErrorCode"]
    client.approve_assignment(AssignmentId=assignment, RequesterFeedback="Thanks!\r\n\t" + "x" * 1014)
    assert client.get_assignment(AssignmentId=assignment)["Assignment"]["AssignmentStatus"] == "Approved"


def test_notify_workers_reaches_only_reviewed_workers(sim, client):
    hit_id = client.create_hit(**hit(MaxAssignments=2))["HIT"]["HITId"]
    reviewed, waiting = accept(sim, hit_id, "A1REVIEWED"), accept(sim, hit_id, "A1WAITING")
    assert submit(sim, reviewed, a="1") == 200 and submit(sim, waiting, a="2") == 200
    client.reject_assignment(AssignmentId=reviewed, RequesterFeedback="Wrong label")
    # "will send a notification email to a Worker only if you have previously approved or
    # rejected work from the Worker." (botocore's MTurk model, NotifyWorkers)
    out = client.notify_workers(Subject="More HITs", MessageText="Tomorrow.",
                                WorkerIds=["A1REVIEWED", "A1WAITING"])
    assert [f["WorkerId"] for f in out["NotifyWorkersFailureStatuses"]] == ["A1WAITING"]


def test_money_and_qualification_messages(sim, client):
    hit_id = client.create_hit(**hit())["HIT"]["HITId"]
    assignment = accept(sim, hit_id, "A1BONUS")
    assert submit(sim, assignment, a="1") == 200
    bonus = dict(WorkerId="A1BONUS", AssignmentId=assignment, BonusAmount="1.00", Reason="Great",
                 UniqueRequestToken="bonus-1")
    client.send_bonus(**bonus)
    # 'The idempotency token "..." has already been processed. (1626172412406)'
    # (https://github.com/Dallinger/Dallinger/issues/3109)
    _, resp = refusal(lambda: client.send_bonus(**bonus))
    assert re.match(r'^The idempotency token "bonus-1" has already been processed\.' + STAMP,
                    resp["Error"]["Message"])
    # https://github.com/Dallinger/Dallinger/issues/3331: both messages, verbatim.
    qual = dict(Name="expert", Description="Experts", QualificationTypeStatus="Active")
    qid = client.create_qualification_type(**qual)["QualificationType"]["QualificationTypeId"]
    _, resp = refusal(lambda: client.create_qualification_type(**qual))
    assert resp["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationTypeAlreadyExists"
    assert re.match(r"^You have already created a QualificationType with this name\. A "
                    r"QualificationType's name must be unique among all of the QualificationTypes "
                    r"created by the same user\." + STAMP, resp["Error"]["Message"])
    _, resp = refusal(lambda: client.get_qualification_score(QualificationTypeId=qid,
                                                             WorkerId="A1NOBODY"))
    assert resp["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationDoesNotExist"
    assert re.match(r"^You requested a Qualification that does not exist\." + STAMP,
                    resp["Error"]["Message"])


def test_a_deleted_qualification_type(sim, client):
    qual = dict(Name="pilot-done", Description="Did the pilot", QualificationTypeStatus="Active")
    qid = client.create_qualification_type(**qual)["QualificationType"]["QualificationTypeId"]
    client.associate_qualification_with_worker(QualificationTypeId=qid, WorkerId="A1PILOT",
                                               IntegerValue=3)
    client.delete_qualification_type(QualificationTypeId=qid)
    # "does not revoke Qualifications already assigned to Workers ... After you delete a
    # Qualification type, you can no longer use it to create HITs or HIT types ... It may take
    # up to 48 hours before ... the unique name ... is available for reuse" (DeleteQualificationType).
    score = client.get_qualification_score(QualificationTypeId=qid, WorkerId="A1PILOT")
    assert score["Qualification"]["IntegerValue"] == 3
    requirement = [{"QualificationTypeId": qid, "Comparator": "Exists"}]
    refusal(lambda: client.create_hit(**hit(QualificationRequirements=requirement)))
    advance(sim, 48 * 3600)
    assert client.create_qualification_type(**qual)["QualificationType"]["Name"] == "pilot-done"


def test_every_hit_member_mturk_fills(client, wire):
    client.create_hit(**hit(RequesterAnnotation="task-7", Keywords="image, label"))
    _, body, _ = wire[-1]
    # The members a real GetHIT/ListHITs answer carries (https://github.com/boto/boto3/issues/2226,
    # https://github.com/erlcloud/erlcloud/issues/497): all of botocore's HIT shape except
    # HITLayoutId, which only a HIT made from a HIT layout has.
    filled = {"HITId", "HITTypeId", "HITGroupId", "CreationTime", "Title", "Description",
              "Question", "Keywords", "HITStatus", "MaxAssignments", "Reward",
              "AutoApprovalDelayInSeconds", "Expiration", "AssignmentDurationInSeconds",
              "RequesterAnnotation", "QualificationRequirements", "HITReviewStatus",
              "NumberOfAssignmentsPending", "NumberOfAssignmentsAvailable",
              "NumberOfAssignmentsCompleted"}
    assert set(MODEL.shape_for("HIT").members) - filled == {"HITLayoutId"}
    assert set(body["HIT"]) == filled
    assert body["HIT"]["HITReviewStatus"] == "NotReviewed"  # boto3 issue 2226
    assert isinstance(client.get_hit(HITId=body["HIT"]["HITId"])["HIT"]["Expiration"], dt.datetime)
