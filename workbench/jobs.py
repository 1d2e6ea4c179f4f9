"""Scheduled jobs: papermill runs of the sync, ingest and export notebooks, recorded in the store.

``run("export", {"format": "parquet"})`` executes ``notebooks/export.ipynb`` with those
parameters, keeps the executed notebook under ``$WORKBENCH_HOME/runs/export/``, and writes
a JobRun row: running, then succeeded or failed with the error. One run of a job at a
time: a second one waits for the first up to ``wait`` seconds, then is skipped with a
clear message (and a ``skipped`` row). A run whose process died is marked failed by the
next run of its job, which then proceeds.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

import workbench
from . import config, resources
from .errors import ConflictError, NotFoundError, ValidationError, WorkbenchError
from .store import Store
from .store.locks import job_lock
from .store.models import JobRun
from .store.types import utcnow

JOBS = ("sync", "ingest", "export")
KERNEL = "python3"


class JobBusy(ConflictError):
    """Another run of the same job holds its lock."""

    code = "job_busy"


class JobFailed(WorkbenchError):
    """The notebook raised; the executed notebook (with the traceback) is kept."""

    status = 500
    code = "job_failed"


@dataclass
class JobResult:
    run: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.run, "summary": self.summary}


def notebook_for(job: str) -> Path:
    if job not in JOBS:
        raise ValidationError("job", f"must be one of {', '.join(JOBS)}")
    path = resources.notebooks_root() / f"{job}.ipynb"
    if not path.is_file():
        raise NotFoundError("notebook", str(path), hint="set WORKBENCH_NOTEBOOKS to the folder with the job notebooks")
    return path


def run(job: str, parameters: dict[str, Any] | None = None, *, store: Store, wait: float = 0,
        kernel_name: str = KERNEL, execution_timeout: float | None = None) -> JobResult:
    """Run one job's notebook under its lock; raise JobBusy or JobFailed, or return the run."""
    notebook = notebook_for(job)
    parameters = _check_parameters(parameters or {})
    with _job_lock(store, job, wait) as acquired:
        if not acquired:
            current = _running(store, job)
            _record_skip(store, job, parameters, current)
            held = f" (run {current.id}, pid {current.pid} on {current.host})" if current else ""
            raise JobBusy(f"another {job} run is in progress{held}; this one was skipped",
                          hint="it is safe to try again later; use --wait SECONDS to queue behind it")
        _recover_abandoned(store, job)
        run_row = _start(store, job, parameters)
        output = _output_path(job, run_row.id, run_row.started_at)
        _set(store, run_row.id, output_path=str(output))
        try:
            _execute(notebook, output, parameters, store, kernel_name, execution_timeout)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then re-raised as JobFailed
            error = _describe(exc)
            _set(store, run_row.id, status="failed", error=error, finished_at=utcnow())
            raise JobFailed(f"{job} run {run_row.id} failed: {error}", hint=f"the executed notebook is {output}",
                            run_id=run_row.id, output_path=str(output)) from exc
        _set(store, run_row.id, status="succeeded", finished_at=utcnow())
        return JobResult(get(store, run_row.id), _summary(output))


def get(store: Store, run_id: int) -> dict[str, Any]:
    with store.session() as session:
        row = session.get(JobRun, run_id)
        if row is None:
            raise NotFoundError("job run", run_id)
        return row.to_dict()


def history(store: Store, job: str | None = None, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    with store.session() as session:
        return [row.to_dict() for row in session.scalars(stmt)]


# -- parameters and execution ----------------------------------------------------------
def _check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    for name in parameters:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValidationError(f"parameters.{name}", "must be a Python identifier (a notebook variable)")
    if "database_url" in parameters:
        raise ValidationError("parameters.database_url", "is taken from the store the job runs on",
                              hint="use `workbench --database-url URL run …` or WORKBENCH_DATABASE_URL")
    return dict(parameters)


def _output_path(job: str, run_id: int, started: datetime) -> Path:
    folder = config.home() / "runs" / job
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{started.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{run_id}.ipynb"


@contextmanager
def _kernel_environment(store: Store) -> Iterator[None]:
    """The kernel inherits this process's environment: point it at the same store and code.

    The store URL goes through the environment, not a notebook parameter, so that a
    password never lands in the executed notebook.
    """
    code_root = str(Path(workbench.__file__).resolve().parents[1])
    saved = {k: os.environ.get(k) for k in ("WORKBENCH_DATABASE_URL", "PYTHONPATH")}
    os.environ["WORKBENCH_DATABASE_URL"] = store.url
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (code_root, saved["PYTHONPATH"]) if p)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _execute(notebook: Path, output: Path, parameters: dict[str, Any], store: Store, kernel_name: str,
             execution_timeout: float | None) -> None:
    # papermill is heavy (~1 s, it brings boto3 and more); loaded only when a job runs, so the CLI starts without it
    import papermill

    with _kernel_environment(store):
        # The kernel works where the run was started, as any command does: a relative path among the
        # parameters (an export's ``out``) means what it means to whoever ran the job.
        papermill.execute_notebook(str(notebook), str(output), parameters=parameters, kernel_name=kernel_name,
                                   cwd=os.getcwd(), progress_bar=False, log_output=False,
                                   execution_timeout=execution_timeout, kernel_manager_class=_kernel_manager())


def _kernel_manager():
    """A kernel manager that encrypts the kernel's channels when the kernel can (ipykernel 7 can)."""
    # jupyter_client is loaded only when a job runs (the class is built here for that reason); the CLI starts without it
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class JobKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _default_transport_encryption(self) -> str:
            return "auto"

    return JobKernelManager


def _describe(exc: Exception) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"[:4000]
    return f"{type(exc).__name__}: {exc}"[:4000]


def _summary(output: Path) -> dict[str, Any]:
    """The JSON object the notebook's last cell printed, if it printed one."""
    # nbformat is loaded only when a run's output is read (papermill has loaded it by then); not on the CLI's path
    import nbformat

    nb = nbformat.read(output, as_version=4)
    for cell in reversed(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in reversed(cell.get("outputs", [])):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                line = out.get("text", "").strip().splitlines()[-1:] or [""]
                try:
                    value = json.loads(line[0])
                except ValueError:
                    return {}
                return value if isinstance(value, dict) else {}
        return {}
    return {}


# -- the JobRun rows ---------------------------------------------------------------------
def _start(store: Store, job: str, parameters: dict[str, Any]) -> JobRun:
    with store.transaction() as session:
        row = JobRun(job=job, status="running", parameters=parameters, host=socket.gethostname(), pid=os.getpid())
        session.add(row)
        session.flush()
        return row


def _set(store: Store, run_id: int, **values: Any) -> None:
    with store.transaction() as session:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(**values))


def _running(store: Store, job: str) -> JobRun | None:
    with store.session() as session:
        return session.scalars(select(JobRun).where(JobRun.job == job, JobRun.status == "running")
                               .order_by(JobRun.id.desc())).first()


def _record_skip(store: Store, job: str, parameters: dict[str, Any], current: JobRun | None) -> None:
    with store.transaction() as session:
        now = utcnow()
        reason = f"run {current.id} was in progress" if current else "another run held the lock"
        session.add(JobRun(job=job, status="skipped", parameters=parameters, error=reason, host=socket.gethostname(),
                           pid=os.getpid(), started_at=now, finished_at=now))


def _recover_abandoned(store: Store, job: str) -> None:
    """We hold the job's lock, so a 'running' row left behind belongs to a process that died."""
    with store.transaction() as session:
        session.execute(update(JobRun).where(JobRun.job == job, JobRun.status == "running")
                        .values(status="failed", finished_at=utcnow(),
                                error="abandoned: its process ended without recording a result"))


# -- one run per job at a time -----------------------------------------------------------
def _job_lock(store: Store, job: str, wait: float):
    """The job's lock (``store.locks.job_lock``), held on SQLite too: two runs of one job never overlap."""
    return job_lock(store, f"workbench.job.{job}", wait=wait, on_sqlite=True)
