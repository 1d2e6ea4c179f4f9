"""``workbench demo`` stopped by a signal: every process it started is gone afterwards, and its ports with it.

The demo runs as a real child process in a session of its own, as ``make demo`` runs it; the
signals are real signals. Whatever happens, the test kills the session and every process the demo
was seen to start (kernels run in sessions of their own) before it ends.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"^(simulator|server|JupyterLab \(panels\)|Voila dashboard):\s+(http://\S+)", re.M)


class Demo:
    """A ``workbench demo`` child: its output read line by line, and every process it was seen to start."""

    def __init__(self, args: list[str], home: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "MTURK_"))}
        env.update(WORKBENCH_HOME=str(home), PYTHONUNBUFFERED="1",
                   PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.process = subprocess.Popen([sys.executable, "-c", "from workbench.cli import main; main()", "demo",
                                         *args], cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, start_new_session=True)
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: dict[int, psutil.Process] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def wait_for(self, pattern: str, timeout: float) -> str:
        """Read output until a line matches ``pattern``; fail, quoting the output, if the demo ends or
        ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                if time.monotonic() > deadline:
                    pytest.fail(f"no line matching {pattern!r} in {timeout:.0f}s:\n{self.text()}\n{self.logs()}")
                continue
            if line is None:
                pytest.fail(f"the demo ended (code {self.process.wait()}) before {pattern!r}:\n{self.text()}"
                            f"\n{self.logs()}")
            self.output.append(line)
            if re.search(pattern, line):
                return line

    def finish(self, timeout: float) -> int:
        """Wait for the demo to exit and for the rest of its output."""
        code = self.process.wait(timeout=timeout)
        while (line := self._lines.get(timeout=30)) is not None:
            self.output.append(line)
        return code

    def text(self) -> str:
        return "".join(self.output)

    def logs(self) -> str:
        return "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-2000:]}"
                         for log in sorted(self.home.glob("*/logs/*.log")))

    def session(self) -> list[psutil.Process]:
        """The processes of the demo's session (its process group and the groups of its servers)."""
        members = []
        for pid in psutil.pids():
            with suppress(OSError, psutil.Error):
                if os.getsid(pid) == self.process.pid:
                    members.append(psutil.Process(pid))
        return members

    def family(self) -> list[psutil.Process]:
        """Everything the demo started that runs now (kernels included), remembered for the end."""
        with suppress(psutil.Error):
            for process in psutil.Process(self.process.pid).children(recursive=True):
                self.seen.setdefault(process.pid, process)
        for process in self.session():
            if process.pid != self.process.pid:
                self.seen.setdefault(process.pid, process)
        return [p for p in self.seen.values() if alive(p)]

    def kill_everything(self) -> None:
        self.family()  # what runs now, kernels included, before the demo goes and they lose their parent
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        left = [p for p in [*self.seen.values(), *self.session()] if alive(p)]
        for process in left:
            with suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(left, timeout=10)
        self.process.wait(timeout=30)


@contextmanager
def running_demo(args: list[str], home: Path) -> Iterator[Demo]:
    demo = Demo(args, home)
    try:
        yield demo
    finally:
        demo.kill_everything()


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def cmdline(process: psutil.Process) -> str:
    with suppress(psutil.Error):
        return " ".join(process.cmdline())
    return ""


def left_behind(demo: Demo, wait: float = 30) -> list[str]:
    """What is still running of the demo's session and of what it started, after at most ``wait`` seconds
    (a process killed last may still be on its way out)."""
    deadline = time.monotonic() + wait
    while True:
        left = [p for p in [*demo.seen.values(), *demo.session()] if alive(p)]
        if not left or time.monotonic() > deadline:
            return [f"{p.pid} {cmdline(p)}" for p in left]
        time.sleep(0.2)


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except ConnectionRefusedError:
        return True
    return False


def ports(text: str) -> dict[str, int]:
    return {name: urlsplit(url).port for name, url in URL_LINE.findall(text)}


@pytest.mark.slow
@pytest.mark.parametrize("signum, to_group", [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM to the demo (kill)", "SIGINT to its process group (Ctrl-C at a terminal)"])
def test_a_signal_stops_every_process_of_the_interactive_demo(tmp_path, signum, to_group):
    with running_demo(["--tasks", "1", "--workers-per-task", "1"], tmp_path / "home") as demo:
        demo.wait_for(r"stops the servers", timeout=600)
        urls = dict(URL_LINE.findall(demo.text()))
        assert set(urls) == {"simulator", "server", "JupyterLab (panels)", "Voila dashboard"}, demo.text()
        lab = urlsplit(urls["JupyterLab (panels)"])
        token = re.search(r"token=(\w+)", lab.query).group(1)
        started = urllib.request.urlopen(urllib.request.Request(
            f"http://{lab.netloc}/api/kernels?token={token}", data=b"{}", method="POST"), timeout=120)
        assert started.status == 201
        dashboard = urllib.request.urlopen(urls["Voila dashboard"], timeout=300)  # Voila runs it in a kernel
        assert dashboard.status == 200
        family = [cmdline(p) for p in demo.family()]
        for part in ("server_ext.public", "workbench.crowd.submission_writer", "jupyter[- ]lab", "voila", "ipykernel"):
            assert any(re.search(part, c) for c in family), (part, family)
        assert sum("ipykernel" in c for c in family) >= 2, family  # JupyterLab's kernel and Voila's

        if to_group:
            os.killpg(demo.process.pid, signum)
        else:
            demo.process.send_signal(signum)
        code = demo.finish(timeout=300)

        assert left_behind(demo) == []
        assert {name: refuses(port) for name, port in ports(demo.text()).items()} == dict.fromkeys(urls, True)
        assert code == 0, demo.text() + demo.logs()
        assert f"{signal.Signals(signum).name}: stopping" in demo.text()
        assert "stopped every server the demo started" in demo.text()
        assert json.loads(demo.output[-1])["project"] == "demo"


@pytest.mark.slow
def test_sigterm_in_the_middle_of_the_headless_demo_stops_what_it_started(tmp_path):
    with running_demo(["--headless", "--tasks", "3"], tmp_path / "home") as demo:
        demo.wait_for(r"^server:", timeout=300)
        assert any("server_ext.public" in cmdline(p) for p in demo.family())

        demo.process.send_signal(signal.SIGTERM)
        code = demo.finish(timeout=300)

        assert left_behind(demo) == []
        found = ports(demo.text())
        assert set(found) == {"simulator", "server"}
        assert all(refuses(port) for port in found.values()), found
        assert code == 128 + signal.SIGTERM, demo.text()
        assert "SIGTERM: the demo stopped before the end; every server it started is stopped" in demo.text()
