"""The real deployment shape on loopback: PostgreSQL, two ``jupyter workbench`` processes, nginx with the repo's
routing rules, the MTurk simulator, and two scheduler syncs at once.

Checked through nginx: the worker routes work; the researcher API and Jupyter's routes are
refused by the proxy itself; submissions spread over both processes lose and double
nothing; two ``workbench run sync`` runs (papermill, as a scheduler starts them) at once
store no row twice.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.server.processes import TOKEN
from workbench.study import bulk, definitions, projects
from workbench.devtools.mturk_sim import Simulator
from workbench.devtools.mturk_sim.faults import Faults
from workbench.devtools.mturk_sim.workers import WorkerPool
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client
from workbench.store import Store
from workbench.store.models import HIT, Annotation, Assignment, JobRun, Worker

from .loopback import REPO, fresh_pg_database, nginx, port_of, spawn_cli, workbench_cli, workbench_servers

pytestmark = pytest.mark.slow

SCHEMA = {"type": "object", "required": ["labels"], "additionalProperties": False,
          "properties": {"labels": {"type": "array", "minItems": 1, "maxItems": 1,
                                    "items": {"enum": ["cat", "dog"]}}}}
TASKS = 24
MTURK_TASKS = 12


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deployment")
    with fresh_pg_database() as url:
        # Migrations are an explicit step before any server starts (the servers only check).
        migrated = workbench_cli("--database-url", url, "db", "upgrade")
        assert migrated.returncode == 0 and "upgraded from (empty) to" in migrated.stdout, migrated.stderr
        store = Store(url)
        with store.transaction() as s:
            projects.create(s, "deploy", "Deployment check")
            definitions.create_type(s, "classification")
            definitions.create_definition(s, "classification", "1.0", {"ui_config": {"labels": ["cat", "dog"]},
                                                                       "label_schema": SCHEMA})
            bulk.import_records(s, "deploy", "classification:1.0",
                                [{"target_annotations": 1000, "payload": {"n": i}} for i in range(TASKS)])
        # Latency on every MTurk call keeps each sync busy long enough for two to overlap.
        sim = Simulator(faults=Faults(latency_ms=60)).start()
        args = ("--WorkbenchApp.rate_limit_ip=0", "--WorkbenchApp.rate_limit_worker=0",
                "--WorkbenchApp.log_style=json", f"--WorkbenchApp.plugins_dir={REPO / 'plugins'}")
        try:
            with workbench_servers(2, url, folder, *args) as workers, \
                    nginx(folder / "nginx", [port_of(base) for base, _ in workers]) as (base, access_log):
                yield SimpleNamespace(url=url, store=store, sim=sim, workers=workers, base=base,
                                      access_log=access_log, folder=folder)
        finally:
            sim.stop()
            store.dispose()


def page(deployment, task_id: int, **query) -> tuple[int, dict, str, str]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    status, headers, body = http("GET", f"{deployment.base}/workbench/annotate/{task_id}" + (f"?{params}" if params
                                                                                             else ""))
    text = body.decode()
    token = re.search(r'name="wb-submit-token" content="([^"]*)"', text)
    jar = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return status, headers, text, (token.group(1) if token else ""), "; ".join(f"{k}={m.value}" for k, m in jar.items())


def worker_page(deployment, task_id: int, assignment_id: str, worker_id: str, hit_id: str) -> str:
    """Open the task page as MTurk's frame would, for these ids; its submission token."""
    status, _, _, token, cookies = page(deployment, task_id, assignmentId=assignment_id, workerId=worker_id,
                                        hitId=hit_id, turkSubmitTo="https://www.mturk.com")
    assert status == 200 and token and not cookies
    return token


def upstream_of(deployment) -> dict[str, tuple[int, str, str, str]]:
    """nginx's access log: request id -> (status, method, path, upstream address)."""
    out = {}
    for line in deployment.access_log.read_text().splitlines():
        rid, status, method, path, upstream = line.split(" ", 4)
        out[rid] = (int(status), method, path, upstream)
    return out


def worker_request_ids(deployment) -> list[set[str]]:
    """The request ids each worker process logged an access line for (its JSON log)."""
    seen = []
    for _, log in deployment.workers:
        ids = set()
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if isinstance(record.get("http"), dict) and record.get("request_id"):
                    ids.add(record["request_id"])
        seen.append(ids)
    return seen


def test_worker_routes_work_through_the_proxy(deployment):
    base = deployment.base
    for path in ("/workbench/api/health", "/workbench/api/health/live", "/workbench/api/health/ready"):
        status, headers, body = http("GET", base + path)
        assert (status, json.loads(body)) == (200, {"status": "ok"}), path
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"]), "nginx's $request_id reaches the worker"
    status, headers, text, token, cookies = page(deployment, 1)
    assert status == 200 and 'id="wb-bundle"' in text and token == "" and not cookies  # a preview: no token
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    js = re.search(r'<script src="([^"]+/plugins/classification/[^"]+\.js)"', text).group(1)
    status, headers, body = http("GET", base + js)
    assert status == 200 and b"Workbench" in body and "immutable" in headers["Cache-Control"]
    worker_js = re.search(r'<script src="([^"]*/workbench/static/worker\.js[^"]*)"', text).group(1)
    assert http("GET", base + worker_js)[0] == 200
    link_out = http("GET", base + "/workbench/login?workerId=A1LINKOUT&assignmentId=LOA1&hitId=LOH1&project=deploy")
    assert link_out[0] == 200 and 'id="wb-bundle"' in link_out[2].decode()
    body = json.dumps({"task_id": 1, "assignment_id": "ROUTE-1", "hit_id": "H1", "worker_id": "A1ROUTE",
                       "result": {"labels": ["cat"]}}).encode()
    headers = {"Content-Type": "application/json",
               "X-Workbench-Token": worker_page(deployment, 1, "ROUTE-1", "A1ROUTE", "H1")}
    status, _, answer = http("POST", base + "/workbench/api/submissions", body, headers)
    assert status == 201, answer
    assert http("POST", base + "/workbench/api/submissions", body, headers)[0] == 200  # a retry: stored once
    # without its page's token the worker server refuses it
    assert http("POST", base + "/workbench/api/submissions", body, {"Content-Type": "application/json"})[0] == 403


@pytest.mark.parametrize("method, path", [
    ("GET", "/workbench/prolific/entry?PROLIFIC_PID=P1&STUDY_ID=S1&SESSION_ID=X1"),
    ("GET", "/workbench/link/entry?link=L1&participant_id=P1"),
    ("POST", "/workbench/prolific/hooks"),
])
def test_provider_entry_and_hook_routes_reach_a_worker_server(deployment, method, path):
    # These servers take MTurk's workers, so the app answers 4xx/503 itself; what matters is that the proxy routes
    # them: the answer carries the worker server's X-Request-Id (nginx's own 404 does not).
    status, headers, body = http(method, deployment.base + path, b"{}" if method == "POST" else None,
                                 {"Content-Type": "application/json"} if method == "POST" else {})
    assert re.fullmatch(r"[0-9a-f]{32}", headers.get("X-Request-Id", "")), (path, status, body[:200])
    assert b"nginx" not in body
    assert status < 500 or status == 503, (path, status)


@pytest.mark.parametrize("method, path", [
    ("POST", "/workbench/prolific/entry"), ("GET", "/workbench/prolific/hooks"), ("PUT", "/workbench/link/entry"),
    ("GET", "/workbench/api/projects"), ("POST", "/workbench/api/projects"), ("GET", "/workbench/api/tasks"),
    ("GET", "/workbench/api/mturk/hits"), ("GET", "/workbench/api/openapi.json"), ("GET", "/workbench/api/docs"),
    ("GET", "/api/kernels"), ("POST", "/api/kernels"), ("GET", "/api/contents"), ("GET", "/api/sessions"),
    ("GET", "/api/terminals"), ("GET", "/api/status"), ("GET", "/lab"), ("GET", "/tree"), ("GET", "/login"),
    ("GET", "/logout"), ("GET", "/files/x"), ("GET", "/workbench/annotate/1/../../api/kernels"),
    ("GET", "/workbench/api/submissions"), ("GET", "/workbench/plugins/../api/projects"),
])
def test_everything_else_is_refused_at_the_proxy(deployment, method, path):
    # Even with the researcher token: the public host never routes the researcher surface.
    status, headers, body = http(method, deployment.base + path, b"{}" if method == "POST" else None,
                                 {"Authorization": f"token {TOKEN}"})
    assert status in (403, 404), (path, status)
    assert "X-Request-Id" not in headers, "answered by nginx itself, not by a worker server"
    assert b"nginx" in body


def test_submissions_spread_over_both_processes_lose_and_double_nothing(deployment):
    ids = [f"BURST-{n:04d}" for n in range(240)]

    def ids_of(assignment_id: str) -> tuple[int, str]:
        n = int(assignment_id.split("-")[1])
        return n % TASKS + 1, f"A1BURST{n:04d}"

    with ThreadPoolExecutor(max_workers=16) as pool:
        # each worker's page, served by either process: a token one process signs, the other accepts
        tokens = dict(zip(ids, pool.map(lambda a: worker_page(deployment, ids_of(a)[0], a, ids_of(a)[1], "HBURST"),
                                        ids)))

    def submit(assignment_id: str):
        task_id, worker_id = ids_of(assignment_id)
        body = json.dumps({"task_id": task_id, "assignment_id": assignment_id, "hit_id": "HBURST",
                           "worker_id": worker_id, "result": {"labels": ["dog" if task_id % 2 else "cat"]}})
        headers = {"Content-Type": "application/json", "X-Workbench-Token": tokens[assignment_id]}
        status, response_headers, _ = http("POST", deployment.base + "/workbench/api/submissions", body.encode(),
                                           headers)
        return assignment_id, status, response_headers["X-Request-Id"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        first = list(pool.map(submit, ids))
        # every fourth one again, as a worker's browser retrying after a lost answer would
        retried = list(pool.map(submit, ids[::4]))
    assert Counter(status for _, status, _ in first) == {201: len(ids)}
    assert Counter(status for _, status, _ in retried) == {200: len(ids[::4])}

    with deployment.store.session() as s:
        stored = Counter(s.scalars(select(Annotation.submission_id).where(Annotation.submission_id.like("BURST-%"))))
    assert set(stored) == set(ids), "lost: %s" % sorted(set(ids) - set(stored))[:5]
    assert max(stored.values()) == 1, "doubled"

    # Both processes served some: nginx names the upstream of each request id, and that
    # worker's own JSON access log has the same request id (and the other one does not).
    routed = upstream_of(deployment)
    ports = [str(port_of(base)) for base, _ in deployment.workers]
    logged = worker_request_ids(deployment)
    per_worker = Counter()
    for _, _, rid in first + retried:
        status, method, path, upstream = routed[rid]
        assert (method, path) == ("POST", "/workbench/api/submissions")
        index = ports.index(upstream.rsplit(":", 1)[1])
        assert rid in logged[index] and rid not in logged[1 - index]
        per_worker[index] += 1
    assert per_worker[0] > 0 and per_worker[1] > 0, per_worker
    assert sum(per_worker.values()) == len(first) + len(retried)


def test_mturk_work_through_the_proxy_and_two_scheduled_syncs_at_once(deployment):
    sim, store = deployment.sim, deployment.store
    provider = MTurkProvider(store, environment="local", client=make_client("local", endpoint_url=sim.url))
    task_ids = list(range(TASKS - MTURK_TASKS + 1, TASKS + 1))
    spec = WorkSpec(title="Cat or dog", description="Label the image", reward_cents=5, max_assignments=2)
    created = provider.create_work("deploy", task_ids, spec, base_url=deployment.base)
    assert created.created == MTURK_TASKS
    # Simulated workers open each HIT's ExternalURL (nginx), post to the workbench through it, then to MTurk.
    outcomes = WorkerPool(sim.url, worker_prefix="A1DEPLOY").run(2 * MTURK_TASKS, concurrency=6)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok][:3]
    assert all(o.server_status == [201] for o in outcomes)
    submitted = {o.assignment_id for o in outcomes}

    env = {"MTURK_ENVIRONMENT": "local", "MTURK_LOCAL_ENDPOINT": sim.url, "WORKBENCH_DATABASE_URL": deployment.url,
           "AWS_ACCESS_KEY_ID": "sim", "AWS_SECRET_ACCESS_KEY": "sim", "AWS_DEFAULT_REGION": "us-east-1"}
    # The scheduler's command, twice at once (two crons, or a CronJob overlapping a manual run).
    runs = [spawn_cli("run", "sync", "--json", env={**env, "WORKBENCH_HOME": str(deployment.folder / f"sched{n}")})
            for n in range(2)]
    outcomes = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        outcomes.append(json.loads(out) if out.strip() else {"skipped": err})
    done = [o for o in outcomes if "summary" in o]
    assert done and all(o["status"] == "succeeded" for o in done), outcomes
    skipped = [o for o in outcomes if "skipped" in o]
    assert all("skipped" in o["skipped"] for o in skipped)
    with store.session() as s:
        statuses = Counter(s.scalars(select(JobRun.status).where(JobRun.job == "sync")))
    assert statuses == Counter({"succeeded": len(done), **({"skipped": len(skipped)} if skipped else {})})
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(HIT)) == MTURK_TASKS
        # (the earlier tests' submissions name HITs the store never made: recorded as they arrived, on no HIT)
        assignment_ids = list(s.scalars(select(Assignment.assignment_id).where(Assignment.hit_pk.is_not(None))))
        assert sorted(assignment_ids) == sorted(submitted), "each assignment stored once"
        assert set(s.scalars(select(Assignment.status).where(Assignment.hit_pk.is_not(None)))) == {"submitted"}
        workers = list(s.scalars(select(Worker.worker_id)))
        assert len(workers) == len(set(workers)) == len(submitted)

    ingested = workbench_cli("mturk", "ingest", "--json", env=env)
    assert ingested.returncode == 0, ingested.stderr
    # Each submission reached the workbench through nginx already; ingest finds it there and adds no second row.
    assert json.loads(ingested.stdout)["duplicates"] == len(submitted)
    with store.session() as s:
        notes = Counter(s.scalars(select(Annotation.submission_id).where(Annotation.submission_id.in_(submitted))))
    assert set(notes) == submitted and max(notes.values()) == 1
