"""No face branches on a provider's name: the panels, the CLI, the REST handlers, the notebooks' code and the
dashboard show a provider's words (``provider.words``) and its capabilities, never ``if provider.name == "prolific"``.
The simulators' commands are not scanned: they live in ``workbench/devtools`` (the CLI only registers them).

An AST scan of each face for a comparison with a provider's name (``==``, ``!=``, ``in``, ``is``, a ``match``
case) or a table keyed by provider names. A name may still appear as a value: a default (``provider="mturk"``),
a choice list, the argument that registers a provider's own command group.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from workbench.crowd import providers

ROOT = Path(__file__).resolve().parents[2]
#: The registered providers (the issue names these three; any provider registered later is covered too).
NAMES = {"mturk", "prolific", "link-out"} | set(providers.names())


def _faces() -> list[Path]:
    return [*sorted((ROOT / "workbench/panels").glob("*.py")), *sorted((ROOT / "workbench/cli").glob("*.py")),
            *sorted((ROOT / "server_ext/handlers").glob("*.py")), ROOT / "workbench/results/dashboard.py",
            *sorted((ROOT / "notebooks").glob("*.ipynb"))]


def _source(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text()
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    # IPython's magics and shell lines are not Python; the rest of each cell is.
    return "\n".join(line for c in cells for line in "".join(c["source"]).splitlines()
                     if not line.lstrip().startswith(("%", "!")))


def _names_in(node: ast.AST) -> set[str]:
    """Provider names among ``node``'s string constants (a constant, or a tuple, list or set of them)."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return {i.value for i in items if isinstance(i, ast.Constant) and i.value in NAMES}


def branches(source: str) -> list[str]:
    """Each place ``source`` decides by a provider's name, as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            named = set().union(*(_names_in(n) for n in (node.left, *node.comparators)))
            if named:
                found.append(f"{node.lineno}: compares with {sorted(named)}")
        elif isinstance(node, ast.match_case):
            named = {n.value.value for n in ast.walk(node.pattern)
                     if isinstance(n, ast.MatchValue) and isinstance(n.value, ast.Constant) and n.value.value in NAMES}
            if named:
                found.append(f"{node.pattern.lineno}: matches {sorted(named)}")
        elif isinstance(node, ast.Dict):
            named = {k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in NAMES}
            if named:
                found.append(f"{node.lineno}: a table keyed by {sorted(named)}")
    return found


@pytest.mark.parametrize("path", _faces(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_face_does_not_branch_on_a_provider_name(path):
    assert branches(_source(path)) == [], f"{path.relative_to(ROOT)} branches on a provider's name"


def test_the_scan_sees_every_kind_of_branch():
    # What the scan must catch, so that an empty answer above means something.
    assert branches('if provider.name == "prolific":\n    title = "Study"') == ["1: compares with ['prolific']"]
    assert branches('x = "HIT" if name != "mturk" else "study"')
    assert branches('if name in ("mturk", "link-out"):\n    pass')
    assert branches('match name:\n    case "prolific":\n        pass')
    assert branches('label = {"mturk": "HIT", "prolific": "study"}[name]')
    # and what it must let pass: a default, a choice list, a registration by name
    assert branches('def f(provider="mturk"):\n    return provider') == []
    assert branches('choices = ["mturk", "prolific", "link-out"]') == []
    assert branches('group = provider_group("prolific", envvar="PROLIFIC_ENVIRONMENT")') == []


def test_the_faces_are_all_scanned():
    scanned = {str(p.relative_to(ROOT)) for p in _faces()}
    assert {"workbench/panels/work_manager.py", "workbench/panels/provider_panel.py", "workbench/cli/crowd_cmds.py",
            "workbench/cli/review_cmds.py", "server_ext/handlers/crowd.py", "server_ext/handlers/providers.py",
            "workbench/results/dashboard.py", "notebooks/panels.ipynb",
            "notebooks/dashboard.ipynb", "notebooks/sync.ipynb", "notebooks/ingest.ipynb"} <= scanned
