"""``workbench collab-demo --headless`` and ``workbench collab export`` (a real server process, the real socket)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from workbench.cli import cli


@pytest.mark.slow
def test_collab_demo_headless_then_export(make_store, tmp_path):
    store = make_store("sqlite")
    runner = CliRunner()
    result = runner.invoke(cli, ["--database-url", store.url, "collab-demo", "--headless"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["sessions"] == 1 and summary["messages"] >= 2 and summary["completion_codes"] == 1
    assert summary["outcome"]["result"] in ("won", "lost") and "target" in summary["outcome"]
    out = tmp_path / "transcript.parquet"
    exported = runner.invoke(cli, ["--database-url", store.url, "collab", "export", str(out), "--study",
                                   "collab-demo", "--json"])
    assert exported.exit_code == 0, exported.output
    rows = json.loads(exported.output)["rows"]
    table = pq.read_table(out).to_pylist()
    assert len(table) == rows > summary["messages"]
    assert {r["role"] for r in table} == {"hinter", "guesser"}
    assert all(r["session_id"] == table[0]["session_id"] and r["condition_label"] for r in table)
