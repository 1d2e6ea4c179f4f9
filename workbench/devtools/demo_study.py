"""The whole demo study, offline: simulator, server, posted work, simulated people, the scheduled notebooks.

``run(headless=True)`` does steps 1-6 of ``make demo`` and stops what it started:
initialise the store; create the demo project (generated images to box, a classification
task); start the provider's local simulator and a ``jupyter workbench`` server; post the work
(MTurk: a HIT per task whose ExternalQuestion is the server's annotate page; Prolific: a study
whose URL is the server's entry route); let simulated people do it through the real worker
pages; run sync and ingest through papermill; approve the work; pay one bonus, asked for twice
with one key (paid once); export. Without ``headless`` it then starts JupyterLab on the panels
notebook and Voila on the dashboard, and keeps everything up until interrupted.

The steps are the same on every provider (``provider="mturk"``, ``"prolific"``, ``"link-out"``); what differs,
the simulator, the server's settings and who comes to do the work, is the provider's
``recruit.Recruiter``. The summary keeps its keys on every provider and names the provider.

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
from workbench.crowd import review
from workbench.crowd.providers import CrowdProvider, WorkSpec
from workbench.store import Store
from workbench.study import projects, tasks
from . import demo, recruit
from .child_servers import free_port, serving, stop_on_signals

CODE_ROOT = Path(__file__).resolve().parents[1]
EXPORTS = (("parquet", "annotations.parquet"), ("coco", "boxes.coco.json"), ("long", "ratings.long.csv"))
#: The study as posted, the same on every provider (a Prolific study's maximum time comes from ``duration``).
SPEC = dict(title="Shapes: label or box them", description="Look at a picture of shapes and annotate it.",
            reward_cents=5, keywords=["image", "shapes"], duration=1800)
BONUS_CENTS = 25
BONUS_REASON = "Thank you for careful work on the shapes demo."


def child_env(store: Store, **extra: str) -> dict[str, str]:
    """The environment for the servers: the same store (through the environment) and the same code."""
    env = dict(os.environ)
    env.update(WORKBENCH_DATABASE_URL=store.url, WORKBENCH_HOME=str(config.home()),
               PYTHONPATH=os.pathsep.join(p for p in (str(CODE_ROOT), os.environ.get("PYTHONPATH")) if p), **extra)
    return env


def _root_flag() -> list[str]:
    return ["--allow-root"] if hasattr(os, "getuid") and os.getuid() == 0 else []


def workbench_server(store: Store, logs: Path, env: dict[str, str] | None = None, *, port: int | None = None
                     ) -> tuple[str, Any]:
    """``jupyter workbench`` (the locked-down public server) on ``port`` (default: a free one), with the provider's
    ``env``."""
    port = port or free_port()
    argv = [sys.executable, "-c", "from server_ext.public import main; main()", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={secrets.token_hex(16)}", f"--ServerApp.root_dir={config.home()}",
            *_root_flag()]
    base = f"http://127.0.0.1:{port}"
    return base, serving(argv, base + "/workbench/api/health", child_env(store, **(env or {})),
                         logs / "workbench-server.log", cwd=CODE_ROOT)


def run(*, headless: bool = True, n_tasks: int = 6, workers_per_task: int = 2, provider: str = "mturk",
        echo: Callable[[str], None] = print, database_url: str | None = None) -> dict[str, Any]:
    """Run the demo study on a new demo project in the store at ``database_url`` (default: the configured
    one; created if need be), on ``provider`` (``recruit.NAMES``); return the summary, which names the project.

    ``headless=False`` keeps the servers up until SIGINT, SIGTERM or SIGHUP, then stops them and returns.
    With ``headless``, such a signal stops every process the demo started and raises ``Stopped``.
    """
    people = recruit.recruiter(provider)  # an unknown provider is refused before anything starts
    with stop_on_signals():
        summary = _run(headless, n_tasks, workers_per_task, people, echo, database_url)
    if not headless:
        echo("stopped every server the demo started")
    return summary


def _run(headless: bool, n_tasks: int, workers_per_task: int, people: recruit.Recruiter,
         echo: Callable[[str], None], database_url: str | None) -> dict[str, Any]:
    store = Store(database_url)                                                 # 1: created if need be
    if store.upgrade().before is None:
        echo(f"created a new store at {store.location}")
    made = demo.run(store, n_tasks=n_tasks, target_annotations=workers_per_task, echo=echo)   # 2
    project = made["project"]
    logs = demo.project_folder(project) / "logs"
    with ExitStack() as stack:
        people.start(stack)                                                     # 3
        port = free_port()
        provider = people.provider(store, f"http://127.0.0.1:{port}")
        people.connect(provider, f"http://127.0.0.1:{port}")  # before the server: it may bring the server's settings
        base_url, server = workbench_server(store, logs, people.server_env(), port=port)
        stack.enter_context(server)
        echo(f"{people.describe()}\nserver:    {base_url}")
        with store.session() as s:
            task_ids = [t["id"] for t in _tasks(s, project)]
        spec = WorkSpec(**SPEC, max_assignments=workers_per_task)
        created = provider.create_work(project, task_ids, spec, base_url=base_url, actor="demo")   # 4
        echo(f"posted:    {len(created.hit_ids)} {provider.words.works}")
        recruited = people.recruit(created, len(task_ids) * workers_per_task, echo)              # 5
        people.settle()
        before_sync = _by_status(provider, project)  # what the pages (and a platform's hooks) recorded themselves
        synced = jobs.run("sync", people.job_parameters(), store=store, wait=60)                 # 6
        ingested = jobs.run("ingest", people.job_parameters(), store=store, wait=60)
        reviewed = _review(provider, project, echo)
        paid = _bonus_twice(provider, people, project, echo)
        files = _exports(store, project) + people.extra_exports(project)
        with store.session() as s:
            stats = projects.stats(s, project)
            short = [t["id"] for t in _tasks(s, project) if t["status"] != "complete"]
        summary = {"provider": people.name, "project": project, "tasks": made["tasks"], "hits": len(created.hit_ids),
                   "assignments_submitted": recruited["submitted"],
                   # recorded by the worker page (and Prolific's hooks) as they arrived, completed by sync
                   "assignments_synced": (synced.summary.get("assignments_new") or 0)
                   + (synced.summary.get("assignments_updated") or 0),
                   "assignments_before_sync": before_sync, "assignments_by_status": _by_status(provider, project),
                   "annotations_ingested": stats["annotations"]["total"], "tasks_short": short,
                   "ingest": {k: ingested.summary.get(k) for k in ("ingested", "duplicates", "invalid", "link_out")},
                   "recruited": recruited, "review": reviewed, "bonus": paid,
                   "exports": files, "notebooks": [synced.run["output_path"], ingested.run["output_path"]],
                   **people.figures()}
        if not headless:
            _interactive(store, project, people, logs, echo, stack)
        return summary


def _review(provider: CrowdProvider, project: str, echo: Callable[[str], None]) -> dict[str, Any]:
    """Approve every submitted piece of work, as a researcher does after a look at the queue."""
    waiting = [a["assignment_id"] for a in review.assignments(provider, status="submitted", project=project,
                                                               limit=10_000)]
    done = review.approve_all(provider, waiting, actor="demo")
    echo(f"review:    {len(done['approved'])} {provider.words.attempts} approved"
         + (f"; {len(done['failed'])} failed, first: {done['failed'][0]['error']}" if done["failed"] else ""))
    return {"approved": len(done["approved"]), "failed": done["failed"]}


def _bonus_twice(provider: CrowdProvider, people: recruit.Recruiter, project: str,
                 echo: Callable[[str], None]) -> dict[str, Any]:
    """One bonus, asked for twice with one key (a retried command): the ledger pays it once, and the platform's
    own record says so."""
    approved = review.assignments(provider, status="approved", project=project, limit=1)
    if not approved:
        return {"paid": False, "reason": "no approved work"}
    assignment_id, key = approved[0]["assignment_id"], f"demo-bonus-{project}"
    calls = [review.bonus(provider, assignment_id, BONUS_CENTS, BONUS_REASON, key=key, actor="demo")
             for _ in range(2)]
    on_platform = people.platform_bonuses(provider, project, assignment_id)
    echo(f"bonus:     {calls[0].summary}; asked again with the same key: "
         f"{'already paid' if calls[1].already_paid else 'paid AGAIN'}; the platform shows "
         f"{on_platform.count(BONUS_CENTS)} payment(s) of {BONUS_CENTS} cents")
    return {"assignment_id": assignment_id, "key": key, "amount_cents": BONUS_CENTS, "calls": len(calls),
            "statuses": [c.status for c in calls], "already_paid": [c.already_paid for c in calls],
            "platform_payments": on_platform.count(BONUS_CENTS)}


def _exports(store: Store, project: str) -> list[dict[str, Any]]:
    files = []
    out_dir = demo.project_folder(project) / "exports"
    for fmt, name in EXPORTS:
        result = jobs.run("export", {"project": project, "format": fmt, "out": str(out_dir / name)},
                          store=store, wait=60)
        files.append({"format": fmt, "path": result.summary.get("path"), "rows": result.summary.get("rows")})
    return files


def _by_status(provider: CrowdProvider, project: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in review.assignments(provider, project=project, limit=100_000):
        counts[a["status"]] = counts.get(a["status"], 0) + 1
    return counts


def _tasks(session, project: str) -> list[dict[str, Any]]:
    return [t.to_dict() for t in tasks.list_(session, project=project, limit=10_000)]


def _interactive(store: Store, project: str, people: recruit.Recruiter, logs: Path, echo: Callable[[str], None],
                 stack: ExitStack) -> None:
    """JupyterLab on the panels notebook and Voila on the dashboard, until a signal (``Stopped``)."""
    env = child_env(store, WORKBENCH_PROJECT=project, **people.server_env())
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
