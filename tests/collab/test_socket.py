"""The session's WebSocket on a real Jupyter server: play, scoping, bad frames, reconnects, agent failures."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from workbench import events
from workbench.collab import sessions
from workbench.collab.paradigms import word_guessing
from workbench.store.models import CollabSession

from .wsclient import Client, join

PAIRS = {"paradigm": "word_guessing", "conditions": [{"agent": False}], "max_wait_s": 600, "grace_s": 600}
WITH_AGENT = {"paradigm": "word_guessing", "conditions": [{"agent": True, "agent_role": "hinter"}]}


def _study(store, slug, config):
    with store.transaction() as s:
        sessions.create_study(s, slug, config)


@pytest.fixture
def port(jp_http_port):
    return jp_http_port


async def test_a_worker_plays_with_the_local_agent_to_the_end(collab_store, jp_fetch, port, jp_base_url):
    _study(collab_store, "duo", WITH_AGENT)
    seat = await join(jp_fetch, "duo", "W1", "A1")
    assert 'src="/' in seat["html"] and "<script>" not in seat["html"]
    me = await Client.open(port, jp_base_url, seat["session"], seat["token"])
    welcome = await me.until(lambda f: f["type"] == "welcome")
    assert welcome["role"] == "guesser" and welcome["status"] == "active" and welcome["state"]["target"] is None
    await me.send({"type": "chat", "text": "hello partner", "client_id": "c1"})
    echo = await me.until(lambda f: f["type"] == "message" and f.get("client_id") == "c1")
    assert echo["role"] == "guesser" and echo["kind"] == "human"
    end, rng = None, random.Random(1)
    states = [f for f in me.frames if f["type"] in ("welcome", "state")]
    frame = states[-1]
    while True:
        if frame["type"] == "end":
            end = frame
            break
        if frame["state"]["turn"] == "guesser" and not frame["state"]["result"]:
            await me.send({"type": "action", "action": word_guessing.local_move(frame["state"], "guesser", rng)})
        frame = await me.until(lambda f: f["type"] in ("state", "end"))
    assert end["reason"] == "completed" and len(end["completion_code"]) == 16 and end["partial_pay"] is False
    assert end["outcome"]["result"] in ("won", "lost")
    me.close()
    await asyncio.sleep(0.1)
    with collab_store.session() as s:
        cs = s.get(CollabSession, seat["session"])
        assert cs.status == "ended" and cs.outcome == end["outcome"]
        log = [e for e in events.query(s, type="collab.", limit=1000) if e.payload.get("session_id") == cs.id]
        kinds = {e.type for e in log}
        assert {"collab.message", "collab.action", "collab.agent_call", "collab.end", "collab.connect"} <= kinds
        call = next(e for e in log if e.type == "collab.agent_call")
        assert call.payload["backend"] == "local" and call.payload["prompt_tokens"] > 0
        assert call.payload["latency_ms"] >= 0 and call.payload["error"] is None


async def test_another_assignments_session_is_refused(collab_store, jp_fetch, port, jp_base_url):
    _study(collab_store, "solo", {"paradigm": "word_guessing"})
    mine, theirs = await join(jp_fetch, "solo", "W1", "A1"), await join(jp_fetch, "solo", "W2", "A2")
    intruder = await Client.open(port, jp_base_url, theirs["session"], mine["token"])
    assert await intruder.next() is None
    assert intruder.conn.close_code == 4403 and not intruder.conn.close_reason.startswith("token")
    silent = await Client.open(port, jp_base_url, theirs["session"], None, hello=False)
    await silent.send({"type": "chat", "text": "let me in"})
    assert await silent.next() is None and silent.conn.close_code == 4403


async def test_bad_frames_get_errors_and_other_clients_stay(collab_store, jp_fetch, port, jp_base_url):
    _study(collab_store, "pairs", PAIRS)
    a, b = await join(jp_fetch, "pairs", "W1", "A1"), await join(jp_fetch, "pairs", "W2", "A2")
    assert a["session"] == b["session"]
    one = await Client.open(port, jp_base_url, a["session"], a["token"])
    two = await Client.open(port, jp_base_url, b["session"], b["token"])
    await one.until(lambda f: f["type"] == "welcome")
    await two.until(lambda f: f["type"] == "welcome")
    for bad, field in (("{not json", "frame"), (json.dumps({"type": "chat"}), "frame.text"),
                       (json.dumps({"type": "chat", "text": "x", "extra": 1}), "frame"),
                       (json.dumps({"type": "chat", "text": "x" * 9000}), "frame"),
                       (json.dumps({"type": "action", "action": {"kind": "guess", "word": "zzz"}}), "action"),
                       (json.dumps([1, 2]), "frame")):
        await one.send(bad)
        error = await one.until(lambda f: f["type"] == "error")
        assert error["field"].startswith(field), (bad[:40], error)
    await one.send("x" * 70_000)  # past the hard limit: only this socket is dropped
    assert await _closed(one)
    await two.send({"type": "chat", "text": "still here", "client_id": "k"})
    assert (await two.until(lambda f: f.get("client_id") == "k"))["text"] == "still here"


async def _closed(client: Client) -> bool:
    while (await client.next()) is not None:
        pass
    return client.conn.close_code == 1009


async def test_a_reconnect_keeps_the_state(collab_store, jp_fetch, port, jp_base_url):
    _study(collab_store, "pairs", PAIRS)
    a, b = await join(jp_fetch, "pairs", "W1", "A1"), await join(jp_fetch, "pairs", "W2", "A2")
    hinter_seat, guesser_seat = (a, b) if "hinter" in a["html"].split("data-role=")[1][:10] else (b, a)
    hinter = await Client.open(port, jp_base_url, hinter_seat["session"], hinter_seat["token"])
    guesser = await Client.open(port, jp_base_url, guesser_seat["session"], guesser_seat["token"])
    await hinter.until(lambda f: f["type"] == "welcome")
    await guesser.until(lambda f: f["type"] == "welcome")
    await hinter.send({"type": "action", "action": {"kind": "hint", "word": "clue"}})
    await hinter.send({"type": "chat", "text": "think about it"})
    await guesser.until(lambda f: f["type"] == "message")
    guesser.close()
    await asyncio.sleep(0.3)
    back = await Client.open(port, jp_base_url, guesser_seat["session"], guesser_seat["token"])
    welcome = await back.until(lambda f: f["type"] == "welcome")
    assert welcome["resumed"] is True and welcome["state"]["hints"] == ["clue"] and welcome["state"]["turn"] == "guesser"
    assert [m["text"] for m in welcome["messages"]] == ["think about it"]
    connects = []
    for _ in range(50):  # the hub writes in batches; wait for the batch holding the reconnect
        with collab_store.session() as s:
            connects = [e.payload["resumed"] for e in events.query(s, type="collab.connect")]
        if len(connects) == 3:
            break
        await asyncio.sleep(0.1)
    assert sorted(connects) == [False, False, True]
    with collab_store.session() as s:
        assert any(e.type == "collab.leave" for e in events.query(s, type="collab.leave"))


async def test_the_waiting_room_opens_when_the_partner_joins(collab_store, jp_fetch, port, jp_base_url):
    _study(collab_store, "pairs", PAIRS)
    first = await join(jp_fetch, "pairs", "W1", "A1")
    waiting = await Client.open(port, jp_base_url, first["session"], first["token"])
    assert (await waiting.until(lambda f: f["type"] == "welcome"))["status"] == "waiting"
    await join(jp_fetch, "pairs", "W2", "A2")
    started = await waiting.until(lambda f: f["type"] == "welcome" and f["status"] == "active")
    assert started["state"]["board"] and set(started["seats"].values()) == {"human"}


async def test_a_long_wait_is_filled_by_the_agent_or_released(collab_store, jp_fetch, port, jp_base_url):
    _study(collab_store, "fill", {**PAIRS, "max_wait_s": 0.5})
    _study(collab_store, "release", {**PAIRS, "max_wait_s": 0.5, "on_timeout": "release"})
    filled, released = await join(jp_fetch, "fill", "W1", "A1"), await join(jp_fetch, "release", "W2", "A2")
    one = await Client.open(port, jp_base_url, filled["session"], filled["token"])
    two = await Client.open(port, jp_base_url, released["session"], released["token"])
    active = await one.until(lambda f: f["type"] == "welcome" and f["status"] == "active", timeout=15)
    assert "agent" in active["seats"].values()
    end = await two.until(lambda f: f["type"] == "end", timeout=15)
    assert end["reason"] == "no_partner" and end["partial_pay"] is True and len(end["completion_code"]) == 16
