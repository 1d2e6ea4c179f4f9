"""Validation as MTurk does it: hostile or wrong Question XML and out-of-range parameters are refused."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from workbench.devtools.mturk_sim.validation import EXTERNAL_NS, FORM_NS, HTML_NS

from .conftest import hit_args

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ExternalQuestion xmlns="%s"><ExternalURL>https://example.org/&lol4;</ExternalURL>
<FrameHeight>0</FrameHeight></ExternalQuestion>""" % EXTERNAL_NS

XXE = """<?xml version="1.0"?>
<!DOCTYPE q [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ExternalQuestion xmlns="%s"><ExternalURL>https://example.org/&xxe;</ExternalURL>
<FrameHeight>0</FrameHeight></ExternalQuestion>""" % EXTERNAL_NS


def refused(client, **over):
    with pytest.raises(ClientError) as err:
        client.create_hit(**hit_args(**over))
    return err.value.response


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_is_refused(client, doc):
    resp = refused(client, Question=doc)
    assert resp["Error"]["Code"] == "ParameterValidationError"
    assert "not allowed" in resp["Error"]["Message"]
    assert client.list_hits()["NumResults"] == 0


@pytest.mark.parametrize("doc", [
    '<ExternalQuestion xmlns="http://example.org/ns"><ExternalURL>https://a.org/</ExternalURL>'
    '<FrameHeight>0</FrameHeight></ExternalQuestion>',
    f'<HTMLQuestion xmlns="{EXTERNAL_NS}"><HTMLContent>x</HTMLContent>'
    f'<FrameHeight>0</FrameHeight></HTMLQuestion>',
    '<ExternalQuestion><ExternalURL>https://a.org/</ExternalURL>'
    '<FrameHeight>0</FrameHeight></ExternalQuestion>',
], ids=["foreign-ns", "swapped-ns", "no-ns"])
def test_wrong_namespace_is_refused(client, doc):
    assert "namespace" in refused(client, Question=doc)["Error"]["Message"]


@pytest.mark.parametrize("doc,fragment", [
    ("<Survey/>", "not a Question"),
    ("<ExternalQuestion", "parsing the XML"),
    (f'<ExternalQuestion xmlns="{EXTERNAL_NS}"><ExternalURL>http://example.org/</ExternalURL>'
     f'<FrameHeight>0</FrameHeight></ExternalQuestion>', "https"),
    (f'<ExternalQuestion xmlns="{EXTERNAL_NS}"><ExternalURL>not a url</ExternalURL>'
     f'<FrameHeight>0</FrameHeight></ExternalQuestion>', "not a valid URL"),
    (f'<ExternalQuestion xmlns="{EXTERNAL_NS}"><ExternalURL>https://a.org/</ExternalURL>'
     f'<FrameHeight>-5</FrameHeight></ExternalQuestion>', "FrameHeight"),
    (f'<HTMLQuestion xmlns="{HTML_NS}"><HTMLContent></HTMLContent>'
     f'<FrameHeight>0</FrameHeight></HTMLQuestion>', "HTMLContent"),
    (f'<QuestionForm xmlns="{FORM_NS}"></QuestionForm>', "at least one Question"),
    (f'<ExternalQuestion xmlns="{EXTERNAL_NS}"><ExternalURL>https://a.org/{"x" * 70000}'
     f'</ExternalURL><FrameHeight>0</FrameHeight></ExternalQuestion>', "64 kilobytes"),
])
def test_bad_questions_are_refused(client, doc, fragment):
    assert fragment in refused(client, Question=doc)["Error"]["Message"]


@pytest.mark.parametrize("url", ["http://localhost:8888/a", "http://127.0.0.1/a?x=1",
                                 "https://example.org/a"])
def test_local_http_and_any_https_are_accepted(client, url):
    assert client.create_hit(**hit_args(url))["HIT"]["HITStatus"] == "Assignable"


def test_question_form_is_accepted(client):
    form = (f'<QuestionForm xmlns="{FORM_NS}"><Question><QuestionIdentifier>q1'
            f'</QuestionIdentifier><QuestionContent><Text>Why?</Text></QuestionContent>'
            f'<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question>'
            f'</QuestionForm>')
    assert client.create_hit(**hit_args(Question=form))["HIT"]["Question"] == form


@pytest.mark.parametrize("over,fragment", [
    ({"Reward": "0.00"}, "Reward"), ({"Reward": "10000.01"}, "Reward"),
    ({"Reward": "abc"}, "Reward"), ({"Reward": "0.001"}, "Reward"), ({"Reward": "-1"}, "Reward"),
    ({"AssignmentDurationInSeconds": 29}, "AssignmentDurationInSeconds"),
    ({"AssignmentDurationInSeconds": 31536001}, "AssignmentDurationInSeconds"),
    ({"LifetimeInSeconds": 29}, "LifetimeInSeconds"),
    ({"LifetimeInSeconds": 31536001}, "LifetimeInSeconds"),
    ({"AutoApprovalDelayInSeconds": 2592001}, "AutoApprovalDelayInSeconds"),
    ({"MaxAssignments": 1000000001}, "MaxAssignments"),
    ({"Title": "t" * 129}, "Title"), ({"Description": "d" * 2001}, "Description"),
    ({"Keywords": "k" * 1001}, "Keywords"), ({"RequesterAnnotation": "a" * 256}, "RequesterAnnotation"),
    ({"UniqueRequestToken": "u" * 65}, "UniqueRequestToken"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000040",
                                     "Comparator": "GreaterThan"}]}, "IntegerValues"),
])
def test_out_of_range_parameters_are_refused(client, over, fragment):
    resp = refused(client, **over)
    assert resp["Error"]["Code"] == "ParameterValidationError"
    assert fragment in resp["Error"]["Message"]


def test_insufficient_funds_for_a_hit(sim, client):
    sim.set_balance("1.00")
    resp = refused(client, Reward="1.00", MaxAssignments=1)
    assert resp["TurkErrorCode"] == "AWS.MechanicalTurk.InsufficientFunds"


def test_unknown_objects_are_request_errors(client):
    for call in (lambda: client.get_assignment(AssignmentId="3NOPE00000000000000000000000AA"),
                 lambda: client.get_qualification_type(QualificationTypeId="3NOPE"),
                 lambda: client.create_hit_with_hit_type(HITTypeId="3NOPE", LifetimeInSeconds=60,
                                                         Question=hit_args()["Question"]),
                 lambda: client.list_assignments_for_hit(HITId="3NOPE")):
        with pytest.raises(client.exceptions.RequestError):
            call()
