"""Collaboration fixtures: a clock, study configurations, the core study fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 - jp_fetch, jp_serverapp and their hooks

from tests.core.conftest import LABELS_SCHEMA, image, study  # noqa: F401  (re-exported fixtures)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def word_config():
    return {"paradigm": "word_guessing", "seed": 3, "max_wait_s": 60, "grace_s": 30,
            "factors": {"agent": [True, False], "chat": [True, False]}}


@pytest.fixture
def collab_store(make_store):
    return make_store("sqlite")


@pytest.fixture
def jp_server_config(collab_store):
    """A real Jupyter server with the workbench extension (collaboration face included), refusing
    every undecorated endpoint."""
    return {"ServerApp": {"jpserver_extensions": {"server_ext": True, "jupyter_server_terminals": False},
                          "allow_unauthenticated_access": False},
            "WorkbenchApp": {"database_url": collab_store.url, "register_plugins": False}}
