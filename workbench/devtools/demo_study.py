"""The whole demo study, offline: simulator, server, HITs, simulated workers, the scheduled notebooks.

``run(headless=True)`` does steps 1-6 of ``make demo`` and stops what it started:
initialise the store; create the demo project (generated images to box, a classification
task); start the local MTurk simulator and a ``jupyter workbench`` server; create HITs
whose ExternalQuestion is the server's annotate page; let simulated workers do them
through the real worker pages; run sync, ingest and export through papermill. Without
``headless`` it then starts JupyterLab on the panels notebook and Voila on the dashboard,
and keeps everything up until interrupted.

Each run works on a new project (``demo``, ``demo-2``, …; see ``demo.run``) and keeps its files
under ``$WORKBENCH_HOME/<project>``. SIGINT, SIGTERM and SIGHUP stop every process it started,
their own children included, before it exits.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from workbench import config, jobs, resources
from workbench.crowd.providers import WorkSpec, get_provider
from workbench.study import projects, tasks
from . import demo
from .child_servers import free_port, serving, stop_on_signals
from .mturk_sim import Simulator
from .mturk_sim.workers import run_workers
from workbench.store import Store

CODE_ROOT = Path(__file__).resolve().parents[1]
EXPORTS = (("parquet", "annotations.parquet"), ("coco", "boxes.coco.json"), ("long", "ratings.long.csv"))


def child_env(store: Store, **extra: str) -> dict[str, str]:
    """The environment for the servers: the same store (through the environment) and the same code."""
    env = dict(os.environ)
    env.update(WORKBENCH_DATABASE_URL=store.url, WORKBENCH_HOME=str(config.home()),
               PYTHONPATH=os.pathsep.join(p for p in (str(CODE_ROOT), os.environ.get("PYTHONPATH")) if p), **extra)
    return env


def _root_flag() -> list[str]:
    return ["--allow-root"] if hasattr(os, "getuid") and os.getuid() == 0 else []


def workbench_server(store: Store, logs: Path) -> tuple[str, Any]:
    """``jupyter workbench`` (the locked-down public server) on a free port."""
    port = free_port()
    argv = [sys.executable, "-c", "from server_ext.public import main; main()", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={secrets.token_hex(16)}", f"--ServerApp.root_dir={config.home()}",
            *_root_flag()]
    base = f"http://127.0.0.1:{port}"
    return base, serving(argv, base + "/workbench/api/health", child_env(store), logs / "workbench-server.log",
                         cwd=CODE_ROOT)


def run(*, headless: bool = True, n_tasks: int = 6, workers_per_task: int = 2,
        echo: Callable[[str], None] = print, database_url: str | None = None) -> dict[str, Any]:
    """Run the demo study on a new demo project in the store at ``database_url`` (default: the configured
    one; created if need be); return the summary, which names the project.

    ``headless=False`` keeps the servers up until SIGINT, SIGTERM or SIGHUP, then stops them and returns.
    With ``headless``, such a signal stops every process the demo started and raises ``Stopped``.
    """
    with stop_on_signals():
        summary = _run(headless, n_tasks, workers_per_task, echo, database_url)
    if not headless:
        echo("stopped every server the demo started")
    return summary


def _run(headless: bool, n_tasks: int, workers_per_task: int, echo: Callable[[str], None],
         database_url: str | None) -> dict[str, Any]:
    store = Store(database_url)                                                 # 1: created if need be
    if store.upgrade().before is None:
        echo(f"created a new store at {store.location}")
    made = demo.run(store, n_tasks=n_tasks, target_annotations=workers_per_task, echo=echo)   # 2
    project = made["project"]
    logs = demo.project_folder(project) / "logs"
    with ExitStack() as stack:
        sim = Simulator().start()                                               # 3
        stack.callback(sim.stop)
        base_url, server = workbench_server(store, logs)
        stack.enter_context(server)
        echo(f"simulator: {sim.url}\nserver:    {base_url}")
        provider = get_provider("mturk", "local", store=store, endpoint_url=sim.url)
        with store.session() as s:
            task_ids = [t["id"] for t in _tasks(s, project)]
        spec = WorkSpec(title="Shapes: label or box them", description="Look at a picture of shapes and annotate it.",
                        reward_cents=5, max_assignments=workers_per_task, keywords=["image", "shapes"])
        created = provider.create_work(project, task_ids, spec, base_url=base_url, actor="demo")   # 4
        echo(f"HITs:      {created.created} created on the simulator")
        outcomes = run_workers(sim.url, len(task_ids) * workers_per_task, hit_ids=created.hit_ids,    # 5
                               post_to_server=True, concurrency=4)
        submitted = sum(1 for o in outcomes if o.ok)
        failures = [o.error for o in outcomes if not o.ok]
        echo(f"workers:   {submitted} assignments submitted through the worker pages"
             + (f"; {len(failures)} failed, first: {failures[0]}" if failures else ""))
        mturk = {"environment": "local", "endpoint_url": sim.url}
        synced = jobs.run("sync", mturk, store=store, wait=60)                  # 6
        ingested = jobs.run("ingest", mturk, store=store, wait=60)
        files = []
        out_dir = demo.project_folder(project) / "exports"
        for fmt, name in EXPORTS:
            result = jobs.run("export", {"project": project, "format": fmt, "out": str(out_dir / name)},
                              store=store, wait=60)
            files.append({"format": fmt, "path": result.summary.get("path"), "rows": result.summary.get("rows")})
        with store.session() as s:
            stats = projects.stats(s, project)
        summary = {"project": project, "tasks": made["tasks"], "hits": len(created.hit_ids),
                   "assignments_submitted": submitted,
                   # recorded by the worker page as they arrived, completed by sync from MTurk's record
                   "assignments_synced": (synced.summary.get("assignments_new") or 0)
                   + (synced.summary.get("assignments_updated") or 0),
                   "annotations_ingested": stats["annotations"]["total"],
                   "ingest": {k: ingested.summary.get(k) for k in ("ingested", "duplicates", "invalid")},
                   "exports": files, "notebooks": [synced.run["output_path"], ingested.run["output_path"]]}
        if not headless:
            _interactive(store, project, sim.url, logs, echo, stack)
        return summary


def _tasks(session, project: str) -> list[dict[str, Any]]:
    return [t.to_dict() for t in tasks.list_(session, project=project, limit=10_000)]


def _interactive(store: Store, project: str, sim_url: str, logs: Path, echo: Callable[[str], None],
                 stack: ExitStack) -> None:
    """JupyterLab on the panels notebook and Voila on the dashboard, until a signal (``Stopped``)."""
    env = child_env(store, WORKBENCH_PROJECT=project, MTURK_ENVIRONMENT="local", MTURK_LOCAL_ENDPOINT=sim_url)
    lab_port, voila_port, token = free_port(), free_port(), secrets.token_hex(16)
    notebooks = resources.notebooks_root()  # beside the package in a checkout, shared data in a wheel
    lab = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={lab_port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}", *_root_flag()]
    voila = [sys.executable, "-m", "voila", str(notebooks / "dashboard.ipynb"), "--no-browser", f"--port={voila_port}",
             "--Voila.ip=127.0.0.1"]
    stack.enter_context(serving(lab, f"http://127.0.0.1:{lab_port}/api/status?token={token}", env, logs / "lab.log",
                                cwd=CODE_ROOT))
    stack.enter_context(serving(voila, f"http://127.0.0.1:{voila_port}/", env, logs / "voila.log", timeout=300,
                                cwd=CODE_ROOT))
    echo(f"JupyterLab (panels): http://127.0.0.1:{lab_port}/lab/tree/panels.ipynb?token={token}")
    echo(f"Voila dashboard:     http://127.0.0.1:{voila_port}/   (voila {notebooks / 'dashboard.ipynb'})")
    echo("Ctrl-C (or SIGTERM) stops the servers.")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt as stop:
        echo(f"{getattr(stop, 'name', 'SIGINT')}: stopping")
