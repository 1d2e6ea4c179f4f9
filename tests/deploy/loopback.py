"""The public deployment's shape on loopback: a fresh PostgreSQL database, N ``jupyter workbench`` processes,
and Debian's nginx in front of them configured by the repository's own ``deploy/nginx/worker-routes.conf``.

Used by tests/deploy/test_loopback.py and benchmarks/scale_out.py. nginx runs in the
foreground (``daemon off``) with a temporary prefix; the generated http block declares
what ``worker-routes.conf`` needs (the ``limit_req_zone``s, the ``map``, the
``workbench_workers`` upstream) and ``include``s the repository's file verbatim, so the
routing rules under test are the ones a deployment uses.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.server.processes import free_port, get, public_server

REPO = Path(__file__).resolve().parents[2]
ROUTES = REPO / "deploy" / "nginx" / "worker-routes.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PG_ADMIN_URL = os.environ.get("WORKBENCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: nginx's access log: which upstream answered each request id (the query string is left out, as in the app).
CLI = "from workbench.cli import main; main()"
LOG_FORMAT = "'$request_id $status $request_method $uri $upstream_addr'"


def nginx_conf(prefix: Path, port: int, upstreams: list[int], *, rate: str = "1000r/s", routes: Path = ROUTES) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.getuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    log_format workbench {LOG_FORMAT};
    access_log {prefix / 'access.log'} workbench;
{temp}
    # Generous limits: the test checks routing and spreading, not the production rates of site.conf.
    limit_req_zone $binary_remote_addr zone=workbench_pages:10m rate={rate};
    limit_req_zone $binary_remote_addr zone=workbench_submit:10m rate={rate};
    limit_req_status 429;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream workbench_workers {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {routes};
    }}
}}
"""


def routes_without_rate_limits(prefix: Path) -> Path:
    """The repository's routes with the per-address ``limit_req`` lines taken out.

    For load from a single address (a benchmark): nginx counts a burst per millisecond, so
    64 connections from one address exceed any ``burst`` that is right for one worker.
    """
    text = "\n".join(line for line in ROUTES.read_text().splitlines() if not line.strip().startswith("limit_req "))
    path = prefix / "worker-routes.conf"
    path.write_text(text + "\n")
    return path


@contextlib.contextmanager
def nginx(prefix: Path, upstreams: list[int], *, rate: str = "1000r/s",
          rate_limits: bool = True) -> Iterator[tuple[str, Path]]:
    """Run nginx in front of ``upstreams``; yield its base URL and its access log."""
    prefix.mkdir(parents=True, exist_ok=True)
    routes = ROUTES if rate_limits else routes_without_rate_limits(prefix)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, port, upstreams, rate=rate, routes=routes))
    check = subprocess.run([NGINX, "-t", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
                           capture_output=True, text=True, timeout=30)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{check.stderr}")
    process = subprocess.Popen([NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {process.stderr.read().decode()}")
            try:
                if get(base + "/workbench/api/health/live")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not answer within 20 s")
            time.sleep(0.1)
        yield base, prefix / "access.log"
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def workbench_servers(count: int, database_url: str, folder: Path, *args: str) -> Iterator[list[tuple[str, Path]]]:
    """``count`` public ``jupyter workbench`` processes on one store; yield (base URL, log file) of each."""
    with contextlib.ExitStack() as stack:
        running = []
        for n in range(count):
            workdir = folder / f"worker{n + 1}"
            workdir.mkdir(parents=True, exist_ok=True)
            running.append(stack.enter_context(public_server(database_url, workdir, *args)))
        yield running


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


@contextlib.contextmanager
def fresh_pg_database(prefix: str = "wb_deploy") -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards); yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def workbench_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The ``workbench`` command in a child process, as a scheduler runs it."""
    full = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-c", CLI, *args], env=full, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def spawn_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    full = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen([sys.executable, "-c", CLI, *args], env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
