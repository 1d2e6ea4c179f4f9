"""Collaboration fixtures: a clock, study configurations, the core study fixtures, a folder for screenshots."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


REPO = Path(__file__).resolve().parents[2]


def artifact_folder(area: str, test_name: str, tmp_path: Path) -> Path:
    """Where a browser test keeps its screenshots: ``test-artifacts/<area>/<test>/`` at the repository's root
    when git ignores that folder, else pytest's own tmp path; emptied first, and printed (pytest shows it
    with -s or on failure)."""
    ignore = REPO / ".gitignore"
    ignored = ignore.exists() and any(line.strip().strip("/") == "test-artifacts"
                                      for line in ignore.read_text().splitlines())
    folder = (REPO / "test-artifacts" / area / re.sub(r"[^\w.-]+", "_", test_name) if ignored
              else tmp_path / "screenshots")
    shutil.rmtree(folder, ignore_errors=True)  # this test's own folder: no picture of an older run stays
    folder.mkdir(parents=True)
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def artifacts(request, tmp_path) -> Path:
    return artifact_folder("collab", request.node.name, tmp_path)
