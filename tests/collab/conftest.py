"""Collaboration fixtures: a clock, study configurations, the core study fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.core.conftest import LABELS_SCHEMA, image, study  # noqa: F401  (re-exported fixtures)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def word_config():
    return {"paradigm": "word_guessing", "seed": 3, "max_wait_s": 60, "grace_s": 30,
            "factors": {"agent": [True, False], "chat": [True, False]}}
