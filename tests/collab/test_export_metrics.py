"""The hub on both backends (without sockets), then transcripts exported and the dashboard figures."""

from __future__ import annotations

import asyncio
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.collab import export, metrics, sessions
from workbench.collab.hub import Hub
from workbench.collab.paradigms import word_guessing
from workbench.errors import ValidationError


class FakeConn:
    def __init__(self) -> None:
        self.frames: list[dict] = []

    def send(self, frame: dict) -> None:
        self.frames.append(json.loads(json.dumps(frame, default=str)))

    def close(self, code: int, reason: str) -> None:
        self.frames.append({"type": "closed", "code": code})


async def _play(store, n_sessions: int) -> None:
    hub = Hub(store, flush_interval=0.01, tick_interval=60)
    hub.start()
    import random
    for n in range(n_sessions):
        with store.transaction() as s:
            seat = sessions.join(s, "study", worker_id=f"W{n}", assignment_id=f"A{n}", now=sessions_now())
            sid, token = seat.session.id, seat.token
        conn = FakeConn()
        member = await hub.attach(sid, token, conn)
        hub.receive(sid, member.id, {"type": "chat", "text": f"hello from {n}"})
        rng = random.Random(n)
        for _ in range(200):
            await asyncio.sleep(0.01)
            live = hub.live[sid]
            if live.status == "ended":
                break
            game = live.game
            if game and game["turn"] == member.role and not game["result"] and live.status == "active":
                hub.receive(sid, member.id, {"type": "action", "action": word_guessing.local_move(game, member.role, rng)})
        assert any(f["type"] == "end" for f in conn.frames), conn.frames[-3:]
    await hub.stop()


def sessions_now():
    from workbench.store.types import utcnow
    return utcnow()


def test_transcripts_and_metrics_from_played_sessions(store, tmp_path):
    with store.transaction() as s:
        sessions.create_study(s, "study", {"paradigm": "word_guessing",
                                           "factors": {"chat": [True, False]}, "seed": 2})
    asyncio.run(_play(store, 4))
    jsonl = export.export(store, tmp_path / "t.jsonl", study="study")
    parquet = export.export(store, tmp_path / "t.parquet")
    assert jsonl["rows"] == parquet["rows"] > 0
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column_names == [name for name, _ in export.COLUMNS]
    rows = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    # Written by the annotation exports' writers (workbench.results.exports.tabular): a time is a UTC timestamp in
    # Parquet and DuckDB's UTC text in JSON lines, as in an annotation export; the two files hold the same rows.
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00", r["ts"]) for r in rows)
    assert [r["event_id"] for r in rows] == table.column("event_id").to_pylist()
    kinds = {r["type"] for r in rows}
    assert {"message", "action", "agent_call"} <= kinds
    chat_off = [r for r in rows if json.loads(r["condition"])["chat"] is False]
    assert chat_off and not any(r["type"] == "message" for r in chat_off)  # the chat frame was refused
    calls = [r for r in rows if r["type"] == "agent_call"]
    assert all(r["participant_kind"] == "agent" and r["latency_ms"] is not None for r in calls)
    moves = [r for r in rows if r["type"] == "action" and r["latency_ms"] is not None]
    assert moves and all(r["latency_ms"] >= 0 for r in moves)

    figures = metrics.collect(store, study="study")
    assert figures.summary["sessions"] == 4 and figures.summary["ended"] == 4
    by = figures.by_condition.set_index("condition_label")
    assert set(by.index) == {"agent=on chat=on persona=default", "agent=on chat=off persona=default"}
    assert by.loc["agent=on chat=off persona=default", "messages_per_session"] == 0
    assert by.loc["agent=on chat=on persona=default", "messages_per_session"] >= 1
    assert set(figures.per_session["status"]) == {"ended"}


def test_export_refuses_unknown_formats(store, tmp_path):
    with pytest.raises(ValidationError) as caught:
        export.export(store, tmp_path / "t.csv")
    assert caught.value.field == "format"
