"""The layout's promises: import-linter's contracts hold, no module takes part in an import cycle, and the old
module names of earlier versions still import (with a warning), as the same module objects."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import grimp
import pytest

from workbench import _moved

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 kept, 0 broken" in done.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    adjacency = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(adjacency):
        if root in index:
            continue
        work = [(root, iter(adjacency[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(adjacency[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_module_takes_part_in_an_import_cycle():
    graph = grimp.build_graph("workbench", "server_ext", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    """The check above could fail: a package that imports a module which imports the package is a cycle."""
    graph = grimp.ImportGraph()
    for a, b in (("p", "p.x"), ("p.x", "p"), ("p.x", "q")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p", "p.x"]]


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_an_old_module_name_imports_the_module_at_its_new_place(old):
    new = importlib.import_module(_moved.MOVED[old])
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert importlib.import_module(old) is new
    assert any(issubclass(w.category, DeprecationWarning) and _moved.MOVED[old] in str(w.message) for w in caught)


def test_a_module_inside_a_moved_package_is_one_object_under_both_names():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("workbench.providers.mturk.client")
    assert old is importlib.import_module("workbench.crowd.providers.mturk.client")


def test_the_readmes_top_level_names_import_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        from workbench import agreement, annotations, exports, hits, projects, providers, review, tasks

    assert (projects.__name__, exports.__name__, providers.__name__) == (
        "workbench.study.projects", "workbench.results.exports", "workbench.crowd.providers")
    assert callable(hits.create) and callable(review.bonus) and agreement and annotations and tasks
    with pytest.raises(AttributeError):
        import workbench

        workbench.no_such_module  # noqa: B018 - the attribute lookup is the test
