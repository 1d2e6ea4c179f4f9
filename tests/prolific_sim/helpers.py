"""Shared steps of the contract tests: a valid draft, publishing, a participant's visit."""
from __future__ import annotations

import httpx

# prolific-openapi.yml, CreateStudy: the required fields; BaseStudy: reward in cents,
# times in minutes, completion_codes entries with code, code_type and actions
DRAFT = {
    "name": "Label some sentences",
    "internal_name": "batch 1",
    "description": "Read ten sentences and label each.",
    "external_study_url": "http://study.invalid/task?PROLIFIC_PID={{%PROLIFIC_PID%}}"
                          "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}",
    "prolific_id_option": "url_parameters",
    "completion_codes": [
        {"code": "DONE1", "code_type": "COMPLETED", "actions": [{"action": "MANUALLY_REVIEW"}]},
        {"code": "AUTO1", "code_type": "OTHER", "actions": [{"action": "AUTOMATICALLY_APPROVE"}]},
    ],
    "estimated_completion_time": 5,
    "maximum_allowed_time": 20,
    "reward": 150,
    "total_available_places": 3,
}

LONG_MESSAGE = ("Thank you for taking part. Unfortunately the answers did not follow the instructions "
                "given on the first page of the study.")


def draft(api, **changes) -> dict:
    return api.post("studies/", 201, json=dict(DRAFT, **changes))


def published(api, **changes) -> dict:
    study = draft(api, **changes)
    return api.post(f"studies/{study['id']}/transition/", 200, json={"action": "PUBLISH"})


def participant(sim) -> httpx.Client:
    """A participant's browser: keeps cookies, does not follow the redirect to the study."""
    return httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10)


def take_part(sim, pid: str, study_id: str, code: str | None = "DONE1") -> str:
    """Start (and, with a code, complete) the study as `pid`; returns the submission id."""
    with participant(sim) as browser:
        start = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id})
        assert start.status_code == 302, start.text
        session = httpx.URL(start.headers["location"]).params["SESSION_ID"]
        if code is not None:
            done = browser.get("/submissions/complete", params={"cc": code})
            assert done.status_code == 200, done.text
    return session
