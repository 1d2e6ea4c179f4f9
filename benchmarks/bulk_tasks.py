"""Import 100,000 tasks from CSV into SQLite, against a one-ORM-row-at-a-time baseline.

The baseline is how the seed system creates tasks: one row through the ORM, committed on
its own (as a REST call per task would). It is time-boxed and extrapolated.

    python benchmarks/bulk_tasks.py [--rows 100000] [--baseline-seconds 5]

The last line is one JSON object: {"tasks_per_s", "baseline_per_s", "ratio", ...}.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from workbench.study import bulk, definitions, projects
from workbench.store import Store
from workbench.store.models import Task

SCHEMA = {"ui_config": {}, "label_schema": {"type": "object", "required": ["text"]}}


def fresh_store(folder: Path, name: str) -> Store:
    store = Store(f"sqlite:///{folder / name}")
    store.upgrade()
    with store.transaction() as s:
        projects.create(s, "bench")
        definitions.create_type(s, "free-text")
        definitions.create_definition(s, "free-text", "1.0", SCHEMA)
    return store


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w") as handle:
        handle.write("priority,payload,prompt\n")
        for i in range(rows):
            handle.write(f'{i % 10},"{{""source"": ""synthetic"", ""n"": {i}}}",Describe item {i}\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "tasks.csv"
        write_csv(csv_path, args.rows)

        store = fresh_store(folder, "bulk.db")
        start = time.perf_counter()
        with store.transaction() as s:
            created = bulk.import_file(s, "bench", "free-text:1.0", csv_path).created
        bulk_seconds = time.perf_counter() - start
        with store.session() as s:
            assert s.query(Task).count() == args.rows == created
        store.dispose()

        base = fresh_store(folder, "baseline.db")
        with base.session() as s:
            project_id = projects.get(s, "bench").id
            definition_id = definitions.get_definition(s, "free-text:1.0").id
        done, start = 0, time.perf_counter()
        with open(csv_path) as handle:
            next(handle)
            for line in handle:
                priority = int(line.split(",", 1)[0])
                with base.transaction() as s:
                    s.add(Task(project_id=project_id, definition_id=definition_id, priority=priority,
                               payload={"source": "synthetic", "n": done, "prompt": f"Describe item {done}"}))
                done += 1
                if time.perf_counter() - start >= args.baseline_seconds:
                    break
        base_seconds = time.perf_counter() - start
        base.dispose()

    tasks_per_s = args.rows / bulk_seconds
    baseline_per_s = done / base_seconds
    print(f"bulk import: {args.rows} tasks in {bulk_seconds:.2f} s")
    print(f"baseline:    {done} tasks in {base_seconds:.2f} s, extrapolated to {args.rows / baseline_per_s:.0f} s")
    print(json.dumps({"tasks_per_s": round(tasks_per_s), "baseline_per_s": round(baseline_per_s),
                      "ratio": round(tasks_per_s / baseline_per_s, 1), "rows": args.rows,
                      "bulk_seconds": round(bulk_seconds, 3), "baseline_rows": done,
                      "baseline_seconds": round(base_seconds, 3), "backend": "sqlite"}))


if __name__ == "__main__":
    main()
