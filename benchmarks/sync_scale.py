"""Sync against the local MTurk simulator at scale, against the seed's way of polling every open HIT.

Set-up: 10,000 HITs, 1,000 of them with new submissions (3 each, so 3,000 assignments),
20 ms added to every API call. Our sync lists the reviewable HITs (paginated) and asks
only those for their assignments; the seed's way asks every open HIT. Both run with the
same client and concurrency, each into a store of its own, and the simulator counts the
calls. Right after our sync, its 3,000 assignments are ingested into annotations on SQLite.

    python benchmarks/sync_scale.py [--hits 10000] [--changed 1000] [--latency-ms 20] [--concurrency 8]

The last line is one JSON object: calls and seconds for each method, the ratio of calls,
and the ingestion rate. Targets: at most 1,200 calls for our sync, at least 8x fewer calls
than polling, at least 2,000 assignments/s ingested on SQLite.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from workbench import definitions, projects
from workbench.mturk_sim import Faults, Simulator
from workbench.providers.mturk import MTurkProvider
from workbench.providers.mturk.client import make_client
from workbench.store import Store
from workbench.store.models import HIT, Annotation, Assignment, Task
from workbench.store.types import utcnow

LABEL_SCHEMA = {"type": "object", "required": ["label"], "properties": {"label": {"enum": ["cat", "dog"]}}}


def study_store(path: Path, hit_ids: list[str]) -> Store:
    """A store with one task per HIT and the HIT rows, as if the workbench had created them."""
    store = Store(f"sqlite:///{path}")
    store.upgrade(backup=False)
    now = utcnow()
    with store.transaction() as s:
        project = projects.create(s, "bench")
        definitions.create_type(s, "classification")
        spec = definitions.create_definition(s, "classification", "1.0", {"label_schema": LABEL_SCHEMA})
        s.execute(insert(Task), [{"project_id": project.id, "definition_id": spec.id, "payload": {"n": i},
                                  "status": "pending", "priority": 0, "target_annotations": 3,
                                  "created_at": now, "updated_at": now} for i in range(len(hit_ids))])
        task_ids = list(s.scalars(select(Task.id).order_by(Task.id)))
        s.execute(insert(HIT), [{"provider": "mturk", "environment": "local", "hit_id": hit_id, "hit_type_id": "",
                                 "project_id": project.id, "task_id": task_id, "round": 0, "status": "assignable",
                                 "title": "Seeded annotation HIT", "reward_cents": 10, "max_assignments": 3,
                                 "question": "", "payload": {"initial_max_assignments": 3, "mode": "external"},
                                 "created_at": now, "updated_at": now}
                                for hit_id, task_id in zip(hit_ids, task_ids)])
    return store


def api_calls(sim: Simulator) -> int:
    return sum(n for op, n in sim.call_count.items() if not op.startswith("_"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--per-hit", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    logging.getLogger("tornado.access").setLevel(logging.ERROR)

    sim = Simulator(faults=Faults()).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            hit_ids = sim.seed_hits(args.hits, max_assignments=args.per_hit, reward="0.10")
            sim.seed_submissions(hit_ids[:args.changed], per_hit=args.per_hit,
                                 answer=lambda k, hit, worker: {"result": {"label": "cat" if k % 2 else "dog"}})
            ours_store = study_store(Path(tmp) / "ours.db", hit_ids)
            seed_store = study_store(Path(tmp) / "seed.db", hit_ids)
            setup_seconds = time.perf_counter() - started
            sim.faults.update(latency_ms=args.latency_ms)

            def provider(store):
                client = make_client("local", endpoint_url=sim.url, max_pool_connections=args.concurrency * 2)
                return MTurkProvider(store, client=client)

            ours = provider(ours_store)
            sim.reset_call_count()
            t0 = time.perf_counter()
            synced = ours.sync(concurrency=args.concurrency)
            ours_seconds = time.perf_counter() - t0
            ours_calls = api_calls(sim)
            ours_ops = dict(sim.call_count)

            t0 = time.perf_counter()
            ingested = ours.ingest(chunk_size=500)
            ingest_seconds = time.perf_counter() - t0

            seed = provider(seed_store)
            sim.reset_call_count()
            t0 = time.perf_counter()
            polled = seed.sync(method="poll", concurrency=args.concurrency)
            poll_seconds = time.perf_counter() - t0
            poll_calls = api_calls(sim)

            with ours_store.session() as s:
                annotations = s.scalar(select(func.count()).select_from(Annotation))
                assignments = s.scalar(select(func.count()).select_from(Assignment))
            with seed_store.session() as s:
                seed_assignments = s.scalar(select(func.count()).select_from(Assignment))
            ours_store.dispose()
            seed_store.dispose()
    finally:
        sim.stop()

    expected = args.changed * args.per_hit
    assert synced.assignments_new == assignments == expected, (synced, assignments)
    assert polled.assignments_new == seed_assignments == expected, (polled, seed_assignments)
    assert ingested.ingested == annotations == expected, (ingested, annotations)
    figures = {
        "hits": args.hits, "changed_hits": args.changed, "assignments": expected, "latency_ms": args.latency_ms,
        "concurrency": args.concurrency, "setup_seconds": round(setup_seconds, 2),
        "ours": {"api_calls": ours_calls, "seconds": round(ours_seconds, 2), "by_operation": ours_ops},
        "polling": {"api_calls": poll_calls, "seconds": round(poll_seconds, 2)},
        "call_ratio": round(poll_calls / ours_calls, 2),
        "speedup": round(poll_seconds / ours_seconds, 2),
        "ingest": {"assignments": ingested.ingested, "seconds": round(ingest_seconds, 3),
                   "assignments_per_s": round(ingested.ingested / ingest_seconds, 1)},
        "targets": {"ours_calls_max": 1200, "ratio_min": 8, "ingest_per_s_min": 2000},
        "targets_met": ours_calls <= 1200 and poll_calls / ours_calls >= 8
                       and ingested.ingested / ingest_seconds >= 2000,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
