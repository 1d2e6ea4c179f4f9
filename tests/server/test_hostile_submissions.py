"""Hostile submissions over HTTP (issue 14), on a real Jupyter server and its real writer process, on SQLite and
PostgreSQL.

Poisoned bodies (ids no store column holds, NaN, Infinity, NUL, lone surrogates, deep nesting) are refused with a
400 naming the field, on the public route and on the researcher's; a burst mixing them with honest submissions
stores every honest one; the writer process stores the honest neighbours of poisoned items that reach it; and no
refused request changes the store or logs a traceback.
"""

from __future__ import annotations

import asyncio
import json
import queue
import random
import subprocess
import threading

import pytest

from tests.core.test_hostile_submissions import free_tasks
from workbench.store.models import Annotation, Assignment, Event

from .test_submission_writer import _writer
from .test_worker import post_submission, token_for

pytestmark = pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])

UNLIMITED = {"rate_limit_ip": 0, "rate_limit_worker": 0}
WRITER_TIMEOUT = 60  # seconds the writer process may take to answer; only ever reached when it hangs


@pytest.fixture
def free(study):
    return free_tasks(study)


def counts(store) -> tuple[int, int, int]:
    with store.session() as s:
        return s.query(Annotation).count(), s.query(Assignment).count(), s.query(Event).count()


def honest(task_id: int, assignment: str, worker: str = "W1") -> dict:
    return {"task_id": task_id, "assignment_id": assignment, "hit_id": "H1", "worker_id": worker,
            "result": {"labels": ["cat"], "confidence": 0.5, "note": "ok"}}


def as_text(body: dict, **raw: str) -> str:
    """``body`` as JSON text with some values spliced in as raw JSON (NaN, Infinity, escapes, big numbers)."""
    text = json.dumps({**body, **{key: f"@{key}@" for key in raw}})
    for key, value in raw.items():
        text = text.replace(f'"@{key}@"', value)
    return text


def result_with(**raw: str) -> str:
    """A result whose values are raw JSON text."""
    return as_text({"labels": ["cat"]}, **raw)


# (changes to an honest body as raw JSON text, the field the 400 names)
POISONED = {
    "task id above 2^63-1": ({"task_id": "9223372036854775808"}, "task_id"),
    "task id above 2^31-1": ({"task_id": "2147483648"}, "task_id"),
    "task id as a superscript digit": ({"task_id": '"\\u00b2"'}, "task_id"),
    "NaN": ({"result": result_with(confidence="NaN")}, "result.confidence"),
    "Infinity": ({"result": result_with(confidence="Infinity")}, "result.confidence"),
    "-Infinity": ({"result": result_with(confidence="-Infinity")}, "result.confidence"),
    "1e400": ({"result": result_with(confidence="1e400")}, "result.confidence"),
    "NUL": ({"result": result_with(note='"a\\u0000b"')}, "result.note"),
    "lone surrogate": ({"result": result_with(note='"\\ud800"')}, "result.note"),
    "NUL in a key": ({"result": result_with(**{"x": "1"}).replace('"x"', '"\\u0000"')}, "result"),
    "nested too deep": ({"result": result_with(note="[" * 70 + "]" * 70)}, "body"),  # the JSON reader's limit
    "NUL in the worker id": ({"worker_id": '"W\\u0000"'}, "workerId"),
    "lone surrogate in the assignment id": ({"assignment_id": '"\\udfff"'}, "assignmentId"),
    "NUL in the HIT id": ({"hit_id": '"H\\u0000"'}, "hitId"),
    "NUL in the tool version": ({"tool_version": '"1\\u0000"'}, "tool_version"),
    # The page's telemetry (issue 17): counts and times only, each a bounded whole number; nothing else kept.
    "telemetry not an object": ({"telemetry": '"lots"'}, "telemetry"),
    "telemetry with pasted text": ({"telemetry": '{"pastes": [{"at_ms": 1, "length": 3, "text": "abc"}]}'},
                                   "telemetry.pastes[0].text"),
    "telemetry negative": ({"telemetry": '{"keystrokes": -1}'}, "telemetry.keystrokes"),
    "telemetry past a week": ({"telemetry": '{"visible_ms": 604800001}'}, "telemetry.visible_ms"),
    "telemetry true for a count": ({"telemetry": '{"focus_count": true}'}, "telemetry.focus_count"),
    "telemetry of an unknown key": ({"telemetry": '{"screen": 1}'}, "telemetry.screen"),
}


def poisoned_body(task_id: int, assignment: str, kind: str) -> tuple[str, str, str]:
    """(JSON text, page token, field) of a poisoned submission; the token is right wherever it can be."""
    raw, field = POISONED[kind]
    body = honest(task_id, assignment)
    try:
        token = token_for({**body, **{k: json.loads(v) for k, v in raw.items() if k != "result"}})
    except (ValueError, TypeError, UnicodeEncodeError):
        token = token_for(body)  # a value no page could have been given: parse refuses it before the token
    return as_text(body, **raw), token, field


@pytest.mark.parametrize("kind", POISONED)
async def test_the_route_refuses_each_poisoned_body_naming_the_field(fetch_json, free, kind, caplog):
    before = counts(free.store)
    text, token, field = poisoned_body(free.task_ids[0], "A1", kind)
    status, data, _ = await post_submission(fetch_json, text, token)
    assert status == 400 and data["field"] == field, data
    assert counts(free.store) == before
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("wb_config", [UNLIMITED])
async def test_a_burst_of_honest_and_poisoned_submissions_stores_every_honest_one(fetch_json, free):
    """The campaign's burst: honest submissions around poisoned ones, all at once, so they share the writer's
    batches; every honest one is stored once, every poisoned one refused on its own."""
    sends, expected = [], []
    for n in range(60):
        task_id = free.task_ids[n % 3]
        if n % 4 == 3:
            kind = list(POISONED)[n % len(POISONED)]
            text, token, _ = poisoned_body(task_id, f"P{n}", kind)
            sends.append(post_submission(fetch_json, text, token))
            expected.append(400)
        else:
            body = honest(task_id, f"A{n}", worker=f"W{n}")
            sends.append(post_submission(fetch_json, body, token_for(body)))
            expected.append(201)
    answers = await asyncio.gather(*sends)
    assert [status for status, _, _ in answers] == expected
    with free.store.session() as s:
        stored = sorted(a.submission_id for a in s.query(Annotation))
    assert stored == sorted(f"A{n}" for n in range(60) if n % 4 != 3)


def _items_past_parse(task_ids):
    """A line as the server writes it, holding what used to slip past parse between honest items."""
    first, second, third = task_ids
    poisons = [({"confidence": "NaN"}, "result.confidence"), ({"confidence": "Infinity"}, "result.confidence"),
               ({"note": '"a\\u0000b"'}, "result.note"), ({"note": '"\\ud800"'}, "result.note")]
    items, fields = [], []
    for n, (raw, field) in enumerate(poisons):
        items.append(f'[{json.dumps(honest(first, f"A{n}"))}, null]')
        items.append(f'[{as_text(honest(second, f"P{n}"), result=result_with(**raw))}, null]')
        fields += [None, field]
    items.append(f'[{as_text(honest(third, "P-id"), task_id="18446744073709551616")}, null]')
    items.append(f'[{json.dumps(honest(third, "A-last"))}, null]')
    fields += ["task_id", None]
    return ("[" + ", ".join(items) + "]\n").encode(), fields


def read_line(process: subprocess.Popen, timeout: float = WRITER_TIMEOUT) -> bytes:
    """The next line the writer prints; the test fails, rather than hangs, when none comes in ``timeout`` seconds."""
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"the submission writer printed no line in {timeout:.0f}s")


def test_the_writer_process_stores_the_honest_neighbours_of_poisoned_items(free):
    line, fields = _items_past_parse(free.task_ids)
    process = _writer(free.store.url)
    try:
        assert "ready" in json.loads(read_line(process))
        process.stdin.write(line)
        process.stdin.flush()
        answers = json.loads(read_line(process))
        _, stderr = process.communicate(timeout=WRITER_TIMEOUT)  # its input closed: the writer ends
    finally:
        if process.poll() is None:  # whatever happened above, no writer outlives the test
            process.kill()
        process.wait()
    stderr = stderr.decode()
    assert [a.get("status") or (a["error"], a["body"]["field"]) for a in answers] == [
        201 if field is None else (400, field) for field in fields]
    with free.store.session() as s:
        assert sorted(a.submission_id for a in s.query(Annotation)) == ["A-last", "A0", "A1", "A2", "A3"]
    assert "Traceback" not in stderr


# -- every 4xx leaves the store as it was ----------------------------------------------------------------------

HOSTILE_VALUES = [
    None, True, -1, 0, 2**31, 2**63, 2**64, 1.5, "", " ", "x" * 200, "<script>alert(1)</script>", "../../etc/passwd",
    "' OR 1=1 --", "%00", "\u202e", "ASSIGNMENT_ID_NOT_AVAILABLE", [], {}, [[[[[]]]]], {"$ref": "http://x"},
]
RAW_VALUES = ["NaN", "Infinity", "-Infinity", "1e400", '"\\u0000"', '"\\ud800"', '"\\udfff x"', "[" * 80 + "]" * 80]


def hostile_bodies(task_id: int, rng: random.Random) -> list[tuple[str | bytes, str | None]]:
    """(body, page token) pairs: malformed documents, then honest bodies with one field made hostile."""
    base = honest(task_id, "A-hostile")
    good = token_for(base)
    out: list[tuple[str | bytes, str | None]] = [
        (b"", good), (b"{", good), (b"\xff\xfe", good), (b"null", good), (b"[]", good), (b'"text"', good),
        (json.dumps({**base, "extra": 1}), good), (json.dumps(base), None), (json.dumps(base), "1.forged"),
        (json.dumps({**base, "result": {"labels": ["horse"]}}), good), (json.dumps({**base, "task_id": 999999}),
                                                                        token_for({**base, "task_id": 999999})),
    ]
    for field in ("task_id", "assignment_id", "hit_id", "worker_id", "result", "tool_version"):
        for value in rng.sample(HOSTILE_VALUES, 6):
            if field == "tool_version" and isinstance(value, str) and len(value) <= 64:
                continue  # any short text is a tool version: the page token does not cover it
            out.append((json.dumps({**base, field: value}), good))
        for raw in rng.sample(RAW_VALUES, 3):
            out.append((as_text(base, **{field: raw}), good))
    for raw in RAW_VALUES:
        out.append((as_text(base, result=result_with(note=raw)), good))
    return out


@pytest.mark.parametrize("wb_config", [UNLIMITED])
async def test_every_refused_submission_leaves_the_store_as_it_was_and_logs_no_traceback(fetch_json, free, caplog):
    first = honest(free.task_ids[0], "A-taken")
    assert (await post_submission(fetch_json, first, token_for(first)))[0] == 201
    taken = {**first, "worker_id": "W-other"}  # the same assignment and task, another worker: 409
    before = counts(free.store)
    statuses = [(await post_submission(fetch_json, taken, token_for(taken)))[0]]
    for body, token in hostile_bodies(free.task_ids[1], random.Random(14)):
        status, data, response = await post_submission(fetch_json, body, token)
        assert 400 <= status < 500, (body[:80], status, response.body[:200])
        assert data["error"] and data["message"] and "Traceback" not in response.body.decode()
        statuses.append(status)
    assert counts(free.store) == before
    assert set(statuses) == {400, 403, 404, 409}
    assert "Traceback" not in caplog.text and "Uncaught exception" not in caplog.text


# -- the researcher's route -----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, field", [
    ({"result": result_with(confidence="NaN")}, "result.confidence"),
    ({"result": result_with(confidence="Infinity")}, "result.confidence"),
    ({"result": result_with(confidence="-Infinity")}, "result.confidence"),
    ({"result": result_with(note='"\\u0000"')}, "result.note"),
    ({"task_id": "9223372036854775808"}, "task_id"),
])
async def test_the_researcher_route_refuses_nan_and_infinity(fetch_json, free, raw, field, caplog):
    before = counts(free.store)
    text = as_text({"task_id": free.task_ids[0], "result": {"labels": ["cat"]}}, **raw)
    status, data, _ = await fetch_json("workbench/api/annotations", method="POST", body=text,
                                       headers={"Content-Type": "application/json"})
    assert status == 400 and data["field"] == field, data
    assert counts(free.store) == before
    assert "Traceback" not in caplog.text
