"""A small WebSocket client for the tests: join through the page, talk JSON frames over the real socket."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from tornado.websocket import websocket_connect


async def join(jp_fetch, study: str, worker: str, assignment: str) -> dict[str, Any]:
    page = await jp_fetch("workbench", "collab", "join", method="GET",
                          params={"study": study, "workerId": worker, "assignmentId": assignment, "hitId": "H1"})
    html = page.body.decode()
    return {"session": int(re.search(r'data-session="(\d+)"', html).group(1)),
            "token": re.search(r'data-token="([^"]+)"', html).group(1), "html": html}


class Client:
    def __init__(self, conn) -> None:
        self.conn = conn
        self.frames: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, port: int, base: str, session_id: int, token: str | None, *, hello: bool = True) -> "Client":
        conn = await websocket_connect(f"ws://localhost:{port}{base}workbench/collab/ws/{session_id}")
        client = cls(conn)
        if hello:
            await client.send({"type": "hello", "token": token})
        return client

    async def send(self, frame: Any) -> None:
        await self.conn.write_message(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, timeout: float = 10) -> dict[str, Any] | None:
        raw = await asyncio.wait_for(self.conn.read_message(), timeout)
        if raw is None:
            return None
        frame = json.loads(raw)
        self.frames.append(frame)
        return frame

    async def until(self, predicate, timeout: float = 10) -> dict[str, Any]:
        async def wait():
            while True:
                frame = await self.next(timeout)
                if frame is None:
                    raise ConnectionError(f"closed with {self.conn.close_code}")
                if predicate(frame):
                    return frame
        return await asyncio.wait_for(wait(), timeout)

    def close(self) -> None:
        self.conn.close()
