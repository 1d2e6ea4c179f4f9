"""``workbench run``: papermill really executes the notebooks; runs are recorded, locked and recover."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from workbench import jobs
from workbench.cli import cli
from workbench.errors import ValidationError
from workbench.store.models import JobRun

from ..study_data import seed_study


@pytest.fixture
def study(store, tmp_path):
    return seed_study(store, tmp_path / "images")


def _runs(store):
    with store.session() as s:
        return [(r.id, r.status, r.error) for r in s.scalars(select(JobRun).order_by(JobRun.id))]


def test_export_run_is_recorded_and_its_notebook_kept(study, tmp_path):
    with study.store.transaction() as s:  # a run whose process died long ago
        s.add(JobRun(job="export", status="running", pid=1))
    out = tmp_path / "annotations.parquet"
    result = jobs.run("export", {"project": "shapes", "format": "parquet", "out": str(out)}, store=study.store)
    run = result.run
    assert run["status"] == "succeeded" and run["finished_at"]
    assert run["parameters"] == {"project": "shapes", "format": "parquet", "out": str(out)}
    assert pq.read_table(out).num_rows == 13 == result.summary["rows"]
    executed = nbformat.read(run["output_path"], as_version=4)
    assert Path(run["output_path"]).parent.name == "export"
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert study.store.url.split("@")[-1] not in json.dumps(executed.cells[1]) or "sqlite" in study.store.url
    abandoned = _runs(study.store)[0]
    assert abandoned[1] == "failed" and "abandoned" in abandoned[2]


def test_a_relative_out_is_relative_to_where_the_run_started(study, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = jobs.run("export", {"project": "shapes", "format": "csv", "out": "exports/a.csv"}, store=study.store)
    assert result.run["status"] == "succeeded"
    assert (tmp_path / "exports" / "a.csv").is_file() and Path(result.summary["path"]).resolve() == (
        tmp_path / "exports" / "a.csv").resolve()


def test_a_failing_run_is_recorded_and_the_next_one_recovers(make_store, tmp_path):
    store = make_store("sqlite")
    seed_study(store, tmp_path / "images")
    runner = CliRunner()
    args = ["--database-url", store.url, "run", "export", "-p", "project", "no-such-project",
            "-p", "format", "csv", "-p", "out", str(tmp_path / "x.csv")]
    failed = runner.invoke(cli, args)
    assert failed.exit_code == 1
    assert "failed: NotFoundError: project 'no-such-project' not found" in failed.output
    (run_id, status, error), = _runs(store)
    assert status == "failed" and error.startswith("NotFoundError")
    assert Path(jobs.get(store, run_id)["output_path"]).is_file()

    args[5] = "shapes"
    ok = runner.invoke(cli, args + ["--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["summary"]["rows"] == 13
    assert [r[1] for r in _runs(store)] == ["failed", "succeeded"]


def test_a_second_run_of_the_same_job_is_skipped_cleanly(study):
    with jobs._job_lock(study.store, "export", 0) as held:
        assert held
        with pytest.raises(jobs.JobBusy) as excinfo:
            jobs.run("export", {"project": "shapes"}, store=study.store, wait=0.2)
        runner = CliRunner()
        done = runner.invoke(cli, ["--database-url", study.store.url, "run", "export"])
        # A different job is not blocked by this one's lock.
        with jobs._job_lock(study.store, "sync", 0) as other:
            assert other
    assert "another export run is in progress" in str(excinfo.value)
    assert done.exit_code == 0 and "skipped: another export run is in progress" in done.output
    assert [r[1] for r in _runs(study.store)] == ["skipped", "skipped"]
    with jobs._job_lock(study.store, "export", 0) as held_again:
        assert held_again


def test_bad_job_and_parameters_are_refused(study):
    with pytest.raises(ValidationError) as excinfo:
        jobs.run("train", {}, store=study.store)
    assert excinfo.value.field == "job"
    with pytest.raises(ValidationError) as excinfo:
        jobs.run("export", {"database_url": "sqlite://"}, store=study.store)
    assert excinfo.value.field == "parameters.database_url"
    assert _runs(study.store) == []


def test_workbench_notebooks_names_another_notebooks_folder(tmp_path, monkeypatch):
    from workbench import resources
    from workbench.errors import NotFoundError

    monkeypatch.setenv("WORKBENCH_NOTEBOOKS", str(tmp_path))
    assert resources.notebooks_root() == tmp_path
    with pytest.raises(NotFoundError) as caught:
        jobs.notebook_for("sync")
    assert str(tmp_path / "sync.ipynb") in str(caught.value)
    (tmp_path / "sync.ipynb").write_text("{}")
    assert jobs.notebook_for("sync") == tmp_path / "sync.ipynb"
