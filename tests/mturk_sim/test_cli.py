"""The mturk-sim command: options, the printed endpoint, and a real boto3 call to a separate process."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from click.testing import CliRunner

from workbench.devtools.mturk_sim.cli import mturk_sim

from .conftest import ROOT, make_client


def test_help_lists_the_options():
    out = CliRunner().invoke(mturk_sim, ["--help"]).output
    for option in ("--host", "--port", "--db", "--latency-ms", "--throttle-rate", "--balance",
                   "--realtime", "--seed"):
        assert option in out
    assert "reproducible tests only" in " ".join(out.split())


def test_python_m_serves_boto3_until_interrupted(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": ROOT}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.devtools.mturk_sim", "--port", "0", "--balance", "77.00",
         "--db", str(tmp_path / "cli.db")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    try:
        first = proc.stdout.readline()
        url = re.search(r"listening on (http://\S+)", first).group(1)
        snippet = "".join(proc.stdout.readline() for _ in range(5))
        assert f'endpoint_url="{url}"' in snippet
        client = make_client(url)
        assert client.get_account_balance()["AvailableBalance"] == "77.00"
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
    assert "stopping" in rest
