"""Exports carry each annotation's gold score (issue 17): a number and a pass for a gold task's, nulls for another's,
in every tabular format; and what the worker page measured."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from workbench.results import exports
from workbench.study import annotations

from ..study_data import gold_project


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_tabular_export_carries_the_gold_columns(make_store, backend, tmp_path):
    store = make_store(backend)
    with store.transaction() as s:
        [gold], [plain] = gold_project(s, ["cat"])
        for worker, task_id, label in (("W1", gold, "cat"), ("W2", gold, "dog"), ("W1", plain, "dog")):
            annotations.submit(s, task_id, {"labels": [label]}, actor=worker,
                               telemetry={"visible_ms": 5000, "keystrokes": 3} if worker == "W2" else None)
    # label equality (workbench.study.gold): the gold label scores 1 and passes, another 0 and fails; no gold: null
    expected = [(1.0, True), (0.0, False), (None, None)]
    exports.export(store, "gold", "jsonl", tmp_path / "gold.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text().splitlines()]
    assert [(r["gold_score"], r["gold_passed"]) for r in rows] == expected
    assert [r["telemetry"] for r in rows] == [None, {"visible_ms": 5000, "keystrokes": 3}, None]
    exports.export(store, "gold", "parquet", tmp_path / "gold.parquet")
    table = pq.read_table(tmp_path / "gold.parquet").to_pydict()
    assert list(zip(table["gold_score"], table["gold_passed"])) == expected
    exports.export(store, "gold", "csv", tmp_path / "gold.csv")
    with (tmp_path / "gold.csv").open() as handle:
        cells = [(r["gold_score"], r["gold_passed"]) for r in csv.DictReader(handle)]
    assert cells == [("1.0", "true"), ("0.0", "false"), ("", "")]
