"""Servers in child processes (the demo, the benchmarks, the tests): a free port, and a child that is up
for the duration of a block and stopped and reaped after it."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import WorkbenchError


class ServerNotStarted(WorkbenchError):
    status = 500
    code = "server_not_started"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@contextmanager
def serving(argv: list[str], ready_url: str, env: dict[str, str], log: Path, *, timeout: float = 120,
            cwd: Path | None = None, any_answer: bool = False, poll: float = 0.2,
            tls: ssl.SSLContext | None = None) -> Iterator[subprocess.Popen]:
    """Run ``argv`` with its output in ``log`` until ``ready_url`` answers 2xx (any HTTP answer with
    ``any_answer``; a readiness probe answers 503 while the server starts), then yield the process.
    ``tls`` is the client context for an https ``ready_url`` whose certificate a test made.

    A child that exits or does not answer within ``timeout`` seconds raises ``ServerNotStarted``
    naming its log and quoting the log's end.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise ServerNotStarted(f"{' '.join(argv[:3])} exited early (code {process.returncode})",
                                           hint=f"see {log}; it ends:\n{_tail(log)}")
                try:
                    urllib.request.urlopen(ready_url, timeout=5, context=tls).close()
                    break
                except urllib.error.HTTPError:
                    if any_answer:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise ServerNotStarted(f"{ready_url} did not answer in {timeout:.0f}s",
                                           hint=f"see {log}; it ends:\n{_tail(log)}")
                time.sleep(poll)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
