"""The dashboard notebook's collaboration section, really executed by papermill against played sessions."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import papermill
import pytest

from workbench.study import projects
from workbench.collab import sessions

from .test_export_metrics import _play

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "dashboard.ipynb"


@pytest.mark.slow
def test_the_dashboard_runs_and_shows_the_figures(make_store, tmp_path, monkeypatch):
    store = make_store("sqlite")
    with store.transaction() as s:
        projects.create(s, "pairs")
        sessions.create_study(s, "study", {"paradigm": "word_guessing", "factors": {"chat": [True, False]}},
                              project="pairs")
    asyncio.run(_play(store, 2))
    repo = str(NOTEBOOK.parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])))
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"project": "pairs", "database_url": store.url},
                               kernel_name="python3", cwd=str(tmp_path))
    import nbformat
    done = nbformat.read(out, as_version=4)
    texts = "".join(o.get("data", {}).get("text/plain", "") for c in done.cells if c.cell_type == "code"
                    for o in c.get("outputs", []))
    assert "agent=on chat=off persona=default" in texts and "agent=on chat=on persona=default" in texts
    assert "No collaboration sessions" not in texts
    assert any("image/png" in o.get("data", {}) for c in done.cells if c.cell_type == "code" for o in c.get("outputs", []))
