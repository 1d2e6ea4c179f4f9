"""The hostile campaign of issue 14 (``benchmarks/hostile_campaign.py``), small, on SQLite: it runs as its users run
it, in a process of its own with its own servers, and its figures say no 5xx, no traceback, no honest submission
refused or lost beside poisoned ones, and a sync that survived hostile answers.

The script is stopped as Ctrl-C would stop it (it then stops the server it started) if it overruns, and anything it
left running is killed, whatever the test's outcome.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from workbench.devtools.child_servers import descendants, kill

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "hostile_campaign.py"
BUDGET = 150  # seconds; the small run takes about 30 on two cores


def run_campaign(*args: str) -> tuple[int, dict, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(SCRIPT), *args], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    family = []
    try:
        try:
            out, err = process.communicate(timeout=BUDGET)
        except subprocess.TimeoutExpired:
            family = descendants(process.pid)
            process.send_signal(signal.SIGINT)  # the script stops its server on the way out
            try:
                out, err = process.communicate(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            raise AssertionError(f"the campaign ran over {BUDGET}s; its output ends:\n{(out or '')[-2000:]}"
                                 f"\n{(err or '')[-3000:]}") from None
    finally:
        if process.poll() is None:
            family = family or descendants(process.pid)
            process.kill()
            process.wait()
        kill([p for p in family if p.is_running()])
    lines = out.strip().splitlines()
    assert lines, f"no output; stderr ends:\n{err[-3000:]}"
    return process.returncode, json.loads(lines[-1]), err


def test_a_small_campaign_finds_no_5xx_no_traceback_no_harmed_neighbour_and_a_sync_that_survives():
    # 450 requests draw 90 of the spec's operations (3 in 15 kinds), enough to hit each of its 82 once.
    code, figures, err = run_campaign("--requests", "450", "--honest", "30", "--seed", "14")
    summary = {k: figures.get(k) for k in ("5xx_first", "tracebacks_first", "honest_refused_first", "failed")}
    assert code == 0, (summary, err[-3000:])
    assert figures["requests"] >= 450 + 30
    assert figures["status"]["4xx"] > figures["status"]["2xx"]  # it was hostile
    assert (figures["5xx"], figures["tracebacks"]) == (0, 0), summary
    assert (figures["honest"], figures["honest_refused"], figures["honest_lost"]) == (30, 0, 0), summary
    assert figures["poisoned"] == figures["poisoned_refused"] >= 5
    assert figures["spec_operations_hit"] == figures["spec_operations"]  # every route of the spec was hit
    assert figures["sync_ok"] and figures["sync_runs_ok"] == 4 and figures["ingest_runs_ok"] == 4
    assert figures["invalid_answers_recorded"] == figures["hostile_answers"] >= 5
    assert figures["honest_answers_missing"] == [] and figures["honest_ingested"] >= 1
    assert all(status == 200 for status in figures["http_jobs"].values()), figures["http_jobs"]
    assert figures["ws_survived"] and figures["outbound_fetches"] == 0 and figures["xss_reflected"] == 0
    assert figures["store"] == "sqlite" and figures["ok"]
