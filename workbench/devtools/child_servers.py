"""Servers in child processes (the demo, the benchmarks, the tests): a free port; a child that is up
for the duration of a block and stopped after it, with every process it started; and signals that
unwind such blocks instead of ending the parent under its children."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

#: The signals that ``stop_on_signals`` turns into ``Stopped``: Ctrl-C, ``kill``, a closed terminal.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
#: Set by a second signal while children stop: stop them without waiting for their own shutdown.
_hurry = threading.Event()


class ServerNotStarted(WorkbenchError):
    status = 500
    code = "server_not_started"


class Stopped(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived inside ``stop_on_signals``.

    A ``KeyboardInterrupt``, so ``except Exception`` lets it through and code that already ends on
    Ctrl-C ends the same way on the others.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


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
    naming its log and quoting the log's end. The child leads a process group of its own, so a
    Ctrl-C at the terminal (sent to the foreground group) reaches only the parent, which stops it
    with ``stop`` when the block ends.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = None
        try:
            process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, process_group=0)  # never the terminal's input
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
            if process is not None:
                stop(process)


def stop(process: subprocess.Popen, *, grace: float = 20) -> None:
    """Stop a child that ``serving`` started, and every process it started.

    SIGTERM to the child first: a Jupyter server answers it by shutting down its kernels and
    extensions (the workbench's submission writer). After ``grace`` seconds, or at once after a
    second signal to this process, SIGKILL to the child's process group; then SIGKILL to any
    process it had started that is still running (a kernel runs in a session of its own).
    """
    family = descendants(process.pid)
    if process.poll() is None:
        process.terminate()
        deadline = time.monotonic() + grace
        while process.poll() is None and time.monotonic() < deadline and not _hurry.is_set():
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.2)
    if hasattr(os, "killpg"):
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the group it leads (process_group=0)
    process.wait()
    kill(family)


@contextmanager
def stop_on_signals(signums: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Within the block, the first of ``signums`` raises ``Stopped`` in the main thread, so the
    ``serving`` blocks inside unwind and stop their children; a further signal makes them hurry.

    On the way out, any process started in the block that is still running is killed (a kernel
    that an interrupted papermill run left). Outside the main thread, signals cannot be caught:
    the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def handler(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if stopping:
            _hurry.set()
            return
        stopping = True
        raise Stopped(signum)

    before = {p.pid for p in descendants(os.getpid())}
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        stopping = True  # from here on a signal only hurries: the cleanup below must not be cut short
        kill([p for p in descendants(os.getpid()) if p.pid not in before])
        for signum, old in previous.items():
            signal.signal(signum, old)
        _hurry.clear()


def descendants(pid: int) -> list[Any]:
    """The processes ``pid`` started, and theirs, as ``psutil.Process`` objects ([] without psutil)."""
    try:
        import psutil  # optional, so imported here: see the except
    except ImportError:  # psutil comes with ipykernel; without it only the process group is stopped
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kill(processes: list[Any], *, wait: float = 10) -> None:
    """SIGKILL those of ``processes`` (``psutil.Process``) still running, and wait for them to go."""
    if not processes:
        return
    import psutil  # there, since descendants() found these processes with it

    alive = [p for p in processes if p.is_running()]
    for process in alive:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=wait)
