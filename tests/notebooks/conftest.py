"""A fixture store and environment the notebooks run against, in a kernel of their own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.devtools.mturk_sim import Simulator
from workbench.store import Store

from ..study_data import seed_study

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture
def notebook_env(tmp_path):
    """Environment variables for a kernel: the seeded store, the project, a live MTurk simulator."""
    db = tmp_path / "fixture.db"
    store = Store(f"sqlite:///{db}")
    store.upgrade(backup=False)
    seed_study(store, tmp_path / "images", slug="demo")
    store.dispose()
    simulator = Simulator().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "MTURK_"))}
    env.update(WORKBENCH_HOME=str(tmp_path / "home"), WORKBENCH_DATABASE_URL=f"sqlite:///{db}",
               WORKBENCH_PROJECT="demo", MTURK_ENVIRONMENT="local", MTURK_LOCAL_ENDPOINT=simulator.url,
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    yield env
    simulator.stop()
