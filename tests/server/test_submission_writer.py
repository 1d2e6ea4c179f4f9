"""The submission writer process: its protocol, its failures, and the server's handling of a writer that dies."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from workbench.crowd import submission_writer
from workbench.store.models import Annotation, Event

from .processes import get, public_server
from .test_worker import post_submission, token_for


def item(task_id, assignment, labels=("cat",), worker="W1"):
    return [{"task_id": task_id, "assignment_id": assignment, "hit_id": "H1", "worker_id": worker,
             "result": {"labels": list(labels)}, "tool_version": ""}, None]


def lines(*batches) -> bytes:
    return b"".join(json.dumps(batch).encode() + b"\n" for batch in batches)


@pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
def stored(answer: dict) -> dict:
    """The annotation a stored submission's answer carries, as the server will send it."""
    return json.loads(answer["json"])


def test_lines_that_arrived_together_are_one_transaction_and_each_gets_its_answer(study):
    first, second = study.task_ids
    source = io.BufferedReader(io.BytesIO(lines(
        [item(first, "A1"), item(second, "A2")],
        [item(first, "A1", ["dog"]), item(second, "A3", ["horse"])],  # a duplicate, a schema refusal
        [item(999, "A4")],                                            # a missing task
    )))
    sink = io.BytesIO()
    transactions = submission_writer.serve(study.store, source, sink, provider="mturk")
    assert transactions == 1
    answers = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [len(a) for a in answers] == [2, 2, 1]
    (new1, new2), (dup, refused), (missing,) = answers
    assert (new1["status"], new2["status"], dup["status"]) == (201, 201, 200)
    new1, new2, dup = (stored(a) for a in (new1, new2, dup))
    assert new1["duplicate"] is False and new2["submission_id"] == "A2"
    assert dup["duplicate"] is True and dup["id"] == new1["id"]
    assert dup["result"] == {"labels": ["cat"]}
    assert refused == {"error": 400, "body": {"error": "validation_error", "message": refused["body"]["message"],
                                              "field": "result.labels[0]", "reason": refused["body"]["reason"],
                                              "schema_version": "1.0"}}
    assert missing["error"] == 404 and missing["body"]["error"] == "not_found"
    with study.store.session() as s:
        assert sorted(a.submission_id for a in s.query(Annotation)) == ["A1", "A2"]
        assert s.query(Event).filter_by(type="annotation.created").count() == 2


def test_a_transaction_holds_at_most_max_batch_submissions(study):
    first, second = study.task_ids
    source = io.BufferedReader(io.BytesIO(lines([item(first, f"B{i}") for i in range(5)])))
    sink = io.BytesIO()
    assert submission_writer.serve(study.store, source, sink, provider="mturk", max_batch=2) == 3
    (answer,) = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [stored(a)["submission_id"] for a in answer] == [f"B{i}" for i in range(5)]


def test_a_store_failure_is_a_503_for_each_and_writes_nothing(study):
    first, _ = study.task_ids
    with study.store.engine.begin() as conn:  # the events insert will fail after the annotations insert
        conn.execute(text("ALTER TABLE events RENAME TO events_away"))
    source = io.BufferedReader(io.BytesIO(lines([item(first, "C1"), item(first, "C2")])))
    sink = io.BytesIO()
    submission_writer.serve(study.store, source, sink, provider="mturk")
    (answer,) = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [a["error"] for a in answer] == [503, 503] and answer[0]["body"]["error"] == "unavailable"
    with study.store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE events_away RENAME TO events"))
    with study.store.session() as s:
        assert s.query(Annotation).count() == 0


def _writer(url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workbench.crowd.submission_writer"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "WORKBENCH_DATABASE_URL": url})


def test_the_process_says_ready_answers_and_ends_with_its_input(study):
    process = _writer(study.store.url)
    ready = json.loads(process.stdout.readline())
    assert ready == {"ready": process.pid}
    process.stdin.write(lines([item(study.task_ids[0], "D1")]))
    process.stdin.flush()
    (answer,) = json.loads(process.stdout.readline())
    assert answer["status"] == 201 and stored(answer)["submission_id"] == "D1"
    process.stdin.close()
    assert process.wait(timeout=30) == 0
    assert study.store.url not in process.stderr.read().decode()  # the URL came in the environment, not argv


def test_the_process_refuses_a_store_at_another_revision(make_store, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    process = _writer(url)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1 and out == b""
    assert "workbench db upgrade" in err.decode()


async def _post(fetch_json, study, assignment):
    body = {"task_id": study.task_ids[0], "assignment_id": assignment, "hit_id": "H1", "worker_id": "W1",
            "result": {"labels": ["cat"]}}
    return await post_submission(fetch_json, body, token_for(body))


async def test_a_writer_killed_holding_a_submission_loses_it_to_a_503_and_the_retry_stores_it_once(
        fetch_json, study, jp_serverapp):
    writer = next(iter(jp_serverapp.extension_manager.extension_apps["server_ext"])).submission_writer
    status, _, _ = await _post(fetch_json, study, "E0")  # starts the writer
    assert status == 201 and writer.running
    child = writer._process.pid
    os.kill(child, signal.SIGSTOP)  # it cannot read: the next submission waits in its pipe
    pending = asyncio.ensure_future(_post(fetch_json, study, "E1"))
    for _ in range(200):
        if writer._in_flight:
            break
        await asyncio.sleep(0.02)
    assert writer._in_flight, "the submission never reached the writer"
    os.kill(child, signal.SIGKILL)
    status, data, response = await pending
    assert status == 503 and data["error"] == "unavailable" and response.headers["Retry-After"] == "1"
    status, data, _ = await _post(fetch_json, study, "E1")  # a new writer starts and stores it
    assert status == 201 and data["duplicate"] is False and writer._process.pid != child
    status, data, _ = await _post(fetch_json, study, "E1")
    assert status == 200 and data["duplicate"] is True
    with study.store.session() as s:
        assert sorted(a.submission_id for a in s.query(Annotation)) == ["E0", "E1"]


async def test_a_batch_the_store_refuses_is_a_503_with_retry_after_and_the_retry_stores_it(fetch_json, study):
    with study.store.engine.begin() as conn:  # the writer's events insert will fail, after its annotations insert
        conn.execute(text("ALTER TABLE events RENAME TO events_away"))
    status, data, response = await _post(fetch_json, study, "F1")
    assert status == 503 and data["error"] == "unavailable" and response.headers["Retry-After"] == "1"
    with study.store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE events_away RENAME TO events"))
    with study.store.session() as s:
        assert s.query(Annotation).count() == 0
    status, data, _ = await _post(fetch_json, study, "F1")
    assert status == 201 and data["submission_id"] == "F1"


def _writer_pid(port: str) -> int | None:
    """The submission writer whose parent is the server listening on ``port``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            parent_argv = Path(f"/proc/{parent}/cmdline").read_bytes()
        except OSError:
            continue
        if b"workbench.crowd.submission_writer" in argv and f"--port={port}".encode() in parent_argv:
            return int(entry.name)
    return None


def test_the_public_server_restarts_a_dead_writer_and_is_not_ready_meanwhile(make_store, tmp_path):
    with public_server(make_store("sqlite").url, tmp_path) as (base, log_path):
        port = base.rsplit(":", 1)[1]
        assert get(base + "/workbench/api/health/ready")[0] == 200
        first = _writer_pid(port)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        seen, deadline = set(), time.monotonic() + 30
        while time.monotonic() < deadline:
            status = get(base + "/workbench/api/health/ready")[0]
            seen.add(status)
            if status == 200 and 503 in seen:
                break
            time.sleep(0.05)
        assert seen == {503, 200}
        second = _writer_pid(port)
        assert second is not None and second != first
        assert get(base + "/workbench/api/health")[0] == 200  # liveness never depended on the writer
    assert "submission writer" in log_path.read_text() and "stopped" in log_path.read_text()
