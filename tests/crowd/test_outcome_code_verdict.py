"""The code verdict where codes are per outcome, the same for every participant (a Prolific study's).

The code a submission was completed with counts only as the outcome its participant's own visit reached:
the COMPLETED code after every task was answered, the study's no-task code after a visit that found none.
Against the real Prolific simulator and provider, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from workbench.crowd import review, worker_sessions
from workbench.crowd.providers.prolific.studies import get_study
from workbench.errors import ConflictError
from workbench.study import annotations

from tests.prolific.conftest import SPEC, provider, sim, sim_faults, study  # noqa: F401 - fixtures


def start(sim, browser: httpx.Client, pid: str, study_id: str) -> str:
    """The participant starts on Prolific; the SESSION_ID of the study URL they are sent to."""
    answer = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id})
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["SESSION_ID"][0]


def finish(sim, browser: httpx.Client, code: str) -> None:
    """Back on Prolific with ``code`` (the completion URL's ``cc``)."""
    assert browser.get("/submissions/complete", params={"cc": code}).status_code == 200


def visit(store, study_id: str, pid: str, session_id: str, *, answer: bool) -> worker_sessions.Step:
    """The participant's visit to the workbench (what the entry route does), answering each task if ``answer``."""
    with store.transaction() as s:
        step = worker_sessions.visit(s, "prolific", session_id, pid, study_id)
        while answer and step.next_task_id is not None:
            annotations.submit(s, step.next_task_id, {"label": "cat"}, actor=pid, submission_id=session_id)
            step = worker_sessions.visit(s, "prolific", session_id, pid, study_id, token=step.token)
    return step


def verdicts(provider) -> dict[str, str]:
    return {item["worker_id"]: item["code_verdict"] for item in review.queue(provider, status="submitted")}


def test_a_code_counts_only_as_the_outcome_the_participants_own_visit_reached(store, study, sim, provider):
    study_id = provider.create_work("cats", study.task_ids, SPEC).hit_ids[0]
    with store.session() as s:
        codes = get_study(s, "local", study_id).payload["completion_codes"]
    people = {"honest": "5f00000000000000000000a1", "copier": "5f00000000000000000000a2",
              "stranger": "5f00000000000000000000a3", "claims_no_task": "5f00000000000000000000a4"}
    for who, pid in people.items():
        with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
            session_id = start(sim, browser, pid, study_id)
            if who == "honest":
                assert visit(store, study_id, pid, session_id, answer=True).code
                finish(sim, browser, codes["complete"])
            elif who == "copier":  # opened the task, answered nothing, typed a code seen elsewhere
                assert visit(store, study_id, pid, session_id, answer=False).next_task_id is not None
                finish(sim, browser, codes["complete"])
            elif who == "stranger":  # never came to the workbench at all
                finish(sim, browser, codes["complete"])
            else:  # did the work, but came back with the code of "no task was left"
                visit(store, study_id, pid, session_id, answer=True)
                finish(sim, browser, codes["no_task"])
    provider.sync()

    found = verdicts(provider)
    assert found[people["honest"]] == "ok"
    assert found[people["copier"]] == "wrong"
    assert found[people["stranger"]] == "no_session"
    assert found[people["claims_no_task"]] == "wrong"  # their visit reached "complete": the no-task code is not theirs

    honest = next(i for i in review.queue(provider) if i["worker_id"] == people["honest"])
    assert review.approve(provider, honest["assignment_id"]).status == "approved"  # no override needed
    copier = next(i for i in review.queue(provider) if i["worker_id"] == people["copier"])
    with pytest.raises(ConflictError):
        review.approve(provider, copier["assignment_id"])
    assert review.approve(provider, copier["assignment_id"], override=True).status == "approved"
