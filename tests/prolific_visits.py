"""A Prolific participant who does a study's task for real: Prolific's side in the simulator, ours in the core.

The participant starts the study at the simulator (which makes the submission and sends them to the study
URL with ``SESSION_ID``), then the workbench's entry route and worker page do what they do on a server:
``worker_sessions.visit`` (the entry), ``submissions.submit_from_worker`` (the page's submit, with the
visit's token) and ``visit`` again (the completion), and the participant completes at the simulator with
the study's code. The work is then the same as a server's: an annotation joined to its submission, a
code verdict of ``ok``.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from workbench.crowd import submissions, worker_sessions
from workbench.store.models import HIT


def answered(store, sim, study_id: str, pid: str, project: str, result: dict) -> str:
    """``pid`` takes part in ``study_id`` and answers its one task with ``result``; their submission id."""
    with store.session() as s:
        code = s.scalars(select(HIT).where(HIT.hit_id == study_id)).one().payload["completion_codes"]["complete"]
    with httpx.Client(base_url=sim.url, follow_redirects=False, timeout=10) as browser:
        start = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id})
        assert start.status_code == 302, start.text
        sub_id = httpx.URL(start.headers["location"]).params["SESSION_ID"]
        with store.transaction() as s:
            step = worker_sessions.visit(s, "prolific", sub_id, pid, study_id, project)
            submissions.submit_from_worker(s, {"task_id": step.next_task_id, "assignment_id": sub_id,
                                               "hit_id": study_id, "worker_id": pid, "result": result,
                                               "tool_version": ""}, provider="prolific", session_token=step.token)
        with store.transaction() as s:
            assert worker_sessions.visit(s, "prolific", sub_id, pid, study_id, project, token=step.token).code
        assert browser.get("/submissions/complete", params={"cc": code}).status_code == 200
    return sub_id
