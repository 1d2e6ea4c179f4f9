"""Bulk set-up for benchmarks: HITs and submissions written straight into the simulator's state."""
from __future__ import annotations

import json
from typing import Callable
from xml.sax.saxutils import escape

from .answers import to_answer_xml
from .validation import EXTERNAL_NS


def external_question(url: str, frame_height: int = 0) -> str:
    """An ExternalQuestion document for `url`."""
    return (f'<ExternalQuestion xmlns="{EXTERNAL_NS}"><ExternalURL>{escape(url)}</ExternalURL>'
            f"<FrameHeight>{frame_height}</FrameHeight></ExternalQuestion>")


def seed_hits(backend, n: int, *, title: str = "Seeded annotation HIT",
              description: str = "Label one item.", reward: str = "0.10",
              max_assignments: int = 3, lifetime: int = 7 * 86400,
              assignment_duration: int = 3600, auto_approval_delay: int = 3 * 86400,
              external_url: str = "http://127.0.0.1:8888/workbench/annotate/{i}",
              hit_type_id: str | None = None, annotation: str | None = "task-{i}") -> list[str]:
    """Create `n` Assignable HITs in one transaction; `{i}` in the URL/annotation is the index."""
    if hit_type_id is None:
        hit_type_id = backend.CreateHITType({
            "Title": title, "Description": description, "Reward": reward,
            "AssignmentDurationInSeconds": assignment_duration,
            "AutoApprovalDelayInSeconds": auto_approval_delay})["HITTypeId"]
    backend._hit_type(hit_type_id)
    now = backend.clock.now()
    store = backend.store
    with store.transaction() as s:
        rows = []
        for i in range(n):
            url = external_url.format(i=i)
            rows.append((s.new_id(), hit_type_id, external_question(url), "ExternalQuestion", url,
                         max_assignments, now, now + lifetime,
                         annotation.format(i=i) if annotation else None, max_assignments,
                         max_assignments))
        s.conn.executemany(
            "INSERT INTO hits (id, hit_type_id, question, question_kind, external_url,"
            " max_assignments, created, expiration, requester_annotation, status, available,"
            " initial_max) VALUES (?,?,?,?,?,?,?,?,?,'Assignable',?,?)", rows)
    return [r[0] for r in rows]


def seed_submissions(backend, hit_ids: list[str], per_hit: int = 3,
                     answer: dict | Callable[[int, str, str], dict] | None = None,
                     worker_prefix: str = "A2SEEDWORKER") -> list[str]:
    """Give each HIT `per_hit` Submitted assignments (workers differ within a HIT).

    `answer` is the form fields (values JSON-encoded unless strings) or a callable
    `(worker_index, hit_id, worker_id) -> fields`; by default `{"result": {"label": "seed"}}`.
    """
    now = backend.clock.now()
    store = backend.store
    ids: list[str] = []
    with store.transaction() as s:
        rows, workers = [], set()
        for hit_id in hit_ids:
            hit = backend._hit_row(hit_id)
            delay = backend._hit_type(hit["hit_type_id"])["auto_approval_delay"]
            duration = backend._hit_type(hit["hit_type_id"])["assignment_duration"]
            for k in range(per_hit):
                worker_id = f"{worker_prefix}{k + 1:04d}"
                fields = answer(k, hit_id, worker_id) if callable(answer) else (
                    answer or {"result": {"label": "seed"}})
                fields = {key: val if isinstance(val, str) else json.dumps(val)
                          for key, val in fields.items()}
                aid = s.new_id()
                ids.append(aid)
                workers.add(worker_id)
                rows.append((aid, hit_id, worker_id, now, now + duration, now, now + delay,
                             to_answer_xml(fields)))
        s.conn.executemany(
            "INSERT INTO assignments (id, hit_id, worker_id, status, accept_time, deadline,"
            " submit_time, auto_approval_time, answer) VALUES (?,?,?,'Submitted',?,?,?,?,?)", rows)
        s.conn.executemany("INSERT OR IGNORE INTO workers VALUES (?,?)", [(w, now) for w in workers])
        for hit_id in hit_ids:
            backend._recount(hit_id, now)
    return ids
