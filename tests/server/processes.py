"""A ``jupyter workbench`` public server in a child process, for tests that need a real one on a port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOKEN = "public-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextlib.contextmanager
def public_server(database_url: str, workdir: Path, *args: str) -> Iterator[tuple[str, Path]]:
    """Start the server, wait (at most 30 s) until it says it is ready, stop it afterwards."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(workdir / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(workdir / "rt"), "JUPYTER_DATA_DIR": str(workdir / "data")}
    log_path = workdir / "server.log"
    argv = [sys.executable, "-c", "from server_ext.app import main; main()", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}", f"--WorkbenchApp.database_url={database_url}",
            f"--ServerApp.root_dir={workdir}", *(["--allow-root"] if os.getuid() == 0 else []), *args]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if get(base + "/workbench/api/health/ready")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                raise RuntimeError("the public server did not start:\n" + log_path.read_text())
            yield base, log_path
        finally:
            process.terminate()
            process.wait(timeout=20)
