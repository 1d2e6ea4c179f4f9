"""Hostile frames on the collaboration WebSocket (issue 14), on a real Jupyter server over SQLite and PostgreSQL.

A frame nested too deep, one holding what no store keeps (NaN, Infinity, NUL, a lone surrogate), or a session id
no store column holds gets an error of its own: an error frame naming ``frame`` on that socket, which stays open
for the next frame, and never a traceback; nor can it stop the hub from writing everyone else's events.
"""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from server_ext.handlers.collab import SETTINGS_KEY
from workbench import events
from workbench.collab import sessions

from .wsclient import Client, join

PAIRS = {"paradigm": "word_guessing", "conditions": [{"agent": False}], "max_wait_s": 600, "grace_s": 600}


@pytest.fixture(params=["sqlite", "postgresql"])
def collab_store(make_store, request):
    return make_store(request.param)


@pytest.fixture
def port(jp_http_port):
    return jp_http_port


async def _pair(store, jp_fetch, port, base):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    a, b = await join(jp_fetch, "pairs", "W1", "A1"), await join(jp_fetch, "pairs", "W2", "A2")
    one = await Client.open(port, base, a["session"], a["token"])
    two = await Client.open(port, base, b["session"], b["token"])
    await one.until(lambda f: f["type"] == "welcome")
    await two.until(lambda f: f["type"] == "welcome")
    return one, two


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE = [
    # nested past what the C reader survives (RecursionError), yet under MAX_FRAME bytes
    (_nested(4000), "frame"),
    ('{"type": "chat", "text": "hi", "client_id": "c", "x": ' + _nested(65) + "}", "frame"),
    ('{"type": "action", "action": {"kind": "guess", "word": NaN}}', "frame.action.word"),
    ('{"type": "action", "action": {"kind": "guess", "n": Infinity}}', "frame.action.n"),
    ('{"type": "action", "action": {"kind": "guess", "n": 1e400}}', "frame.action.n"),
    ('{"type": "chat", "text": "a\\u0000b"}', "frame.text"),
    ('{"type": "chat", "text": "a\\ud800b"}', "frame.text"),
    ('{"type": "chat", "text": "ok", "\\udfff": 1}', "frame"),
]


async def test_hostile_frames_get_an_error_frame_and_the_socket_stays(collab_store, jp_fetch, port, jp_base_url,
                                                                      caplog):
    one, two = await _pair(collab_store, jp_fetch, port, jp_base_url)
    for raw, field in HOSTILE:
        await one.send(raw)
        error = await one.until(lambda f: f["type"] == "error")
        assert error["field"] == field, (raw[:60], error)
        assert error["message"] and "Traceback" not in error["message"]
        await one.send({"type": "ping", "client_id": "still-open"})
        assert (await one.until(lambda f: f["type"] == "pong"))["client_id"] == "still-open"
    # nothing hostile reached the partner, and the session goes on
    await one.send({"type": "chat", "text": "after all that", "client_id": "k"})
    said = await two.until(lambda f: f["type"] == "message")
    assert said["text"] == "after all that"
    assert "Traceback" not in caplog.text and "Uncaught exception" not in caplog.text


async def test_a_hostile_chat_line_never_stops_the_hub_writing_the_others(collab_store, jp_fetch, port,
                                                                          jp_base_url, jp_serverapp, caplog):
    """On PostgreSQL a NUL or a lone surrogate in an event fails the hub's whole batch, every round: refused at the
    socket, it never gets there, and the honest line after it is written."""
    one, two = await _pair(collab_store, jp_fetch, port, jp_base_url)
    for raw in ('{"type": "chat", "text": "bad\\u0000line"}', '{"type": "chat", "text": "bad\\udbffline"}'):
        await one.send(raw)
        assert (await one.until(lambda f: f["type"] == "error"))["field"] == "frame.text"
    await two.send({"type": "chat", "text": "honest line", "client_id": "h"})
    await two.until(lambda f: f.get("client_id") == "h")  # echoed: the line is pending in the hub
    # The hub's own round, awaited: it writes what is pending (after any round already writing), or raises what
    # failed the batch, as a hostile line that got through would on PostgreSQL.
    await jp_serverapp.web_app.settings[SETTINGS_KEY].hub.flush()
    with collab_store.session() as s:
        texts = [e.payload["text"] for e in events.query(s, type="collab.message")]
    assert texts == ["honest line"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("session_id", ["2147483648", "99999999999", "999999999999"])
async def test_a_session_id_no_store_holds_is_not_found(collab_store, jp_fetch, port, jp_base_url, session_id,
                                                       caplog):
    with pytest.raises(HTTPClientError) as refused:  # jp_fetch: the server runs
        conn = await websocket_connect(f"ws://localhost:{port}{jp_base_url}workbench/collab/ws/{session_id}")
        await conn.write_message(json.dumps({"type": "hello", "token": "x" * 43}))
        await conn.read_message()
    assert refused.value.code == 404
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("token", ['"' + "\\udc80" * 20 + '"', '"' + "a\\u0000" * 10 + '"', "NaN", _nested(70)])
async def test_a_hostile_hello_is_refused_like_a_wrong_token(collab_store, jp_fetch, port, jp_base_url, token,
                                                            caplog):
    with collab_store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    seat = await join(jp_fetch, "pairs", "W1", "A1")
    client = await Client.open(port, jp_base_url, seat["session"], None, hello=False)
    await client.send('{"type": "hello", "token": ' + token + "}")
    while (frame := await client.next()) is not None:
        assert frame["type"] == "error"  # a frame the reader refused: then the unseated socket is closed
        await client.send('{"type": "chat", "text": "let me in"}')
    assert client.conn.close_code == 4403
    assert "Traceback" not in caplog.text and "Uncaught exception" not in caplog.text
