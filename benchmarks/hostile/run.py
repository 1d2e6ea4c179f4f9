"""One campaign from start to end: the store, the MTurk simulator, ``jupyter workbench`` in a child process, then
the flood with the burst inside it, the socket, the sync; the figures (``report``)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.hostile import report
from benchmarks.hostile.burst import burst, stored_submissions
from benchmarks.hostile.flood import draw_flood, run_flood
from benchmarks.hostile.mturk import http_jobs, mturk_phase
from benchmarks.hostile.socket_probe import socket_probe
from benchmarks.hostile.study import REPO, TOKEN, fresh_database, seed_study
from benchmarks.hostile.wire import Tally
from workbench.devtools.child_servers import free_port, serving, stop_on_signals


class Listener:
    """A TCP port that hostile ``$ref`` and XXE URLs name: it counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def campaign(args, folder: Path, url: str, figures: dict[str, Any]) -> None:
    """Run the campaign against the store at ``url`` in ``folder``; its figures go into ``figures``. The crowd routes
    of every provider reach a local simulator: MTurk's, Prolific's (link-out has nothing remote)."""
    from workbench.devtools import prolific_sim
    from workbench.devtools.mturk_sim import Simulator

    listener = Listener()
    sim = Simulator(seed=args.seed).start()
    prolific = prolific_sim.Simulator(seed=args.seed)
    try:
        prolific.start()
        study = seed_study(url, folder, args.honest)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(folder / "cfg"),
               "JUPYTER_RUNTIME_DIR": str(folder / "rt"), "JUPYTER_DATA_DIR": str(folder / "data"),
               "MTURK_ENVIRONMENT": "local", "MTURK_LOCAL_ENDPOINT": sim.url, "MTURK_MAX_ATTEMPTS": "2",
               "MTURK_RETRY_MODE": "standard", "PROLIFIC_ENVIRONMENT": "local",
               "PROLIFIC_ENDPOINT_URL": prolific.url}
        env.pop("PROLIFIC_API_TOKEN", None)
        base = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-c", "from server_ext.public import main; main()", f"--port={port}", "--ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}", f"--WorkbenchApp.database_url={url}",
                f"--ServerApp.root_dir={folder}", f"--WorkbenchApp.public_base_url={base}",
                "--WorkbenchApp.rate_limit_ip=0", "--WorkbenchApp.rate_limit_worker=0",
                *(["--allow-root"] if os.getuid() == 0 else []), *args.server_arg]
        log = folder / "server.log"
        figures["log"] = str(log)
        shots = draw_flood(args.seed, port, study, listener.url, args.requests)
        tally = Tally()
        with serving(argv, base + "/workbench/api/health/ready", env, log, timeout=90, poll=0.1):
            print(f"server up; flood of {len(shots)} requests", file=sys.stderr)
            started = time.monotonic()
            flood = run_flood(port, shots, args.threads, tally)
            while tally.sent < len(shots) // 4 and any(t.is_alive() for t in flood):
                time.sleep(0.05)
            burst_out = burst(port, study, args.honest, args.seed, tally)
            for thread in flood:
                thread.join()
            flood_seconds = time.monotonic() - started
            print(f"flood and burst done in {flood_seconds:.1f}s; socket probe", file=sys.stderr)
            probe = socket_probe(port)
            print("socket probe done; MTurk sync", file=sys.stderr)
            mturk = mturk_phase(url, sim, base, study, listener.url)
            jobs = http_jobs(port)
            time.sleep(0.5)  # let the server log what it logs about the last answers
        listener_hits = listener.connections
        stored = stored_submissions(url, f"3HONEST{args.seed}X")
    finally:
        sim.stop()
        prolific.stop()
        listener.close()
    figures.update(report.figures(tally, log, probe, burst_out, stored, mturk, jobs, listener_hits,
                                  flood_seconds))


def run(args) -> dict[str, Any]:
    """The campaign the command line asks for, in a fresh folder and store (removed afterwards unless ``--keep``);
    its figures, ending with ``failed`` and ``ok``."""
    started = time.monotonic()
    os.environ.setdefault("WORKBENCH_SECRET", secrets.token_hex(32))  # the server's, the page tokens', the links'
    # A deployment taking Prolific's hooks has their secret: unsigned hooks are then a 401, not the 503 of no secret.
    os.environ.setdefault("PROLIFIC_WEBHOOK_SECRET", secrets.token_hex(32))
    os.environ.pop("WORKBENCH_DATABASE_URL", None)
    figures: dict[str, Any] = {}
    tmp = tempfile.mkdtemp(prefix="hostile-campaign-")
    folder = Path(tmp)
    (folder / "assets").mkdir()
    os.environ["WORKBENCH_HOME"] = str(folder)
    os.environ["WORKBENCH_ASSET_ROOTS"] = str(folder / "assets")
    if args.keep:
        print(f"the store (SQLite) and the server's log are kept in {folder}", file=sys.stderr)
    drop = None
    try:
        with stop_on_signals():
            if args.database:
                url, drop = fresh_database(args.database)
            else:
                url = f"sqlite:///{folder / 'workbench.db'}"
            campaign(args, folder, url, figures)
    finally:
        if drop is not None:
            drop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            figures.pop("log", None)
    failed = report.failures(figures)
    figures.update(seconds=round(time.monotonic() - started, 1), seed=args.seed, requests_asked=args.requests,
                   store="postgresql" if args.database else "sqlite", failed=sorted(failed), ok=not failed)
    return figures
