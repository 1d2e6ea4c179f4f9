"""Every notebook in notebooks/ runs top to bottom under nbval (lax: outputs are not compared)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import NOTEBOOKS, ROOT

ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_the_notebooks_are_the_ones_we_expect():
    assert ALL == ["dashboard.ipynb", "export.ipynb", "ingest.ipynb", "panels.ipynb", "sync.ipynb"]


@pytest.mark.parametrize("name", ALL)
def test_notebook_runs_under_nbval(name, notebook_env, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", "--rootdir", str(tmp_path),
         "-o", "addopts=", "-o", "filterwarnings=", str(NOTEBOOKS / name)],
        cwd=ROOT, env=notebook_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
