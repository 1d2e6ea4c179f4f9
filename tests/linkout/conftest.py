"""Fixtures: the link-out provider on a real store, a small study, and a participant who takes part through the
crowd service's own visit and submission calls (the entry route's tests do the same over HTTP)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 - jp_fetch, jp_serverapp and their hooks

from workbench.crowd import submissions, worker_sessions
from workbench.crowd.providers import WorkSpec, get_provider
from tests.server.conftest import (  # noqa: F401 - the server tests' fixtures, re-exported
    fetch_json, image, jp_server_config, study, wb_backend, wb_config, wb_store)
from tests.study_data import cats_study

SPEC = WorkSpec(title="Label cats", description="Say whether each picture shows a cat or a dog.", reward_cents=150,
                duration=1800, max_assignments=2, mode="link-out")


@pytest.fixture
def cats(store):
    return cats_study(store)


@pytest.fixture
def provider(store, monkeypatch):
    for name in ("LINKOUT_ENVIRONMENT", "LINKOUT_ID_PARAM", "LINKOUT_COMPLETION_URL", "WORKBENCH_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_PUBLIC_BASE_URL", "https://annotate.example.org")
    return get_provider("link-out", store=store)


def take_part(provider, link: str, participant: str, label: str = "cat") -> SimpleNamespace:
    """A participant's whole visit, as the entry route runs it: admitted, each task answered as the page submits
    it, then the code. Returns the session id, the code and whether no task was left."""
    session_id = provider.session_id(link, participant)
    token = None
    while True:
        with provider.store.transaction() as s:
            provider.admit(s, link, participant, session_id)
            step = worker_sessions.visit(s, "link-out", session_id, participant, link, token=token)
        token = step.token
        if step.code:
            return SimpleNamespace(session_id=session_id, code=step.code, no_task=step.no_task)
        with provider.store.transaction() as s:
            submissions.submit_from_worker(s, {"task_id": step.next_task_id, "assignment_id": session_id,
                                               "hit_id": link, "worker_id": participant,
                                               "result": {"label": label}, "tool_version": ""},
                                           provider="link-out", session_token=token)
