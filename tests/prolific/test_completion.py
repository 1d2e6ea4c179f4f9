"""The code a Prolific visit ends with, by outcome (``crowd.completion``); the entry route only redirects to it."""

from __future__ import annotations

import pytest

from workbench.crowd import completion
from workbench.errors import ConflictError

CODES = {"complete_code": "C0MPLETE", "no_task_code": "N0TASK"}


def test_the_outcome_chooses_the_code():
    assert completion.code_for(CODES, no_task=False) == "C0MPLETE"
    assert completion.code_for(CODES, no_task=True) == "N0TASK"   # never the COMPLETED code a bulk approval pays
    with pytest.raises(ConflictError) as asked:
        completion.code_for({"complete_code": "C0MPLETE", "no_task_code": None}, no_task=True)
    assert (asked.value.status, asked.value.field) == (409, "STUDY_ID")


def test_prolifics_completion_url(monkeypatch):
    monkeypatch.delenv("PROLIFIC_COMPLETION_URL", raising=False)
    # the issue, from Prolific's docs: https://app.prolific.com/submissions/complete?cc=CODE
    assert completion.finish_url(CODES, no_task=False) == "https://app.prolific.com/submissions/complete?cc=C0MPLETE"
    monkeypatch.setenv("PROLIFIC_COMPLETION_URL", "http://127.0.0.1:8600/submissions/complete?x=1")
    assert completion.finish_url(CODES, no_task=True) == "http://127.0.0.1:8600/submissions/complete?x=1&cc=N0TASK"
    monkeypatch.setenv("PROLIFIC_COMPLETION_URL", "javascript:alert(1)")
    with pytest.raises(completion.NotConfigured) as bad:
        completion.finish_url(CODES, no_task=False)
    assert (bad.value.status, bad.value.field) == (503, "PROLIFIC_COMPLETION_URL")
