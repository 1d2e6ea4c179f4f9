"""Export 1,000,000 annotations to Parquet, against pandas writing JSON lines of the same join.

The store is SQLite, seeded fast with executemany. Each method runs in a child process of
its own, so that its peak memory (``ru_maxrss``) is its own:

- workbench: ``workbench.results.exports.export(store, project, "parquet", out)`` (the annotation join
  streamed from the store in chunks, written by DuckDB);
- baseline: ``pandas.read_sql(join)`` then ``DataFrame.to_json(orient="records", lines=True)``.

    python benchmarks/export_scale.py [--rows 1000000]

The last line is one JSON object with seconds, rows/s and peak memory per method, and the ratio.
Targets: >= 100,000 rows/s, peak memory <= 600 MB, >= 3x the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATERS_PER_TASK = 4
LABELS = ("circle", "square", "triangle")


def seed(path: Path, rows: int) -> None:
    """A store holding ``rows`` annotations of ``rows / 4`` tasks, each with its HIT, assignment and worker."""
    sys.path.insert(0, str(ROOT))
    from workbench.study import definitions, projects
    from workbench.store import Store

    store = Store(f"sqlite:///{path}")
    store.upgrade(backup=False)
    with store.transaction() as s:
        project = projects.create(s, "bench")
        definitions.create_type(s, "classification")
        spec = definitions.create_definition(s, "classification", "1.0",
                                             {"ui_config": {"labels": list(LABELS)}, "label_schema": {"type": "object"}})
        project_id, definition_id = project.id, spec.id
    store.dispose()

    rng = random.Random(1)
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f")  # noqa: E731 - how SQLAlchemy stores UTC on SQLite
    n_tasks, n_assets, n_workers = rows // RATERS_PER_TASK, 1000, 500
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = stamp(base)
    con.executemany(
        "INSERT INTO assets (id, project_id, media_type, local_path, sha256, width, height, metadata, created_at) "
        "VALUES (?, ?, 'image', ?, ?, 640, 480, '{}', ?)",
        ((i, project_id, f"/data/images/{i:06d}.png", f"{i:064x}", now) for i in range(1, n_assets + 1)))
    con.executemany(
        "INSERT INTO workers (id, provider, worker_id, blocked, block_reason, first_seen_at, last_seen_at) "
        "VALUES (?, 'mturk', ?, 0, '', ?, ?)",
        ((i, f"W{i:012d}", now, now) for i in range(1, n_workers + 1)))
    con.executemany(
        "INSERT INTO tasks (id, project_id, asset_id, definition_id, status, priority, target_annotations, payload, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, 'complete', 0, 4, ?, ?, ?)",
        ((i, project_id, 1 + i % n_assets, definition_id, json.dumps({"n": i}), now, now)
         for i in range(1, n_tasks + 1)))
    con.executemany(
        "INSERT INTO hits (id, provider, environment, hit_id, hit_type_id, project_id, task_id, round, status, title, "
        "reward_cents, max_assignments, question, payload, created_at, updated_at) "
        "VALUES (?, 'mturk', 'local', ?, 'HT1', ?, ?, 0, 'reviewable', 'Shapes', 5, 4, '', '{}', ?, ?)",
        ((i, f"H{i:012d}", project_id, i, now, now) for i in range(1, n_tasks + 1)))

    def assignments():
        for i in range(1, rows + 1):
            task = (i - 1) // RATERS_PER_TASK + 1
            accept = base + timedelta(seconds=i)
            submit = accept + timedelta(seconds=rng.randint(5, 300))
            yield (i, f"A{i:012d}", task, task, f"W{1 + i % n_workers:012d}", stamp(accept), stamp(submit),
                   stamp(submit + timedelta(hours=1)), now, now)

    con.executemany(
        "INSERT INTO assignments (id, provider, assignment_id, hit_pk, task_id, worker_id, status, accept_time, "
        "submit_time, approval_time, answer_raw, answer, feedback, payload, created_at, updated_at) "
        "VALUES (?, 'mturk', ?, ?, ?, ?, 'approved', ?, ?, ?, '', '{}', '', '{}', ?, ?)", assignments())

    def annotations():
        for i in range(1, rows + 1):
            task = (i - 1) // RATERS_PER_TASK + 1
            yield (i, task, json.dumps({"labels": [LABELS[rng.randrange(3)]]}), f"W{1 + i % n_workers:012d}",
                   f"A{i:012d}", i, now)

    con.executemany(
        "INSERT INTO annotations (id, task_id, result, schema_version, tool_version, actor, submission_id, "
        "raw_payload, assignment_pk, created_at) VALUES (?, ?, ?, '1.0', 'classification@1.0.0', ?, ?, '{}', ?, ?)",
        annotations())
    con.commit()
    con.close()


def child(method: str, db: Path, out: Path) -> None:
    """Run one method and print {rows, seconds, cpu_seconds, peak_mb} (peak resident memory of this process).

    CPU seconds (all threads) are printed beside the wall clock because a shared machine's
    load stretches the latter.
    """
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    if method == "workbench":
        from workbench.results.exports import export
        from workbench.store import Store

        rows = export(Store(f"sqlite:///{db}"), "bench", "parquet", out).rows
    else:
        import pandas as pd

        from workbench.results.exports.source import annotation_sql

        sql, params = annotation_sql("sqlite", "bench")
        with sqlite3.connect(db) as con:
            frame = pd.read_sql(sql, con, params=params)
        frame.to_json(out, orient="records", lines=True)
        rows = len(frame)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "peak_mb": usage.ru_maxrss / 1024}))


def run_child(method: str, db: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", method, "--db", str(db), "--out", str(out)],
                          check=True, capture_output=True, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["rows_per_s"] = figures["rows"] / figures["seconds"]
    figures["file_mb"] = out.stat().st_size / 2**20
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=("workbench", "baseline"))
    parser.add_argument("--db", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.out)
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "bench.db"
        start = time.perf_counter()
        seed(db, args.rows)
        print(f"seeded {args.rows} annotations in {time.perf_counter() - start:.1f}s", file=sys.stderr)
        ours = run_child("workbench", db, folder / "annotations.parquet")
        base = run_child("baseline", db, folder / "annotations.jsonl")
        assert ours["rows"] == base["rows"] == args.rows, (ours, base)
    print(json.dumps({
        "rows": args.rows,
        "workbench_parquet": {k: round(v, 2) for k, v in ours.items()},
        "baseline_pandas_jsonl": {k: round(v, 2) for k, v in base.items()},
        "ratio": round(ours["rows_per_s"] / base["rows_per_s"], 2),
        "cpu_ratio": round(base["cpu_seconds"] / ours["cpu_seconds"], 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "targets": {"rows_per_s": 100_000, "peak_mb": 600, "ratio": 3},
        "targets_met": ours["rows_per_s"] >= 100_000 and ours["peak_mb"] <= 600
                       and ours["rows_per_s"] >= 3 * base["rows_per_s"],
    }))


if __name__ == "__main__":
    main()
