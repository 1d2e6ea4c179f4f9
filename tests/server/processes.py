"""A ``jupyter workbench`` public server in a child process, for tests that need a real one on a port."""

from __future__ import annotations

import contextlib
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from workbench.devtools.child_servers import free_port, serving

REPO = Path(__file__).resolve().parents[2]
TOKEN = "public-test-token"


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextlib.contextmanager
def public_server(database_url: str, workdir: Path, *args: str, tls=None) -> Iterator[tuple[str, Path]]:
    """Start the server, wait (at most 30 s) until it says it is ready, stop it afterwards.

    ``tls`` (a ``trustme`` certificate authority and the server certificate it issued) serves https.
    """
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(workdir / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(workdir / "rt"), "JUPYTER_DATA_DIR": str(workdir / "data")}
    log_path = workdir / "server.log"
    argv = [sys.executable, "-c", "from server_ext.public import main; main()", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}", f"--WorkbenchApp.database_url={database_url}",
            f"--ServerApp.root_dir={workdir}", *(["--allow-root"] if os.getuid() == 0 else []), *args]
    base, context = f"http://127.0.0.1:{port}", None
    if tls is not None:
        authority, certificate = tls
        key, chain = workdir / "server.key", workdir / "server.pem"
        certificate.private_key_pem.write_to_path(str(key))
        certificate.cert_chain_pems[0].write_to_path(str(chain))
        argv += [f"--certfile={chain}", f"--keyfile={key}"]
        base, context = f"https://127.0.0.1:{port}", ssl.create_default_context()
        authority.configure_trust(context)
    with serving(argv, base + "/workbench/api/health/ready", env, log_path, timeout=30, poll=0.1, tls=context):
        yield base, log_path
