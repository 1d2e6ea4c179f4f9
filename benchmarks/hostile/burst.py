"""The burst: honest submissions sent at once around poisoned ones, so that they share the writer's batches; and what
the store kept of them."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from types import SimpleNamespace
from typing import Any

from benchmarks.hostile.payloads import DEEP
from benchmarks.hostile.wire import TIMEOUT, Answer, Shot, Tally, build, splice

#: (what the poison is, the body's changes as raw JSON)
POISONS = [
    ("task id 2**63+1", {"task_id": str(2**63 + 1)}),
    ("NaN", {"result": '{"labels": ["cat"], "confidence": NaN}'}),
    ("Infinity", {"result": '{"labels": ["cat"], "confidence": Infinity}'}),
    ("1e400", {"result": '{"labels": ["cat"], "confidence": -1e400}'}),
    ("NUL", {"result": '{"labels": ["cat\\u0000"]}'}),
    ("lone surrogate", {"result": '{"labels": ["\\ud800"]}'}),
    ("nested 65 deep", {"result": '{"labels": ["cat"], "x": ' + "[" * 65 + "]" * 65 + "}"}),
    ("nested 3,000 deep", {"result": '{"labels": ["cat"], "x": ' + DEEP[0] + "}"}),
]


def burst(port: int, study: SimpleNamespace, honest: int, seed: int, tally: Tally) -> dict[str, Any]:
    """Honest and poisoned submissions, all sent at once (a barrier) so that they share the writer's batches."""
    from workbench.crowd.submissions import page_token

    sends: list[tuple[str, str, bytes]] = []  # (kind, assignment id, request)
    every = max(1, honest // len(POISONS))  # one poison in the middle of each stretch of honest ones
    poisons = iter(POISONS)
    for n in range(honest):
        body = {"task_id": study.burst[n % len(study.burst)], "assignment_id": f"3HONEST{seed}X{n:05d}",
                "hit_id": "3BURSTHIT", "worker_id": f"A1HONEST{n:05d}", "result": {"labels": [("cat", "dog")[n % 2]]}}
        token = page_token("mturk", body["task_id"], body["assignment_id"], body["worker_id"], body["hit_id"],
                           expires_in=3600)
        headers = [("Content-Type", "application/json"), ("X-Workbench-Token", token)]
        sends.append(("honest", body["assignment_id"], build("POST", "/workbench/api/submissions", port, headers,
                                                             json.dumps(body).encode())))
        poison = next(poisons, None) if n % every == every // 2 else None
        if poison is not None:
            bad = {**body, "assignment_id": f"3POISON{seed}X{n:05d}", "worker_id": f"A1POISON{n:05d}"}
            token = page_token("mturk", body["task_id"], bad["assignment_id"], bad["worker_id"], bad["hit_id"],
                               expires_in=3600)
            headers = [("Content-Type", "application/json"), ("X-Workbench-Token", token)]
            sends.append((poison[0], bad["assignment_id"], build("POST", "/workbench/api/submissions", port, headers,
                                                                 splice(bad, **poison[1]))))
    answers: list[Answer | None] = [None] * len(sends)
    barrier = threading.Barrier(len(sends), timeout=60)

    def send(index: int) -> None:
        kind, _, raw = sends[index]
        shot = Shot("burst" if kind == "honest" else "poisoned", "POST /workbench/api/submissions", "POST", raw,
                    api=True)
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        except OSError as exc:
            answers[index] = Answer(None, error=f"connect: {exc}")
            return
        with sock:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            try:
                sock.sendall(raw)
                response = http.client.HTTPResponse(sock, method="POST")
                response.begin()
                answers[index] = Answer(response.status, response.getheader("Content-Type", ""), response.read())
            except (OSError, http.client.HTTPException) as exc:
                answers[index] = Answer(None, error=type(exc).__name__)
        tally.record(shot, answers[index])

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT + 90)
    honest_ids = [a for (kind, a, _) in sends if kind == "honest"]
    acknowledged = {a for (kind, a, _), answer in zip(sends, answers)
                    if kind == "honest" and answer is not None and answer.status in (200, 201)}
    refused = [f"{a}: {answer.status if answer else None} "
               f"{(answer.body[:200] if answer else b'').decode('utf-8', 'replace')}"
               for (kind, a, _), answer in zip(sends, answers) if kind == "honest" and a not in acknowledged]
    poisoned = [(kind, answer) for (kind, _, _), answer in zip(sends, answers) if kind != "honest"]
    poison_answers = {}
    for kind, answer in poisoned:
        field_named = ""
        if answer is not None and answer.body:
            try:
                field_named = json.loads(answer.body).get("field", "")
            except (ValueError, AttributeError):
                pass
        poison_answers[kind] = f"{answer.status if answer else None} {field_named}".strip()
    return {"honest_ids": honest_ids, "acknowledged": acknowledged, "refused": refused,
            "poisoned": len(poisoned),
            "poisoned_refused": sum(1 for _, a in poisoned if a is not None and a.status is not None
                                    and 400 <= a.status < 500),
            "poison_answers": poison_answers}


def stored_submissions(url: str, prefix: str) -> set[str]:
    """The ids of the stored submissions that start with ``prefix``."""
    from sqlalchemy import text

    from workbench.store import Store

    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return set(conn.execute(text("SELECT submission_id FROM annotations WHERE submission_id LIKE :p"),
                                    {"p": prefix + "%"}).scalars())
    finally:
        store.dispose()
