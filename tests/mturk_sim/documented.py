"""MTurk's documented literals and the worker-side HTTP steps the conformance suites share.

Each literal names its source. Nothing here comes from the workbench's own constants: these are
the values the simulator and the provider are checked against, not copies of them.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError

# "Data Structure Schema Locations",
# https://docs.aws.amazon.com/AWSMechTurk/latest/AWSMturkAPI/ApiReference_SchemaLocationArticle.html
EXTERNAL_QUESTION_NS = ("http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
                        "2006-07-14/ExternalQuestion.xsd")
HTML_QUESTION_NS = ("http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
                    "2011-11-11/HTMLQuestion.xsd")
QUESTION_FORM_NS = ("http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
                    "2017-11-06/QuestionForm.xsd")
ANSWERS_NS = ("http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
              "2005-10-01/QuestionFormAnswers.xsd")
# The namespace the provider and the simulator once shared (fixed in f08cb05); not MTurk's.
OLD_WRONG_NS = "http://mturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"

QUESTIONS = {
    "ExternalQuestion": f'<ExternalQuestion xmlns="{EXTERNAL_QUESTION_NS}"><ExternalURL>'
                        f'https://example.org/task?x=1</ExternalURL><FrameHeight>0</FrameHeight>'
                        f'</ExternalQuestion>',
    "HTMLQuestion": f'<HTMLQuestion xmlns="{HTML_QUESTION_NS}"><HTMLContent><![CDATA[<!DOCTYPE html>'
                    f'<html><body><p>Hi</p></body></html>]]></HTMLContent><FrameHeight>450'
                    f'</FrameHeight></HTMLQuestion>',
    "QuestionForm": f'<QuestionForm xmlns="{QUESTION_FORM_NS}"><Question><QuestionIdentifier>q1'
                    f'</QuestionIdentifier><QuestionContent><Text>Why?</Text></QuestionContent>'
                    f'<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question>'
                    f'</QuestionForm>',
}
# MTurk's messages end with a millisecond timestamp: "... does not exist. (1624047673969)"
# (https://github.com/NRGI/resourcecontracts.org/issues/1384); 2019 answers add " s".
STAMP = r" \(\d{13}( s)?\)$"


def hit(**over) -> dict:
    """CreateHIT arguments for an ExternalQuestion HIT in the documented namespace."""
    args = dict(Title="Label an image", Description="Pick the right label.", Reward="0.50",
                AssignmentDurationInSeconds=600, LifetimeInSeconds=3600, MaxAssignments=1,
                Question=QUESTIONS["ExternalQuestion"])
    return {**args, **over}


def worker_post(sim, path: str, fields: dict) -> tuple[int, bytes]:
    """A plain HTTP POST, as a browser or the simulator's admin client would send it."""
    if path.startswith("/_sim/"):
        data, kind = json.dumps(fields).encode(), "application/json"
    else:
        data, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    req = urllib.request.Request(sim.url + path, data=data, headers={"Content-Type": kind})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def accept(sim, hit_id: str, worker_id: str) -> str:
    status, body = worker_post(sim, "/_sim/accept", {"hit_id": hit_id, "worker_id": worker_id})
    assert status == 200, body
    return json.loads(body)["AssignmentId"]


def submit(sim, assignment_id: str, **fields) -> int:
    return worker_post(sim, "/mturk/externalSubmit", {"assignmentId": assignment_id, **fields})[0]


def advance(sim, seconds: float) -> None:
    assert worker_post(sim, "/_sim/clock/advance", {"seconds": seconds})[0] == 200


def refusal(call) -> tuple[str, dict]:
    """(botocore exception class name, error response) of a call MTurk refuses."""
    with pytest.raises(ClientError) as err:
        call()
    return type(err.value).__name__, err.value.response
