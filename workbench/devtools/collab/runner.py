"""A Jupyter server with the collaboration face, in a child process on a free port (demo, benchmark).

The child is a plain ``jupyter server`` with only ``server_ext.collab_ext`` enabled, token
authentication on (the public endpoints are the only ones reachable without it), and the
store given by URL. ``stop`` ends that one process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..child_servers import free_port
from workbench.errors import StoreError

REPO = Path(__file__).resolve().parents[2]


@dataclass
class ServerProcess:
    url: str
    proc: subprocess.Popen
    log_path: Path

    def join_url(self, study: str, worker_id: str, assignment_id: str, hit_id: str = "") -> str:
        return str(httpx.URL(f"{self.url}workbench/collab/join",
                             params={"study": study, "workerId": worker_id, "assignmentId": assignment_id,
                                     "hitId": hit_id}))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(database_url: str, *, port: int | None = None, flush_interval: float = 0.05, tick_interval: float = 1.0,
          timeout: float = 60.0, log_level: str = "WARN") -> ServerProcess:
    port = port or free_port()
    root = Path(tempfile.mkdtemp(prefix="collab-server-"))
    log_path = root / "server.log"
    (root / "config").mkdir()
    settings = {
        "ServerApp": {"port": port, "ip": "127.0.0.1", "open_browser": False, "root_dir": str(root),
                      "token": secrets.token_hex(16), "allow_unauthenticated_access": False,
                      "allow_root": hasattr(os, "geteuid") and os.geteuid() == 0,
                      "jpserver_extensions": {"server_ext.collab_ext": True}},
        "CollabHub": {"database_url": database_url, "flush_interval": flush_interval,
                      "tick_interval": tick_interval},
    }
    # The file, not the command line: the database URL may hold a password.
    config_file = root / "config" / "jupyter_server_config.json"
    config_file.write_text(json.dumps(settings))
    config_file.chmod(0o600)
    args = [sys.executable, "-m", "jupyter_server", f"--config={config_file}", f"--log-level={log_level}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "JUPYTER_CONFIG_DIR": str(root / "config"), "JUPYTER_DATA_DIR": str(root / "data"),
           # Only this file's configuration: no other installed server extension is loaded.
           "JUPYTER_NO_CONFIG": "1"}
    log = log_path.open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    server = ServerProcess(f"http://127.0.0.1:{port}/", proc, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StoreError(f"the collaboration server exited early; see {log_path}")
        try:
            if httpx.get(f"{server.url}workbench/collab/static/collab.css", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise StoreError(f"the collaboration server did not start in {timeout:g}s; see {log_path}")
