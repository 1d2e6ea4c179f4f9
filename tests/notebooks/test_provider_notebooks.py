"""The dashboard and the panels notebook, run by papermill for MTurk and for Prolific (the local simulator):
the same notebooks, the provider a parameter, the headings in its words; cost side by side per provider."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import papermill
import pytest
from sqlalchemy import select

from workbench import jobs
from workbench.crowd.providers import get_provider
from workbench.results import dashboard
from workbench.store.models import HIT
from tests.prolific.conftest import SPEC, sim, sim_faults, take_part  # noqa: F401 (fixtures)

from ..study_data import seed_study
from .conftest import NOTEBOOKS, ROOT

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the store itself is tested on both elsewhere


@pytest.fixture
def both(store, sim, tmp_path, monkeypatch):
    """Project "demo": MTurk HITs and assignments (the seeded study) and a Prolific study with one submission."""
    for key in [k for k in os.environ if k.startswith(("MTURK_", "PROLIFIC_", "WORKBENCH_PROVIDER"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PROLIFIC_ENDPOINT_URL", sim.url)
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", store.url)
    monkeypatch.setenv("WORKBENCH_PROJECT", "demo")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    study = seed_study(store, tmp_path / "images", slug="demo")
    provider = get_provider("prolific", store=store, endpoint_url=sim.url, public_base_url="http://wb.invalid")
    study_id = provider.create_work("demo", study.task_ids["classification"][:2], SPEC).hit_ids[0]
    with store.session() as s:
        code = s.scalars(select(HIT).where(HIT.hit_id == study_id)).one().payload["completion_codes"]["complete"]
    start = take_part(sim, "PNOTEBOOK1", study_id, code)
    assert start.status_code == 302 and httpx.URL(start.headers["location"]).params["SESSION_ID"]
    provider.sync()
    provider.sync()
    provider.client.close()
    return study


def _run(name: str, tmp_path: Path, **parameters) -> str:
    """Run a notebook with papermill; every text its cells printed or displayed, and their sources, as one string."""
    out = tmp_path / f"out-{name}"
    papermill.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters, kernel_name="python3",
                               cwd=str(ROOT), progress_bar=False)
    texts = []
    for cell in json.loads(out.read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts += ["".join(data.get(kind, "")) for kind in ("text/markdown", "text/html", "text/plain")]
            texts.append("".join(output.get("text", "")))
    return "\n".join(texts)


def test_cost_by_provider_side_by_side(store, both):
    table = dashboard.cost_by_provider(store, "demo")
    assert list(table["provider"]) == ["mturk", "prolific"]
    assert list(table["platform"]) == ["MTurk", "Prolific"]
    assert set(table.columns) >= {"environment", "rewards", "fees", "bonuses", "spent", "committed"}
    mturk = table.set_index("provider").loc["mturk"]
    assert mturk["spent"] > 0  # the seeded study's approved assignments
    assert dashboard.words("prolific").attempts == "submissions" and dashboard.words().work == "HIT"


@pytest.mark.parametrize("provider, own, other", [("prolific", "## Participants", "## Workers"),
                                                  ("mturk", "## Workers", "## Participants")])
def test_dashboard_in_the_providers_words(store, both, tmp_path, provider, own, other):
    shown = _run("dashboard.ipynb", tmp_path, provider=provider)
    assert own in shown and other not in shown
    platform = {"prolific": "Prolific", "mturk": "MTurk"}[provider]
    assert f"the work below is on {platform}" in shown
    assert "Cost by provider" in shown and "prolific" in shown and "mturk" in shown


@pytest.mark.parametrize("provider, titles, absent", [
    ("prolific", ("<h3>Study manager</h3>", "<h3>Prolific</h3>", "<h3>Review queue</h3>"), "HIT"),
    ("mturk", ("<h3>HIT manager</h3>", "<h3>MTurk</h3>", "<h3>Review queue</h3>"), "study"),
])
def test_panels_notebook_runs_for_each_provider(store, both, tmp_path, sim, monkeypatch, provider, titles, absent):
    monkeypatch.setenv("WORKBENCH_PROVIDER", provider)  # the one setting; the notebook's parameter left at None
    shown = _run("panels.ipynb", tmp_path, endpoint_url=sim.url if provider == "prolific" else None)
    for title in titles:  # each panel's widget tree, as the kernel displayed it
        assert title in shown
    assert f"<h3>{absent}" not in shown and f"description='{absent}'" not in shown


def test_sync_and_ingest_notebooks_run_for_prolific(store, both, sim):
    """``workbench run sync -p provider prolific`` and ``ingest``: the scheduled notebooks, by papermill."""
    params = {"provider": "prolific", "endpoint_url": sim.url}
    synced = jobs.run("sync", params, store=store)
    assert synced.run["status"] == "succeeded" and synced.summary["changed_hits"] == 1
    ingested = jobs.run("ingest", params, store=store)
    assert ingested.run["status"] == "succeeded" and ingested.summary["link_out"] == 1
