"""The README's "Using it" section, followed literally: its definition.json, its tasks.csv and its commands.

The test writes the blocks the README shows into an empty folder, makes the photos its CSV
names, and runs each command of its shell block in order in a fresh WORKBENCH_HOME, so the
walkthrough cannot drift from what the workbench does.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shlex
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from workbench.cli import cli
from workbench.store import Store
from workbench.store.models import Asset, Task

from ..core.test_assets import png

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)



def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(text) if lang == language]


def test_using_it_works_when_followed_literally(tmp_path, monkeypatch):
    text = section("Using it")
    [definition], [table], [script] = blocks(text, "json"), blocks(text, "csv"), blocks(text, "bash")
    assert "`definition.json`" in text and "`tasks.csv`" in text
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_ASSET_ROOTS")  # only what the README sets: the suite's own roots are not a reader's
    (tmp_path / "definition.json").write_text(definition)
    (tmp_path / "tasks.csv").write_text(table)
    rows = list(csv.DictReader(io.StringIO(table)))
    for number, row in enumerate(rows):
        png(tmp_path / row["asset"], (40 + number, 30))  # distinct photos: each its own asset

    runner = CliRunner()
    outputs = {}
    commands = [shlex.split(line, comments=True) for line in script.splitlines()]
    for argv in filter(None, commands):
        if argv[0] == "export":
            name, _, value = argv[1].partition("=")
            monkeypatch.setenv(name, os.path.expandvars(value))
            continue
        assert argv[0] == "workbench", argv
        result = runner.invoke(cli, argv[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{shlex.join(argv)}\n{result.output}"
        outputs[" ".join(argv[1:3])] = result.output

    assert f"{len(rows)} new" in outputs["assets add"]
    assert f"imported {len(rows)} tasks" in outputs["tasks import"]
    assert f"pending {len(rows)}" in outputs["project stats"]
    store = Store(f"sqlite:///{tmp_path / 'home' / 'workbench.db'}")
    with store.session() as s:
        made = [(t.asset.local_path, t.priority, t.payload) for t in s.scalars(select(Task).order_by(Task.id))]
        paths = {a.local_path for a in s.scalars(select(Asset))}
    store.dispose()
    extra = [k for k in rows[0] if k not in ("asset", "priority")]
    assert made == [(str((tmp_path / r["asset"]).resolve()), int(r["priority"]), {k: r[k] for k in extra})
                    for r in rows]
    assert paths == {str((tmp_path / r["asset"]).resolve()) for r in rows}


def test_using_it_python_block_runs(tmp_path, capsys):
    [code] = blocks(section("Using it"), "python")
    exec(compile(code, "README.md", "exec"), {})
    assert "'project_slug': 'birds'" in capsys.readouterr().out
    assert (tmp_path / "home" / "workbench.db").is_file()
