"""MTurk conformance: parameter limits, formats, pagination and HIT status rules as AWS documents them.

The CreateHIT limits come from the last edition of the API Reference that states them, the
legacy (2014-08-15) CreateHIT page; the 2017 API kept the same service behind a new protocol.
A refused parameter is answered as MTurk answers one: HTTP 400 with the fault type
ParameterValidationError, which botocore raises as a plain ClientError.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest

from .documented import QUESTIONS, STAMP, accept, hit, refusal, submit

# https://docs.aws.amazon.com/AWSMechTurk/latest/AWSMturkAPI-legacy/ApiReference_CreateHITOperation.html
ACCEPTED = [
    ("Title", "t" * 128),                      # "must not be more than 128 characters"
    ("Description", "d" * 2000),               # "cannot be more than 2,000 characters"
    ("Keywords", "k" * 1000),                  # "cannot be more than 1,000 characters"
    ("AssignmentDurationInSeconds", 30),       # "between 30 (30 seconds) and 31536000 (365 days)"
    ("AssignmentDurationInSeconds", 31536000),
    ("LifetimeInSeconds", 30),                 # "between 30 (30 seconds) and 31536000 (365 days)"
    ("LifetimeInSeconds", 31536000),
    ("AutoApprovalDelayInSeconds", 0),         # "between 0 ... and 2592000 (30 days)"
    ("AutoApprovalDelayInSeconds", 2592000),
    ("RequesterAnnotation", "a" * 255),        # "must not be longer than 255 characters"
    ("UniqueRequestToken", "u" * 64),          # "must not be longer than 64 characters"
    # botocore's model: Reward matches ^[0-9]+(\.)?[0-9]{0,2}$
    ("Reward", "5"), ("Reward", "5."), ("Reward", "0.01"),
]
REFUSED = [
    ("Title", "t" * 129), ("Description", "d" * 2001), ("Keywords", "k" * 1001),
    ("AssignmentDurationInSeconds", 29), ("AssignmentDurationInSeconds", 31536001),
    ("LifetimeInSeconds", 29), ("LifetimeInSeconds", 31536001),
    ("AutoApprovalDelayInSeconds", 2592001),
    ("MaxAssignments", 1000000001),            # "between 1 and 1000000000 (1 billion)"
    ("RequesterAnnotation", "a" * 256), ("UniqueRequestToken", "u" * 65),
    ("Reward", "0.001"), ("Reward", "1e1"), ("Reward", "$1.00"), ("Reward", ".50"),
]
# System qualification type ids (API Reference, QualificationRequirement data structure).
WORKER_LOCALE, HITS_APPROVED = "00000000000000000071", "00000000000000000040"


def refused_as_invalid(call) -> str:
    name, resp = refusal(call)
    # HTTP 400, "Error Code: ParameterValidationError", "The value ... is not valid for the
    # parameter ..." (https://github.com/aws/aws-sdk-java/issues/2055)
    assert name == "ClientError" and resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert resp["Error"]["Code"] == "ParameterValidationError"
    return resp["Error"]["Message"]


@pytest.mark.parametrize("member,value", ACCEPTED, ids=lambda v: str(v)[:12])
def test_create_hit_accepts_the_documented_limits(client, member, value):
    assert client.create_hit(**hit(**{member: value}))["HIT"]["HITStatus"] == "Assignable"


@pytest.mark.parametrize("member,value", REFUSED, ids=lambda v: str(v)[:12])
def test_create_hit_refuses_beyond_them(client, member, value):
    assert member in refused_as_invalid(lambda: client.create_hit(**hit(**{member: value})))
    assert client.list_hits()["NumResults"] == 0


def test_qualification_requirement_limits(client):
    types = [client.create_qualification_type(
        Name=f"q{i}", Description="d", QualificationTypeStatus="Active")["QualificationType"]
        ["QualificationTypeId"] for i in range(11)]
    each = [{"QualificationTypeId": t, "Comparator": "Exists"} for t in types]
    # botocore's model, QualificationRequirements: "between zero and ten"; In/NotIn take "up to
    # 15 IntegerValue" and "up to 30 LocaleValue elements"; LocaleValue "can only be used with a
    # Worker_Locale QualificationType ID" and the EqualTo, NotEqualTo, In and NotIn comparators;
    # IntegerValue "cannot be used with the Worker_Locale QualificationType ID".
    ints = {"QualificationTypeId": HITS_APPROVED, "Comparator": "In"}
    places = {"QualificationTypeId": WORKER_LOCALE, "Comparator": "In"}
    countries = [{"Country": f"{a}{b}"} for a in "ABC" for b in "ABCDEFGHIJK"]
    good = [each[:10], [{**ints, "IntegerValues": list(range(15))}],
            [{**places, "LocaleValues": countries[:30]}]]
    bad = [each, [{**ints, "IntegerValues": list(range(16))}],
           [{**places, "LocaleValues": countries[:31]}],
           [{"QualificationTypeId": HITS_APPROVED, "Comparator": "EqualTo",
             "LocaleValues": [{"Country": "US"}]}],
           [{"QualificationTypeId": WORKER_LOCALE, "Comparator": "EqualTo", "IntegerValues": [1]}],
           [{"QualificationTypeId": WORKER_LOCALE, "Comparator": "GreaterThan",
             "LocaleValues": [{"Country": "US"}]}]]
    for reqs in good:
        assert client.create_hit(**hit(QualificationRequirements=reqs))["HIT"]["QualificationRequirements"]
    for reqs in bad:
        refused_as_invalid(lambda: client.create_hit(**hit(QualificationRequirements=reqs)))


def test_worker_ids_and_bonus_amounts(sim, client):
    # 'The value "..." is not valid for the parameter WorkerId.' (aws-sdk-java issue 2055);
    # WorkerId matches ^A[A-Z0-9]+$ (botocore's model).
    message = refused_as_invalid(lambda: client.create_worker_block(WorkerId="a1lower",
                                                                    Reason="spam"))
    assert re.match(r'^The value "a1lower" is not valid for the parameter WorkerId\.' + STAMP, message)
    # DeleteWorkerBlock: 'If the Worker ID is missing or invalid, this operation fails and
    # returns the message "WorkerId is invalid." If the specified Worker is not blocked, this
    # operation returns successfully.' (botocore's model)
    assert re.match(r"^WorkerId is invalid\." + STAMP, refused_as_invalid(
        lambda: client.delete_worker_block(WorkerId="B1NOTAWORKER")))
    client.delete_worker_block(WorkerId="A1NEVERBLOCKED")
    hit_id = client.create_hit(**hit())["HIT"]["HITId"]
    assignment = accept(sim, hit_id, "A1BONUS")
    assert submit(sim, assignment, a="1") == 200
    # BonusAmount: '"5" represents $5.00 USD', pattern ^[0-9]+(\.)?[0-9]{0,2}$ (botocore's model).
    pay = dict(WorkerId="A1BONUS", AssignmentId=assignment, Reason="Great work")
    client.send_bonus(BonusAmount="5", **pay)
    for amount in ("1e1", "-1", "1.005", "USD 1"):
        refused_as_invalid(lambda: client.send_bonus(BonusAmount=amount, **pay))
    assert [b["BonusAmount"] for b in client.list_bonus_payments(HITId=hit_id)["BonusPayments"]] \
        == ["5.00"]


def test_pagination(client):
    ids = [client.create_hit(**hit(Title=f"HIT {i}"))["HIT"]["HITId"] for i in range(3)]
    # MaxResults is 1 to 100 and NextToken 1 to 255 characters (botocore's model, ListHITs).
    refused_as_invalid(lambda: client.list_hits(MaxResults=101))
    first = client.list_hits(MaxResults=2)
    assert first["NumResults"] == 2 and 1 <= len(first["NextToken"]) <= 255
    second = client.list_hits(MaxResults=2, NextToken=first["NextToken"])
    assert second["NumResults"] == 1 and "NextToken" not in second
    assert sorted(h["HITId"] for h in first["HITs"] + second["HITs"]) == sorted(ids)
    assert client.list_hits(MaxResults=100)["NumResults"] == 3


def test_hit_status_rules(sim, client):
    hit_id = client.create_hit(**hit(MaxAssignments=2))["HIT"]["HITId"]
    # UpdateExpirationForHIT: "If you update it to a time in the past, the HIT will be
    # immediately expired." (botocore's model)
    client.update_expiration_for_hit(HITId=hit_id, ExpireAt=dt.datetime(2015, 1, 1))
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"
    # UpdateHITReviewStatus: Revert=False "will only transition a HIT from Reviewable to
    # Reviewing", Revert=True "only ... from Reviewing to Reviewable" (botocore's model).
    refusal(lambda: client.update_hit_review_status(HITId=hit_id, Revert=True))
    client.update_hit_review_status(HITId=hit_id)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewing"
    refusal(lambda: client.update_hit_review_status(HITId=hit_id))
    reviewing = client.list_reviewable_hits(Status="Reviewing")["HITs"]
    assert [h["HITId"] for h in reviewing] == [hit_id]
    client.update_hit_review_status(HITId=hit_id, Revert=True)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"


def test_assignments_past_ten_cost_an_extension_error(client):
    hit_id = client.create_hit(**hit(MaxAssignments=9))["HIT"]["HITId"]
    # "Attempting to add assignments in a way that brings the total number of assignments for a
    # HIT from fewer than 10 assignments to 10 or more assignments will result in an
    # AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease exception." (botocore's model)
    name, resp = refusal(lambda: client.create_additional_assignments_for_hit(
        HITId=hit_id, NumberOfAdditionalAssignments=1))
    assert name == "RequestError"
    assert resp["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease"


def test_auto_approval_delay_zero_approves_at_once(sim, client):
    hit_id = client.create_hit(**hit(AutoApprovalDelayInSeconds=0))["HIT"]["HITId"]
    assignment = accept(sim, hit_id, "A1QUICK")
    assert submit(sim, assignment, a="1") == 200
    # "To automatically approve all work that is submitted, you can set the auto-approval delay
    # to 0." (Developer Guide, HIT attributes)
    found = client.get_assignment(AssignmentId=assignment)["Assignment"]
    assert found["AssignmentStatus"] == "Approved" and found["ApprovalTime"] == found["SubmitTime"]


def test_external_url_must_be_https(client):
    # "This URL must use the HTTPS protocol." (API Reference, ExternalQuestion). The simulator
    # lets http through for this machine only, where the workbench serves itself offline.
    plain = QUESTIONS["ExternalQuestion"].replace("https://example.org", "http://example.org")
    assert "https" in refused_as_invalid(lambda: client.create_hit(**hit(Question=plain)))
    no_height = QUESTIONS["ExternalQuestion"].replace("<FrameHeight>0</FrameHeight>", "")
    # FrameHeight is required; 0 means the frame fills the window (ExternalQuestion).
    assert "FrameHeight" in refused_as_invalid(lambda: client.create_hit(**hit(Question=no_height)))


def test_a_billion_assignments_is_within_range(client):
    # "any integer between 1 and 1000000000 (1 billion)" (legacy CreateHIT): the largest is in
    # range, so what refuses it is the balance, not validation.
    name, resp = refusal(lambda: client.create_hit(**hit(MaxAssignments=1000000000, Reward="0.01")))
    assert name == "RequestError"
    assert resp["TurkErrorCode"] == "AWS.MechanicalTurk.InsufficientFunds"
