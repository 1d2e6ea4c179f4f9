"""The collaboration socket: two seats in one session, hostile frames on one; it must still answer and reach its
partner, and sockets with a token not theirs are closed."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

from benchmarks.hostile.wire import TIMEOUT

WS_HOSTILE = [
    "[" * 4000 + "]" * 4000,
    '{"type": "chat", "text": "hi", "client_id": "c", "x": ' + "[" * 65 + "]" * 65 + "}",
    '{"type": "action", "action": {"kind": "guess", "word": NaN}}',
    '{"type": "action", "action": {"kind": "guess", "n": Infinity}}',
    '{"type": "action", "action": {"kind": "guess", "n": 1e400}}',
    '{"type": "chat", "text": "a\\u0000b"}',
    '{"type": "chat", "text": "a\\ud800b"}',
    '{"type": "chat", "text": "ok", "\\udfff": 1}',
    '{"type": "chat", "text": "<script>alert(1)</script>", "client_id": "' + "x" * 300 + '"}',
    '{"type": "hello", "token": "\' OR 1=1 --"}',
    '{"type": "nosuch"}', "not json", "", '{"type": "chat", "text": "' + "y" * 9000 + '"}',
    b"\xff\xfe\x00binary",
]


def socket_probe(port: int) -> dict[str, Any]:
    """Two seats in one session; hostile frames on one socket; it must still answer and reach its partner."""
    import asyncio

    from tornado.websocket import websocket_connect

    def join(worker: str) -> tuple[int, str]:
        url = (f"http://127.0.0.1:{port}/workbench/collab/join?study=wsprobe&workerId={worker}"
               f"&assignmentId=3{worker}&hitId=3WSHIT")
        with urllib.request.urlopen(url, timeout=TIMEOUT) as page:
            html = page.read().decode()
        return int(re.search(r'data-session="(\d+)"', html).group(1)), re.search(r'data-token="([^"]+)"', html).group(1)

    async def until(conn, predicate, timeout=10.0, seen: list | None = None) -> dict | None:
        """The first frame ``predicate`` takes (None: closed, or none in time); ``seen`` gets the frames before."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(conn.read_message(), max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return None
            if raw is None:
                return None
            frame = json.loads(raw)
            if predicate(frame):
                return frame
            if seen is not None:
                seen.append(frame)
        return None

    async def probe() -> dict[str, Any]:
        out = {"ws_frames": 0, "ws_error_frames": 0, "ws_survived": False, "ws_refused_sockets": 0}
        (session, one_token), (other, two_token) = join("A1WSPROBE1"), join("A1WSPROBE2")
        base = f"ws://127.0.0.1:{port}/workbench/collab/ws/"
        one, two = await websocket_connect(base + str(session)), await websocket_connect(base + str(other))
        await one.write_message(json.dumps({"type": "hello", "token": one_token}))
        await two.write_message(json.dumps({"type": "hello", "token": two_token}))
        await until(one, lambda f: f["type"] == "welcome")
        await until(two, lambda f: f["type"] == "welcome")
        for n, raw in enumerate(WS_HOSTILE):
            # The frame, then a ping: frames on one socket are answered in order, so an error comes before the pong.
            await one.write_message(raw, binary=isinstance(raw, bytes))
            await one.write_message(json.dumps({"type": "ping", "client_id": f"p{n}"}))
            out["ws_frames"] += 1
            before: list[dict] = []
            if await until(one, lambda f: f["type"] == "pong" and f.get("client_id") == f"p{n}", seen=before) is None:
                out["ws_lost_at"] = n
                return out
            out["ws_error_frames"] += sum(1 for f in before if f["type"] == "error")
            await asyncio.sleep(0.15)  # near the socket's rate (ten frames a second, thirty at once)
        for n in range(40):  # past the socket's rate: refused frame by frame, the socket stays
            await one.write_message(json.dumps({"type": "ping", "client_id": f"r{n}"}))
            out["ws_frames"] += 1
        await asyncio.sleep(1.0)  # the rate's bucket holds a few frames again
        await one.write_message(json.dumps({"type": "chat", "text": "after all that", "client_id": "last"}))
        said = await until(two, lambda f: f["type"] == "message" and f.get("text") == "after all that", timeout=15)
        await one.write_message(json.dumps({"type": "ping", "client_id": "final"}))
        pong = await until(one, lambda f: f["type"] == "pong" and f.get("client_id") == "final", timeout=15)
        out["ws_survived"] = said is not None and pong is not None and session == other
        one.close()
        two.close()
        # a seat's token in another session, a forged one, a session no row has: each closed with 4403
        for target, token in ((str(session + 1000), one_token), (str(session), "forged"), ("999999999", one_token)):
            conn = await websocket_connect(base + target)
            await conn.write_message(json.dumps({"type": "hello", "token": token}))
            if await conn.read_message() is None and conn.close_code == 4403:
                out["ws_refused_sockets"] += 1
        return out

    try:
        return asyncio.run(probe())
    except Exception as exc:  # noqa: BLE001 - reported: the socket did not survive
        return {"ws_frames": 0, "ws_error_frames": 0, "ws_survived": False, "ws_refused_sockets": 0,
                "ws_error": f"{type(exc).__name__}: {exc}"[:300]}
