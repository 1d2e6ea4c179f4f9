"""Sync against the local MTurk simulator at scale, against the seed's way of polling every open HIT.

Set-up: 10,000 HITs of 3 assignments, 1,000 of them with new submissions, 20 ms added to
every API call. Two cases, each in a simulator and stores of its own:

- ``full``: the 1,000 HITs are full (3 submissions each), so MTurk lists them as Reviewable;
- ``partial``: 800 of the 1,000 hold one submission of 3 (made through the worker page,
  which recorded each as it arrived; MTurk does not list these HITs as Reviewable), 200 are full.

Our sync lists the Reviewable HITs (paginated), asks the HITs with worker-page activity, and
asks only those for their assignments; the seed's way asks every open HIT. Both run with the
same client and concurrency, each into a store of its own, and the simulator counts the
calls. Right after our sync, the assignments are ingested on SQLite (in the partial case the
page's answers are recognised as stored already).

    python benchmarks/sync_scale.py [--hits 10000] [--changed 1000] [--case full|partial|both]

The last line is one JSON object: per case, calls and seconds for each method, the calls
per changed HIT, the ratio of calls, and the ingestion rate. Targets: at most 1.2 calls per
changed HIT, at least 8x fewer calls than polling, at least 2,000 assignments/s ingested.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from workbench.crowd import submissions
from workbench.study import definitions, projects
from workbench.devtools.mturk_sim import Faults, Simulator
from workbench.crowd.providers.mturk import MTurkProvider
from workbench.crowd.providers.mturk.client import make_client
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


def record_arrivals(store: Store, hit_ids: list[str], assignment_ids: list[str], worker_id: str) -> None:
    """The worker page's records of these submissions, made as the server's submission writer makes them."""
    with store.session() as s:
        task_of = dict(s.execute(select(HIT.hit_id, HIT.task_id).where(HIT.hit_id.in_(hit_ids))).all())
    items = [(submissions.parse({"task_id": task_of[hit_id], "assignment_id": assignment_id, "hit_id": hit_id,
                                 "worker_id": worker_id, "result": {"label": "cat"}}), None)
             for hit_id, assignment_id in zip(hit_ids, assignment_ids)]
    for start in range(0, len(items), 256):
        with store.transaction() as s:
            outcomes = submissions.submit_many(s, items[start:start + 256])
        assert all(isinstance(o, dict) and not o["duplicate"] for o in outcomes), outcomes[:3]


def run_case(name: str, args, partial: int) -> dict:
    """``args.changed`` HITs with new work among ``args.hits``; ``partial`` of them hold one submission of
    ``args.per_hit``, made through the worker page (which records it), the others are full."""
    full = args.changed - partial
    sim = Simulator(faults=Faults()).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            hit_ids = sim.seed_hits(args.hits, max_assignments=args.per_hit, reward="0.10")
            answer = lambda k, hit, worker: {"result": {"label": "cat" if k % 2 else "dog"}}  # noqa: E731
            sim.seed_submissions(hit_ids[:full], per_hit=args.per_hit, answer=answer)
            one_each = sim.seed_submissions(hit_ids[full:args.changed], per_hit=1, answer=answer,
                                            worker_prefix="A3PAGEWORKER")
            ours_store = study_store(Path(tmp) / "ours.db", hit_ids)
            seed_store = study_store(Path(tmp) / "seed.db", hit_ids)
            record_arrivals(ours_store, hit_ids[full:args.changed], one_each, "A3PAGEWORKER0001")
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
                assignments = s.scalar(select(func.count()).select_from(Assignment).where(
                    Assignment.status == "submitted"))
            with seed_store.session() as s:
                seed_assignments = s.scalar(select(func.count()).select_from(Assignment))
            ours_store.dispose()
            seed_store.dispose()
    finally:
        sim.stop()

    expected = full * args.per_hit + partial
    assert synced.assignments_new + synced.assignments_updated == assignments == expected, (synced, assignments)
    assert synced.assignments_updated == partial and synced.active_hits == partial, synced
    assert polled.assignments_new == seed_assignments == expected, (polled, seed_assignments)
    assert ingested.ingested + ingested.duplicates == expected == annotations, (ingested, annotations)
    per_hit = ours_calls / args.changed
    return {
        "case": name, "hits": args.hits, "changed_hits": args.changed, "full_hits": full, "partial_hits": partial,
        "assignments": expected, "setup_seconds": round(setup_seconds, 2),
        "ours": {"api_calls": ours_calls, "calls_per_changed_hit": round(per_hit, 3), "seconds": round(ours_seconds, 2),
                 "by_operation": ours_ops, "active_hits": synced.active_hits},
        "polling": {"api_calls": poll_calls, "seconds": round(poll_seconds, 2)},
        "call_ratio": round(poll_calls / ours_calls, 2),
        "speedup": round(poll_seconds / ours_seconds, 2),
        "ingest": {"ingested": ingested.ingested, "duplicates": ingested.duplicates,
                   "seconds": round(ingest_seconds, 3),
                   "assignments_per_s": round((ingested.ingested + ingested.duplicates) / ingest_seconds, 1)},
        "targets_met": per_hit <= 1.2 and poll_calls / ours_calls >= 8
                       and (ingested.ingested + ingested.duplicates) / ingest_seconds >= 2000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--per-hit", type=int, default=3)
    parser.add_argument("--partial-share", type=float, default=0.8,
                        help="share of the changed HITs that are not full, in the partial case")
    parser.add_argument("--case", choices=("full", "partial", "both"), default="both")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    logging.getLogger("tornado.access").setLevel(logging.ERROR)

    cases = []
    if args.case in ("full", "both"):
        cases.append(run_case("full", args, partial=0))
    if args.case in ("partial", "both"):
        cases.append(run_case("partial", args, partial=round(args.changed * args.partial_share)))
    figures = {"latency_ms": args.latency_ms, "concurrency": args.concurrency, "cases": cases,
               "targets": {"calls_per_changed_hit_max": 1.2, "ratio_min": 8, "ingest_per_s_min": 2000},
               "targets_met": all(c["targets_met"] for c in cases)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
