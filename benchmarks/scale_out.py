"""Scale-out: worker submissions through nginx to one ``jupyter workbench`` process, then to two, on PostgreSQL.

The load is submit_load.py's (wrk, 64 connections, valid and distinct submissions, each
with the signed token its worker's page carries), sent to nginx configured with the
repository's deploy/nginx/worker-routes.conf (tests/deploy/loopback.py). Each
measurement gets a fresh PostgreSQL database, migrated with ``workbench db upgrade``
and dropped afterwards; the one-process run is the baseline of the two-process run.
Afterwards the store is counted: every submission acknowledged with 201 must be there
once ("lost" counts the missing, "doubled" the submission ids stored more than once).

    python benchmarks/scale_out.py [--seconds 10] [--connections 64] [--tasks 500]

All load comes from one address, so the per-address rate limits are off: the servers'
(``rate_limit_ip=0``) and nginx's (its ``limit_req`` lines are left out of the routes); the
page-token check, JSON Schema validation, events and task updates stay on. This machine has 2 cores shared by wrk, nginx, PostgreSQL and the servers, so the
ratio says little about a real deployment; lost and doubled must be 0. The last line is
one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from submit_load import WRK, post_submissions, seed_study  # noqa: E402  (the same load, not a copy of it)

SERVER_ARGS = ("--WorkbenchApp.rate_limit_ip=0", "--WorkbenchApp.rate_limit_worker=0", "--log-level=WARN")


def seed(url: str, tasks_count: int) -> None:
    from tests.deploy.loopback import workbench_cli
    from workbench.store import Store

    migrated = workbench_cli("--database-url", url, "db", "upgrade")
    if migrated.returncode != 0:
        raise RuntimeError(migrated.stderr)
    store = Store(url)
    seed_study(store, tasks_count)
    store.dispose()


def count(url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM annotations WHERE submission_id LIKE 'bench-%'")).scalar()
        doubled = conn.execute(text("SELECT count(*) FROM (SELECT task_id, submission_id FROM annotations "
                                    "GROUP BY task_id, submission_id HAVING count(*) > 1) d")).scalar()
    engine.dispose()
    return stored, doubled


def measure(processes: int, folder: Path, args) -> dict:
    from tests.deploy.loopback import fresh_pg_database, nginx, port_of, workbench_servers

    folder.mkdir(parents=True)
    with fresh_pg_database("wb_scale_out") as url:
        seed(url, args.tasks)
        with workbench_servers(processes, url, folder, *SERVER_ARGS) as workers, \
                nginx(folder / "nginx", [port_of(base) for base, _ in workers], rate_limits=False) as (base, log):
            result = post_submissions(base, folder, args)
            log_text = log.read_text()
        stored, doubled = count(url)
    ports = {str(port_of(b)): n for n, (b, _) in enumerate(workers)}
    posts = [line.split() for line in log_text.splitlines() if " POST /workbench/api/submissions " in line]
    served = Counter(ports.get(fields[-1].rsplit(":", 1)[-1], "?") for fields in posts)
    statuses = Counter(fields[1] for fields in posts)
    if result["other"]:
        print(f"{processes} process(es): {result['other']} non-201 responses", file=sys.stderr)
    return {
        "submissions_per_s": round(result["per_s"], 1),
        "p50_ms": round(result["p50_ms"], 2),
        "p99_ms": round(result["p99_ms"], 2),
        "acknowledged": result["created"],
        "refused": result["other"],
        "stored": stored,
        "lost": max(0, result["created"] - stored),
        "doubled": doubled,
        "served_per_process": [served.get(n, 0) for n in range(processes)],
        "proxy_statuses": dict(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=500)
    args = parser.parse_args()
    if not Path(WRK).exists():
        sys.exit("wrk is required: apt-get install wrk")
    os.environ.setdefault("WORKBENCH_SECRET", secrets.token_hex(32))  # every server's, and the tokens'
    with tempfile.TemporaryDirectory() as tmp:
        one = measure(1, Path(tmp) / "one", args)
        two = measure(2, Path(tmp) / "two", args)
    figures = {
        "one_process": one,
        "two_processes": two,
        "ratio": round(two["submissions_per_s"] / one["submissions_per_s"], 3) if one["submissions_per_s"] else None,
        "lost": one["lost"] + two["lost"],
        "doubled": one["doubled"] + two["doubled"],
        "connections": args.connections,
        "seconds": args.seconds,
        "cores": os.cpu_count(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
